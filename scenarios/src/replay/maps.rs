//! The radio stage's world: the scene, the analysis grid over the sites, the ray tracer (or the
//! empirical model without a scene), and the coverage maps of cells, computed once per cell
//! configuration and shared by every variant of a run.
//!
//! A map is keyed by the content hash of what a cell's path gain depends on (position, antenna,
//! frequency), so a variant that re-tilts one cell traces that cell alone and a power change
//! traces nothing (path gain does not depend on power).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use radio::propagation::{CoverageMap, TraceConfig};
use radio::{Cell, CpuTracer, Grid, Propagation, RadioError, Scene};
use sha2::{Digest, Sha256};

use super::ReplayOptions;
use crate::error::ScenarioError;
use crate::scenario::{Plan, load_scene};

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

/// The analysis grid: the sites' extent plus 300 m, clipped to the scene.
fn analysis_grid(plan: &Plan, scene: Option<&Scene>) -> Result<Grid, ScenarioError> {
    let (mut x0, mut y0, mut x1, mut y1) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for s in &plan.inventory.sites {
        x0 = x0.min(s.x_m - 300.0);
        y0 = y0.min(s.y_m - 300.0);
        x1 = x1.max(s.x_m + 300.0);
        y1 = y1.max(s.y_m + 300.0);
    }
    if let Some(sc) = scene {
        let b = sc.bounds();
        x0 = x0.max(f64::from(b.min[0]));
        y0 = y0.max(f64::from(b.min[1]));
        x1 = x1.min(f64::from(b.max[0]));
        y1 = y1.min(f64::from(b.max[1]));
    }
    let cell_m = plan.grid_cell_m;
    if !(x1 > x0 && y1 > y0) {
        return Err(ScenarioError::SitesOutsideScene);
    }
    let nx = ((x1 - x0) / cell_m).ceil() as usize;
    let ny = ((y1 - y0) / cell_m).ceil() as usize;
    Ok(Grid::new(x0, y0, cell_m, nx, ny, 1.5)?)
}

/// The scene, grid, tracer and coverage maps of a run.
pub(crate) struct RadioModel {
    /// The scene, if the scenario has one.
    pub(crate) scene: Option<Scene>,
    /// The analysis grid.
    pub(crate) grid: Grid,
    /// Outdoor flags of the grid points.
    pub(crate) outdoor: Vec<bool>,
    tracer: Arc<dyn Propagation + Send + Sync>,
    trace: TraceConfig,
    maps: Mutex<BTreeMap<String, MapSlot>>,
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
        let (tracer, notice): (Arc<dyn Propagation + Send + Sync>, String) = match &scene {
            Some(sc) => {
                let chosen = radio::select(opts.backend)?;
                let mut notice = chosen.notice;
                if let Some(m) = chosen.tracer.memory_estimate(sc, &grid, &trace) {
                    notice.push_str(&format!("; {m}"));
                }
                (chosen.tracer, notice)
            }
            None => (
                Arc::new(CpuTracer),
                "radio backend: none (no scene: the TR 38.901 UMa model)".into(),
            ),
        };
        Ok(RadioModel {
            scene,
            grid,
            outdoor,
            tracer,
            trace,
            maps: Mutex::new(BTreeMap::new()),
            notice,
        })
    }

    /// Distinct coverage maps computed so far.
    pub(crate) fn maps_traced(&self) -> usize {
        self.maps.lock().map_or(0, |m| m.len())
    }

    /// The coverage map of `cell`, from the cache or computed.
    pub(crate) fn map(&self, cell: &Cell) -> Result<Arc<CellMap>, ScenarioError> {
        let slot = {
            let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
            maps.entry(radio_key(cell)).or_default().clone()
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
        let computed = self.compute(cell).map(Arc::new).map_err(Arc::new);
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
        match &self.scene {
            Some(scene) => {
                let m: CoverageMap =
                    self.tracer.coverage(scene, &cell.transmitter(), &self.grid, &self.trace)?;
                Ok(CellMap {
                    path_gain_db: (0..self.grid.len())
                        .map(|i| {
                            if m.outdoor[i] { m.path_gain_db(i) as f32 } else { f32::NEG_INFINITY }
                        })
                        .collect(),
                })
            }
            None => {
                let model = radio::propagation::empirical::EmpiricalModel {
                    scenario: radio::propagation::empirical::Scenario::UMa,
                };
                let tx = cell.transmitter();
                Ok(CellMap {
                    path_gain_db: (0..self.grid.len())
                        .map(|i| {
                            let p = self.grid.point(i);
                            let d = p - tx.position;
                            let d2 = (d.x * d.x + d.y * d.y).sqrt().max(10.0);
                            let pl =
                                model.expected_path_loss_db(d2, tx.position.z, p.z, tx.freq_hz);
                            (tx.antenna.gain_dbi(&d.normalize()) - pl) as f32
                        })
                        .collect(),
                })
            }
        }
    }
}
