//! Knife-edge diffraction after ITU-R P.526 §4.1, applied to the dominant edge of the direct
//! path's vertical profile.
//!
//! For an edge at height `h` above the straight line between transmitter and receiver (negative
//! below it), at distances `d1` and `d2` from them, the Fresnel–Kirchhoff parameter is
//! `v = h·√(2(d1 + d2)/(λ d1 d2))` and the loss relative to free space is, by P.526 eq. (31),
//!
//! ```text
//!   J(v) = 6.9 + 20 log10(√((v − 0.1)² + 1) + v − 0.1) dB   for v > −0.78, 0 otherwise.
//! ```
//!
//! The exact form with Fresnel integrals is [`knife_edge_loss_exact_db`]; the approximation is
//! within 0.12 dB of it over v ∈ [−0.78, 5] and, unlike it, never predicts a gain.
//!
//! The dominant edge is found on the scene's surface model (see [`crate::scene::Dsm`]): the cells
//! that the direct path crosses are walked in order, and among the cells that stand out as an edge
//! along the profile (higher than a neighbour along the path by more than [`EDGE_STEP_M`]; a flat
//! ground is no knife edge, it is a reflector) the one with the largest `v` is taken. Cells within
//! one surface-model cell of either end are ignored, so that the roof under a mast or the wall
//! beside a receiver does not count as an obstacle on the path.

use crate::geometry::{Vec3, vec3};
use crate::scene::Dsm;
use crate::scene::dsm::CellCrossing;

/// A profile cell counts as an edge when it is at least this much higher than a neighbour along
/// the path, metres.
pub const EDGE_STEP_M: f64 = 0.5;

/// P.526 eq. (31): knife-edge loss in dB, 0 for `v <= -0.78`.
pub fn knife_edge_loss_db(v: f64) -> f64 {
    if v <= -0.78 {
        return 0.0;
    }
    6.9 + 20.0 * (((v - 0.1).powi(2) + 1.0).sqrt() + v - 0.1).log10()
}

/// The Fresnel integrals `C(x) = ∫0^x cos(πt²/2) dt` and `S(x) = ∫0^x sin(πt²/2) dt`, to about
/// 1e-9 for |x| ≤ 10: the power series up to |x| = 2.5 (beyond it the series loses digits to
/// cancellation), then composite Simpson integration of the remainder.
pub fn fresnel_integrals(x: f64) -> (f64, f64) {
    const SERIES_LIMIT: f64 = 2.5;
    if x < 0.0 {
        let (c, s) = fresnel_integrals(-x);
        return (-c, -s);
    }
    let x0 = x.min(SERIES_LIMIT);
    let z = std::f64::consts::FRAC_PI_2 * x0 * x0;
    let (mut c, mut s) = (0.0, 0.0);
    // Term k is x z^k / k! / (2k + 1), alternating in pairs: C takes even k, S odd k,
    // with signs + + − − repeating.
    let mut term = x0;
    for k in 0..200usize {
        let sign = if k % 4 < 2 { 1.0 } else { -1.0 };
        let contribution = sign * term / (2 * k + 1) as f64;
        if k % 2 == 0 {
            c += contribution;
        } else {
            s += contribution;
        }
        term *= z / (k + 1) as f64;
        if k > 4 && term.abs() < 1e-18 {
            break;
        }
    }
    if x > SERIES_LIMIT {
        let n = 4000;
        let h = (x - SERIES_LIMIT) / n as f64;
        let f = |t: f64| {
            let a = std::f64::consts::FRAC_PI_2 * t * t;
            (a.cos(), a.sin())
        };
        let (mut ic, mut is) = (0.0, 0.0);
        for i in 0..=n {
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let (fc, fs) = f(SERIES_LIMIT + i as f64 * h);
            ic += w * fc;
            is += w * fs;
        }
        c += ic * h / 3.0;
        s += is * h / 3.0;
    }
    (c, s)
}

/// The exact knife-edge loss `J(v) = −20 log10(√((1 − C − S)² + (C − S)²)/2)` in dB.
pub fn knife_edge_loss_exact_db(v: f64) -> f64 {
    let (c, s) = fresnel_integrals(v);
    -20.0 * ((((1.0 - c - s).powi(2) + (c - s).powi(2)).sqrt()) / 2.0).log10()
}

/// The dominant edge of a direct path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// The diffraction parameter.
    pub v: f64,
    /// The top of the edge, a point in the vertical plane of the path.
    pub point: Vec3,
}

/// Overlap along the path, as a fraction of it, below which a cell counts as outside a stretch.
const S_TOLERANCE: f64 = 1e-9;

/// Reusable buffers for [`dominant_edge`].
#[derive(Debug, Clone, Default)]
pub struct ProfileScratch {
    coarse: Vec<CellCrossing>,
    fine: Vec<CellCrossing>,
    candidates: Vec<(f64, usize)>,
}

/// Finds the edge of largest `v` on the profile from `tx` to `rx`, among those with
/// `v > -0.78` (the others cause no loss).
///
/// The profile is walked on the coarse raster first, bounding for every block the largest `v`
/// any obstacle in it could have (from the block's highest point, the lowest line-of-sight
/// height over the block and the extreme values of `√(2 d / (λ d1 d2))` there). Blocks are then
/// examined cell by cell in decreasing order of that bound, and the search stops as soon as no
/// remaining block can beat the best edge found: branch and bound, exact.
pub fn dominant_edge(
    dsm: &Dsm,
    tx: &Vec3,
    rx: &Vec3,
    wavelength_m: f64,
    scratch: &mut ProfileScratch,
) -> Option<Edge> {
    profile_search(dsm, tx, rx, wavelength_m, scratch, false)
}

/// Some edge above the line of sight (`v > 0`), if there is one: the line of sight is blocked.
/// Cheaper than [`dominant_edge`], which must find the largest `v`.
pub fn blocking_edge(
    dsm: &Dsm,
    tx: &Vec3,
    rx: &Vec3,
    wavelength_m: f64,
    scratch: &mut ProfileScratch,
) -> Option<Edge> {
    profile_search(dsm, tx, rx, wavelength_m, scratch, true)
}

fn profile_search(
    dsm: &Dsm,
    tx: &Vec3,
    rx: &Vec3,
    wavelength_m: f64,
    scratch: &mut ProfileScratch,
    any_blocking: bool,
) -> Option<Edge> {
    let d2 = ((rx.x - tx.x).powi(2) + (rx.y - tx.y).powi(2)).sqrt();
    let d3 = (rx - tx).norm();
    if d2 < 2.0 * dsm.cell_m {
        return None;
    }
    let excl = 1.5 * dsm.cell_m / d2;
    let z_at = |s: f64| tx.z + (rx.z - tx.z) * s;
    let factor = |s: f64| (2.0 / (wavelength_m * d3 * s * (1.0 - s))).sqrt();
    let point_at = |s: f64| (tx.x + (rx.x - tx.x) * s, tx.y + (rx.y - tx.y) * s);
    let mut best: Option<Edge> = None;
    let ProfileScratch { coarse, fine, candidates } = scratch;
    dsm.coarse_crossings(tx.x, tx.y, rx.x, rx.y, coarse);
    candidates.clear();
    for (i, block) in coarse.iter().enumerate() {
        let (a, b) = (block.s_in.max(excl), block.s_out.min(1.0 - excl));
        if a >= b {
            continue;
        }
        let top = f64::from(dsm.coarse[block.index]);
        if !top.is_finite() {
            continue;
        }
        let clearance = top - z_at(a).min(z_at(b));
        let bound = if clearance >= 0.0 {
            clearance * factor(a).max(factor(b))
        } else {
            clearance * factor(0.5f64.clamp(a, b))
        };
        if bound > if any_blocking { 0.0 } else { -0.78 } {
            candidates.push((bound, i));
        }
    }
    // Most promising first; ties by position along the path, for determinism.
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let one_cell = dsm.cell_m / d2;
    for &(bound, i) in candidates.iter() {
        if best.is_some_and(|e| bound <= e.v) {
            break;
        }
        let block = &coarse[i];
        let (a, b) = (block.s_in.max(excl), block.s_out.min(1.0 - excl));
        // Walk the fine cells of this stretch, one cell beyond each end for the neighbours.
        let (sa, sb) = ((block.s_in - one_cell).max(0.0), (block.s_out + one_cell).min(1.0));
        let (xa, ya) = point_at(sa);
        let (xb, yb) = point_at(sb);
        dsm.crossings(xa, ya, xb, yb, fine);
        let height = |c: &CellCrossing| f64::from(dsm.heights[c.index]);
        for k in 0..fine.len() {
            let c = &fine[k];
            let (s_in, s_out) = (sa + c.s_in * (sb - sa), sa + c.s_out * (sb - sa));
            // The padding cells beyond the stretch only serve as neighbours: rounding in the
            // mapping above must not let them through, or the last one (whose own neighbour
            // is unknown) would count as an edge, and only in one direction of travel.
            if s_out <= a + S_TOLERANCE || s_in >= b - S_TOLERANCE {
                continue;
            }
            let h = height(c);
            if !h.is_finite() {
                continue;
            }
            let prev = if k > 0 { height(&fine[k - 1]) } else { f64::NEG_INFINITY };
            let next = fine.get(k + 1).map_or(f64::NEG_INFINITY, height);
            if !(h > prev + EDGE_STEP_M || h > next + EDGE_STEP_M) {
                continue;
            }
            for s in [s_in.max(a), s_out.min(b)] {
                let v = (h - z_at(s)) * factor(s);
                if v > -0.78 && best.is_none_or(|e| v > e.v) {
                    let (x, y) = point_at(s);
                    best = Some(Edge { v, point: vec3(x, y, h) });
                    if any_blocking && v > 0.0 {
                        return best;
                    }
                }
            }
        }
    }
    if any_blocking { best.filter(|e| e.v > 0.0) } else { best }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// REFERENCES.md §2: exact and approximate J(v).
    #[test]
    fn knife_edge_tables() {
        let exact = [
            (-0.78, -0.011),
            (-0.5, 1.859),
            (0.0, 6.021),
            (0.5, 10.234),
            (1.0, 13.864),
            (1.5, 16.777),
            (2.0, 19.091),
            (2.4, 20.618),
            (3.0, 22.522),
            (5.0, 26.936),
        ];
        let approx = [
            (-0.78, 0.004),
            (-0.5, 1.959),
            (0.0, 6.033),
            (0.5, 10.288),
            (1.0, 13.926),
            (1.5, 16.784),
            (2.0, 19.043),
            (2.4, 20.539),
            (3.0, 22.416),
            (5.0, 26.814),
        ];
        for (v, j) in exact {
            assert!(
                (knife_edge_loss_exact_db(v) - j).abs() < 1e-3,
                "exact J({v}) = {}",
                knife_edge_loss_exact_db(v)
            );
        }
        for (v, j) in approx[1..].iter().copied() {
            assert!(
                (knife_edge_loss_db(v) - j).abs() < 1e-3,
                "approx J({v}) = {}",
                knife_edge_loss_db(v)
            );
        }
        assert_eq!(knife_edge_loss_db(-0.78), 0.0);
        assert_eq!(knife_edge_loss_db(-3.0), 0.0);
        // J(0) = 20 log10 2 exactly.
        assert!((knife_edge_loss_exact_db(0.0) - 20.0 * 2f64.log10()).abs() < 1e-12);
    }

    #[test]
    fn fresnel_integral_limits() {
        let (c, s) = fresnel_integrals(0.0);
        assert_eq!((c, s), (0.0, 0.0));
        // C(1) = 0.7798934, S(1) = 0.4382591 (Abramowitz & Stegun Table 7.7).
        let (c, s) = fresnel_integrals(1.0);
        assert!((c - 0.779_893_4).abs() < 1e-7 && (s - 0.438_259_1).abs() < 1e-7);
        let (c, s) = fresnel_integrals(-1.0);
        assert!((c + 0.779_893_4).abs() < 1e-7 && (s + 0.438_259_1).abs() < 1e-7, "odd functions");
    }
}
