//! `twin run` and `twin demo` as library calls: validate a scenario, replay it, write the run
//! directory, and say what it took.

use std::path::{Path, PathBuf};

use twin_format::Existing;
use twin_format::run::Summary;

use crate::demo::{DemoConfig, write_demo};
use crate::error::ScenarioError;
use crate::observe::Observer;
use crate::replay::cache::CacheReport;
use crate::replay::{ReplayOptions, Replayer};
use crate::rundir::{ReportViews, RunDirOptions, write_run_dir};
use crate::scenario::validate;

/// How a run is made besides its scenario.
#[derive(Clone, Copy)]
pub struct RunRequest<'a> {
    /// The replay's settings.
    pub replay: &'a ReplayOptions,
    /// `cells.csv` and `links.csv` with a row for every interval instead of one per day.
    pub every_interval: bool,
    /// The viewer's images for the report, if any.
    pub views: Option<ReportViews<'a>>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// `summary.json`.
    pub summary: Summary,
    /// Intervals replayed per variant.
    pub intervals: usize,
    /// The baseline and the variants.
    pub variants: usize,
    /// Distinct coverage maps traced (not read from the persistent cache).
    pub maps_traced: usize,
    /// What the persistent coverage cache did (its trim included).
    pub cache: CacheReport,
    /// Which radio backend and why.
    pub backend_notice: String,
    /// Wall-clock seconds of validation, replay and writing, where the observer keeps a clock.
    pub seconds: Option<PhaseSeconds>,
}

/// Wall-clock seconds of a run's phases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseSeconds {
    /// Reading and checking the scenario.
    pub validate: f64,
    /// The replay of every variant.
    pub replay: f64,
    /// Writing the run directory.
    pub write: f64,
}

/// Validates `scenario`, replays it and writes the run directory `out` (refused if it exists,
/// unless `existing` says to replace it once the new one is complete).
pub fn run_scenario(
    scenario: &Path,
    out: &Path,
    existing: Existing,
    req: RunRequest<'_>,
    observer: &dyn Observer,
) -> Result<RunOutcome, ScenarioError> {
    let t0 = observer.clock_s();
    let plan = validate(scenario).map_err(ScenarioError::Invalid)?;
    if existing == Existing::Refuse && out.exists() {
        return Err(twin_format::FsError::Exists { path: out.to_path_buf() }.into());
    }
    if let Some(n) = plan.filled_notice() {
        observer.notice(&n);
    }
    let t1 = observer.clock_s();
    let replayer = Replayer::new(&plan, req.replay.clone(), observer.interrupt())?;
    observer.notice(replayer.backend_notice());
    observer.begin((plan.window.intervals * (plan.variants.len() + 1)) as u64);
    let results = replayer.run_all(&|n| observer.advance(n))?;
    let t2 = observer.clock_s();
    let mut timings = Vec::new();
    if let (Some(a), Some(b), Some(c)) = (t0, t1, t2) {
        timings.push(("validate".to_string(), b - a));
        timings.push(("replay".to_string(), c - b));
    }
    let per_row = if req.every_interval { 1 } else { plan.intervals_per_day() };
    let opts = RunDirOptions {
        timings: &timings,
        coverage_maps_traced: replayer.maps_traced(),
        coverage_maps_cached: replayer.cache_report().hits,
        intervals_per_row: per_row,
        radio_backend: replayer.backend_notice(),
        views: req.views,
        existing,
    };
    let summary = write_run_dir(out, &plan, &results, &replayer.geometry(), &opts)?;
    let t3 = observer.clock_s();
    let cache = finish_cache(&replayer, observer);
    let seconds = match (t0, t1, t2, t3) {
        (Some(a), Some(b), Some(c), Some(d)) => {
            Some(PhaseSeconds { validate: b - a, replay: c - b, write: d - c })
        }
        _ => None,
    };
    Ok(RunOutcome {
        summary,
        intervals: plan.window.intervals,
        variants: results.len(),
        maps_traced: replayer.maps_traced(),
        cache,
        backend_notice: replayer.backend_notice().to_string(),
        seconds,
    })
}

/// Trims the persistent coverage cache after a run and says what went wrong with it: the run
/// is complete either way (a map that could not be stored was still used).
fn finish_cache(replayer: &Replayer<'_>, observer: &dyn Observer) -> CacheReport {
    if let Err(e) = replayer.trim_cache() {
        observer.notice(&format!("coverage cache: could not trim it to its limit: {e}"));
    }
    let report = replayer.cache_report();
    if report.failed_writes > 0 {
        observer.notice(&format!(
            "coverage cache: {} maps could not be stored (the run used them; nothing half-written is left)",
            report.failed_writes
        ));
    }
    report
}

/// What `twin demo` wrote and ran.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOutcome {
    /// The demo's scenario file.
    pub scenario: PathBuf,
    /// The run directory (`DIR/run`).
    pub run_dir: PathBuf,
    /// The run.
    pub run: RunOutcome,
}

/// Writes the built-in demo into `dir` and runs it into `dir/run`, replacing a previous demo
/// run only once the new one is complete (and refusing a `dir/run` that is not a run
/// directory).
pub fn run_demo(
    dir: &Path,
    cfg: &DemoConfig,
    req: RunRequest<'_>,
    observer: &dyn Observer,
) -> Result<DemoOutcome, ScenarioError> {
    let run_dir = dir.join("run");
    if run_dir.exists() && !run_dir.join(twin_format::run::MANIFEST).is_file() {
        return Err(ScenarioError::BadOption {
            name: "demo directory",
            value: run_dir.display().to_string(),
            expected: "a folder whose run/ is absent or a previous run (choose another --dir)",
        });
    }
    let scenario = write_demo(dir, cfg)?;
    observer.notice(&format!("demo scenario written to {}", scenario.display()));
    let run = run_scenario(&scenario, &run_dir, Existing::Replace, req, observer)?;
    Ok(DemoOutcome { scenario, run_dir, run })
}
