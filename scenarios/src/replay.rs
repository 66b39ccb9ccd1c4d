//! The replay engine: the history of a [`Plan`] through the twin, for the baseline and each
//! variant, interval by interval.
//!
//! Per variant, the timeline is cut into *states*: spans of intervals in which the network does
//! not change. For each state:
//!
//! * **radio**: a coverage map per active cell on the analysis grid, from a cache keyed by the
//!   content of the cell's transmitter (position, antenna, frequency) and shared by all variants,
//!   so a variant that re-tilts one cell traces that cell alone and a power change traces nothing
//!   (path gain does not depend on power). Without a scene, the TR 38.901 UMa model stands in.
//!   Each grid point gets its best server, RSRP and SINR ([`radio::kpi::serving`]).
//! * **serving**: each cell's baseline traffic is spread over the outdoor grid points it serves
//!   in the baseline at the window's start (its served area; a cell that wins no point takes the
//!   points where it is within 3 dB of the best), in proportion to the scenario's demand density
//!   layer, or evenly without one (or where the layer has no sample in a cell's area); in a
//!   state, every point's share goes to whichever cell now serves it (none where no cell reaches
//!   −120 dBm RSRP or the SINR is below −6 dB). A cell's capacity is its bandwidth times the mean
//!   spectral efficiency of the points it serves (weighted by the demand density layer where
//!   there is one); PRB utilisation is its demand over that capacity, and demand above it is
//!   unserved.
//! * **transport**: each site's carried traffic (downlink plus uplink) is a demand from the node it
//!   is homed to towards the core (the first node of role core); the flow-level max-min model
//!   allocates every interval, with link failures, restorations and capacity changes applied.
//! * **settlement**: the settlement load is priced with the state's rate cards and partners,
//!   netted per month, and the settlement system runs with the timeline's mode changes.
//!
//! * **busy intervals**: the `busy_intervals` intervals with the highest link utilisation are
//!   simulated packet by packet (Poisson packets at each site's rate on the interval's topology,
//!   `packet_seconds` of it), for delay percentiles and loss that the fluid model cannot give.
//!
//! Variants run in parallel (rayon); each is a pure function of the plan, so results do not depend
//! on the number of threads.
//!
//! * **learned correction** (feature `calibrate`): where the scenario names a calibration model,
//!   every served point's RSRP and SINR are corrected in every state before the serving
//!   thresholds apply ([`crate::calibration`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use radio::kpi::{KpiConfig, serving};
use radio::propagation::{CoverageMap, TraceConfig};
use radio::{Cell, CpuTracer, Grid, Propagation, Scene};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use transport::flow::{Demand, FlowModel};
use transport::routing::{Metric, Routing};
use transport::topology::{NodeId, Role, Topology};

use crate::error::ScenarioError;
use crate::scenario::{Operation, Plan, parse_instant};
use crate::settlement::{
    Micros, RateBook, RateCard, SettlementMode, SystemReport, net_positions, price,
    simulate_system_schedule,
};

/// Settings of the replay that are not part of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// Rays per coverage map.
    pub rays: u64,
    /// Reflections traced.
    pub max_depth: u32,
    /// Weakest RSRP that serves, dBm.
    pub min_rsrp_dbm: f64,
    /// Weakest SINR that serves, dB.
    pub min_sinr_db: f64,
    /// Share of the time interfering cells transmit (0 to 1).
    pub interference_load: f64,
    /// Intervals per variant (the busiest by link utilisation) also simulated packet by packet.
    pub busy_intervals: usize,
    /// Simulated seconds of each busy interval (after a tenth as much warm-up): a stationary
    /// sample of the interval's rates, not the whole interval.
    pub packet_seconds: f64,
    /// The ray tracer for coverage maps (auto: a hardware GPU if there is one, else the CPU).
    pub backend: radio::Backend,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            rays: 20_000,
            max_depth: 2,
            min_rsrp_dbm: -120.0,
            min_sinr_db: -6.0,
            interference_load: 0.5,
            busy_intervals: 2,
            packet_seconds: 1.0,
            backend: radio::Backend::Auto,
        }
    }
}

/// Path gain of one cell on the grid, dB (−∞ where nothing arrives or indoors).
#[derive(Debug, Clone, PartialEq)]
pub struct CellMap {
    /// Per grid point.
    pub path_gain_db: Vec<f32>,
}

/// A cache entry: computed once, by whichever variant asks first.
type MapSlot = Arc<OnceLock<Result<Arc<CellMap>, String>>>;

/// One grid point of a map: best server (if it serves), RSRP dBm, SINR dB.
pub type MapPoint = (Option<usize>, f32, f32);

/// One grid point in a state: best server (if it serves), RSRP dBm, SINR dB, bit/s/Hz.
type PointServing = (Option<usize>, f32, f32, f32);

/// Coverage maps by content hash, shared by all variants of a run.
#[derive(Debug, Default)]
pub struct RadioCache {
    maps: Mutex<BTreeMap<String, MapSlot>>,
}

impl RadioCache {
    /// Distinct maps computed so far.
    pub fn len(&self) -> usize {
        self.maps.lock().map_or(0, |m| m.len())
    }

    /// Whether nothing was computed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The content hash of what a cell's path gain depends on.
fn radio_key(cell: &Cell) -> String {
    let tx = cell.transmitter();
    let text = format!("{:?}|{:?}|{}", tx.position, tx.antenna, tx.freq_hz);
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What a variant's network looks like during a span of intervals.
#[derive(Debug, Clone)]
struct State {
    from: usize,
    cells: Vec<Cell>,
    active: Vec<bool>,
    /// Site index of each cell (sites added by variants come after the inventory's).
    site_of: Vec<usize>,
    homing: Vec<String>,
    topology: Topology,
    /// Traffic factor per baseline cell and yearly growth: (factor, growth, since interval).
    scale: Vec<Vec<(f64, f64, usize)>>,
    partners_removed: BTreeSet<String>,
    partners_added: BTreeSet<String>,
    rates: Vec<RateCard>,
    mode: SettlementMode,
}

/// Per-interval network KPIs of one variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkSeries {
    /// Share of outdoor grid points served, per interval.
    pub coverage: Vec<f64>,
    /// Mean PRB utilisation of active cells.
    pub mean_prb_util: Vec<f64>,
    /// Highest PRB utilisation of a cell.
    pub max_prb_util: Vec<f64>,
    /// Traffic not served (no coverage or over capacity) over offered traffic.
    pub unserved_share: Vec<f64>,
    /// Highest link utilisation.
    pub max_link_util: Vec<f64>,
    /// Mean backhaul delay of the site demands (weighted by rate), ms.
    pub mean_delay_ms: Vec<f64>,
    /// Settlement records waiting at the interval's end.
    pub settlement_backlog: Vec<u64>,
}

/// One cell's traffic in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CellKpi {
    /// Downlink bytes offered to the cell.
    pub dl_bytes: f64,
    /// PRB utilisation (may exceed 1: demand above capacity).
    pub prb_util: f64,
    /// Bytes not carried (over capacity).
    pub unserved_bytes: f64,
}

/// Everything a variant's replay produced.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantResult {
    /// "baseline" or the variant's name.
    pub name: String,
    /// Cell identifiers (the inventory's, then any added).
    pub cells: Vec<String>,
    /// `cell_kpis[interval * cells.len() + cell]`.
    pub cell_kpis: Vec<CellKpi>,
    /// Link names.
    pub links: Vec<String>,
    /// `link_util[interval * links.len() + link]`.
    pub link_util: Vec<f32>,
    /// Network series.
    pub series: NetworkSeries,
    /// Net positions per month: (period, carrier, position in micro-units).
    pub positions: Vec<(String, String, Micros)>,
    /// Settlement system behaviour.
    pub system: SystemReport,
    /// States the timeline cut the window into.
    pub states: usize,
    /// The busiest intervals simulated packet by packet.
    pub busy: Vec<BusyInterval>,
    /// Each state's serving map and network, for the viewer's layers ([`crate::view`]).
    pub state_views: Vec<crate::view::StateView>,
}

impl VariantResult {
    /// The serving map of the last state (the baseline's at the window's start; a variant's
    /// after its last change): (best cell, RSRP dBm, SINR dB) per grid point.
    pub fn last_map(&self) -> Vec<MapPoint> {
        self.state_views.last().map_or_else(Vec::new, |v| {
            v.map.iter().map(|p| (p.best.map(|b| b as usize), p.rsrp_dbm, p.sinr_db)).collect()
        })
    }
}

/// A busy interval simulated packet by packet: Poisson packets (1 000 bytes mean, exponential)
/// at each site's carried rate, from its homing node to the core, on the interval's topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusyInterval {
    /// Interval index.
    pub interval: usize,
    /// The flow model's busiest link utilisation in it.
    pub flow_max_link_util: f64,
    /// Median packet delay over all sites' packets, ms.
    pub delay_p50_ms: f64,
    /// 99th percentile of the same, ms.
    pub delay_p99_ms: f64,
    /// Lost over sent packets.
    pub loss: f64,
    /// Packets simulated.
    pub packets: u64,
}

/// What every variant starts from.
#[derive(Debug)]
struct Baseline {
    /// (point, inventory cell, weight): where each cell's recorded traffic is, weights of a cell
    /// summing to 1.
    ownership: Vec<(usize, usize, f64)>,
    /// Downlink bytes per interval and inventory cell, `dl[k * cells + c]`.
    dl: Vec<f64>,
    /// Uplink bytes, likewise.
    ul: Vec<f64>,
    /// The demand density layer on the grid (sum of the weights falling in each point; empty
    /// without a layer).
    density: Vec<f64>,
}

/// The scene `plan` names: the procedural city, a Mitsuba XML or a GeoJSON file; `None`
/// without one (the empirical model).
pub fn load_scene(plan: &Plan) -> Result<Option<Scene>, ScenarioError> {
    Ok(match plan.scenario.network.scene.as_deref() {
        None => None,
        Some("procedural") => Some(
            radio::scene::procedural::city(
                &plan.scenario.network.city.params(plan.scenario.seed),
                radio::SceneOptions::default(),
            )
            .map_err(|e| ScenarioError::Replay(e.to_string()))?
            .scene,
        ),
        Some(p) => {
            let path = plan.base.join(p);
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            Some(if ext == "xml" {
                radio::scene::mitsuba::load_with(&path, radio::SceneOptions::default())
                    .map_err(|e| ScenarioError::Replay(e.to_string()))?
            } else {
                radio::scene::geojson::load(
                    &path,
                    &radio::scene::geojson::GeoJsonOptions::default(),
                )
                .map_err(|e| ScenarioError::Replay(e.to_string()))?
                .scene
            })
        }
    })
}

/// The world shared by all variants: scene, grid, cache.
pub struct Replayer<'a> {
    plan: &'a Plan,
    scene: Option<Scene>,
    /// The analysis grid.
    pub grid: Grid,
    /// Outdoor flags of the grid points.
    pub outdoor: Vec<bool>,
    cache: RadioCache,
    tracer: Arc<dyn Propagation + Send + Sync>,
    backend_notice: String,
    baseline: OnceLock<Result<Arc<Baseline>, String>>,
    trace: TraceConfig,
    kpi: KpiConfig,
    opts: ReplayOptions,
    core: NodeId,
    interrupt: Option<&'a AtomicBool>,
    #[cfg(feature = "calibrate")]
    correction: Option<crate::calibration::Correction>,
}

impl<'a> Replayer<'a> {
    /// Prepares the replay of `plan`: loads the scene and lays the grid over the sites (with a
    /// margin) or the scene.
    pub fn new(
        plan: &'a Plan,
        opts: ReplayOptions,
        interrupt: Option<&'a AtomicBool>,
    ) -> Result<Replayer<'a>, ScenarioError> {
        let scene = load_scene(plan)?;
        // The grid: the sites' extent plus 300 m, clipped to the scene.
        let (mut x0, mut y0, mut x1, mut y1) =
            (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for s in &plan.inventory.sites {
            x0 = x0.min(s.x_m - 300.0);
            y0 = y0.min(s.y_m - 300.0);
            x1 = x1.max(s.x_m + 300.0);
            y1 = y1.max(s.y_m + 300.0);
        }
        if let Some(sc) = &scene {
            let b = sc.bounds();
            x0 = x0.max(f64::from(b.min[0]));
            y0 = y0.max(f64::from(b.min[1]));
            x1 = x1.min(f64::from(b.max[0]));
            y1 = y1.min(f64::from(b.max[1]));
        }
        let cell_m = plan.scenario.grid.cell_m;
        if !(x1 > x0 && y1 > y0) {
            return Err(ScenarioError::Replay("the sites lie outside the scene".into()));
        }
        let grid = Grid::new(
            x0,
            y0,
            cell_m,
            ((x1 - x0) / cell_m).ceil() as usize,
            ((y1 - y0) / cell_m).ceil() as usize,
            1.5,
        )
        .map_err(|e| ScenarioError::Replay(e.to_string()))?;
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
        // The tracer: only a scene needs one (without, the empirical model stands in).
        let (tracer, backend_notice): (Arc<dyn Propagation + Send + Sync>, String) = match &scene {
            Some(sc) => {
                let chosen = radio::propagation::select(opts.backend)
                    .map_err(|e| ScenarioError::Replay(e.to_string()))?;
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
        let core = plan
            .topology
            .node_ids()
            .into_iter()
            .find(|&n| plan.topology.node(n).is_ok_and(|x| x.role == Role::Core))
            .ok_or_else(|| {
                ScenarioError::Replay(
                    "the topology has no node of role core to carry traffic to".into(),
                )
            })?;
        Ok(Replayer {
            plan,
            scene,
            grid,
            outdoor,
            cache: RadioCache::default(),
            tracer,
            backend_notice,
            baseline: OnceLock::new(),
            trace,
            kpi: KpiConfig { interference_load: opts.interference_load, ..KpiConfig::default() },
            #[cfg(feature = "calibrate")]
            correction: crate::calibration::Correction::load(plan, opts.max_depth)?,
            opts,
            core,
            interrupt,
        })
    }

    /// Computes the baseline's coverage maps (the rest come as variants need them); returns how
    /// many there are. Optional: a run computes them anyway; this lets the time be measured apart.
    pub fn warm(&self) -> Result<usize, ScenarioError> {
        let base = &self.states(&[])?[0];
        base.cells.par_iter().map(|c| self.map(c).map(|_| ())).collect::<Result<Vec<()>, _>>()?;
        Ok(base.cells.len())
    }

    /// The timeline of the baseline (`None`, empty) or of a variant, as (first interval the
    /// operation applies to, operation): an operation applies from the first interval that starts
    /// at or after its time.
    fn variant_ops(
        &self,
        variant: Option<usize>,
    ) -> Result<Vec<(usize, Operation)>, ScenarioError> {
        let plan = self.plan;
        let Some(v) = variant else { return Ok(Vec::new()) };
        let step = i64::from(plan.scenario.window.interval_s);
        let var = plan
            .scenario
            .variants
            .get(v)
            .ok_or_else(|| ScenarioError::Replay(format!("no variant {v}")))?;
        Ok(var
            .timeline
            .iter()
            .map(|t| {
                let at = t.time.as_deref().and_then(parse_instant).unwrap_or(plan.start_s);
                let k = ((at - plan.start_s) + step - 1).div_euclid(step).max(0) as usize;
                (k.min(plan.intervals), t.op.clone())
            })
            .collect())
    }

    /// The serving map of the baseline (`None`) at the window's start, or of a variant after its
    /// last change: (best cell if it serves, RSRP dBm, SINR dB) per grid point, and the cells'
    /// identifiers.
    pub fn serving_map(
        &self,
        variant: Option<usize>,
    ) -> Result<(Vec<String>, Vec<MapPoint>), ScenarioError> {
        let ops = self.variant_ops(variant)?;
        let states = self.states(&ops)?;
        let last = states.last().ok_or_else(|| ScenarioError::Replay("no state".into()))?;
        let sv = self.serving(last)?;
        Ok((
            last.cells.iter().map(|c| c.id.clone()).collect(),
            sv.iter().map(|s| (s.0, s.1, s.2)).collect(),
        ))
    }

    /// The grid, its outdoor points and the scene, for the run directory's view data.
    pub fn geometry(&self) -> crate::view::RunGeometry<'_> {
        crate::view::RunGeometry {
            grid: &self.grid,
            outdoor: &self.outdoor,
            scene: self.scene.as_ref(),
        }
    }

    /// Which ray tracer computes the coverage maps and why, with what a map takes on its
    /// device (one line, for the log and the manifest).
    pub fn backend_notice(&self) -> &str {
        &self.backend_notice
    }

    /// Distinct coverage maps computed.
    pub fn maps_traced(&self) -> usize {
        self.cache.len()
    }

    fn map(&self, cell: &Cell) -> Result<Arc<CellMap>, ScenarioError> {
        let key = radio_key(cell);
        let slot = {
            let mut maps = self
                .cache
                .maps
                .lock()
                .map_err(|_| ScenarioError::Replay("radio cache poisoned".into()))?;
            maps.entry(key).or_default().clone()
        };
        // Never trace inside `get_or_init`: the tracer runs on rayon, and a worker waiting there
        // may pick up another job that asks for the same slot and would then wait on itself. Two
        // threads may trace the same configuration at once; the maps are identical and the first
        // one stored wins.
        if let Some(done) = slot.get() {
            return done.clone().map_err(ScenarioError::Replay);
        }
        let computed = self.compute_map(cell).map(Arc::new);
        slot.get_or_init(|| computed).clone().map_err(ScenarioError::Replay)
    }

    fn compute_map(&self, cell: &Cell) -> Result<CellMap, String> {
        match &self.scene {
            Some(scene) => {
                let m: CoverageMap = self
                    .tracer
                    .coverage(scene, &cell.transmitter(), &self.grid, &self.trace)
                    .map_err(|e| format!("cell {}: {e}", cell.id))?;
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

    /// Serving at every grid point in a state: (best cell, RSRP, SINR, spectral efficiency).
    fn serving(&self, state: &State) -> Result<Vec<PointServing>, ScenarioError> {
        let maps: Vec<Option<Arc<CellMap>>> = state
            .cells
            .iter()
            .zip(&state.active)
            .map(|(c, &a)| if a { self.map(c).map(Some) } else { Ok(None) })
            .collect::<Result<_, _>>()?;
        let n = self.grid.len();
        let cells = &state.cells;
        let mut out: Vec<PointServing> = (0..n)
            .into_par_iter()
            .map_init(
                || vec![f64::NEG_INFINITY; cells.len()],
                |pg, i| {
                    if !self.outdoor[i] {
                        return (None, f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0);
                    }
                    for (c, m) in maps.iter().enumerate() {
                        pg[c] =
                            m.as_ref().map_or(f64::NEG_INFINITY, |m| f64::from(m.path_gain_db[i]));
                    }
                    let s = serving(cells, pg, &self.kpi);
                    (s.best, s.rsrp_dbm as f32, s.sinr_db as f32, s.spectral_efficiency as f32)
                },
            )
            .collect();
        #[cfg(feature = "calibrate")]
        if let Some(corr) = &self.correction {
            let served: Vec<(usize, usize)> =
                out.iter().enumerate().filter_map(|(p, s)| s.0.map(|c| (p, c))).collect();
            let keys: Vec<String> = cells.iter().map(radio_key).collect();
            let gain = |c: usize, p: usize| {
                maps[c].as_ref().map_or(f64::NEG_INFINITY, |m| f64::from(m.path_gain_db[p]))
            };
            let delta = corr.corrections(
                self.scene.as_ref(),
                &self.grid,
                &self.kpi,
                cells,
                &keys,
                &served,
                &gain,
            )?;
            for (&(p, _), d) in served.iter().zip(delta) {
                let o = &mut out[p];
                o.1 += d as f32;
                o.2 += d as f32;
                o.3 = self.kpi.spectral_efficiency.bps_per_hz(f64::from(o.2)) as f32;
            }
        }
        for o in &mut out {
            let ok =
                f64::from(o.1) >= self.opts.min_rsrp_dbm && f64::from(o.2) >= self.opts.min_sinr_db;
            if !ok {
                o.0 = None;
            }
        }
        Ok(out)
    }

    /// What every variant starts from, built once per run (before the variants, by `run_all`).
    fn baseline(&self) -> Result<Arc<Baseline>, ScenarioError> {
        // As for the maps: computed outside `get_or_init` (it runs on rayon), stored once.
        if let Some(done) = self.baseline.get() {
            return done.clone().map_err(ScenarioError::Replay);
        }
        let computed = self.build_baseline();
        self.baseline.get_or_init(|| computed).clone().map_err(ScenarioError::Replay)
    }

    fn build_baseline(&self) -> Result<Arc<Baseline>, String> {
        let density = self.point_density();
        let ownership = self.ownership(&density).map_err(|e| e.to_string())?;
        let (n, intervals) = (self.plan.inventory.cells.len(), self.plan.intervals);
        let mut dl = vec![0.0f64; intervals * n];
        let mut ul = vec![0.0f64; intervals * n];
        for r in &self.plan.traffic {
            dl[r.interval * n + r.cell] = r.dl_bytes;
            ul[r.interval * n + r.cell] = r.ul_bytes;
        }
        Ok(Arc::new(Baseline { ownership, dl, ul, density }))
    }

    /// The demand density layer summed onto the grid points its samples fall in (empty without
    /// a layer; samples outside the grid are not counted).
    fn point_density(&self) -> Vec<f64> {
        if self.plan.density.is_empty() {
            return Vec::new();
        }
        let mut density = vec![0.0f64; self.grid.len()];
        for &(x, y, w) in &self.plan.density {
            if let Some(i) = self.grid.cell_of(x, y) {
                density[i] += w;
            }
        }
        density
    }

    /// Where each inventory cell's traffic is: the outdoor points it serves in the baseline at the
    /// window's start, weighted by the demand density layer (evenly without one). A cell that serves no point (it never wins against its
    /// neighbours on the grid) spreads its traffic over the points where its RSRP is within 3 dB
    /// of the best server's, or else over its 50 strongest points, so that no traffic recorded for
    /// it is lost. Returns (point, cell, weight) with each cell's weights summing to 1 (cells
    /// whose map reaches no outdoor point at all keep no entry and their traffic counts as not
    /// served).
    fn ownership(&self, density: &[f64]) -> Result<Vec<(usize, usize, f64)>, ScenarioError> {
        let base = &self.states(&[])?[0];
        let sv = self.serving(base)?;
        let n_base = base.cells.len();
        let mut points: Vec<Vec<usize>> = vec![Vec::new(); n_base];
        for (p, s) in sv.iter().enumerate() {
            if let Some(b) = s.0 {
                points[b].push(p);
            }
        }
        for (c, pts) in points.iter_mut().enumerate() {
            if !pts.is_empty() {
                continue;
            }
            let map = self.map(&base.cells[c])?;
            let rsrp: Vec<(usize, f64)> = (0..self.grid.len())
                .filter(|&p| self.outdoor[p] && map.path_gain_db[p].is_finite())
                .map(|p| (p, base.cells[c].rsrp_dbm(f64::from(map.path_gain_db[p]))))
                .collect();
            let near: Vec<usize> = rsrp
                .iter()
                .filter(|(p, r)| *r >= f64::from(sv[*p].1) - 3.0)
                .map(|(p, _)| *p)
                .collect();
            *pts = if near.is_empty() {
                let mut strongest = rsrp;
                strongest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                strongest.into_iter().take(50).map(|(p, _)| p).collect()
            } else {
                near
            };
        }
        Ok(points
            .iter()
            .enumerate()
            .flat_map(|(c, ps)| {
                let total: f64 = ps.iter().filter_map(|&p| density.get(p)).sum();
                let uniform = 1.0 / ps.len().max(1) as f64;
                ps.iter().map(move |&p| {
                    // Weighted by density where the layer puts demand in the cell's area; evenly
                    // where it puts none there (no layer, or no sample in this area).
                    (p, c, if total > 0.0 { density[p] / total } else { uniform })
                })
            })
            .filter(|e| e.2 > 0.0)
            .collect())
    }

    /// The variant's states: the baseline's network with the timeline applied.
    fn states(&self, ops: &[(usize, Operation)]) -> Result<Vec<State>, ScenarioError> {
        let plan = self.plan;
        let base = State {
            from: 0,
            cells: plan.inventory.cells.clone(),
            active: vec![true; plan.inventory.cells.len()],
            site_of: plan
                .inventory
                .cells
                .iter()
                .map(|c| plan.inventory.sites.iter().position(|s| s.id == c.site_id).unwrap_or(0))
                .collect(),
            homing: plan.homing.clone(),
            topology: plan.topology.clone(),
            scale: vec![Vec::new(); plan.inventory.cells.len()],
            partners_removed: BTreeSet::new(),
            partners_added: BTreeSet::new(),
            rates: plan.rate_cards.clone(),
            mode: plan.scenario.settlement,
        };
        let mut states = vec![base];
        for (k, op) in ops {
            let mut s =
                states.last().cloned().ok_or_else(|| ScenarioError::Replay("no state".into()))?;
            s.from = *k;
            apply(&mut s, op, *k, plan).map_err(ScenarioError::Replay)?;
            if states.last().is_some_and(|l| l.from == *k) {
                states.pop();
            }
            states.push(s);
        }
        Ok(states)
    }

    /// Replays the baseline (`None`) or a variant (its index in the scenario).
    pub fn run_variant(
        &self,
        variant: Option<usize>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<VariantResult, ScenarioError> {
        let plan = self.plan;
        let step = i64::from(plan.scenario.window.interval_s);
        let ops = self.variant_ops(variant)?;
        let name =
            variant.map_or("baseline".to_string(), |v| plan.scenario.variants[v].name.clone());
        let states = self.states(&ops)?;
        let n_cells = states.last().map_or(0, |s| s.cells.len());
        let n_base = plan.inventory.cells.len();
        let intervals = plan.intervals;

        let base = self.baseline()?;
        let (ownership, dl, ul) = (&base.ownership, &base.dl, &base.ul);

        let links: Vec<String> = plan
            .topology
            .link_ids()
            .iter()
            .filter_map(|&l| plan.topology.link(l).ok().map(|x| x.name.clone()))
            .collect();
        let link_index: Vec<usize> =
            plan.topology.link_ids().iter().map(|l| l.0 as usize).collect();
        let mut cell_kpis = vec![
            CellKpi { dl_bytes: 0.0, prb_util: 0.0, unserved_bytes: 0.0 };
            intervals * n_cells
        ];
        let mut link_util = vec![0.0f32; intervals * links.len()];
        let mut series = NetworkSeries::default();
        let mut state_views = Vec::new();
        let interval_s = step as f64;
        // Per interval: the state and each site's carried rate, for the packet-level runs.
        let max_sites = states.last().map_or(0, |s| s.homing.len());
        let mut state_of = vec![0usize; intervals];
        let mut site_bps = vec![0.0f32; intervals * max_sites];

        for (si, state) in states.iter().enumerate() {
            let end = states.get(si + 1).map_or(intervals, |s| s.from);
            if state.from >= end {
                continue;
            }
            let sv = self.serving(state)?;
            state_views.push(crate::view::StateView::new(
                state.from,
                &state.cells,
                &state.active,
                &state.topology,
                &sv,
            ));
            // Where each baseline cell's traffic goes: shares per serving cell, and unserved.
            let mut share: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); n_base];
            let mut lost = vec![0.0f64; n_base];
            // Spectral efficiency per cell: the mean over the points it serves, weighted by
            // demand density where the layer puts demand in its area.
            let mut se_sum = vec![0.0f64; state.cells.len()];
            let mut se_n = vec![0usize; state.cells.len()];
            let mut se_wsum = vec![0.0f64; state.cells.len()];
            let mut se_w = vec![0.0f64; state.cells.len()];
            for (p, s) in sv.iter().enumerate() {
                if let Some(b) = s.0 {
                    se_sum[b] += f64::from(s.3);
                    se_n[b] += 1;
                    if let Some(&d) = base.density.get(p) {
                        se_wsum[b] += d * f64::from(s.3);
                        se_w[b] += d;
                    }
                }
            }
            for &(p, o, w) in ownership {
                match sv[p].0 {
                    Some(b) => *share[o].entry(b).or_default() += w,
                    None => lost[o] += w,
                }
            }
            let capacity_bps: Vec<f64> = (0..state.cells.len())
                .map(|c| {
                    if se_w[c] > 0.0 {
                        state.cells[c].bandwidth_hz * se_wsum[c] / se_w[c]
                    } else if se_n[c] > 0 {
                        state.cells[c].bandwidth_hz * se_sum[c] / se_n[c] as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            let covered =
                sv.iter().zip(&self.outdoor).filter(|(s, o)| **o && s.0.is_some()).count();
            let coverage =
                covered as f64 / self.outdoor.iter().filter(|o| **o).count().max(1) as f64;

            // Transport for this state: one demand per site with cells, towards the core.
            let topo = &state.topology;
            let routing = Routing::compute(topo, Metric::Delay);
            let n_sites = state.homing.len();
            let demands: Vec<Demand> = (0..n_sites)
                .map(|s| -> Result<Demand, ScenarioError> {
                    let src = topo.node_id(&state.homing[s]).ok_or_else(|| {
                        ScenarioError::Replay(format!("node {} vanished", state.homing[s]))
                    })?;
                    Ok(Demand { name: format!("site {s}"), src, dst: self.core })
                })
                .collect::<Result<_, _>>()?;
            let mut flow = FlowModel::new(topo, &routing, &demands)
                .map_err(|e| ScenarioError::Replay(e.to_string()))?;

            let mut load = vec![0.0f64; state.cells.len()];
            let mut offered_site = vec![0.0f64; n_sites];
            for k in state.from..end {
                if self.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                    return Err(ScenarioError::Interrupted);
                }
                load.iter_mut().for_each(|v| *v = 0.0);
                let mut ul_load = vec![0.0f64; state.cells.len()];
                let mut offered = 0.0;
                let mut unserved = 0.0;
                for c in 0..n_base {
                    let f = factor(&state.scale[c], k, interval_s);
                    let (d, u) = (dl[k * n_base + c] * f, ul[k * n_base + c] * f);
                    offered += d;
                    unserved += d * lost[c];
                    for (&b, &w) in &share[c] {
                        load[b] += d * w;
                        ul_load[b] += u * w;
                    }
                }
                offered_site.iter_mut().for_each(|v| *v = 0.0);
                let (mut util_sum, mut util_max, mut n_active) = (0.0f64, 0.0f64, 0usize);
                for c in 0..state.cells.len() {
                    let cap_bytes = capacity_bps[c] * interval_s / 8.0;
                    let util = if cap_bytes > 0.0 {
                        load[c] / cap_bytes
                    } else if load[c] > 0.0 {
                        f64::INFINITY
                    } else {
                        0.0
                    };
                    let over = (load[c] - cap_bytes).max(0.0);
                    unserved += over;
                    let carried = load[c] - over;
                    let carried_ul =
                        if load[c] > 0.0 { ul_load[c] * carried / load[c] } else { ul_load[c] };
                    offered_site[state.site_of[c]] += (carried + carried_ul) * 8.0 / interval_s;
                    if state.active[c] {
                        util_sum += util.min(10.0);
                        util_max = util_max.max(util.min(10.0));
                        n_active += 1;
                    }
                    cell_kpis[k * n_cells + c] =
                        CellKpi { dl_bytes: load[c], prb_util: util, unserved_bytes: over };
                }
                let alloc = flow
                    .allocate(&offered_site)
                    .map_err(|e| ScenarioError::Replay(e.to_string()))?;
                let mut max_link = 0.0f64;
                for (j, &li) in link_index.iter().enumerate() {
                    let u = alloc.link_utilisation.get(li).copied().unwrap_or(0.0);
                    link_util[k * links.len() + j] = u as f32;
                    max_link = max_link.max(u);
                }
                let (mut dsum, mut wsum) = (0.0, 0.0);
                for (d, &rate) in alloc.delivered_bps.iter().enumerate() {
                    let delay = alloc.demand_delay_s[d];
                    if rate > 0.0 && delay.is_finite() {
                        dsum += rate * delay;
                        wsum += rate;
                    }
                }
                series.coverage.push(coverage);
                series.mean_prb_util.push(util_sum / n_active.max(1) as f64);
                series.max_prb_util.push(util_max);
                series.unserved_share.push(if offered > 0.0 { unserved / offered } else { 0.0 });
                series.max_link_util.push(max_link);
                state_of[k] = si;
                for (i, &v) in offered_site.iter().enumerate() {
                    site_bps[k * max_sites + i] = v as f32;
                }
                series.mean_delay_ms.push(if wsum > 0.0 { 1e3 * dsum / wsum } else { 0.0 });
            }
            progress((end - state.from) as u64);
        }

        // Packet-level runs of the busiest intervals.
        let mut order: Vec<usize> = (0..series.max_link_util.len()).collect();
        order.sort_by(|&a, &b| {
            series.max_link_util[b].total_cmp(&series.max_link_util[a]).then(a.cmp(&b))
        });
        let mut busy = Vec::new();
        for &k in order.iter().take(self.opts.busy_intervals) {
            let state = &states[state_of[k]];
            busy.push(self.packet_interval(
                state,
                k,
                &site_bps[k * max_sites..(k + 1) * max_sites],
                series.max_link_util[k],
            )?);
        }
        busy.sort_by_key(|b| b.interval);

        // Settlement: usage per state's partners and rates; the system with the mode changes.
        let mut charges_all = Vec::new();
        let mut records = vec![0u64; intervals];
        for (si, state) in states.iter().enumerate() {
            let from_s = plan.start_s + step * state.from as i64;
            let to_s = states.get(si + 1).map_or(i64::MAX, |s| plan.start_s + step * s.from as i64);
            let usage: Vec<_> = plan
                .usage
                .iter()
                .filter(|u| u.start_s >= from_s && u.start_s < to_s)
                .filter(|u| {
                    !state.partners_removed.contains(&u.home)
                        && !state.partners_removed.contains(&u.visited)
                })
                .filter(|u| {
                    // A partner "added" by some variant counts only from then on.
                    !added_later(&states[si..], &u.home) && !added_later(&states[si..], &u.visited)
                })
                .cloned()
                .collect();
            for u in &usage {
                records[((u.start_s - plan.start_s) / step) as usize] += u.records;
            }
            if usage.is_empty() {
                continue;
            }
            let (charges, _currency) = price(&usage, &RateBook::new(&state.rates))?;
            charges_all.extend(charges);
        }
        // Charges of one period priced in two states are added before netting.
        let positions: Vec<(String, String, Micros)> = net_positions(&charges_all)
            .into_iter()
            .flat_map(|p| p.multilateral.into_iter().map(move |(c, v)| (p.period.clone(), c, v)))
            .collect();
        let modes: Vec<(usize, SettlementMode)> =
            states.iter().map(|s| (s.from, s.mode)).fold(Vec::new(), |mut v, m| {
                if v.last().is_none_or(|l: &(usize, SettlementMode)| l.1 != m.1) {
                    v.push(m);
                }
                v
            });
        let starts: Vec<i64> = (0..intervals).map(|k| plan.start_s + step * k as i64).collect();
        let system = simulate_system_schedule(&starts, interval_s, &records, &modes)?;
        series.settlement_backlog = system.backlog.clone();
        Ok(VariantResult {
            name,
            cells: states
                .last()
                .map(|s| s.cells.iter().map(|c| c.id.clone()).collect())
                .unwrap_or_default(),
            cell_kpis,
            links,
            link_util,
            series,
            positions,
            system,
            states: states.len(),
            busy,
            state_views,
        })
    }

    /// Simulates interval `k` of `state` packet by packet.
    fn packet_interval(
        &self,
        state: &State,
        k: usize,
        site_bps: &[f32],
        flow_util: f64,
    ) -> Result<BusyInterval, ScenarioError> {
        use sim_core::stats::Merge;
        use transport::packet::{FlowSpec, PacketConfig, PacketSize, Traffic, simulate};
        let mean_bytes = 1000.0;
        let mut flows = Vec::new();
        for (s, node) in state.homing.iter().enumerate() {
            let bps = f64::from(site_bps.get(s).copied().unwrap_or(0.0));
            if bps <= 0.0 {
                continue;
            }
            let src = state
                .topology
                .node_id(node)
                .ok_or_else(|| ScenarioError::Replay(format!("node {node} vanished")))?;
            if src == self.core {
                continue;
            }
            let traffic = Traffic::Poisson {
                rate_pps: bps / (8.0 * mean_bytes),
                size: PacketSize::Exponential { mean_bytes },
            };
            flows.push(FlowSpec::new(&format!("site {s}"), src, self.core, traffic));
        }
        let secs = |x: f64| {
            sim_core::SimDuration::from_secs_f64(x)
                .map_err(|e| ScenarioError::Replay(e.to_string()))
        };
        let config = PacketConfig {
            duration: secs(self.opts.packet_seconds)?,
            warmup: secs(self.opts.packet_seconds / 10.0)?,
            seed: self.plan.scenario.seed ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            metric: Metric::Delay,
            ..PacketConfig::default()
        };
        if flows.is_empty() {
            return Ok(BusyInterval {
                interval: k,
                flow_max_link_util: flow_util,
                delay_p50_ms: 0.0,
                delay_p99_ms: 0.0,
                loss: 0.0,
                packets: 0,
            });
        }
        let report = simulate(&state.topology, &flows, &config).map_err(|e| {
            ScenarioError::Replay(format!("packet simulation of interval {k}: {e}"))
        })?;
        let mut all = sim_core::stats::DurationHistogram::new();
        let (mut lost, mut sent) = (0u64, 0u64);
        for f in &report.flows {
            all.merge(&f.delay);
            lost += f.lost;
            sent += f.generated;
        }
        let q = |p: f64| if all.count() == 0 { 0.0 } else { 1e3 * all.quantile(p).as_secs_f64() };
        Ok(BusyInterval {
            interval: k,
            flow_max_link_util: flow_util,
            delay_p50_ms: q(0.5),
            delay_p99_ms: q(0.99),
            loss: if sent > 0 { lost as f64 / sent as f64 } else { 0.0 },
            packets: report.packets,
        })
    }

    /// Replays the baseline and every variant in parallel (results in scenario order).
    pub fn run_all(
        &self,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<VariantResult>, ScenarioError> {
        let jobs: Vec<Option<usize>> =
            std::iter::once(None).chain((0..self.plan.scenario.variants.len()).map(Some)).collect();
        // What every variant shares is built first, so that the variants do not all build it.
        self.baseline()?;
        jobs.par_iter().map(|&v| self.run_variant(v, progress)).collect()
    }
}

fn added_later(states: &[State], carrier: &str) -> bool {
    // The carrier is added at a later state but not yet in the current one.
    let now = states.first().is_some_and(|s| s.partners_added.contains(carrier));
    !now && states.iter().skip(1).any(|s| s.partners_added.contains(carrier))
}

/// The traffic factor at interval `k` from a cell's scale entries.
fn factor(entries: &[(f64, f64, usize)], k: usize, interval_s: f64) -> f64 {
    entries
        .iter()
        .map(|&(f, g, since)| {
            let years = (k.saturating_sub(since)) as f64 * interval_s / (365.0 * 86_400.0);
            f * (1.0 + g).powf(years)
        })
        .product()
}

fn link_ids_named(topo: &Topology, name: &str) -> Vec<transport::topology::LinkId> {
    let reverse = format!("{name} (reverse)");
    topo.link_ids()
        .into_iter()
        .filter(|&l| topo.link(l).is_ok_and(|x| x.name == name || x.name == reverse))
        .collect()
}

/// The antenna pointed anew.
fn reorient(
    a: &radio::Antenna,
    change: impl FnOnce(&mut radio::antenna::Orientation),
) -> Result<radio::Antenna, String> {
    let mut o = a.orientation;
    change(&mut o);
    radio::Antenna::new(a.pattern.clone(), a.polarization, o).map_err(|e| e.to_string())
}

/// Applies one operation to a state.
fn apply(s: &mut State, op: &Operation, k: usize, plan: &Plan) -> Result<(), String> {
    let cell = |s: &State, id: &str| {
        s.cells.iter().position(|c| c.id == id).ok_or_else(|| format!("unknown cell {id}"))
    };
    match op {
        Operation::SetTilt { cells, deg } => {
            for id in cells {
                let c = cell(s, id)?;
                s.cells[c].antenna = reorient(&s.cells[c].antenna, |o| o.mech_tilt_deg = *deg)?;
            }
        }
        Operation::SetAzimuth { cells, deg } => {
            for id in cells {
                let c = cell(s, id)?;
                s.cells[c].antenna = reorient(&s.cells[c].antenna, |o| o.azimuth_deg = *deg)?;
            }
        }
        Operation::SetPower { cells, dbm } => {
            for id in cells {
                let c = cell(s, id)?;
                s.cells[c].tx_power_dbm = *dbm;
            }
        }
        Operation::AddSite { site, x_m, y_m, like, node, height_m } => {
            let template = s.cells[cell(s, like)?].clone();
            let site_index = s.homing.len();
            s.homing.push(node.clone());
            for (i, az) in [0.0, 120.0, 240.0].into_iter().enumerate() {
                let mut c = template.clone();
                c.id = format!("{site}-{}", i + 1);
                c.site_id = site.clone();
                c.position = radio::vec3(*x_m, *y_m, height_m.unwrap_or(template.position.z));
                c.antenna = reorient(&c.antenna, |o| o.azimuth_deg = az)?;
                s.cells.push(c);
                s.active.push(true);
                s.site_of.push(site_index);
            }
        }
        Operation::RemoveCell { cell: id } => {
            let c = cell(s, id)?;
            s.active[c] = false;
        }
        Operation::Rehome { site, node } => {
            let i = plan
                .inventory
                .sites
                .iter()
                .position(|x| &x.id == site)
                .ok_or_else(|| format!("unknown site {site}"))?;
            s.homing[i] = node.clone();
        }
        Operation::Fail { element } | Operation::Restore { element } => {
            let fail = matches!(op, Operation::Fail { .. });
            let links = link_ids_named(&s.topology, element);
            if !links.is_empty() {
                for l in links {
                    if fail { s.topology.fail_link(l) } else { s.topology.restore_link(l) }
                        .map_err(|e| e.to_string())?;
                }
            } else {
                let n = s
                    .topology
                    .node_id(element)
                    .ok_or_else(|| format!("unknown element {element}"))?;
                if fail { s.topology.fail_node(n) } else { s.topology.restore_node(n) }
                    .map_err(|e| e.to_string())?;
            }
        }
        Operation::SetCapacity { link, bps } => {
            for l in link_ids_named(&s.topology, link) {
                s.topology.set_capacity(l, *bps).map_err(|e| e.to_string())?;
            }
        }
        Operation::ScaleTraffic { cells, factor, growth_per_year } => {
            let targets: Vec<usize> = if cells.is_empty() {
                (0..s.scale.len()).collect()
            } else {
                cells.iter().map(|id| cell(s, id)).collect::<Result<_, _>>()?
            };
            let n = s.scale.len();
            for c in targets.into_iter().filter(|&c| c < n) {
                s.scale[c].push((*factor, *growth_per_year, k));
            }
        }
        Operation::AddPartner { carrier } => {
            s.partners_removed.remove(carrier);
            s.partners_added.insert(carrier.clone());
        }
        Operation::RemovePartner { carrier } => {
            s.partners_removed.insert(carrier.clone());
        }
        Operation::SetRate { home, visited, service, price_per_unit } => {
            let currency = s.rates.first().map_or("EUR".to_string(), |r| r.currency.clone());
            s.rates
                .retain(|r| !(&r.home == home && &r.visited == visited && r.service == *service));
            s.rates.push(RateCard {
                home: home.clone(),
                visited: visited.clone(),
                service: *service,
                price_per_unit: *price_per_unit,
                currency,
            });
        }
        Operation::SettlementMode { mode } => s.mode = *mode,
    }
    Ok(())
}
