//! Reference models: small, fully specified systems with known answers.
//!
//! They validate the engine against queueing theory (the integration tests check them against
//! the closed forms of `REFERENCES.md`), they are what the benchmarks and the peer comparisons
//! run, and they are worked examples of the [`crate::Model`] trait.
//!
//! * [`hold::Hold`]: the classic hold model of event-list benchmarks; a fixed number of pending
//!   events, each rescheduling itself after a random delay.
//! * [`queue::SingleServerQueue`]: a FIFO single-server queue with any inter-arrival and service
//!   distributions and an optional capacity: M/M/1, M/D/1, M/G/1, M/M/1/K.

pub mod hold;
pub mod queue;

use crate::engine::ScheduleError;
use crate::time::TimeError;

/// What a reference model's handler can fail with.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A sampled delay was not a valid duration.
    #[error("a sampled delay is not a valid duration: {0}")]
    Delay(#[from] TimeError),
    /// The next event could not be scheduled.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}
