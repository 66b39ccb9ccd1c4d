//! The flow-level (fluid) model: one interval's demands routed and allocated by max-min fairness.
//!
//! Each demand (bit/s from one node to another) follows its ECMP split (see
//! [`crate::routing::Routing::ecmp_fractions`]): link `l` carries a fixed fraction `a_dl` of
//! demand `d`'s rate. Rates are allocated by progressive filling (Bertsekas & Gallager §6.5.2),
//! generalised to split demands: all rates rise together from zero; a demand stops at its offered
//! rate, or when a link it uses fills up, whichever comes first; the rest keep rising. The result is
//! max-min fair, never loads a link beyond its capacity, and gives every demand its full rate when
//! nothing is congested (a fast path checks that first).
//!
//! Per link the model reports the carried load, utilisation and a delay estimate: propagation plus
//! the sojourn of an M/M/1 queue (Poisson packets, exponential sizes of mean
//! [`FlowModel::mean_packet_bytes`], 1 000 bytes by default) at that utilisation, capped at the time
//! to drain the link's full buffer (a queue cannot hold more). Per demand it reports delivered and
//! unserved rate and the delay along its paths (weighted by the split).
//!
//! The model is built once per topology state (routing and splits precomputed) and then allocates
//! any number of intervals, reusing its buffers: a year of hourly intervals on GÉANT with its
//! peak matrix (congested every hour) takes about 0.3 s.

use crate::error::TrafficError;
use crate::routing::Routing;
use crate::topology::{LinkId, NodeId, Topology};

/// A traffic demand between two nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Name (for reports).
    pub name: String,
    /// Origin.
    pub src: NodeId,
    /// Destination.
    pub dst: NodeId,
}

/// The outcome of one interval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allocation {
    /// Rate delivered to each demand, bit/s.
    pub delivered_bps: Vec<f64>,
    /// Offered minus delivered, bit/s.
    pub unserved_bps: Vec<f64>,
    /// Whether each demand has a path at all.
    pub routable: Vec<bool>,
    /// Delay along each demand's paths (split-weighted), seconds; NaN for unroutable demands.
    pub demand_delay_s: Vec<f64>,
    /// Load offered to each link (at the demands' full rates), bit/s, indexed by link index.
    pub link_offered_bps: Vec<f64>,
    /// Load carried by each link, bit/s.
    pub link_carried_bps: Vec<f64>,
    /// Carried load over capacity (0 for down links).
    pub link_utilisation: Vec<f64>,
    /// Propagation plus queueing delay estimate, seconds.
    pub link_delay_s: Vec<f64>,
}

/// A demand's route: (link index, fraction) pairs.
type Route = Vec<(u32, f64)>;

/// Demands routed on one topology state, ready to allocate intervals.
#[derive(Debug, Clone)]
pub struct FlowModel {
    /// Mean packet size for the delay estimate, bytes.
    pub mean_packet_bytes: f64,
    routes: Vec<Option<Route>>,
    capacity: Vec<f64>,
    propagation: Vec<f64>,
    buffer_bytes: Vec<f64>,
    /// Demands using each link, with their fractions.
    users: Vec<Vec<(u32, f64)>>,
    scratch: Scratch,
    alloc: Allocation,
}

#[derive(Debug, Clone, Default)]
struct Scratch {
    /// Load of frozen demands on each link.
    frozen_load: Vec<f64>,
    /// Sum of the fractions of rising demands on each link.
    active_share: Vec<f64>,
    /// Number of rising demands on each link (the share alone can keep a rounding residue).
    rising: Vec<u32>,
    frozen: Vec<bool>,
    order: Vec<u32>,
    /// Links that still carry rising demands.
    live: Vec<u32>,
}

impl FlowModel {
    /// Routes `demands` on the usable part of `topo` with `routing`.
    pub fn new(
        topo: &Topology,
        routing: &Routing,
        demands: &[Demand],
    ) -> Result<FlowModel, TrafficError> {
        let n_links = topo.link_bound();
        let mut capacity = vec![0.0; n_links];
        let mut propagation = vec![0.0; n_links];
        let mut buffer_bytes = vec![0.0; n_links];
        for l in topo.link_ids() {
            if let Ok(link) = topo.link(l) {
                let i = l.0 as usize;
                capacity[i] = if topo.is_usable(l) { link.capacity_bps } else { 0.0 };
                propagation[i] = link.delay_s;
                buffer_bytes[i] = link.buffer_bytes as f64;
            }
        }
        let mut routes = Vec::with_capacity(demands.len());
        let mut users: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n_links];
        for (k, d) in demands.iter().enumerate() {
            for node in [d.src, d.dst] {
                if topo.node(node).is_err() {
                    return Err(TrafficError::UnknownNode {
                        demand: d.name.clone(),
                        node: format!("#{}", node.0),
                    });
                }
            }
            if d.src == d.dst {
                let node = topo.node(d.src).map(|n| n.name.clone()).unwrap_or_default();
                return Err(TrafficError::SelfDemand { demand: d.name.clone(), node });
            }
            let route: Option<Route> = routing
                .ecmp_fractions(d.src, d.dst)
                .map(|f| f.into_iter().map(|(l, a)| (l.0, a)).collect());
            if let Some(r) = &route {
                for &(l, a) in r {
                    users[l as usize].push((k as u32, a));
                }
            }
            routes.push(route);
        }
        Ok(FlowModel {
            mean_packet_bytes: 1000.0,
            routes,
            capacity,
            propagation,
            buffer_bytes,
            users,
            scratch: Scratch::default(),
            alloc: Allocation::default(),
        })
    }

    /// The number of demands.
    pub fn n_demands(&self) -> usize {
        self.routes.len()
    }

    /// The links of demand `k`'s route with their fractions (empty if unroutable).
    pub fn route(&self, k: usize) -> Vec<(LinkId, f64)> {
        self.routes
            .get(k)
            .and_then(|r| r.as_ref())
            .map_or_else(Vec::new, |r| r.iter().map(|&(l, a)| (LinkId(l), a)).collect())
    }

    /// Allocates one interval with the given offered rates (bit/s, one per demand).
    pub fn allocate(&mut self, offered_bps: &[f64]) -> Result<&Allocation, TrafficError> {
        let n = self.routes.len();
        if offered_bps.len() != n {
            return Err(TrafficError::RateCount { expected: n, got: offered_bps.len() });
        }
        if let Some((k, &r)) =
            offered_bps.iter().enumerate().find(|(_, r)| !(r.is_finite() && **r >= 0.0))
        {
            return Err(TrafficError::BadRate { demand: format!("#{k}"), rate_bps: r });
        }
        let n_links = self.capacity.len();
        let a = &mut self.alloc;
        a.delivered_bps.clear();
        a.delivered_bps.resize(n, 0.0);
        a.unserved_bps.clear();
        a.routable.clear();
        a.routable.extend(self.routes.iter().map(Option::is_some));
        a.link_offered_bps.clear();
        a.link_offered_bps.resize(n_links, 0.0);
        for (k, route) in self.routes.iter().enumerate() {
            if let Some(route) = route {
                for &(l, f) in route {
                    a.link_offered_bps[l as usize] += offered_bps[k] * f;
                }
            }
        }
        let congested = a
            .link_offered_bps
            .iter()
            .zip(&self.capacity)
            .any(|(&load, &cap)| load > cap * (1.0 + 1e-12) && load > 0.0);
        if !congested {
            // Everything fits: every routable demand gets its offered rate.
            for ((d, &routable), &o) in a.delivered_bps.iter_mut().zip(&a.routable).zip(offered_bps)
            {
                *d = if routable { o } else { 0.0 };
            }
        } else {
            progressive_filling(
                &self.routes,
                &self.users,
                &self.capacity,
                offered_bps,
                &mut self.scratch,
                &mut a.delivered_bps,
            );
        }
        a.unserved_bps
            .extend(offered_bps.iter().zip(&a.delivered_bps).map(|(o, d)| (o - d).max(0.0)));
        a.link_carried_bps.clear();
        a.link_carried_bps.resize(n_links, 0.0);
        for (k, route) in self.routes.iter().enumerate() {
            if let Some(route) = route {
                for &(l, f) in route {
                    a.link_carried_bps[l as usize] += a.delivered_bps[k] * f;
                }
            }
        }
        let bits = self.mean_packet_bytes * 8.0;
        a.link_utilisation.clear();
        a.link_delay_s.clear();
        for l in 0..n_links {
            let cap = self.capacity[l];
            let u = if cap > 0.0 { (a.link_carried_bps[l] / cap).min(1.0) } else { 0.0 };
            a.link_utilisation.push(u);
            let delay = if cap > 0.0 {
                // M/M/1 sojourn 1/(μ − λ) with μ = C/bits, capped at a full buffer's drain plus
                // one packet's serialisation.
                let mu = cap / bits;
                let lambda = a.link_carried_bps[l] / bits;
                let cap_s = self.buffer_bytes[l] * 8.0 / cap + bits / cap;
                let mm1 = if lambda < mu { 1.0 / (mu - lambda) } else { f64::INFINITY };
                self.propagation[l] + mm1.min(cap_s)
            } else {
                f64::NAN
            };
            a.link_delay_s.push(delay);
        }
        a.demand_delay_s.clear();
        for route in &self.routes {
            a.demand_delay_s.push(match route {
                Some(r) => r.iter().map(|&(l, f)| f * a.link_delay_s[l as usize]).sum(),
                None => f64::NAN,
            });
        }
        Ok(&self.alloc)
    }
}

/// The smallest fraction sum a link with rising demands is taken to have (ECMP fractions are at
/// least 1/paths; this only guards against rounding).
const NO_SHARE: f64 = 1e-12;

/// Max-min fair rates by progressive filling with demand caps and split routes.
///
/// The common level rises through a sequence of events: demands reaching their offered rates, or
/// a link filling up. A link with frozen load `F` and rising fraction sum `A` fills at level
/// `(C − F) / A`. Stopping a demand at its offered rate `r`, which is at most every fill level
/// of its links, never lowers a fill level (`(C − F − r·f)/(A − f) ≥ (C − F)/A` exactly when
/// `r ≤ (C − F)/A`), so every demand whose rate is below the lowest fill level can stop in one
/// batch; then the lowest fill level is found again. An interval costs O(route entries + links ·
/// link fills) instead of a scan of every link for every demand.
fn progressive_filling(
    routes: &[Option<Route>],
    users: &[Vec<(u32, f64)>],
    capacity: &[f64],
    offered: &[f64],
    s: &mut Scratch,
    rates: &mut [f64],
) {
    let n = routes.len();
    let n_links = capacity.len();
    s.frozen_load.clear();
    s.frozen_load.resize(n_links, 0.0);
    s.active_share.clear();
    s.active_share.resize(n_links, 0.0);
    s.rising.clear();
    s.rising.resize(n_links, 0);
    s.frozen.clear();
    s.frozen.resize(n, false);
    let mut active = 0usize;
    for (k, route) in routes.iter().enumerate() {
        match route {
            Some(r) if offered[k] > 0.0 => {
                for &(l, f) in r {
                    s.active_share[l as usize] += f;
                    s.rising[l as usize] += 1;
                }
                active += 1;
            }
            _ => {
                s.frozen[k] = true;
                rates[k] = 0.0;
            }
        }
    }
    s.live.clear();
    s.live.extend((0..n_links as u32).filter(|&l| s.rising[l as usize] > 0));
    // Demands by offered rate: those below a level are a prefix.
    s.order.clear();
    s.order.extend((0..n as u32).filter(|&k| !s.frozen[k as usize]));
    s.order.sort_by(|&x, &y| offered[x as usize].total_cmp(&offered[y as usize]).then(x.cmp(&y)));
    let freeze = |k: usize, rate: f64, s: &mut Scratch, rates: &mut [f64]| {
        if s.frozen[k] {
            return false;
        }
        s.frozen[k] = true;
        rates[k] = rate;
        if let Some(r) = &routes[k] {
            for &(l, f) in r {
                let l = l as usize;
                s.rising[l] -= 1;
                s.active_share[l] = if s.rising[l] == 0 { 0.0 } else { s.active_share[l] - f };
                s.frozen_load[l] += rate * f;
            }
        }
        true
    };
    let mut next_cap = 0usize;
    let mut level = 0.0f64;
    while active > 0 {
        // The lowest fill level among links with rising demands.
        let mut lowest = f64::INFINITY;
        let mut which = None;
        for &l in &s.live {
            let l = l as usize;
            let fill = (capacity[l] - s.frozen_load[l]) / s.active_share[l].max(NO_SHARE);
            if fill < lowest {
                lowest = fill;
                which = Some(l);
            }
        }
        // Demands that reach their rate first stop there.
        let mut capped = false;
        while next_cap < s.order.len() {
            let k = s.order[next_cap] as usize;
            if !s.frozen[k] {
                if offered[k] > lowest {
                    break;
                }
                level = level.max(offered[k]);
                if freeze(k, offered[k], s, rates) {
                    active -= 1;
                }
                capped = true;
            }
            next_cap += 1;
        }
        if !capped {
            // Otherwise the link with the lowest fill level fills up.
            let Some(l) = which else { break };
            level = level.max(lowest);
            for &(k, _) in &users[l] {
                if freeze(k as usize, level, s, rates) {
                    active -= 1;
                }
            }
        }
        // A link leaves the live set when no rising demand crosses it (every pass freezes at
        // least one demand or empties a link, so the loop ends).
        let (rising, live) = (&s.rising, &mut s.live);
        live.retain(|&l| rising[l as usize] > 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::Metric;
    use crate::topology::{Link, Role};

    fn link(cap: f64) -> Link {
        Link {
            name: String::new(),
            capacity_bps: cap,
            delay_s: 0.001,
            buffer_bytes: 125_000,
            igp_weight: 1.0,
            up: true,
        }
    }

    #[test]
    fn uncongested_demands_are_delivered_in_full() {
        let mut t = Topology::new();
        let [a, b, c] = ["a", "b", "c"].map(|x| t.add_node(x, Role::Core, None).unwrap());
        t.add_duplex(a, b, link(10e6)).unwrap();
        t.add_duplex(b, c, link(10e6)).unwrap();
        let r = Routing::compute(&t, Metric::IgpWeight);
        let d = [
            Demand { name: "ac".into(), src: a, dst: c },
            Demand { name: "ba".into(), src: b, dst: a },
        ];
        let mut m = FlowModel::new(&t, &r, &d).unwrap();
        let alloc = m.allocate(&[4e6, 3e6]).unwrap();
        assert_eq!(alloc.delivered_bps, vec![4e6, 3e6]);
        assert_eq!(alloc.unserved_bps, vec![0.0, 0.0]);
        let ab = t.find_link(a, b).unwrap();
        assert!((alloc.link_utilisation[ab.0 as usize] - 0.4).abs() < 1e-12);
        // M/M/1 at ρ = 0.4 with 1000-byte packets: 0.8 ms / 0.6 plus 1 ms propagation.
        assert!((alloc.link_delay_s[ab.0 as usize] - (0.001 + 0.0008 / 0.6)).abs() < 1e-12);
        assert!(m.allocate(&[1.0]).is_err());
        assert!(m.allocate(&[f64::NAN, 0.0]).is_err());
    }

    #[test]
    fn unroutable_demands_are_reported() {
        let mut t = Topology::new();
        let [a, b, c] = ["a", "b", "c"].map(|x| t.add_node(x, Role::Core, None).unwrap());
        t.add_duplex(a, b, link(10e6)).unwrap();
        let r = Routing::compute(&t, Metric::IgpWeight);
        let mut m =
            FlowModel::new(&t, &r, &[Demand { name: "ac".into(), src: a, dst: c }]).unwrap();
        let alloc = m.allocate(&[5e6]).unwrap();
        assert_eq!(alloc.routable, vec![false]);
        assert_eq!(alloc.delivered_bps, vec![0.0]);
        assert_eq!(alloc.unserved_bps, vec![5e6]);
        assert!(alloc.demand_delay_s[0].is_nan());
        assert!(FlowModel::new(&t, &r, &[Demand { name: "aa".into(), src: a, dst: a }]).is_err());
    }
}
