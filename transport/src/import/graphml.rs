//! Internet Topology Zoo GraphML.
//!
//! Nodes take their `label` as name (made unique with the GraphML id when labels repeat) and
//! their `Latitude`/`Longitude` as position. Edges become a pair of directed links (the Zoo's
//! graphs are undirected; a directed graph gives one link per edge):
//!
//! * capacity from `LinkSpeedRaw` (bit/s); where it is missing, [`GraphmlOptions::default_capacity_bps`]
//!   if given, else an error naming the edge;
//! * propagation delay from the great-circle distance between the end nodes at 2·10⁸ m/s; where a
//!   position is missing, [`GraphmlOptions::default_delay_s`] if given, else an error;
//! * IGP weight 1, buffer 100 ms at the link's rate.
//!
//! Self-loops are skipped with a note; parallel edges are kept as parallel links.

use std::collections::HashMap;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use super::{delay_between, imported_link, io_error};
use crate::error::TopologyError;
use crate::topology::{NodeId, Position, Role, Topology};

/// What to do where the file is silent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GraphmlOptions {
    /// Capacity of links without `LinkSpeedRaw`; `None` makes such links an error.
    pub default_capacity_bps: Option<f64>,
    /// Delay of links whose ends lack coordinates; `None` makes such links an error.
    pub default_delay_s: Option<f64>,
}

#[derive(Debug, Default)]
struct RawNode {
    id: String,
    data: HashMap<String, String>,
}

#[derive(Debug, Default)]
struct RawEdge {
    source: String,
    target: String,
    data: HashMap<String, String>,
    line: usize,
}

/// Reads a GraphML file.
pub fn load(path: &Path, options: &GraphmlOptions) -> Result<Topology, TopologyError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    parse(&text, options).map_err(|e| match e {
        TopologyError::Format { reason, .. } => {
            TopologyError::Format { path: path.to_path_buf(), reason }
        }
        TopologyError::MissingCapacity { link, detail } => TopologyError::Format {
            path: path.to_path_buf(),
            reason: TopologyError::MissingCapacity { link, detail }.to_string(),
        },
        TopologyError::MissingDelay { link, detail } => TopologyError::Format {
            path: path.to_path_buf(),
            reason: TopologyError::MissingDelay { link, detail }.to_string(),
        },
        other => TopologyError::Format { path: path.to_path_buf(), reason: other.to_string() },
    })
}

fn fmt_err(reason: String) -> TopologyError {
    TopologyError::Format { path: "(memory)".into(), reason }
}

/// Parses GraphML text.
pub fn parse(text: &str, options: &GraphmlOptions) -> Result<Topology, TopologyError> {
    let raw = read_elements(text)?;
    let mut topo = Topology::new();
    let ids = add_nodes(&mut topo, &raw.nodes)?;
    let tally = add_edges(&mut topo, &raw.edges, &ids, raw.directed, options)?;
    tally.write_notes(&mut topo);
    if topo.n_links() == 0 {
        return Err(fmt_err("the graph has no edges between distinct nodes".into()));
    }
    Ok(topo)
}

/// What the XML says, before any of it is checked against the topology.
#[derive(Debug, Default)]
struct RawGraph {
    /// Whether the graph's `edgedefault` is `directed`.
    directed: bool,
    nodes: Vec<RawNode>,
    edges: Vec<RawEdge>,
}

/// The element whose `<data>` children are being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Node(usize),
    Edge(usize),
}

impl Owner {
    /// The GraphML `for` domain of keys that apply to this element.
    fn domain(self) -> &'static str {
        match self {
            Owner::Node(_) => "node",
            Owner::Edge(_) => "edge",
        }
    }
}

/// The state of the pass over the XML events: what has been read so far and where it is.
struct ElementReader<'t> {
    text: &'t str,
    /// Key id -> attribute name, per domain.
    keys: HashMap<(String, String), String>,
    graph: RawGraph,
    /// Whether a `<graph>` element was seen: without one this is not GraphML.
    saw_graph: bool,
    /// The node or edge being read, while inside one.
    current: Option<Owner>,
    /// The attribute name of the `<data>` being read, while inside one.
    data_key: Option<String>,
}

/// Reads the keys, nodes and edges of GraphML text, with their `<data>` values.
fn read_elements(text: &str) -> Result<RawGraph, TopologyError> {
    let mut reader = quick_xml::Reader::from_str(text);
    // Text is not trimmed piecewise: a value split around an entity (`St Kitts &amp; Nevis`) keeps
    // its inner spaces; whole values are trimmed where they are used.
    reader.config_mut().trim_text(false);
    let mut state = ElementReader {
        text,
        keys: HashMap::new(),
        graph: RawGraph::default(),
        saw_graph: false,
        current: None,
        data_key: None,
    };
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            let line = line_of(text, reader.error_position());
            fmt_err(format!("malformed XML at line {line}: {e}"))
        })?;
        if matches!(event, Event::Eof) {
            break;
        }
        state.handle(&event, pos)?;
    }
    if !state.saw_graph {
        return Err(fmt_err("no <graph> element: this is not a GraphML file".into()));
    }
    if state.graph.nodes.is_empty() {
        return Err(fmt_err("the graph has no nodes".into()));
    }
    Ok(state.graph)
}

/// The 1-based line of byte offset `pos` in `text`.
fn line_of(text: &str, pos: u64) -> usize {
    sim_core::error_text::line_at(text, usize::try_from(pos).unwrap_or(usize::MAX))
}

impl ElementReader<'_> {
    /// Handles one XML event that starts at byte `pos`.
    fn handle(&mut self, event: &Event<'_>, pos: u64) -> Result<(), TopologyError> {
        match event {
            Event::Start(e) => self.start(e, false, pos),
            Event::Empty(e) => self.start(e, true, pos),
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => self.text_event(event, pos),
            Event::End(e) => {
                match e.name().as_ref() {
                    "data" => self.data_key = None,
                    "node" | "edge" => self.current = None,
                    _ => {}
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The line of byte `pos`, for errors (counted only when needed: it scans the text).
    fn line(&self, pos: u64) -> usize {
        line_of(self.text, pos)
    }

    /// The value of attribute `name` of `e`, normalised as XML 1.0 says.
    fn attr(
        &self,
        e: &BytesStart<'_>,
        name: &str,
        pos: u64,
    ) -> Result<Option<String>, TopologyError> {
        for a in e.attributes() {
            let a =
                a.map_err(|err| fmt_err(format!("line {}: bad attribute: {err}", self.line(pos))))?;
            if a.key.as_ref() == name {
                let v = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|err| {
                    fmt_err(format!("line {}: bad attribute value: {err}", self.line(pos)))
                })?;
                return Ok(Some(v.into_owned()));
            }
        }
        Ok(None)
    }

    /// An opening (or, if `empty`, self-closing) tag.
    fn start(&mut self, e: &BytesStart<'_>, empty: bool, pos: u64) -> Result<(), TopologyError> {
        match e.name().as_ref() {
            "key" => {
                if let (Some(id), Some(name)) =
                    (self.attr(e, "id", pos)?, self.attr(e, "attr.name", pos)?)
                {
                    let domain = self.attr(e, "for", pos)?.unwrap_or_else(|| "all".into());
                    self.keys.insert((domain, id), name);
                }
            }
            "graph" => {
                self.saw_graph = true;
                self.graph.directed =
                    self.attr(e, "edgedefault", pos)?.as_deref() == Some("directed");
            }
            "node" => self.start_node(e, empty, pos)?,
            "edge" => self.start_edge(e, empty, pos)?,
            "data" if !empty => self.start_data(e, pos)?,
            _ => {}
        }
        Ok(())
    }

    /// A `<node>`, which must have an id; its `<data>` follow unless it is self-closing.
    fn start_node(
        &mut self,
        e: &BytesStart<'_>,
        empty: bool,
        pos: u64,
    ) -> Result<(), TopologyError> {
        let id = self
            .attr(e, "id", pos)?
            .ok_or_else(|| fmt_err(format!("line {}: a node has no id", self.line(pos))))?;
        self.graph.nodes.push(RawNode { id, data: HashMap::new() });
        if !empty {
            self.current = Some(Owner::Node(self.graph.nodes.len() - 1));
        }
        Ok(())
    }

    /// An `<edge>`, which must have a source and a target.
    fn start_edge(
        &mut self,
        e: &BytesStart<'_>,
        empty: bool,
        pos: u64,
    ) -> Result<(), TopologyError> {
        let (Some(source), Some(target)) =
            (self.attr(e, "source", pos)?, self.attr(e, "target", pos)?)
        else {
            return Err(fmt_err(format!(
                "line {}: an edge lacks its source or target",
                self.line(pos)
            )));
        };
        let line = self.line(pos);
        self.graph.edges.push(RawEdge { source, target, data: HashMap::new(), line });
        if !empty {
            self.current = Some(Owner::Edge(self.graph.edges.len() - 1));
        }
        Ok(())
    }

    /// A `<data>` element: its value is assembled from the text pieces and entity references
    /// that follow, under the attribute name its key stands for.
    fn start_data(&mut self, e: &BytesStart<'_>, pos: u64) -> Result<(), TopologyError> {
        self.data_key = self.attr(e, "key", pos)?;
        if let (Some(k), Some(owner)) = (&self.data_key, self.current) {
            let name = self
                .keys
                .get(&(owner.domain().to_string(), k.clone()))
                .or_else(|| self.keys.get(&("all".to_string(), k.clone())))
                .cloned()
                .unwrap_or_else(|| k.clone());
            self.data_of(owner).insert(name.clone(), String::new());
            self.data_key = Some(name);
        }
        Ok(())
    }

    /// The `<data>` values of the node or edge `owner`.
    fn data_of(&mut self, owner: Owner) -> &mut HashMap<String, String> {
        match owner {
            Owner::Node(i) => &mut self.graph.nodes[i].data,
            Owner::Edge(i) => &mut self.graph.edges[i].data,
        }
    }

    /// A piece of a `<data>` value: text, CDATA or an entity reference.
    fn text_event(&mut self, event: &Event<'_>, pos: u64) -> Result<(), TopologyError> {
        let (Some(name), Some(owner)) = (self.data_key.clone(), self.current) else {
            return Ok(());
        };
        let piece = text_piece(event, || self.line(pos))?;
        self.data_of(owner).entry(name).or_default().push_str(&piece);
        Ok(())
    }
}

/// The text that a text, CDATA or entity-reference event stands for.
fn text_piece(event: &Event<'_>, line: impl Fn() -> usize) -> Result<String, TopologyError> {
    Ok(match event {
        Event::Text(t) => quick_xml::escape::unescape(&t.xml10_content())
            .map_err(|e| fmt_err(format!("line {}: {e}", line())))?
            .into_owned(),
        Event::CData(c) => AsRef::<str>::as_ref(c).to_string(),
        Event::GeneralRef(r) if r.is_char_ref() => match r.resolve_char_ref() {
            Ok(Some(c)) => c.to_string(),
            _ => {
                return Err(fmt_err(format!(
                    "line {}: bad character reference &{};",
                    line(),
                    &**r
                )));
            }
        },
        Event::GeneralRef(r) => match quick_xml::escape::resolve_predefined_entity(r) {
            Some(v) => v.to_string(),
            None => {
                return Err(fmt_err(format!("line {}: unknown entity &{};", line(), &**r)));
            }
        },
        _ => String::new(),
    })
}

/// A node's trimmed `label`, empty when it has none.
fn label_of(n: &RawNode) -> String {
    n.data.get("label").map(|l| l.trim().to_string()).unwrap_or_default()
}

/// Node names: the label, with the GraphML id added where the label is empty or repeated.
fn unique_names(nodes: &[RawNode]) -> Vec<String> {
    let mut label_count: HashMap<String, usize> = HashMap::new();
    for n in nodes {
        *label_count.entry(label_of(n)).or_default() += 1;
    }
    nodes
        .iter()
        .map(|n| {
            let label = label_of(n);
            if label.is_empty() || label_count[&label] > 1 {
                format!("{label} ({})", n.id)
            } else {
                label
            }
        })
        .collect()
}

/// A node's position from `Latitude` and `Longitude`, if both are there and in range.
fn node_position(n: &RawNode) -> Option<Position> {
    let num = |k: &str| n.data.get(k).and_then(|v| v.trim().parse::<f64>().ok());
    match (num("Latitude"), num("Longitude")) {
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Some(Position::Geo { lat_deg: lat, lon_deg: lon })
        }
        _ => None,
    }
}

/// Adds the nodes to `topo`; returns the topology's id of every GraphML id.
fn add_nodes(
    topo: &mut Topology,
    nodes: &[RawNode],
) -> Result<HashMap<String, NodeId>, TopologyError> {
    let names = unique_names(nodes);
    let mut ids = HashMap::new();
    for (n, name) in nodes.iter().zip(&names) {
        let position = node_position(n);
        if ids.contains_key(&n.id) {
            return Err(fmt_err(format!("node id \"{}\" appears twice", n.id)));
        }
        let id = topo.add_node(name, Role::Other, position).map_err(|e| fmt_err(e.to_string()))?;
        ids.insert(n.id.clone(), id);
    }
    Ok(ids)
}

/// How many edges were skipped or given a default, for the topology's notes.
#[derive(Debug, Default)]
struct EdgeTally {
    skipped_loops: usize,
    defaulted_capacity: usize,
    defaulted_delay: usize,
}

impl EdgeTally {
    fn write_notes(&self, topo: &mut Topology) {
        let EdgeTally { skipped_loops, defaulted_capacity, defaulted_delay } = *self;
        if skipped_loops > 0 {
            topo.notes.push(format!("{skipped_loops} self-loop edges skipped"));
        }
        if defaulted_capacity > 0 {
            topo.notes.push(format!(
                "{defaulted_capacity} edges without LinkSpeedRaw given the default capacity"
            ));
        }
        if defaulted_delay > 0 {
            topo.notes.push(format!(
                "{defaulted_delay} edges without end coordinates given the default delay"
            ));
        }
    }
}

/// Adds a link (or a duplex pair, for an undirected graph) per edge between distinct nodes.
fn add_edges(
    topo: &mut Topology,
    edges: &[RawEdge],
    ids: &HashMap<String, NodeId>,
    directed: bool,
    options: &GraphmlOptions,
) -> Result<EdgeTally, TopologyError> {
    let mut tally = EdgeTally::default();
    for (k, e) in edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (ids.get(&e.source), ids.get(&e.target)) else {
            let missing = if ids.contains_key(&e.source) { &e.target } else { &e.source };
            return Err(fmt_err(format!(
                "edge {k} (line {}) refers to unknown node \"{missing}\"",
                e.line
            )));
        };
        if a == b {
            tally.skipped_loops += 1;
            continue;
        }
        let link = {
            let label = || {
                format!(
                    "edge {k} ({} - {}, line {})",
                    topo.node(a).map(|n| n.name.clone()).unwrap_or_default(),
                    topo.node(b).map(|n| n.name.clone()).unwrap_or_default(),
                    e.line
                )
            };
            let capacity = edge_capacity(e, options, &mut tally, label)?;
            let delay = edge_delay(topo, a, b, options, &mut tally, label)?;
            imported_link(capacity, delay, 1.0)
        };
        if directed {
            let name = format!("{}->{}", topo.node(a)?.name, topo.node(b)?.name);
            topo.add_link(a, b, crate::topology::Link { name, ..link })?;
        } else {
            topo.add_duplex(a, b, link)?;
        }
    }
    Ok(tally)
}

/// An edge's capacity from `LinkSpeedRaw`, or the default; `label` names the edge in errors.
fn edge_capacity(
    e: &RawEdge,
    options: &GraphmlOptions,
    tally: &mut EdgeTally,
    label: impl Fn() -> String,
) -> Result<f64, TopologyError> {
    match e.data.get("LinkSpeedRaw").map(|v| v.trim().parse::<f64>()) {
        Some(Ok(c)) if c.is_finite() && c > 0.0 => Ok(c),
        Some(Ok(c)) => Err(TopologyError::BadCapacity { link: label(), capacity_bps: c }),
        Some(Err(_)) => Err(fmt_err(format!(
            "{}: LinkSpeedRaw \"{}\" is not a number",
            label(),
            e.data["LinkSpeedRaw"]
        ))),
        None => match options.default_capacity_bps {
            Some(c) => {
                tally.defaulted_capacity += 1;
                Ok(c)
            }
            None => Err(TopologyError::MissingCapacity {
                link: label(),
                detail: "no LinkSpeedRaw".into(),
            }),
        },
    }
}

/// The delay between the edge's ends from their positions, or the default.
fn edge_delay(
    topo: &Topology,
    a: NodeId,
    b: NodeId,
    options: &GraphmlOptions,
    tally: &mut EdgeTally,
    label: impl Fn() -> String,
) -> Result<f64, TopologyError> {
    if let Some(d) = delay_between(topo, a, b) {
        return Ok(d);
    }
    match options.default_delay_s {
        Some(d) => {
            tally.defaulted_delay += 1;
            Ok(d)
        }
        None => Err(TopologyError::MissingDelay {
            link: label(),
            detail: "an end node has no Latitude/Longitude, so its length is unknown".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">
      <key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d42" />
      <key attr.name="label" attr.type="string" for="node" id="d33" />
      <key attr.name="Latitude" attr.type="double" for="node" id="d29" />
      <key attr.name="Longitude" attr.type="double" for="node" id="d32" />
      <graph edgedefault="undirected">
        <node id="0"><data key="d33">London</data><data key="d29">51.5074</data><data key="d32">-0.1278</data></node>
        <node id="1"><data key="d33">Paris</data><data key="d29">48.8566</data><data key="d32">2.3522</data></node>
        <node id="2"><data key="d33">Nowhere</data></node>
        <edge source="0" target="1"><data key="d42">10000000000.0</data></edge>
        <edge source="1" target="1"><data key="d42">1.0</data></edge>
        <edge source="1" target="2"></edge>
      </graph></graphml>"#;

    #[test]
    fn reads_zoo_attributes_and_applies_defaults() {
        let err = parse(SMALL, &GraphmlOptions::default()).unwrap_err().to_string();
        assert!(
            err.contains("edge 2") && err.contains("Paris") && err.contains("LinkSpeedRaw"),
            "{err}"
        );
        let opts = GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(0.001) };
        let t = parse(SMALL, &opts).unwrap();
        assert_eq!((t.n_nodes(), t.n_links()), (3, 4));
        let (l, p) = (t.node_id("London").unwrap(), t.node_id("Paris").unwrap());
        let link = t.link(t.find_link(l, p).unwrap()).unwrap();
        assert_eq!(link.capacity_bps, 1e10);
        // 343.5 km at 2·10⁸ m/s.
        assert!((link.delay_s - 343.5e3 / 2e8).abs() < 1e-5, "{}", link.delay_s);
        assert!(t.notes.iter().any(|n| n.contains("self-loop")));
        let n = t.link(t.find_link(p, t.node_id("Nowhere").unwrap()).unwrap()).unwrap();
        assert_eq!((n.capacity_bps, n.delay_s), (1e9, 0.001));
    }

    #[test]
    fn entities_in_values_are_resolved() {
        let text = SMALL
            .replace(">London<", ">St Kitts &amp; Nevis&#33; <")
            .replace(">Paris<", "><![CDATA[Par]]>is<");
        let opts = GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(0.001) };
        let t = parse(&text, &opts).unwrap();
        assert!(
            t.node_id("St Kitts & Nevis!").is_some(),
            "{:?}",
            t.node_ids().iter().map(|n| t.node(*n).unwrap().name.clone()).collect::<Vec<_>>()
        );
        assert!(t.node_id("Paris").is_some());
        assert!(
            parse(&SMALL.replace(">London<", ">&bogus;<"), &opts)
                .unwrap_err()
                .to_string()
                .contains("unknown entity &bogus;")
        );
    }

    #[test]
    fn an_error_inside_a_byte_order_mark_names_its_line() {
        // quick-xml reports this error at byte 2, inside the three bytes of the mark.
        let e = parse("\u{feff}  </graph>\n", &GraphmlOptions::default()).unwrap_err();
        assert!(e.to_string().contains("malformed XML at line 1"), "{e}");
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(
            parse("<graphml><graph><node id=\"0\"></graph>", &GraphmlOptions::default()).is_err()
        );
        assert!(parse("<notgraphml/>", &GraphmlOptions::default()).is_err());
        let unknown = SMALL.replace("target=\"2\"", "target=\"7\"");
        let err = parse(
            &unknown,
            &GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(1e-3) },
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown node \"7\""), "{err}");
        let err =
            load(Path::new("/nonexistent/net.graphml"), &GraphmlOptions::default()).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/net.graphml"));
    }
}
