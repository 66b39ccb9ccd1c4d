//! The run's summary: aggregates per variant and their changes against the baseline, ranked by
//! impact ([`summarise`]), and the summary as the text table the `twin` command prints
//! ([`table`]).

use std::fmt::Write as _;

use twin_format::run::{Delta, Summary, VariantSummary};

use super::elements;
use crate::replay::VariantResult;
use crate::scenario::Plan;

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return 0.0;
    }
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * q).round() as usize]
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 }
}

/// The mean of `values` over each day's busy hour: the interval of most `offered` traffic in
/// every `per_day` intervals from the window's start.
fn busy_hour_mean(values: &[f64], offered: &[f64], per_day: usize) -> f64 {
    let busiest = elements::busy_intervals(offered, per_day).into_iter();
    let v: Vec<f64> =
        busiest.filter_map(|k| values.get(k).copied()).filter(|x| x.is_finite()).collect();
    mean(&v)
}

/// PRB utilisation above which a cell-interval counts as overloaded (the usual trigger for a
/// capacity upgrade).
pub(crate) const OVERLOAD_PRB_UTIL: f64 = 0.8;

/// Cell-intervals with PRB utilisation above [`OVERLOAD_PRB_UTIL`].
fn overloaded_cell_intervals(r: &VariantResult) -> usize {
    r.cell_kpis.iter().filter(|c| c.prb_util > OVERLOAD_PRB_UTIL).count()
}

/// Median |ΔRSRP| of `variant`'s last state against the baseline's first, over the points
/// served (in either) by a cell the variant changed or added; 0 when it changed none.
fn rsrp_change_median_db(baseline: Option<&VariantResult>, variant: &VariantResult) -> f64 {
    let (Some(before), Some(after)) =
        (baseline.and_then(|b| b.snapshots.first()), variant.snapshots.last())
    else {
        return 0.0;
    };
    let touched = elements::touched(before, after);
    if touched.is_empty() {
        return 0.0;
    }
    let is_touched = |cells: &[radio::Cell], best: Option<usize>| {
        best.is_some_and(|b| touched.contains_key(&cells[b].id))
    };
    let mut changes: Vec<f64> = before
        .serving
        .iter()
        .zip(&after.serving)
        .filter(|(b, a)| is_touched(&before.cells, b.best) || is_touched(&after.cells, a.best))
        .map(|(b, a)| f64::from(a.rsrp_dbm - b.rsrp_dbm).abs())
        .filter(|d| d.is_finite())
        .collect();
    if changes.is_empty() {
        return 0.0;
    }
    changes.sort_by(f64::total_cmp);
    changes[changes.len() / 2]
}

/// What a change of a ranked KPI must reach to be listed (`floor`, in the KPI's unit), and the
/// magnitude its impact is measured against when the baseline is smaller (`scale`): the impact
/// is |change| / max(|baseline|, scale). Without the scale a KPI near zero would rank by dividing
/// by almost nothing (unserved 0.0000 → 0.0006 was "+1 918 945 %"); without the floor a change of
/// 10⁻⁶ would be listed.
struct Materiality {
    floor: f64,
    scale: f64,
}

/// The materiality of a ranked KPI; `None` for those reported without ranking (the
/// packet-level ones, measured on a few busy intervals, and the percentiles, which the other
/// radio KPIs already rank).
fn materiality(kpi: &str) -> Option<Materiality> {
    let (floor, scale) = match kpi {
        // Coverage: 0.1 percentage point, against 10 %.
        "coverage_mean" => (1e-3, 0.1),
        // Busy-hour SINR: 0.1 dB, against 10 dB.
        "sinr_busy_hour_db" => (0.1, 10.0),
        // PRB utilisation, mean and busiest cell's p95: 0.1 and 0.5 points, against 10 %.
        "prb_util_mean" => (1e-3, 0.1),
        "prb_util_max_p95" => (5e-3, 0.1),
        // Overloaded cell-hours: one hour, against ten.
        "overloaded_cell_hours" => (1.0, 10.0),
        // Unserved share: 0.05 points, against 1 %.
        "unserved_share" => (5e-4, 0.01),
        // Busiest link's p95 utilisation: 0.5 points, against 10 %.
        "link_util_max_p95" => (5e-3, 0.1),
        // Backhaul delay: 10 µs, against 1 ms.
        "delay_mean_ms" => (0.01, 1.0),
        // Settlement latency p50 and p99: six minutes, against an hour.
        "settlement_latency_p50_h" | "settlement_latency_p99_h" => (0.1, 1.0),
        // Settlement backlog: ten records, against a thousand.
        "settlement_backlog_max" => (10.0, 1_000.0),
        _ => return None,
    };
    Some(Materiality { floor, scale })
}

/// The summary of a run's results.
pub fn summarise(plan: &Plan, results: &[VariantResult]) -> Summary {
    summarise_with(plan, results, &elements::of_run(plan, results))
}

/// The summary of a run's results, given what [`elements::of_run`] said of them.
pub(super) fn summarise_with(
    plan: &Plan,
    results: &[VariantResult],
    elements: &[elements::Elements],
) -> Summary {
    let per_day = plan.intervals_per_day();
    let hours_per_interval = f64::from(plan.window.interval_s) / 3600.0;
    let variants: Vec<VariantSummary> = results
        .iter()
        .zip(elements)
        .map(|(r, e)| {
            let s = &r.series;
            let busiest_cell = elements::busiest(&e.cells);
            let busiest_link = elements::busiest(&e.links);
            let p = &e.percentiles;
            let (lo, mid) =
                (|v: Option<[f64; 2]>| v.map(|v| v[0]), |v: Option<[f64; 2]>| v.map(|v| v[1]));
            VariantSummary {
                busiest_cell: busiest_cell.map_or_else(String::new, |c| c.name.clone()),
                busiest_cell_p95: busiest_cell.map_or(0.0, |c| c.p95),
                busiest_link: busiest_link.map_or_else(String::new, |l| l.name.clone()),
                busiest_link_p95: busiest_link.map_or(0.0, |l| l.p95),
                rsrp_p5_dbm: lo(p.rsrp_dbm),
                rsrp_p50_dbm: mid(p.rsrp_dbm),
                sinr_p5_db: lo(p.sinr_db),
                sinr_p50_db: mid(p.sinr_db),
                rsrp_users_busy_hour_p5_dbm: lo(p.rsrp_users_dbm),
                rsrp_users_busy_hour_p50_dbm: mid(p.rsrp_users_dbm),
                sinr_users_busy_hour_p5_db: lo(p.sinr_users_db),
                sinr_users_busy_hour_p50_db: mid(p.sinr_users_db),
                name: r.name.clone(),
                coverage_mean: mean(&s.coverage),
                sinr_busy_hour_db: busy_hour_mean(&s.mean_sinr_db, &s.offered_bytes, per_day),
                prb_util_mean: mean(&s.mean_prb_util),
                prb_util_max_p95: quantile(&s.max_prb_util, 0.95),
                overloaded_cell_hours: overloaded_cell_intervals(r) as f64 * hours_per_interval,
                unserved_share: mean(&s.unserved_share),
                link_util_max_p95: quantile(&s.max_link_util, 0.95),
                delay_mean_ms: mean(&s.mean_delay_ms),
                settlement_latency_p50_h: r.system.latency_p50_s / 3600.0,
                settlement_latency_p99_h: r.system.latency_p99_s / 3600.0,
                settlement_backlog_max: r.system.backlog_max,
                packet_delay_p99_ms: r.busy.iter().map(|b| b.delay_p99_ms).fold(0.0, f64::max),
                packet_loss: r.busy.iter().map(|b| b.loss).fold(0.0, f64::max),
                coupling_iterations_max: r.coupling.iterations_max,
                coupling_iterations_mean: r.coupling.iterations_mean,
                rsrp_change_median_db: rsrp_change_median_db(results.first(), r),
                coupling_residual_max: r.coupling.residual_max,
            }
        })
        .collect();
    let deltas = ranked_deltas(&variants);
    Summary { scenario: plan.name.clone(), intervals: plan.window.intervals, variants, deltas }
}

/// Every variant's material changes against the first (the baseline), by impact (see
/// [`materiality`]).
fn ranked_deltas(variants: &[VariantSummary]) -> Vec<Delta> {
    let mut deltas = Vec::new();
    if let Some(base) = variants.first() {
        for v in &variants[1..] {
            for ((kpi, b), (_, x)) in base.kpis().into_iter().zip(v.kpis()) {
                let Some(m) = materiality(kpi) else { continue };
                let change = x - b;
                let impact = change.abs() / b.abs().max(m.scale);
                if change.abs() >= m.floor {
                    deltas.push(Delta {
                        variant: v.name.clone(),
                        kpi: kpi.into(),
                        baseline: b,
                        value: x,
                        change,
                        impact,
                    });
                }
            }
        }
    }
    deltas.sort_by(|a, b| {
        b.impact.total_cmp(&a.impact).then(a.variant.cmp(&b.variant)).then(a.kpi.cmp(&b.kpi))
    });
    deltas
}

/// Column headers of the summary table.
pub(super) const HEADERS: [&str; 13] = [
    "variant",
    "coverage",
    "busy-hour SINR",
    "PRB util mean",
    "busiest cell (p95)",
    "cell-h > 80 %",
    "unserved",
    "busiest link (p95)",
    "delay ms",
    "settlement p50 h",
    "p99 h",
    "backlog max",
    "RSRP moved",
];

/// An element's name and a utilisation in %.
fn named(name: &str, util: f64) -> String {
    if name.is_empty() { "–".to_string() } else { format!("{name} {:.1} %", 100.0 * util) }
}

/// One variant's summary cells, formatted as the table shows them (`name` as given).
pub(super) fn cells(v: &VariantSummary, name: &str) -> [String; 13] {
    [
        name.to_string(),
        format!("{:.1} %", 100.0 * v.coverage_mean),
        format!("{:.1} dB", v.sinr_busy_hour_db),
        format!("{:.1} %", 100.0 * v.prb_util_mean),
        named(&v.busiest_cell, v.busiest_cell_p95),
        format!("{:.0}", v.overloaded_cell_hours),
        format!("{:.2} %", 100.0 * v.unserved_share),
        named(&v.busiest_link, v.busiest_link_p95),
        format!("{:.3}", v.delay_mean_ms),
        format!("{:.1}", v.settlement_latency_p50_h),
        format!("{:.1}", v.settlement_latency_p99_h),
        v.settlement_backlog_max.to_string(),
        format!("{:.1} dB", v.rsrp_change_median_db),
    ]
}

/// The summary as a plain-text table.
pub fn table(s: &Summary) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(t, "|{}", "---|".repeat(HEADERS.len()));
    for v in &s.variants {
        let _ = writeln!(t, "| {} |", cells(v, &v.name).join(" | "));
    }
    t
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn summary(name: &str, unserved: f64, overloaded: f64, sinr: f64) -> VariantSummary {
        VariantSummary {
            name: name.into(),
            coverage_mean: 0.97,
            sinr_busy_hour_db: sinr,
            prb_util_mean: 0.1,
            prb_util_max_p95: 0.6,
            overloaded_cell_hours: overloaded,
            unserved_share: unserved,
            link_util_max_p95: 0.1,
            delay_mean_ms: 1.0,
            settlement_latency_p50_h: 10.0,
            settlement_latency_p99_h: 20.0,
            settlement_backlog_max: 100,
            packet_delay_p99_ms: 1.0,
            packet_loss: 0.0,
            coupling_iterations_max: 3,
            coupling_iterations_mean: 2.0,
            rsrp_change_median_db: 0.0,
            coupling_residual_max: 0.0,
            ..Default::default()
        }
    }

    #[test]
    fn a_kpi_near_zero_ranks_by_its_typical_magnitude_and_tiny_changes_are_not_listed() {
        let variants = [
            summary("baseline", 0.0, 62.0, 13.3),
            // Unserved 0 → 0.06 %: 6 % of the 1 % scale, not two million per cent.
            summary("retilt", 6e-4, 63.0, 13.1),
            // Overload gone: −100 %; unserved 10⁻⁹ and SINR +0.01 dB: below their floors.
            summary("new-site", 1e-9, 0.0, 13.31),
        ];
        let d = ranked_deltas(&variants);
        let find = |v: &str, k: &str| d.iter().find(|x| x.variant == v && x.kpi == k);
        assert_eq!(d[0].variant, "new-site");
        assert_eq!(d[0].kpi, "overloaded_cell_hours");
        assert!((d[0].impact - 1.0).abs() < 1e-12);
        let unserved = find("retilt", "unserved_share").unwrap();
        assert!((unserved.impact - 0.06).abs() < 1e-12, "{unserved:?}");
        assert!(find("new-site", "unserved_share").is_none());
        assert!(find("new-site", "sinr_busy_hour_db").is_none());
        // −0.2 dB of 13.3: listed, 1.5 %.
        let sinr = find("retilt", "sinr_busy_hour_db").unwrap();
        assert!((sinr.impact - 0.2 / 13.3).abs() < 1e-9, "{sinr:?}");
        assert!(d.windows(2).all(|w| w[0].impact >= w[1].impact));
    }
}
