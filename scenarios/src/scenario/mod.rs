//! The scenario: from the file a planner writes to the plan the replay runs.
//!
//! ```text
//!   scenario.toml ──toml──► file::Scenario ──validate──► Plan ──► replay
//!   (and the CSVs            (as written:     (read, checked, resolved:
//!    it names)                names, times)    indices, NodeIds, typed changes)
//! ```
//!
//! A scenario names the network (inventory, scene, topology, the homing of sites to transport
//! nodes), the history to replay (traffic per cell, settlement load per carrier pair, rate
//! cards), the replay window, and the what-if variants with their timelines. [`validate`] reads
//! everything the scenario names and reports every problem it finds ([`Diagnostic`]), or returns
//! the [`Plan`] in which nothing is left to look up by name.

pub mod file;
mod gaps;
mod names;
mod place;
mod plan;
mod ran;
mod resolve;
mod source;
mod tables;
mod validate;

pub use crate::error::Diagnostic;
pub use file::{
    CitySpec, CoverageSpec, GridSpec, History, LinkKind, Network, Operation, ProfileSpec, RanSpec,
    RoutingMetric, Scenario, Timed, Variant,
};
pub use names::Profiles;
pub use place::{
    Extent, GRID_MARGIN_M, PlacementError, geographic_to_scene, grid_extent, scene_bounds,
    scene_extent,
};
pub use plan::{
    Change, CoverageRule, Files, InputFile, Plan, SceneSource, Scheduled, TrafficRow, VariantPlan,
    Window, load_scene, load_scene_from,
};
pub use ran::{DEFAULT_PROFILE, MAX_LAYERS, carrier_id};
pub use validate::{parse_instant, validate};
