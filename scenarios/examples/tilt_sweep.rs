//! A researcher's sweep from Rust: the demo world at a small size, every cell's mechanical tilt
//! set to 0°…10° as variants of one run, and a table of what each tilt does.
//!
//! ```text
//! cargo run --release -p scenarios --example tilt_sweep
//! ```

use scenarios::demo::{DemoConfig, write_demo};
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::summarise;
use scenarios::scenario::{Change, Scheduled, VariantPlan, validate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("twin-tilt-sweep-{}", std::process::id()));
    let cfg = DemoConfig { sites_x: 3, sites_y: 3, days: 14, seed: 1, grid_m: 20.0 };
    let mut plan = validate(&write_demo(&dir, &cfg)?).map_err(scenarios::ScenarioError::Invalid)?;
    // The variants: one per tilt, applied to every cell from the window's start (interval 0).
    let cells: Vec<usize> = (0..plan.inventory.cells.len()).collect();
    plan.variants = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|&deg| VariantPlan {
            name: format!("tilt {deg:>2}°"),
            timeline: vec![Scheduled {
                interval: 0,
                change: Change::SetTilt { cells: cells.clone(), deg },
            }],
        })
        .collect();
    let results = Replayer::new(&plan, ReplayOptions::default(), None)?.run_all(&|_| {})?;
    let summary = summarise(&plan, &results);
    println!("| variant | coverage | mean PRB util | busiest cell p95 | unserved |");
    println!("|---|---|---|---|---|");
    for v in &summary.variants {
        println!(
            "| {} | {:.1} % | {:.1} % | {:.1} % | {:.3} % |",
            v.name,
            100.0 * v.coverage_mean,
            100.0 * v.prb_util_mean,
            100.0 * v.prb_util_max_p95,
            100.0 * v.unserved_share
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
