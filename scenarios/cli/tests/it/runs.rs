//! `twin run` and `twin demo` end to end: the run directory with the viewer's images in its
//! report, and a failing run that exits 1 and writes nothing.

use std::process::Command;

use scenarios::demo::{DemoConfig, write_demo};

use crate::common::*;

fn twin() -> Command {
    crate::twin_command()
}

/// The viewer's binary, which `cargo test --workspace` builds beside `twin`.
fn twin_view_is_beside() -> bool {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_twin"));
    exe.with_file_name(if cfg!(windows) { "twin-view.exe" } else { "twin-view" }).is_file()
}

#[test]
fn a_small_demo_runs_end_to_end() {
    let dir = scratch("demo");
    let path =
        write_demo(&dir, &DemoConfig { sites_x: 2, sites_y: 2, days: 3, seed: 3, grid_m: 25.0 })
            .unwrap();
    let out = dir.join("run");
    let run = twin()
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
        [
            "baseline",
            "retilt-cluster",
            "new-site",
            "rehome-ring",
            "per-session-settlement",
            "second-carrier",
            "firmware-256qam-4x4",
        ]
    );
    assert_eq!(v["out"].as_str().unwrap(), out.to_str().unwrap());
    assert!(out.join("report.html").is_file());
    let manifest = twin_format::run::read_manifest(&out).unwrap();
    assert_eq!(manifest.timings_s.keys().collect::<Vec<_>>(), ["replay", "validate"]);
    // Traced here or by another test of this process before it (they share one cache).
    let maps = manifest.coverage_maps_traced + manifest.coverage_maps_cached;
    assert!(maps >= 6, "the six cells' maps at least");
}

#[test]
fn the_report_embeds_the_viewer_images() {
    if !twin_view_is_beside() {
        panic!(
            "twin-view is not beside twin: build it (`cargo test --workspace` does) to test the \
             report's images"
        );
    }
    let dir = scratch("report-views");
    let path = write_small(&dir);
    let out = dir.join("run");
    let run = twin()
        .args(["run", "--rays", "5000", "--max-depth", "1"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stderr = String::from_utf8_lossy(&run.stderr);
    if stderr.contains("report: without the viewer's images")
        && std::env::var("RADIO_GPU_TESTS").as_deref() == Ok("skip")
    {
        eprintln!("!!! REPORT IMAGES SKIPPED (RADIO_GPU_TESTS=skip): {stderr}");
        return;
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<h2>Views</h2>"), "no views section: {stderr}");
    let images = twin_format::run::read_report_images(&out).unwrap();
    let captions: Vec<&str> = images.iter().map(|i| i.caption.as_str()).collect();
    assert!(captions[0].starts_with("baseline: RSRP at"), "{captions:?}");
    assert!(captions.contains(&"retilt minus baseline: RSRP at 2024-03-31 12:00"), "{captions:?}");
    for image in &images {
        let png = std::fs::read(out.join(&image.file)).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert!(report.contains(&image.caption), "{}", image.caption);
    }
    assert!(report.matches("data:image/png;base64,").count() >= 6, "maps and views embedded");
}

#[test]
fn a_failing_run_exits_1_and_writes_nothing() {
    let dir = scratch("failing");
    let path = write_small(&dir);
    // No core node to carry traffic to.
    edit(&dir, "nodes.csv", "CORE,core", "CORE,aggregation");
    let failed = twin().arg("run").arg(&path).arg("--out").arg(dir.join("run2")).output().unwrap();
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
    // A bad setting is refused before any work, naming the flag.
    let bad = twin()
        .args(["run", "--packet-seconds", "0"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("run3"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "a bad command line");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--packet-seconds 0"));
    let unknown =
        twin().args(["sweep", "--op", "set-tlit", "--values", "1"]).arg(&path).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2), "clap names the choices");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("set-tilt"));
}
