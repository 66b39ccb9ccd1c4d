//! Integration tests of the transport crate: queueing theory, max-min fairness, the shared
//! datasets, bad input, the packet simulator's features, and the importers fuzzed from a seed
//! corpus (`docs/fuzzing.md`).

#![allow(clippy::unwrap_used)]

mod common;
mod datasets;
mod fuzz;
mod maxmin;
mod packet_features;
mod queueing;
