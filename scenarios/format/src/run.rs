//! The run directory's own files: `manifest.json`, `summary.json` and the list of the viewer's
//! report images, as types with their readers and writers.
//!
//! | file | content |
//! |---|---|
//! | `manifest.json` ([`Manifest`]) | scenario, seed, twin version, window, every input file with its SHA-256, the variants, the radio backend, timings |
//! | `summary.json` ([`Summary`]) | per variant: aggregate KPIs and their change against the baseline |
//! | `maps/views.json` ([`ReportImage`]s) | the images `twin-view --report` drew for the report, with captions |
//!
//! The KPI tables (`kpis/*.csv`, `*.parquet`), the maps and the report are written by the
//! `scenarios` crate; the viewer's data (`view/`) is [`crate::view`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::fsio::FsError;

/// The manifest's file name; its presence marks a finished run directory.
pub const MANIFEST: &str = "manifest.json";
/// The summary's file name.
pub const SUMMARY: &str = "summary.json";
/// The list of report images drawn by the viewer, relative to the run directory.
pub const REPORT_IMAGES: &str = "maps/views.json";

/// Aggregates of one variant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    /// Name.
    pub name: String,
    /// Mean share of outdoor points served.
    pub coverage_mean: f64,
    /// Mean over the busy hours (each day's interval of most offered traffic) of the served
    /// points' SINR at the interval's loads, cells weighted by their traffic, dB.
    #[serde(default)]
    pub sinr_busy_hour_db: f64,
    /// Mean PRB utilisation over cells and intervals.
    pub prb_util_mean: f64,
    /// 95th percentile over intervals of the busiest cell's PRB utilisation.
    pub prb_util_max_p95: f64,
    /// Hours in which a cell's PRB utilisation was above 80 %, summed over cells.
    #[serde(default)]
    pub overloaded_cell_hours: f64,
    /// Mean over intervals of the share of offered traffic not served.
    pub unserved_share: f64,
    /// 95th percentile over intervals of the busiest link's utilisation.
    pub link_util_max_p95: f64,
    /// Mean backhaul delay, ms.
    pub delay_mean_ms: f64,
    /// Settlement latency, median, hours.
    pub settlement_latency_p50_h: f64,
    /// Settlement latency, 99th percentile, hours.
    pub settlement_latency_p99_h: f64,
    /// Largest settlement backlog, records.
    pub settlement_backlog_max: u64,
    /// Highest 99th-percentile packet delay over the busy intervals simulated, ms.
    pub packet_delay_p99_ms: f64,
    /// Highest packet loss over the busy intervals simulated.
    pub packet_loss: f64,
    /// Most iterations the load coupling took in an interval.
    #[serde(default)]
    pub coupling_iterations_max: u32,
    /// Median |ΔRSRP| against the baseline, dB, over the grid points that the cells this
    /// variant changes or adds serve (in the baseline or in the variant), after its last
    /// change; 0 when it changes no cell.
    #[serde(default)]
    pub rsrp_change_median_db: f64,
    /// Mean iterations of the load coupling per interval.
    #[serde(default)]
    pub coupling_iterations_mean: f64,
    /// Largest residual of the load coupling in any interval (change of a cell's load in its
    /// last iteration; the solver stops below 1e-4).
    #[serde(default)]
    pub coupling_residual_max: f64,
    /// The cell of highest 95th-percentile PRB utilisation over the window (its own, hour by
    /// hour; ties to the one with more hours above 80 %, then by name); empty without cells.
    #[serde(default)]
    pub busiest_cell: String,
    /// That cell's 95th-percentile PRB utilisation.
    #[serde(default)]
    pub busiest_cell_p95: f64,
    /// The link of highest 95th-percentile utilisation over the window, named as
    /// `kpis/links.csv` names it; empty without links.
    #[serde(default)]
    pub busiest_link: String,
    /// That link's 95th-percentile utilisation.
    #[serde(default)]
    pub busiest_link_p95: f64,
    /// RSRP of the served outdoor points after the variant's last change (the baseline: at the
    /// window's start), 5th percentile, dBm; `None` when no point is served.
    #[serde(default)]
    pub rsrp_p5_dbm: Option<f64>,
    /// Likewise the median.
    #[serde(default)]
    pub rsrp_p50_dbm: Option<f64>,
    /// SINR of those points with every cell transmitting (full load), 5th percentile, dB.
    #[serde(default)]
    pub sinr_p5_db: Option<f64>,
    /// Likewise the median.
    #[serde(default)]
    pub sinr_p50_db: Option<f64>,
    /// RSRP of the busy hour's users: each day's busy hour, the served points weighted by
    /// their cell's traffic in it (shared evenly among the cell's points), 5th percentile,
    /// averaged over the days, dBm.
    #[serde(default)]
    pub rsrp_users_busy_hour_p5_dbm: Option<f64>,
    /// Likewise the median.
    #[serde(default)]
    pub rsrp_users_busy_hour_p50_dbm: Option<f64>,
    /// SINR of the busy hour's users at the busy hour's loads (each cell's points weighted by
    /// its traffic), 5th percentile, averaged over the days, dB.
    #[serde(default)]
    pub sinr_users_busy_hour_p5_db: Option<f64>,
    /// Likewise the median.
    #[serde(default)]
    pub sinr_users_busy_hour_p50_db: Option<f64>,
}

impl VariantSummary {
    /// Every KPI as (name, value), in the order the file writes them; a statistic without
    /// a value (no point served) is NaN.
    pub fn kpis(&self) -> [(&'static str, f64); 21] {
        let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        [
            ("coverage_mean", self.coverage_mean),
            ("sinr_busy_hour_db", self.sinr_busy_hour_db),
            ("prb_util_mean", self.prb_util_mean),
            ("prb_util_max_p95", self.prb_util_max_p95),
            ("overloaded_cell_hours", self.overloaded_cell_hours),
            ("unserved_share", self.unserved_share),
            ("link_util_max_p95", self.link_util_max_p95),
            ("delay_mean_ms", self.delay_mean_ms),
            ("settlement_latency_p50_h", self.settlement_latency_p50_h),
            ("settlement_latency_p99_h", self.settlement_latency_p99_h),
            ("settlement_backlog_max", self.settlement_backlog_max as f64),
            ("packet_delay_p99_ms", self.packet_delay_p99_ms),
            ("packet_loss", self.packet_loss),
            ("rsrp_p5_dbm", or_nan(self.rsrp_p5_dbm)),
            ("rsrp_p50_dbm", or_nan(self.rsrp_p50_dbm)),
            ("sinr_p5_db", or_nan(self.sinr_p5_db)),
            ("sinr_p50_db", or_nan(self.sinr_p50_db)),
            ("rsrp_users_busy_hour_p5_dbm", or_nan(self.rsrp_users_busy_hour_p5_dbm)),
            ("rsrp_users_busy_hour_p50_dbm", or_nan(self.rsrp_users_busy_hour_p50_dbm)),
            ("sinr_users_busy_hour_p5_db", or_nan(self.sinr_users_busy_hour_p5_db)),
            ("sinr_users_busy_hour_p50_db", or_nan(self.sinr_users_busy_hour_p50_db)),
        ]
    }
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// Intervals replayed.
    pub intervals: usize,
    /// Baseline first, then the variants.
    pub variants: Vec<VariantSummary>,
    /// Changes against the baseline above 0.1 %, largest relative change first.
    pub deltas: Vec<Delta>,
}

/// One KPI's change in one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Variant.
    pub variant: String,
    /// KPI name.
    pub kpi: String,
    /// Baseline value.
    pub baseline: f64,
    /// Variant value.
    pub value: f64,
    /// value − baseline.
    pub change: f64,
    /// |change| relative to the baseline, or to the KPI's typical magnitude when the baseline
    /// is smaller (see docs/scenario.md, "The summary").
    pub impact: f64,
}

/// `manifest.json`. Fields are in alphabetical order, as the file has always listed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Coverage maps read from the persistent coverage cache instead of traced.
    #[serde(default)]
    pub coverage_maps_cached: usize,
    /// Coverage maps the replay traced (each cell's map once, shared by the variants that leave
    /// it as it is; re-tilted and added cells get their own).
    #[serde(default)]
    pub coverage_maps_traced: usize,
    /// Every input file, the scenario first.
    pub inputs: Vec<InputDigest>,
    /// Which ray tracer computed the coverage maps and why (one line).
    pub radio_backend: String,
    /// The scenario's name.
    pub scenario: String,
    /// Its master seed.
    pub seed: u64,
    /// Wall-clock seconds of the run's phases (`validate`, `replay`).
    pub timings_s: BTreeMap<String, f64>,
    /// Baseline first, then the variants.
    pub variants: Vec<String>,
    /// The twin's version that wrote the run.
    pub version: String,
    /// The replay window.
    pub window: ManifestWindow,
}

/// The replay window in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestWindow {
    /// ISO 8601 end (exclusive), as the scenario writes it.
    pub end: String,
    /// Interval length, seconds.
    pub interval_s: u32,
    /// Intervals in the window.
    pub intervals: usize,
    /// ISO 8601 start, as the scenario writes it.
    pub start: String,
}

/// An input file and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDigest {
    /// The path as the scenario names it.
    pub path: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// One image the viewer drew for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportImage {
    /// The PNG, relative to the run directory.
    pub file: String,
    /// Its caption in the report.
    pub caption: String,
}

/// Why a run directory's file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RunFileError {
    /// The directory is a temporary of an unfinished write (see [`crate::fsio::temp_name`]).
    #[error(
        "{} is an unfinished run directory (a run that was interrupted or is still being written: twin writes into .NAME.partial-PID-N and renames it when complete); use the finished directory",
        dir.display()
    )]
    Unfinished {
        /// The directory.
        dir: PathBuf,
    },
    /// The file could not be read.
    #[error("cannot read {} (is it a run directory?)", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The file is not what its name says.
    #[error("{} is not a {what}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What it should be.
        what: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// A value could not be encoded (a NaN or infinite KPI, which JSON cannot hold).
    #[error("cannot encode {}", path.display())]
    Encode {
        /// The file.
        path: PathBuf,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] FsError),
}

/// Refuses a directory that is the temporary of an unfinished write: the readers of finished
/// runs (`twin compare`, the viewer) must not take a killed run's leftovers for a result. (The
/// run's own writer reads files back from its temporary, through [`read_report_images`].)
fn finished(dir: &Path) -> Result<(), RunFileError> {
    let name = dir.file_name().and_then(|n| n.to_str());
    if name.is_some_and(crate::fsio::is_unfinished) {
        return Err(RunFileError::Unfinished { dir: dir.to_path_buf() });
    }
    Ok(())
}

fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, RunFileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| RunFileError::Read { path: path.to_path_buf(), source })?;
    serde_json::from_str(&text).map_err(|source| RunFileError::Parse {
        path: path.to_path_buf(),
        what,
        source,
    })
}

/// Writes `value` as pretty JSON into `path` (a file of a run directory being filled by
/// [`crate::fsio::write_dir`], which makes it atomic).
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), RunFileError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|source| RunFileError::Encode { path: path.to_path_buf(), source })?;
    std::fs::write(path, text).map_err(|e| FsError::io(path, e))?;
    Ok(())
}

/// Reads `DIR/summary.json`.
pub fn read_summary(dir: &Path) -> Result<Summary, RunFileError> {
    finished(dir)?;
    read_json(&dir.join(SUMMARY), "run summary")
}

/// Reads `DIR/manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, RunFileError> {
    finished(dir)?;
    read_json(&dir.join(MANIFEST), "run manifest")
}

/// Reads `DIR/maps/views.json`.
pub fn read_report_images(dir: &Path) -> Result<Vec<ReportImage>, RunFileError> {
    read_json(&dir.join(REPORT_IMAGES), "list of report images")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_keeps_its_keys_in_alphabetical_order() {
        let m = Manifest {
            coverage_maps_cached: 0,
            coverage_maps_traced: 3,
            inputs: vec![InputDigest { path: "s.toml".into(), sha256: "00".into() }],
            radio_backend: "cpu".into(),
            scenario: "s".into(),
            seed: 1,
            timings_s: BTreeMap::from([("replay".to_string(), 1.5)]),
            variants: vec!["baseline".into()],
            version: "0.1.0".into(),
            window: ManifestWindow {
                end: "b".into(),
                interval_s: 3600,
                intervals: 2,
                start: "a".into(),
            },
        };
        let text = serde_json::to_string(&m).unwrap();
        let keys: Vec<&str> =
            ["coverage_maps_traced", "inputs", "radio_backend", "scenario", "seed", "timings_s"]
                .into_iter()
                .chain(["variants", "version", "window"])
                .collect();
        let at: Vec<usize> = keys.iter().map(|k| text.find(&format!("\"{k}\"")).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(serde_json::from_str::<Manifest>(&text).unwrap(), m);
    }

    #[test]
    fn a_missing_or_foreign_summary_is_named() {
        let d = std::env::temp_dir().join(format!("twin-format-run-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let _ = std::fs::remove_file(d.join(SUMMARY));
        let e = read_summary(&d).unwrap_err();
        assert!(matches!(e, RunFileError::Read { .. }), "{e}");
        std::fs::write(d.join(SUMMARY), "{\"x\": 1}").unwrap();
        let e = read_summary(&d).unwrap_err();
        assert!(e.to_string().contains("is not a run summary"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
