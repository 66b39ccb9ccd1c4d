//! Scenarios: what planners run, as a library. A scenario file names the network (inventory,
//! scene, transport topology and the homing of sites), the history to replay (traffic per cell,
//! settlement load per carrier pair, rate cards), the replay window and what-if variants with a
//! rollout timeline; the library validates it, replays it through the twin and writes the run.
//!
//! ```text
//!   scenario.toml ─► scenario::validate ─► Plan ─► replay::Replayer ─► [VariantResult] ─► rundir
//!                     (every problem,       (resolved:   (stages: state, maps,               (manifest,
//!                      file/line/field)      indices,     serving, load, backhaul,            summary, KPI
//!                                            NodeIds,     settle, kpis; variants              tables, maps,
//!                                            typed ops)   on rayon)                           view/, report)
//! ```
//!
//! The modules, in the order data flows through them:
//!
//! * [`scenario`]: the TOML format ([`scenario::Scenario`]) and [`scenario::validate`], which
//!   reads everything a scenario names and reports every problem at once
//!   ([`scenario::Diagnostic`]), or returns a [`scenario::Plan`] in which nothing is left to
//!   look up by name.
//! * [`replay`]: the replay engine as stages, one module each, and [`replay::Replayer`], which
//!   runs the baseline and the variants.
//! * [`settlement`]: usage priced by rate cards in exact integer micro-units, net positions, the
//!   hash-chained statement log and the settlement system on the event engine.
//! * [`rundir`], [`view`], [`tables`]: the run directory (through the run-format crate
//!   `twin-format`, whose atomic writer makes it whole or absent), the viewer's data and the
//!   KPI tables as CSV and Parquet.
//! * [`run`], [`sweep`], [`compare`], [`coverage`], [`settle`], [`demo`]: one call per command of the `twin`
//!   CLI (the `twin` crate beside this one), with [`observe::Observer`] for progress, notices,
//!   the caller's clock and Ctrl-C.
//! * [`calibration`]: `twin calibrate`, and (feature `calibrate`, which builds `learned` and
//!   burn) the learned correction of the radio maps in a replay.
//!
//! A researcher's run from Rust:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use scenarios::replay::{ReplayOptions, Replayer};
//! let plan = scenarios::scenario::validate("scenario.toml".as_ref())
//!     .map_err(scenarios::ScenarioError::Invalid)?;
//! let replayer = Replayer::new(&plan, ReplayOptions::default(), None)?;
//! let results = replayer.run_all(&|_| {})?;
//! print!("{}", scenarios::rundir::table(&scenarios::rundir::summarise(&plan, &results)));
//! # Ok(())
//! # }
//! ```

pub mod calibration;
pub mod compare;
pub mod coverage;
pub mod demo;
pub mod error;
pub mod observe;
pub mod replay;
pub mod run;
pub mod rundir;
pub mod scenario;
pub mod settle;
pub mod settlement;
pub mod sweep;
pub mod tables;
#[cfg(test)]
mod testing;
pub mod view;

pub use error::ScenarioError;
pub use observe::{Observer, Quiet};
