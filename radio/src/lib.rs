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
//! polarisation), [`material`] (P.2040 and Fresnel), [`antenna`] (TR 38.901 and MSI patterns) and
//! [`propagation::diffraction`] (P.526 knife edge). [`propagation::empirical`] holds the 3GPP
//! TR 38.901 path-loss models for comparison and as a fallback.
//!
//! The tracer's data are flat `#[repr(C)]` arrays (triangles, BVH nodes, a height raster) behind
//! the [`propagation::Propagation`] trait, so that a GPU backend can read the same buffers and
//! pass the same conformance tests. [`propagation::CpuTracer`] runs on rayon; its results are
//! identical for any number of threads.

pub mod antenna;
pub mod cell;
pub mod error;
pub mod geometry;
pub mod grid;
pub mod kpi;
pub mod material;
pub mod propagation;
pub mod scene;

pub use antenna::{Antenna, Orientation, Pattern, Polarization};
pub use cell::Cell;
pub use error::{AntennaError, RadioError, SceneError};
pub use geometry::{Vec3, vec3};
pub use grid::Grid;
pub use material::Material;
pub use propagation::{
    CoverageMap, CpuTracer, PointResult, Propagation, Summation, TraceConfig, Transmitter,
};
pub use scene::{Scene, SceneBuilder, SceneOptions};
