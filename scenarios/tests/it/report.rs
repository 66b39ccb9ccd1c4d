//! The run directory's element-level tables and the report that shows them, checked against
//! independent accounts of the same results (the per-interval cell and network tables).

use std::collections::BTreeMap;

use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::{RunDirOptions, write_run_dir};
use scenarios::scenario::validate;
use twin_format::fsio::Existing;

use crate::common::{edit, scratch, write_small};

/// Rows of a CSV as maps from column to value.
fn rows(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.into(), v.into())).collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap()
}

#[test]
fn overloaded_elements_busy_hours_and_changes_agree_with_the_interval_tables() {
    let dir = scratch("report");
    let path = write_small(&dir);
    // A surge on site B from the second day: its cells go above 70, 80 and 100 %.
    edit(
        &dir,
        "scenario.toml",
        "[[variant]]\nname = \"ledger\"",
        "[[variant]]\nname = \"surge\"\n[[variant.at]]\ntime = \"2024-04-01T00:00:00Z\"\nop = \"scale-traffic\"\ncells = [\"B-1\", \"B-2\", \"B-3\"]\nfactor = 4.0\n\n[[variant]]\nname = \"ledger\"",
    );
    let plan = validate(&path).unwrap();
    let opts = ReplayOptions { rays: 5_000, max_depth: 1, ..ReplayOptions::default() };
    let replayer = Replayer::new(&plan, opts, None).unwrap();
    let results = replayer.run_all(&|_| {}).unwrap();
    let out = dir.join("run");
    let run_opts = RunDirOptions {
        timings: &[],
        coverage_maps_cached: 0,
        coverage_maps_traced: replayer.maps_traced(),
        intervals_per_row: 1,
        radio_backend: replayer.backend_notice(),
        views: None,
        existing: Existing::Refuse,
    };
    let summary = write_run_dir(&out, &plan, &results, &replayer.geometry(), &run_opts).unwrap();
    let kpis = out.join("kpis");

    // Hours above each threshold, the peak and its hour, from the hourly cells table.
    let cells = rows(&kpis.join("cells.csv"));
    let overload = rows(&kpis.join("overload.csv"));
    let mut surge_hours = 0.0;
    for o in overload.iter().filter(|o| o["kind"] == "cell") {
        let own: Vec<&BTreeMap<String, String>> = cells
            .iter()
            .filter(|c| c["variant"] == o["variant"] && c["cell_id"] == o["element"])
            .collect();
        assert_eq!(own.len(), 48);
        for (col, t) in [("hours_above_70", 0.7), ("hours_above_80", 0.8), ("hours_above_100", 1.0)]
        {
            let n = own.iter().filter(|c| num(c, "prb_util_mean") > t).count();
            assert_eq!(num(o, col), n as f64, "{} {} {col}", o["variant"], o["element"]);
        }
        let peak = own.iter().map(|c| num(c, "prb_util_max")).fold(0.0, f64::max);
        assert!((num(o, "peak_util") - peak).abs() < 1e-4);
        let worst = own.iter().find(|c| c["period_start"] == o["peak_interval_start"]).unwrap();
        assert!((num(worst, "prb_util_max") - peak).abs() < 1e-4, "the peak is in its hour");
        if o["variant"] == "surge" {
            surge_hours += num(o, "hours_above_80");
        }
    }
    let surge = summary.variants.iter().find(|v| v.name == "surge").unwrap();
    assert!(surge_hours > 0.0, "the surge overloads cells");
    assert_eq!(surge.overloaded_cell_hours, surge_hours, "the summary counts the same hours");
    // The busiest cell is the one of highest p95 in the table, and it is on site B.
    let busiest = overload
        .iter()
        .filter(|o| o["variant"] == "surge" && o["kind"] == "cell")
        .max_by(|a, b| num(a, "p95_util").total_cmp(&num(b, "p95_util")))
        .unwrap();
    assert_eq!(surge.busiest_cell, busiest["element"]);
    assert!(surge.busiest_cell.starts_with("B-"));
    assert!(!surge.busiest_link.is_empty());

    // Each day's busy hour is the hour of most offered traffic in the network table.
    let network = rows(&kpis.join("network.csv"));
    let busy = rows(&kpis.join("busy_hours.csv"));
    for b in busy.iter().filter(|b| b["period"] == "day") {
        let day = &b["period_start"][..10];
        let day_rows: Vec<_> = network
            .iter()
            .filter(|n| n["variant"] == b["variant"] && n["interval_start"].starts_with(day))
            .collect();
        let most = day_rows.iter().map(|n| num(n, "offered_bytes")).fold(0.0, f64::max);
        // The first hour of the most traffic (the small scenario's hours are alike).
        let top = day_rows.iter().find(|n| num(n, "offered_bytes") == most).unwrap();
        assert_eq!(b["busy_interval_start"], top["interval_start"], "{} {day}", b["variant"]);
        assert_eq!(num(b, "offered_bytes"), most);
    }
    assert_eq!(busy.iter().filter(|b| b["period"] == "week").count(), 4, "one week per variant");
    let own = rows(&kpis.join("cell_busy_hours.csv"));
    let carrying: std::collections::BTreeSet<(&str, &str)> = cells
        .iter()
        .filter(|c| num(c, "dl_bytes") > 0.0)
        .map(|c| (c["variant"].as_str(), c["cell_id"].as_str()))
        .collect();
    assert_eq!(own.len(), carrying.len(), "every cell that carries traffic has a busy hour");

    // Changes: the re-tilted cells are "changed", the surge moves site B, the ledger nothing.
    let changes = rows(&kpis.join("changes.csv"));
    let of = |v: &str| changes.iter().filter(|c| c["variant"] == v).collect::<Vec<_>>();
    let retilt = of("retilt");
    let changed: Vec<&str> =
        retilt.iter().filter(|c| c["role"] == "changed").map(|c| c["element"].as_str()).collect();
    assert_eq!(changed, ["A-1", "A-2"]);
    assert_eq!(retilt[0]["window_start"], "2024-03-31T12:00:00Z");
    let b3 = of("surge").into_iter().find(|c| c["element"] == "B-3").unwrap();
    assert_eq!(b3["window_start"], "2024-04-01T00:00:00Z");
    assert!((num(b3, "dl_bytes_variant") / num(b3, "dl_bytes_baseline") - 4.0).abs() < 1e-6);
    assert!(of("ledger").is_empty() && of("baseline").is_empty());

    // Percentiles: RSRP over points is below the median, and the surge's loaded SINR is lower.
    let base = &summary.variants[0];
    let (p5, p50) = (base.rsrp_p5_dbm.unwrap(), base.rsrp_p50_dbm.unwrap());
    assert!(p5 < p50 && p50 < -30.0, "{p5} {p50}");
    assert!(surge.sinr_users_busy_hour_p50_db.unwrap() < base.sinr_users_busy_hour_p50_db.unwrap());
    assert_eq!(surge.sinr_p50_db, base.sinr_p50_db, "full-load SINR does not depend on traffic");

    // The report shows all of it, with axes, units, a colour bar and the best-server key.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    for needle in [
        "<h2>Overloaded cells and links</h2>",
        "<h2>Busy hours</h2>",
        "<h2>RSRP and SINR</h2>",
        "<h2>What each variant changed</h2>",
        "aria-label=\"RSRP colour bar\"",
        "Key (",
        ">31 Mar</text>",
        "rotate(-90)\" text-anchor=\"middle\">%</text>",
        &format!(">{}</td>", surge.busiest_cell),
    ] {
        assert!(report.contains(needle), "report lacks {needle}");
    }
    for f in ["maps/baseline.png", "maps/server/baseline.png", "maps/server/surge.png"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}
