//! What-if operations on a topology and a timeline of them.
//!
//! An [`Operation`] changes a [`Topology`] in place: fail or restore a link or a node, change a
//! link's capacity, re-home a site to another aggregation node. A [`Timeline`] orders operations
//! in time; the flow-level replay ([`crate::replay`]) applies those due at each interval's start
//! and the packet simulator ([`crate::packet`]) applies them at their exact times, re-routing
//! every flow.
//!
//! Operations are written in text as
//!
//! | text | operation |
//! |---|---|
//! | `fail-link A->B` | link named `A->B` goes down |
//! | `restore-link A->B` | it comes back |
//! | `fail-node X` / `restore-node X` | node `X` and all its links |
//! | `capacity A->B 10e9` | capacity of `A->B` becomes 10 Gbit/s |
//! | `rehome SITE FROM TO` | site `SITE` moves from aggregation `FROM` to `TO` |
//!
//! Links and nodes are named the same way here and in scenario files (the scenarios crate
//! resolves its `fail`, `restore` and `set-capacity` operations through [`resolve_links`] and
//! [`resolve_element`]):
//!
//! | name | links |
//! |---|---|
//! | a link's name (importers name directed links `from->to`) | that link, and for a duplex link of a links CSV its reverse direction `NAME (reverse)` too: one physical link |
//! | `A->B` (no link of that name) | every link from node `A` to node `B` |
//! | `A<->B` | every link between `A` and `B`, both directions |
//!
//! A name that is none of these is a node's name where a node may be meant (`fail`, `restore`).

use sim_core::SimTime;

use crate::error::TopologyError;
use crate::topology::{LinkId, NodeId, Topology};

/// One change to a topology.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// The links go down.
    FailLinks(Vec<LinkId>),
    /// The links come back.
    RestoreLinks(Vec<LinkId>),
    /// The node and its links go down.
    FailNode(NodeId),
    /// The node comes back.
    RestoreNode(NodeId),
    /// The links' capacity changes.
    SetCapacity {
        /// The links.
        links: Vec<LinkId>,
        /// The new capacity, bit/s.
        capacity_bps: f64,
    },
    /// A site moves from one aggregation node to another.
    Rehome {
        /// The site.
        site: NodeId,
        /// Its current aggregation node.
        from: NodeId,
        /// The new one.
        to: NodeId,
    },
}

impl Operation {
    /// Checks that the elements named exist and the values are valid, without changing anything.
    pub fn check(&self, topo: &Topology) -> Result<(), TopologyError> {
        match self {
            Operation::FailLinks(ls) | Operation::RestoreLinks(ls) => {
                ls.iter().try_for_each(|l| topo.link(*l).map(|_| ()))
            }
            Operation::FailNode(n) | Operation::RestoreNode(n) => topo.node(*n).map(|_| ()),
            Operation::SetCapacity { links, capacity_bps } => {
                for l in links {
                    let link = topo.link(*l)?;
                    if !(capacity_bps.is_finite() && *capacity_bps > 0.0) {
                        return Err(TopologyError::BadCapacity {
                            link: link.name.clone(),
                            capacity_bps: *capacity_bps,
                        });
                    }
                }
                Ok(())
            }
            Operation::Rehome { site, from, to } => {
                for n in [site, from, to] {
                    topo.node(*n)?;
                }
                Ok(())
            }
        }
    }

    /// Applies the operation.
    pub fn apply(&self, topo: &mut Topology) -> Result<(), TopologyError> {
        self.check(topo)?;
        match self {
            Operation::FailLinks(ls) => ls.iter().try_for_each(|l| topo.fail_link(*l)),
            Operation::RestoreLinks(ls) => ls.iter().try_for_each(|l| topo.restore_link(*l)),
            Operation::FailNode(n) => topo.fail_node(*n),
            Operation::RestoreNode(n) => topo.restore_node(*n),
            Operation::SetCapacity { links, capacity_bps } => {
                links.iter().try_for_each(|l| topo.set_capacity(*l, *capacity_bps))
            }
            Operation::Rehome { site, from, to } => topo.rehome(*site, *from, *to).map(|_| ()),
        }
    }

    /// Parses the text form (see the module documentation), resolving names in `topo`.
    pub fn parse(text: &str, topo: &Topology) -> Result<Operation, TopologyError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let invalid =
            |why: String| TopologyError::Invalid(format!("what-if operation \"{text}\": {why}"));
        let node = |name: &str| {
            topo.node_id(name).ok_or_else(|| invalid(format!("no node named \"{name}\"")))
        };
        let links = |name: &str| resolve_links(topo, name).map_err(|e| invalid(e.to_string()));
        match words.as_slice() {
            ["fail-link", l] => Ok(Operation::FailLinks(links(l)?)),
            ["restore-link", l] => Ok(Operation::RestoreLinks(links(l)?)),
            ["fail-node", n] => Ok(Operation::FailNode(node(n)?)),
            ["restore-node", n] => Ok(Operation::RestoreNode(node(n)?)),
            ["capacity", l, c] => {
                let capacity_bps: f64 = c.parse().map_err(|_| invalid(format!("\"{c}\" is not a capacity in bit/s")))?;
                let op = Operation::SetCapacity { links: links(l)?, capacity_bps };
                op.check(topo)?;
                Ok(op)
            }
            ["rehome", s, f, t] => Ok(Operation::Rehome { site: node(s)?, from: node(f)?, to: node(t)? }),
            _ => Err(invalid(
                "expected fail-link L, restore-link L, fail-node N, restore-node N, capacity L BPS or rehome SITE FROM TO".into(),
            )),
        }
    }

    /// `element` goes down: its links, or the node and its links.
    pub fn fail(element: Element) -> Operation {
        match element {
            Element::Links(l) => Operation::FailLinks(l),
            Element::Node(n) => Operation::FailNode(n),
        }
    }

    /// `element` comes back.
    pub fn restore(element: Element) -> Operation {
        match element {
            Element::Links(l) => Operation::RestoreLinks(l),
            Element::Node(n) => Operation::RestoreNode(n),
        }
    }
}

/// What a what-if's name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// One or more directed links (never empty).
    Links(Vec<LinkId>),
    /// A node, with all its links.
    Node(NodeId),
}

/// The links `name` stands for (see the module documentation), in increasing id order without
/// repeats; an error names what was looked for when there are none.
pub fn resolve_links(topo: &Topology, name: &str) -> Result<Vec<LinkId>, TopologyError> {
    let between = |a: &str, b: &str| -> Vec<LinkId> {
        match (topo.node_id(a), topo.node_id(b)) {
            (Some(a), Some(b)) => {
                topo.out_links(a).into_iter().filter(|(_, to)| *to == b).map(|(l, _)| l).collect()
            }
            _ => Vec::new(),
        }
    };
    let mut links: Vec<LinkId> = if let Some(l) = topo.link_id(name) {
        std::iter::once(l).chain(topo.link_id(&format!("{name} (reverse)"))).collect()
    } else if let Some((a, b)) = name.split_once("<->") {
        let (ab, ba) = (between(a, b), between(b, a));
        if ab.is_empty() || ba.is_empty() { Vec::new() } else { [ab, ba].concat() }
    } else if let Some((a, b)) = name.split_once("->") {
        between(a, b)
    } else {
        Vec::new()
    };
    links.sort_unstable();
    links.dedup();
    if links.is_empty() {
        let close = close_names(topo, name, false);
        return Err(TopologyError::UnknownName { what: "link", name: name.to_string(), close });
    }
    Ok(links)
}

/// The links `name` stands for, or else the node of that name.
pub fn resolve_element(topo: &Topology, name: &str) -> Result<Element, TopologyError> {
    match resolve_links(topo, name) {
        Ok(links) => Ok(Element::Links(links)),
        Err(_) => topo.node_id(name).map(Element::Node).ok_or_else(|| {
            let close = close_names(topo, name, true);
            TopologyError::UnknownName { what: "link or node", name: name.into(), close }
        }),
    }
}

/// At most this many close matches are offered.
const MAX_CLOSE: usize = 5;

/// The names `topo` would resolve that are closest to `name` by edit distance (Levenshtein,
/// ignoring case, at most a third of the name's length and at least one edit), fewest edits
/// first: every link's name, `A->B` for the nodes each link joins and `A<->B` where links join
/// them both ways, and with `nodes` every node's name.
fn close_names(topo: &Topology, name: &str, nodes: bool) -> Vec<String> {
    let node_name = |n: NodeId| topo.node(n).map(|x| x.name.clone()).ok();
    let mut known: Vec<String> = Vec::new();
    let mut pairs = std::collections::BTreeSet::new();
    for l in topo.link_ids() {
        known.extend(topo.link(l).map(|x| x.name.clone()));
        if let Ok((a, b)) = topo.endpoints(l)
            && let (Some(a), Some(b)) = (node_name(a), node_name(b))
        {
            known.push(format!("{a}->{b}"));
            pairs.insert((a, b));
        }
    }
    for (a, b) in &pairs {
        if pairs.contains(&(b.clone(), a.clone())) {
            known.push(format!("{a}<->{b}"));
        }
    }
    if nodes {
        known.extend(topo.node_ids().into_iter().filter_map(node_name));
    }
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, String)> = known
        .into_iter()
        .filter(|k| !k.is_empty() && k != name)
        .map(|k| (strsim::levenshtein(&lower, &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(MAX_CLOSE).map(|(_, k)| k).collect()
}

/// Operations in time order (equal times keep the order they were added in).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    events: Vec<(SimTime, Operation)>,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an operation at `at`.
    pub fn push(&mut self, at: SimTime, op: Operation) {
        let i = self.events.partition_point(|(t, _)| *t <= at);
        self.events.insert(i, (at, op));
    }

    /// The operations in order.
    pub fn iter(&self) -> impl Iterator<Item = &(SimTime, Operation)> {
        self.events.iter()
    }

    /// The operations with `from <= time < to`.
    pub fn due(&self, from: SimTime, to: SimTime) -> &[(SimTime, Operation)] {
        let a = self.events.partition_point(|(t, _)| *t < from);
        let b = self.events.partition_point(|(t, _)| *t < to);
        &self.events[a..b]
    }

    /// True if there are no operations.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The number of operations.
    pub fn len(&self) -> usize {
        self.events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{Link, Role};

    #[test]
    fn parse_apply_and_order() {
        let mut t = Topology::new();
        let [s, a, b] = ["s", "a", "b"].map(|x| t.add_node(x, Role::Aggregation, None).unwrap());
        let link = Link {
            name: String::new(),
            capacity_bps: 1e9,
            delay_s: 0.001,
            buffer_bytes: 1 << 20,
            igp_weight: 1.0,
            up: true,
        };
        t.add_duplex(s, a, link.clone()).unwrap();
        t.add_duplex(a, b, link).unwrap();
        let op = Operation::parse("capacity s<->a 5e9", &t).unwrap();
        op.apply(&mut t).unwrap();
        assert_eq!(t.link(t.link_id("a->s").unwrap()).unwrap().capacity_bps, 5e9);
        Operation::parse("fail-link a->b", &t).unwrap().apply(&mut t).unwrap();
        assert!(!t.is_usable(t.link_id("a->b").unwrap()));
        Operation::parse("rehome s a b", &t).unwrap().apply(&mut t).unwrap();
        assert!(t.is_usable(t.link_id("s->b").unwrap()));
        for bad in [
            "fail-link x->y",
            "capacity s->a -1",
            "explode a",
            "fail-node zz",
            "capacity s->a fast",
        ] {
            let e = Operation::parse(bad, &t).unwrap_err().to_string();
            assert!(!e.is_empty(), "{bad}");
        }
        let mut tl = Timeline::new();
        tl.push(SimTime::from_nanos(20), Operation::FailNode(a));
        tl.push(SimTime::from_nanos(10), Operation::RestoreNode(a));
        tl.push(SimTime::from_nanos(20), Operation::RestoreNode(b));
        let order: Vec<_> = tl.iter().map(|(t, _)| t.as_nanos()).collect();
        assert_eq!(order, vec![10, 20, 20]);
        assert_eq!(
            tl.iter().nth(2).unwrap().1,
            Operation::RestoreNode(b),
            "equal times keep insertion order"
        );
        assert_eq!(tl.due(SimTime::from_nanos(10), SimTime::from_nanos(20)).len(), 1);
    }

    #[test]
    fn names_resolve_to_links_or_nodes_one_way_everywhere() {
        let mut t = Topology::new();
        let [a, b, c] = ["a", "b", "c"].map(|x| t.add_node(x, Role::Aggregation, None).unwrap());
        let link = |name: &str| Link {
            name: name.into(),
            capacity_bps: 1e9,
            delay_s: 0.001,
            buffer_bytes: 1 << 20,
            igp_weight: 1.0,
            up: true,
        };
        // A links CSV's duplex row: one name and its reverse.
        let ab = t.add_link(a, b, link("AB")).unwrap();
        let ba = t.add_link(b, a, link("AB (reverse)")).unwrap();
        let bc = t.add_link(b, c, link("b->c")).unwrap();
        assert_eq!(resolve_links(&t, "AB").unwrap(), vec![ab, ba], "a duplex link is one link");
        assert_eq!(resolve_links(&t, "AB (reverse)").unwrap(), vec![ba]);
        assert_eq!(resolve_links(&t, "a->b").unwrap(), vec![ab], "by its end nodes");
        assert_eq!(resolve_links(&t, "a<->b").unwrap(), vec![ab, ba]);
        assert_eq!(resolve_links(&t, "b->c").unwrap(), vec![bc]);
        let e = resolve_links(&t, "b<->c").unwrap_err().to_string();
        assert!(e.contains("both ways"), "{e}");
        assert_eq!(resolve_element(&t, "c").unwrap(), Element::Node(c));
        assert_eq!(resolve_element(&t, "AB").unwrap(), Element::Links(vec![ab, ba]));
        let e = resolve_element(&t, "zz").unwrap_err().to_string();
        assert_eq!(e, "no link or node named \"zz\"");
        // A typing error is answered with the names closest to it, fewest edits first.
        let e = resolve_links(&t, "a->d").unwrap_err().to_string();
        assert_eq!(
            e,
            "no link named \"a->d\" and no link from node \"a\" to node \"d\"; close matches: \"a->b\""
        );
        let e = resolve_element(&t, "AB (revers)").unwrap_err().to_string();
        assert!(e.ends_with("close matches: \"AB (reverse)\""), "{e}");
        let e = resolve_element(&t, "cc").unwrap_err().to_string();
        assert!(e.ends_with("close matches: \"c\""), "{e}");
        let e = resolve_links(&t, "ab").unwrap_err().to_string();
        assert!(e.ends_with("close matches: \"AB\""), "case is no edit: {e}");
        let e = resolve_links(&t, "b<->d").unwrap_err().to_string();
        assert!(!e.contains("b<->c"), "b and c are joined one way only: {e}");
        // The text form resolves the same way.
        assert_eq!(
            Operation::parse("fail-link AB", &t).unwrap(),
            Operation::FailLinks(vec![ab, ba])
        );
        assert_eq!(Operation::fail(Element::Node(c)), Operation::FailNode(c));
    }
}
