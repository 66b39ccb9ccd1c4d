//! The serving stage: at every grid point of a state, which cell serves it, with what RSRP,
//! SINR and spectral efficiency.
//!
//! Each outdoor point gets its best server by RSRP and its SINR against the other active cells
//! ([`radio::kpi::serving`]); where the scenario names a calibration model its correction is
//! applied next (by the replay, before the thresholds); then a point is served only where the
//! RSRP and SINR reach the scenario's thresholds and the RSRP the noise floor
//! ([`CoverageThresholds`]). Indoor points are never served.

use std::sync::Arc;

use radio::Cell;
use radio::kpi::{CoverageThresholds, KpiConfig, serving};
use rayon::prelude::*;

use super::maps::CellMap;

/// One grid point in a state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointServing {
    /// The serving cell (index into the state's cells), if the point is served.
    pub best: Option<usize>,
    /// RSRP of the best cell, dBm (−∞ where no cell reaches the point or it is indoor).
    pub rsrp_dbm: f32,
    /// SINR, dB (−∞ likewise).
    pub sinr_db: f32,
    /// Spectral efficiency at the SINR, bit/s/Hz (0 indoors).
    pub spectral_efficiency: f32,
}

impl PointServing {
    /// The RSRP of the served points of `serving`, dBm.
    pub fn served_rsrp(serving: &[PointServing]) -> impl Iterator<Item = f32> + '_ {
        serving.iter().filter(|p| p.best.is_some() && p.rsrp_dbm.is_finite()).map(|p| p.rsrp_dbm)
    }

    /// An indoor point, or one no cell reaches.
    pub const NONE: PointServing = PointServing {
        best: None,
        rsrp_dbm: f32::NEG_INFINITY,
        sinr_db: f32::NEG_INFINITY,
        spectral_efficiency: 0.0,
    };
}

/// The best server, RSRP, SINR and spectral efficiency at every point, before thresholds:
/// `maps` holds each cell's coverage map (`None` for a cell switched off).
pub fn serve(
    cells: &[Cell],
    maps: &[Option<Arc<CellMap>>],
    outdoor: &[bool],
    kpi: &KpiConfig,
) -> Vec<PointServing> {
    (0..outdoor.len())
        .into_par_iter()
        .map_init(
            || vec![f64::NEG_INFINITY; cells.len()],
            |pg, i| {
                if !outdoor[i] {
                    return PointServing::NONE;
                }
                for (c, m) in maps.iter().enumerate() {
                    pg[c] = m.as_ref().map_or(f64::NEG_INFINITY, |m| f64::from(m.path_gain_db[i]));
                }
                let s = serving(cells, pg, kpi);
                PointServing {
                    best: s.best,
                    rsrp_dbm: s.rsrp_dbm as f32,
                    sinr_db: s.sinr_db as f32,
                    spectral_efficiency: s.spectral_efficiency as f32,
                }
            },
        )
        .collect()
}

/// Unserves every point below the thresholds or the noise floor of its server's resource
/// element, for a receiver of noise figure `nf_db` (it keeps its RSRP and SINR, for the maps).
pub fn apply_thresholds(
    points: &mut [PointServing],
    cells: &[Cell],
    t: CoverageThresholds,
    nf_db: f64,
) {
    for p in points {
        if let Some(b) = p.best
            && !t.covers(&cells[b], f64::from(p.rsrp_dbm), f64::from(p.sinr_db), nf_db)
        {
            p.best = None;
        }
    }
}

/// Applies the learned correction to the served points of a state whose cells are `cells` and
/// coverage maps `maps`: each served point's RSRP and SINR shift by the correction predicted
/// for its serving cell (the interference is the twin's), and its spectral efficiency follows
/// the corrected SINR. Which cell serves stays the twin's choice.
#[cfg(feature = "calibrate")]
pub fn correct(
    corr: &crate::calibration::Correction,
    scene: Option<&radio::Scene>,
    grid: &radio::Grid,
    kpi: &KpiConfig,
    (cells, maps): (&[Cell], &[Option<Arc<CellMap>>]),
    points: &mut [PointServing],
) -> Result<(), crate::ScenarioError> {
    let served: Vec<(usize, usize)> =
        points.iter().enumerate().filter_map(|(p, s)| s.best.map(|c| (p, c))).collect();
    let keys: Vec<String> = cells.iter().map(super::maps::radio_key).collect();
    let gain = |c: usize, p: usize| {
        maps[c].as_ref().map_or(f64::NEG_INFINITY, |m| f64::from(m.path_gain_db[p]))
    };
    let delta = corr.corrections(scene, grid, kpi, cells, &keys, &served, &gain)?;
    for (&(p, _), d) in served.iter().zip(delta) {
        let o = &mut points[p];
        o.rsrp_dbm += d as f32;
        o.sinr_db += d as f32;
        o.spectral_efficiency = kpi.spectral_efficiency.bps_per_hz(f64::from(o.sinr_db)) as f32;
    }
    Ok(())
}

/// Share of outdoor points served.
pub fn coverage(points: &[PointServing], outdoor: &[bool]) -> f64 {
    let covered = points.iter().zip(outdoor).filter(|(s, o)| **o && s.best.is_some()).count();
    covered as f64 / outdoor.iter().filter(|o| **o).count().max(1) as f64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::small_plan;

    /// Two cells of the small plan with flat maps over four points: cell 0 strong on the first
    /// two, cell 1 on the last two; point 3 is indoor.
    fn two_cells() -> (Vec<Cell>, Vec<Option<Arc<CellMap>>>) {
        let cells: Vec<Cell> = small_plan().inventory.cells[..2].to_vec();
        let map = |v: [f32; 4]| Some(Arc::new(CellMap { path_gain_db: v.to_vec() }));
        (cells, vec![map([-80.0, -90.0, -150.0, -100.0]), map([-120.0, -125.0, -95.0, -70.0])])
    }

    #[test]
    fn the_strongest_cell_serves_and_indoor_points_are_not_served() {
        let (cells, maps) = two_cells();
        let kpi = KpiConfig { interference_load: 0.5, ..KpiConfig::default() };
        let points = serve(&cells, &maps, &[true, true, true, false], &kpi);
        assert_eq!(
            points.iter().map(|p| p.best).collect::<Vec<_>>(),
            [Some(0), Some(0), Some(1), None]
        );
        assert_eq!(points[3], PointServing::NONE);
        // The same power on both cells: RSRP follows path gain; SINR falls as the other nears.
        assert!(points[0].rsrp_dbm > points[1].rsrp_dbm);
        assert!(points[0].sinr_db > points[1].sinr_db);
        assert!(points[0].spectral_efficiency >= points[1].spectral_efficiency);
        // A cell switched off neither serves nor interferes.
        let off = serve(&cells, &[maps[0].clone(), None], &[true; 4], &kpi);
        assert_eq!(off[2].best, Some(0));
        assert!(off[1].sinr_db > points[1].sinr_db);
    }

    #[test]
    fn thresholds_unserve_weak_points_and_coverage_counts_outdoor_ones() {
        let (cells, maps) = two_cells();
        let outdoor = [true, true, true, false];
        let mut points = serve(&cells, &maps, &outdoor, &KpiConfig::default());
        let strict = CoverageThresholds {
            min_rsrp_dbm: f64::from(points[1].rsrp_dbm) + 0.5,
            min_sinr_db: -100.0,
        };
        let rsrp_before = points[1].rsrp_dbm;
        apply_thresholds(&mut points, &cells, strict, 7.0);
        assert_eq!(points[1].best, None);
        assert_eq!(points[1].rsrp_dbm, rsrp_before, "an unserved point keeps its RSRP");
        assert_eq!(points[0].best, Some(0));
        assert_eq!(points[2].best, None, "weaker still than point 1");
        assert!((coverage(&points, &outdoor) - 1.0 / 3.0).abs() < 1e-12);
        // However low the thresholds, a reference signal under the noise floor is not received.
        let lax = CoverageThresholds { min_rsrp_dbm: -300.0, min_sinr_db: -300.0 };
        points[0].rsrp_dbm = -203.0;
        apply_thresholds(&mut points, &cells, lax, 7.0);
        assert_eq!(points[0].best, None);
    }
}
