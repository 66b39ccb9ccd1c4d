//! Coverage map of a scene: best server, RSRP, SINR and throughput on an analysis grid, as CSV
//! and as a PNG heat map.
//!
//! ```text
//! cargo run --release -p radio --example coverage -- --scene <scene.xml|buildings.geojson|procedural> --out map.csv
//!     [--cells cells.csv] [--png map.png] [--cell-size 5] [--height 1.5] [--rays 1000000]
//!     [--max-depth 3] [--no-diffraction] [--seed 1] [--dsm-cell 1] [--path-gain pg.csv]
//!     [--grid-origin X,Y] [--grid-size NX,NY] [--repeat N]
//!     [--min-rsrp-dbm -120] [--min-sinr-db -6]
//! ```
//!
//! The scene is a Mitsuba XML file with PLY meshes (Sionna RT's format), a GeoJSON file of
//! building footprints with a `height` property (WGS84; see `radio::scene::geojson`), or the word
//! `procedural` for a seeded procedural city.
//!
//! Cells come from `--cells`, a CSV file with a header row and the columns
//! `cell_id, site_id, x_m, y_m, height_m, azimuth_deg, mech_tilt_deg, elec_tilt_deg,
//! tx_power_dbm, freq_hz, bandwidth_hz, pattern` and optionally `scs_hz` (default 30 000).
//! Positions are scene metres (x east, y north); `height_m` is the antenna's z. `pattern` takes
//! every name `radio::Pattern::from_spec` accepts: `38901` (`tr38901`, `3gpp`), `36814`
//! (`tr36814`), `38901-array:<rows>x<cols>[:<dv>[:<dh>]]`, `isotropic` (`iso`) or the path of an
//! MSI/Planet pattern file (relative to the CSV); an empty field, or no `pattern` column, is the
//! default macro panel `radio::antenna::DEFAULT_MACRO_SPEC` (`38901-array:8x1:0.8`). Without
//! `--cells`, one three-sector site of default macro panels (azimuths 0°, 120°, 240°, 6°
//! electrical tilt, 46 dBm, 3.5 GHz, 100 MHz) stands 10 m above the highest roof within 25 m of
//! the scene centre.
//!
//! A point is *covered* as planners define it (`radio::kpi::CoverageThresholds`): outdoor, and
//! its best server's RSRP at least `--min-rsrp-dbm` (default −120 dBm, the usual `q-RxLevMin`
//! of TS 38.304 cell selection), its SINR at least `--min-sinr-db` (default −6 dB, the lowest
//! operating point of control channel and lowest MCS), and its RSRP above the thermal noise of
//! one resource element (about −122 dBm at 30 kHz and a 7 dB noise figure), whatever the
//! thresholds. A point that some path merely reaches is *reached*, not covered. Thresholds must
//! lie in the reporting ranges of TS 38.133 (SS-RSRP −156 to −31 dBm, SS-SINR −23 to 40 dB); they
//! are checked before any work.
//!
//! The CSV has one row per grid point: `x_m, y_m, outdoor, best_cell, rsrp_dbm, sinr_db,
//! throughput_mbps, los, covered`. Indoor points leave every field after `outdoor` empty, and
//! outdoor points no cell reaches leave all but `covered` (`false`) empty. A reached point that
//! is not covered keeps its best cell, RSRP, SINR and throughput, so that a planner sees which
//! cell would serve it and how far it is from the thresholds; `covered` says whether it counts.
//! The PNG shows the best-server RSRP of covered points on the viewer's scale, −120 dBm (dark)
//! to −60 dBm (bright), with indoor points grey and uncovered points (below the thresholds, or
//! not reached) dark red, and a colour bar along the bottom; north is up. With `--path-gain`, a
//! third file holds every cell's path gain at every grid point. Files are written to a temporary
//! name and renamed when complete. The summary on standard output counts covered points, per
//! cell the covered points it serves best, and the medians of RSRP and SINR over covered points.

use std::io::Write;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Parser;
use radio::kpi::{CoverageThresholds, KpiConfig, Serving, serving_map};
use radio::propagation::CoverageMap;
use radio::scene::{geojson, mitsuba, procedural};
use radio::{
    Antenna, Cell, CpuTracer, Grid, Orientation, Pattern, Polarization, Propagation, Scene,
    SceneOptions, TraceConfig, vec3,
};

/// Computes a coverage map and writes it as CSV and PNG.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
struct Args {
    /// Scene: a Mitsuba .xml file, a .geojson/.json footprint file, or "procedural".
    #[arg(long)]
    scene: String,
    /// Output CSV file.
    #[arg(long)]
    out: PathBuf,
    /// Cells CSV file (default: one three-sector site at the scene centre).
    #[arg(long)]
    cells: Option<PathBuf>,
    /// Output PNG file (default: the CSV path with .png).
    #[arg(long)]
    png: Option<PathBuf>,
    /// Analysis grid cell size, metres.
    #[arg(long, default_value_t = 5.0)]
    cell_size: f64,
    /// Receiver height, metres.
    #[arg(long, default_value_t = 1.5)]
    height: f64,
    /// Rays per cell for reflections.
    #[arg(long, default_value_t = 1_000_000)]
    rays: u64,
    /// Maximum number of reflections.
    #[arg(long, default_value_t = 3)]
    max_depth: u32,
    /// Turn off knife-edge diffraction.
    #[arg(long)]
    no_diffraction: bool,
    /// Seed of the procedural city.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Surface-model resolution, metres.
    #[arg(long, default_value_t = 1.0)]
    dsm_cell: f64,
    /// Also write the path gain of every cell at every grid point (long CSV:
    /// `cell_id, x_m, y_m, path_gain_db`, empty where nothing arrives or the point is indoor).
    #[arg(long)]
    path_gain: Option<PathBuf>,
    /// South-west corner of the grid, "x,y" in metres (default: the scene's).
    #[arg(long, value_parser = parse_pair_f64)]
    grid_origin: Option<(f64, f64)>,
    /// Grid size in cells, "nx,ny" (default: enough to cover the scene).
    #[arg(long, value_parser = parse_pair_usize)]
    grid_size: Option<(usize, usize)>,
    /// Compute each map this many times and report the median time (for benchmarks).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Weakest best-server RSRP that covers a point, dBm (default: the usual q-RxLevMin of
    /// TS 38.304 cell selection; from -156 to -31, the SS-RSRP reporting range of TS 38.133).
    #[arg(long, default_value_t = CoverageThresholds::default().min_rsrp_dbm,
          allow_negative_numbers = true)]
    min_rsrp_dbm: f64,
    /// Weakest SINR that covers a point, dB (default: the lowest operating point of control
    /// channel and lowest MCS; from -23 to 40, the SS-SINR reporting range of TS 38.133).
    /// Whatever the thresholds, an RSRP under one resource element's thermal noise is not covered.
    #[arg(long, default_value_t = CoverageThresholds::default().min_sinr_db,
          allow_negative_numbers = true)]
    min_sinr_db: f64,
}

/// The RSRP a threshold may name, dBm: the SS-RSRP reporting range of TS 38.133 (§10.1.6). A
/// threshold outside it is a typo (a positive sign, a missing digit), not a planning choice.
const RSRP_RANGE_DBM: RangeInclusive<f64> = -156.0..=-31.0;

/// The SINR a threshold may name, dB: the SS-SINR reporting range of TS 38.133 (§10.1.16).
const SINR_RANGE_DB: RangeInclusive<f64> = -23.0..=40.0;

/// The coverage thresholds of `--min-rsrp-dbm` and `--min-sinr-db`, once both are finite and in
/// range.
fn thresholds(args: &Args) -> anyhow::Result<CoverageThresholds> {
    for (flag, value, range, unit) in [
        ("--min-rsrp-dbm", args.min_rsrp_dbm, RSRP_RANGE_DBM, "dBm"),
        ("--min-sinr-db", args.min_sinr_db, SINR_RANGE_DB, "dB"),
    ] {
        ensure!(
            value.is_finite() && range.contains(&value),
            "{flag} {value}: expected a finite threshold from {} to {} {unit}",
            range.start(),
            range.end()
        );
    }
    Ok(CoverageThresholds { min_rsrp_dbm: args.min_rsrp_dbm, min_sinr_db: args.min_sinr_db })
}

fn parse_pair<T: std::str::FromStr>(s: &str) -> Result<(T, T), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("expected two values separated by a comma, got \"{s}\""))?;
    let parse =
        |t: &str| t.trim().parse::<T>().map_err(|_| format!("\"{t}\" is not a valid number"));
    Ok((parse(a)?, parse(b)?))
}

fn parse_pair_f64(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = parse_pair::<f64>(s)?;
    if a.is_finite() && b.is_finite() {
        Ok((a, b))
    } else {
        Err("coordinates must be finite".into())
    }
}

fn parse_pair_usize(s: &str) -> Result<(usize, usize), String> {
    parse_pair::<usize>(s)
}

fn load_scene(args: &Args) -> anyhow::Result<Scene> {
    let options = SceneOptions { dsm_cell_m: args.dsm_cell, ..SceneOptions::default() };
    if args.scene == "procedural" {
        let params =
            procedural::CityParams { seed: args.seed, ..procedural::CityParams::default() };
        return Ok(procedural::city(&params, options)?.scene);
    }
    let path = Path::new(&args.scene);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "xml" => Ok(mitsuba::load_with(path, options)?),
        "geojson" | "json" => {
            let opts =
                geojson::GeoJsonOptions { scene: options, ..geojson::GeoJsonOptions::default() };
            Ok(geojson::load(path, &opts)?.scene)
        }
        _ => bail!(
            "--scene {}: expected a .xml (Mitsuba), .geojson/.json file or \"procedural\"",
            args.scene
        ),
    }
}

/// One three-sector site of default macro panels 10 m above the highest surface within 25 m of the scene centre.
fn default_cells(scene: &Scene) -> anyhow::Result<Vec<Cell>> {
    let b = scene.bounds();
    let (cx, cy) = (0.5 * f64::from(b.min[0] + b.max[0]), 0.5 * f64::from(b.min[1] + b.max[1]));
    let dsm = scene.dsm();
    let mut top: f64 = 0.0;
    let mut dx = -25.0;
    while dx <= 25.0 {
        let mut dy = -25.0;
        while dy <= 25.0 {
            let h = dsm.height_at(cx + dx, cy + dy);
            if h.is_finite() {
                top = top.max(h);
            }
            dy += dsm.cell_m;
        }
        dx += dsm.cell_m;
    }
    (0..3)
        .map(|k| {
            let orientation = Orientation {
                azimuth_deg: 120.0 * f64::from(k),
                mech_tilt_deg: 0.0,
                elec_tilt_deg: 6.0,
            };
            Ok(Cell {
                id: format!("SITE1-{}", k + 1),
                site_id: "SITE1".into(),
                position: vec3(cx, cy, top + 10.0),
                antenna: Antenna::new(
                    Pattern::default_macro(),
                    Polarization::Vertical,
                    orientation,
                )?,
                tx_power_dbm: 46.0,
                freq_hz: 3.5e9,
                bandwidth_hz: 100e6,
                subcarrier_spacing_hz: 30e3,
            })
        })
        .collect()
}

/// Reads the cells CSV, naming the file, line and column of any problem.
fn read_cells(path: &Path) -> anyhow::Result<Vec<Cell>> {
    let mut reader = csv::Reader::from_path(path)
        .with_context(|| format!("cannot read cells file {}", path.display()))?;
    let headers =
        reader.headers().with_context(|| format!("{}: no header row", path.display()))?.clone();
    let required = [
        "cell_id",
        "site_id",
        "x_m",
        "y_m",
        "height_m",
        "azimuth_deg",
        "mech_tilt_deg",
        "elec_tilt_deg",
        "tx_power_dbm",
        "freq_hz",
        "bandwidth_hz",
    ];
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    for name in required {
        ensure!(col(name).is_some(), "{}: missing column \"{name}\"", path.display());
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut cells = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.with_context(|| format!("{} line {line}", path.display()))?;
        let text = |name: &str| -> anyhow::Result<String> {
            let i = col(name).with_context(|| format!("missing column {name}"))?;
            Ok(record.get(i).unwrap_or("").trim().to_string())
        };
        let num = |name: &str| -> anyhow::Result<f64> {
            let t = text(name)?;
            let v: f64 = t.parse().with_context(|| {
                format!("{} line {line}, column {name}: \"{t}\" is not a number", path.display())
            })?;
            ensure!(
                v.is_finite(),
                "{} line {line}, column {name}: {v} is not finite",
                path.display()
            );
            Ok(v)
        };
        // `from_spec` reads an empty name as the default macro panel; so is a missing column.
        let pattern_name = if col("pattern").is_some() { text("pattern")? } else { String::new() };
        let pattern = Pattern::from_spec(&pattern_name, folder).with_context(|| {
            format!("{} line {line}: pattern \"{pattern_name}\"", path.display())
        })?;
        let orientation = Orientation {
            azimuth_deg: num("azimuth_deg")?,
            mech_tilt_deg: num("mech_tilt_deg")?,
            elec_tilt_deg: num("elec_tilt_deg")?,
        };
        let scs = match col("scs_hz") {
            Some(_) if !text("scs_hz")?.is_empty() => num("scs_hz")?,
            _ => 30e3,
        };
        cells.push(Cell {
            id: text("cell_id")?,
            site_id: text("site_id")?,
            position: vec3(num("x_m")?, num("y_m")?, num("height_m")?),
            antenna: Antenna::new(pattern, Polarization::Vertical, orientation)
                .with_context(|| format!("{} line {line}", path.display()))?,
            tx_power_dbm: num("tx_power_dbm")?,
            freq_hz: num("freq_hz")?,
            bandwidth_hz: num("bandwidth_hz")?,
            subcarrier_spacing_hz: scs,
        });
    }
    ensure!(!cells.is_empty(), "{}: no cells", path.display());
    Ok(cells)
}

/// Writes `path` through the workspace's atomic writer: complete or absent.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    twin_format::fsio::write_file_with(path, twin_format::Existing::Replace, write)
        .with_context(|| format!("writing {}", path.display()))
}

/// The KPI grid: one row per point, `covered` last so that the older columns keep their places.
fn write_csv(
    path: &Path,
    grid: &Grid,
    cells: &[Cell],
    served: &[Serving],
    maps: &[CoverageMap],
    covered: &[bool],
) -> anyhow::Result<()> {
    write_atomically(path, |file| {
        let mut w = csv::Writer::from_writer(file);
        w.write_record([
            "x_m",
            "y_m",
            "outdoor",
            "best_cell",
            "rsrp_dbm",
            "sinr_db",
            "throughput_mbps",
            "los",
            "covered",
        ])?;
        for (i, s) in served.iter().enumerate() {
            let p = grid.point(i);
            let outdoor = maps[0].outdoor[i];
            let mut row = vec![format!("{:.2}", p.x), format!("{:.2}", p.y), outdoor.to_string()];
            match s.best {
                Some(b) if outdoor => row.extend([
                    cells[b].id.clone(),
                    format!("{:.2}", s.rsrp_dbm),
                    format!("{:.2}", s.sinr_db),
                    format!("{:.3}", s.throughput_bps / 1e6),
                    maps[b].los[i].to_string(),
                ]),
                _ => row.extend(["", "", "", "", ""].map(String::from)),
            }
            // Indoor points are not analysed, so their coverage is left empty like their KPIs.
            row.push(if outdoor { covered[i].to_string() } else { String::new() });
            w.write_record(&row)?;
        }
        w.flush()?;
        Ok(())
    })
}

fn write_path_gain(
    path: &Path,
    grid: &Grid,
    cells: &[Cell],
    maps: &[CoverageMap],
) -> anyhow::Result<()> {
    write_atomically(path, |file| {
        let mut w = csv::Writer::from_writer(file);
        w.write_record(["cell_id", "x_m", "y_m", "path_gain_db"])?;
        for (cell, map) in cells.iter().zip(maps) {
            for i in 0..grid.len() {
                let p = grid.point(i);
                let g = map.path_gain_db(i);
                let value = if g.is_finite() { format!("{g:.3}") } else { String::new() };
                w.write_record([
                    cell.id.clone(),
                    format!("{:.2}", p.x),
                    format!("{:.2}", p.y),
                    value,
                ])?;
            }
        }
        w.flush()?;
        Ok(())
    })
}

/// The best-server RSRP map on the workspace's one palette (the viewer's RSRP scale, indoor
/// points grey, uncovered ones dark red), with a colour bar along the bottom.
fn write_png(
    path: &Path,
    grid: &Grid,
    served: &[Serving],
    outdoor: &[bool],
    covered: &[bool],
) -> anyhow::Result<()> {
    use twin_format::palette::{Pixel, RSRP_DBM, heat_map_png};
    let png = heat_map_png(grid.nx, grid.ny, RSRP_DBM, true, |ix, iy| {
        let i = iy * grid.nx + ix;
        if !outdoor[i] {
            Pixel::Indoor
        } else if covered[i] {
            Pixel::Value(served[i].rsrp_dbm as f32)
        } else {
            Pixel::Unserved
        }
    })?;
    write_atomically(path, |w| Ok(w.write_all(&png)?))
}

/// Whether each grid point is covered: outdoor, reached by some cell, and over `thresholds` on
/// its best server (which includes standing above one resource element's thermal noise).
fn covered_mask(
    cells: &[Cell],
    served: &[Serving],
    outdoor: &[bool],
    thresholds: &CoverageThresholds,
    kpi: &KpiConfig,
) -> Vec<bool> {
    served
        .iter()
        .zip(outdoor)
        .map(|(s, &outdoor)| {
            outdoor
                && s.best.is_some_and(|b| {
                    thresholds.covers(&cells[b], s.rsrp_dbm, s.sinr_db, kpi.noise_figure_db)
                })
        })
        .collect()
}

/// How many covered points a cell serves best.
#[derive(Debug, Clone, PartialEq)]
struct CellShare {
    cell_id: String,
    n_covered: usize,
}

/// What the run produced, for the summary and the example's own checks.
#[derive(Debug)]
struct Report {
    thresholds: CoverageThresholds,
    n_points: usize,
    n_outdoor: usize,
    /// Outdoor points some path reaches, covered or not.
    n_reached: usize,
    n_covered: usize,
    /// Over covered points.
    median_rsrp_dbm: f64,
    /// Over covered points.
    median_sinr_db: f64,
    per_cell: Vec<CellShare>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The report's counts and medians, from the serving map and its coverage mask.
fn summarize(
    cells: &[Cell],
    served: &[Serving],
    outdoor: &[bool],
    covered: &[bool],
    thresholds: CoverageThresholds,
) -> Report {
    let covered_points: Vec<&Serving> =
        served.iter().zip(covered).filter(|(_, c)| **c).map(|(s, _)| s).collect();
    let per_cell = cells
        .iter()
        .enumerate()
        .map(|(c, cell)| CellShare {
            cell_id: cell.id.clone(),
            n_covered: covered_points.iter().filter(|s| s.best == Some(c)).count(),
        })
        .collect();
    Report {
        thresholds,
        n_points: served.len(),
        n_outdoor: outdoor.iter().filter(|o| **o).count(),
        n_reached: served.iter().zip(outdoor).filter(|(s, o)| **o && s.best.is_some()).count(),
        n_covered: covered_points.len(),
        median_rsrp_dbm: median(covered_points.iter().map(|s| s.rsrp_dbm).collect()),
        median_sinr_db: median(covered_points.iter().map(|s| s.sinr_db).collect()),
        per_cell,
    }
}

fn print_report(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let share = |n: usize| 100.0 * n as f64 / report.n_outdoor.max(1) as f64;
    writeln!(
        out,
        "points {}  outdoor {}  reached {} ({:.1} % of outdoor)  covered {} ({:.1} % of outdoor)",
        report.n_points,
        report.n_outdoor,
        report.n_reached,
        share(report.n_reached),
        report.n_covered,
        share(report.n_covered)
    )?;
    writeln!(
        out,
        "covered: RSRP >= {} dBm, SINR >= {} dB, RSRP above one resource element's thermal noise",
        report.thresholds.min_rsrp_dbm, report.thresholds.min_sinr_db
    )?;
    writeln!(
        out,
        "median over covered points: RSRP {:.1} dBm  SINR {:.1} dB",
        report.median_rsrp_dbm, report.median_sinr_db
    )?;
    writeln!(out, "{:<16} {:>10}", "cell", "best-served covered points")?;
    for share in &report.per_cell {
        writeln!(out, "{:<16} {:>10}", share.cell_id, share.n_covered)?;
    }
    Ok(())
}

/// The cells of `--cells`, or the default site, each checked against the scene.
fn load_cells(args: &Args, scene: &Scene) -> anyhow::Result<Vec<Cell>> {
    let cells = match &args.cells {
        Some(p) => read_cells(p)?,
        None => default_cells(scene)?,
    };
    for (row, cell) in cells.iter().enumerate() {
        cell.validate(scene).with_context(|| match &args.cells {
            Some(p) => format!("{} line {}", p.display(), row + 2),
            None => "the default site".to_string(),
        })?;
        for m in scene.materials() {
            if !m.in_validity_range(cell.freq_hz) {
                eprintln!(
                    "note: material {} is defined by ITU-R P.2040 outside {:.2} GHz (cell {}); its model is extrapolated",
                    m.name,
                    cell.freq_hz / 1e9,
                    cell.id
                );
            }
        }
    }
    Ok(cells)
}

/// One coverage map per cell, each computed `--repeat` times to time it.
fn compute_maps(
    args: &Args,
    scene: &Scene,
    cells: &[Cell],
    grid: &Grid,
) -> anyhow::Result<Vec<CoverageMap>> {
    let cfg = TraceConfig {
        rays: args.rays,
        max_depth: args.max_depth,
        diffraction: !args.no_diffraction,
        ..TraceConfig::default()
    };
    let tracer = CpuTracer;
    let mut maps = Vec::with_capacity(cells.len());
    for (k, cell) in cells.iter().enumerate() {
        let p = cell.position;
        let mut times = Vec::with_capacity(args.repeat);
        let mut map = None;
        for _ in 0..args.repeat {
            let t = Instant::now();
            map = Some(tracer.coverage(scene, &cell.transmitter(), grid, &cfg)?);
            times.push(t.elapsed().as_secs_f64());
        }
        let map = map.context("no map computed")?;
        eprintln!(
            "[{}/{}] cell {} at ({:.1}, {:.1}, {:.1}) m: {} rays, depth {}, {:.3} s (median of {}), {} of {} points reached",
            k + 1,
            cells.len(),
            cell.id,
            p.x,
            p.y,
            p.z,
            cfg.rays,
            cfg.max_depth,
            median(times),
            args.repeat,
            map.n_covered(),
            grid.len()
        );
        maps.push(map);
    }
    Ok(maps)
}

fn run(args: &Args) -> anyhow::Result<Report> {
    // Every flag that needs no file is checked before the scene is read.
    let thresholds = thresholds(args)?;
    ensure!(args.cell_size.is_finite() && args.cell_size > 0.0, "--cell-size must be > 0 m");
    ensure!(args.repeat >= 1, "--repeat must be at least 1");
    let png_path = args.png.clone().unwrap_or_else(|| args.out.with_extension("png"));
    let started = Instant::now();
    let scene = load_scene(args).with_context(|| format!("loading scene {}", args.scene))?;
    eprintln!(
        "scene: {} triangles, {} planes, {} materials, loaded in {:.2} s",
        scene.n_triangles(),
        scene.planes().len(),
        scene.materials().len(),
        started.elapsed().as_secs_f64()
    );
    for note in scene.notes() {
        eprintln!("note: {note}");
    }
    let cells = load_cells(args, &scene)?;
    let covering = Grid::covering(&scene.bounds(), args.cell_size, args.height)?;
    let (x0, y0) = args.grid_origin.unwrap_or((covering.x_min_m, covering.y_min_m));
    let (nx, ny) = args.grid_size.unwrap_or((covering.nx, covering.ny));
    let grid = Grid::new(x0, y0, args.cell_size, nx, ny, args.height)?;
    eprintln!(
        "grid: {} × {} points of {} m at {} m height; {} cells",
        grid.nx,
        grid.ny,
        grid.cell_m,
        grid.height_m,
        cells.len()
    );
    let maps = compute_maps(args, &scene, &cells, &grid)?;
    let kpi = KpiConfig::default();
    let served = serving_map(&cells, &maps, &kpi);
    let outdoor = &maps[0].outdoor;
    let covered = covered_mask(&cells, &served, outdoor, &thresholds, &kpi);
    write_csv(&args.out, &grid, &cells, &served, &maps, &covered)?;
    write_png(&png_path, &grid, &served, outdoor, &covered)?;
    if let Some(path) = &args.path_gain {
        write_path_gain(path, &grid, &cells, &maps)?;
    }
    let report = summarize(&cells, &served, outdoor, &covered, thresholds);
    let mut out = std::io::stdout().lock();
    print_report(&report, &mut out)?;
    writeln!(
        out,
        "wrote {} and {} in {:.2} s",
        args.out.display(),
        png_path.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(report)
}

fn main() -> ExitCode {
    // Before any thread: a headless run is re-executed without Mesa's device-select layer,
    // whose Wayland probe would print `XDG_RUNTIME_DIR is invalid` (an exec that fails leaves
    // only that noise).
    let _ = radio::headless::quiet_device_select();
    let args = Args::parse();
    match run(&args) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn args(dir: &Path) -> Args {
        Args::try_parse_from([
            "coverage",
            "--scene=procedural",
            &format!("--out={}", dir.join("map.csv").display()),
            "--cell-size=10",
            "--rays=20000",
            "--max-depth=2",
            "--seed=3",
        ])
        .unwrap()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("twin-coverage-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The KPI grid's rows as (header → field) lookups.
    fn read_map(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let headers = reader.headers().unwrap().clone();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
            })
            .collect()
    }

    fn num(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
        row[column].parse().unwrap_or_else(|_| panic!("{column}: {:?}", row[column]))
    }

    #[test]
    fn procedural_city_map_is_written_and_sane() {
        let dir = temp_dir("ok");
        let a = args(&dir);
        let report = run(&a).unwrap();
        assert_eq!(report.thresholds, CoverageThresholds::default());
        assert!(report.n_covered <= report.n_reached && report.n_reached <= report.n_outdoor);
        assert!(report.n_covered > report.n_outdoor / 2, "{report:?}");
        assert!(report.median_rsrp_dbm >= -120.0 && report.median_sinr_db >= -6.0, "{report:?}");
        assert!(report.per_cell.iter().all(|s| s.n_covered > 0), "every sector serves somewhere");
        let total: usize = report.per_cell.iter().map(|s| s.n_covered).sum();
        assert_eq!(total, report.n_covered);
        // The CSV says the same as the report, row by row, and follows the thresholds.
        let rows = read_map(&a.out);
        assert_eq!(rows.len(), report.n_points);
        let mut n_covered = 0;
        for row in &rows {
            match row["covered"].as_str() {
                "true" => {
                    n_covered += 1;
                    assert!(num(row, "rsrp_dbm") >= -120.0 && num(row, "sinr_db") >= -6.0);
                    assert!(!row["best_cell"].is_empty());
                }
                "false" => assert_eq!(row["outdoor"], "true"),
                "" => assert_eq!(row["outdoor"], "false", "only indoor points are unassessed"),
                other => panic!("covered = {other:?}"),
            }
        }
        assert_eq!(n_covered, report.n_covered);
        let png = std::fs::read(a.out.with_extension("png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A stricter RSRP threshold uncovers exactly the points between the two thresholds; the
    /// tracer is deterministic, so both runs see the same RSRP at every point.
    #[test]
    fn raising_the_rsrp_threshold_uncovers_the_points_below_it() {
        let dir = temp_dir("strict");
        let a = args(&dir);
        let lax = run(&a).unwrap();
        let lax_rows = read_map(&a.out);
        let mut s = args(&dir);
        s.out = dir.join("strict.csv");
        s.min_rsrp_dbm = -100.0;
        let strict = run(&s).unwrap();
        assert!(strict.n_covered < lax.n_covered, "{} vs {}", strict.n_covered, lax.n_covered);
        assert_eq!(strict.n_reached, lax.n_reached);
        assert!(strict.median_rsrp_dbm >= -100.0);
        for (l, s) in lax_rows.iter().zip(read_map(&s.out)) {
            assert_eq!(l["rsrp_dbm"], s["rsrp_dbm"], "uncovered points keep their RSRP");
            let lost = l["covered"] == "true" && s["covered"] == "false";
            assert_eq!(lost, l["covered"] == "true" && num(l, "rsrp_dbm") < -100.0, "{l:?}");
            assert!(!(s["covered"] == "true" && l["covered"] != "true"));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_point_below_the_noise_floor_is_not_covered() {
        let cells = default_cells(
            &procedural::city(&procedural::CityParams::default(), SceneOptions::default())
                .unwrap()
                .scene,
        )
        .unwrap();
        let kpi = KpiConfig::default();
        let floor = CoverageThresholds::noise_floor_dbm(&cells[0], kpi.noise_figure_db);
        assert!((floor - (-174.0 + 10.0 * 30e3f64.log10() + 7.0)).abs() < 1e-9);
        let point =
            |rsrp_dbm: f64| Serving { best: Some(0), rsrp_dbm, sinr_db: 10.0, ..Serving::NONE };
        let served =
            [point(-203.0), point(floor - 0.01), point(floor + 0.01), point(-119.0), Serving::NONE];
        let laxest = CoverageThresholds {
            min_rsrp_dbm: *RSRP_RANGE_DBM.start(),
            min_sinr_db: *SINR_RANGE_DB.start(),
        };
        let outdoor = [true; 5];
        let mask = covered_mask(&cells, &served, &outdoor, &laxest, &kpi);
        assert_eq!(mask, [false, false, true, true, false]);
        let mask = covered_mask(&cells, &served, &outdoor, &CoverageThresholds::default(), &kpi);
        assert_eq!(mask, [false, false, false, true, false]);
        let indoor = covered_mask(&cells, &served, &[false; 5], &laxest, &kpi);
        assert_eq!(indoor, [false; 5], "indoor points are never covered");
    }

    #[test]
    fn threshold_flags_parse_show_their_defaults_and_refuse_bad_values() {
        let help = Args::command().render_long_help().to_string();
        assert!(help.contains("--min-rsrp-dbm") && help.contains("[default: -120]"), "{help}");
        assert!(help.contains("--min-sinr-db") && help.contains("[default: -6]"), "{help}");
        let dir = temp_dir("flags");
        let mut a = args(&dir);
        let out = format!("--out={}", a.out.display());
        let parsed = Args::try_parse_from([
            "coverage",
            "--scene",
            "procedural",
            &out,
            "--min-rsrp-dbm",
            "-110.5",
            "--min-sinr-db",
            "-3",
        ])
        .unwrap();
        assert_eq!((parsed.min_rsrp_dbm, parsed.min_sinr_db), (-110.5, -3.0));
        // A scene that cannot load shows that the thresholds are checked first.
        a.scene = "scene.obj".into();
        for (rsrp, sinr, flag) in [
            (f64::NAN, -6.0, "--min-rsrp-dbm"),
            (f64::NEG_INFINITY, -6.0, "--min-rsrp-dbm"),
            (-203.0, -6.0, "--min-rsrp-dbm"),
            (120.0, -6.0, "--min-rsrp-dbm"),
            (-120.0, f64::INFINITY, "--min-sinr-db"),
            (-120.0, 60.0, "--min-sinr-db"),
            (-120.0, -30.0, "--min-sinr-db"),
        ] {
            (a.min_rsrp_dbm, a.min_sinr_db) = (rsrp, sinr);
            let err = format!("{:#}", run(&a).unwrap_err());
            assert!(err.contains(flag) && err.contains("expected a finite threshold"), "{err}");
        }
        assert!(!a.out.exists(), "nothing is written on error");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_pattern_column_takes_every_planning_name_and_defaults_to_the_macro_panel() {
        let dir = temp_dir("patterns");
        let cells = dir.join("cells.csv");
        let head = "cell_id,site_id,x_m,y_m,height_m,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz";
        std::fs::write(&cells, format!("{head}\nA,S,0,0,30,0,0,6,46,3.5e9,20e6\n")).unwrap();
        let read = read_cells(&cells).unwrap();
        assert_eq!(read[0].antenna.pattern, Pattern::default_macro(), "no pattern column");
        let names = ["", "38901", "3gpp", "36814", "38901-array:4x2:0.7", "iso"];
        let body: String =
            names.iter().map(|n| format!("A,S,0,0,30,0,0,6,46,3.5e9,20e6,{n}\n")).collect();
        std::fs::write(&cells, format!("{head},pattern\n{body}")).unwrap();
        let read = read_cells(&cells).unwrap();
        for (cell, name) in read.iter().zip(names) {
            assert_eq!(cell.antenna.pattern, Pattern::from_spec(name, &dir).unwrap(), "{name}");
        }
        assert_eq!(
            read[0].antenna.pattern,
            Pattern::from_spec(radio::antenna::DEFAULT_MACRO_SPEC, &dir).unwrap()
        );
        std::fs::write(
            &cells,
            format!("{head},pattern\nA,S,0,0,30,0,0,6,46,3.5e9,20e6,38901-array:8\n"),
        )
        .unwrap();
        let err = format!("{:#}", read_cells(&cells).unwrap_err());
        assert!(err.contains("line 2") && err.contains("38901-array:8"), "{err}");
        let scene = procedural::city(&procedural::CityParams::default(), SceneOptions::default());
        let site = default_cells(&scene.unwrap().scene).unwrap();
        assert!(site.iter().all(|c| c.antenna.pattern == Pattern::default_macro()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_inputs_are_reported() {
        let dir = temp_dir("bad");
        let mut a = args(&dir);
        a.scene = "scene.obj".into();
        assert!(run(&a).unwrap_err().to_string().contains("scene.obj"));
        a.scene = "procedural".into();
        let cells = dir.join("cells.csv");
        std::fs::write(&cells, "cell_id,site_id,x_m,y_m,height_m,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\nA,S,0,0,30,0,0,0,46,3.5e9,0,38901\n").unwrap();
        a.cells = Some(cells.clone());
        let err = format!("{:#}", run(&a).unwrap_err());
        assert!(err.contains("cell A") && err.contains("bandwidth"), "{err}");
        std::fs::write(&cells, "cell_id,site_id,x_m,y_m,height_m,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\nA,S,5000,0,30,0,0,0,46,3.5e9,20e6,38901\n").unwrap();
        let err = format!("{:#}", run(&a).unwrap_err());
        assert!(err.contains("cell A") && err.contains("outside the scene"), "{err}");
        std::fs::write(&cells, "cell_id,site_id,x_m,y_m,height_m,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\nA,S,0,zero,30,0,0,0,46,3.5e9,20e6,38901\n").unwrap();
        let err = format!("{:#}", run(&a).unwrap_err());
        assert!(err.contains("line 2") && err.contains("y_m"), "{err}");
        std::fs::write(&cells, "cell_id,site_id,x_m\nA,S,0\n").unwrap();
        let err = format!("{:#}", run(&a).unwrap_err());
        assert!(err.contains("missing column"), "{err}");
        assert!(!a.out.exists(), "nothing is written on error");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
