//! Frame times of the viewer, headless (the window's renderer and overlay into an offscreen
//! target, waiting for the GPU to finish each frame), on the machine's first adapter:
//!
//! * the demo run's largest layers: the 1 m building raster of the whole city under the RSRP
//!   raster, with sites, links and the unserved areas, at 1600×1000;
//! * a synthetic run at the issue's scale: a 2048×2048 (4.2 megapixel) raster and 10 000 links
//!   between 2 000 nodes, all on screen, at 1600×1000, in the single and difference views.
//!
//! ```text
//! cargo bench -p twin-benches --bench viewer
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use scenarios::demo::{DemoConfig, write_demo};
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::{RunDirOptions, write_run_dir};
use scenarios::scenario::validate;
use twin_format::view::{
    FORMAT, FORMAT_VERSION, GridInfo, LinkGlyph, NodeGlyph, PLANES, StateEntry, VariantEntry,
    ViewIndex,
};
use viewer::headless::Headless;
use viewer::render::Compare;
use viewer::{RunData, initial_view};

const W: u32 = 1600;
const H: u32 = 1000;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("twin-viewer-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The demo run (a year of the default demo; the replay takes a while).
fn demo_run() -> PathBuf {
    let dir = scratch("demo");
    let path = write_demo(&dir, &DemoConfig::default()).expect("demo");
    let plan = validate(&path).expect("valid demo");
    let replayer = Replayer::new(&plan, ReplayOptions::default(), None).expect("replayer");
    let results = replayer.run_all(&|_| {}).expect("replay");
    let out = dir.join("run");
    let opts = RunDirOptions {
        timings: &[],
        coverage_maps_cached: 0,
        coverage_maps_traced: 0,
        intervals_per_row: 24,
        radio_backend: "cpu",
        views: None,
        existing: twin_format::Existing::Refuse,
    };
    write_run_dir(&out, &plan, &results, &replayer.geometry(), &opts).expect("run directory");
    out
}

fn f32_file(path: &Path, values: impl Iterator<Item = f32>) {
    let bytes: Vec<u8> = values.flat_map(f32::to_le_bytes).collect();
    std::fs::write(path, bytes).expect("write");
}

/// A run directory with an `n × n` raster and `links` links, two variants of one state each.
fn synthetic_run(n: usize, n_nodes: usize, links: usize) -> PathBuf {
    let dir = scratch("synthetic").join("run");
    std::fs::create_dir_all(dir.join("view/baseline")).expect("dir");
    std::fs::create_dir_all(dir.join("view/variant")).expect("dir");
    std::fs::write(dir.join("manifest.json"), "{}").expect("manifest");
    let cell = 2.0;
    let extent = n as f64 * cell;
    let nodes: Vec<NodeGlyph> = (0..n_nodes)
        .map(|i| {
            let (a, r) =
                (i as f64 * 2.399_963, extent * 0.48 * ((i as f64 + 0.5) / n_nodes as f64).sqrt());
            NodeGlyph {
                name: format!("N{i}"),
                role: if i < 4 { "core".into() } else { "cell_site".into() },
                x_m: 0.5 * extent + r * a.cos(),
                y_m: 0.5 * extent + r * a.sin(),
                laid_out: false,
            }
        })
        .collect();
    let link_glyphs: Vec<LinkGlyph> = (0..links)
        .map(|j| LinkGlyph {
            name: format!("L{j}"),
            from: j % n_nodes,
            to: (j * 7 + 1 + j / n_nodes) % n_nodes,
            capacity_bps: 1e10,
        })
        .collect();
    let mut variants = Vec::new();
    for (v, name) in ["baseline", "variant"].iter().enumerate() {
        let planes = (0..PLANES.len()).flat_map(|p| {
            (0..n * n).map(move |i| {
                let (x, y) = ((i % n) as f32, (i / n) as f32);
                let s = (x * 0.01).sin() * (y * 0.013).cos();
                match p {
                    0 => -90.0 + 25.0 * s + v as f32,
                    1 => 10.0 + 12.0 * s,
                    2 => ((x / 97.0) as i32 * 7 + (y / 83.0) as i32) as f32,
                    3 => 60.0 + 50.0 * s,
                    _ => 2.0,
                }
            })
        });
        f32_file(&dir.join(format!("view/{name}/state-0.bin")), planes);
        f32_file(
            &dir.join(format!("view/{name}/links.bin")),
            (0..links * 4).map(|k| (k % 97) as f32 / 97.0),
        );
        variants.push(VariantEntry {
            name: (*name).into(),
            links_file: format!("{name}/links.bin"),
            states: vec![StateEntry {
                from: 0,
                file: format!("{name}/state-0.bin"),
                cells: Vec::new(),
                links_down: vec![3, 5, 8],
            }],
        });
    }
    let index = ViewIndex {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        twin_version: "bench".into(),
        scenario: "synthetic".into(),
        start: "2025-01-01T00:00:00Z".into(),
        interval_s: 3600,
        intervals: 4,
        grid: GridInfo { x_min_m: 0.0, y_min_m: 0.0, cell_m: cell, nx: n, ny: n },
        planes: PLANES.iter().map(|p| (*p).to_string()).collect(),
        buildings: None,
        nodes,
        links: link_glyphs,
        variants,
        rsrp_range_dbm: None,
    };
    std::fs::write(dir.join("view/index.json"), serde_json::to_string(&index).expect("json"))
        .expect("index");
    dir
}

fn frames(c: &mut Criterion) {
    let mut headless = match Headless::new() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("SKIPPING viewer benchmarks: {e}");
            return;
        }
    };
    eprintln!("viewer benchmarks on {}", headless.gpu.adapter);
    let mut g = c.benchmark_group("viewer_frame");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(2));

    let demo = RunData::open(&demo_run()).expect("demo run");
    let b = demo.index.buildings.as_ref().map_or(0, |b| b.grid.nx * b.grid.ny);
    eprintln!(
        "demo: raster {}×{}, buildings {b} cells, {} links",
        demo.index.grid.nx,
        demo.index.grid.ny,
        demo.index.links.len()
    );
    let view = initial_view(&demo, W, H);
    headless.frame(&demo, &view, W, H).expect("demo frame");
    g.bench_function("demo_buildings_rsrp_1600x1000", |bch| {
        bch.iter(|| headless.frame(&demo, &view, W, H).expect("frame"));
    });

    let synthetic = RunData::open(&synthetic_run(2048, 2000, 10_000)).expect("synthetic run");
    let mut view = initial_view(&synthetic, W, H);
    headless.frame(&synthetic, &view, W, H).expect("synthetic frame");
    g.bench_function("raster_4mp_10k_links_1600x1000", |bch| {
        bch.iter(|| headless.frame(&synthetic, &view, W, H).expect("frame"));
    });
    view.variant = 1;
    view.compare = Compare::Difference;
    headless.frame(&synthetic, &view, W, H).expect("synthetic difference frame");
    g.bench_function("raster_4mp_10k_links_difference_1600x1000", |bch| {
        bch.iter(|| headless.frame(&synthetic, &view, W, H).expect("frame"));
    });
    g.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
