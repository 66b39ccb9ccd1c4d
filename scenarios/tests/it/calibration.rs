//! The learned correction end to end (feature `calibrate`): measurements that sit a known 6 dB
//! above the twin's prediction train a model through the library's `calibrate`, and the replay
//! of the scenario that names it raises the served RSRP by about that much.
#![cfg(feature = "calibrate")]

use rand::RngExt;
use scenarios::calibration::{
    CalibrateRequest, Split, TrainBackend, calibrate, synthetic_drive_test,
};
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::scenario::load_scene;
use scenarios::scenario::validate;

use crate::common::*;

const OFFSET_DB: f64 = 6.0;

/// The error and its causes, as `twin` prints them.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}

#[test]
fn a_calibrated_scenario_is_corrected_by_what_was_measured() {
    let dir = scratch("calibrate");
    let path = write_small(&dir);
    let plan = validate(&path).unwrap();
    // Measurements: the twin's own RSRP of its best server at random outdoor points, plus 6 dB
    // and 1 dB of noise.
    let scene = load_scene(&plan).unwrap();
    let mut rng = sim_core::RngStreams::new(3).stream("drive test");
    let points: Vec<(f64, f64)> = (0..1500)
        .map(|_| (rng.random_range(-250.0..650.0), rng.random_range(-250.0..250.0)))
        .collect();
    let (csv, rows) = synthetic_drive_test(&plan, scene.as_ref(), &points, |_, _, sim| {
        let noise: f64 = rng.random_range(-1.0..1.0);
        (sim >= -140.0).then_some(sim + OFFSET_DB + noise)
    })
    .unwrap();
    assert!(rows > 300, "{rows} usable measurements");
    std::fs::write(dir.join("drive.csv"), csv).unwrap();

    // The calibration writes the model directory.
    let req = CalibrateRequest {
        measurements: dir.join("drive.csv"),
        map: Vec::new(),
        map_file: None,
        drop_invalid: false,
        max_depth: 2,
        split: Split::Random,
        seed: 1,
        epochs: 60,
        level: 0.9,
        backend: TrainBackend::NdArray,
        out: dir.join("model"),
    };
    let run = calibrate(&plan, &req, &scenarios::Quiet, &mut |_, _, _| {}).unwrap();
    assert_eq!(run.rows, rows);
    // The median-like errors (a rare point whose rounded position crosses a building edge makes
    // the RMSE noisy): the 6 dB bias is learned.
    let report = serde_json::json!({ "evaluation": run.evaluation });
    let stat = |when: &str, what: &str| report["evaluation"][when][what].as_f64().unwrap();
    let (before, after) = (stat("before", "p90_abs_db"), stat("after", "p90_abs_db"));
    assert!(before > 5.0 && after < 2.0, "held-out p90 |error| {before} → {after} dB");
    assert!(stat("after", "bias_db").abs() < 1.0, "{}", report["evaluation"]);

    // The scenario names it; the replay's served RSRP rises by about the offset.
    edit(&dir, "scenario.toml", "seed = 7", "seed = 7\ncalibration = \"model\"");
    let corrected = validate(&path).unwrap();
    let opts = ReplayOptions { rays: 5_000, max_depth: 1, ..ReplayOptions::default() };
    let (_, raw) = Replayer::new(&plan, opts.clone(), None).unwrap().serving_map(None).unwrap();
    let (_, cal) = Replayer::new(&corrected, opts, None).unwrap().serving_map(None).unwrap();
    let shifts: Vec<f64> = raw
        .iter()
        .zip(&cal)
        .filter(|(r, c)| r.best.is_some() && c.best.is_some())
        .map(|(r, c)| f64::from(c.rsrp_dbm - r.rsrp_dbm))
        .collect();
    assert!(shifts.len() > 100);
    let mean = shifts.iter().sum::<f64>() / shifts.len() as f64;
    assert!((mean - OFFSET_DB).abs() < 1.5, "mean correction {mean:.2} dB");
    // The SINR moves with the signal; the serving cell is the twin's.
    for (r, c) in raw.iter().zip(&cal).filter(|(r, c)| r.best.is_some() && c.best.is_some()) {
        assert_eq!(r.best, c.best);
        assert!(((c.sinr_db - r.sinr_db) - (c.rsrp_dbm - r.rsrp_dbm)).abs() < 1e-3);
    }

    // A model of another inventory (here: one whose cell A-1 is called Z-1) is refused.
    std::fs::create_dir_all(dir.join("other")).unwrap();
    for f in std::fs::read_dir(dir.join("model")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.join("other").join(f.file_name())).unwrap();
    }
    let features = std::fs::read_to_string(dir.join("other/features.json")).unwrap();
    std::fs::write(dir.join("other/features.json"), features.replace("A-1", "Z-1")).unwrap();
    edit(&dir, "scenario.toml", "calibration = \"model\"", "calibration = \"other\"");
    let plan = validate(&path).unwrap();
    let Err(err) = Replayer::new(&plan, ReplayOptions::default(), None) else {
        panic!("a model of another inventory was accepted")
    };
    let err = chain(&err);
    assert!(err.starts_with("calibration") && err.contains("Z-1"), "{err}");
}
