//! One user's drop and its large-scale links: height and O2I state (TR 38.901 §7.4.3, Table
//! 7.8-1), LOS state (Table 7.4.2-1 on the outdoor distance), path loss with UMa's random
//! environment height (Table 7.4.1-1 Note 1) and log-normal shadow fading.
//!
//! Everything that 38.901 §7.5 step 1–9 ties to a site–user pair (LOS state, `h_E`, shadow
//! fading) is drawn once per site and shared by its three sectors. The O2I state (building type,
//! `d_2D-in`, the penetration loss's random part) is drawn once per user and applies to every
//! site, as in QuaDRiGa's `qd_layout.gen_o2i_loss` ("the O2I-loss is specific for each
//! terminal").

use rand::RngExt;
use sim_core::{Dist, SimRng};

use super::{Calibration, LosDistance, ParameterSet, ScenarioKind};
use crate::propagation::empirical::{EmpiricalModel, Scenario};

/// The speed of light as TR 38.901's breakpoint formulas use it.
const C_3GPP: f64 = 3.0e8;

/// Building type of an indoor user (§7.4.3.1: 50 % each in the calibration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Building {
    /// Standard glass and concrete: `5 − 10 log10(0.3·10^(−L_glass/10) + 0.7·10^(−L_concrete/10))`,
    /// σ_P = 4.4 dB.
    LowLoss,
    /// IRR glass and concrete: `5 − 10 log10(0.7·10^(−L_IIRglass/10) + 0.3·10^(−L_concrete/10))`,
    /// σ_P = 6.5 dB.
    HighLoss,
}

impl Building {
    /// The mean penetration loss through the outer wall `PL_tw` at `fc_ghz` (Table 7.4.3-1
    /// materials: `L_glass = 2 + 0.2 f`, `L_IIRglass = 23 + 0.3 f`, `L_concrete = 5 + 4 f`).
    pub fn wall_loss_db(self, fc_ghz: f64) -> f64 {
        let glass = 2.0 + 0.2 * fc_ghz;
        let irr_glass = 23.0 + 0.3 * fc_ghz;
        let concrete = 5.0 + 4.0 * fc_ghz;
        let lin = |l: f64| 10f64.powf(-l / 10.0);
        match self {
            Building::LowLoss => 5.0 - 10.0 * (0.3 * lin(glass) + 0.7 * lin(concrete)).log10(),
            Building::HighLoss => 5.0 - 10.0 * (0.7 * lin(irr_glass) + 0.3 * lin(concrete)).log10(),
        }
    }

    /// The standard deviation σ_P of the penetration loss, dB (Table 7.4.3-2).
    pub fn sigma_db(self) -> f64 {
        match self {
            Building::LowLoss => 4.4,
            Building::HighLoss => 6.5,
        }
    }
}

/// An indoor user's O2I state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indoor {
    /// The building type.
    pub building: Building,
    /// Indoor distance `d_2D-in`, metres: the smaller of two U(0, 25) draws.
    pub d2d_in_m: f64,
    /// The whole O2I loss, dB: `PL_tw + 0.5·d_2D-in + N(0, σ_P)`.
    pub o2i_loss_db: f64,
}

/// A dropped user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ue {
    /// Position, metres (x east, y north).
    pub xy: [f64; 2],
    /// Antenna height above ground `h_UT`, metres.
    pub h_ut_m: f64,
    /// The O2I state; `None` outdoors.
    pub indoor: Option<Indoor>,
}

/// Draws a user: position, indoor or not (80 %), floor (N_fl ~ U{4..8}, n_fl ~ U{1..N_fl},
/// `h_UT = 3(n_fl − 1) + 1.5`; outdoors 1.5 m), building type and O2I loss.
pub fn drop_ue(cal: &Calibration, normal: &Dist, rng: &mut SimRng) -> Ue {
    let xy = cal.layout.drop_point(cal.deployment.min_d2d_m, rng);
    if rng.random::<f64>() >= cal.config.indoor_fraction {
        return Ue { xy, h_ut_m: 1.5, indoor: None };
    }
    let n_floors: u32 = rng.random_range(4..=8);
    let floor: u32 = rng.random_range(1..=n_floors);
    let h_ut_m = 3.0 * f64::from(floor - 1) + 1.5;
    let building = if rng.random::<f64>() < cal.config.high_loss_fraction {
        Building::HighLoss
    } else {
        Building::LowLoss
    };
    let d2d_in_m = (25.0 * rng.random::<f64>()).min(25.0 * rng.random::<f64>());
    let fc_ghz = cal.config.freq_hz * 1e-9;
    let o2i_loss_db =
        building.wall_loss_db(fc_ghz) + 0.5 * d2d_in_m + building.sigma_db() * normal.sample(rng);
    Ue { xy, h_ut_m, indoor: Some(Indoor { building, d2d_in_m, o2i_loss_db }) }
}

/// The large-scale loss from one site to a user, without antenna gains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteLink {
    /// Whether the link is in line of sight.
    pub los: bool,
    /// Path loss + O2I loss + shadow fading, dB.
    pub loss_db: f64,
}

/// The link from a site at 2D distance `d2d_m` to `ue`: LOS state, `h_E`, path loss, O2I loss
/// and shadow fading.
pub fn site_link(
    cal: &Calibration,
    ue: &Ue,
    d2d_m: f64,
    normal: &Dist,
    rng: &mut SimRng,
) -> SiteLink {
    let h_bs = cal.deployment.h_bs_m;
    let f_hz = cal.config.freq_hz;
    let model = EmpiricalModel { scenario: cal.config.scenario.empirical() };
    // Table 7.4.2-1 is evaluated on the outdoor part of the distance for O2I users.
    let d2d_los = match cal.config.los_distance {
        LosDistance::Outdoor => (d2d_m - ue.indoor.map_or(0.0, |i| i.d2d_in_m)).max(0.0),
        LosDistance::Total => d2d_m,
    };
    let los = rng.random::<f64>() < model.los_probability(d2d_los, ue.h_ut_m);
    let pl_db = match cal.config.scenario {
        ScenarioKind::UMa => {
            let h_e = uma_environment_height_m(d2d_m, ue.h_ut_m, rng);
            uma_path_loss_db(cal.config.parameters, los, d2d_m, h_bs, ue.h_ut_m, h_e, f_hz)
        }
        ScenarioKind::UMi => model.path_loss_db(los, d2d_m, h_bs, ue.h_ut_m, f_hz),
    };
    let sigma_sf = match (ue.indoor, cal.config.o2i_shadow_sigma_db) {
        (Some(_), Some(s)) => s,
        _ => cal.config.scenario.shadow_sigma_db(los),
    };
    let o2i = ue.indoor.map_or(0.0, |i| i.o2i_loss_db);
    SiteLink { los, loss_db: pl_db + o2i + sigma_sf * normal.sample(rng) }
}

/// UMa's effective environment height (Table 7.4.1-1 Note 1): 1 m with probability
/// `1/(1 + C(d2D, h_UT))`, otherwise drawn uniformly from {12, 15, …, h_UT − 1.5}.
/// `C = ((h_UT − 13)/10)^1.5 · g(d2D)` for 13 ≤ h_UT ≤ 23 m (0 below), with
/// `g = 1.25 (d2D/100)³ exp(−d2D/150)` beyond 18 m (0 within).
pub fn uma_environment_height_m(d2d_m: f64, h_ut_m: f64, rng: &mut SimRng) -> f64 {
    let g =
        if d2d_m <= 18.0 { 0.0 } else { 1.25 * (d2d_m / 100.0).powi(3) * (-d2d_m / 150.0).exp() };
    let c = if h_ut_m < 13.0 { 0.0 } else { ((h_ut_m - 13.0) / 10.0).powf(1.5) * g };
    // Both draws are always made so that a user's stream advances the same way in every case.
    let (u, v) = (rng.random::<f64>(), rng.random::<f64>());
    if u < 1.0 / (1.0 + c) {
        return 1.0;
    }
    // The set {12, 15, …, h_UT − 1.5}: h_UT is 3(n_fl − 1) + 1.5 here, so it is never empty
    // when C > 0 (h_UT ≥ 13.5 m).
    let n = (((h_ut_m - 1.5 - 12.0) / 3.0).floor() as usize + 1).max(1);
    12.0 + 3.0 * ((v * n as f64).floor() as usize).min(n - 1) as f64
}

/// UMa path loss (Table 7.4.1-1) with environment height `h_e_m`, in the parameters of
/// `params`. With `h_E` = 1 m and TR 38.901 parameters it equals
/// [`EmpiricalModel::path_loss_db`] (a unit test holds them together).
///
/// TR 38.900 v14.0.0, with which the reference curves were made, had a different UMa LOS model:
/// `PL1 = 32.4 + 20 log10(d3D) + 20 log10(fc)`, `PL2 = 32.4 + 40 log10(d3D) + 20 log10(fc) −
/// 10 log10(d'BP² + (h_BS − h_UT)²)` (as implemented in ClanceyWong's "Flexible 3GPP Channel
/// Modeling and Calibration", `+links/Link38900_e00.m`, next to `Link38901.m` with 38.901's
/// `28 + 22 log10(d3D)` and `− 9 log10(…)`). The NLOS formula is the same in both.
pub fn uma_path_loss_db(
    params: ParameterSet,
    los: bool,
    d2d_m: f64,
    h_bs_m: f64,
    h_ut_m: f64,
    h_e_m: f64,
    f_hz: f64,
) -> f64 {
    let lg = f64::log10;
    let fc = f_hz * 1e-9;
    let dh2 = (h_bs_m - h_ut_m).powi(2);
    let d3d = (d2d_m * d2d_m + dh2).sqrt();
    let dbp = 4.0 * (h_bs_m - h_e_m) * (h_ut_m - h_e_m) * f_hz / C_3GPP;
    let pl_los = match (params, d2d_m <= dbp) {
        (ParameterSet::Tr38901, true) => 28.0 + 22.0 * lg(d3d) + 20.0 * lg(fc),
        (ParameterSet::Tr38901, false) => {
            28.0 + 40.0 * lg(d3d) + 20.0 * lg(fc) - 9.0 * lg(dbp * dbp + dh2)
        }
        (ParameterSet::Tr38900V14, true) => 32.4 + 20.0 * lg(d3d) + 20.0 * lg(fc),
        (ParameterSet::Tr38900V14, false) => {
            32.4 + 40.0 * lg(d3d) + 20.0 * lg(fc) - 10.0 * lg(dbp * dbp + dh2)
        }
    };
    if los {
        pl_los
    } else {
        pl_los.max(13.54 + 39.08 * lg(d3d) + 20.0 * lg(fc) - 0.6 * (h_ut_m - 1.5))
    }
}

impl ScenarioKind {
    /// The matching empirical scenario.
    pub(crate) fn empirical(self) -> Scenario {
        match self {
            ScenarioKind::UMa => Scenario::UMa,
            ScenarioKind::UMi => Scenario::UMi,
        }
    }

    /// σ_SF of Table 7.4.1-1: UMa 4 / 6 dB, UMi 4 / 7.82 dB (LOS / NLOS).
    pub fn shadow_sigma_db(self, los: bool) -> f64 {
        match (self, los) {
            (_, true) => 4.0,
            (ScenarioKind::UMa, false) => 6.0,
            (ScenarioKind::UMi, false) => 7.82,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngStreams;

    #[test]
    fn penetration_losses_at_6_ghz() {
        // Computed from the Table 7.4.3-1 materials at 6 GHz: glass 3.2, IRR glass 24.8,
        // concrete 29 dB.
        assert!((Building::LowLoss.wall_loss_db(6.0) - 13.4022).abs() < 1e-3);
        assert!((Building::HighLoss.wall_loss_db(6.0) - 30.6935).abs() < 1e-3);
    }

    #[test]
    fn uma_with_unit_environment_height_is_the_empirical_model() {
        let m = EmpiricalModel { scenario: Scenario::UMa };
        for d in [20.0, 100.0, 300.0, 900.0, 2000.0] {
            for h in [1.5, 7.5, 22.5] {
                for los in [true, false] {
                    let a = uma_path_loss_db(ParameterSet::Tr38901, los, d, 25.0, h, 1.0, 6e9);
                    let b = m.path_loss_db(los, d, 25.0, h, 6e9);
                    assert!((a - b).abs() < 1e-9, "{d} {h} {los}: {a} {b}");
                }
            }
        }
        // A higher environment height moves the breakpoint in (at 6 GHz from 41 km to 480 m for
        // h_E = 21 m and h_UT = 22.5 m): more loss far out.
        let near = uma_path_loss_db(ParameterSet::Tr38901, true, 1000.0, 25.0, 22.5, 1.0, 6e9);
        let far = uma_path_loss_db(ParameterSet::Tr38901, true, 1000.0, 25.0, 22.5, 21.0, 6e9);
        assert!(far > near + 1.0, "{near} {far}");
    }

    #[test]
    fn the_38900_los_model_is_free_space_like_before_the_breakpoint() {
        // 32.4 + 20 log10(d) + 20 log10(6) at d3D = 100 m: 87.963 dB.
        let d2d = (100f64.powi(2) - 23.5f64.powi(2)).sqrt();
        let pl = uma_path_loss_db(ParameterSet::Tr38900V14, true, d2d, 25.0, 1.5, 1.0, 6e9);
        assert!((pl - (32.4 + 40.0 + 20.0 * 6f64.log10())).abs() < 1e-9, "{pl}");
    }

    #[test]
    fn environment_height_follows_note_1() {
        let mut rng = RngStreams::new(1).stream("he");
        // Below 13 m, or within 18 m, h_E is always 1 m.
        assert!((0..100).all(|_| uma_environment_height_m(200.0, 10.5, &mut rng) == 1.0));
        assert!((0..100).all(|_| uma_environment_height_m(15.0, 22.5, &mut rng) == 1.0));
        // At 22.5 m and 150 m: C = 0.95^1.5 · 1.25 · 1.5³ · e^−1 = 1.4371, so P(h_E = 1) = 0.4103;
        // the others spread evenly over {12, 15, 18, 21}.
        let n = 40_000;
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..n {
            *counts.entry(uma_environment_height_m(150.0, 22.5, &mut rng) as u32).or_insert(0) += 1;
        }
        let p1 = f64::from(counts[&1]) / f64::from(n);
        assert!((p1 - 0.4103).abs() < 0.01, "{counts:?}");
        assert_eq!(counts.keys().copied().collect::<Vec<_>>(), vec![1, 12, 15, 18, 21]);
    }
}
