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

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use sim_core::SimTime;
use transport::flow::{Demand, FlowModel};
use transport::import::{csv as topo_csv, graphml, sndlib};
use transport::replay::{DiurnalProfile, HOUR_S, LinkSummary, ReplayOptions, ReplayResult, replay};
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

/// What a replay produced: the topology and results behind the printed table, for the tests.
#[derive(Debug)]
// `main` prints as it goes and reads none of this; the tests read all of it.
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    topology: Topology,
    n_demands: usize,
    result: ReplayResult,
    /// The table's rows.
    busiest: Vec<LinkSummary>,
    /// Hours in which some demand was not fully served.
    unserved_hours: usize,
    /// Undelivered over offered bits.
    unserved_fraction: f64,
    /// The per-link per-hour CSV written.
    csv: PathBuf,
}

/// Replays `args` and prints the summary to `out` as it goes (progress to a terminal's stderr).
fn run(args: &Args, out: &mut dyn Write) -> Result<Report> {
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
    let (topo, matrix) = load(args)?;
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
    writeln!(
        out,
        "topology={} nodes={} links={} demands={} hours={}",
        args.topology.display(),
        topo.n_nodes(),
        topo.n_links(),
        demands.len(),
        args.hours
    )?;
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
    writeln!(
        out,
        "| link | capacity (Gbit/s) | p95 utilisation | max utilisation | hours > {:.0} % |",
        args.threshold * 100.0
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    let busiest = result.busiest(args.top, args.threshold);
    for s in &busiest {
        let cap = topo.link(s.link).map(|l| l.capacity_bps).unwrap_or(f64::NAN);
        writeln!(
            out,
            "| {} | {:.3} | {:.1} % | {:.1} % | {} |",
            s.name,
            cap / 1e9,
            s.p95_utilisation * 100.0,
            s.max_utilisation * 100.0,
            s.hours_above
        )?;
    }
    let unserved_hours = result
        .offered_bps
        .iter()
        .zip(&result.delivered_bps)
        .filter(|(o, d)| **o - **d > 1e-6 * o.max(1.0))
        .count();
    let unserved_bits: f64 = result.demand_unserved_bits.iter().sum();
    let offered_bits: f64 = result.offered_bps.iter().sum::<f64>() * HOUR_S as f64;
    let unserved_fraction = if offered_bits > 0.0 { unserved_bits / offered_bits } else { 0.0 };
    writeln!(
        out,
        "hours_with_unserved_traffic={unserved_hours} unserved_fraction={unserved_fraction:.6} max_unroutable_demands={}",
        result.unroutable_demands.iter().max().copied().unwrap_or(0)
    )?;
    let csv = args.out.clone().unwrap_or_else(|| {
        let stem = args.topology.file_stem().and_then(|s| s.to_str()).unwrap_or("topology");
        PathBuf::from(format!("{stem}_link_hours.csv"))
    });
    let t2 = Instant::now();
    result.write_csv(&csv)?;
    writeln!(
        out,
        "wrote {} ({} rows) load_s={load_s:.3} replay_s={replay_s:.3} csv_s={:.3}",
        csv.display(),
        result.hours * result.links.len(),
        t2.elapsed().as_secs_f64()
    )?;
    Ok(Report {
        topology: topo,
        n_demands: demands.len(),
        result,
        busiest,
        unserved_hours,
        unserved_fraction,
        csv,
    })
}

/// Prints the error chain (not a backtrace) and exits with status 1 on failure.
fn main() -> std::process::ExitCode {
    match run(&Args::parse(), &mut std::io::stdout().lock()) {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of the shared public data (`../shared/data` beside the repository); a missing one
    /// fails the test rather than skipping it.
    fn data(rel: &str) -> PathBuf {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(rel);
        assert!(path.is_file(), "test data {} is missing", path.display());
        path
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("twin-replay-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The example's arguments, parsed as the command line would be.
    fn args(topology: &Path, out: &Path, extra: &[&str]) -> Args {
        let mut argv = vec!["replay".to_string(), "--topology".into()];
        argv.push(topology.display().to_string());
        argv.extend(["--out".to_string(), out.display().to_string()]);
        argv.extend(extra.iter().map(|s| s.to_string()));
        Args::try_parse_from(argv).unwrap()
    }

    /// Runs the example and returns its report and what it printed.
    fn replay_text(a: &Args) -> (Report, String) {
        let mut printed = Vec::new();
        let report = run(a, &mut printed).unwrap();
        (report, String::from_utf8(printed).unwrap())
    }

    fn max_utilisation(r: &ReplayResult) -> f64 {
        (0..r.hours)
            .flat_map(|h| (0..r.links.len()).map(move |i| r.utilisation(h, i)))
            .fold(0.0, f64::max)
    }

    /// A week of SNDlib's Abilene with its own demand matrix: the sizes of the data set, the
    /// table, the CSV, and what max-min allocation guarantees.
    #[test]
    fn a_week_of_abilene_is_replayed_and_written() {
        let dir = temp_dir("abilene");
        let a = args(&data("sndlib/abilene.txt"), &dir.join("links.csv"), &["--hours", "168"]);
        let (report, text) = replay_text(&a);
        println!("{text}");
        // Abilene: 12 PoPs, 15 duplex links, a demand between every ordered pair.
        assert_eq!((report.topology.n_nodes(), report.topology.n_links()), (12, 30));
        assert_eq!(report.n_demands, 12 * 11);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(" nodes=12 links=30 demands=132 hours=168"), "{}", lines[0]);
        assert_eq!(
            lines[1],
            "| link | capacity (Gbit/s) | p95 utilisation | max utilisation | hours > 80 % |"
        );
        // The table: the ten links of highest p95, in that order.
        assert_eq!(report.busiest.len(), 10);
        assert_eq!(lines.iter().filter(|l| l.starts_with("| ") && l.ends_with(" |")).count(), 11);
        assert!(report.busiest.windows(2).all(|w| w[0].p95_utilisation >= w[1].p95_utilisation));
        let r = &report.result;
        // Max-min never loads a link above its capacity and never delivers more than is offered;
        // a demand short of its rate crosses a saturated link, so every hour with unserved
        // traffic has a link at 100 %.
        for h in 0..r.hours {
            let top = (0..r.links.len()).map(|i| r.utilisation(h, i)).fold(0.0, f64::max);
            assert!(top <= 1.0 + 1e-6, "hour {h}: a link at {top}");
            assert!(r.delivered_bps[h] <= r.offered_bps[h] * (1.0 + 1e-9), "hour {h}");
            if r.delivered_bps[h] < r.offered_bps[h] * (1.0 - 1e-6) {
                assert!(top > 1.0 - 1e-4, "hour {h}: traffic unserved with no saturated link");
            }
        }
        // Its matrix is a scaled peak matrix (3 Tbit/s in all) on 10 Gbit/s links: congested
        // every hour, and the unserved fraction is what the hourly totals lose.
        assert_eq!(report.unserved_hours, 168);
        let offered: f64 = r.offered_bps.iter().sum();
        let delivered: f64 = r.delivered_bps.iter().sum();
        let lost = 1.0 - delivered / offered;
        assert!(
            (report.unserved_fraction - lost).abs() < 1e-6,
            "{} vs {lost}",
            report.unserved_fraction
        );
        // The CSV: one row per link per hour under its header.
        let body = std::fs::read_to_string(&report.csv).unwrap();
        let mut rows = body.lines();
        assert_eq!(rows.next(), Some("hour,link,utilisation,carried_bps,delay_ms"));
        assert_eq!(rows.clone().count(), 168 * 30);
        for row in rows {
            let fields: Vec<&str> = row.split(',').collect();
            assert_eq!(fields.len(), 5, "{row}");
            let u: f64 = fields[2].parse().unwrap();
            assert!((0.0..=1.0 + 1e-6).contains(&u), "{row}");
        }
        assert!(lines.last().unwrap().contains(" (5040 rows) load_s="));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Generated demands on Topology Zoo's Abilene (nothing congested): the busiest link reaches
    /// the asked-for peak at the busiest hour, and every link follows the diurnal profile and the
    /// demand scale linearly.
    #[test]
    fn generated_demands_reach_the_peak_and_follow_the_profile() {
        let dir = temp_dir("generated");
        let topo = data("topologyzoo/graphml/Abilene.graphml");
        let (full, text) = replay_text(&args(&topo, &dir.join("a.csv"), &["--hours", "168"]));
        assert!(text.contains("hours_with_unserved_traffic=0 unserved_fraction=0.000000"));
        let r = &full.result;
        assert!((max_utilisation(r) - 0.7).abs() < 1e-5, "{}", max_utilisation(r));
        assert!((full.busiest[0].max_utilisation - 0.7).abs() < 1e-5);
        // The mobile profile: hour 21 of a weekday is the peak (1.00), hour 4 is at 0.16.
        for i in 0..r.links.len() {
            let (peak, night) = (r.utilisation(21, i), r.utilisation(4, i));
            assert!((night - 0.16 * peak).abs() < 1e-5, "link {}: {night} vs {peak}", r.names[i]);
        }
        let a = args(&topo, &dir.join("b.csv"), &["--hours", "168", "--demand-scale", "0.5"]);
        let (half, _) = replay_text(&a);
        for h in 0..r.hours {
            for i in 0..r.links.len() {
                let (u, v) = (r.utilisation(h, i), half.result.utilisation(h, i));
                assert!((v - 0.5 * u).abs() < 1e-5, "hour {h} link {}: {v} vs {u}", r.names[i]);
            }
        }
        // A flat profile loads every hour alike.
        let (flat, _) =
            replay_text(&args(&topo, &dir.join("c.csv"), &["--hours", "48", "--profile", "flat"]));
        for s in &flat.busiest {
            assert!((s.p95_utilisation - s.max_utilisation).abs() < 1e-6, "{s:?}");
            assert!((s.mean_utilisation - s.max_utilisation).abs() < 1e-6, "{s:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Failing the busiest link at hour 24: it carries nothing from then on, the first day is
    /// untouched, and the detours carry at least as many link-bits as the shortest paths did.
    #[test]
    fn a_failed_link_carries_nothing_and_traffic_detours() {
        let dir = temp_dir("failure");
        let topo = data("sndlib/abilene.txt");
        // A thousandth of the peak matrix: nothing is congested before or after the failure, so
        // rates do not depend on routes.
        let base = ["--hours", "48", "--demand-scale", "0.001"];
        let (before, _) = replay_text(&args(&topo, &dir.join("a.csv"), &base));
        assert_eq!(before.unserved_hours, 0);
        // ATLAM5 hangs on ATLAng alone: its link is a bridge, whose failure would cut it off.
        let busiest = before.busiest.iter().find(|s| !s.name.contains("ATLAM5")).unwrap();
        let name = busiest.name.clone();
        let at = format!("24:fail-link {name}");
        let (after, _) =
            replay_text(&args(&topo, &dir.join("b.csv"), &[&base[..], &["--at", &at]].concat()));
        assert_eq!(after.unserved_hours, 0);
        let (b, a) = (&before.result, &after.result);
        let col = a.names.iter().position(|n| *n == name).unwrap();
        assert_eq!(b.offered_bps, a.offered_bps);
        for h in 0..48 {
            let total =
                |r: &ReplayResult| (0..r.links.len()).map(|i| r.carried_bps(h, i)).sum::<f64>();
            if h < 24 {
                assert!(b.utilisation(h, col) > 0.0);
                assert!((0..b.links.len()).all(|i| b.utilisation(h, i) == a.utilisation(h, i)));
            } else {
                assert_eq!(a.utilisation(h, col), 0.0, "hour {h}");
                assert!(a.delay_s(h, col).is_nan(), "a link that is down has no delay");
                assert_eq!(a.unroutable_demands[h], 0);
                assert!(total(a) >= total(b) * (1.0 - 1e-6), "hour {h}");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_arguments_are_errors() {
        let dir = temp_dir("bad");
        let out = dir.join("never.csv");
        let abilene = data("sndlib/abilene.txt");
        for (extra, message) in [
            (&["--profile", "weekly"][..], "expected mobile or flat"),
            (&["--metric", "hops"][..], "expected igp or delay"),
            (&["--at", "24"][..], "expected HOUR:OPERATION"),
            (&["--at", "noon:fail-link ATLAng->ATLAM5"][..], "is not an hour"),
            (&["--hours", "48", "--at", "48:fail-link ATLAng->ATLAM5"][..], "outside the replay"),
            (&["--hours", "48", "--at", "2:fail-link NOWHERE->ATLAM5"][..], "NOWHERE"),
            (&["--peak-utilisation", "0"][..], "--peak-utilisation must be > 0"),
            (&["--demand-scale=-1"][..], "--demand-scale must be >= 0"),
        ] {
            let err = run(&args(&abilene, &out, extra), &mut Vec::new()).unwrap_err();
            assert!(format!("{err:#}").contains(message), "{extra:?}: {err:#}");
        }
        let err = run(&args(&dir.join("topology.json"), &out, &[]), &mut Vec::new()).unwrap_err();
        assert!(format!("{err:#}").contains("unknown topology format"), "{err:#}");
        assert!(run(&args(&dir.join("missing.txt"), &out, &[]), &mut Vec::new()).is_err());
        assert!(!out.exists(), "nothing is written on error");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
