//! A small run directory written once per test binary through the run format's writers, with
//! values the tests know: two sites of three cells 400 m apart on a 10 m grid, blocks of
//! buildings, a day of hourly intervals, and three variants: `retilt` (cells weaker
//! from noon), `cut` (the link AGG1-AGG2 down from the start) and `ledger` (the baseline's radio).
//!
//! The viewer reads run directories through the format crate alone, so its tests make their own
//! instead of running the replay; the scenarios' tests check that `twin run` writes the same
//! format.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use twin_format::run::{InputDigest, Manifest, ManifestWindow, write_json};
use twin_format::view::{
    BuildingsInfo, CellGlyph, FORMAT, FORMAT_VERSION, GridInfo, LinkGlyph, NodeGlyph, PLANES,
    StateEntry, StateRaster, VariantEntry, ViewIndex, write_buildings, write_f32s, write_index,
    write_raster,
};
use viewer::headless::Headless;

/// A scratch directory unique to this process and `name`, emptied.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("twin-viewer-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const HOURS: usize = 24;
const GRID: GridInfo = GridInfo { x_min_m: -300.0, y_min_m: -300.0, cell_m: 10.0, nx: 100, ny: 60 };
/// The building layer: 5 m cells over the same area.
const BUILDINGS: GridInfo =
    GridInfo { x_min_m: -300.0, y_min_m: -300.0, cell_m: 5.0, nx: 200, ny: 120 };

/// (id, x, y, azimuth) of the cells.
const CELLS: [(&str, f64, f64, f64); 6] = [
    ("A-1", 0.0, 0.0, 0.0),
    ("A-2", 0.0, 0.0, 120.0),
    ("A-3", 0.0, 0.0, 240.0),
    ("B-1", 400.0, 0.0, 0.0),
    ("B-2", 400.0, 0.0, 120.0),
    ("B-3", 400.0, 0.0, 240.0),
];

/// Blocks of 60 m on a 100 m pitch, clear of the sites.
fn indoor(x: f64, y: f64) -> bool {
    let (u, v) = ((x + 350.0).rem_euclid(100.0), (y + 350.0).rem_euclid(100.0));
    let near_site = CELLS.iter().any(|c| (x - c.1).hypot(y - c.2) < 40.0);
    (20.0..80.0).contains(&u) && (20.0..80.0).contains(&v) && !near_site
}

/// RSRP of cell `c` at (x, y), dBm: a log-distance loss and a sector pattern; `weaker` takes
/// off what a down-tilt takes far from the site.
fn rsrp(c: usize, x: f64, y: f64, weaker: bool) -> f64 {
    let (_, cx, cy, az) = CELLS[c];
    let d = (x - cx).hypot(y - cy).max(10.0);
    let bearing = (x - cx).atan2(y - cy).to_degrees();
    let off = ((bearing - az + 540.0).rem_euclid(360.0) - 180.0).abs();
    let tilt = if weaker { 8.0 * (d / 300.0).min(1.0) } else { 0.0 };
    -50.0 - 30.0 * (d / 10.0).log10() - 12.0 * (off / 65.0).powi(2).min(2.0) - tilt
}

/// A state's raster: best server, RSRP, SINR against the other cells and a noise floor, and a
/// Shannon throughput on 20 MHz; cells in `weaker` are the re-tilted ones.
fn raster(weaker: &[usize]) -> StateRaster {
    let mut r = StateRaster::default();
    for iy in 0..GRID.ny {
        for ix in 0..GRID.nx {
            let x = GRID.x_min_m + (ix as f64 + 0.5) * GRID.cell_m;
            let y = GRID.y_min_m + (iy as f64 + 0.5) * GRID.cell_m;
            if indoor(x, y) {
                for (plane, v) in [
                    (&mut r.rsrp_dbm, f32::NAN),
                    (&mut r.sinr_db, f32::NAN),
                    (&mut r.best_server, -1.0),
                    (&mut r.throughput_mbps, f32::NAN),
                    (&mut r.status, 0.0),
                ] {
                    plane.push(v);
                }
                continue;
            }
            let p: Vec<f64> =
                (0..CELLS.len()).map(|c| rsrp(c, x, y, weaker.contains(&c))).collect();
            let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            let mw = |dbm: f64| 10f64.powf(dbm / 10.0);
            let others: f64 = (0..p.len()).filter(|&c| c != best).map(|c| 0.5 * mw(p[c])).sum();
            let sinr = 10.0 * (mw(p[best]) / (others + mw(-125.0))).log10();
            let served = p[best] >= -110.0 && sinr >= -6.0;
            let tput = 20.0 * (1.0 + 10f64.powf(sinr / 10.0)).log2().min(5.5);
            r.rsrp_dbm.push(p[best] as f32);
            r.sinr_db.push(sinr as f32);
            r.best_server.push(if served { best as f32 } else { -1.0 });
            r.throughput_mbps.push(if served { tput as f32 } else { f32::NAN });
            r.status.push(if served { 2.0 } else { 1.0 });
        }
    }
    r
}

fn glyphs() -> Vec<CellGlyph> {
    CELLS
        .iter()
        .map(|&(id, x_m, y_m, azimuth_deg)| CellGlyph {
            id: id.into(),
            site: id[..1].into(),
            x_m,
            y_m,
            azimuth_deg,
            active: true,
        })
        .collect()
}

/// The transport network: AGG1 at site A, AGG2 at site B, a core north of them; duplex links
/// named as a links CSV names them.
fn network() -> (Vec<NodeGlyph>, Vec<LinkGlyph>) {
    let node = |name: &str, role: &str, x_m, y_m| NodeGlyph {
        name: name.into(),
        role: role.into(),
        x_m,
        y_m,
        laid_out: false,
    };
    let nodes = vec![
        node("AGG1", "aggregation", 0.0, 0.0),
        node("AGG2", "aggregation", 400.0, 0.0),
        node("CORE", "core", 200.0, 300.0),
    ];
    let mut links = Vec::new();
    for (name, a, b) in [("AGG1-CORE", 0, 2), ("AGG2-CORE", 1, 2), ("AGG1-AGG2", 0, 1)] {
        links.push(LinkGlyph { name: name.into(), from: a, to: b, capacity_bps: 1e9 });
        let reverse = format!("{name} (reverse)");
        links.push(LinkGlyph { name: reverse, from: b, to: a, capacity_bps: 1e9 });
    }
    (nodes, links)
}

/// Writes one variant's files: its states' rasters and its link utilisation (`cut`: the link
/// AGG1-AGG2, both directions, carries nothing and is down).
fn variant(view: &Path, name: &str, states: &[(usize, &[usize])], cut: bool) -> VariantEntry {
    std::fs::create_dir_all(view.join(name)).unwrap();
    let n_links = 6;
    let util: Vec<f32> = (0..HOURS * n_links)
        .map(|i| {
            let (k, l) = (i / n_links, i % n_links);
            // Both directions of a link alike: the viewer draws them on top of each other.
            if cut && l >= 4 { 0.0 } else { 0.05 + 0.03 * (k as f32) + 0.1 * ((l / 2) as f32) }
        })
        .collect();
    write_f32s(&view.join(format!("{name}/links.bin")), &[&util]).unwrap();
    let states = states
        .iter()
        .enumerate()
        .map(|(k, &(from, weaker))| {
            let file = format!("{name}/state-{k}.bin");
            write_raster(&view.join(&file), &raster(weaker), GRID.len()).unwrap();
            let links_down = if cut { vec![4, 5] } else { Vec::new() };
            StateEntry { from, file, cells: glyphs(), links_down }
        })
        .collect();
    VariantEntry { name: name.into(), links_file: format!("{name}/links.bin"), states }
}

fn write_run(out: &Path) {
    let view = out.join("view");
    std::fs::create_dir_all(&view).unwrap();
    let heights: Vec<u8> = (0..BUILDINGS.len())
        .map(|i| {
            let x = BUILDINGS.x_min_m + ((i % BUILDINGS.nx) as f64 + 0.5) * BUILDINGS.cell_m;
            let y = BUILDINGS.y_min_m + ((i / BUILDINGS.nx) as f64 + 0.5) * BUILDINGS.cell_m;
            if indoor(x, y) { 20 } else { 0 }
        })
        .collect();
    write_buildings(&view.join("buildings.bin"), &heights).unwrap();
    let variants = vec![
        variant(&view, "baseline", &[(0, &[])], false),
        variant(&view, "retilt", &[(0, &[]), (12, &[0, 1])], false),
        variant(&view, "cut", &[(0, &[])], true),
        variant(&view, "ledger", &[(0, &[])], false),
    ];
    let (nodes, links) = network();
    let names = variants.iter().map(|v| v.name.clone()).collect();
    let index = ViewIndex {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        twin_version: "viewer-tests".into(),
        scenario: "viewer-small".into(),
        start: "2024-03-31T00:00:00Z".into(),
        interval_s: 3600,
        intervals: HOURS,
        grid: GRID,
        planes: PLANES.iter().map(|p| p.to_string()).collect(),
        buildings: Some(BuildingsInfo { file: "buildings.bin".into(), grid: BUILDINGS }),
        nodes,
        links,
        variants,
        // A fitted range, as `twin run` writes it: the pictures are checked against it.
        rsrp_range_dbm: Some([-110.0, -50.0]),
    };
    write_index(&view, &index).unwrap();
    let manifest = Manifest {
        coverage_maps_cached: 0,
        coverage_maps_traced: 0,
        inputs: vec![InputDigest { path: "scenario.toml".into(), sha256: "0".repeat(64) }],
        radio_backend: "synthetic".into(),
        scenario: "viewer-small".into(),
        seed: 7,
        timings_s: Default::default(),
        variants: names,
        version: "viewer-tests".into(),
        window: ManifestWindow {
            end: "2024-04-01T00:00:00Z".into(),
            interval_s: 3600,
            intervals: HOURS,
            start: "2024-03-31T00:00:00Z".into(),
        },
    };
    write_json(&out.join(twin_format::run::MANIFEST), &manifest).unwrap();
}

/// The run directory, written once.
pub(crate) fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = scratch("run").join("run");
        write_run(&out);
        out
    })
}

/// A copy of the run directory to damage.
pub(crate) fn copy_of_run(name: &str) -> PathBuf {
    let dst = scratch(name).join("run");
    copy_dir(run_dir(), &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// The headless renderer, or `None` (after a loud notice) where skipping was asked for.
pub(crate) fn headless() -> Option<Headless> {
    match Headless::new() {
        Ok(h) => {
            eprintln!("viewer tests on {}", h.gpu.adapter);
            Some(h)
        }
        Err(e) if std::env::var("RADIO_GPU_TESTS").as_deref() == Ok("skip") => {
            eprintln!("!!! VIEWER GPU TESTS SKIPPED (RADIO_GPU_TESTS=skip): {e}");
            None
        }
        Err(e) => panic!("{e}\n(set RADIO_GPU_TESTS=skip to skip the GPU tests knowingly)"),
    }
}
