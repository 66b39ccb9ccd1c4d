//! Property tests: the BVH finds what brute force finds; no path carries more than free space;
//! propagation is reciprocal.

use proptest::prelude::*;
use radio::geometry::to_f32;
use radio::propagation::{Propagation, field};
use radio::scene::{Ray, intersect};
use radio::{CpuTracer, Material, Polarization, SceneBuilder, Vec3, vec3};

use crate::common::*;

fn v3() -> impl Strategy<Value = Vec3> {
    (-50.0f64..50.0, -50.0f64..50.0, -50.0f64..50.0).prop_map(|(x, y, z)| vec3(x, y, z))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any ray that hits a triangle of a random soup is found by both hierarchies, at the same
    /// distance as a brute-force search.
    #[test]
    fn bvh_finds_the_closest_hit(
        soup in prop::collection::vec((v3(), v3(), v3()), 1..200),
        origin in v3(),
        target in v3(),
    ) {
        let mut b = SceneBuilder::new();
        let m = b.material(Material::itu("concrete").unwrap());
        let mut verts = Vec::new();
        let mut faces = Vec::new();
        for (a, bb, c) in &soup {
            let k = verts.len() as u32;
            verts.extend([*a, *bb, *c]);
            faces.push([k, k + 1, k + 2]);
        }
        b.add_mesh("soup", m, verts, faces).unwrap();
        let Ok(scene) = b.build(options(4.0)) else { return Ok(()) };
        let d = target - origin;
        prop_assume!(d.norm() > 1e-3);
        let dir = d.normalize();
        let ray = Ray::new(to_f32(&origin), to_f32(&dir), 1e-4, 1e4);
        // Brute force over every triangle, the ground's included.
        let brute = scene.triangles().iter().filter_map(|t| intersect::intersect_triangle(&ray, t, 1e4).map(|h| h.0)).fold(f32::INFINITY, f32::min);
        let traced = scene.closest_hit(&origin, &dir, 1e-4, 1e4).map_or(f32::INFINITY, |h| h.t);
        prop_assert_eq!(traced, brute);
        // The hierarchies alone, over the triangles they cover.
        let covered = &scene.triangles()[..scene.n_bvh_triangles()];
        let brute_bvh = covered.iter().filter_map(|t| intersect::intersect_triangle(&ray, t, 1e4).map(|h| h.0)).fold(f32::INFINITY, f32::min);
        let binary = intersect::closest_hit(scene.bvh_nodes(), scene.triangles(), &ray).map_or(f32::INFINITY, |h| h.t);
        let wide = intersect::closest_hit4(scene.bvh4(), &ray).map_or(f32::INFINITY, |h| h.t);
        prop_assert_eq!(binary, brute_bvh);
        prop_assert_eq!(wide, brute_bvh);
        prop_assert_eq!(intersect::any_hit4(scene.bvh4(), &ray), brute_bvh.is_finite());
        prop_assert_eq!(scene.occluded(&origin, &(origin + dir * 1e4), 1e-4), brute.is_finite() && brute < 1e4 - 1e-4);
    }
}

/// A small random city: a ground plane and a few boxes.
fn boxes_scene(boxes: &[(f64, f64, f64, f64, f64)]) -> radio::Scene {
    let mut b = SceneBuilder::new();
    let ground_m = Material::itu("medium_dry_ground").unwrap();
    ground(&mut b, &ground_m, 120.0);
    let wall = Material::itu("brick").unwrap();
    for (i, &(x, y, w, d, h)) in boxes.iter().enumerate() {
        let c =
            [vec3(x, y, 0.0), vec3(x + w, y, 0.0), vec3(x + w, y + d, 0.0), vec3(x, y + d, 0.0)];
        for k in 0..4 {
            let (p, q) = (c[k], c[(k + 1) % 4]);
            quad(
                &mut b,
                &format!("box {i} wall {k}"),
                &wall,
                [p, q, q + vec3(0.0, 0.0, h), p + vec3(0.0, 0.0, h)],
            );
        }
        quad(&mut b, &format!("box {i} roof"), &wall, c.map(|p| p + vec3(0.0, 0.0, h)));
    }
    b.build(options(1.0)).unwrap()
}

fn boxes() -> impl Strategy<Value = Vec<(f64, f64, f64, f64, f64)>> {
    prop::collection::vec(
        (-90.0f64..70.0, -90.0f64..70.0, 5.0f64..20.0, 5.0f64..20.0, 4.0f64..30.0),
        1..4,
    )
}

fn endpoint() -> impl Strategy<Value = Vec3> {
    (-110.0f64..110.0, -110.0f64..110.0, 1.0f64..40.0).prop_map(|(x, y, z)| vec3(x, y, z))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// In a passive scene no single path carries more power than free space over the straight
    /// distance, for isotropic antennas.
    #[test]
    fn no_path_beats_free_space(scene_boxes in boxes(), a in endpoint(), b in endpoint()) {
        prop_assume!((a - b).norm() > 5.0);
        let scene = boxes_scene(&scene_boxes);
        let tx = tx_at(a, 3.5e9, Polarization::Vertical);
        let r = &CpuTracer.points(&scene, &tx, &[b], &coherent(Polarization::Vertical, 2)).unwrap()[0];
        let lambda = tx.wavelength_m();
        let free_space = (lambda / (4.0 * std::f64::consts::PI * (a - b).norm())).powi(2);
        for p in &r.paths {
            prop_assert!(field::power(&p.field) <= free_space * (1.0 + 1e-9), "path {:?} exceeds free space", p.interactions);
            prop_assert!(p.length_m >= (a - b).norm() - 1e-9);
        }
    }

    /// Swapping transmitter and receiver (both isotropic, vertically polarised) gives the same
    /// coherent path gain within 0.01 dB.
    #[test]
    fn propagation_is_reciprocal(scene_boxes in boxes(), a in endpoint(), b in endpoint()) {
        prop_assume!((a - b).norm() > 5.0);
        let scene = boxes_scene(&scene_boxes);
        let cfg = coherent(Polarization::Vertical, 2);
        let ab = &CpuTracer.points(&scene, &tx_at(a, 3.5e9, Polarization::Vertical), &[b], &cfg).unwrap()[0];
        let ba = &CpuTracer.points(&scene, &tx_at(b, 3.5e9, Polarization::Vertical), &[a], &cfg).unwrap()[0];
        prop_assert_eq!(ab.paths.len(), ba.paths.len());
        if ab.path_gain > 0.0 {
            let diff = 10.0 * (ab.path_gain / ba.path_gain).log10();
            prop_assert!(diff.abs() < 0.01, "{} vs {} dB", 10.0 * ab.path_gain.log10(), 10.0 * ba.path_gain.log10());
        }
    }
}

#[test]
fn image_paths_obey_the_law_of_reflection() {
    let scene = boxes_scene(&[(10.0, -10.0, 20.0, 20.0, 25.0)]);
    let tx = tx_at(vec3(-40.0, 5.0, 10.0), 3.5e9, Polarization::Vertical);
    let rx = vec3(-20.0, 0.0, 1.5);
    let r = &CpuTracer.points(&scene, &tx, &[rx], &coherent(Polarization::Vertical, 2)).unwrap()[0];
    let mut checked = 0;
    for p in r.paths.iter().filter(|p| p.reflections() > 0) {
        let mut prev = tx.position;
        let pts: Vec<Vec3> = p
            .interactions
            .iter()
            .filter_map(|i| match i {
                radio::propagation::Interaction::Reflection { point, .. } => Some(*point),
                _ => None,
            })
            .chain(std::iter::once(rx))
            .collect();
        for (k, i) in p.interactions.iter().enumerate() {
            let radio::propagation::Interaction::Reflection { plane, point } = i else { continue };
            let n = scene.planes()[*plane as usize].normal;
            let k_in = (point - prev).normalize();
            let k_out = (pts[k + 1] - point).normalize();
            // Angle in equals angle out about the normal, and the three vectors are coplanar.
            assert!((k_in.dot(&n).abs() - k_out.dot(&n).abs()).abs() < 1e-6);
            assert!(k_in.cross(&k_out).dot(&n).abs() < 1e-6);
            prev = *point;
            checked += 1;
        }
    }
    assert!(
        checked >= 4,
        "expected reflections off the ground and the box, singly and in pairs: {checked}"
    );
}

/// A case the property test once found: the receiver 0.6 m from a wall, where a padding cell at
/// a raster block boundary used to pass for an edge in one direction of travel only.
#[test]
fn reciprocity_next_to_a_wall() {
    let scene = boxes_scene(&[(67.5523032818254, 37.60940401407149, 19.76225221263772, 5.0, 4.0)]);
    let a = vec3(80.88082799658244, 43.196521927551025, 1.0);
    let b = vec3(-41.19710864229059, -81.1736155063044, 1.0);
    let cfg = coherent(Polarization::Vertical, 2);
    let ab =
        &CpuTracer.points(&scene, &tx_at(a, 3.5e9, Polarization::Vertical), &[b], &cfg).unwrap()[0];
    let ba =
        &CpuTracer.points(&scene, &tx_at(b, 3.5e9, Polarization::Vertical), &[a], &cfg).unwrap()[0];
    assert_eq!(ab.paths.len(), ba.paths.len());
    assert!(ab.path_gain > 0.0);
    let diff = 10.0 * (ab.path_gain / ba.path_gain).log10();
    assert!(diff.abs() < 0.01, "{diff} dB");
}
