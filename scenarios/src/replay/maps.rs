//! The radio stage's world: the scene, the analysis grid over the sites, the ray tracer (or the
//! empirical model without a scene), and the coverage maps of cells, computed once per cell
//! configuration and shared by every variant of a run.
//!
//! A map is keyed by the content hash of what a cell's path gain depends on (position, antenna,
//! frequency), so a variant that re-tilts one cell traces that cell alone and a power change
//! traces nothing (path gain does not depend on power).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use radio::propagation::empirical::EmpiricalTracer;
use radio::propagation::{CoverageMap, TraceConfig};
use radio::{Cell, Grid, Propagation, RadioError, Scene};
use sha2::{Digest, Sha256};

use super::ReplayOptions;
use super::cache::{CacheReport, CoverageCache};
use crate::error::ScenarioError;
use crate::scenario::{Plan, grid_extent, load_scene, scene_bounds};

/// Path gain of one cell on the grid, dB (−∞ where nothing arrives or indoors).
#[derive(Debug, Clone, PartialEq)]
pub struct CellMap {
    /// Per grid point.
    pub path_gain_db: Vec<f32>,
}

/// A cache entry: computed once, by whichever variant asks first.
type MapSlot = Arc<OnceLock<Result<Arc<CellMap>, Arc<RadioError>>>>;

/// The content hash of what a cell's path gain depends on.
pub fn radio_key(cell: &Cell) -> String {
    let tx = cell.transmitter();
    let text = format!("{:?}|{:?}|{}", tx.position, tx.antenna, tx.freq_hz);
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The analysis grid: the sites' extent plus `GRID_MARGIN_M`, clipped to the scene (the
/// extent validation checks positions against).
fn analysis_grid(plan: &Plan, scene: Option<&Scene>) -> Result<Grid, ScenarioError> {
    let extent = grid_extent(&plan.inventory.sites, scene.map(scene_bounds))
        .ok_or(ScenarioError::SitesOutsideScene)?;
    let cell_m = plan.grid_cell_m;
    let nx = ((extent.x_max_m - extent.x_min_m) / cell_m).ceil() as usize;
    let ny = ((extent.y_max_m - extent.y_min_m) / cell_m).ceil() as usize;
    Ok(Grid::new(extent.x_min_m, extent.y_min_m, cell_m, nx, ny, 1.5)?)
}

/// What computes the coverage maps: a ray tracer over the scene, or, without one, the
/// empirical model on open ground.
enum Executor {
    Traced(Arc<dyn Propagation + Send + Sync>),
    Empirical(EmpiricalTracer),
}

/// The scene, grid, tracer and coverage maps of a run.
pub(crate) struct RadioModel {
    /// The scene, if the scenario has one.
    pub(crate) scene: Option<Scene>,
    /// The analysis grid.
    pub(crate) grid: Grid,
    /// Outdoor flags of the grid points.
    pub(crate) outdoor: Vec<bool>,
    executor: Executor,
    trace: TraceConfig,
    maps: Mutex<BTreeMap<String, MapSlot>>,
    /// The persistent cache, if the run has one.
    disk: Option<CoverageCache>,
    /// What the persistent cache did.
    report: Mutex<CacheReport>,
    /// Which tracer and why, with what a map takes on its device.
    pub(crate) notice: String,
}

impl RadioModel {
    /// Loads the scene, lays the grid and chooses the tracer (only a scene needs one).
    pub(crate) fn new(plan: &Plan, opts: &ReplayOptions) -> Result<RadioModel, ScenarioError> {
        let scene = load_scene(plan)?;
        let grid = analysis_grid(plan, scene.as_ref())?;
        let outdoor = match &scene {
            Some(sc) => (0..grid.len())
                .map(|i| {
                    let p = grid.point(i);
                    sc.dsm().height_at(p.x, p.y) <= 0.5
                })
                .collect(),
            None => vec![true; grid.len()],
        };
        let trace =
            TraceConfig { rays: opts.rays, max_depth: opts.max_depth, ..TraceConfig::default() };
        let (executor, notice) = match &scene {
            Some(sc) => {
                let chosen = radio::select(opts.backend)?;
                let mut notice = chosen.notice;
                if let Some(m) = chosen.tracer.memory_estimate(sc, &grid, &trace) {
                    notice.push_str(&format!("; {m}"));
                }
                (Executor::Traced(chosen.tracer), notice)
            }
            None => (
                // The analysis grid stands 1.5 m above open ground, the model's receivers.
                Executor::Empirical(EmpiricalTracer::default()),
                "radio backend: none (no scene: the TR 38.901 UMa model)".into(),
            ),
        };
        let tracer = match &executor {
            Executor::Traced(t) => t.name(),
            Executor::Empirical(_) => "tr38901-uma",
        };
        let disk = match &opts.cache {
            Some(s) => Some(CoverageCache::open(s.clone(), scene.as_ref(), &grid, tracer, &trace)?),
            None => None,
        };
        Ok(RadioModel {
            scene,
            grid,
            outdoor,
            executor,
            trace,
            maps: Mutex::new(BTreeMap::new()),
            disk,
            report: Mutex::new(CacheReport::default()),
            notice,
        })
    }

    /// Distinct coverage maps traced so far (not read from the persistent cache).
    pub(crate) fn maps_traced(&self) -> usize {
        let used = self.maps.lock().map_or(0, |m| m.len());
        used.saturating_sub(self.cache_report().hits)
    }

    /// What the persistent cache did so far.
    pub(crate) fn cache_report(&self) -> CacheReport {
        *self.report.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Trims the persistent cache to its limit.
    pub(crate) fn trim_cache(&self) -> Result<usize, ScenarioError> {
        let Some(disk) = &self.disk else { return Ok(0) };
        let evicted = disk.trim()?;
        self.report.lock().unwrap_or_else(|e| e.into_inner()).evicted += evicted;
        Ok(evicted)
    }

    /// The map of `cell` from the persistent cache, or traced (and stored there).
    fn cached_or_computed(&self, cell: &Cell, key: &str) -> Result<CellMap, RadioError> {
        let count =
            |f: fn(&mut CacheReport)| f(&mut self.report.lock().unwrap_or_else(|e| e.into_inner()));
        let Some(disk) = &self.disk else { return self.compute(cell) };
        if let Some(path_gain_db) = disk.get(key, self.grid.len()) {
            count(|r| r.hits += 1);
            return Ok(CellMap { path_gain_db });
        }
        let map = self.compute(cell)?;
        match disk.put(key, &map.path_gain_db) {
            Ok(()) => count(|r| r.writes += 1),
            Err(_) => count(|r| r.failed_writes += 1),
        }
        Ok(map)
    }

    /// The coverage map of `cell`, from the cache or computed.
    pub(crate) fn map(&self, cell: &Cell) -> Result<Arc<CellMap>, ScenarioError> {
        let key = radio_key(cell);
        let slot = {
            let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
            maps.entry(key.clone()).or_default().clone()
        };
        let shared = |r: &Result<Arc<CellMap>, Arc<RadioError>>| {
            r.clone().map_err(|source| ScenarioError::Coverage { cell: cell.id.clone(), source })
        };
        // Never trace inside `get_or_init`: the tracer runs on rayon, and a worker waiting there
        // may pick up another job that asks for the same slot and would then wait on itself. Two
        // threads may trace the same configuration at once; the maps are identical and the first
        // one stored wins.
        if let Some(done) = slot.get() {
            return shared(done);
        }
        let computed = self.cached_or_computed(cell, &key).map(Arc::new).map_err(Arc::new);
        shared(slot.get_or_init(|| computed))
    }

    /// The maps of a state's active cells (`None` for a cell switched off).
    pub(crate) fn maps_of(
        &self,
        cells: &[Cell],
        active: &[bool],
    ) -> Result<Vec<Option<Arc<CellMap>>>, ScenarioError> {
        cells
            .iter()
            .zip(active)
            .map(|(c, &a)| if a { self.map(c).map(Some) } else { Ok(None) })
            .collect()
    }

    fn compute(&self, cell: &Cell) -> Result<CellMap, RadioError> {
        let tx = cell.transmitter();
        let path_gain_db =
            match (&self.executor, &self.scene) {
                (Executor::Traced(tracer), Some(scene)) => {
                    let m: CoverageMap = tracer.coverage(scene, &tx, &self.grid, &self.trace)?;
                    (0..self.grid.len())
                        .map(|i| {
                            if m.outdoor[i] { m.path_gain_db(i) as f32 } else { f32::NEG_INFINITY }
                        })
                        .collect()
                }
                (Executor::Empirical(e), _) => {
                    e.grid_path_gain_db(&tx, &self.grid).into_iter().map(|g| g as f32).collect()
                }
                (Executor::Traced(_), None) => {
                    return Err(RadioError::InvalidConfig("a ray tracer needs a scene".into()));
                }
            };
        Ok(CellMap { path_gain_db })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::scenario::SceneSource;
    use crate::testing::small_plan;

    #[test]
    fn without_a_scene_the_maps_are_the_empirical_executors_and_are_cached() {
        let mut plan = small_plan();
        plan.scene = SceneSource::None;
        let model = RadioModel::new(&plan, &ReplayOptions::default()).unwrap();
        assert!(model.notice.contains("no scene"), "{}", model.notice);
        assert!(model.outdoor.iter().all(|&o| o), "open ground everywhere");
        let cell = &plan.inventory.cells[0];
        let map = model.map(cell).unwrap();
        let tx = cell.transmitter();
        let e = EmpiricalTracer::default();
        for i in [0, model.grid.len() / 2, model.grid.len() - 1] {
            let expected = e.path_gain_db(&tx, &model.grid.point(i)) as f32;
            assert_eq!(map.path_gain_db[i], expected, "point {i}");
        }
        // The same cell again is the cached map; a re-tilted one is another.
        assert!(Arc::ptr_eq(&map, &model.map(cell).unwrap()));
        let mut tilted = cell.clone();
        tilted.antenna.orientation.mech_tilt_deg += 4.0;
        assert_ne!(radio_key(&tilted), radio_key(cell));
        assert_eq!(model.maps_traced(), 1);
        model.map(&tilted).unwrap();
        assert_eq!(model.maps_traced(), 2);
    }
}
