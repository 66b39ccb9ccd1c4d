//! What a long library call tells its caller while it works, and what the caller tells it: the
//! `twin` command shows notices and a progress bar, reads the wall clock for the manifest's
//! timings and turns Ctrl-C into an interrupt; a researcher's script may do none of that
//! ([`Quiet`]). The library itself never reads a clock.

use std::sync::atomic::AtomicBool;

/// The caller's side of a long call. Every method has a default that does nothing.
pub trait Observer: Sync {
    /// A line worth showing (which radio backend, what was written).
    fn notice(&self, line: &str) {
        let _ = line;
    }

    /// Work of `total` intervals begins.
    fn begin(&self, total: u64) {
        let _ = total;
    }

    /// `n` more intervals are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }

    /// Seconds on the caller's wall clock, for the timings a run records; `None`: not timed.
    fn clock_s(&self) -> Option<f64> {
        None
    }

    /// A flag that, once set, stops the work with [`crate::ScenarioError::Interrupted`] and
    /// leaves nothing written.
    fn interrupt(&self) -> Option<&AtomicBool> {
        None
    }
}

/// An observer that shows nothing, times nothing and is never interrupted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}
