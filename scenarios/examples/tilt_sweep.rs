//! A researcher's sweep from Rust: the demo world at a small size, every cell's mechanical tilt
//! set to 0°…10° as variants of one run, and a table of what each tilt does.
//!
//! ```text
//! cargo run --release -p scenarios --example tilt_sweep
//! ```

use std::fmt::Write as _;
use std::path::Path;

use scenarios::demo::{DemoConfig, write_demo};
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::summarise;
use scenarios::scenario::{Change, Scheduled, VariantPlan, validate};
use twin_format::run::Summary;

type Error = Box<dyn std::error::Error>;

/// The mechanical tilts swept, degrees down.
const TILTS_DEG: [f64; 6] = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0];

/// Writes the demo at `cfg`'s size into `dir`, replaces its variants by one per tilt (every
/// cell, from the window's start) and replays them with `opts`.
fn run(cfg: &DemoConfig, opts: ReplayOptions, dir: &Path) -> Result<Summary, Error> {
    let mut plan = validate(&write_demo(dir, cfg)?).map_err(scenarios::ScenarioError::Invalid)?;
    // The variants: one per tilt, applied to every cell from the window's start (interval 0).
    let cells: Vec<usize> = (0..plan.inventory.cells.len()).collect();
    plan.variants = TILTS_DEG
        .iter()
        .map(|&deg| VariantPlan {
            name: format!("tilt {deg:>2}°"),
            timeline: vec![Scheduled {
                interval: 0,
                change: Change::SetTilt { cells: cells.clone(), deg },
            }],
        })
        .collect();
    let results = Replayer::new(&plan, opts, None)?.run_all(&|_| {})?;
    Ok(summarise(&plan, &results))
}

/// The table the command prints: one row for the baseline and one per tilt.
fn table(summary: &Summary) -> String {
    let mut t =
        String::from("| variant | coverage | mean PRB util | busiest cell p95 | unserved |\n");
    t.push_str("|---|---|---|---|---|\n");
    for v in &summary.variants {
        let _ = writeln!(
            t,
            "| {} | {:.1} % | {:.1} % | {:.1} % | {:.3} % |",
            v.name,
            100.0 * v.coverage_mean,
            100.0 * v.prb_util_mean,
            100.0 * v.prb_util_max_p95,
            100.0 * v.unserved_share
        );
    }
    t
}

fn main() -> Result<(), Error> {
    let dir = std::env::temp_dir().join(format!("twin-tilt-sweep-{}", std::process::id()));
    let cfg = DemoConfig { sites_x: 3, sites_y: 3, days: 14, seed: 1, grid_m: 20.0 };
    let summary = run(&cfg, ReplayOptions::default(), &dir);
    let _ = std::fs::remove_dir_all(&dir);
    print!("{}", table(&summary?));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sweep on a 2 × 2 demo of two days, traced with few rays: the rows are the baseline
    /// and the six tilts, the tilt the demo's cells already have changes nothing, and tilting
    /// further moves coverage or load.
    #[test]
    fn tilting_every_cell_moves_coverage_or_load() {
        let dir = std::env::temp_dir().join(format!("twin-tilt-sweep-test-{}", std::process::id()));
        let cfg = DemoConfig { sites_x: 2, sites_y: 2, days: 2, seed: 1, grid_m: 40.0 };
        let opts = ReplayOptions {
            rays: 2_000,
            max_depth: 1,
            busy_intervals: 0,
            backend: radio::Backend::Cpu,
            ..ReplayOptions::default()
        };
        let summary = run(&cfg, opts, &dir).unwrap();
        let text = table(&summary);
        println!("{text}");
        let names: Vec<&str> = summary.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            ["baseline", "tilt  0°", "tilt  2°", "tilt  4°", "tilt  6°", "tilt  8°", "tilt 10°"]
        );
        assert_eq!(summary.intervals, 48);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2 + 7);
        for (line, name) in lines[2..].iter().zip(&names) {
            assert!(line.starts_with(&format!("| {name} | ")), "{line}");
            assert!(line.ends_with(" % |"), "{line}");
        }
        for v in &summary.variants {
            assert!((0.0..=1.0).contains(&v.coverage_mean), "{v:?}");
            assert!((0.0..=1.0).contains(&v.unserved_share), "{v:?}");
            assert!(v.prb_util_mean >= 0.0 && v.prb_util_max_p95 >= 0.0, "{v:?}");
        }
        let kpis = |name: &str| {
            let v = summary.variants.iter().find(|v| v.name == name).unwrap();
            [v.coverage_mean, v.prb_util_mean, v.prb_util_max_p95, v.unserved_share]
        };
        // The demo's cells are tilted 2° mechanically: that variant is the baseline.
        assert_eq!(kpis("tilt  2°"), kpis("baseline"));
        // Ten degrees more down-tilt than none shrinks each cell's footprint.
        let (flat, steep) = (kpis("tilt  0°"), kpis("tilt 10°"));
        assert!(flat[0] != steep[0] || flat[1] != steep[1], "{flat:?} vs {steep:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
