//! SIGINT and SIGTERM at every phase of `twin run` and `twin settle run`: the command stops
//! within a second, exits 130 / 143, and leaves neither the output nor a temporary behind.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn twin() -> Command {
    crate::twin_command()
}

/// Nothing unfinished under `dir` (the writer's temporaries start with a dot and hold
/// `.partial-`).
fn no_partials(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.contains(".partial-"), "{name} left in {}", dir.display());
    }
}

/// Runs `args` + `--out out`, sends `signal` after `delay`, and checks what is left. Returns
/// whether the signal interrupted the command (it may have finished first).
fn interrupt(args: &[&Path], out: &Path, signal: &str, delay: Duration) -> bool {
    let mut child = twin()
        .args(args)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let sent = Instant::now();
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-s", signal, &pid]).status().unwrap();
    let status = child.wait().unwrap();
    let waited = sent.elapsed();
    let parent = out.parent().unwrap();
    no_partials(parent);
    match status.code() {
        Some(0) => {
            assert!(out.is_dir(), "finished before the signal: the output is whole");
            std::fs::remove_dir_all(out).unwrap();
            false
        }
        Some(code) => {
            let expected = if signal == "TERM" { 143 } else { 130 };
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read as _;
                let _ = e.read_to_string(&mut err);
            }
            assert_eq!(code, expected, "SIG{signal} after {delay:?}: {err}");
            assert!(!out.exists(), "SIG{signal} after {delay:?} left {}", out.display());
            assert!(waited < Duration::from_secs(3), "stopped {waited:?} after SIG{signal}");
            true
        }
        None => panic!("killed by the signal instead of handling it: {status:?}"),
    }
}

#[test]
fn signals_stop_every_phase_and_leave_nothing() {
    let dir = scratch("signals");
    let scenario = write_small(&dir);
    // How long an uninterrupted run takes: the signals are spread over it, so that each phase
    // (validation, radio maps, the replay, settlement, writing) is hit by some of them.
    let t0 = Instant::now();
    let whole = twin().arg("run").arg(&scenario).arg("--out").arg(dir.join("whole")).output();
    assert!(whole.unwrap().status.success());
    let full = t0.elapsed();
    let mut interrupted = 0;
    for (i, share) in [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9].into_iter().enumerate() {
        let signal = if i % 2 == 0 { "TERM" } else { "INT" };
        let out = dir.join(format!("run-{i}"));
        let args = [Path::new("run"), scenario.as_path()];
        interrupted += usize::from(interrupt(&args, &out, signal, full.mul_f64(share)));
    }
    // The machine's load moves the phases in time; the early signals land in the run whatever it.
    assert!(interrupted >= 3, "only {interrupted} of 8 signals arrived before the run ended");
    // Settlement: a signal while it runs.
    let args = [Path::new("settle"), Path::new("run"), scenario.as_path()];
    interrupt(&args, &dir.join("settlement"), "TERM", Duration::from_millis(50));
}

#[test]
fn readers_refuse_an_unfinished_run_directory() {
    let dir = scratch("partial-reader");
    let scenario = write_small(&dir);
    let run = dir.join("run");
    assert!(twin().arg("run").arg(&scenario).arg("--out").arg(&run).status().unwrap().success());
    // What a killed writer would leave: the finished content under the temporary name.
    let partial = dir.join(".run.partial-999999-0");
    std::fs::rename(&run, &partial).unwrap();
    let c = twin().arg("compare").arg(&partial).arg(&partial).output().unwrap();
    assert_eq!(c.status.code(), Some(1));
    let err = String::from_utf8_lossy(&c.stderr);
    assert!(err.contains("unfinished run directory"), "{err}");
}
