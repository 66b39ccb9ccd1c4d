//! The command line checked into a settled configuration before any work starts: names are
//! enums of the library, numbers are in range, and what clap cannot check (a packet-simulation
//! length, a sweep's values, a calibration level) is checked here.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use scenarios::replay::ReplayOptions;
use scenarios::replay::cache::CacheSettings;
use scenarios::sweep::{Goal, Objective, SweepOp};

use crate::args::{
    BackendArg, CacheArgs, CalibrateArgs, Command, GoalArg, RunArgs, SettleCommand, SweepOpArg,
    TraceArgs,
};

/// One command, ready to run.
pub(crate) enum Config {
    Validate {
        scenario: PathBuf,
        json: bool,
    },
    Demo {
        dir: PathBuf,
        json: bool,
        cache: Option<CacheSettings>,
    },
    Run {
        scenario: PathBuf,
        out: PathBuf,
        replay: ReplayOptions,
        every_interval: bool,
        json: bool,
    },
    Sweep {
        scenario: PathBuf,
        op: SweepOp,
        values: Vec<f64>,
        cells: Vec<String>,
        objective: scenarios::sweep::Objective,
        cache: Option<CacheSettings>,
        json: bool,
    },
    Coverage {
        scenario: PathBuf,
        out: PathBuf,
        variant: Option<String>,
        replay: ReplayOptions,
    },
    View {
        run_dir: PathBuf,
        args: Vec<String>,
    },
    Compare {
        a: PathBuf,
        b: PathBuf,
        filter: scenarios::compare::CompareFilter,
        json: bool,
    },
    Import {
        topology: PathBuf,
        nodes: PathBuf,
        links: PathBuf,
        graphml: transport::import::graphml::GraphmlOptions,
    },
    Calibrate(CalibrateArgs),
    SettleRun {
        scenario: PathBuf,
        out: PathBuf,
        json: bool,
    },
    SettleVerify {
        log: PathBuf,
        head: Option<String>,
        json: bool,
    },
}

fn backend(b: BackendArg) -> radio::Backend {
    match b {
        BackendArg::Auto => radio::Backend::Auto,
        BackendArg::Cpu => radio::Backend::Cpu,
        BackendArg::Gpu => radio::Backend::Gpu,
    }
}

/// The persistent coverage cache of `trace`: `--cache DIR`, else the default directory (none
/// with `--no-cache`, or without a home directory).
pub(crate) fn cache(args: &CacheArgs) -> Result<Option<CacheSettings>> {
    let gb = args.cache_max_gb;
    if !(gb > 0.0 && gb <= 1e6) {
        bail!("--cache-max-gb {gb}: expected a size in GB above 0 and at most 10^6");
    }
    if args.no_cache {
        return Ok(None);
    }
    let dir = args.dir.clone().or_else(CacheSettings::default_dir);
    Ok(dir.map(|dir| CacheSettings { dir, max_bytes: (gb * 1e9) as u64 }))
}

/// The replay settings of `trace`, checked.
fn replay(trace: &TraceArgs, busy_intervals: usize, packet_seconds: f64) -> Result<ReplayOptions> {
    let opts = ReplayOptions {
        rays: trace.rays,
        max_depth: trace.max_depth,
        busy_intervals,
        packet_seconds,
        backend: backend(trace.backend),
        cache: cache(&trace.cache)?,
    };
    opts.check()?;
    Ok(opts)
}

fn run(a: RunArgs) -> Result<Config> {
    if !(a.packet_seconds > 0.0 && a.packet_seconds <= 3600.0) {
        bail!(
            "--packet-seconds {}: use a positive number of seconds up to an hour",
            a.packet_seconds
        );
    }
    Ok(Config::Run {
        replay: replay(&a.trace, a.busy_intervals, a.packet_seconds)?,
        scenario: a.scenario,
        out: a.out,
        every_interval: a.every_interval,
        json: a.json,
    })
}

fn sweep_op(op: SweepOpArg) -> SweepOp {
    match op {
        SweepOpArg::SetTilt => SweepOp::SetTilt,
        SweepOpArg::SetAzimuth => SweepOp::SetAzimuth,
        SweepOpArg::SetElectricalTilt => SweepOp::SetElectricalTilt,
        SweepOpArg::SetPower => SweepOp::SetPower,
        SweepOpArg::ScaleTraffic => SweepOp::ScaleTraffic,
    }
}

fn calibrate(a: CalibrateArgs) -> Result<Config> {
    if !(a.level > 0.0 && a.level < 1.0) {
        bail!("--level {}: a prediction-interval level between 0 and 1, e.g. 0.9", a.level);
    }
    if !(a.block_m > 0.0 && a.block_m.is_finite()) {
        bail!("--block-m {}: a positive block edge in metres", a.block_m);
    }
    if a.epochs == 0 {
        bail!("--epochs 0: train for at least one epoch");
    }
    Ok(Config::Calibrate(a))
}

impl Config {
    /// The command line, checked.
    pub(crate) fn from_command(command: Command) -> Result<Config> {
        Ok(match command {
            Command::Validate { scenario, json } => Config::Validate { scenario, json },
            Command::Demo { dir, json, cache: c } => Config::Demo { dir, json, cache: cache(&c)? },
            Command::Run(a) => run(a)?,
            Command::Sweep { scenario, op, values, cells, objective, goal, json, cache: c } => {
                if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                    bail!("--values {v}: every value must be a finite number");
                }
                let goal = goal.map(|g| match g {
                    GoalArg::Max => Goal::Max,
                    GoalArg::Min => Goal::Min,
                });
                let objective = Objective::new(&objective, goal).context("--objective")?;
                let cache = cache(&c)?;
                Config::Sweep { scenario, op: sweep_op(op), values, cells, objective, cache, json }
            }
            Command::Coverage { scenario, out, variant, trace } => Config::Coverage {
                replay: replay(
                    &trace,
                    ReplayOptions::default().busy_intervals,
                    ReplayOptions::default().packet_seconds,
                )?,
                scenario,
                out,
                variant,
            },
            Command::View { run_dir, args } => Config::View { run_dir, args },
            Command::Compare { a, b, kpi, variant, min_change, all, json } => {
                if !(min_change >= 0.0 && min_change.is_finite()) {
                    bail!("--min-change {min_change}: a percentage, 0 or more");
                }
                let filter = scenarios::compare::CompareFilter {
                    kpi,
                    variant,
                    min_change_pct: min_change,
                    all,
                };
                Config::Compare { a, b, filter, json }
            }
            Command::Import { topology, nodes, links, default_capacity_bps, default_delay_s } => {
                for (flag, v) in [
                    ("--default-capacity-bps", default_capacity_bps),
                    ("--default-delay-s", default_delay_s),
                ] {
                    if let Some(v) = v.filter(|v| !(*v > 0.0 && v.is_finite())) {
                        bail!("{flag} {v}: a positive number");
                    }
                }
                let graphml = transport::import::graphml::GraphmlOptions {
                    default_capacity_bps,
                    default_delay_s,
                };
                Config::Import { topology, nodes, links, graphml }
            }
            Command::Calibrate(a) => calibrate(a)?,
            Command::Settle { command: SettleCommand::Run { scenario, out, json } } => {
                Config::SettleRun { scenario, out, json }
            }
            Command::Settle { command: SettleCommand::Verify { log, head, json } } => {
                Config::SettleVerify { log, head, json }
            }
        })
    }
}

/// A file or folder on the command line that cannot be used: exit 1 (an unreadable input, an
/// existing or unwritable output), found before any work starts. Every other problem of the
/// command line is a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct PathProblem(String);

impl Config {
    /// Checks every input the command reads first and every output location it will write, so
    /// that no command works for minutes and then fails on a missing file or a read-only folder.
    pub(crate) fn check_paths(&self) -> Result<(), PathProblem> {
        match self {
            Config::Validate { scenario, .. } | Config::Sweep { scenario, .. } => input(scenario),
            Config::Run { scenario, out, .. } | Config::SettleRun { scenario, out, .. } => {
                input(scenario)?;
                new_output(out)
            }
            Config::Coverage { scenario, out, .. } => {
                input(scenario)?;
                writable_location(out)
            }
            // Without the learned layer the command only says how to rebuild.
            Config::Calibrate(_) if !scenarios::calibration::AVAILABLE => Ok(()),
            Config::Calibrate(a) => {
                input(&a.scenario)?;
                input(&a.measurements)?;
                // An existing model directory is replaced (the command checks what it is).
                writable_location(&a.out)
            }
            Config::Import { topology, nodes, links, .. } => {
                input(topology)?;
                import_outputs(topology, nodes, links)
            }
            Config::Compare { a, b, .. } => input(a).and_then(|()| input(b)),
            Config::SettleVerify { log, .. } => input(log),
            Config::Demo { .. } | Config::View { .. } => Ok(()),
        }
    }
}

fn input(path: &std::path::Path) -> Result<(), PathProblem> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(e) => Err(PathProblem(format!("cannot read {}: {e}", path.display()))),
    }
}

/// An output that must not exist yet, in a location that can be written.
fn new_output(path: &std::path::Path) -> Result<(), PathProblem> {
    if path.symlink_metadata().is_ok() {
        return Err(PathProblem(format!(
            "{} exists; choose a new output (nothing is overwritten)",
            path.display()
        )));
    }
    writable_location(path)
}

/// The folder `path` will be written in: its nearest existing ancestor must be a folder this
/// process can create files in (tried with a probe file, which is removed).
fn writable_location(path: &std::path::Path) -> Result<(), PathProblem> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let mut dir = parent.unwrap_or(std::path::Path::new("."));
    while dir.symlink_metadata().is_err() {
        match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => dir = p,
            None => {
                dir = std::path::Path::new(".");
                break;
            }
        }
    }
    if !dir.is_dir() {
        return Err(PathProblem(format!(
            "cannot write {}: {} is a file, not a folder",
            path.display(),
            dir.display()
        )));
    }
    let probe = dir.join(twin_format::fsio::temp_name("write-probe"));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(PathProblem(format!(
            "cannot write {}: {} does not take new files ({e})",
            path.display(),
            dir.display()
        ))),
    }
}

/// `twin import`'s two outputs: new files, not each other, not the input.
fn import_outputs(
    topology: &std::path::Path,
    nodes: &std::path::Path,
    links: &std::path::Path,
) -> Result<(), PathProblem> {
    let same = |a: &std::path::Path, b: &std::path::Path| {
        a == b
            || std::fs::canonicalize(a)
                .ok()
                .is_some_and(|x| std::fs::canonicalize(b).ok() == Some(x))
    };
    if same(nodes, links) {
        return Err(PathProblem(format!(
            "--nodes and --links are the same file ({}); give two",
            nodes.display()
        )));
    }
    for out in [nodes, links] {
        if same(out, topology) {
            return Err(PathProblem(format!(
                "{} is the topology being imported; write the tables elsewhere",
                out.display()
            )));
        }
        new_output(out)?;
    }
    Ok(())
}
