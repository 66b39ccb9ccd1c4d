//! Radio benchmarks on the Paris Etoile scene (`../shared/data/scenes/etoile`): BVH build, rays
//! per second (primary rays, and rays followed through up to three reflections), and a full
//! coverage map on the CPU and on the GPU tracer (the machine's first adapter).
//!
//! ```text
//! cargo bench -p twin-benches --bench radio
//! ```
//!
//! The transmitter stands 10 m above the Arc de Triomphe's roof (the scene's tallest structure,
//! near its centre) with the TR 38.901 element pattern pointing east; the grid has 5 m cells at
//! 1.5 m over the whole scene, as in `benches/peers/sionna_radiomap.py`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use radio::antenna::Tr38901;
use radio::geometry::{fibonacci_direction, to_f32, to_vec3};
use radio::propagation::TraceConfig;
use radio::scene::{Bvh, Bvh4, Ray, Scene, mitsuba};
use radio::{
    Antenna, CpuTracer, Grid, Orientation, Pattern, Polarization, Propagation, Transmitter, vec3,
};

fn etoile_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/scenes/etoile/etoile.xml")
}

fn load() -> Option<Scene> {
    let path = etoile_path();
    match mitsuba::load(&path) {
        Ok(scene) => Some(scene),
        Err(e) => {
            eprintln!("SKIPPING radio benchmarks: cannot load {}: {e}", path.display());
            None
        }
    }
}

fn transmitter() -> Transmitter {
    let orientation = Orientation { azimuth_deg: 90.0, mech_tilt_deg: 0.0, elec_tilt_deg: 0.0 };
    Transmitter {
        position: vec3(-127.4, 38.1, 60.0),
        freq_hz: 3.5e9,
        antenna: Antenna::new(
            Pattern::Tr38901(Tr38901::default()),
            Polarization::Vertical,
            orientation,
        )
        .expect("valid antenna"),
    }
}

fn bvh_build(c: &mut Criterion) {
    let Some(scene) = load() else { return };
    let mut group = c.benchmark_group("bvh");
    group.throughput(Throughput::Elements(scene.n_triangles() as u64));
    group.sample_size(20);
    let triangles = scene.triangles()[..scene.n_bvh_triangles()].to_vec();
    group.throughput(Throughput::Elements(triangles.len() as u64));
    group.bench_function("build_etoile", |b| {
        b.iter_batched(
            || triangles.clone(),
            |mut t| {
                let bvh = Bvh::build(&mut t);
                black_box(Bvh4::from_binary(&bvh, &t))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn rays(c: &mut Criterion) {
    let Some(scene) = load() else { return };
    let tx = transmitter();
    let n = 100_000u64;
    let mut group = c.benchmark_group("rays");
    group.sample_size(20);
    let origin = to_f32(&tx.position);
    let mut stack = Vec::new();
    // Primary rays: one closest-hit query per ray, over the whole sphere of directions.
    group.throughput(Throughput::Elements(n));
    group.bench_function("primary_closest_hit", |b| {
        b.iter(|| {
            let mut hits = 0u32;
            for i in 0..n {
                let d = fibonacci_direction(i, n);
                let ray = Ray::new(origin, to_f32(&d), 1e-3, 1e4);
                hits += u32::from(scene.trace(&ray, &mut stack).is_some());
            }
            black_box(hits)
        })
    });
    // Rays followed through up to three specular bounces; the figure counts ray segments
    // traced (closest-hit queries), the unit of work of a bouncing tracer.
    let mut segments = 0u64;
    let mut bounce_all = |count: &mut u64| {
        for i in 0..n {
            let mut d = fibonacci_direction(i, n);
            let mut o = tx.position;
            for _ in 0..4 {
                *count += 1;
                let ray = Ray::new(to_f32(&o), to_f32(&d), 1e-3, 1e4);
                let Some(hit) = scene.trace(&ray, &mut stack) else { break };
                let normal = scene.planes()[hit.plane as usize].normal;
                let n_in = if normal.dot(&d) > 0.0 { -normal } else { normal };
                o = o + d * f64::from(hit.t) + n_in * 1e-3;
                d = d - n_in * (2.0 * d.dot(&n_in));
            }
        }
    };
    bounce_all(&mut segments);
    group.throughput(Throughput::Elements(segments));
    group.bench_function("segments_depth3", |b| {
        b.iter(|| {
            let mut count = 0u64;
            bounce_all(&mut count);
            black_box(count)
        })
    });
    let _ = to_vec3([0.0; 3]);
    group.finish();
}

fn coverage(c: &mut Criterion) {
    let Some(scene) = load() else { return };
    let tx = transmitter();
    let grid = Grid::covering(&scene.bounds(), 5.0, 1.5).expect("valid grid");
    let mut group = c.benchmark_group("coverage");
    group.sample_size(10);
    for (name, rays) in [("etoile_1e5_rays", 100_000u64), ("etoile_1e6_rays", 1_000_000)] {
        let cfg = TraceConfig { rays, max_depth: 3, diffraction: false, ..TraceConfig::default() };
        // Throughput counts launched rays; each is followed through up to three reflections.
        group.throughput(Throughput::Elements(rays));
        group.bench_function(name, |b| {
            b.iter(|| black_box(CpuTracer.coverage(&scene, &tx, &grid, &cfg).expect("traces")))
        });
    }
    group.finish();
}

/// The same maps on the GPU tracer, on the machine's first adapter (lavapipe where there is no
/// GPU: then these figures measure Mesa's software Vulkan, not a GPU). Also with knife-edge
/// diffraction on (the default of the twin), on both backends.
fn coverage_gpu(c: &mut Criterion) {
    let Some(scene) = load() else { return };
    let gpu = match radio::gpu::GpuTracer::new() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("!!! SKIPPING the GPU coverage benchmarks: {e}");
            return;
        }
    };
    eprintln!("GPU coverage benchmarks on {}", gpu.context().adapter);
    let tx = transmitter();
    let grid = Grid::covering(&scene.bounds(), 5.0, 1.5).expect("valid grid");
    let mut group = c.benchmark_group("coverage_gpu");
    group.sample_size(10);
    for (name, rays) in [("etoile_1e5_rays", 100_000u64), ("etoile_1e6_rays", 1_000_000)] {
        let cfg = TraceConfig { rays, max_depth: 3, diffraction: false, ..TraceConfig::default() };
        group.throughput(Throughput::Elements(rays));
        group.bench_function(name, |b| {
            b.iter(|| black_box(gpu.coverage(&scene, &tx, &grid, &cfg).expect("traces")))
        });
    }
    group.finish();
    let cfg = TraceConfig { rays: 1_000_000, max_depth: 3, ..TraceConfig::default() };
    let mut group = c.benchmark_group("coverage_diffraction");
    group.sample_size(10);
    group.throughput(Throughput::Elements(cfg.rays));
    group.bench_function("cpu_etoile_1e6_rays", |b| {
        b.iter(|| black_box(CpuTracer.coverage(&scene, &tx, &grid, &cfg).expect("traces")))
    });
    group.bench_function("gpu_etoile_1e6_rays", |b| {
        b.iter(|| black_box(gpu.coverage(&scene, &tx, &grid, &cfg).expect("traces")))
    });
    group.finish();
}

criterion_group!(benches, bvh_build, rays, coverage, coverage_gpu);
criterion_main!(benches);
