//! Integration tests of the radio crate: the tracer against closed forms and published vectors
//! (`../shared/REFERENCES.md`), geometric and physical invariants by property tests,
//! determinism across thread counts, the shared Etoile scene, and the importers fuzzed from a
//! seed corpus (`docs/fuzzing.md`).

// Test helpers unwrap freely: a panic in a test is a failure with a backtrace, which is the point.
#[allow(clippy::unwrap_used)]
mod calibration;
#[allow(clippy::unwrap_used)]
mod common;
#[allow(clippy::unwrap_used)]
mod conformance;
#[allow(clippy::unwrap_used)]
mod determinism;
#[allow(clippy::unwrap_used)]
mod etoile;
#[allow(clippy::unwrap_used)]
mod fuzz;
#[allow(clippy::unwrap_used)]
mod gpu;
#[allow(clippy::unwrap_used)]
mod properties;
#[allow(clippy::unwrap_used)]
mod references;
