//! What the command shows while a library call works: notices on stderr, a progress bar with
//! an ETA on a terminal, the wall clock for the manifest's timings, and Ctrl-C as an interrupt.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use scenarios::Observer;

/// The command's observer.
pub(crate) struct Cli {
    started: Instant,
    bar: ProgressBar,
    /// Notices and the bar are off (`--json`: stdout is for the machine, stderr stays quiet).
    quiet: bool,
    interrupt: &'static AtomicBool,
}

impl Cli {
    /// An observer that reports on stderr unless `quiet`, and stops the work on Ctrl-C.
    pub(crate) fn new(quiet: bool) -> Cli {
        let interrupt = crate::signals::flag();
        Cli { started: Instant::now(), bar: ProgressBar::hidden(), quiet, interrupt }
    }

    /// Seconds since the observer was made.
    pub(crate) fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Takes the bar off the screen.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Cli {
    fn notice(&self, line: &str) {
        if !self.quiet {
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    fn begin(&self, total: u64) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_style(
            ProgressStyle::with_template(
                "{spinner} replay [{bar:40}] {pos}/{len} intervals, {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn clock_s(&self) -> Option<f64> {
        Some(self.elapsed_s())
    }

    fn interrupt(&self) -> Option<&AtomicBool> {
        Some(self.interrupt)
    }
}
