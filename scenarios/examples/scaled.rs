//! The scaled benchmark of the replay: about 1 000 cells, a year of hourly intervals, the
//! baseline plus ten variants, timed phase by phase (peak memory: run it under
//! `/usr/bin/time -v`).
//!
//! ```text
//! cargo build --release -p scenarios --example scaled
//! /usr/bin/time -v target/release/examples/scaled [--sites-x 20] [--sites-y 17] [--grid-m 40]
//! ```

use std::fmt::Write as _;
use std::time::Instant;

use scenarios::demo::{DemoConfig, write_demo};
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::{RunDirOptions, table, write_run_dir};
use scenarios::scenario::validate;

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = DemoConfig {
        sites_x: arg("--sites-x", 20.0) as usize,
        sites_y: arg("--sites-y", 17.0) as usize,
        days: 366,
        seed: 1,
        grid_m: arg("--grid-m", 40.0),
    };
    let dir = std::env::temp_dir().join(format!("twin-scaled-{}", std::process::id()));
    let t = Instant::now();
    let path = write_demo(&dir, &cfg)?;
    // Six more variants on top of the demo's four: re-tilts, power, a failure, growth, rates.
    let mut extra = String::new();
    for (i, deg) in [4.0, 10.0].iter().enumerate() {
        let _ = write!(
            extra,
            "\n[[variant]]\nname = \"tilt-all-{deg}\"\n[[variant.at]]\ntime = \"2024-0{}-01T00:00:00Z\"\nop = \"set-tilt\"\ncells = [{}]\ndeg = {deg}\n",
            2 + i,
            (0..30)
                .map(|c| format!("\"S{:02}-{}\"", c / 3, c % 3 + 1))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    extra.push_str("\n[[variant]]\nname = \"power-down\"\n[[variant.at]]\ntime = \"2024-05-01T00:00:00Z\"\nop = \"set-power\"\ncells = [\"S05-1\", \"S05-2\", \"S05-3\"]\ndbm = 40.0\n");
    extra.push_str("\n[[variant]]\nname = \"core-link-failure\"\n[[variant.at]]\ntime = \"2024-07-01T00:00:00Z\"\nop = \"fail\"\nelement = \"AGG1-CORE1\"\n[[variant.at]]\ntime = \"2024-07-02T00:00:00Z\"\nop = \"restore\"\nelement = \"AGG1-CORE1\"\n");
    extra.push_str("\n[[variant]]\nname = \"growth-40pct\"\n[[variant.at]]\nop = \"scale-traffic\"\ngrowth_per_year = 0.4\n");
    extra.push_str("\n[[variant]]\nname = \"rate-cut\"\n[[variant.at]]\ntime = \"2024-06-01T00:00:00Z\"\nop = \"set-rate\"\nhome = \"P1\"\nvisited = \"HOME\"\nservice = \"data\"\nprice_per_unit = 0.001\n");
    let mut text = std::fs::read_to_string(&path)?;
    text.push_str(&extra);
    std::fs::write(&path, text)?;
    let t_write = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let plan = validate(&path).map_err(scenarios::ScenarioError::Invalid)?;
    let t_validate = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let replayer = Replayer::new(&plan, ReplayOptions::default(), None)?;
    let baseline_maps = replayer.warm()?;
    let t_radio = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let results = replayer.run_all(&|_| {})?;
    let t_replay = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let out = dir.join("run");
    let opts = RunDirOptions {
        timings: &[],
        intervals_per_row: 24,
        radio_backend: replayer.backend_notice(),
        views: None,
        existing: twin_format::Existing::Refuse,
    };
    write_run_dir(&out, &plan, &results, &replayer.geometry(), &opts)?;
    let t_out = t.elapsed().as_secs_f64();
    print!("{}", table(&scenarios::rundir::summarise(&plan, &results)));
    println!(
        "cells={} intervals={} variants={} grid_points={} coverage_maps={} (baseline {baseline_maps})",
        plan.inventory.cells.len(),
        plan.window.intervals,
        results.len(),
        replayer.grid().len(),
        replayer.maps_traced()
    );
    println!(
        "write_inputs_s={t_write:.1} validate_s={t_validate:.1} baseline_radio_s={t_radio:.1} replay_s={t_replay:.1} write_run_s={t_out:.1} total_s={:.1}",
        t_write + t_validate + t_radio + t_replay + t_out
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
