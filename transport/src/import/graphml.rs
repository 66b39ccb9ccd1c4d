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

use quick_xml::events::Event;

use super::{delay_between, imported_link, io_error};
use crate::error::TopologyError;
use crate::topology::{Position, Role, Topology};

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
    let mut reader = quick_xml::Reader::from_str(text);
    // Text is not trimmed piecewise: a value split around an entity (`St Kitts &amp; Nevis`) keeps
    // its inner spaces; whole values are trimmed where they are used.
    reader.config_mut().trim_text(false);
    let line_of = |pos: u64| text[..(pos as usize).min(text.len())].matches('\n').count() + 1;
    // key id -> attribute name, per domain.
    let mut keys: HashMap<(String, String), String> = HashMap::new();
    let mut directed = false;
    let mut nodes: Vec<RawNode> = Vec::new();
    let mut edges: Vec<RawEdge> = Vec::new();
    let mut current: Option<(&'static str, usize)> = None;
    let mut data_key: Option<String> = None;
    let mut saw_graph = false;
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            fmt_err(format!("malformed XML at line {}: {e}", line_of(reader.error_position())))
        })?;
        let attr = |e: &quick_xml::events::BytesStart<'_>,
                    name: &str|
         -> Result<Option<String>, TopologyError> {
            for a in e.attributes() {
                let a = a.map_err(|err| {
                    fmt_err(format!("line {}: bad attribute: {err}", line_of(pos)))
                })?;
                if a.key.as_ref() == name {
                    let v =
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|err| {
                            fmt_err(format!("line {}: bad attribute value: {err}", line_of(pos)))
                        })?;
                    return Ok(Some(v.into_owned()));
                }
            }
            Ok(None)
        };
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.name().as_ref() {
                    "key" => {
                        if let (Some(id), Some(name)) = (attr(e, "id")?, attr(e, "attr.name")?) {
                            let domain = attr(e, "for")?.unwrap_or_else(|| "all".into());
                            keys.insert((domain, id), name);
                        }
                    }
                    "graph" => {
                        saw_graph = true;
                        directed = attr(e, "edgedefault")?.as_deref() == Some("directed");
                    }
                    "node" => {
                        let id = attr(e, "id")?.ok_or_else(|| {
                            fmt_err(format!("line {}: a node has no id", line_of(pos)))
                        })?;
                        nodes.push(RawNode { id, data: HashMap::new() });
                        if !empty {
                            current = Some(("node", nodes.len() - 1));
                        }
                    }
                    "edge" => {
                        let (Some(source), Some(target)) = (attr(e, "source")?, attr(e, "target")?)
                        else {
                            return Err(fmt_err(format!(
                                "line {}: an edge lacks its source or target",
                                line_of(pos)
                            )));
                        };
                        edges.push(RawEdge {
                            source,
                            target,
                            data: HashMap::new(),
                            line: line_of(pos),
                        });
                        if !empty {
                            current = Some(("edge", edges.len() - 1));
                        }
                    }
                    "data" if !empty => {
                        data_key = attr(e, "key")?;
                        // The value is assembled from text pieces and entity references.
                        if let (Some(k), Some((domain, i))) = (&data_key, current) {
                            let name = keys
                                .get(&(domain.to_string(), k.clone()))
                                .or_else(|| keys.get(&("all".to_string(), k.clone())))
                                .cloned()
                                .unwrap_or_else(|| k.clone());
                            let map = if domain == "node" {
                                &mut nodes[i].data
                            } else {
                                &mut edges[i].data
                            };
                            map.insert(name.clone(), String::new());
                            data_key = Some(name);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {
                if let (Some(name), Some((domain, i))) = (&data_key, current) {
                    let piece: String = match &event {
                        Event::Text(t) => quick_xml::escape::unescape(&t.xml10_content())
                            .map_err(|e| fmt_err(format!("line {}: {e}", line_of(pos))))?
                            .into_owned(),
                        Event::CData(c) => AsRef::<str>::as_ref(c).to_string(),
                        Event::GeneralRef(r) => {
                            if r.is_char_ref() {
                                match r.resolve_char_ref() {
                                    Ok(Some(c)) => c.to_string(),
                                    _ => {
                                        return Err(fmt_err(format!(
                                            "line {}: bad character reference &{};",
                                            line_of(pos),
                                            &**r
                                        )));
                                    }
                                }
                            } else {
                                match quick_xml::escape::resolve_predefined_entity(r) {
                                    Some(v) => v.to_string(),
                                    None => {
                                        return Err(fmt_err(format!(
                                            "line {}: unknown entity &{};",
                                            line_of(pos),
                                            &**r
                                        )));
                                    }
                                }
                            }
                        }
                        _ => String::new(),
                    };
                    let map =
                        if domain == "node" { &mut nodes[i].data } else { &mut edges[i].data };
                    map.entry(name.clone()).or_default().push_str(&piece);
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "data" => data_key = None,
                "node" | "edge" => current = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_graph {
        return Err(fmt_err("no <graph> element: this is not a GraphML file".into()));
    }
    if nodes.is_empty() {
        return Err(fmt_err("the graph has no nodes".into()));
    }

    let mut topo = Topology::new();
    let mut label_count: HashMap<String, usize> = HashMap::new();
    for n in &nodes {
        *label_count
            .entry(n.data.get("label").map(|l| l.trim().to_string()).unwrap_or_default())
            .or_default() += 1;
    }
    let mut ids = HashMap::new();
    for n in &nodes {
        let label = n.data.get("label").map(|l| l.trim().to_string()).unwrap_or_default();
        let name = if label.is_empty() || label_count[&label] > 1 {
            format!("{label} ({})", n.id)
        } else {
            label
        };
        let num = |k: &str| n.data.get(k).and_then(|v| v.trim().parse::<f64>().ok());
        let position = match (num("Latitude"), num("Longitude")) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Some(Position::Geo { lat_deg: lat, lon_deg: lon })
            }
            _ => None,
        };
        if ids.contains_key(&n.id) {
            return Err(fmt_err(format!("node id \"{}\" appears twice", n.id)));
        }
        let id = topo.add_node(&name, Role::Other, position).map_err(|e| fmt_err(e.to_string()))?;
        ids.insert(n.id.clone(), id);
    }
    let mut skipped_loops = 0;
    let mut defaulted_capacity = 0;
    let mut defaulted_delay = 0;
    for (k, e) in edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (ids.get(&e.source), ids.get(&e.target)) else {
            let missing = if ids.contains_key(&e.source) { &e.target } else { &e.source };
            return Err(fmt_err(format!(
                "edge {k} (line {}) refers to unknown node \"{missing}\"",
                e.line
            )));
        };
        if a == b {
            skipped_loops += 1;
            continue;
        }
        let label = || {
            format!(
                "edge {k} ({} - {}, line {})",
                topo.node(a).map(|n| n.name.clone()).unwrap_or_default(),
                topo.node(b).map(|n| n.name.clone()).unwrap_or_default(),
                e.line
            )
        };
        let capacity = match e.data.get("LinkSpeedRaw").map(|v| v.trim().parse::<f64>()) {
            Some(Ok(c)) if c.is_finite() && c > 0.0 => c,
            Some(Ok(c)) => {
                return Err(TopologyError::BadCapacity { link: label(), capacity_bps: c });
            }
            Some(Err(_)) => {
                return Err(fmt_err(format!(
                    "{}: LinkSpeedRaw \"{}\" is not a number",
                    label(),
                    e.data["LinkSpeedRaw"]
                )));
            }
            None => match options.default_capacity_bps {
                Some(c) => {
                    defaulted_capacity += 1;
                    c
                }
                None => {
                    return Err(TopologyError::MissingCapacity {
                        link: label(),
                        detail: "no LinkSpeedRaw".into(),
                    });
                }
            },
        };
        let delay = match delay_between(&topo, a, b) {
            Some(d) => d,
            None => match options.default_delay_s {
                Some(d) => {
                    defaulted_delay += 1;
                    d
                }
                None => {
                    return Err(TopologyError::MissingDelay {
                        link: label(),
                        detail: "an end node has no Latitude/Longitude, so its length is unknown"
                            .into(),
                    });
                }
            },
        };
        let link = imported_link(capacity, delay, 1.0);
        if directed {
            let name = format!("{}->{}", topo.node(a)?.name, topo.node(b)?.name);
            topo.add_link(a, b, crate::topology::Link { name, ..link })?;
        } else {
            topo.add_duplex(a, b, link)?;
        }
    }
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
    if topo.n_links() == 0 {
        return Err(fmt_err("the graph has no edges between distinct nodes".into()));
    }
    Ok(topo)
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
