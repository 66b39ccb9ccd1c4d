//! Coverage map of a scene: best server, RSRP, SINR and throughput on an analysis grid, as CSV
//! and as a PNG heat map.
//!
//! ```text
//! cargo run --release -p radio --example coverage -- --scene <scene.xml|buildings.geojson|procedural> --out map.csv
//!     [--cells cells.csv] [--png map.png] [--cell-size 5] [--height 1.5] [--rays 1000000]
//!     [--max-depth 3] [--no-diffraction] [--seed 1] [--dsm-cell 1] [--path-gain pg.csv]
//!     [--grid-origin X,Y] [--grid-size NX,NY] [--repeat N]
//! ```
//!
//! The scene is a Mitsuba XML file with PLY meshes (Sionna RT's format), a GeoJSON file of
//! building footprints with a `height` property (WGS84; see `radio::scene::geojson`), or the word
//! `procedural` for a seeded procedural city.
//!
//! Cells come from `--cells`, a CSV file with a header row and the columns
//! `cell_id, site_id, x_m, y_m, height_m, azimuth_deg, mech_tilt_deg, elec_tilt_deg,
//! tx_power_dbm, freq_hz, bandwidth_hz, pattern` and optionally `scs_hz` (default 30 000).
//! Positions are scene metres (x east, y north); `height_m` is the antenna's z. `pattern` is
//! `38901`, `isotropic` or the path of an MSI/Planet pattern file (relative to the CSV). Without
//! `--cells`, one three-sector site (azimuths 0°, 120°, 240°, 6° electrical tilt, 46 dBm, 3.5 GHz,
//! 100 MHz) stands 10 m above the highest roof within 25 m of the scene centre.
//!
//! The CSV has one row per grid point: `x_m, y_m, outdoor, best_cell, rsrp_dbm, sinr_db,
//! throughput_mbps, los`, with empty fields where no cell reaches the point or the point is
//! indoor. The PNG shows the best-server RSRP on the viewer's scale, −120 dBm (dark) to −60 dBm
//! (bright), with indoor points grey and uncovered points dark red, and a colour bar along the
//! bottom; north is up. With `--path-gain`, a third file
//! holds every cell's path gain at every grid point. Files are written to a temporary name and
//! renamed when complete.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Parser;
use radio::antenna::Tr38901;
use radio::kpi::{KpiConfig, Serving, serving_map};
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

/// One three-sector site 10 m above the highest surface within 25 m of the scene centre.
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
                    Pattern::Tr38901(Tr38901::default()),
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
        "pattern",
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
        let pattern_name = text("pattern")?;
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

fn write_csv(
    path: &Path,
    grid: &Grid,
    cells: &[Cell],
    served: &[Serving],
    maps: &[CoverageMap],
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
/// points grey, unserved ones dark red), with a colour bar along the bottom.
fn write_png(path: &Path, grid: &Grid, served: &[Serving], outdoor: &[bool]) -> anyhow::Result<()> {
    use twin_format::palette::{Pixel, RSRP_DBM, heat_map_png};
    let png = heat_map_png(grid.nx, grid.ny, RSRP_DBM, true, |ix, iy| {
        let i = iy * grid.nx + ix;
        if !outdoor[i] {
            Pixel::Indoor
        } else if served[i].best.is_some() {
            Pixel::Value(served[i].rsrp_dbm as f32)
        } else {
            Pixel::Unserved
        }
    })?;
    write_atomically(path, |w| Ok(w.write_all(&png)?))
}

/// What the run produced, for the summary and the example's own checks.
#[derive(Debug)]
struct Report {
    points: usize,
    outdoor: usize,
    covered: usize,
    median_rsrp_dbm: f64,
    median_sinr_db: f64,
    per_cell: Vec<(String, usize)>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run(args: &Args) -> anyhow::Result<Report> {
    ensure!(args.cell_size.is_finite() && args.cell_size > 0.0, "--cell-size must be > 0 m");
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
    let cells = match &args.cells {
        Some(p) => read_cells(p)?,
        None => default_cells(&scene)?,
    };
    for (row, cell) in cells.iter().enumerate() {
        cell.validate(&scene).with_context(|| match &args.cells {
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
    let covering = Grid::covering(&scene.bounds(), args.cell_size, args.height)?;
    let (x0, y0) = args.grid_origin.unwrap_or((covering.x_min_m, covering.y_min_m));
    let (nx, ny) = args.grid_size.unwrap_or((covering.nx, covering.ny));
    let grid = Grid::new(x0, y0, args.cell_size, nx, ny, args.height)?;
    ensure!(args.repeat >= 1, "--repeat must be at least 1");
    let cfg = TraceConfig {
        rays: args.rays,
        max_depth: args.max_depth,
        diffraction: !args.no_diffraction,
        ..TraceConfig::default()
    };
    eprintln!(
        "grid: {} × {} points of {} m at {} m height; {} cells",
        grid.nx,
        grid.ny,
        grid.cell_m,
        grid.height_m,
        cells.len()
    );
    let tracer = CpuTracer;
    let mut maps = Vec::with_capacity(cells.len());
    for (k, cell) in cells.iter().enumerate() {
        let p = cell.position;
        let mut times = Vec::with_capacity(args.repeat);
        let mut map = None;
        for _ in 0..args.repeat {
            let t = Instant::now();
            map = Some(tracer.coverage(&scene, &cell.transmitter(), &grid, &cfg)?);
            times.push(t.elapsed().as_secs_f64());
        }
        let map = map.context("no map computed")?;
        eprintln!(
            "[{}/{}] cell {} at ({:.1}, {:.1}, {:.1}) m: {} rays, depth {}, {:.3} s (median of {}), {} of {} points covered",
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
    let served = serving_map(&cells, &maps, &KpiConfig::default());
    write_csv(&args.out, &grid, &cells, &served, &maps)?;
    write_png(&png_path, &grid, &served, &maps[0].outdoor)?;
    if let Some(path) = &args.path_gain {
        write_path_gain(path, &grid, &cells, &maps)?;
    }

    let outdoor: Vec<usize> = (0..grid.len()).filter(|&i| maps[0].outdoor[i]).collect();
    let covered: Vec<&Serving> =
        outdoor.iter().map(|&i| &served[i]).filter(|s| s.best.is_some()).collect();
    let per_cell = cells
        .iter()
        .enumerate()
        .map(|(c, cell)| (cell.id.clone(), covered.iter().filter(|s| s.best == Some(c)).count()))
        .collect();
    let report = Report {
        points: grid.len(),
        outdoor: outdoor.len(),
        covered: covered.len(),
        median_rsrp_dbm: median(covered.iter().map(|s| s.rsrp_dbm).collect()),
        median_sinr_db: median(covered.iter().map(|s| s.sinr_db).collect()),
        per_cell,
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "points {}  outdoor {}  covered {} ({:.1} % of outdoor)",
        report.points,
        report.outdoor,
        report.covered,
        100.0 * report.covered as f64 / report.outdoor.max(1) as f64
    )?;
    writeln!(
        out,
        "median RSRP {:.1} dBm  median SINR {:.1} dB",
        report.median_rsrp_dbm, report.median_sinr_db
    )?;
    writeln!(out, "{:<16} {:>10}", "cell", "best-served points")?;
    for (id, n) in &report.per_cell {
        writeln!(out, "{id:<16} {n:>10}")?;
    }
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

    fn args(dir: &Path) -> Args {
        Args {
            scene: "procedural".into(),
            out: dir.join("map.csv"),
            cells: None,
            png: None,
            cell_size: 10.0,
            height: 1.5,
            rays: 20_000,
            max_depth: 2,
            no_diffraction: false,
            seed: 3,
            dsm_cell: 1.0,
            path_gain: None,
            grid_origin: None,
            grid_size: None,
            repeat: 1,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("twin-coverage-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn procedural_city_map_is_written_and_sane() {
        let dir = temp_dir("ok");
        let a = args(&dir);
        let report = run(&a).unwrap();
        assert!(
            report.covered as f64 > 0.9 * report.outdoor as f64,
            "covered {} of {}",
            report.covered,
            report.outdoor
        );
        assert!((-120.0..-40.0).contains(&report.median_rsrp_dbm), "{}", report.median_rsrp_dbm);
        assert!(report.per_cell.iter().all(|(_, n)| *n > 0), "every sector serves somewhere");
        let mut rows = csv::Reader::from_path(&a.out).unwrap();
        assert_eq!(rows.records().count(), report.points);
        let png = std::fs::read(a.out.with_extension("png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
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
