//! The analysis grid: a horizontal raster of receiver points at a fixed height, on which coverage
//! maps are computed.

use crate::error::RadioError;
use crate::geometry::{Aabb, Vec3, vec3};

/// A regular grid of `nx × ny` square cells of `cell_m` metres whose receiver points sit at the
/// cell centres, `height_m` above z = 0. Point `i` is at column `i % nx`, row `i / nx`, rows
/// running south to north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// x of the south-west corner of the grid, metres.
    pub x_min_m: f64,
    /// y of the south-west corner of the grid, metres.
    pub y_min_m: f64,
    /// Edge length of a cell, metres.
    pub cell_m: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// Height of the receiver points, metres.
    pub height_m: f64,
}

impl Grid {
    /// A validated grid.
    pub fn new(
        x_min_m: f64,
        y_min_m: f64,
        cell_m: f64,
        nx: usize,
        ny: usize,
        height_m: f64,
    ) -> Result<Grid, RadioError> {
        if !(x_min_m.is_finite() && y_min_m.is_finite() && height_m.is_finite()) {
            return Err(RadioError::InvalidGrid("origin and height must be finite".into()));
        }
        if !(cell_m.is_finite() && cell_m > 0.0) {
            return Err(RadioError::InvalidGrid(format!("cell size must be > 0 m, got {cell_m}")));
        }
        if nx == 0 || ny == 0 {
            return Err(RadioError::InvalidGrid(
                "the grid needs at least one row and one column".into(),
            ));
        }
        if nx.saturating_mul(ny) > 100_000_000 {
            return Err(RadioError::InvalidGrid(format!(
                "{nx} × {ny} points is more than 10^8; use larger cells"
            )));
        }
        Ok(Grid { x_min_m, y_min_m, cell_m, nx, ny, height_m })
    }

    /// The grid of `cell_m` cells covering the horizontal extent of `bounds`.
    pub fn covering(bounds: &Aabb, cell_m: f64, height_m: f64) -> Result<Grid, RadioError> {
        if !(cell_m.is_finite() && cell_m > 0.0) {
            return Err(RadioError::InvalidGrid(format!("cell size must be > 0 m, got {cell_m}")));
        }
        let (x0, y0) = (f64::from(bounds.min[0]), f64::from(bounds.min[1]));
        let nx = ((f64::from(bounds.max[0]) - x0) / cell_m).ceil().max(1.0) as usize;
        let ny = ((f64::from(bounds.max[1]) - y0) / cell_m).ceil().max(1.0) as usize;
        Grid::new(x0, y0, cell_m, nx, ny, height_m)
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// True for a grid without points (never, for a validated grid).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The receiver point of cell `i`.
    pub fn point(&self, i: usize) -> Vec3 {
        let (ix, iy) = (i % self.nx, i / self.nx);
        vec3(
            self.x_min_m + (ix as f64 + 0.5) * self.cell_m,
            self.y_min_m + (iy as f64 + 0.5) * self.cell_m,
            self.height_m,
        )
    }

    /// The cell containing `(x, y)`, if any.
    #[inline]
    pub fn cell_of(&self, x: f64, y: f64) -> Option<usize> {
        let fx = (x - self.x_min_m) / self.cell_m;
        let fy = (y - self.y_min_m) / self.cell_m;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (ix, iy) = (fx as usize, fy as usize);
        (ix < self.nx && iy < self.ny).then_some(iy * self.nx + ix)
    }

    /// The area of one cell, m².
    pub fn cell_area_m2(&self) -> f64 {
        self.cell_m * self.cell_m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_cells_agree() {
        let g = Grid::new(-10.0, 0.0, 5.0, 4, 3, 1.5).unwrap();
        assert_eq!(g.len(), 12);
        for i in 0..g.len() {
            let p = g.point(i);
            assert_eq!(g.cell_of(p.x, p.y), Some(i));
            assert_eq!(p.z, 1.5);
        }
        assert_eq!(g.cell_of(-10.1, 1.0), None);
        assert_eq!(g.cell_of(10.0, 1.0), None);
        assert!(Grid::new(0.0, 0.0, 0.0, 1, 1, 1.5).is_err());
        assert!(Grid::new(0.0, 0.0, 1.0, 0, 1, 1.5).is_err());
        assert!(Grid::new(f64::NAN, 0.0, 1.0, 1, 1, 1.5).is_err());
    }
}
