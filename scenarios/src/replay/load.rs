//! The cell-load stage: where each inventory cell's recorded traffic goes in a state, what the
//! state's cells can carry, and, per interval, each cell's load, PRB utilisation and the traffic
//! it cannot carry.
//!
//! A point's share of a cell's traffic goes to whichever cell serves the point in the state;
//! shares at points no cell serves are *uncovered*. A cell's capacity is its bandwidth times the
//! mean spectral efficiency of the points it serves (weighted by the demand density layer where
//! it puts demand in the cell's area) at the interval's loads of its neighbours, which interfere
//! in proportion to their own PRB utilisation ([`super::coupling`]); PRB utilisation is a cell's
//! load over its capacity, and load above it is not carried. Unserved traffic is the uncovered
//! plus the load above capacity.

use std::collections::BTreeMap;

use radio::Cell;

use super::coupling::Coupling;
use super::placement::Baseline;
use super::serving::{PointServing, coverage};
use super::state::State;

/// Where the traffic goes in one state, and what its cells can carry.
#[derive(Debug, Clone, PartialEq)]
pub struct StateLoad {
    /// Per inventory cell: the share of its traffic each serving sector takes (by the state
    /// index of the sector's first carrier, in index order).
    pub shares: Vec<BTreeMap<usize, f64>>,
    /// Per inventory cell: the share of its traffic at points no cell serves.
    pub uncovered: Vec<f64>,
    /// What each state cell can carry at any loads of its neighbours.
    pub coupling: Coupling,
    /// Share of outdoor points served.
    pub coverage: f64,
}

impl StateLoad {
    /// The state's shares from its serving map, and its cells' coupling.
    pub fn new(
        serving: &[PointServing],
        base: &Baseline,
        coupling: Coupling,
        n_inventory: usize,
        outdoor: &[bool],
    ) -> StateLoad {
        let mut shares: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); n_inventory];
        let mut uncovered = vec![0.0f64; n_inventory];
        for o in &base.ownership {
            match serving[o.point].best {
                Some(b) => *shares[o.cell].entry(coupling.sector_of(b)).or_default() += o.weight,
                None => uncovered[o.cell] += o.weight,
            }
        }
        StateLoad { shares, uncovered, coupling, coverage: coverage(serving, outdoor) }
    }
}

/// Each cell's capacity, bit/s, at the serving map's SINR: bandwidth × mean spectral efficiency
/// of its points, weighted by demand density where the layer puts demand in its area; 0 for a
/// cell that serves nothing. (The replay's capacities come from [`Coupling`], at each interval's
/// loads; this is their reference at one fixed load.)
pub fn capacities(serving: &[PointServing], density: &[f64], cells: &[Cell]) -> Vec<f64> {
    let n = cells.len();
    let (mut se_sum, mut se_n) = (vec![0.0f64; n], vec![0usize; n]);
    let (mut se_wsum, mut se_w) = (vec![0.0f64; n], vec![0.0f64; n]);
    for (p, s) in serving.iter().enumerate() {
        if let Some(b) = s.best {
            se_sum[b] += f64::from(s.spectral_efficiency);
            se_n[b] += 1;
            if let Some(&d) = density.get(p) {
                se_wsum[b] += d * f64::from(s.spectral_efficiency);
                se_w[b] += d;
            }
        }
    }
    (0..n)
        .map(|c| {
            if se_w[c] > 0.0 {
                cells[c].bandwidth_hz * se_wsum[c] / se_w[c]
            } else if se_n[c] > 0 {
                cells[c].bandwidth_hz * se_sum[c] / se_n[c] as f64
            } else {
                0.0
            }
        })
        .collect()
}

/// One cell's traffic in one interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CellKpi {
    /// Downlink bytes offered to the cell.
    pub dl_bytes: f64,
    /// PRB utilisation (may exceed 1: demand above capacity).
    pub prb_util: f64,
    /// Bytes not carried (over capacity).
    pub unserved_bytes: f64,
}

/// One interval's radio load.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalLoad {
    /// Per state cell.
    pub cells: Vec<CellKpi>,
    /// Carried traffic (downlink plus uplink) per site, bit/s.
    pub site_bps: Vec<f64>,
    /// Downlink bytes recorded for the interval (after the state's traffic scaling).
    pub offered_bytes: f64,
    /// Of those, bytes at points no cell serves.
    pub uncovered_bytes: f64,
    /// Bytes not served: uncovered, or above a cell's capacity.
    pub unserved_bytes: f64,
    /// Bytes the cells carried (their offered traffic up to their capacity).
    pub carried_bytes: f64,
    /// Mean PRB utilisation of the active cells (each capped at 10).
    pub prb_util_mean: f64,
    /// Highest PRB utilisation of an active cell (capped at 10).
    pub prb_util_max: f64,
    /// Mean SINR over the points the active cells serve, each cell weighted by its offered
    /// traffic (by the number of cells when none is offered), dB.
    pub sinr_mean_db: f64,
    /// The users' SINR at the interval's loads, dB: the 5th and 50th percentiles over the
    /// served points, each cell's points weighted by its offered traffic
    /// ([`super::coupling::Coupling::user_sinr_quantiles`]); NaN when no cell is offered any.
    pub sinr_users_db: [f64; 2],
    /// The load coupling's iterations.
    pub iterations: u32,
    /// The largest change of a load in the coupling's last iteration.
    pub residual: f64,
}

impl IntervalLoad {
    /// Whether every offered byte is either carried or counted unserved (to a relative 1e-9):
    /// the replay refuses an interval where traffic vanished or appeared.
    pub fn accounts_for_its_traffic(&self) -> bool {
        let tol = 1e-9 * self.offered_bytes.abs().max(1.0);
        (self.carried_bytes + self.unserved_bytes - self.offered_bytes).abs() <= tol
    }

    /// Unserved over offered downlink traffic (0 when nothing is offered).
    pub fn unserved_share(&self) -> f64 {
        if self.offered_bytes > 0.0 { self.unserved_bytes / self.offered_bytes } else { 0.0 }
    }
}

/// The previous interval's loads and offered rates, where the coupling starts from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarmStart {
    /// Per cell, the share of the time it transmitted.
    pub eta: Vec<f64>,
    /// Per cell, the downlink rate offered, bit/s.
    pub demand_bps: Vec<f64>,
}

impl WarmStart {
    /// The loads to start from for offered rates `demand_bps`: the previous loads scaled by
    /// how much each cell's offered rate changed (a cell's capacity changes far less than its
    /// traffic from one interval to the next), capped at 1.
    fn predict(&self, demand_bps: &[f64]) -> Vec<f64> {
        if self.eta.len() != demand_bps.len() || self.demand_bps.len() != demand_bps.len() {
            return Vec::new();
        }
        let scaled = self.eta.iter().zip(&self.demand_bps).zip(demand_bps);
        scaled.map(|((&e, &d0), &d)| if d0 > 0.0 { (e * d / d0).min(1.0) } else { e }).collect()
    }
}

/// Interval `k`'s load in `state`, given the state's shares and the baseline's traffic. `warm`
/// holds the previous interval's loads, which the coupling starts from, and receives this one's.
pub fn interval_load(
    load: &StateLoad,
    state: &State,
    base: &Baseline,
    k: usize,
    interval_s: f64,
    warm: &mut WarmStart,
) -> IntervalLoad {
    let offered = offered(load, state, base, k, interval_s);
    let n_cells = state.cells.len();
    let demand_bps: Vec<f64> = offered.dl.iter().map(|b| b * 8.0 / interval_s).collect();
    let solution = load.coupling.solve(&demand_bps, &warm.predict(&demand_bps));
    let sinr = load.coupling.mean_sinr_db(&solution.eta);
    let offered = split(offered, &load.coupling, &solution.capacity_bps);
    let active_dl: Vec<f64> =
        offered.dl.iter().zip(&state.active).map(|(&d, &on)| if on { d } else { 0.0 }).collect();
    let sinr_users_db =
        match load.coupling.user_sinr_quantiles(&solution.eta, &active_dl, &[0.05, 0.5]) {
            Some(q) => [q[0], q[1]],
            None => [f64::NAN; 2],
        };
    let mut site_bps = vec![0.0f64; state.homing.len()];
    let mut cells = Vec::with_capacity(n_cells);
    let mut unserved = offered.uncovered;
    let mut carried_sum = 0.0f64;
    let (mut util_sum, mut util_max, mut n_active) = (0.0f64, 0.0f64, 0usize);
    let (mut sinr_sum, mut sinr_w, mut sinr_plain, mut sinr_n) = (0.0, 0.0, 0.0, 0.0);
    for c in 0..n_cells {
        let (dl, ul) = (offered.dl[c], offered.ul[c]);
        let cap_bytes = solution.capacity_bps[c] * interval_s / 8.0;
        let util = if cap_bytes > 0.0 {
            dl / cap_bytes
        } else if dl > 0.0 {
            f64::INFINITY
        } else {
            0.0
        };
        let over = (dl - cap_bytes).max(0.0);
        unserved += over;
        let carried = dl - over;
        carried_sum += carried;
        let carried_ul = if dl > 0.0 { ul * carried / dl } else { ul };
        site_bps[state.site_of[c]] += (carried + carried_ul) * 8.0 / interval_s;
        if state.active[c] {
            util_sum += util.min(10.0);
            util_max = util_max.max(util.min(10.0));
            n_active += 1;
            if let Some(s) = sinr[c] {
                (sinr_sum, sinr_w) = (sinr_sum + dl * s, sinr_w + dl);
                (sinr_plain, sinr_n) = (sinr_plain + s, sinr_n + 1.0);
            }
        }
        cells.push(CellKpi { dl_bytes: dl, prb_util: util, unserved_bytes: over });
    }
    *warm = WarmStart { eta: solution.eta, demand_bps };
    IntervalLoad {
        cells,
        site_bps,
        offered_bytes: offered.total,
        uncovered_bytes: offered.uncovered,
        unserved_bytes: unserved,
        carried_bytes: carried_sum,
        prb_util_mean: util_sum / n_active.max(1) as f64,
        prb_util_max: util_max,
        sinr_mean_db: if sinr_w > 0.0 {
            sinr_sum / sinr_w
        } else {
            sinr_plain / f64::max(sinr_n, 1.0)
        },
        sinr_users_db,
        iterations: solution.iterations,
        residual: solution.residual,
    }
}

/// Each sector's offered traffic spread over its carriers in proportion to their capacities
/// (all of it on the first carrier when the sector can carry nothing).
fn split(mut o: Offered, coupling: &Coupling, capacity_bps: &[f64]) -> Offered {
    let (dl, ul) = (std::mem::take(&mut o.dl), std::mem::take(&mut o.ul));
    o.dl = vec![0.0; dl.len()];
    o.ul = vec![0.0; ul.len()];
    for head in 0..dl.len() {
        let carriers = coupling.carriers(head);
        let total: f64 = carriers.iter().map(|&c| capacity_bps[c]).sum();
        for &c in carriers {
            let share =
                if total > 0.0 { capacity_bps[c] / total } else { f64::from(u8::from(c == head)) };
            o.dl[c] += dl[head] * share;
            o.ul[c] += ul[head] * share;
        }
    }
    o
}

/// What is offered to each sector in one interval (at its first carrier's index), bytes.
struct Offered {
    dl: Vec<f64>,
    ul: Vec<f64>,
    /// Downlink bytes recorded.
    total: f64,
    /// Of those, at points no cell serves.
    uncovered: f64,
}

/// Interval `k`'s recorded traffic, scaled by the state, spread over the state's cells.
fn offered(load: &StateLoad, state: &State, base: &Baseline, k: usize, interval_s: f64) -> Offered {
    let n_base = load.shares.len();
    let n_cells = state.cells.len();
    let mut o =
        Offered { dl: vec![0.0; n_cells], ul: vec![0.0; n_cells], total: 0.0, uncovered: 0.0 };
    for c in 0..n_base {
        let f = state.traffic_factor(c, k, interval_s);
        let (d, u) = (base.dl[k * n_base + c] * f, base.ul[k * n_base + c] * f);
        o.total += d;
        o.uncovered += d * load.uncovered[c];
        for (&b, &w) in &load.shares[c] {
            o.dl[b] += d * w;
            o.ul[b] += u * w;
        }
    }
    o
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::replay::placement::Ownership;
    use crate::testing::small_plan;

    fn point(best: Option<usize>, se: f32) -> PointServing {
        PointServing { best, rsrp_dbm: -80.0, sinr_db: 10.0, spectral_efficiency: se }
    }

    /// Two inventory cells over three points: cell 0 owns points 0 and 1 half each, cell 1 owns
    /// point 2. In the state, cell 1 serves point 1 and nobody serves point 2.
    fn setup() -> (State, Baseline, Vec<PointServing>) {
        let plan = small_plan();
        let mut state = State::baseline(&plan);
        state.cells.truncate(2);
        state.active.truncate(2);
        state.site_of = vec![0, 0];
        state.scale.truncate(2);
        state.ran.truncate(2);
        state.sector_of.truncate(2);
        let base = Baseline {
            ownership: vec![
                Ownership { point: 0, cell: 0, weight: 0.5 },
                Ownership { point: 1, cell: 0, weight: 0.5 },
                Ownership { point: 2, cell: 1, weight: 1.0 },
            ],
            dl: vec![1e9, 4e8],
            ul: vec![1e8, 0.0],
            density: Vec::new(),
        };
        (state, base, vec![point(Some(0), 2.0), point(Some(1), 4.0), point(None, 0.0)])
    }

    #[test]
    fn shares_follow_the_serving_map_and_capacity_its_efficiency() {
        let (state, base, serving) = setup();
        let coupling = Coupling::isolated(&state.cells, &[1e8, 1e8]);
        let load = StateLoad::new(&serving, &base, coupling, 2, &[true; 3]);
        assert_eq!(load.shares[0], BTreeMap::from([(0, 0.5), (1, 0.5)]));
        assert!(load.shares[1].is_empty());
        assert_eq!(load.uncovered, [0.0, 1.0]);
        let bw = state.cells[0].bandwidth_hz;
        assert!((load.coverage - 2.0 / 3.0).abs() < 1e-12);
        // A density layer weights the efficiency where it has samples.
        let caps =
            capacities(&[point(Some(0), 2.0), point(Some(0), 6.0)], &[1.0, 3.0], &state.cells);
        assert_eq!(caps[0], 5.0 * bw);
        assert_eq!(caps[1], 0.0, "a cell that serves nothing carries nothing");
    }

    #[test]
    fn traffic_is_carried_up_to_capacity_and_the_rest_is_unserved() {
        let (state, base, serving) = setup();
        // One hour; cell 0 can carry 0.4e9 bytes, cell 1 plenty.
        let coupling = Coupling::isolated(&state.cells, &[0.4e9 * 8.0 / 3600.0, 1e9]);
        let load = StateLoad::new(&serving, &base, coupling, 2, &[true; 3]);
        let mut warm = WarmStart::default();
        let l = interval_load(&load, &state, &base, 0, 3600.0, &mut warm);
        assert!(l.accounts_for_its_traffic());
        let lost = IntervalLoad { carried_bytes: l.carried_bytes * 0.5, ..l.clone() };
        assert!(!lost.accounts_for_its_traffic(), "traffic that vanished");
        let nan = IntervalLoad { unserved_bytes: f64::NAN, ..l.clone() };
        assert!(!nan.accounts_for_its_traffic(), "a NaN account");
        assert_eq!(warm.eta[0], 1.0, "the loads the next interval starts from");
        assert!((warm.eta[1] - 5e8 / (1e9 * 450.0)).abs() < 1e-12);
        // The next interval starts from them scaled by the change in traffic.
        let twice: Vec<f64> = warm.demand_bps.iter().map(|d| 2.0 * d).collect();
        let start = warm.predict(&twice);
        assert_eq!(start[0], 1.0);
        assert!((start[1] - 2.0 * warm.eta[1]).abs() < 1e-15);
        assert_eq!(l.offered_bytes, 1.4e9);
        assert_eq!(l.uncovered_bytes, 4e8, "cell 1's traffic is where nobody serves");
        assert_eq!(l.cells[0].dl_bytes, 5e8);
        assert!((l.cells[0].prb_util - 1.25).abs() < 1e-9);
        assert!((l.cells[0].unserved_bytes - 1e8).abs() < 1e-2);
        assert!((l.unserved_bytes - 5e8).abs() < 1e-2);
        assert!((l.unserved_share() - 5e8 / 1.4e9).abs() < 1e-9);
        // Conservation: each cell's offered bytes plus the uncovered are the recorded traffic.
        let offered: f64 = l.cells.iter().map(|c| c.dl_bytes).sum();
        assert_eq!(offered + l.uncovered_bytes, l.offered_bytes);
        // The site carries what its cells carry, downlink and uplink (scaled with the carried
        // share), in bit/s.
        let carried = (4e8 + 0.8 * 5e7) + (5e8 + 5e7);
        assert!((l.site_bps[0] - carried * 8.0 / 3600.0).abs() < 1e-2, "{}", l.site_bps[0]);
        assert!((l.prb_util_mean - (1.25 + 5e8 / (1e9 * 450.0)) / 2.0).abs() < 1e-9);
    }
}
