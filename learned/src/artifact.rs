//! Model directories and the calibrator that uses them.
//!
//! A model directory holds everything needed to correct the twin later, and nothing half-written:
//!
//! | file | content |
//! |---|---|
//! | `model.bpk` | the weights, in burn's burnpack format (`Module::into_record().save`) |
//! | `mlp.json` | the network's shape (`MlpConfig`) |
//! | `training.json` | the training settings (`TrainingConfig`) |
//! | `features.json` | the feature names, their version and the inventory's cells |
//! | `normalization.json` | feature and target means and standard deviations |
//! | `metrics.json` | training history, split sizes, held-out evaluation, the conformal interval |
//!
//! It is written into a temporary directory beside the destination and renamed into place when
//! complete; a run that fails removes it. Loading checks the features against the ones the
//! caller computes and refuses a model trained on others.

use std::path::{Path, PathBuf};

use burn::config::Config;
use burn::module::Module;
use burn::prelude::Device;
use burn::store::ModuleRecord;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use twin_format::Existing;

use crate::error::LearnedError;
use crate::features::{FeatureSpec, Twin};
use crate::metrics::Evaluation;
use crate::model::{Mlp, MlpConfig, NativeMlp, Normalizer, TrainingConfig, TrainingHistory};

/// What `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// Rows in each role.
    pub split_rows: SplitRows,
    /// How the rows were split.
    pub split: crate::dataset::SplitConfig,
    /// Training curve and early stopping.
    pub history: TrainingHistory,
    /// Held-out errors before and after correction, and interval coverage.
    pub evaluation: Evaluation,
    /// Seconds the final model's training took.
    pub training_s: f64,
    /// Seconds the out-of-fold models of the intervals took.
    pub conformal_s: f64,
}

/// Rows in each role of a calibration run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitRows {
    /// The final model's training rows (folds 1..).
    pub train: usize,
    /// Its early-stopping rows (fold 0).
    pub valid: usize,
    /// Held out for evaluation.
    pub test: usize,
    /// Rows per fold (all of them calibrate the intervals).
    pub folds: Vec<usize>,
}

/// A trained correction, ready to apply.
#[derive(Debug, Clone)]
pub struct Calibrator {
    /// The features it takes.
    pub spec: FeatureSpec,
    /// Input and target normalisation.
    pub normalizer: Normalizer,
    /// The network, in plain Rust.
    pub native: NativeMlp,
    /// The prediction interval.
    pub interval: Interval,
}

/// Conformal prediction intervals, per line-of-sight group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Coverage asked for (0.9 for 90 %).
    pub level: f64,
    /// Half-width in line of sight, dB.
    pub los_db: f64,
    /// Half-width without line of sight, dB.
    pub nlos_db: f64,
}

/// One corrected prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Corrected {
    /// The serving cell (index into the twin's cells).
    pub cell: usize,
    /// The twin's RSRP, dBm.
    pub sim_rsrp_dbm: f64,
    /// After correction, dBm.
    pub rsrp_dbm: f64,
    /// Prediction interval, dBm.
    pub lo_dbm: f64,
    /// Prediction interval, dBm.
    pub hi_dbm: f64,
}

impl Calibrator {
    /// Corrections (dB, to add to the twin's RSRP) for row-major feature rows.
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        let d = self.spec.len();
        let mut out = vec![0.0f32; x.len() / d.max(1)];
        out.par_chunks_mut(4096).enumerate().for_each(|(c, chunk)| {
            let (mut a, mut b, mut row) =
                (Vec::with_capacity(128), Vec::with_capacity(128), vec![0.0f32; d]);
            for (k, o) in chunk.iter_mut().enumerate() {
                let r = c * 4096 + k;
                self.normalizer.apply_row(&x[r * d..(r + 1) * d], &mut row);
                *o = self.native.eval(&row, &mut a, &mut b) * self.normalizer.target_std
                    + self.normalizer.target_mean;
            }
        });
        out
    }

    /// Corrected RSRP at `points` (scene metres), served by `serving` cells or else by the twin's
    /// best server; `None` where the twin predicts no signal or the point is indoors.
    pub fn correct(
        &self,
        twin: &Twin<'_>,
        points: &[(f64, f64)],
        serving: Option<&[usize]>,
        time_s: Option<f64>,
    ) -> Result<Vec<Option<Corrected>>, LearnedError> {
        let expected = FeatureSpec::new(twin.cells);
        if let Some(detail) = self.spec.difference(&expected) {
            return Err(LearnedError::FeatureMismatch {
                dir: PathBuf::from("(calibrator)"),
                detail,
            });
        }
        let table = twin.links(points)?;
        let d = self.spec.len();
        let mut x = Vec::with_capacity(points.len() * d);
        let mut kept = Vec::new();
        for (p, &pt) in points.iter().enumerate() {
            let s = match serving {
                Some(s) => s.get(p).copied(),
                None => twin.best_server(&table, p),
            };
            let Some(s) = s.filter(|&s| s < twin.cells.len()) else { continue };
            if table.indoor[p] || !twin.sim_rsrp_dbm(&table, p, s).is_finite() {
                continue;
            }
            twin.features_into(&table, p, pt, s, time_s, &mut x);
            kept.push((p, s));
        }
        let corr = self.predict(&x);
        let mut out = vec![None; points.len()];
        for ((p, s), c) in kept.into_iter().zip(corr) {
            let half = if table.get(p, s).los >= 0.5 {
                self.interval.los_db
            } else {
                self.interval.nlos_db
            };
            let sim = twin.sim_rsrp_dbm(&table, p, s);
            let r = sim + f64::from(c);
            out[p] = Some(Corrected {
                cell: s,
                sim_rsrp_dbm: sim,
                rsrp_dbm: r,
                lo_dbm: r - half,
                hi_dbm: r + half,
            });
        }
        Ok(out)
    }

    /// Loads the model in `dir`, checking that it takes the features `expected`.
    pub fn load(dir: &Path, expected: &FeatureSpec) -> Result<Calibrator, LearnedError> {
        let (_, model, normalizer, spec, metrics) =
            load_dir(dir, expected, &crate::Backend::default().device()?)?;
        let half = |name: &str| {
            metrics
                .evaluation
                .interval_groups
                .iter()
                .find(|g| g.name == name)
                .map(|g| g.half_width_db)
                .ok_or_else(|| LearnedError::Model {
                    dir: dir.to_path_buf(),
                    reason: format!("metrics.json has no {name} interval"),
                })
        };
        Ok(Calibrator {
            spec,
            normalizer,
            native: model.to_native()?,
            interval: Interval {
                level: metrics.evaluation.interval_level,
                los_db: half("los")?,
                nlos_db: half("nlos")?,
            },
        })
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str) -> Result<T, LearnedError> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| LearnedError::Model {
        dir: dir.to_path_buf(),
        reason: format!("{name}: {e}"),
    })?;
    serde_json::from_str(&text)
        .map_err(|e| LearnedError::Model { dir: dir.to_path_buf(), reason: format!("{name}: {e}") })
}

fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<(), LearnedError> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value).map_err(|e| LearnedError::io(&path, e))?;
    std::fs::write(&path, text).map_err(|e| LearnedError::io(&path, e))
}

/// Checks that `out` can receive a model directory: it has a name, and it is absent or an older
/// model directory (never some other directory or file, which saving would replace). Returns the
/// name.
pub fn check_output(out: &Path) -> Result<&str, LearnedError> {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| LearnedError::Config(format!("{}: not a directory name", out.display())))?;
    if out.exists() && !out.join("features.json").is_file() {
        return Err(LearnedError::Config(format!(
            "{} exists and is not a model directory; choose another output",
            out.display()
        )));
    }
    Ok(name)
}

/// Everything a model directory holds, written through the workspace's atomic directory writer:
/// an older model at `out` is replaced only once the new one is complete.
#[allow(clippy::too_many_arguments)]
pub fn save_dir(
    out: &Path,
    model: &Mlp,
    mlp: &MlpConfig,
    training: &TrainingConfig,
    spec: &FeatureSpec,
    normalizer: &Normalizer,
    metrics: &ModelMetrics,
) -> Result<(), LearnedError> {
    check_output(out)?;
    twin_format::fsio::write_dir(out, Existing::Replace, |tmp| -> Result<(), LearnedError> {
        model
            .clone()
            .into_record()
            .save(tmp.join("model.bpk"))
            .map_err(|e| LearnedError::io(&tmp.join("model.bpk"), e))?;
        mlp.save(tmp.join("mlp.json")).map_err(|e| LearnedError::io(&tmp.join("mlp.json"), e))?;
        training
            .save(tmp.join("training.json"))
            .map_err(|e| LearnedError::io(&tmp.join("training.json"), e))?;
        write_json(tmp, "features.json", spec)?;
        write_json(tmp, "normalization.json", normalizer)?;
        write_json(tmp, "metrics.json", metrics)
    })
}

/// Reads a model directory: config, weights on `device`, normalisation, features, metrics.
pub fn load_dir(
    dir: &Path,
    expected: &FeatureSpec,
    device: &Device,
) -> Result<(MlpConfig, Mlp, Normalizer, FeatureSpec, ModelMetrics), LearnedError> {
    if !dir.is_dir() {
        return Err(LearnedError::Model {
            dir: dir.to_path_buf(),
            reason: "no such model directory".into(),
        });
    }
    let spec: FeatureSpec = read_json(dir, "features.json")?;
    if let Some(detail) = spec.difference(expected) {
        return Err(LearnedError::FeatureMismatch { dir: dir.to_path_buf(), detail });
    }
    let mlp: MlpConfig = read_json(dir, "mlp.json")?;
    let normalizer: Normalizer = read_json(dir, "normalization.json")?;
    if normalizer.mean.len() != spec.len() || normalizer.std.len() != spec.len() {
        return Err(LearnedError::Model {
            dir: dir.to_path_buf(),
            reason: "normalization.json does not match features.json".into(),
        });
    }
    let metrics: ModelMetrics = read_json(dir, "metrics.json")?;
    let record = ModuleRecord::load(dir.join("model.bpk")).map_err(|e| LearnedError::Model {
        dir: dir.to_path_buf(),
        reason: format!("model.bpk: {e}"),
    })?;
    let model = mlp.init(spec.len(), device, 0).try_load_record(record).map_err(|e| {
        LearnedError::Model {
            dir: dir.to_path_buf(),
            reason: format!("model.bpk does not fit mlp.json: {e}"),
        }
    })?;
    Ok((mlp, model, normalizer, spec, metrics))
}
