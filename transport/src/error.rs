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
    /// An operation does not apply to the element given.
    #[error("{0}")]
    Invalid(String),
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
    /// A file could not be read.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}
