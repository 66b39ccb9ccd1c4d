//! The GPU tracer (feature `gpu`) against the CPU tracer, on whatever adapter the machine has:
//! a real GPU, or Mesa's lavapipe (software Vulkan, installed by `.ci/run`). A machine with no
//! adapter at all fails these tests with a message saying so; set `RADIO_GPU_TESTS=skip` to skip
//! them knowingly.
#![cfg(feature = "gpu")]

use radio::geometry::vec3;
use radio::gpu::{ClosestHit, GpuContext, GpuRay, GpuScene, WGSL_FILES, shader_sources};
use radio::scene::procedural::{CityParams, city};
use radio::scene::{Ray, Scene, mitsuba};
use radio::{SceneOptions, Vec3};
use rand::RngExt;

/// The device, or `None` (after a loud notice) where skipping was asked for.
pub(crate) fn context() -> Option<GpuContext> {
    match GpuContext::new() {
        Ok(ctx) => {
            eprintln!("GPU tests on {}", ctx.adapter);
            Some(ctx)
        }
        Err(e) if std::env::var("RADIO_GPU_TESTS").as_deref() == Ok("skip") => {
            eprintln!("!!! GPU TESTS SKIPPED (RADIO_GPU_TESTS=skip): {e}");
            None
        }
        Err(e) => panic!("{e}\n(set RADIO_GPU_TESTS=skip to skip the GPU tests knowingly)"),
    }
}

#[test]
fn every_wgsl_file_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gpu");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = WGSL_FILES.iter().map(|s| s.0.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every WGSL file is compiled into the crate");
    let kernels = shader_sources();
    for (file, text) in WGSL_FILES {
        assert!(kernels.iter().any(|k| k.1.contains(text)), "{file} is part of no kernel");
    }
    for (name, source) in &kernels {
        let module = naga::front::wgsl::parse_str(source)
            .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
    }
}

/// Random rays from points of the scene's box, half of them aimed at the ground side.
fn rays(scene: &Scene, n: usize, seed: u64) -> Vec<Ray> {
    let b = scene.bounds();
    let mut rng = sim_core::RngStreams::new(seed).stream("gpu test rays");
    (0..n)
        .map(|_| {
            let o = vec3(
                rng.random_range(f64::from(b.min[0])..f64::from(b.max[0])),
                rng.random_range(f64::from(b.min[1])..f64::from(b.max[1])),
                rng.random_range(1.5..60.0),
            );
            let z: f64 = rng.random_range(-1.0..0.6);
            let phi: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let r = (1.0 - z * z).sqrt();
            let d: Vec3 = vec3(r * phi.cos(), r * phi.sin(), z);
            Ray::new(radio::geometry::to_f32(&o), radio::geometry::to_f32(&d), 1e-3, 1e5)
        })
        .collect()
}

/// The GPU's closest hits against the CPU's: the same surface (plane) and distance on all but a
/// few rays that graze an edge, where f32 rounding may decide differently.
fn agree(scene: &Scene, n: usize) {
    let Some(ctx) = context() else { return };
    let gpu_scene = GpuScene::upload(&ctx, scene).unwrap();
    let kernel = ClosestHit::new(&ctx);
    let rays = rays(scene, n, 7);
    let gpu_rays: Vec<GpuRay> = rays.iter().map(GpuRay::from).collect();
    let gpu = kernel.run(&ctx, &gpu_scene, &gpu_rays).unwrap();
    let mut stack = Vec::new();
    let mut differ = 0;
    let mut hits = 0;
    for (ray, g) in rays.iter().zip(&gpu) {
        let c = scene.trace(ray, &mut stack);
        hits += usize::from(c.is_some());
        let same = match (c, g) {
            (None, None) => true,
            (Some(c), Some((g, _))) => {
                c.plane == g.plane && (c.t - g.t).abs() <= 1e-3 * c.t.max(1.0)
            }
            _ => false,
        };
        differ += usize::from(!same);
    }
    assert!(hits > n / 4, "{hits} of {n} rays hit something: the test rays miss the scene");
    eprintln!("{hits} of {n} rays hit; {differ} differ between GPU and CPU");
    assert!(differ * 1000 <= n, "{differ} of {n} rays differ between GPU and CPU");
}

#[test]
fn closest_hits_match_the_cpu_on_a_procedural_city() {
    let built = city(&CityParams::default(), SceneOptions::default()).unwrap();
    agree(&built.scene, 200_000);
}

#[test]
fn closest_hits_match_the_cpu_on_etoile() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/scenes/etoile/etoile.xml");
    if !p.exists() {
        panic!("{} is missing", p.display());
    }
    agree(&mitsuba::load(&p).unwrap(), 200_000);
}

#[test]
fn a_scene_without_triangles_hits_only_the_ground() {
    let Some(ctx) = context() else { return };
    let scene = crate::common::ground_scene(&radio::Material::itu("concrete").unwrap(), 500.0);
    let gpu_scene = GpuScene::upload(&ctx, &scene).unwrap();
    let down = Ray::new([0.0, 0.0, 10.0], [0.0, 0.0, -1.0], 1e-3, 1e5);
    let up = Ray::new([0.0, 0.0, 10.0], [0.0, 0.0, 1.0], 1e-3, 1e5);
    let out = ClosestHit::new(&ctx)
        .run(&ctx, &gpu_scene, &[GpuRay::from(&down), GpuRay::from(&up)])
        .unwrap();
    let (hit, triangle) = out[0].unwrap();
    assert!((hit.t - 10.0).abs() < 1e-4, "{hit:?}");
    assert_eq!(triangle, None, "the ground is analytic");
    assert!(out[1].is_none());
}
