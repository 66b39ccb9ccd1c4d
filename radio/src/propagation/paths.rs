//! Exact paths to receiver points: the direct path with its knife edge, and specular reflection
//! paths by the image method.
//!
//! ```text
//!   candidates (plane sequences) ──► images of the transmitter ──► reflection points, back from
//!        │                                                          the receiver
//!        ├─ all sequences, when there are few planes                     │
//!        └─ sequences of rays shot from the transmitter that pass        ▼
//!           within a reception sphere of the receiver          visibility of every segment
//!                                                               (BVH), then the field
//! ```

use std::collections::BTreeSet;

use num_complex::Complex64;

use super::diffraction::{ProfileScratch, blocking_edge, dominant_edge, knife_edge_loss_db};
use super::field::{self, CVec3, complex, reflect_dir, reflect_field};
use super::{Interaction, Path, TraceConfig, Transmitter};
use crate::geometry::{Vec3, fibonacci_direction, to_f32};
use crate::scene::{Ray, Scene};

/// The longest reflection sequence a path can have (`TraceConfig::max_depth` is at most this).
pub const MAX_DEPTH: usize = 8;

/// A sequence of planes, shortest first when sorted: `(length, planes)`.
pub type Seq = (u8, [u32; MAX_DEPTH]);

/// Distance by which ray origins on a surface are lifted off it, metres.
pub(crate) const SURFACE_EPS: f64 = 1e-3;

/// The direct path from `tx` to `rx`, with the knife-edge loss of the dominant edge of its
/// profile. `None` if the receiver is at the transmitter, or if the path is obstructed and
/// diffraction is off.
pub fn direct_path(
    scene: &Scene,
    tx: &Transmitter,
    rx: &Vec3,
    cfg: &TraceConfig,
    scratch: &mut ProfileScratch,
) -> Option<Path> {
    let d = rx - tx.position;
    let dist = d.norm();
    if dist < 1e-6 {
        return None;
    }
    let lambda = tx.wavelength_m();
    let mut interactions = Vec::new();
    let mut departure = d / dist;
    let mut arrival = departure;
    let mut length = dist;
    let mut amplitude = lambda / (4.0 * std::f64::consts::PI * dist);
    if !cfg.diffraction {
        // Without diffraction the profile only decides whether the path exists.
        if blocking_edge(scene.dsm(), &tx.position, rx, lambda, scratch).is_some() {
            return None;
        }
    } else if let Some(edge) = dominant_edge(scene.dsm(), &tx.position, rx, lambda, scratch) {
        let loss_db = knife_edge_loss_db(edge.v);
        amplitude *= 10f64.powf(-loss_db / 20.0);
        interactions.push(Interaction::Diffraction { point: edge.point, v: edge.v, loss_db });
        if edge.v > 0.0 {
            let a = edge.point - tx.position;
            let b = rx - edge.point;
            departure = a.normalize();
            arrival = b.normalize();
            length = a.norm() + b.norm();
        }
    }
    let e0 = complex(&tx.antenna.field(&departure));
    let e = if interactions.is_empty() { e0 } else { field::transverse(&e0, &arrival) };
    let phase = Complex64::from_polar(1.0, -2.0 * std::f64::consts::PI * length / lambda);
    Some(Path { interactions, length_m: length, field: e * (phase * amplitude), arrival })
}

/// The mirror image of `p` in plane `plane` of the scene.
#[inline]
fn mirror(scene: &Scene, plane: u32, p: &Vec3) -> Vec3 {
    let pl = &scene.planes()[plane as usize];
    p - pl.normal * (2.0 * (pl.normal.dot(p) - pl.offset))
}

/// Where segment `a → b` crosses plane `plane`, if its ends lie strictly on opposite sides.
#[inline]
fn cross_plane(scene: &Scene, plane: u32, a: &Vec3, b: &Vec3) -> Option<Vec3> {
    let pl = &scene.planes()[plane as usize];
    let sa = pl.normal.dot(a) - pl.offset;
    let sb = pl.normal.dot(b) - pl.offset;
    // Both ends strictly on opposite sides (a NaN product fails too).
    let product = sa * sb;
    if product.is_nan() || product >= 0.0 {
        return None;
    }
    let t = sa / (sa - sb);
    Some(a + (b - a) * t)
}

/// True if the segment from `from` to `to` first meets the scene at `to`, on plane `plane`.
fn reaches_plane_at(scene: &Scene, from: &Vec3, to: &Vec3, plane: u32) -> bool {
    let d = to - from;
    let len = d.norm();
    if len < 2.0 * SURFACE_EPS {
        return false;
    }
    let tol = 2e-3 + 1e-5 * len;
    match scene.closest_hit(from, &(d / len), SURFACE_EPS, len + tol) {
        Some(hit) => f64::from(hit.t) >= len - tol && hit.plane == plane,
        None => false,
    }
}

/// The reflection path from `tx` to `rx` over the planes of `seq`, if it exists and is not
/// obstructed.
pub fn image_path(scene: &Scene, tx: &Transmitter, rx: &Vec3, seq: &[u32]) -> Option<Path> {
    let k = seq.len();
    if k == 0 || k > MAX_DEPTH {
        return None;
    }
    let mut images = [Vec3::zeros(); MAX_DEPTH + 1];
    images[0] = tx.position;
    for j in 0..k {
        if j > 0 && seq[j] == seq[j - 1] {
            return None;
        }
        images[j + 1] = mirror(scene, seq[j], &images[j]);
    }
    // Reflection points, from the receiver back to the transmitter.
    let mut points = [Vec3::zeros(); MAX_DEPTH];
    let mut target = *rx;
    for j in (0..k).rev() {
        let p = cross_plane(scene, seq[j], &target, &images[j + 1])?;
        points[j] = p;
        target = p;
    }
    // Visibility of every leg.
    let mut from = tx.position;
    for j in 0..k {
        if !reaches_plane_at(scene, &from, &points[j], seq[j]) {
            return None;
        }
        from = points[j];
    }
    if scene.occluded(&points[k - 1], rx, SURFACE_EPS) {
        return None;
    }
    // The field along the path.
    let lambda = tx.wavelength_m();
    let mut prev = tx.position;
    let mut length = 0.0;
    let first = (points[0] - tx.position).normalize();
    let mut e: CVec3 = complex(&tx.antenna.field(&first));
    let mut interactions = Vec::with_capacity(k);
    for j in 0..k {
        let leg = points[j] - prev;
        length += leg.norm();
        let k_i = leg.normalize();
        let plane = &scene.planes()[seq[j] as usize];
        let n = if plane.normal.dot(&k_i) > 0.0 { -plane.normal } else { plane.normal };
        let cos_theta = -n.dot(&k_i);
        let r = scene.materials()[plane.material as usize].reflection(cos_theta, tx.freq_hz);
        e = reflect_field(&e, &k_i, &n, &r);
        interactions.push(Interaction::Reflection { plane: seq[j], point: points[j] });
        prev = points[j];
    }
    let last = rx - prev;
    length += last.norm();
    let arrival = last.normalize();
    let amplitude = lambda / (4.0 * std::f64::consts::PI * length);
    let phase = Complex64::from_polar(amplitude, -2.0 * std::f64::consts::PI * length / lambda);
    Some(Path { interactions, length_m: length, field: e * phase, arrival })
}

/// The number of plane sequences of length 1 to `depth` without immediate repetition, saturating.
pub fn count_sequences(n_planes: u64, depth: u32) -> u64 {
    let mut total: u64 = 0;
    let mut level: u64 = n_planes;
    for _ in 0..depth {
        total = total.saturating_add(level);
        level = level.saturating_mul(n_planes.saturating_sub(1));
    }
    total
}

/// Every plane sequence of length 1 to `depth` without immediate repetition, shortest first.
pub fn all_sequences(n_planes: u32, depth: u32) -> Vec<Seq> {
    let mut out = Vec::new();
    let mut frontier: Vec<Seq> = (0..n_planes).map(|p| (1u8, one(p))).collect();
    for level in 1..=depth {
        out.extend_from_slice(&frontier);
        if level == depth {
            break;
        }
        let mut next = Vec::new();
        for (len, planes) in &frontier {
            for p in 0..n_planes {
                if p != planes[*len as usize - 1] {
                    let mut s = *planes;
                    s[*len as usize] = p;
                    next.push((len + 1, s));
                }
            }
        }
        frontier = next;
    }
    out
}

fn one(p: u32) -> [u32; MAX_DEPTH] {
    let mut s = [u32::MAX; MAX_DEPTH];
    s[0] = p;
    s
}

/// A uniform 2D hash of receiver points, for reception-sphere tests.
struct PointHash {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    /// Point indices sorted by cell, and each cell's start in that list.
    items: Vec<u32>,
    starts: Vec<u32>,
}

impl PointHash {
    fn new(points: &[Vec3]) -> PointHash {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in points {
            lo = [lo[0].min(p.x), lo[1].min(p.y)];
            hi = [hi[0].max(p.x), hi[1].max(p.y)];
        }
        let area = ((hi[0] - lo[0]) * (hi[1] - lo[1])).max(1.0);
        let cell = (area / points.len() as f64).sqrt().clamp(2.0, 50.0);
        let nx = ((hi[0] - lo[0]) / cell).floor() as usize + 1;
        let ny = ((hi[1] - lo[1]) / cell).floor() as usize + 1;
        let mut counts = vec![0u32; nx * ny + 1];
        let cell_of = |p: &Vec3| {
            let ix = (((p.x - lo[0]) / cell) as usize).min(nx - 1);
            let iy = (((p.y - lo[1]) / cell) as usize).min(ny - 1);
            iy * nx + ix
        };
        for p in points {
            counts[cell_of(p) + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let starts = counts.clone();
        let mut fill = counts;
        let mut items = vec![0u32; points.len()];
        for (i, p) in points.iter().enumerate() {
            let c = cell_of(p);
            items[fill[c] as usize] = i as u32;
            fill[c] += 1;
        }
        PointHash { x0: lo[0], y0: lo[1], cell, nx, ny, items, starts }
    }

    fn cell_points(&self, ix: usize, iy: usize) -> &[u32] {
        let c = iy * self.nx + ix;
        &self.items[self.starts[c] as usize..self.starts[c + 1] as usize]
    }
}

/// Candidate plane sequences per point, found by shooting `cfg.candidate_rays` rays from the
/// transmitter and keeping, for every segment after a reflection, the points within its
/// reception sphere (radius: angular spacing of the rays times the unfolded distance).
fn candidates_by_rays(
    scene: &Scene,
    tx: &Transmitter,
    points: &[Vec3],
    cfg: &TraceConfig,
) -> Vec<BTreeSet<Seq>> {
    use rayon::prelude::*;
    const CHUNK: u64 = 2048;
    let n = cfg.candidate_rays;
    let delta = (4.0 * std::f64::consts::PI / n as f64).sqrt();
    let hash = PointHash::new(points);
    let bounds = scene.bounds();
    let diag = crate::geometry::to_vec3(bounds.max) - crate::geometry::to_vec3(bounds.min);
    let t_far = 2.0 * diag.norm() + 1.0;
    let depth = cfg.max_depth as usize;
    let n_chunks = n.div_ceil(CHUNK);
    let found: Vec<Vec<(u32, Seq)>> = (0..n_chunks)
        .into_par_iter()
        .map(|chunk| {
            let mut out = Vec::new();
            let mut stamp = vec![u32::MAX; points.len()];
            let mut stack = Vec::new();
            let mut serial = 0u32;
            for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(n) {
                let mut origin = tx.position;
                let mut dir = fibonacci_direction(i, n);
                let mut unfolded = 0.0;
                let mut seq: Seq = (0, [u32::MAX; MAX_DEPTH]);
                for bounce in 0..=depth {
                    let ray =
                        Ray::new(to_f32(&origin), to_f32(&dir), SURFACE_EPS as f32, t_far as f32);
                    let hit = scene.trace(&ray, &mut stack);
                    let seg_len = hit.map_or(t_far, |h| f64::from(h.t));
                    if bounce > 0 {
                        serial = serial.wrapping_add(1);
                        collect_near(
                            &hash,
                            points,
                            &origin,
                            &dir,
                            seg_len,
                            unfolded,
                            delta,
                            &mut stamp,
                            serial,
                            &mut |p| {
                                out.push((p, seq));
                            },
                        );
                    }
                    let Some(hit) = hit else { break };
                    if bounce == depth {
                        break;
                    }
                    let plane = scene.planes()[hit.plane as usize];
                    let p = origin + dir * f64::from(hit.t);
                    let n_out =
                        if plane.normal.dot(&dir) > 0.0 { -plane.normal } else { plane.normal };
                    seq.1[seq.0 as usize] = hit.plane;
                    seq.0 += 1;
                    unfolded += f64::from(hit.t);
                    dir = reflect_dir(&dir, &n_out);
                    origin = p + n_out * SURFACE_EPS;
                }
            }
            out
        })
        .collect();
    let mut per_point: Vec<BTreeSet<Seq>> = vec![BTreeSet::new(); points.len()];
    for chunk in found {
        for (p, seq) in chunk {
            per_point[p as usize].insert(seq);
        }
    }
    per_point
}

/// Calls `emit` for every point within the reception sphere of the segment
/// `origin + s·dir`, `s ∈ [0, len]`, whose radius is `delta · (unfolded + s)`.
#[allow(clippy::too_many_arguments)]
fn collect_near(
    hash: &PointHash,
    points: &[Vec3],
    origin: &Vec3,
    dir: &Vec3,
    len: f64,
    unfolded: f64,
    delta: f64,
    stamp: &mut [u32],
    serial: u32,
    emit: &mut impl FnMut(u32),
) {
    // Clip the segment to the points' bounding box grown by the largest radius.
    let r_max = delta * (unfolded + len);
    let lo = [hash.x0 - r_max, hash.y0 - r_max];
    let hi = [
        hash.x0 + hash.nx as f64 * hash.cell + r_max,
        hash.y0 + hash.ny as f64 * hash.cell + r_max,
    ];
    let (mut s0, mut s1) = (0.0f64, len);
    for (o, d, l, h) in [(origin.x, dir.x, lo[0], hi[0]), (origin.y, dir.y, lo[1], hi[1])] {
        if d.abs() < 1e-12 {
            if o < l || o > h {
                return;
            }
        } else {
            let (a, b) = ((l - o) / d, (h - o) / d);
            s0 = s0.max(a.min(b));
            s1 = s1.min(a.max(b));
        }
    }
    if s0 > s1 {
        return;
    }
    let step = 0.5 * hash.cell;
    let mut s = s0;
    loop {
        let p = origin + dir * s;
        let r = delta * (unfolded + s.min(len));
        let m = (r / hash.cell).ceil() as i64 + 1;
        let cx = ((p.x - hash.x0) / hash.cell).floor() as i64;
        let cy = ((p.y - hash.y0) / hash.cell).floor() as i64;
        for iy in (cy - m).max(0)..=(cy + m).min(hash.ny as i64 - 1) {
            for ix in (cx - m).max(0)..=(cx + m).min(hash.nx as i64 - 1) {
                for &pi in hash.cell_points(ix as usize, iy as usize) {
                    if stamp[pi as usize] == serial {
                        continue;
                    }
                    let q = points[pi as usize];
                    let w = q - origin;
                    let t = w.dot(dir).clamp(0.0, len);
                    let dist = (w - dir * t).norm();
                    if dist <= delta * (unfolded + t) {
                        stamp[pi as usize] = serial;
                        emit(pi);
                    }
                }
            }
        }
        if s >= s1 {
            break;
        }
        s = (s + step).min(s1);
    }
}

/// Exact paths to every point: the direct path, then reflections over candidate sequences.
pub fn point_paths(
    scene: &Scene,
    tx: &Transmitter,
    points: &[Vec3],
    cfg: &TraceConfig,
) -> Vec<Vec<Path>> {
    use rayon::prelude::*;
    let n_planes = scene.planes().len() as u64;
    let depth = cfg.max_depth;
    let exhaustive = count_sequences(n_planes, depth) <= cfg.exhaustive_limit;
    let all =
        if exhaustive && depth > 0 { all_sequences(n_planes as u32, depth) } else { Vec::new() };
    let per_point = if !exhaustive && depth > 0 && !points.is_empty() {
        candidates_by_rays(scene, tx, points, cfg)
    } else {
        Vec::new()
    };
    points
        .par_iter()
        .enumerate()
        .map_init(ProfileScratch::default, |scratch, (i, rx)| {
            let mut paths = Vec::new();
            if let Some(p) = direct_path(scene, tx, rx, cfg, scratch) {
                paths.push(p);
            }
            let seqs: Box<dyn Iterator<Item = &Seq>> = if exhaustive {
                Box::new(all.iter())
            } else {
                Box::new(per_point.get(i).into_iter().flatten())
            };
            for (len, planes) in seqs {
                if let Some(p) = image_path(scene, tx, rx, &planes[..*len as usize]) {
                    paths.push(p);
                }
            }
            paths
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_counts() {
        assert_eq!(count_sequences(1, 3), 1);
        assert_eq!(count_sequences(3, 2), 3 + 3 * 2);
        assert_eq!(all_sequences(3, 2).len(), 9);
        assert_eq!(all_sequences(1, 3).len(), 1);
        assert_eq!(count_sequences(u64::MAX, 3), u64::MAX);
        let all = all_sequences(4, 3);
        assert_eq!(all.len() as u64, count_sequences(4, 3));
        for (len, s) in &all {
            for j in 1..*len as usize {
                assert_ne!(s[j], s[j - 1]);
            }
        }
    }
}
