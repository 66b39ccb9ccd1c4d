//! Topology import and export: Internet Topology Zoo GraphML, SNDlib native files, and the
//! project's nodes.csv + links.csv (documented in `docs/transport.md`).

pub mod csv;
pub mod graphml;
pub mod sndlib;

use std::path::Path;

use crate::error::TopologyError;
use crate::topology::{FIBRE_SPEED_M_PER_S, Link, NodeId, Topology, default_buffer_bytes};

/// Reads a topology by its file's extension: `.graphml` (Topology Zoo, with `graphml`'s
/// defaults for what a file lacks), `.csv` (a nodes CSV, with its `links` CSV), or else SNDlib
/// native.
pub fn load(
    path: &Path,
    links: Option<&Path>,
    graphml: &graphml::GraphmlOptions,
) -> Result<Topology, TopologyError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match (ext.as_str(), links) {
        ("graphml", _) => graphml::load(path, graphml),
        ("csv", Some(l)) => csv::load(path, l),
        ("csv", None) => Err(TopologyError::Format {
            path: path.to_path_buf(),
            reason: "a nodes CSV topology needs its links CSV".into(),
        }),
        _ => sndlib::load(path).map(|n| n.topology),
    }
}

/// Converts a topology file (anything [`load`] reads) into `nodes.csv` and `links.csv`;
/// returns the topology.
pub fn to_csv(
    path: &Path,
    links: Option<&Path>,
    graphml: &graphml::GraphmlOptions,
    nodes_out: &Path,
    links_out: &Path,
) -> Result<Topology, TopologyError> {
    let topo = load(path, links, graphml)?;
    csv::save(&topo, nodes_out, links_out)?;
    Ok(topo)
}

/// The propagation delay between two nodes from their positions (WGS84 geodesic or straight line,
/// at 2·10⁸ m/s), or `None` if either position is unknown.
pub(crate) fn delay_between(topo: &Topology, a: NodeId, b: NodeId) -> Option<f64> {
    let (pa, pb) = (topo.node(a).ok()?.position?, topo.node(b).ok()?.position?);
    pa.distance_m(&pb).map(|d| d / FIBRE_SPEED_M_PER_S)
}

/// A link with the defaults importers use for what a format does not say: a buffer of 100 ms at
/// the link's rate and IGP weight 1.
pub(crate) fn imported_link(capacity_bps: f64, delay_s: f64, igp_weight: f64) -> Link {
    Link {
        name: String::new(),
        capacity_bps,
        delay_s,
        buffer_bytes: default_buffer_bytes(capacity_bps),
        igp_weight,
        up: true,
    }
}

/// Turns an I/O error into one naming the file.
pub(crate) fn io_error(
    path: &std::path::Path,
) -> impl FnOnce(std::io::Error) -> TopologyError + '_ {
    move |reason| TopologyError::Io { path: path.to_path_buf(), reason }
}
