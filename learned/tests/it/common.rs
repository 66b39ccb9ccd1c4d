//! One known-truth world shared by the tests of this binary (generating and tracing it is the
//! expensive part).

use std::path::PathBuf;
use std::sync::OnceLock;

use learned::dataset::Dataset;
use learned::measurements::ImportReport;
use learned::pipeline::{CalibrationOptions, CalibrationRun, calibrate};
use learned::truth::{Truth, TruthConfig, demo_dataset};

/// A scratch directory unique to this process and `name`.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("twin-learned-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The world: the default known truth (seed 1) with 20 000 measurements, read back through the
/// files the demo writes.
pub(crate) fn world() -> &'static (Truth, Dataset, ImportReport) {
    static WORLD: OnceLock<(Truth, Dataset, ImportReport)> = OnceLock::new();
    WORLD.get_or_init(|| demo_dataset(&TruthConfig::default(), &scratch("world")).unwrap())
}

/// The default calibration of the world (seed 1), computed once.
pub(crate) fn default_run() -> &'static CalibrationRun {
    static RUN: OnceLock<CalibrationRun> = OnceLock::new();
    RUN.get_or_init(|| calibrate(&world().1, &CalibrationOptions::default(), |_, _, _| {}).unwrap())
}
