//! A known-truth generator: "measured" data from a reality that differs from the twin in known
//! ways, so that what calibration gains can be measured.
//!
//! The city is the procedural one of `radio`; sites stand on rooftops with three sectors each.
//! The inventory the twin believes and the reality that produces the measurements differ by:
//!
//! * per-cell azimuth and mechanical-tilt errors (normal, `azimuth_error_sd_deg`,
//!   `tilt_error_sd_deg`): the antennas really point elsewhere;
//! * extra loss by the class of the first building between the receiver and the cell
//!   (`class_loss_db`: glass with metallised coatings loses far more than brick), which the twin's
//!   materials do not capture;
//! * spatially correlated log-normal shadowing per cell (standard deviation `shadowing_sd_db`,
//!   squared-exponential correlation over `shadowing_corr_m`, drawn as a sum of random Fourier
//!   features);
//! * reality is traced with the true antennas (to the same depth as the twin, two
//!   reflections, so that the gap is the named effects and not the tracer's truncation);
//! * measurement noise (normal, `noise_sd_db`) and whole-dB reporting, as phones report RSRP.
//!
//! The measurements are written in a G-NetTrack-like layout (epoch or `YYYY.MM.DD_hh.mm.ss`
//! times, WGS84, `Level` in dBm, `SNR` in tenths of a dB, `2147483647` for missing values), with
//! the column mapping that reads them.

use std::path::Path;

use radio::antenna::{Orientation, Pattern, Tr38901};
use radio::geometry::vec3;
use radio::inventory::{Inventory, Site};
use radio::kpi::sinr_db;
use radio::scene::procedural::{City, CityParams, city};
use radio::{Antenna, Cell, Polarization, SceneOptions};
use rand::RngExt;
use rand_distr::{Distribution, Normal};
use sim_core::RngStreams;
use sim_core::geo::{Enu, GeoPoint, LocalFrame};

use crate::dataset::Dataset;
use crate::error::LearnedError;
use crate::features::{OBSTRUCTION_CLASSES, Twin};
use crate::measurements::{ColumnMap, ImportOptions, ImportReport, import};

/// How reality differs from the twin, and what to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthConfig {
    /// Master seed (city, sites, errors, shadowing, points, noise).
    pub seed: u64,
    /// The city.
    pub city: CityParams,
    /// Three-sector sites.
    pub sites: usize,
    /// Measurements to draw.
    pub measurements: usize,
    /// Azimuth error per cell, standard deviation, degrees.
    pub azimuth_error_sd_deg: f64,
    /// Mechanical tilt error per cell, standard deviation, degrees.
    pub tilt_error_sd_deg: f64,
    /// Extra loss by obstruction class (index into [`OBSTRUCTION_CLASSES`]), dB.
    pub class_loss_db: [f64; 8],
    /// Shadowing standard deviation, dB.
    pub shadowing_sd_db: f64,
    /// Shadowing correlation distance, metres.
    pub shadowing_corr_m: f64,
    /// Measurement noise standard deviation, dB.
    pub noise_sd_db: f64,
    /// WGS84 position of the scene origin.
    pub origin: (f64, f64),
    /// Start of the measurement campaign, seconds since 1970 UTC.
    pub start_s: f64,
    /// Its length, seconds.
    pub span_s: f64,
}

impl Default for TruthConfig {
    fn default() -> Self {
        TruthConfig {
            seed: 1,
            city: CityParams::default(),
            sites: 3,
            measurements: 20_000,
            azimuth_error_sd_deg: 15.0,
            tilt_error_sd_deg: 3.0,
            // none, concrete, brick, glass, metal, wood, marble, other
            class_loss_db: [0.0, 6.0, 3.0, 12.0, 15.0, 2.0, 5.0, 4.0],
            shadowing_sd_db: 3.0,
            shadowing_corr_m: 25.0,
            noise_sd_db: 1.5,
            origin: (48.8566, 2.3522),
            // Monday 2024-03-04 00:00 UTC, one week.
            start_s: 1_709_510_400.0,
            span_s: 7.0 * 86_400.0,
        }
    }
}

/// One generated measurement with its hidden components.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRow {
    /// Scene position, metres.
    pub x_m: f64,
    /// Scene position, metres.
    pub y_m: f64,
    /// Seconds since 1970 UTC.
    pub time_s: f64,
    /// Serving cell (index), the strongest in reality.
    pub serving: usize,
    /// Reported RSRP, whole dBm (None: the phone reported nothing).
    pub rsrp_dbm: Option<f64>,
    /// Reported SINR, dB (None: missing).
    pub sinr_db: Option<f64>,
    /// The part of the error from extra building loss, dB.
    pub class_loss_db: f64,
    /// The shadowing at this point for the serving cell, dB.
    pub shadowing_db: f64,
}

/// A generated world: the scene, what the twin believes, what is true, and the measurements.
#[derive(Debug, Clone)]
pub struct Truth {
    /// The city.
    pub city: City,
    /// The inventory the twin is given.
    pub inventory: Inventory,
    /// The cells as they really are.
    pub reality: Vec<Cell>,
    /// The measurements.
    pub rows: Vec<TruthRow>,
    /// The settings.
    pub config: TruthConfig,
}

/// A smooth Gaussian field of standard deviation `sd` and correlation length `corr`.
struct Field {
    freq: Vec<(f64, f64, f64)>,
    amp: f64,
}

impl Field {
    fn new(rng: &mut sim_core::SimRng, sd: f64, corr: f64) -> Result<Field, LearnedError> {
        const M: usize = 64;
        // Wave vectors ~ N(0, 1/corr²) per axis give the covariance sd²·exp(−r²/(2·corr²)).
        let normal = gaussian(1.0 / corr)?;
        let freq = (0..M)
            .map(|_| {
                (
                    normal.sample(rng),
                    normal.sample(rng),
                    rng.random_range(0.0..std::f64::consts::TAU),
                )
            })
            .collect();
        Ok(Field { freq, amp: sd * (2.0 / M as f64).sqrt() })
    }

    fn at(&self, x: f64, y: f64) -> f64 {
        self.amp * self.freq.iter().map(|&(a, b, p)| (a * x + b * y + p).cos()).sum::<f64>()
    }
}

/// A centred normal distribution of deviation `sd` (a tiny one for 0, so that "no error" works).
fn gaussian(sd: f64) -> Result<Normal<f64>, LearnedError> {
    Normal::new(0.0, sd.max(1e-12))
        .map_err(|e| LearnedError::Config(format!("standard deviation {sd}: {e}")))
}

/// Generates a world and its measurements.
pub fn generate(cfg: &TruthConfig) -> Result<Truth, LearnedError> {
    validate(cfg)?;
    let streams = RngStreams::new(cfg.seed);
    let city = city(&CityParams { seed: cfg.seed, ..cfg.city }, SceneOptions::default())
        .map_err(|e| LearnedError::Config(format!("procedural city: {e}")))?;
    let frame = LocalFrame::new(
        GeoPoint::new(cfg.origin.0, cfg.origin.1, 0.0)
            .map_err(|e| LearnedError::Config(format!("origin: {e}")))?,
    );
    let Deployment { inventory, reality } = deploy(cfg, &city, &frame, &streams)?;
    let points = street_points(cfg, &city, &streams);
    let mut rows = measure(cfg, &city, &reality, &points, &streams)?;
    drop_some_reports(&mut rows, &streams);
    rows.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    Ok(Truth { city, inventory, reality, rows, config: cfg.clone() })
}

/// Checks the counts and the deviations.
fn validate(cfg: &TruthConfig) -> Result<(), LearnedError> {
    if cfg.sites == 0 || cfg.measurements == 0 {
        return Err(LearnedError::Config(
            "the known-truth generator needs at least one site and one measurement".into(),
        ));
    }
    for (what, v) in [
        ("azimuth error", cfg.azimuth_error_sd_deg),
        ("tilt error", cfg.tilt_error_sd_deg),
        ("shadowing", cfg.shadowing_sd_db),
        ("noise", cfg.noise_sd_db),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(LearnedError::Config(format!(
                "{what} standard deviation {v} must be finite and >= 0"
            )));
        }
    }
    if cfg.shadowing_corr_m.is_nan() || cfg.shadowing_corr_m <= 0.0 {
        return Err(LearnedError::Config("the shadowing correlation distance must be > 0".into()));
    }
    Ok(())
}

/// The sites and cells: what the twin is told, and what is really there.
struct Deployment {
    inventory: Inventory,
    reality: Vec<Cell>,
}

/// Puts three-sector sites on the city; each cell's true antenna is the believed one with an
/// azimuth and a tilt error.
fn deploy(
    cfg: &TruthConfig,
    city: &City,
    frame: &LocalFrame,
    streams: &RngStreams,
) -> Result<Deployment, LearnedError> {
    let mut rng = streams.stream("sites");
    let mut sites = Vec::new();
    let mut believed = Vec::new();
    let mut reality = Vec::new();
    let mut patterns = Vec::new();
    let mut errors = streams.stream("inventory-errors");
    let (az_err, tilt_err) =
        (gaussian(cfg.azimuth_error_sd_deg)?, gaussian(cfg.tilt_error_sd_deg)?);
    for s in 0..cfg.sites {
        let site = site_on_strip(city, frame, s, cfg.sites)?;
        let rotation: f64 = rng.random_range(0.0..120.0);
        for k in 0..3 {
            let orientation = Orientation {
                azimuth_deg: (rotation + 120.0 * f64::from(k)).rem_euclid(360.0),
                mech_tilt_deg: 2.0,
                elec_tilt_deg: rng.random_range(4.0..8.0),
            };
            let truth = Orientation {
                azimuth_deg: (orientation.azimuth_deg + az_err.sample(&mut errors))
                    .rem_euclid(360.0),
                mech_tilt_deg: orientation.mech_tilt_deg + tilt_err.sample(&mut errors),
                elec_tilt_deg: orientation.elec_tilt_deg,
            };
            believed.push(sector_cell(&site, k, orientation)?);
            reality.push(sector_cell(&site, k, truth)?);
            patterns.push("38901".to_string());
        }
        sites.push(site);
    }
    let inventory = Inventory { sites, cells: believed, patterns, origin: Some(cfg.origin) };
    Ok(Deployment { inventory, reality })
}

/// Site `s` of `n_sites`: 5 m above the tallest building of the `s`-th vertical strip of the
/// city (away from its top and bottom fifths).
fn site_on_strip(
    city: &City,
    frame: &LocalFrame,
    s: usize,
    n_sites: usize,
) -> Result<Site, LearnedError> {
    let (x0, y0, x1, y1) = city.extent;
    let (a, b) = (
        x0 + (x1 - x0) * s as f64 / n_sites as f64,
        x0 + (x1 - x0) * (s + 1) as f64 / n_sites as f64,
    );
    let mid = |t: &(f64, f64, f64, f64, f64)| (0.5 * (t.0 + t.2), 0.5 * (t.1 + t.3));
    let inner = |t: &&(f64, f64, f64, f64, f64)| {
        let (cx, cy) = mid(t);
        cx >= a && cx < b && cy > y0 + 0.2 * (y1 - y0) && cy < y1 - 0.2 * (y1 - y0)
    };
    let top =
        city.buildings.iter().filter(inner).max_by(|p, q| p.4.total_cmp(&q.4)).ok_or_else(
            || LearnedError::Config("the city is too small for that many sites".into()),
        )?;
    let (cx, cy) = mid(top);
    let geo = frame.to_geodetic(&Enu { east_m: cx, north_m: cy, up_m: 0.0 });
    Ok(Site {
        id: format!("S{}", s + 1),
        lat_lon: Some((geo.lat_deg(), geo.lon_deg())),
        x_m: cx,
        y_m: cy,
        ground_m: 0.0,
        height_m: top.4 + 5.0,
        line: 0,
    })
}

/// Sector `k` (0-based) of `site`, with its antenna pointing as `o` says.
fn sector_cell(site: &Site, k: u8, o: Orientation) -> Result<Cell, LearnedError> {
    Ok(Cell {
        id: format!("{}-{}", site.id, k + 1),
        site_id: site.id.clone(),
        position: vec3(site.x_m, site.y_m, site.height_m),
        antenna: Antenna::new(Pattern::Tr38901(Tr38901::default()), Polarization::Vertical, o)
            .map_err(|e| LearnedError::Config(e.to_string()))?,
        tx_power_dbm: 46.0,
        freq_hz: 3.5e9,
        bandwidth_hz: 100e6,
        subcarrier_spacing_hz: 30e3,
    })
}

/// `cfg.measurements` outdoor points, uniformly over the streets, 5 m from the city's edge.
fn street_points(cfg: &TruthConfig, city: &City, streams: &RngStreams) -> Vec<(f64, f64)> {
    let (x0, y0, x1, y1) = city.extent;
    let mut prng = streams.stream("points");
    let dsm = city.scene.dsm();
    let mut points = Vec::with_capacity(cfg.measurements);
    while points.len() < cfg.measurements {
        let x = prng.random_range(x0 + 5.0..x1 - 5.0);
        let y = prng.random_range(y0 + 5.0..y1 - 5.0);
        if dsm.height_at(x, y) <= 0.5 {
            points.push((x, y));
        }
    }
    points
}

/// The extra loss of the obstruction class between a point and a cell (none in line of sight).
fn class_loss_db(cfg: &TruthConfig, link: &crate::features::Link) -> f64 {
    let class = usize::from(link.obstruction).min(OBSTRUCTION_CLASSES.len() - 1);
    if link.los >= 1.0 { 0.0 } else { cfg.class_loss_db[class] }
}

/// What a phone at each point reports of the strongest real cell, with noise and a time; points
/// that no cell reaches give no row.
fn measure(
    cfg: &TruthConfig,
    city: &City,
    reality: &[Cell],
    points: &[(f64, f64)],
    streams: &RngStreams,
) -> Result<Vec<TruthRow>, LearnedError> {
    // Reality: the true antennas, traced as deep as the twin traces.
    let mut world = Twin::new(Some(&city.scene), reality);
    world.trace.max_depth = 2;
    let table = world.links(points)?;
    let mut field_rng = streams.stream("shadowing");
    let fields: Vec<Field> = reality
        .iter()
        .map(|_| Field::new(&mut field_rng, cfg.shadowing_sd_db, cfg.shadowing_corr_m))
        .collect::<Result<_, _>>()?;
    let mut noise_rng = streams.stream("noise");
    let noise = gaussian(cfg.noise_sd_db)?;
    let mut trng = streams.stream("times");
    let mut rows = Vec::with_capacity(points.len());
    for (p, &(x, y)) in points.iter().enumerate() {
        // The true path gain of every cell: the traced one, plus shadowing, minus class loss.
        let pg: Vec<f64> = (0..reality.len())
            .map(|c| {
                let l = table.get(p, c);
                l.path_gain_db + (fields[c].at(x, y) - class_loss_db(cfg, l))
            })
            .collect();
        let rsrp: Vec<f64> = reality.iter().zip(&pg).map(|(c, &g)| c.rsrp_dbm(g)).collect();
        let Some((serving, &true_rsrp)) = rsrp
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_finite())
            .max_by(|a, b| a.1.total_cmp(b.1))
        else {
            continue;
        };
        let reported = (true_rsrp + noise.sample(&mut noise_rng)).round();
        let sinr = sinr_db(reality, &pg, serving, &world.kpi) + noise.sample(&mut noise_rng);
        rows.push(TruthRow {
            x_m: x,
            y_m: y,
            time_s: cfg.start_s + trng.random_range(0.0..cfg.span_s),
            serving,
            rsrp_dbm: (reported >= -156.0).then_some(reported),
            sinr_db: Some((sinr * 10.0).round() / 10.0),
            class_loss_db: class_loss_db(cfg, table.get(p, serving)),
            shadowing_db: fields[serving].at(x, y),
        });
    }
    Ok(rows)
}

/// Some phones report nothing for SINR (5 % of rows), or no RSRP at all (1 %).
fn drop_some_reports(rows: &mut [TruthRow], streams: &RngStreams) {
    let mut mrng = streams.stream("missing");
    for r in rows {
        if mrng.random_range(0.0..1.0) < 0.05 {
            r.sinr_db = None;
        }
        if mrng.random_range(0.0..1.0) < 0.01 {
            r.rsrp_dbm = None;
        }
    }
}

/// The column mapping of the files [`write_files`] writes.
pub const MAPPING: &str = "# G-NetTrack-like drive-test export\n\
time = Timestamp\n\
lat = Latitude\n\
lon = Longitude\n\
cell_id = CellID\n\
rsrp_dbm = Level\n\
sinr_db = SNR : x0.1\n";

/// Generates a world, writes its files into `dir` and reads them back exactly as the calibrate
/// command reads real data (inventory files, column mapping, import, the twin's features): the
/// demo, the tests and the benchmarks exercise the same path as a real calibration.
pub fn demo_dataset(
    cfg: &TruthConfig,
    dir: &Path,
) -> Result<(Truth, Dataset, ImportReport), LearnedError> {
    let truth = generate(cfg)?;
    write_files(&truth, dir)?;
    let inventory =
        radio::inventory::load(&dir.join("sites.csv"), &dir.join("cells.csv"), Some(cfg.origin))?;
    let map = ColumnMap::parse(MAPPING)?;
    let options = ImportOptions { origin: Some(cfg.origin), ..ImportOptions::default() };
    let mut imported = import(&dir.join("measurements.csv"), &map, &options)?;
    let twin = Twin::new(Some(&truth.city.scene), &inventory.cells);
    let ds = Dataset::build(&twin, &imported.rows, &mut imported.report)?;
    Ok((truth, ds, imported.report))
}

/// Writes `measurements.csv`, `mapping.txt`, `sites.csv` and `cells.csv` into `dir`.
pub fn write_files(truth: &Truth, dir: &Path) -> Result<(), LearnedError> {
    std::fs::create_dir_all(dir).map_err(|e| LearnedError::io(dir, e))?;
    let frame = LocalFrame::new(
        GeoPoint::new(truth.config.origin.0, truth.config.origin.1, 0.0)
            .map_err(|e| LearnedError::Config(e.to_string()))?,
    );
    let path = dir.join("measurements.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| LearnedError::io(&path, e))?;
    let werr = |e: csv::Error| LearnedError::io(&dir.join("measurements.csv"), e);
    w.write_record([
        "Timestamp",
        "Longitude",
        "Latitude",
        "Speed",
        "Operatorname",
        "CellID",
        "Level",
        "SNR",
    ])
    .map_err(werr)?;
    for (i, r) in truth.rows.iter().enumerate() {
        let g = frame.to_geodetic(&Enu { east_m: r.x_m, north_m: r.y_m, up_m: 0.0 });
        // Half the rows carry epoch milliseconds, half G-NetTrack's own time format.
        let time = if i % 2 == 0 {
            format!("{}", (r.time_s * 1000.0).round() as i64)
        } else {
            chrono::DateTime::from_timestamp_millis((r.time_s * 1000.0).round() as i64)
                .map(|t| t.format("%Y.%m.%d_%H.%M.%S").to_string())
                .unwrap_or_default()
        };
        let level = r.rsrp_dbm.map_or("2147483647".to_string(), |v| format!("{v:.0}"));
        let snr = r.sinr_db.map_or("2147483647".to_string(), |v| format!("{:.0}", v * 10.0));
        w.write_record([
            time,
            format!("{:.7}", g.lon_deg()),
            format!("{:.7}", g.lat_deg()),
            "12".to_string(),
            "Twin Mobile".to_string(),
            truth.inventory.cells[r.serving].id.clone(),
            level,
            snr,
        ])
        .map_err(werr)?;
    }
    w.flush().map_err(|e| LearnedError::io(&path, e))?;
    std::fs::write(dir.join("mapping.txt"), MAPPING)
        .map_err(|e| LearnedError::io(&dir.join("mapping.txt"), e))?;
    radio::inventory::save(&truth.inventory, &dir.join("sites.csv"), &dir.join("cells.csv"))?;
    Ok(())
}
