//! Propagation: from a transmitter to receiver points, through the scene.
//!
//! # What is modelled
//!
//! * **Direct path** with **first-order diffraction**: the straight path, attenuated by the
//!   ITU-R P.526 knife-edge loss `J(v)` of the dominant edge of its vertical profile (see
//!   [`diffraction`]). With the edge above the line of sight the path is diffracted (v > 0);
//!   with it just below, the loss of a partly obstructed first Fresnel zone (−0.78 < v ≤ 0)
//!   applies; otherwise it is free space.
//! * **Specular reflections** up to [`TraceConfig::max_depth`] (default 3), with the Fresnel
//!   coefficients of each surface's material (half-space, or slab if the material has a
//!   thickness), polarisation tracked as a complex field vector (see [`field`]).
//! * **Summation**: incoherent (power sum, the default for coverage maps, where the phase of each
//!   path at a 5 m cell is meaningless) or coherent (complex sum, for point-to-point checks such
//!   as the two-ray model).
//! * Refraction through walls and diffuse scattering are not modelled: walls are opaque.
//!
//! # Two solvers behind one trait
//!
//! * [`Propagation::coverage`] computes the path gain on an analysis grid: the direct path
//!   exactly at every outdoor grid point, plus reflections by shooting and bouncing rays (SBR):
//!   `rays` directions on a Fibonacci sphere leave the transmitter, and every ray segment after at
//!   least one bounce that crosses the horizontal plane of the grid adds its power flux to the
//!   cell it crosses (`P_tube / (A_cell |cos θ|)`), the same estimator as Sionna RT's radio maps.
//! * [`Propagation::points`] computes exact paths to arbitrary points by the image method:
//!   candidate sequences of planes (all of them in small scenes, those found by shooting rays
//!   with reception spheres in large ones), each checked for visibility with the BVH.
//!
//! Path gain is `|field at the receiver|²` relative to the transmitted power, for an isotropic
//! receiving antenna unless [`TraceConfig::rx_antenna`] says otherwise; it includes the
//! transmitting antenna's gain.

pub mod cpu;
pub mod diffraction;
pub mod empirical;
pub mod field;
pub mod paths;
pub mod sbr;

use num_complex::Complex64;

use crate::antenna::Antenna;
use crate::error::RadioError;
use crate::geometry::Vec3;
use crate::grid::Grid;
use crate::material::SPEED_OF_LIGHT;
use crate::scene::Scene;
pub use cpu::CpuTracer;
use field::CVec3;

/// A transmitting antenna at a position, on a carrier frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct Transmitter {
    /// Position of the antenna, scene metres.
    pub position: Vec3,
    /// Carrier frequency, Hz.
    pub freq_hz: f64,
    /// The antenna.
    pub antenna: Antenna,
}

impl Transmitter {
    /// The wavelength, metres.
    pub fn wavelength_m(&self) -> f64 {
        SPEED_OF_LIGHT / self.freq_hz
    }

    /// Checks that the transmitter is usable: a finite position and a positive frequency.
    /// (Whether it stands inside the scene is a question about the inventory, asked by
    /// [`crate::Cell::validate`]; propagation itself works anywhere.)
    pub fn validate(&self) -> Result<(), RadioError> {
        if !(self.freq_hz.is_finite() && self.freq_hz > 0.0) {
            return Err(RadioError::InvalidConfig(format!(
                "frequency must be > 0 Hz, got {}",
                self.freq_hz
            )));
        }
        if !self.position.iter().all(|c| c.is_finite()) {
            return Err(RadioError::InvalidConfig("transmitter position is not finite".into()));
        }
        Ok(())
    }
}

/// How the paths to a receiver are added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summation {
    /// Powers add: `Σ |a_p|²`. The default: robust to the phase errors of any real geometry.
    Incoherent,
    /// Complex amplitudes add: `|Σ a_p|²`, with interference fringes.
    Coherent,
}

/// Settings of a propagation run.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceConfig {
    /// Reflections per path at most (0 to 8; default 3).
    pub max_depth: u32,
    /// Rays shot for a coverage map (default 10⁶).
    pub rays: u64,
    /// Rays shot to find candidate reflection paths to points in large scenes (default 10⁵).
    pub candidate_rays: u64,
    /// Above this many plane sequences, point queries find candidates by shooting rays instead of
    /// trying them all (default 20 000).
    pub exhaustive_limit: u64,
    /// Knife-edge diffraction of the direct path (default on).
    pub diffraction: bool,
    /// How paths add at a point (coverage maps always add powers).
    pub summation: Summation,
    /// The receiving antenna for point queries: incoherent sums assume it matched to each
    /// path's polarisation, coherent sums project the field onto it. Coverage maps use an
    /// isotropic, polarisation-matched receiver.
    pub rx_antenna: Antenna,
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig {
            max_depth: 3,
            rays: 1_000_000,
            candidate_rays: 100_000,
            exhaustive_limit: 20_000,
            diffraction: true,
            summation: Summation::Incoherent,
            rx_antenna: Antenna::isotropic(),
        }
    }
}

impl TraceConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), RadioError> {
        if self.max_depth > 8 {
            return Err(RadioError::InvalidConfig(format!(
                "max_depth {} is above the limit of 8",
                self.max_depth
            )));
        }
        if self.rays < 1_000 {
            return Err(RadioError::InvalidConfig(format!(
                "{} rays are too few for a coverage map (at least 1000)",
                self.rays
            )));
        }
        if self.candidate_rays < 1_000 {
            return Err(RadioError::InvalidConfig(format!(
                "{} candidate rays are too few (at least 1000)",
                self.candidate_rays
            )));
        }
        Ok(())
    }
}

/// One interaction along a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interaction {
    /// A specular reflection on a plane at a point.
    Reflection {
        /// Index into [`Scene::planes`].
        plane: u32,
        /// Where.
        point: Vec3,
    },
    /// Diffraction over the dominant edge of the direct path.
    Diffraction {
        /// The top of the edge.
        point: Vec3,
        /// The knife-edge parameter.
        v: f64,
        /// The loss applied, dB.
        loss_db: f64,
    },
}

/// One propagation path from the transmitter to a receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// What happened on the way, in order.
    pub interactions: Vec<Interaction>,
    /// Unfolded length, metres.
    pub length_m: f64,
    /// Complex field at the receiver, relative to the transmitted power's square root: includes
    /// the transmitting antenna, interactions, spreading `λ/(4π L)` and phase `e^{−jkL}`.
    pub field: CVec3,
    /// Unit direction of arrival (the direction the wave travels at the receiver).
    pub arrival: Vec3,
}

impl Path {
    /// True for the direct path in line of sight (no interaction, or only a knife edge below the
    /// line of sight).
    pub fn is_los(&self) -> bool {
        self.interactions
            .iter()
            .all(|i| matches!(i, Interaction::Diffraction { v, .. } if *v <= 0.0))
    }

    /// The number of reflections.
    pub fn reflections(&self) -> usize {
        self.interactions.iter().filter(|i| matches!(i, Interaction::Reflection { .. })).count()
    }
}

/// What a point query found.
#[derive(Debug, Clone, PartialEq)]
pub struct PointResult {
    /// The path gain (linear) by the configured summation and receiving antenna; 0 if no path.
    pub path_gain: f64,
    /// The paths, direct first, then reflections by order and plane sequence.
    pub paths: Vec<Path>,
}

impl PointResult {
    /// The path gain in dB (−∞ if no path).
    pub fn path_gain_db(&self) -> f64 {
        10.0 * self.path_gain.log10()
    }

    /// True if the receiver sees the transmitter.
    pub fn los(&self) -> bool {
        self.paths.iter().any(Path::is_los)
    }
}

/// A coverage map: the path gain from one transmitter at every grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageMap {
    /// The grid.
    pub grid: Grid,
    /// Path gain (linear) per grid point; 0 where nothing arrives or the point is indoor.
    pub path_gain: Vec<f64>,
    /// Whether each point is outdoor (under open sky on the surface model).
    pub outdoor: Vec<bool>,
    /// Whether each point sees the transmitter.
    pub los: Vec<bool>,
    /// Rays shot for the reflections.
    pub rays: u64,
}

impl CoverageMap {
    /// The path gain of point `i` in dB (−∞ where nothing arrives).
    pub fn path_gain_db(&self, i: usize) -> f64 {
        10.0 * self.path_gain[i].log10()
    }

    /// The number of points with a non-zero path gain.
    pub fn n_covered(&self) -> usize {
        self.path_gain.iter().filter(|&&g| g > 0.0).count()
    }
}

/// A propagation backend. The CPU tracer implements it; a GPU tracer implements the same
/// operations and must agree with it (see the conformance tests).
pub trait Propagation {
    /// A short name for logs ("cpu", "gpu").
    fn name(&self) -> &'static str;

    /// The path gain from `tx` at every point of `grid`.
    fn coverage(
        &self,
        scene: &Scene,
        tx: &Transmitter,
        grid: &Grid,
        cfg: &TraceConfig,
    ) -> Result<CoverageMap, RadioError>;

    /// What a coverage map of `scene` on `grid` would take on the backend's device, for
    /// printing before a large run; `None` where it runs in main memory (the CPU tracer).
    fn memory_estimate(&self, _scene: &Scene, _grid: &Grid, _cfg: &TraceConfig) -> Option<String> {
        None
    }

    /// The paths and path gain from `tx` to each of `points`.
    fn points(
        &self,
        scene: &Scene,
        tx: &Transmitter,
        points: &[Vec3],
        cfg: &TraceConfig,
    ) -> Result<Vec<PointResult>, RadioError>;
}

/// Adds paths up as `summation` says, for a receiver with antenna `rx`.
pub fn sum_paths(paths: &[Path], rx: &Antenna, summation: Summation) -> f64 {
    match summation {
        Summation::Incoherent => paths
            .iter()
            .map(|p| field::power(&p.field) * 10f64.powf(rx.gain_dbi(&(-p.arrival)) / 10.0))
            .sum(),
        Summation::Coherent => {
            let a: Complex64 =
                paths.iter().map(|p| field::project(&p.field, &rx.field(&(-p.arrival)))).sum();
            a.norm_sqr()
        }
    }
}
