//! A digital surface model: the highest point of the scene in every cell of a horizontal raster.
//!
//! The tracer uses it for two things:
//!
//! * the knife-edge diffraction of the direct path, which needs the profile of obstacles in the
//!   vertical plane between transmitter and receiver (ITU-R P.526 reasons on that profile);
//! * telling indoor analysis points (under a roof) from outdoor ones.
//!
//! It is built by conservative rasterisation: each triangle is clipped to every cell its
//! footprint touches and the highest point of the clipped polygon raises the cell. Vertical
//! walls and zero-thickness screens, which a vertical ray would never hit, are therefore kept.
//! Cells that no triangle touches hold `-∞` (no surface, as beside a lone test screen).

use super::Triangle;
use crate::geometry::Aabb;

/// The raster of surface heights.
#[derive(Debug, Clone, PartialEq)]
pub struct Dsm {
    /// `x` of the raster's south-west corner, metres.
    pub origin_x: f64,
    /// `y` of the raster's south-west corner, metres.
    pub origin_y: f64,
    /// Cell edge length, metres.
    pub cell_m: f64,
    /// Cells along `x`.
    pub nx: usize,
    /// Cells along `y`.
    pub ny: usize,
    /// Heights, row by row from the south (`index = iy · nx + ix`); `-∞` where there is no surface.
    pub heights: Vec<f32>,
    /// The highest height in each block of [`Dsm::BLOCK`] × [`Dsm::BLOCK`] cells, row by row, for
    /// skipping long stretches of a profile that lie far below the line of sight.
    pub coarse: Vec<f32>,
    /// Blocks along x.
    pub coarse_nx: usize,
    /// Blocks along y.
    pub coarse_ny: usize,
}

/// One raster cell crossed by a segment, with the part of the segment inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellCrossing {
    /// Index into [`Dsm::heights`].
    pub index: usize,
    /// Fraction of the segment at which it enters the cell (0 at the start).
    pub s_in: f64,
    /// Fraction of the segment at which it leaves the cell (1 at the end).
    pub s_out: f64,
}

impl Dsm {
    /// The most cells a surface model may have (64 M cells, 256 MB); larger scenes get coarser
    /// cells.
    pub const MAX_CELLS: f64 = 64e6;

    /// The surface model of `triangles` over `bounds` with cells of `cell_m` metres, or coarser
    /// if that would exceed [`Dsm::MAX_CELLS`].
    pub fn build(triangles: &[Triangle], bounds: &Aabb, cell_m: f64) -> Dsm {
        let area = f64::from(bounds.max[0] - bounds.min[0]).max(cell_m)
            * f64::from(bounds.max[1] - bounds.min[1]).max(cell_m);
        let cell_m = cell_m.max((area / Self::MAX_CELLS).sqrt());
        let origin_x = f64::from(bounds.min[0]);
        let origin_y = f64::from(bounds.min[1]);
        let nx = ((f64::from(bounds.max[0]) - origin_x) / cell_m).ceil().max(1.0) as usize;
        let ny = ((f64::from(bounds.max[1]) - origin_y) / cell_m).ceil().max(1.0) as usize;
        let (coarse_nx, coarse_ny) = (nx.div_ceil(Self::BLOCK), ny.div_ceil(Self::BLOCK));
        let mut dsm = Dsm {
            origin_x,
            origin_y,
            cell_m,
            nx,
            ny,
            heights: vec![f32::NEG_INFINITY; nx * ny],
            coarse: vec![f32::NEG_INFINITY; coarse_nx * coarse_ny],
            coarse_nx,
            coarse_ny,
        };
        for tri in triangles {
            dsm.rasterise(tri);
        }
        for iy in 0..ny {
            for ix in 0..nx {
                let c = (iy / Self::BLOCK) * coarse_nx + ix / Self::BLOCK;
                dsm.coarse[c] = dsm.coarse[c].max(dsm.heights[iy * nx + ix]);
            }
        }
        dsm
    }

    /// Cells per block edge of the coarse raster.
    pub const BLOCK: usize = 16;

    fn cell_range(&self, lo: f64, hi: f64, origin: f64, n: usize) -> (usize, usize) {
        // A surface lying exactly on a cell boundary belongs to the cells on both sides.
        let a = ((lo - origin) / self.cell_m - 1e-9).floor().max(0.0) as usize;
        let b = ((hi - origin) / self.cell_m + 1e-9).floor().max(0.0) as usize;
        (a.min(n - 1), b.min(n - 1))
    }

    fn rasterise(&mut self, tri: &Triangle) {
        let v = tri.vertices().map(|p| [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]);
        let (x_lo, x_hi) = (
            v.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min),
            v.iter().map(|p| p[0]).fold(f64::NEG_INFINITY, f64::max),
        );
        let (y_lo, y_hi) = (
            v.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min),
            v.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max),
        );
        let (ix0, ix1) = self.cell_range(x_lo, x_hi, self.origin_x, self.nx);
        let (iy0, iy1) = self.cell_range(y_lo, y_hi, self.origin_y, self.ny);
        let mut poly = Vec::with_capacity(8);
        let mut scratch = Vec::with_capacity(8);
        for iy in iy0..=iy1 {
            let y0 = self.origin_y + iy as f64 * self.cell_m;
            let y1 = y0 + self.cell_m;
            for ix in ix0..=ix1 {
                let x0 = self.origin_x + ix as f64 * self.cell_m;
                let x1 = x0 + self.cell_m;
                poly.clear();
                poly.extend_from_slice(&v);
                clip(&mut poly, &mut scratch, 0, x0, true);
                clip(&mut poly, &mut scratch, 0, x1, false);
                clip(&mut poly, &mut scratch, 1, y0, true);
                clip(&mut poly, &mut scratch, 1, y1, false);
                if let Some(z) = poly.iter().map(|p| p[2]).reduce(f64::max) {
                    let h = &mut self.heights[iy * self.nx + ix];
                    *h = h.max(z as f32);
                }
            }
        }
    }

    /// The cell containing `(x, y)`, if it lies on the raster.
    pub fn cell_index(&self, x: f64, y: f64) -> Option<usize> {
        let fx = (x - self.origin_x) / self.cell_m;
        let fy = (y - self.origin_y) / self.cell_m;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (ix, iy) = (fx as usize, fy as usize);
        (ix < self.nx && iy < self.ny).then_some(iy * self.nx + ix)
    }

    /// The surface height at `(x, y)`; `-∞` off the raster or where there is no surface.
    pub fn height_at(&self, x: f64, y: f64) -> f64 {
        self.cell_index(x, y).map_or(f64::NEG_INFINITY, |i| f64::from(self.heights[i]))
    }

    /// The cells that the horizontal projection of the segment `(x0, y0) → (x1, y1)` crosses, in
    /// order, by the Amanatides–Woo traversal. Parts of the segment off the raster are skipped.
    pub fn crossings(&self, x0: f64, y0: f64, x1: f64, y1: f64, out: &mut Vec<CellCrossing>) {
        let raster = Raster {
            origin_x: self.origin_x,
            origin_y: self.origin_y,
            cell: self.cell_m,
            nx: self.nx,
            ny: self.ny,
        };
        raster.walk(x0, y0, x1, y1, out);
    }

    /// Like [`Dsm::crossings`], over the blocks of the coarse raster (indices into
    /// [`Dsm::coarse`]).
    pub fn coarse_crossings(
        &self,
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
        out: &mut Vec<CellCrossing>,
    ) {
        let raster = Raster {
            origin_x: self.origin_x,
            origin_y: self.origin_y,
            cell: self.cell_m * Self::BLOCK as f64,
            nx: self.coarse_nx,
            ny: self.coarse_ny,
        };
        raster.walk(x0, y0, x1, y1, out);
    }
}

/// The geometry of a raster level.
struct Raster {
    origin_x: f64,
    origin_y: f64,
    cell: f64,
    nx: usize,
    ny: usize,
}

impl Raster {
    fn walk(&self, x0: f64, y0: f64, x1: f64, y1: f64, out: &mut Vec<CellCrossing>) {
        out.clear();
        self.visit(x0, y0, x1, y1, |c| {
            out.push(c);
            true
        });
    }

    /// Calls `f` for each cell the segment crosses, in order, until it returns `false`.
    fn visit(&self, x0: f64, y0: f64, x1: f64, y1: f64, mut f: impl FnMut(CellCrossing) -> bool) {
        let (dx, dy) = (x1 - x0, y1 - y0);
        // Clip the segment to the raster rectangle (Liang–Barsky).
        let (w, h) = (self.nx as f64 * self.cell, self.ny as f64 * self.cell);
        let (px, py) = (x0 - self.origin_x, y0 - self.origin_y);
        let mut s0 = 0.0f64;
        let mut s1 = 1.0f64;
        for (p, q) in [(-dx, px), (dx, w - px), (-dy, py), (dy, h - py)] {
            if p == 0.0 {
                if q < 0.0 {
                    return;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    s0 = s0.max(r);
                } else {
                    s1 = s1.min(r);
                }
            }
        }
        if s0 > s1 {
            return;
        }
        let sx = px + s0 * dx;
        let sy = py + s0 * dy;
        let mut ix = ((sx / self.cell).floor().max(0.0) as usize).min(self.nx - 1) as i64;
        let mut iy = ((sy / self.cell).floor().max(0.0) as usize).min(self.ny - 1) as i64;
        let step_x: i64 = if dx > 0.0 { 1 } else { -1 };
        let step_y: i64 = if dy > 0.0 { 1 } else { -1 };
        // Segment fraction at which the next vertical / horizontal cell boundary is crossed.
        let next_boundary = |i: i64, step: i64, start: f64, d: f64| -> (f64, f64) {
            if d == 0.0 {
                return (f64::INFINITY, f64::INFINITY);
            }
            let edge = if step > 0 { (i + 1) as f64 } else { i as f64 } * self.cell;
            ((edge - start) / d, self.cell / d.abs())
        };
        let (mut t_x, dt_x) = next_boundary(ix, step_x, px, dx);
        let (mut t_y, dt_y) = next_boundary(iy, step_y, py, dy);
        let mut s = s0;
        loop {
            let s_next = t_x.min(t_y).min(s1);
            let go_on = f(CellCrossing {
                index: iy as usize * self.nx + ix as usize,
                s_in: s,
                s_out: s_next,
            });
            if !go_on || s_next >= s1 {
                return;
            }
            s = s_next;
            if t_x <= t_y {
                ix += step_x;
                t_x += dt_x;
            } else {
                iy += step_y;
                t_y += dt_y;
            }
            if ix < 0 || iy < 0 || ix >= self.nx as i64 || iy >= self.ny as i64 {
                return;
            }
        }
    }
}

/// Clips a polygon (3D vertices) against the half-plane `p[axis] >= bound` (`keep_above`) or
/// `p[axis] <= bound`, interpolating the other coordinates on cut edges (Sutherland–Hodgman).
fn clip(
    poly: &mut Vec<[f64; 3]>,
    scratch: &mut Vec<[f64; 3]>,
    axis: usize,
    bound: f64,
    keep_above: bool,
) {
    if poly.is_empty() {
        return;
    }
    let inside = |p: &[f64; 3]| if keep_above { p[axis] >= bound } else { p[axis] <= bound };
    scratch.clear();
    for i in 0..poly.len() {
        let a = poly[i];
        let b = poly[(i + 1) % poly.len()];
        let (ina, inb) = (inside(&a), inside(&b));
        if ina {
            scratch.push(a);
        }
        if ina != inb {
            let t = (bound - a[axis]) / (b[axis] - a[axis]);
            let mut p = [0.0; 3];
            for k in 0..3 {
                p[k] = a[k] + t * (b[k] - a[k]);
            }
            p[axis] = bound;
            scratch.push(p);
        }
    }
    std::mem::swap(poly, scratch);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tri(v0: [f32; 3], v1: [f32; 3], v2: [f32; 3]) -> Triangle {
        let v = |p: [f32; 3]| crate::geometry::to_vec3(p);
        Triangle::new(&v(v0), &v(v1), &v(v2), 0, 0, 0)
    }

    #[test]
    fn vertical_screen_raises_its_cells_only() {
        // A screen in the plane x = 5, 10 m high, spanning y in [0, 10].
        let tris = [
            tri([5.0, 0.0, 0.0], [5.0, 10.0, 0.0], [5.0, 10.0, 10.0]),
            tri([5.0, 0.0, 0.0], [5.0, 10.0, 10.0], [5.0, 0.0, 10.0]),
        ];
        let bounds = Aabb { min: [0.0, 0.0, 0.0], max: [10.0, 10.0, 10.0] };
        let dsm = Dsm::build(&tris, &bounds, 1.0);
        assert_eq!(dsm.height_at(5.0, 3.5), 10.0);
        assert_eq!(dsm.height_at(4.5, 3.5), 10.0, "the cell whose edge holds the screen");
        assert_eq!(dsm.height_at(2.5, 3.5), f64::NEG_INFINITY);
        assert_eq!(dsm.height_at(-1.0, 3.5), f64::NEG_INFINITY);
    }

    #[test]
    fn sloped_triangle_takes_its_highest_point_in_each_cell() {
        // A ramp rising 1 m per metre along x, over [0, 4] x [0, 4].
        let tris = [
            tri([0.0, 0.0, 0.0], [4.0, 0.0, 4.0], [4.0, 4.0, 4.0]),
            tri([0.0, 0.0, 0.0], [4.0, 4.0, 4.0], [0.0, 4.0, 0.0]),
        ];
        let bounds = Aabb { min: [0.0, 0.0, 0.0], max: [4.0, 4.0, 4.0] };
        let dsm = Dsm::build(&tris, &bounds, 1.0);
        for ix in 0..4 {
            let h = dsm.height_at(ix as f64 + 0.5, 2.5);
            assert!((h - (ix as f64 + 1.0)).abs() < 1e-5, "cell {ix}: {h}");
        }
    }

    #[test]
    fn coarse_blocks_hold_the_maximum() {
        // A vertical triangle rising along y (z = y on its sloped edge), across two blocks.
        let b = Dsm::BLOCK as f32;
        let tris = [tri([5.0, 0.0, 0.0], [5.0, 1.5 * b, 0.0], [5.0, 1.5 * b, 1.5 * b])];
        let bounds = Aabb { min: [0.0, 0.0, 0.0], max: [2.5 * b, 2.5 * b, 10.0] };
        let dsm = Dsm::build(&tris, &bounds, 1.0);
        assert_eq!((dsm.coarse_nx, dsm.coarse_ny), (3, 3));
        // The first block ends at y = BLOCK, where the triangle is BLOCK high.
        assert_eq!(dsm.coarse[0], b);
        assert_eq!(dsm.coarse[3], 1.5 * b);
        assert_eq!(dsm.coarse[2], f32::NEG_INFINITY);
        let mut out = vec![];
        dsm.coarse_crossings(0.5, 0.5, 2.4 * f64::from(b), 0.5, &mut out);
        assert_eq!(out.iter().map(|c| c.index).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn crossings_cover_the_segment_in_order() {
        let bounds = Aabb { min: [0.0, 0.0, 0.0], max: [10.0, 10.0, 1.0] };
        let dsm = Dsm::build(&[], &bounds, 1.0);
        let mut out = vec![];
        dsm.crossings(0.5, 0.5, 9.5, 3.5, &mut out);
        assert_eq!(out.first().map(|c| c.s_in), Some(0.0));
        assert_eq!(out.last().map(|c| c.s_out), Some(1.0));
        for w in out.windows(2) {
            assert!((w[0].s_out - w[1].s_in).abs() < 1e-12);
        }
        // 9 columns and 3 rows to cross: 1 + 9 + 3 cells.
        assert_eq!(out.len(), 13);
        // A segment starting off the raster is clipped to it.
        dsm.crossings(-5.0, 5.5, 5.5, 5.5, &mut out);
        assert!((out[0].s_in - 5.0 / 10.5).abs() < 1e-12);
        dsm.crossings(-5.0, -5.0, -1.0, -1.0, &mut out);
        assert!(out.is_empty());
    }
}
