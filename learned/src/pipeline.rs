//! The calibration run: split a dataset, train, calibrate the intervals (cross-conformal over
//! the folds), evaluate on held-out data, and save.

use std::path::Path;
use std::time::Instant;

use burn::prelude::Device;

use crate::Backend;
use crate::artifact::{Calibrator, Interval, ModelMetrics, SplitRows, check_output, save_dir};
use crate::dataset::{Dataset, Split, SplitConfig, split};
use crate::error::LearnedError;
use crate::features::FeatureSpec;
use crate::metrics::{
    CellEvaluation, ErrorStats, Evaluation, IntervalGroup, conformal_half_width, coverage,
};
use crate::model::{Mlp, MlpConfig, Normalizer, TrainingConfig, train, train_fixed};

/// Settings of a calibration.
#[derive(Debug, Clone)]
pub struct CalibrationOptions {
    /// How rows are divided.
    pub split: SplitConfig,
    /// The network.
    pub mlp: MlpConfig,
    /// Its training.
    pub training: TrainingConfig,
    /// Prediction-interval level (0.9 for 90 %).
    pub interval_level: f64,
    /// Where to train.
    pub backend: Backend,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions {
            split: SplitConfig::default(),
            mlp: MlpConfig::new(),
            training: TrainingConfig::new(),
            interval_level: 0.9,
            backend: Backend::default(),
        }
    }
}

/// A finished calibration.
#[derive(Debug, Clone)]
pub struct CalibrationRun {
    /// The features.
    pub spec: FeatureSpec,
    /// The network's shape.
    pub mlp: MlpConfig,
    /// The training settings.
    pub training: TrainingConfig,
    /// The trained network (plain device).
    pub model: Mlp,
    /// Its normalisation.
    pub normalizer: Normalizer,
    /// The rows of each role.
    pub split: Split,
    /// History, split sizes and held-out evaluation.
    pub metrics: ModelMetrics,
    /// The correction, ready to apply.
    pub calibrator: Calibrator,
}

/// [`calibrate`], then [`CalibrationRun::save`] into `out`: the whole command. An output that
/// could not be written is refused before training starts, and a run that fails at any step
/// leaves `out` as it was (absent, or the previous model).
pub fn calibrate_into(
    ds: &Dataset,
    opts: &CalibrationOptions,
    out: &Path,
    progress: impl FnMut(usize, f64, f64),
) -> Result<CalibrationRun, LearnedError> {
    check_output(out)?;
    let run = calibrate(ds, opts, progress)?;
    run.save(out)?;
    Ok(run)
}

impl CalibrationRun {
    /// Saves the model directory (atomically; see [`crate::artifact`]).
    pub fn save(&self, dir: &Path) -> Result<(), LearnedError> {
        save_dir(
            dir,
            &self.model,
            &self.mlp,
            &self.training,
            &self.spec,
            &self.normalizer,
            &self.metrics,
        )
    }
}

fn errors(rows: &[usize], target: &[f32], pred: Option<&[f32]>) -> Vec<f64> {
    rows.iter().map(|&r| f64::from(target[r]) - pred.map_or(0.0, |p| f64::from(p[r]))).collect()
}

/// Trains and evaluates a correction on `ds`. `progress` gets (epoch, training loss, validation
/// RMSE in dB) after every epoch of the final model.
///
/// The final model trains on folds 1.. and stops early on fold 0. The intervals are
/// cross-conformal: for every fold, a model with the same settings trains on the other folds for
/// as many epochs as the final model kept, and its absolute errors on its own fold are pooled;
/// the half-width is the conformal quantile of those out-of-fold errors, per line-of-sight group.
/// Every non-test block thus calibrates the interval, which a single small calibration set of a
/// few blocks cannot do reliably when errors vary from block to block. The test set is touched
/// only for the evaluation.
pub fn calibrate(
    ds: &Dataset,
    opts: &CalibrationOptions,
    progress: impl FnMut(usize, f64, f64),
) -> Result<CalibrationRun, LearnedError> {
    if !(opts.interval_level > 0.0 && opts.interval_level < 1.0) {
        return Err(LearnedError::Config(format!(
            "interval level {} must be in (0, 1)",
            opts.interval_level
        )));
    }
    let s = split(ds, &opts.split)?;
    let device = opts.backend.device()?;
    let t0 = Instant::now();
    let train_rows = s.train();
    let (model, normalizer, history) = train(
        &opts.mlp,
        &opts.training,
        &ds.x,
        &ds.target,
        ds.width(),
        &train_rows,
        s.valid(),
        &device,
        progress,
    )?;
    let training_s = t0.elapsed().as_secs_f64();
    let oof = out_of_fold_errors(ds, opts, &s, &device, history.best_epoch + 1)?;
    let conformal_s = t0.elapsed().as_secs_f64() - training_s;
    let mut calibrator = Calibrator {
        spec: ds.spec.clone(),
        normalizer: normalizer.clone(),
        native: model.to_native()?,
        interval: Interval { level: opts.interval_level, los_db: 0.0, nlos_db: 0.0 },
    };
    let pred = calibrator.predict(&ds.x);
    let intervals = calibrate_intervals(ds, &s, &oof, &pred, opts.interval_level)?;
    calibrator.interval.los_db = intervals.los_db;
    calibrator.interval.nlos_db = intervals.nlos_db;
    let evaluation = evaluate(ds, &s, &pred, opts.interval_level, intervals);
    let metrics = ModelMetrics {
        split_rows: SplitRows {
            train: train_rows.len(),
            valid: s.valid().len(),
            test: s.test.len(),
            folds: s.folds.iter().map(Vec::len).collect(),
        },
        split: opts.split,
        history,
        evaluation,
        training_s,
        conformal_s,
    };
    Ok(CalibrationRun {
        spec: ds.spec.clone(),
        mlp: opts.mlp.clone(),
        training: opts.training.clone(),
        model,
        normalizer,
        split: s,
        metrics,
        calibrator,
    })
}

/// Out-of-fold errors, row by row (NaN for test rows): for every fold, a model trained on the
/// other folds for `epochs` epochs predicts the fold's rows.
fn out_of_fold_errors(
    ds: &Dataset,
    opts: &CalibrationOptions,
    s: &Split,
    device: &Device,
    epochs: usize,
) -> Result<Vec<f64>, LearnedError> {
    let fixed = opts.training.clone().with_max_epochs(epochs);
    let mut oof = vec![f64::NAN; ds.len()];
    for (k, fold) in s.folds.iter().enumerate() {
        let (m, norm, _) =
            train_fixed(&opts.mlp, &fixed, &ds.x, &ds.target, ds.width(), &s.all_but(k), device)?;
        let c = Calibrator {
            spec: ds.spec.clone(),
            normalizer: norm,
            native: m.to_native()?,
            interval: Interval::default(),
        };
        let pred = c.predict(&ds.x);
        for &r in fold {
            oof[r] = f64::from(ds.target[r] - pred[r]);
        }
    }
    Ok(oof)
}

/// The calibrated intervals and how they did on the test rows.
#[derive(Debug)]
struct IntervalCalibration {
    /// Half-width in line of sight, dB.
    los_db: f64,
    /// Half-width without line of sight, dB.
    nlos_db: f64,
    /// Per group, the line-of-sight one first.
    groups: Vec<IntervalGroup>,
    /// Test rows inside their group's interval.
    covered: usize,
}

/// The interval half-widths per line-of-sight group, from the out-of-fold errors `oof`, and
/// their coverage of the test rows predicted as `pred`.
fn calibrate_intervals(
    ds: &Dataset,
    s: &Split,
    oof: &[f64],
    pred: &[f32],
    level: f64,
) -> Result<IntervalCalibration, LearnedError> {
    // Intervals per line-of-sight group: residuals spread differently with and without it.
    let los_col = ds
        .spec
        .names
        .iter()
        .position(|n| n == "los")
        .ok_or_else(|| LearnedError::Training("no los feature".into()))?;
    let d = ds.width();
    let is_los = |r: usize| ds.x[r * d + los_col] >= 0.5;
    let calibration: Vec<usize> = (0..ds.len()).filter(|&r| oof[r].is_finite()).collect();
    let mut out = IntervalCalibration { los_db: 0.0, nlos_db: 0.0, groups: Vec::new(), covered: 0 };
    for (name, los) in [("los", true), ("nlos", false)] {
        let cal: Vec<f64> =
            calibration.iter().filter(|&&r| is_los(r) == los).map(|&r| oof[r]).collect();
        let test: Vec<usize> = s.test.iter().copied().filter(|&r| is_los(r) == los).collect();
        let half = if cal.len() < MIN_GROUP {
            // Too few points of the group for a stable quantile: all points calibrate it.
            conformal_half_width(&calibration.iter().map(|&r| oof[r]).collect::<Vec<_>>(), level)?
        } else {
            conformal_half_width(&cal, level)?
        };
        let test_errors = errors(&test, &ds.target, Some(pred));
        out.covered += test_errors.iter().filter(|e| e.abs() <= half).count();
        if los {
            out.los_db = half;
        } else {
            out.nlos_db = half;
        }
        out.groups.push(IntervalGroup {
            name: name.into(),
            half_width_db: half,
            calibration_points: cal.len(),
            test_points: test.len(),
            test_coverage: coverage(&test_errors, half),
        });
    }
    Ok(out)
}

/// The test rows' errors before and after the correction `pred`, overall and per serving cell,
/// with the intervals' coverage.
fn evaluate(
    ds: &Dataset,
    s: &Split,
    pred: &[f32],
    level: f64,
    intervals: IntervalCalibration,
) -> Evaluation {
    let before = errors(&s.test, &ds.target, None);
    let after = errors(&s.test, &ds.target, Some(pred));
    let per_cell = ds
        .spec
        .cells
        .iter()
        .enumerate()
        .filter_map(|(c, id)| {
            let rows: Vec<usize> = s.test.iter().copied().filter(|&r| ds.serving[r] == c).collect();
            (!rows.is_empty()).then(|| CellEvaluation {
                cell: id.clone(),
                before: ErrorStats::of(&errors(&rows, &ds.target, None)),
                after: ErrorStats::of(&errors(&rows, &ds.target, Some(pred))),
            })
        })
        .collect();
    Evaluation {
        before: ErrorStats::of(&before),
        after: ErrorStats::of(&after),
        per_cell,
        interval_level: level,
        interval_groups: intervals.groups,
        interval_coverage: intervals.covered as f64 / s.test.len().max(1) as f64,
    }
}

/// Fewest out-of-fold points a line-of-sight group needs for its own interval.
const MIN_GROUP: usize = 100;
