//! The project's own topology files: `nodes.csv` and `links.csv` (format in `docs/transport.md`),
//! and demand files.
//!
//! `nodes.csv`: `node_id, role` and optionally `lat, lon` or `x_m, y_m`, and `up`.
//! `links.csv`: `link_id, from, to, capacity_bps` and optionally `delay_s` (empty: from the end
//! positions), `buffer_bytes` (empty: 100 ms at the link rate), `igp_weight` (empty: 1), `up`
//! (`true`/`false`), `duplex` (`true` adds the reverse direction too). Export writes every
//! directed link as its own row.
//! `demands.csv`: `demand_id, from, to, rate_bps`.

use std::collections::HashMap;
use std::path::Path;

use super::{delay_between, io_error};
use crate::error::TopologyError;
use crate::flow::Demand;
use crate::topology::{Link, Position, Role, Topology, default_buffer_bytes};

struct Table {
    path: std::path::PathBuf,
    columns: HashMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path, required: &[&str]) -> Result<Table, TopologyError> {
        let fmt = |reason: String| TopologyError::Format { path: path.to_path_buf(), reason };
        let file = std::fs::File::open(path).map_err(io_error(path))?;
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(file);
        let headers =
            reader.headers().map_err(|e| fmt(format!("cannot read the header row: {e}")))?.clone();
        let columns: HashMap<String, usize> =
            headers.iter().enumerate().map(|(i, h)| (h.to_string(), i)).collect();
        for c in required {
            if !columns.contains_key(*c) {
                return Err(fmt(format!(
                    "missing column \"{c}\" (columns found: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let mut rows = Vec::new();
        for (i, r) in reader.records().enumerate() {
            let r = r.map_err(|e| TopologyError::Row {
                path: path.to_path_buf(),
                line: i + 2,
                reason: e.to_string(),
            })?;
            rows.push((i + 2, r));
        }
        Ok(Table { path: path.to_path_buf(), columns, rows })
    }

    fn get<'a>(&self, row: &'a csv::StringRecord, col: &str) -> Option<&'a str> {
        self.columns.get(col).and_then(|&i| row.get(i)).filter(|v| !v.is_empty())
    }

    fn num(
        &self,
        line: usize,
        row: &csv::StringRecord,
        col: &str,
    ) -> Result<Option<f64>, TopologyError> {
        match self.get(row, col) {
            None => Ok(None),
            Some(v) => v
                .parse::<f64>()
                .map(Some)
                .map_err(|_| self.err(line, format!("column {col}: \"{v}\" is not a number"))),
        }
    }

    fn err(&self, line: usize, reason: String) -> TopologyError {
        TopologyError::Row { path: self.path.clone(), line, reason }
    }
}

/// Reads `nodes.csv` and `links.csv`.
pub fn load(nodes_path: &Path, links_path: &Path) -> Result<Topology, TopologyError> {
    let nodes = Table::read(nodes_path, &["node_id", "role"])?;
    let mut topo = Topology::new();
    for (line, row) in &nodes.rows {
        let name =
            nodes.get(row, "node_id").ok_or_else(|| nodes.err(*line, "empty node_id".into()))?;
        let role_text = nodes.get(row, "role").unwrap_or("other");
        let role = Role::parse(role_text).ok_or_else(|| {
            nodes.err(*line, format!("role \"{role_text}\" is not one of cell_site, aggregation, core, interconnect, other"))
        })?;
        let position = match (
            nodes.num(*line, row, "lat")?,
            nodes.num(*line, row, "lon")?,
            nodes.num(*line, row, "x_m")?,
            nodes.num(*line, row, "y_m")?,
        ) {
            (Some(lat), Some(lon), _, _) => Some(Position::Geo { lat_deg: lat, lon_deg: lon }),
            (_, _, Some(x), Some(y)) => Some(Position::Local { x_m: x, y_m: y }),
            _ => None,
        };
        let id =
            topo.add_node(name, role, position).map_err(|e| nodes.err(*line, e.to_string()))?;
        match nodes.get(row, "up") {
            None | Some("true") | Some("1") => {}
            Some("false") | Some("0") => topo.fail_node(id)?,
            Some(v) => return Err(nodes.err(*line, format!("up = \"{v}\" is not true or false"))),
        }
    }
    let links = Table::read(links_path, &["link_id", "from", "to", "capacity_bps"])?;
    for (line, row) in &links.rows {
        let name = links
            .get(row, "link_id")
            .ok_or_else(|| links.err(*line, "empty link_id".into()))?
            .to_string();
        let end = |col: &str| -> Result<crate::topology::NodeId, TopologyError> {
            let n = links.get(row, col).unwrap_or("");
            topo.node_id(n).ok_or_else(|| {
                links.err(
                    *line,
                    TopologyError::UnknownNode { link: name.clone(), node: n.to_string() }
                        .to_string(),
                )
            })
        };
        let (a, b) = (end("from")?, end("to")?);
        let capacity = links
            .num(*line, row, "capacity_bps")?
            .ok_or_else(|| links.err(*line, format!("link {name} has no capacity_bps")))?;
        let delay = match links.num(*line, row, "delay_s")? {
            Some(d) => d,
            None => delay_between(&topo, a, b).ok_or_else(|| {
                links.err(*line, format!("link {name} has no delay_s and its end nodes have no positions to measure it from"))
            })?,
        };
        let up = match links.get(row, "up") {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(v) => return Err(links.err(*line, format!("up = \"{v}\" is not true or false"))),
        };
        let duplex = matches!(links.get(row, "duplex"), Some("true") | Some("1"));
        let buffer = match links.num(*line, row, "buffer_bytes")? {
            Some(v) if v >= 0.0 => v as u64,
            Some(v) => return Err(links.err(*line, format!("buffer_bytes {v} is negative"))),
            None => default_buffer_bytes(capacity.max(0.0)),
        };
        let link = Link {
            name: name.clone(),
            capacity_bps: capacity,
            delay_s: delay,
            buffer_bytes: buffer,
            igp_weight: links.num(*line, row, "igp_weight")?.unwrap_or(1.0),
            up,
        };
        if duplex {
            let back = Link { name: format!("{name} (reverse)"), ..link.clone() };
            topo.add_link(a, b, link).map_err(|e| links.err(*line, e.to_string()))?;
            topo.add_link(b, a, back).map_err(|e| links.err(*line, e.to_string()))?;
        } else {
            topo.add_link(a, b, link).map_err(|e| links.err(*line, e.to_string()))?;
        }
    }
    Ok(topo)
}

fn werr(p: &Path) -> impl FnOnce(csv::Error) -> TopologyError + '_ {
    move |e| TopologyError::Format { path: p.to_path_buf(), reason: e.to_string() }
}

/// Writes the topology as `nodes.csv` and `links.csv` (every directed link a row), each
/// through the workspace's atomic writer (complete or absent).
pub fn save(topo: &Topology, nodes_path: &Path, links_path: &Path) -> Result<(), TopologyError> {
    write_table(nodes_path, |w| {
        w.write_record(["node_id", "role", "lat", "lon", "x_m", "y_m", "up"])
            .map_err(werr(nodes_path))?;
        for id in topo.node_ids() {
            let n = topo.node(id)?;
            let (lat, lon, x, y) = match n.position {
                Some(Position::Geo { lat_deg, lon_deg }) => {
                    (lat_deg.to_string(), lon_deg.to_string(), String::new(), String::new())
                }
                Some(Position::Local { x_m, y_m }) => {
                    (String::new(), String::new(), x_m.to_string(), y_m.to_string())
                }
                None => Default::default(),
            };
            let row = [n.name.clone(), n.role.name().to_string(), lat, lon, x, y, n.up.to_string()];
            w.write_record(row).map_err(werr(nodes_path))?;
        }
        Ok(())
    })?;
    write_table(links_path, |w| {
        w.write_record([
            "link_id",
            "from",
            "to",
            "capacity_bps",
            "delay_s",
            "buffer_bytes",
            "igp_weight",
            "up",
            "duplex",
        ])
        .map_err(werr(links_path))?;
        for id in topo.link_ids() {
            let l = topo.link(id)?;
            let (a, b) = topo.endpoints(id)?;
            w.write_record([
                l.name.clone(),
                topo.node(a)?.name.clone(),
                topo.node(b)?.name.clone(),
                l.capacity_bps.to_string(),
                l.delay_s.to_string(),
                l.buffer_bytes.to_string(),
                l.igp_weight.to_string(),
                l.up.to_string(),
                "false".to_string(),
            ])
            .map_err(werr(links_path))?;
        }
        Ok(())
    })
}

/// A CSV written by `rows` into `path`, atomically.
fn write_table(
    path: &Path,
    rows: impl FnOnce(
        &mut csv::Writer<&mut std::io::BufWriter<std::fs::File>>,
    ) -> Result<(), TopologyError>,
) -> Result<(), TopologyError> {
    twin_format::fsio::write_file_with(path, twin_format::Existing::Replace, |file| {
        let mut w = csv::Writer::from_writer(file);
        rows(&mut w)?;
        w.flush().map_err(io_error(path))
    })
}

/// Reads `demands.csv`: `demand_id, from, to, rate_bps`. A demand between nodes that the
/// topology (as it stands, links in service) does not connect is an error naming its line.
pub fn load_demands(
    path: &Path,
    topo: &Topology,
) -> Result<(Vec<Demand>, Vec<f64>), TopologyError> {
    let t = Table::read(path, &["demand_id", "from", "to", "rate_bps"])?;
    let mut demands = Vec::new();
    let mut rates = Vec::new();
    let mut reachable: HashMap<crate::topology::NodeId, Vec<bool>> = HashMap::new();
    for (line, row) in &t.rows {
        let name = t
            .get(row, "demand_id")
            .ok_or_else(|| t.err(*line, "empty demand_id".into()))?
            .to_string();
        let end = |col: &str| {
            let n = t.get(row, col).unwrap_or("");
            topo.node_id(n)
                .ok_or_else(|| t.err(*line, format!("demand {name}: unknown node \"{n}\"")))
        };
        let (a, b) = (end("from")?, end("to")?);
        if a == b {
            return Err(t.err(*line, format!("demand {name} goes from a node to itself")));
        }
        let rate = t
            .num(*line, row, "rate_bps")?
            .ok_or_else(|| t.err(*line, format!("demand {name} has no rate_bps")))?;
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(t.err(*line, format!("demand {name}: rate {rate} bit/s must be >= 0")));
        }
        let reach = reachable.entry(a).or_insert_with(|| crate::routing::reachable(topo, a));
        if !reach.get(b.0 as usize).copied().unwrap_or(false) {
            return Err(t.err(
                *line,
                format!(
                    "demand {name}: no path from {} to {} (the topology does not connect them)",
                    topo.node(a)?.name,
                    topo.node(b)?.name
                ),
            ));
        }
        demands.push(Demand { name, src: a, dst: b });
        rates.push(rate);
    }
    Ok((demands, rates))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn round_trip_and_errors() {
        let dir = std::env::temp_dir().join(format!("twin-topo-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let nodes = write(
            &dir,
            "nodes.csv",
            "node_id,role,x_m,y_m\nS1,cell_site,0,0\nA1,aggregation,20000,0\nC1,core,,\n",
        );
        let links = write(
            &dir,
            "links.csv",
            "link_id,from,to,capacity_bps,delay_s,igp_weight,duplex\nS1-A1,S1,A1,1e9,,1,true\nA1-C1,A1,C1,1e10,0.002,,true\n",
        );
        let t = load(&nodes, &links).unwrap();
        assert_eq!((t.n_nodes(), t.n_links()), (3, 4));
        let l = t
            .link(t.find_link(t.node_id("S1").unwrap(), t.node_id("A1").unwrap()).unwrap())
            .unwrap();
        assert!((l.delay_s - 1e-4).abs() < 1e-12, "20 km at 2e8 m/s");
        let (n2, l2) = (dir.join("n2.csv"), dir.join("l2.csv"));
        let mut failed = t.clone();
        failed.fail_node(t.node_id("C1").unwrap()).unwrap();
        save(&failed, &n2, &l2).unwrap();
        let again = load(&n2, &l2).unwrap();
        assert_eq!((again.n_nodes(), again.n_links()), (3, 4));
        assert!(
            !again.node(again.node_id("C1").unwrap()).unwrap().up,
            "node state survives the round trip"
        );
        for id in t.link_ids() {
            assert_eq!(t.link(id).unwrap().capacity_bps, again.link(id).unwrap().capacity_bps);
        }
        let bad = write(&dir, "bad.csv", "link_id,from,to,capacity_bps\nX,S1,Z9,1e9\n");
        let err = load(&nodes, &bad).unwrap_err().to_string();
        assert!(
            err.contains("bad.csv")
                && err.contains("line 2")
                && err.contains("unknown node \"Z9\""),
            "{err}"
        );
        let zero =
            write(&dir, "zero.csv", "link_id,from,to,capacity_bps,delay_s\nX,S1,A1,0,0.001\n");
        assert!(load(&nodes, &zero).unwrap_err().to_string().contains("capacity"));
        let nocol = write(&dir, "nocol.csv", "link_id,from,to\nX,S1,A1\n");
        assert!(
            load(&nodes, &nocol)
                .unwrap_err()
                .to_string()
                .contains("missing column \"capacity_bps\"")
        );
        let demands = write(&dir, "d.csv", "demand_id,from,to,rate_bps\nd1,S1,C1,5e8\n");
        let (d, r) = load_demands(&demands, &t).unwrap();
        assert_eq!((d.len(), r[0]), (1, 5e8));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
