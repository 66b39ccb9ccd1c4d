//! `radio`: the radio half of the network twin's physics.
//!
//! Given a scene (buildings as triangle meshes with ITU-R P.2040 materials), cells (antennas with
//! patterns, azimuths and tilts, powers, carriers) and receiver points (an analysis grid or
//! measurement locations), it computes the path gain from every cell to every point, and from
//! it RSRP, SINR, the best server and the downlink throughput.
//!
//! ```text
//!   scene::{mitsuba, geojson, procedural} ─► Scene (triangles, BVH, planes, materials, DSM)
//!                                                │
//!   Cell (antenna, power, carrier) ─► Transmitter ─► Propagation::{coverage, points}
//!                                                │     direct path + knife edge, reflections
//!                                                ▼
//!                                  CoverageMap / PointResult (path gain per point)
//!                                                │
//!                                   kpi::serving ─► best server, RSRP, SINR, throughput
//! ```
//!
//! The physics and its conventions are described in [`propagation`] (paths, summation,
//! polarisation), [`material`] (P.2040 and Fresnel), [`antenna`] (TR 38.901 elements and panel
//! arrays, TR 36.814's sector, MSI patterns) and [`propagation::diffraction`] (P.526 knife
//! edge). [`propagation::empirical`] holds the 3GPP TR 38.901 path-loss models for comparison
//! and as a fallback; [`calibration`] runs TR 38.901 §7.8.1's system-level calibration on them
//! (19 sites × 3 sectors with wrap-around) against the 3GPP reference percentiles.
//!
//! ```
//! use radio::antenna::Tr38901;
//! use radio::kpi::{KpiConfig, serving_map};
//! use radio::scene::procedural::{CityParams, city};
//! use radio::{Antenna, Cell, CpuTracer, Grid, Orientation, Pattern, Polarization, Propagation};
//! use radio::{SceneOptions, TraceConfig, vec3};
//!
//! let city = city(&CityParams { blocks_x: 2, blocks_y: 2, ..CityParams::default() }, SceneOptions::default())?;
//! let antenna = Antenna::new(
//!     Pattern::Tr38901(Tr38901::default()),
//!     Polarization::Vertical,
//!     Orientation { azimuth_deg: 45.0, mech_tilt_deg: 0.0, elec_tilt_deg: 6.0 },
//! )?;
//! let cell = Cell {
//!     id: "C1".into(),
//!     site_id: "S1".into(),
//!     position: vec3(0.0, 0.0, 70.0),
//!     antenna,
//!     tx_power_dbm: 46.0,
//!     freq_hz: 3.5e9,
//!     bandwidth_hz: 20e6,
//!     subcarrier_spacing_hz: 30e3,
//! };
//! cell.validate(&city.scene)?;
//! let grid = Grid::covering(&city.scene.bounds(), 10.0, 1.5)?;
//! let cfg = TraceConfig { rays: 20_000, ..TraceConfig::default() };
//! let map = CpuTracer.coverage(&city.scene, &cell.transmitter(), &grid, &cfg)?;
//! let kpis = serving_map(std::slice::from_ref(&cell), &[map], &KpiConfig::default());
//! let served = kpis.iter().filter(|k| k.best.is_some()).count();
//! assert!(served > grid.len() / 3, "outdoor points are served: {served} of {}", grid.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The tracer's data are flat `#[repr(C)]` arrays (triangles, BVH nodes, a height raster) behind
//! the [`propagation::Propagation`] trait, so that a GPU backend can read the same buffers and
//! pass the same conformance tests. [`propagation::CpuTracer`] runs on rayon; its results are
//! identical for any number of threads.

pub mod antenna;
pub mod backend;
pub mod calibration;
pub mod cell;
pub mod error;
pub mod geometry;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod grid;
pub mod headless;
pub mod inventory;
pub mod kpi;
pub mod limits;
pub mod material;
pub mod propagation;
pub mod scene;

pub use antenna::{Antenna, Orientation, Pattern, Polarization};
pub use backend::{Backend, Selected, select};
pub use cell::Cell;
pub use error::{AntennaError, ArrayAxis, RadioError, SceneError};
pub use geometry::{Vec3, vec3};
pub use grid::Grid;
pub use material::Material;
pub use propagation::{
    CoverageMap, CpuTracer, PointResult, Propagation, Summation, TraceConfig, Transmitter,
};
pub use scene::{Scene, SceneBuilder, SceneOptions};
