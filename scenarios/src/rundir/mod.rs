//! The run directory: what a replay leaves behind, written through the run format's atomic
//! directory writer, so that it is whole or absent.
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
//! | `kpis/overload.csv` | per variant, cell and link: hours above 70 / 80 / 100 % utilisation, peak and its interval, p95, mean |
//! | `kpis/busy_hours.csv` | per variant, day and week: the network's busy hour, its traffic and PRB utilisation, its busiest cell |
//! | `kpis/cell_busy_hours.csv` | per variant and cell: the cell's own busy hour of the day and its mean traffic and PRB utilisation |
//! | `kpis/changes.csv` | per variant: the cells and links it touches or moved most, before and after, over the intervals it differs in |
//! | `maps/<variant>.png` | best-server RSRP at the window's start (baseline) or after the variant's last change, on a range fitted to the run |
//! | `maps/server/<variant>.png` | the best server at the same time, on the categorical colours |
//! | `view/` | the viewer's data ([`crate::view`]) |
//! | `report.html` | one self-contained page: summary, deltas ranked by impact, charts, maps |
//!
//! The manifest, summary and `view/` are the run format's types ([`twin_format`]); the KPI
//! tables and the report are this crate's.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use twin_format::fsio::{self, Existing, FsError};
use twin_format::run::{InputDigest, Manifest, ManifestWindow, Summary, write_json};

use crate::error::ScenarioError;
use crate::replay::{RunGeometry, VariantResult};
use crate::scenario::Plan;

pub mod elements;
mod kpi_tables;
pub mod maps;
mod report;
mod summary;

pub use maps::map_png;
pub use summary::{summarise, table};

/// An image embedded in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// Its caption.
    pub caption: String,
    /// The PNG.
    pub png: Vec<u8>,
}

/// Images of the run drawn by the viewer for the report: called with the unfinished run
/// directory (its manifest, tables, maps and `view/` written, the report not yet), it returns
/// the figures `report.html` embeds. The `twin` command passes one that runs `twin-view
/// --report`; this crate cannot call the viewer, which sits above it.
pub type ReportViews<'a> = &'a dyn Fn(&Path) -> Vec<Figure>;

/// How a run directory is written besides the results.
#[derive(Clone, Copy)]
pub struct RunDirOptions<'a> {
    /// Wall-clock seconds of the run's phases, for the manifest.
    pub timings: &'a [(String, f64)],
    /// Coverage maps the replay traced, for the manifest.
    pub coverage_maps_traced: usize,
    /// Coverage maps read from the persistent cache, for the manifest.
    pub coverage_maps_cached: usize,
    /// `cells.csv` and `links.csv` hold one row per this many intervals (1: every interval;
    /// 24 for hourly intervals: daily rows), with sums of bytes and the mean and maximum
    /// utilisation.
    pub intervals_per_row: usize,
    /// Which radio backend computed the maps (the replay's notice).
    pub radio_backend: &'a str,
    /// The viewer's images for the report, if any.
    pub views: Option<ReportViews<'a>>,
    /// Whether an existing `out` is refused or replaced (once the new run is complete).
    pub existing: Existing,
}

/// Writes the run directory `out` (refusing an existing one) from a run's results; returns the
/// summary.
pub fn write_run_dir(
    out: &Path,
    plan: &Plan,
    results: &[VariantResult],
    geometry: &RunGeometry<'_>,
    opts: &RunDirOptions<'_>,
) -> Result<Summary, ScenarioError> {
    let elements = elements::of_run(plan, results);
    let summary = summary::summarise_with(plan, results, &elements);
    fsio::write_dir(out, opts.existing, |tmp| -> Result<(), ScenarioError> {
        for sub in ["kpis", "maps", "maps/server"] {
            std::fs::create_dir_all(tmp.join(sub)).map_err(|e| FsError::io(tmp, e))?;
        }
        write_json(&tmp.join(twin_format::run::MANIFEST), &manifest(plan, results, opts)?)?;
        write_json(&tmp.join(twin_format::run::SUMMARY), &summary)?;
        kpi_tables::write(&tmp.join("kpis"), plan, results, opts.intervals_per_row)?;
        kpi_tables::write_elements(&tmp.join("kpis"), plan, results, &elements)?;
        crate::view::write_view(tmp, plan, results, geometry)?;
        let maps = maps::run_maps(geometry, results)?;
        for m in &maps.variants {
            let name = sanitize(&m.rsrp.caption);
            let files = [
                (format!("{name}.png"), &m.rsrp.png),
                (format!("server/{name}.png"), &m.server.png),
            ];
            for (file, png) in files {
                let path = tmp.join("maps").join(file);
                std::fs::write(&path, png).map_err(|e| FsError::io(&path, e))?;
            }
        }
        let views = opts.views.map_or_else(Vec::new, |f| f(tmp));
        let html = report::report_html(plan, &summary, results, &elements, &maps, &views);
        let path = tmp.join("report.html");
        std::fs::write(&path, html).map_err(|e| FsError::io(&path, e))?;
        Ok(())
    })?;
    Ok(summary)
}

fn sanitize(name: &str) -> String {
    twin_format::view::variant_dir(name)
}

fn sha256_file(path: &Path) -> Result<String, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|e| ScenarioError::read(path, e))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// The manifest's record of the inputs: the scenario, the files it names, every file of the
/// calibration model, the scene file.
fn inputs(plan: &Plan) -> Result<Vec<InputDigest>, ScenarioError> {
    let mut files: Vec<(PathBuf, PathBuf)> =
        plan.files.in_order().into_iter().map(|f| (f.written.clone(), f.path.clone())).collect();
    if let Some(m) = &plan.calibration {
        let read = |e| ScenarioError::read(&m.path, e);
        let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(&m.path)
            .map_err(read)?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name())
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|n| (m.written.join(&n), m.path.join(&n))));
    }
    if let Some(s) = &plan.files.scene {
        files.push((s.written.clone(), s.path.clone()));
    }
    let mut out = vec![InputDigest {
        path: plan.path.display().to_string(),
        sha256: sha256_file(&plan.path)?,
    }];
    for (written, path) in files {
        out.push(InputDigest { path: written.display().to_string(), sha256: sha256_file(&path)? });
    }
    Ok(out)
}

fn manifest(
    plan: &Plan,
    results: &[VariantResult],
    opts: &RunDirOptions<'_>,
) -> Result<Manifest, ScenarioError> {
    Ok(Manifest {
        coverage_maps_cached: opts.coverage_maps_cached,
        coverage_maps_traced: opts.coverage_maps_traced,
        inputs: inputs(plan)?,
        radio_backend: opts.radio_backend.to_string(),
        scenario: plan.name.clone(),
        seed: plan.seed,
        timings_s: opts.timings.iter().cloned().collect(),
        variants: results.iter().map(|r| r.name.clone()).collect(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        window: ManifestWindow {
            end: plan.window.end.clone(),
            interval_s: plan.window.interval_s,
            intervals: plan.window.intervals,
            start: plan.window.start.clone(),
        },
    })
}
