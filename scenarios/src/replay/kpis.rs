//! KPI aggregation: the per-interval results of the other stages gathered into a variant's
//! series and tables ([`VariantResult`]), and each state's serving map kept for the maps and the
//! viewer ([`StateSnapshot`]).

use radio::Cell;
use serde::{Deserialize, Serialize};

use super::backhaul::{BusyInterval, LinkLoad};
use super::load::{CellKpi, IntervalLoad};
use super::serving::PointServing;
use super::settle::{NetPosition, SettlementOutcome};
use super::state::State;
use crate::settlement::SystemReport;

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
    /// Mean SINR of the served points at the interval's loads, cells weighted by their
    /// offered traffic, dB.
    #[serde(default)]
    pub mean_sinr_db: Vec<f64>,
    /// The users' SINR at the interval's loads, 5th percentile, dB (NaN without traffic).
    #[serde(default)]
    pub users_sinr_p5_db: Vec<f64>,
    /// Likewise the median.
    #[serde(default)]
    pub users_sinr_p50_db: Vec<f64>,
    /// Downlink bytes offered (recorded traffic after the variant's scaling).
    #[serde(default)]
    pub offered_bytes: Vec<f64>,
    /// Mean backhaul delay of the site demands (weighted by rate), ms.
    pub mean_delay_ms: Vec<f64>,
    /// Settlement records waiting at the interval's end.
    pub settlement_backlog: Vec<u64>,
}

/// How the load coupling converged over a variant's intervals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CouplingReport {
    /// Most iterations an interval took.
    pub iterations_max: u32,
    /// Mean iterations per interval.
    pub iterations_mean: f64,
    /// Largest residual (change of a load in the last iteration) of any interval.
    pub residual_max: f64,
}

/// A state as the maps and the viewer show it: its cells, links down and serving map. The
/// replay owns it; the run directory only projects it to disk.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSnapshot {
    /// First interval of the state.
    pub from: usize,
    /// The state's cells.
    pub cells: Vec<Cell>,
    /// Whether each cell is on.
    pub active: Vec<bool>,
    /// Indices of the links (in the topology's order) down in this state.
    pub links_down: Vec<usize>,
    /// The serving map, one entry per grid point.
    pub serving: Vec<PointServing>,
}

impl StateSnapshot {
    /// The snapshot of `state` with its serving map.
    pub fn new(state: &State, serving: Vec<PointServing>) -> StateSnapshot {
        StateSnapshot {
            from: state.from,
            cells: state.cells.clone(),
            active: state.active.clone(),
            links_down: state.links_down(),
            serving,
        }
    }
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
    /// How the load coupling converged.
    pub coupling: CouplingReport,
    /// Downlink bytes per interval at points no cell serves (not offered to any cell).
    pub uncovered_bytes: Vec<f64>,
    /// Net positions per month and carrier.
    pub positions: Vec<NetPosition>,
    /// Settlement system behaviour.
    pub system: SystemReport,
    /// States the timeline cut the window into.
    pub states: usize,
    /// The busiest intervals simulated packet by packet.
    pub busy: Vec<BusyInterval>,
    /// Each state with an interval in the window: its cells, links down and serving map.
    pub snapshots: Vec<StateSnapshot>,
}

impl VariantResult {
    /// The serving map of the last state (the baseline's at the window's start; a variant's
    /// after its last change).
    pub fn last_serving(&self) -> &[PointServing] {
        self.snapshots.last().map_or(&[], |s| s.serving.as_slice())
    }
}

/// Collects a variant's per-interval results.
#[derive(Debug)]
pub(crate) struct Recorder {
    n_cells: usize,
    n_links: usize,
    max_sites: usize,
    cell_kpis: Vec<CellKpi>,
    link_util: Vec<f32>,
    series: NetworkSeries,
    coupling: CouplingReport,
    uncovered_bytes: Vec<f64>,
    /// State index of each interval.
    state_of: Vec<usize>,
    /// Carried rate per interval and site, bit/s, for the packet-level runs.
    site_bps: Vec<f32>,
}

impl Recorder {
    /// Room for `intervals` intervals of `n_cells` cells, `n_links` links and `max_sites`
    /// sites (the variant's last state has the most of each).
    pub(crate) fn new(intervals: usize, n_cells: usize, n_links: usize, max_sites: usize) -> Self {
        Recorder {
            n_cells,
            n_links,
            max_sites,
            cell_kpis: vec![CellKpi::default(); intervals * n_cells],
            link_util: vec![0.0; intervals * n_links],
            series: NetworkSeries::default(),
            coupling: CouplingReport::default(),
            uncovered_bytes: Vec::with_capacity(intervals),
            state_of: vec![0; intervals],
            site_bps: vec![0.0; intervals * max_sites],
        }
    }

    /// Records interval `k` of state `state` (intervals come in order).
    pub(crate) fn record(
        &mut self,
        k: usize,
        state: usize,
        coverage: f64,
        load: &IntervalLoad,
        links: &LinkLoad,
    ) {
        let cells = &mut self.cell_kpis[k * self.n_cells..(k + 1) * self.n_cells];
        cells[..load.cells.len()].copy_from_slice(&load.cells);
        let row = &mut self.link_util[k * self.n_links..(k + 1) * self.n_links];
        row.copy_from_slice(&links.link_util[..self.n_links]);
        let s = &mut self.series;
        s.coverage.push(coverage);
        s.mean_prb_util.push(load.prb_util_mean);
        s.max_prb_util.push(load.prb_util_max);
        s.unserved_share.push(load.unserved_share());
        s.max_link_util.push(links.max_link_util);
        s.mean_delay_ms.push(links.mean_delay_ms);
        s.mean_sinr_db.push(load.sinr_mean_db);
        s.users_sinr_p5_db.push(load.sinr_users_db[0]);
        s.users_sinr_p50_db.push(load.sinr_users_db[1]);
        s.offered_bytes.push(load.offered_bytes);
        let c = &mut self.coupling;
        c.iterations_max = c.iterations_max.max(load.iterations);
        c.iterations_mean += f64::from(load.iterations);
        c.residual_max = c.residual_max.max(load.residual);
        self.uncovered_bytes.push(load.uncovered_bytes);
        self.state_of[k] = state;
        for (i, &v) in load.site_bps.iter().enumerate() {
            self.site_bps[k * self.max_sites + i] = v as f32;
        }
    }

    /// The state of interval `k`.
    pub(crate) fn state_of(&self, k: usize) -> usize {
        self.state_of[k]
    }

    /// The sites' carried rates in interval `k`.
    pub(crate) fn site_bps(&self, k: usize) -> &[f32] {
        &self.site_bps[k * self.max_sites..(k + 1) * self.max_sites]
    }

    /// The busiest link's utilisation per interval so far.
    pub(crate) fn max_link_util(&self) -> &[f64] {
        &self.series.max_link_util
    }

    /// The variant's result.
    pub(crate) fn finish(self, run: Finished) -> VariantResult {
        let mut series = self.series;
        series.settlement_backlog = run.settlement.system.backlog.clone();
        let mut coupling = self.coupling;
        coupling.iterations_mean /= series.coverage.len().max(1) as f64;
        VariantResult {
            name: run.name,
            cells: run.cells,
            cell_kpis: self.cell_kpis,
            links: run.links,
            link_util: self.link_util,
            series,
            coupling,
            uncovered_bytes: self.uncovered_bytes,
            positions: run.settlement.positions,
            system: run.settlement.system,
            states: run.states,
            busy: run.busy,
            snapshots: run.snapshots,
        }
    }
}

/// What the replay adds to the recorded intervals to finish a variant.
pub(crate) struct Finished {
    pub(crate) name: String,
    pub(crate) cells: Vec<String>,
    pub(crate) links: Vec<String>,
    pub(crate) settlement: SettlementOutcome,
    pub(crate) states: usize,
    pub(crate) busy: Vec<BusyInterval>,
    pub(crate) snapshots: Vec<StateSnapshot>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn intervals_land_in_their_rows_and_series() {
        let mut r = Recorder::new(3, 3, 2, 2);
        let kpi = |dl: f64| CellKpi { dl_bytes: dl, prb_util: dl / 10.0, unserved_bytes: 0.0 };
        let load = |k: f64| IntervalLoad {
            // Before a site is added the state has fewer cells than the last one.
            cells: vec![kpi(k), kpi(2.0 * k)],
            site_bps: vec![k, 0.5],
            offered_bytes: 10.0,
            uncovered_bytes: k,
            unserved_bytes: 2.0 * k,
            carried_bytes: 10.0 - 2.0 * k,
            prb_util_mean: 0.1 * k,
            prb_util_max: 0.2 * k,
            sinr_mean_db: 10.0 - k,
            sinr_users_db: [5.0 - k, 9.0 - k],
            iterations: k as u32,
            residual: 1e-7 * k,
        };
        let links = |u: f32| LinkLoad {
            link_util: vec![u, 2.0 * u],
            max_link_util: f64::from(2.0 * u),
            mean_delay_ms: 1.0,
        };
        for k in 0..3 {
            r.record(k, usize::from(k > 0), 0.9, &load(k as f64 + 1.0), &links(0.1 * k as f32));
        }
        assert_eq!(r.state_of(0), 0);
        assert_eq!(r.state_of(2), 1);
        assert_eq!(r.site_bps(1), [2.0, 0.5]);
        assert_eq!(r.max_link_util().len(), 3);
        let system = SystemReport {
            records: 0,
            settled: 0,
            latency_p50_s: 0.0,
            latency_p99_s: 0.0,
            latency_mean_s: 0.0,
            backlog: vec![5, 6, 7],
            backlog_max: 7,
        };
        let v = r.finish(Finished {
            name: "v".into(),
            cells: vec!["a".into(), "b".into(), "c".into()],
            links: vec!["x".into(), "y".into()],
            settlement: SettlementOutcome { positions: Vec::new(), system },
            states: 2,
            busy: Vec::new(),
            snapshots: Vec::new(),
        });
        assert_eq!(v.cell_kpis[3 + 1], kpi(4.0), "interval 1, cell 1");
        assert_eq!(v.cell_kpis[3 + 2], CellKpi::default(), "a cell not there yet stays empty");
        assert_eq!(v.link_util[2 * 2 + 1], 0.4);
        assert_eq!(v.series.unserved_share, [0.2, 0.4, 0.6]);
        assert_eq!(v.series.settlement_backlog, [5, 6, 7]);
        assert_eq!(v.uncovered_bytes, [1.0, 2.0, 3.0]);
        assert_eq!(v.series.mean_sinr_db, [9.0, 8.0, 7.0]);
        assert_eq!(v.series.users_sinr_p5_db, [4.0, 3.0, 2.0]);
        assert_eq!(v.series.users_sinr_p50_db, [8.0, 7.0, 6.0]);
        assert_eq!(v.series.offered_bytes, [10.0; 3]);
        assert_eq!(v.coupling.iterations_max, 3);
        assert_eq!(v.coupling.iterations_mean, 2.0);
        assert!((v.coupling.residual_max - 3e-7).abs() < 1e-18);
        assert!(v.last_serving().is_empty());
    }
}
