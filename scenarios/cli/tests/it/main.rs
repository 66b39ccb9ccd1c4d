//! Tests of the `twin` command: every command through the binary, its exit codes, JSON and
//! messages, and that a failed or interrupted command leaves nothing behind. The small scenario
//! is the library tests' own (`scenarios/tests/it/common.rs`), included here so that both test
//! the same files.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod calibration;
mod commands;
#[path = "../../../tests/it/common.rs"]
mod common;
mod full_disk;
mod runs;
mod settle;
mod signals;
