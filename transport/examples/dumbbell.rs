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
use sim_core::SimDuration;
use sim_core::stats::ConfidenceInterval;
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

fn run() -> Result<()> {
    let a = Args::parse();
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
    let mut packets = 0u64;
    let mut events = 0u64;
    let mut lost = 0u64;
    let mut wall = 0.0;
    for r in 0..a.replications {
        let config = PacketConfig {
            duration: SimDuration::from_secs_f64(seconds)?,
            seed: a.seed.wrapping_add(r),
            default_queue: Some(QueueConfig { limit: QueueLimit::Packets(a.queue), red: None }),
            lookahead: !a.no_lookahead,
            ..PacketConfig::default()
        };
        let t = Instant::now();
        let report = packet::simulate(&topo, &flows, &config)?;
        wall += t.elapsed().as_secs_f64();
        let delivered: u64 = report.flows.iter().map(|f| f.delivered).sum();
        let total: f64 =
            report.flows.iter().map(|f| f.delay.mean_secs() * f.delivered as f64).sum();
        means.push(total / delivered.max(1) as f64);
        packets += report.packets;
        events += report.events;
        lost += report.flows.iter().map(|f| f.lost).sum::<u64>();
    }
    let ci = ConfidenceInterval::from_values(&means, 0.95)?;
    let mean = means.iter().sum::<f64>() / means.len() as f64;
    // M/D/1 sojourn at the bottleneck plus propagation; in the dumbbell also the two access hops
    // (serialisation, propagation, and the access queue's M/D/1 wait at its tiny load).
    let md1 = |rho: f64, s: f64| s + rho * s / (2.0 * (1.0 - rho));
    let mut theory = md1(a.rho, service_s) + a.delay_s;
    if a.scenario == "dumbbell" {
        let s_access = f64::from(a.size) * 8.0 / access_bps;
        theory += md1(lambda / a.flows as f64 * s_access, s_access) + s_access + 2.0 * access_s;
    }
    println!(
        "scenario={} packets={packets} wall_s={wall:.3} packets_per_s={:.0} events_per_packet={:.2} lost={lost}",
        a.scenario,
        packets as f64 / wall,
        events as f64 / packets as f64
    );
    println!(
        "mean_delay_us={:.3} ci95_us=[{:.3},{:.3}] theory_us={:.3} theory_in_ci={}",
        mean * 1e6,
        ci.lo() * 1e6,
        ci.hi() * 1e6,
        theory * 1e6,
        ci.contains(theory)
    );
    Ok(())
}

/// Prints the error chain (not a backtrace) and exits with status 1 on failure.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
