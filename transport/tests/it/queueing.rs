//! The packet simulator against queueing theory (`../shared/REFERENCES.md` §7): a Poisson source
//! into one link. Independent replications give 99 % confidence intervals that must contain the
//! closed forms.

use sim_core::stats::ConfidenceInterval;
use sim_core::{RngStreams, SimDuration};
use transport::packet::{
    self, FlowSpec, PacketConfig, PacketSize, QueueConfig, QueueLimit, RedConfig, Traffic,
};

use crate::common::chain;

/// 100 Mbit/s; 1000-byte mean packets are served at μ = 12 500 packets/s.
const CAPACITY: f64 = 100e6;
const MU: f64 = 12_500.0;

struct Replications {
    delay: Vec<f64>,
    in_system: Vec<f64>,
    blocking: Vec<f64>,
    p95: Vec<f64>,
}

/// Runs `n` replications of a Poisson source at `rho` into one link.
fn replicate(n: u64, rho: f64, size: PacketSize, limit: Option<u32>, seconds: u64) -> Replications {
    let (topo, nodes) = chain(&[CAPACITY], 0.0);
    let flow =
        FlowSpec::new("poisson", nodes[0], nodes[1], Traffic::Poisson { rate_pps: rho * MU, size });
    let mut r = Replications { delay: vec![], in_system: vec![], blocking: vec![], p95: vec![] };
    for seed in 0..n {
        let config = PacketConfig {
            duration: SimDuration::from_secs(seconds).unwrap(),
            warmup: SimDuration::from_secs(1).unwrap(),
            streams: RngStreams::new(1000).child_indexed("replication", seed),
            default_queue: limit.map(|k| QueueConfig { limit: QueueLimit::Packets(k), red: None }),
            ..PacketConfig::default()
        };
        let report = packet::simulate(&topo, std::slice::from_ref(&flow), &config).unwrap();
        let f = &report.flows[0];
        let l = report.link("n0->n1").unwrap();
        r.delay.push(f.delay.mean_secs());
        r.in_system.push(l.mean_in_system);
        r.blocking.push(l.drops_tail as f64 / l.arrivals as f64);
        r.p95.push(f.p95_s());
    }
    r
}

fn ci(values: &[f64]) -> ConfidenceInterval {
    ConfidenceInterval::from_values(values, 0.99).unwrap()
}

fn assert_in(what: &str, values: &[f64], theory: f64) {
    assert_within(what, values, theory, 0.05);
}

/// The 99 % interval contains `theory` and is narrower than `width` relative to its centre.
fn assert_within(what: &str, values: &[f64], theory: f64, width: f64) {
    let c = ci(values);
    assert!(c.contains(theory), "{what}: theory {theory} outside the 99 % interval {c}");
    assert!(c.relative_half_width() < width, "{what}: interval {c} too wide to be a test");
}

#[test]
fn mm1_delay_and_queue_length() {
    for rho in [0.5, 0.9] {
        let r = replicate(
            10,
            rho,
            PacketSize::Exponential { mean_bytes: 1000.0 },
            None,
            if rho < 0.8 { 4 } else { 40 },
        );
        let lambda = rho * MU;
        assert_in(&format!("M/M/1 ρ={rho} W"), &r.delay, 1.0 / (MU - lambda));
        assert_in(&format!("M/M/1 ρ={rho} L"), &r.in_system, rho / (1.0 - rho));
        // Sojourn ~ Exp(μ − λ): p95 = −ln(0.05)/(μ − λ).
        assert_within(&format!("M/M/1 ρ={rho} p95"), &r.p95, -(0.05f64.ln()) / (MU - lambda), 0.1);
    }
}

#[test]
fn md1_delay_and_queue_length() {
    for rho in [0.5, 0.9] {
        let r = replicate(10, rho, PacketSize::Fixed(1000), None, if rho < 0.8 { 4 } else { 30 });
        let s = 1.0 / MU;
        let wq = rho * s / (2.0 * (1.0 - rho));
        assert_in(&format!("M/D/1 ρ={rho} W"), &r.delay, wq + s);
        assert_in(&format!("M/D/1 ρ={rho} L"), &r.in_system, rho * MU * (wq + s));
    }
}

#[test]
fn mm1k_blocking_and_queue_length() {
    // REFERENCES.md §7: (ρ, K) = (0.8, 5) → P_B 0.088819, L 1.868332; (0.9, 10) → 0.050814, 3.969441.
    for (rho, k, pb, l) in [(0.8, 5, 0.088819, 1.868332), (0.9, 10, 0.050814, 3.969441)] {
        let r = replicate(10, rho, PacketSize::Exponential { mean_bytes: 1000.0 }, Some(k), 20);
        assert_in(&format!("M/M/1/{k} ρ={rho} P_B"), &r.blocking, pb);
        assert_in(&format!("M/M/1/{k} ρ={rho} L"), &r.in_system, l);
        // W = L / λ_eff.
        let w = l / (rho * MU * (1.0 - pb));
        assert_in(&format!("M/M/1/{k} ρ={rho} W"), &r.delay, w);
    }
}

#[test]
fn littles_law_holds_on_every_link() {
    // A parking lot of three 50 Mbit/s links, one under RED, with Poisson, CBR and on-off sources.
    let (topo, n) = chain(&[50e6, 50e6, 50e6], 0.002);
    let flows = vec![
        FlowSpec::new(
            "long",
            n[0],
            n[3],
            Traffic::Poisson {
                rate_pps: 2500.0,
                size: PacketSize::Exponential { mean_bytes: 1000.0 },
            },
        ),
        FlowSpec::new("cbr", n[0], n[1], Traffic::Cbr { rate_pps: 1500.0, size_bytes: 1200 }),
        FlowSpec::new(
            "onoff",
            n[1],
            n[3],
            Traffic::OnOff {
                peak_pps: 6000.0,
                size_bytes: 800,
                mean_on_s: 0.05,
                mean_off_s: 0.1,
                shape: 1.5,
            },
        ),
        FlowSpec::new(
            "short",
            n[2],
            n[3],
            Traffic::Poisson { rate_pps: 1000.0, size: PacketSize::Fixed(500) },
        ),
    ];
    let red_link = topo.link_id("n1->n2").unwrap();
    let config = PacketConfig {
        duration: SimDuration::from_secs(20).unwrap(),
        warmup: SimDuration::from_secs(1).unwrap(),
        queue_overrides: vec![(
            red_link,
            QueueConfig { limit: QueueLimit::Packets(100), red: Some(RedConfig::default()) },
        )],
        ..PacketConfig::default()
    };
    let report = packet::simulate(&topo, &flows, &config).unwrap();
    let mut checked = 0;
    for l in &report.links {
        if l.accepted == 0 {
            continue;
        }
        let little = l.accepted_rate_pps * l.sojourn.mean_secs();
        let rel = (l.mean_in_system - little).abs() / l.mean_in_system;
        assert!(rel < 0.01, "{}: L = {} but λW = {little}", l.name, l.mean_in_system);
        // The time series averages to the same L.
        let series = l.queue_series.iter().sum::<f64>() / l.queue_series.len() as f64;
        assert!(
            (series - l.mean_in_system).abs() < 1e-9 * l.mean_in_system.max(1.0),
            "{}: series mean {series}",
            l.name
        );
        checked += 1;
    }
    assert_eq!(checked, 3, "the three forward links carry traffic");
    let red = report.link("n1->n2").unwrap();
    assert!(red.drops_aqm > 0, "RED dropped nothing: {red:?}");
    // Flow-level loss accounting: generated = delivered + lost + in flight at the end.
    for f in &report.flows {
        assert!(
            f.delivered + f.lost <= f.generated && f.generated - f.delivered - f.lost < 200,
            "{}: {f:?}",
            f.name
        );
    }
}
