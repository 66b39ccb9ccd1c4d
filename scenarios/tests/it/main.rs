//! Integration tests of scenarios: validation diagnostics, settlement and the twin command.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod calibration;
mod commands;
mod common;
mod replay;
mod settle;
mod validation;
