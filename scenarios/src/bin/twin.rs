//! The `twin` command: what planners run. See `docs/scenario.md` and `twin --help`.
//!
//! Exit codes: 0 success; 1 an error (unreadable input, a failed run); 2 a scenario that does not
//! validate; 3 a statement log that does not verify; 130 interrupted (Ctrl-C, nothing written);
//! clap's own 2 for a bad command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use scenarios::ScenarioError;
use scenarios::demo::{DemoConfig, write_demo};
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::{
    Summary, map_png, summarise, table, write_dir_atomically, write_run_dir_with_views,
};
use scenarios::scenario::{Diagnostic, Operation, Plan, Timed, Variant, validate};
use scenarios::settlement::{
    RateBook, net_positions, price, simulate_system, statements, verify_log, write_log,
};

#[derive(Parser)]
#[command(
    name = "twin",
    version,
    about = "The network twin: replay scenarios through the twin, validate them, settle inter-carrier usage",
    after_help = "Examples:\n  twin demo\n  twin run scenario.toml --out runs/2024 [--backend cpu|gpu|auto]\n  twin sweep scenario.toml --op set-tilt --values 0,2,4,6,8\n  twin coverage scenario.toml --backend gpu --out map.csv [--variant new-site]\n  twin compare runs/a runs/b\n  twin import Cogentco.graphml --nodes nodes.csv --links links.csv --default-capacity-bps 1e9\n  twin validate scenario.toml\n  twin calibrate scenario.toml --measurements drive.csv --out model   (feature calibrate)\n  twin validate scenario.toml --json\n  twin settle run scenario.toml --out settlement/\n  twin settle verify settlement/statements.jsonl"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a scenario and everything it names; print every problem (exit 2 if any).
    Validate {
        /// The scenario file.
        scenario: PathBuf,
        /// Print the diagnostics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the built-in demo scenario into a folder and run it (baseline and four variants).
    Demo {
        /// Folder for the scenario and its run.
        #[arg(long, default_value = "twin-demo")]
        dir: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay a scenario's history for the baseline and every variant; write a run directory.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Run directory to write (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// Rays per coverage map.
        #[arg(long, default_value_t = 20_000)]
        rays: u64,
        /// Reflections traced.
        #[arg(long, default_value_t = 2)]
        max_depth: u32,
        /// Write cells.csv and links.csv for every interval instead of one row per day.
        #[arg(long)]
        every_interval: bool,
        /// Busiest intervals per variant also simulated packet by packet.
        #[arg(long, default_value_t = 2)]
        busy_intervals: usize,
        /// Simulated seconds of each busy interval.
        #[arg(long, default_value_t = 1.0)]
        packet_seconds: f64,
        /// Ray tracer for the coverage maps: auto (a hardware GPU if there is one, else the
        /// CPU), cpu or gpu (an error without a GPU adapter).
        #[arg(long, default_value = "auto")]
        backend: radio::Backend,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run one variant per value of a parameter and print one table (no run directory).
    Sweep {
        /// The scenario file (its own variants are replaced by the sweep's).
        scenario: PathBuf,
        /// The operation swept: set-tilt, set-azimuth, set-power or scale-traffic.
        #[arg(long)]
        op: String,
        /// Comma-separated values (degrees, dBm or factors).
        #[arg(long, value_delimiter = ',', required = true)]
        values: Vec<f64>,
        /// Comma-separated cells (all cells when absent).
        #[arg(long, value_delimiter = ',')]
        cells: Vec<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
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
        /// Ray tracer: auto (a hardware GPU if there is one, else the CPU), cpu or gpu (an error
        /// without a GPU adapter).
        #[arg(long, default_value = "auto")]
        backend: radio::Backend,
        /// A variant's name (the baseline when absent).
        #[arg(long)]
        variant: Option<String>,
        /// Rays per coverage map.
        #[arg(long, default_value_t = 20_000)]
        rays: u64,
        /// Reflections traced.
        #[arg(long, default_value_t = 2)]
        max_depth: u32,
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
    /// Compare the summaries of two run directories, variant by variant.
    Compare {
        /// The first run directory.
        a: PathBuf,
        /// The second run directory.
        b: PathBuf,
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
    /// Needs the `calibrate` feature: `cargo run --release -p scenarios --features calibrate
    /// --bin twin -- calibrate ...`.
    Calibrate(CalibrateArgs),
    /// Inter-carrier settlement.
    Settle {
        #[command(subcommand)]
        command: SettleCommand,
    },
}

#[derive(Subcommand)]
enum SettleCommand {
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
    /// Check a statement log's hash chain (exit 3 at the first statement that does not verify).
    Verify {
        /// The log (`statements.jsonl`).
        log: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Writes `path` through a temporary file beside it, renamed into place: whole or absent.
fn write_file_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("renaming into {}", path.display())
    })
}

/// A dB value for CSV: empty where there is none.
/// The viewer's binary, if it was built beside this one.
fn twin_view_beside() -> Option<PathBuf> {
    let name = if cfg!(windows) { "twin-view.exe" } else { "twin-view" };
    let exe = std::env::current_exe().ok()?.parent()?.join(name);
    exe.is_file().then_some(exe)
}

/// The viewer's images for the report: `twin-view RUN --report` run from beside this binary on
/// the unfinished run directory. Without it (a build of `twin` alone) or when it fails (no GPU
/// adapter), the report keeps its own maps and one line says why.
fn viewer_images(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let Some(exe) = twin_view_beside() else {
        eprintln!(
            "report: without the viewer's images (twin-view is not beside twin; `cargo build \
             --release --bin twin-view` adds them)"
        );
        return Vec::new();
    };
    let out = match std::process::Command::new(&exe).arg(dir).arg("--report").output() {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().rfind(|l| l.starts_with("error")).unwrap_or("failed");
            eprintln!("report: without the viewer's images ({last})");
            return Vec::new();
        }
        Err(e) => {
            eprintln!("report: without the viewer's images ({}: {e})", exe.display());
            return Vec::new();
        }
    };
    // One line per image: the file (relative to the run directory), a tab, the caption.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(file, caption)| {
            std::fs::read(dir.join(file)).ok().map(|png| (caption.to_string(), png))
        })
        .collect()
}

fn fmt_db(v: f32) -> String {
    if v.is_finite() { format!("{v:.2}") } else { String::new() }
}

/// The operation's name as the scenario file writes it.
fn op_label(op: &Operation) -> &'static str {
    match op {
        Operation::SetTilt { .. } => "tilt",
        Operation::SetAzimuth { .. } => "azimuth",
        Operation::SetPower { .. } => "power",
        Operation::ScaleTraffic { .. } => "traffic ×",
        _ => "value",
    }
}

/// The scenario's plan, or (its diagnostics printed) the exit code of a scenario that does not
/// validate.
fn checked(scenario: &std::path::Path, json: bool) -> Result<Result<Plan, ExitCode>> {
    match validate(scenario) {
        Ok(p) => Ok(Ok(p)),
        Err(diags) => {
            print_diagnostics(&diags, json)?;
            Ok(Err(ExitCode::from(2)))
        }
    }
}

fn print_diagnostics(diags: &[Diagnostic], json: bool) -> Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "valid": diags.is_empty(), "diagnostics": diags })
            )?
        );
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

/// Validates, replays and writes the run directory; prints the summary.
fn run_scenario(
    scenario: &std::path::Path,
    out: &std::path::Path,
    opts: ReplayOptions,
    every_interval: bool,
    json: bool,
    shown_as: &std::path::Path,
) -> Result<ExitCode> {
    let t0 = Instant::now();
    let plan = match checked(scenario, json)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    if out.exists() {
        anyhow::bail!("{} exists; choose a new run directory", out.display());
    }
    let t_validate = t0.elapsed().as_secs_f64();
    let interrupt: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
    let _ = ctrlc::set_handler(move || interrupt.store(true, Ordering::Relaxed));
    let replayer = Replayer::new(&plan, opts, Some(interrupt))?;
    if !json {
        eprintln!("{}", replayer.backend_notice());
    }
    let total = (plan.intervals * (plan.scenario.variants.len() + 1)) as u64;
    let bar = if std::io::stderr().is_terminal() && !json {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} replay [{bar:40}] {pos}/{len} intervals, {elapsed} elapsed, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let t1 = Instant::now();
    let results = replayer.run_all(&|n| bar.inc(n));
    bar.finish_and_clear();
    let results = match results {
        Ok(r) => r,
        Err(ScenarioError::Interrupted) => {
            eprintln!("interrupted: nothing was written");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(e.into()),
    };
    let t_replay = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let timings = vec![
        ("validate".to_string(), t_validate),
        ("replay".to_string(), t_replay),
        ("coverage_maps".to_string(), replayer.maps_traced() as f64),
    ];
    let per_row = if every_interval {
        1
    } else {
        (86_400 / plan.scenario.window.interval_s.max(1)).max(1) as usize
    };
    let summary = write_run_dir_with_views(
        out,
        &plan,
        scenario,
        &results,
        &replayer.geometry(),
        &timings,
        per_row,
        replayer.backend_notice(),
        &viewer_images,
    )?;
    let t_write = t2.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "summary": summary, "out": out, "seconds": t0.elapsed().as_secs_f64() })
            )?
        );
    } else {
        print!("{}", table(&summary));
        println!("largest changes against the baseline:");
        for d in summary.deltas.iter().take(8) {
            println!(
                "  {:<24} {:<26} {:>12.4} → {:>12.4} ({:+.1} %)",
                d.variant,
                d.kpi,
                d.baseline,
                d.value,
                100.0 * d.change.signum() * d.impact
            );
        }
        println!(
            "{} intervals × {} variants in {:.1} s (validate {:.1} s, replay {:.1} s with {} coverage maps, write {:.1} s)",
            plan.intervals,
            results.len(),
            t0.elapsed().as_secs_f64(),
            t_validate,
            t_replay,
            replayer.maps_traced(),
            t_write
        );
        println!("report: {}", shown_as.join("report.html").display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { dir, json } => {
            let run_dir = dir.join("run");
            if run_dir.exists() && !run_dir.join("manifest.json").is_file() {
                anyhow::bail!(
                    "{} exists and is not a run directory; choose another --dir",
                    run_dir.display()
                );
            }
            let t = Instant::now();
            let scenario = write_demo(&dir, &DemoConfig::default())?;
            if !json {
                println!(
                    "demo scenario written to {} in {:.1} s",
                    scenario.display(),
                    t.elapsed().as_secs_f64()
                );
            }
            // A previous demo run is replaced only once the new one is complete.
            let fresh = dir.join(format!(".run-new-{}", std::process::id()));
            let code =
                run_scenario(&scenario, &fresh, ReplayOptions::default(), false, json, &run_dir)?;
            if fresh.exists() {
                if run_dir.exists() {
                    std::fs::remove_dir_all(&run_dir)
                        .with_context(|| format!("removing the previous {}", run_dir.display()))?;
                }
                std::fs::rename(&fresh, &run_dir)
                    .with_context(|| format!("renaming into {}", run_dir.display()))?;
            }
            Ok(code)
        }
        Command::Run {
            scenario,
            out,
            rays,
            max_depth,
            every_interval,
            busy_intervals,
            packet_seconds,
            backend,
            json,
        } => {
            if !(packet_seconds > 0.0 && packet_seconds <= 3600.0) {
                anyhow::bail!(
                    "--packet-seconds {packet_seconds}: use a positive number of seconds up to an hour"
                );
            }
            let opts = ReplayOptions {
                rays,
                max_depth,
                busy_intervals,
                packet_seconds,
                backend,
                ..ReplayOptions::default()
            };
            run_scenario(&scenario, &out, opts, every_interval, json, &out)
        }
        Command::Sweep { scenario, op, values, cells, json } => {
            let mut plan = match checked(&scenario, json)? {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            let known: Vec<&str> = plan.inventory.cells.iter().map(|c| c.id.as_str()).collect();
            if let Some(c) = cells.iter().find(|c| !known.contains(&c.as_str())) {
                anyhow::bail!("--cells: unknown cell \"{c}\"");
            }
            let targets: Vec<String> = if cells.is_empty() {
                known.iter().map(|c| c.to_string()).collect()
            } else {
                cells.clone()
            };
            plan.scenario.variants = values
                .iter()
                .map(|&v| -> Result<Variant> {
                    let op = match op.as_str() {
                        "set-tilt" => Operation::SetTilt { cells: targets.clone(), deg: v },
                        "set-azimuth" => Operation::SetAzimuth { cells: targets.clone(), deg: v },
                        "set-power" => Operation::SetPower { cells: targets.clone(), dbm: v },
                        "scale-traffic" => Operation::ScaleTraffic { cells: targets.clone(), factor: v, growth_per_year: 0.0 },
                        other => anyhow::bail!("--op {other}: expected set-tilt, set-azimuth, set-power or scale-traffic"),
                    };
                    Ok(Variant { name: format!("{op_name} {v}", op_name = op_label(&op)), timeline: vec![Timed { time: None, op }] })
                })
                .collect::<Result<_>>()?;
            let replayer = Replayer::new(&plan, ReplayOptions::default(), None)?;
            let results = replayer.run_all(&|_| {})?;
            let summary = summarise(&plan, &results);
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{}", table(&summary));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Coverage { scenario, out, backend, variant, rays, max_depth } => {
            let plan = match checked(&scenario, false)? {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            if out.exists() {
                anyhow::bail!("{} exists; choose a new output directory", out.display());
            }
            let index = match &variant {
                None => None,
                Some(name) => {
                    Some(plan.scenario.variants.iter().position(|v| &v.name == name).with_context(
                        || format!("--variant {name}: the scenario has no such variant"),
                    )?)
                }
            };
            let replayer = Replayer::new(
                &plan,
                ReplayOptions { rays, max_depth, backend, ..ReplayOptions::default() },
                None,
            )?;
            eprintln!("{}", replayer.backend_notice());
            let (cells, map) = replayer.serving_map(index)?;
            let mut csv = String::from("x_m,y_m,best_cell,rsrp_dbm,sinr_db\n");
            for (i, (best, rsrp, sinr)) in map.iter().enumerate() {
                let p = replayer.grid.point(i);
                let cell = best.map_or("", |b| cells[b].as_str());
                csv.push_str(&format!(
                    "{:.1},{:.1},{cell},{},{}\n",
                    p.x,
                    p.y,
                    fmt_db(*rsrp),
                    fmt_db(*sinr)
                ));
            }
            let png = map_png(&replayer.grid, &map)?;
            let written = if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
                // One CSV file and its PNG beside it, each written whole or not at all.
                let png_path = out.with_extension("png");
                if png_path.exists() {
                    anyhow::bail!("{} exists; choose another --out", png_path.display());
                }
                write_file_atomically(&out, csv.as_bytes())?;
                write_file_atomically(&png_path, &png)?;
                format!("{} and {}", out.display(), png_path.display())
            } else {
                write_dir_atomically(&out, |tmp| -> Result<()> {
                    std::fs::write(tmp.join("coverage.csv"), &csv)?;
                    std::fs::write(tmp.join("coverage.png"), &png)?;
                    Ok(())
                })?;
                out.display().to_string()
            };
            let served = map.iter().filter(|m| m.0.is_some()).count();
            println!("{} grid points, {served} served; written to {written}", map.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::View { run_dir, args } => {
            let exe = twin_view_beside().context(
                "twin-view is not beside twin; build it with `cargo build --release --bin \
                     twin-view` (or run `cargo run --release --bin twin-view -- RUN_DIR`)",
            )?;
            let status = std::process::Command::new(&exe)
                .arg(&run_dir)
                .args(&args)
                .status()
                .with_context(|| format!("running {}", exe.display()))?;
            Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Compare { a, b, json } => {
            let read = |dir: &PathBuf| -> Result<Summary> {
                let p = dir.join("summary.json");
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("reading {} (is it a run directory?)", p.display()))?;
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a run summary", p.display()))
            };
            let (sa, sb) = (read(&a)?, read(&b)?);
            let mut rows = Vec::new();
            for va in &sa.variants {
                let Some(vb) = sb.variants.iter().find(|v| v.name == va.name) else { continue };
                let (ja, jb) = (serde_json::to_value(va)?, serde_json::to_value(vb)?);
                if let (Some(ma), Some(mb)) = (ja.as_object(), jb.as_object()) {
                    for (k, x) in ma {
                        if let (Some(x), Some(y)) =
                            (x.as_f64(), mb.get(k).and_then(serde_json::Value::as_f64))
                        {
                            rows.push(serde_json::json!({ "variant": va.name, "kpi": k, "a": x, "b": y, "change": y - x }));
                        }
                    }
                }
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "a": a, "b": b, "rows": rows })
                    )?
                );
            } else {
                println!(
                    "| variant | KPI | {} | {} | change |\n|---|---|---|---|---|",
                    a.display(),
                    b.display()
                );
                for r in &rows {
                    println!(
                        "| {} | {} | {:.4} | {:.4} | {:+.4} |",
                        r["variant"].as_str().unwrap_or(""),
                        r["kpi"].as_str().unwrap_or(""),
                        r["a"].as_f64().unwrap_or(f64::NAN),
                        r["b"].as_f64().unwrap_or(f64::NAN),
                        r["change"].as_f64().unwrap_or(f64::NAN)
                    );
                }
                let only: Vec<&str> = sa
                    .variants
                    .iter()
                    .chain(&sb.variants)
                    .map(|v| v.name.as_str())
                    .filter(|n| {
                        !sa.variants.iter().any(|v| v.name == *n)
                            || !sb.variants.iter().any(|v| v.name == *n)
                    })
                    .collect();
                if !only.is_empty() {
                    println!("in one run only: {}", only.join(", "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { topology, nodes, links, default_capacity_bps, default_delay_s } => {
            let ext =
                topology.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            let topo = if ext == "graphml" {
                transport::import::graphml::load(
                    &topology,
                    &transport::import::graphml::GraphmlOptions {
                        default_capacity_bps,
                        default_delay_s,
                    },
                )?
            } else {
                transport::import::sndlib::load(&topology)?.topology
            };
            transport::import::csv::save(&topo, &nodes, &links)?;
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
        Command::Calibrate(args) => calibrate(args),
        Command::Validate { scenario, json } => match validate(&scenario) {
            Ok(plan) => {
                if json {
                    print_diagnostics(&[], true)?;
                } else {
                    println!(
                        "{}: valid ({} sites, {} cells, {} transport nodes, {} intervals, {} traffic rows, {} settlement rows, {} variants)",
                        scenario.display(),
                        plan.inventory.sites.len(),
                        plan.inventory.cells.len(),
                        plan.topology.n_nodes(),
                        plan.intervals,
                        plan.traffic.len(),
                        plan.usage.len(),
                        plan.scenario.variants.len()
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(diags) => {
                print_diagnostics(&diags, json)?;
                Ok(ExitCode::from(2))
            }
        },
        Command::Settle { command: SettleCommand::Verify { log, json } } => {
            match verify_log(&log) {
                Ok(n) => {
                    if json {
                        println!("{}", serde_json::json!({ "verified": true, "statements": n }));
                    } else {
                        println!("{}: {n} statements, hash chain intact", log.display());
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ scenarios::ScenarioError::Tampered { .. }) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({ "verified": false, "error": e.to_string() })
                        );
                    } else {
                        eprintln!("error: {e}");
                    }
                    Ok(ExitCode::from(3))
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Settle { command: SettleCommand::Run { scenario, out, json } } => {
            let plan = match checked(&scenario, json)? {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            if out.exists() {
                anyhow::bail!("{} exists; choose a new output directory", out.display());
            }
            let (charges, currency) = price(&plan.usage, &RateBook::new(&plan.rate_cards))?;
            let positions = net_positions(&charges);
            let log = statements(&positions, &currency)?;
            let step = i64::from(plan.scenario.window.interval_s);
            let starts: Vec<i64> =
                (0..plan.intervals).map(|k| plan.start_s + step * k as i64).collect();
            let mut records = vec![0u64; plan.intervals];
            for u in &plan.usage {
                records[((u.start_s - plan.start_s) / step) as usize] += u.records;
            }
            let system = simulate_system(&starts, step as f64, &records, plan.scenario.settlement)?;
            write_dir_atomically(&out, |tmp| -> Result<()> {
                write_log(&tmp.join("statements.jsonl"), &log)?;
                std::fs::write(
                    tmp.join("positions.json"),
                    serde_json::to_string_pretty(&positions)?,
                )?;
                std::fs::write(tmp.join("charges.json"), serde_json::to_string_pretty(&charges)?)?;
                std::fs::write(tmp.join("system.json"), serde_json::to_string_pretty(&system)?)?;
                Ok(())
            })?;
            let summary = serde_json::json!({
                "currency": currency,
                "periods": positions.len(),
                "charges": charges.len(),
                "statements": log.len(),
                "records": system.records,
                "settled": system.settled,
                "latency_p50_s": system.latency_p50_s,
                "latency_p99_s": system.latency_p99_s,
                "backlog_max": system.backlog_max,
                "out": out,
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!(
                    "{} periods, {} statements in {currency}; {} records, settlement latency p50 {:.0} s, p99 {:.0} s, largest backlog {} records; written to {}",
                    positions.len(),
                    log.len(),
                    system.records,
                    system.latency_p50_s,
                    system.latency_p99_s,
                    system.backlog_max,
                    out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The options of `twin calibrate`.
#[derive(clap::Args)]
#[cfg_attr(not(feature = "calibrate"), allow(dead_code))]
struct CalibrateArgs {
    /// The scenario file (its scene and inventory are the twin that is corrected).
    scenario: PathBuf,
    /// Measurement CSV (drive test or probe export).
    #[arg(long)]
    measurements: PathBuf,
    /// Column mapping entries, `field=column[:conversion]`, comma-separated (repeatable);
    /// see docs/learned.md. Columns named like the fields need none.
    #[arg(long)]
    map: Vec<String>,
    /// Column mapping file (same syntax, one entry per line).
    #[arg(long)]
    map_file: Option<PathBuf>,
    /// Drop rows with non-numeric values instead of failing.
    #[arg(long)]
    drop_invalid: bool,
    /// Model directory to write (absent, or a model directory to replace).
    #[arg(long)]
    out: PathBuf,
    /// Hold-out split: spatial, time or random.
    #[arg(long, default_value = "spatial")]
    split: String,
    /// Spatial block edge, metres.
    #[arg(long, default_value_t = 100.0)]
    block_m: f64,
    /// Maximum epochs.
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Prediction-interval level.
    #[arg(long, default_value_t = 0.9)]
    level: f64,
    /// Seed of the split, the weights and the batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Training backend: ndarray, flex or wgpu (the latter two need their features).
    #[arg(long, default_value = "ndarray")]
    backend: String,
    /// Reflections traced for the features.
    #[arg(long, default_value_t = 2)]
    max_depth: u32,
    /// Print the evaluation as JSON.
    #[arg(long)]
    json: bool,
}

#[cfg(not(feature = "calibrate"))]
fn calibrate(_: CalibrateArgs) -> Result<ExitCode> {
    anyhow::bail!(
        "this build of twin has no calibration (it would build burn); rebuild with the feature: \
         cargo run --release -p scenarios --features calibrate --bin twin -- calibrate ..."
    )
}

#[cfg(feature = "calibrate")]
fn calibrate(a: CalibrateArgs) -> Result<ExitCode> {
    use learned::dataset::{SplitConfig, SplitKind};
    use learned::measurements::{ColumnMap, ImportOptions};
    use learned::pipeline::{CalibrationOptions, calibrate_into};
    use scenarios::calibration::{CalibrateInputs, dataset};

    let plan = match checked(&a.scenario, a.json)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let kind = match a.split.as_str() {
        "spatial" => SplitKind::SpatialBlocks { block_m: a.block_m },
        "time" => SplitKind::Time,
        "random" => SplitKind::Random,
        other => anyhow::bail!("--split {other}: expected spatial, time or random"),
    };
    let mut map = ColumnMap::new();
    if let Some(f) = &a.map_file {
        map = map.merged(&ColumnMap::from_file(f)?);
    }
    for m in &a.map {
        map = map.merged(&ColumnMap::parse(m)?);
    }
    let backend = learned::Backend::parse(&a.backend)?;
    learned::artifact::check_output(&a.out)?;
    let t0 = Instant::now();
    let scene = scenarios::replay::load_scene(&plan)?;
    let inputs = CalibrateInputs {
        measurements: a.measurements.clone(),
        map,
        import: ImportOptions { drop_invalid: a.drop_invalid, ..ImportOptions::default() },
        max_depth: a.max_depth,
    };
    let (ds, report) = dataset(&plan, scene.as_ref(), &inputs)?;
    if !a.json {
        println!("measurements: {report}");
        println!(
            "features: {} rows × {} features in {:.1} s",
            ds.len(),
            ds.width(),
            t0.elapsed().as_secs_f64()
        );
    }
    let defaults = CalibrationOptions::default();
    let opts = CalibrationOptions {
        split: SplitConfig { kind, seed: a.seed, ..defaults.split },
        training: defaults.training.clone().with_max_epochs(a.epochs).with_seed(a.seed),
        interval_level: a.level,
        backend,
        ..defaults
    };
    let tty = std::io::stderr().is_terminal() && !a.json;
    let run = calibrate_into(&ds, &opts, &a.out, |epoch, loss, rmse| {
        if tty {
            eprint!(
                "\repoch {:>3}: training loss {loss:.4}, validation RMSE {rmse:.2} dB   ",
                epoch + 1
            );
        }
    })?;
    if tty {
        eprintln!();
    }
    let eval = &run.metrics.evaluation;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "out": a.out,
                "rows": ds.len(),
                "evaluation": eval,
                "seconds": t0.elapsed().as_secs_f64(),
            }))?
        );
    } else {
        print!("{}", eval.table());
        println!(
            "model written to {} in {:.1} s; apply it with `calibration = \"{}\"` in the scenario",
            a.out.display(),
            t0.elapsed().as_secs_f64(),
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
