//! The viewer against a small run: what a person would see in headless screenshots (colours
//! against the colour bar, failed links, neutral differences), and clear errors for run
//! directories that cannot be shown. The GPU tests run on whatever adapter the machine has (a
//! real GPU or Mesa's lavapipe, installed by `.ci/run`); a machine with none fails them with a
//! message saying so, unless `RADIO_GPU_TESTS=skip` asks to skip knowingly.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
mod errors;
mod pictures;
