//! Radio benchmarks on the Paris Etoile scene (`../shared/data/scenes/etoile`): BVH build, rays
//! per second (primary rays, and rays followed through up to three reflections), and a full
//! coverage map.
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
use radio::geometry::{fibonacci_direction, to_f32};
use radio::propagation::TraceConfig;
use radio::scene::{Bvh, Ray, Scene, intersect, mitsuba};
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
    let triangles = scene.triangles().to_vec();
    group.bench_function("build_etoile", |b| {
        b.iter_batched(
            || triangles.clone(),
            |mut t| black_box(Bvh::build(&mut t)),
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
    group.throughput(Throughput::Elements(n));
    group.sample_size(20);
    group.bench_function("primary_closest_hit", |b| {
        b.iter(|| {
            let mut hits = 0u32;
            for i in 0..n {
                let d = fibonacci_direction(i, n);
                let ray = Ray::new(to_f32(&tx.position), to_f32(&d), 1e-3, 1e4);
                hits += u32::from(
                    intersect::closest_hit(scene.bvh_nodes(), scene.triangles(), &ray).is_some(),
                );
            }
            black_box(hits)
        })
    });
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

criterion_group!(benches, bvh_build, rays, coverage);
criterion_main!(benches);
