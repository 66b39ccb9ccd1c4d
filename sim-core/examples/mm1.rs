//! An M/M/1 (or M/D/1) queue on the event engine, checked against queueing theory.
//!
//! ```text
//! cargo run --release -p sim-core --example mm1 -- --lambda 0.9 --mu 1.0 --customers 1000000
//! cargo run --release -p sim-core --example mm1 -- --service deterministic
//! ```
//!
//! Prints `mean_sojourn=<value> theory=<value> ci95=[lo,hi] events_per_s=<value>`, where the
//! interval comes from batch means over the measured customers (the first 1 % are a warm-up and
//! not measured), then `customers_per_s=<value> wall_s=<value>` for comparison with
//! `benches/peers/simpy_mm1.py`, which prints the same figures. The example then checks its own answer: it exits with an error if theory
//! lies outside the 99.9 % batch-means interval of the run (an honest run fails that check one
//! time in a thousand; a wrong engine fails it every time), or if Little's law L = λW does not
//! hold on the simulated output to within 1 %.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::{Parser, ValueEnum};
use sim_core::models::queue::{QueueConfig, SingleServerQueue};
use sim_core::stats::ConfidenceInterval;
use sim_core::{Dist, RngStreams};

/// The service-time distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Service {
    /// Exponential with rate μ: M/M/1.
    Exponential,
    /// Constant 1/μ: M/D/1.
    Deterministic,
}

/// Simulates a single-server FIFO queue with Poisson arrivals and compares the mean sojourn time
/// with theory.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
struct Args {
    /// Arrival rate λ, per second.
    #[arg(long, default_value_t = 0.9)]
    lambda: f64,
    /// Service rate μ, per second.
    #[arg(long, default_value_t = 1.0)]
    mu: f64,
    /// Customers to simulate, warm-up included.
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    /// Service-time distribution.
    #[arg(long, value_enum, default_value_t = Service::Exponential)]
    service: Service,
    /// Master seed of the random streams.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// What one run found.
#[derive(Debug)]
struct Report {
    mean_sojourn_s: f64,
    /// Mean sojourn time by theory; infinite when the queue is unstable (ρ ≥ 1).
    theory_s: f64,
    ci95: ConfidenceInterval,
    ci999: ConfidenceInterval,
    events_per_s: f64,
    customers_per_s: f64,
    wall_s: f64,
    little_l: f64,
    little_lambda_w: f64,
}

impl Report {
    fn line(&self) -> String {
        format!(
            "mean_sojourn={:.4} theory={} ci95={:.4} events_per_s={:.0}",
            self.mean_sojourn_s,
            trim(self.theory_s),
            self.ci95,
            self.events_per_s
        )
    }

    /// The example's own assertions on what it printed.
    fn check(&self) -> anyhow::Result<()> {
        let rel = (self.little_l - self.little_lambda_w).abs() / self.little_l;
        ensure!(
            rel < 0.01,
            "Little's law fails: time-average number in system L = {:.4}, λ·W = {:.4}",
            self.little_l,
            self.little_lambda_w
        );
        if self.theory_s.is_finite() {
            ensure!(
                self.ci999.contains(self.theory_s),
                "theory {} lies outside the 99.9 % interval {:.4} of this run",
                trim(self.theory_s),
                self.ci999
            );
        }
        Ok(())
    }
}

/// A number without trailing zeros: 10 rather than 10.000000.
fn trim(x: f64) -> String {
    if !x.is_finite() {
        return "inf".to_string();
    }
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn run(args: &Args) -> anyhow::Result<Report> {
    ensure!(
        args.customers >= 1_000,
        "--customers must be at least 1000 for a batch-means interval, got {}",
        args.customers
    );
    let interarrival = Dist::exponential(args.lambda).context("invalid --lambda")?;
    let service = match args.service {
        Service::Exponential => Dist::exponential(args.mu).context("invalid --mu")?,
        Service::Deterministic => {
            Dist::exponential(args.mu).context("invalid --mu")?;
            Dist::constant(1.0 / args.mu).context("invalid --mu")?
        }
    };
    let rho = args.lambda / args.mu;
    // M/M/1: W = 1/(μ − λ). M/D/1 (Pollaczek–Khinchine with C_s = 0): W = 1/μ + ρ/(2μ(1 − ρ)).
    let theory_s = if rho < 1.0 {
        match args.service {
            Service::Exponential => 1.0 / (args.mu - args.lambda),
            Service::Deterministic => 1.0 / args.mu + rho / (2.0 * args.mu * (1.0 - rho)),
        }
    } else {
        eprintln!("note: ρ = λ/μ = {rho} ≥ 1: the queue is unstable and has no steady state");
        f64::INFINITY
    };

    let cfg = QueueConfig {
        interarrival,
        service,
        capacity: None,
        customers: args.customers,
        warmup: args.customers / 100,
        batches: 20,
    };
    let mut sim = SingleServerQueue::simulation(cfg, &RngStreams::new(args.seed))?;
    let started = Instant::now();
    let summary = sim.run()?;
    let wall_s = started.elapsed().as_secs_f64();

    let stats = sim.model().stats(summary.now);
    let ci95 = stats.sojourn_batches.confidence_interval(0.95)?;
    let ci999 = stats.sojourn_batches.confidence_interval(0.999)?;
    if stats.sojourn.count() == 0 {
        bail!("no customer was measured");
    }
    Ok(Report {
        mean_sojourn_s: stats.sojourn.mean(),
        theory_s,
        ci95,
        ci999,
        events_per_s: summary.events as f64 / wall_s,
        customers_per_s: args.customers as f64 / wall_s,
        wall_s,
        little_l: stats.mean_in_system,
        little_lambda_w: stats.admitted_rate() * stats.sojourn.mean(),
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).and_then(|report| {
        println!("{}", report.line());
        println!("customers_per_s={:.0} wall_s={:.4}", report.customers_per_s, report.wall_s);
        report.check()
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(service: Service) -> Args {
        Args { lambda: 0.9, mu: 1.0, customers: 400_000, service, seed: 1 }
    }

    #[test]
    fn mm1_matches_theory() {
        let report = run(&args(Service::Exponential)).unwrap();
        assert!((report.theory_s - 10.0).abs() < 1e-12);
        println!("{}", report.line());
        println!("customers_per_s={:.0} wall_s={:.4}", report.customers_per_s, report.wall_s);
        report.check().unwrap();
        assert!(report.line().starts_with("mean_sojourn="));
        assert!(report.line().contains(" theory=10 ci95=["));
    }

    #[test]
    fn md1_matches_theory() {
        let report = run(&args(Service::Deterministic)).unwrap();
        assert!((report.theory_s - 5.5).abs() < 1e-12);
        assert!(report.line().contains(" theory=5.5 ci95=["));
        report.check().unwrap();
    }

    #[test]
    fn bad_input_is_an_error() {
        for (lambda, mu) in [(0.0, 1.0), (-1.0, 1.0), (f64::NAN, 1.0), (0.5, 0.0)] {
            let a = Args { lambda, mu, ..args(Service::Deterministic) };
            let err = run(&a).unwrap_err();
            assert!(format!("{err:#}").contains("invalid --"), "{err:#}");
        }
        let a = Args { customers: 10, ..args(Service::Exponential) };
        assert!(run(&a).is_err());
    }

    #[test]
    fn unstable_queue_runs_without_theory() {
        let a = Args { lambda: 1.2, customers: 2_000, ..args(Service::Exponential) };
        let report = run(&a).unwrap();
        assert!(report.line().contains("theory=inf"));
        report.check().unwrap();
    }
}
