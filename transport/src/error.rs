//! Errors of the transport crate, one enum per family of operation. Variants name the file, the
//! element (node, link, demand, line) and what was expected.
//!
//! [`SndlibError`] and [`PacketConfigError`] hold what is wrong as data (line, value) and keep an
//! error from elsewhere (the topology refusing a node or a link) as their `#[source]`, which
//! their own message does not repeat. [`TopologyError`] and [`TrafficError`], the errors callers
//! print, fold such an error and its causes into one message, as their `Io` variants do with the
//! operating system's reason: callers print errors both ways (`{}` for a validation diagnostic, a
//! walk down the source chain in the command line), and either way each part is printed once.

use std::path::PathBuf;

use sim_core::error_text::with_causes;

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
    /// A row of a CSV table is wrong.
    #[error("{path}, line {line}: {reason}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: usize,
        /// What is wrong, naming the column where there is one.
        reason: String,
    },
    /// An SNDlib native file is malformed or describes an unusable network.
    #[error("{path}: {}", with_causes(reason))]
    Sndlib {
        /// The file (`(memory)` for text parsed from a string).
        path: PathBuf,
        /// What is wrong, with its line.
        reason: SndlibError,
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
    #[error("{}", unknown_name(what, name, close))]
    UnknownName {
        /// What was looked for: "link", "node" or "link or node".
        what: &'static str,
        /// The name as given.
        name: String,
        /// The names the topology has that are closest to it (fewest edits first), which the
        /// message offers: most unknown names are typing errors.
        close: Vec<String>,
    },
    /// An operation does not apply to the element given.
    #[error("{0}")]
    Invalid(String),
}

fn unknown_name(what: &str, name: &str, close: &[String]) -> String {
    let mut text = unknown_name_alone(what, name);
    if !close.is_empty() {
        let quoted: Vec<String> = close.iter().map(|c| format!("\"{c}\"")).collect();
        text.push_str(&format!("; close matches: {}", quoted.join(", ")));
    }
    text
}

fn unknown_name_alone(what: &str, name: &str) -> String {
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

/// Why an SNDlib native file could not be read (see [`crate::import::sndlib`] for what is read).
/// Lines are 1-based.
#[derive(Debug, thiserror::Error)]
pub enum SndlibError {
    /// Between sections, a line that does not open one.
    #[error("line {line}: expected a section such as \"NODES (\", got \"{text}\"")]
    ExpectedSection {
        /// The line.
        line: usize,
        /// Its text, without comment.
        text: String,
    },
    /// A section is still open at the end of the file.
    #[error("section {section} is not closed with \")\"")]
    UnclosedSection {
        /// The section's name.
        section: String,
    },
    /// The file lacks a NODES or a LINKS section.
    #[error("an SNDlib network needs NODES and LINKS sections")]
    MissingSections,
    /// META gives a unit that is not one of SNDlib's.
    #[error("line {line}: unknown unit \"{unit}\"")]
    UnknownUnit {
        /// The line.
        line: usize,
        /// The unit as written.
        unit: String,
    },
    /// A field that must be a number is not one.
    #[error("line {line}: {what} \"{value}\" is not a number")]
    NotANumber {
        /// The line.
        line: usize,
        /// The field ("routing cost", "demand value", ...).
        what: &'static str,
        /// The text found.
        value: String,
    },
    /// A NODES line is not `<node> ( <lon> <lat> )` or `<node>`.
    #[error("line {line}: expected \"<node> ( <lon> <lat> )\", got \"{text}\"")]
    BadNodeLine {
        /// The line.
        line: usize,
        /// Its text, without comment.
        text: String,
    },
    /// A node's coordinates are NaN or infinite.
    #[error("line {line}: node {node}: coordinates must be finite")]
    NonFiniteCoordinates {
        /// The line.
        line: usize,
        /// The node.
        node: String,
    },
    /// Two NODES lines name the same node.
    #[error("line {line}: node \"{node}\" is defined twice")]
    DuplicateNode {
        /// The line of the second definition.
        line: usize,
        /// The node.
        node: String,
    },
    /// The topology refused a node.
    #[error("line {line}")]
    Node {
        /// The node's line.
        line: usize,
        /// Why the topology refused it.
        #[source]
        source: Box<TopologyError>,
    },
    /// A link or demand refers to a node that NODES does not define.
    #[error("line {line}: {what} {id} refers to unknown node \"{node}\"")]
    UnknownNode {
        /// The line.
        line: usize,
        /// "link" or "demand".
        what: &'static str,
        /// The link's or demand's id.
        id: String,
        /// The node named.
        node: String,
    },
    /// A LINKS line does not have the expected fields.
    #[error(
        "line {line}: expected \"<link> ( <src> <tgt> ) <pre_cap> <pre_cost> <routing_cost> <setup_cost> ( <modules> )\", got \"{text}\""
    )]
    BadLinkLine {
        /// The line.
        line: usize,
        /// Its text, without comment.
        text: String,
    },
    /// A link's modules are not capacity/cost pairs.
    #[error("line {line}: link {link}: modules come in capacity/cost pairs")]
    OddModules {
        /// The line.
        line: usize,
        /// The link's id.
        link: String,
    },
    /// A link has no positive capacity, pre-installed or in a module.
    #[error("line {line}: link {link} has neither a pre-installed capacity nor a module")]
    NoCapacity {
        /// The line.
        line: usize,
        /// The link's id.
        link: String,
    },
    /// The topology refused a link.
    #[error("line {line}: link {link}")]
    Link {
        /// The line.
        line: usize,
        /// The link's id.
        link: String,
        /// Why the topology refused it.
        #[source]
        source: Box<TopologyError>,
    },
    /// A DEMANDS line does not have the expected fields.
    #[error(
        "line {line}: expected \"<demand> ( <src> <tgt> ) <routing_unit> <value> <max_path_length>\", got \"{text}\""
    )]
    BadDemandLine {
        /// The line.
        line: usize,
        /// Its text, without comment.
        text: String,
    },
    /// A demand's value is negative or not finite, or so large that in bit/s (times the
    /// file's unit) it is not finite either.
    #[error("line {line}: demand {demand}: value {value} must be >= 0 and finite in bit/s")]
    BadDemandValue {
        /// The line.
        line: usize,
        /// The demand's id.
        demand: String,
        /// The value found.
        value: f64,
    },
    /// A demand goes from a node to itself.
    #[error("line {line}: demand {demand} goes from a node to itself")]
    SelfDemand {
        /// The line.
        line: usize,
        /// The demand's id.
        demand: String,
    },
    /// The network does not connect a demand's ends.
    #[error(
        "line {line}: demand {demand}: no path from {from} to {to} (the network does not connect them)"
    )]
    Unroutable {
        /// The demand's line.
        line: usize,
        /// The demand's id.
        demand: String,
        /// Its source node.
        from: String,
        /// Its destination node.
        to: String,
    },
}

/// Why a setting of the packet-level simulator is out of range.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PacketConfigError {
    /// A RED queue's thresholds, drop probability, weight or packet size are out of range.
    #[error(
        "RED needs 0 <= min_threshold < max_threshold, 0 < max_p <= 1, 0 < weight <= 1 and a positive mean packet size; got thresholds {min_threshold} and {max_threshold} packets, max_p {max_p}, weight {weight}, mean packet {mean_packet_bytes} bytes"
    )]
    Red {
        /// Lower threshold given, packets.
        min_threshold: f64,
        /// Upper threshold given, packets.
        max_threshold: f64,
        /// Drop probability given.
        max_p: f64,
        /// Averaging weight given.
        weight: f64,
        /// Mean packet size given, bytes.
        mean_packet_bytes: f64,
    },
    /// A Poisson source's rate is not finite and positive.
    #[error("Poisson rate {rate_pps} packets/s must be finite and > 0")]
    PoissonRate {
        /// The rate given, packets per second.
        rate_pps: f64,
    },
    /// A fixed packet size of zero bytes.
    #[error("packet size must be at least 1 byte")]
    ZeroPacketSize,
    /// An exponential packet size's mean is not finite and positive.
    #[error("mean packet size {mean_bytes} must be finite and > 0")]
    MeanPacketSize {
        /// The mean given, bytes.
        mean_bytes: f64,
    },
    /// A CBR source's rate or size is out of range.
    #[error(
        "CBR needs a rate > 0 and a size >= 1 byte, got {rate_pps} packets/s and {size_bytes} bytes"
    )]
    Cbr {
        /// The rate given, packets per second.
        rate_pps: f64,
        /// The size given, bytes.
        size_bytes: u32,
    },
    /// An on-off source's rate, size, periods or Pareto shape are out of range.
    #[error(
        "on-off needs peak rate, size, mean on and off periods > 0 and a Pareto shape > 1; got {peak_pps} packets/s, {size_bytes} bytes, on {mean_on_s} s, off {mean_off_s} s, shape {shape}"
    )]
    OnOff {
        /// The peak rate given, packets per second.
        peak_pps: f64,
        /// The size given, bytes.
        size_bytes: u32,
        /// The mean on period given, seconds.
        mean_on_s: f64,
        /// The mean off period given, seconds.
        mean_off_s: f64,
        /// The Pareto shape given.
        shape: f64,
    },
    /// A TCP source's segment or ACK size, windows, minimum RTO or transfer size are out of
    /// range.
    #[error(
        "TCP needs mss, ack size > 0, windows >= 1, a positive minimum RTO and a non-empty transfer; got mss {mss_bytes} bytes, ack {ack_bytes} bytes, initial window {initial_window}, ssthresh {initial_ssthresh}, max window {max_window}, min RTO {min_rto_s} s, transfer {flow_bytes:?} bytes"
    )]
    Tcp {
        /// Segment size given, bytes.
        mss_bytes: u32,
        /// ACK size given, bytes.
        ack_bytes: u32,
        /// Initial window given, segments.
        initial_window: f64,
        /// Initial slow-start threshold given, segments.
        initial_ssthresh: f64,
        /// Window cap given, segments.
        max_window: f64,
        /// Minimum retransmission timeout given, seconds.
        min_rto_s: f64,
        /// Transfer size given, bytes (`None`: unbounded).
        flow_bytes: Option<u64>,
    },
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
    /// A traffic source's settings are out of range.
    #[error("source {source_name}: {}", with_causes(reason))]
    InvalidSource {
        /// The source.
        source_name: String,
        /// What is wrong.
        reason: PacketConfigError,
    },
    /// A queue's settings are out of range.
    #[error("invalid simulation setting: {}", with_causes(reason))]
    InvalidQueue {
        /// What is wrong.
        reason: PacketConfigError,
    },
    /// A simulation parameter is invalid.
    #[error("invalid simulation setting: {0}")]
    Config(String),
    /// A result file could not be written.
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
}
