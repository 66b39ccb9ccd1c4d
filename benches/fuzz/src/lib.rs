//! `twin-fuzz`: the fuzzing kit the importers' tests share.
//!
//! Every file the twin reads from a planner (PLY meshes, Mitsuba XML, GeoJSON footprints,
//! GraphML and SNDlib topologies, the CSV tables, the scenario TOML) goes through an importer
//! that must answer `Ok` or a typed error, never panic and never hang. This crate checks that
//! with the tools of stable Rust: a proptest strategy that starts from a *seed corpus* of valid
//! files and mutates them, and a runner that feeds each mutated file to the importer on a thread
//! of its own, under a time limit.
//!
//! ```text
//!   corpus/<format>/*  ──► Corpus ──► inputs(): a seed, 1..8 Mutations ──► Case ──► target(&Case)
//!   (valid files, and         │         or random bytes, or a token soup        (on a watchdog
//!    crash-* regressions)     └── every file once, unmutated                     thread: panic or
//!                                                                                 time-out = failure)
//! ```
//!
//! A [`Mutation`] is a byte-level edit (bit flip, byte set, delete, truncate, insert, duplicate,
//! splice from another seed) or a structural one (replace the k-th number with a hostile one
//! such as `1e308`, `NaN`, `-0` or `u64::MAX`, replace a word, insert a dictionary token such
//! as a deeply nested opening, delete, repeat or swap lines). Positions are proptest
//! `sample::Index`es, scaled to the input they land in, so proptest shrinks a failure to a
//! short list of small edits on the smallest seed.
//!
//! The modules: `corpus` ([`Corpus`], [`Case`], [`Scratch`]), `mutate` ([`Mutation`] and the
//! strategy [`inputs`]), and here the runner ([`fuzz`], [`replay`]).
//!
//! The budget is bounded for CI: [`DEFAULT_CASES`] mutated inputs per format in debug builds,
//! from a fixed seed per format so that a run is reproducible. Environment variables raise it
//! (see `docs/fuzzing.md`):
//!
//! * `TWIN_FUZZ_CASES`: mutated inputs per format (`PROPTEST_CASES` is not read: the kit builds
//!   its own configuration);
//! * `TWIN_FUZZ_SEED`: a number mixed into each format's seed, or `random` for a fresh seed;
//! * `TWIN_FUZZ_TIMEOUT_S`: seconds one input may take before it counts as a hang (30);
//! * `TWIN_FUZZ_OUT`: where a failing input is written (`twin-fuzz` in the system's temporary
//!   folder), and `<format>-current`, the input running now: after an abort that no runner can
//!   catch (a failed allocation, a stack overflow) it is the input that caused it.
//!
//! A failure panics with the shrunk input's length, what went wrong and the file it was saved
//! to. The fix keeps that file in the corpus as `crash-<what>.<ext>` with a named regression
//! test that replays it through [`replay`].

mod corpus;
mod mutate;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

pub use corpus::{Case, Corpus, Scratch};
pub use mutate::{HOSTILE_NUMBERS, Mutation, inputs, nested};

/// Mutated inputs per format when `TWIN_FUZZ_CASES` is not set: enough to reach the corners
/// the corpus was built to reach, few enough that every importer's run stays within seconds in
/// a debug build on two cores.
pub const DEFAULT_CASES: u32 = 256;

/// The largest input the strategy produces, bytes. Importers are linear or near it in their
/// input, so this bounds each case's time; hostile *declared* sizes (a count of 10¹⁹) are
/// inside the input, not its length.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Seconds one input may run before it is reported as a hang, unless `TWIN_FUZZ_TIMEOUT_S`
/// says otherwise. Generous: a debug build on a loaded two-core machine is slow, and a real
/// hang runs forever.
pub const DEFAULT_TIMEOUT_S: u64 = 30;

/// Stack of the thread each case runs on: the main thread's 8 MiB, where the `twin` command
/// calls the importers, rather than a test thread's 2 MiB.
const CASE_STACK_BYTES: usize = 8 << 20;

/// An environment variable parsed as a number, or `default` when it is not set.
fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The seed of format `format`'s run: fixed (FNV-1a of the name, mixed with `TWIN_FUZZ_SEED`),
/// or random when `TWIN_FUZZ_SEED=random`.
fn rng_seed(format: &str) -> RngSeed {
    let extra = match std::env::var("TWIN_FUZZ_SEED") {
        Ok(v) if v.trim() == "random" => return RngSeed::Random,
        Ok(_) => env_number("TWIN_FUZZ_SEED", 0),
        Err(_) => 0,
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    RngSeed::Fixed(h ^ extra)
}

/// The time one case may take.
fn timeout() -> Duration {
    Duration::from_secs(env_number("TWIN_FUZZ_TIMEOUT_S", DEFAULT_TIMEOUT_S))
}

/// A panic's message.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Runs `target` on `case` on a thread of its own; an error says how it panicked or that it
/// did not return in time (the thread is then left behind: it cannot be stopped).
fn run_case<F>(target: &Arc<F>, case: &Case, limit: Duration) -> Result<Duration, String>
where
    F: Fn(&Case) + Send + Sync + 'static,
{
    let (tx, rx) = channel();
    let (t, c) = (Arc::clone(target), case.clone());
    let started = Instant::now();
    let handle = std::thread::Builder::new()
        .name("fuzz-case".into())
        .stack_size(CASE_STACK_BYTES)
        .spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| t(&c)));
            // The receiver is gone only after a time-out, when nobody waits for the answer.
            let _ = tx.send(outcome.map_err(|p| panic_text(p.as_ref())));
        })
        .map_err(|e| format!("cannot start the case's thread: {e}"))?;
    match rx.recv_timeout(limit) {
        Ok(Ok(())) => {
            let _ = handle.join();
            Ok(started.elapsed())
        }
        Ok(Err(message)) => {
            let _ = handle.join();
            Err(format!("panicked: {message}"))
        }
        Err(RecvTimeoutError::Timeout) => {
            Err(format!("did not return within {} s (a hang)", limit.as_secs()))
        }
        Err(RecvTimeoutError::Disconnected) => Err("the case's thread died".into()),
    }
}

/// Where failing inputs go: `TWIN_FUZZ_OUT`, or `twin-fuzz` in the temporary folder.
fn out_dir() -> PathBuf {
    std::env::var_os("TWIN_FUZZ_OUT")
        .map_or_else(|| std::env::temp_dir().join("twin-fuzz"), PathBuf::from)
}

/// Writes the input about to run as `<format>-current` in the output folder. A failure the
/// runner cannot catch (an allocation that fails aborts the process, and so does a stack
/// overflow) leaves the input that caused it there.
fn save_current(format: &str, case: &Case) {
    let dir = out_dir();
    let _ = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(format!("{format}-current")), &case.bytes));
}

/// Writes a failing input to the output folder; returns its path.
fn save_failure(format: &str, case: &Case) -> PathBuf {
    let dir = out_dir();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in &case.bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let path = dir.join(format!("{format}-{h:016x}-{}", case.name));
    let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &case.bytes));
    if let Err(e) = written {
        eprintln!("twin-fuzz: could not save the failing input to {}: {e}", path.display());
    }
    path
}

/// Replays one file of a corpus through `target` (a named regression test). Panics with the
/// failure if the target panics or hangs on it.
pub fn replay<F>(dir: &Path, name: &str, target: F)
where
    F: Fn(&Case) + Send + Sync + 'static,
{
    let corpus = Corpus::load(dir);
    let case = Case { name: name.to_string(), bytes: corpus.get(name).to_vec() };
    if let Err(e) = run_case(&Arc::new(target), &case, timeout()) {
        panic!("{}/{name}: {e}", dir.display());
    }
}

/// What a fuzz run did, for the test's output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// Corpus files replayed unmutated.
    pub n_corpus: usize,
    /// Generated inputs run.
    pub n_cases: u32,
    /// The slowest single input, seconds.
    pub slowest_s: f64,
}

/// Fuzzes `target` with format `format`'s corpus in `dir` and its extra dictionary `tokens`:
/// every corpus file once, then the budget of generated inputs. Panics on the first input that
/// makes the target panic or hang, after shrinking it, with the path it was saved to.
pub fn fuzz<F>(format: &str, dir: &Path, tokens: &[Vec<u8>], target: F) -> Report
where
    F: Fn(&Case) + Send + Sync + 'static,
{
    let corpus = Corpus::load(dir);
    let target = Arc::new(target);
    let limit = timeout();
    let mut slowest = Duration::ZERO;
    for (name, bytes) in &corpus.files {
        let case = Case { name: name.clone(), bytes: bytes.clone() };
        save_current(format, &case);
        match run_case(&target, &case, limit) {
            Ok(t) => slowest = slowest.max(t),
            Err(e) => panic!("{format}: corpus file {}/{name}: {e}", dir.display()),
        }
    }
    let cases =
        u32::try_from(env_number("TWIN_FUZZ_CASES", u64::from(DEFAULT_CASES))).unwrap_or(u32::MAX);
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: rng_seed(format),
        // A hang costs the time limit at every shrinking step: shrink for a bounded time.
        max_shrink_time: 120_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let slowest_cell = std::sync::Mutex::new(slowest);
    let result = runner.run(&inputs(&corpus, tokens), |case| {
        save_current(format, &case);
        match run_case(&target, &case, limit) {
            Ok(t) => {
                if let Ok(mut s) = slowest_cell.lock() {
                    *s = (*s).max(t);
                }
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, case)) => {
            let path = save_failure(format, &case);
            let mut shown = format!("{case:?}");
            if shown.len() > 4000 {
                let cut = (0..=4000).rev().find(|&k| shown.is_char_boundary(k)).unwrap_or(0);
                shown.truncate(cut);
                shown.push_str(" ... (the whole input is in the file)");
            }
            panic!(
                "{format}: an input of {} bytes derived from {} {why}\nsaved to {}\n{shown}\n\
                 fix the importer, then keep the input in {} as crash-<what> with a regression test",
                case.bytes.len(),
                case.name,
                path.display(),
                dir.display()
            );
        }
        Err(TestError::Abort(why)) => panic!("{format}: the fuzz run stopped: {why}"),
    }
    let slowest = slowest_cell.into_inner().unwrap_or(slowest);
    let report =
        Report { n_corpus: corpus.files.len(), n_cases: cases, slowest_s: slowest.as_secs_f64() };
    eprintln!(
        "fuzz {format}: {} corpus files and {} generated inputs, no panic, slowest {:.3} s",
        report.n_corpus, report.n_cases, report.slowest_s
    );
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_target_is_reported_and_a_passing_one_is_not() {
        let scratch = Scratch::new("unit-report");
        scratch.write("seed.txt", b"ply 1 2 3\n");
        let dir = scratch.path();
        let report = fuzz("unit-pass", dir, &[], |c: &Case| {
            let _ = c.bytes.len();
        });
        assert_eq!(report.n_corpus, 1);
        let panicked = catch_unwind(|| {
            fuzz("unit-fail", dir, &[], |c: &Case| assert!(!c.bytes.contains(&b'9')))
        });
        let message = panicked.err().map(|p| panic_text(p.as_ref())).unwrap_or_default();
        assert!(message.contains("unit-fail") && message.contains("saved to"), "{message}");
    }
}
