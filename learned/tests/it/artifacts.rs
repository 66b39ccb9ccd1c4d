//! Model directories: a round trip, refusal of other feature sets, nothing half-written; and the
//! batch correction of coverage points.

use learned::LearnedError;
use learned::artifact::Calibrator;
use learned::features::{FeatureSpec, Twin};
use learned::pipeline::{CalibrationOptions, calibrate_into};

use crate::common::*;

#[test]
fn a_saved_model_predicts_what_the_trained_one_did() {
    let (truth, ds, _) = world();
    let run = default_run();
    let dir = scratch("round-trip").join("model");
    run.save(&dir).unwrap();
    for f in [
        "model.bpk",
        "mlp.json",
        "training.json",
        "features.json",
        "normalization.json",
        "metrics.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let loaded = Calibrator::load(&dir, &FeatureSpec::new(&truth.inventory.cells)).unwrap();
    assert_eq!(loaded.interval, run.calibrator.interval);
    assert_eq!(loaded.predict(&ds.x), run.calibrator.predict(&ds.x));
    // The burn forward pass and the plain-Rust one agree.
    let burn = learned::model::predict(
        &run.model,
        &run.normalizer,
        &ds.x,
        ds.width(),
        &learned::Backend::default().device().unwrap(),
    )
    .unwrap();
    let native = run.calibrator.predict(&ds.x);
    let worst = burn.iter().zip(&native).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "burn and native differ by {worst} dB");
    // Saving again replaces the model whole.
    run.save(&dir).unwrap();
    assert!(Calibrator::load(&dir, &FeatureSpec::new(&truth.inventory.cells)).is_ok());
}

#[test]
fn a_model_of_other_features_is_refused() {
    let (truth, _, _) = world();
    let dir = scratch("mismatch").join("model");
    default_run().save(&dir).unwrap();
    // An inventory with one cell fewer: the one-hot cell features differ.
    let fewer = FeatureSpec::new(&truth.inventory.cells[1..]);
    match Calibrator::load(&dir, &fewer) {
        Err(LearnedError::FeatureMismatch { detail, .. }) => {
            assert!(detail.contains("S1-1"), "{detail}")
        }
        other => panic!("expected a feature mismatch, got {other:?}"),
    }
    // A feature list edited by hand (as from an older version) is refused as well.
    let path = dir.join("features.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("\"sim_sinr_db\"", "\"sim_sinr\"");
    std::fs::write(&path, text).unwrap();
    let e = Calibrator::load(&dir, &FeatureSpec::new(&truth.inventory.cells)).unwrap_err();
    assert!(matches!(e, LearnedError::FeatureMismatch { .. }), "{e}");
    assert!(e.to_string().contains("sim_sinr"), "{e}");
    // A directory that is not a model at all.
    let e = Calibrator::load(&scratch("not-a-model"), &fewer).unwrap_err().to_string();
    assert!(e.contains("features.json"), "{e}");
}

#[test]
fn a_failed_run_leaves_no_model_directory() {
    let (_, ds, _) = world();
    let parent = scratch("failed");
    let out = parent.join("model");
    // A learning rate that makes training diverge: the loss stops being finite mid-run.
    let mut opts = CalibrationOptions::default();
    opts.training.learning_rate = 1e12;
    opts.training.max_epochs = 5;
    let e = calibrate_into(ds, &opts, &out, |_, _, _| {}).unwrap_err();
    assert!(matches!(e, LearnedError::Training(_)), "{e}");
    assert_eq!(
        std::fs::read_dir(&parent).unwrap().count(),
        0,
        "something was left in {}",
        parent.display()
    );
    // An output that is some other directory is refused before any training.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let e = calibrate_into(ds, &CalibrationOptions::default(), &out, |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a model directory"), "{e}");
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    // A previous model survives a failed retraining untouched.
    std::fs::remove_dir_all(&out).unwrap();
    default_run().save(&out).unwrap();
    let before = std::fs::read(out.join("model.bpk")).unwrap();
    assert!(calibrate_into(ds, &opts, &out, |_, _, _| {}).is_err());
    assert_eq!(std::fs::read(out.join("model.bpk")).unwrap(), before);
    assert_eq!(std::fs::read_dir(&parent).unwrap().count(), 1);
}

#[test]
fn coverage_points_are_corrected_in_a_batch() {
    let (truth, ds, _) = world();
    let run = default_run();
    let twin = Twin::new(Some(&truth.city.scene), &truth.inventory.cells);
    // Measurement points with their serving cells: the twin's own prediction is reproduced and
    // the correction applied with its interval.
    let rows: Vec<usize> = (0..ds.len()).step_by(97).collect();
    let points: Vec<(f64, f64)> = rows.iter().map(|&r| ds.points[r]).collect();
    let serving: Vec<usize> = rows.iter().map(|&r| ds.serving[r]).collect();
    let out = run.calibrator.correct(&twin, &points, Some(&serving), None).unwrap();
    for (k, &r) in rows.iter().enumerate() {
        let c = out[k].expect("a measurement point is outdoors and covered");
        assert!(
            (c.sim_rsrp_dbm - ds.sim_rsrp_dbm[r]).abs() < 1e-6,
            "{} vs {}",
            c.sim_rsrp_dbm,
            ds.sim_rsrp_dbm[r]
        );
        assert!(c.lo_dbm < c.rsrp_dbm && c.rsrp_dbm < c.hi_dbm);
        let half = c.hi_dbm - c.rsrp_dbm;
        assert!(half == run.calibrator.interval.los_db || half == run.calibrator.interval.nlos_db);
    }
    // A grid with the best server chosen by the twin: indoor points get none.
    let (x0, y0, x1, y1) = truth.city.extent;
    let grid: Vec<(f64, f64)> = (0..20)
        .flat_map(|i| {
            (0..20).map(move |j| {
                (x0 + (x1 - x0) * (i as f64 + 0.5) / 20.0, y0 + (y1 - y0) * (j as f64 + 0.5) / 20.0)
            })
        })
        .collect();
    let out = run.calibrator.correct(&twin, &grid, None, None).unwrap();
    let dsm = truth.city.scene.dsm();
    for (p, c) in grid.iter().zip(&out) {
        if dsm.height_at(p.0, p.1) > 0.5 {
            assert!(c.is_none(), "indoor point {p:?} corrected");
        }
    }
    assert!(out.iter().filter(|c| c.is_some()).count() > 100);
}
