//! `report.html`: one self-contained page (inline SVG charts, maps as data URIs) that a capacity
//! review opens in any browser: the summary and its ranked changes, the overloaded cells and
//! links, busy hours, RSRP and SINR percentiles, what each variant changed element by element,
//! the busiest intervals at packet level, time series on a date axis, and the maps with their
//! colour bar, site and cell names and best-server key.

use std::fmt::Write as _;

use twin_format::run::Summary;

use super::Figure;
use super::elements::{self, ElementLoad, Elements};
use super::maps::RunMaps;
use super::summary::{HEADERS, cells};
use crate::replay::VariantResult;
use crate::scenario::Plan;

mod chart;
mod figures;

/// Rows of each overload table in the report (the CSV has every element).
const OVERLOAD_ROWS: usize = 10;
/// Weeks of the busy-hour table shown (the CSV has every day and week).
const BUSY_WEEKS: usize = 60;

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1180px;margin:auto;padding:1em;color:#222}table{border-collapse:collapse;font-size:13px;margin:0.4em 0 1em}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}td.t{text-align:left}figure{margin:1em 0}figcaption{font-weight:600}.maps{display:flex;flex-wrap:wrap;gap:14px}.maps figure{width:560px;margin:0.5em 0}.key{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px}.key span{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle;border:1px solid #888}h3{margin-bottom:0.2em}table.busy td{white-space:nowrap;font-size:12px}.note{color:#555;font-size:13px}";

/// The self-contained HTML report.
pub(super) fn report_html(
    plan: &Plan,
    summary: &Summary,
    results: &[VariantResult],
    elements: &[Elements],
    maps: &RunMaps,
    views: &[Figure],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0} — network twin run</title><style>{STYLE}</style></head><body><h1>{0}</h1><p>{1} intervals of {2} s from {3} to {4}; baseline and {5} variants. Times are UTC.</p>",
        html_escape(&plan.name),
        plan.window.intervals,
        plan.window.interval_s,
        html_escape(&plan.window.start),
        html_escape(&plan.window.end),
        results.len().saturating_sub(1)
    );
    summary_section(&mut s, summary);
    overload_section(&mut s, plan, results, elements);
    busy_hour_section(&mut s, plan, results, elements);
    percentile_section(&mut s, summary);
    changes_section(&mut s, plan, results, elements);
    packet_section(&mut s, plan, results);
    charts_section(&mut s, plan, results);
    figures::maps_section(&mut s, maps);
    figures::views_section(&mut s, views);
    s.push_str("</body></html>\n");
    s
}

/// The start of interval `k` in the `strftime` pattern `format`.
fn at(plan: &Plan, k: usize, format: &str) -> String {
    chrono::DateTime::from_timestamp(plan.interval_start_s(k), 0)
        .map(|t| t.format(format).to_string())
        .unwrap_or_default()
}

/// The start of interval `k` with its weekday.
fn when(plan: &Plan, k: usize) -> String {
    at(plan, k, "%a %Y-%m-%d %H:%M")
}

fn pct(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

fn summary_section(s: &mut String, summary: &Summary) {
    let _ = write!(s, "<h2>Summary</h2><table><tr><th>{}</th></tr>", HEADERS.join("</th><th>"));
    for v in &summary.variants {
        let _ =
            write!(s, "<tr><td>{}</td></tr>", cells(v, &html_escape(&v.name)).join("</td><td>"));
    }
    s.push_str("</table><h2>Changes against the baseline, by impact</h2><table><tr><th>variant</th><th>KPI</th><th>baseline</th><th>variant</th><th>change</th><th>impact</th></tr>");
    for d in summary.deltas.iter().take(30) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"t\">{}</td><td>{:.4}</td><td>{:.4}</td><td>{:+.4}</td><td>{:+.1} %</td></tr>",
            html_escape(&d.variant),
            d.kpi,
            d.baseline,
            d.value,
            d.change,
            100.0 * d.change.signum() * d.impact
        );
    }
    s.push_str("</table>");
}

fn overload_table(s: &mut String, plan: &Plan, kind: &str, loads: &[ElementLoad]) {
    let over = elements::overloaded(loads);
    if over.is_empty() {
        let _ = write!(s, "<p class=\"note\">No {kind} above 70 % in any hour.</p>");
        return;
    }
    let _ = write!(
        s,
        "<table><tr><th>{kind}</th><th>hours &gt; 70 %</th><th>hours &gt; 80 %</th><th>hours &gt; 100 %</th><th>peak</th><th>worst hour</th><th>p95</th></tr>"
    );
    for e in over.iter().take(OVERLOAD_ROWS) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{:.0}</td><td>{:.0}</td><td>{:.0}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(&e.name),
            e.hours_above[0],
            e.hours_above[1],
            e.hours_above[2],
            pct(e.peak),
            when(plan, e.worst),
            pct(e.p95)
        );
    }
    let more = over.len().saturating_sub(OVERLOAD_ROWS);
    s.push_str("</table>");
    if more > 0 {
        let _ = write!(s, "<p class=\"note\">… and {more} more {kind}s (kpis/overload.csv).</p>");
    }
}

fn overload_section(s: &mut String, plan: &Plan, results: &[VariantResult], elements: &[Elements]) {
    s.push_str("<h2>Overloaded cells and links</h2><p class=\"note\">Hours in which a cell's downlink PRB utilisation, or a link's utilisation, was above 70, 80 and 100 %; most hours above 80 % first. Every element is in <code>kpis/overload.csv</code>.</p>");
    for (r, e) in results.iter().zip(elements) {
        let _ = write!(s, "<h3>{}</h3>", html_escape(&r.name));
        overload_table(s, plan, "cell", &e.cells);
        overload_table(s, plan, "link", &e.links);
    }
}

fn busy_hour_section(
    s: &mut String,
    plan: &Plan,
    results: &[VariantResult],
    elements: &[Elements],
) {
    let weekly: Vec<&Vec<elements::BusyHour>> = elements.iter().map(|e| &e.busy_weeks).collect();
    s.push_str("<h2>Busy hours</h2><p class=\"note\">The network's busy hour of each 7 days from the window's start (the hour of most offered downlink traffic), with the mean and the highest cell PRB utilisation in it and the cell of the highest; a variant's busy hour is named where it differs from the baseline's. Every day and week: <code>kpis/busy_hours.csv</code>.</p><table class=\"busy\"><tr><th>week from</th><th>busy hour</th>");
    for r in results {
        let _ = write!(s, "<th>{}</th>", html_escape(&r.name));
    }
    s.push_str("</tr>");
    let weeks = weekly.first().map_or(0, |w| w.len());
    for w in 0..weeks.min(BUSY_WEEKS) {
        let base = &weekly[0][w];
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td>",
            at(plan, base.period, "%Y-%m-%d"),
            at(plan, base.interval, "%a %-d %b %H:%M")
        );
        for b in weekly.iter().filter_map(|v| v.get(w)) {
            let moved = if b.interval == base.interval {
                String::new()
            } else {
                format!("{}: ", at(plan, b.interval, "%a %-d %b %H:%M"))
            };
            let _ = write!(
                s,
                "<td>{moved}{} · {} {}</td>",
                pct(b.prb_util_mean),
                html_escape(&b.busiest_cell),
                pct(b.prb_util_max)
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</table><h3>Cells by their own busy hour (UTC)</h3><p class=\"note\">How many cells have their busy hour (the hour of the day of most traffic on average over the window) at each hour; each cell's in <code>kpis/cell_busy_hours.csv</code>.</p><table><tr><th>variant</th>");
    for h in 0..24 {
        let _ = write!(s, "<th>{h:02}</th>");
    }
    s.push_str("</tr>");
    for (r, e) in results.iter().zip(elements) {
        let mut counts = [0usize; 24];
        for c in &e.cell_busy_hours {
            counts[c.hour % 24] += 1;
        }
        let _ = write!(s, "<tr><td>{}</td>", html_escape(&r.name));
        for c in counts {
            let _ = write!(s, "<td>{}</td>", if c == 0 { String::new() } else { c.to_string() });
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
}

fn db(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"))
}

fn percentile_section(s: &mut String, summary: &Summary) {
    s.push_str("<h2>RSRP and SINR</h2><p class=\"note\">5th and 50th percentiles. Over the served outdoor points after each variant's last change (SINR with every cell transmitting), and over the busy hour's users: each day's busy hour, points weighted by their cell's traffic and SINR at that hour's loads, averaged over the days.</p><table><tr><th>variant</th><th>RSRP p5 dBm</th><th>RSRP p50 dBm</th><th>SINR p5 dB</th><th>SINR p50 dB</th><th>busy-hour users RSRP p5</th><th>p50</th><th>busy-hour users SINR p5</th><th>p50</th></tr>");
    for v in &summary.variants {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(&v.name),
            db(v.rsrp_p5_dbm),
            db(v.rsrp_p50_dbm),
            db(v.sinr_p5_db),
            db(v.sinr_p50_db),
            db(v.rsrp_users_busy_hour_p5_dbm),
            db(v.rsrp_users_busy_hour_p50_dbm),
            db(v.sinr_users_busy_hour_p5_db),
            db(v.sinr_users_busy_hour_p50_db)
        );
    }
    s.push_str("</table>");
}

fn changes_section(s: &mut String, plan: &Plan, results: &[VariantResult], elements: &[Elements]) {
    let _ = write!(
        s,
        "<h2>What each variant changed</h2><p class=\"note\">The cells and links a variant touches (changed, added, switched, down), then the {} of each kind its change moved most, before (baseline) and after (variant): mean utilisation and offered downlink traffic over the intervals in which the variant's loads differ from the baseline's. In <code>kpis/changes.csv</code>.</p>",
        elements::MOVED
    );
    for (r, e) in results.iter().zip(elements).skip(1) {
        let c = &e.changes;
        let _ = write!(s, "<h3>{}</h3>", html_escape(&r.name));
        let Some(&first) = c.intervals.first() else {
            s.push_str("<p class=\"note\">No cell or link load differs from the baseline's.</p>");
            continue;
        };
        let _ = write!(
            s,
            "<p class=\"note\">{} intervals differ, the first at {}.</p><table><tr><th>element</th><th>kind</th><th>role</th><th>utilisation before</th><th>after</th><th>traffic before GB</th><th>after GB</th></tr>",
            c.intervals.len(),
            when(plan, first)
        );
        let rows = c.cells.iter().map(|x| ("cell", x)).chain(c.links.iter().map(|x| ("link", x)));
        for (kind, x) in rows {
            let gb = |b: f64| if kind == "cell" { format!("{:.2}", b / 1e9) } else { "–".into() };
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"t\">{kind}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&x.element),
                x.role,
                pct(x.util_baseline),
                pct(x.util_variant),
                gb(x.bytes_baseline),
                gb(x.bytes_variant)
            );
        }
        s.push_str("</table>");
    }
}

fn packet_section(s: &mut String, plan: &Plan, results: &[VariantResult]) {
    s.push_str("<h2>Busiest intervals, packet level</h2><table><tr><th>variant</th><th>interval</th><th>flow-model busiest link</th><th>delay p50 ms</th><th>delay p99 ms</th><th>loss</th><th>packets</th></tr>");
    for r in results {
        for b in &r.busy {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{:.1} %</td><td>{:.3}</td><td>{:.3}</td><td>{:.4} %</td><td>{}</td></tr>",
                html_escape(&r.name),
                when(plan, b.interval),
                100.0 * b.flow_max_link_util,
                b.delay_p50_ms,
                b.delay_p99_ms,
                100.0 * b.loss,
                b.packets
            );
        }
    }
    s.push_str("</table>");
}

fn charts_section(s: &mut String, plan: &Plan, results: &[VariantResult]) {
    use chart::{Chart, chart};
    s.push_str("<h2>Time series (daily means)</h2><p class=\"note\">The baseline is the broad grey line; variants are drawn over it.</p>");
    let series = |f: &dyn Fn(&VariantResult) -> Vec<f64>| {
        results.iter().map(|r| (r.name.clone(), f(r))).collect::<Vec<_>>()
    };
    let (per_day, start) = (plan.intervals_per_day(), plan.window.start_s);
    type Series = Vec<(String, Vec<f64>)>;
    let charts: [(Chart<'_>, Series); 6] = [
        (
            Chart { title: "Mean cell PRB utilisation (downlink)", unit: "%", factor: 100.0 },
            series(&|r| r.series.mean_prb_util.clone()),
        ),
        (
            Chart { title: "Busiest cell's PRB utilisation", unit: "%", factor: 100.0 },
            series(&|r| r.series.max_prb_util.clone()),
        ),
        (
            Chart { title: "Busiest link utilisation", unit: "%", factor: 100.0 },
            series(&|r| r.series.max_link_util.clone()),
        ),
        (
            Chart { title: "Mean backhaul delay", unit: "ms", factor: 1.0 },
            series(&|r| r.series.mean_delay_ms.clone()),
        ),
        (
            Chart { title: "Coverage (share of outdoor points served)", unit: "%", factor: 100.0 },
            series(&|r| r.series.coverage.clone()),
        ),
        (
            Chart { title: "Settlement backlog", unit: "records", factor: 1.0 },
            series(&|r| r.series.settlement_backlog.iter().map(|&b| b as f64).collect()),
        ),
    ];
    for (c, data) in &charts {
        s.push_str(&chart(c, data, per_day, start));
    }
}
