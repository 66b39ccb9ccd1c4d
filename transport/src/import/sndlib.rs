//! SNDlib native network files: nodes with coordinates, undirected links with capacities, and a
//! demand matrix.
//!
//! * Units: the `META` section's `unit` (`MBITPERSEC`, `GBITPERSEC`, `KBITPERSEC`, `BITPERSEC`);
//!   Mbit/s when absent, as in SNDlib's own instances.
//! * Capacity of a link: its pre-installed capacity if positive, otherwise the largest module
//!   capacity it offers (SNDlib instances are planning problems; the largest module is the
//!   installable maximum). Links are full duplex: each becomes two directed links of that capacity.
//! * IGP weight: the link's routing cost if positive, else 1.
//! * Positions: `( lon lat )` when every node's pair is a valid longitude and latitude, and delay
//!   from the great-circle distance; otherwise the pairs are planar drawing coordinates (as in
//!   `atlanta`), kept as local x/y, and every link gets [`PLANAR_DELAY_S`] with a note.
//! * Demands: one per DEMANDS entry, at its value times the unit.

use std::path::Path;

use super::{delay_between, imported_link, io_error};
use crate::error::{SndlibError, TopologyError};
use crate::flow::Demand;
use crate::topology::{NodeId, Position, Role, Topology};

/// Propagation delay of links whose length is unknown (planar or missing coordinates), seconds.
pub const PLANAR_DELAY_S: f64 = 0.001;

/// A network read from an SNDlib file.
#[derive(Debug, Clone)]
pub struct SndlibNetwork {
    /// The topology.
    pub topology: Topology,
    /// The demands, in file order.
    pub demands: Vec<Demand>,
    /// Each demand's rate, bit/s.
    pub rates_bps: Vec<f64>,
}

/// Reads an SNDlib native file.
pub fn load(path: &Path) -> Result<SndlibNetwork, TopologyError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    parse(&text).map_err(|reason| TopologyError::Sndlib { path: path.to_path_buf(), reason })
}

/// Splits a section line into tokens, treating parentheses as separate tokens.
fn tokens(line: &str) -> Vec<String> {
    line.replace('(', " ( ").replace(')', " ) ").split_whitespace().map(str::to_string).collect()
}

/// A node read but not yet added: the topology learns the nodes when the NODES section closes,
/// once it is known whether the coordinates are geographic.
#[derive(Debug)]
struct PendingNode {
    name: String,
    /// The `( x y )` pair, longitude and latitude if geographic.
    coords: Option<(f64, f64)>,
    line: usize,
}

/// Parses SNDlib text; errors say which line is wrong.
pub fn parse(text: &str) -> Result<SndlibNetwork, SndlibError> {
    let mut parser = Parser::new();
    for (no, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('?') {
            continue;
        }
        parser.line(no + 1, line)?;
    }
    parser.finish()
}

/// The state of a pass over an SNDlib file, line by line.
#[derive(Debug)]
struct Parser {
    /// Bit/s per unit of the file's capacities and demands.
    unit: f64,
    /// The open section, empty between sections.
    section: String,
    topo: Topology,
    demands: Vec<Demand>,
    rates: Vec<f64>,
    /// The line of each demand, for errors found after reading.
    demand_lines: Vec<usize>,
    saw_nodes: bool,
    saw_links: bool,
    /// Blocks open inside the current section.
    depth: usize,
    pending_nodes: Vec<PendingNode>,
    /// Whether the coordinates are planar drawing coordinates rather than geographic.
    planar: bool,
    /// Links given [`PLANAR_DELAY_S`].
    defaulted_delay: usize,
}

/// Parses a number, naming `what` and the line if it is not one.
fn number(s: &str, what: &'static str, line_no: usize) -> Result<f64, SndlibError> {
    s.parse::<f64>().map_err(|_| SndlibError::NotANumber {
        line: line_no,
        what,
        value: s.to_string(),
    })
}

impl Parser {
    fn new() -> Parser {
        Parser {
            unit: 1e6,
            section: String::new(),
            topo: Topology::new(),
            demands: Vec::new(),
            rates: Vec::new(),
            demand_lines: Vec::new(),
            saw_nodes: false,
            saw_links: false,
            depth: 0,
            pending_nodes: Vec::new(),
            planar: false,
            defaulted_delay: 0,
        }
    }

    /// One non-empty line, without its comment.
    fn line(&mut self, line_no: usize, line: &str) -> Result<(), SndlibError> {
        if self.section.is_empty() {
            return self.open_section(line_no, line);
        }
        if line == ")" {
            return self.close();
        }
        // Blocks nested in a section (ADMISSIBLE_PATHS lists paths per demand) open with a line
        // that leaves a parenthesis unclosed.
        let open = line.matches('(').count() as i64 - line.matches(')').count() as i64;
        if open > 0 {
            self.depth += open as usize;
            return Ok(());
        }
        let t = tokens(line);
        match self.section.as_str() {
            "META" => self.meta_line(line_no, &t),
            "NODES" => self.node_line(line_no, line, &t),
            "LINKS" => self.link_line(line_no, line, &t),
            "DEMANDS" => self.demand_line(line_no, line, &t),
            _ => Ok(()), // ADMISSIBLE_PATHS and other sections: not used.
        }
    }

    /// A line between sections, which must open one.
    fn open_section(&mut self, line_no: usize, line: &str) -> Result<(), SndlibError> {
        let Some(name) = line.strip_suffix('(').map(str::trim) else {
            return Err(SndlibError::ExpectedSection { line: line_no, text: line.to_string() });
        };
        self.section = name.to_string();
        self.saw_nodes |= self.section == "NODES";
        self.saw_links |= self.section == "LINKS";
        Ok(())
    }

    /// A line `)`: closes a nested block, or the section (adding the nodes at the end of NODES).
    fn close(&mut self) -> Result<(), SndlibError> {
        if self.depth > 0 {
            self.depth -= 1;
            return Ok(());
        }
        if self.section == "NODES" {
            self.add_pending_nodes()?;
        }
        self.section.clear();
        Ok(())
    }

    /// Adds the nodes read, as geographic positions only if every pair is a longitude and a
    /// latitude, else as planar ones.
    fn add_pending_nodes(&mut self) -> Result<(), SndlibError> {
        let geographic = self.pending_nodes.iter().all(|n| {
            n.coords.is_none_or(|(lon, lat): (f64, f64)| {
                (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
            })
        });
        for n in self.pending_nodes.drain(..) {
            let position = n.coords.map(|(x, y)| {
                if geographic {
                    Position::Geo { lat_deg: y, lon_deg: x }
                } else {
                    Position::Local { x_m: x, y_m: y }
                }
            });
            self.topo
                .add_node(&n.name, Role::Other, position)
                .map_err(|e| SndlibError::Node { line: n.line, source: Box::new(e) })?;
        }
        self.planar = !geographic;
        Ok(())
    }

    /// `unit = <unit>` in META; other keys are ignored.
    fn meta_line(&mut self, line_no: usize, t: &[String]) -> Result<(), SndlibError> {
        if let [key, eq, value] = t
            && key == "unit"
            && eq == "="
        {
            self.unit = match value.as_str() {
                "BITPERSEC" => 1.0,
                "KBITPERSEC" => 1e3,
                "MBITPERSEC" => 1e6,
                "GBITPERSEC" => 1e9,
                other => {
                    return Err(SndlibError::UnknownUnit {
                        line: line_no,
                        unit: other.to_string(),
                    });
                }
            };
        }
        Ok(())
    }

    /// `<node> ( <lon> <lat> )` or `<node>` in NODES.
    fn node_line(&mut self, line_no: usize, line: &str, t: &[String]) -> Result<(), SndlibError> {
        let (name, coords) = match t {
            [name, o, x, y, c] if o == "(" && c == ")" => {
                let (x, y) =
                    (number(x, "longitude or x", line_no)?, number(y, "latitude or y", line_no)?);
                if !(x.is_finite() && y.is_finite()) {
                    return Err(SndlibError::NonFiniteCoordinates {
                        line: line_no,
                        node: name.clone(),
                    });
                }
                (name.clone(), Some((x, y)))
            }
            [name] => (name.clone(), None),
            _ => {
                return Err(SndlibError::BadNodeLine { line: line_no, text: line.to_string() });
            }
        };
        if self.pending_nodes.iter().any(|n| n.name == name) {
            return Err(SndlibError::DuplicateNode { line: line_no, node: name });
        }
        self.pending_nodes.push(PendingNode { name, coords, line: line_no });
        Ok(())
    }

    /// The node called `n`, which link or demand `id` (`what`) refers to.
    fn lookup(
        &self,
        n: &str,
        what: &'static str,
        id: &str,
        line_no: usize,
    ) -> Result<NodeId, SndlibError> {
        self.topo.node_id(n).ok_or_else(|| SndlibError::UnknownNode {
            line: line_no,
            what,
            id: id.to_string(),
            node: n.to_string(),
        })
    }

    /// A LINKS line, which becomes a duplex pair of links.
    fn link_line(&mut self, line_no: usize, line: &str, t: &[String]) -> Result<(), SndlibError> {
        // id ( src tgt ) pre_cap pre_cost routing_cost setup_cost ( module_cap module_cost ... )
        if t.len() < 10
            || t[1] != "("
            || t[4] != ")"
            || t[9] != "("
            || t.last().map(String::as_str) != Some(")")
        {
            return Err(SndlibError::BadLinkLine { line: line_no, text: line.to_string() });
        }
        let id = &t[0];
        let a = self.lookup(&t[2], "link", id, line_no)?;
        let b = self.lookup(&t[3], "link", id, line_no)?;
        let pre = number(&t[5], "pre-installed capacity", line_no)?;
        let routing_cost = number(&t[7], "routing cost", line_no)?;
        let capacity = link_capacity(pre, &t[10..t.len() - 1], id, line_no)? * self.unit;
        if capacity.is_nan() || capacity <= 0.0 {
            return Err(SndlibError::NoCapacity { line: line_no, link: id.clone() });
        }
        let delay = match (self.planar, delay_between(&self.topo, a, b)) {
            (false, Some(d)) => d,
            _ => {
                self.defaulted_delay += 1;
                PLANAR_DELAY_S
            }
        };
        let weight = if routing_cost > 0.0 { routing_cost } else { 1.0 };
        self.topo.add_duplex(a, b, imported_link(capacity, delay, weight)).map_err(|e| {
            SndlibError::Link { line: line_no, link: id.clone(), source: Box::new(e) }
        })?;
        Ok(())
    }

    /// A DEMANDS line.
    fn demand_line(&mut self, line_no: usize, line: &str, t: &[String]) -> Result<(), SndlibError> {
        // id ( src tgt ) routing_unit value max_path_length
        if t.len() < 7 || t[1] != "(" || t[4] != ")" {
            return Err(SndlibError::BadDemandLine { line: line_no, text: line.to_string() });
        }
        let id = &t[0];
        let a = self.lookup(&t[2], "demand", id, line_no)?;
        let b = self.lookup(&t[3], "demand", id, line_no)?;
        let value = number(&t[6], "demand value", line_no)?;
        // 1e300 Gbit/s is a finite number of units but an infinite rate.
        if !(value.is_finite() && value >= 0.0 && (value * self.unit).is_finite()) {
            return Err(SndlibError::BadDemandValue { line: line_no, demand: id.clone(), value });
        }
        if a == b {
            return Err(SndlibError::SelfDemand { line: line_no, demand: id.clone() });
        }
        self.demands.push(Demand { name: id.clone(), src: a, dst: b });
        self.demand_lines.push(line_no);
        self.rates.push(value * self.unit);
        Ok(())
    }

    /// Checks what only the whole file can tell, and adds the notes.
    fn finish(mut self) -> Result<SndlibNetwork, SndlibError> {
        if !self.section.is_empty() {
            return Err(SndlibError::UnclosedSection { section: self.section });
        }
        if !self.saw_nodes || !self.saw_links {
            return Err(SndlibError::MissingSections);
        }
        self.check_connected()?;
        if self.defaulted_delay > 0 {
            let why = if self.planar {
                "the coordinates are planar, not geographic"
            } else {
                "an end node has no coordinates"
            };
            self.topo.notes.push(format!(
                "{} links given a {} ms delay: {why}",
                self.defaulted_delay,
                PLANAR_DELAY_S * 1e3
            ));
        }
        Ok(SndlibNetwork { topology: self.topo, demands: self.demands, rates_bps: self.rates })
    }

    /// Fails on the first demand whose ends the network does not connect.
    fn check_connected(&self) -> Result<(), SndlibError> {
        let topo = &self.topo;
        let Some(k) =
            crate::routing::first_disconnected(topo, self.demands.iter().map(|d| (d.src, d.dst)))
        else {
            return Ok(());
        };
        let d = &self.demands[k];
        let name = |n| topo.node(n).map(|x| x.name.clone()).unwrap_or_default();
        Err(SndlibError::Unroutable {
            line: self.demand_lines[k],
            demand: d.name.clone(),
            from: name(d.src),
            to: name(d.dst),
        })
    }
}

/// A link's capacity in the file's unit: the pre-installed capacity if positive, else the
/// largest of the `modules` (capacity/cost pairs).
fn link_capacity(
    pre: f64,
    modules: &[String],
    id: &str,
    line_no: usize,
) -> Result<f64, SndlibError> {
    if !modules.len().is_multiple_of(2) {
        return Err(SndlibError::OddModules { line: line_no, link: id.to_string() });
    }
    let mut largest = 0.0f64;
    for pair in modules.chunks(2) {
        largest = largest.max(number(&pair[0], "module capacity", line_no)?);
    }
    Ok(if pre > 0.0 { pre } else { largest })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "?SNDlib native format; type: network; version: 1.0\nMETA (\n  unit  = GBITPERSEC\n)\nNODES (\n  A ( 2.35 48.86 )\n  B ( -0.13 51.51 )\n  C ( 4.35 50.85 )\n)\nLINKS (\n  AB ( A B ) 0.00 0.00 0.00 0.00 ( 10.00 1.0 40.00 3.0 )\n  BC ( B C ) 2.50 0.00 3.00 0.00 ( )\n)\nDEMANDS (\n  D1 ( A C ) 1 1.50 UNLIMITED\n)\n";

    #[test]
    fn reads_nodes_links_and_demands() {
        let net = parse(TINY).unwrap();
        let t = &net.topology;
        assert_eq!((t.n_nodes(), t.n_links()), (3, 4));
        let (a, b, c) = (t.node_id("A").unwrap(), t.node_id("B").unwrap(), t.node_id("C").unwrap());
        assert_eq!(
            t.link(t.find_link(a, b).unwrap()).unwrap().capacity_bps,
            40e9,
            "largest module"
        );
        let bc = t.link(t.find_link(c, b).unwrap()).unwrap();
        assert_eq!(
            (bc.capacity_bps, bc.igp_weight),
            (2.5e9, 3.0),
            "pre-installed capacity, routing cost"
        );
        assert_eq!(net.rates_bps, vec![1.5e9]);
        assert_eq!((net.demands[0].src, net.demands[0].dst), (a, c));
    }

    #[test]
    fn errors_name_the_line() {
        let err = |text: &str| parse(text).unwrap_err();
        let e = err(&TINY.replace("( A B )", "( A Z )"));
        assert!(
            matches!(&e, SndlibError::UnknownNode { line: 11, what: "link", node, .. } if node == "Z"),
            "{e}"
        );
        assert!(e.to_string().contains("line 11") && e.to_string().contains("\"Z\""), "{e}");
        let e = err(&TINY.replace("1 1.50", "1 -2"));
        assert!(matches!(&e, SndlibError::BadDemandValue { line: 15, value: -2.0, .. }), "{e}");
        assert!(e.to_string().contains("D1"), "{e}");
        let e = err(&TINY.replace("1 1.50", "1 1e300"));
        assert!(matches!(&e, SndlibError::BadDemandValue { line: 15, .. }), "{e}");
        let e = err(&TINY.replace("( 10.00 1.0 40.00 3.0 )", "( )"));
        assert!(e.to_string().contains("neither"), "{e}");
        assert!(err("NODES (\n A\n").to_string().contains("not closed"));
        let e = err(&TINY.replace("2.50 0.00 3.00", "2.50 0.00 cheap"));
        assert_eq!(e.to_string(), "line 12: routing cost \"cheap\" is not a number");
        assert!(
            load(Path::new("/nonexistent/x.txt"))
                .unwrap_err()
                .to_string()
                .contains("/nonexistent/x.txt")
        );
    }

    #[test]
    fn a_refused_link_keeps_the_topology_error_as_its_source() {
        // A capacity of 1e400 Gbit/s overflows to infinity, which the topology refuses.
        let e = err_of(&TINY.replace("2.50 0.00 3.00", "1e400 0.00 3.00"));
        let SndlibError::Link { line: 12, link, source } = &e else { panic!("{e:?}") };
        assert_eq!(link, "BC");
        assert!(matches!(**source, TopologyError::BadCapacity { .. }), "{source}");
        // The file's error says it all once: the line, the link, the topology's reason.
        let text = TopologyError::Sndlib { path: "net.txt".into(), reason: e }.to_string();
        assert!(text.starts_with("net.txt: line 12: link BC: link "), "{text}");
        assert_eq!(text.matches("capacity").count(), 1, "{text}");
    }

    fn err_of(text: &str) -> SndlibError {
        parse(text).unwrap_err()
    }
}
