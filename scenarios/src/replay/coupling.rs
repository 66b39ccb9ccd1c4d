//! The load-coupling stage: in every interval, each cell interferes in proportion to its own
//! PRB utilisation, so that a cell's capacity depends on its neighbours' loads and their loads
//! on its capacity (the cell-load coupling of LTE planning: Siomina and Yuan, "Analysis of cell
//! load coupling for LTE network planning and optimization", IEEE TWC 2012; Fehske et al.,
//! "Concurrent load-aware adjustment of user association and antenna tilts", 2013).
//!
//! For cell `b` with offered downlink rate `D_b` and interference factors `η` (each cell's PRB
//! utilisation, capped at 1), the capacity is
//!
//! ```text
//!   C_b(η) = B_b · Σ_p w_p · SE( S_p / (N_b + Σ_{c≠b} η_c · I_pc) )
//! ```
//!
//! over the points `p` that `b` serves (weights `w_p` from the demand density layer, or equal),
//! and the loads solve the fixed point `η_b = min(1, D_b / C_b(η))`. The map `η ↦ min(1, D/C(η))`
//! is monotone (more interference, less capacity, more load), so the iteration converges from
//! any start to the same loads (Yates' standard interference functions); it is warm-started from
//! the previous interval, where loads differ little, so that a year of hours stays fast.
//!
//! A cell's points are summarised once per state into [`GROUPS_PER_CELL`] groups of equal
//! weight, ordered by their full-load SINR; each group keeps its mean noise-to-signal ratio and
//! the interferers that make up 99 % of its interference (the rest is lumped and scaled by the
//! mean load). With one point per group the capacity is exact; with more, the error is that of
//! evaluating the efficiency at a group's mean impairment (a few tenths of a percent on the
//! demo, see the tests).

use std::sync::Arc;

use radio::Cell;
use radio::kpi::{KpiConfig, LinkProfile, SpectralEfficiency, thermal_noise_dbm};
use rayon::prelude::*;

use super::histogram::SinrHistogram;
use super::maps::CellMap;
use super::serving::PointServing;

/// Groups a cell's served points are summarised into.
pub const GROUPS_PER_CELL: usize = 16;
/// Largest change of any cell's load between two iterations at which the iteration stops.
pub const TOLERANCE: f64 = 1e-4;
/// Iterations after which the solver stops even if the tolerance is not met (the residual then
/// says how far it is; the replay reports the largest).
pub const MAX_ITERATIONS: u32 = 500;
/// Interferers a group keeps by name (the largest first); the rest is lumped.
const MAX_INTERFERERS: usize = 32;
/// Share of a group's interference the named interferers must make up.
const KEPT_SHARE: f64 = 0.99;

/// Points of one cell with similar SINR, summarised.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    /// Share of the cell's point weight.
    weight: f64,
    /// Mean noise over signal.
    noise: f64,
    /// `(cell, mean interference over signal at full load)`, largest first.
    interferers: Vec<(usize, f64)>,
    /// The interference over signal of the other cells, at full load.
    rest: f64,
}

impl Group {
    /// Impairment (noise plus interference, over signal) at loads `eta`, mean load `mean_eta`.
    fn impairment(&self, eta: &[f64], mean_eta: f64) -> f64 {
        let named: f64 = self.interferers.iter().map(|&(c, i)| eta[c] * i).sum();
        self.noise + named + self.rest * mean_eta
    }
}

/// SINR in dB of an impairment (noise plus interference over signal).
fn sinr_db(impairment: f64) -> f64 {
    -10.0 * impairment.log10()
}

/// A cell's link profile evaluated on impairments (the solver's inner loop): the attenuated
/// Shannon bound without going through dB, any other mapping through it; rank adaptation and
/// the profile's overhead and efficiency as [`LinkProfile::bps_per_hz`] has them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Efficiency {
    per_layer: PerLayer,
    layers: u32,
    scale: f64,
}

/// Bit/s/Hz of one layer at an impairment.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PerLayer {
    /// `alpha·log2(1 + 1/z)` up to `cap`, 0 above the impairment `max_impairment`.
    Shannon { alpha: f64, max_impairment: f64, cap: f64 },
    /// The mapping at the SINR in dB.
    Table(SpectralEfficiency),
}

impl Efficiency {
    fn new(profile: &LinkProfile) -> Efficiency {
        let per_layer = match profile.mapping {
            SpectralEfficiency::AttenuatedShannon { alpha, sinr_min_db, max_bps_hz } => {
                PerLayer::Shannon {
                    alpha: alpha * std::f64::consts::LOG2_E,
                    max_impairment: 10f64.powf(-sinr_min_db / 10.0),
                    cap: max_bps_hz,
                }
            }
            other => PerLayer::Table(other),
        };
        Efficiency {
            per_layer,
            layers: profile.mimo_layers.max(1),
            scale: (1.0 - profile.control_overhead) * profile.scheduler_efficiency,
        }
    }

    /// Bit/s/Hz at impairment `z` (noise plus interference over signal).
    fn at(self, z: f64) -> f64 {
        let one = |z: f64| match self.per_layer {
            PerLayer::Shannon { alpha, max_impairment, cap } => {
                if z > max_impairment || z.is_nan() {
                    0.0
                } else {
                    (alpha * (1.0 / z).ln_1p()).min(cap)
                }
            }
            PerLayer::Table(se) => se.bps_per_hz(sinr_db(z)),
        };
        let best =
            (1..=self.layers).map(|r| f64::from(r) * one(z * f64::from(r))).fold(0.0, f64::max);
        best * self.scale
    }
}

/// The coupling of a state's cells: what each cell's capacity is at any neighbour loads.
#[derive(Debug, Clone, PartialEq)]
pub struct Coupling {
    /// Per state cell (empty for a cell that serves nothing).
    groups: Vec<Vec<Group>>,
    /// Per state cell, Hz.
    bandwidth_hz: Vec<f64>,
    /// Per state cell, its link profile.
    se: Vec<Efficiency>,
    /// Per state cell, the first carrier of its sector.
    sector_of: Vec<usize>,
    /// Per state cell that heads a sector, the sector's carriers (itself first); empty for
    /// the others.
    carriers: Vec<Vec<usize>>,
}

/// A state's cells as the coupling sees them.
#[derive(Debug, Clone, Copy)]
pub struct CellsView<'a> {
    /// The cells.
    pub cells: &'a [Cell],
    /// Their coverage maps (`None`: switched off, neither serving nor interfering).
    pub maps: &'a [Option<Arc<CellMap>>],
    /// Their link profiles.
    pub ran: &'a [LinkProfile],
    /// The first carrier of each cell's sector.
    pub sector_of: &'a [usize],
}

/// The loads of one interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Per cell: PRB utilisation capped at 1, the share of the time it transmits.
    pub eta: Vec<f64>,
    /// Per cell: capacity at those loads, bit/s.
    pub capacity_bps: Vec<f64>,
    /// Iterations taken.
    pub iterations: u32,
    /// Largest change of a load in the last iteration.
    pub residual: f64,
}

/// What one served point sees: its signal, and the received power of the others.
struct PointTerms {
    weight: f64,
    /// Noise over signal.
    noise: f64,
    /// Interference over signal at full load, per state cell (0 for the server).
    interference: Vec<f64>,
}

impl Coupling {
    /// The coupling of a state's cells, from its serving map (its RSRP, which carries any
    /// learned correction, gives each point's signal) and the demand density per point (empty:
    /// even). Every carrier of a sector is summarised over the points its sector serves.
    pub fn new(
        view: CellsView<'_>,
        serving: &[PointServing],
        density: &[f64],
        kpi: &KpiConfig,
    ) -> Coupling {
        let n = view.cells.len();
        let mut by_sector: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (p, s) in serving.iter().enumerate() {
            if let Some(b) = s.best {
                by_sector[view.sector_of[b]].push(p);
            }
        }
        let groups = (0..n)
            .into_par_iter()
            .map(|c| {
                let points = &by_sector[view.sector_of[c]];
                summarise(point_terms(c, points, view, serving, density, kpi), n)
            })
            .collect();
        let mut carriers = vec![Vec::new(); n];
        for c in 0..n {
            carriers[view.sector_of[c]].push(c);
        }
        Coupling {
            groups,
            bandwidth_hz: view.cells.iter().map(|c| c.bandwidth_hz).collect(),
            se: view.ran.iter().map(Efficiency::new).collect(),
            sector_of: view.sector_of.to_vec(),
            carriers,
        }
    }

    /// The first carrier of cell `c`'s sector, where the sector's traffic is offered.
    pub fn sector_of(&self, c: usize) -> usize {
        self.sector_of[c]
    }

    /// The carriers of the sector headed by `head` (empty if `head` heads none).
    pub fn carriers(&self, head: usize) -> &[usize] {
        &self.carriers[head]
    }

    /// Cells that do not interfere with each other, with the given capacities (bit/s, for the
    /// other stages' tests): one group each, under Shannon's bound without cap.
    #[cfg(test)]
    pub(crate) fn isolated(cells: &[Cell], capacity_bps: &[f64]) -> Coupling {
        let groups = cells
            .iter()
            .zip(capacity_bps)
            .map(|(c, &cap)| {
                let noise = 1.0 / ((cap / c.bandwidth_hz).exp2() - 1.0);
                let g = Group { weight: 1.0, noise, interferers: Vec::new(), rest: 0.0 };
                if cap > 0.0 { vec![g] } else { Vec::new() }
            })
            .collect();
        let profile = LinkProfile { mapping: tests::SHANNON, ..LinkProfile::TR36942 };
        Coupling {
            groups,
            bandwidth_hz: cells.iter().map(|c| c.bandwidth_hz).collect(),
            se: vec![Efficiency::new(&profile); cells.len()],
            sector_of: (0..cells.len()).collect(),
            carriers: (0..cells.len()).map(|c| vec![c]).collect(),
        }
    }

    /// Cells coupled.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Each cell's capacity, bit/s, when the cells transmit the shares of the time `eta`.
    pub fn capacities(&self, eta: &[f64]) -> Vec<f64> {
        let mean_eta = eta.iter().sum::<f64>() / eta.len().max(1) as f64;
        (0..self.len()).map(|b| self.capacity(b, eta, mean_eta)).collect()
    }

    /// Cell `b`'s capacity, bit/s, at loads `eta` of mean `mean_eta`.
    fn capacity(&self, b: usize, eta: &[f64], mean_eta: f64) -> f64 {
        let (groups, se) = (&self.groups[b], self.se[b]);
        let bps_hz: f64 =
            groups.iter().map(|g| g.weight * se.at(g.impairment(eta, mean_eta))).sum();
        self.bandwidth_hz[b] * bps_hz
    }

    /// Each cell's mean SINR over its points (weighted as its capacity), dB, at loads `eta`;
    /// `None` for a cell that serves nothing.
    pub fn mean_sinr_db(&self, eta: &[f64]) -> Vec<Option<f64>> {
        let mean_eta = eta.iter().sum::<f64>() / eta.len().max(1) as f64;
        self.groups
            .iter()
            .map(|groups| {
                (!groups.is_empty()).then(|| {
                    groups.iter().map(|g| g.weight * sinr_db(g.impairment(eta, mean_eta))).sum()
                })
            })
            .collect()
    }

    /// The SINR, dB, at loads `eta` below which a share `q` of the users are, for each `q` of
    /// `quantiles`: each cell's point groups weighted by the cell's traffic `traffic[c]` times
    /// the group's share of the cell, to [`super::histogram::SINR_BIN_DB`]. `None` when no cell carries traffic.
    pub fn user_sinr_quantiles(&self, eta: &[f64], traffic: &[f64], q: &[f64]) -> Option<Vec<f64>> {
        let mean_eta = eta.iter().sum::<f64>() / eta.len().max(1) as f64;
        let mut h = SinrHistogram::new();
        for (groups, &t) in self.groups.iter().zip(traffic).filter(|(_, t)| t.is_finite()) {
            for g in groups.iter().filter(|_| t > 0.0) {
                h.add(sinr_db(g.impairment(eta, mean_eta)), t * g.weight);
            }
        }
        q.iter().map(|&q| h.quantile(q)).collect()
    }

    /// The loads at which each sector carries its offered rate (`demand_bps`, bit/s, offered
    /// to the sector's first carrier), from the loads `start` (the previous interval's; any
    /// values in 0..=1 converge to the same loads). A sector's carriers share its traffic in
    /// proportion to their capacities, so they all run at the sector's load. Gauss-Seidel
    /// sweeps: each sector's load is updated with its neighbours' newest.
    pub fn solve(&self, demand_bps: &[f64], start: &[f64]) -> Solution {
        let n = self.len();
        let mut eta: Vec<f64> = if start.len() == n {
            start.iter().map(|e| e.clamp(0.0, 1.0)).collect()
        } else {
            vec![0.0; n]
        };
        let mut capacity_bps = vec![0.0; n];
        let mut iterations = 0;
        loop {
            iterations += 1;
            let mean_eta = eta.iter().sum::<f64>() / n.max(1) as f64;
            let mut residual = 0.0f64;
            for (head, carriers) in self.carriers.iter().enumerate() {
                let d = demand_bps.get(head).copied().unwrap_or(0.0);
                if carriers.is_empty() {
                    continue;
                }
                let mut total = 0.0;
                for &c in carriers {
                    capacity_bps[c] = self.capacity(c, &eta, mean_eta);
                    total += capacity_bps[c];
                }
                let next = load_share(d, total);
                for &c in carriers {
                    residual = residual.max((next - eta[c]).abs());
                    eta[c] = next;
                }
            }
            if residual <= TOLERANCE || iterations >= MAX_ITERATIONS {
                return Solution { eta, capacity_bps, iterations, residual };
            }
        }
    }
}

/// The share of the time a cell with offered rate `demand` and capacity `capacity` transmits.
fn load_share(demand: f64, capacity: f64) -> f64 {
    if demand <= 0.0 {
        0.0
    } else if capacity > 0.0 {
        (demand / capacity).min(1.0)
    } else {
        1.0
    }
}

/// Cell `c`'s terms at each of `points` (those its sector serves). A sector whose points carry
/// demand density weighs them by it (points of no density drop out); otherwise every point
/// weighs the same. A point's signal from `c` is its path gain from `c` shifted as its serving
/// cell's RSRP was (by the learned correction, if any).
fn point_terms(
    c: usize,
    points: &[usize],
    view: CellsView<'_>,
    serving: &[PointServing],
    density: &[f64],
    kpi: &KpiConfig,
) -> Vec<PointTerms> {
    let mw = |dbm: f64| 10f64.powf(dbm / 10.0);
    let (cells, maps) = (view.cells, view.maps);
    let (server, Some(own)) = (&cells[c], maps[c].as_ref()) else { return Vec::new() };
    let weighted = points.iter().any(|&p| density.get(p).is_some_and(|&d| d > 0.0));
    let noise_mw = mw(thermal_noise_dbm(server.bandwidth_hz, kpi.noise_figure_db));
    let gain = |m: &CellMap, p: usize| f64::from(m.path_gain_db[p]);
    points
        .iter()
        .filter_map(|&p| {
            let weight = if weighted { density.get(p).copied().unwrap_or(0.0) } else { 1.0 };
            let best = serving[p].best?;
            let shift = match maps[best].as_ref() {
                Some(m) => f64::from(serving[p].rsrp_dbm) - cells[best].rsrp_dbm(gain(m, p)),
                None => 0.0,
            };
            let signal = mw(server.tx_power_dbm + gain(own, p) + shift);
            if weight <= 0.0 || !(signal > 0.0 && signal.is_finite()) {
                return None;
            }
            let interference = cells
                .iter()
                .zip(maps)
                .enumerate()
                .map(|(i, (cell, m))| match m {
                    Some(m) if i != c && m.path_gain_db[p].is_finite() => {
                        server.band_overlap(cell) * mw(cell.tx_power_dbm + gain(m, p)) / signal
                    }
                    _ => 0.0,
                })
                .collect();
            Some(PointTerms { weight, noise: noise_mw / signal, interference })
        })
        .collect()
}

/// A cell's points in [`GROUPS_PER_CELL`] groups of equal weight by full-load SINR.
fn summarise(mut terms: Vec<PointTerms>, n_cells: usize) -> Vec<Group> {
    let total: f64 = terms.iter().map(|t| t.weight).sum();
    if terms.is_empty() || total <= 0.0 {
        return Vec::new();
    }
    let full_load = |t: &PointTerms| t.noise + t.interference.iter().sum::<f64>();
    terms.sort_by(|a, b| full_load(a).total_cmp(&full_load(b)));
    let mut groups = Vec::with_capacity(GROUPS_PER_CELL);
    let mut acc = vec![0.0f64; n_cells];
    let (mut weight, mut noise, mut before) = (0.0f64, 0.0f64, 0.0f64);
    for (i, t) in terms.iter().enumerate() {
        weight += t.weight;
        noise += t.weight * t.noise;
        for (a, v) in acc.iter_mut().zip(&t.interference) {
            *a += t.weight * v;
        }
        let boundary = (before + weight) / total * GROUPS_PER_CELL as f64;
        let last = i + 1 == terms.len();
        if last || boundary >= (groups.len() + 1) as f64 {
            groups.push(group(weight / total, noise / weight, &acc, weight));
            before += weight;
            (weight, noise) = (0.0, 0.0);
            acc.iter_mut().for_each(|a| *a = 0.0);
        }
    }
    groups
}

/// One group from its accumulated weight-times-interference per cell.
fn group(share: f64, noise: f64, acc: &[f64], weight: f64) -> Group {
    let mut named: Vec<(usize, f64)> =
        acc.iter().enumerate().filter(|(_, v)| **v > 0.0).map(|(c, v)| (c, v / weight)).collect();
    named.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: f64 = named.iter().map(|x| x.1).sum();
    let mut kept = 0.0;
    let mut keep = 0;
    while keep < named.len() && keep < MAX_INTERFERERS && kept < KEPT_SHARE * total {
        kept += named[keep].1;
        keep += 1;
    }
    let rest = named[keep..].iter().map(|x| x.1).sum();
    named.truncate(keep);
    Group { weight: share, noise, interferers: named, rest }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::small_plan;
    use radio::kpi::sinr_db as point_sinr_db;

    /// Shannon without cap or floor: the closed forms of the tests hold exactly.
    pub(super) const SHANNON: SpectralEfficiency = SpectralEfficiency::AttenuatedShannon {
        alpha: 1.0,
        sinr_min_db: -1000.0,
        max_bps_hz: f64::INFINITY,
    };

    fn kpi() -> KpiConfig {
        KpiConfig { spectral_efficiency: SHANNON, ..KpiConfig::default() }
    }

    /// `n` cells of the small plan, all on one band, with the given path gains (dB) per cell
    /// and point; each point is served by its strongest cell.
    fn world(n: usize, gains: &[Vec<f32>]) -> (Vec<Cell>, Vec<Option<Arc<CellMap>>>) {
        let mut cells: Vec<Cell> = small_plan().inventory.cells[..n].to_vec();
        for c in &mut cells {
            c.freq_hz = 3.5e9;
            c.bandwidth_hz = 20e6;
            c.tx_power_dbm = 46.0;
        }
        let maps = gains.iter().map(|g| Some(Arc::new(CellMap { path_gain_db: g.clone() })));
        (cells, maps.collect())
    }

    /// The coupling of cells each its own sector, on the mapping of `k`, one layer.
    fn coupled(
        cells: &[Cell],
        maps: &[Option<Arc<CellMap>>],
        serving: &[PointServing],
        k: &KpiConfig,
    ) -> Coupling {
        let ran = vec![
            LinkProfile { mapping: k.spectral_efficiency, ..LinkProfile::TR36942 };
            cells.len()
        ];
        let sector_of: Vec<usize> = (0..cells.len()).collect();
        let view = CellsView { cells, maps, ran: &ran, sector_of: &sector_of };
        Coupling::new(view, serving, &[], k)
    }

    fn serving_of(
        cells: &[Cell],
        maps: &[Option<Arc<CellMap>>],
        k: &KpiConfig,
    ) -> Vec<PointServing> {
        let outdoor = vec![true; maps[0].as_ref().unwrap().path_gain_db.len()];
        super::super::serving::serve(cells, maps, &outdoor, k)
    }

    /// Two cells, one point each: the capacity of a cell is B·log2(1 + S/(N + η I)) and the
    /// fixed point is found by bisection on the one-dimensional equation.
    #[test]
    fn two_cells_solved_by_hand() {
        let k = kpi();
        let (cells, maps) = world(2, &[vec![-100.0, -112.0], vec![-110.0, -98.0]]);
        let serving = serving_of(&cells, &maps, &k);
        let coupling = coupled(&cells, &maps, &serving, &k);
        let mw = |dbm: f64| 10f64.powf(dbm / 10.0);
        let noise = mw(thermal_noise_dbm(20e6, k.noise_figure_db));
        let (s0, i0) = (mw(46.0 - 100.0), mw(46.0 - 110.0));
        let (s1, i1) = (mw(46.0 - 98.0), mw(46.0 - 112.0));
        let cap = |s: f64, i: f64, eta: f64| 20e6 * (1.0 + s / (noise + eta * i)).log2();
        let (d0, d1) = (60e6, 90e6);
        let f1 = |eta0: f64| (d1 / cap(s1, i1, eta0)).min(1.0);
        let g = |eta0: f64| eta0 - (d0 / cap(s0, i0, f1(eta0))).min(1.0);
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if g(mid) < 0.0 { lo = mid } else { hi = mid }
        }
        let sol = coupling.solve(&[d0, d1], &[0.0, 0.0]);
        assert!((sol.eta[0] - lo).abs() < 1e-3, "{} vs {lo}", sol.eta[0]);
        assert!((sol.eta[1] - f1(lo)).abs() < 1e-3, "{} vs {}", sol.eta[1], f1(lo));
        assert!(sol.residual <= TOLERANCE && sol.iterations < 50, "{sol:?}");
        assert!(sol.eta[0] > 0.2 && sol.eta[1] > 0.2, "a case where the coupling matters: {sol:?}");
    }

    /// A random network of `n` cells over `points` points, path gains from -70 to -140 dB.
    fn random_world(n: usize, points: usize, seed: u64) -> (Vec<Cell>, Vec<Option<Arc<CellMap>>>) {
        use rand::RngExt;
        let mut rng = sim_core::RngStreams::new(seed).stream("coupling-test");
        let gains: Vec<Vec<f32>> = (0..n)
            .map(|_| (0..points).map(|_| rng.random_range(-140.0..-70.0)).collect())
            .collect();
        world(n, &gains)
    }

    #[test]
    fn more_traffic_never_lowers_a_load_and_any_start_converges_to_the_same_loads() {
        let k = KpiConfig::default();
        let (cells, maps) = random_world(6, 300, 7);
        let serving = serving_of(&cells, &maps, &k);
        let coupling = coupled(&cells, &maps, &serving, &k);
        let base: Vec<f64> = (0..6).map(|c| 5e6 * (c as f64 + 1.0)).collect();
        let mut previous = vec![0.0; 6];
        for scale in [0.5, 1.0, 2.0, 4.0, 8.0, 16.0] {
            let demand: Vec<f64> = base.iter().map(|d| d * scale).collect();
            let from_zero = coupling.solve(&demand, &[0.0; 6]);
            let from_one = coupling.solve(&demand, &[1.0; 6]);
            let from_mid = coupling.solve(&demand, &[0.3, 0.9, 0.0, 1.0, 0.5, 0.1]);
            for (c, &eta) in from_zero.eta.iter().enumerate() {
                assert!((eta - from_one.eta[c]).abs() < 1e-3, "scale {scale}");
                assert!((eta - from_mid.eta[c]).abs() < 1e-3, "scale {scale}");
                assert!(eta >= previous[c] - 1e-9, "scale {scale}, cell {c}");
            }
            previous = from_zero.eta;
        }
        assert!(previous.iter().all(|&e| e == 1.0), "16 times the traffic fills every cell");
    }

    #[test]
    fn full_load_reproduces_the_full_load_geometry() {
        // One point per cell and group: the summary is exact.
        let k = KpiConfig::default();
        let (cells, maps) = random_world(4, 8, 3);
        let serving = serving_of(&cells, &maps, &k);
        let coupling = coupled(&cells, &maps, &serving, &k);
        let sol = coupling.solve(&[1e12; 4], &[0.0; 4]);
        assert_eq!(sol.eta, [1.0; 4]);
        let full = KpiConfig { interference_load: 1.0, ..k };
        for c in 0..4 {
            let mut pg = vec![0.0; 4];
            let (mut se, mut sinr, mut n) = (0.0, 0.0, 0.0);
            for (p, s) in serving.iter().enumerate() {
                if s.best == Some(c) {
                    for (x, m) in pg.iter_mut().zip(&maps) {
                        *x = f64::from(m.as_ref().unwrap().path_gain_db[p]);
                    }
                    let v = point_sinr_db(&cells, &pg, c, &full);
                    se += k.spectral_efficiency.bps_per_hz(v);
                    sinr += v;
                    n += 1.0;
                }
            }
            if n > 0.0 {
                let cap = 20e6 * se / n;
                assert!((sol.capacity_bps[c] - cap).abs() <= 1e-6 * cap.max(1.0), "cell {c}");
                let mean = coupling.mean_sinr_db(&sol.eta)[c].unwrap();
                assert!((mean - sinr / n).abs() < 1e-4, "cell {c}: {mean} vs {}", sinr / n);
            } else {
                assert_eq!(sol.capacity_bps[c], 0.0);
            }
        }
    }

    #[test]
    fn users_sinr_quantiles_weigh_each_cell_by_its_traffic() {
        // One point per group: each point is a user of its cell's traffic over its points.
        let k = KpiConfig::default();
        let (cells, maps) = random_world(4, 8, 3);
        let serving = serving_of(&cells, &maps, &k);
        let coupling = coupled(&cells, &maps, &serving, &k);
        // Weights that put no quantile exactly on a boundary between two users.
        let (eta, traffic) = ([1.0; 4], [1.1, 2.3, 3.7, 4.9]);
        let full = KpiConfig { interference_load: 1.0, ..k };
        let mut users: Vec<(f64, f64)> = Vec::new();
        for (c, t) in traffic.iter().enumerate() {
            let own: Vec<usize> =
                (0..serving.len()).filter(|&p| serving[p].best == Some(c)).collect();
            for &p in &own {
                let pg: Vec<f64> =
                    maps.iter().map(|m| f64::from(m.as_ref().unwrap().path_gain_db[p])).collect();
                users.push((point_sinr_db(&cells, &pg, c, &full), t / own.len() as f64));
            }
        }
        users.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = users.iter().map(|u| u.1).sum();
        let exact = |q: f64| {
            let mut below = 0.0;
            users.iter().find(|u| {
                below += u.1;
                below >= q * total
            })
        };
        let got = coupling.user_sinr_quantiles(&eta, &traffic, &[0.05, 0.5]).unwrap();
        for (q, g) in [0.05, 0.5].into_iter().zip(got) {
            let want = exact(q).unwrap().0.clamp(-30.0, 60.0);
            assert!(
                (g - want).abs() <= crate::replay::histogram::SINR_BIN_DB,
                "q {q}: {g} vs {want}"
            );
        }
        // No traffic, no users.
        assert_eq!(coupling.user_sinr_quantiles(&eta, &[0.0; 4], &[0.5]), None);
    }

    #[test]
    fn groups_summarise_many_points_closely_and_idle_neighbours_do_not_interfere() {
        let k = KpiConfig::default();
        let (cells, maps) = random_world(8, 4000, 11);
        let serving = serving_of(&cells, &maps, &k);
        let coupling = coupled(&cells, &maps, &serving, &k);
        // At half load the summary's capacity is within 1 % of the per-point mean.
        let half = KpiConfig { interference_load: 0.5, ..k };
        let exact = super::super::load::capacities(&serving_of(&cells, &maps, &half), &[], &cells);
        let summarised = coupling.capacities(&[0.5; 8]);
        for c in 0..8 {
            assert!((summarised[c] - exact[c]).abs() <= 0.01 * exact[c], "cell {c}");
        }
        // With every neighbour idle the SINR is the SNR, higher than at any load.
        let idle = coupling.mean_sinr_db(&[0.0; 8]);
        let busy = coupling.mean_sinr_db(&[1.0; 8]);
        for c in 0..8 {
            assert!(idle[c].unwrap() > busy[c].unwrap() + 1.0, "cell {c}");
        }
        assert_eq!(coupling.solve(&[0.0; 8], &[1.0; 8]).eta, [0.0; 8], "no traffic, no load");
    }

    #[test]
    fn a_second_carrier_shares_its_sectors_traffic_and_interferes_with_nobody_off_its_band() {
        let k = KpiConfig::default();
        // Cell 2 is a carrier of cell 0's sector on another band, with cell 0's path gains.
        let g0 = vec![-95.0, -100.0, -105.0, -120.0];
        let g1 = vec![-120.0, -110.0, -100.0, -90.0];
        let (mut cells, maps) = world(3, &[g0.clone(), g1, g0]);
        cells[2].freq_hz = 1.8e9;
        let serving = serving_of(&cells[..2], &maps[..2], &k);
        let mut serving3 = serving.clone();
        serving3.iter_mut().for_each(|p| p.best = p.best.map(|b| b.min(1)));
        let ran = vec![LinkProfile::TR36942; 3];
        let view = CellsView { cells: &cells, maps: &maps, ran: &ran, sector_of: &[0, 1, 0] };
        let coupling = Coupling::new(view, &serving3, &[], &k);
        assert_eq!(coupling.carriers(0), [0, 2]);
        assert!(coupling.carriers(2).is_empty());
        let sol = coupling.solve(&[60e6, 10e6, 0.0], &[]);
        assert_eq!(sol.eta[0], sol.eta[2], "a sector's carriers run at one load");
        // The sector carries its traffic on the sum of its carriers' capacities.
        let total = sol.capacity_bps[0] + sol.capacity_bps[2];
        assert!((sol.eta[0] - (60e6 / total).min(1.0)).abs() < 1e-3, "{sol:?}");
        // Without the second carrier the same traffic loads the sector more.
        let alone =
            CellsView { cells: &cells[..2], maps: &maps[..2], ran: &ran[..2], sector_of: &[0, 1] };
        let single = Coupling::new(alone, &serving, &[], &k).solve(&[60e6, 10e6], &[]);
        assert!(single.eta[0] > sol.eta[0] + 0.2, "{} vs {}", single.eta[0], sol.eta[0]);
        // The 1.8 GHz carrier meets no interference: at any load its SINR is its SNR.
        assert_eq!(coupling.mean_sinr_db(&[0.0; 3])[2], coupling.mean_sinr_db(&[1.0; 3])[2]);
    }
}
