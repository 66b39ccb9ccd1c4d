//! A year (or any number of hours) of flow-level allocation on a topology, with a diurnal profile
//! and optional what-if operations; prints the ten busiest links and writes per-link, per-hour
//! utilisation to CSV.
//!
//! ```text
//! cargo run --release -p transport --example replay -- --topology ../shared/data/sndlib/geant.txt --hours 8760
//! cargo run --release -p transport --example replay -- --topology ../shared/data/topologyzoo/graphml/Geant2012.graphml \
//!     --at "4000:fail-link Amsterdam->London" --out geant2012.csv
//! ```
//!
//! The format follows the path: `.graphml` / `.xml` is Topology Zoo GraphML, `.txt` is SNDlib
//! native (with its demand matrix), and a directory or a `nodes.csv` is the project's CSV pair
//! (`links.csv` beside it). Without a demand matrix (GraphML, CSV without `--demands`), demands
//! are generated: equal demands between every pair of the `--endpoints` best-connected nodes,
//! scaled so that the busiest link reaches `--peak-utilisation` at the busiest hour. See
//! `docs/transport.md`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use sim_core::SimTime;
use transport::flow::{Demand, FlowModel};
use transport::import::{csv as topo_csv, graphml, sndlib};
use transport::replay::{DiurnalProfile, HOUR_S, ReplayOptions, replay};
use transport::routing::{Metric, Routing};
use transport::topology::Topology;
use transport::whatif::{Operation, Timeline};

#[derive(Parser, Debug)]
#[command(
    about = "Replay hourly traffic through the flow-level model and report the busiest links"
)]
struct Args {
    /// Topology: GraphML (.graphml), SNDlib native (.txt), or a directory / nodes.csv with links.csv.
    #[arg(long)]
    topology: PathBuf,
    /// Hours to replay (8760 = a year; hour 0 is Monday 00:00).
    #[arg(long, default_value_t = 8760)]
    hours: usize,
    /// Demand matrix CSV (demand_id, from, to, rate_bps) at the profile's factor 1.
    #[arg(long)]
    demands: Option<PathBuf>,
    /// Multiplies every demand (file or generated).
    #[arg(long, default_value_t = 1.0)]
    demand_scale: f64,
    /// Generated demands: busiest link's utilisation at the busiest hour.
    #[arg(long, default_value_t = 0.7)]
    peak_utilisation: f64,
    /// Generated demands: number of best-connected nodes that exchange traffic.
    #[arg(long, default_value_t = 40)]
    endpoints: usize,
    /// Diurnal profile: mobile or flat.
    #[arg(long, default_value = "mobile")]
    profile: String,
    /// Traffic growth per year (0.3 = +30 %).
    #[arg(long, default_value_t = 0.0)]
    growth: f64,
    /// Routing metric: igp or delay.
    #[arg(long, default_value = "igp")]
    metric: String,
    /// GraphML links without LinkSpeedRaw get this capacity (bit/s); 0 makes them an error.
    #[arg(long, default_value_t = 1e9)]
    default_capacity_bps: f64,
    /// GraphML links whose ends lack coordinates get this delay (s); negative makes them an error.
    #[arg(long, default_value_t = 0.001)]
    default_delay_s: f64,
    /// What-if operation at an hour, e.g. "2000:fail-link A->B" or "6000:capacity A<->B 40e9".
    #[arg(long = "at", value_name = "HOUR:OPERATION")]
    at: Vec<String>,
    /// Per-link per-hour CSV; default `<topology>_link_hours.csv` in the current directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Links in the table.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Utilisation threshold for the "hours above" column.
    #[arg(long, default_value_t = 0.8)]
    threshold: f64,
}

/// Demands and their rates, bit/s.
type Matrix = (Vec<Demand>, Vec<f64>);

fn load(args: &Args) -> Result<(Topology, Option<Matrix>)> {
    let p = &args.topology;
    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if p.is_dir() || p.file_name().is_some_and(|n| n == "nodes.csv") {
        let dir = if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        return Ok((topo_csv::load(&dir.join("nodes.csv"), &dir.join("links.csv"))?, None));
    }
    match ext.as_str() {
        "graphml" | "xml" => {
            let opts = graphml::GraphmlOptions {
                default_capacity_bps: (args.default_capacity_bps > 0.0)
                    .then_some(args.default_capacity_bps),
                default_delay_s: (args.default_delay_s >= 0.0).then_some(args.default_delay_s),
            };
            Ok((graphml::load(p, &opts)?, None))
        }
        "txt" => {
            let net = sndlib::load(p)?;
            Ok((net.topology, Some((net.demands, net.rates_bps))))
        }
        _ => bail!(
            "{}: unknown topology format; expected .graphml, SNDlib .txt, or a directory with nodes.csv and links.csv",
            p.display()
        ),
    }
}

/// Equal demands between every pair of the `k` best-connected nodes, scaled so that the busiest
/// link reaches `peak` at the profile's largest factor.
fn generated_demands(
    topo: &Topology,
    k: usize,
    peak: f64,
    profile: &DiurnalProfile,
    metric: Metric,
) -> Result<(Vec<Demand>, Vec<f64>)> {
    let mut nodes = topo.node_ids();
    nodes.sort_by_key(|n| (std::cmp::Reverse(topo.out_links(*n).len()), *n));
    nodes.truncate(k.max(2));
    let routing = Routing::compute(topo, metric);
    let mut demands = Vec::new();
    for &a in &nodes {
        for &b in &nodes {
            if a != b && routing.distance(a, b).is_some() {
                let name = format!("{}->{}", topo.node(a)?.name, topo.node(b)?.name);
                demands.push(Demand { name, src: a, dst: b });
            }
        }
    }
    if demands.is_empty() {
        bail!("no pair of the {} best-connected nodes is connected", nodes.len());
    }
    let mut m = FlowModel::new(topo, &routing, &demands)?;
    let unit = m.allocate(&vec![1.0; demands.len()])?;
    let worst = topo
        .link_ids()
        .iter()
        .map(|l| {
            unit.link_offered_bps[l.0 as usize]
                / topo.link(*l).map(|x| x.capacity_bps).unwrap_or(f64::INFINITY)
        })
        .fold(0.0f64, f64::max);
    let rate = peak / (worst * profile.peak());
    let n = demands.len();
    Ok((demands, vec![rate; n]))
}

fn run() -> Result<()> {
    let args = Args::parse();
    if !(args.peak_utilisation > 0.0 && args.peak_utilisation.is_finite()) {
        bail!("--peak-utilisation must be > 0");
    }
    if !(args.demand_scale >= 0.0 && args.demand_scale.is_finite()) {
        bail!("--demand-scale must be >= 0");
    }
    let profile = match args.profile.as_str() {
        "mobile" => DiurnalProfile::mobile(),
        "flat" => DiurnalProfile::flat(),
        other => bail!("--profile {other}: expected mobile or flat"),
    };
    let metric = match args.metric.as_str() {
        "igp" => Metric::IgpWeight,
        "delay" => Metric::Delay,
        other => bail!("--metric {other}: expected igp or delay"),
    };
    let t0 = Instant::now();
    let (topo, matrix) = load(&args)?;
    for note in &topo.notes {
        eprintln!("note: {note}");
    }
    let (demands, base) = match (&args.demands, matrix) {
        (Some(path), _) => topo_csv::load_demands(path, &topo)?,
        (None, Some(m)) => m,
        (None, None) => {
            let d =
                generated_demands(&topo, args.endpoints, args.peak_utilisation, &profile, metric)?;
            eprintln!(
                "note: {} generated demands of {:.3} Mbit/s between the {} best-connected nodes",
                d.0.len(),
                d.1.first().copied().unwrap_or(0.0) / 1e6,
                args.endpoints.min(topo.n_nodes())
            );
            d
        }
    };
    let base: Vec<f64> = base.iter().map(|r| r * args.demand_scale).collect();
    let mut timeline = Timeline::new();
    for spec in &args.at {
        let (hour, op) = spec
            .split_once(':')
            .with_context(|| format!("--at \"{spec}\": expected HOUR:OPERATION"))?;
        let hour: u64 = hour
            .trim()
            .parse()
            .with_context(|| format!("--at \"{spec}\": \"{hour}\" is not an hour"))?;
        if hour as usize >= args.hours {
            bail!("--at \"{spec}\": hour {hour} is outside the replay (0..{})", args.hours);
        }
        let op = Operation::parse(op, &topo)?;
        timeline.push(SimTime::from_hours(hour).context("hour too large")?, op);
    }
    let load_s = t0.elapsed().as_secs_f64();
    println!(
        "topology={} nodes={} links={} demands={} hours={}",
        args.topology.display(),
        topo.n_nodes(),
        topo.n_links(),
        demands.len(),
        args.hours
    );
    let opts = ReplayOptions {
        hours: args.hours,
        metric,
        profile,
        growth_per_year: args.growth,
        timeline,
        ..ReplayOptions::default()
    };
    let t1 = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let result = replay(&topo, &demands, &base, &opts, |done| {
        if tty {
            eprint!("\rreplayed {done}/{} hours", args.hours);
        }
    })?;
    let replay_s = t1.elapsed().as_secs_f64();
    if tty {
        eprintln!();
    }
    println!(
        "| link | capacity (Gbit/s) | p95 utilisation | max utilisation | hours > {:.0} % |",
        args.threshold * 100.0
    );
    println!("|---|---|---|---|---|");
    for s in result.busiest(args.top, args.threshold) {
        let cap = topo.link(s.link).map(|l| l.capacity_bps).unwrap_or(f64::NAN);
        println!(
            "| {} | {:.3} | {:.1} % | {:.1} % | {} |",
            s.name,
            cap / 1e9,
            s.p95_utilisation * 100.0,
            s.max_utilisation * 100.0,
            s.hours_above
        );
    }
    let unserved_hours = result
        .offered_bps
        .iter()
        .zip(&result.delivered_bps)
        .filter(|(o, d)| **o - **d > 1e-6 * o.max(1.0))
        .count();
    let unserved_bits: f64 = result.demand_unserved_bits.iter().sum();
    let offered_bits: f64 = result.offered_bps.iter().sum::<f64>() * HOUR_S as f64;
    println!(
        "hours_with_unserved_traffic={unserved_hours} unserved_fraction={:.6} max_unroutable_demands={}",
        if offered_bits > 0.0 { unserved_bits / offered_bits } else { 0.0 },
        result.unroutable_demands.iter().max().copied().unwrap_or(0)
    );
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args.topology.file_stem().and_then(|s| s.to_str()).unwrap_or("topology");
        PathBuf::from(format!("{stem}_link_hours.csv"))
    });
    let t2 = Instant::now();
    result.write_csv(&out)?;
    println!(
        "wrote {} ({} rows) load_s={load_s:.3} replay_s={replay_s:.3} csv_s={:.3}",
        out.display(),
        result.hours * result.links.len(),
        t2.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Prints the error chain (not a backtrace) and exits with status 1 on failure.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
