//! Helpers shared by the tests.

use std::path::PathBuf;

use transport::topology::{Link, NodeId, Role, Topology};

/// The shared data directory (`../shared/data` from the workspace root).
pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// A link with the given capacity and delay and a large buffer.
pub(crate) fn link(capacity_bps: f64, delay_s: f64) -> Link {
    Link {
        name: String::new(),
        capacity_bps,
        delay_s,
        buffer_bytes: 1 << 30,
        igp_weight: 1.0,
        up: true,
    }
}

/// Nodes `n0..n{k-1}` in a chain of duplex links with the given capacities.
pub(crate) fn chain(capacities: &[f64], delay_s: f64) -> (Topology, Vec<NodeId>) {
    let mut t = Topology::new();
    let nodes: Vec<NodeId> = (0..=capacities.len())
        .map(|i| t.add_node(&format!("n{i}"), Role::Core, None).unwrap())
        .collect();
    for (i, &c) in capacities.iter().enumerate() {
        t.add_duplex(nodes[i], nodes[i + 1], link(c, delay_s)).unwrap();
    }
    (t, nodes)
}
