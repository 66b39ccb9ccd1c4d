//! The transport topology: nodes with roles and positions, directed links with capacity, delay,
//! buffer, IGP weight and state, on a petgraph graph whose indices survive removals.
//!
//! Links are directed: a physical duplex link is two [`Link`]s, one per direction, with their own
//! capacity and state (the importers create both). Failing a node takes it and all its links out
//! of routing without removing anything, so that restoring it restores everything as it was.

use std::collections::HashMap;

use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences, NodeIndexable};

use crate::error::TopologyError;

/// The speed of light in fibre used for propagation delay from length, m/s (2/3 of c).
pub const FIBRE_SPEED_M_PER_S: f64 = 2.0e8;

/// A node's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// A link's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

/// What a node does in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A cell-site router.
    CellSite,
    /// An aggregation (pre-aggregation, metro) router.
    Aggregation,
    /// A core router.
    Core,
    /// An interconnect or peering point.
    Interconnect,
    /// Anything else (imported research topologies).
    Other,
}

impl Role {
    /// Parses a role name (`cell_site`, `aggregation`, `core`, `interconnect`, `other`, or the
    /// short forms `site`, `agg`, `peering`).
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "cell_site" | "cellsite" | "site" | "csr" => Role::CellSite,
            "aggregation" | "agg" => Role::Aggregation,
            "core" => Role::Core,
            "interconnect" | "peering" | "ix" => Role::Interconnect,
            "other" | "" => Role::Other,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Role::CellSite => "cell_site",
            Role::Aggregation => "aggregation",
            Role::Core => "core",
            Role::Interconnect => "interconnect",
            Role::Other => "other",
        }
    }
}

/// Where a node is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Position {
    /// WGS84 degrees.
    Geo {
        /// Latitude, degrees.
        lat_deg: f64,
        /// Longitude, degrees.
        lon_deg: f64,
    },
    /// Local metres.
    Local {
        /// East, metres.
        x_m: f64,
        /// North, metres.
        y_m: f64,
    },
}

impl Position {
    /// The distance to `other` in metres: the geodesic on the WGS84 ellipsoid between
    /// geographic positions (sim-core's Earth model), straight line between local ones; `None`
    /// for a mix, or for a latitude or longitude out of range.
    pub fn distance_m(&self, other: &Position) -> Option<f64> {
        match (self, other) {
            (
                Position::Geo { lat_deg: a, lon_deg: b },
                Position::Geo { lat_deg: c, lon_deg: d },
            ) => {
                let p = sim_core::geo::GeoPoint::new(*a, *b, 0.0).ok()?;
                let q = sim_core::geo::GeoPoint::new(*c, *d, 0.0).ok()?;
                Some(sim_core::geo::geodesic_distance_m(&p, &q))
            }
            (Position::Local { x_m: a, y_m: b }, Position::Local { x_m: c, y_m: d }) => {
                Some((c - a).hypot(d - b))
            }
            _ => None,
        }
    }
}

/// A router.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Position, if known.
    pub position: Option<Position>,
    /// False while failed.
    pub up: bool,
}

/// A directed link.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Name (unique within the topology; importers make `a->b`).
    pub name: String,
    /// Capacity, bit/s.
    pub capacity_bps: f64,
    /// Propagation delay, seconds.
    pub delay_s: f64,
    /// Output buffer, bytes.
    pub buffer_bytes: u64,
    /// IGP metric.
    pub igp_weight: f64,
    /// False while failed.
    pub up: bool,
}

impl Link {
    /// An unnamed link in service with the given capacity and delay, the default buffer and IGP
    /// weight 1 ([`Topology::add_duplex`] names it).
    pub fn new(capacity_bps: f64, delay_s: f64) -> Link {
        Link {
            name: String::new(),
            capacity_bps,
            delay_s,
            buffer_bytes: default_buffer_bytes(capacity_bps),
            igp_weight: 1.0,
            up: true,
        }
    }
}

/// The dumbbell of packet-network studies: `n` senders `s0..` on access links into router
/// `left`, a bottleneck `left`–`right`, and `n` receivers `d0..` on access links behind `right`
/// (all links duplex).
#[derive(Debug, Clone)]
pub struct Dumbbell {
    /// The network.
    pub topology: Topology,
    /// The router before the bottleneck.
    pub left: NodeId,
    /// The router after it.
    pub right: NodeId,
    /// Sender `i` is `senders[i]`.
    pub senders: Vec<NodeId>,
    /// Receiver `i` is `receivers[i]`.
    pub receivers: Vec<NodeId>,
}

impl Dumbbell {
    /// Builds a dumbbell with `n` pairs, the `bottleneck` link and `access` links.
    pub fn new(n: usize, bottleneck: Link, access: Link) -> Result<Dumbbell, TopologyError> {
        let mut t = Topology::new();
        let left = t.add_node("left", Role::Aggregation, None)?;
        let right = t.add_node("right", Role::Aggregation, None)?;
        t.add_duplex(left, right, bottleneck)?;
        let (mut senders, mut receivers) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let s = t.add_node(&format!("s{i}"), Role::CellSite, None)?;
            let d = t.add_node(&format!("d{i}"), Role::Core, None)?;
            t.add_duplex(s, left, access.clone())?;
            t.add_duplex(right, d, access.clone())?;
            senders.push(s);
            receivers.push(d);
        }
        Ok(Dumbbell { topology: t, left, right, senders, receivers })
    }
}

/// Default output buffer when a source gives none: 100 ms at the link's rate, at least 64 kB.
pub fn default_buffer_bytes(capacity_bps: f64) -> u64 {
    ((capacity_bps * 0.1 / 8.0) as u64).max(64 * 1024)
}

/// A transport topology.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    graph: StableDiGraph<Node, Link>,
    by_name: HashMap<String, NodeIndex>,
    /// Remarks from import (links skipped, defaults applied).
    pub notes: Vec<String>,
}

impl Topology {
    /// An empty topology.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a node; names must be unique.
    pub fn add_node(
        &mut self,
        name: &str,
        role: Role,
        position: Option<Position>,
    ) -> Result<NodeId, TopologyError> {
        if self.by_name.contains_key(name) {
            return Err(TopologyError::DuplicateNode(name.to_string()));
        }
        if let Some(p) = position {
            let ok = match p {
                Position::Geo { lat_deg, lon_deg } => {
                    (-90.0..=90.0).contains(&lat_deg) && (-180.0..=180.0).contains(&lon_deg)
                }
                Position::Local { x_m, y_m } => x_m.is_finite() && y_m.is_finite(),
            };
            if !ok {
                return Err(TopologyError::Invalid(format!(
                    "node \"{name}\": position {p:?} is not valid"
                )));
            }
        }
        let idx = self.graph.add_node(Node { name: name.to_string(), role, position, up: true });
        self.by_name.insert(name.to_string(), idx);
        Ok(NodeId(idx.index() as u32))
    }

    /// Adds a directed link after checking its parameters.
    pub fn add_link(
        &mut self,
        from: NodeId,
        to: NodeId,
        link: Link,
    ) -> Result<LinkId, TopologyError> {
        let bad = |reason: String| TopologyError::BadLink { link: link.name.clone(), reason };
        if !(link.capacity_bps.is_finite() && link.capacity_bps > 0.0) {
            return Err(TopologyError::BadCapacity {
                link: link.name,
                capacity_bps: link.capacity_bps,
            });
        }
        if !(link.delay_s.is_finite() && link.delay_s >= 0.0) {
            return Err(bad(format!("delay {} s must be finite and >= 0", link.delay_s)));
        }
        if link.buffer_bytes == 0 {
            return Err(bad("the buffer must hold at least one byte".into()));
        }
        if !(link.igp_weight.is_finite() && link.igp_weight > 0.0) {
            return Err(bad(format!("IGP weight {} must be finite and > 0", link.igp_weight)));
        }
        if from == to {
            return Err(bad("a link must join two different nodes".into()));
        }
        let (a, b) = (self.node_index(from)?, self.node_index(to)?);
        let e = self.graph.add_edge(a, b, link);
        Ok(LinkId(e.index() as u32))
    }

    /// Adds a link in each direction with the same parameters (names `a->b` and `b->a`).
    pub fn add_duplex(
        &mut self,
        a: NodeId,
        b: NodeId,
        link: Link,
    ) -> Result<(LinkId, LinkId), TopologyError> {
        let (na, nb) = (self.node(a)?.name.clone(), self.node(b)?.name.clone());
        let forward = Link { name: format!("{na}->{nb}"), ..link.clone() };
        let backward = Link { name: format!("{nb}->{na}"), ..link };
        Ok((self.add_link(a, b, forward)?, self.add_link(b, a, backward)?))
    }

    fn node_index(&self, id: NodeId) -> Result<NodeIndex, TopologyError> {
        let idx = NodeIndex::new(id.0 as usize);
        if self.graph.contains_node(idx) {
            Ok(idx)
        } else {
            Err(TopologyError::NoSuchElement { what: "node", index: id.0 })
        }
    }

    fn edge_index(&self, id: LinkId) -> Result<EdgeIndex, TopologyError> {
        let idx = EdgeIndex::new(id.0 as usize);
        if self.graph.edge_weight(idx).is_some() {
            Ok(idx)
        } else {
            Err(TopologyError::NoSuchElement { what: "link", index: id.0 })
        }
    }

    /// The node called `name`.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).map(|i| NodeId(i.index() as u32))
    }

    /// The link called `name` (the lowest id if names repeat).
    pub fn link_id(&self, name: &str) -> Option<LinkId> {
        self.graph
            .edge_references()
            .filter(|e| e.weight().name == name)
            .map(|e| LinkId(e.id().index() as u32))
            .min()
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> Result<&Node, TopologyError> {
        Ok(&self.graph[self.node_index(id)?])
    }

    /// A link.
    pub fn link(&self, id: LinkId) -> Result<&Link, TopologyError> {
        Ok(&self.graph[self.edge_index(id)?])
    }

    /// A link, to change its parameters.
    pub fn link_mut(&mut self, id: LinkId) -> Result<&mut Link, TopologyError> {
        let e = self.edge_index(id)?;
        Ok(&mut self.graph[e])
    }

    /// A link's end points.
    pub fn endpoints(&self, id: LinkId) -> Result<(NodeId, NodeId), TopologyError> {
        let (a, b) = self
            .graph
            .edge_endpoints(self.edge_index(id)?)
            .ok_or(TopologyError::NoSuchElement { what: "link", index: id.0 })?;
        Ok((NodeId(a.index() as u32), NodeId(b.index() as u32)))
    }

    /// The link from `a` to `b`, if any (the first one, if there are parallel links).
    pub fn find_link(&self, a: NodeId, b: NodeId) -> Option<LinkId> {
        let (a, b) = (NodeIndex::new(a.0 as usize), NodeIndex::new(b.0 as usize));
        self.graph.edges_connecting(a, b).map(|e| LinkId(e.id().index() as u32)).min()
    }

    /// All node ids, in increasing order.
    pub fn node_ids(&self) -> Vec<NodeId> {
        let mut v: Vec<NodeId> =
            self.graph.node_indices().map(|i| NodeId(i.index() as u32)).collect();
        v.sort_unstable();
        v
    }

    /// All link ids, in increasing order.
    pub fn link_ids(&self) -> Vec<LinkId> {
        let mut v: Vec<LinkId> =
            self.graph.edge_indices().map(|i| LinkId(i.index() as u32)).collect();
        v.sort_unstable();
        v
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.graph.node_count()
    }

    /// The number of (directed) links.
    pub fn n_links(&self) -> usize {
        self.graph.edge_count()
    }

    /// One past the largest node index (indices of removed nodes stay unused).
    pub fn node_bound(&self) -> usize {
        self.graph.node_bound()
    }

    /// One past the largest link index.
    pub fn link_bound(&self) -> usize {
        self.graph.edge_references().map(|e| e.id().index() + 1).max().unwrap_or(0)
    }

    /// Links leaving `node`, with their far ends.
    pub fn out_links(&self, node: NodeId) -> Vec<(LinkId, NodeId)> {
        let idx = NodeIndex::new(node.0 as usize);
        let mut v: Vec<(LinkId, NodeId)> = self
            .graph
            .edges_directed(idx, Direction::Outgoing)
            .map(|e| (LinkId(e.id().index() as u32), NodeId(e.target().index() as u32)))
            .collect();
        v.sort_unstable();
        v
    }

    /// True if the link and both its end nodes are up.
    pub fn is_usable(&self, id: LinkId) -> bool {
        let e = EdgeIndex::new(id.0 as usize);
        match (self.graph.edge_weight(e), self.graph.edge_endpoints(e)) {
            (Some(l), Some((a, b))) => l.up && self.graph[a].up && self.graph[b].up,
            _ => false,
        }
    }

    /// Fails a link (it stays in the topology, out of routing).
    pub fn fail_link(&mut self, id: LinkId) -> Result<(), TopologyError> {
        self.link_mut(id)?.up = false;
        Ok(())
    }

    /// Restores a failed link.
    pub fn restore_link(&mut self, id: LinkId) -> Result<(), TopologyError> {
        self.link_mut(id)?.up = true;
        Ok(())
    }

    /// Fails a node and with it every link that touches it.
    pub fn fail_node(&mut self, id: NodeId) -> Result<(), TopologyError> {
        let n = self.node_index(id)?;
        self.graph[n].up = false;
        Ok(())
    }

    /// Restores a failed node.
    pub fn restore_node(&mut self, id: NodeId) -> Result<(), TopologyError> {
        let n = self.node_index(id)?;
        self.graph[n].up = true;
        Ok(())
    }

    /// Changes a link's capacity.
    pub fn set_capacity(&mut self, id: LinkId, capacity_bps: f64) -> Result<(), TopologyError> {
        let link = self.link_mut(id)?;
        if !(capacity_bps.is_finite() && capacity_bps > 0.0) {
            return Err(TopologyError::BadCapacity { link: link.name.clone(), capacity_bps });
        }
        link.capacity_bps = capacity_bps;
        Ok(())
    }

    /// Re-homes `site` from aggregation node `from` to `to`: its links to and from `from` go down,
    /// and for each of them a link to or from `to` comes up: one that is down between them (left
    /// by an earlier re-homing) if there is one, else a new link with the same parameters (delay
    /// recomputed from the positions when both are known). Links are never removed, so link ids stay valid for
    /// everything that refers to them (statistics, packets in flight), and re-homing back restores
    /// the original links. Returns the links now in service between `site` and `to`.
    pub fn rehome(
        &mut self,
        site: NodeId,
        from: NodeId,
        to: NodeId,
    ) -> Result<Vec<LinkId>, TopologyError> {
        let (s, f, t) = (self.node_index(site)?, self.node_index(from)?, self.node_index(to)?);
        if f == t || s == t || s == f {
            return Err(TopologyError::Invalid(format!(
                "cannot re-home {} from {} onto {}",
                self.graph[s].name, self.graph[f].name, self.graph[t].name
            )));
        }
        let mut old = Vec::new();
        for (a, b) in [(s, f), (f, s)] {
            let edges: Vec<EdgeIndex> = self
                .graph
                .edges_connecting(a, b)
                .filter(|e| e.weight().up)
                .map(|e| e.id())
                .collect();
            for e in edges {
                old.push((a == s, e));
            }
        }
        if old.is_empty() {
            return Err(TopologyError::Invalid(format!(
                "{} has no link in service to {}",
                self.graph[s].name, self.graph[f].name
            )));
        }
        let distance = match (self.graph[s].position, self.graph[t].position) {
            (Some(a), Some(b)) => a.distance_m(&b),
            _ => None,
        };
        let mut new: Vec<LinkId> = Vec::new();
        for (outgoing, e) in old {
            self.graph[e].up = false;
            let (a, b) = if outgoing { (s, t) } else { (t, s) };
            // A link that is down between them (from an earlier re-homing) comes back, one per
            // old link, so parallel links move one for one.
            let existing = self
                .graph
                .edges_connecting(a, b)
                .filter(|x| !x.weight().up && !new.contains(&LinkId(x.id().index() as u32)))
                .map(|x| x.id())
                .min();
            let id = match existing {
                Some(x) => {
                    self.graph[x].up = true;
                    x
                }
                None => {
                    let mut link = self.graph[e].clone();
                    link.name = format!("{}->{}", self.graph[a].name, self.graph[b].name);
                    link.up = true;
                    if let Some(d) = distance {
                        link.delay_s = d / FIBRE_SPEED_M_PER_S;
                    }
                    self.graph.add_edge(a, b, link)
                }
            };
            new.push(LinkId(id.index() as u32));
        }
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(cap: f64) -> Link {
        Link {
            name: "l".into(),
            capacity_bps: cap,
            delay_s: 0.001,
            buffer_bytes: 100_000,
            igp_weight: 1.0,
            up: true,
        }
    }

    #[test]
    fn build_fail_restore_rehome() {
        let mut t = Topology::new();
        let site = t
            .add_node("site", Role::CellSite, Some(Position::Local { x_m: 0.0, y_m: 0.0 }))
            .unwrap();
        let a = t
            .add_node("agg-a", Role::Aggregation, Some(Position::Local { x_m: 10_000.0, y_m: 0.0 }))
            .unwrap();
        let b = t
            .add_node("agg-b", Role::Aggregation, Some(Position::Local { x_m: 0.0, y_m: 20_000.0 }))
            .unwrap();
        let (up, down) = t.add_duplex(site, a, link(1e9)).unwrap();
        assert_eq!(t.link(up).unwrap().name, "site->agg-a");
        assert_eq!(t.link(down).unwrap().name, "agg-a->site");
        assert_eq!(t.find_link(site, a), Some(up));
        t.fail_node(a).unwrap();
        assert!(!t.is_usable(up));
        t.restore_node(a).unwrap();
        assert!(t.is_usable(up));
        let new = t.rehome(site, a, b).unwrap();
        assert_eq!(new.len(), 2);
        assert!(!t.is_usable(up) && !t.is_usable(down), "old links go down");
        let l = t.link(t.find_link(site, b).unwrap()).unwrap();
        assert!((l.delay_s - 20_000.0 / FIBRE_SPEED_M_PER_S).abs() < 1e-12);
        assert!(t.rehome(site, a, b).is_err(), "no longer connected to a");
        // Back again: the original links return, nothing new is created.
        let back = t.rehome(site, b, a).unwrap();
        assert_eq!(back, vec![up, down]);
        assert_eq!(t.n_links(), 4);
    }

    #[test]
    fn rehome_moves_parallel_links_one_for_one() {
        let mut t = Topology::new();
        let site = t.add_node("site", Role::CellSite, None).unwrap();
        let a = t.add_node("a", Role::Aggregation, None).unwrap();
        let b = t.add_node("b", Role::Aggregation, None).unwrap();
        let first = t.add_duplex(site, a, link(1e9)).unwrap();
        let second = t.add_duplex(site, a, link(2e9)).unwrap();
        let new = t.rehome(site, a, b).unwrap();
        assert_eq!(new.len(), 4, "two parallel links each way");
        let caps: Vec<f64> = new.iter().map(|l| t.link(*l).unwrap().capacity_bps).collect();
        assert_eq!(caps.iter().sum::<f64>(), 6e9, "both capacities move: {caps:?}");
        let back = t.rehome(site, b, a).unwrap();
        let mut back_sorted = back.clone();
        back_sorted.sort();
        let mut original = vec![first.0, first.1, second.0, second.1];
        original.sort();
        assert_eq!(back_sorted, original, "every original link returns");
        assert!(new.iter().all(|l| !t.is_usable(*l)));
    }

    #[test]
    fn bad_links_are_rejected() {
        let mut t = Topology::new();
        let a = t.add_node("a", Role::Core, None).unwrap();
        let b = t.add_node("b", Role::Core, None).unwrap();
        assert!(matches!(t.add_link(a, b, link(0.0)), Err(TopologyError::BadCapacity { .. })));
        assert!(matches!(t.add_link(a, b, link(-5.0)), Err(TopologyError::BadCapacity { .. })));
        assert!(t.add_link(a, a, link(1.0)).is_err());
        assert!(t.add_link(a, NodeId(99), link(1.0)).is_err());
        assert!(t.add_node("a", Role::Core, None).is_err());
        assert!(
            t.add_node("c", Role::Core, Some(Position::Geo { lat_deg: 95.0, lon_deg: 0.0 }))
                .is_err()
        );
        assert!(t.set_capacity(LinkId(42), 1.0).is_err());
        assert!(t.add_link(a, b, Link { buffer_bytes: 0, ..link(1.0) }).is_err());
    }

    #[test]
    fn distances_are_wgs84_geodesics() {
        // London to Paris: 343.9 km on the ellipsoid (343.6 km on a sphere of the mean radius).
        let london = Position::Geo { lat_deg: 51.5074, lon_deg: -0.1278 };
        let paris = Position::Geo { lat_deg: 48.8566, lon_deg: 2.3522 };
        let d = london.distance_m(&paris).unwrap();
        let (a, b) = (
            sim_core::geo::GeoPoint::new(51.5074, -0.1278, 0.0).unwrap(),
            sim_core::geo::GeoPoint::new(48.8566, 2.3522, 0.0).unwrap(),
        );
        assert_eq!(d, sim_core::geo::geodesic_distance_m(&a, &b));
        assert!((d - 343_900.0).abs() < 500.0, "{d}");
        assert_eq!(london.distance_m(&Position::Local { x_m: 0.0, y_m: 0.0 }), None);
        let bad = Position::Geo { lat_deg: 91.0, lon_deg: 0.0 };
        assert_eq!(london.distance_m(&bad), None);
    }
}
