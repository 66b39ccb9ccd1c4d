//! The viewer's data in a run directory (`view/`): what `twin-view` draws, written by `twin run`
//! beside the KPI tables.
//!
//! ```text
//! view/index.json             format and version, the grid, the window, transport nodes (laid
//!                             out where the topology gives no position) and links, and per
//!                             variant its states: first interval, cells (position, azimuth,
//!                             active), links down, the raster file
//! view/buildings.bin          the scene's building heights, u8 metres per surface-model cell
//! view/<variant>/state-K.bin  five f32 planes of nx·ny values, little-endian, row 0 south:
//!                             RSRP dBm, SINR dB, best server (index into the state's cells,
//!                             -1 none), peak throughput Mbit/s, status (0 indoor, 1 outdoor
//!                             unserved, 2 served); NaN where a value does not exist
//! view/<variant>/links.bin    f32 utilisation per interval and link, row-major by interval
//! ```
//!
//! Every file but `index.json` is read lazily by the viewer: a state's rasters when an interval
//! of it is on screen, one interval's row of `links.bin` at a time. The format is documented in
//! `docs/viewer.md`; [`FORMAT_VERSION`] changes when a reader of the old one would misread it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use transport::topology::{Position, Role, Topology};

use crate::error::ScenarioError;
use crate::replay::VariantResult;
use crate::scenario::Plan;

/// The format's name in `index.json`.
pub const FORMAT: &str = "twin-view";
/// The format's version in `index.json`.
pub const FORMAT_VERSION: u32 = 1;
/// The planes of a state's raster file, in order.
pub const PLANES: [&str; 5] = ["rsrp_dbm", "sinr_db", "best_server", "throughput_mbps", "status"];

/// A cell as the viewer draws it: a sector wedge at its site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellGlyph {
    /// Cell identifier.
    pub id: String,
    /// Site identifier.
    pub site: String,
    /// Position east, scene metres.
    pub x_m: f64,
    /// Position north, scene metres.
    pub y_m: f64,
    /// Azimuth, degrees clockwise from north.
    pub azimuth_deg: f64,
    /// False for a cell switched off in this state.
    pub active: bool,
}

/// One grid point of a state's serving map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ViewPoint {
    /// Best server (index into the state's cells), if the point is served.
    pub best: Option<u32>,
    /// RSRP of the best cell, dBm.
    pub rsrp_dbm: f32,
    /// SINR, dB.
    pub sinr_db: f32,
    /// Peak downlink throughput, Mbit/s: the serving cell's bandwidth times the point's
    /// spectral efficiency (what one user gets from an empty cell); 0 where unserved (kept
    /// free of NaN so that replays compare equal).
    pub throughput_mbps: f32,
}

/// One state of a variant as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateView {
    /// First interval of the state.
    pub from: usize,
    /// The state's cells.
    pub cells: Vec<CellGlyph>,
    /// Indices of the links (in the topology's order) down in this state: failed, or with a
    /// failed end node.
    pub links_down: Vec<usize>,
    /// The serving map, one entry per grid point.
    #[serde(skip)]
    pub map: Vec<ViewPoint>,
}

impl StateView {
    /// The view of a state: its cells, links down and serving map (best cell, RSRP, SINR,
    /// spectral efficiency per point).
    pub(crate) fn new(
        from: usize,
        cells: &[radio::Cell],
        active: &[bool],
        topology: &Topology,
        serving: &[(Option<usize>, f32, f32, f32)],
    ) -> StateView {
        let glyphs = cells
            .iter()
            .enumerate()
            .map(|(i, c)| CellGlyph {
                id: c.id.clone(),
                site: c.site_id.clone(),
                x_m: c.position.x,
                y_m: c.position.y,
                azimuth_deg: c.antenna.orientation.azimuth_deg,
                active: active.get(i).copied().unwrap_or(true),
            })
            .collect();
        let links_down = topology
            .link_ids()
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                let up = topology.link(**l).is_ok_and(|x| x.up);
                let ends_up = topology.endpoints(**l).is_ok_and(|(a, b)| {
                    topology.node(a).is_ok_and(|n| n.up) && topology.node(b).is_ok_and(|n| n.up)
                });
                !(up && ends_up)
            })
            .map(|(j, _)| j)
            .collect();
        let map = serving
            .iter()
            .map(|&(best, rsrp, sinr, se)| ViewPoint {
                best: best.map(|b| b as u32),
                rsrp_dbm: rsrp,
                sinr_db: sinr,
                throughput_mbps: best
                    .and_then(|b| cells.get(b))
                    .map_or(0.0, |c| (c.bandwidth_hz * f64::from(se) / 1e6) as f32),
            })
            .collect();
        StateView { from, cells: glyphs, links_down, map }
    }
}

/// A transport node as the viewer draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeGlyph {
    /// Node name.
    pub name: String,
    /// Its role (`core`, `aggregation`, `cell_site`, ...).
    pub role: String,
    /// Position east, scene metres.
    pub x_m: f64,
    /// Position north, scene metres.
    pub y_m: f64,
    /// True where the topology gives no position and the writer placed the node (at its sites,
    /// or among its neighbours).
    pub laid_out: bool,
}

/// A transport link as the viewer draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkGlyph {
    /// Link name.
    pub name: String,
    /// Index of one end in the nodes.
    pub from: usize,
    /// Index of the other end.
    pub to: usize,
    /// Capacity, bit/s.
    pub capacity_bps: f64,
}

/// The grid of the rasters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridInfo {
    /// West edge, scene metres.
    pub x_min_m: f64,
    /// South edge, scene metres.
    pub y_min_m: f64,
    /// Cell size, metres.
    pub cell_m: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
}

/// The building layer's raster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildingsInfo {
    /// The file, relative to `view/`.
    pub file: String,
    /// The raster's grid (cell size of the scene's surface model).
    pub grid: GridInfo,
}

/// One state in `index.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateEntry {
    /// First interval.
    pub from: usize,
    /// The raster file, relative to `view/`.
    pub file: String,
    /// The state's cells.
    pub cells: Vec<CellGlyph>,
    /// Links down.
    pub links_down: Vec<usize>,
}

/// One variant in `index.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantEntry {
    /// "baseline" or the variant's name.
    pub name: String,
    /// Link utilisation per interval, relative to `view/`.
    pub links_file: String,
    /// Its states, in time order.
    pub states: Vec<StateEntry>,
}

/// `view/index.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewIndex {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The twin's version that wrote it.
    pub twin_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Window start, ISO 8601 UTC.
    pub start: String,
    /// Interval length, seconds.
    pub interval_s: u32,
    /// Intervals in the window.
    pub intervals: usize,
    /// The rasters' grid.
    pub grid: GridInfo,
    /// The planes of each raster file, in order ([`PLANES`]).
    pub planes: Vec<String>,
    /// The building layer, if the scenario has a scene.
    pub buildings: Option<BuildingsInfo>,
    /// Transport nodes.
    pub nodes: Vec<NodeGlyph>,
    /// Transport links, in the order of the links files' columns.
    pub links: Vec<LinkGlyph>,
    /// Baseline first, then the variants.
    pub variants: Vec<VariantEntry>,
}

/// The directory name of a variant's files.
pub fn variant_dir(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

/// Positions of the topology's nodes: the topology's own (local metres; geographic ones through
/// the inventory's origin), else the mean position of the sites homed to the node, else the
/// mean of its placed neighbours (repeated until nothing changes), nudged apart where several
/// fall on one spot.
fn lay_out(plan: &Plan) -> Vec<NodeGlyph> {
    let topo = &plan.topology;
    let ids = topo.node_ids();
    let mut pos: Vec<Option<(f64, f64)>> = vec![None; ids.len()];
    let mut given = vec![false; ids.len()];
    let index: BTreeMap<String, usize> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| topo.node(*id).ok().map(|n| (n.name.clone(), i)))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        if let Ok(n) = topo.node(*id) {
            pos[i] = match n.position {
                Some(Position::Local { x_m, y_m }) => Some((x_m, y_m)),
                Some(Position::Geo { lat_deg, lon_deg }) => plan.inventory.origin.map(|o| {
                    let r = 6_371_000.0f64;
                    let x = (lon_deg - o.1).to_radians() * r * o.0.to_radians().cos();
                    let y = (lat_deg - o.0).to_radians() * r;
                    (x, y)
                }),
                None => None,
            };
            given[i] = pos[i].is_some();
        }
    }
    let mut sums: Vec<(f64, f64, usize)> = vec![(0.0, 0.0, 0); ids.len()];
    for (s, node) in plan.homing.iter().enumerate() {
        if let (Some(&i), Some(site)) = (index.get(node), plan.inventory.sites.get(s)) {
            sums[i].0 += site.x_m;
            sums[i].1 += site.y_m;
            sums[i].2 += 1;
        }
    }
    for i in 0..ids.len() {
        if pos[i].is_none() && sums[i].2 > 0 {
            pos[i] = Some((sums[i].0 / sums[i].2 as f64, sums[i].1 / sums[i].2 as f64));
        }
    }
    let ends: Vec<(usize, usize)> = topo
        .link_ids()
        .iter()
        .filter_map(|l| topo.endpoints(*l).ok())
        .map(|(a, b)| (a.0 as usize, b.0 as usize))
        .collect();
    loop {
        let mut placed = Vec::new();
        for i in 0..ids.len() {
            if pos[i].is_some() {
                continue;
            }
            let near: Vec<(f64, f64)> = ends
                .iter()
                .filter_map(|&(a, b)| {
                    if a == i {
                        pos.get(b).copied().flatten()
                    } else if b == i {
                        pos.get(a).copied().flatten()
                    } else {
                        None
                    }
                })
                .collect();
            if !near.is_empty() {
                let n = near.len() as f64;
                placed.push((
                    i,
                    (
                        near.iter().map(|p| p.0).sum::<f64>() / n,
                        near.iter().map(|p| p.1).sum::<f64>() / n,
                    ),
                ));
            }
        }
        if placed.is_empty() {
            break;
        }
        for (i, p) in placed {
            pos[i] = Some(p);
        }
    }
    // Nodes on one spot (both cores at the centre of everything) are spread on a small circle.
    let mut glyphs: Vec<NodeGlyph> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let (name, role) = topo.node(*id).map_or((String::new(), String::new()), |n| {
            let role = match n.role {
                Role::CellSite => "cell_site",
                Role::Aggregation => "aggregation",
                Role::Core => "core",
                Role::Interconnect => "interconnect",
                Role::Other => "other",
            };
            (n.name.clone(), role.to_string())
        });
        let (x, y) = pos[i].unwrap_or((0.0, 0.0));
        let same = glyphs.iter().filter(|g| (g.x_m - x).hypot(g.y_m - y) < 1.0).count();
        let (x, y) = if same > 0 && !given[i] {
            let a = same as f64 * 2.4;
            (x + 60.0 * a.cos(), y + 60.0 * a.sin())
        } else {
            (x, y)
        };
        glyphs.push(NodeGlyph { name, role, x_m: x, y_m: y, laid_out: !given[i] });
    }
    glyphs
}

fn io(path: &Path, e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::io(path, e)
}

fn write_f32s(path: &Path, planes: &[&[f32]]) -> Result<(), ScenarioError> {
    let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    for plane in planes {
        w.write_all(bytemuck::cast_slice(plane)).map_err(|e| io(path, e))?;
    }
    w.flush().map_err(|e| io(path, e))
}

/// Where a run's maps lie: the grid, which of its points are outdoor, and the scene (if any).
#[derive(Debug, Clone, Copy)]
pub struct RunGeometry<'a> {
    /// The replay's grid.
    pub grid: &'a radio::Grid,
    /// Outdoor flag per grid point.
    pub outdoor: &'a [bool],
    /// The scene, for the building layer.
    pub scene: Option<&'a radio::Scene>,
}

/// Writes `view/` into `dir` (a run directory being filled).
pub fn write_view(
    dir: &Path,
    plan: &Plan,
    results: &[VariantResult],
    geometry: &RunGeometry<'_>,
) -> Result<(), ScenarioError> {
    let (grid, scene) = (geometry.grid, geometry.scene);
    let view = dir.join("view");
    std::fs::create_dir_all(&view).map_err(|e| io(&view, e))?;
    let n = grid.nx * grid.ny;
    let buildings = match scene {
        Some(scene) => {
            let dsm = scene.dsm();
            let ground = scene.ground().map_or(0.0, |g| f64::from(g.z));
            let heights: Vec<u8> = dsm
                .heights
                .iter()
                .map(|h| ((f64::from(*h) - ground).round().clamp(0.0, 255.0)) as u8)
                .collect();
            let path = view.join("buildings.bin");
            std::fs::write(&path, &heights).map_err(|e| io(&path, e))?;
            Some(BuildingsInfo {
                file: "buildings.bin".into(),
                grid: GridInfo {
                    x_min_m: dsm.origin_x,
                    y_min_m: dsm.origin_y,
                    cell_m: dsm.cell_m,
                    nx: dsm.nx,
                    ny: dsm.ny,
                },
            })
        }
        None => None,
    };
    let nodes = lay_out(plan);
    let topo = &plan.topology;
    let links: Vec<LinkGlyph> = topo
        .link_ids()
        .iter()
        .filter_map(|l| {
            let link = topo.link(*l).ok()?;
            let (a, b) = topo.endpoints(*l).ok()?;
            Some(LinkGlyph {
                name: link.name.clone(),
                from: a.0 as usize,
                to: b.0 as usize,
                capacity_bps: link.capacity_bps,
            })
        })
        .collect();
    let mut variants = Vec::new();
    for r in results {
        let sub = variant_dir(&r.name);
        let vdir = view.join(&sub);
        std::fs::create_dir_all(&vdir).map_err(|e| io(&vdir, e))?;
        let links_file = format!("{sub}/links.bin");
        write_f32s(&view.join(&links_file), &[&r.link_util])?;
        let mut states = Vec::new();
        for (k, sv) in r.state_views.iter().enumerate() {
            if sv.map.len() != n {
                return Err(ScenarioError::Replay(format!(
                    "state {k} of {} has {} map points for a grid of {n}",
                    r.name,
                    sv.map.len()
                )));
            }
            let mut planes = vec![vec![f32::NAN; n]; PLANES.len()];
            for (i, p) in sv.map.iter().enumerate() {
                let finite = |v: f32| if v.is_finite() { v } else { f32::NAN };
                let outdoor = geometry.outdoor.get(i).copied().unwrap_or(false);
                planes[0][i] = finite(p.rsrp_dbm);
                planes[1][i] = finite(p.sinr_db);
                planes[2][i] = p.best.map_or(-1.0, |b| b as f32);
                planes[3][i] = if p.best.is_some() { finite(p.throughput_mbps) } else { f32::NAN };
                planes[4][i] = if p.best.is_some() {
                    2.0
                } else if outdoor {
                    1.0
                } else {
                    0.0
                };
            }
            let file = format!("{sub}/state-{k}.bin");
            let refs: Vec<&[f32]> = planes.iter().map(Vec::as_slice).collect();
            write_f32s(&view.join(&file), &refs)?;
            states.push(StateEntry {
                from: sv.from,
                file,
                cells: sv.cells.clone(),
                links_down: sv.links_down.clone(),
            });
        }
        variants.push(VariantEntry { name: r.name.clone(), links_file, states });
    }
    let step = i64::from(plan.scenario.window.interval_s);
    let index = ViewIndex {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        twin_version: env!("CARGO_PKG_VERSION").into(),
        scenario: plan.scenario.name.clone(),
        start: chrono::DateTime::from_timestamp(plan.start_s, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default(),
        interval_s: u32::try_from(step).unwrap_or(u32::MAX),
        intervals: plan.intervals,
        grid: GridInfo {
            x_min_m: grid.x_min_m,
            y_min_m: grid.y_min_m,
            cell_m: grid.cell_m,
            nx: grid.nx,
            ny: grid.ny,
        },
        planes: PLANES.iter().map(|p| (*p).to_string()).collect(),
        buildings,
        nodes,
        links,
        variants,
    };
    let path = view.join("index.json");
    let text = serde_json::to_string_pretty(&index).map_err(|e| io(&path, e))?;
    std::fs::write(&path, text).map_err(|e| io(&path, e))
}
