//! The built-in demo scenario, the project's own: a procedural city of about 3 km², 40 sites of
//! three cells, a backhaul of eight access rings over four aggregation pairs and two core nodes,
//! a year of hourly traffic with daily, weekly and seasonal shape, growth and a festival, and
//! settlement load for five roaming partners, a demand density layer (a downtown peak and a station
//! hot spot); with six variants (a cluster re-tilt, a new site from June, an access ring
//! re-homed to another aggregation pair, per-session settlement, a second carrier on the
//! busiest site from June, a firmware with 256QAM and 4×4 MIMO from September).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};
use sim_core::RngStreams;

use twin_format::fsio::{self, Existing};

use crate::error::ScenarioError;
use crate::scenario::CitySpec;

/// Sizes of the demo (the defaults are the README's demo; tests use smaller ones).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Sites along x and y.
    pub sites_x: usize,
    /// Sites along y.
    pub sites_y: usize,
    /// Days of hourly history from 2024-01-01.
    pub days: usize,
    /// Seed of the city and the history.
    pub seed: u64,
    /// Analysis grid spacing, metres.
    pub grid_m: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig { sites_x: 8, sites_y: 5, days: 366, seed: 1, grid_m: 20.0 }
    }
}

const START_S: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Mobile data by hour of day (share of the busy hour).
const DIURNAL: [f64; 24] = [
    0.30, 0.20, 0.14, 0.10, 0.09, 0.11, 0.20, 0.38, 0.55, 0.65, 0.70, 0.74, 0.78, 0.76, 0.74, 0.75,
    0.80, 0.86, 0.92, 0.97, 1.00, 0.95, 0.75, 0.50,
];

/// What the generated parts of the demo share: where the city and the sites are, the cells,
/// how busy each cell is, and the backhaul's access rings.
struct Layout {
    city: CitySpec,
    /// The city's extent: (x0, y0, x1, y1), metres.
    extent: (f64, f64, f64, f64),
    positions: Vec<(f64, f64)>,
    cell_ids: Vec<String>,
    busy_bytes: Vec<f64>,
    /// Sites by access ring (five per ring).
    rings: Vec<Vec<usize>>,
    n_agg_pairs: usize,
}

/// Writes the demo scenario into `dir` (created); returns the scenario file's path. Each file
/// is written whole or not at all.
pub fn write_demo(dir: &Path, cfg: &DemoConfig) -> Result<PathBuf, ScenarioError> {
    if cfg.sites_x < 2 || cfg.sites_y < 2 || cfg.days == 0 {
        return Err(ScenarioError::Demo("it needs at least 2 × 2 sites and one day".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| twin_format::FsError::io(dir, e))?;
    let w = |name: &str, text: &str| -> Result<(), ScenarioError> {
        Ok(fsio::write_file(&dir.join(name), text.as_bytes(), Existing::Replace)?)
    };
    let streams = RngStreams::new(cfg.seed);
    let (mut layout, sites, cells) = sites_and_cells(cfg, &streams)?;
    w("sites.csv", &sites)?;
    w("cells.csv", &cells)?;
    let (nodes, links, homing) = backhaul(&mut layout);
    w("nodes.csv", &nodes)?;
    w("links.csv", &links)?;
    w("homing.csv", &homing)?;
    w("traffic.csv", &traffic(cfg, &streams, &mut layout)?)?;
    let (cards, load) = settlement(cfg, &streams);
    w("rate_cards.csv", &cards)?;
    w("settlement.csv", &load)?;
    w("density.csv", &density(layout.extent))?;
    w("scenario.toml", &scenario_text(cfg, &layout))?;
    Ok(dir.join("scenario.toml"))
}

/// The city and a lattice of sites over it, three cells each.
fn sites_and_cells(
    cfg: &DemoConfig,
    streams: &RngStreams,
) -> Result<(Layout, String, String), ScenarioError> {
    // The city: enough blocks to hold the site lattice with 300 m spacing.
    let city = CitySpec {
        blocks_x: 2 + cfg.sites_x * 5 / 2,
        blocks_y: 2 + cfg.sites_y * 5 / 2,
        block_m: 100.0,
        street_m: 22.0,
        median_height_m: 18.0,
    };
    let built =
        radio::scene::procedural::city(&city.params(cfg.seed), radio::SceneOptions::default())
            .map_err(|source| ScenarioError::Scene { what: "procedural".into(), source })?;
    let (x0, y0, x1, y1) = built.extent;
    let dsm = built.scene.dsm();
    let mut sites = String::from("site_id,x_m,y_m,height_m\n");
    let mut cells = String::from(
        "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\n",
    );
    let mut rng = streams.stream("sites");
    let mut cell_ids = Vec::new();
    let mut positions = Vec::new();
    for j in 0..cfg.sites_y {
        for i in 0..cfg.sites_x {
            let s = j * cfg.sites_x + i;
            let x = x0
                + (x1 - x0) * (i as f64 + 0.5) / cfg.sites_x as f64
                + rng.random_range(-40.0..40.0);
            let y = y0
                + (y1 - y0) * (j as f64 + 0.5) / cfg.sites_y as f64
                + rng.random_range(-40.0..40.0);
            // Rooftop sites stand 5 m above the roof; street masts are 30 m.
            let roof = dsm.height_at(x, y);
            let h = if roof > 0.5 { roof + 5.0 } else { 30.0 };
            positions.push((x, y));
            writeln!(sites, "S{s:02},{x:.1},{y:.1},{h:.1}").ok();
            let offset: f64 = rng.random_range(0.0..120.0);
            for k in 0..3 {
                let id = format!("S{s:02}-{}", k + 1);
                writeln!(
                    cells,
                    "{id},S{s:02},{:.1},2,6,46,3500000000,20000000,{}",
                    (offset + 120.0 * k as f64) % 360.0,
                    radio::antenna::DEFAULT_MACRO_SPEC
                )
                .ok();
                cell_ids.push(id);
            }
        }
    }
    let layout = Layout {
        city,
        extent: built.extent,
        positions,
        cell_ids,
        busy_bytes: Vec::new(),
        rings: Vec::new(),
        n_agg_pairs: 0,
    };
    Ok((layout, sites, cells))
}

/// The backhaul: a cell-site router per site; access rings of five between an aggregation
/// pair; every aggregation node to both cores. Returns (nodes, links, homing) CSVs.
fn backhaul(layout: &mut Layout) -> (String, String, String) {
    let n_sites = layout.positions.len();
    let n_agg_pairs = n_sites.div_ceil(10).max(1);
    let mut nodes = String::from("node_id,role\nCORE1,core\nCORE2,core\n");
    let mut links = String::from(
        "link_id,from,to,capacity_bps,delay_s,duplex\nCORE1-CORE2,CORE1,CORE2,1e11,0.0005,true\n",
    );
    let mut homing = String::from("site_id,node\n");
    for a in 0..2 * n_agg_pairs {
        writeln!(nodes, "AGG{},aggregation", a + 1).ok();
        for c in 1..=2 {
            writeln!(links, "AGG{0}-CORE{c},AGG{0},CORE{c},1e10,0.001,true", a + 1).ok();
        }
    }
    for p in 0..n_agg_pairs {
        writeln!(links, "AGG{0}-AGG{1},AGG{0},AGG{1},1e10,0.0005,true", 2 * p + 1, 2 * p + 2).ok();
    }
    let rings: Vec<Vec<usize>> =
        (0..n_sites).collect::<Vec<_>>().chunks(5).map(<[usize]>::to_vec).collect();
    for (r, ring) in rings.iter().enumerate() {
        let pair = (r / 2) % n_agg_pairs;
        let (a, b) = (format!("AGG{}", 2 * pair + 1), format!("AGG{}", 2 * pair + 2));
        let mut prev = a.clone();
        for &s in ring {
            writeln!(nodes, "CSR{s:02},cell_site").ok();
            writeln!(homing, "S{s:02},CSR{s:02}").ok();
            writeln!(links, "{prev}-CSR{s:02},{prev},CSR{s:02},1e9,0.0002,true").ok();
            prev = format!("CSR{s:02}");
        }
        writeln!(links, "{prev}-{b},{prev},{b},1e9,0.0002,true").ok();
    }
    layout.rings = rings;
    layout.n_agg_pairs = n_agg_pairs;
    (nodes, links, homing)
}

/// A year (or `cfg.days`) of hourly traffic per cell; sets each cell's busy-hour volume.
fn traffic(
    cfg: &DemoConfig,
    streams: &RngStreams,
    layout: &mut Layout,
) -> Result<String, ScenarioError> {
    // Traffic: busy-hour volume per cell (log-normal; the station's site 2.5 times more),
    // diurnal and weekly shape, seasons, 25 % growth over the year, a festival weekend on the
    // first site's cells in July.
    let hours = cfg.days * 24;
    let mut rng = streams.stream("traffic");
    let lognormal = |mu: f64, sigma: f64| {
        LogNormal::new(mu, sigma).map_err(|e| ScenarioError::Demo(e.to_string()))
    };
    let busy = lognormal((3.0e9f64).ln(), 0.4)?;
    let cell_ids = &layout.cell_ids;
    let mut busy_bytes: Vec<f64> = cell_ids.iter().map(|_| busy.sample(&mut rng)).collect();
    let (hx, hy) = hot_spot(layout.extent);
    let hub = (0..layout.positions.len()).min_by(|&a, &b| {
        let d = |s: usize| (layout.positions[s].0 - hx).hypot(layout.positions[s].1 - hy);
        d(a).total_cmp(&d(b))
    });
    if let Some(hub) = hub {
        busy_bytes[3 * hub..3 * hub + 3].iter_mut().for_each(|b| *b *= HUB_FACTOR);
    }
    let noise = lognormal(0.0, 0.08)?;
    let mut traffic = String::with_capacity(hours * cell_ids.len() * 48);
    traffic.push_str("interval_start,cell_id,dl_bytes,ul_bytes,active_users\n");
    let festival = (START_S + 196 * 86_400, START_S + 198 * 86_400); // 2024-07-15..17
    for h in 0..hours {
        let t = START_S + 3600 * h as i64;
        let day = h / 24;
        let weekday = (day + 1) % 7; // 2024-01-01 was a Monday: 1 = Monday … 0 = Sunday
        let week = if weekday == 6 || weekday == 0 { 0.85 } else { 1.0 };
        let season = 1.0 - 0.15 * (-(((day as f64) - 220.0) / 12.0).powi(2)).exp()
            + 0.10 * (-(((day as f64) - 350.0) / 10.0).powi(2)).exp();
        let growth = 1.0 + 0.25 * day as f64 / 365.0;
        let shape = DIURNAL[h % 24] * week * season * growth;
        let stamp = iso(t);
        for (c, id) in cell_ids.iter().enumerate() {
            let event = if c < 3 && t >= festival.0 && t < festival.1 { 3.0 } else { 1.0 };
            let dl = busy_bytes[c] * shape * event * noise.sample(&mut rng);
            writeln!(traffic, "{stamp},{id},{dl:.0},{:.0},{:.0}", dl * 0.12, (dl / 4.0e7).max(1.0))
                .ok();
        }
    }
    layout.busy_bytes = busy_bytes;
    Ok(traffic)
}

/// Rate cards and settlement load for five roaming partners.
fn settlement(cfg: &DemoConfig, streams: &RngStreams) -> (String, String) {
    let hours = cfg.days * 24;

    // Settlement: five partners; their subscribers on our network and ours on theirs.
    let partners = ["P1", "P2", "P3", "P4", "P5"];
    let mut cards = String::from("home_carrier,visited_carrier,service,price_per_unit,currency\n");
    for p in partners {
        for (h, v) in [(p, "HOME"), ("HOME", p)] {
            writeln!(
                cards,
                "{h},{v},data,0.0020,EUR\n{h},{v},voice,0.0150,EUR\n{h},{v},sms,0.0050,EUR"
            )
            .ok();
        }
    }
    let mut rng = streams.stream("settlement");
    let mut load = String::with_capacity(hours * 30 * 60);
    load.push_str("interval_start,home_carrier,visited_carrier,service,records,volume,unit\n");
    for h in 0..hours {
        let stamp = iso(START_S + 3600 * h as i64);
        let d = DIURNAL[h % 24];
        // Summer roaming peak.
        let season = 1.0 + 0.8 * (-((((h / 24) as f64) - 210.0) / 25.0).powi(2)).exp();
        for (k, p) in partners.iter().enumerate() {
            let size = 1.0 / (1.0 + k as f64);
            for (home, visited, scale) in [(*p, "HOME", 1.0), ("HOME", *p, 0.6)] {
                let base = 4000.0 * size * scale * d * season;
                let j = rng.random_range(0.9..1.1);
                writeln!(
                    load,
                    "{stamp},{home},{visited},data,{:.0},{:.1},MB",
                    base * j,
                    base * 35.0 * j
                )
                .ok();
                writeln!(
                    load,
                    "{stamp},{home},{visited},voice,{:.0},{:.1},min",
                    base * 0.3 * j,
                    base * 0.3 * 2.5 * j
                )
                .ok();
                writeln!(
                    load,
                    "{stamp},{home},{visited},sms,{:.0},{:.0},sms",
                    base * 0.2 * j,
                    base * 0.2 * j
                )
                .ok();
            }
        }
    }
    (cards, load)
}

/// The demand density layer: a downtown peak at the city centre over a residential floor, and
/// a hot spot (a station square) north-east of the centre; a sample every 25 m.
/// The station hot spot of the density layer, within the city's extent.
fn hot_spot((x0, y0, x1, y1): (f64, f64, f64, f64)) -> (f64, f64) {
    let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    (cx + 0.25 * (x1 - x0), cy + 0.2 * (y1 - y0))
}

/// Times more traffic than its log-normal draw the cells of the site nearest the station carry
/// (a transport hub: the demo's busiest site, overloaded in its busy hours).
const HUB_FACTOR: f64 = 2.5;

fn density((x0, y0, x1, y1): (f64, f64, f64, f64)) -> String {
    let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    let (hx, hy) = hot_spot((x0, y0, x1, y1));
    let mut density = String::from("x_m,y_m,weight\n");
    let mut y = y0 + 12.5;
    while y < y1 {
        let mut x = x0 + 12.5;
        while x < x1 {
            let r2 = (x - cx).powi(2) + (y - cy).powi(2);
            let h2 = (x - hx).powi(2) + (y - hy).powi(2);
            let weight = 0.3
                + (-r2 / (2.0 * 600.0f64.powi(2))).exp()
                + 2.0 * (-h2 / (2.0 * 80.0f64.powi(2))).exp();
            writeln!(density, "{x:.1},{y:.1},{weight:.4}").ok();
            x += 25.0;
        }
        y += 25.0;
    }
    density
}

/// The scenario file: the network, the history and the six variants.
fn scenario_text(cfg: &DemoConfig, layout: &Layout) -> String {
    let (x0, y0, x1, y1) = layout.extent;
    let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
    let (city, cell_ids, busy_bytes) = (&layout.city, &layout.cell_ids, &layout.busy_bytes);
    let (positions, rings, n_agg_pairs) = (&layout.positions, &layout.rings, layout.n_agg_pairs);
    let n_sites = positions.len();

    // The variants.
    let end = START_S + 86_400 * cfg.days as i64;
    let at = |day: i64| iso((START_S + 86_400 * day).min(end - 3600));
    let retilt: String =
        cell_ids.iter().take(6).map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    // The new site goes 150 m from the busiest site, towards the city centre, on a 25 m mast.
    let busiest = (0..n_sites).max_by(|&a, &b| {
        let load = |s: usize| busy_bytes[3 * s..3 * s + 3].iter().sum::<f64>();
        load(a).total_cmp(&load(b))
    });
    let busiest = busiest.unwrap_or(0);
    let (bx, by) = positions[busiest];
    let norm = ((cx - bx).powi(2) + (cy - by).powi(2)).sqrt().max(1.0);
    let (nx, ny) = (bx + 150.0 * (cx - bx) / norm, by + 150.0 * (cy - by) / norm);
    let new_node = format!("CSR{busiest:02}");
    let mut rehome = String::new();
    if let Some(ring) = rings.first() {
        let target = if n_agg_pairs > 1 { "AGG3" } else { "AGG2" };
        for &s in ring {
            write!(rehome, "\n[[variant.at]]\ntime = \"{}\"\nop = \"rehome\"\nsite = \"S{s:02}\"\nnode = \"{target}\"\n", at(91)).ok();
        }
    }
    format!(
        r#"# The built-in demo scenario of the network twin (written by `twin demo`).
name = "demo-city"
seed = {seed}

[window]
start = "{start}"
end = "{end}"
interval_s = 3600

[network]
sites = "sites.csv"
cells = "cells.csv"
scene = "procedural"
topology = "nodes.csv"
links = "links.csv"
homing = "homing.csv"

[network.city]
blocks_x = {bx}
blocks_y = {by}
block_m = {bm}
street_m = {sm}
median_height_m = {mh}

[history]
traffic = "traffic.csv"
settlement = "settlement.csv"
rate_cards = "rate_cards.csv"
demand_density = "density.csv"

[settlement]
kind = "monthly_batch"
records_per_s = 2000.0

[grid]
cell_m = {grid}


# Re-tilt a cluster of two sites from March.
[[variant]]
name = "retilt-cluster"
[[variant.at]]
time = "{march}"
op = "set-tilt"
cells = [{retilt}]
deg = 8.0

# A new site beside the busiest one, from June.
[[variant]]
name = "new-site"
[[variant.at]]
time = "{june}"
op = "add-site"
site = "N1"
x_m = {nx:.1}
y_m = {ny:.1}
like = "{like}"
height_m = 25.0
node = "{new_node}"

# The first access ring moves to another aggregation pair in April.
[[variant]]
name = "rehome-ring"
{rehome}
# Per-session settlement on a ledger instead of monthly batches.
[[variant]]
name = "per-session-settlement"
[[variant.at]]
op = "settlement-mode"
mode = {{ kind = "per_session", block_interval_s = 2.0, block_capacity = 2000 }}
"#,
        seed = cfg.seed,
        start = iso(START_S),
        end = iso(end),
        bx = city.blocks_x,
        by = city.blocks_y,
        bm = city.block_m,
        sm = city.street_m,
        mh = city.median_height_m,
        grid = cfg.grid_m,
        march = at(60),
        june = at(152),
        like = cell_ids.get(3 * busiest).map_or("", String::as_str),
    ) + &ran_variants(busiest, &at(152), &at(244))
}

/// The radio-access variants: a second carrier on the busiest site from June, and a firmware
/// roll-out from September, with the profile it rolls out.
fn ran_variants(busiest: usize, june: &str, september: &str) -> String {
    format!(
        r#"
# A RAN feature profile for the firmware roll-out variant (cells start on the built-in
# tr36942: the attenuated Shannon bound, one layer).
[[ran.profiles]]
name = "nr-256qam-4x4"
link = "cqi-256qam"
mimo_layers = 4
control_overhead = 0.14
scheduler_efficiency = 0.9

# A second carrier (3.54 GHz, 20 MHz) on every cell of the busiest site, from June.
[[variant]]
name = "second-carrier"
[[variant.at]]
time = "{june}"
op = "add-carrier"
site = "S{busiest:02}"
freq_hz = 3540000000
bandwidth_hz = 20000000

# A firmware with 256QAM and four MIMO layers on every cell, from September.
[[variant]]
name = "firmware-256qam-4x4"
[[variant.at]]
time = "{september}"
op = "set-profile"
profile = "nr-256qam-4x4"
"#
    )
}
