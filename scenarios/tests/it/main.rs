//! Integration tests of the scenarios library: validation diagnostics and the resolved plan,
//! the replay (determinism, exact conservation of traffic, the run directory, the reviewed
//! summary), the element-level tables and the report, settlement, and validation fuzzed from a seed corpus (`docs/fuzzing.md`). The
//! `twin` command's own tests are in `scenarios/cli/tests`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cache;
mod calibration;
mod common;
mod diagnose;
mod fuzz;
mod inputs;
mod replay;
mod report;
mod settle;
mod validation;
