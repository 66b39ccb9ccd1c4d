//! The smaller commands: sweep, compare, import.

use std::process::Command;

use crate::common::*;

fn twin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_twin"))
}

#[test]
fn sweep_runs_one_variant_per_value() {
    let dir = scratch("sweep");
    let path = write_small(&dir);
    let out = twin()
        .args(["sweep", "--op", "set-tilt", "--values", "0,10", "--cells", "A-1,A-2", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> =
        v["variants"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["baseline", "tilt 0", "tilt 10"]);
    let bad = twin()
        .args(["sweep", "--op", "set-tilt", "--values", "1", "--cells", "Z-1"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown cell \"Z-1\""));
}

#[test]
fn compare_and_import() {
    let dir = scratch("compare");
    let path = write_small(&dir);
    let run = twin()
        .args(["run", "--rays", "5000", "--max-depth", "1", "--busy-intervals", "1"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("r"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let cmp =
        twin().args(["compare", "--json"]).arg(dir.join("r")).arg(dir.join("r")).output().unwrap();
    assert!(cmp.status.success(), "{}", String::from_utf8_lossy(&cmp.stderr));
    let v: serde_json::Value = serde_json::from_slice(&cmp.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.len() >= 3 * 9);
    assert!(rows.iter().all(|r| r["change"].as_f64() == Some(0.0)));
    let missing =
        twin().arg("compare").arg(dir.join("r")).arg(dir.join("nowhere")).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    // Import a Topology Zoo graph to CSV and read it back.
    let graph = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/topologyzoo/graphml/Abilene.graphml");
    if !graph.is_file() {
        panic!("shared data missing: {}", graph.display());
    }
    let (nodes, links) = (dir.join("nodes.csv"), dir.join("links.csv"));
    let imp = twin()
        .arg("import")
        .arg(&graph)
        .arg("--nodes")
        .arg(&nodes)
        .arg("--links")
        .arg(&links)
        .args(["--default-capacity-bps", "1e9"])
        .output()
        .unwrap();
    assert!(imp.status.success(), "{}", String::from_utf8_lossy(&imp.stderr));
    let topo = transport::import::csv::load(&nodes, &links).unwrap();
    assert!(topo.n_nodes() > 5 && topo.n_links() > 5);
}

#[test]
fn coverage_writes_the_grid_of_a_variant() {
    let dir = scratch("coverage");
    let path = write_small(&dir);
    let out = dir.join("cov");
    let run = twin()
        .args(["coverage", "--rays", "5000", "--max-depth", "1", "--variant", "retilt"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let csv = std::fs::read_to_string(out.join("coverage.csv")).unwrap();
    assert!(csv.starts_with("x_m,y_m,best_cell,rsrp_dbm,sinr_db\n"));
    assert!(csv.lines().skip(1).any(|l| l.contains(",A-1,")), "cell A-1 serves somewhere");
    assert!(out.join("coverage.png").is_file());
    let bad = twin()
        .args(["coverage", "--variant", "nope"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("cov2"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(!dir.join("cov2").exists());
}
