//! The scenario file as written: the TOML format ([`Scenario`]) and its what-if operations
//! ([`Operation`]) by name, before anything is read or checked. [`super::validate`] turns it
//! into a [`super::Plan`]. Paths are relative to the scenario file; the reference, with every
//! key commented, is `docs/scenario.md`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::settlement::{Service, SettlementMode};

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
    /// When a point counts as covered.
    #[serde(default)]
    pub coverage: CoverageSpec,
    /// RAN feature profiles, and the one every cell starts with.
    #[serde(default)]
    pub ran: RanSpec,
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
    /// What the backhaul's shortest paths minimise (`delay` when absent).
    #[serde(default)]
    pub routing: RoutingMetric,
    /// The procedural city, when `scene = "procedural"`.
    #[serde(default)]
    pub city: CitySpec,
}

/// What the backhaul's routes minimise (`network.routing`), in the flow model of every
/// interval and the packet model of the busy intervals alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMetric {
    /// The links' propagation delays (`delay_s`): the lowest-latency path, whatever the IGP
    /// says. The default, as the twin has always routed.
    #[default]
    Delay,
    /// The links CSV's `igp_weight` column (1 where it is empty): the paths the operator's IGP
    /// takes, equal-cost ones shared.
    IgpWeight,
}

impl RoutingMetric {
    /// The transport crate's metric.
    pub fn metric(self) -> transport::routing::Metric {
        match self {
            RoutingMetric::Delay => transport::routing::Metric::Delay,
            RoutingMetric::IgpWeight => transport::routing::Metric::IgpWeight,
        }
    }
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
    /// Gaps in a cell's traffic of at most this many intervals are filled with the same
    /// intervals a week before (0, the default: none; every gap is an error).
    #[serde(default)]
    pub fill_traffic_gaps: usize,
}

/// The analysis grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// Grid spacing, metres.
    #[serde(default = "default_cell_m")]
    pub cell_m: f64,
}

/// When a point counts as covered (`[coverage]`): its best server's RSRP and SINR reach the
/// thresholds (and the RSRP the noise floor); defaults and their sources in `docs/radio.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoverageSpec {
    /// Weakest RSRP that serves, dBm (−120).
    pub min_rsrp_dbm: f64,
    /// Weakest SINR that serves, dB (−6).
    pub min_sinr_db: f64,
    /// Share of the time neighbours transmit in the SINR that decides coverage and the maps
    /// show (0.5); the interval's KPIs use each cell's own load instead.
    pub interference_load: f64,
}

impl Default for CoverageSpec {
    fn default() -> Self {
        let t = radio::kpi::CoverageThresholds::default();
        CoverageSpec {
            min_rsrp_dbm: t.min_rsrp_dbm,
            min_sinr_db: t.min_sinr_db,
            interference_load: 0.5,
        }
    }
}

/// RAN feature profiles (`[ran]`): the one every cell starts with, and the scenario's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RanSpec {
    /// The profile every cell starts with (`tr36942`, the built-in, when absent).
    #[serde(default)]
    pub default_profile: Option<String>,
    /// Profiles the scenario defines (`[[ran.profiles]]`), for `default_profile` and
    /// `set-profile`.
    #[serde(default)]
    pub profiles: Vec<ProfileSpec>,
}

/// One RAN feature profile: what a cell's software makes of a SINR. Every field is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    /// Its name.
    pub name: String,
    /// Link adaptation: `shannon` (TR 36.942's attenuated bound), `cqi-64qam` (TS 38.214 CQI
    /// table 1) or `cqi-256qam` (table 2).
    pub link: LinkKind,
    /// Spatial layers, 1 to 8.
    pub mimo_layers: u32,
    /// Share of resources for control and reference signals, 0 to under 1.
    pub control_overhead: f64,
    /// Share of the rest the scheduler fills, over 0 up to 1.
    pub scheduler_efficiency: f64,
}

/// A profile's link adaptation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// TR 36.942 Annex A: 0.6·log2(1 + SINR) from −10 dB, capped at 4.4 bit/s/Hz.
    Shannon,
    /// TS 38.214 CQI table 1 (up to 64QAM).
    #[serde(rename = "cqi-64qam")]
    Cqi64Qam,
    /// TS 38.214 CQI table 2 (up to 256QAM).
    #[serde(rename = "cqi-256qam")]
    Cqi256Qam,
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
    /// Set the electrical tilt of cells (the beam steered down, the antenna not moved), degrees.
    SetElectricalTilt {
        /// The cells.
        cells: Vec<String>,
        /// Degrees down.
        deg: f64,
    },
    /// Set the channel bandwidth of cells, Hz.
    SetBandwidth {
        /// The cells.
        cells: Vec<String>,
        /// Hz.
        hz: f64,
    },
    /// Set the MIMO layers of cells (their profile's otherwise).
    SetMimoLayers {
        /// The cells (all when empty).
        #[serde(default)]
        cells: Vec<String>,
        /// Layers, 1 to 8.
        layers: u32,
    },
    /// Swap the antenna of cells: a pattern name as in cells.csv.
    SetPattern {
        /// The cells.
        cells: Vec<String>,
        /// `38901-array:8x1:0.8`, `36814`, `38901`, `isotropic` or a pattern file.
        pattern: String,
    },
    /// Put cells on a RAN feature profile (a firmware, a licence): a profile of `[ran]`.
    SetProfile {
        /// The cells (all when empty).
        #[serde(default)]
        cells: Vec<String>,
        /// The profile's name.
        profile: String,
    },
    /// Add a carrier to every cell of a site, or to the cells named: a co-located cell on
    /// another frequency that shares its sector's traffic in proportion to capacity.
    AddCarrier {
        /// A site whose cells all get the carrier.
        #[serde(default)]
        site: Option<String>,
        /// Cells that get the carrier.
        #[serde(default)]
        cells: Vec<String>,
        /// Centre frequency, Hz.
        freq_hz: f64,
        /// Bandwidth, Hz.
        bandwidth_hz: f64,
        /// Transmit power, dBm (the cell's when absent).
        #[serde(default)]
        power_dbm: Option<f64>,
    },
    /// Add a site with three sectors (azimuths 0°, 120°, 240°) like the site `like`.
    AddSite {
        /// New site identifier.
        site: String,
        /// Scene position, metres east (with `y_m`; or give `lat` and `lon`).
        #[serde(default)]
        x_m: Option<f64>,
        /// Scene position, metres north.
        #[serde(default)]
        y_m: Option<f64>,
        /// WGS84 latitude, degrees (with `lon`; needs the network's geographic origin).
        #[serde(default)]
        lat: Option<f64>,
        /// WGS84 longitude, degrees.
        #[serde(default)]
        lon: Option<f64>,
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
        /// Whether the roaming settlement usage (records and volumes) grows the same way.
        #[serde(default)]
        roaming: bool,
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
