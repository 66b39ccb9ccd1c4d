//! Calibration against measurements: `twin calibrate` as one library call, and (feature
//! `calibrate`, which builds the `learned` crate and burn) the learned correction applied in
//! replays.
//!
//! The request and its outcome are plain data in every build, so that the `twin` command needs
//! no machine-learning dependency of its own: a build without the feature answers
//! [`calibrate`] with [`ScenarioError::NoCalibration`], and [`AVAILABLE`] says which build this
//! is.

use std::path::PathBuf;

use crate::error::ScenarioError;
use crate::observe::Observer;
use crate::scenario::Plan;

#[cfg(feature = "calibrate")]
mod correction;
#[cfg(feature = "calibrate")]
pub use correction::{CalibrateInputs, Correction, dataset, synthetic_drive_test};

/// Whether this build can calibrate (the `calibrate` feature).
pub const AVAILABLE: bool = cfg!(feature = "calibrate");

/// How the measurements are held out for the evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
    /// Whole square tiles of this edge, metres.
    Spatial {
        /// Tile edge, metres.
        block_m: f64,
    },
    /// The newest measurements.
    Time,
    /// Rows at random (leaks spatial correlation into the test set; for comparison).
    Random,
}

/// Where burn trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainBackend {
    /// burn's NdArray backend (CPU).
    NdArray,
    /// burn's Flex backend (CPU; the learned crate's `flex` feature).
    Flex,
    /// burn's wgpu backend (GPU; the learned crate's `wgpu` feature).
    Wgpu,
}

/// What `twin calibrate` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrateRequest {
    /// Measurement CSV (drive test or probe export).
    pub measurements: PathBuf,
    /// Column mapping entries, `field=column[:conversion]` (see `docs/learned.md`).
    pub map: Vec<String>,
    /// A column mapping file (same syntax, one entry per line).
    pub map_file: Option<PathBuf>,
    /// Drop rows with non-numeric values instead of failing.
    pub drop_invalid: bool,
    /// Reflections traced for the features.
    pub max_depth: u32,
    /// How the rows are held out.
    pub split: Split,
    /// Seed of the split, the weights and the batch order.
    pub seed: u64,
    /// Maximum epochs.
    pub epochs: usize,
    /// Prediction-interval level (0.9 for 90 %).
    pub level: f64,
    /// Where burn trains.
    pub backend: TrainBackend,
    /// The model directory to write (absent, or an older model directory to replace).
    pub out: PathBuf,
}

/// What a calibration did.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrateOutcome {
    /// Rows of the training set.
    pub rows: usize,
    /// The held-out evaluation before and after the correction, as a table.
    pub table: String,
    /// The same as JSON (`learned::metrics::Evaluation`).
    pub evaluation: serde_json::Value,
}

/// `twin calibrate` as one call: the training set from the scenario's twin and the
/// measurements, the model trained with its intervals, and the model directory written.
/// `observer` hears how the import went and the training set's size; `on_epoch(epoch, training
/// loss, validation RMSE dB)` follows the training.
pub fn calibrate(
    plan: &Plan,
    req: &CalibrateRequest,
    observer: &dyn Observer,
    on_epoch: &mut dyn FnMut(usize, f64, f64),
) -> Result<CalibrateOutcome, ScenarioError> {
    #[cfg(feature = "calibrate")]
    {
        correction::calibrate(plan, req, observer, on_epoch)
    }
    #[cfg(not(feature = "calibrate"))]
    {
        let _ = (plan, req, observer, on_epoch);
        Err(ScenarioError::NoCalibration)
    }
}
