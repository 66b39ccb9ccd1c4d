//! Integration tests of the learned layer: the known-truth benefit, determinism, model
//! directories and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod artifacts;
mod common;
#[cfg(feature = "wgpu")]
mod gpu;
mod known_truth;
