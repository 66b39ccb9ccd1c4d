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
use crate::error::TopologyError;
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
    parse(&text).map_err(|reason| TopologyError::Format { path: path.to_path_buf(), reason })
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
pub fn parse(text: &str) -> Result<SndlibNetwork, String> {
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
fn number(s: &str, what: &str, line_no: usize) -> Result<f64, String> {
    s.parse::<f64>().map_err(|_| format!("line {line_no}: {what} \"{s}\" is not a number"))
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
    fn line(&mut self, line_no: usize, line: &str) -> Result<(), String> {
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
    fn open_section(&mut self, line_no: usize, line: &str) -> Result<(), String> {
        let Some(name) = line.strip_suffix('(').map(str::trim) else {
            return Err(format!(
                "line {line_no}: expected a section such as \"NODES (\", got \"{line}\""
            ));
        };
        self.section = name.to_string();
        self.saw_nodes |= self.section == "NODES";
        self.saw_links |= self.section == "LINKS";
        Ok(())
    }

    /// A line `)`: closes a nested block, or the section (adding the nodes at the end of NODES).
    fn close(&mut self) -> Result<(), String> {
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
    fn add_pending_nodes(&mut self) -> Result<(), String> {
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
                .map_err(|e| format!("line {}: {e}", n.line))?;
        }
        self.planar = !geographic;
        Ok(())
    }

    /// `unit = <unit>` in META; other keys are ignored.
    fn meta_line(&mut self, line_no: usize, t: &[String]) -> Result<(), String> {
        if let [key, eq, value] = t
            && key == "unit"
            && eq == "="
        {
            self.unit = match value.as_str() {
                "BITPERSEC" => 1.0,
                "KBITPERSEC" => 1e3,
                "MBITPERSEC" => 1e6,
                "GBITPERSEC" => 1e9,
                other => return Err(format!("line {line_no}: unknown unit \"{other}\"")),
            };
        }
        Ok(())
    }

    /// `<node> ( <lon> <lat> )` or `<node>` in NODES.
    fn node_line(&mut self, line_no: usize, line: &str, t: &[String]) -> Result<(), String> {
        let (name, coords) = match t {
            [name, o, x, y, c] if o == "(" && c == ")" => {
                let (x, y) =
                    (number(x, "longitude or x", line_no)?, number(y, "latitude or y", line_no)?);
                if !(x.is_finite() && y.is_finite()) {
                    return Err(format!("line {line_no}: node {name}: coordinates must be finite"));
                }
                (name.clone(), Some((x, y)))
            }
            [name] => (name.clone(), None),
            _ => {
                return Err(format!(
                    "line {line_no}: expected \"<node> ( <lon> <lat> )\", got \"{line}\""
                ));
            }
        };
        if self.pending_nodes.iter().any(|n| n.name == name) {
            return Err(format!("line {line_no}: node \"{name}\" is defined twice"));
        }
        self.pending_nodes.push(PendingNode { name, coords, line: line_no });
        Ok(())
    }

    /// The node called `n`, which link or demand `id` (`what`) refers to.
    fn lookup(&self, n: &str, what: &str, id: &str, line_no: usize) -> Result<NodeId, String> {
        self.topo
            .node_id(n)
            .ok_or_else(|| format!("line {line_no}: {what} {id} refers to unknown node \"{n}\""))
    }

    /// A LINKS line, which becomes a duplex pair of links.
    fn link_line(&mut self, line_no: usize, line: &str, t: &[String]) -> Result<(), String> {
        // id ( src tgt ) pre_cap pre_cost routing_cost setup_cost ( module_cap module_cost ... )
        if t.len() < 10
            || t[1] != "("
            || t[4] != ")"
            || t[9] != "("
            || t.last().map(String::as_str) != Some(")")
        {
            return Err(format!(
                "line {line_no}: expected \"<link> ( <src> <tgt> ) <pre_cap> <pre_cost> <routing_cost> <setup_cost> ( <modules> )\", got \"{line}\""
            ));
        }
        let id = &t[0];
        let a = self.lookup(&t[2], "link", id, line_no)?;
        let b = self.lookup(&t[3], "link", id, line_no)?;
        let pre = number(&t[5], "pre-installed capacity", line_no)?;
        let routing_cost = number(&t[7], "routing cost", line_no)?;
        let capacity = link_capacity(pre, &t[10..t.len() - 1], id, line_no)? * self.unit;
        if capacity.is_nan() || capacity <= 0.0 {
            return Err(format!(
                "line {line_no}: link {id} has neither a pre-installed capacity nor a module"
            ));
        }
        let delay = match (self.planar, delay_between(&self.topo, a, b)) {
            (false, Some(d)) => d,
            _ => {
                self.defaulted_delay += 1;
                PLANAR_DELAY_S
            }
        };
        let weight = if routing_cost > 0.0 { routing_cost } else { 1.0 };
        self.topo
            .add_duplex(a, b, imported_link(capacity, delay, weight))
            .map_err(|e| format!("line {line_no}: link {id}: {e}"))?;
        Ok(())
    }

    /// A DEMANDS line.
    fn demand_line(&mut self, line_no: usize, line: &str, t: &[String]) -> Result<(), String> {
        // id ( src tgt ) routing_unit value max_path_length
        if t.len() < 7 || t[1] != "(" || t[4] != ")" {
            return Err(format!(
                "line {line_no}: expected \"<demand> ( <src> <tgt> ) <routing_unit> <value> <max_path_length>\", got \"{line}\""
            ));
        }
        let id = &t[0];
        let a = self.lookup(&t[2], "demand", id, line_no)?;
        let b = self.lookup(&t[3], "demand", id, line_no)?;
        let value = number(&t[6], "demand value", line_no)?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!("line {line_no}: demand {id}: value {value} must be >= 0"));
        }
        if a == b {
            return Err(format!("line {line_no}: demand {id} goes from a node to itself"));
        }
        self.demands.push(Demand { name: id.clone(), src: a, dst: b });
        self.demand_lines.push(line_no);
        self.rates.push(value * self.unit);
        Ok(())
    }

    /// Checks what only the whole file can tell, and adds the notes.
    fn finish(mut self) -> Result<SndlibNetwork, String> {
        if !self.section.is_empty() {
            return Err(format!("section {} is not closed with \")\"", self.section));
        }
        if !self.saw_nodes || !self.saw_links {
            return Err("an SNDlib network needs NODES and LINKS sections".into());
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
    fn check_connected(&self) -> Result<(), String> {
        let topo = &self.topo;
        let Some(k) =
            crate::routing::first_disconnected(topo, self.demands.iter().map(|d| (d.src, d.dst)))
        else {
            return Ok(());
        };
        let d = &self.demands[k];
        let name = |n| topo.node(n).map(|x| x.name.clone()).unwrap_or_default();
        Err(format!(
            "line {}: demand {}: no path from {} to {} (the network does not connect them)",
            self.demand_lines[k],
            d.name,
            name(d.src),
            name(d.dst)
        ))
    }
}

/// A link's capacity in the file's unit: the pre-installed capacity if positive, else the
/// largest of the `modules` (capacity/cost pairs).
fn link_capacity(pre: f64, modules: &[String], id: &str, line_no: usize) -> Result<f64, String> {
    if !modules.len().is_multiple_of(2) {
        return Err(format!("line {line_no}: link {id}: modules come in capacity/cost pairs"));
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
        let bad = TINY.replace("( A B )", "( A Z )");
        assert!(
            parse(&bad).unwrap_err().contains("line 11")
                && parse(&bad).unwrap_err().contains("\"Z\"")
        );
        let bad = TINY.replace("1 1.50", "1 -2");
        assert!(parse(&bad).unwrap_err().contains("D1"));
        let bad = TINY.replace("( 10.00 1.0 40.00 3.0 )", "( )");
        assert!(parse(&bad).unwrap_err().contains("neither"));
        assert!(parse("NODES (\n A\n").unwrap_err().contains("not closed"));
        assert!(
            load(Path::new("/nonexistent/x.txt"))
                .unwrap_err()
                .to_string()
                .contains("/nonexistent/x.txt")
        );
    }
}
