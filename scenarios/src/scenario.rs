//! The scenario file (TOML) and its validation.
//!
//! A scenario names the network (inventory, scene, topology, the homing of sites to transport
//! nodes), the history to replay (traffic per cell, settlement load per carrier pair, rate cards),
//! the replay window, and the what-if variants with their timelines. Paths are relative to the
//! scenario file. The reference, with every key commented, is `docs/scenario.md`.
//!
//! [`validate`] reads everything the scenario names and reports every problem it finds, each with
//! the file, the line where there is one, the field and what was expected, like a compiler; it
//! does not stop at the first.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use serde::{Deserialize, Serialize};

use crate::settlement::{RateCard, Service, SettlementMode, Usage};

/// A scenario as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports.
    pub name: String,
    /// Master seed of every random stream of the run.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The replay window.
    pub window: Window,
    /// The network.
    pub network: Network,
    /// The history to replay.
    pub history: History,
    /// How the settlement system clears records in the baseline.
    #[serde(default)]
    pub settlement: SettlementMode,
    /// An optional calibration model directory (from `calibrate`).
    #[serde(default)]
    pub calibration: Option<PathBuf>,
    /// The analysis grid.
    #[serde(default)]
    pub grid: GridSpec,
    /// What-if variants.
    #[serde(default, rename = "variant")]
    pub variants: Vec<Variant>,
}

fn default_seed() -> u64 {
    1
}

/// The replay window: `[start, end)` in intervals of `interval_s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// ISO 8601 start (inclusive).
    pub start: String,
    /// ISO 8601 end (exclusive).
    pub end: String,
    /// Interval length, seconds (3600 for hourly).
    #[serde(default = "default_interval")]
    pub interval_s: u32,
}

fn default_interval() -> u32 {
    3600
}

/// Where the network's files are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Sites CSV (see `docs/radio.md`).
    pub sites: PathBuf,
    /// Cells CSV.
    pub cells: PathBuf,
    /// WGS84 origin of the local frame, `[lat, lon]` (else the first site).
    #[serde(default)]
    pub origin: Option<[f64; 2]>,
    /// `procedural`, a Mitsuba `.xml` or a GeoJSON file; none: the empirical model.
    #[serde(default)]
    pub scene: Option<String>,
    /// Transport topology: GraphML (`.graphml`), SNDlib (`.txt`), or a nodes CSV (with `links`).
    pub topology: PathBuf,
    /// Links CSV, with a nodes CSV topology.
    #[serde(default)]
    pub links: Option<PathBuf>,
    /// Homing CSV: `site_id,node`.
    pub homing: PathBuf,
    /// The procedural city, when `scene = "procedural"`.
    #[serde(default)]
    pub city: CitySpec,
}

/// The procedural city's layout (its seed is the scenario's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CitySpec {
    /// Blocks along x.
    pub blocks_x: usize,
    /// Blocks along y.
    pub blocks_y: usize,
    /// Block edge, metres.
    pub block_m: f64,
    /// Street width, metres.
    pub street_m: f64,
    /// Median building height, metres.
    pub median_height_m: f64,
}

impl Default for CitySpec {
    fn default() -> Self {
        let d = radio::scene::procedural::CityParams::default();
        CitySpec {
            blocks_x: d.blocks_x,
            blocks_y: d.blocks_y,
            block_m: d.block_m,
            street_m: d.street_m,
            median_height_m: d.median_height_m,
        }
    }
}

impl CitySpec {
    /// The city's parameters with `seed`.
    pub fn params(&self, seed: u64) -> radio::scene::procedural::CityParams {
        radio::scene::procedural::CityParams {
            blocks_x: self.blocks_x,
            blocks_y: self.blocks_y,
            block_m: self.block_m,
            street_m: self.street_m,
            median_height_m: self.median_height_m,
            seed,
            ..radio::scene::procedural::CityParams::default()
        }
    }
}

/// Where the history's files are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Traffic CSV: `interval_start,cell_id,dl_bytes,ul_bytes,active_users`.
    pub traffic: PathBuf,
    /// Settlement load CSV: `interval_start,home_carrier,visited_carrier,service,records,volume,unit`.
    #[serde(default)]
    pub settlement: Option<PathBuf>,
    /// Rate cards CSV: `home_carrier,visited_carrier,service,price_per_unit,currency`.
    #[serde(default)]
    pub rate_cards: Option<PathBuf>,
    /// Demand density CSV: `x_m,y_m,weight` or `lat,lon,weight`; where in its served area each
    /// cell's traffic is (uniform over the served area without one).
    #[serde(default)]
    pub demand_density: Option<PathBuf>,
}

/// The analysis grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Grid spacing, metres.
    #[serde(default = "default_cell_m")]
    pub cell_m: f64,
}

fn default_cell_m() -> f64 {
    20.0
}

impl Default for GridSpec {
    fn default() -> Self {
        GridSpec { cell_m: default_cell_m() }
    }
}

/// A what-if variant: a name and a timeline of operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Its name in reports.
    pub name: String,
    /// Operations in time order.
    #[serde(default, rename = "at")]
    pub timeline: Vec<Timed>,
}

/// An operation at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timed {
    /// ISO 8601 instant (the window's start when absent).
    #[serde(default)]
    pub time: Option<String>,
    /// The operation.
    #[serde(flatten)]
    pub op: Operation,
}

/// A what-if operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Operation {
    /// Set the mechanical tilt of cells, degrees.
    SetTilt {
        /// The cells.
        cells: Vec<String>,
        /// Degrees down.
        deg: f64,
    },
    /// Set the azimuth of cells, degrees clockwise from north.
    SetAzimuth {
        /// The cells.
        cells: Vec<String>,
        /// Degrees.
        deg: f64,
    },
    /// Set the transmit power of cells, dBm.
    SetPower {
        /// The cells.
        cells: Vec<String>,
        /// dBm.
        dbm: f64,
    },
    /// Add a site with three sectors (azimuths 0°, 120°, 240°) like the site `like`.
    AddSite {
        /// New site identifier.
        site: String,
        /// Scene position, metres.
        x_m: f64,
        /// Scene position, metres.
        y_m: f64,
        /// An existing cell whose settings the new cells copy.
        like: String,
        /// Antenna height above ground, metres (the copied cell's when absent).
        #[serde(default)]
        height_m: Option<f64>,
        /// Transport node the site is homed to.
        node: String,
    },
    /// Switch a cell off.
    RemoveCell {
        /// The cell.
        cell: String,
    },
    /// Home a site to another transport node.
    Rehome {
        /// The site.
        site: String,
        /// The node.
        node: String,
    },
    /// Fail a link (by name) or a node.
    Fail {
        /// A link name or a node name.
        element: String,
    },
    /// Restore a failed link or node.
    Restore {
        /// A link name or a node name.
        element: String,
    },
    /// Set a link's capacity, bit/s.
    SetCapacity {
        /// The link.
        link: String,
        /// bit/s.
        bps: f64,
    },
    /// Scale traffic: of some cells (or all), by a factor, and/or by a yearly growth rate.
    ScaleTraffic {
        /// The cells (all when empty).
        #[serde(default)]
        cells: Vec<String>,
        /// Factor from this time on.
        #[serde(default = "one")]
        factor: f64,
        /// Compound growth per year from this time on (0.2 = 20 %).
        #[serde(default)]
        growth_per_year: f64,
    },
    /// A roaming partner joins (its usage, from the settlement load, counts from now).
    AddPartner {
        /// The carrier.
        carrier: String,
    },
    /// A roaming partner leaves (its usage stops counting).
    RemovePartner {
        /// The carrier.
        carrier: String,
    },
    /// Replace a rate card.
    SetRate {
        /// Paying carrier.
        home: String,
        /// Paid carrier.
        visited: String,
        /// The service.
        service: Service,
        /// Price per unit.
        price_per_unit: f64,
    },
    /// Change how the settlement system clears records.
    SettlementMode {
        /// The new mode.
        mode: SettlementMode,
    },
}

fn one() -> f64 {
    1.0
}

/// One problem in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// The line, when the problem has one.
    pub line: Option<usize>,
    /// The field or column.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}: {}", self.file.display(), self.field, self.message),
            None => write!(f, "{}: {}: {}", self.file.display(), self.field, self.message),
        }
    }
}

/// One row of traffic history.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficRow {
    /// Interval index in the window.
    pub interval: usize,
    /// Cell index in the inventory.
    pub cell: usize,
    /// Downlink bytes.
    pub dl_bytes: f64,
    /// Uplink bytes.
    pub ul_bytes: f64,
    /// Active users.
    pub active_users: f64,
}

/// A scenario with everything it names read and checked.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file as written.
    pub scenario: Scenario,
    /// The directory paths are relative to.
    pub base: PathBuf,
    /// Window start, seconds since 1970 UTC.
    pub start_s: i64,
    /// Intervals in the window.
    pub intervals: usize,
    /// The inventory.
    pub inventory: radio::inventory::Inventory,
    /// The transport topology.
    pub topology: transport::topology::Topology,
    /// Transport node of each site (by site index).
    pub homing: Vec<String>,
    /// Traffic rows.
    pub traffic: Vec<TrafficRow>,
    /// Settlement load.
    pub usage: Vec<Usage>,
    /// Rate cards.
    pub rate_cards: Vec<RateCard>,
    /// Demand density samples in the scene frame: (x m, y m, weight ≥ 0); empty: uniform.
    pub density: Vec<(f64, f64, f64)>,
}

/// A CSV read for validation: column positions by name, and (line, record) pairs.
type Table = (BTreeMap<String, usize>, Vec<(usize, csv::StringRecord)>);

/// Reads `path` and everything it names; returns the plan, or every problem found.
pub fn validate(path: &Path) -> Result<Plan, Vec<Diagnostic>> {
    let mut v = Validator { diags: Vec::new() };
    let plan = v.run(path);
    let mut diags = v.diags;
    diags.sort();
    diags.dedup();
    match plan {
        Some(p) if diags.is_empty() => Ok(p),
        _ => Err(diags),
    }
}

struct Validator {
    diags: Vec<Diagnostic>,
}

/// Parses an ISO 8601 instant (with a zone, or UTC without one) to seconds since 1970.
pub fn parse_instant(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

impl Validator {
    fn push(&mut self, file: &Path, line: Option<usize>, field: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: file.to_path_buf(),
            line,
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn run(&mut self, path: &Path) -> Option<Plan> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.push(path, None, "scenario", format!("cannot read the scenario: {e}"));
                return None;
            }
        };
        let scenario: Scenario = match toml::from_str(&text) {
            Ok(s) => s,
            Err(e) => {
                let line =
                    e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                self.push(path, line, "toml", e.message().to_string());
                return None;
            }
        };
        let base = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };

        // The window.
        let start = parse_instant(&scenario.window.start);
        let end = parse_instant(&scenario.window.end);
        if start.is_none() {
            self.push(
                path,
                None,
                "window.start",
                format!("\"{}\" is not an ISO 8601 instant", scenario.window.start),
            );
        }
        if end.is_none() {
            self.push(
                path,
                None,
                "window.end",
                format!("\"{}\" is not an ISO 8601 instant", scenario.window.end),
            );
        }
        let step = i64::from(scenario.window.interval_s);
        if step == 0 {
            self.push(path, None, "window.interval_s", "must be positive");
        }
        let (start_s, intervals) = match (start, end) {
            (Some(a), Some(b)) if b > a && step > 0 => {
                if (b - a) % step != 0 {
                    self.push(
                        path,
                        None,
                        "window.end",
                        format!("the window is not a whole number of {step} s intervals"),
                    );
                }
                (a, ((b - a) / step) as usize)
            }
            (Some(a), Some(_)) => {
                self.push(path, None, "window.end", "must be after window.start");
                (a, 0)
            }
            _ => (0, 0),
        };
        if !(scenario.grid.cell_m > 0.0 && scenario.grid.cell_m.is_finite()) {
            self.push(
                path,
                None,
                "grid.cell_m",
                format!("{} m must be a positive spacing", scenario.grid.cell_m),
            );
        }

        // The inventory.
        let sites_path = resolve(&scenario.network.sites);
        let cells_path = resolve(&scenario.network.cells);
        let origin = scenario.network.origin.map(|[a, b]| (a, b));
        let inventory = match radio::inventory::load(&sites_path, &cells_path, origin) {
            Ok(i) => Some(i),
            Err(e) => {
                self.push(&cells_path, None, "inventory", e.to_string());
                None
            }
        };
        if let Some(scene) = &scenario.network.scene
            && scene != "procedural"
            && !resolve(Path::new(scene)).is_file()
        {
            self.push(
                path,
                None,
                "network.scene",
                format!(
                    "{} does not exist (use \"procedural\", a Mitsuba .xml or a GeoJSON file)",
                    resolve(Path::new(scene)).display()
                ),
            );
        }
        #[cfg(not(feature = "calibrate"))]
        if scenario.calibration.is_some() {
            self.push(
                path,
                None,
                "calibration",
                "this build of twin cannot apply a calibration model; rebuild with `--features calibrate` (see docs/scenario.md)",
            );
        }
        if let Some(m) = &scenario.calibration
            && !resolve(m).join("features.json").is_file()
        {
            self.push(
                path,
                None,
                "calibration",
                format!(
                    "{} is not a model directory (from `twin calibrate`)",
                    resolve(m).display()
                ),
            );
        }

        // The topology and the homing.
        let topo_path = resolve(&scenario.network.topology);
        let topology = self.topology(&topo_path, scenario.network.links.as_deref().map(resolve));
        let homing_path = resolve(&scenario.network.homing);
        let homing = match (&inventory, &topology) {
            (Some(inv), Some(topo)) => self.homing(&homing_path, inv, topo),
            _ => None,
        };

        // The history.
        let traffic = inventory.as_ref().and_then(|inv| {
            self.traffic(&resolve(&scenario.history.traffic), inv, start_s, step, intervals)
        });
        let rate_cards = match &scenario.history.rate_cards {
            Some(p) => self.rate_cards(&resolve(p)),
            None => Some(Vec::new()),
        };
        let usage = match &scenario.history.settlement {
            Some(p) => {
                if scenario.history.rate_cards.is_none() {
                    self.push(
                        path,
                        None,
                        "history.rate_cards",
                        "settlement load needs rate cards to be priced",
                    );
                }
                self.usage(
                    &resolve(p),
                    rate_cards.as_deref().unwrap_or(&[]),
                    start_s,
                    step,
                    intervals,
                )
            }
            None => Some(Vec::new()),
        };

        let density = match (&scenario.history.demand_density, &inventory) {
            (Some(p), Some(inv)) => self.density(&resolve(p), inv.origin),
            _ => Some(Vec::new()),
        };

        // The variants.
        let mut names = BTreeSet::new();
        for (i, var) in scenario.variants.iter().enumerate() {
            let field = format!("variant[{i}] \"{}\"", var.name);
            if var.name.trim().is_empty()
                || var.name == "baseline"
                || !names.insert(var.name.clone())
            {
                self.push(
                    path,
                    None,
                    &field,
                    "variant names must be unique, non-empty and not \"baseline\"",
                );
            }
            let mut last = i64::MIN;
            for (k, t) in var.timeline.iter().enumerate() {
                let f = format!("{field}.at[{k}]");
                let at = match &t.time {
                    None => Some(start_s),
                    Some(s) => parse_instant(s),
                };
                match at {
                    None => self.push(
                        path,
                        None,
                        &f,
                        format!(
                            "time \"{}\" is not an ISO 8601 instant",
                            t.time.as_deref().unwrap_or("")
                        ),
                    ),
                    Some(at) => {
                        if intervals > 0
                            && (at < start_s || at >= start_s + step * intervals as i64)
                        {
                            self.push(
                                path,
                                None,
                                &f,
                                format!(
                                    "time {} is outside the replay window [{}, {})",
                                    t.time.as_deref().unwrap_or(""),
                                    scenario.window.start,
                                    scenario.window.end
                                ),
                            );
                        }
                        if at < last {
                            self.push(path, None, &f, "operations must be in time order");
                        }
                        last = at;
                    }
                }
                self.operation(path, &f, &t.op, inventory.as_ref(), topology.as_ref());
            }
        }
        Some(Plan {
            scenario: scenario.clone(),
            base: base.clone(),
            start_s,
            intervals,
            inventory: inventory?,
            topology: topology?,
            homing: homing?,
            traffic: traffic?,
            usage: usage?,
            rate_cards: rate_cards?,
            density: density?,
        })
    }

    /// The demand density layer: weights at points given in the scene frame (`x_m`, `y_m`) or
    /// geographically (`lat`, `lon`, placed with the inventory's origin).
    fn density(&mut self, path: &Path, origin: Option<(f64, f64)>) -> Option<Vec<(f64, f64, f64)>> {
        let (h, rows) = self.table(path, &["weight"])?;
        let geo = h.contains_key("lat") && h.contains_key("lon");
        let planar = h.contains_key("x_m") && h.contains_key("y_m");
        if !(geo || planar) {
            self.push(path, Some(1), "header", "expected columns x_m,y_m,weight or lat,lon,weight");
            return None;
        }
        let frame = if geo {
            match origin.map(|(lat, lon)| sim_core::geo::GeoPoint::new(lat, lon, 0.0)) {
                Some(Ok(o)) => Some(sim_core::geo::LocalFrame::new(o)),
                _ => {
                    self.push(
                        path,
                        Some(1),
                        "lat",
                        "lat/lon points need a geographic origin (network.origin, or sites given by lat/lon)",
                    );
                    return None;
                }
            }
        } else {
            None
        };
        let before = self.diags.len();
        let mut out = Vec::with_capacity(rows.len());
        for (line, rec) in &rows {
            let get = |c: &str| rec.get(h[c]).unwrap_or("");
            let w = self.number(path, *line, "weight", get("weight"), 0.0);
            let (a, b) = if geo {
                (
                    self.number(path, *line, "lat", get("lat"), -90.0),
                    self.number(path, *line, "lon", get("lon"), -180.0),
                )
            } else {
                (
                    self.number(path, *line, "x_m", get("x_m"), f64::MIN),
                    self.number(path, *line, "y_m", get("y_m"), f64::MIN),
                )
            };
            let (Some(w), Some(a), Some(b)) = (w, a, b) else { continue };
            match &frame {
                Some(f) => match sim_core::geo::GeoPoint::new(a, b, 0.0) {
                    Ok(p) => {
                        let e = f.to_enu(&p);
                        out.push((e.east_m, e.north_m, w));
                    }
                    Err(e) => self.push(path, Some(*line), "lat", e.to_string()),
                },
                None => out.push((a, b, w)),
            }
        }
        if self.diags.len() == before && !out.iter().any(|r| r.2 > 0.0) {
            self.push(path, None, "weight", "every weight is zero: no demand anywhere");
        }
        (self.diags.len() == before).then_some(out)
    }

    fn operation(
        &mut self,
        path: &Path,
        f: &str,
        op: &Operation,
        inv: Option<&radio::inventory::Inventory>,
        topo: Option<&transport::topology::Topology>,
    ) {
        let cell_known = |c: &str| inv.is_none_or(|i| i.cells.iter().any(|x| x.id == c));
        let site_known = |s: &str| inv.is_none_or(|i| i.sites.iter().any(|x| x.id == s));
        let node_known = |n: &str| topo.is_none_or(|t| t.node_id(n).is_some());
        let link_known = |l: &str| topo.is_none_or(|t| t.link_id(l).is_some());
        let mut unknown =
            |what: &str, id: &str| self.push(path, None, f, format!("unknown {what} \"{id}\""));
        match op {
            Operation::SetTilt { cells, deg } | Operation::SetAzimuth { cells, deg } => {
                for c in cells.iter().filter(|c| !cell_known(c)) {
                    unknown("cell", c);
                }
                if !deg.is_finite() {
                    unknown("angle", &deg.to_string());
                }
            }
            Operation::SetPower { cells, dbm } => {
                for c in cells.iter().filter(|c| !cell_known(c)) {
                    unknown("cell", c);
                }
                if !dbm.is_finite() {
                    unknown("power", &dbm.to_string());
                }
            }
            Operation::AddSite { site, like, node, x_m, y_m, height_m } => {
                if inv.is_some() && site_known(site) {
                    self.push(path, None, f, format!("site \"{site}\" already exists"));
                    return;
                }
                if !cell_known(like) {
                    self.push(path, None, f, format!("unknown cell \"{like}\" to copy"));
                }
                if !node_known(node) {
                    self.push(path, None, f, format!("unknown transport node \"{node}\""));
                }
                if !(x_m.is_finite() && y_m.is_finite())
                    || height_m.is_some_and(|h| !(h > 0.0 && h.is_finite()))
                {
                    self.push(path, None, f, "position must be finite and the height positive");
                }
            }
            Operation::RemoveCell { cell } => {
                if !cell_known(cell) {
                    unknown("cell", cell);
                }
            }
            Operation::Rehome { site, node } => {
                if !site_known(site) {
                    unknown("site", site);
                }
                if !node_known(node) {
                    unknown("transport node", node);
                }
            }
            Operation::Fail { element } | Operation::Restore { element } => {
                if !link_known(element) && !node_known(element) {
                    unknown("link or node", element);
                }
            }
            Operation::SetCapacity { link, bps } => {
                if !link_known(link) {
                    unknown("link", link);
                }
                if !(*bps > 0.0 && bps.is_finite()) {
                    self.push(path, None, f, format!("capacity {bps} bit/s must be positive"));
                }
            }
            Operation::ScaleTraffic { cells, factor, growth_per_year } => {
                for c in cells.iter().filter(|c| !cell_known(c)) {
                    unknown("cell", c);
                }
                if !(*factor >= 0.0
                    && factor.is_finite()
                    && *growth_per_year > -1.0
                    && growth_per_year.is_finite())
                {
                    self.push(
                        path,
                        None,
                        f,
                        format!("factor {factor} must be ≥ 0 and growth {growth_per_year} > −1"),
                    );
                }
            }
            Operation::AddPartner { .. } | Operation::RemovePartner { .. } => {}
            Operation::SetRate { price_per_unit, .. } => {
                if !(*price_per_unit >= 0.0 && price_per_unit.is_finite()) {
                    self.push(path, None, f, format!("price {price_per_unit} must be ≥ 0"));
                }
            }
            Operation::SettlementMode { .. } => {}
        }
    }

    fn topology(
        &mut self,
        path: &Path,
        links: Option<PathBuf>,
    ) -> Option<transport::topology::Topology> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let result = match (ext.as_str(), links) {
            ("graphml", _) => transport::import::graphml::load(
                path,
                &transport::import::graphml::GraphmlOptions::default(),
            ),
            ("csv", Some(l)) => transport::import::csv::load(path, &l),
            ("csv", None) => {
                self.push(path, None, "network.links", "a nodes CSV topology needs a links CSV");
                return None;
            }
            _ => transport::import::sndlib::load(path).map(|n| n.topology),
        };
        match result {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(path, None, "network.topology", e.to_string());
                None
            }
        }
    }

    /// Reads a CSV: the header and (line, record) pairs; a missing file or column is reported.
    fn table(&mut self, path: &Path, required: &[&str]) -> Option<Table> {
        let mut r = match csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(path) {
            Ok(r) => r,
            Err(e) => {
                self.push(path, None, "file", format!("cannot read: {e}"));
                return None;
            }
        };
        let header: BTreeMap<String, usize> = match r.headers() {
            Ok(h) => h.iter().enumerate().map(|(i, n)| (n.to_string(), i)).collect(),
            Err(e) => {
                self.push(path, Some(1), "header", e.to_string());
                return None;
            }
        };
        let mut ok = true;
        for c in required {
            if !header.contains_key(*c) {
                let found: Vec<&str> = header.keys().map(String::as_str).collect();
                self.push(
                    path,
                    Some(1),
                    c,
                    format!("missing column (the file has: {})", found.join(", ")),
                );
                ok = false;
            }
        }
        let mut rows = Vec::new();
        for rec in r.records() {
            match rec {
                Ok(rec) => rows.push((rec.position().map_or(0, |p| p.line() as usize), rec)),
                Err(e) => {
                    let line = e.position().map(|p| p.line() as usize);
                    self.push(path, line, "row", e.to_string());
                }
            }
        }
        ok.then_some((header, rows))
    }

    fn number(&mut self, path: &Path, line: usize, col: &str, text: &str, min: f64) -> Option<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= min => Some(v),
            Ok(v) => {
                self.push(
                    path,
                    Some(line),
                    col,
                    format!("{v} is not allowed here (a finite number ≥ {min} is expected)"),
                );
                None
            }
            Err(_) => {
                self.push(path, Some(line), col, format!("\"{text}\" is not a number"));
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn instant(
        &mut self,
        path: &Path,
        line: usize,
        col: &str,
        text: &str,
        start_s: i64,
        step: i64,
        intervals: usize,
    ) -> Option<usize> {
        let Some(t) = parse_instant(text) else {
            self.push(path, Some(line), col, format!("\"{text}\" is not an ISO 8601 instant"));
            return None;
        };
        if step <= 0 || intervals == 0 {
            return None;
        }
        if t < start_s || t >= start_s + step * intervals as i64 {
            self.push(path, Some(line), col, format!("{text} is outside the replay window"));
            return None;
        }
        if (t - start_s) % step != 0 {
            self.push(
                path,
                Some(line),
                col,
                format!("{text} does not start an interval of {step} s (intervals overlap)"),
            );
            return None;
        }
        Some(((t - start_s) / step) as usize)
    }

    fn homing(
        &mut self,
        path: &Path,
        inv: &radio::inventory::Inventory,
        topo: &transport::topology::Topology,
    ) -> Option<Vec<String>> {
        let (h, rows) = self.table(path, &["site_id", "node"])?;
        let mut homing: Vec<Option<String>> = vec![None; inv.sites.len()];
        for (line, rec) in rows {
            let site = rec.get(h["site_id"]).unwrap_or("");
            let node = rec.get(h["node"]).unwrap_or("");
            let Some(s) = inv.sites.iter().position(|x| x.id == site) else {
                self.push(path, Some(line), "site_id", format!("unknown site \"{site}\""));
                continue;
            };
            if topo.node_id(node).is_none() {
                self.push(
                    path,
                    Some(line),
                    "node",
                    format!("site \"{site}\" is homed to \"{node}\", which the topology lacks"),
                );
                continue;
            }
            if homing[s].is_some() {
                self.push(path, Some(line), "site_id", format!("site \"{site}\" is homed twice"));
            }
            homing[s] = Some(node.to_string());
        }
        let mut out = Vec::with_capacity(homing.len());
        for (s, h) in homing.into_iter().enumerate() {
            match h {
                Some(n) => out.push(n),
                None => self.push(
                    path,
                    None,
                    "site_id",
                    format!("site \"{}\" is not homed to any transport node", inv.sites[s].id),
                ),
            }
        }
        (out.len() == inv.sites.len()).then_some(out)
    }

    fn traffic(
        &mut self,
        path: &Path,
        inv: &radio::inventory::Inventory,
        start_s: i64,
        step: i64,
        intervals: usize,
    ) -> Option<Vec<TrafficRow>> {
        let (h, rows) = self
            .table(path, &["interval_start", "cell_id", "dl_bytes", "ul_bytes", "active_users"])?;
        let before = self.diags.len();
        let cells: BTreeMap<&str, usize> =
            inv.cells.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let mut out = Vec::with_capacity(rows.len());
        let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (line, rec) in &rows {
            let line = *line;
            let get = |c: &str| rec.get(h[c]).unwrap_or("");
            let cell = match cells.get(get("cell_id")) {
                Some(&c) => Some(c),
                None => {
                    self.push(
                        path,
                        Some(line),
                        "cell_id",
                        format!("unknown cell \"{}\"", get("cell_id")),
                    );
                    None
                }
            };
            let k = self.instant(
                path,
                line,
                "interval_start",
                get("interval_start"),
                start_s,
                step,
                intervals,
            );
            let dl = self.number(path, line, "dl_bytes", get("dl_bytes"), 0.0);
            let ul = self.number(path, line, "ul_bytes", get("ul_bytes"), 0.0);
            let users = self.number(path, line, "active_users", get("active_users"), 0.0);
            if let (Some(cell), Some(k), Some(dl_bytes), Some(ul_bytes), Some(active_users)) =
                (cell, k, dl, ul, users)
            {
                if let Some(first) = seen.insert((cell, k), line) {
                    self.push(
                        path,
                        Some(line),
                        "interval_start",
                        format!(
                            "cell \"{}\" has this interval already (line {first})",
                            inv.cells[cell].id
                        ),
                    );
                    continue;
                }
                out.push(TrafficRow { interval: k, cell, dl_bytes, ul_bytes, active_users });
            }
        }
        // Gaps: an interval of the window with no row for a cell that has rows.
        if self.diags.len() == before && intervals > 0 {
            let mut per_cell: BTreeMap<usize, Vec<bool>> = BTreeMap::new();
            for r in &out {
                per_cell.entry(r.cell).or_insert_with(|| vec![false; intervals])[r.interval] = true;
            }
            for (c, have) in per_cell {
                let missing = have.iter().filter(|h| !**h).count();
                if let Some(first) = have.iter().position(|h| !*h) {
                    let when = DateTime::from_timestamp(start_s + step * first as i64, 0)
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default();
                    self.push(path, None, "interval_start", format!("cell \"{}\" has a gap: {missing} intervals without a row, the first at {when}", inv.cells[c].id));
                }
            }
        }
        out.sort_by_key(|r| (r.interval, r.cell));
        (self.diags.len() == before).then_some(out)
    }

    fn rate_cards(&mut self, path: &Path) -> Option<Vec<RateCard>> {
        let (h, rows) = self.table(
            path,
            &["home_carrier", "visited_carrier", "service", "price_per_unit", "currency"],
        )?;
        let before = self.diags.len();
        let mut out = Vec::new();
        for (line, rec) in &rows {
            let get = |c: &str| rec.get(h[c]).unwrap_or("").to_string();
            let service = Service::parse(&get("service"));
            if service.is_none() {
                self.push(
                    path,
                    Some(*line),
                    "service",
                    format!("\"{}\" is not data, voice or sms", get("service")),
                );
            }
            let price = self.number(path, *line, "price_per_unit", &get("price_per_unit"), 0.0);
            if let (Some(service), Some(price_per_unit)) = (service, price) {
                out.push(RateCard {
                    home: get("home_carrier"),
                    visited: get("visited_carrier"),
                    service,
                    price_per_unit,
                    currency: get("currency"),
                });
            }
        }
        (self.diags.len() == before).then_some(out)
    }

    fn usage(
        &mut self,
        path: &Path,
        cards: &[RateCard],
        start_s: i64,
        step: i64,
        intervals: usize,
    ) -> Option<Vec<Usage>> {
        let (h, rows) = self.table(
            path,
            &["interval_start", "home_carrier", "visited_carrier", "service", "records", "volume"],
        )?;
        let before = self.diags.len();
        let priced: BTreeSet<(&str, &str, Service)> =
            cards.iter().map(|c| (c.home.as_str(), c.visited.as_str(), c.service)).collect();
        let mut out = Vec::new();
        for (line, rec) in &rows {
            let line = *line;
            let get = |c: &str| rec.get(h[c]).unwrap_or("").to_string();
            let k = self.instant(
                path,
                line,
                "interval_start",
                &get("interval_start"),
                start_s,
                step,
                intervals,
            );
            let service = Service::parse(&get("service"));
            if service.is_none() {
                self.push(
                    path,
                    Some(line),
                    "service",
                    format!("\"{}\" is not data, voice or sms", get("service")),
                );
            }
            let records = self.number(path, line, "records", &get("records"), 0.0);
            let volume = self.number(path, line, "volume", &get("volume"), 0.0);
            let (home, visited) = (get("home_carrier"), get("visited_carrier"));
            if home == visited || home.is_empty() {
                self.push(
                    path,
                    Some(line),
                    "visited_carrier",
                    format!("\"{home}\" → \"{visited}\" is not a pair of two carriers"),
                );
                continue;
            }
            if let (Some(k), Some(service), Some(records), Some(volume)) =
                (k, service, records, volume)
            {
                if !priced.contains(&(home.as_str(), visited.as_str(), service))
                    && !cards.is_empty()
                {
                    self.push(
                        path,
                        Some(line),
                        "service",
                        format!("no rate card prices {home} → {visited} {}", service.name()),
                    );
                    continue;
                }
                out.push(Usage {
                    start_s: start_s + step * k as i64,
                    home,
                    visited,
                    service,
                    records: records.round() as u64,
                    volume,
                });
            }
        }
        (self.diags.len() == before).then_some(out)
    }
}
