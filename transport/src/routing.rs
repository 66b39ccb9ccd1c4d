//! Shortest-path routing with equal-cost multipath, on the links and nodes that are up.
//!
//! For every destination, Dijkstra on the reversed graph gives each node its distance to the
//! destination and its equal-cost next hops: the outgoing links on a shortest path (costs equal
//! within a relative 1e-9). Traffic then follows those next hops:
//!
//! * the flow-level model splits a demand equally among a node's next hops at every node (the
//!   fluid limit of hashing many flows), see [`Routing::ecmp_fractions`];
//! * the packet-level model pins each flow to one path by hashing its identifier at every node,
//!   see [`Routing::flow_path`], so packets of a flow are never reordered.
//!
//! Weights are IGP metrics or propagation delays ([`Metric`]). Routing is recomputed after a
//! failure or repair; a demand with no path left is reported as unroutable, never dropped silently.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::topology::{LinkId, NodeId, Topology};

/// What shortest means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// The links' IGP weights.
    IgpWeight,
    /// The links' propagation delays (a tiny constant per hop breaks ties towards fewer hops and
    /// keeps zero-delay links routable).
    Delay,
}

/// Next hops towards one destination, for every node, in compressed form.
#[derive(Debug, Clone, PartialEq)]
struct Table {
    /// Distance of every node to the destination (∞ if it cannot reach it).
    dist: Vec<f64>,
    /// `hops[start[u]..start[u + 1]]` are node `u`'s next hops.
    start: Vec<u32>,
    hops: Vec<(LinkId, NodeId)>,
}

/// Routing tables for every destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Routing {
    metric: Metric,
    tables: Vec<Option<Table>>,
}

#[derive(PartialEq)]
struct Item(f64, u32);

impl Eq for Item {}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        // Smallest distance first; ties by node index, for determinism.
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

fn weight(topo: &Topology, link: LinkId, metric: Metric) -> f64 {
    let l = topo.link(link).map_or(f64::INFINITY, |l| match metric {
        Metric::IgpWeight => l.igp_weight,
        Metric::Delay => l.delay_s + 1e-9,
    });
    if l.is_finite() { l } else { f64::INFINITY }
}

fn equal(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

impl Routing {
    /// Computes the tables on the usable part of `topo`.
    pub fn compute(topo: &Topology, metric: Metric) -> Routing {
        let n = topo.node_bound();
        // Incoming usable links of every node, and outgoing ones, with weights.
        let mut incoming: Vec<Vec<(LinkId, u32, f64)>> = vec![Vec::new(); n];
        let mut outgoing: Vec<Vec<(LinkId, u32, f64)>> = vec![Vec::new(); n];
        for l in topo.link_ids() {
            if !topo.is_usable(l) {
                continue;
            }
            let Ok((a, b)) = topo.endpoints(l) else { continue };
            let w = weight(topo, l, metric);
            incoming[b.0 as usize].push((l, a.0, w));
            outgoing[a.0 as usize].push((l, b.0, w));
        }
        let up: Vec<bool> =
            (0..n as u32).map(|i| topo.node(NodeId(i)).is_ok_and(|x| x.up)).collect();
        let tables = (0..n)
            .map(|d| {
                if !up[d] {
                    return None;
                }
                let mut dist = vec![f64::INFINITY; n];
                dist[d] = 0.0;
                let mut heap = BinaryHeap::new();
                heap.push(Item(0.0, d as u32));
                while let Some(Item(du, u)) = heap.pop() {
                    if du > dist[u as usize] {
                        continue;
                    }
                    for &(_, from, w) in &incoming[u as usize] {
                        let nd = du + w;
                        if nd < dist[from as usize] {
                            dist[from as usize] = nd;
                            heap.push(Item(nd, from));
                        }
                    }
                }
                let mut start = Vec::with_capacity(n + 1);
                let mut hops = Vec::new();
                for u in 0..n {
                    start.push(hops.len() as u32);
                    if u == d || !dist[u].is_finite() {
                        continue;
                    }
                    for &(l, v, w) in &outgoing[u] {
                        // Strictly closer as well as equal cost: the tolerance must never let two
                        // nodes be each other's next hop (a loop).
                        let dv = dist[v as usize];
                        if dv.is_finite() && dv < dist[u] && equal(dist[u], w + dv) {
                            hops.push((l, NodeId(v)));
                        }
                    }
                }
                start.push(hops.len() as u32);
                Some(Table { dist, start, hops })
            })
            .collect();
        Routing { metric, tables }
    }

    /// The metric the tables were computed with.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    fn table(&self, to: NodeId) -> Option<&Table> {
        self.tables.get(to.0 as usize).and_then(|t| t.as_ref())
    }

    /// The shortest distance from `from` to `to`, if `to` is reachable.
    pub fn distance(&self, from: NodeId, to: NodeId) -> Option<f64> {
        self.table(to).and_then(|t| t.dist.get(from.0 as usize).copied()).filter(|d| d.is_finite())
    }

    /// The equal-cost next hops at `at` towards `to`, in link order.
    pub fn next_hops(&self, at: NodeId, to: NodeId) -> &[(LinkId, NodeId)] {
        match self.table(to) {
            Some(t) if (at.0 as usize) + 1 < t.start.len() => {
                &t.hops[t.start[at.0 as usize] as usize..t.start[at.0 as usize + 1] as usize]
            }
            _ => &[],
        }
    }

    /// The fraction of a demand from `from` to `to` that each link carries when every node splits
    /// it equally among its next hops; `None` if `to` cannot be reached. Sorted by link.
    pub fn ecmp_fractions(&self, from: NodeId, to: NodeId) -> Option<Vec<(LinkId, f64)>> {
        let t = self.table(to)?;
        if from == to || !t.dist.get(from.0 as usize).is_some_and(|d| d.is_finite()) {
            return None;
        }
        // Nodes reachable from `from` along next hops, in decreasing distance: a topological order.
        let mut reach = vec![from.0];
        let mut seen = vec![false; t.dist.len()];
        seen[from.0 as usize] = true;
        let mut i = 0;
        while i < reach.len() {
            let u = reach[i];
            for &(_, v) in self.next_hops(NodeId(u), to) {
                if !seen[v.0 as usize] {
                    seen[v.0 as usize] = true;
                    reach.push(v.0);
                }
            }
            i += 1;
        }
        reach.sort_by(|a, b| t.dist[*b as usize].total_cmp(&t.dist[*a as usize]).then(a.cmp(b)));
        let mut share = vec![0.0; t.dist.len()];
        share[from.0 as usize] = 1.0;
        let mut out: Vec<(LinkId, f64)> = Vec::new();
        for u in reach {
            let hops = self.next_hops(NodeId(u), to);
            if hops.is_empty() || share[u as usize] == 0.0 {
                continue;
            }
            let part = share[u as usize] / hops.len() as f64;
            for &(l, v) in hops {
                share[v.0 as usize] += part;
                out.push((l, part));
            }
        }
        out.sort_by_key(|x| x.0);
        Some(out)
    }

    /// The single path a flow with identifier `flow` takes from `from` to `to`: at every node the
    /// next hop is chosen by hashing the flow and the node, so all packets of a flow follow it.
    pub fn flow_path(&self, from: NodeId, to: NodeId, flow: u64) -> Option<Vec<LinkId>> {
        self.distance(from, to)?;
        let mut path = Vec::new();
        let mut at = from;
        while at != to {
            let hops = self.next_hops(at, to);
            if hops.is_empty() {
                return None;
            }
            let (l, v) = hops[(mix(flow ^ (u64::from(at.0) << 32)) % hops.len() as u64) as usize];
            path.push(l);
            at = v;
        }
        Some(path)
    }
}

/// Nodes reachable from `from` over links in service, by index (true for `from` itself).
pub fn reachable(topo: &Topology, from: NodeId) -> Vec<bool> {
    let mut seen = vec![false; topo.node_bound()];
    if topo.node(from).is_err() {
        return seen;
    }
    seen[from.0 as usize] = true;
    let mut stack = vec![from];
    while let Some(u) = stack.pop() {
        for (l, v) in topo.out_links(u) {
            if topo.is_usable(l) && !seen[v.0 as usize] {
                seen[v.0 as usize] = true;
                stack.push(v);
            }
        }
    }
    seen
}

/// The first of the (origin, destination) `pairs` whose destination cannot be reached from its
/// origin over the links in service, by its index in `pairs`.
pub(crate) fn first_disconnected(
    topo: &Topology,
    pairs: impl IntoIterator<Item = (NodeId, NodeId)>,
) -> Option<usize> {
    let mut cache: std::collections::HashMap<NodeId, Vec<bool>> = std::collections::HashMap::new();
    pairs.into_iter().position(|(src, dst)| {
        let r = cache.entry(src).or_insert_with(|| reachable(topo, src));
        !r.get(dst.0 as usize).copied().unwrap_or(false)
    })
}

/// SplitMix64's finaliser: a cheap, well-mixing hash of an integer.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{Link, Role};

    fn link(w: f64) -> Link {
        Link {
            name: String::new(),
            capacity_bps: 1e9,
            delay_s: 0.001,
            buffer_bytes: 100_000,
            igp_weight: w,
            up: true,
        }
    }

    /// A square a-b-d and a-c-d with equal weights, plus a long direct a-d.
    fn square() -> (Topology, [NodeId; 4]) {
        let mut t = Topology::new();
        let n = ["a", "b", "c", "d"].map(|x| t.add_node(x, Role::Core, None).unwrap());
        t.add_duplex(n[0], n[1], link(1.0)).unwrap();
        t.add_duplex(n[1], n[3], link(1.0)).unwrap();
        t.add_duplex(n[0], n[2], link(1.0)).unwrap();
        t.add_duplex(n[2], n[3], link(1.0)).unwrap();
        t.add_duplex(n[0], n[3], link(5.0)).unwrap();
        (t, n)
    }

    #[test]
    fn ecmp_splits_equally_and_fails_over() {
        let (mut t, [a, b, c, d]) = square();
        let r = Routing::compute(&t, Metric::IgpWeight);
        assert_eq!(r.distance(a, d), Some(2.0));
        assert_eq!(r.next_hops(a, d).len(), 2);
        let f = r.ecmp_fractions(a, d).unwrap();
        assert_eq!(f.len(), 4);
        assert!(f.iter().all(|x| (x.1 - 0.5).abs() < 1e-12));
        // Per-flow hashing uses both paths across flows, one path per flow.
        let paths: std::collections::BTreeSet<Vec<LinkId>> =
            (0..64).map(|k| r.flow_path(a, d, k).unwrap()).collect();
        assert_eq!(paths.len(), 2);
        // Fail b: everything goes via c.
        t.fail_node(b).unwrap();
        let r = Routing::compute(&t, Metric::IgpWeight);
        let f = r.ecmp_fractions(a, d).unwrap();
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|x| (x.1 - 1.0).abs() < 1e-12));
        // Fail c too: the long direct link.
        t.fail_node(c).unwrap();
        let r = Routing::compute(&t, Metric::IgpWeight);
        assert_eq!(r.distance(a, d), Some(5.0));
        // Fail it: unreachable, reported as such.
        let direct = t.find_link(a, d).unwrap();
        t.fail_link(direct).unwrap();
        let r = Routing::compute(&t, Metric::IgpWeight);
        assert_eq!(r.distance(a, d), None);
        assert!(r.ecmp_fractions(a, d).is_none());
        assert!(r.flow_path(a, d, 1).is_none());
    }

    #[test]
    fn near_equal_costs_never_make_a_loop() {
        // x and y are both 1000 from d, and 1e-7 from each other: within the equal-cost
        // tolerance, but neither is closer, so neither is the other's next hop.
        let mut t = Topology::new();
        let [x, y, d] = ["x", "y", "d"].map(|n| t.add_node(n, Role::Core, None).unwrap());
        t.add_duplex(x, d, link(1000.0)).unwrap();
        t.add_duplex(y, d, link(1000.0)).unwrap();
        t.add_duplex(x, y, link(1e-7)).unwrap();
        let r = Routing::compute(&t, Metric::IgpWeight);
        assert_eq!(r.next_hops(x, d).len(), 1);
        assert_eq!(r.flow_path(x, d, 7).unwrap().len(), 1);
        let f = r.ecmp_fractions(x, d).unwrap();
        assert_eq!(f.len(), 1);
        assert!((f[0].1 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn delay_metric_prefers_short_links() {
        let mut t = Topology::new();
        let n = ["a", "b", "c"].map(|x| t.add_node(x, Role::Core, None).unwrap());
        t.add_duplex(n[0], n[2], Link { delay_s: 0.010, ..link(1.0) }).unwrap();
        t.add_duplex(n[0], n[1], Link { delay_s: 0.002, ..link(1.0) }).unwrap();
        t.add_duplex(n[1], n[2], Link { delay_s: 0.002, ..link(1.0) }).unwrap();
        assert_eq!(
            Routing::compute(&t, Metric::IgpWeight).flow_path(n[0], n[2], 0).unwrap().len(),
            1
        );
        assert_eq!(Routing::compute(&t, Metric::Delay).flow_path(n[0], n[2], 0).unwrap().len(), 2);
    }
}
