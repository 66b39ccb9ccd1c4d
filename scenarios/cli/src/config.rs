//! The command line checked into a settled configuration before any work starts: names are
//! enums of the library, numbers are in range, and what clap cannot check (a packet-simulation
//! length, a sweep's values, a calibration level) is checked here.

use std::path::PathBuf;

use anyhow::{Result, bail};
use scenarios::replay::ReplayOptions;
use scenarios::sweep::SweepOp;

use crate::args::{
    BackendArg, CalibrateArgs, Command, RunArgs, SettleCommand, SweepOpArg, TraceArgs,
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

/// The replay settings of `trace`, checked.
fn replay(trace: &TraceArgs, busy_intervals: usize, packet_seconds: f64) -> Result<ReplayOptions> {
    let opts = ReplayOptions {
        rays: trace.rays,
        max_depth: trace.max_depth,
        busy_intervals,
        packet_seconds,
        backend: backend(trace.backend),
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
            Command::Demo { dir, json } => Config::Demo { dir, json },
            Command::Run(a) => run(a)?,
            Command::Sweep { scenario, op, values, cells, json } => {
                if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                    bail!("--values {v}: every value must be a finite number");
                }
                Config::Sweep { scenario, op: sweep_op(op), values, cells, json }
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
            Command::Compare { a, b, json } => Config::Compare { a, b, json },
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
