//! What calibration buys on a world whose differences from the twin are known, and that it buys
//! it the same way every time.

use learned::pipeline::{CalibrationOptions, calibrate};

use crate::common::*;

/// The must-hold of the learned layer: on held-out spatial blocks the correction cuts RMSE by at
/// least 40 % against the uncorrected twin, and the 90 % intervals cover 85–95 % of the points.
#[test]
fn correction_cuts_held_out_rmse_and_intervals_cover() {
    let (_, ds, report) = world();
    assert!(report.kept > 19_000, "{report}");
    let run = default_run();
    let e = &run.metrics.evaluation;
    println!("{}", e.table());
    assert!(e.before.n > 2_000, "a spatial hold-out of {} points", e.before.n);
    assert!(e.rmse_reduction() >= 0.40, "RMSE {:.2} → {:.2} dB", e.before.rmse_db, e.after.rmse_db);
    assert!((0.85..=0.95).contains(&e.interval_coverage), "coverage {}", e.interval_coverage);
    // The hold-out is whole blocks: no test point shares a 100 m tile with a training point.
    let tile = |r: usize| {
        let (x, y) = ds.points[r];
        ((x / 100.0).floor() as i64, (y / 100.0).floor() as i64)
    };
    let test_tiles: std::collections::BTreeSet<_> =
        run.split.test.iter().map(|&r| tile(r)).collect();
    assert!(run.split.train().iter().all(|&r| !test_tiles.contains(&tile(r))));
    // The twin's systematic error (inventory and clutter) is mostly removed: the bias shrinks.
    assert!(
        e.after.bias_db.abs() < 0.5 * e.before.bias_db.abs(),
        "bias {} → {}",
        e.before.bias_db,
        e.after.bias_db
    );
    // Per-cell rows cover every test point.
    assert_eq!(e.per_cell.iter().map(|c| c.before.n).sum::<usize>(), e.before.n);
}

/// The same seed gives the same model and metrics; another seed gives another model.
#[test]
fn the_same_seed_gives_the_same_model() {
    let (_, ds, _) = world();
    let a = default_run();
    let b = calibrate(ds, &CalibrationOptions::default(), |_, _, _| {}).unwrap();
    assert_eq!(a.calibrator.native, b.calibrator.native);
    assert_eq!(a.calibrator.interval, b.calibrator.interval);
    assert_eq!(a.metrics.evaluation, b.metrics.evaluation);
    assert_eq!(a.metrics.history, b.metrics.history);
    assert_eq!(a.split, b.split);
    let mut other = CalibrationOptions::default();
    other.training.seed = 2;
    let c = calibrate(ds, &other, |_, _, _| {}).unwrap();
    assert_ne!(a.calibrator.native, c.calibrator.native);
}

/// A time split holds out the newest measurements; the correction still helps there (the
/// differences from the twin do not change with time).
#[test]
fn a_time_split_tests_on_the_newest_rows() {
    let (_, ds, _) = world();
    let mut opts = CalibrationOptions::default();
    opts.split.kind = learned::dataset::SplitKind::Time;
    let run = calibrate(ds, &opts, |_, _, _| {}).unwrap();
    let newest_train =
        run.split.train().iter().map(|&r| ds.time_s[r].unwrap()).fold(f64::MIN, f64::max);
    let oldest_test =
        run.split.test.iter().map(|&r| ds.time_s[r].unwrap()).fold(f64::MAX, f64::min);
    assert!(newest_train <= oldest_test);
    assert!(run.metrics.evaluation.rmse_reduction() > 0.3, "{}", run.metrics.evaluation.table());
}
