//! A synthetic drive test of a scenario's network, for trying `twin calibrate` end to end: the
//! twin's own RSRP of the best server at random outdoor points, plus what the twin does not know
//! (a clutter loss that grows towards the north-east of the grid, 4 dB of it on average) and
//! measurement noise.
//!
//! ```text
//! cargo run --release -p scenarios --features calibrate --example drive_test -- scenario.toml drive.csv [points]
//! cargo run --release -p twin --features calibrate -- calibrate scenario.toml --measurements drive.csv --out model
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use rand::RngExt;
use scenarios::calibration::synthetic_drive_test;
use scenarios::scenario::load_scene;
use scenarios::scenario::validate;

/// The command line: `SCENARIO.toml OUT.csv [POINTS]`.
#[derive(Debug, Clone, PartialEq)]
struct Args {
    scenario: PathBuf,
    out: PathBuf,
    /// Points drawn (indoor ones and those no cell serves are skipped).
    points: usize,
}

impl Args {
    /// Parses the words after the program name.
    fn parse(words: &[String]) -> Result<Args> {
        let [scenario, out, rest @ ..] = words else {
            bail!("usage: drive_test SCENARIO.toml OUT.csv [POINTS]");
        };
        let points = match rest {
            [] => 5_000,
            [n] => n.parse().with_context(|| format!("POINTS: \"{n}\" is not a count"))?,
            _ => bail!("usage: drive_test SCENARIO.toml OUT.csv [POINTS]"),
        };
        Ok(Args { scenario: scenario.into(), out: out.into(), points })
    }
}

/// Clutter loss the twin does not know, dB at the north-east corner of the sites' extent (0 at
/// the south-west corner, linear in x + y: 4 dB on average over the extent).
const CLUTTER_MAX_DB: f64 = 8.0;

/// Half-width of the uniform measurement noise, dB.
const NOISE_DB: f64 = 2.0;

/// One measurement written.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Measurement {
    x_m: f64,
    y_m: f64,
    /// The twin's RSRP of its best server here, dBm.
    twin_dbm: f64,
    /// What the file says was measured, dBm.
    measured_dbm: f64,
}

/// What the drive test wrote.
#[derive(Debug)]
struct Report {
    /// Every row of the file, in order.
    rows: Vec<Measurement>,
}

/// Draws `args.points` points over the sites' extent, measures the twin's best server at each
/// outdoor one with the clutter loss and noise added, and writes the CSV.
fn run(args: &Args) -> Result<Report> {
    let plan = validate(&args.scenario).map_err(|d| {
        anyhow::anyhow!("{}", d.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("\n"))
    })?;
    let scene = load_scene(&plan)?;
    let (mut x0, mut y0, mut x1, mut y1) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for s in &plan.inventory.sites {
        (x0, y0, x1, y1) = (x0.min(s.x_m), y0.min(s.y_m), x1.max(s.x_m), y1.max(s.y_m));
    }
    let mut rng = sim_core::RngStreams::new(plan.seed).stream("drive test");
    let points: Vec<(f64, f64)> =
        (0..args.points).map(|_| (rng.random_range(x0..=x1), rng.random_range(y0..=y1))).collect();
    let mut rows = Vec::new();
    let (csv, kept) = synthetic_drive_test(&plan, scene.as_ref(), &points, |x, y, sim| {
        let u = ((x - x0) / (x1 - x0).max(1.0) + (y - y0) / (y1 - y0).max(1.0)) / 2.0;
        let measured = sim - CLUTTER_MAX_DB * u + rng.random_range(-NOISE_DB..NOISE_DB);
        let kept = (-140.0..=-31.0).contains(&measured).then_some(measured);
        if kept.is_some() {
            rows.push(Measurement { x_m: x, y_m: y, twin_dbm: sim, measured_dbm: measured });
        }
        kept
    })?;
    debug_assert_eq!(kept, rows.len());
    std::fs::write(&args.out, csv).with_context(|| format!("writing {}", args.out.display()))?;
    Ok(Report { rows })
}

fn main() -> Result<()> {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let args = Args::parse(&words)?;
    let report = run(&args)?;
    println!("{} measurements written to {}", report.rows.len(), args.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scenarios::demo::{DemoConfig, write_demo};

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("twin-drive-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A few hundred points over a 2 × 2 demo: the file has its header and one row per kept
    /// measurement, at outdoor points of the sites' extent served by the scenario's cells; the
    /// measured RSRP is the twin's less the clutter loss (4 dB on average) within the noise.
    #[test]
    fn a_small_drive_test_is_the_twin_less_the_clutter() {
        let dir = temp_dir("ok");
        let cfg = DemoConfig { sites_x: 2, sites_y: 2, days: 1, seed: 1, grid_m: 40.0 };
        let scenario = write_demo(&dir, &cfg).unwrap();
        let out = dir.join("drive.csv");
        let a = Args::parse(&words(&[scenario.to_str().unwrap(), out.to_str().unwrap(), "400"]))
            .unwrap();
        assert_eq!(a.points, 400);
        let report = run(&a).unwrap();
        let n = report.rows.len();
        // Indoor points (about a third of a city block is building) and unserved ones are
        // skipped; most outdoor points of the sites' extent are served.
        assert!(n > 100 && n < 400, "{n} of 400 points kept");

        // The sites' extent, read from the inventory file the demo wrote.
        let sites = std::fs::read_to_string(dir.join("sites.csv")).unwrap();
        let xy: Vec<(f64, f64)> = sites
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[1].parse().unwrap(), f[2].parse().unwrap())
            })
            .collect();
        let (x0, x1) = xy.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (y0, y1) = xy.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let cell_ids: Vec<String> = std::fs::read_to_string(dir.join("cells.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();

        let csv = std::fs::read_to_string(&out).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("x_m,y_m,cell_id,rsrp_dbm"));
        let file: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(file.len(), n);
        let mut gap_db = 0.0;
        for (row, m) in file.iter().zip(&report.rows) {
            assert_eq!(row.len(), 4, "{row:?}");
            let (x, y): (f64, f64) = (row[0].parse().unwrap(), row[1].parse().unwrap());
            let rsrp: f64 = row[3].parse().unwrap();
            assert!((x - m.x_m).abs() < 1e-3 && (y - m.y_m).abs() < 1e-3, "{row:?}");
            assert!((rsrp - m.measured_dbm).abs() < 0.005 + 1e-9, "{row:?}");
            assert!((x0..=x1).contains(&x) && (y0..=y1).contains(&y), "{row:?}");
            assert!(cell_ids.iter().any(|c| c == row[2]), "{row:?}");
            assert!((-140.0..=-31.0).contains(&rsrp), "{row:?}");
            // The clutter loss the twin does not know grows from 0 dB (south-west) to 8 dB
            // (north-east); the noise is uniform within ±2 dB.
            let u = ((x - x0) / (x1 - x0) + (y - y0) / (y1 - y0)) / 2.0;
            let clutter_db = 8.0 * u;
            assert!(
                (m.twin_dbm - clutter_db - m.measured_dbm).abs() <= 2.0 + 1e-3,
                "{row:?}: twin {} dBm, clutter {clutter_db} dB",
                m.twin_dbm
            );
            gap_db += m.twin_dbm - m.measured_dbm;
        }
        // On average the measurements lie 4 dB below the twin: the mean of 8·(u_x + u_y)/2 for
        // uniform u_x, u_y. The band allows for the sampling error (about 0.2 dB at 150 points:
        // 2 dB of spread from the clutter and the noise) and for the skipped indoor points,
        // which do not lie uniformly over the extent.
        let mean_gap_db = gap_db / n as f64;
        println!("{n} of 400 points kept, measured {mean_gap_db:.2} dB below the twin on average");
        assert!((mean_gap_db - 4.0).abs() < 0.75, "mean gap {mean_gap_db} dB");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_arguments_are_errors() {
        for (w, message) in [
            (&[][..], "usage: drive_test SCENARIO.toml OUT.csv [POINTS]"),
            (&["scenario.toml"][..], "usage: drive_test"),
            (&["scenario.toml", "out.csv", "many"][..], "POINTS: \"many\" is not a count"),
            (&["scenario.toml", "out.csv", "-5"][..], "POINTS"),
            (&["scenario.toml", "out.csv", "5", "6"][..], "usage: drive_test"),
        ] {
            let err = Args::parse(&words(w)).unwrap_err();
            assert!(format!("{err:#}").contains(message), "{w:?}: {err:#}");
        }
        let dir = temp_dir("bad");
        let a = Args { scenario: dir.join("missing.toml"), out: dir.join("out.csv"), points: 10 };
        let err = run(&a).unwrap_err();
        assert!(format!("{err:#}").contains("missing.toml"), "{err:#}");
        assert!(!a.out.exists());
    }
}
