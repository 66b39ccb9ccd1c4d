//! `twin calibrate` through the binary. Whether the binary can calibrate follows the scenarios
//! library's feature `calibrate` (on in `cargo test --workspace`, which builds burn): with it,
//! a drive test made from `twin coverage`'s own map plus a known 6 dB trains a model whose
//! held-out errors show the bias learned; without it, the command says how to rebuild.

use std::process::Command;

use crate::common::*;

fn twin() -> Command {
    crate::twin_command()
}

#[test]
fn calibrate_learns_a_known_bias_from_a_drive_test() {
    if !scenarios::calibration::AVAILABLE {
        eprintln!("!!! SKIPPED: this build of the scenarios library has no `calibrate` feature");
        return;
    }
    let dir = scratch("calibrate-cli");
    let path = write_small(&dir);
    let cov = twin()
        .args(["coverage", "--rays", "5000", "--max-depth", "2", "--backend", "cpu"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("cov.csv"))
        .output()
        .unwrap();
    assert!(cov.status.success(), "{}", String::from_utf8_lossy(&cov.stderr));
    // Every second served point, measured 6 dB above the twin, in the drive test's own column
    // names (mapped onto the twin's fields with --map).
    let map = std::fs::read_to_string(dir.join("cov.csv")).unwrap();
    let mut drive = String::from("east,north,serving,level\n");
    for (i, line) in map.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        if i % 2 == 0 && !f[2].is_empty() {
            let rsrp: f64 = f[3].parse().unwrap();
            drive.push_str(&format!("{},{},{},{:.2}\n", f[0], f[1], f[2], rsrp + 6.0));
        }
    }
    std::fs::write(dir.join("drive.csv"), drive).unwrap();
    let out = twin()
        .arg("calibrate")
        .arg(&path)
        .arg("--measurements")
        .arg(dir.join("drive.csv"))
        .args(["--map", "x_m=east,y_m=north,cell_id=serving,rsrp_dbm=level"])
        .arg("--out")
        .arg(dir.join("model"))
        .args(["--split", "spatial", "--epochs", "40", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stat = |when: &str, what: &str| report["evaluation"][when][what].as_f64().unwrap();
    let (before, after) = (stat("before", "bias_db"), stat("after", "bias_db"));
    assert!(before.abs() > 4.0, "{}", report["evaluation"]);
    // The spatial split holds out whole areas: where the model saw a cell's measurements it
    // learns the bias (A-1 and A-3, well under 1 dB), and overall it removes most of it even
    // though site B's east sector is measured only in the held-out area.
    assert!(after.abs() < 0.5 * before.abs(), "{}", report["evaluation"]);
    let cells = report["evaluation"]["per_cell"].as_array().unwrap();
    for seen in ["A-1", "A-3"] {
        let c = cells.iter().find(|c| c["cell"] == seen).unwrap();
        let bias = c["after"]["bias_db"].as_f64().unwrap();
        assert!(bias.abs() < 1.0, "{seen}: {bias}");
    }
    assert!(dir.join("model/features.json").is_file());
    // An existing non-model output is refused; so is a bad level, before any work.
    let bad = twin()
        .arg("calibrate")
        .arg(&path)
        .args(["--measurements", "drive.csv", "--level", "1.5", "--out"])
        .arg(dir.join("model2"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "a bad command line");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--level 1.5"));
}

#[test]
fn without_the_learned_layer_calibrate_says_how_to_rebuild() {
    if scenarios::calibration::AVAILABLE {
        return;
    }
    let dir = scratch("no-calibrate");
    let path = write_small(&dir);
    let out = crate::twin_command()
        .arg("calibrate")
        .arg(&path)
        .args(["--measurements", "drive.csv", "--out"])
        .arg(dir.join("model"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--features calibrate"));
}
