//! Output statistics: what a simulation measures and how sure we can be of it.
//!
//! | type | measures | typical use |
//! |---|---|---|
//! | [`OnlineStats`] | count, mean, variance, min, max of observations (Welford) | sojourn times, per-replication results |
//! | [`TimeWeighted`] | the time average of a piecewise-constant quantity | queue length, link utilisation, backlog |
//! | [`DurationHistogram`] | quantiles of durations in bounded memory (HDR histogram) | delay p50/p95/p99, tail probabilities |
//! | [`BatchMeans`] | a confidence interval from one long, autocorrelated run | the mean sojourn of a single M/M/1 run |
//! | [`ConfidenceInterval`] | Student-t interval over independent values | means over replications |
//!
//! Statistics that can be combined implement [`Merge`]; the replication runner merges them in
//! replication order, so merged results are identical whatever the number of threads.

mod ci;
mod histogram;
mod online;
mod time_weighted;

pub use ci::{BatchMeans, ConfidenceInterval, student_t_quantile};
pub use histogram::DurationHistogram;
pub use online::OnlineStats;
pub use time_weighted::TimeWeighted;

use crate::time::SimTime;

/// Why a statistic could not be computed or updated.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Too few observations (or batches, or replications) for the requested interval.
    #[error("need at least {needed} observations for a confidence interval, have {got}")]
    TooFewObservations {
        /// The minimum.
        needed: u64,
        /// What there is.
        got: u64,
    },
    /// A confidence level outside (0, 1).
    #[error("confidence level must be strictly between 0 and 1, got {level}")]
    InvalidLevel {
        /// The level given.
        level: f64,
    },
    /// A time-weighted statistic was updated with a time earlier than its last update.
    #[error("time-weighted statistic updated at {now}, before its last update at {last}")]
    TimeWentBackwards {
        /// The last update.
        last: SimTime,
        /// The offending update.
        now: SimTime,
    },
    /// A value was NaN or infinite where a finite number is required.
    #[error("value {value} is not a finite number")]
    NotFinite {
        /// The value.
        value: f64,
    },
}

/// A statistic that can absorb another of the same kind, as if it had seen its observations too.
///
/// Merging is deterministic; merging in a fixed order gives bit-identical results.
pub trait Merge {
    /// Absorbs `other` into `self`.
    fn merge(&mut self, other: &Self);
}

/// Merges `items` in order into one; `None` for an empty slice.
pub fn merge_in_order<T: Merge + Clone>(items: &[T]) -> Option<T> {
    let (first, rest) = items.split_first()?;
    let mut acc = first.clone();
    for item in rest {
        acc.merge(item);
    }
    Some(acc)
}
