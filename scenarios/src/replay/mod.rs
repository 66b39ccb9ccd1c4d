//! The replay engine: the history of a [`Plan`] through the twin, for the baseline and each
//! variant, interval by interval, as a pipeline of stages.
//!
//! ```text
//!   state ──► radio ──► serving ──► load ─────► backhaul ──► kpis
//!   (timeline  (coverage  (best server, (cell load,  (flow model    (series, tables,
//!    cut into   maps,      RSRP, SINR;   PRB util,    every interval; snapshots)
//!    states)    cached)    thresholds)   unserved)    packets for
//!                                                     busy ones)
//!   settle: the settlement load with each state's partners, rates and mode
//! ```
//!
//! Per variant, the timeline is cut into *states* ([`state`]): spans of intervals in which the
//! network does not change. For each state:
//!
//! * **radio** ([`maps`]): a coverage map per active cell on the analysis grid, from a cache
//!   keyed by the content of the cell's transmitter and shared by all variants; without a scene,
//!   the TR 38.901 UMa model stands in.
//! * **serving** ([`serving`]): each grid point's best server, RSRP and SINR; with a calibration
//!   model (feature `calibrate`) every served point's RSRP and SINR are corrected before the
//!   scenario's coverage thresholds (−120 dBm RSRP, −6 dB SINR at half the neighbours' load by
//!   default; never below the noise floor) decide what is served.
//! * **load** ([`load`], [`placement`]): each inventory cell's traffic is spread over the outdoor
//!   points it serves in the baseline at the window's start (in proportion to the demand density
//!   layer, or evenly), computed once per run; in a state every point's share goes to whichever
//!   cell serves it there. Capacity is bandwidth times the mean spectral efficiency of a cell's
//!   points at the interval's loads: every cell interferes in proportion to its own PRB
//!   utilisation, a fixed point solved per interval ([`coupling`]); demand above capacity is
//!   unserved.
//! * **backhaul** ([`backhaul`]): each site's carried traffic is a demand from its homing node to
//!   the core; the flow-level max-min model allocates every interval, and the busiest intervals
//!   are simulated packet by packet.
//! * **settle** ([`settle`]): the settlement load priced with the state's rate cards and
//!   partners, netted per month, and the settlement system with the timeline's mode changes.
//! * **kpis** ([`kpis`]): the series, per-cell and per-link tables and state snapshots of a
//!   [`VariantResult`].
//!
//! Variants run in parallel (rayon); each is a pure function of the plan, so results do not
//! depend on the number of threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use radio::kpi::KpiConfig;
use radio::{Grid, Scene};
use rayon::prelude::*;
use transport::topology::NodeId;

use crate::error::ScenarioError;
use crate::scenario::{Plan, Scheduled};

pub mod backhaul;
pub mod cache;
pub mod coupling;
pub mod histogram;
pub mod kpis;
pub mod load;
pub mod maps;
pub mod placement;
pub mod serving;
pub mod settle;
pub mod state;

pub use backhaul::BusyInterval;
pub use kpis::{NetworkSeries, StateSnapshot, VariantResult};
pub use load::CellKpi;
pub use maps::{CellMap, radio_key};
pub use serving::PointServing;
pub use settle::NetPosition;

use self::kpis::{Finished, Recorder};
use self::placement::Baseline;
use self::state::State;

/// Settings of the replay that are not part of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// Rays per coverage map.
    pub rays: u64,
    /// Reflections traced.
    pub max_depth: u32,
    /// Intervals per variant (the busiest by link utilisation) also simulated packet by packet.
    pub busy_intervals: usize,
    /// Simulated seconds of each busy interval (after a tenth as much warm-up): a stationary
    /// sample of the interval's rates, not the whole interval.
    pub packet_seconds: f64,
    /// The ray tracer for coverage maps (auto: a hardware GPU if there is one, else the CPU).
    pub backend: radio::Backend,
    /// The persistent coverage cache, if any ([`cache`]).
    pub cache: Option<cache::CacheSettings>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            rays: 20_000,
            max_depth: 2,
            busy_intervals: 2,
            packet_seconds: 1.0,
            backend: radio::Backend::Auto,
            cache: None,
        }
    }
}

impl ReplayOptions {
    /// Checks the settings: an error names the first out of range.
    pub fn check(&self) -> Result<(), ScenarioError> {
        let bad = |name, value: f64, expected| {
            Err(ScenarioError::BadOption { name, value: value.to_string(), expected })
        };
        if !(self.packet_seconds > 0.0 && self.packet_seconds <= 3600.0) {
            return bad(
                "packet seconds",
                self.packet_seconds,
                "a positive number of seconds up to an hour",
            );
        }
        if self.rays == 0 {
            return bad("rays", 0.0, "at least one ray per coverage map");
        }
        Ok(())
    }
}

/// Where a run's maps lie: the grid, which of its points are outdoor, and the scene (if any).
#[derive(Debug, Clone, Copy)]
pub struct RunGeometry<'a> {
    /// The replay's grid.
    pub grid: &'a Grid,
    /// Outdoor flag per grid point.
    pub outdoor: &'a [bool],
    /// The scene, for the building layer.
    pub scene: Option<&'a Scene>,
}

/// The baseline's interval loads, which a variant reuses for as long as its network and traffic
/// are still the baseline's (the load coupling is most of a replay's per-interval work).
struct SharedLoads {
    /// `(first interval, end, what the load stage depends on)` of each baseline state.
    states: Vec<(usize, usize, String)>,
    /// Per interval.
    loads: Vec<load::IntervalLoad>,
    /// Per interval, the coupling's loads after it: where a variant that stops being the
    /// baseline's continues from, exactly as if it had computed the intervals before itself.
    warm: Vec<load::WarmStart>,
}

impl SharedLoads {
    /// Whether intervals `from..end` of a state described by `descriptor` are the baseline's.
    fn covers(&self, from: usize, end: usize, descriptor: &str) -> bool {
        self.states.iter().any(|(f, e, d)| *f <= from && end <= *e && d == descriptor)
    }
}

/// The world shared by all variants: scene, grid, tracer, coverage cache and the baseline's
/// traffic placement.
pub struct Replayer<'a> {
    plan: &'a Plan,
    radio: maps::RadioModel,
    baseline: OnceLock<Arc<Baseline>>,
    baseline_loads: OnceLock<Arc<SharedLoads>>,
    kpi: KpiConfig,
    opts: ReplayOptions,
    core: NodeId,
    interrupt: Option<&'a AtomicBool>,
    #[cfg(feature = "calibrate")]
    correction: Option<crate::calibration::Correction>,
}

impl<'a> Replayer<'a> {
    /// Prepares the replay of `plan`: checks the options, loads the scene, lays the grid over
    /// the sites (with a margin) or the scene, and chooses the tracer. `interrupt`, when set,
    /// stops a replay with [`ScenarioError::Interrupted`].
    pub fn new(
        plan: &'a Plan,
        opts: ReplayOptions,
        interrupt: Option<&'a AtomicBool>,
    ) -> Result<Replayer<'a>, ScenarioError> {
        opts.check()?;
        let core = plan.core.ok_or(ScenarioError::NoCore)?;
        let radio = maps::RadioModel::new(plan, &opts)?;
        Ok(Replayer {
            plan,
            radio,
            baseline: OnceLock::new(),
            baseline_loads: OnceLock::new(),
            kpi: KpiConfig {
                interference_load: plan.coverage.interference_load,
                ..KpiConfig::default()
            },
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
        let base = State::baseline(self.plan);
        base.cells.par_iter().map(|c| self.radio.map(c).map(|_| ())).collect::<Result<(), _>>()?;
        Ok(base.cells.len())
    }

    /// The analysis grid.
    pub fn grid(&self) -> &Grid {
        &self.radio.grid
    }

    /// Outdoor flags of the grid points.
    pub fn outdoor(&self) -> &[bool] {
        &self.radio.outdoor
    }

    /// The grid, its outdoor points and the scene, for the run directory's view data.
    pub fn geometry(&self) -> RunGeometry<'_> {
        RunGeometry {
            grid: &self.radio.grid,
            outdoor: &self.radio.outdoor,
            scene: self.radio.scene.as_ref(),
        }
    }

    /// Which ray tracer computes the coverage maps and why, with what a map takes on its
    /// device (one line, for the log and the manifest).
    pub fn backend_notice(&self) -> &str {
        &self.radio.notice
    }

    /// What the persistent coverage cache did so far (all zero without one).
    pub fn cache_report(&self) -> cache::CacheReport {
        self.radio.cache_report()
    }

    /// Trims the persistent coverage cache to its limit (after a run); returns the entries it
    /// removed.
    pub fn trim_cache(&self) -> Result<usize, ScenarioError> {
        self.radio.trim_cache()
    }

    /// Coverage maps traced (computed, not read from the persistent cache).
    pub fn maps_traced(&self) -> usize {
        self.radio.maps_traced()
    }

    /// The timeline of the baseline (`None`: empty) or of a variant.
    fn timeline(&self, variant: Option<usize>) -> Result<(String, &'a [Scheduled]), ScenarioError> {
        match variant {
            None => Ok(("baseline".to_string(), &[])),
            Some(v) => {
                let var = self
                    .plan
                    .variants
                    .get(v)
                    .ok_or_else(|| ScenarioError::NoSuchVariant(format!("#{v}")))?;
                Ok((var.name.clone(), &var.timeline))
            }
        }
    }

    /// The serving map of the baseline (`None`) at the window's start, or of a variant after its
    /// last change, with the cells' identifiers.
    pub fn serving_map(
        &self,
        variant: Option<usize>,
    ) -> Result<(Vec<String>, Vec<PointServing>), ScenarioError> {
        let (_, timeline) = self.timeline(variant)?;
        let states = state::states(self.plan, timeline)?;
        let last = states.last().map_or_else(|| State::baseline(self.plan), State::clone);
        let serving = self.serving(&last)?;
        Ok((last.cells.iter().map(|c| c.id.clone()).collect(), serving))
    }

    /// The serving stage for one state: serving, the learned correction, the thresholds.
    fn serving(&self, state: &State) -> Result<Vec<PointServing>, ScenarioError> {
        let maps = self.radio.maps_of(&state.cells, &state.active)?;
        #[allow(unused_mut)] // the learned correction changes it with the `calibrate` feature
        let mut points = serving::serve(&state.cells, &maps, &self.radio.outdoor, &self.kpi);
        #[cfg(feature = "calibrate")]
        if let Some(corr) = &self.correction {
            let world = (&state.cells[..], &maps[..]);
            let (scene, grid) = (self.radio.scene.as_ref(), &self.radio.grid);
            serving::correct(corr, scene, grid, &self.kpi, world, &mut points)?;
        }
        let (rule, nf) = (self.plan.coverage.thresholds, self.kpi.noise_figure_db);
        serving::apply_thresholds(&mut points, &state.cells, rule, nf);
        Ok(points)
    }

    /// What every variant starts from, built once per run (before the variants, by `run_all`).
    fn baseline(&self) -> Result<Arc<Baseline>, ScenarioError> {
        // As for the maps: computed outside `get_or_init` (it runs on rayon), stored once.
        if let Some(done) = self.baseline.get() {
            return Ok(done.clone());
        }
        let base = State::baseline(self.plan);
        let serving = self.serving(&base)?;
        let maps: Vec<Arc<CellMap>> =
            base.cells.iter().map(|c| self.radio.map(c)).collect::<Result<_, _>>()?;
        let map_refs: Vec<&CellMap> = maps.iter().map(|m| m.as_ref()).collect();
        let density = placement::point_density(&self.radio.grid, &self.plan.density);
        let ownership =
            placement::ownership(&base.cells, &map_refs, &serving, &self.radio.outdoor, &density);
        let (dl, ul) = placement::traffic_arrays(self.plan);
        let computed = Arc::new(Baseline { ownership, dl, ul, density });
        Ok(self.baseline.get_or_init(|| computed).clone())
    }

    /// Where each inventory cell's recorded traffic is on the grid (computed once per run and
    /// shared by every variant; see [`placement::ownership`]).
    pub fn traffic_placement(&self) -> Result<Vec<placement::Ownership>, ScenarioError> {
        Ok(self.baseline()?.ownership.clone())
    }

    /// Replays the baseline (`None`) or a variant (its index in the plan); `progress` is told
    /// how many intervals are done after each state.
    pub fn run_variant(
        &self,
        variant: Option<usize>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<VariantResult, ScenarioError> {
        let plan = self.plan;
        let (name, timeline) = self.timeline(variant)?;
        let states = state::states(plan, timeline)?;
        let base = self.baseline()?;
        let intervals = plan.window.intervals;
        let interval_s = f64::from(plan.window.interval_s);
        let link_ids = plan.topology.link_ids();
        let links: Vec<String> = link_ids
            .iter()
            .filter_map(|&l| plan.topology.link(l).ok().map(|x| x.name.clone()))
            .collect();
        let link_index: Vec<usize> = link_ids.iter().map(|l| l.0 as usize).collect();
        let last = states.last().map_or((0, 0), |s| (s.cells.len(), s.homing.len()));
        let mut rec = Recorder::new(intervals, last.0, links.len(), last.1);
        let mut snapshots = Vec::new();
        // The coupling's loads, carried from interval to interval (and state to state).
        let mut warm = load::WarmStart::default();
        // A variant reuses the baseline's loads while it is still the baseline's network.
        let shared = variant.and(self.baseline_loads.get().cloned());
        let mut still_baseline = shared.is_some();
        let mut own = SharedLoads { states: Vec::new(), loads: Vec::new(), warm: Vec::new() };
        for (si, state) in states.iter().enumerate() {
            let end = states.get(si + 1).map_or(intervals, |s| s.from);
            if state.from >= end {
                continue;
            }
            let descriptor = state.load_descriptor();
            still_baseline = still_baseline
                && shared.as_ref().is_some_and(|s| s.covers(state.from, end, &descriptor));
            let serving = self.serving(state)?;
            let maps = self.radio.maps_of(&state.cells, &state.active)?;
            let view = coupling::CellsView {
                cells: &state.cells,
                maps: &maps,
                ran: &state.ran,
                sector_of: &state.sector_of,
            };
            let coupling = coupling::Coupling::new(view, &serving, &base.density, &self.kpi);
            let n_inv = plan.inventory.cells.len();
            let load = load::StateLoad::new(&serving, &base, coupling, n_inv, &self.radio.outdoor);
            snapshots.push(StateSnapshot::new(state, serving));
            let mut backhaul =
                backhaul::Backhaul::new(state, self.core, plan.routing, &link_index)?;
            for k in state.from..end {
                if self.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                    return Err(ScenarioError::Interrupted);
                }
                let cells = match &shared {
                    Some(s) if still_baseline => s.loads[k].clone(),
                    _ => load::interval_load(&load, state, &base, k, interval_s, &mut warm),
                };
                if !cells.accounts_for_its_traffic() {
                    return Err(ScenarioError::Unaccounted {
                        variant: name.clone(),
                        interval: k,
                        offered: cells.offered_bytes,
                        carried: cells.carried_bytes,
                        unserved: cells.unserved_bytes,
                    });
                }
                let links = backhaul.allocate(&cells.site_bps)?;
                rec.record(k, si, load.coverage, &cells, &links);
                if variant.is_none() {
                    own.loads.push(cells);
                    own.warm.push(warm.clone());
                }
            }
            if let (Some(s), true) = (&shared, still_baseline) {
                warm = s.warm[end - 1].clone();
            }
            own.states.push((state.from, end, descriptor));
            progress((end - state.from) as u64);
        }
        if variant.is_none() && own.loads.len() == intervals {
            let _ = self.baseline_loads.set(Arc::new(own));
        }
        let run = backhaul::PacketRun {
            seconds: self.opts.packet_seconds,
            core: self.core,
            seed: plan.seed,
            metric: plan.routing,
        };
        let busy = backhaul::busy_intervals(
            self.opts.busy_intervals,
            rec.max_link_util(),
            |k| &states[rec.state_of(k)],
            |k| rec.site_bps(k),
            run,
        )?;
        let settlement = settle::settle(plan, &states)?;
        let cells = states.last().map(|s| s.cells.iter().map(|c| c.id.clone()).collect());
        Ok(rec.finish(Finished {
            name,
            cells: cells.unwrap_or_default(),
            links,
            settlement,
            states: states.len(),
            busy,
            snapshots,
        }))
    }

    /// Replays the baseline and every variant in parallel (results in plan order).
    pub fn run_all(
        &self,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<VariantResult>, ScenarioError> {
        let jobs: Vec<Option<usize>> =
            std::iter::once(None).chain((0..self.plan.variants.len()).map(Some)).collect();
        // What every variant shares is built first, so that the variants do not all build it;
        // the baseline's replay too, whose interval loads the variants reuse until they differ.
        self.baseline()?;
        let first = self.run_variant(None, progress)?;
        let rest: Vec<VariantResult> = jobs[1..]
            .par_iter()
            .map(|&v| self.run_variant(v, progress))
            .collect::<Result<_, _>>()?;
        Ok(std::iter::once(first).chain(rest).collect())
    }
}
