//! Errors of the scenario layer, with their causes: each variant keeps the lower layer's error
//! (`RadioError`, `TopologyError`, an IO error with its path) as its source, so the `twin`
//! command prints the whole chain (`error: cannot write runs/a: No space left on device`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::settlement::SettlementError;

/// One problem in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// The line, when the problem has one.
    pub line: Option<usize>,
    /// The field or column.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}: {}", self.file.display(), self.field, self.message),
            None => write!(f, "{}: {}: {}", self.file.display(), self.field, self.message),
        }
    }
}

/// What can go wrong outside validation (which reports [`Diagnostic`]s).
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The scenario does not validate (the library calls that validate first return it).
    #[error("the scenario has {} problem{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<Diagnostic>),
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
    /// A run directory's own file (manifest, summary) could not be read or written.
    #[error(transparent)]
    RunFile(#[from] twin_format::run::RunFileError),
    /// The viewer's data could not be written.
    #[error(transparent)]
    View(#[from] twin_format::view::ViewFormatError),
    /// A KPI table could not be written as Parquet.
    #[cfg(feature = "parquet")]
    #[error("cannot write {}", path.display())]
    Parquet {
        /// The table.
        path: PathBuf,
        /// What the Arrow or Parquet writer said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A KPI table was handed rows that do not fit its header (a bug, not the disk).
    #[error("{}: rows of columns {found} for a table of {expected}", table.display())]
    TableSchema {
        /// The table's CSV file.
        table: PathBuf,
        /// The columns of the rows, as (name, kind).
        found: String,
        /// The table's columns.
        expected: String,
    },
    /// A map could not be encoded as PNG.
    #[error("cannot encode the map {name}")]
    Png {
        /// Which map.
        name: String,
        /// What the encoder said.
        #[source]
        source: png::EncodingError,
    },
    /// The scene could not be built or read.
    #[error("the scene {what}")]
    Scene {
        /// `procedural` or the file.
        what: String,
        /// Why.
        #[source]
        source: radio::SceneError,
    },
    /// A cell's coverage map could not be computed (shared by every variant that asked).
    #[error("the coverage map of cell {cell}")]
    Coverage {
        /// The cell.
        cell: String,
        /// Why.
        #[source]
        source: Arc<radio::RadioError>,
    },
    /// The radio model failed (a grid, an antenna, the backend).
    #[error(transparent)]
    Radio(#[from] radio::RadioError),
    /// A change to the topology failed.
    #[error(transparent)]
    Topology(#[from] transport::TopologyError),
    /// The flow-level model failed.
    #[error(transparent)]
    Traffic(#[from] transport::TrafficError),
    /// The packet-level simulation of a busy interval failed.
    #[error("packet simulation of interval {interval}")]
    Packet {
        /// The interval.
        interval: usize,
        /// Why.
        #[source]
        source: transport::TrafficError,
    },
    /// A duration or instant is out of the simulators' range.
    #[error(transparent)]
    Time(#[from] sim_core::TimeError),
    /// Settlement could not be computed.
    #[error(transparent)]
    Settlement(#[from] SettlementError),
    /// This build has no learned layer (the `calibrate` feature).
    #[error(
        "this build of twin has no calibration (it would build burn); rebuild with the feature: \
         cargo run --release -p twin --features calibrate -- calibrate ..."
    )]
    NoCalibration,
    /// A result could not be encoded as JSON.
    #[error("cannot encode a result as JSON")]
    Encode(#[source] serde_json::Error),
    /// The learned correction could not be trained or applied.
    #[cfg(feature = "calibrate")]
    #[error("calibration")]
    Calibration(#[from] learned::LearnedError),
    /// The topology has no node of role core to carry the sites' traffic to.
    #[error("the topology has no node of role core to carry traffic to")]
    NoCore,
    /// No site lies over the scene, so the analysis grid would be empty.
    #[error("the sites lie outside the scene")]
    SitesOutsideScene,
    /// A request names a variant the scenario does not have.
    #[error("the scenario has no variant \"{0}\"")]
    NoSuchVariant(String),
    /// A request names a cell the inventory does not have.
    #[error("unknown cell \"{0}\"")]
    NoSuchCell(String),
    /// A replay or request setting is out of range.
    #[error("{name} {value}: {expected}")]
    BadOption {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// The built-in demo could not be generated.
    #[error("the demo scenario: {0}")]
    Demo(String),
    /// An interval whose offered traffic is neither carried nor counted unserved (a replay
    /// invariant; inputs inside their documented ranges cannot break it).
    #[error(
        "{variant}, interval {interval}: {offered} bytes offered, {carried} carried and {unserved} unserved do not add up"
    )]
    Unaccounted {
        /// The variant.
        variant: String,
        /// The interval.
        interval: usize,
        /// Bytes offered.
        offered: f64,
        /// Bytes carried.
        carried: f64,
        /// Bytes not served.
        unserved: f64,
    },
    /// Stopped by the user (Ctrl-C); nothing was written.
    #[error("interrupted")]
    Interrupted,
}

impl ScenarioError {
    /// A read error on `path`.
    pub fn read(path: &std::path::Path, source: std::io::Error) -> ScenarioError {
        ScenarioError::Read { path: path.to_path_buf(), source }
    }
}
