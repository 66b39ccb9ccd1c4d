//! Transport benchmarks: routing on the largest shared Topology Zoo graphs, one max-min
//! allocation and a year of hourly allocations on SNDlib GÉANT (its peak matrix scaled by the
//! mobile diurnal profile), and the packet simulator end to end (packets per second).
//!
//! ```text
//! cargo bench -p twin-benches --bench transport
//! ```
//!
//! The packet scenarios are those of the ns-3 comparison (`benches/peers/ns3_dumbbell.cc`):
//! Poisson sources of 1030-byte packets (1000 bytes of UDP payload over PPP) at 90 % of a
//! 100 Mbit/s bottleneck with 1 ms of propagation; `single` is one link (M/D/1), `dumbbell`
//! has 10 senders on 1 Gbit/s access links on each side of the bottleneck.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::SimDuration;
use transport::flow::FlowModel;
use transport::import::{graphml, sndlib};
use transport::packet::{
    self, FlowSpec, PacketConfig, PacketSize, QueueConfig, QueueLimit, Traffic,
};
use transport::replay::{ReplayOptions, replay};
use transport::routing::{Metric, Routing};
use transport::topology::{Dumbbell, Link, Role, Topology};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data").join(rel)
}

fn routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing");
    group.sample_size(10);
    let opts =
        graphml::GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(1e-3) };
    for name in ["Kdl", "Cogentco", "Colt"] {
        let path = data(&format!("topologyzoo/graphml/{name}.graphml"));
        let topo = match graphml::load(&path, &opts) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("SKIPPING routing on {name}: {e}");
                continue;
            }
        };
        // One shortest-path tree (with ECMP next hops) per destination.
        group.throughput(Throughput::Elements(topo.n_nodes() as u64));
        group.bench_function(
            format!("{name}_{}nodes_{}links", topo.n_nodes(), topo.n_links()),
            |b| b.iter(|| Routing::compute(black_box(&topo), Metric::Delay)),
        );
    }
    group.finish();
}

fn geant() -> Option<sndlib::SndlibNetwork> {
    match sndlib::load(&data("sndlib/geant.txt")) {
        Ok(n) => Some(n),
        Err(e) => {
            eprintln!("SKIPPING flow benchmarks: {e}");
            None
        }
    }
}

fn maxmin(c: &mut Criterion) {
    let Some(net) = geant() else { return };
    let routing = Routing::compute(&net.topology, Metric::IgpWeight);
    let mut model =
        FlowModel::new(&net.topology, &routing, &net.demands).expect("GÉANT demands route");
    let mut group = c.benchmark_group("maxmin");
    group.throughput(Throughput::Elements(net.demands.len() as u64));
    // The peak matrix congests the network: progressive filling runs in full.
    group.bench_function("geant_peak_462_demands", |b| {
        b.iter(|| model.allocate(black_box(&net.rates_bps)).map(|a| a.delivered_bps[0]))
    });
    // A fifth of it fits: the uncongested fast path.
    let light: Vec<f64> = net.rates_bps.iter().map(|r| r * 0.05).collect();
    group.bench_function("geant_light_462_demands", |b| {
        b.iter(|| model.allocate(black_box(&light)).map(|a| a.delivered_bps[0]))
    });
    group.finish();
}

fn year(c: &mut Criterion) {
    let Some(net) = geant() else { return };
    let mut group = c.benchmark_group("year");
    group.sample_size(10);
    group.throughput(Throughput::Elements(8760));
    let opts = ReplayOptions::default();
    group.bench_function("geant_8760_hours", |b| {
        b.iter(|| {
            replay(&net.topology, &net.demands, &net.rates_bps, &opts, |_| {}).map(|r| r.hours)
        })
    });
    group.finish();
}

fn link(capacity_bps: f64, delay_s: f64) -> Link {
    Link { buffer_bytes: u64::MAX, ..Link::new(capacity_bps, delay_s) }
}

/// The ns-3 comparison's scenarios; returns the topology, flows and the simulated time for
/// `packets` packets.
fn scenario(dumbbell: bool, packets: u64) -> (Topology, Vec<FlowSpec>, SimDuration) {
    let size = 1030u32;
    let lambda = 0.9 * 100e6 / (f64::from(size) * 8.0);
    let mut t = Topology::new();
    let mut flows = Vec::new();
    if dumbbell {
        let d = Dumbbell::new(10, link(100e6, 0.001), link(1e9, 1e-4)).expect("valid dumbbell");
        t = d.topology;
        for (i, (&s, &r)) in d.senders.iter().zip(&d.receivers).enumerate() {
            flows.push(FlowSpec::new(
                &format!("f{i}"),
                s,
                r,
                Traffic::Poisson { rate_pps: lambda / 10.0, size: PacketSize::Fixed(size) },
            ));
        }
    } else {
        let s = t.add_node("sender", Role::CellSite, None).expect("new node");
        let r = t.add_node("receiver", Role::Core, None).expect("new node");
        t.add_duplex(s, r, link(100e6, 0.001)).expect("valid link");
        flows.push(FlowSpec::new(
            "f",
            s,
            r,
            Traffic::Poisson { rate_pps: lambda, size: PacketSize::Fixed(size) },
        ));
    }
    (t, flows, SimDuration::from_secs_f64(packets as f64 / lambda).expect("short run"))
}

fn packets(c: &mut Criterion) {
    let mut group = c.benchmark_group("packet");
    group.sample_size(10);
    let n = 1_000_000u64;
    group.throughput(Throughput::Elements(n));
    for (name, dumbbell) in [("single_link_1M", false), ("dumbbell_10_flows_1M", true)] {
        let (topo, flows, duration) = scenario(dumbbell, n);
        let config = PacketConfig {
            duration,
            default_queue: Some(QueueConfig { limit: QueueLimit::Packets(1000), red: None }),
            ..PacketConfig::default()
        };
        group.bench_function(name, |b| {
            b.iter(|| packet::simulate(black_box(&topo), &flows, &config).map(|r| r.packets))
        });
    }
    group.finish();
}

criterion_group!(benches, routing, maxmin, year, packets);
criterion_main!(benches);
