//! Integration tests of the scenarios library: validation diagnostics and the resolved plan,
//! the replay (determinism, exact conservation of traffic, the run directory, the reviewed
//! summary) and settlement. The `twin` command's own tests are in `scenarios/cli/tests`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod calibration;
mod common;
mod replay;
mod settle;
mod validation;
