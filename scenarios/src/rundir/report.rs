//! `report.html`: one self-contained page (inline SVG charts, maps as data URIs) that a capacity
//! review opens in any browser.

use std::fmt::Write as _;

use base64::Engine as _;
use twin_format::run::Summary;

use super::Figure;
use super::summary::{HEADERS, cells};
use crate::replay::VariantResult;
use crate::scenario::Plan;

const COLOURS: [&str; 8] =
    ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

/// A line chart of daily means as inline SVG.
fn chart(title: &str, unit: &str, series: &[(String, Vec<f64>)], per_day: usize) -> String {
    let (w, h, pad) = (760.0, 220.0, 40.0);
    let daily: Vec<(String, Vec<f64>)> = series
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                v.chunks(per_day.max(1)).map(|c| c.iter().sum::<f64>() / c.len() as f64).collect(),
            )
        })
        .collect();
    let max = daily
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let n = daily.first().map_or(0, |(_, v)| v.len()).max(2);
    let mut s = format!(
        "<figure><figcaption>{title}</figcaption><svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"{title}\"><rect x=\"{pad}\" y=\"10\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#ccc\"/><text x=\"4\" y=\"18\" font-size=\"11\">{:.3} {unit}</text><text x=\"4\" y=\"{}\" font-size=\"11\">0</text>",
        w - pad - 10.0,
        h - pad - 10.0,
        max,
        h - pad
    );
    for (i, (name, v)) in daily.iter().enumerate() {
        let pts: Vec<String> = v
            .iter()
            .enumerate()
            .map(|(k, y)| {
                format!(
                    "{:.1},{:.1}",
                    pad + (w - pad - 10.0) * k as f64 / (n - 1) as f64,
                    10.0 + (h - pad - 10.0) * (1.0 - y.max(0.0) / max)
                )
            })
            .collect();
        let colour = COLOURS[i % COLOURS.len()];
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.3\" points=\"{}\"/>",
            pts.join(" ")
        );
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>",
            pad + 5.0 + 150.0 * (i % 4) as f64,
            h - 22.0 + 12.0 * (i / 4) as f64,
            html_escape(name)
        );
    }
    s.push_str("</svg></figure>");
    s
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The self-contained HTML report: summary, deltas ranked by impact, the packet-level busy
/// intervals, charts of daily means, the RSRP maps and the viewer's images.
pub(super) fn report_html(
    plan: &Plan,
    summary: &Summary,
    results: &[VariantResult],
    maps: &[Figure],
    views: &[Figure],
) -> String {
    let per_day = (86_400 / plan.window.interval_s.max(1)) as usize;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0} — network twin run</title><style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:1em;color:#222}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}th{{background:#eee}}td:first-child{{text-align:left}}figure{{margin:1em 0}}figcaption{{font-weight:600}}.maps{{display:flex;flex-wrap:wrap;gap:12px}}.maps figure{{width:340px}}.maps img{{width:100%;image-rendering:pixelated;border:1px solid #ccc}}</style></head><body><h1>{0}</h1><p>{1} intervals of {2} s from {3} to {4}; baseline and {5} variants.</p>",
        html_escape(&plan.name),
        plan.window.intervals,
        plan.window.interval_s,
        html_escape(&plan.window.start),
        html_escape(&plan.window.end),
        results.len().saturating_sub(1)
    );
    let _ = write!(s, "<h2>Summary</h2><table><tr><th>{}</th></tr>", HEADERS.join("</th><th>"));
    for v in &summary.variants {
        let _ =
            write!(s, "<tr><td>{}</td></tr>", cells(v, &html_escape(&v.name)).join("</td><td>"));
    }
    s.push_str("</table><h2>Changes against the baseline, by impact</h2><table><tr><th>variant</th><th>KPI</th><th>baseline</th><th>variant</th><th>change</th><th>impact</th></tr>");
    for d in summary.deltas.iter().take(30) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:+.4}</td><td>{:+.1} %</td></tr>",
            html_escape(&d.variant),
            d.kpi,
            d.baseline,
            d.value,
            d.change,
            100.0 * d.change.signum() * d.impact
        );
    }
    s.push_str("</table><h2>Busiest intervals, packet level</h2><table><tr><th>variant</th><th>interval</th><th>flow-model busiest link</th><th>delay p50 ms</th><th>delay p99 ms</th><th>loss</th><th>packets</th></tr>");
    for r in results {
        for b in &r.busy {
            let when = chrono::DateTime::from_timestamp(plan.interval_start_s(b.interval), 0)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{when}</td><td>{:.1} %</td><td>{:.3}</td><td>{:.3}</td><td>{:.4} %</td><td>{}</td></tr>",
                html_escape(&r.name),
                100.0 * b.flow_max_link_util,
                b.delay_p50_ms,
                b.delay_p99_ms,
                100.0 * b.loss,
                b.packets
            );
        }
    }
    s.push_str("</table><h2>Time series (daily means)</h2>");
    let series = |f: &dyn Fn(&VariantResult) -> Vec<f64>| {
        results.iter().map(|r| (r.name.clone(), f(r))).collect::<Vec<_>>()
    };
    s.push_str(&chart(
        "Busiest link utilisation",
        "",
        &series(&|r| r.series.max_link_util.clone()),
        per_day,
    ));
    s.push_str(&chart(
        "Mean backhaul delay",
        "ms",
        &series(&|r| r.series.mean_delay_ms.clone()),
        per_day,
    ));
    s.push_str(&chart(
        "Mean cell PRB utilisation",
        "",
        &series(&|r| r.series.mean_prb_util.clone()),
        per_day,
    ));
    s.push_str(&chart(
        "Coverage (share of outdoor points served)",
        "",
        &series(&|r| r.series.coverage.clone()),
        per_day,
    ));
    s.push_str(&chart(
        "Settlement backlog",
        "records",
        &series(&|r| r.series.settlement_backlog.iter().map(|&b| b as f64).collect()),
        per_day,
    ));
    s.push_str("<h2>Best-server RSRP maps</h2><p>−120 dBm (purple) to −60 dBm (yellow); dark red: not served; grey: indoors (the viewer's colours). Baseline at the window's start; variants after their last change.</p><div class=\"maps\">");
    for m in maps {
        let _ = write!(
            s,
            "<figure><figcaption>{}</figcaption><img alt=\"RSRP map of {0}\" src=\"data:image/png;base64,{}\"></figure>",
            html_escape(&m.caption),
            base64::engine::general_purpose::STANDARD.encode(&m.png)
        );
    }
    s.push_str("</div>");
    if !views.is_empty() {
        s.push_str("<h2>Views</h2><p>Drawn by the viewer (<code>twin-view</code>) with the renderer of its window: each variant minus the baseline after the variant's last change, red worse, blue better, grey unchanged; buildings, sector wedges, transport links by utilisation (magenta: down) and unserved areas (dark red). Open the run in <code>twin-view</code> to pan, hover and scrub through time.</p><div class=\"views\">");
        for v in views {
            let _ = write!(
                s,
                "<figure><figcaption>{0}</figcaption><img alt=\"{0}\" style=\"width:100%;border:1px solid #ccc\" src=\"data:image/png;base64,{1}\"></figure>",
                html_escape(&v.caption),
                base64::engine::general_purpose::STANDARD.encode(&v.png)
            );
        }
        s.push_str("</div>");
    }
    s.push_str("</body></html>\n");
    s
}
