//! Errors of the transport crate, one enum per family of operation. Variants name the file, the
//! element (node, link, demand, line) and what was expected.

use std::path::PathBuf;

/// Why a topology could not be read or built.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// A file could not be read or written.
    #[error("cannot access {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: std::io::Error,
    },
    /// A file is not in the expected format.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line or element where there is one.
        reason: String,
    },
    /// A link refers to a node that does not exist.
    #[error("link {link} refers to unknown node \"{node}\"")]
    UnknownNode {
        /// The link's name.
        link: String,
        /// The missing node.
        node: String,
    },
    /// Two nodes have the same name.
    #[error("node \"{0}\" is defined twice")]
    DuplicateNode(String),
    /// A link's capacity is not a positive number.
    #[error("link {link}: capacity {capacity_bps} bit/s must be finite and > 0")]
    BadCapacity {
        /// The link.
        link: String,
        /// The value found.
        capacity_bps: f64,
    },
    /// A link parameter other than capacity is out of range.
    #[error("link {link}: {reason}")]
    BadLink {
        /// The link.
        link: String,
        /// What is wrong.
        reason: String,
    },
    /// A link's capacity is missing and no default was given.
    #[error(
        "link {link} has no capacity ({detail}); give a default capacity to use for such links"
    )]
    MissingCapacity {
        /// The link.
        link: String,
        /// Where a capacity was looked for.
        detail: String,
    },
    /// A link's length cannot be known and no default delay was given.
    #[error("link {link}: {detail}; give a default delay to use for such links")]
    MissingDelay {
        /// The link.
        link: String,
        /// Why the delay is unknown.
        detail: String,
    },
    /// A link or node index does not exist in this topology.
    #[error("no {what} with index {index} in the topology")]
    NoSuchElement {
        /// "link" or "node".
        what: &'static str,
        /// The index.
        index: u32,
    },
    /// A topology file could not be written.
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
    /// A what-if names a link or node that the topology does not have (see
    /// [`crate::whatif::resolve_links`] for how names resolve).
    #[error("{}", unknown_name(what, name))]
    UnknownName {
        /// What was looked for: "link", "node" or "link or node".
        what: &'static str,
        /// The name as given.
        name: String,
    },
    /// An operation does not apply to the element given.
    #[error("{0}")]
    Invalid(String),
}

fn unknown_name(what: &str, name: &str) -> String {
    if what == "node" {
        return format!("no node named \"{name}\"");
    }
    if let Some((a, b)) = name.split_once("<->") {
        format!(
            "no {what} named \"{name}\" and no links both ways between nodes \"{a}\" and \"{b}\""
        )
    } else if let Some((a, b)) = name.split_once("->") {
        format!("no {what} named \"{name}\" and no link from node \"{a}\" to node \"{b}\"")
    } else {
        format!("no {what} named \"{name}\"")
    }
}

/// Why traffic could not be set up or simulated.
#[derive(Debug, thiserror::Error)]
pub enum TrafficError {
    /// A demand names a node that does not exist.
    #[error("demand {demand}: unknown node \"{node}\"")]
    UnknownNode {
        /// The demand's index or name.
        demand: String,
        /// The missing node.
        node: String,
    },
    /// A demand's rate is negative or not finite.
    #[error("demand {demand}: rate {rate_bps} bit/s must be finite and >= 0")]
    BadRate {
        /// The demand.
        demand: String,
        /// The rate found.
        rate_bps: f64,
    },
    /// A demand from a node to itself.
    #[error("demand {demand} goes from {node} to itself")]
    SelfDemand {
        /// The demand.
        demand: String,
        /// The node.
        node: String,
    },
    /// The number of rates given does not match the number of demands.
    #[error("{got} rates given for {expected} demands")]
    RateCount {
        /// Demands in the model.
        expected: usize,
        /// Rates given.
        got: usize,
    },
    /// A traffic source's parameters are invalid.
    #[error("source {source_name}: {reason}")]
    BadSource {
        /// The source.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// A simulation parameter is invalid.
    #[error("invalid simulation setting: {0}")]
    Config(String),
    /// A result file could not be written.
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
}
