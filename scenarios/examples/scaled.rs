//! The scaled benchmark of the replay: about 1 000 cells, a year of hourly intervals, the
//! baseline plus ten variants, timed phase by phase (peak memory: run it under
//! `/usr/bin/time -v`).
//!
//! ```text
//! cargo build --release -p scenarios --example scaled
//! /usr/bin/time -v target/release/examples/scaled [--sites-x 20] [--sites-y 17] [--grid-m 40]
//!     [--cache DIR]
//! ```
//!
//! With `--cache DIR` the coverage maps are read from and written to that persistent cache: a
//! second run with the same `DIR` measures the replay with a warm cache.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use scenarios::demo::{DemoConfig, write_demo};
use scenarios::replay::{ReplayOptions, Replayer, VariantResult};
use scenarios::rundir::{RunDirOptions, table, write_run_dir};
use scenarios::scenario::validate;
use twin_format::run::Summary;

type Error = Box<dyn std::error::Error>;

/// The command line: the size of the demo world.
#[derive(Debug, Clone, PartialEq)]
struct Args {
    /// Sites along x.
    sites_x: usize,
    /// Sites along y.
    sites_y: usize,
    /// Analysis grid spacing, metres.
    grid_m: f64,
    /// The persistent coverage cache, if any.
    cache: Option<PathBuf>,
}

impl Args {
    /// Parses `[--sites-x N] [--sites-y N] [--grid-m M]` (the program name already taken off);
    /// a flag without a value, a value that is not a number, or any other word is an error.
    fn parse(words: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut args = Args { sites_x: 20, sites_y: 17, grid_m: 40.0, cache: None };
        let mut words = words.into_iter();
        while let Some(flag) = words.next() {
            let value = |v: Option<String>| v.ok_or_else(|| format!("{flag} needs a value"));
            let bad = |v: &str, what: &str| format!("{flag} {v}: expected {what}");
            match flag.as_str() {
                "--sites-x" | "--sites-y" => {
                    let v = value(words.next())?;
                    let n = v.parse().map_err(|_| bad(&v, "a whole number of sites"))?;
                    *if flag == "--sites-x" { &mut args.sites_x } else { &mut args.sites_y } = n;
                }
                "--grid-m" => {
                    let v = value(words.next())?;
                    args.grid_m = v.parse().map_err(|_| bad(&v, "a spacing in metres"))?;
                }
                "--cache" => args.cache = Some(PathBuf::from(value(words.next())?)),
                other => {
                    return Err(format!(
                        "unknown argument {other}; usage: scaled [--sites-x N] [--sites-y N] [--grid-m M] [--cache DIR]"
                    ));
                }
            }
        }
        Ok(args)
    }

    /// The demo world at this size, with a year (2024, 366 days) of hourly history.
    fn demo(&self) -> DemoConfig {
        DemoConfig {
            sites_x: self.sites_x,
            sites_y: self.sites_y,
            days: 366,
            seed: 1,
            grid_m: self.grid_m,
        }
    }
}

/// 2024-01-01T00:00:00Z, where the demo's window starts.
const START_S: i64 = 1_704_067_200;

/// The six variants the benchmark adds to the demo's six: re-tilts, power, a failure, growth,
/// rates. On a year's window they act on the days of 2024 their names suggest; on a shorter
/// window, at the same share of it. The re-tilts take the cells of the first ten sites and the
/// power cut the sixth site, or as many as a smaller demo has.
fn extra_variants(cfg: &DemoConfig) -> String {
    let n_sites = cfg.sites_x * cfg.sites_y;
    // Day `day` of a 366-day year, scaled to the window and rounded down to its hour.
    let at = |day: usize| {
        let hour = (day * 24 * cfg.days / 366) as i64;
        chrono::DateTime::from_timestamp(START_S + 3600 * hour, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    };
    let (feb, mar, may, jun, jul, jul2) = (at(31), at(60), at(121), at(152), at(182), at(183));
    let mut extra = String::new();
    let tilted = (0..30.min(3 * n_sites))
        .map(|c| format!("\"S{:02}-{}\"", c / 3, c % 3 + 1))
        .collect::<Vec<_>>()
        .join(", ");
    for (deg, time) in [(4.0, &feb), (10.0, &mar)] {
        let _ = write!(
            extra,
            "\n[[variant]]\nname = \"tilt-all-{deg}\"\n[[variant.at]]\ntime = \"{time}\"\nop = \"set-tilt\"\ncells = [{tilted}]\ndeg = {deg}\n",
        );
    }
    let site = format!("S{:02}", 5.min(n_sites.saturating_sub(1)));
    let _ = write!(
        extra,
        "\n[[variant]]\nname = \"power-down\"\n[[variant.at]]\ntime = \"{may}\"\nop = \"set-power\"\ncells = [\"{site}-1\", \"{site}-2\", \"{site}-3\"]\ndbm = 40.0\n"
    );
    let _ = write!(
        extra,
        "\n[[variant]]\nname = \"core-link-failure\"\n[[variant.at]]\ntime = \"{jul}\"\nop = \"fail\"\nelement = \"AGG1-CORE1\"\n[[variant.at]]\ntime = \"{jul2}\"\nop = \"restore\"\nelement = \"AGG1-CORE1\"\n"
    );
    extra.push_str("\n[[variant]]\nname = \"growth-40pct\"\n[[variant.at]]\nop = \"scale-traffic\"\ngrowth_per_year = 0.4\n");
    let _ = write!(
        extra,
        "\n[[variant]]\nname = \"rate-cut\"\n[[variant.at]]\ntime = \"{jun}\"\nop = \"set-rate\"\nhome = \"P1\"\nvisited = \"HOME\"\nservice = \"data\"\nprice_per_unit = 0.001\n"
    );
    extra
}

/// Wall-clock seconds of each phase.
#[derive(Debug, Clone, Copy)]
struct Timings {
    write_inputs_s: f64,
    validate_s: f64,
    baseline_radio_s: f64,
    replay_s: f64,
    write_run_s: f64,
}

/// What the benchmark ran and produced.
#[derive(Debug)]
struct Report {
    summary: Summary,
    /// The baseline and every variant, in the scenario's order.
    results: Vec<VariantResult>,
    n_cells: usize,
    intervals: usize,
    grid_points: usize,
    coverage_maps: usize,
    baseline_maps: usize,
    cached_maps: usize,
    timings: Timings,
    /// The run directory written (`main` removes it with the inputs; the tests read it).
    #[cfg_attr(not(test), allow(dead_code))]
    run_dir: PathBuf,
}

impl Report {
    /// What the command prints: the summary table, the sizes, the timings.
    fn text(&self) -> String {
        let t = &self.timings;
        let mut s = table(&self.summary);
        let _ = writeln!(
            s,
            "cells={} intervals={} variants={} grid_points={} coverage_maps={} (baseline {}) cached_maps={}",
            self.n_cells,
            self.intervals,
            self.results.len(),
            self.grid_points,
            self.coverage_maps,
            self.baseline_maps,
            self.cached_maps
        );
        let _ = writeln!(
            s,
            "write_inputs_s={:.1} validate_s={:.1} baseline_radio_s={:.1} replay_s={:.1} write_run_s={:.1} total_s={:.1}",
            t.write_inputs_s,
            t.validate_s,
            t.baseline_radio_s,
            t.replay_s,
            t.write_run_s,
            t.write_inputs_s + t.validate_s + t.baseline_radio_s + t.replay_s + t.write_run_s
        );
        s
    }
}

/// Writes the demo at `cfg`'s size into `dir` with the six extra variants, replays it with
/// `opts` and writes the run directory `dir/run`.
fn run(cfg: &DemoConfig, opts: ReplayOptions, dir: &Path) -> Result<Report, Error> {
    let t = Instant::now();
    let path = write_demo(dir, cfg)?;
    let mut text = std::fs::read_to_string(&path)?;
    text.push_str(&extra_variants(cfg));
    std::fs::write(&path, text)?;
    let write_inputs_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let plan = validate(&path).map_err(scenarios::ScenarioError::Invalid)?;
    let validate_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let replayer = Replayer::new(&plan, opts, None)?;
    let baseline_maps = replayer.warm()?;
    let baseline_radio_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let results = replayer.run_all(&|_| {})?;
    let replay_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let run_dir = dir.join("run");
    let run_opts = RunDirOptions {
        timings: &[],
        coverage_maps_cached: replayer.cache_report().hits,
        coverage_maps_traced: replayer.maps_traced(),
        intervals_per_row: 24,
        radio_backend: replayer.backend_notice(),
        views: None,
        existing: twin_format::Existing::Refuse,
    };
    let summary = write_run_dir(&run_dir, &plan, &results, &replayer.geometry(), &run_opts)?;
    let write_run_s = t.elapsed().as_secs_f64();
    Ok(Report {
        summary,
        n_cells: plan.inventory.cells.len(),
        intervals: plan.window.intervals,
        grid_points: replayer.grid().len(),
        coverage_maps: replayer.maps_traced(),
        cached_maps: replayer.cache_report().hits,
        baseline_maps,
        timings: Timings { write_inputs_s, validate_s, baseline_radio_s, replay_s, write_run_s },
        results,
        run_dir,
    })
}

fn main() -> Result<(), Error> {
    let args = Args::parse(std::env::args().skip(1))?;
    let dir = std::env::temp_dir().join(format!("twin-scaled-{}", std::process::id()));
    let cache = args.cache.clone().map(|dir| scenarios::replay::cache::CacheSettings {
        dir,
        max_bytes: scenarios::replay::cache::DEFAULT_MAX_BYTES,
    });
    let report = run(&args.demo(), ReplayOptions { cache, ..ReplayOptions::default() }, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    print!("{}", report?.text());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("twin-scaled-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Total downlink bytes of interval `k`: offered to the cells, or where no cell serves.
    fn offered_bytes(r: &VariantResult, k: usize) -> f64 {
        let n = r.cells.len();
        r.cell_kpis[k * n..(k + 1) * n].iter().map(|c| c.dl_bytes).sum::<f64>()
            + r.uncovered_bytes[k]
    }

    /// At the default size the six variants are the ones the benchmark always ran: the cells
    /// of sites S00–S09, site S05, and the days of 2024 their names give.
    #[test]
    fn the_default_benchmark_is_unchanged() {
        let args = Args::parse(Vec::new()).unwrap();
        assert_eq!(args, Args { sites_x: 20, sites_y: 17, grid_m: 40.0, cache: None });
        let cfg = args.demo();
        assert_eq!((cfg.days, cfg.seed), (366, 1));
        let text = extra_variants(&cfg);
        let cells = (0..30)
            .map(|c| format!("\"S{:02}-{}\"", c / 3, c % 3 + 1))
            .collect::<Vec<_>>()
            .join(", ");
        assert!(text.starts_with(&format!(
            "\n[[variant]]\nname = \"tilt-all-4\"\n[[variant.at]]\ntime = \"2024-02-01T00:00:00Z\"\nop = \"set-tilt\"\ncells = [{cells}]\ndeg = 4\n"
        )));
        for line in [
            "name = \"tilt-all-10\"\n[[variant.at]]\ntime = \"2024-03-01T00:00:00Z\"\n",
            "time = \"2024-05-01T00:00:00Z\"\nop = \"set-power\"\ncells = [\"S05-1\", \"S05-2\", \"S05-3\"]\ndbm = 40.0\n",
            "time = \"2024-07-01T00:00:00Z\"\nop = \"fail\"\nelement = \"AGG1-CORE1\"\n",
            "time = \"2024-07-02T00:00:00Z\"\nop = \"restore\"\nelement = \"AGG1-CORE1\"\n",
            "name = \"growth-40pct\"\n[[variant.at]]\nop = \"scale-traffic\"\ngrowth_per_year = 0.4\n",
            "time = \"2024-06-01T00:00:00Z\"\nop = \"set-rate\"\nhome = \"P1\"\nvisited = \"HOME\"\nservice = \"data\"\nprice_per_unit = 0.001\n",
        ] {
            assert!(text.contains(line), "missing:\n{line}");
        }
        let parsed = Args::parse(words("--sites-x 4 --grid-m 25 --sites-y 3 --cache c")).unwrap();
        let cache = Some(PathBuf::from("c"));
        assert_eq!(parsed, Args { sites_x: 4, sites_y: 3, grid_m: 25.0, cache });
    }

    /// The benchmark on a 2 × 2 demo of two days: ten variants replayed and written, each
    /// added what-if moving what it should.
    #[test]
    fn a_small_benchmark_runs_every_variant() {
        let dir = temp_dir("small");
        let cfg = DemoConfig { sites_x: 2, sites_y: 2, days: 2, seed: 1, grid_m: 40.0 };
        let opts = ReplayOptions {
            rays: 2_000,
            max_depth: 1,
            busy_intervals: 1,
            packet_seconds: 0.05,
            backend: radio::Backend::Cpu,
            cache: None,
        };
        let report = run(&cfg, opts, &dir).unwrap();
        let text = report.text();
        println!("{text}");
        let names: Vec<&str> = report.results.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "baseline",
                "retilt-cluster",
                "new-site",
                "rehome-ring",
                "per-session-settlement",
                "second-carrier",
                "firmware-256qam-4x4",
                "tilt-all-4",
                "tilt-all-10",
                "power-down",
                "core-link-failure",
                "growth-40pct",
                "rate-cut",
            ]
        );
        assert_eq!((report.n_cells, report.intervals), (12, 48));
        assert_eq!(report.baseline_maps, 12);
        assert!(report.coverage_maps > report.baseline_maps, "the re-tilts trace new maps");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2 + 13 + 2);
        assert!(lines[15].starts_with("cells=12 intervals=48 variants=13 grid_points="));
        assert!(lines[16].starts_with("write_inputs_s="));
        let by_name = |n: &str| report.results.iter().find(|r| r.name == n).unwrap();
        let base = by_name("baseline");

        // Every recorded byte is offered to a cell or counted where none serves; growth of
        // 40 % a year scales interval k by 1.4^(k h / 8 760 h).
        let recorded: f64 = std::fs::read_to_string(dir.join("traffic.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap())
            .sum();
        let replayed: f64 = (0..48).map(|k| offered_bytes(base, k)).sum();
        assert!((replayed - recorded).abs() < 1e-6 * recorded, "{replayed} vs {recorded}");
        let grown = by_name("growth-40pct");
        for k in 0..48 {
            let ratio = offered_bytes(grown, k) / offered_bytes(base, k);
            let expected = 1.4f64.powf(k as f64 / 8760.0);
            assert!((ratio - expected).abs() < 1e-9, "interval {k}: {ratio} vs {expected}");
        }

        // A re-tilt of every cell and a power cut change who serves where, from their hours on.
        for name in ["tilt-all-4", "tilt-all-10", "power-down"] {
            let v = by_name(name);
            assert_eq!(v.states, 2, "{name}: the baseline's state, then the change");
            let best =
                |r: &VariantResult| r.last_serving().iter().map(|p| p.best).collect::<Vec<_>>();
            assert_ne!(best(v), best(base), "{name} serves as the baseline does");
        }
        // 6 dB less power on site S03's three cells (indices 9..12): they serve fewer points.
        let served_by_s03 = |r: &VariantResult| {
            r.last_serving().iter().filter(|p| p.best.is_some_and(|c| (9..12).contains(&c))).count()
        };
        assert!(served_by_s03(by_name("power-down")) < served_by_s03(base));

        // AGG1-CORE1 is down from the failure's hour (day 182 of 366 → hour 23 of 48) until
        // the restore an hour later; it carries nothing then, and its traffic takes other links.
        let failed = by_name("core-link-failure");
        assert_eq!(failed.states, 3);
        let cols: Vec<usize> = (0..failed.links.len())
            .filter(|&i| failed.links[i].starts_with("AGG1-CORE1"))
            .collect();
        assert!(!cols.is_empty(), "{:?}", failed.links);
        let n_links = failed.links.len();
        let util = |r: &VariantResult, k: usize, i: usize| r.link_util[k * n_links + i];
        assert!(cols.iter().any(|&i| util(base, 23, i) > 0.0), "the baseline uses the link");
        assert!(cols.iter().all(|&i| util(failed, 23, i) == 0.0));
        for k in [22, 24] {
            assert!(cols.iter().all(|&i| util(failed, k, i) == util(base, k, i)), "interval {k}");
        }

        // A cheaper rate for P1's data on our network changes what P1 is owed, not the radio.
        let cut = by_name("rate-cut");
        let p1 = |r: &VariantResult| {
            r.positions.iter().filter(|p| p.carrier == "P1").map(|p| p.net_micros).sum::<i64>()
        };
        assert_ne!(p1(cut), p1(base));
        assert_eq!(cut.series.coverage, base.series.coverage);

        // The run directory: its manifest names every variant, and the network table has a row
        // per variant and interval.
        let manifest = twin_format::run::read_manifest(&report.run_dir).unwrap();
        assert_eq!(manifest.variants, names);
        let network = std::fs::read_to_string(report.run_dir.join("kpis/network.csv")).unwrap();
        assert!(network.starts_with("variant,"), "{}", network.lines().next().unwrap());
        assert_eq!(network.lines().count(), 1 + 13 * 48);
        for r in &report.results {
            let png = report.run_dir.join("maps").join(format!("{}.png", r.name));
            assert!(png.is_file(), "{}", png.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_arguments_are_errors() {
        for (line, message) in [
            ("--sites-x", "--sites-x needs a value"),
            ("--sites-y ten", "--sites-y ten: expected a whole number of sites"),
            ("--sites-x -3", "expected a whole number"),
            ("--grid-m wide", "--grid-m wide: expected a spacing in metres"),
            ("--sites 4", "unknown argument --sites"),
        ] {
            let err = Args::parse(words(line)).unwrap_err();
            assert!(err.contains(message), "{line}: {err}");
        }
        let dir = temp_dir("bad");
        let cfg = DemoConfig { sites_x: 1, ..Args::parse(Vec::new()).unwrap().demo() };
        let err = run(&cfg, ReplayOptions::default(), &dir).unwrap_err();
        assert!(err.to_string().contains("at least 2 × 2 sites"), "{err}");
        let tiny = DemoConfig { sites_x: 2, sites_y: 2, days: 1, seed: 1, grid_m: 40.0 };
        let err = run(&tiny, ReplayOptions { rays: 0, ..ReplayOptions::default() }, &dir);
        assert!(err.unwrap_err().to_string().contains("rays"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
