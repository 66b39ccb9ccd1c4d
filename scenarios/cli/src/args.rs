//! The command line as clap parses it: the raw form, before it is checked into a
//! [`crate::config::Config`]. Every choice among names is an enum, so clap refuses a wrong one
//! (and lists the right ones) before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "twin",
    version,
    about = "The network twin: replay scenarios through the twin, validate them, settle inter-carrier usage",
    after_help = "Examples:\n  twin demo\n  twin run scenario.toml --out runs/2024 [--backend cpu|gpu|auto]\n  twin sweep scenario.toml --op set-tilt --values 0,2,4,6,8\n  twin coverage scenario.toml --backend gpu --out map.csv [--variant new-site]\n  twin compare runs/a runs/b\n  twin import Cogentco.graphml --nodes nodes.csv --links links.csv --default-capacity-bps 1e9\n  twin validate scenario.toml\n  twin calibrate scenario.toml --measurements drive.csv --out model   (feature calibrate)\n  twin validate scenario.toml --json\n  twin settle run scenario.toml --out settlement/\n  twin settle verify settlement/statements.jsonl [--head HASH]\n\nExit codes: 0 success; 1 an error (unreadable input, a failed run); 2 a scenario that does not\nvalidate (or a bad command line); 3 a statement log that does not verify; 130 / 143\ninterrupted by SIGINT (Ctrl-C) / SIGTERM (nothing unfinished is left on disk)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The ray tracer for coverage maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendArg {
    /// A hardware GPU if there is one, else the CPU.
    Auto,
    /// The CPU tracer.
    Cpu,
    /// The GPU tracer (an error without a GPU adapter).
    Gpu,
}

/// The parameter a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SweepOpArg {
    /// Mechanical tilt, degrees.
    SetTilt,
    /// Azimuth, degrees.
    SetAzimuth,
    /// Electrical tilt, degrees (the beam steered, the antenna not moved)
    SetElectricalTilt,
    /// Transmit power, dBm.
    SetPower,
    /// A traffic factor.
    ScaleTraffic,
}

/// Which way a sweep's objective is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum GoalArg {
    /// The highest value is best.
    Max,
    /// The lowest value is best.
    Min,
}

/// How `twin calibrate` holds out its test set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SplitArg {
    /// Whole square tiles of `--block-m` metres.
    Spatial,
    /// The newest measurements.
    Time,
    /// Rows at random (leaks spatial correlation; for comparison).
    Random,
}

/// Where `twin calibrate` trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TrainBackendArg {
    /// burn's NdArray backend (CPU).
    Ndarray,
    /// burn's Flex backend (CPU; needs the learned crate's `flex` feature).
    Flex,
    /// burn's wgpu backend (GPU; needs the learned crate's `wgpu` feature).
    Wgpu,
}

/// The replay settings a command takes.
#[derive(Args, Debug, Clone)]
pub(crate) struct TraceArgs {
    /// Rays per coverage map.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) rays: u64,
    /// Reflections traced.
    #[arg(long, default_value_t = 2)]
    pub(crate) max_depth: u32,
    /// Ray tracer for the coverage maps: auto (a hardware GPU if there is one, else the CPU),
    /// cpu or gpu (an error without a GPU adapter).
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub(crate) backend: BackendArg,
    #[command(flatten)]
    pub(crate) cache: CacheArgs,
}

/// Where coverage maps are kept between runs.
#[derive(Args, Debug, Clone)]
pub(crate) struct CacheArgs {
    /// The persistent coverage cache: maps traced once are read back by later runs, variants
    /// and shards [default: $XDG_CACHE_HOME/network-twin/coverage, else
    /// ~/.cache/network-twin/coverage].
    #[arg(long = "cache", value_name = "DIR", conflicts_with = "no_cache")]
    pub(crate) dir: Option<PathBuf>,
    /// Trace every map, neither reading nor writing the cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// The cache's size limit, GB: after a run the least recently used maps go until it fits.
    #[arg(long, value_name = "GB", default_value_t = 10.0)]
    pub(crate) cache_max_gb: f64,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Check a scenario and everything it names; print every problem (exit 2 if any).
    Validate {
        /// The scenario file.
        scenario: PathBuf,
        /// Print the diagnostics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the built-in demo scenario into a folder and run it (baseline and six variants).
    Demo {
        /// Folder for the scenario and its run.
        #[arg(long, default_value = "twin-demo")]
        dir: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Replay a scenario's history for the baseline and every variant; write a run directory.
    Run(RunArgs),
    /// Run one variant per value of a parameter and print one table (no run directory).
    Sweep {
        /// The scenario file (its own variants are replaced by the sweep's).
        scenario: PathBuf,
        /// The operation swept.
        #[arg(long, value_enum)]
        op: SweepOpArg,
        /// Comma-separated values (degrees, dBm or factors).
        #[arg(long, value_delimiter = ',', required = true, allow_negative_numbers = true)]
        values: Vec<f64>,
        /// Comma-separated cells (all cells when absent).
        #[arg(long, value_delimiter = ',')]
        cells: Vec<String>,
        /// The KPI the best value is chosen by (a summary field: coverage_mean,
        /// prb_util_max_p95, overloaded_cell_hours, ...); the best row is marked.
        #[arg(long, default_value = "coverage_mean")]
        objective: String,
        /// Whether the highest or the lowest value of the objective is best (the KPI's own
        /// direction when absent: coverage, RSRP and SINR up, everything else down).
        #[arg(long, value_enum)]
        goal: Option<GoalArg>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Best server, RSRP and SINR on the scenario's grid, as CSV and PNG (the baseline at the
    /// window's start, or a variant after its last change).
    Coverage {
        /// The scenario file.
        scenario: PathBuf,
        /// Where to write: a file ending in .csv (the map's PNG goes beside it, same name), or a
        /// directory (coverage.csv and coverage.png in it). Must not exist.
        #[arg(long)]
        out: PathBuf,
        /// A variant's name (the baseline when absent).
        #[arg(long)]
        variant: Option<String>,
        #[command(flatten)]
        trace: TraceArgs,
    },
    /// Open a run directory in the viewer (`twin-view`, beside this binary); options after the
    /// directory go to it (`twin view runs/a --variant new-site --layer sinr`).
    View {
        /// The run directory.
        run_dir: PathBuf,
        /// twin-view's options.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// What changed between two run directories' summaries, KPI by KPI of the variants both
    /// have, largest relative change first.
    Compare {
        /// The first run directory.
        a: PathBuf,
        /// The second run directory.
        b: PathBuf,
        /// Only KPIs whose name contains this (or matches it, with `*` for any characters:
        /// `prb_*`, `*_p95`).
        #[arg(long)]
        kpi: Option<String>,
        /// Only variants whose name contains this (or matches it, with `*`).
        #[arg(long)]
        variant: Option<String>,
        /// Leave out changes smaller than this percentage of the first run's value (a change
        /// from zero is always shown).
        #[arg(long, default_value_t = 0.0)]
        min_change: f64,
        /// Show the KPIs that did not change too.
        #[arg(long)]
        all: bool,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Convert a topology (GraphML or SNDlib) to nodes.csv and links.csv.
    Import {
        /// The topology file (.graphml, or SNDlib native .txt).
        topology: PathBuf,
        /// Nodes CSV to write.
        #[arg(long)]
        nodes: PathBuf,
        /// Links CSV to write.
        #[arg(long)]
        links: PathBuf,
        /// Capacity of GraphML links without LinkSpeedRaw, bit/s (else they are an error).
        #[arg(long)]
        default_capacity_bps: Option<f64>,
        /// Delay of GraphML links whose ends lack coordinates, seconds (else an error).
        #[arg(long)]
        default_delay_s: Option<f64>,
    },
    /// Train the learned correction of the scenario's radio predictions on measured RSRP and
    /// write a model directory (name it as `calibration` in the scenario to apply it in replays).
    /// Needs the `calibrate` feature: `cargo run --release -p twin --features calibrate --
    /// calibrate ...`.
    Calibrate(CalibrateArgs),
    /// Inter-carrier settlement.
    Settle {
        #[command(subcommand)]
        command: SettleCommand,
    },
}

/// `twin run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// The scenario file.
    pub(crate) scenario: PathBuf,
    /// Run directory to write (must not exist).
    #[arg(long)]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) trace: TraceArgs,
    /// Write cells.csv and links.csv for every interval instead of one row per day.
    #[arg(long)]
    pub(crate) every_interval: bool,
    /// Busiest intervals per variant also simulated packet by packet.
    #[arg(long, default_value_t = 2)]
    pub(crate) busy_intervals: usize,
    /// Simulated seconds of each busy interval (more than 0, at most 3600).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) packet_seconds: f64,
    /// Print the summary as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Subcommand)]
pub(crate) enum SettleCommand {
    /// Price the scenario's settlement load, net it per month, write the hash-chained statements
    /// and model the settlement system's latency and backlog.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Output directory (created; must not exist).
        #[arg(long)]
        out: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a statement log's hash chain and seal (exit 3 at the first line that does not verify).
    Verify {
        /// The log (`statements.jsonl`).
        log: PathBuf,
        /// The head `settle run` printed (the last statement's hash), kept apart from the log:
        /// the log must end in it.
        #[arg(long, value_parser = parse_head)]
        head: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The options of `twin calibrate`.
#[derive(Args)]
pub(crate) struct CalibrateArgs {
    /// The scenario file (its scene and inventory are the twin that is corrected).
    pub(crate) scenario: PathBuf,
    /// Measurement CSV (drive test or probe export).
    #[arg(long)]
    pub(crate) measurements: PathBuf,
    /// Column mapping entries, `field=column[:conversion]`, comma-separated (repeatable);
    /// see docs/learned.md. Columns named like the fields need none.
    #[arg(long)]
    pub(crate) map: Vec<String>,
    /// Column mapping file (same syntax, one entry per line).
    #[arg(long)]
    pub(crate) map_file: Option<PathBuf>,
    /// Drop rows with non-numeric values instead of failing.
    #[arg(long)]
    pub(crate) drop_invalid: bool,
    /// Model directory to write (absent, or a model directory to replace).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Hold-out split.
    #[arg(long, value_enum, default_value_t = SplitArg::Spatial)]
    pub(crate) split: SplitArg,
    /// Spatial block edge, metres.
    #[arg(long, default_value_t = 100.0)]
    pub(crate) block_m: f64,
    /// Maximum epochs.
    #[arg(long, default_value_t = 200)]
    pub(crate) epochs: usize,
    /// Prediction-interval level.
    #[arg(long, default_value_t = 0.9)]
    pub(crate) level: f64,
    /// Seed of the split, the weights and the batch order.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Training backend.
    #[arg(long, value_enum, default_value_t = TrainBackendArg::Ndarray)]
    pub(crate) backend: TrainBackendArg,
    /// Reflections traced for the features.
    #[arg(long, default_value_t = 2)]
    pub(crate) max_depth: u32,
    /// Print the evaluation as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// A log head: 64 hexadecimal digits.
fn parse_head(s: &str) -> Result<String, String> {
    let h = s.trim().to_ascii_lowercase();
    if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(h)
    } else {
        Err(format!("\"{s}\" is not a SHA-256 hash (64 hexadecimal digits)"))
    }
}
