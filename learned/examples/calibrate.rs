//! Calibrates the twin against measured RSRP: imports a drive-test file through a column mapping,
//! computes the twin's prediction and context features at every point, trains the residual
//! network with a spatial hold-out, prints the before/after table and saves the model directory.
//!
//! ```text
//! cargo run --release -p learned --example calibrate -- --demo target/calibration-demo
//! cargo run --release -p learned --example calibrate -- --measurements drive.csv --map-file mapping.txt \
//!     --sites sites.csv --cells cells.csv --scene procedural --origin 48.8566,2.3522 --out model
//! ```
//!
//! `--demo DIR` first writes a known-truth world into DIR (see `learned::truth`): its measurements
//! in a G-NetTrack-like layout, the mapping that reads them, and the inventory the twin believes.
//! Options and file formats are in `docs/learned.md`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use learned::Backend;
use learned::dataset::{Dataset, SplitConfig, SplitKind};
use learned::features::Twin;
use learned::measurements::{ColumnMap, ImportOptions, ImportReport, import};
use learned::model::{LossKind, MlpConfig, TrainingConfig};
use learned::pipeline::{CalibrationOptions, CalibrationRun, calibrate_into};
use learned::truth::{TruthConfig, generate, write_files};
use radio::scene::{geojson, mitsuba, procedural};
use radio::{Scene, SceneOptions};

#[derive(Parser, Debug, Clone)]
#[command(
    about = "Train the twin's residual correction on measured RSRP and report before/after errors"
)]
struct Args {
    /// Generate a known-truth world into this directory and calibrate on it.
    #[arg(long)]
    demo: Option<PathBuf>,
    /// Measurements drawn by --demo.
    #[arg(long, default_value_t = 20_000)]
    demo_measurements: usize,
    /// Measurement CSV.
    #[arg(long)]
    measurements: Option<PathBuf>,
    /// Column mapping entries, `field=column[:conversion]`, comma-separated (repeatable).
    #[arg(long)]
    map: Vec<String>,
    /// Column mapping file (same syntax, one entry per line).
    #[arg(long)]
    map_file: Option<PathBuf>,
    /// More "not available" markers besides the defaults (repeatable).
    #[arg(long)]
    sentinel: Vec<String>,
    /// Drop rows with non-numeric values instead of failing.
    #[arg(long)]
    drop_invalid: bool,
    /// Sites CSV.
    #[arg(long)]
    sites: Option<PathBuf>,
    /// Cells CSV.
    #[arg(long)]
    cells: Option<PathBuf>,
    /// Scene: Mitsuba .xml, GeoJSON footprints, or "procedural"; without one, the TR 38.901
    /// UMa model.
    #[arg(long)]
    scene: Option<String>,
    /// Seed of the procedural city.
    #[arg(long, default_value_t = 1)]
    city_seed: u64,
    /// WGS84 "lat,lon" of the scene's origin (for lat/lon positions).
    #[arg(long)]
    origin: Option<String>,
    /// Reflections the twin traces.
    #[arg(long, default_value_t = 2)]
    max_depth: u32,
    /// Model directory to write.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Split: spatial, time or random.
    #[arg(long, default_value = "spatial")]
    split: String,
    /// Spatial block edge, metres.
    #[arg(long, default_value_t = 100.0)]
    block_m: f64,
    /// Share of rows held out for the before/after evaluation.
    #[arg(long, default_value_t = 0.2)]
    test_share: f64,
    /// Folds of the other rows: fold 0 stops training early, all calibrate the intervals.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Hidden layer widths, comma-separated.
    #[arg(long, default_value = "64,64")]
    hidden: String,
    /// Maximum epochs.
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Rows per step.
    #[arg(long, default_value_t = 512)]
    batch: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// Epochs without improvement before stopping.
    #[arg(long, default_value_t = 12)]
    patience: usize,
    /// Loss: huber or mse.
    #[arg(long, default_value = "huber")]
    loss: String,
    /// Huber threshold in target standard deviations.
    #[arg(long, default_value_t = 1.0)]
    huber_delta: f32,
    /// Prediction-interval level.
    #[arg(long, default_value_t = 0.9)]
    level: f64,
    /// Seed of the split, the weights and the batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Backend: ndarray, flex or wgpu.
    #[arg(long, default_value = "ndarray")]
    backend: String,
}

fn parse_origin(s: &str) -> Result<(f64, f64)> {
    let (a, b) = s.split_once(',').context("--origin: expected lat,lon")?;
    Ok((
        a.trim().parse().context("--origin latitude")?,
        b.trim().parse().context("--origin longitude")?,
    ))
}

fn load_scene(spec: &str, seed: u64) -> Result<Scene> {
    if spec == "procedural" {
        let params = procedural::CityParams { seed, ..procedural::CityParams::default() };
        return Ok(procedural::city(&params, SceneOptions::default())?.scene);
    }
    let path = PathBuf::from(spec);
    match path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase().as_str() {
        "xml" => Ok(mitsuba::load_with(&path, SceneOptions::default())?),
        "geojson" | "json" => Ok(geojson::load(&path, &geojson::GeoJsonOptions::default())?.scene),
        _ => bail!("--scene {spec}: expected a .xml (Mitsuba), .geojson file or \"procedural\""),
    }
}

/// The split, network, loss and backend the flags name, checked before any work starts.
fn settled_options(a: &Args) -> Result<CalibrationOptions> {
    let kind = match a.split.as_str() {
        "spatial" => SplitKind::SpatialBlocks { block_m: a.block_m },
        "time" => SplitKind::Time,
        "random" => SplitKind::Random,
        other => bail!("--split {other}: expected spatial, time or random"),
    };
    let hidden: Vec<usize> = a
        .hidden
        .split(',')
        .map(|h| {
            h.trim().parse::<usize>().with_context(|| format!("--hidden: \"{h}\" is not a width"))
        })
        .collect::<Result<_>>()?;
    let loss = match a.loss.as_str() {
        "huber" => LossKind::Huber(a.huber_delta),
        "mse" => LossKind::Mse,
        other => bail!("--loss {other}: expected huber or mse"),
    };
    Ok(CalibrationOptions {
        split: SplitConfig { kind, test: a.test_share, folds: a.folds, seed: a.seed },
        mlp: MlpConfig::new().with_hidden(hidden),
        training: TrainingConfig::new()
            .with_max_epochs(a.epochs)
            .with_batch_size(a.batch)
            .with_learning_rate(a.lr)
            .with_patience(a.patience)
            .with_loss(loss)
            .with_seed(a.seed),
        interval_level: a.level,
        backend: Backend::parse(&a.backend)?,
    })
}

/// What a calibration produced, besides the lines it printed.
// `main` prints as it goes and reads none of this; the tests read all of it.
#[cfg_attr(not(test), allow(dead_code))]
struct Report {
    /// What the import kept and dropped.
    measurements: ImportReport,
    /// Rows of the dataset (kept measurements with a twin prediction).
    rows: usize,
    /// The trained correction, its split and its held-out evaluation.
    run: CalibrationRun,
    /// The model directory written.
    out: PathBuf,
}

/// Calibrates as `args` say, printing the summary to `out` as it goes (training progress to a
/// terminal's stderr).
fn run(args: &Args, out: &mut dyn Write) -> Result<Report> {
    let mut a = args.clone();
    let t0 = Instant::now();
    let mut origin = a.origin.as_deref().map(parse_origin).transpose()?;
    let opts = settled_options(&a)?;
    if let Some(dir) = a.demo.clone() {
        let cfg = TruthConfig {
            seed: a.city_seed,
            measurements: a.demo_measurements,
            ..TruthConfig::default()
        };
        eprintln!(
            "generating a known-truth world ({} measurements) into {}",
            cfg.measurements,
            dir.display()
        );
        let truth = generate(&cfg)?;
        write_files(&truth, &dir)?;
        a.measurements.get_or_insert(dir.join("measurements.csv"));
        a.map_file.get_or_insert(dir.join("mapping.txt"));
        a.sites.get_or_insert(dir.join("sites.csv"));
        a.cells.get_or_insert(dir.join("cells.csv"));
        a.scene.get_or_insert("procedural".into());
        a.out.get_or_insert(dir.join("model"));
        origin.get_or_insert(cfg.origin);
        writeln!(
            out,
            "demo data: {} (same as: --measurements {0}/measurements.csv --map-file {0}/mapping.txt --sites {0}/sites.csv --cells {0}/cells.csv --scene procedural --city-seed {} --origin {},{})",
            dir.display(),
            a.city_seed,
            cfg.origin.0,
            cfg.origin.1
        )?;
    }
    let measurements =
        a.measurements.clone().context("--measurements is required (or --demo DIR)")?;
    let sites = a.sites.clone().context("--sites is required")?;
    let cells = a.cells.clone().context("--cells is required")?;
    let model_dir = a.out.clone().context("--out is required")?;
    let mut map = ColumnMap::new();
    if let Some(f) = &a.map_file {
        map = map.merged(&ColumnMap::from_file(f)?);
    }
    for m in &a.map {
        map = map.merged(&ColumnMap::parse(m)?);
    }
    let mut options =
        ImportOptions { drop_invalid: a.drop_invalid, origin, ..ImportOptions::default() };
    options.sentinels.extend(a.sentinel.iter().cloned());
    let inventory = radio::inventory::load(&sites, &cells, origin)?;
    // Measurements and sites share one frame: the given origin, else the inventory's.
    options.origin = options.origin.or(inventory.origin);
    let mut imported = import(&measurements, &map, &options)?;
    let scene = a.scene.as_deref().map(|s| load_scene(s, a.city_seed)).transpose()?;
    if scene.is_some() && a.origin.is_none() && a.demo.is_none() && inventory.origin.is_some() {
        eprintln!(
            "note: no --origin given: the first site's position is taken as the scene's origin"
        );
    }
    let mut twin = Twin::new(scene.as_ref(), &inventory.cells);
    twin.trace.max_depth = a.max_depth;
    let t1 = Instant::now();
    let ds = Dataset::build(&twin, &imported.rows, &mut imported.report)?;
    writeln!(out, "measurements: {}", imported.report)?;
    writeln!(
        out,
        "features: {} rows × {} features ({} the twin's {}) in {:.1} s",
        ds.len(),
        ds.width(),
        if scene.is_some() { "ray-traced by" } else { "empirical model of" },
        if scene.is_some() { "tracer" } else { "TR 38.901 UMa" },
        t1.elapsed().as_secs_f64()
    )?;
    let tty = std::io::stderr().is_terminal();
    let run = calibrate_into(&ds, &opts, &model_dir, |epoch, loss, rmse| {
        if tty {
            eprint!(
                "\repoch {:>3}: training loss {loss:.4}, validation RMSE {rmse:.2} dB   ",
                epoch + 1
            );
        }
    })?;
    if tty {
        eprintln!();
    }
    let m = &run.metrics;
    writeln!(
        out,
        "training: {} / {} / {} rows (train / validation / test), {} epochs (best {}{}), {:.1} s; {} out-of-fold models for the intervals, {:.1} s",
        m.split_rows.train,
        m.split_rows.valid,
        m.split_rows.test,
        m.history.train_loss.len(),
        m.history.best_epoch + 1,
        if m.history.stopped_early { ", stopped early" } else { "" },
        m.training_s,
        m.split_rows.folds.len(),
        m.conformal_s
    )?;
    write!(out, "{}", m.evaluation.table())?;
    writeln!(
        out,
        "model saved to {} ({:.1} s in all)",
        model_dir.display(),
        t0.elapsed().as_secs_f64()
    )?;
    Ok(Report { measurements: imported.report, rows: ds.len(), run, out: model_dir })
}

/// Prints the error chain (not a backtrace) and exits with status 1 on failure.
fn main() -> std::process::ExitCode {
    match run(&Args::parse(), &mut std::io::stdout().lock()) {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("twin-calibrate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// The example's arguments, parsed as the command line would be.
    fn args(extra: &[&str]) -> Args {
        Args::try_parse_from(["calibrate"].iter().chain(extra)).unwrap()
    }

    /// A small known-truth world (1 500 measurements instead of 20 000): the learned correction
    /// beats the uncorrected twin on held-out spatial blocks, the files are written, and the
    /// printed summary accounts for every row.
    #[test]
    fn a_small_known_truth_calibration_beats_the_uncorrected_twin() {
        let dir = temp_dir("demo");
        let demo = dir.display().to_string();
        let a = args(&["--demo", &demo, "--demo-measurements", "1500", "--epochs", "60"]);
        let mut printed = Vec::new();
        let report = run(&a, &mut printed).unwrap();
        let text = String::from_utf8(printed).unwrap();
        println!("{text}");
        // Every measurement drawn is read back; only the few without RSRP (1 % of phones
        // report none) are dropped, and every kept one is a row of the dataset.
        let m = &report.measurements;
        assert!(m.read <= 1500 && m.read > 1450, "{m}");
        assert!(m.kept as f64 > 0.95 * m.read as f64, "{m}");
        assert_eq!(m.kept + m.n_dropped(), m.read, "{m}");
        assert_eq!(report.rows, m.kept);
        let metrics = &report.run.metrics;
        let s = &metrics.split_rows;
        assert_eq!(s.train + s.valid + s.test, report.rows);
        assert_eq!(s.folds.iter().sum::<usize>(), s.train + s.valid);
        // The twin's systematic errors (antennas that point elsewhere, building loss it does
        // not model) are learnable; shadowing and noise are not. The correction removes much of
        // the error and most of the bias on blocks it never saw.
        let e = &metrics.evaluation;
        assert_eq!(e.before.n, s.test);
        assert!(e.before.n > 200, "a hold-out of {} points", e.before.n);
        assert!(
            e.after.rmse_db < 0.8 * e.before.rmse_db,
            "RMSE {:.2} → {:.2} dB",
            e.before.rmse_db,
            e.after.rmse_db
        );
        assert!(e.after.bias_db.abs() < 0.5 * e.before.bias_db.abs(), "{}", e.table());
        // The 90 % intervals cover about 90 % of the held-out points (a few hundred points
        // in correlated blocks: a wide band).
        assert!((0.8..=0.98).contains(&e.interval_coverage), "{}", e.interval_coverage);
        // The model directory holds the network, its settings and the metrics.
        for file in ["model.bpk", "mlp.json", "training.json", "features.json"] {
            assert!(report.out.join(file).is_file(), "{file} missing");
        }
        assert!(report.out.join("normalization.json").is_file());
        assert!(report.out.join("metrics.json").is_file());
        assert_eq!(report.out, dir.join("model"));
        // The demo's files, and the summary in the order the command prints it.
        let csv = std::fs::read_to_string(dir.join("measurements.csv")).unwrap();
        assert!(
            csv.starts_with("Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,Level,SNR\n")
        );
        assert_eq!(csv.lines().count(), m.read + 1);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with(&format!("demo data: {demo} (same as: --measurements ")));
        assert!(lines[1].starts_with("measurements: "), "{}", lines[1]);
        let features = format!("features: {} rows × ", report.rows);
        assert!(lines[2].starts_with(&features), "{}", lines[2]);
        assert!(lines[2].contains("(ray-traced by the twin's tracer)"), "{}", lines[2]);
        assert!(
            lines[3].starts_with(&format!("training: {} / {} / {} rows", s.train, s.valid, s.test))
        );
        assert!(text.contains(&e.table()));
        let last = lines.last().unwrap();
        assert!(last.starts_with(&format!("model saved to {demo}/model (")), "{last}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Flags that name nothing are refused before any world is generated or traced.
    #[test]
    fn bad_arguments_are_errors_before_any_work() {
        let dir = temp_dir("bad");
        let demo = dir.display().to_string();
        for (extra, message) in [
            (&["--split", "diagonal"][..], "expected spatial, time or random"),
            (&["--loss", "l1"][..], "expected huber or mse"),
            (&["--hidden", "64,wide"][..], "\"wide\" is not a width"),
            (&["--backend", "tpu"][..], "unknown backend"),
            (&["--origin", "48.85"][..], "--origin: expected lat,lon"),
            (&["--origin", "north,2.35"][..], "--origin latitude"),
        ] {
            let a = args(&[&["--demo", &demo][..], extra].concat());
            let err = run(&a, &mut Vec::new()).err().unwrap();
            assert!(format!("{err:#}").contains(message), "{extra:?}: {err:#}");
            assert!(!dir.exists(), "{extra:?}: the demo was written before the error");
        }
        let err = run(&args(&[]), &mut Vec::new()).err().unwrap();
        assert!(format!("{err:#}").contains("--measurements is required (or --demo DIR)"));
        let err = run(&args(&["--measurements", "drive.csv"]), &mut Vec::new()).err().unwrap();
        assert!(format!("{err:#}").contains("--sites is required"), "{err:#}");
        assert!(Args::try_parse_from(["calibrate", "--epochs", "many"]).is_err());
    }
}
