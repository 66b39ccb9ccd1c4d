//! The CPU backend: the BVH tracer on the rayon pool.

use rayon::prelude::*;

use super::paths::{direct_path, point_paths};
use super::{
    CoverageMap, PointResult, Propagation, TraceConfig, Transmitter, field, sbr, sum_paths,
};
use crate::error::RadioError;
use crate::geometry::Vec3;
use crate::grid::Grid;
use crate::scene::Scene;

/// The CPU ray tracer. It runs on the current rayon pool; results do not depend on the pool's
/// size.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTracer;

/// Whether each grid point is outdoor: no surface of the surface model above it.
pub fn outdoor_mask(scene: &Scene, grid: &Grid) -> Vec<bool> {
    (0..grid.len())
        .map(|i| {
            let p = grid.point(i);
            // Heights are finite or −∞ (no surface), never NaN.
            scene.dsm().height_at(p.x, p.y) <= p.z
        })
        .collect()
}

impl Propagation for CpuTracer {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn coverage(
        &self,
        scene: &Scene,
        tx: &Transmitter,
        grid: &Grid,
        cfg: &TraceConfig,
    ) -> Result<CoverageMap, RadioError> {
        cfg.validate()?;
        tx.validate()?;
        let outdoor = outdoor_mask(scene, grid);
        // The exact direct paths and the reflected rays are independent: run them side by side so
        // that neither phase leaves a core idle at its tail.
        let (direct, reflected): (Vec<(f64, bool)>, Vec<f64>) = rayon::join(
            || {
                (0..grid.len())
                    .into_par_iter()
                    .map_init(super::diffraction::ProfileScratch::default, |scratch, i| {
                        if !outdoor[i] {
                            return (0.0, false);
                        }
                        match direct_path(scene, tx, &grid.point(i), cfg, scratch) {
                            Some(p) => (field::power(&p.field), p.is_los()),
                            None => (0.0, false),
                        }
                    })
                    .collect()
            },
            || sbr::reflections(scene, tx, grid, &outdoor, cfg),
        );
        let path_gain = direct.iter().zip(&reflected).map(|(d, r)| d.0 + r).collect();
        let los = direct.iter().map(|d| d.1).collect();
        Ok(CoverageMap { grid: *grid, path_gain, outdoor, los, rays: cfg.rays })
    }

    fn points(
        &self,
        scene: &Scene,
        tx: &Transmitter,
        points: &[Vec3],
        cfg: &TraceConfig,
    ) -> Result<Vec<PointResult>, RadioError> {
        cfg.validate()?;
        tx.validate()?;
        if let Some(index) = points.iter().position(|p| !p.iter().all(|c| c.is_finite())) {
            return Err(RadioError::InvalidPoint { index });
        }
        let all = point_paths(scene, tx, points, cfg);
        Ok(all
            .into_iter()
            .map(|paths| PointResult {
                path_gain: sum_paths(&paths, &cfg.rx_antenna, cfg.summation),
                paths,
            })
            .collect())
    }
}
