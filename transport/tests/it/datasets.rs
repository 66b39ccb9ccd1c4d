//! The shared topologies: every Topology Zoo GraphML file loads or fails with a specific error,
//! every SNDlib file loads with its demands, and bad input names the file and the element.

use std::path::Path;

use transport::flow::{Demand, FlowModel};
use transport::import::{csv as topo_csv, graphml, sndlib};
use transport::routing::{Metric, Routing};

use crate::common::data_dir;

#[test]
fn every_zoo_graphml_loads_or_fails_specifically() {
    let dir = data_dir().join("topologyzoo/graphml");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 276, "the shared set has 276 GraphML files");
    let strict = graphml::GraphmlOptions::default();
    let lenient =
        graphml::GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(1e-3) };
    let (mut strict_ok, mut lenient_ok) = (0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        match graphml::load(f, &strict) {
            Ok(t) => {
                strict_ok += 1;
                assert!(t.n_links() > 0 && t.n_nodes() > 1, "{name}");
            }
            Err(e) => {
                let msg = e.to_string();
                // Specific: the file, then the edge or element, then what to do.
                assert!(msg.contains(&name), "{name}: {msg}");
                let specific = (msg.contains("edge ")
                    && (msg.contains("capacity")
                        || msg.contains("delay")
                        || msg.contains("length")))
                    || msg.contains("no edges")
                    || msg.contains("no nodes");
                assert!(specific, "{name}: unspecific error {msg}");
            }
        }
        match graphml::load(f, &lenient) {
            Ok(t) => {
                lenient_ok += 1;
                // Every imported link has a positive capacity and a finite delay.
                for l in t.link_ids() {
                    let link = t.link(l).unwrap();
                    assert!(
                        link.capacity_bps > 0.0 && link.delay_s.is_finite() && link.delay_s >= 0.0,
                        "{name}: {link:?}"
                    );
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    // Entities in labels are resolved ("St Kitts &amp; Nevis").
    let columbus = graphml::load(&dir.join("Columbus.graphml"), &lenient).unwrap();
    assert!(columbus.node_id("St Kitts & Nevis").is_some());
    let uran = graphml::load(&dir.join("Uran.graphml"), &lenient).unwrap();
    assert!(uran.node_id("Poznan (GEANT & Internet)").is_some());
    // With defaults for what the files do not say, only files without any usable edge fail.
    for f in &failures {
        assert!(f.contains("no edges"), "unexpected failure with defaults: {f}");
    }
    assert!(strict_ok >= 5, "only {strict_ok} files have capacities and coordinates throughout");
    assert!(
        lenient_ok >= 270,
        "only {lenient_ok} files load with defaults; failures: {failures:?}"
    );
}

#[test]
fn every_sndlib_file_loads_with_demands() {
    let dir = data_dir().join("sndlib");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let net = sndlib::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(net.topology.n_nodes() >= 10, "{}", path.display());
        assert!(!net.demands.is_empty(), "{} has no demands", path.display());
        assert_eq!(net.demands.len(), net.rates_bps.len());
        assert!(net.rates_bps.iter().all(|r| *r > 0.0));
        // Every demand is routable on the intact network, and the flow model accepts them.
        let routing = Routing::compute(&net.topology, Metric::IgpWeight);
        let mut m = FlowModel::new(&net.topology, &routing, &net.demands).unwrap();
        let a = m.allocate(&net.rates_bps).unwrap();
        assert!(a.routable.iter().all(|r| *r), "{}", path.display());
        count += 1;
    }
    assert_eq!(count, 5);
    let geant = sndlib::load(&dir.join("geant.txt")).unwrap();
    assert_eq!(
        (geant.topology.n_nodes(), geant.topology.n_links(), geant.demands.len()),
        (22, 72, 462)
    );
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("twin-transport-it-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bad_input_names_file_and_element() {
    let dir = scratch("bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // GraphML: a link to an unknown node, a truncated file, a negative capacity.
    let head = r#"<?xml version="1.0"?><graphml><key attr.name="LinkSpeedRaw" for="edge" id="s"/><graph edgedefault="undirected">"#;
    let unknown = write(
        "unknown.graphml",
        &format!(
            "{head}<node id=\"a\"/><node id=\"b\"/><edge source=\"a\" target=\"zz\"><data key=\"s\">1e9</data></edge></graph></graphml>"
        ),
    );
    let e = graphml::load(&unknown, &graphml::GraphmlOptions::default()).unwrap_err().to_string();
    assert!(e.contains("unknown.graphml") && e.contains("unknown node \"zz\""), "{e}");
    let truncated =
        write("truncated.graphml", &format!("{head}<node id=\"a\"><data key=\"s\">1</dat"));
    let e = graphml::load(&truncated, &graphml::GraphmlOptions::default()).unwrap_err().to_string();
    assert!(e.contains("truncated.graphml"), "{e}");
    let negative = write(
        "negative.graphml",
        &format!(
            "{head}<node id=\"a\"/><node id=\"b\"/><edge source=\"a\" target=\"b\"><data key=\"s\">-5</data></edge></graph></graphml>"
        ),
    );
    let e = graphml::load(&negative, &graphml::GraphmlOptions::default()).unwrap_err().to_string();
    assert!(e.contains("negative.graphml") && e.contains("edge 0") && e.contains("-5"), "{e}");
    // CSV: zero capacity, unknown node.
    let nodes = write("nodes.csv", "node_id,role\nA,core\nB,core\n");
    let zero = write("links.csv", "link_id,from,to,capacity_bps,delay_s\nAB,A,B,0,0.001\n");
    let e = topo_csv::load(&nodes, &zero).unwrap_err().to_string();
    assert!(e.contains("links.csv") && e.contains("line 2") && e.contains("capacity"), "{e}");
    let ghost = write("ghost.csv", "link_id,from,to,capacity_bps,delay_s\nAX,A,X,1e9,0.001\n");
    let e = topo_csv::load(&nodes, &ghost).unwrap_err().to_string();
    assert!(e.contains("ghost.csv") && e.contains("\"X\""), "{e}");
    // SNDlib: a link to an unknown node.
    let snd = write(
        "bad.txt",
        "NODES (\n A ( 0 0 )\n B ( 1 1 )\n)\nLINKS (\n L1 ( A C ) 10 0 0 0 ( )\n)\n",
    );
    let e = sndlib::load(&snd).unwrap_err().to_string();
    assert!(e.contains("bad.txt") && e.contains("line 6") && e.contains('C'), "{e}");
    // A disconnected demand is reported as unroutable, never silently dropped.
    let links = write("ok.csv", "link_id,from,to,capacity_bps,delay_s\nAB,A,B,1e9,0.001\n");
    let t = topo_csv::load(&nodes, &links).unwrap();
    let (a, b) = (t.node_id("A").unwrap(), t.node_id("B").unwrap());
    let routing = Routing::compute(&t, Metric::IgpWeight);
    let mut m =
        FlowModel::new(&t, &routing, &[Demand { name: "back".into(), src: b, dst: a }]).unwrap();
    let alloc = m.allocate(&[1e6]).unwrap();
    assert_eq!((alloc.routable[0], alloc.unserved_bps[0]), (false, 1e6));
    let back = write("back.csv", "demand_id,from,to,rate_bps\nd1,A,B,5\nd2,B,A,5\n");
    let e = topo_csv::load_demands(&back, &t).unwrap_err().to_string();
    assert!(
        e.contains("back.csv") && e.contains("line 3") && e.contains("d2") && e.contains("no path"),
        "{e}"
    );
    let island = write(
        "island.txt",
        "NODES (\n A ( 0 0 )\n B ( 1 1 )\n C ( 2 2 )\n)\nLINKS (\n L1 ( A B ) 10 0 0 0 ( )\n)\nDEMANDS (\n D1 ( A B ) 1 5 UNLIMITED\n D2 ( A C ) 1 5 UNLIMITED\n)\n",
    );
    let e = sndlib::load(&island).unwrap_err().to_string();
    assert!(
        e.contains("island.txt")
            && e.contains("line 11")
            && e.contains("D2")
            && e.contains("no path"),
        "{e}"
    );
    let demands = write("demands.csv", "demand_id,from,to,rate_bps\nd1,A,Q,5\n");
    let e = topo_csv::load_demands(&demands, &t).unwrap_err().to_string();
    assert!(e.contains("demands.csv") && e.contains("line 2") && e.contains("\"Q\""), "{e}");
    // Missing files name themselves.
    let e = sndlib::load(Path::new("/nonexistent/x.txt")).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/x.txt"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_round_trip_of_a_zoo_topology() {
    let src = data_dir().join("topologyzoo/graphml/Geant2012.graphml");
    let opts =
        graphml::GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(1e-3) };
    let t = graphml::load(&src, &opts).unwrap();
    let dir = scratch("roundtrip");
    let (n, l) = (dir.join("nodes.csv"), dir.join("links.csv"));
    topo_csv::save(&t, &n, &l).unwrap();
    let back = topo_csv::load(&n, &l).unwrap();
    assert_eq!((back.n_nodes(), back.n_links()), (t.n_nodes(), t.n_links()));
    for id in t.link_ids() {
        let (x, y) = (t.link(id).unwrap(), back.link(id).unwrap());
        assert_eq!(
            (x.capacity_bps, x.delay_s, x.buffer_bytes, x.igp_weight),
            (y.capacity_bps, y.delay_s, y.buffer_bytes, y.igp_weight)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
