//! The run directory: what a replay leaves behind, written under a temporary name and renamed
//! into place when complete, so that it is whole or absent.
//!
//! | file | content |
//! |---|---|
//! | `manifest.json` | scenario, seed, crate version, every input file with its SHA-256, the radio backend, timings |
//! | `summary.json` | per variant: aggregate KPIs and their change against the baseline |
//! | `kpis/network.csv` | per variant and interval: coverage, PRB utilisation, unserved share, link utilisation, delay, settlement backlog |
//! | `kpis/cells.csv` | per variant, period (an interval, or a day by default) and cell: offered bytes, mean and maximum PRB utilisation, unserved bytes |
//! | `kpis/links.csv` | per variant, period and link: mean and maximum utilisation (links that ever carry traffic) |
//! | `kpis/positions.csv` | per variant, month and carrier: multilateral net position (micro-units) |
//! | `kpis/busy_intervals.csv` | per variant, the busiest intervals simulated packet by packet: delay p50 / p99, loss |
//! | `maps/<variant>.png` | best-server RSRP at the window's start (baseline) or after the variant's last change |
//! | `report.html` | one self-contained page: summary, deltas ranked by impact, charts, maps |

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ScenarioError;
use crate::replay::VariantResult;
use crate::scenario::Plan;
use crate::tables::{Batch, Column, TableWriter};

/// Aggregates of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    /// Name.
    pub name: String,
    /// Mean share of outdoor points served.
    pub coverage_mean: f64,
    /// Mean PRB utilisation over cells and intervals.
    pub prb_util_mean: f64,
    /// 95th percentile over intervals of the busiest cell's PRB utilisation.
    pub prb_util_max_p95: f64,
    /// Mean over intervals of the share of offered traffic not served.
    pub unserved_share: f64,
    /// 95th percentile over intervals of the busiest link's utilisation.
    pub link_util_max_p95: f64,
    /// Mean backhaul delay, ms.
    pub delay_mean_ms: f64,
    /// Settlement latency, median, hours.
    pub settlement_latency_p50_h: f64,
    /// Settlement latency, 99th percentile, hours.
    pub settlement_latency_p99_h: f64,
    /// Largest settlement backlog, records.
    pub settlement_backlog_max: u64,
    /// Highest 99th-percentile packet delay over the busy intervals simulated, ms.
    pub packet_delay_p99_ms: f64,
    /// Highest packet loss over the busy intervals simulated.
    pub packet_loss: f64,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// Intervals replayed.
    pub intervals: usize,
    /// Baseline first, then the variants.
    pub variants: Vec<VariantSummary>,
    /// Changes against the baseline above 0.1 %, largest relative change first.
    pub deltas: Vec<Delta>,
}

/// One KPI's change in one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Variant.
    pub variant: String,
    /// KPI name.
    pub kpi: String,
    /// Baseline value.
    pub baseline: f64,
    /// Variant value.
    pub value: f64,
    /// value − baseline.
    pub change: f64,
    /// |change| relative to the baseline (or to 1 when the baseline is 0).
    pub impact: f64,
}

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

/// The summary of a run's results.
pub fn summarise(plan: &Plan, results: &[VariantResult]) -> Summary {
    let variants: Vec<VariantSummary> = results
        .iter()
        .map(|r| {
            let s = &r.series;
            VariantSummary {
                name: r.name.clone(),
                coverage_mean: mean(&s.coverage),
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
            }
        })
        .collect();
    let mut deltas = Vec::new();
    if let Some(base) = variants.first() {
        for v in &variants[1..] {
            let pairs = [
                ("coverage_mean", base.coverage_mean, v.coverage_mean),
                ("prb_util_mean", base.prb_util_mean, v.prb_util_mean),
                ("prb_util_max_p95", base.prb_util_max_p95, v.prb_util_max_p95),
                ("unserved_share", base.unserved_share, v.unserved_share),
                ("link_util_max_p95", base.link_util_max_p95, v.link_util_max_p95),
                ("delay_mean_ms", base.delay_mean_ms, v.delay_mean_ms),
                (
                    "settlement_latency_p50_h",
                    base.settlement_latency_p50_h,
                    v.settlement_latency_p50_h,
                ),
                (
                    "settlement_latency_p99_h",
                    base.settlement_latency_p99_h,
                    v.settlement_latency_p99_h,
                ),
                (
                    "settlement_backlog_max",
                    base.settlement_backlog_max as f64,
                    v.settlement_backlog_max as f64,
                ),
            ];
            for (kpi, b, x) in pairs {
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
    Summary { scenario: plan.scenario.name.clone(), intervals: plan.intervals, variants, deltas }
}

/// Column headers of the summary table.
const HEADERS: [&str; 10] = [
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
fn cells(v: &VariantSummary, name: &str) -> [String; 10] {
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

fn sha256_file(path: &Path) -> Result<String, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|e| ScenarioError::io(path, e))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// The manifest's record of the inputs: (path as written in the scenario, SHA-256).
fn inputs(plan: &Plan, scenario_path: &Path) -> Result<Vec<(String, String)>, ScenarioError> {
    let n = &plan.scenario.network;
    let h = &plan.scenario.history;
    let mut files: Vec<PathBuf> = vec![
        n.sites.clone(),
        n.cells.clone(),
        n.topology.clone(),
        n.homing.clone(),
        h.traffic.clone(),
    ];
    files.extend(n.links.clone());
    files.extend(h.settlement.clone());
    files.extend(h.rate_cards.clone());
    files.extend(h.demand_density.clone());
    if let Some(m) = &plan.scenario.calibration {
        // Every file of the model directory.
        let dir = if m.is_absolute() { m.clone() } else { plan.base.join(m) };
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| ScenarioError::io(&dir, e))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| m.join(e.file_name()))
            .collect();
        names.sort();
        files.extend(names);
    }
    if let Some(s) = &n.scene
        && s != "procedural"
    {
        files.push(PathBuf::from(s));
    }
    let mut out = vec![(scenario_path.display().to_string(), sha256_file(scenario_path)?)];
    for f in files {
        let p = if f.is_absolute() { f.clone() } else { plan.base.join(&f) };
        out.push((f.display().to_string(), sha256_file(&p)?));
    }
    Ok(out)
}

/// Writes the run directory `out` (refusing an existing one) from a run's results. `cells.csv`
/// and `links.csv` hold one row per `intervals_per_row` intervals (1: every interval; 24 for
/// hourly intervals: daily rows), with sums of bytes and the mean and maximum utilisation.
#[allow(clippy::too_many_arguments)] // each is a separate record of the run
pub fn write_run_dir(
    out: &Path,
    plan: &Plan,
    scenario_path: &Path,
    results: &[VariantResult],
    geometry: &crate::view::RunGeometry<'_>,
    timings: &[(String, f64)],
    intervals_per_row: usize,
    radio_backend: &str,
) -> Result<Summary, ScenarioError> {
    write_run_dir_with_views(
        out,
        plan,
        scenario_path,
        results,
        geometry,
        timings,
        intervals_per_row,
        radio_backend,
        &|_| Vec::new(),
    )
}

/// Images of the run drawn by the viewer for the report: called with the unfinished run
/// directory (its manifest, tables, maps and `view/` written, the report not yet), it returns
/// (caption, PNG) pairs that `report.html` embeds. The `twin` command passes one that runs
/// `twin-view --report`; the crate itself cannot call the viewer, which depends on it.
pub type ReportViews<'a> = &'a dyn Fn(&Path) -> Vec<(String, Vec<u8>)>;

/// [`write_run_dir`] with the viewer's images in the report.
#[allow(clippy::too_many_arguments)]
pub fn write_run_dir_with_views(
    out: &Path,
    plan: &Plan,
    scenario_path: &Path,
    results: &[VariantResult],
    geometry: &crate::view::RunGeometry<'_>,
    timings: &[(String, f64)],
    intervals_per_row: usize,
    radio_backend: &str,
    views: ReportViews<'_>,
) -> Result<Summary, ScenarioError> {
    let summary = summarise(plan, results);
    let grid = geometry.grid;
    write_dir_atomically(out, |tmp| -> Result<(), ScenarioError> {
        std::fs::create_dir_all(tmp.join("kpis")).map_err(|e| ScenarioError::io(tmp, e))?;
        std::fs::create_dir_all(tmp.join("maps")).map_err(|e| ScenarioError::io(tmp, e))?;
        let manifest = serde_json::json!({
            "scenario": plan.scenario.name,
            "seed": plan.scenario.seed,
            "version": env!("CARGO_PKG_VERSION"),
            "window": { "start": plan.scenario.window.start, "end": plan.scenario.window.end, "interval_s": plan.scenario.window.interval_s, "intervals": plan.intervals },
            "inputs": inputs(plan, scenario_path)?.into_iter().map(|(p, h)| serde_json::json!({ "path": p, "sha256": h })).collect::<Vec<_>>(),
            "variants": results.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            "radio_backend": radio_backend,
            "timings_s": timings.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        });
        write_text(
            &tmp.join("manifest.json"),
            &serde_json::to_string_pretty(&manifest).map_err(|e| ScenarioError::io(tmp, e))?,
        )?;
        write_text(
            &tmp.join("summary.json"),
            &serde_json::to_string_pretty(&summary).map_err(|e| ScenarioError::io(tmp, e))?,
        )?;
        write_csvs(&tmp.join("kpis"), plan, results, intervals_per_row)?;
        crate::view::write_view(tmp, plan, results, geometry)?;
        let mut maps = Vec::new();
        for r in results {
            let file = format!("{}.png", sanitize(&r.name));
            let png = map_png(grid, &r.last_map())?;
            std::fs::write(tmp.join("maps").join(&file), &png)
                .map_err(|e| ScenarioError::io(&tmp.join("maps").join(&file), e))?;
            maps.push((r.name.clone(), png));
        }
        let views = views(tmp);
        write_text(&tmp.join("report.html"), &report_html(plan, &summary, results, &maps, &views))
    })?;
    Ok(summary)
}

/// Creates the directory `out` whole or not at all: `fill` writes into a temporary directory
/// beside it, which is renamed to `out` when `fill` succeeds and removed when it fails. An
/// existing `out` is refused.
pub fn write_dir_atomically<E: From<ScenarioError>>(
    out: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if out.exists() {
        return Err(ScenarioError::io(out, "exists; choose a new output directory").into());
    }
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| ScenarioError::io(out, "not a directory name"))?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).map_err(|e| ScenarioError::io(&parent, e))?;
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = std::fs::create_dir(&tmp)
        .map_err(|e| E::from(ScenarioError::io(&tmp, e)))
        .and_then(|()| fill(&tmp))
        .and_then(|()| std::fs::rename(&tmp, out).map_err(|e| ScenarioError::io(out, e).into()));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

fn write_text(path: &Path, text: &str) -> Result<(), ScenarioError> {
    std::fs::write(path, text).map_err(|e| ScenarioError::io(path, e))
}

fn write_csvs(
    dir: &Path,
    plan: &Plan,
    results: &[VariantResult],
    per: usize,
) -> Result<(), ScenarioError> {
    let step = i64::from(plan.scenario.window.interval_s);
    let stamps: Vec<String> = (0..plan.intervals)
        .map(|k| {
            chrono::DateTime::from_timestamp(plan.start_s + step * k as i64, 0)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default()
        })
        .collect();
    const T: &str = "text";
    const R: &str = "real";
    const I: &str = "integer";
    let mut net = TableWriter::create(
        dir,
        "network",
        &[
            ("variant", T),
            ("interval_start", T),
            ("coverage", R),
            ("mean_prb_util", R),
            ("max_prb_util", R),
            ("unserved_share", R),
            ("max_link_util", R),
            ("mean_delay_ms", R),
            ("settlement_backlog", I),
        ],
    )?;
    let mut cells = TableWriter::create(
        dir,
        "cells",
        &[
            ("variant", T),
            ("period_start", T),
            ("cell_id", T),
            ("dl_bytes", R),
            ("prb_util_mean", R),
            ("prb_util_max", R),
            ("unserved_bytes", R),
        ],
    )?;
    let mut links = TableWriter::create(
        dir,
        "links",
        &[
            ("variant", T),
            ("period_start", T),
            ("link", T),
            ("utilisation_mean", R),
            ("utilisation_max", R),
        ],
    )?;
    let mut pos = TableWriter::create(
        dir,
        "positions",
        &[("variant", T), ("period", T), ("carrier", T), ("net_position_micros", I)],
    )?;
    let mut busy = TableWriter::create(
        dir,
        "busy_intervals",
        &[
            ("variant", T),
            ("interval_start", T),
            ("flow_max_link_util", R),
            ("packet_delay_p50_ms", R),
            ("packet_delay_p99_ms", R),
            ("packet_loss", R),
            ("packets", I),
        ],
    )?;
    let text = |n: usize, s: &str| Column::Str(vec![s.to_string(); n]);
    for r in results {
        let s = &r.series;
        let n = s.coverage.len().min(stamps.len());
        let f = |v: &[f64], d: usize| Column::F64(v[..n].to_vec(), d);
        net.write(&Batch {
            columns: vec![
                ("variant", text(n, &r.name)),
                ("interval_start", Column::Str(stamps[..n].to_vec())),
                ("coverage", f(&s.coverage, 4)),
                ("mean_prb_util", f(&s.mean_prb_util, 4)),
                ("max_prb_util", f(&s.max_prb_util, 4)),
                ("unserved_share", f(&s.unserved_share, 5)),
                ("max_link_util", f(&s.max_link_util, 4)),
                ("mean_delay_ms", f(&s.mean_delay_ms, 4)),
                (
                    "settlement_backlog",
                    Column::I64(
                        (0..n)
                            .map(|k| {
                                i64::try_from(s.settlement_backlog.get(k).copied().unwrap_or(0))
                                    .unwrap_or(i64::MAX)
                            })
                            .collect(),
                    ),
                ),
            ],
        })?;
        // Cells and links per period of `per` intervals.
        let nc = r.cells.len();
        let nl = r.links.len();
        let used: Vec<usize> = (0..nl)
            .filter(|&l| (0..plan.intervals).any(|k| r.link_util[k * nl + l] > 0.0))
            .collect();
        let (mut c_period, mut c_id, mut c_dl, mut c_um, mut c_ux, mut c_un) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut l_period, mut l_name, mut l_m, mut l_x) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for p0 in (0..plan.intervals).step_by(per.max(1)) {
            let ks = p0..(p0 + per.max(1)).min(plan.intervals);
            let n = ks.len() as f64;
            for (c, id) in r.cells.iter().enumerate() {
                let (mut dl, mut um, mut ux, mut un) = (0.0, 0.0, 0.0f64, 0.0);
                for k in ks.clone() {
                    let v = &r.cell_kpis[k * nc + c];
                    dl += v.dl_bytes;
                    um += v.prb_util;
                    ux = ux.max(v.prb_util);
                    un += v.unserved_bytes;
                }
                c_period.push(stamps[p0].clone());
                c_id.push(id.clone());
                c_dl.push(dl);
                c_um.push(um / n);
                c_ux.push(ux);
                c_un.push(un);
            }
            for &l in &used {
                let (mut m, mut x) = (0.0f64, 0.0f64);
                for k in ks.clone() {
                    let u = f64::from(r.link_util[k * nl + l]);
                    m += u;
                    x = x.max(u);
                }
                l_period.push(stamps[p0].clone());
                l_name.push(r.links[l].clone());
                l_m.push(m / n);
                l_x.push(x);
            }
        }
        cells.write(&Batch {
            columns: vec![
                ("variant", text(c_id.len(), &r.name)),
                ("period_start", Column::Str(c_period)),
                ("cell_id", Column::Str(c_id)),
                ("dl_bytes", Column::F64(c_dl, 0)),
                ("prb_util_mean", Column::F64(c_um, 4)),
                ("prb_util_max", Column::F64(c_ux, 4)),
                ("unserved_bytes", Column::F64(c_un, 0)),
            ],
        })?;
        links.write(&Batch {
            columns: vec![
                ("variant", text(l_name.len(), &r.name)),
                ("period_start", Column::Str(l_period)),
                ("link", Column::Str(l_name)),
                ("utilisation_mean", Column::F64(l_m, 5)),
                ("utilisation_max", Column::F64(l_x, 5)),
            ],
        })?;
        let nb = r.busy.len();
        busy.write(&Batch {
            columns: vec![
                ("variant", text(nb, &r.name)),
                (
                    "interval_start",
                    Column::Str(
                        r.busy
                            .iter()
                            .map(|b| stamps.get(b.interval).cloned().unwrap_or_default())
                            .collect(),
                    ),
                ),
                (
                    "flow_max_link_util",
                    Column::F64(r.busy.iter().map(|b| b.flow_max_link_util).collect(), 4),
                ),
                (
                    "packet_delay_p50_ms",
                    Column::F64(r.busy.iter().map(|b| b.delay_p50_ms).collect(), 4),
                ),
                (
                    "packet_delay_p99_ms",
                    Column::F64(r.busy.iter().map(|b| b.delay_p99_ms).collect(), 4),
                ),
                ("packet_loss", Column::F64(r.busy.iter().map(|b| b.loss).collect(), 6)),
                (
                    "packets",
                    Column::I64(
                        r.busy
                            .iter()
                            .map(|b| i64::try_from(b.packets).unwrap_or(i64::MAX))
                            .collect(),
                    ),
                ),
            ],
        })?;
        let np = r.positions.len();
        pos.write(&Batch {
            columns: vec![
                ("variant", text(np, &r.name)),
                ("period", Column::Str(r.positions.iter().map(|p| p.0.clone()).collect())),
                ("carrier", Column::Str(r.positions.iter().map(|p| p.1.clone()).collect())),
                ("net_position_micros", Column::I64(r.positions.iter().map(|p| p.2).collect())),
            ],
        })?;
    }
    for t in [net, cells, links, pos, busy] {
        t.finish()?;
    }
    Ok(())
}

/// Best-server RSRP as a PNG (viridis from −120 to −60 dBm; dark grey where unserved, black
/// indoors), north up.
pub fn map_png(
    grid: &radio::Grid,
    map: &[(Option<usize>, f32, f32)],
) -> Result<Vec<u8>, ScenarioError> {
    let (w, h) = (grid.nx, grid.ny);
    let mut rgb = vec![0u8; w * h * 3];
    for j in 0..h {
        for i in 0..w {
            let idx = j * w + i;
            let (best, rsrp, _) = map.get(idx).copied().unwrap_or((None, f32::NEG_INFINITY, 0.0));
            let px = ((h - 1 - j) * w + i) * 3;
            let c = if !rsrp.is_finite() {
                [0, 0, 0]
            } else if best.is_none() {
                [60, 60, 60]
            } else {
                let t = ((f64::from(rsrp) + 120.0) / 60.0).clamp(0.0, 1.0);
                let c = colorous::VIRIDIS.eval_continuous(t);
                [c.r, c.g, c.b]
            };
            rgb[px..px + 3].copy_from_slice(&c);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer =
            enc.write_header().map_err(|e| ScenarioError::Replay(format!("PNG: {e}")))?;
        writer.write_image_data(&rgb).map_err(|e| ScenarioError::Replay(format!("PNG: {e}")))?;
    }
    Ok(out)
}

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

fn report_html(
    plan: &Plan,
    summary: &Summary,
    results: &[VariantResult],
    maps: &[(String, Vec<u8>)],
    views: &[(String, Vec<u8>)],
) -> String {
    let per_day = (86_400 / plan.scenario.window.interval_s.max(1)) as usize;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0} — network twin run</title><style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:auto;padding:1em;color:#222}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}th{{background:#eee}}td:first-child{{text-align:left}}figure{{margin:1em 0}}figcaption{{font-weight:600}}.maps{{display:flex;flex-wrap:wrap;gap:12px}}.maps figure{{width:340px}}.maps img{{width:100%;image-rendering:pixelated;border:1px solid #ccc}}</style></head><body><h1>{0}</h1><p>{1} intervals of {2} s from {3} to {4}; baseline and {5} variants.</p>",
        html_escape(&plan.scenario.name),
        plan.intervals,
        plan.scenario.window.interval_s,
        html_escape(&plan.scenario.window.start),
        html_escape(&plan.scenario.window.end),
        results.len().saturating_sub(1)
    );
    let _ = write!(s, "<h2>Summary</h2><table><tr><th>{}</th></tr>", HEADERS.join("</th><th>"));
    for v in &summary.variants {
        let _ =
            write!(s, "<tr><td>{}</td></tr>", cells(v, &html_escape(&v.name)).join("</td><td>"));
    }
    s.push_str("</table><h2>Changes against the baseline, by impact</h2><table><tr><th>variant</th><th>KPI</th><th>baseline</th><th>variant</th><th>change</th><th>relative</th></tr>");
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
    let step = i64::from(plan.scenario.window.interval_s);
    for r in results {
        for b in &r.busy {
            let when = chrono::DateTime::from_timestamp(plan.start_s + step * b.interval as i64, 0)
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
    s.push_str("<h2>Best-server RSRP maps</h2><p>−120 dBm (purple) to −60 dBm (yellow); grey: not served; black: indoors. Baseline at the window's start; variants after their last change.</p><div class=\"maps\">");
    for (name, png) in maps {
        let _ = write!(
            s,
            "<figure><figcaption>{}</figcaption><img alt=\"RSRP map of {0}\" src=\"data:image/png;base64,{}\"></figure>",
            html_escape(name),
            base64::engine::general_purpose::STANDARD.encode(png)
        );
    }
    s.push_str("</div>");
    if !views.is_empty() {
        s.push_str("<h2>Views</h2><p>Drawn by the viewer (<code>twin-view</code>) with the renderer of its window: each variant minus the baseline after the variant's last change, red worse, blue better, grey unchanged; buildings, sector wedges, transport links by utilisation (magenta: down) and unserved areas (dark red). Open the run in <code>twin-view</code> to pan, hover and scrub through time.</p><div class=\"views\">");
        for (caption, png) in views {
            let _ = write!(
                s,
                "<figure><figcaption>{0}</figcaption><img alt=\"{0}\" style=\"width:100%;border:1px solid #ccc\" src=\"data:image/png;base64,{1}\"></figure>",
                html_escape(caption),
                base64::engine::general_purpose::STANDARD.encode(png)
            );
        }
        s.push_str("</div>");
    }
    s.push_str("</body></html>\n");
    s
}
