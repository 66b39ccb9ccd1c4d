//! TR 38.901 §7.8.1 large-scale calibration: coupling gain and geometry percentiles of the
//! 19-site, 57-cell UMa and UMi layouts at 6 GHz next to the 3GPP reference (R1-165974).
//!
//! ```text
//! cargo run --release -p radio --example calibration_38901 -- [--ues 100000] [--seed 1]
//!     [--scenario both|uma|umi] [--parameters 38901|38900] [--o2i-sf-db 7]
//!     [--los-on-total-d2d] [--pattern 38901-array:10x1:0.5]
//! ```
//!
//! For each scenario it prints p5, p10, …, p95 of both curves, the reference and the difference,
//! marks the checked percentiles (p5, p50, p95; coupling gain within 3 dB, geometry within 1 dB),
//! and exits with status 1 when any of them is outside its tolerance. `--parameters 38900` runs
//! TR 38.900 v14.0.0's UMa LOS model, with which the reference was made; `--o2i-sf-db` replaces
//! the LOS/NLOS shadow-fading σ of indoor users (Table 7.4.1-1) by a fixed value (Table 7.5-6
//! gives 7 dB for O2I); `--los-on-total-d2d` evaluates indoor users' LOS probability on the
//! whole 2D distance instead of its outdoor part. `--pattern` is any pattern the cells file accepts (`radio::Pattern::
//! from_spec`).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use radio::Pattern;
use radio::calibration::{
    CalibrationConfig, Comparison, LosDistance, ParameterSet, Quantity, ScenarioKind, Tolerance,
};

/// Which scenarios to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    /// UMa and UMi.
    Both,
    /// Urban macro only.
    Uma,
    /// Urban micro (street canyon) only.
    Umi,
}

/// The path-loss parameter version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Params {
    /// TR 38.901.
    #[value(name = "38901")]
    Tr38901,
    /// TR 38.900 v14.0.0 (the reference's).
    #[value(name = "38900")]
    Tr38900,
}

/// Runs the TR 38.901 large-scale calibration and compares it with the 3GPP reference.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
struct Args {
    /// Users dropped per scenario.
    #[arg(long, default_value_t = 100_000)]
    ues: usize,
    /// Master seed of the random streams.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Scenarios to run.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    scenario: Which,
    /// Path-loss parameters.
    #[arg(long, value_enum, default_value_t = Params::Tr38901)]
    parameters: Params,
    /// Shadow-fading σ of indoor users, dB (default: the LOS/NLOS σ).
    #[arg(long)]
    o2i_sf_db: Option<f64>,
    /// Evaluate indoor users' LOS probability on the whole 2D distance instead of the outdoor
    /// part (a sensitivity check; TR 38.901 uses the outdoor part).
    #[arg(long)]
    los_on_total_d2d: bool,
    /// BS antenna pattern (`38901`, `isotropic`, `38901-array:<rows>x<cols>[:<dv>]` or a
    /// pattern file; default: Table 7.8-1's `38901-array:10x1:0.5`).
    #[arg(long)]
    pattern: Option<String>,
}

/// The settled run: one configuration per scenario.
fn configs(args: &Args) -> anyhow::Result<Vec<CalibrationConfig>> {
    let pattern = match &args.pattern {
        Some(spec) => Some(
            Pattern::from_spec(spec, Path::new("."))
                .with_context(|| format!("BS antenna pattern {spec:?}"))?,
        ),
        None => None,
    };
    let scenarios = match args.scenario {
        Which::Both => vec![ScenarioKind::UMa, ScenarioKind::UMi],
        Which::Uma => vec![ScenarioKind::UMa],
        Which::Umi => vec![ScenarioKind::UMi],
    };
    Ok(scenarios
        .into_iter()
        .map(|s| CalibrationConfig {
            n_ues: args.ues,
            seed: args.seed,
            bs_pattern: pattern.clone(),
            parameters: match args.parameters {
                Params::Tr38901 => ParameterSet::Tr38901,
                Params::Tr38900 => ParameterSet::Tr38900V14,
            },
            o2i_shadow_sigma_db: args.o2i_sf_db,
            los_distance: if args.los_on_total_d2d {
                LosDistance::Total
            } else {
                LosDistance::Outdoor
            },
            ..CalibrationConfig::new(s)
        })
        .collect())
}

/// Runs every configured scenario and returns the comparisons.
fn run(args: &Args) -> anyhow::Result<Vec<Comparison>> {
    let tol = Tolerance::default();
    let mut out = Vec::new();
    for cfg in configs(args)? {
        let name = cfg.scenario.name();
        let cal = cfg.validate().with_context(|| format!("{name} set-up"))?;
        let t0 = Instant::now();
        let result = cal.run();
        let cmp = result.compare(&tol);
        print_comparison(&cmp, result.ues.len(), t0.elapsed().as_secs_f64());
        out.push(cmp);
    }
    Ok(out)
}

/// Prints one scenario's table: percentile, then measured, reference and difference of both
/// curves; `*` marks a checked percentile, `!` one outside its tolerance.
fn print_comparison(cmp: &Comparison, n_ues: usize, secs: f64) {
    println!(
        "\n{} ({n_ues} users, {secs:.2} s): coupling gain and geometry, dB",
        cmp.scenario.name()
    );
    println!(
        "{:>5} | {:>8} {:>8} {:>6} | {:>7} {:>7} {:>6}",
        "pct", "CG", "CG 3GPP", "diff", "geom", "3GPP", "diff"
    );
    let mark = |q, p| match cmp.row(q, p) {
        Some(r) if !r.within => '!',
        Some(r) if r.checked => '*',
        _ => ' ',
    };
    for p in radio::calibration::reference::PERCENTILES {
        let (Some(cg), Some(gf)) =
            (cmp.row(Quantity::CouplingGain, p), cmp.row(Quantity::Geometry, p))
        else {
            continue;
        };
        println!(
            "{:>5} | {:>8.1} {:>8.1} {:>+5.1}{} | {:>7.1} {:>7.1} {:>+5.1}{}",
            format!("p{p}"),
            cg.measured_db,
            cg.reference_db,
            cg.diff_db(),
            mark(Quantity::CouplingGain, p),
            gf.measured_db,
            gf.reference_db,
            gf.diff_db(),
            mark(Quantity::Geometry, p),
        );
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(cmps) => {
            let failures: Vec<_> = cmps
                .iter()
                .flat_map(|c| c.failures().into_iter().map(move |r| (c.scenario, r)))
                .collect();
            if failures.is_empty() {
                println!("\nall checked percentiles within tolerance (CG ±3 dB, geometry ±1 dB)");
                ExitCode::SUCCESS
            } else {
                for (s, r) in &failures {
                    eprintln!(
                        "outside tolerance: {} {:?} p{}: {:.1} dB vs {:.1} dB",
                        s.name(),
                        r.quantity,
                        r.percentile,
                        r.measured_db,
                        r.reference_db
                    );
                }
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        Args::parse_from(["calibration_38901"].iter().chain(extra))
    }

    #[test]
    fn a_small_run_prints_both_scenarios() {
        let cmps = run(&args(&["--ues", "300", "--seed", "5"])).unwrap();
        assert_eq!(cmps.len(), 2);
        assert_eq!(cmps[0].scenario, ScenarioKind::UMa);
        assert!(
            cmps.iter()
                .all(|c| c.rows.len() == 38 && c.rows.iter().all(|r| r.measured_db.is_finite()))
        );
    }

    #[test]
    fn options_reach_the_configuration() {
        let c = configs(&args(&[
            "--scenario",
            "umi",
            "--parameters",
            "38900",
            "--o2i-sf-db",
            "7",
            "--los-on-total-d2d",
        ]))
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scenario, ScenarioKind::UMi);
        assert_eq!(c[0].parameters, ParameterSet::Tr38900V14);
        assert_eq!(c[0].o2i_shadow_sigma_db, Some(7.0));
        assert_eq!(c[0].los_distance, LosDistance::Total);
    }

    #[test]
    fn bad_inputs_are_reported() {
        let e = run(&args(&["--ues", "0"])).unwrap_err();
        assert!(format!("{e:#}").contains("users"), "{e:#}");
        let e = run(&args(&["--pattern", "/nonexistent/panel.msi"])).unwrap_err();
        assert!(format!("{e:#}").contains("panel.msi"), "{e:#}");
    }
}
