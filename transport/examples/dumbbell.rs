//! The packet simulator on the scenario of the ns-3 comparison (`benches/peers/ns3_dumbbell.cc`):
//! Poisson sources of fixed-size packets into a 100 Mbit/s bottleneck, either a single link
//! (`--scenario single`: an M/D/1 queue) or a dumbbell (`--scenario dumbbell`: `--flows` senders
//! on 1 Gbit/s access links into a left router, the bottleneck, a right router and 1 Gbit/s links
//! to the receivers). Prints the packets simulated per second of wall time and the mean one-way
//! delay with its confidence interval over independent replications, next to M/D/1 theory.
//!
//! ```text
//! cargo run --release -p transport --example dumbbell -- --scenario single --packets 1000000
//! cargo run --release -p transport --example dumbbell -- --scenario dumbbell --flows 10
//! ```

use std::time::Instant;

use anyhow::{Result, bail};
use clap::Parser;
use sim_core::stats::ConfidenceInterval;
use sim_core::{RngStreams, SimDuration};
use transport::packet::{
    self, FlowSpec, PacketConfig, PacketSize, QueueConfig, QueueLimit, Traffic,
};
use transport::topology::{Dumbbell, Link, Role, Topology};

#[derive(Parser, Debug)]
#[command(
    about = "Poisson traffic through a bottleneck: packets per second and delay against M/D/1"
)]
struct Args {
    /// single (one link) or dumbbell.
    #[arg(long, default_value = "single")]
    scenario: String,
    /// Senders (dumbbell only).
    #[arg(long, default_value_t = 10)]
    flows: usize,
    /// Offered load on the bottleneck.
    #[arg(long, default_value_t = 0.9)]
    rho: f64,
    /// Packets in all (split evenly over the replications).
    #[arg(long, default_value_t = 1_000_000)]
    packets: u64,
    /// Independent replications (for the confidence interval).
    #[arg(long, default_value_t = 10)]
    replications: u64,
    /// Bottleneck capacity, bit/s.
    #[arg(long, default_value_t = 100e6)]
    bottleneck_bps: f64,
    /// Bottleneck propagation delay, seconds.
    #[arg(long, default_value_t = 0.001)]
    delay_s: f64,
    /// Packet size on the wire, bytes (1030 = 1000 bytes of UDP payload over PPP, as in ns-3).
    #[arg(long, default_value_t = 1030)]
    size: u32,
    /// Output queue size, packets (including the one being sent).
    #[arg(long, default_value_t = 1000)]
    queue: u32,
    /// Turn off the exact shortcuts (one event per packet per hop instead).
    #[arg(long)]
    no_lookahead: bool,
    /// Master seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn link(capacity_bps: f64, delay_s: f64) -> Link {
    Link { buffer_bytes: u64::MAX, ..Link::new(capacity_bps, delay_s) }
}

/// What the replications found, for the two printed lines and the checks.
#[derive(Debug)]
// The packet counts and the wider interval are for the tests, not the printed lines.
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    scenario: String,
    /// Packets created over all replications.
    packets: u64,
    /// Engine events over all replications.
    events: u64,
    /// Packets created, delivered and dropped in the measurement windows, summed over flows and
    /// replications.
    generated: u64,
    delivered: u64,
    lost: u64,
    /// Wall-clock seconds of the simulations alone.
    wall_s: f64,
    /// Mean one-way delay over the replications' means, seconds.
    mean_delay_s: f64,
    ci95: ConfidenceInterval,
    /// A wider interval for the tests' check against theory (an honest run misses it one time
    /// in a thousand).
    ci999: ConfidenceInterval,
    /// M/D/1 at the bottleneck plus propagation (and, in the dumbbell, the access hops), seconds.
    theory_s: f64,
}

impl Report {
    fn lines(&self) -> [String; 2] {
        [
            format!(
                "scenario={} packets={} wall_s={:.3} packets_per_s={:.0} events_per_packet={:.2} lost={}",
                self.scenario,
                self.packets,
                self.wall_s,
                self.packets as f64 / self.wall_s,
                self.events as f64 / self.packets as f64,
                self.lost
            ),
            format!(
                "mean_delay_us={:.3} ci95_us=[{:.3},{:.3}] theory_us={:.3} theory_in_ci={}",
                self.mean_delay_s * 1e6,
                self.ci95.lo() * 1e6,
                self.ci95.hi() * 1e6,
                self.theory_s * 1e6,
                self.ci95.contains(self.theory_s)
            ),
        ]
    }
}

fn run(a: &Args) -> Result<Report> {
    if !(a.rho > 0.0 && a.rho < 1.0) {
        bail!("--rho must be in (0, 1) for the queue to be stable, got {}", a.rho);
    }
    if a.replications < 2 || a.packets < a.replications * 100 {
        bail!("need at least 2 replications and 100 packets per replication");
    }
    if a.size == 0 || a.queue == 0 || a.flows == 0 {
        bail!("--size, --queue and --flows must be at least 1");
    }
    let service_s = f64::from(a.size) * 8.0 / a.bottleneck_bps;
    let lambda = a.rho / service_s;
    let mut topo = Topology::new();
    let mut flows = Vec::new();
    // Access links: 1 Gbit/s, 100 µs, as in the ns-3 program.
    let (access_bps, access_s) = (1e9, 1e-4);
    match a.scenario.as_str() {
        "single" => {
            let s = topo.add_node("sender", Role::CellSite, None)?;
            let r = topo.add_node("receiver", Role::Core, None)?;
            topo.add_duplex(s, r, link(a.bottleneck_bps, a.delay_s))?;
            flows.push(FlowSpec::new(
                "poisson",
                s,
                r,
                Traffic::Poisson { rate_pps: lambda, size: PacketSize::Fixed(a.size) },
            ));
        }
        "dumbbell" => {
            let d = Dumbbell::new(
                a.flows,
                link(a.bottleneck_bps, a.delay_s),
                link(access_bps, access_s),
            )?;
            topo = d.topology;
            for (i, (&s, &r)) in d.senders.iter().zip(&d.receivers).enumerate() {
                let rate = lambda / a.flows as f64;
                flows.push(FlowSpec::new(
                    &format!("f{i}"),
                    s,
                    r,
                    Traffic::Poisson { rate_pps: rate, size: PacketSize::Fixed(a.size) },
                ));
            }
        }
        other => bail!("--scenario {other}: expected single or dumbbell"),
    }
    let per_rep = a.packets / a.replications;
    let seconds = per_rep as f64 / lambda;
    let mut means = Vec::new();
    let (mut packets, mut events) = (0u64, 0u64);
    let (mut generated, mut delivered, mut lost) = (0u64, 0u64, 0u64);
    let mut wall_s = 0.0;
    for r in 0..a.replications {
        let config = PacketConfig {
            duration: SimDuration::from_secs_f64(seconds)?,
            streams: RngStreams::new(a.seed).child_indexed("replication", r),
            default_queue: Some(QueueConfig { limit: QueueLimit::Packets(a.queue), red: None }),
            lookahead: !a.no_lookahead,
            ..PacketConfig::default()
        };
        let t = Instant::now();
        let report = packet::simulate(&topo, &flows, &config)?;
        wall_s += t.elapsed().as_secs_f64();
        let rep_delivered: u64 = report.flows.iter().map(|f| f.delivered).sum();
        let total: f64 =
            report.flows.iter().map(|f| f.delay.mean_secs() * f.delivered as f64).sum();
        means.push(total / rep_delivered.max(1) as f64);
        packets += report.packets;
        events += report.events;
        generated += report.flows.iter().map(|f| f.generated).sum::<u64>();
        delivered += rep_delivered;
        lost += report.flows.iter().map(|f| f.lost).sum::<u64>();
    }
    let ci95 = ConfidenceInterval::from_values(&means, 0.95)?;
    let ci999 = ConfidenceInterval::from_values(&means, 0.999)?;
    let mean_delay_s = means.iter().sum::<f64>() / means.len() as f64;
    // M/D/1 sojourn at the bottleneck plus propagation; in the dumbbell also the two access hops
    // (serialisation, propagation, and the access queue's M/D/1 wait at its tiny load).
    let md1 = |rho: f64, s: f64| s + rho * s / (2.0 * (1.0 - rho));
    let mut theory_s = md1(a.rho, service_s) + a.delay_s;
    if a.scenario == "dumbbell" {
        let s_access = f64::from(a.size) * 8.0 / access_bps;
        theory_s += md1(lambda / a.flows as f64 * s_access, s_access) + s_access + 2.0 * access_s;
    }
    Ok(Report {
        scenario: a.scenario.clone(),
        packets,
        events,
        generated,
        delivered,
        lost,
        wall_s,
        mean_delay_s,
        ci95,
        ci999,
        theory_s,
    })
}

/// Prints the error chain (not a backtrace) and exits with status 1 on failure.
fn main() -> std::process::ExitCode {
    match run(&Args::parse()) {
        Ok(report) => {
            for line in report.lines() {
                println!("{line}");
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example's arguments, parsed as the command line would be: its defaults (a million
    /// packets in ten replications at ρ = 0.9) unless `extra` says otherwise.
    fn args(extra: &[&str]) -> Args {
        Args::try_parse_from(["dumbbell"].iter().chain(extra)).unwrap()
    }

    /// The queueing part of the delay (propagation and access hops removed) lies within a few
    /// per cent of M/D/1, and theory lies inside the run's 99.9 % interval.
    fn assert_matches_theory(a: &Args, r: &Report) {
        let theory = md1_bottleneck_s(a);
        // Propagation and the access hops are fixed or nearly so; what is left is the queue.
        let fixed_s = r.theory_s - theory;
        let queueing = r.mean_delay_s - fixed_s;
        assert!(
            (queueing - theory).abs() < 0.05 * theory,
            "M/D/1 sojourn {:.3} µs, simulated {:.3} µs",
            theory * 1e6,
            queueing * 1e6
        );
        assert!(r.ci999.contains(r.theory_s), "{}", r.lines()[1]);
        // An interval too wide to tell anything would pass that check vacuously.
        assert!(r.ci95.hi() - r.ci95.lo() < 0.05 * r.theory_s, "{}", r.lines()[1]);
    }

    /// M/D/1 sojourn time at the bottleneck, W = s + ρs/(2(1 − ρ)).
    fn md1_bottleneck_s(a: &Args) -> f64 {
        let s = f64::from(a.size) * 8.0 / a.bottleneck_bps;
        s + a.rho * s / (2.0 * (1.0 - a.rho))
    }

    /// Every packet of the window is delivered, dropped, or still in flight at the end; with a
    /// 1000-packet queue at ρ = 0.9 none is dropped (M/D/1 puts that queue length at odds far
    /// below 10⁻⁵⁰).
    fn assert_conserved(r: &Report) {
        assert!(r.delivered + r.lost <= r.generated, "{r:?}");
        assert!(r.delivered as f64 > 0.99 * r.generated as f64, "{r:?}");
        // The packets created over the runs are about the ones asked for (a Poisson count of
        // mean 10⁶: within 1 %, ten standard deviations).
        assert!((r.packets as f64 - 1e6).abs() < 1e4, "{} packets", r.packets);
    }

    #[test]
    fn single_link_is_md1() {
        let a = args(&["--scenario", "single"]);
        let r = run(&a).unwrap();
        println!("{}\n{}", r.lines()[0], r.lines()[1]);
        // 82.4 µs of service at ρ = 0.9: W = 453.2 µs, plus 1 ms of propagation.
        assert!((r.theory_s - (82.4e-6 * 5.5 + 1e-3)).abs() < 1e-12, "{}", r.theory_s);
        assert_matches_theory(&a, &r);
        assert_conserved(&r);
        assert_eq!(r.lost, 0);
        assert!(r.lines()[0].starts_with("scenario=single packets="));
        assert!(r.lines()[1].contains(" theory_us=1453.200 theory_in_ci="), "{}", r.lines()[1]);
    }

    #[test]
    fn dumbbell_adds_the_access_hops() {
        let a = args(&["--scenario", "dumbbell", "--flows", "4"]);
        let r = run(&a).unwrap();
        assert_matches_theory(&a, &r);
        assert_conserved(&r);
        assert_eq!(r.lost, 0);
        // Two access hops of 8.24 µs serialisation and 100 µs propagation each, and the wait
        // at the first one, an M/D/1 queue at ρ = (0.9 / 4) × (8.24 / 82.4) = 0.0225.
        let rho_access: f64 = 0.0225;
        let wait_s = rho_access * 8.24e-6 / (2.0 * (1.0 - rho_access));
        let extra_s = r.theory_s - (md1_bottleneck_s(&a) + a.delay_s);
        assert!((extra_s - (2.0 * (8.24e-6 + 1e-4) + wait_s)).abs() < 1e-12, "{extra_s}");
    }

    /// The lookahead shortcuts are exact: one event per packet per hop gives the same packets,
    /// delays and losses, with more events.
    #[test]
    fn lookahead_changes_the_events_not_the_results() {
        let a = ["--scenario", "dumbbell", "--flows", "3", "--packets", "200000"];
        let fast = run(&args(&a)).unwrap();
        let slow = run(&args(&[&a[..], &["--no-lookahead"]].concat())).unwrap();
        assert_eq!(fast.mean_delay_s, slow.mean_delay_s);
        assert_eq!(
            (fast.packets, fast.generated, fast.delivered, fast.lost),
            (slow.packets, slow.generated, slow.delivered, slow.lost)
        );
        assert!(slow.events > fast.events, "{} vs {} events", slow.events, fast.events);
    }

    /// A short queue drops packets and, having shed the longest waits, delays less than M/D/1.
    #[test]
    fn a_short_queue_loses_packets_and_waits_less() {
        let a = args(&["--scenario", "single", "--queue", "5", "--packets", "200000"]);
        let r = run(&a).unwrap();
        assert!(r.lost > 0, "{r:?}");
        assert!(r.delivered + r.lost <= r.generated);
        assert!(r.mean_delay_s < r.theory_s, "{}", r.lines()[1]);
        assert!(r.lines()[0].ends_with(&format!("lost={}", r.lost)));
    }

    #[test]
    fn bad_arguments_are_errors() {
        for (extra, message) in [
            (&["--rho", "1.0"][..], "--rho must be in (0, 1)"),
            (&["--rho", "0"][..], "--rho must be in (0, 1)"),
            (&["--rho", "NaN"][..], "--rho must be in (0, 1)"),
            (&["--replications", "1"][..], "at least 2 replications"),
            (&["--packets", "500"][..], "100 packets per replication"),
            (&["--size", "0"][..], "must be at least 1"),
            (&["--flows", "0"][..], "must be at least 1"),
            (&["--scenario", "triangle"][..], "expected single or dumbbell"),
        ] {
            let err = run(&args(extra)).unwrap_err();
            assert!(format!("{err:#}").contains(message), "{extra:?}: {err:#}");
        }
        assert!(Args::try_parse_from(["dumbbell", "--rho", "high"]).is_err());
    }
}
