//! Scenarios: what planners run. A scenario file names the network (inventory, scene, transport
//! topology and the homing of sites), the history to replay (traffic per cell, settlement load per
//! carrier pair, rate cards), the replay window and what-if variants with a rollout timeline.
//!
//! Built so far:
//!
//! * [`scenario`]: the TOML format ([`scenario::Scenario`]), and [`scenario::validate`], which
//!   reads everything a scenario names and reports every problem at once with file, line and field
//!   ([`scenario::Diagnostic`]), returning a checked [`scenario::Plan`].
//! * [`settlement`]: usage priced by rate cards in exact integer micro-units, bilateral and
//!   multilateral net positions per month (summing to zero), statements in an append-only
//!   hash-chained log with [`settlement::verify_log`], and the settlement system on the event
//!   engine (monthly batch clearing or per-session blocks on a ledger) giving latency and backlog.
//!
//! * [`replay`]: the replay engine: per variant, states of the network between timeline
//!   changes; radio coverage cached by content hash and shared by variants; serving and cell load;
//!   the flow-level transport model every interval; settlement with the variant's rates, partners
//!   and mode. [`replay::Replayer::run_all`] runs the baseline and the variants on rayon.
//! * [`rundir`]: the run directory (manifest, summary, KPI CSVs, maps, a self-contained HTML
//!   report), written atomically.
//! * [`demo`]: the built-in demo scenario.
//!
//! * [`tables`]: the KPI tables, as CSV and (feature `parquet`, on by default) Parquet.
//! * `calibration` (feature `calibrate`, which builds `learned` and burn): the learned correction
//!   of the radio maps in a replay, and the training set of `twin calibrate`.
//!
//! The `twin` command (`src/bin/twin.rs`) offers `demo`, `run`, `validate`, `coverage`, `sweep`,
//! `compare`, `import`, `calibrate`, `settle run` and `settle verify`.
//!
//! A researcher's run from Rust:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use scenarios::replay::{ReplayOptions, Replayer};
//! let plan = scenarios::scenario::validate("scenario.toml".as_ref()).map_err(|d| format!("{d:?}"))?;
//! let replayer = Replayer::new(&plan, ReplayOptions::default(), None)?;
//! let results = replayer.run_all(&|_| {})?;
//! print!("{}", scenarios::rundir::table(&scenarios::rundir::summarise(&plan, &results)));
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "calibrate")]
pub mod calibration;
pub mod demo;
pub mod error;
pub mod replay;
pub mod rundir;
pub mod scenario;
pub mod settlement;
pub mod tables;
pub mod view;

pub use error::ScenarioError;
