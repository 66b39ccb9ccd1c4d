//! The learned correction in a replay, and the training set behind `twin calibrate` (feature
//! `calibrate`, which builds the `learned` crate and burn).
//!
//! A model directory from `twin calibrate` (or `learned`'s calibrate example) predicts, for a
//! point served by a cell, how far the twin's RSRP is from what a drive test measures there. The
//! replay applies it where a scenario names one (`calibration = "model"`): in every state of every
//! variant, each served grid point's RSRP and SINR are shifted by the predicted correction of its
//! serving cell (the interference is the twin's), the spectral efficiency follows the corrected
//! SINR, and the serving thresholds are applied after the correction, so a correction can win or
//! lose coverage. Which cell serves a point stays the twin's choice.
//!
//! The model's features are those it was trained on (`learned::features`): the serving link's
//! geometry, line of sight, interactions and obstruction, traced point by point once per cell
//! configuration and grid point and cached; the neighbours' path gains come from the replay's own
//! coverage maps. The time-of-day features are off (a state spans many hours). A cell the model
//! does not know (a site added by a variant) gets the network-wide part of the correction: its
//! one-hot column is all zero.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;

use learned::artifact::Calibrator;
use learned::features::{FeatureSpec, Link, LinkTable, Twin};
use radio::kpi::KpiConfig;
use radio::{Cell, Grid, Scene};
use rayon::prelude::*;

use crate::error::ScenarioError;
use crate::scenario::Plan;

/// A loaded correction with its cache of traced serving links.
pub struct Correction {
    calibrator: Calibrator,
    /// Features before the per-cell one-hot.
    n_base: usize,
    /// The model's cells, by identifier, to their one-hot column.
    cell_column: HashMap<String, usize>,
    /// Serving links by cell radio key, then grid point.
    links: RwLock<HashMap<String, HashMap<usize, Link>>>,
    /// Reflections traced for the serving links.
    max_depth: u32,
}

impl std::fmt::Debug for Correction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Correction")
            .field("features", &self.calibrator.spec.len())
            .field("cells", &self.cell_column.len())
            .finish_non_exhaustive()
    }
}

impl Correction {
    /// Loads the model the scenario names, checking that it was trained for the scenario's
    /// inventory (the same cells, the same feature list).
    pub fn load(plan: &Plan, max_depth: u32) -> Result<Option<Correction>, ScenarioError> {
        let Some(model) = &plan.calibration else { return Ok(None) };
        let expected = FeatureSpec::new(&plan.inventory.cells);
        let calibrator = Calibrator::load(&model.path, &expected)?;
        let spec = &calibrator.spec;
        let n_base = spec.len() - spec.cells.len();
        let cell_column = spec.cells.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        Ok(Some(Correction {
            calibrator,
            n_base,
            cell_column,
            links: RwLock::new(HashMap::new()),
            max_depth,
        }))
    }

    /// Corrections, dB, for the points `served` = (grid point, serving cell index into `cells`)
    /// given every cell's path gain on the grid (`path_gain(cell, point)`, dB).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn corrections(
        &self,
        scene: Option<&Scene>,
        grid: &Grid,
        kpi: &KpiConfig,
        cells: &[Cell],
        keys: &[String],
        served: &[(usize, usize)],
        path_gain: &(dyn Fn(usize, usize) -> f64 + Sync),
    ) -> Result<Vec<f64>, ScenarioError> {
        let mut twin = Twin::new(scene, cells);
        twin.kpi = *kpi;
        twin.trace.max_depth = self.max_depth;
        // Trace the serving links not yet cached, per serving cell.
        let mut by_cell: HashMap<usize, Vec<usize>> = HashMap::new();
        {
            let cache = self.links.read().unwrap_or_else(|e| e.into_inner());
            for &(p, c) in served {
                if !cache.get(&keys[c]).is_some_and(|m| m.contains_key(&p)) {
                    by_cell.entry(c).or_default().push(p);
                }
            }
        }
        let mut groups: Vec<(usize, Vec<usize>)> = by_cell.into_iter().collect();
        groups.sort();
        let traced: Vec<(usize, Vec<(usize, Link)>)> = groups
            .par_iter()
            .map(|(c, points)| {
                let one = std::slice::from_ref(&cells[*c]);
                let mut t = Twin::new(scene, one);
                t.kpi = *kpi;
                t.trace.max_depth = self.max_depth;
                let xy: Vec<(f64, f64)> = points
                    .iter()
                    .map(|&p| {
                        let q = grid.point(p);
                        (q.x, q.y)
                    })
                    .collect();
                let table = t.links(&xy)?;
                Ok((*c, points.iter().enumerate().map(|(i, &p)| (p, *table.get(i, 0))).collect()))
            })
            .collect::<Result<_, ScenarioError>>()?;
        if !traced.is_empty() {
            let mut cache = self.links.write().unwrap_or_else(|e| e.into_inner());
            for (c, links) in traced {
                cache.entry(keys[c].clone()).or_default().extend(links);
            }
        }
        // The served links, copied out so that no lock is held while rayon works (a worker
        // waiting on the pool may run another replay that wants the write lock).
        let served_links: Vec<Option<Link>> = {
            let cache = self.links.read().unwrap_or_else(|e| e.into_inner());
            served
                .iter()
                .map(|&(p, s)| cache.get(&keys[s]).and_then(|m| m.get(&p)).copied())
                .collect()
        };
        // Feature rows, with the one-hot of the model's cells.
        let m = cells.len();
        let d = self.calibrator.spec.len();
        let rows: Vec<Vec<f32>> = served
            .par_iter()
            .zip(&served_links)
            .map(|(&(p, s), cached)| {
                let mut links: Vec<Link> = (0..m)
                    .map(|c| Link { path_gain_db: path_gain(c, p), ..Link::unreached() })
                    .collect();
                if let Some(l) = cached {
                    links[s] = Link { path_gain_db: path_gain(s, p), ..*l };
                }
                let table = LinkTable {
                    n_points: 1,
                    n_cells: m,
                    links,
                    indoor: vec![false],
                    ray_traced: scene.is_some(),
                };
                let q = grid.point(p);
                let mut x = Vec::with_capacity(self.n_base + m);
                twin.features_into(&table, 0, (q.x, q.y), s, None, &mut x);
                x.truncate(self.n_base);
                x.resize(d, 0.0);
                if let Some(&col) = self.cell_column.get(&cells[s].id) {
                    x[self.n_base + col] = 1.0;
                }
                x
            })
            .collect();
        let flat: Vec<f32> = rows.concat();
        Ok(self.calibrator.predict(&flat).into_iter().map(f64::from).collect())
    }
}

/// What `twin calibrate` is given besides the scenario.
#[derive(Debug, Clone)]
pub struct CalibrateInputs {
    /// Measurement CSV.
    pub measurements: PathBuf,
    /// Column mapping (`field=column[:conversion]` entries, see `docs/learned.md`).
    pub map: learned::measurements::ColumnMap,
    /// Import settings.
    pub import: learned::measurements::ImportOptions,
    /// Reflections traced for the features.
    pub max_depth: u32,
}

/// Builds the training set for the scenario's network (its scene and inventory) from measured
/// RSRP: the twin's prediction and context at every measured point, and the residual target.
pub fn dataset(
    plan: &Plan,
    scene: Option<&Scene>,
    inputs: &CalibrateInputs,
) -> Result<(learned::dataset::Dataset, learned::measurements::ImportReport), ScenarioError> {
    let mut options = inputs.import.clone();
    options.origin = options.origin.or(plan.inventory.origin);
    let mut imported = learned::measurements::import(&inputs.measurements, &inputs.map, &options)?;
    let mut twin = Twin::new(scene, &plan.inventory.cells);
    twin.trace.max_depth = inputs.max_depth;
    let ds = learned::dataset::Dataset::build(&twin, &imported.rows, &mut imported.report)?;
    Ok((ds, imported.report))
}

/// A synthetic drive test of the scenario's network, for trying and testing calibration: at each
/// outdoor point of `points` (scene metres) the twin's best server and its RSRP, passed through
/// `measure(x, y, twin_rsrp_dbm)`, which returns what the drive test reads (`None` drops the
/// point). Returns the measurement CSV (`x_m,y_m,cell_id,rsrp_dbm`, the column names
/// `twin calibrate` reads without a mapping) and its number of rows.
pub fn synthetic_drive_test(
    plan: &Plan,
    scene: Option<&Scene>,
    points: &[(f64, f64)],
    mut measure: impl FnMut(f64, f64, f64) -> Option<f64>,
) -> Result<(String, usize), ScenarioError> {
    use std::fmt::Write as _;
    let twin = Twin::new(scene, &plan.inventory.cells);
    let table = twin.links(points)?;
    let mut csv = String::from("x_m,y_m,cell_id,rsrp_dbm\n");
    let mut rows = 0;
    for (p, &(x, y)) in points.iter().enumerate() {
        if table.indoor[p] {
            continue;
        }
        let Some(s) = twin.best_server(&table, p) else { continue };
        let Some(measured) = measure(x, y, twin.sim_rsrp_dbm(&table, p, s)) else { continue };
        let _ = writeln!(csv, "{x:.3},{y:.3},{},{measured:.2}", plan.inventory.cells[s].id);
        rows += 1;
    }
    Ok((csv, rows))
}

/// [`super::calibrate`] in a build with the learned layer.
pub(super) fn calibrate(
    plan: &Plan,
    req: &super::CalibrateRequest,
    observer: &dyn crate::Observer,
    on_epoch: &mut dyn FnMut(usize, f64, f64),
) -> Result<super::CalibrateOutcome, ScenarioError> {
    use learned::dataset::{SplitConfig, SplitKind};
    use learned::measurements::{ColumnMap, ImportOptions};
    use learned::pipeline::{CalibrationOptions, calibrate_into};
    let mut map = ColumnMap::new();
    if let Some(f) = &req.map_file {
        map = map.merged(&ColumnMap::from_file(f)?);
    }
    for m in &req.map {
        map = map.merged(&ColumnMap::parse(m)?);
    }
    learned::artifact::check_output(&req.out)?;
    let inputs = CalibrateInputs {
        measurements: req.measurements.clone(),
        map,
        import: ImportOptions { drop_invalid: req.drop_invalid, ..ImportOptions::default() },
        max_depth: req.max_depth,
    };
    let scene = crate::scenario::load_scene(plan)?;
    let (ds, report) = dataset(plan, scene.as_ref(), &inputs)?;
    observer.notice(&format!("measurements: {report}"));
    observer.notice(&format!("features: {} rows × {} features", ds.len(), ds.width()));
    let kind = match req.split {
        super::Split::Spatial { block_m } => SplitKind::SpatialBlocks { block_m },
        super::Split::Time => SplitKind::Time,
        super::Split::Random => SplitKind::Random,
    };
    let defaults = CalibrationOptions::default();
    let opts = CalibrationOptions {
        split: SplitConfig { kind, seed: req.seed, ..defaults.split },
        training: defaults.training.clone().with_max_epochs(req.epochs).with_seed(req.seed),
        interval_level: req.level,
        backend: match req.backend {
            super::TrainBackend::NdArray => learned::Backend::NdArray,
            super::TrainBackend::Flex => learned::Backend::Flex,
            super::TrainBackend::Wgpu => learned::Backend::Wgpu,
        },
        ..defaults
    };
    let run = calibrate_into(&ds, &opts, &req.out, on_epoch)?;
    let eval = &run.metrics.evaluation;
    Ok(super::CalibrateOutcome {
        rows: ds.len(),
        table: eval.table(),
        evaluation: serde_json::to_value(eval).map_err(ScenarioError::Encode)?,
    })
}
