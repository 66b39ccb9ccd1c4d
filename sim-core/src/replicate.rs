//! Independent replications, run in parallel, with results in replication order.
//!
//! A replication is one run of a model with its own random streams, derived from the master seed
//! and the replication index (`child_indexed("replication", r)`). Replication `r` therefore sees
//! the same streams whichever thread runs it and however many replications run beside it, and the
//! runner returns results in index order, so anything folded from them in that order (with
//! [`crate::stats::merge_in_order`], say) is identical for 1 thread or 64.
//!
//! ```
//! use rand::RngExt;
//! use sim_core::replicate::Replications;
//! use sim_core::stats::OnlineStats;
//!
//! let reps = Replications::new(2024, 8);
//! let means = reps.run_sequential(|rep| {
//!     let mut rng = rep.streams.stream("draws");
//!     (0..1000).map(|_| rng.random::<f64>()).sum::<f64>() / 1000.0
//! });
//! let ci = means.iter().copied().collect::<OnlineStats>().confidence_interval(0.95)?;
//! assert!(ci.contains(0.5));
//! # Ok::<(), sim_core::stats::StatsError>(())
//! ```

use crate::random::RngStreams;

/// One replication: its index and its own random streams.
#[derive(Debug, Clone)]
pub struct Replication {
    /// The replication's index, from 0.
    pub index: u64,
    /// Streams private to this replication.
    pub streams: RngStreams,
}

/// A set of `n` independent replications under one master seed.
#[derive(Debug, Clone)]
pub struct Replications {
    root: RngStreams,
    n: u64,
}

impl Replications {
    /// `n` replications under `master_seed`.
    pub fn new(master_seed: u64, n: u64) -> Self {
        Replications { root: RngStreams::new(master_seed), n }
    }

    /// The number of replications.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// True when there are no replications.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Replication `index`, with its streams.
    pub fn replication(&self, index: u64) -> Replication {
        Replication { index, streams: self.root.child_indexed("replication", index) }
    }

    /// Runs every replication on the current thread; results in index order.
    pub fn run_sequential<R>(&self, mut f: impl FnMut(Replication) -> R) -> Vec<R> {
        (0..self.n).map(|i| f(self.replication(i))).collect()
    }

    /// Runs the replications on the rayon thread pool; results in index order, identical to
    /// [`Replications::run_sequential`].
    #[cfg(feature = "parallel")]
    pub fn run_parallel<R: Send>(&self, f: impl Fn(Replication) -> R + Sync + Send) -> Vec<R> {
        use rayon::prelude::*;
        (0..self.n).into_par_iter().map(|i| f(self.replication(i))).collect()
    }
}
