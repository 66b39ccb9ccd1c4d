//! Integration tests of the scenarios library: validation diagnostics and the resolved plan,
//! the replay (determinism, exact conservation of traffic, the run directory, the reviewed
//! summary), settlement, and validation fuzzed from a seed corpus (`docs/fuzzing.md`). The
//! `twin` command's own tests are in `scenarios/cli/tests`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod calibration;
mod common;
mod fuzz;
mod inputs;
mod replay;
mod settle;
mod validation;
