//! The validated scenario: everything the file names read, checked and resolved, so that the
//! replay looks nothing up by name and parses nothing.
//!
//! Times are interval indices, cells and sites are indices into the inventory, transport nodes
//! are [`NodeId`]s, and network what-ifs are [`transport::whatif::Operation`]s resolved by the
//! transport crate's own rules for naming links and nodes (one what-if vocabulary). A [`Plan`]
//! is plain data: a researcher may build or edit one (a sweep replaces its variants) and hand
//! it to the replay.

use std::path::{Path, PathBuf};

use radio::Scene;
use sim_core::geo::GeoPoint;
use transport::topology::{NodeId, Topology};

use crate::error::ScenarioError;
use crate::settlement::{RateCard, Service, SettlementMode, Usage};

/// When a grid point counts as covered, and the neighbour load of the SINR that decides it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageRule {
    /// RSRP and SINR thresholds.
    pub thresholds: radio::kpi::CoverageThresholds,
    /// Share of the time neighbours transmit in that SINR (0 to 1).
    pub interference_load: f64,
}

impl Default for CoverageRule {
    fn default() -> Self {
        CoverageRule { thresholds: Default::default(), interference_load: 0.5 }
    }
}

/// A scenario with everything it names read and checked.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The scenario's name, for reports.
    pub name: String,
    /// Master seed of every random stream of the run.
    pub seed: u64,
    /// The scenario file, as given to [`super::validate`].
    pub path: PathBuf,
    /// The directory the scenario's paths are relative to.
    pub base: PathBuf,
    /// The replay window.
    pub window: Window,
    /// The input files as the scenario names them (for the run's manifest).
    pub files: Files,
    /// Where the scene comes from.
    pub scene: SceneSource,
    /// Analysis grid spacing, metres.
    pub grid_cell_m: f64,
    /// When a point counts as covered.
    pub coverage: CoverageRule,
    /// Each inventory cell's RAN feature profile at the window's start.
    pub ran: Vec<radio::kpi::LinkProfile>,
    /// The inventory.
    pub inventory: radio::inventory::Inventory,
    /// The transport topology.
    pub topology: Topology,
    /// Transport node of each site (by site index).
    pub homing: Vec<NodeId>,
    /// What the backhaul's routes minimise (`network.routing`).
    pub routing: transport::routing::Metric,
    /// The first node of role core, where backhaul traffic goes (`None`: the topology has none,
    /// which the replay refuses).
    pub core: Option<NodeId>,
    /// Traffic rows, ordered by (interval, cell).
    pub traffic: Vec<TrafficRow>,
    /// How many of them were not in the traffic file but filled from a week before
    /// (`history.fill_traffic_gaps`).
    pub traffic_filled: usize,
    /// Settlement load.
    pub usage: Vec<Usage>,
    /// Rate cards.
    pub rate_cards: Vec<RateCard>,
    /// Demand density samples in the scene frame: (x m, y m, weight ≥ 0); empty: uniform.
    pub density: Vec<(f64, f64, f64)>,
    /// How the settlement system clears records in the baseline.
    pub settlement: SettlementMode,
    /// The calibration model directory.
    pub calibration: Option<InputFile>,
    /// The what-if variants.
    pub variants: Vec<VariantPlan>,
}

impl Plan {
    /// The start of interval `k`, seconds since 1970 UTC.
    pub fn interval_start_s(&self, k: usize) -> i64 {
        self.window.start_s + i64::from(self.window.interval_s) * k as i64
    }

    /// Intervals in a day (at least 1: a window of daily or longer intervals has one).
    pub fn intervals_per_day(&self) -> usize {
        (86_400 / self.window.interval_s.max(1)).max(1) as usize
    }

    /// The hour of the day (UTC, 0-23) at the start of interval `k`.
    pub fn hour_of_day(&self, k: usize) -> usize {
        (self.interval_start_s(k).rem_euclid(86_400) / 3_600) as usize
    }

    /// Interval starts as ISO 8601 UTC (`2024-01-01T00:00:00Z`), one per interval.
    pub fn interval_stamps(&self) -> Vec<String> {
        (0..self.window.intervals)
            .map(|k| {
                chrono::DateTime::from_timestamp(self.interval_start_s(k), 0)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Records arriving in each interval of the window from `usage`.
    pub fn records_per_interval<'a>(&self, usage: impl IntoIterator<Item = &'a Usage>) -> Vec<u64> {
        let step = i64::from(self.window.interval_s);
        let mut records = vec![0u64; self.window.intervals];
        for u in usage {
            records[((u.start_s - self.window.start_s) / step) as usize] += u.records;
        }
        records
    }

    /// What the planner is told of rows the twin added to the history, if any.
    pub fn filled_notice(&self) -> Option<String> {
        (self.traffic_filled > 0).then(|| {
            format!(
                "{}: {} row{} filled from the same interval a week before (history.fill_traffic_gaps)",
                self.files.traffic.written.display(),
                self.traffic_filled,
                if self.traffic_filled == 1 { "" } else { "s" }
            )
        })
    }

    /// The index of the variant called `name`.
    pub fn variant_index(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.name == name)
    }

    /// The index of the inventory cell called `id`.
    pub fn cell_index(&self, id: &str) -> Option<usize> {
        self.inventory.cells.iter().position(|c| c.id == id)
    }
}

/// The replay window: `[start, end)` in intervals of `interval_s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// ISO 8601 start, as the scenario writes it.
    pub start: String,
    /// ISO 8601 end (exclusive), as the scenario writes it.
    pub end: String,
    /// Start, seconds since 1970 UTC.
    pub start_s: i64,
    /// Interval length, seconds.
    pub interval_s: u32,
    /// Intervals in the window.
    pub intervals: usize,
}

/// The scenario's input files: each as the scenario writes it and resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    /// Sites CSV.
    pub sites: InputFile,
    /// Cells CSV.
    pub cells: InputFile,
    /// Topology file.
    pub topology: InputFile,
    /// Homing CSV.
    pub homing: InputFile,
    /// Traffic CSV.
    pub traffic: InputFile,
    /// Links CSV (with a nodes CSV topology).
    pub links: Option<InputFile>,
    /// Settlement load CSV.
    pub settlement: Option<InputFile>,
    /// Rate cards CSV.
    pub rate_cards: Option<InputFile>,
    /// Demand density CSV.
    pub demand_density: Option<InputFile>,
    /// Scene file (not for the procedural city).
    pub scene: Option<InputFile>,
}

impl Files {
    /// The files in the manifest's order: the network, the history, then the scene.
    pub fn in_order(&self) -> Vec<&InputFile> {
        let mut v = vec![&self.sites, &self.cells, &self.topology, &self.homing, &self.traffic];
        v.extend(&self.links);
        v.extend(&self.settlement);
        v.extend(&self.rate_cards);
        v.extend(&self.demand_density);
        v
    }
}

/// One input file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputFile {
    /// As the scenario writes it.
    pub written: PathBuf,
    /// Resolved against the scenario's directory.
    pub path: PathBuf,
}

impl InputFile {
    /// `written`, resolved against `base` unless absolute.
    pub fn new(base: &Path, written: &Path) -> InputFile {
        let path = if written.is_absolute() { written.to_path_buf() } else { base.join(written) };
        InputFile { written: written.to_path_buf(), path }
    }
}

/// Where the scene comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SceneSource {
    /// No scene: the TR 38.901 UMa model stands in for the ray tracer.
    None,
    /// The procedural city with these parameters (its seed is the scenario's).
    Procedural(radio::scene::procedural::CityParams),
    /// A Mitsuba XML file with PLY meshes.
    Mitsuba(PathBuf),
    /// A GeoJSON file of building footprints.
    GeoJson(PathBuf),
}

/// The plan's scene, built or read; `None` without one (the empirical model stands in).
pub fn load_scene(plan: &Plan) -> Result<Option<Scene>, ScenarioError> {
    load_scene_from(&plan.scene, plan.inventory.origin)
}

/// The scene of `source`, built or read; `None` without one. `origin` (the network's WGS84
/// origin: `network.origin`, or the first site given by lat/lon) is where a GeoJSON file's
/// footprints are placed, so that buildings and sites share one frame; without one the
/// footprints are centred on their own data.
pub fn load_scene_from(
    source: &SceneSource,
    origin: Option<(f64, f64)>,
) -> Result<Option<Scene>, ScenarioError> {
    let failed = |what: String| move |source| ScenarioError::Scene { what, source };
    Ok(match source {
        SceneSource::None => None,
        SceneSource::Procedural(params) => Some(
            radio::scene::procedural::city(params, radio::SceneOptions::default())
                .map_err(failed("procedural".into()))?
                .scene,
        ),
        SceneSource::Mitsuba(path) => Some(
            radio::scene::mitsuba::load_with(path, radio::SceneOptions::default())
                .map_err(failed(path.display().to_string()))?,
        ),
        SceneSource::GeoJson(path) => {
            // Validation has checked the origin; one out of range could only centre the data.
            let origin = origin.and_then(|(lat, lon)| GeoPoint::new(lat, lon, 0.0).ok());
            let options = radio::scene::geojson::GeoJsonOptions {
                origin,
                ..radio::scene::geojson::GeoJsonOptions::default()
            };
            Some(
                radio::scene::geojson::load(path, &options)
                    .map_err(failed(path.display().to_string()))?
                    .scene,
            )
        }
    })
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

/// A what-if variant: a name and its changes in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantPlan {
    /// Its name in reports.
    pub name: String,
    /// Changes by the first interval they apply to, in time order.
    pub timeline: Vec<Scheduled>,
}

/// A change and the first interval it applies to: the first that starts at or after the
/// operation's time (the window's end for a time inside the last interval, so never).
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled {
    /// Interval index, at most the number of intervals.
    pub interval: usize,
    /// The change.
    pub change: Change,
}

/// A what-if operation, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Set the mechanical tilt of inventory cells, degrees down.
    SetTilt {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// Degrees.
        deg: f64,
    },
    /// Set the azimuth of inventory cells, degrees clockwise from north.
    SetAzimuth {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// Degrees.
        deg: f64,
    },
    /// Set the transmit power of inventory cells, dBm.
    SetPower {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// dBm.
        dbm: f64,
    },
    /// Set the electrical tilt of inventory cells, degrees down.
    SetElectricalTilt {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// Degrees.
        deg: f64,
    },
    /// Set the channel bandwidth of inventory cells, Hz.
    SetBandwidth {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// Hz.
        hz: f64,
    },
    /// Set the MIMO layers of inventory cells.
    SetMimoLayers {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// Layers.
        layers: u32,
    },
    /// Swap the antenna pattern of inventory cells.
    SetPattern {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// The new pattern.
        pattern: radio::Pattern,
    },
    /// Put inventory cells on a RAN feature profile.
    SetProfile {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// The profile.
        profile: radio::kpi::LinkProfile,
    },
    /// Add a co-located carrier to inventory cells (`CELL@MHZ`), sharing each one's traffic.
    AddCarrier {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// Centre frequency, Hz.
        freq_hz: f64,
        /// Bandwidth, Hz.
        bandwidth_hz: f64,
        /// Transmit power, dBm (each cell's when `None`).
        power_dbm: Option<f64>,
    },
    /// Add a site of three sectors (azimuths 0°, 120°, 240°) copying a cell's settings.
    AddSite {
        /// New site identifier (its cells are `SITE-1` to `SITE-3`).
        site: String,
        /// Scene position, metres.
        x_m: f64,
        /// Scene position, metres.
        y_m: f64,
        /// The inventory cell whose settings the new cells copy.
        like: usize,
        /// Antenna height above ground, metres (the copied cell's when absent).
        height_m: Option<f64>,
        /// Transport node the site is homed to.
        node: NodeId,
    },
    /// Switch an inventory cell off.
    RemoveCell {
        /// Inventory cell index.
        cell: usize,
    },
    /// Home an inventory site to another transport node.
    Rehome {
        /// Site index.
        site: usize,
        /// The node.
        node: NodeId,
    },
    /// Fail or restore links or nodes, or change link capacities.
    Network(transport::whatif::Operation),
    /// Scale traffic of inventory cells (all when empty), by a factor and a yearly growth.
    ScaleTraffic {
        /// Inventory cell indices.
        cells: Vec<usize>,
        /// Factor from this interval on.
        factor: f64,
        /// Compound growth per year from this interval on.
        growth_per_year: f64,
        /// Whether the roaming settlement usage is scaled too (then `cells` is empty).
        roaming: bool,
    },
    /// A roaming partner joins (its usage counts from now).
    AddPartner {
        /// The carrier.
        carrier: String,
    },
    /// A roaming partner leaves (its usage stops counting).
    RemovePartner {
        /// The carrier.
        carrier: String,
    },
    /// Replace a rate card (in the baseline's currency).
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
    SettlementMode(SettlementMode),
}
