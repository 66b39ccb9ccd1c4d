//! Tests of the `twin` command: every command through the binary, its exit codes, JSON and
//! messages, and that a failed or interrupted command leaves nothing behind. The small scenario
//! is the library tests' own (`scenarios/tests/it/common.rs`), included here so that both test
//! the same files.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

mod cache;
mod calibration;
mod commands;
#[path = "../../../tests/it/common.rs"]
mod common;
mod full_disk;
mod runs;
mod settle;
mod signals;

/// The `twin` binary with its own coverage cache for this test process: the tests neither read
/// the user's maps nor leave theirs there, and a test that counts traced maps finds them traced.
pub(crate) fn twin_command() -> Command {
    let cache = std::env::temp_dir().join(format!("twin-cli-it-cache-{}", std::process::id()));
    let mut c = Command::new(env!("CARGO_BIN_EXE_twin"));
    c.env("XDG_CACHE_HOME", cache);
    c
}
