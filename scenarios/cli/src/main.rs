//! The `twin` command: what planners run. See `docs/scenario.md` and `twin --help`.
//!
//! Each command is clap's arguments ([`args`]) checked into a [`config::Config`] before any work
//! starts, then one call into the `scenarios` library, with the progress bar, notices, the wall
//! clock and Ctrl-C handled here ([`observer`]) and the result printed as a table or JSON.
//!
//! Exit codes: 0 success; 1 an error (unreadable input, a failed run); 2 a scenario that does not
//! validate (and clap's own 2 for a bad command line); 3 a statement log that does not verify;
//! 130 / 143 interrupted by SIGINT (Ctrl-C) / SIGTERM, nothing unfinished left on disk.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use scenarios::ScenarioError;
use scenarios::replay::ReplayOptions;
use scenarios::run::{RunOutcome, RunRequest};
use scenarios::scenario::{Diagnostic, validate};
use twin_format::Existing;

mod args;
mod calibrate;
mod config;
mod observer;
mod signals;
mod viewer;

use config::Config;

/// Prints `diags` (as JSON on stdout, or one `error:` line each on stderr).
fn print_diagnostics(diags: &[Diagnostic], json: bool) -> Result<()> {
    if json {
        let v = serde_json::json!({ "valid": diags.is_empty(), "diagnostics": diags });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for d in diags {
            eprintln!("error: {d}");
        }
        if !diags.is_empty() {
            eprintln!("{} problem{} found", diags.len(), if diags.len() == 1 { "" } else { "s" });
        }
    }
    Ok(())
}

/// What an error of the library means for the exit code: diagnostics are printed and give 2,
/// an interrupt gives 130; everything else is an error (1) for `main` to print.
fn outcome<T>(result: Result<T, ScenarioError>, json: bool) -> Result<Result<T, ExitCode>> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(ScenarioError::Invalid(diags)) => {
            print_diagnostics(&diags, json)?;
            Ok(Err(ExitCode::from(2)))
        }
        Err(ScenarioError::Interrupted) => {
            eprintln!("interrupted: nothing was written");
            Ok(Err(signals::exit_code()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Unwraps an [`outcome`], returning its exit code from the calling command.
macro_rules! done_or_exit {
    ($e:expr, $json:expr) => {
        match outcome($e, $json)? {
            Ok(v) => v,
            Err(code) => return Ok(code),
        }
    };
}

/// Prints a run's summary, largest changes and timings (or the JSON form).
fn print_run(run: &RunOutcome, out: &Path, json: bool, seconds: f64) -> Result<()> {
    if json {
        let v = serde_json::json!({ "summary": run.summary, "out": out, "seconds": seconds });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    print!("{}", scenarios::rundir::table(&run.summary));
    println!("largest changes against the baseline:");
    for d in run.summary.deltas.iter().take(8) {
        println!(
            "  {:<24} {:<26} {:>12.4} → {:>12.4} ({:+.1} %)",
            d.variant,
            d.kpi,
            d.baseline,
            d.value,
            100.0 * d.change.signum() * d.impact
        );
    }
    let t = run.seconds.unwrap_or(scenarios::run::PhaseSeconds {
        validate: 0.0,
        replay: 0.0,
        write: 0.0,
    });
    println!(
        "{} intervals × {} variants in {seconds:.1} s (validate {:.1} s, replay {:.1} s with {} coverage maps traced and {} from the cache, write {:.1} s)",
        run.intervals, run.variants, t.validate, t.replay, run.maps_traced, run.cache.hits, t.write
    );
    println!("report: {}", out.join("report.html").display());
    Ok(())
}

fn run_command(
    scenario: &Path,
    out: &Path,
    replay: &ReplayOptions,
    every_interval: bool,
    json: bool,
) -> Result<ExitCode> {
    let obs = observer::Cli::new(json);
    let images = viewer::report_images;
    let req = RunRequest { replay, every_interval, views: Some(&images) };
    let run = scenarios::run::run_scenario(scenario, out, Existing::Refuse, req, &obs);
    obs.finish();
    let run = done_or_exit!(run, json);
    print_run(&run, out, json, obs.elapsed_s())?;
    Ok(ExitCode::SUCCESS)
}

fn demo(
    dir: &Path,
    json: bool,
    cache: Option<scenarios::replay::cache::CacheSettings>,
) -> Result<ExitCode> {
    let obs = observer::Cli::new(json);
    let images = viewer::report_images;
    let replay = ReplayOptions { cache, ..ReplayOptions::default() };
    let req = RunRequest { replay: &replay, every_interval: false, views: Some(&images) };
    let cfg = scenarios::demo::DemoConfig::default();
    let demo = scenarios::run::run_demo(dir, &cfg, req, &obs);
    obs.finish();
    let demo = done_or_exit!(demo, json);
    print_run(&demo.run, &demo.run_dir, json, obs.elapsed_s())?;
    Ok(ExitCode::SUCCESS)
}

fn validate_command(scenario: &Path, json: bool) -> Result<ExitCode> {
    let plan = done_or_exit!(validate(scenario).map_err(ScenarioError::Invalid), json);
    if json {
        let v = serde_json::json!({
            "valid": true,
            "diagnostics": [],
            "traffic_rows_filled": plan.traffic_filled,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{}: valid ({} sites, {} cells, {} transport nodes, {} intervals, {} traffic rows, {} settlement rows, {} variants)",
            scenario.display(),
            plan.inventory.sites.len(),
            plan.inventory.cells.len(),
            plan.topology.n_nodes(),
            plan.window.intervals,
            plan.traffic.len(),
            plan.usage.len(),
            plan.variants.len()
        );
        if let Some(n) = plan.filled_notice() {
            println!("{n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A sweep as the planner asked for it: what is swept, on which cells, to what end.
struct SweepRequest<'a> {
    op: scenarios::sweep::SweepOp,
    values: &'a [f64],
    cells: &'a [String],
    objective: &'a scenarios::sweep::Objective,
    cache: Option<scenarios::replay::cache::CacheSettings>,
}

fn sweep(scenario: &Path, req: SweepRequest<'_>, json: bool) -> Result<ExitCode> {
    let SweepRequest { op, values, cells, objective, cache } = req;
    let plan = done_or_exit!(validate(scenario).map_err(ScenarioError::Invalid), json);
    let obs = observer::Cli::new(json);
    let replay = ReplayOptions { cache, ..ReplayOptions::default() };
    let summary = scenarios::sweep::run_sweep(&plan, op, values, cells, replay, &obs);
    obs.finish();
    let summary = match summary {
        Err(e @ ScenarioError::NoSuchCell(_)) => {
            return Err(anyhow::Error::new(e).context("--cells"));
        }
        other => done_or_exit!(other, json),
    };
    let best = scenarios::sweep::best_value(&summary, objective);
    if json {
        let mut v = serde_json::to_value(&summary)?;
        if let Some(m) = v.as_object_mut() {
            m.insert("best".into(), serde_json::to_value(&best)?);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    // The best value's row is marked in its name column.
    let mut shown = summary.clone();
    if let Some(b) = &best
        && let Some(row) = shown.variants.iter_mut().find(|v| v.name == b.variant)
    {
        row.name = format!("**{}** (best)", row.name);
    }
    print!("{}", scenarios::rundir::table(&shown));
    if let Some(b) = best {
        let way = match b.objective.goal {
            scenarios::sweep::Goal::Max => "highest",
            scenarios::sweep::Goal::Min => "lowest",
        };
        println!(
            "best by {} ({way} is best): {} with {:.4} (baseline {:.4})",
            b.objective.kpi, b.variant, b.value, b.baseline
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn coverage(
    scenario: &Path,
    out: &Path,
    variant: Option<&str>,
    replay: ReplayOptions,
) -> Result<ExitCode> {
    let plan = done_or_exit!(validate(scenario).map_err(ScenarioError::Invalid), false);
    let obs = observer::Cli::new(false);
    let written = scenarios::coverage::write_coverage(&plan, variant, replay, out, &obs);
    let written = match written {
        Err(e @ ScenarioError::NoSuchVariant(_)) => {
            return Err(anyhow::Error::new(e).context("--variant"));
        }
        other => done_or_exit!(other, false),
    };
    let files: Vec<String> = written.written.iter().map(|p| p.display().to_string()).collect();
    println!(
        "{} grid points, {} served; written to {}",
        written.points,
        written.served,
        files.join(" and ")
    );
    Ok(ExitCode::SUCCESS)
}

fn compare(
    a: &Path,
    b: &Path,
    filter: &scenarios::compare::CompareFilter,
    json: bool,
) -> Result<ExitCode> {
    let c = scenarios::compare::compare_runs(a, b, filter)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print!("{}", scenarios::compare::comparison_table(&c));
    }
    Ok(ExitCode::SUCCESS)
}

fn settle_run(scenario: &Path, out: &Path, json: bool) -> Result<ExitCode> {
    let plan = done_or_exit!(validate(scenario).map_err(ScenarioError::Invalid), json);
    let run = scenarios::settle::settle(&plan)?;
    scenarios::settle::write_settlement_dir(out, &run)?;
    let s = run.summary();
    if json {
        let mut v = serde_json::to_value(&s)?;
        if let Some(m) = v.as_object_mut() {
            m.insert("out".into(), serde_json::json!(out));
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{} periods, {} statements in {}; {} records, settlement latency p50 {:.0} s, p99 {:.0} s, largest backlog {} records; written to {}",
            s.periods,
            s.statements,
            s.currency,
            s.records,
            s.latency_p50_s,
            s.latency_p99_s,
            s.backlog_max,
            out.display()
        );
        println!(
            "log head {} (keep it apart from the log: `twin settle verify --head` checks it)",
            s.log_head
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn settle_verify(log: &Path, head: Option<&str>, json: bool) -> Result<ExitCode> {
    let verified = scenarios::settlement::verify_log(log).and_then(|seal| match head {
        Some(h) => seal.expect_head(log, h),
        None => Ok(seal),
    });
    match verified {
        Ok(seal) => {
            let n = seal.statements;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "verified": true, "statements": n, "head": seal.head })
                );
            } else {
                println!(
                    "{}: {n} statements, hash chain and seal intact, head {}",
                    log.display(),
                    seal.head
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ scenarios::settlement::SettlementError::Tampered { .. }) => {
            if json {
                println!("{}", serde_json::json!({ "verified": false, "error": e.to_string() }));
            } else {
                eprintln!("error: {e}");
            }
            Ok(ExitCode::from(3))
        }
        Err(e) => Err(e.into()),
    }
}

fn dispatch(config: Config) -> Result<ExitCode> {
    match config {
        Config::Validate { scenario, json } => validate_command(&scenario, json),
        Config::Demo { dir, json, cache } => demo(&dir, json, cache),
        Config::Run { scenario, out, replay, every_interval, json } => {
            run_command(&scenario, &out, &replay, every_interval, json)
        }
        Config::Sweep { scenario, op, values, cells, objective, cache, json } => {
            let req =
                SweepRequest { op, values: &values, cells: &cells, objective: &objective, cache };
            sweep(&scenario, req, json)
        }
        Config::Coverage { scenario, out, variant, replay } => {
            coverage(&scenario, &out, variant.as_deref(), replay)
        }
        Config::View { run_dir, args } => viewer::view(&run_dir, &args),
        Config::Compare { a, b, filter, json } => compare(&a, &b, &filter, json),
        Config::Import { topology, nodes, links, graphml } => {
            let topo = transport::import::to_csv(&topology, None, &graphml, &nodes, &links)
                .with_context(|| format!("importing {}", topology.display()))?;
            println!(
                "{}: {} nodes, {} links → {}, {}",
                topology.display(),
                topo.n_nodes(),
                topo.n_links(),
                nodes.display(),
                links.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Config::Calibrate(a) => calibrate::calibrate(a),
        Config::SettleRun { scenario, out, json } => settle_run(&scenario, &out, json),
        Config::SettleVerify { log, head, json } => settle_verify(&log, head.as_deref(), json),
    }
}

fn main() -> ExitCode {
    // Before any thread: a headless run is re-executed without Mesa's device-select layer,
    // whose Wayland probe would print `XDG_RUNTIME_DIR is invalid` (an exec that fails leaves
    // only that noise).
    let _ = radio::headless::quiet_device_select();
    let cli = args::Cli::parse();
    let config = Config::from_command(cli.command);
    // The viewer is another program, started by this one: it takes its own signals.
    if !matches!(config, Ok(Config::View { .. })) {
        signals::install();
    }
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            // A value clap let through that the command cannot use: a usage error, like clap's.
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = config.check_paths() {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    match dispatch(config) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
