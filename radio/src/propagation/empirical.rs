//! Empirical path-loss models: free space, 3GPP TR 38.901 Table 7.4.1-1 (UMa, UMi street canyon,
//! RMa, InH office) and the LOS probabilities of Table 7.4.2-1.
//!
//! Conventions follow the specification (and ns-3 and Sionna, which agree with it): `fc` in GHz
//! inside the logarithms; breakpoint distances with `fc` in Hz and c = 3·10⁸ m/s; the effective
//! environment height `h_E` = 1 m (deterministic, valid for `h_UT` < 13 m); breakpoints compared
//! with the 2D distance. Shadow fading is not drawn: these are median losses.
//!
//! They serve as a comparison for the ray tracer, and as a fallback where there is no scene:
//! [`EmpiricalModel::expected_path_loss_db`] averages the LOS and NLOS losses in the linear domain
//! with the LOS probability as weight, and [`EmpiricalTracer`] is the one executor of it, a
//! [`Propagation`] backend that the replay (without a scene) and the learned layer's features
//! both use.

use rayon::prelude::*;

use super::{CoverageMap, PointResult, Propagation, TraceConfig, Transmitter};
use crate::error::RadioError;
use crate::geometry::Vec3;
use crate::grid::Grid;
use crate::material::SPEED_OF_LIGHT;
use crate::scene::Scene;

/// The speed of light as TR 38.901's breakpoint formulas use it.
const C_3GPP: f64 = 3.0e8;

/// Free-space path loss in dB at distance `d_m` and frequency `f_hz` (Friis, c exact):
/// `20 log10(4π d f / c)`.
pub fn fspl_db(d_m: f64, f_hz: f64) -> f64 {
    20.0 * (4.0 * std::f64::consts::PI * d_m * f_hz / SPEED_OF_LIGHT).log10()
}

/// A TR 38.901 scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scenario {
    /// Urban macro.
    UMa,
    /// Urban micro, street canyon.
    UMi,
    /// Rural macro, with its average building height and street width.
    RMa {
        /// Average building height h, metres (5 by default).
        building_height_m: f64,
        /// Average street width W, metres (20 by default).
        street_width_m: f64,
    },
    /// Indoor hotspot, office.
    InHOffice,
}

impl Scenario {
    /// RMa with the default building height (5 m) and street width (20 m).
    pub const RMA_DEFAULT: Scenario =
        Scenario::RMa { building_height_m: 5.0, street_width_m: 20.0 };
}

/// A 3GPP model evaluated for a given scenario, with both the LOS and NLOS losses and the LOS
/// probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmpiricalModel {
    /// The scenario.
    pub scenario: Scenario,
}

impl EmpiricalModel {
    /// Median path loss in dB for a link of 2D distance `d2d_m` between heights `h_bs_m` and
    /// `h_ut_m` at `f_hz`, in line of sight or not.
    pub fn path_loss_db(&self, los: bool, d2d_m: f64, h_bs_m: f64, h_ut_m: f64, f_hz: f64) -> f64 {
        let fc = f_hz * 1e-9;
        let d3d = (d2d_m * d2d_m + (h_bs_m - h_ut_m).powi(2)).sqrt();
        let lg = f64::log10;
        match self.scenario {
            Scenario::UMa => {
                let dbp = 4.0 * (h_bs_m - 1.0) * (h_ut_m - 1.0) * f_hz / C_3GPP;
                let pl_los = if d2d_m <= dbp {
                    28.0 + 22.0 * lg(d3d) + 20.0 * lg(fc)
                } else {
                    28.0 + 40.0 * lg(d3d) + 20.0 * lg(fc)
                        - 9.0 * lg(dbp * dbp + (h_bs_m - h_ut_m).powi(2))
                };
                if los {
                    pl_los
                } else {
                    pl_los.max(13.54 + 39.08 * lg(d3d) + 20.0 * lg(fc) - 0.6 * (h_ut_m - 1.5))
                }
            }
            Scenario::UMi => {
                let dbp = 4.0 * (h_bs_m - 1.0) * (h_ut_m - 1.0) * f_hz / C_3GPP;
                let pl_los = if d2d_m <= dbp {
                    32.4 + 21.0 * lg(d3d) + 20.0 * lg(fc)
                } else {
                    32.4 + 40.0 * lg(d3d) + 20.0 * lg(fc)
                        - 9.5 * lg(dbp * dbp + (h_bs_m - h_ut_m).powi(2))
                };
                if los {
                    pl_los
                } else {
                    pl_los.max(35.3 * lg(d3d) + 22.4 + 21.3 * lg(fc) - 0.3 * (h_ut_m - 1.5))
                }
            }
            Scenario::RMa { building_height_m: h, street_width_m: w } => {
                let dbp = 2.0 * std::f64::consts::PI * h_bs_m * h_ut_m * f_hz / C_3GPP;
                let pl1 = |d: f64| {
                    20.0 * lg(40.0 * std::f64::consts::PI * d * fc / 3.0)
                        + (0.03 * h.powf(1.72)).min(10.0) * lg(d)
                        - (0.044 * h.powf(1.72)).min(14.77)
                        + 0.002 * lg(h) * d
                };
                let pl_los = if d2d_m <= dbp { pl1(d3d) } else { pl1(dbp) + 40.0 * lg(d3d / dbp) };
                if los {
                    pl_los
                } else {
                    let nlos = 161.04 - 7.1 * lg(w) + 7.5 * lg(h)
                        - (24.37 - 3.7 * (h / h_bs_m).powi(2)) * lg(h_bs_m)
                        + (43.42 - 3.1 * lg(h_bs_m)) * (lg(d3d) - 3.0)
                        + 20.0 * lg(fc)
                        - (3.2 * lg(11.75 * h_ut_m).powi(2) - 4.97);
                    pl_los.max(nlos)
                }
            }
            Scenario::InHOffice => {
                let pl_los = 32.4 + 17.3 * lg(d3d) + 20.0 * lg(fc);
                if los { pl_los } else { pl_los.max(38.3 * lg(d3d) + 17.30 + 24.9 * lg(fc)) }
            }
        }
    }

    /// The LOS probability at 2D distance `d2d_m` for a user at `h_ut_m` (Table 7.4.2-1; InH is
    /// the mixed-office variant).
    pub fn los_probability(&self, d2d_m: f64, h_ut_m: f64) -> f64 {
        match self.scenario {
            Scenario::RMa { .. } => {
                if d2d_m <= 10.0 {
                    1.0
                } else {
                    (-(d2d_m - 10.0) / 1000.0).exp()
                }
            }
            Scenario::UMi => {
                if d2d_m <= 18.0 {
                    1.0
                } else {
                    18.0 / d2d_m + (-d2d_m / 36.0).exp() * (1.0 - 18.0 / d2d_m)
                }
            }
            Scenario::UMa => {
                if d2d_m <= 18.0 {
                    return 1.0;
                }
                let c = if h_ut_m <= 13.0 { 0.0 } else { ((h_ut_m - 13.0) / 10.0).powf(1.5) };
                (18.0 / d2d_m + (-d2d_m / 63.0).exp() * (1.0 - 18.0 / d2d_m))
                    * (1.0 + c * 1.25 * (d2d_m / 100.0).powi(3) * (-d2d_m / 150.0).exp())
            }
            Scenario::InHOffice => {
                if d2d_m <= 1.2 {
                    1.0
                } else if d2d_m < 6.5 {
                    (-(d2d_m - 1.2) / 4.7).exp()
                } else {
                    (-(d2d_m - 6.5) / 32.6).exp() * 0.32
                }
            }
        }
    }

    /// The LOS-probability-weighted loss: `−10 log10(P·10^(−PL_LOS/10) + (1 − P)·10^(−PL_NLOS/10))`.
    pub fn expected_path_loss_db(&self, d2d_m: f64, h_bs_m: f64, h_ut_m: f64, f_hz: f64) -> f64 {
        let p = self.los_probability(d2d_m, h_ut_m);
        let los = self.path_loss_db(true, d2d_m, h_bs_m, h_ut_m, f_hz);
        let nlos = self.path_loss_db(false, d2d_m, h_bs_m, h_ut_m, f_hz);
        -10.0 * (p * 10f64.powf(-los / 10.0) + (1.0 - p) * 10f64.powf(-nlos / 10.0)).log10()
    }
}

/// The empirical model as a propagation backend: from a transmitter to a point, the
/// transmitting antenna's gain towards it minus the LOS-probability-weighted median loss
/// ([`EmpiricalModel::expected_path_loss_db`]) over their 2D distance (at least 10 m), between
/// the transmitter's height above the ground and the receiver's. No ray is traced: a scene,
/// where one is given, only tells which grid points are indoor (they get no path gain).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmpiricalTracer {
    /// The model.
    pub model: EmpiricalModel,
    /// The receiver's height above the ground, metres (the model's `h_UT`): a receiver at
    /// `z` stands on ground at `z − ue_height_m`.
    pub ue_height_m: f64,
}

impl Default for EmpiricalTracer {
    /// TR 38.901 UMa, receivers at 1.5 m.
    fn default() -> Self {
        EmpiricalTracer { model: EmpiricalModel { scenario: Scenario::UMa }, ue_height_m: 1.5 }
    }
}

impl EmpiricalTracer {
    /// The path gain in dB from `tx` to a receiver at `rx` (scene coordinates).
    pub fn path_gain_db(&self, tx: &Transmitter, rx: &Vec3) -> f64 {
        let d = rx - tx.position;
        let d2d = (d.x * d.x + d.y * d.y).sqrt().max(10.0);
        let ground = rx.z - self.ue_height_m;
        let h_bs = (tx.position.z - ground).max(1.0);
        let pl = self.model.expected_path_loss_db(d2d, h_bs, self.ue_height_m, tx.freq_hz);
        tx.antenna.gain_dbi(&d.normalize()) - pl
    }

    /// The path gain in dB at every point of `grid`, with every point outdoors (no scene).
    pub fn grid_path_gain_db(&self, tx: &Transmitter, grid: &Grid) -> Vec<f64> {
        (0..grid.len()).into_par_iter().map(|i| self.path_gain_db(tx, &grid.point(i))).collect()
    }

    /// Whether line of sight is the more likely state at 2D distance `d2d_m` (what a coverage
    /// map's `los` holds for this model).
    fn likely_los(&self, tx: &Transmitter, rx: &Vec3) -> bool {
        let d = rx - tx.position;
        let d2d = (d.x * d.x + d.y * d.y).sqrt().max(10.0);
        self.model.los_probability(d2d, self.ue_height_m) >= 0.5
    }
}

impl Propagation for EmpiricalTracer {
    fn name(&self) -> &'static str {
        "empirical"
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
        let outdoor = super::cpu::outdoor_mask(scene, grid);
        let gain_db = self.grid_path_gain_db(tx, grid);
        let path_gain = gain_db
            .iter()
            .zip(&outdoor)
            .map(|(g, &o)| if o { 10f64.powf(g / 10.0) } else { 0.0 })
            .collect();
        let los =
            (0..grid.len()).map(|i| outdoor[i] && self.likely_los(tx, &grid.point(i))).collect();
        Ok(CoverageMap { grid: *grid, path_gain, outdoor, los, rays: 0 })
    }

    fn points(
        &self,
        _scene: &Scene,
        tx: &Transmitter,
        points: &[Vec3],
        cfg: &TraceConfig,
    ) -> Result<Vec<PointResult>, RadioError> {
        cfg.validate()?;
        tx.validate()?;
        if let Some(index) = points.iter().position(|p| !p.iter().all(|c| c.is_finite())) {
            return Err(RadioError::InvalidPoint { index });
        }
        // A statistical model has no geometric paths: only the path gain.
        Ok(points
            .iter()
            .map(|p| PointResult {
                path_gain: 10f64.powf(self.path_gain_db(tx, p) / 10.0),
                paths: Vec::new(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_worked_checks() {
        // REFERENCES.md §1 (computed with exact c).
        for (f, d, pl) in [
            (2.4e9, 1000.0, 100.052),
            (3.5e9, 100.0, 83.329),
            (28e9, 500.0, 115.370),
            (1e9, 1.0, 32.448),
        ] {
            assert!((fspl_db(d, f) - pl).abs() < 1e-3, "{f} Hz, {d} m");
        }
    }

    #[test]
    fn los_probabilities() {
        let m = |s| EmpiricalModel { scenario: s };
        let cases = [
            (50.0, 0.96079, 0.51959, 0.64940, 0.71672),
            (100.0, 0.91393, 0.23098, 0.34767, 0.55427),
            (200.0, 0.82696, 0.09352, 0.12805, 0.44058),
            (1000.0, 0.37158, 0.01800, 0.01800, 0.04451),
        ];
        for (d, rma, umi, uma15, uma225) in cases {
            assert!((m(Scenario::RMA_DEFAULT).los_probability(d, 1.5) - rma).abs() < 1e-5);
            assert!((m(Scenario::UMi).los_probability(d, 1.5) - umi).abs() < 1e-5);
            assert!((m(Scenario::UMa).los_probability(d, 1.5) - uma15).abs() < 1e-5);
            assert!((m(Scenario::UMa).los_probability(d, 22.5) - uma225).abs() < 1e-5);
        }
        assert!((m(Scenario::InHOffice).los_probability(5.0, 1.0) - 0.44552).abs() < 1e-5);
        assert!((m(Scenario::InHOffice).los_probability(10.0, 1.0) - 0.28742).abs() < 1e-5);
    }

    #[test]
    fn expected_loss_lies_between_los_and_nlos() {
        let m = EmpiricalModel { scenario: Scenario::UMa };
        let e = m.expected_path_loss_db(200.0, 25.0, 1.5, 3.5e9);
        assert!(e > m.path_loss_db(true, 200.0, 25.0, 1.5, 3.5e9));
        assert!(e < m.path_loss_db(false, 200.0, 25.0, 1.5, 3.5e9));
    }

    #[test]
    fn the_executor_is_the_antenna_gain_minus_the_expected_loss() {
        use crate::antenna::{Antenna, Orientation, Pattern, Polarization};
        let tx = Transmitter {
            position: crate::geometry::vec3(0.0, 0.0, 25.0),
            freq_hz: 3.5e9,
            antenna: Antenna::new(
                Pattern::Isotropic,
                Polarization::Vertical,
                Orientation::default(),
            )
            .unwrap(),
        };
        let e = EmpiricalTracer::default();
        let m = EmpiricalModel { scenario: Scenario::UMa };
        // 200 m away at 1.5 m above flat ground; isotropic: 0 dBi.
        let g = e.path_gain_db(&tx, &crate::geometry::vec3(200.0, 0.0, 1.5));
        assert!((g + m.expected_path_loss_db(200.0, 25.0, 1.5, 3.5e9)).abs() < 1e-9, "{g}");
        // Closer than 10 m counts as 10 m; a receiver on higher ground sees a lower mast.
        let near = e.path_gain_db(&tx, &crate::geometry::vec3(3.0, 0.0, 1.5));
        assert!((near + m.expected_path_loss_db(10.0, 25.0, 1.5, 3.5e9)).abs() < 1e-9);
        let hill = e.path_gain_db(&tx, &crate::geometry::vec3(200.0, 0.0, 11.5));
        assert!((hill + m.expected_path_loss_db(200.0, 15.0, 1.5, 3.5e9)).abs() < 1e-9);
        let grid = Grid::new(100.0, -10.0, 20.0, 3, 1, 1.5).unwrap();
        let row = e.grid_path_gain_db(&tx, &grid);
        assert_eq!(row.len(), 3);
        assert!(row[0] > row[1] && row[1] > row[2], "loss grows with distance: {row:?}");
    }
}
