//! `twin settle` and `twin validate`: exit codes, JSON, tampering caught, nothing left behind.

use std::process::Command;

use crate::common::*;

fn twin() -> Command {
    crate::twin_command()
}

#[test]
fn the_command_writes_a_log_that_verifies_and_catches_tampering() {
    let dir = scratch("cli");
    let scenario = write_small(&dir);
    let out = dir.join("settlement");
    let run =
        twin().args(["settle", "run"]).arg(&scenario).arg("--out").arg(&out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("2 periods") && stdout.contains("EUR"), "{stdout}");
    let log = out.join("statements.jsonl");
    let ok = twin().args(["settle", "verify"]).arg(&log).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // The head printed by `settle run` checks the log's end; another head is a mismatch.
    let head = stdout.split("log head ").nth(1).unwrap().split_whitespace().next().unwrap();
    let ok = twin().args(["settle", "verify", "--head", head]).arg(&log).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let other = "ab".repeat(32);
    let wrong = twin().args(["settle", "verify", "--head", &other]).arg(&log).output().unwrap();
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("--head expects"));
    let malformed = twin().args(["settle", "verify", "--head", "xyz"]).arg(&log).output().unwrap();
    assert_eq!(malformed.status.code(), Some(2));
    // Change one amount by a cent: exit 3, the line named.
    let text = std::fs::read_to_string(&log).unwrap();
    let first = text.lines().next().unwrap();
    let v: serde_json::Value = serde_json::from_str(first).unwrap();
    let amount = v["amount"].as_i64().unwrap();
    std::fs::write(
        &log,
        text.replacen(
            &format!("\"amount\":{amount}"),
            &format!("\"amount\":{}", amount - 10_000),
            1,
        ),
    )
    .unwrap();
    let bad = twin().args(["settle", "verify", "--json"]).arg(&log).output().unwrap();
    assert_eq!(bad.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(report["verified"], false);
    assert!(report["error"].as_str().unwrap().contains("line 1"), "{report}");
    // An existing output is refused; a scenario that does not validate exits 2 and writes nothing.
    let again =
        twin().args(["settle", "run"]).arg(&scenario).arg("--out").arg(&out).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    edit(&dir, "settlement.csv", ",5000.5,", ",-5000.5,");
    let out2 = dir.join("settlement2");
    let invalid =
        twin().args(["settle", "run"]).arg(&scenario).arg("--out").arg(&out2).output().unwrap();
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("settlement.csv:2: volume"));
    assert!(!out2.exists());
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial"))
    );
}

#[test]
fn validate_exit_codes_and_json() {
    let dir = scratch("validate-cli");
    let scenario = write_small(&dir);
    let ok = twin().arg("validate").arg(&scenario).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("6 cells"));
    edit(&dir, "traffic.csv", ",A-1,", ",Z-9,");
    let bad = twin().args(["validate", "--json"]).arg(&scenario).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["diagnostics"][0]["line"], 2);
}
