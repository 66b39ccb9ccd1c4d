//! The classic hold model: the standard measure of an event engine's raw speed.
//!
//! ```text
//! cargo run --release -p sim-core --example hold -- --pending 1000 --events 10000000
//! ```
//!
//! `--pending` events are scheduled; handling one schedules its replacement after an exponential
//! delay with mean one second, so the queue always holds the same number of events. Prints
//! `events_per_s=<value>` (wall-clock rate of the run, set-up excluded), then checks that exactly
//! `--events` events were handled, that the queue still holds `--pending` events, and that the
//! simulated clock advanced as the model implies (events ≈ pending × simulated seconds).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, ensure};
use clap::Parser;
use sim_core::models::hold::Hold;
use sim_core::{Dist, RngStreams, StopReason};

/// Runs the hold model and prints the event rate.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
struct Args {
    /// Events kept pending at all times.
    #[arg(long, default_value_t = 1_000)]
    pending: usize,
    /// Events to handle.
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// Master seed of the random streams.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

struct Report {
    events_per_s: f64,
    handled: u64,
    pending_after: usize,
    simulated_s: f64,
}

fn run(args: &Args) -> anyhow::Result<Report> {
    ensure!(args.pending >= 1, "--pending must be at least 1");
    ensure!(args.events >= 1, "--events must be at least 1");
    let delay = Dist::exponential(1.0).context("hold delay")?;
    let mut sim = Hold::simulation(delay, &RngStreams::new(args.seed), args.pending)?;
    let started = Instant::now();
    let summary = sim.run_events(args.events)?;
    let wall_s = started.elapsed().as_secs_f64();
    ensure!(summary.reason == StopReason::EventBudget, "the hold model ran out of events");
    Ok(Report {
        events_per_s: summary.events as f64 / wall_s,
        handled: sim.model().handled(),
        pending_after: sim.scheduler_mut().pending(),
        simulated_s: sim.now().as_secs_f64(),
    })
}

fn check(args: &Args, r: &Report) -> anyhow::Result<()> {
    ensure!(r.handled == args.events, "handled {} events, asked for {}", r.handled, args.events);
    ensure!(
        r.pending_after == args.pending,
        "{} events pending after the run, expected {}",
        r.pending_after,
        args.pending
    );
    // Each pending event fires at rate 1 per simulated second, so the clock should read about
    // events / pending seconds. The check is loose for short runs, where the warm-up dominates.
    if args.events >= 100 * args.pending as u64 {
        let expected_s = args.events as f64 / args.pending as f64;
        let rel = (r.simulated_s - expected_s).abs() / expected_s;
        ensure!(
            rel < 0.05,
            "simulated {:.1} s for {} events of {} holders; expected about {:.1} s",
            r.simulated_s,
            args.events,
            args.pending,
            expected_s
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).and_then(|report| {
        println!("events_per_s={:.0}", report.events_per_s);
        check(&args, &report)
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

    #[test]
    fn hold_runs_and_checks_itself() {
        let args = Args { pending: 1_000, events: 300_000, seed: 1 };
        let report = run(&args).unwrap();
        check(&args, &report).unwrap();
        assert!(report.events_per_s > 0.0);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(run(&Args { pending: 0, events: 10, seed: 1 }).is_err());
        assert!(run(&Args { pending: 10, events: 0, seed: 1 }).is_err());
    }
}
