//! The planner's inputs without traps: every setting that changes what the twin reads is a
//! documented choice, and every input that would be silently misread is refused with a
//! diagnostic that names its file, line and field.

use scenarios::scenario::{Diagnostic, validate};

use crate::common::*;

/// The small scenario, broken or changed by `edit_dir`, validated.
fn validated(
    name: &str,
    edit_dir: impl FnOnce(&std::path::Path),
) -> Result<scenarios::scenario::Plan, Vec<Diagnostic>> {
    let dir = scratch(name);
    let path = write_small(&dir);
    edit_dir(&dir);
    validate(&path)
}

/// The diagnostics of a scenario that must not validate.
fn diagnostics(name: &str, edit_dir: impl FnOnce(&std::path::Path)) -> Vec<Diagnostic> {
    match validated(name, edit_dir) {
        Ok(_) => panic!("{name}: the broken scenario validated"),
        Err(d) => d,
    }
}

/// Asserts that one diagnostic is about `file` at `line` and its text contains every part.
fn has(diags: &[Diagnostic], file: &str, line: Option<usize>, parts: &[&str]) {
    let found = diags.iter().any(|d| {
        let text = d.to_string();
        d.file.ends_with(file)
            && (line.is_none() || d.line == line)
            && parts.iter().all(|p| text.contains(p))
    });
    assert!(
        found,
        "no diagnostic on {file}:{line:?} with {parts:?} in:\n{}",
        diags.iter().map(|d| format!("  {d}\n")).collect::<String>()
    );
}

#[test]
fn the_routing_metric_is_a_scenario_setting() {
    use transport::routing::Metric;
    let plan = validated("routing-default", |_| {}).unwrap();
    assert_eq!(plan.routing, Metric::Delay, "delay when absent, as the twin always routed");
    let plan = validated("routing-igp", |dir| {
        edit(
            dir,
            "scenario.toml",
            "homing = \"homing.csv\"",
            "homing = \"homing.csv\"\nrouting = \"igp_weight\"",
        )
    })
    .unwrap();
    assert_eq!(plan.routing, Metric::IgpWeight);
    let d = diagnostics("routing-hops", |dir| {
        edit(
            dir,
            "scenario.toml",
            "homing = \"homing.csv\"",
            "homing = \"homing.csv\"\nrouting = \"hops\"",
        )
    });
    has(&d, "scenario.toml", Some(17), &["toml", "hops", "igp_weight"]);
}
