//! The planner's inputs without traps: every setting that changes what the twin reads is a
//! documented choice, and every input that would be silently misread is refused with a
//! diagnostic that names its file, line and field.

use crate::common::*;
use crate::diagnose::{diagnostics, has, validated};

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

/// The small scenario with one more variant of the operations `ops` (TOML `[[variant.at]]`
/// tables).
fn with_variant(dir: &std::path::Path, ops: &str) {
    let path = dir.join("scenario.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("\n[[variant]]\nname = \"extra\"\n{ops}"));
    std::fs::write(&path, text).unwrap();
}

const ADD_SITE: &str =
    "[[variant.at]]\nop = \"add-site\"\nsite = \"N\"\nlike = \"A-1\"\nnode = \"AGG1\"\n";

#[test]
fn a_site_off_the_scene_is_refused_with_its_line() {
    // The procedural city of the small scenario spans x ±354 m, y ±297 m.
    let d =
        diagnostics("site-off-scene", |dir| edit(dir, "sites.csv", "B,340,0,25", "B,2000,0,25"));
    has(&d, "sites.csv", Some(3), &["site B", "outside the scene", "x -354 to 354 m"]);
}

#[test]
fn a_cell_with_a_position_of_its_own_is_refused_not_moved() {
    let d = diagnostics("cell-position", |dir| {
        let text = std::fs::read_to_string(dir.join("cells.csv")).unwrap();
        let text: String = text
            .lines()
            .enumerate()
            .map(|(i, l)| match i {
                0 => format!("{l},x_m\n"),
                2 => format!("{l},25\n"),
                _ => format!("{l},\n"),
            })
            .collect();
        std::fs::write(dir.join("cells.csv"), text).unwrap();
    });
    has(&d, "cells.csv", Some(3), &["column x_m", "A-2", "its site's position"]);
}

#[test]
fn a_new_site_is_placed_in_metres_or_by_lat_lon_and_inside_the_grid() {
    use scenarios::scenario::Change;
    let added = |plan: &scenarios::scenario::Plan| match &plan.variants[2].timeline[0].change {
        Change::AddSite { x_m, y_m, .. } => (*x_m, *y_m),
        other => panic!("{other:?}"),
    };
    let plan = validated("add-site-metres", |dir| {
        with_variant(dir, &format!("{ADD_SITE}x_m = 170.0\ny_m = 100.0\n"))
    })
    .unwrap();
    assert_eq!(added(&plan), (170.0, 100.0));
    // By lat/lon through the network's origin: 0.0009° north of it is 100.1 m north.
    let plan = validated("add-site-geo", |dir| {
        edit(
            dir,
            "scenario.toml",
            "homing = \"homing.csv\"",
            "homing = \"homing.csv\"\norigin = [48.0, 11.0]",
        );
        with_variant(dir, &format!("{ADD_SITE}lat = 48.0009\nlon = 11.0\n"));
    })
    .unwrap();
    let (x, y) = added(&plan);
    assert!(x.abs() < 0.01 && (y - 100.1).abs() < 0.1, "({x}, {y})");
    // Without a geographic origin lat/lon mean nothing.
    let d = diagnostics("add-site-no-origin", |dir| {
        with_variant(dir, &format!("{ADD_SITE}lat = 48.0009\nlon = 11.0\n"))
    });
    has(&d, "scenario.toml", None, &["variant[2] \"extra\".at[0]", "network.origin"]);
    // Neither, both or half of a pair.
    for (name, pos) in [
        ("add-site-none", ""),
        ("add-site-both", "x_m = 1.0\ny_m = 1.0\nlat = 48.0\nlon = 11.0\n"),
        ("add-site-half", "x_m = 1.0\n"),
    ] {
        let d = diagnostics(name, |dir| with_variant(dir, &format!("{ADD_SITE}{pos}")));
        has(&d, "scenario.toml", None, &["x_m and y_m, or its lat and lon"]);
    }
    // Inside the scene but beyond the grid (the sites and 300 m around them, here y ±297 m
    // of the city): its coverage would not be computed.
    let d = diagnostics("add-site-off-grid", |dir| {
        with_variant(dir, &format!("{ADD_SITE}x_m = 0.0\ny_m = -320.0\n"))
    });
    has(&d, "scenario.toml", None, &["outside the analysis grid", "y -297 to 297 m"]);
}

#[test]
fn an_unknown_link_is_answered_with_the_close_matches() {
    let d = diagnostics("link-typo", |dir| {
        with_variant(dir, "[[variant.at]]\nop = \"fail\"\nelement = \"AGG1-CORF\"\n")
    });
    has(
        &d,
        "scenario.toml",
        None,
        &["no link or node named \"AGG1-CORF\"", "close matches: \"AGG1-CORE\""],
    );
    let d = diagnostics("link-arrow-typo", |dir| {
        with_variant(
            dir,
            "[[variant.at]]\nop = \"set-capacity\"\nlink = \"AGG1->CORF\"\nbps = 1e9\n",
        )
    });
    has(&d, "scenario.toml", None, &["close matches: \"AGG1->CORE\""]);
}

/// Nine days of hourly traffic for the small scenario's cells, without the rows `skip` names
/// (cell, hour); the window is stretched to match.
fn nine_days(dir: &std::path::Path, skip: &[(&str, usize)]) {
    use std::fmt::Write as _;
    let hours = 9 * 24;
    let iso = |h: usize| {
        chrono::DateTime::from_timestamp(START_S + 3600 * h as i64, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let mut text = String::from("interval_start,cell_id,dl_bytes,ul_bytes,active_users\n");
    for h in 0..hours {
        for c in CELLS.iter().filter(|c| !skip.contains(&(**c, h))) {
            writeln!(text, "{},{c},{},2e8,10", iso(h), 1e6 * (h + 1) as f64).unwrap();
        }
    }
    std::fs::write(dir.join("traffic.csv"), text).unwrap();
    edit(
        dir,
        "scenario.toml",
        &format!("end = \"{}\"", iso(HOURS)),
        &format!("end = \"{}\"", iso(hours)),
    );
}

#[test]
fn traffic_gaps_are_counted_and_short_ones_filled_from_a_week_before() {
    // A-1 misses hours 170 and 171 (a gap of 2) and 200 (a gap of 1); B-2 misses hour 3,
    // which has no week before it.
    let skip = [("A-1", 170), ("A-1", 171), ("A-1", 200), ("B-2", 3)];
    let d = diagnostics("gaps-counted", |dir| nine_days(dir, &skip));
    has(
        &d,
        "traffic.csv",
        None,
        &[
            "cell \"A-1\" has 2 gaps (3 intervals without a row in all)",
            "the longest 2 intervals",
            "history.fill_traffic_gaps",
        ],
    );
    has(&d, "traffic.csv", None, &["cell \"B-2\" has 1 gap"]);
    let fill = |n: usize| {
        move |dir: &std::path::Path| {
            nine_days(dir, &skip[..3]);
            edit(
                dir,
                "scenario.toml",
                "[history]\n",
                &format!("[history]\nfill_traffic_gaps = {n}\n"),
            );
        }
    };
    let plan = validated("gaps-filled", fill(2)).unwrap();
    assert_eq!(plan.traffic_filled, 3);
    assert_eq!(plan.traffic.len(), 6 * 9 * 24);
    let a1 = plan.cell_index("A-1").unwrap();
    let at = |k: usize| plan.traffic.iter().find(|r| r.cell == a1 && r.interval == k).unwrap();
    assert_eq!(at(171).dl_bytes, at(171 - 168).dl_bytes, "the same hour a week before");
    assert!(plan.filled_notice().unwrap().contains("3 rows filled"));
    // A gap longer than the setting stays an error that says so.
    let d = diagnostics("gaps-too-long", fill(1));
    has(
        &d,
        "traffic.csv",
        None,
        &["cell \"A-1\" has 1 gap", "longer than history.fill_traffic_gaps = 1"],
    );
    // Intervals that do not divide a week cannot be looked up a week before.
    let d = diagnostics("gaps-odd-interval", |dir| {
        edit(dir, "scenario.toml", "[history]\n", "[history]\nfill_traffic_gaps = 2\n");
        edit(dir, "scenario.toml", "interval_s = 3600", "interval_s = 256");
    });
    has(&d, "scenario.toml", None, &["history.fill_traffic_gaps", "divide a week"]);
}

#[test]
fn variant_problems_name_their_line_and_an_unknown_op_stops_nothing() {
    let d = diagnostics("op-lines", |dir| {
        // Line 29 is the retilt's [[variant.at]], line 37 the ledger's.
        edit(dir, "scenario.toml", "deg = 6.0", "deg = 400.0");
        edit(dir, "scenario.toml", "op = \"settlement-mode\"", "op = \"teleport\"");
        edit(dir, "traffic.csv", ",A-1,", ",Z-9,");
        with_variant(
            dir,
            "[[variant.at]]\nop = \"set-power\"\ncells = [\"Q-1\"]\ndbm = 40.0\n\
             [[variant.at]]\nop = \"remove-cell\"\n",
        );
    });
    has(&d, "scenario.toml", Some(29), &["variant[0] \"retilt\".at[0]", "tilt 400"]);
    has(&d, "scenario.toml", Some(37), &["variant[1] \"ledger\".at[0]", "teleport", "set-tilt"]);
    // The variant after the unknown op is still resolved, each operation on its own line.
    has(&d, "scenario.toml", Some(43), &["variant[2] \"extra\".at[0]", "unknown cell \"Q-1\""]);
    has(&d, "scenario.toml", Some(47), &["variant[2] \"extra\".at[1]", "cell"]);
    has(&d, "traffic.csv", Some(2), &["unknown cell \"Z-9\""]);
    // A variant's own problem is on its [[variant]] line.
    let d = diagnostics("variant-line", |dir| {
        edit(dir, "scenario.toml", "name = \"ledger\"", "name = \"retilt\"")
    });
    has(&d, "scenario.toml", Some(35), &["variant[1] \"retilt\"", "unique"]);
}
