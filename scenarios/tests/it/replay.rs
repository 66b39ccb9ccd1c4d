//! The replay of the small scenario: deterministic for any thread count, traffic conserved
//! exactly, a run directory that is whole or absent, and a reviewed summary.

use scenarios::replay::{ReplayOptions, Replayer, VariantResult};
use scenarios::rundir::{RunDirOptions, summarise, table, write_run_dir};
use scenarios::scenario::{Plan, validate};
use twin_format::Existing;

use crate::common::*;

fn opts() -> ReplayOptions {
    ReplayOptions { rays: 5_000, max_depth: 1, ..ReplayOptions::default() }
}

#[test]
fn one_thread_and_many_give_the_same_results() {
    let dir = scratch("determinism");
    let plan = validate(&write_small(&dir)).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| Replayer::new(&plan, opts(), None).unwrap().run_all(&|_| {}).unwrap())
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one.len(), 3);
    assert_eq!(one, four);
    // The variants differ from the baseline where they should, and only there.
    let (base, retilt, ledger) = (&one[0], &one[1], &one[2]);
    assert_ne!(base.cell_kpis, retilt.cell_kpis, "a re-tilt moves traffic between cells");
    assert_eq!(base.system, retilt.system, "a re-tilt leaves settlement alone");
    assert_eq!(base.cell_kpis, ledger.cell_kpis, "settlement leaves the radio alone");
    assert!(ledger.system.latency_p99_s < base.system.latency_p99_s);
    // Before the re-tilt (noon of the first day) the variant is the baseline.
    let n = base.cells.len();
    assert_eq!(base.cell_kpis[..12 * n], retilt.cell_kpis[..12 * n]);
    // A variant replayed alone (computing the baseline's intervals itself) equals the same
    // variant after the baseline, whose interval loads it reuses until the re-tilt.
    let alone = Replayer::new(&plan, opts(), None).unwrap().run_variant(Some(0), &|_| {}).unwrap();
    assert_eq!(&alone, retilt);
}

/// Checks, interval by interval, that the traffic the cells are offered plus the traffic at
/// points no cell serves is exactly the recorded traffic; the uncovered part is computed here
/// from the placement of the traffic and each state's serving map, independently of the load
/// stage.
fn assert_conserved(plan: &Plan, replayer: &Replayer<'_>, r: &VariantResult) {
    let placement = replayer.traffic_placement().unwrap();
    let n_inv = plan.inventory.cells.len();
    let mut input = vec![vec![0.0f64; n_inv]; plan.window.intervals];
    for row in &plan.traffic {
        input[row.interval][row.cell] += row.dl_bytes;
    }
    let n = r.cells.len();
    let mut checked = 0;
    for (si, snap) in r.snapshots.iter().enumerate() {
        let end = r.snapshots.get(si + 1).map_or(plan.window.intervals, |s| s.from);
        let mut uncovered_share = vec![0.0f64; n_inv];
        for o in &placement {
            if snap.serving[o.point].best.is_none() {
                uncovered_share[o.cell] += o.weight;
            }
        }
        for (k, traffic) in input.iter().enumerate().take(end).skip(snap.from) {
            let recorded: f64 = traffic.iter().sum();
            let uncovered: f64 = traffic.iter().zip(&uncovered_share).map(|(t, u)| t * u).sum();
            let offered: f64 = r.cell_kpis[k * n..(k + 1) * n].iter().map(|c| c.dl_bytes).sum();
            let tol = 1e-9 * recorded;
            assert!(
                (offered + uncovered - recorded).abs() <= tol,
                "{}: interval {k}: offered {offered} + uncovered {uncovered} != recorded {recorded}",
                r.name
            );
            assert!((r.uncovered_bytes[k] - uncovered).abs() <= tol, "the replay's own account");
            checked += 1;
        }
    }
    assert_eq!(checked, plan.window.intervals);
    // Carried plus unserved is offered, in every interval: the cells' own account (each carries
    // its traffic up to its capacity, the rest unserved) against the network series' share.
    for k in 0..plan.window.intervals {
        let cells = &r.cell_kpis[k * n..(k + 1) * n];
        assert!(cells.iter().all(|c| (0.0..=c.dl_bytes).contains(&c.unserved_bytes)));
        let carried: f64 = cells.iter().map(|c| c.dl_bytes - c.unserved_bytes).sum();
        let unserved = r.series.unserved_share[k] * r.series.offered_bytes[k];
        let offered = r.series.offered_bytes[k];
        assert!(
            (carried + unserved - offered).abs() <= 1e-9 * offered,
            "{}: interval {k}: carried {carried} + unserved {unserved} != offered {offered}",
            r.name
        );
    }
}

#[test]
fn traffic_is_conserved_exactly_in_every_interval_of_every_variant() {
    let dir = scratch("conservation");
    let plan = validate(&write_small(&dir)).unwrap();
    let replayer = Replayer::new(&plan, opts(), None).unwrap();
    let results = replayer.run_all(&|_| {}).unwrap();
    for r in &results {
        assert_conserved(&plan, &replayer, r);
    }
    // The re-tilt leaves points its cells no longer reach: some traffic is uncovered there.
    assert!(results[1].uncovered_bytes.iter().sum::<f64>() > 0.0, "a test that can fail");
}

#[test]
fn the_summary_matches_its_reviewed_snapshot() {
    let dir = scratch("golden");
    let path = write_small(&dir);
    let plan = validate(&path).unwrap();
    let results = Replayer::new(&plan, opts(), None).unwrap().run_all(&|_| {}).unwrap();
    let text = table(&summarise(&plan, &results));
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small_summary.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(text, expected, "the summary changed; review it and rerun with UPDATE_GOLDEN=1");
}

#[test]
fn a_run_directory_is_whole_or_absent() {
    let dir = scratch("rundir");
    let path = write_small(&dir);
    let plan = validate(&path).unwrap();
    let replayer = Replayer::new(&plan, opts(), None).unwrap();
    let results = replayer.run_all(&|_| {}).unwrap();
    let out = dir.join("run");
    let run_opts = RunDirOptions {
        timings: &[],
        coverage_maps_cached: 0,
        coverage_maps_traced: replayer.maps_traced(),
        intervals_per_row: 24,
        radio_backend: replayer.backend_notice(),
        views: None,
        existing: Existing::Refuse,
    };
    write_run_dir(&out, &plan, &results, &replayer.geometry(), &run_opts).unwrap();
    for f in [
        "manifest.json",
        "summary.json",
        "report.html",
        "kpis/network.csv",
        "kpis/cells.csv",
        "kpis/links.csv",
        "kpis/positions.csv",
        "maps/baseline.png",
        "maps/retilt.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let manifest = twin_format::run::read_manifest(&out).unwrap();
    assert_eq!(manifest.inputs.len(), 9);
    assert_eq!(manifest.variants, ["baseline", "retilt", "ledger"]);
    let cells = std::fs::read_to_string(out.join("kpis/cells.csv")).unwrap();
    assert_eq!(cells.lines().count(), 1 + 3 * 2 * 6, "3 variants × 2 days × 6 cells");
    let busy = std::fs::read_to_string(out.join("kpis/busy_intervals.csv")).unwrap();
    assert_eq!(busy.lines().count(), 1 + 3 * 2, "two packet-level intervals per variant");
    assert!(
        results
            .iter()
            .all(|r| r.busy.iter().all(|b| b.packets > 0 && b.delay_p99_ms >= b.delay_p50_ms))
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("<svg")
            && report.contains("data:image/png;base64,")
            && report.contains("retilt")
    );
    // The viewer reads what was written (the run format's own checks).
    let index = twin_format::view::open_index(&out).unwrap();
    assert_eq!(index.variants.len(), 3);
    assert_eq!(index.variants[1].states.len(), 2, "the re-tilt cuts the window in two");
    // An existing directory is refused and left alone.
    let again = write_run_dir(&out, &plan, &results, &replayer.geometry(), &run_opts);
    assert!(matches!(
        again,
        Err(scenarios::ScenarioError::Write(twin_format::FsError::Exists { .. }))
    ));
    assert!(out.join("report.html").is_file());
    // A write that fails half-way (the parent is a file) leaves nothing behind.
    std::fs::write(dir.join("blocker"), "").unwrap();
    let bad = dir.join("blocker").join("run");
    assert!(write_run_dir(&bad, &plan, &results, &replayer.geometry(), &run_opts).is_err());
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial"))
    );
}

#[test]
fn a_demand_density_layer_moves_demand_within_a_cell() {
    // Nearly all of the demand in a hot spot 150 m east of site B. With it, the capacity of the
    // cell serving it is the spectral efficiency there, so PRB utilisation changes while the
    // traffic offered to the network does not.
    let dir = scratch("density");
    let path = write_small(&dir);
    let uniform = {
        let plan = validate(&path).unwrap();
        Replayer::new(&plan, opts(), None).unwrap().run_variant(None, &|_| {}).unwrap()
    };
    let mut layer = String::from("x_m,y_m,weight\n");
    for x in -300..=700 {
        if x % 10 == 0 {
            for y in [-300, -200, -100, 0, 100, 200, 300] {
                // A far hot spot 150 m east of B, a floor elsewhere.
                let w = if (550..=600).contains(&x) && y == 0 { 100.0 } else { 0.01 };
                layer.push_str(&format!("{x},{y},{w}\n"));
            }
        }
    }
    std::fs::write(dir.join("density.csv"), layer).unwrap();
    edit(
        &dir,
        "scenario.toml",
        "rate_cards = \"rate_cards.csv\"",
        "rate_cards = \"rate_cards.csv\"\ndemand_density = \"density.csv\"",
    );
    let plan = validate(&path).unwrap();
    assert!(!plan.density.is_empty());
    let weighted = Replayer::new(&plan, opts(), None).unwrap().run_variant(None, &|_| {}).unwrap();
    // The same traffic is offered (a cell that serves no point of its own lends its traffic to
    // the points where it is nearly best, now in proportion to the layer).
    let total = |r: &VariantResult| -> f64 { r.cell_kpis.iter().map(|c| c.dl_bytes).sum() };
    assert!((total(&uniform) - total(&weighted)).abs() < 1e-6 * total(&uniform));
    assert_ne!(
        uniform.cell_kpis.iter().map(|c| c.prb_util).collect::<Vec<_>>(),
        weighted.cell_kpis.iter().map(|c| c.prb_util).collect::<Vec<_>>(),
        "capacity follows where the demand is"
    );
}
