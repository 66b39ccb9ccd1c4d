//! The flow-level model: the max-min examples of `../shared/REFERENCES.md` exactly, and
//! properties over random networks.

use proptest::prelude::*;
use transport::flow::{Demand, FlowModel};
use transport::routing::{Metric, Routing};
use transport::topology::{NodeId, Role, Topology};

use crate::common::link;

/// A chain of one-way links `n0 -> n1 -> ...` with the given capacities.
fn one_way_chain(capacities: &[f64]) -> (Topology, Vec<NodeId>) {
    let mut t = Topology::new();
    let n: Vec<NodeId> = (0..=capacities.len())
        .map(|i| t.add_node(&format!("n{i}"), Role::Core, None).unwrap())
        .collect();
    for (i, &c) in capacities.iter().enumerate() {
        t.add_link(n[i], n[i + 1], link(c, 0.0)).unwrap();
    }
    (t, n)
}

fn allocate(t: &Topology, pairs: &[(NodeId, NodeId)], offered: f64) -> Vec<f64> {
    let demands: Vec<Demand> = pairs
        .iter()
        .enumerate()
        .map(|(i, &(src, dst))| Demand { name: format!("f{i}"), src, dst })
        .collect();
    let routing = Routing::compute(t, Metric::IgpWeight);
    let mut m = FlowModel::new(t, &routing, &demands).unwrap();
    m.allocate(&vec![offered; pairs.len()]).unwrap().delivered_bps.clone()
}

fn assert_rates(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() < 1e-12, "f{i}: {g} instead of {w} (all: {got:?})");
    }
}

#[test]
fn parking_lot() {
    // Two unit links; f0 uses both, f1 the first, f2 the second: (1/2, 1/2, 1/2).
    let (t, n) = one_way_chain(&[1.0, 1.0]);
    let got = allocate(&t, &[(n[0], n[2]), (n[0], n[1]), (n[1], n[2])], 100.0);
    assert_rates(&got, &[0.5, 0.5, 0.5]);
}

#[test]
fn multi_level() {
    // L1 = L2 = L3 = 1, L4 = 1/2; f0 = {L1, L2, L3}, f1 = f2 = {L1}, f3 = {L2}, f4 = {L3, L4}.
    let (t, n) = one_way_chain(&[1.0, 1.0, 1.0, 0.5]);
    let got = allocate(
        &t,
        &[(n[0], n[3]), (n[0], n[1]), (n[0], n[1]), (n[1], n[2]), (n[2], n[4])],
        100.0,
    );
    assert_rates(&got, &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0, 0.5]);
}

#[test]
fn asymmetric() {
    // A = 10 carries a, b, c; B = 4 carries c, d: c = d = 2, a = b = 4.
    let (t, n) = one_way_chain(&[10.0, 4.0]);
    let got = allocate(&t, &[(n[0], n[1]), (n[0], n[1]), (n[0], n[2]), (n[1], n[2])], 100.0);
    assert_rates(&got, &[4.0, 4.0, 2.0, 2.0]);
}

#[test]
fn demands_below_their_fair_share_keep_their_rate() {
    // Parking lot with f1 asking for only 0.2: f0 gets 0.5 (limited by L2), f1 0.2, f2 0.5.
    let (t, n) = one_way_chain(&[1.0, 1.0]);
    let demands: Vec<Demand> = [(n[0], n[2]), (n[0], n[1]), (n[1], n[2])]
        .iter()
        .enumerate()
        .map(|(i, &(src, dst))| Demand { name: format!("f{i}"), src, dst })
        .collect();
    let routing = Routing::compute(&t, Metric::IgpWeight);
    let mut m = FlowModel::new(&t, &routing, &demands).unwrap();
    let a = m.allocate(&[5.0, 0.2, 5.0]).unwrap();
    assert_rates(&a.delivered_bps, &[0.5, 0.2, 0.5]);
    assert_rates(&a.unserved_bps, &[4.5, 0.0, 4.5]);
}

/// A random connected network: a random tree plus extra links, random capacities and weights.
fn network() -> impl Strategy<Value = (Topology, Vec<(usize, usize, f64)>)> {
    (3usize..12)
        .prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec((0usize..1000, 1.0f64..100.0, 1u32..4), n - 1),
                proptest::collection::vec((0usize..n, 0usize..n, 1.0f64..100.0), 0..n),
                proptest::collection::vec((0usize..n, 0usize..n, 0.0f64..80.0), 1..20),
            )
        })
        .prop_map(|(n, tree, extra, demands)| {
            let mut t = Topology::new();
            let ids: Vec<NodeId> =
                (0..n).map(|i| t.add_node(&format!("v{i}"), Role::Core, None).unwrap()).collect();
            for (i, (parent, cap, w)) in tree.into_iter().enumerate() {
                let child = i + 1;
                let p = parent % child;
                let mut l = link(cap, 0.001);
                l.igp_weight = f64::from(w);
                t.add_duplex(ids[p], ids[child], l).unwrap();
            }
            for (a, b, cap) in extra {
                if a != b {
                    t.add_duplex(ids[a], ids[b], link(cap, 0.001)).unwrap();
                }
            }
            let demands = demands.into_iter().filter(|(a, b, _)| a != b).collect();
            (t, demands)
        })
}

fn model(t: &Topology, demands: &[(usize, usize, f64)]) -> (FlowModel, Vec<f64>) {
    let ds: Vec<Demand> = demands
        .iter()
        .enumerate()
        .map(|(i, &(a, b, _))| Demand {
            name: format!("d{i}"),
            src: NodeId(a as u32),
            dst: NodeId(b as u32),
        })
        .collect();
    let routing = Routing::compute(t, Metric::IgpWeight);
    (FlowModel::new(t, &routing, &ds).unwrap(), demands.iter().map(|d| d.2).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No link is allocated above its capacity; no demand gets more than it offers; a demand
    /// that is not fully served crosses a full link on which no demand gets more than it does
    /// (the max-min bottleneck condition: raising it would take from a demand no better off).
    #[test]
    fn never_above_capacity_and_bottlenecked((t, demands) in network()) {
        let (mut m, offered) = model(&t, &demands);
        let a = m.allocate(&offered).unwrap().clone();
        for l in t.link_ids() {
            let cap = t.link(l).unwrap().capacity_bps;
            prop_assert!(a.link_carried_bps[l.0 as usize] <= cap * (1.0 + 1e-9), "link {} carries {} > {}", l.0, a.link_carried_bps[l.0 as usize], cap);
        }
        for k in 0..offered.len() {
            prop_assert!(a.delivered_bps[k] <= offered[k] * (1.0 + 1e-12) + 1e-12);
            prop_assert!(a.delivered_bps[k] >= 0.0);
            if a.unserved_bps[k] > 1e-6 * offered[k].max(1.0) {
                let route = m.route(k);
                let bottleneck = route.iter().any(|(l, _)| {
                    let cap = t.link(*l).unwrap().capacity_bps;
                    let full = a.link_carried_bps[l.0 as usize] >= cap * (1.0 - 1e-6);
                    let best = (0..offered.len())
                        .filter(|&j| m.route(j).iter().any(|(x, _)| x == l))
                        .all(|j| a.delivered_bps[j] <= a.delivered_bps[k] * (1.0 + 1e-9) + 1e-9);
                    full && best
                });
                prop_assert!(bottleneck, "demand {k} is short by {} but has no bottleneck link", a.unserved_bps[k]);
            }
        }
    }

    /// Scaled so that nothing is congested, every demand is delivered in full.
    #[test]
    fn uncongested_is_delivered_in_full((t, demands) in network(), headroom in 0.1f64..0.99) {
        let (mut m, offered) = model(&t, &demands);
        let probe = m.allocate(&offered).unwrap().clone();
        let worst = t.link_ids().iter().map(|l| probe.link_offered_bps[l.0 as usize] / t.link(*l).unwrap().capacity_bps).fold(0.0f64, f64::max);
        prop_assume!(worst > 0.0);
        let scaled: Vec<f64> = offered.iter().map(|r| r * headroom / worst).collect();
        let a = m.allocate(&scaled).unwrap();
        let total_offered: f64 = scaled.iter().sum();
        let total_delivered: f64 = a.delivered_bps.iter().sum();
        prop_assert!((total_offered - total_delivered).abs() <= 1e-9 * total_offered.max(1.0));
        prop_assert!(a.unserved_bps.iter().all(|u| *u == 0.0));
    }
}

/// GÉANT's peak matrix exceeds its 40 Gbit/s links: the allocation is still within every
/// capacity and every short demand has a bottleneck link.
#[test]
fn geant_peak_hour_is_max_min_fair() {
    let net = transport::import::sndlib::load(&crate::common::data_dir().join("sndlib/geant.txt"))
        .unwrap();
    let t = &net.topology;
    let routing = Routing::compute(t, Metric::IgpWeight);
    let mut m = FlowModel::new(t, &routing, &net.demands).unwrap();
    let a = m.allocate(&net.rates_bps).unwrap().clone();
    let mut short = 0;
    for l in t.link_ids() {
        assert!(a.link_carried_bps[l.0 as usize] <= t.link(l).unwrap().capacity_bps * (1.0 + 1e-9));
    }
    for k in 0..net.demands.len() {
        if a.unserved_bps[k] <= 1e-6 * net.rates_bps[k] {
            continue;
        }
        short += 1;
        let ok = m.route(k).iter().any(|(l, _)| {
            let full =
                a.link_carried_bps[l.0 as usize] >= t.link(*l).unwrap().capacity_bps * (1.0 - 1e-6);
            full && (0..net.demands.len())
                .filter(|&j| m.route(j).iter().any(|(x, _)| x == l))
                .all(|j| a.delivered_bps[j] <= a.delivered_bps[k] * (1.0 + 1e-9) + 1e-3)
        });
        assert!(ok, "demand {} has no bottleneck", net.demands[k].name);
    }
    assert!(short > 0, "the peak matrix congests GÉANT");
}

/// Thousands of demands with three-way ECMP splits on Cogentco, heavily congested: the
/// allocation ends (rounding residues of split fractions once made it spin) and stays max-min.
#[test]
fn large_congested_ecmp_matrix_terminates() {
    let opts = transport::import::graphml::GraphmlOptions {
        default_capacity_bps: Some(1e9),
        default_delay_s: Some(1e-3),
    };
    let t = transport::import::graphml::load(
        &crate::common::data_dir().join("topologyzoo/graphml/Cogentco.graphml"),
        &opts,
    )
    .unwrap();
    let routing = Routing::compute(&t, Metric::IgpWeight);
    let mut nodes = t.node_ids();
    nodes.sort_by_key(|n| std::cmp::Reverse(t.out_links(*n).len()));
    nodes.truncate(60);
    let demands: Vec<Demand> = nodes
        .iter()
        .flat_map(|&a| nodes.iter().map(move |&b| (a, b)))
        .filter(|(a, b)| a != b && routing.distance(*a, *b).is_some())
        .map(|(src, dst)| Demand { name: String::new(), src, dst })
        .collect();
    assert!(demands.len() > 3000);
    let mut m = FlowModel::new(&t, &routing, &demands).unwrap();
    let rates: Vec<f64> = (0..demands.len()).map(|k| 1e7 * (1.0 + (k % 7) as f64)).collect();
    let a = m.allocate(&rates).unwrap();
    assert!(a.unserved_bps.iter().any(|u| *u > 0.0));
    for l in t.link_ids() {
        assert!(a.link_carried_bps[l.0 as usize] <= t.link(l).unwrap().capacity_bps * (1.0 + 1e-9));
    }
}
