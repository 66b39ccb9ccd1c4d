//! Broken scenarios, each with the diagnostic it must produce.

use scenarios::scenario::validate;

use crate::common::*;
use crate::diagnose::{diagnostics, has};

#[test]
fn the_small_scenario_is_valid() {
    let dir = scratch("valid");
    let plan = validate(&write_small(&dir)).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(plan.window.intervals, HOURS);
    assert_eq!(plan.inventory.cells.len(), 6);
    assert_eq!(plan.traffic.len(), 6 * HOURS);
    assert_eq!(plan.usage.len(), 5 * HOURS);
    let node = |n: &str| plan.topology.node_id(n).unwrap();
    assert_eq!(plan.homing, vec![node("AGG1"), node("AGG2")]);
    assert_eq!(plan.core, Some(node("CORE")));
    // Everything is resolved: the re-tilt applies from noon (interval 12) to cells.
    assert_eq!(plan.variants.len(), 2);
    let retilt = &plan.variants[0];
    assert_eq!(retilt.timeline.len(), 1);
    assert_eq!(retilt.timeline[0].interval, 12);
    assert_eq!(
        retilt.timeline[0].change,
        scenarios::scenario::Change::SetTilt { cells: vec![0, 1], deg: 6.0 }
    );
    assert_eq!(plan.variants[1].timeline[0].interval, 0, "no time: the window's start");
}

#[test]
fn network_operations_resolve_like_the_transport_crates() {
    use scenarios::scenario::Change;
    use transport::whatif::Operation;
    let dir = scratch("network-ops");
    let path = write_small(&dir);
    let ops = "\n[[variant]]\nname = \"cut\"\n[[variant.at]]\nop = \"fail\"\nelement = \"AGG1-AGG2\"\n\
               [[variant.at]]\nop = \"set-capacity\"\nlink = \"AGG1->CORE\"\nbps = 2e9\n\
               [[variant.at]]\nop = \"fail\"\nelement = \"AGG2\"\n";
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(ops);
    std::fs::write(&path, text).unwrap();
    let plan = validate(&path).unwrap_or_else(|d| panic!("{d:?}"));
    let t = &plan.topology;
    let cut = &plan.variants[2].timeline;
    let link = |n: &str| t.link_id(n).unwrap();
    assert_eq!(
        cut[0].change,
        Change::Network(Operation::FailLinks(vec![link("AGG1-AGG2"), link("AGG1-AGG2 (reverse)")])),
        "a duplex link fails both ways"
    );
    assert_eq!(
        cut[1].change,
        Change::Network(Operation::SetCapacity {
            links: vec![link("AGG1-CORE")],
            capacity_bps: 2e9
        }),
        "A->B names the links from A to B"
    );
    assert_eq!(cut[2].change, Change::Network(Operation::FailNode(t.node_id("AGG2").unwrap())));
    // A name that is neither is a diagnostic, in the transport crate's words.
    let text = std::fs::read_to_string(&path).unwrap().replace("\"AGG2\"\n", "\"AGG9\"\n");
    std::fs::write(&path, text).unwrap();
    let d = validate(&path).unwrap_err();
    has(&d, "scenario.toml", None, &["variant[2] \"cut\".at[2]", "no link or node named \"AGG9\""]);
}

#[test]
fn missing_files_and_columns() {
    let d =
        diagnostics("missing-file", |dir| std::fs::remove_file(dir.join("traffic.csv")).unwrap());
    has(&d, "traffic.csv", None, &["cannot read"]);
    let d = diagnostics("missing-column", |dir| edit(dir, "traffic.csv", "ul_bytes", "uplink"));
    has(&d, "traffic.csv", Some(1), &["ul_bytes", "missing column", "uplink"]);
}

#[test]
fn unknown_ids_bad_numbers_and_overlaps_name_their_line() {
    // Line 2 is the first data row: hour 0, cell A-1.
    let d = diagnostics("unknown-cell", |dir| edit(dir, "traffic.csv", ",A-1,", ",Z-9,"));
    has(&d, "traffic.csv", Some(2), &["cell_id", "unknown cell \"Z-9\""]);
    let d = diagnostics("nan", |dir| edit(dir, "traffic.csv", ",1000000000,", ",NaN,"));
    has(&d, "traffic.csv", Some(2), &["dl_bytes", "NaN"]);
    let d = diagnostics("not-a-number", |dir| edit(dir, "traffic.csv", ",1000000000,", ",lots,"));
    has(&d, "traffic.csv", Some(2), &["dl_bytes", "\"lots\" is not a number"]);
    let d =
        diagnostics("negative-volume", |dir| edit(dir, "settlement.csv", ",5000.5,", ",-5000.5,"));
    has(&d, "settlement.csv", Some(2), &["volume", "-5000.5"]);
    let d = diagnostics("unpriced", |dir| edit(dir, "settlement.csv", "P1,P2,sms", "P2,P1,sms"));
    has(&d, "settlement.csv", Some(6), &["no rate card", "P2 → P1 sms"]);
    let d = diagnostics("overlap", |dir| {
        edit(dir, "traffic.csv", "2024-03-31T01:00:00Z,A-1", "2024-03-31T00:00:00Z,A-1")
    });
    has(&d, "traffic.csv", Some(8), &["has this interval already (line 2)"]);
    let d = diagnostics("misaligned", |dir| {
        edit(dir, "traffic.csv", "2024-03-31T01:00:00Z,A-1", "2024-03-31T01:30:00Z,A-1")
    });
    has(&d, "traffic.csv", Some(8), &["does not start an interval"]);
    let d = diagnostics("gap", |dir| {
        edit(dir, "traffic.csv", "2024-03-31T01:00:00Z,A-1,1000000000,200000000,10\n", "")
    });
    has(
        &d,
        "traffic.csv",
        None,
        &["cell \"A-1\" has 1 gap (1 interval without a row in all)", "2024-03-31T01:00:00"],
    );
    let d = diagnostics("duplicate-card", |dir| {
        let text = std::fs::read_to_string(dir.join("rate_cards.csv")).unwrap();
        let second = text.lines().nth(1).unwrap().replace(",0.", ",9.");
        std::fs::write(dir.join("rate_cards.csv"), format!("{text}{second}\n")).unwrap();
    });
    has(&d, "rate_cards.csv", None, &["a second rate card for", "the first is on line 2"]);
    let d = diagnostics("header-only-cards", |dir| {
        let text = std::fs::read_to_string(dir.join("rate_cards.csv")).unwrap();
        let header = text.lines().next().unwrap().to_string();
        std::fs::write(dir.join("rate_cards.csv"), format!("{header}\n")).unwrap();
    });
    has(&d, "rate_cards.csv", None, &["header but no rate card"]);
    let d = diagnostics("homed-nowhere", |dir| edit(dir, "homing.csv", "B,AGG2", "B,AGG9"));
    has(&d, "homing.csv", Some(3), &["\"AGG9\", which the topology lacks"]);
}

#[test]
fn scenario_file_problems() {
    let d = diagnostics("outside-window", |dir| {
        edit(dir, "scenario.toml", "2024-03-31T12:00:00Z", "2024-06-01T00:00:00Z")
    });
    has(&d, "scenario.toml", None, &["variant[0] \"retilt\".at[0]", "outside the replay window"]);
    let d = diagnostics("unknown-op-cell", |dir| {
        edit(dir, "scenario.toml", "[\"A-1\", \"A-2\"]", "[\"A-1\", \"Q-2\"]")
    });
    has(&d, "scenario.toml", None, &["unknown cell \"Q-2\""]);
    let d = diagnostics("unknown-key", |dir| {
        edit(dir, "scenario.toml", "seed = 7", "seed = 7\ncolour = \"blue\"")
    });
    has(&d, "scenario.toml", Some(4), &["toml", "colour"]);
    // A misspelt key inside an operation or the settlement table is not silently ignored.
    let d = diagnostics("op-typo", |dir| {
        edit(dir, "scenario.toml", "deg = 6.0", "degrees = 6.0\ndeg = 6.0")
    });
    has(&d, "scenario.toml", None, &["variant[0].at[0].degrees", "unknown key \"degrees\""]);
    let d = diagnostics("settlement-typo", |dir| {
        edit(dir, "scenario.toml", "[settlement]\n", "[settlement]\nrecords_per_sec = 5\n")
    });
    has(&d, "scenario.toml", None, &["settlement.records_per_sec"]);
    let d = diagnostics("bad-window", |dir| {
        edit(dir, "scenario.toml", "start = \"2024", "start = \"yesterday")
    });
    has(&d, "scenario.toml", None, &["window.start", "yesterday"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let d = diagnostics("many", |dir| {
        edit(dir, "traffic.csv", ",A-1,", ",Z-9,");
        edit(dir, "settlement.csv", ",5000.5,", ",-1,");
        edit(dir, "homing.csv", "B,AGG2", "B,AGG9");
        edit(dir, "scenario.toml", "2024-03-31T12:00:00Z", "2025-01-01T00:00:00Z");
    });
    has(&d, "traffic.csv", Some(2), &["Z-9"]);
    has(&d, "settlement.csv", Some(2), &["volume"]);
    has(&d, "homing.csv", Some(3), &["AGG9"]);
    has(&d, "scenario.toml", None, &["outside the replay window"]);
}

#[test]
fn a_broken_demand_density_layer_names_its_line() {
    let with_layer = |dir: &std::path::Path, text: &str| {
        std::fs::write(dir.join("density.csv"), text).unwrap();
        edit(
            dir,
            "scenario.toml",
            "rate_cards = \"rate_cards.csv\"",
            "rate_cards = \"rate_cards.csv\"\ndemand_density = \"density.csv\"",
        );
    };
    let d = diagnostics("density-nan", |dir| {
        with_layer(dir, "x_m,y_m,weight\n0,0,1\n10,10,NaN\n20,20,-1\n")
    });
    has(&d, "density.csv", Some(3), &["weight"]);
    has(&d, "density.csv", Some(4), &["weight", "-1"]);
    let d = diagnostics("density-columns", |dir| with_layer(dir, "east,north,weight\n0,0,1\n"));
    has(&d, "density.csv", Some(1), &["x_m,y_m,weight or lat,lon,weight"]);
    let d = diagnostics("density-zero", |dir| with_layer(dir, "x_m,y_m,weight\n0,0,0\n"));
    has(&d, "density.csv", None, &["every weight is zero"]);
    let d = diagnostics("density-missing", |dir| {
        with_layer(dir, "x_m,y_m,weight\n0,0,1\n");
        std::fs::remove_file(dir.join("density.csv")).unwrap();
    });
    has(&d, "density.csv", None, &["cannot read"]);
    // Geographic points need a geographic origin, which the small scenario (x_m, y_m) lacks.
    let d = diagnostics("density-geo", |dir| with_layer(dir, "lat,lon,weight\n48.1,11.5,1\n"));
    has(&d, "density.csv", Some(1), &["origin"]);
}

/// The small scenario with `extra` appended to its file.
fn with_text(name: &str, extra: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let path = write_small(&dir);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(extra);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn radio_access_operations_resolve_to_their_cells_profiles_and_patterns() {
    use scenarios::scenario::Change;
    let path = with_text(
        "ran-ops",
        "\n[[ran.profiles]]\nname = \"fw\"\nlink = \"cqi-256qam\"\nmimo_layers = 4\n\
         control_overhead = 0.14\nscheduler_efficiency = 0.9\n\
         \n[[variant]]\nname = \"ran\"\n\
         [[variant.at]]\nop = \"set-profile\"\nprofile = \"fw\"\n\
         [[variant.at]]\nop = \"set-electrical-tilt\"\ncells = [\"B-1\"]\ndeg = 9\n\
         [[variant.at]]\nop = \"set-pattern\"\ncells = [\"A-2\"]\npattern = \"38901-array:10x1:0.5\"\n\
         [[variant.at]]\nop = \"add-carrier\"\nsite = \"A\"\nfreq_hz = 1.8e9\nbandwidth_hz = 10e6\n",
    );
    let plan = validate(&path).unwrap_or_else(|d| panic!("{d:?}"));
    let t = &plan.variants[2].timeline;
    match &t[0].change {
        Change::SetProfile { cells, profile } => {
            assert_eq!(cells.len(), 6, "no cells: every cell");
            assert_eq!((profile.mimo_layers, profile.control_overhead), (4, 0.14));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t[1].change, Change::SetElectricalTilt { cells: vec![3], deg: 9.0 });
    assert!(matches!(&t[2].change, Change::SetPattern { cells, .. } if cells == &[1]));
    assert_eq!(
        t[3].change,
        Change::AddCarrier {
            cells: vec![0, 1, 2],
            freq_hz: 1.8e9,
            bandwidth_hz: 10e6,
            power_dbm: None
        }
    );
    assert_eq!(plan.ran[0], radio::kpi::LinkProfile::TR36942, "cells start on the built-in");
}

#[test]
fn radio_access_problems_are_named_before_any_work() {
    let variant = |ops: &str| format!("\n[[variant]]\nname = \"bad\"\n{ops}");
    let cases: [(&str, String, &[&str]); 7] = [
        (
            "unknown-pattern",
            variant(
                "[[variant.at]]\nop = \"set-pattern\"\ncells = [\"A-1\"]\npattern = \"yagi\"\n",
            ),
            &["pattern \"yagi\""],
        ),
        (
            "zero-rows",
            variant(
                "[[variant.at]]\nop = \"set-pattern\"\ncells = [\"A-1\"]\npattern = \"38901-array:0x1\"\n",
            ),
            &["38901-array:0x1"],
        ),
        (
            "negative-bandwidth",
            variant("[[variant.at]]\nop = \"set-bandwidth\"\ncells = [\"A-1\"]\nhz = -20e6\n"),
            &["bandwidth -20000000 Hz"],
        ),
        (
            "carrier-unknown-site",
            variant(
                "[[variant.at]]\nop = \"add-carrier\"\nsite = \"Q\"\nfreq_hz = 1.8e9\nbandwidth_hz = 10e6\n",
            ),
            &["unknown site \"Q\""],
        ),
        (
            "profile-without-fields",
            "\n[[ran.profiles]]\nname = \"fw\"\nlink = \"cqi-256qam\"\n".to_string(),
            &["toml", "mimo_layers"],
        ),
        (
            "unknown-profile",
            variant("[[variant.at]]\nop = \"set-profile\"\nprofile = \"fw9\"\n"),
            &["unknown profile \"fw9\"", "tr36942"],
        ),
        (
            "too-many-layers",
            variant("[[variant.at]]\nop = \"set-mimo-layers\"\nlayers = 16\n"),
            &["16 MIMO layers"],
        ),
    ];
    for (name, text, parts) in cases {
        let d = validate(&with_text(name, &text)).expect_err(name);
        has(&d, "scenario.toml", None, parts);
    }
    // In cells.csv, an unknown pattern or an empty array names its line.
    for (name, pattern) in [("csv-yagi", "yagi"), ("csv-zero", "38901-array:0x2")] {
        let d =
            diagnostics(name, |dir| edit(dir, "cells.csv", ",38901\n", &format!(",{pattern}\n")));
        has(&d, "cells.csv", None, &[pattern]);
    }
}

#[test]
fn numbers_outside_their_physical_range_name_file_line_and_field() {
    // Settlement rows (line 2: the first hour's HOME → P1 data, 100 records, 5000.5 MB).
    let row = ",HOME,P1,data,100,5000.5,";
    for (name, to, parts) in [
        ("records-huge", ",HOME,P1,data,1e308,5000.5,", &["records", "exceeds"][..]),
        ("records-u64", ",HOME,P1,data,18446744073709551615,5000.5,", &["records", "exceeds"][..]),
        ("records-fraction", ",HOME,P1,data,2.5,5000.5,", &["not a whole number"][..]),
        ("volume-huge", ",HOME,P1,data,100,1e308,", &["volume", "exceeds"][..]),
    ] {
        let d = diagnostics(name, |dir| edit(dir, "settlement.csv", row, to));
        has(&d, "settlement.csv", Some(2), parts);
    }
    let d = diagnostics("price-huge", |dir| edit(dir, "rate_cards.csv", ",0.002,", ",1e308,"));
    has(&d, "rate_cards.csv", Some(2), &["price_per_unit", "exceeds"]);
    // Large but each in range: the window's charges overflow the micro-unit arithmetic.
    let d = diagnostics("window-charge", |dir| {
        edit(dir, "rate_cards.csv", ",0.002,", ",1000000,");
        let text = std::fs::read_to_string(dir.join("settlement.csv")).unwrap();
        let text: String = text
            .lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split(',').collect();
                if f[1] == "HOME" && f[2] == "P1" {
                    f[5] = "1e14";
                }
                f.join(",") + "\n"
            })
            .collect();
        std::fs::write(dir.join("settlement.csv"), text).unwrap();
    });
    has(&d, "settlement.csv", None, &["integer micro-unit arithmetic"]);

    // The inventory: the file and line of the row, not cells.csv without a line.
    let d = diagnostics("site-far", |dir| edit(dir, "sites.csv", "B,340,0,25", "B,1e308,0,25"));
    has(&d, "sites.csv", Some(3), &["x_m", "coordinate"]);
    let d = diagnostics("site-tall", |dir| edit(dir, "sites.csv", "B,340,0,25", "B,400,0,5000"));
    has(&d, "sites.csv", Some(3), &["height_m", "outside 0 to 1000"]);
    let d = diagnostics("power-huge", |dir| {
        edit(dir, "cells.csv", ",46,3500000000,", ",1e308,3500000000,")
    });
    has(&d, "cells.csv", Some(2), &["tx_power_dbm", "transmit power"]);
    let d = diagnostics("freq-mhz", |dir| edit(dir, "cells.csv", ",46,3500000000,", ",46,3500,"));
    has(&d, "cells.csv", Some(2), &["freq_hz", "frequency 3500 Hz"]);
    let d = diagnostics("tilt-cell", |dir| edit(dir, "cells.csv", "A-1,A,0,2,", "A-1,A,0,400,"));
    has(&d, "cells.csv", Some(2), &["mech_tilt_deg", "tilt 400"]);

    // Operations and the settlement system, in the scenario file.
    let d = diagnostics("tilt-op", |dir| edit(dir, "scenario.toml", "deg = 6.0", "deg = 400.0"));
    has(&d, "scenario.toml", None, &["variant[0] \"retilt\".at[0]", "tilt 400"]);
    let d = diagnostics("rate-zero", |dir| {
        edit(dir, "scenario.toml", "records_per_s = 50.0", "records_per_s = 0.0")
    });
    has(&d, "scenario.toml", None, &["settlement.mode", "must be positive"]);
    let d = diagnostics("rate-crawl", |dir| {
        edit(dir, "scenario.toml", "records_per_s = 50.0", "records_per_s = 1e-9")
    });
    has(&d, "scenario.toml", None, &["settlement.mode", "years to clear"]);
    let d = diagnostics("block-tiny", |dir| {
        edit(dir, "scenario.toml", "block_interval_s = 10.0", "block_interval_s = 1e-6")
    });
    has(&d, "scenario.toml", None, &["variant[1] \"ledger\".at[0]", "shorter than 0.001 s"]);
}

#[test]
fn no_silent_coercions() {
    // An operation inside an interval is not moved to the next one's start.
    let d = diagnostics("op-inside", |dir| {
        edit(
            dir,
            "scenario.toml",
            "time = \"2024-03-31T12:00:00Z\"",
            "time = \"2024-03-31T12:17:00Z\"",
        )
    });
    has(&d, "scenario.toml", None, &["variant[0] \"retilt\".at[0]", "does not start an interval"]);
    // A volume in another unit than the rate cards price is not priced as if it were theirs.
    let d = diagnostics("unit-gb", |dir| edit(dir, "settlement.csv", ",5000.5,MB", ",5000.5,GB"));
    has(&d, "settlement.csv", Some(2), &["unit", "\"GB\"", "data volumes are in MB"]);
    // Traffic with a header and no rows is not a replay of nothing.
    let d = diagnostics("traffic-header-only", |dir| {
        std::fs::write(
            dir.join("traffic.csv"),
            "interval_start,cell_id,dl_bytes,ul_bytes,active_users\n",
        )
        .unwrap()
    });
    has(&d, "traffic.csv", None, &["header but no rows"]);
}

#[test]
fn problems_in_sites_and_links_name_their_own_file_and_line() {
    let d = diagnostics("site-line", |dir| edit(dir, "sites.csv", "B,340,0,25", "B,400,0,tall"));
    has(&d, "sites.csv", Some(3), &["height_m", "\"tall\""]);
    let d = diagnostics("link-line", |dir| {
        edit(dir, "links.csv", "AGG2-CORE,AGG2,CORE,1e9,", "AGG2-CORE,AGG2,CORE,fast,")
    });
    has(&d, "links.csv", Some(3), &["capacity_bps", "\"fast\""]);
    let d = diagnostics("node-line", |dir| edit(dir, "nodes.csv", "CORE,core,", "CORE,hub,"));
    has(&d, "nodes.csv", Some(4), &["role \"hub\""]);
}

#[test]
fn roaming_growth_is_for_the_whole_network() {
    let d = diagnostics("roaming-cells", |dir| {
        edit(
            dir,
            "scenario.toml",
            "[[variant]]\nname = \"ledger\"",
            "[[variant]]\nname = \"growth\"\n[[variant.at]]\nop = \"scale-traffic\"\ncells = [\"A-1\"]\nfactor = 1.3\nroaming = true\n\n[[variant]]\nname = \"ledger\"",
        )
    });
    has(&d, "scenario.toml", None, &["roaming = true", "cells"]);
}
