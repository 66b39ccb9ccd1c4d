//! Integration tests of sim-core: the engine against queueing theory, determinism across runs and
//! thread counts, and geographic conversions against an independent implementation.

// Test helpers unwrap freely: a panic in a test is a failure with a backtrace, which is the point.
#![allow(clippy::unwrap_used)]

mod determinism;
mod geo_vectors;
mod queueing;
