//! Shooting and bouncing rays onto the analysis grid: the reflected part of a coverage map.
//!
//! `N` rays leave the transmitter along a Fibonacci lattice, each standing for a solid angle
//! `4π/N` and carrying the antenna's field in its direction. At every surface the ray reflects
//! specularly and its field is multiplied by the Fresnel coefficients. Each segment after at
//! least one reflection that crosses the grid's horizontal plane adds, to the cell it crosses,
//!
//! ```text
//!   ΔPG = λ²/(4π) · |E|² / (N · A_cell · |cos θ|)
//! ```
//!
//! where θ is the angle between the ray and the vertical: the ray tube's power divided by the
//! area it covers on the plane, times the effective area of an isotropic antenna. In expectation
//! over ray density this is exactly the free-space power density of each reflected image; it is
//! the estimator of Sionna RT's radio maps.
//!
//! The direct path is not counted here: it is computed exactly per grid point.
//!
//! Rays are processed in fixed chunks of [`CHUNK`] on the rayon pool, each chunk listing its
//! contributions, and the lists are added up in chunk order, so the map is bit-identical for any
//! number of threads.

use rayon::prelude::*;

use super::field::{complex, power, reflect_dir, reflect_field};
use super::paths::SURFACE_EPS;
use super::{TraceConfig, Transmitter};
use crate::geometry::{fibonacci_directions, to_f32, to_vec3};
use crate::grid::Grid;
use crate::material::ReflectionTable;
use crate::scene::{Ray, Scene};

/// Rays per work item.
pub const CHUNK: u64 = 4096;

/// Accumulates the reflected path gain of `tx` on `grid`. `outdoor[i]` says whether grid point
/// `i` can receive. Returns one value per grid point.
pub fn reflections(
    scene: &Scene,
    tx: &Transmitter,
    grid: &Grid,
    outdoor: &[bool],
    cfg: &TraceConfig,
) -> Vec<f64> {
    let n = cfg.rays;
    let depth = cfg.max_depth as usize;
    let mut total = vec![0.0; grid.len()];
    if depth == 0 {
        return total;
    }
    let lambda = tx.wavelength_m();
    let scale = lambda * lambda / (4.0 * std::f64::consts::PI) / (n as f64 * grid.cell_area_m2());
    let diag = to_vec3(scene.bounds().max) - to_vec3(scene.bounds().min);
    let t_far = 2.0 * (diag.norm() + (tx.position - to_vec3(scene.bounds().min)).norm()) + 1.0;
    let h = grid.height_m;
    let reflectors: Vec<ReflectionTable> =
        scene.materials().iter().map(|m| ReflectionTable::new(&m.at(tx.freq_hz))).collect();
    let n_chunks = n.div_ceil(CHUNK);
    let parts: Vec<Vec<(u32, f64)>> = (0..n_chunks)
        .into_par_iter()
        .map(|chunk| {
            let mut out = Vec::with_capacity(2 * CHUNK as usize);
            let mut stack = Vec::new();
            for first_dir in fibonacci_directions(chunk * CHUNK, ((chunk + 1) * CHUNK).min(n), n) {
                let mut dir = first_dir;
                let mut origin = tx.position;
                // The antenna's field is only needed once the ray has hit something: most rays
                // towards the sky never do.
                let mut e = None;
                for bounce in 0..=depth {
                    let ray =
                        Ray::new(to_f32(&origin), to_f32(&dir), SURFACE_EPS as f32, t_far as f32);
                    // Where this segment would cross the grid's plane, if it counts.
                    let crossing = if bounce > 0 && dir.z != 0.0 {
                        let t = (h - origin.z) / dir.z;
                        let p = origin + dir * t;
                        (t > 0.0)
                            .then(|| grid.cell_of(p.x, p.y))
                            .flatten()
                            .filter(|&cell| outdoor[cell])
                            .map(|cell| (t, cell))
                    } else {
                        None
                    };
                    if bounce == depth {
                        // The last segment only matters if it reaches the plane unobstructed:
                        // an occlusion test up to the crossing, or nothing at all.
                        if let (Some((t, cell)), Some(e)) = (crossing, &e) {
                            let short = Ray { t_max: t as f32, ..ray };
                            if !scene.occluded_ray(&short) {
                                out.push((cell as u32, power(e) / dir.z.abs()));
                            }
                        }
                        break;
                    }
                    let hit = scene.trace(&ray, &mut stack);
                    let seg_len = hit.map_or(t_far, |x| f64::from(x.t));
                    if let (Some((t, cell)), Some(e)) = (crossing, &e)
                        && t < seg_len
                    {
                        out.push((cell as u32, power(e) / dir.z.abs()));
                    }
                    let Some(hit) = hit else { break };
                    let plane = scene.planes()[hit.plane as usize];
                    let n_in =
                        if plane.normal.dot(&dir) > 0.0 { -plane.normal } else { plane.normal };
                    let cos_theta = -n_in.dot(&dir);
                    let r = reflectors[plane.material as usize].reflection(cos_theta);
                    let incident = e.unwrap_or_else(|| complex(&tx.antenna.field(&dir)));
                    e = Some(reflect_field(&incident, &dir, &n_in, &r));
                    let p = origin + dir * f64::from(hit.t);
                    dir = reflect_dir(&dir, &n_in);
                    origin = p + n_in * SURFACE_EPS;
                }
            }
            out
        })
        .collect();
    for part in parts {
        for (cell, c) in part {
            total[cell as usize] += c * scale;
        }
    }
    total
}
