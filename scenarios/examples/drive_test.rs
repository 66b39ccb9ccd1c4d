//! A synthetic drive test of a scenario's network, for trying `twin calibrate` end to end: the
//! twin's own RSRP of the best server at random outdoor points, plus what the twin does not know
//! (a clutter loss that grows towards the north-east of the grid, 4 dB of it on average) and
//! measurement noise.
//!
//! ```text
//! cargo run --release -p scenarios --features calibrate --example drive_test -- scenario.toml drive.csv [points]
//! cargo run --release -p twin --features calibrate -- calibrate scenario.toml --measurements drive.csv --out model
//! ```

use anyhow::{Context, Result, bail};
use rand::RngExt;
use scenarios::calibration::synthetic_drive_test;
use scenarios::scenario::load_scene;
use scenarios::scenario::validate;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scenario, out, rest @ ..] = args.as_slice() else {
        bail!("usage: drive_test SCENARIO.toml OUT.csv [POINTS]");
    };
    let n: usize = rest.first().map_or(Ok(5_000), |s| s.parse()).context("POINTS")?;
    let plan = validate(scenario.as_ref()).map_err(|d| {
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
        (0..n).map(|_| (rng.random_range(x0..=x1), rng.random_range(y0..=y1))).collect();
    let (csv, kept) = synthetic_drive_test(&plan, scene.as_ref(), &points, |x, y, sim| {
        let u = ((x - x0) / (x1 - x0).max(1.0) + (y - y0) / (y1 - y0).max(1.0)) / 2.0;
        let measured = sim - 8.0 * u + rng.random_range(-2.0..2.0);
        (-140.0..=-31.0).contains(&measured).then_some(measured)
    })?;
    std::fs::write(out, csv).with_context(|| format!("writing {out}"))?;
    println!("{kept} measurements written to {out}");
    Ok(())
}
