//! The packet simulator's features: exactness of its shortcuts, TCP behaviour, failures and
//! re-routing, determinism, and errors for bad settings.

use sim_core::{RngStreams, SimDuration, SimTime};
use transport::TrafficError;
use transport::error::PacketConfigError;
use transport::packet::{
    self, FlowSpec, PacketConfig, PacketSize, QueueConfig, QueueLimit, RedConfig, TcpConfig,
    Traffic,
};
use transport::topology::{Dumbbell, Link, NodeId, Role, Topology};
use transport::whatif::{Operation, Timeline};

use crate::common::link;

/// `n` senders on 1 Gbit/s access links into `left`, a bottleneck `left -> right`, and `n`
/// receivers behind `right`.
fn dumbbell(
    n: usize,
    bottleneck_bps: f64,
    delay_s: f64,
    buffer_bytes: u64,
) -> (Topology, Vec<NodeId>, Vec<NodeId>) {
    let d =
        Dumbbell::new(n, Link { buffer_bytes, ..link(bottleneck_bps, delay_s) }, link(1e9, 0.0001))
            .unwrap();
    (d.topology, d.senders, d.receivers)
}

fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s).unwrap()
}

#[test]
fn lookahead_shortcuts_are_exact() {
    let (t, s, d) = dumbbell(4, 20e6, 0.005, 60_000);
    let flows = vec![
        FlowSpec::new(
            "poisson",
            s[0],
            d[0],
            Traffic::Poisson {
                rate_pps: 600.0,
                size: PacketSize::Exponential { mean_bytes: 900.0 },
            },
        ),
        FlowSpec::new("cbr", s[1], d[1], Traffic::Cbr { rate_pps: 300.0, size_bytes: 1400 }),
        FlowSpec::new(
            "onoff",
            s[2],
            d[2],
            Traffic::OnOff {
                peak_pps: 2000.0,
                size_bytes: 1000,
                mean_on_s: 0.02,
                mean_off_s: 0.05,
                shape: 1.4,
            },
        ),
        FlowSpec::new("tcp", s[3], d[3], Traffic::Tcp(TcpConfig::default())),
    ];
    let red = t.link_id("left->right").unwrap();
    let mut config = PacketConfig {
        duration: secs(5.0),
        warmup: secs(0.5),
        queue_overrides: vec![(
            red,
            QueueConfig { limit: QueueLimit::Bytes(60_000), red: Some(RedConfig::default()) },
        )],
        ..PacketConfig::default()
    };
    let fast = packet::simulate(&t, &flows, &config).unwrap();
    config.lookahead = false;
    let slow = packet::simulate(&t, &flows, &config).unwrap();
    assert_eq!(fast.flows, slow.flows);
    assert_eq!(fast.links, slow.links);
    assert!(
        fast.events < slow.events,
        "the shortcuts save events: {} vs {}",
        fast.events,
        slow.events
    );
    let b = fast.link("left->right").unwrap();
    assert!(b.drops_aqm + b.drops_tail > 0, "the TCP flow fills the bottleneck");
    assert!(b.utilisation > 0.8, "{}", b.utilisation);
}

#[test]
fn tcp_flows_fill_and_share_a_bottleneck() {
    // 10 Mbit/s, 10 ms one way: RTT about 20 ms, bandwidth-delay product 25 kB; buffer one BDP.
    let (t, s, d) = dumbbell(2, 10e6, 0.01, 25_000);
    let flows: Vec<FlowSpec> = (0..2)
        .map(|i| FlowSpec::new(&format!("tcp{i}"), s[i], d[i], Traffic::Tcp(TcpConfig::default())))
        .collect();
    let config =
        PacketConfig { duration: secs(30.0), warmup: secs(2.0), ..PacketConfig::default() };
    let r = packet::simulate(&t, &flows, &config).unwrap();
    let g: Vec<f64> = r.flows.iter().map(|f| f.tcp.as_ref().unwrap().goodput_bps).collect();
    let total: f64 = g.iter().sum();
    assert!(total > 0.9 * 10e6 && total <= 10e6 * 1.0001, "goodput {g:?}");
    let jain = total * total / (2.0 * g.iter().map(|x| x * x).sum::<f64>());
    assert!(jain > 0.95, "Jain fairness {jain}: {g:?}");
    for f in &r.flows {
        let tcp = f.tcp.as_ref().unwrap();
        assert!(tcp.retransmissions > 0, "AIMD probes until loss: {tcp:?}");
        assert_eq!(
            tcp.timeouts, 0,
            "with a BDP of buffer, fast recovery handles every loss: {tcp:?}"
        );
        // Queueing keeps the delay between the base (about 10.2 ms) and base plus a full buffer (20 ms).
        assert!(f.p50_s() > 0.0102 && f.p99_s() < 0.0305, "{} {}", f.p50_s(), f.p99_s());
    }
}

#[test]
fn finite_tcp_transfer_completes_after_slow_start() {
    let (t, s, d) = dumbbell(1, 100e6, 0.01, 1 << 20);
    let flow = FlowSpec::new(
        "download",
        s[0],
        d[0],
        Traffic::Tcp(TcpConfig { flow_bytes: Some(1_500_000), ..TcpConfig::default() }),
    );
    let config = PacketConfig { duration: secs(2.0), ..PacketConfig::default() };
    let r = packet::simulate(&t, &[flow], &config).unwrap();
    let tcp = r.flows[0].tcp.as_ref().unwrap();
    let done = tcp.completed_at_s.expect("a 1.5 MB transfer completes in 2 s");
    // No faster than sending 1000 packets at 100 Mbit/s (120 ms) plus a round trip (20.5 ms);
    // slow start from a window of 10 costs about four more round trips.
    assert!(done > 0.1405 && done < 0.1405 + 5.0 * 0.0206, "completed at {done} s");
    assert_eq!(r.flows[0].delivered, 1000);
    assert_eq!(r.flows[0].lost, 0);
}

/// a - b - d and a - c - d, with a long direct a - d as the last resort.
fn square() -> (Topology, [NodeId; 4]) {
    let mut t = Topology::new();
    let n = ["a", "b", "c", "d"].map(|x| t.add_node(x, Role::Core, None).unwrap());
    for (x, y) in [(0, 1), (1, 3), (0, 2), (2, 3)] {
        t.add_duplex(n[x], n[y], Link { buffer_bytes: 200_000, ..link(10e6, 0.002) }).unwrap();
    }
    t.add_duplex(n[0], n[3], Link { igp_weight: 5.0, buffer_bytes: 200_000, ..link(10e6, 0.002) })
        .unwrap();
    (t, n)
}

#[test]
fn failures_lose_queued_packets_and_reroute() {
    let (t, [a, b, c, d]) = square();
    // Flows pinned to the a-b-d and a-c-d paths by the ECMP hash; both run at 95 % so queues build.
    let flows: Vec<FlowSpec> = (0..8)
        .map(|i| {
            FlowSpec::new(
                &format!("f{i}"),
                a,
                d,
                Traffic::Poisson { rate_pps: 290.0, size: PacketSize::Fixed(1000) },
            )
        })
        .collect();
    let mut timeline = Timeline::new();
    timeline.push(SimTime::from_nanos(2_000_000_000), Operation::FailNode(b));
    timeline.push(SimTime::from_nanos(4_000_000_000), Operation::RestoreNode(b));
    timeline.push(
        SimTime::from_nanos(6_000_000_000),
        Operation::FailLinks(vec![
            t.link_id("a->b").unwrap(),
            t.link_id("a->c").unwrap(),
            t.link_id("a->d").unwrap(),
        ]),
    );
    let config = PacketConfig { duration: secs(8.0), timeline, ..PacketConfig::default() };
    let r = packet::simulate(&t, &flows, &config).unwrap();
    let via_b = r.link("a->b").unwrap();
    let via_c = r.link("a->c").unwrap();
    assert!(via_b.departures > 0 && via_c.departures > 0, "ECMP uses both paths");
    // Failing b moves its flows to c: c carries more than half the traffic overall.
    assert!(via_c.departures > via_b.departures, "{} vs {}", via_c.departures, via_b.departures);
    // From 6 s nothing leaves a: every packet generated then is unroutable, and is counted so.
    let unroutable: u64 = r.flows.iter().map(|f| f.unroutable).sum();
    let generated: u64 = r.flows.iter().map(|f| f.generated).sum();
    let expected = 8.0 * 290.0 * 2.0;
    assert!(
        (unroutable as f64 - expected).abs() < 0.1 * expected,
        "{unroutable} unroutable of {generated}"
    );
    // The queue at the failed links was lost, and counted.
    let failed: u64 = r.links.iter().map(|l| l.drops_failure).sum();
    assert!(failed > 0);
    let lost: u64 = r.flows.iter().map(|f| f.lost).sum();
    assert!(lost >= failed, "flows count the packets the failures lost: {lost} < {failed}");
    // Nothing is sent over the failed b links between 2 s and 4 s.
    let bd = r.link("b->d").unwrap();
    let k2 = bd.queue_bin_start_s.iter().position(|&s| s >= 2.1).unwrap();
    let k4 = bd.queue_bin_start_s.iter().position(|&s| s >= 3.9).unwrap();
    assert!(bd.queue_series[k2..k4].iter().all(|&q| q == 0.0));
    assert!(bd.queue_series[..k2].iter().any(|&q| q > 0.0));
    // Conservation: generated = delivered + lost + unroutable + in flight (a few at the end).
    let delivered: u64 = r.flows.iter().map(|f| f.delivered).sum();
    assert!(
        generated >= delivered + lost + unroutable
            && generated - delivered - lost - unroutable < 100
    );
    let _ = c;
}

#[test]
fn capacity_change_and_rehome_take_effect() {
    let mut t = Topology::new();
    let site = t.add_node("site", Role::CellSite, None).unwrap();
    let agg1 = t.add_node("agg1", Role::Aggregation, None).unwrap();
    let agg2 = t.add_node("agg2", Role::Aggregation, None).unwrap();
    let core = t.add_node("core", Role::Core, None).unwrap();
    t.add_duplex(site, agg1, link(10e6, 0.001)).unwrap();
    t.add_duplex(agg1, core, link(100e6, 0.001)).unwrap();
    t.add_duplex(agg2, core, link(100e6, 0.001)).unwrap();
    let flow = FlowSpec::new("up", site, core, Traffic::Cbr { rate_pps: 1000.0, size_bytes: 1000 });
    let mut timeline = Timeline::new();
    timeline.push(
        SimTime::from_nanos(1_000_000_000),
        Operation::SetCapacity {
            links: vec![t.link_id("site->agg1").unwrap()],
            capacity_bps: 20e6,
        },
    );
    timeline
        .push(SimTime::from_nanos(2_000_000_000), Operation::Rehome { site, from: agg1, to: agg2 });
    let config = PacketConfig { duration: secs(3.0), timeline, ..PacketConfig::default() };
    let r = packet::simulate(&t, &[flow], &config).unwrap();
    let old = r.link("site->agg1").unwrap();
    // 8 Mbit/s on 10 Mbit/s for 1 s, then on 20 Mbit/s for 1 s: busy 0.8 + 0.4 of 3 s.
    assert!((old.utilisation - 1.2 / 3.0).abs() < 0.01, "{}", old.utilisation);
    let new = r.link("site->agg2").unwrap();
    assert!(
        (new.departures as f64 - 1000.0).abs() < 5.0,
        "{} packets after re-homing",
        new.departures
    );
    assert_eq!(r.flows[0].lost, 0);
}

#[test]
fn runs_are_reproducible_and_seeds_matter() {
    let (t, s, d) = dumbbell(3, 10e6, 0.005, 30_000);
    let flows: Vec<FlowSpec> = (0..3)
        .map(|i| {
            FlowSpec::new(
                &format!("p{i}"),
                s[i],
                d[i],
                Traffic::Poisson {
                    rate_pps: 350.0,
                    size: PacketSize::Exponential { mean_bytes: 1000.0 },
                },
            )
        })
        .collect();
    let config = PacketConfig { duration: secs(3.0), ..PacketConfig::default() };
    let a = packet::simulate(&t, &flows, &config).unwrap();
    let b = packet::simulate(&t, &flows, &config).unwrap();
    assert_eq!(a, b);
    let c = packet::simulate(
        &t,
        &flows,
        &PacketConfig { streams: RngStreams::new(2), ..config.clone() },
    )
    .unwrap();
    assert_ne!(a.flows, c.flows);
    // Adding a flow does not change the draws of the others (their own streams): flow p0's
    // generated count is the same.
    let mut more = flows.clone();
    more.push(FlowSpec::new("extra", s[2], d[0], Traffic::Cbr { rate_pps: 10.0, size_bytes: 100 }));
    let e = packet::simulate(&t, &more, &config).unwrap();
    assert_eq!(e.flows[0].generated, a.flows[0].generated);
}

#[test]
fn bad_settings_are_errors() {
    let (t, s, d) = dumbbell(1, 10e6, 0.005, 30_000);
    let ok = Traffic::Poisson { rate_pps: 10.0, size: PacketSize::Fixed(100) };
    let config = PacketConfig { duration: secs(1.0), ..PacketConfig::default() };
    let err = |flows: &[FlowSpec], c: &PacketConfig| {
        packet::simulate(&t, flows, c).unwrap_err().to_string()
    };
    let e = err(
        &[FlowSpec::new(
            "zero",
            s[0],
            d[0],
            Traffic::Poisson { rate_pps: 0.0, size: PacketSize::Fixed(100) },
        )],
        &config,
    );
    assert!(e.contains("zero") && e.contains("rate"), "{e}");
    let e = err(&[FlowSpec::new("loop", s[0], s[0], ok)], &config);
    assert!(e.contains("loop") && e.contains("itself"), "{e}");
    let e = err(&[FlowSpec::new("ghost", s[0], NodeId(999), ok)], &config);
    assert!(e.contains("ghost") && e.contains("#999"), "{e}");
    let e = err(
        &[FlowSpec::new(
            "onoff",
            s[0],
            d[0],
            Traffic::OnOff {
                peak_pps: 1.0,
                size_bytes: 1,
                mean_on_s: 1.0,
                mean_off_s: 1.0,
                shape: 1.0,
            },
        )],
        &config,
    );
    assert!(e.starts_with("source onoff: on-off needs") && e.contains("shape 1"), "{e}");
    let mut late = config.clone();
    late.timeline.push(SimTime::from_nanos(5_000_000_000), Operation::FailNode(s[0]));
    let e = err(&[FlowSpec::new("f", s[0], d[0], ok)], &late);
    assert!(e.contains("after the end"), "{e}");
    let bad_red = PacketConfig {
        default_queue: Some(QueueConfig {
            limit: QueueLimit::Packets(10),
            red: Some(RedConfig { max_p: 2.0, ..RedConfig::default() }),
        }),
        ..config.clone()
    };
    let e = packet::simulate(&t, &[FlowSpec::new("f", s[0], d[0], ok)], &bad_red).unwrap_err();
    assert!(
        matches!(e, TrafficError::InvalidQueue { reason: PacketConfigError::Red { max_p, .. } } if max_p == 2.0),
        "{e}"
    );
    assert!(e.to_string().starts_with("invalid simulation setting: RED needs"), "{e}");
    let zero = PacketConfig { duration: SimDuration::ZERO, ..config };
    assert!(packet::simulate(&t, &[FlowSpec::new("f", s[0], d[0], ok)], &zero).is_err());
}
