//! SIGINT (Ctrl-C) and SIGTERM: every phase of a command stops within a second, nothing
//! unfinished stays on disk, and the exit code says which signal it was (130, 143).
//!
//! The signals are blocked in every thread and waited for on a thread of their own (so the
//! handler is ordinary code, not an async-signal context). On the first one it raises the
//! interrupt flag, which the replay checks between intervals and answers by returning
//! [`scenarios::ScenarioError::Interrupted`]; whatever is still running after a grace period
//! (radio maps, settlement, writing) is cut short: the temporaries of the one atomic writer are
//! removed ([`twin_format::fsio::abandon_unfinished`]) and the process exits. A second signal
//! skips the grace period.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

/// How long the work has to stop by itself before the process exits anyway.
const GRACE: Duration = Duration::from_millis(500);

static INTERRUPT: AtomicBool = AtomicBool::new(false);
/// The first signal received (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The flag the library's observer hands to the replay.
pub(crate) fn flag() -> &'static AtomicBool {
    &INTERRUPT
}

/// The exit code of an interrupted command: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
pub(crate) fn exit_code() -> ExitCode {
    let sig = SIGNAL.load(Ordering::SeqCst);
    ExitCode::from(128 + if sig > 0 { sig.min(127) as u8 } else { 2 })
}

/// Starts watching for SIGINT and SIGTERM. Called before any other thread starts (they inherit
/// the blocked mask). Programs started from here inherit it too: `twin-view` unblocks them
/// first thing, and `twin view`, which only starts the viewer, does not install this at all.
/// Where the signals cannot be blocked, Ctrl-C falls back to a plain handler.
pub(crate) fn install() {
    #[cfg(unix)]
    {
        use nix::sys::signal::{SigSet, Signal};
        let mut set = SigSet::empty();
        set.add(Signal::SIGINT);
        set.add(Signal::SIGTERM);
        if set.thread_block().is_ok() {
            let watcher = std::thread::Builder::new().name("signals".into()).spawn(move || {
                while let Ok(sig) = set.wait() {
                    received(sig as i32);
                }
            });
            if watcher.is_ok() {
                return;
            }
            let _ = set.thread_unblock();
        }
    }
    // SIGINT's number on every platform ctrlc supports.
    let _ = ctrlc::set_handler(|| received(2));
}

/// One signal: raise the flag, give the work the grace period, then clean up and exit.
fn received(sig: i32) {
    let first = SIGNAL.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst).is_ok();
    INTERRUPT.store(true, Ordering::SeqCst);
    if first {
        // The work may stop and exit by itself within the grace period; then this thread goes
        // with the process. A second signal meanwhile exits at once (from its own call).
        let waiter = std::thread::spawn(move || {
            std::thread::sleep(GRACE);
            abandon(sig);
        });
        drop(waiter);
    } else {
        abandon(SIGNAL.load(Ordering::SeqCst));
    }
}

/// Removes what is unfinished and exits with 128 + `sig`.
fn abandon(sig: i32) -> ! {
    let removed = twin_format::fsio::abandon_unfinished();
    let name = if sig == 15 { "SIGTERM" } else { "SIGINT" };
    if removed.is_empty() {
        eprintln!("interrupted ({name}): nothing was written");
    } else {
        eprintln!("interrupted ({name}): removed {} unfinished output(s)", removed.len());
    }
    std::process::exit(128 + sig.clamp(0, 127))
}
