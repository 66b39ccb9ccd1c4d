//! A seeded procedural city: a Manhattan grid of blocks separated by streets, each block split
//! into box buildings of random heights and façade materials, over a ground plane.
//!
//! ```text
//!   ┌──┬──┐   ┌──┬──┐   ← a block of 2 × 2 buildings with narrow gaps between them
//!   ├──┼──┤ s ├──┼──┤
//!   └──┴──┘ t └──┴──┘
//!    street   r          the grid is centred on the origin
//! ```
//!
//! The same seed always gives the same city. Heights are log-normal around the median with a
//! cap, so that most buildings are mid-rise and a few are towers; tall buildings get glass
//! façades more often than low ones.

use rand::RngExt;
use sim_core::{Dist, RngStreams};

use super::geojson::extrude_walls;
use super::{Scene, SceneBuilder, SceneOptions};
use crate::error::SceneError;
use crate::geometry::vec3;
use crate::material::Material;

/// Parameters of a procedural city.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CityParams {
    /// Blocks along x.
    pub blocks_x: usize,
    /// Blocks along y.
    pub blocks_y: usize,
    /// Edge length of a block, metres.
    pub block_m: f64,
    /// Street width between blocks, metres.
    pub street_m: f64,
    /// Buildings per block side (a block holds the square of this).
    pub buildings_per_side: usize,
    /// Gap between buildings inside a block, metres.
    pub gap_m: f64,
    /// Median building height, metres.
    pub median_height_m: f64,
    /// Lowest and highest building heights, metres.
    pub height_range_m: (f64, f64),
    /// Master seed.
    pub seed: u64,
}

impl Default for CityParams {
    fn default() -> Self {
        CityParams {
            blocks_x: 6,
            blocks_y: 5,
            block_m: 90.0,
            street_m: 24.0,
            buildings_per_side: 2,
            gap_m: 4.0,
            median_height_m: 20.0,
            height_range_m: (6.0, 60.0),
            seed: 1,
        }
    }
}

impl CityParams {
    /// The ground the city stands on, `(x_min, y_min, x_max, y_max)` in scene metres, centred
    /// on the origin: what [`city`] builds, known without building it (a scenario's validation
    /// checks its sites against it).
    pub fn extent(&self) -> (f64, f64, f64, f64) {
        let pitch = self.block_m + self.street_m;
        let width = self.blocks_x as f64 * pitch + self.street_m;
        let depth = self.blocks_y as f64 * pitch + self.street_m;
        (-0.5 * width, -0.5 * depth, 0.5 * width, 0.5 * depth)
    }
}

/// A generated city: the scene, and the building boxes for reference.
#[derive(Debug, Clone)]
pub struct City {
    /// The scene, ready to trace.
    pub scene: Scene,
    /// Each building as `(x_min, y_min, x_max, y_max, height_m)`.
    pub buildings: Vec<(f64, f64, f64, f64, f64)>,
    /// The ground extent as `(x_min, y_min, x_max, y_max)`.
    pub extent: (f64, f64, f64, f64),
}

/// Generates the city described by `params`.
pub fn city(params: &CityParams, options: SceneOptions) -> Result<City, SceneError> {
    let p = params;
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if p.blocks_x == 0 || p.blocks_y == 0 || p.buildings_per_side == 0 {
        return Err(SceneError::InvalidParameter(
            "a city needs at least one block and one building per block".into(),
        ));
    }
    if !(positive(p.block_m) && positive(p.street_m) && p.gap_m.is_finite() && p.gap_m >= 0.0) {
        return Err(SceneError::InvalidParameter(
            "block, street and gap sizes must be finite, blocks and streets > 0".into(),
        ));
    }
    let building_m =
        (p.block_m - p.gap_m * (p.buildings_per_side - 1) as f64) / p.buildings_per_side as f64;
    if building_m.is_nan() || building_m < 2.0 {
        return Err(SceneError::InvalidParameter(format!(
            "buildings would be {building_m:.1} m wide: make blocks larger or gaps smaller"
        )));
    }
    let (h_lo, h_hi) = p.height_range_m;
    if !(positive(h_lo) && h_hi >= h_lo && positive(p.median_height_m)) {
        return Err(SceneError::InvalidParameter(
            "building heights must be positive with low <= high".into(),
        ));
    }
    let heights = Dist::lognormal(p.median_height_m.ln(), 0.45)
        .map_err(|e| SceneError::InvalidParameter(e.to_string()))?;
    let mut rng = RngStreams::new(p.seed).stream("procedural-city");

    let mut builder = SceneBuilder::new();
    let concrete = builder.material(Material::itu("concrete")?);
    let brick = builder.material(Material::itu("brick")?);
    let glass = builder.material(Material::itu("glass")?);
    let ground = builder.material(Material::itu("medium_dry_ground")?);

    let pitch = p.block_m + p.street_m;
    let (x0, y0, x1, y1) = p.extent();
    let mut buildings = Vec::new();
    for bx in 0..p.blocks_x {
        for by in 0..p.blocks_y {
            let block_x = x0 + p.street_m + bx as f64 * pitch;
            let block_y = y0 + p.street_m + by as f64 * pitch;
            for i in 0..p.buildings_per_side {
                for j in 0..p.buildings_per_side {
                    let xa = block_x + i as f64 * (building_m + p.gap_m);
                    let ya = block_y + j as f64 * (building_m + p.gap_m);
                    let (xb, yb) = (xa + building_m, ya + building_m);
                    let h = heights.sample(&mut rng).clamp(h_lo, h_hi);
                    let u: f64 = rng.random();
                    let wall = if u < 0.15 + 0.5 * (h - h_lo) / (h_hi - h_lo).max(1e-9) {
                        glass
                    } else if u < 0.7 {
                        concrete
                    } else {
                        brick
                    };
                    let ring = vec![[xa, ya], [xb, ya], [xb, yb], [xa, yb]];
                    let (v, f) = extrude_walls(std::slice::from_ref(&ring), h);
                    let name = format!("building {}", buildings.len());
                    builder.add_mesh(&format!("{name} walls"), wall, v, f)?;
                    builder.add_mesh(
                        &format!("{name} roof"),
                        concrete,
                        vec![vec3(xa, ya, h), vec3(xb, ya, h), vec3(xb, yb, h), vec3(xa, yb, h)],
                        vec![[0, 1, 2], [0, 2, 3]],
                    )?;
                    buildings.push((xa, ya, xb, yb, h));
                }
            }
        }
    }
    builder.add_mesh(
        "ground",
        ground,
        vec![vec3(x0, y0, 0.0), vec3(x1, y0, 0.0), vec3(x1, y1, 0.0), vec3(x0, y1, 0.0)],
        vec![[0, 1, 2], [0, 2, 3]],
    )?;
    Ok(City { scene: builder.build(options)?, buildings, extent: (x0, y0, x1, y1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_city() {
        let a = city(&CityParams::default(), SceneOptions::default()).unwrap();
        let b = city(&CityParams::default(), SceneOptions::default()).unwrap();
        assert_eq!(a.buildings, b.buildings);
        let c = city(&CityParams { seed: 2, ..CityParams::default() }, SceneOptions::default())
            .unwrap();
        assert_ne!(a.buildings, c.buildings);
        assert_eq!(a.buildings.len(), 6 * 5 * 4);
        // Four walls and a roof per building, plus the ground.
        assert_eq!(a.scene.planes().len(), a.buildings.len() * 5 + 1);
        assert_eq!(a.scene.meshes().len(), a.buildings.len() * 2 + 1);
        for &(_, _, _, _, h) in &a.buildings {
            assert!((6.0..=60.0).contains(&h));
        }
        // Streets are at ground level; roofs are where buildings are.
        let (xa, ya, xb, yb, h) = a.buildings[0];
        let dsm = a.scene.dsm();
        assert!((dsm.height_at(0.5 * (xa + xb), 0.5 * (ya + yb)) - h).abs() < 1e-3);
        assert_eq!(dsm.height_at(xa - 12.0, 0.5 * (ya + yb)), 0.0);
    }

    #[test]
    fn bad_parameters_are_errors() {
        let bad = [
            CityParams { blocks_x: 0, ..CityParams::default() },
            CityParams { street_m: f64::NAN, ..CityParams::default() },
            CityParams { gap_m: 89.0, ..CityParams::default() },
            CityParams { height_range_m: (30.0, 10.0), ..CityParams::default() },
        ];
        for p in bad {
            assert!(city(&p, SceneOptions::default()).is_err(), "{p:?}");
        }
    }
}
