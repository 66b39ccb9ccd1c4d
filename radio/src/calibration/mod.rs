//! System-level calibration against 3GPP TR 38.901 §7.8.1 ("large scale calibration").
//!
//! 3GPP companies calibrated their system simulators on one common set-up (Table 7.8-1) and
//! published the distributions of two large-scale quantities, with no fast fading: the
//! *coupling gain* to the serving cell (antenna gain minus path loss, O2I loss and shadow
//! fading) and the *geometry* (the serving cell's power over the sum of all other cells' power,
//! full load, no noise). This module runs that set-up on the radio crate's empirical models and
//! antennas and compares the percentiles with the reference ([`mod@reference`]).
//!
//! ```text
//!   CalibrationConfig ──validate──► Calibration (layout, 3 sector antennas)
//!                                        │ run: per user, own random stream "ue"/i
//!                                        ▼
//!   drop (position, indoor 80 %, floor, O2I) ─► 19 sites × nearest wrap-around image
//!        └► per site: LOS (d2D-out), h_E, path loss, SF ─► per sector: + antenna gain
//!                                        ▼
//!   CalibrationResult (coupling gain, geometry per user) ──► Comparison with the reference
//! ```
//!
//! The set-up (Table 7.8-1, QuaDRiGa's `tutorials/calib_3GPP_38901_large_scale.m`): 19 sites ×
//! 3 sectors, hexagonal with wrap-around ([`layout`]); UMa: ISD 500 m, BS 25 m, users at least
//! 35 m away; UMi street canyon: ISD 200 m, BS 10 m, at least 10 m; 6 GHz; users uniform over
//! the area, 80 % indoor with 50 % low-loss and 50 % high-loss buildings (§7.4.3), indoor
//! heights `3(n_fl − 1) + 1.5` m with N_fl ~ U{4..8} floors and n_fl ~ U{1..N_fl}, outdoor 1.5 m;
//! BS antenna a column of 10 TR 38.901 elements 0.5 λ apart ([`PanelArray`], 8 + 10 dBi),
//! vertically polarised, its beam steered 12° down (102° in 38.901's zenith angles), sectors at
//! 30°, 150°, 270° counter-clockwise from east; UE omnidirectional, 0 dBi; the serving cell is
//! the one of largest coupling gain.
//!
//! With that set-up the measured percentiles are within tolerance of the reference (coupling
//! gain 3 dB, geometry 1 dB at p5, p50 and p95); `docs/radio.md` has the table, the TR 38.900
//! v14.0.0 variant ([`ParameterSet::Tr38900V14`]) and the sensitivity to [`LosDistance`].
//!
//! Randomness comes from [`sim_core::RngStreams`]: user `i` draws everything from the stream
//! `indexed("ue", i)` of the configured seed, so results are identical for any number of rayon
//! threads and a user's draws do not depend on the others.

pub mod layout;
pub mod link;
pub mod reference;

use rayon::prelude::*;
use sim_core::{Dist, DistError, RngStreams};

use crate::antenna::{Antenna, Orientation, PanelArray, Pattern, Polarization};
use crate::error::AntennaError;
use crate::geometry::vec3;
use layout::{HexLayout, N_CELLS, N_SITES, SECTOR_BORESIGHT_MATH_DEG, SECTORS_PER_SITE};
pub use reference::{Comparison, Quantity, Row, Tolerance};

/// The calibration scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScenarioKind {
    /// Urban macro: ISD 500 m, BS 25 m, minimum 2D distance 35 m.
    UMa,
    /// Urban micro, street canyon: ISD 200 m, BS 10 m, minimum 2D distance 10 m.
    UMi,
}

impl ScenarioKind {
    /// The deployment of Table 7.8-1 for this scenario.
    pub fn deployment(self) -> Deployment {
        match self {
            ScenarioKind::UMa => Deployment { isd_m: 500.0, h_bs_m: 25.0, min_d2d_m: 35.0 },
            ScenarioKind::UMi => Deployment { isd_m: 200.0, h_bs_m: 10.0, min_d2d_m: 10.0 },
        }
    }

    /// "UMa" or "UMi".
    pub fn name(self) -> &'static str {
        match self {
            ScenarioKind::UMa => "UMa",
            ScenarioKind::UMi => "UMi",
        }
    }
}

/// Where the sites stand and how close users may come.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deployment {
    /// Inter-site distance, metres.
    pub isd_m: f64,
    /// BS antenna height, metres.
    pub h_bs_m: f64,
    /// Minimum BS–UE 2D distance, metres.
    pub min_d2d_m: f64,
}

/// Which version of the path-loss parameters to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParameterSet {
    /// TR 38.901 (v14.1.0 and later), the crate's empirical models.
    Tr38901,
    /// TR 38.900 v14.0.0, with which the reference was made: UMa LOS
    /// `32.4 + 20 log10(d3D) + 20 log10(fc)` before the breakpoint (see
    /// [`link::uma_path_loss_db`]); UMi is the same as in 38.901.
    Tr38900V14,
}

/// Which 2D distance of an indoor user enters the LOS probability of Table 7.4.2-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LosDistance {
    /// The outdoor part `d_2D-out = d_2D − d_2D-in`, as TR 38.901 §7.4.2 says for O2I users.
    Outdoor,
    /// The whole `d_2D`, as if the user stood outside; a sensitivity check (it removes most of
    /// the UMi coupling-gain offset, see `docs/radio.md`).
    Total,
}

/// What a calibration run is asked to do, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationConfig {
    /// The scenario.
    pub scenario: ScenarioKind,
    /// Users dropped.
    pub n_ues: usize,
    /// Master seed of the random streams.
    pub seed: u64,
    /// Carrier frequency, Hz (6 GHz in the reference).
    pub freq_hz: f64,
    /// Fraction of users indoors (0.8).
    pub indoor_fraction: f64,
    /// Fraction of indoor users in high-loss buildings (0.5).
    pub high_loss_fraction: f64,
    /// Electrical downtilt of every sector, degrees below the horizon (12).
    pub elec_tilt_deg: f64,
    /// The BS antenna pattern (peak gain included); `None` is Table 7.8-1's column of 10
    /// TR 38.901 elements 0.5 λ apart (`38901-array:10x1:0.5`, 8 + 10 dBi), the tilt steering
    /// its beam (the elements themselves are not tilted).
    pub bs_pattern: Option<Pattern>,
    /// The path-loss parameter version.
    pub parameters: ParameterSet,
    /// Shadow-fading σ for indoor users, dB; `None` uses the LOS/NLOS σ of Table 7.4.1-1 (with
    /// the O2I loss's own σ_P on top), `Some(7.0)` the O2I value of Table 7.5-6 that some
    /// calibration codes use instead.
    pub o2i_shadow_sigma_db: Option<f64>,
    /// The distance of indoor users' LOS probability.
    pub los_distance: LosDistance,
}

impl CalibrationConfig {
    /// The Table 7.8-1 set-up for `scenario`: 6 GHz, 80 % indoor, half of them high-loss, 12°
    /// downtilt, TR 38.901 parameters, 10 000 users, seed 1, with the 10 × 1 column as the BS
    /// antenna.
    pub fn new(scenario: ScenarioKind) -> CalibrationConfig {
        CalibrationConfig {
            scenario,
            n_ues: 10_000,
            seed: 1,
            freq_hz: 6e9,
            indoor_fraction: 0.8,
            high_loss_fraction: 0.5,
            elec_tilt_deg: 12.0,
            bs_pattern: None,
            parameters: ParameterSet::Tr38901,
            o2i_shadow_sigma_db: None,
            los_distance: LosDistance::Outdoor,
        }
    }

    /// Checks every parameter and builds the layout and the sector antennas. All problems are
    /// reported together.
    pub fn validate(self) -> Result<Calibration, CalibrationError> {
        let mut problems = Vec::new();
        if self.n_ues == 0 {
            problems.push("the number of users must be at least 1".to_string());
        }
        if !(self.freq_hz.is_finite() && self.freq_hz > 0.0) {
            problems.push(format!("frequency must be positive, got {} Hz", self.freq_hz));
        }
        for (name, v) in [
            ("indoor fraction", self.indoor_fraction),
            ("high-loss fraction", self.high_loss_fraction),
        ] {
            if !(0.0..=1.0).contains(&v) {
                problems.push(format!("{name} must lie in [0, 1], got {v}"));
            }
        }
        if let Some(s) = self.o2i_shadow_sigma_db
            && !(s.is_finite() && s >= 0.0)
        {
            problems.push(format!("O2I shadow-fading σ must be >= 0 dB, got {s}"));
        }
        let pattern = match self.bs_pattern.clone() {
            Some(p) => p,
            None => Pattern::Array(PanelArray::new(10, 1, 0.5, 0.5)?),
        };
        let mut antennas = Vec::with_capacity(SECTORS_PER_SITE);
        for math_deg in SECTOR_BORESIGHT_MATH_DEG {
            let orientation = Orientation {
                // Planning azimuths run clockwise from north.
                azimuth_deg: (90.0 - math_deg).rem_euclid(360.0),
                mech_tilt_deg: 0.0,
                elec_tilt_deg: self.elec_tilt_deg,
            };
            match Antenna::new(pattern.clone(), Polarization::Vertical, orientation) {
                Ok(a) => antennas.push(a),
                Err(e) => {
                    problems.push(format!("sector antenna: {e}"));
                    break;
                }
            }
        }
        if !problems.is_empty() {
            return Err(CalibrationError::Invalid { problems });
        }
        let deployment = self.scenario.deployment();
        let normal = Dist::normal(0.0, 1.0)?;
        Ok(Calibration {
            layout: HexLayout::new(deployment.isd_m),
            deployment,
            antennas,
            normal,
            config: self,
        })
    }
}

/// Why a calibration could not run.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// The configuration has one or more invalid parameters.
    #[error("invalid calibration set-up: {}", problems.join("; "))]
    Invalid {
        /// Every problem found, in words.
        problems: Vec<String>,
    },
    /// The BS antenna pattern could not be built.
    #[error("BS antenna pattern")]
    Antenna(#[from] AntennaError),
    /// The shadow-fading distribution was refused (it cannot be, for N(0, 1)).
    #[error("shadow-fading distribution")]
    Dist(#[from] DistError),
}

/// A validated calibration set-up, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The configuration it was built from.
    pub config: CalibrationConfig,
    /// The scenario's deployment.
    pub deployment: Deployment,
    /// The 19-site layout.
    pub layout: HexLayout,
    /// The three sector antennas (sector k of every site points the same way).
    pub antennas: Vec<Antenna>,
    /// N(0, 1), scaled for shadow fading and the O2I loss's random part.
    normal: Dist,
}

/// A cell of the layout: sector `idx % 3` of site `idx / 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellIdx(pub u16);

impl CellIdx {
    /// The site index, 0..19.
    pub fn site(self) -> usize {
        usize::from(self.0) / SECTORS_PER_SITE
    }

    /// The sector index, 0..3.
    pub fn sector(self) -> usize {
        usize::from(self.0) % SECTORS_PER_SITE
    }
}

/// One user's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UeOutcome {
    /// Coupling gain to the serving cell, dB.
    pub coupling_gain_db: f64,
    /// Geometry, dB.
    pub geometry_db: f64,
    /// The serving cell.
    pub serving: CellIdx,
    /// Whether the user is indoors.
    pub indoor: bool,
    /// Whether the link to the serving site is in line of sight.
    pub serving_los: bool,
}

/// Every user's result, in drop order.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationResult {
    /// The scenario.
    pub scenario: ScenarioKind,
    /// One outcome per user.
    pub ues: Vec<UeOutcome>,
}

impl CalibrationResult {
    /// The users' coupling gains, dB.
    pub fn coupling_gain_db(&self) -> Vec<f64> {
        self.ues.iter().map(|u| u.coupling_gain_db).collect()
    }

    /// The users' geometries, dB.
    pub fn geometry_db(&self) -> Vec<f64> {
        self.ues.iter().map(|u| u.geometry_db).collect()
    }

    /// Both curves against the 3GPP reference.
    pub fn compare(&self, tol: &Tolerance) -> Comparison {
        Comparison::new(self.scenario, &self.coupling_gain_db(), &self.geometry_db(), tol)
    }
}

/// The UE antenna gain: omnidirectional, 0 dBi.
const UE_GAIN_DBI: f64 = 0.0;

impl Calibration {
    /// Drops the users and computes their coupling gains and geometries, in parallel.
    pub fn run(&self) -> CalibrationResult {
        let streams = RngStreams::new(self.config.seed);
        let ues = (0..self.config.n_ues)
            .into_par_iter()
            .map(|i| self.evaluate_ue(&streams, i as u64, &self.normal))
            .collect();
        CalibrationResult { scenario: self.config.scenario, ues }
    }

    /// One user: its drop, its 19 site links through the nearest wrap-around image, the 57
    /// coupling gains, the serving cell and the geometry.
    fn evaluate_ue(&self, streams: &RngStreams, index: u64, normal: &Dist) -> UeOutcome {
        let mut rng = streams.indexed("ue", index);
        let ue = link::drop_ue(self, normal, &mut rng);
        let mut gain_db = [0.0f64; N_CELLS];
        let mut los = [false; N_SITES];
        for (site, site_los) in los.iter_mut().enumerate() {
            let image = self.layout.nearest_image(site, ue.xy);
            let (dx, dy) = (ue.xy[0] - image[0], ue.xy[1] - image[1]);
            let link = link::site_link(self, &ue, dx.hypot(dy), normal, &mut rng);
            *site_los = link.los;
            let dir = vec3(dx, dy, ue.h_ut_m - self.deployment.h_bs_m).normalize();
            for (sector, antenna) in self.antennas.iter().enumerate() {
                gain_db[site * SECTORS_PER_SITE + sector] =
                    antenna.gain_dbi(&dir) + UE_GAIN_DBI - link.loss_db;
            }
        }
        let (serving, &best_db) = gain_db
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((0, &f64::NEG_INFINITY));
        let others: f64 = gain_db
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != serving)
            .map(|(_, g)| 10f64.powf(g / 10.0))
            .sum();
        let serving = CellIdx(serving as u16);
        UeOutcome {
            coupling_gain_db: best_db,
            geometry_db: best_db - 10.0 * others.log10(),
            serving,
            indoor: ue.indoor.is_some(),
            serving_los: los[serving.site()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_set_ups_report_every_problem() {
        let mut c = CalibrationConfig::new(ScenarioKind::UMa);
        c.n_ues = 0;
        c.freq_hz = -1.0;
        c.indoor_fraction = 1.5;
        c.elec_tilt_deg = f64::NAN;
        let err = c.validate().unwrap_err().to_string();
        for word in ["users", "frequency", "indoor fraction", "sector antenna"] {
            assert!(err.contains(word), "{err}");
        }
    }

    #[test]
    fn sectors_point_at_30_150_and_270_degrees() {
        let cal = CalibrationConfig::new(ScenarioKind::UMi).validate().unwrap();
        for (antenna, math_deg) in cal.antennas.iter().zip(SECTOR_BORESIGHT_MATH_DEG) {
            let (s, c) = f64::to_radians(math_deg).sin_cos();
            // Boresight, 12° down, where the beam is steered: the untilted element's gain there,
            // 8 − 12·(12/65)² dBi, plus 10 log10(10) of the array.
            let t = 12f64.to_radians();
            let dir = vec3(c * t.cos(), s * t.cos(), -t.sin());
            let g = antenna.gain_dbi(&dir);
            let expected = 8.0 - 12.0 * (12.0f64 / 65.0).powi(2) + 10.0;
            assert!((g - expected).abs() < 1e-6, "{math_deg}: {g}");
            // The horizon is off the steered beam.
            assert!(antenna.gain_dbi(&vec3(c, s, 0.0)) < 12.0, "{math_deg}");
        }
    }

    #[test]
    fn outdoor_users_next_to_a_site_are_served_by_it_with_high_geometry() {
        let mut c = CalibrationConfig::new(ScenarioKind::UMa);
        c.n_ues = 300;
        c.indoor_fraction = 0.0;
        let r = c.validate().unwrap().run();
        assert_eq!(r.ues.len(), 300);
        assert!(r.ues.iter().all(|u| !u.indoor && u.geometry_db.is_finite()));
        let g = reference::percentiles(&r.geometry_db(), &[50.0])[0];
        assert!(g > 0.0, "median geometry {g} dB");
    }
}
