//! Datasets (features and residual targets of measurements) and splits that avoid leakage.
//!
//! Neighbouring measurements share shadowing and clutter, so a random split of rows puts near
//! copies of test points in the training set and flatters the model. The default split assigns
//! whole spatial blocks (grid tiles of `block_m`) to the held-out test set or to one of `folds`
//! folds; fold 0 is the validation set of the final model (early stopping) and every fold gives
//! out-of-fold residuals for the conformal intervals (see [`crate::pipeline`]). A time split
//! holds out the newest rows and cuts the rest into consecutive periods. Random rows are offered
//! for comparison only.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use sim_core::RngStreams;

use crate::error::LearnedError;
use crate::features::{FeatureSpec, Twin};
use crate::measurements::{ImportReport, Measurement};

/// Measurements turned into features and targets.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The features, in column order.
    pub spec: FeatureSpec,
    /// Row-major features, `n × spec.len()`.
    pub x: Vec<f32>,
    /// Measured minus simulated RSRP, dB.
    pub target: Vec<f32>,
    /// The twin's RSRP of the serving cell, dBm.
    pub sim_rsrp_dbm: Vec<f64>,
    /// Measured RSRP, dBm.
    pub measured_rsrp_dbm: Vec<f64>,
    /// Serving cell (index into the inventory).
    pub serving: Vec<usize>,
    /// Scene position of each row.
    pub points: Vec<(f64, f64)>,
    /// Time of each row, seconds since 1970 UTC.
    pub time_s: Vec<Option<f64>>,
    /// The measurement line each row came from.
    pub lines: Vec<usize>,
}

impl Dataset {
    /// Rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// True with no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.spec.len()
    }

    /// Computes features for `rows` with `twin`, dropping (and counting in `report`) rows served
    /// by a cell the inventory lacks, inside a building of the scene, or where the twin predicts
    /// no signal from the serving cell.
    pub fn build(
        twin: &Twin<'_>,
        rows: &[Measurement],
        report: &mut ImportReport,
    ) -> Result<Dataset, LearnedError> {
        let spec = FeatureSpec::new(twin.cells);
        let points: Vec<(f64, f64)> = rows.iter().map(|m| (m.x_m, m.y_m)).collect();
        let table = twin.links(&points)?;
        let d = spec.len();
        let mut ds = Dataset {
            spec,
            x: Vec::with_capacity(rows.len() * d),
            target: Vec::new(),
            sim_rsrp_dbm: Vec::new(),
            measured_rsrp_dbm: Vec::new(),
            serving: Vec::new(),
            points: Vec::new(),
            time_s: Vec::new(),
            lines: Vec::new(),
        };
        let ids: BTreeMap<&str, usize> =
            twin.cells.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        for (p, m) in rows.iter().enumerate() {
            let Some(measured) = m.rsrp_dbm else {
                report.drop("without RSRP");
                continue;
            };
            if table.indoor[p] {
                report.drop("inside a building of the scene");
                continue;
            }
            let serving = match &m.cell_id {
                Some(id) => match ids.get(id.as_str()) {
                    Some(&i) => i,
                    None => {
                        report.drop("served by a cell not in the inventory");
                        continue;
                    }
                },
                None => match twin.best_server(&table, p) {
                    Some(i) => i,
                    None => {
                        report.drop("where the twin predicts no signal");
                        continue;
                    }
                },
            };
            let sim = twin.sim_rsrp_dbm(&table, p, serving);
            if !sim.is_finite() {
                report.drop("where the twin predicts no signal from the serving cell");
                continue;
            }
            twin.features_into(&table, p, points[p], serving, m.time_s, &mut ds.x);
            ds.target.push((measured - sim) as f32);
            ds.sim_rsrp_dbm.push(sim);
            ds.measured_rsrp_dbm.push(measured);
            ds.serving.push(serving);
            ds.points.push(points[p]);
            ds.time_s.push(m.time_s);
            ds.lines.push(m.line);
        }
        report.kept = ds.len();
        if ds.is_empty() {
            return Err(LearnedError::Config(format!(
                "no measurement is usable for training ({report})"
            )));
        }
        Ok(ds)
    }
}

/// How rows are divided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SplitKind {
    /// Whole square tiles of this edge (metres) go to one role.
    SpatialBlocks {
        /// Tile edge, metres.
        block_m: f64,
    },
    /// Oldest rows train, newest rows test.
    Time,
    /// Rows at random (leaks spatial correlation into the test set; for comparison).
    Random,
}

/// Split settings: the kind, the share of rows held out for testing and the number of folds
/// the other rows are dealt into.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    /// The kind.
    pub kind: SplitKind,
    /// Share held out for evaluation.
    pub test: f64,
    /// Folds of the remaining rows (at least 3): fold 0 validates the final model, all of them
    /// calibrate the intervals.
    pub folds: usize,
    /// Seed of the assignment.
    pub seed: u64,
}

impl Default for SplitConfig {
    /// Spatial blocks of 100 m; 20 % test; 5 folds.
    fn default() -> Self {
        SplitConfig {
            kind: SplitKind::SpatialBlocks { block_m: 100.0 },
            test: 0.20,
            folds: 5,
            seed: 1,
        }
    }
}

/// Row indices of each role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Held-out rows.
    pub test: Vec<usize>,
    /// The other rows, dealt into folds by whole units (blocks, periods or rows).
    pub folds: Vec<Vec<usize>>,
}

impl Split {
    /// Rows the final model trains on: every fold but the first.
    pub fn train(&self) -> Vec<usize> {
        self.all_but(0)
    }

    /// Rows that stop the final model's training early: fold 0.
    pub fn valid(&self) -> &[usize] {
        self.folds.first().map_or(&[], Vec::as_slice)
    }

    /// Rows of every fold but `k`, sorted.
    pub fn all_but(&self, k: usize) -> Vec<usize> {
        let mut rows: Vec<usize> = self
            .folds
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != k)
            .flat_map(|(_, f)| f.iter().copied())
            .collect();
        rows.sort_unstable();
        rows
    }
}

/// Divides the rows of `ds`.
pub fn split(ds: &Dataset, cfg: &SplitConfig) -> Result<Split, LearnedError> {
    if !(cfg.test > 0.0 && cfg.test <= 0.5) {
        return Err(LearnedError::Config(format!("test share {} must be in (0, 0.5]", cfg.test)));
    }
    if !(3..=20).contains(&cfg.folds) {
        return Err(LearnedError::Config(format!("{} folds: use 3 to 20", cfg.folds)));
    }
    let n = ds.len();
    let rng = RngStreams::new(cfg.seed);
    // Units that go to one role together, in the order they are dealt.
    let units: Vec<Vec<usize>> = match cfg.kind {
        SplitKind::SpatialBlocks { block_m } => {
            if !(block_m > 0.0 && block_m.is_finite()) {
                return Err(LearnedError::Config(format!(
                    "block size {block_m} m must be positive"
                )));
            }
            let mut blocks: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
            for (i, &(x, y)) in ds.points.iter().enumerate() {
                blocks
                    .entry(((x / block_m).floor() as i64, (y / block_m).floor() as i64))
                    .or_default()
                    .push(i);
            }
            let mut units: Vec<Vec<usize>> = blocks.into_values().collect();
            let needed = 2 * (cfg.folds + 1);
            if units.len() < needed {
                return Err(LearnedError::Config(format!(
                    "the measurements fall in {} blocks of {block_m} m; a spatial split into a test set and {} folds needs at least {needed} (use smaller blocks)",
                    units.len(),
                    cfg.folds
                )));
            }
            units.shuffle(&mut rng.stream("blocks"));
            units
        }
        SplitKind::Time => {
            let mut rows: Vec<(f64, usize)> = Vec::with_capacity(n);
            for (i, t) in ds.time_s.iter().enumerate() {
                let t = t.ok_or_else(|| {
                    LearnedError::Config(format!(
                        "row from line {} has no time; a time split needs every row's",
                        ds.lines[i]
                    ))
                })?;
                rows.push((t, i));
            }
            rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            // Newest first: the test set is the latest period, fold 0 (validation) the one before.
            rows.reverse();
            rows.into_iter().map(|(_, i)| vec![i]).collect()
        }
        SplitKind::Random => {
            let mut rows: Vec<usize> = (0..n).collect();
            rows.shuffle(&mut rng.stream("rows"));
            rows.into_iter().map(|i| vec![i]).collect()
        }
    };
    // The test set takes units until it holds its share; the rest are cut into `folds` runs of
    // consecutive units with about equal rows (consecutive periods for a time split).
    let mut s = Split { test: Vec::new(), folds: vec![Vec::new(); cfg.folds] };
    let test_rows = cfg.test * n as f64;
    let mut units = units.into_iter().peekable();
    while s.test.len() as f64 + 0.5 * units.peek().map_or(0, Vec::len) as f64 <= test_rows {
        match units.next() {
            Some(u) => s.test.extend(u),
            None => break,
        }
    }
    let rest: Vec<Vec<usize>> = units.collect();
    let rest_rows: usize = rest.iter().map(Vec::len).sum();
    let mut dealt = 0usize;
    for unit in rest {
        // The fold whose share of the remaining rows the unit's middle falls into.
        let mid = dealt as f64 + 0.5 * unit.len() as f64;
        let k = ((mid / rest_rows.max(1) as f64) * cfg.folds as f64).floor() as usize;
        dealt += unit.len();
        s.folds[k.min(cfg.folds - 1)].extend(unit);
    }
    s.test.sort_unstable();
    for f in &mut s.folds {
        f.sort_unstable();
    }
    if s.test.is_empty() || s.folds.iter().any(Vec::is_empty) {
        return Err(LearnedError::Config(format!(
            "{n} rows are too few to split into a test set and {} folds",
            cfg.folds
        )));
    }
    Ok(s)
}
