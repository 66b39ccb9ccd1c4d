//! `twin coverage` as a library call: the best server, RSRP and SINR of every point of the
//! scenario's grid, for the baseline at the window's start or a variant after its last change,
//! written as CSV with its PNG map.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use twin_format::fsio::{self, Existing};

use crate::error::ScenarioError;
use crate::observe::Observer;
use crate::replay::{PointServing, ReplayOptions, Replayer};
use crate::rundir::map_png;
use crate::scenario::Plan;

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageOutput {
    /// Grid points.
    pub points: usize,
    /// Points served.
    pub served: usize,
    /// The files or directory written.
    pub written: Vec<PathBuf>,
}

/// A dB value for CSV: empty where there is none.
fn fmt_db(v: f32) -> String {
    if v.is_finite() { format!("{v:.2}") } else { String::new() }
}

/// `x_m,y_m,best_cell,rsrp_dbm,sinr_db`, one row per grid point.
fn coverage_csv(grid: &radio::Grid, cells: &[String], map: &[PointServing]) -> String {
    let mut csv = String::from("x_m,y_m,best_cell,rsrp_dbm,sinr_db\n");
    for (i, p) in map.iter().enumerate() {
        let q = grid.point(i);
        let cell = p.best.map_or("", |b| cells[b].as_str());
        let _ = writeln!(
            csv,
            "{:.1},{:.1},{cell},{},{}",
            q.x,
            q.y,
            fmt_db(p.rsrp_dbm),
            fmt_db(p.sinr_db)
        );
    }
    csv
}

/// Computes the serving map of the baseline (`variant` `None`) or of the named variant and
/// writes it: to `out` and a PNG beside it (same name) when `out` ends in `.csv`, else into
/// the new directory `out` as `coverage.csv` and `coverage.png`. Nothing that exists is
/// replaced, and each output is whole or absent.
pub fn write_coverage(
    plan: &Plan,
    variant: Option<&str>,
    opts: ReplayOptions,
    out: &Path,
    observer: &dyn Observer,
) -> Result<CoverageOutput, ScenarioError> {
    let index = variant
        .map(|name| {
            plan.variant_index(name).ok_or_else(|| ScenarioError::NoSuchVariant(name.into()))
        })
        .transpose()?;
    let as_file = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let png_path = out.with_extension("png");
    for p in std::iter::once(out).chain(as_file.then_some(png_path.as_path())) {
        if p.exists() {
            return Err(twin_format::FsError::Exists { path: p.to_path_buf() }.into());
        }
    }
    let replayer = Replayer::new(plan, opts, observer.interrupt())?;
    observer.notice(replayer.backend_notice());
    let (cells, map) = replayer.serving_map(index)?;
    let csv = coverage_csv(replayer.grid(), &cells, &map);
    let scale = crate::rundir::maps::fitted_rsrp_scale([&map[..]]);
    let png = map_png(&replayer.geometry(), &map, scale, variant.unwrap_or("baseline"))?;
    let written = if as_file {
        fsio::write_file(out, csv.as_bytes(), Existing::Refuse)?;
        fsio::write_file(&png_path, &png, Existing::Refuse)?;
        vec![out.to_path_buf(), png_path]
    } else {
        fsio::write_dir(out, Existing::Refuse, |tmp| -> Result<(), ScenarioError> {
            fsio::write_file(&tmp.join("coverage.csv"), csv.as_bytes(), Existing::Refuse)?;
            fsio::write_file(&tmp.join("coverage.png"), &png, Existing::Refuse)?;
            Ok(())
        })?;
        vec![out.to_path_buf()]
    };
    let served = map.iter().filter(|m| m.best.is_some()).count();
    Ok(CoverageOutput { points: map.len(), served, written })
}
