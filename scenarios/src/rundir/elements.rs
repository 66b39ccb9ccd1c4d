//! What a run says about elements, not only about the network: each cell's and link's hours
//! above the overload thresholds, its worst interval and peak ([`cell_loads`], [`link_loads`]);
//! the network's busy hour per day and week and each cell's own busy hour ([`busy_hours`],
//! [`cell_busy_hours`]); RSRP and SINR percentiles over the served points and the busy hour's
//! users ([`Percentiles`]); and, per variant, the elements it touches and those its change
//! moved most, before and after, over the intervals in which it differs from the baseline
//! ([`changes`]).

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;

use crate::replay::{PointServing, StateSnapshot, VariantResult};
use crate::scenario::Plan;

/// Utilisations above which an element's hours are counted: 70, 80 and 100 %.
pub const THRESHOLDS: [f64; 3] = [0.7, 0.8, 1.0];
/// Utilisations above this are counted as this (demand on a cell that can carry nothing is
/// infinitely over; the network series cap it the same way).
const UTIL_CAP: f64 = 10.0;
/// The percentile the summary's busiest cell and link are chosen by.
const RANK_QUANTILE: f64 = 0.95;

/// One element's utilisation over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementLoad {
    /// The cell's identifier or the link's name.
    pub name: String,
    /// Hours above each of [`THRESHOLDS`].
    pub hours_above: [f64; 3],
    /// Highest utilisation.
    pub peak: f64,
    /// The interval of the peak (the first, if several).
    pub worst: usize,
    /// 95th percentile over the intervals.
    pub p95: f64,
    /// Mean over the intervals.
    pub mean: f64,
}

/// The `q` quantile of `v` (nearest rank, as the summary's), reordering `v`; 0 when empty.
fn quantile_in_place(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    *v.select_nth_unstable_by(i, f64::total_cmp).1
}

impl ElementLoad {
    fn of(name: &str, mut values: Vec<f64>, hours_per_interval: f64) -> ElementLoad {
        values.iter_mut().for_each(|v| *v = if v.is_nan() { 0.0 } else { v.min(UTIL_CAP) });
        let mut hours_above = [0.0; 3];
        let (mut peak, mut worst, mut sum) = (f64::NEG_INFINITY, 0, 0.0);
        for (k, &v) in values.iter().enumerate() {
            for (h, t) in hours_above.iter_mut().zip(THRESHOLDS) {
                if v > t {
                    *h += hours_per_interval;
                }
            }
            if v > peak {
                (peak, worst) = (v, k);
            }
            sum += v;
        }
        let mean = sum / values.len().max(1) as f64;
        let p95 = quantile_in_place(&mut values, RANK_QUANTILE);
        ElementLoad { name: name.to_string(), hours_above, peak: peak.max(0.0), worst, p95, mean }
    }
}

/// Every cell's PRB utilisation over the window, in the order of `r.cells`.
pub fn cell_loads(r: &VariantResult, hours_per_interval: f64) -> Vec<ElementLoad> {
    let nc = r.cells.len();
    let intervals = r.cell_kpis.len().checked_div(nc).unwrap_or(0);
    r.cells
        .iter()
        .enumerate()
        .map(|(c, id)| {
            let v = (0..intervals).map(|k| r.cell_kpis[k * nc + c].prb_util).collect();
            ElementLoad::of(id, v, hours_per_interval)
        })
        .collect()
}

/// The utilisation of every link that carries traffic at some interval, in the order of
/// `r.links`.
pub fn link_loads(r: &VariantResult, hours_per_interval: f64) -> Vec<ElementLoad> {
    let nl = r.links.len();
    let intervals = r.link_util.len().checked_div(nl).unwrap_or(0);
    r.links
        .iter()
        .enumerate()
        .filter_map(|(l, name)| {
            let v: Vec<f64> = (0..intervals).map(|k| f64::from(r.link_util[k * nl + l])).collect();
            v.iter().any(|&u| u > 0.0).then(|| ElementLoad::of(name, v, hours_per_interval))
        })
        .collect()
}

/// The elements with hours above the lowest threshold, most hours above 80 % first (then
/// above 70 %, then the higher peak, then by name).
pub fn overloaded(loads: &[ElementLoad]) -> Vec<&ElementLoad> {
    let mut v: Vec<&ElementLoad> = loads.iter().filter(|e| e.hours_above[0] > 0.0).collect();
    v.sort_by(|a, b| {
        b.hours_above[1]
            .total_cmp(&a.hours_above[1])
            .then(b.hours_above[0].total_cmp(&a.hours_above[0]))
            .then(b.peak.total_cmp(&a.peak))
            .then(a.name.cmp(&b.name))
    });
    v
}

/// The element of highest 95th percentile (ties: more hours above 80 %, then the first name).
pub fn busiest(loads: &[ElementLoad]) -> Option<&ElementLoad> {
    loads.iter().min_by(|a, b| {
        b.p95
            .total_cmp(&a.p95)
            .then(b.hours_above[1].total_cmp(&a.hours_above[1]))
            .then(a.name.cmp(&b.name))
    })
}

/// The busy interval of each period of `per` intervals from the window's start: the one of
/// most offered traffic (the first, if several).
pub fn busy_intervals(offered: &[f64], per: usize) -> Vec<usize> {
    offered
        .chunks(per.max(1))
        .enumerate()
        .filter_map(|(d, day)| {
            let best = day.iter().enumerate().rev().max_by(|a, b| a.1.total_cmp(b.1))?;
            Some(d * per.max(1) + best.0)
        })
        .collect()
}

/// The network's busy hour in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct BusyHour {
    /// The period's first interval.
    pub period: usize,
    /// The busy interval.
    pub interval: usize,
    /// Downlink bytes offered in it.
    pub offered_bytes: f64,
    /// Mean and highest PRB utilisation of the cells in it.
    pub prb_util_mean: f64,
    /// Highest PRB utilisation of a cell in it.
    pub prb_util_max: f64,
    /// The cell of that highest utilisation.
    pub busiest_cell: String,
}

/// The network's busy hour in each period of `per` intervals.
pub fn busy_hours(r: &VariantResult, per: usize) -> Vec<BusyHour> {
    let s = &r.series;
    let nc = r.cells.len();
    busy_intervals(&s.offered_bytes, per)
        .into_iter()
        .map(|k| {
            let row = r.cell_kpis.get(k * nc..(k + 1) * nc).unwrap_or(&[]);
            let top = row.iter().enumerate().max_by(|a, b| a.1.prb_util.total_cmp(&b.1.prb_util));
            BusyHour {
                period: k - k % per.max(1),
                interval: k,
                offered_bytes: s.offered_bytes[k],
                prb_util_mean: s.mean_prb_util.get(k).copied().unwrap_or(0.0),
                prb_util_max: s.max_prb_util.get(k).copied().unwrap_or(0.0),
                busiest_cell: top.map_or_else(String::new, |(c, _)| r.cells[c].clone()),
            }
        })
        .collect()
}

/// A cell's own busy hour: the hour of the day (UTC) of most offered traffic on average over
/// the window (the time-consistent busy hour of ITU-T E.500).
#[derive(Debug, Clone, PartialEq)]
pub struct CellBusyHour {
    /// The cell.
    pub cell: String,
    /// Hour of the day, 0-23, UTC.
    pub hour: usize,
    /// Mean downlink bytes offered in that hour of the day.
    pub dl_bytes_mean: f64,
    /// Mean PRB utilisation in that hour of the day.
    pub prb_util_mean: f64,
}

/// Every cell's own busy hour; `hour_of[k]` is interval `k`'s hour of the day. Cells offered
/// nothing have none.
pub fn cell_busy_hours(r: &VariantResult, hour_of: &[usize]) -> Vec<CellBusyHour> {
    let nc = r.cells.len();
    let mut sums = vec![[(0.0f64, 0.0f64, 0u32); 24]; nc];
    for (k, &h) in hour_of.iter().enumerate() {
        for (c, kpi) in r.cell_kpis.get(k * nc..(k + 1) * nc).unwrap_or(&[]).iter().enumerate() {
            let s = &mut sums[c][h % 24];
            (s.0, s.1, s.2) = (s.0 + kpi.dl_bytes, s.1 + kpi.prb_util.min(UTIL_CAP), s.2 + 1);
        }
    }
    r.cells
        .iter()
        .zip(sums)
        .filter_map(|(id, hours)| {
            let mean =
                |s: (f64, f64, u32)| (s.0 / f64::from(s.2.max(1)), s.1 / f64::from(s.2.max(1)));
            let (hour, &s) = hours
                .iter()
                .enumerate()
                .rev()
                .max_by(|a, b| mean(*a.1).0.total_cmp(&mean(*b.1).0))?;
            let (dl, prb) = mean(s);
            (dl > 0.0).then(|| CellBusyHour {
                cell: id.clone(),
                hour,
                dl_bytes_mean: dl,
                prb_util_mean: prb,
            })
        })
        .collect()
}

/// RSRP and SINR percentiles (5th, 50th) of a variant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Percentiles {
    /// RSRP over the served outdoor points after the last change, dBm.
    pub rsrp_dbm: Option<[f64; 2]>,
    /// Full-load SINR over the same points, dB.
    pub sinr_db: Option<[f64; 2]>,
    /// RSRP over the busy hours' users (points weighted by their cell's traffic, shared evenly
    /// among its points), averaged over the days, dBm.
    pub rsrp_users_dbm: Option<[f64; 2]>,
    /// SINR over the busy hours' users at the busy hours' loads, averaged over the days, dB.
    pub sinr_users_db: Option<[f64; 2]>,
}

const PERCENTILES: [f64; 2] = [0.05, 0.5];

fn point_percentiles(
    serving: &[PointServing],
    value: fn(&PointServing) -> f32,
) -> Option<[f64; 2]> {
    let mut v: Vec<f64> = serving
        .iter()
        .filter(|p| p.best.is_some())
        .map(|p| f64::from(value(p)))
        .filter(|x| x.is_finite())
        .collect();
    (!v.is_empty()).then(|| PERCENTILES.map(|q| quantile_in_place(&mut v, q)))
}

/// The served points of a snapshot by RSRP, with their cell, and each cell's served points.
struct ByRsrp {
    points: Vec<(f64, usize)>,
    per_cell: Vec<f64>,
}

impl ByRsrp {
    fn new(s: &StateSnapshot) -> ByRsrp {
        let mut points: Vec<(f64, usize)> = s
            .serving
            .iter()
            .filter_map(|p| Some((f64::from(p.rsrp_dbm), p.best?)))
            .filter(|(r, _)| r.is_finite())
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut per_cell = vec![0.0; s.cells.len()];
        for &(_, c) in &points {
            per_cell[c] += 1.0;
        }
        ByRsrp { points, per_cell }
    }

    /// The percentiles with each point weighted by `traffic[cell]` over the cell's points.
    fn weighted(&self, traffic: &[f64]) -> Option<[f64; 2]> {
        let w = |c: usize| traffic.get(c).copied().unwrap_or(0.0) / self.per_cell[c].max(1.0);
        let total: f64 = self.points.iter().map(|&(_, c)| w(c)).sum();
        if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        Some(PERCENTILES.map(|q| {
            let mut below = 0.0;
            for &(rsrp, c) in &self.points {
                below += w(c);
                if below >= q * total {
                    return rsrp;
                }
            }
            self.points.last().map_or(f64::NAN, |p| p.0)
        }))
    }
}

fn mean_of(v: impl Iterator<Item = [f64; 2]>) -> Option<[f64; 2]> {
    let (mut sum, mut n) = ([0.0; 2], 0.0);
    for x in v.filter(|x| x.iter().all(|v| v.is_finite())) {
        (sum[0], sum[1], n) = (sum[0] + x[0], sum[1] + x[1], n + 1.0);
    }
    (n > 0.0).then(|| sum.map(|s| s / n))
}

/// The variant's RSRP and SINR percentiles; `per_day` intervals make a day.
pub fn percentiles(r: &VariantResult, per_day: usize) -> Percentiles {
    let last = r.last_serving();
    let busy = busy_intervals(&r.series.offered_bytes, per_day);
    let nc = r.cells.len();
    let sorted: Vec<ByRsrp> = r.snapshots.iter().map(ByRsrp::new).collect();
    let rsrp_users = busy.iter().filter_map(|&k| {
        let s = r.snapshots.iter().rposition(|s| s.from <= k)?;
        let row = r.cell_kpis.get(k * nc..(k + 1) * nc)?;
        let traffic: Vec<f64> = row.iter().map(|c| c.dl_bytes).collect();
        sorted[s].weighted(&traffic)
    });
    let sinr_users = busy.iter().filter_map(|&k| {
        Some([*r.series.users_sinr_p5_db.get(k)?, *r.series.users_sinr_p50_db.get(k)?])
    });
    Percentiles {
        rsrp_dbm: point_percentiles(last, |p| p.rsrp_dbm),
        sinr_db: point_percentiles(last, |p| p.sinr_db),
        rsrp_users_dbm: mean_of(rsrp_users),
        sinr_users_db: mean_of(sinr_users),
    }
}

/// An element a variant touches or moves, before (the baseline) and after (the variant), over
/// the intervals in which the variant differs from the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementChange {
    /// The cell's identifier or the link's name.
    pub element: String,
    /// Why it is listed: `changed`, `added`, `switched off`, `switched on` (cells), `down`
    /// (links), or `moved` (among the largest changes of utilisation).
    pub role: &'static str,
    /// Mean utilisation in the baseline.
    pub util_baseline: f64,
    /// Mean utilisation in the variant.
    pub util_variant: f64,
    /// Downlink bytes offered in the baseline (cells).
    pub bytes_baseline: f64,
    /// Downlink bytes offered in the variant (cells).
    pub bytes_variant: f64,
}

/// What a variant changed, element by element.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VariantChanges {
    /// The intervals in which any cell's or link's load differs from the baseline's.
    pub intervals: Vec<usize>,
    /// Cells: those the variant touches, then the `moved` ones.
    pub cells: Vec<ElementChange>,
    /// Links: those down in the variant, then the `moved` ones.
    pub links: Vec<ElementChange>,
}

/// Untouched elements listed as `moved`, at most, per kind.
pub const MOVED: usize = 5;
/// A change of mean utilisation below this is not `moved`.
const MOVED_FLOOR: f64 = 1e-3;

/// The intervals in which `v`'s cell or link loads differ from `base`'s.
fn differing(base: &VariantResult, v: &VariantResult, cell_of: &[Option<usize>]) -> Vec<usize> {
    let (nb, nv, nl) = (base.cells.len(), v.cells.len(), v.links.len());
    let intervals = v.series.offered_bytes.len();
    (0..intervals)
        .filter(|&k| {
            let cells = cell_of.iter().enumerate().any(|(c, b)| {
                let x = &v.cell_kpis[k * nv + c];
                b.map_or(x.dl_bytes > 0.0, |b| base.cell_kpis[k * nb + b] != *x)
            });
            cells || (0..nl).any(|l| base.link_util.get(k * nl + l) != v.link_util.get(k * nl + l))
        })
        .collect()
}

/// The cells of `after` that are not in `before` as they are there, by role: added, switched
/// off or on, or changed.
pub(super) fn touched(
    before: &StateSnapshot,
    after: &StateSnapshot,
) -> HashMap<String, &'static str> {
    let mut roles = HashMap::new();
    for (c, on) in after.cells.iter().zip(&after.active) {
        let role = match before.cells.iter().position(|b| b.id == c.id) {
            None => "added",
            Some(i) if before.active[i] && !on => "switched off",
            Some(i) if !before.active[i] && *on => "switched on",
            Some(i) if before.cells[i] != *c => "changed",
            Some(_) => continue,
        };
        roles.insert(c.id.clone(), role);
    }
    roles
}

/// `base`'s and `v`'s changes, element by element (see [`VariantChanges`]).
pub fn changes(base: &VariantResult, v: &VariantResult) -> VariantChanges {
    let cell_of: Vec<Option<usize>> =
        v.cells.iter().map(|id| base.cells.iter().position(|b| b == id)).collect();
    let intervals = differing(base, v, &cell_of);
    if intervals.is_empty() {
        return VariantChanges::default();
    }
    let n = intervals.len() as f64;
    let (nb, nv) = (base.cells.len(), v.cells.len());
    let roles = match (base.snapshots.first(), v.snapshots.last()) {
        (Some(before), Some(after)) => touched(before, after),
        _ => HashMap::new(),
    };
    let mut cells: Vec<ElementChange> = cell_of
        .iter()
        .enumerate()
        .map(|(c, b)| {
            let (mut ub, mut uv, mut bb, mut bv) = (0.0, 0.0, 0.0, 0.0);
            for &k in &intervals {
                let x = &v.cell_kpis[k * nv + c];
                (uv, bv) = (uv + x.prb_util.min(UTIL_CAP), bv + x.dl_bytes);
                if let Some(b) = b {
                    let y = &base.cell_kpis[k * nb + b];
                    (ub, bb) = (ub + y.prb_util.min(UTIL_CAP), bb + y.dl_bytes);
                }
            }
            ElementChange {
                element: v.cells[c].clone(),
                role: roles.get(&v.cells[c]).copied().unwrap_or("moved"),
                util_baseline: ub / n,
                util_variant: uv / n,
                bytes_baseline: bb,
                bytes_variant: bv,
            }
        })
        .collect();
    let down: BTreeSet<usize> = v.snapshots.iter().flat_map(|s| s.links_down.clone()).collect();
    let base_down: BTreeSet<usize> =
        base.snapshots.iter().flat_map(|s| s.links_down.clone()).collect();
    let nl = v.links.len();
    let mut links: Vec<ElementChange> = (0..nl)
        .map(|l| {
            let mean = |r: &VariantResult| {
                intervals.iter().map(|&k| f64::from(r.link_util[k * nl + l])).sum::<f64>() / n
            };
            ElementChange {
                element: v.links[l].clone(),
                role: if down.contains(&l) && !base_down.contains(&l) { "down" } else { "moved" },
                util_baseline: mean(base),
                util_variant: mean(v),
                bytes_baseline: 0.0,
                bytes_variant: 0.0,
            }
        })
        .collect();
    VariantChanges { intervals, cells: keep(&mut cells), links: keep(&mut links) }
}

/// The touched elements (in their order), then the [`MOVED`] others of largest change.
fn keep(all: &mut Vec<ElementChange>) -> Vec<ElementChange> {
    let moved = |e: &ElementChange| (e.util_variant - e.util_baseline).abs();
    let (mut out, mut rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|e| e.role != "moved");
    rest.retain(|e| moved(e) >= MOVED_FLOOR);
    rest.sort_by(|a, b| moved(b).total_cmp(&moved(a)).then(a.element.cmp(&b.element)));
    out.extend(rest.into_iter().take(MOVED));
    out
}

/// Everything this module says about one variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Elements {
    /// Every cell's load.
    pub cells: Vec<ElementLoad>,
    /// Every link's that carries traffic.
    pub links: Vec<ElementLoad>,
    /// RSRP and SINR percentiles.
    pub percentiles: Percentiles,
    /// The network's busy hour of each day.
    pub busy_days: Vec<BusyHour>,
    /// The network's busy hour of each 7 days from the window's start.
    pub busy_weeks: Vec<BusyHour>,
    /// Each cell's own busy hour.
    pub cell_busy_hours: Vec<CellBusyHour>,
    /// Against the baseline (nothing for the baseline itself).
    pub changes: VariantChanges,
}

/// [`Elements`] of every result, the first being the baseline.
pub fn of_run(plan: &Plan, results: &[VariantResult]) -> Vec<Elements> {
    let hours = f64::from(plan.window.interval_s) / 3600.0;
    let per_day = plan.intervals_per_day();
    let hour_of: Vec<usize> = (0..plan.window.intervals).map(|k| plan.hour_of_day(k)).collect();
    results
        .par_iter()
        .enumerate()
        .map(|(i, r)| Elements {
            cells: cell_loads(r, hours),
            links: link_loads(r, hours),
            percentiles: percentiles(r, per_day),
            busy_days: busy_hours(r, per_day),
            busy_weeks: busy_hours(r, 7 * per_day),
            cell_busy_hours: cell_busy_hours(r, &hour_of),
            changes: match results.first() {
                Some(base) if i > 0 => changes(base, r),
                _ => VariantChanges::default(),
            },
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::replay::CellKpi;

    fn result(name: &str, utils: &[[f64; 2]], links: &[[f32; 1]]) -> VariantResult {
        let kpi = |u: f64| CellKpi { dl_bytes: 1e6 * u, prb_util: u, unserved_bytes: 0.0 };
        VariantResult {
            name: name.into(),
            cells: vec!["A1".into(), "B1".into()],
            cell_kpis: utils.iter().flat_map(|r| r.map(kpi)).collect(),
            links: vec!["core->A".into()],
            link_util: links.iter().flat_map(|r| *r).collect(),
            series: crate::replay::NetworkSeries {
                offered_bytes: utils.iter().map(|r| 1e6 * (r[0] + r[1])).collect(),
                ..Default::default()
            },
            coupling: Default::default(),
            uncovered_bytes: vec![0.0; utils.len()],
            positions: Vec::new(),
            system: Default::default(),
            states: 1,
            busy: Vec::new(),
            snapshots: Vec::new(),
        }
    }

    #[test]
    fn hours_above_each_threshold_the_worst_hour_and_the_busiest_element_are_named() {
        let r = result(
            "baseline",
            &[[0.5, 0.75], [0.9, 0.85], [1.2, 0.1], [0.2, 0.82]],
            &[[0.1], [0.0], [0.95], [0.3]],
        );
        let cells = cell_loads(&r, 1.0);
        assert_eq!(cells[0].hours_above, [2.0, 2.0, 1.0]);
        assert_eq!((cells[0].peak, cells[0].worst), (1.2, 2));
        assert_eq!(cells[1].hours_above, [3.0, 2.0, 0.0]);
        let over = overloaded(&cells);
        // Both have two hours above 80 %; B1 has more above 70 %.
        assert_eq!(over.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["B1", "A1"]);
        // p95 of four values is the largest: 1.2 against 0.85.
        assert_eq!(busiest(&cells).unwrap().name, "A1");
        let links = link_loads(&r, 0.5);
        assert_eq!((links[0].hours_above, links[0].worst), ([0.5, 0.5, 0.0], 2));
        // Daily busy hours of two intervals: offered 1.25e6 < 1.75e6, then 1.3e6 > 1.02e6.
        let busy = busy_hours(&r, 2);
        assert_eq!(busy.iter().map(|b| b.interval).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(busy[1].busiest_cell, "A1");
        let own = cell_busy_hours(&r, &[18, 19, 18, 19]);
        assert_eq!((own[0].hour, own[1].hour), (18, 19));
    }

    #[test]
    fn a_variant_lists_the_elements_it_moved_over_the_intervals_it_differs_in() {
        let base =
            result("baseline", &[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], &[[0.2], [0.2], [0.2]]);
        // From interval 1 on, B1 takes half of A1's load.
        let v = result("shift", &[[0.5, 0.5], [0.25, 0.75], [0.25, 0.75]], &[[0.2], [0.2], [0.3]]);
        let c = changes(&base, &v);
        assert_eq!(c.intervals, [1, 2]);
        let a1 = c.cells.iter().find(|e| e.element == "A1").unwrap();
        assert_eq!((a1.role, a1.util_baseline, a1.util_variant), ("moved", 0.5, 0.25));
        assert_eq!(a1.bytes_variant, 0.5e6);
        assert!((c.links[0].util_variant - 0.25).abs() < 1e-6);
        assert_eq!(c.links[0].role, "moved");
        assert_eq!(changes(&base, &base), VariantChanges::default());
        // A link down in one of the variant's states is listed as down.
        let mut failed = v.clone();
        failed.snapshots.push(StateSnapshot {
            from: 1,
            cells: Vec::new(),
            active: Vec::new(),
            links_down: vec![0],
            serving: Vec::new(),
        });
        assert_eq!(changes(&base, &failed).links[0].role, "down");
    }
}
