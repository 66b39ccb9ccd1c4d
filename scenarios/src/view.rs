//! The viewer's data in a run directory (`view/`), projected from the replay's results into the
//! run format ([`twin_format::view`], where the files are documented): each state's serving
//! map as raster planes, each interval's link utilisation, the building heights, and the
//! transport nodes laid out where the topology gives no position.
//!
//! The replay owns the serving maps ([`crate::replay::StateSnapshot`]); this module only
//! converts and writes them.

use std::collections::BTreeMap;
use std::path::Path;

use sim_core::geo::{GeoPoint, LocalFrame};
use transport::topology::{Position, Role};
use twin_format::view::{
    self, BuildingsInfo, CellGlyph, FORMAT, FORMAT_VERSION, GridInfo, LinkGlyph, NodeGlyph, PLANES,
    StateEntry, StateRaster, VariantEntry, ViewIndex, variant_dir,
};

use crate::error::ScenarioError;
use crate::replay::{RunGeometry, StateSnapshot, VariantResult};
use crate::scenario::Plan;

/// The grid of a replay as the format describes it.
pub fn grid_info(grid: &radio::Grid) -> GridInfo {
    GridInfo {
        x_min_m: grid.x_min_m,
        y_min_m: grid.y_min_m,
        cell_m: grid.cell_m,
        nx: grid.nx,
        ny: grid.ny,
    }
}

/// The cells of a state as the viewer draws them.
fn glyphs(s: &StateSnapshot) -> Vec<CellGlyph> {
    s.cells
        .iter()
        .enumerate()
        .map(|(i, c)| CellGlyph {
            id: c.id.clone(),
            site: c.site_id.clone(),
            x_m: c.position.x,
            y_m: c.position.y,
            azimuth_deg: c.antenna.orientation.azimuth_deg,
            active: s.active.get(i).copied().unwrap_or(true),
        })
        .collect()
}

/// A state's raster planes: RSRP and SINR where finite, the best server (−1 none), the peak
/// throughput of served points (the serving cell's bandwidth times the point's spectral
/// efficiency: what one user gets from an empty cell), and the status.
pub fn raster(s: &StateSnapshot, outdoor: &[bool]) -> StateRaster {
    let finite = |v: f32| if v.is_finite() { v } else { f32::NAN };
    let n = s.serving.len();
    let mut r = StateRaster {
        rsrp_dbm: Vec::with_capacity(n),
        sinr_db: Vec::with_capacity(n),
        best_server: Vec::with_capacity(n),
        throughput_mbps: Vec::with_capacity(n),
        status: Vec::with_capacity(n),
    };
    for (i, p) in s.serving.iter().enumerate() {
        let served = p.best.and_then(|b| s.cells.get(b));
        let tput = served
            .map_or(0.0, |c| (c.bandwidth_hz * f64::from(p.spectral_efficiency) / 1e6) as f32);
        r.rsrp_dbm.push(finite(p.rsrp_dbm));
        r.sinr_db.push(finite(p.sinr_db));
        r.best_server.push(p.best.map_or(-1.0, |b| b as f32));
        r.throughput_mbps.push(if p.best.is_some() { finite(tput) } else { f32::NAN });
        r.status.push(if p.best.is_some() {
            2.0
        } else if outdoor.get(i).copied().unwrap_or(false) {
            1.0
        } else {
            0.0
        });
    }
    r
}

/// Positions of the topology's nodes: the topology's own (local metres; geographic ones through
/// the inventory's origin, on WGS84), else the mean position of the sites homed to the node, else
/// the mean of its placed neighbours (repeated until nothing changes), nudged apart where several
/// fall on one spot.
fn lay_out(plan: &Plan) -> Vec<NodeGlyph> {
    let topo = &plan.topology;
    let ids = topo.node_ids();
    let index: BTreeMap<u32, usize> = ids.iter().enumerate().map(|(i, id)| (id.0, i)).collect();
    // Geographic positions go into the inventory's local frame (WGS84 east-north-up, the frame
    // the sites themselves were placed in).
    let frame = plan
        .inventory
        .origin
        .and_then(|(lat, lon)| GeoPoint::new(lat, lon, 0.0).ok())
        .map(LocalFrame::new);
    let mut pos: Vec<Option<(f64, f64)>> = ids
        .iter()
        .map(|id| match topo.node(*id).ok()?.position? {
            Position::Local { x_m, y_m } => Some((x_m, y_m)),
            Position::Geo { lat_deg, lon_deg } => {
                let e = frame.as_ref()?.to_enu(&GeoPoint::new(lat_deg, lon_deg, 0.0).ok()?);
                Some((e.east_m, e.north_m))
            }
        })
        .collect();
    let given: Vec<bool> = pos.iter().map(Option::is_some).collect();
    let mut sums: Vec<(f64, f64, usize)> = vec![(0.0, 0.0, 0); ids.len()];
    for (s, node) in plan.homing.iter().enumerate() {
        if let (Some(&i), Some(site)) = (index.get(&node.0), plan.inventory.sites.get(s)) {
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
        .filter_map(|(a, b)| Some((*index.get(&a.0)?, *index.get(&b.0)?)))
        .collect();
    place_among_neighbours(&mut pos, &ends);
    spread(plan, &ids, &pos, &given)
}

/// Places each unplaced node at the mean of its placed neighbours, until nothing changes.
fn place_among_neighbours(pos: &mut [Option<(f64, f64)>], ends: &[(usize, usize)]) {
    loop {
        let mut placed = Vec::new();
        for i in 0..pos.len() {
            if pos[i].is_some() {
                continue;
            }
            let near: Vec<(f64, f64)> = ends
                .iter()
                .filter_map(|&(a, b)| match (a == i, b == i) {
                    (true, _) => pos.get(b).copied().flatten(),
                    (_, true) => pos.get(a).copied().flatten(),
                    _ => None,
                })
                .collect();
            if !near.is_empty() {
                let n = near.len() as f64;
                let x = near.iter().map(|p| p.0).sum::<f64>() / n;
                let y = near.iter().map(|p| p.1).sum::<f64>() / n;
                placed.push((i, (x, y)));
            }
        }
        if placed.is_empty() {
            return;
        }
        for (i, p) in placed {
            pos[i] = Some(p);
        }
    }
}

/// The node glyphs, laid-out nodes on one spot (both cores at the centre of everything) spread
/// on a small circle.
fn spread(
    plan: &Plan,
    ids: &[transport::NodeId],
    pos: &[Option<(f64, f64)>],
    given: &[bool],
) -> Vec<NodeGlyph> {
    let topo = &plan.topology;
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

/// The building layer: the scene's heights above the ground, whole metres.
fn buildings(
    view: &Path,
    scene: Option<&radio::Scene>,
) -> Result<Option<BuildingsInfo>, ScenarioError> {
    let Some(scene) = scene else { return Ok(None) };
    let dsm = scene.dsm();
    let ground = scene.ground().map_or(0.0, |g| f64::from(g.z));
    let heights: Vec<u8> = dsm
        .heights
        .iter()
        .map(|h| ((f64::from(*h) - ground).round().clamp(0.0, 255.0)) as u8)
        .collect();
    view::write_buildings(&view.join("buildings.bin"), &heights)?;
    Ok(Some(BuildingsInfo {
        file: "buildings.bin".into(),
        grid: GridInfo {
            x_min_m: dsm.origin_x,
            y_min_m: dsm.origin_y,
            cell_m: dsm.cell_m,
            nx: dsm.nx,
            ny: dsm.ny,
        },
    }))
}

/// Writes one variant's rasters and link utilisation; returns its index entry.
fn write_variant(
    view: &Path,
    r: &VariantResult,
    geometry: &RunGeometry<'_>,
) -> Result<VariantEntry, ScenarioError> {
    let sub = variant_dir(&r.name);
    let vdir = view.join(&sub);
    std::fs::create_dir_all(&vdir).map_err(|e| twin_format::FsError::io(&vdir, e))?;
    let links_file = format!("{sub}/links.bin");
    view::write_f32s(&view.join(&links_file), &[&r.link_util])?;
    let mut states = Vec::with_capacity(r.snapshots.len());
    for (k, s) in r.snapshots.iter().enumerate() {
        let file = format!("{sub}/state-{k}.bin");
        view::write_raster(&view.join(&file), &raster(s, geometry.outdoor), geometry.grid.len())?;
        states.push(StateEntry {
            from: s.from,
            file,
            cells: glyphs(s),
            links_down: s.links_down.clone(),
        });
    }
    Ok(VariantEntry { name: r.name.clone(), links_file, states })
}

/// Writes `view/` into `dir` (a run directory being filled).
pub fn write_view(
    dir: &Path,
    plan: &Plan,
    results: &[VariantResult],
    geometry: &RunGeometry<'_>,
) -> Result<(), ScenarioError> {
    let view = dir.join("view");
    std::fs::create_dir_all(&view).map_err(|e| twin_format::FsError::io(&view, e))?;
    let buildings = buildings(&view, geometry.scene)?;
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
    let variants =
        results.iter().map(|r| write_variant(&view, r, geometry)).collect::<Result<_, _>>()?;
    let index = ViewIndex {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        twin_version: env!("CARGO_PKG_VERSION").into(),
        scenario: plan.name.clone(),
        start: chrono::DateTime::from_timestamp(plan.window.start_s, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default(),
        interval_s: plan.window.interval_s,
        intervals: plan.window.intervals,
        grid: grid_info(geometry.grid),
        planes: PLANES.iter().map(|p| (*p).to_string()).collect(),
        buildings,
        nodes: lay_out(plan),
        links,
        variants,
        rsrp_range_dbm: match twin_format::palette::fitted_rsrp_scale(
            results
                .iter()
                .flat_map(|r| r.snapshots.iter())
                .flat_map(|s| crate::replay::PointServing::served_rsrp(&s.serving)),
        ) {
            twin_format::palette::Scale::Continuous { min, max, .. } => Some([min, max]),
            _ => None,
        },
    };
    Ok(view::write_index(&view, &index)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::small_plan;

    #[test]
    fn nodes_are_laid_out_at_their_sites_or_in_the_sites_frame() {
        let mut plan = small_plan();
        // A node placed geographically, 1 km north of the inventory's origin, and one without
        // a position and without sites, linked to nothing.
        plan.inventory.origin = Some((48.85, 2.35));
        let north =
            transport::Position::Geo { lat_deg: 48.85 + 1_000.0 / 111_200.0, lon_deg: 2.35 };
        plan.topology.add_node("GEO", Role::Core, Some(north)).unwrap();
        let glyphs = lay_out(&plan);
        let geo = glyphs.iter().find(|g| g.name == "GEO").unwrap();
        let frame = LocalFrame::new(GeoPoint::new(48.85, 2.35, 0.0).unwrap());
        let e = frame.to_enu(&GeoPoint::new(48.85 + 1_000.0 / 111_200.0, 2.35, 0.0).unwrap());
        assert_eq!((geo.x_m, geo.y_m), (e.east_m, e.north_m));
        assert!((geo.y_m - 1_000.0).abs() < 10.0 && geo.x_m.abs() < 1e-6, "{geo:?}");
        assert!(!geo.laid_out);
        // A cell-site router sits at the mean of the sites homed to it (nudged 60 m aside
        // when an aggregation node laid out among its neighbours landed on the same spot).
        let node = plan.homing[0];
        let name = plan.topology.node(node).unwrap().name.clone();
        let csr = glyphs.iter().find(|g| g.name == name).unwrap();
        let site = &plan.inventory.sites[0];
        let off = (csr.x_m - site.x_m).hypot(csr.y_m - site.y_m);
        assert!(csr.laid_out && (off < 1e-9 || (off - 60.0).abs() < 1e-9), "{csr:?}: {off} m");
    }
}
