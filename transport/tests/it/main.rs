//! Integration tests of the transport crate: queueing theory, max-min fairness, the shared
//! datasets, bad input, and the packet simulator's features.

#![allow(clippy::unwrap_used)]

mod common;
mod datasets;
mod maxmin;
mod packet_features;
mod queueing;
