//! Fuzzing the topology importers: Topology Zoo GraphML, SNDlib native files, and the project's
//! `nodes.csv` + `links.csv` (+ `demands.csv`). Each test mutates the seed corpus in
//! `transport/tests/fuzz/corpus/<format>/` (see `docs/fuzzing.md`) and checks that the importer
//! answers `Ok` or a typed error, never panics and never hangs; a topology it accepts holds
//! only links the flow model can use. `TWIN_FUZZ_CASES` raises the budget.
//!
//! Inputs that once crashed an importer are kept in the corpus as `crash-*` files, each with a
//! named regression test below.

use std::path::{Path, PathBuf};

use transport::import::graphml::{self, GraphmlOptions};
use transport::import::{csv, sndlib};
use transport::topology::Topology;
use twin_fuzz::{Case, Corpus, Scratch, fuzz, nested, replay};

fn corpus(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(format)
}

fn tokens(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|t| t.as_bytes().to_vec()).collect()
}

/// What every importer promises of a topology it returns: links of finite positive capacity,
/// finite non-negative delay, a buffer and a finite positive weight.
fn check_topology(t: &Topology) {
    for id in t.link_ids() {
        let l = t.link(id).unwrap();
        assert!(l.capacity_bps.is_finite() && l.capacity_bps > 0.0, "{l:?}");
        assert!(l.delay_s.is_finite() && l.delay_s >= 0.0, "{l:?}");
        assert!(l.buffer_bytes > 0 && l.igp_weight.is_finite() && l.igp_weight > 0.0, "{l:?}");
    }
}

// ---- GraphML ----

/// Parsed with the defaults (capacity and delay required) and with both defaulted.
fn graphml_target(case: &Case) {
    let text = case.text();
    let lenient = GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(1e-3) };
    for options in [GraphmlOptions::default(), lenient] {
        if let Ok(t) = graphml::parse(&text, &options) {
            check_topology(&t);
        }
    }
}

fn graphml_tokens() -> Vec<Vec<u8>> {
    let mut t = tokens(&[
        "<graph edgedefault=\"directed\">",
        "<graph>",
        "</graph>",
        "<node id=\"0\"/>",
        "<node id=\"x\">",
        "</node>",
        "<edge source=\"0\" target=\"1\">",
        "<edge source=\"0\" target=\"0\"/>",
        "<edge source=\"9\" target=\"1\"/>",
        "</edge>",
        "<data key=\"d42\">",
        "<data key=\"d29\">",
        "<data key=\"d32\">",
        "<data key=\"d33\">",
        "</data>",
        "<key attr.name=\"LinkSpeedRaw\" for=\"edge\" id=\"d42\"/>",
        "<key attr.name=\"label\" id=\"d33\"/>",
        "LinkSpeedRaw",
        "Latitude",
        "Longitude",
        "label",
        "&amp;",
        "&#0;",
        "&#xD800;",
        "&#x110000;",
        "&bogus;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE g [<!ENTITY e \"eeee\">]>",
        "\"",
        "<",
        ">",
        "/>",
    ]);
    t.push(nested("<graph>", "</graph>", 5000));
    t.push(nested("<data key=\"d33\">", "</data>", 2000));
    t
}

#[test]
fn fuzz_graphml() {
    fuzz("graphml", &corpus("graphml"), &graphml_tokens(), graphml_target);
}

/// A byte-order mark, then a closing tag: quick-xml reports the error at byte 2, inside the
/// mark, and counting the lines before it sliced the text off a character boundary (a panic).
#[test]
fn regression_graphml_error_inside_byte_order_mark() {
    replay(&corpus("graphml"), "crash-error-inside-byte-order-mark.graphml", graphml_target);
}

// ---- SNDlib ----

fn sndlib_target(case: &Case) {
    if let Ok(net) = sndlib::parse(&case.text()) {
        check_topology(&net.topology);
        assert_eq!(net.demands.len(), net.rates_bps.len());
        assert!(net.rates_bps.iter().all(|r| r.is_finite() && *r >= 0.0), "{:?}", net.rates_bps);
    }
}

fn sndlib_tokens() -> Vec<Vec<u8>> {
    let mut t = tokens(&[
        "META (\n",
        "NODES (\n",
        "LINKS (\n",
        "DEMANDS (\n",
        "ADMISSIBLE_PATHS (\n",
        ")\n",
        "(",
        ")",
        "( )",
        "unit = BITPERSEC\n",
        "unit = GBITPERSEC\n",
        "unit = PETABIT\n",
        "  X ( 1e308 -1e308 )\n",
        "  A ( 2.35 48.86 )\n",
        "  L ( A A ) 1 0 0 0 ( )\n",
        "  L ( A B ) 1e308 0 1e308 0 ( 1e308 1 )\n",
        "  D ( A B ) 1 1e308 UNLIMITED\n",
        "  D ( A A ) 1 1 UNLIMITED\n",
        "UNLIMITED",
        "?",
        "#",
    ]);
    t.push(nested("(\n", ")\n", 3000));
    t
}

#[test]
fn fuzz_sndlib() {
    fuzz("sndlib", &corpus("sndlib"), &sndlib_tokens(), sndlib_target);
}

/// A demand of 1e308 Gbit/s: finite as written, infinite in bit/s, and it was accepted as an
/// infinite rate. Now `BadDemandValue`.
#[test]
fn regression_sndlib_demand_overflows_to_infinity() {
    replay(&corpus("sndlib"), "crash-demand-overflows-to-infinity.txt", sndlib_target);
    let text =
        std::fs::read_to_string(corpus("sndlib").join("crash-demand-overflows-to-infinity.txt"));
    let e = sndlib::parse(&text.unwrap()).unwrap_err();
    assert!(matches!(e, transport::error::SndlibError::BadDemandValue { line: 23, .. }), "{e}");
}

// ---- nodes.csv + links.csv + demands.csv ----

/// The corpus's three files with the input in place of one of them; the demands are read
/// against the topology when it loads.
fn csv_target(case: &Case) {
    let files = Corpus::load(&corpus("csv"));
    let s = Scratch::with_case("topology-csv", &files, case);
    let p = |n: &str| s.path().join(n);
    if let Ok(topo) = csv::load(&p("nodes.csv"), &p("links.csv")) {
        check_topology(&topo);
        if let Ok((demands, rates)) = csv::load_demands(&p("demands.csv"), &topo) {
            assert_eq!(demands.len(), rates.len());
        }
    }
}

fn csv_tokens() -> Vec<Vec<u8>> {
    tokens(&[
        "\"",
        "\"\"",
        "\"a,b\"",
        ",,,,,,,,,,,,,,,,",
        "node_id",
        "role",
        "link_id",
        "from",
        "to",
        "capacity_bps",
        "delay_s",
        "buffer_bytes",
        "igp_weight",
        "duplex",
        "up",
        "true",
        "false",
        "core",
        "cell_site",
        "S1",
        "C1",
        "lat",
        "lon",
        "90",
        "-180",
        "91",
    ])
}

#[test]
fn fuzz_topology_csv() {
    fuzz("topology-csv", &corpus("csv"), &csv_tokens(), csv_target);
}

// ---- The corpus itself ----

/// Every seed is a valid file of its format, read with the importer's defaults.
#[test]
fn corpus_seeds_are_valid() {
    for (name, bytes) in Corpus::load(&corpus("graphml")).seeds() {
        let lenient =
            GraphmlOptions { default_capacity_bps: Some(1e9), default_delay_s: Some(1e-3) };
        graphml::parse(&String::from_utf8_lossy(bytes), &lenient)
            .unwrap_or_else(|e| panic!("graphml/{name}: {e}"));
    }
    for (name, bytes) in Corpus::load(&corpus("sndlib")).seeds() {
        sndlib::parse(&String::from_utf8_lossy(bytes))
            .unwrap_or_else(|e| panic!("sndlib/{name}: {e}"));
    }
    let dir = corpus("csv");
    let topo = csv::load(&dir.join("nodes.csv"), &dir.join("links.csv")).unwrap();
    csv::load_demands(&dir.join("demands.csv"), &topo).unwrap();
}
