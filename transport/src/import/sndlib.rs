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
use crate::topology::{Position, Role, Topology};

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

/// A node read but not yet added: name, coordinate pair, line.
type PendingNode = (String, Option<(f64, f64)>, usize);

/// Parses SNDlib text; errors say which line is wrong.
pub fn parse(text: &str) -> Result<SndlibNetwork, String> {
    let mut unit = 1e6;
    let mut section = String::new();
    let mut topo = Topology::new();
    let mut demands = Vec::new();
    let mut rates = Vec::new();
    let mut saw = (false, false);
    let mut depth = 0usize;
    let mut pending_nodes: Vec<PendingNode> = Vec::new();
    let mut planar = false;
    let mut defaulted_delay = 0usize;
    let mut demand_lines = Vec::new();
    for (no, raw) in text.lines().enumerate() {
        let line_no = no + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('?') {
            continue;
        }
        if section.is_empty() {
            if let Some(name) = line.strip_suffix('(').map(str::trim) {
                section = name.to_string();
                if section == "NODES" {
                    saw.0 = true;
                }
                if section == "LINKS" {
                    saw.1 = true;
                }
                continue;
            }
            return Err(format!(
                "line {line_no}: expected a section such as \"NODES (\", got \"{line}\""
            ));
        }
        if line == ")" {
            if depth > 0 {
                depth -= 1;
            } else {
                if section == "NODES" {
                    // Geographic only if every pair is a longitude and a latitude.
                    let geographic = pending_nodes.iter().all(|(_, p, _)| {
                        p.is_none_or(|(lon, lat): (f64, f64)| {
                            (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
                        })
                    });
                    for (name, p, no) in pending_nodes.drain(..) {
                        let position = p.map(|(x, y)| {
                            if geographic {
                                Position::Geo { lat_deg: y, lon_deg: x }
                            } else {
                                Position::Local { x_m: x, y_m: y }
                            }
                        });
                        topo.add_node(&name, Role::Other, position)
                            .map_err(|e| format!("line {no}: {e}"))?;
                    }
                    planar = !geographic;
                }
                section.clear();
            }
            continue;
        }
        // Blocks nested in a section (ADMISSIBLE_PATHS lists paths per demand) open with a line
        // that leaves a parenthesis unclosed.
        let open = line.matches('(').count() as i64 - line.matches(')').count() as i64;
        if open > 0 {
            depth += open as usize;
            continue;
        }
        let t = tokens(line);
        let num = |s: &str, what: &str| -> Result<f64, String> {
            s.parse::<f64>().map_err(|_| format!("line {line_no}: {what} \"{s}\" is not a number"))
        };
        match section.as_str() {
            "META" => {
                if let [key, eq, value] = &t[..]
                    && key == "unit"
                    && eq == "="
                {
                    unit = match value.as_str() {
                        "BITPERSEC" => 1.0,
                        "KBITPERSEC" => 1e3,
                        "MBITPERSEC" => 1e6,
                        "GBITPERSEC" => 1e9,
                        other => {
                            return Err(format!("line {line_no}: unknown unit \"{other}\""));
                        }
                    };
                }
            }
            "NODES" => {
                let (name, position) = match &t[..] {
                    [name, o, x, y, c] if o == "(" && c == ")" => {
                        let (x, y) = (num(x, "longitude or x")?, num(y, "latitude or y")?);
                        if !(x.is_finite() && y.is_finite()) {
                            return Err(format!(
                                "line {line_no}: node {name}: coordinates must be finite"
                            ));
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
                if pending_nodes.iter().any(|(n, _, _)| *n == name) {
                    return Err(format!("line {line_no}: node \"{name}\" is defined twice"));
                }
                pending_nodes.push((name, position, line_no));
            }
            "LINKS" => {
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
                let lookup = |n: &str| {
                    topo.node_id(n).ok_or_else(|| {
                        format!("line {line_no}: link {id} refers to unknown node \"{n}\"")
                    })
                };
                let (a, b) = (lookup(&t[2])?, lookup(&t[3])?);
                let pre = num(&t[5], "pre-installed capacity")?;
                let routing_cost = num(&t[7], "routing cost")?;
                let modules = &t[10..t.len() - 1];
                if !modules.len().is_multiple_of(2) {
                    return Err(format!(
                        "line {line_no}: link {id}: modules come in capacity/cost pairs"
                    ));
                }
                let mut largest = 0.0f64;
                for pair in modules.chunks(2) {
                    largest = largest.max(num(&pair[0], "module capacity")?);
                }
                let capacity = if pre > 0.0 { pre } else { largest } * unit;
                if capacity.is_nan() || capacity <= 0.0 {
                    return Err(format!(
                        "line {line_no}: link {id} has neither a pre-installed capacity nor a module"
                    ));
                }
                let delay = match (planar, delay_between(&topo, a, b)) {
                    (false, Some(d)) => d,
                    _ => {
                        defaulted_delay += 1;
                        PLANAR_DELAY_S
                    }
                };
                let weight = if routing_cost > 0.0 { routing_cost } else { 1.0 };
                topo.add_duplex(a, b, imported_link(capacity, delay, weight))
                    .map_err(|e| format!("line {line_no}: link {id}: {e}"))?;
            }
            "DEMANDS" => {
                // id ( src tgt ) routing_unit value max_path_length
                if t.len() < 7 || t[1] != "(" || t[4] != ")" {
                    return Err(format!(
                        "line {line_no}: expected \"<demand> ( <src> <tgt> ) <routing_unit> <value> <max_path_length>\", got \"{line}\""
                    ));
                }
                let id = &t[0];
                let lookup = |n: &str| {
                    topo.node_id(n).ok_or_else(|| {
                        format!("line {line_no}: demand {id} refers to unknown node \"{n}\"")
                    })
                };
                let (a, b) = (lookup(&t[2])?, lookup(&t[3])?);
                let value = num(&t[6], "demand value")?;
                if !(value.is_finite() && value >= 0.0) {
                    return Err(format!("line {line_no}: demand {id}: value {value} must be >= 0"));
                }
                if a == b {
                    return Err(format!("line {line_no}: demand {id} goes from a node to itself"));
                }
                demands.push(Demand { name: id.clone(), src: a, dst: b });
                demand_lines.push(line_no);
                rates.push(value * unit);
            }
            _ => {} // ADMISSIBLE_PATHS and other sections: not used.
        }
    }
    if !section.is_empty() {
        return Err(format!("section {section} is not closed with \")\""));
    }
    if !saw.0 || !saw.1 {
        return Err("an SNDlib network needs NODES and LINKS sections".into());
    }
    if let Some(k) =
        crate::routing::first_disconnected(&topo, demands.iter().map(|d| (d.src, d.dst)))
    {
        let d = &demands[k];
        let name = |n| topo.node(n).map(|x| x.name.clone()).unwrap_or_default();
        return Err(format!(
            "line {}: demand {}: no path from {} to {} (the network does not connect them)",
            demand_lines[k],
            d.name,
            name(d.src),
            name(d.dst)
        ));
    }
    if defaulted_delay > 0 {
        let why = if planar {
            "the coordinates are planar, not geographic"
        } else {
            "an end node has no coordinates"
        };
        topo.notes.push(format!(
            "{defaulted_delay} links given a {} ms delay: {why}",
            PLANAR_DELAY_S * 1e3
        ));
    }
    Ok(SndlibNetwork { topology: topo, demands, rates_bps: rates })
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
