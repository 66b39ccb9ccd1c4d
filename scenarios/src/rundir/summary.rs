//! The run's summary: aggregates per variant and their changes against the baseline, ranked by
//! impact ([`summarise`]), and the summary as the text table the `twin` command prints
//! ([`table`]).

use std::fmt::Write as _;

use twin_format::run::{Delta, Summary, VariantSummary};

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
    let busiest = offered.chunks(per_day).enumerate().filter_map(|(d, day)| {
        let (i, _) = day.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
        values.get(d * per_day + i).copied()
    });
    let v: Vec<f64> = busiest.filter(|x| x.is_finite()).collect();
    mean(&v)
}

/// The summary of a run's results.
pub fn summarise(plan: &Plan, results: &[VariantResult]) -> Summary {
    let per_day = (86_400 / plan.window.interval_s.max(1)).max(1) as usize;
    let variants: Vec<VariantSummary> = results
        .iter()
        .map(|r| {
            let s = &r.series;
            VariantSummary {
                name: r.name.clone(),
                coverage_mean: mean(&s.coverage),
                sinr_busy_hour_db: busy_hour_mean(&s.mean_sinr_db, &s.offered_bytes, per_day),
                prb_util_mean: mean(&s.mean_prb_util),
                prb_util_max_p95: quantile(&s.max_prb_util, 0.95),
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
                coupling_residual_max: r.coupling.residual_max,
            }
        })
        .collect();
    let mut deltas = Vec::new();
    if let Some(base) = variants.first() {
        for v in &variants[1..] {
            // Every KPI but the packet-level ones (the last two), which the summary reports
            // without ranking.
            let pairs = base.kpis().into_iter().zip(v.kpis()).take(10);
            for ((kpi, b), (_, x)) in pairs {
                let change = x - b;
                let impact = change.abs() / if b.abs() > 1e-12 { b.abs() } else { 1.0 };
                if impact > 1e-3 {
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
    Summary { scenario: plan.name.clone(), intervals: plan.window.intervals, variants, deltas }
}

/// Column headers of the summary table.
pub(super) const HEADERS: [&str; 10] = [
    "variant",
    "coverage",
    "PRB util mean",
    "busiest cell p95",
    "unserved",
    "busiest link p95",
    "delay ms",
    "settlement p50 h",
    "p99 h",
    "backlog max",
];

/// One variant's summary cells, formatted as the table shows them (`name` as given).
pub(super) fn cells(v: &VariantSummary, name: &str) -> [String; 10] {
    [
        name.to_string(),
        format!("{:.1} %", 100.0 * v.coverage_mean),
        format!("{:.1} %", 100.0 * v.prb_util_mean),
        format!("{:.1} %", 100.0 * v.prb_util_max_p95),
        format!("{:.2} %", 100.0 * v.unserved_share),
        format!("{:.1} %", 100.0 * v.link_util_max_p95),
        format!("{:.3}", v.delay_mean_ms),
        format!("{:.1}", v.settlement_latency_p50_h),
        format!("{:.1}", v.settlement_latency_p99_h),
        v.settlement_backlog_max.to_string(),
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
