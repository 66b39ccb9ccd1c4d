//! The replay of the small scenario: deterministic for any thread count, a run directory that is
//! whole or absent, and a reviewed summary.

use std::process::Command;

use scenarios::demo::{DemoConfig, write_demo};
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::{summarise, table, write_run_dir};
use scenarios::scenario::validate;

use crate::common::*;

fn opts() -> ReplayOptions {
    ReplayOptions { rays: 5_000, max_depth: 1, ..ReplayOptions::default() }
}

#[test]
fn one_thread_and_many_give_the_same_results() {
    let dir = scratch("determinism");
    let plan = validate(&write_small(&dir)).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| Replayer::new(&plan, opts(), None).unwrap().run_all(&|_| {}).unwrap())
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one.len(), 3);
    assert_eq!(one, four);
    // The variants differ from the baseline where they should, and only there.
    let (base, retilt, ledger) = (&one[0], &one[1], &one[2]);
    assert_ne!(base.cell_kpis, retilt.cell_kpis, "a re-tilt moves traffic between cells");
    assert_eq!(base.system, retilt.system, "a re-tilt leaves settlement alone");
    assert_eq!(base.cell_kpis, ledger.cell_kpis, "settlement leaves the radio alone");
    assert!(ledger.system.latency_p99_s < base.system.latency_p99_s);
    // Before the re-tilt (noon of the first day) the variant is the baseline.
    let n = base.cells.len();
    assert_eq!(base.cell_kpis[..12 * n], retilt.cell_kpis[..12 * n]);
    // Traffic is conserved: what the cells are offered plus what no cell covers is the input.
    let input: f64 = plan.traffic.iter().map(|r| r.dl_bytes).sum();
    let offered: f64 = base.cell_kpis.iter().map(|c| c.dl_bytes).sum();
    assert!(offered <= input * (1.0 + 1e-9) && offered > 0.95 * input, "{offered} of {input}");
}

#[test]
fn the_summary_matches_its_reviewed_snapshot() {
    let dir = scratch("golden");
    let path = write_small(&dir);
    let plan = validate(&path).unwrap();
    let results = Replayer::new(&plan, opts(), None).unwrap().run_all(&|_| {}).unwrap();
    let text = table(&summarise(&plan, &results));
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small_summary.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(text, expected, "the summary changed; review it and rerun with UPDATE_GOLDEN=1");
}

#[test]
fn a_run_directory_is_whole_or_absent() {
    let dir = scratch("rundir");
    let path = write_small(&dir);
    let plan = validate(&path).unwrap();
    let replayer = Replayer::new(&plan, opts(), None).unwrap();
    let results = replayer.run_all(&|_| {}).unwrap();
    let out = dir.join("run");
    write_run_dir(
        &out,
        &plan,
        &path,
        &results,
        &replayer.geometry(),
        &[],
        24,
        replayer.backend_notice(),
    )
    .unwrap();
    for f in [
        "manifest.json",
        "summary.json",
        "report.html",
        "kpis/network.csv",
        "kpis/cells.csv",
        "kpis/links.csv",
        "kpis/positions.csv",
        "maps/baseline.png",
        "maps/retilt.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 9);
    let cells = std::fs::read_to_string(out.join("kpis/cells.csv")).unwrap();
    assert_eq!(cells.lines().count(), 1 + 3 * 2 * 6, "3 variants × 2 days × 6 cells");
    let busy = std::fs::read_to_string(out.join("kpis/busy_intervals.csv")).unwrap();
    assert_eq!(busy.lines().count(), 1 + 3 * 2, "two packet-level intervals per variant");
    assert!(
        results
            .iter()
            .all(|r| r.busy.iter().all(|b| b.packets > 0 && b.delay_p99_ms >= b.delay_p50_ms))
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("<svg")
            && report.contains("data:image/png;base64,")
            && report.contains("retilt")
    );
    // An existing directory is refused and left alone.
    assert!(
        write_run_dir(
            &out,
            &plan,
            &path,
            &results,
            &replayer.geometry(),
            &[],
            24,
            replayer.backend_notice()
        )
        .is_err()
    );
    assert!(out.join("report.html").is_file());
    // A run that fails (no core node to carry traffic to) exits 1 and writes nothing.
    edit(&dir, "nodes.csv", "CORE,core", "CORE,aggregation");
    let failed = Command::new(env!("CARGO_BIN_EXE_twin"))
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(dir.join("run2"))
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1), "{}", String::from_utf8_lossy(&failed.stderr));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("core"));
    assert!(!dir.join("run2").exists());
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial"))
    );
}

#[test]
fn a_small_demo_runs_end_to_end() {
    let dir = scratch("demo");
    let path =
        write_demo(&dir, &DemoConfig { sites_x: 2, sites_y: 2, days: 3, seed: 3, grid_m: 25.0 })
            .unwrap();
    let out = dir.join("run");
    let run = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(["run", "--rays", "5000", "--max-depth", "1", "--json"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let names: Vec<&str> = v["summary"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["baseline", "retilt-cluster", "new-site", "rehome-ring", "per-session-settlement"]
    );
    assert!(out.join("report.html").is_file());
}

#[test]
fn a_demand_density_layer_moves_demand_within_a_cell() {
    // Nearly all of the demand in a hot spot 150 m east of site B. With it, the capacity of the
    // cell serving it is the spectral efficiency there, so PRB utilisation changes while the
    // traffic offered to the network does not.
    let dir = scratch("density");
    let path = write_small(&dir);
    let uniform = {
        let plan = validate(&path).unwrap();
        Replayer::new(&plan, opts(), None).unwrap().run_variant(None, &|_| {}).unwrap()
    };
    let mut layer = String::from("x_m,y_m,weight\n");
    for x in -300..=700 {
        if x % 10 == 0 {
            for y in [-300, -200, -100, 0, 100, 200, 300] {
                // A far hot spot 150 m east of B, a floor elsewhere.
                let w = if (550..=600).contains(&x) && y == 0 { 100.0 } else { 0.01 };
                layer.push_str(&format!("{x},{y},{w}\n"));
            }
        }
    }
    std::fs::write(dir.join("density.csv"), layer).unwrap();
    edit(
        &dir,
        "scenario.toml",
        "rate_cards = \"rate_cards.csv\"",
        "rate_cards = \"rate_cards.csv\"\ndemand_density = \"density.csv\"",
    );
    let plan = validate(&path).unwrap();
    assert!(!plan.density.is_empty());
    let weighted = Replayer::new(&plan, opts(), None).unwrap().run_variant(None, &|_| {}).unwrap();
    // The same traffic is offered (a cell that serves no point of its own lends its traffic to
    // the points where it is nearly best, now in proportion to the layer).
    let total = |r: &scenarios::replay::VariantResult| -> f64 {
        r.cell_kpis.iter().map(|c| c.dl_bytes).sum()
    };
    assert!((total(&uniform) - total(&weighted)).abs() < 1e-6 * total(&uniform));
    assert_ne!(
        uniform.cell_kpis.iter().map(|c| c.prb_util).collect::<Vec<_>>(),
        weighted.cell_kpis.iter().map(|c| c.prb_util).collect::<Vec<_>>(),
        "capacity follows where the demand is"
    );
}
