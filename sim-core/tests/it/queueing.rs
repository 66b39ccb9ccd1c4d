//! The engine against the closed forms of `REFERENCES.md` §7 (M/M/1, M/D/1, M/M/1/K) and
//! Little's law.
//!
//! Each case runs independent replications of the reference queue and builds a Student-t interval
//! over the replication estimates; theory must lie inside it. Seeds are fixed, so the tests are
//! deterministic; the level is 99 % so that an honest change of random streams (a new stream
//! derivation, say) fails a case only rarely, while a wrong engine (wrong order of simultaneous
//! events, lost or duplicated events, a biased clock) fails every time: the intervals here are a
//! fraction of a percent to a few percent wide.

use sim_core::models::queue::{QueueConfig, QueueStats, SingleServerQueue};
use sim_core::replicate::Replications;
use sim_core::stats::{ConfidenceInterval, DurationHistogram, Merge, merge_in_order};
use sim_core::{Dist, SimDuration};

const LEVEL: f64 = 0.99;

struct Case {
    lambda: f64,
    service: Dist,
    capacity: Option<usize>,
    customers: u64,
    replications: u64,
}

fn simulate(case: &Case, seed: u64) -> Vec<QueueStats> {
    let reps = Replications::new(seed, case.replications);
    reps.run_parallel(|rep| {
        let cfg = QueueConfig {
            interarrival: Dist::exponential(case.lambda).unwrap(),
            service: case.service.clone(),
            capacity: case.capacity,
            customers: case.customers,
            warmup: case.customers / 50,
            batches: 20,
        };
        let mut sim = SingleServerQueue::simulation(cfg, &rep.streams).unwrap();
        let summary = sim.run().unwrap();
        sim.model().stats(summary.now)
    })
}

fn interval(stats: &[QueueStats], f: impl Fn(&QueueStats) -> f64) -> ConfidenceInterval {
    let values: Vec<f64> = stats.iter().map(f).collect();
    ConfidenceInterval::from_values(&values, LEVEL).unwrap()
}

fn assert_contains(what: &str, ci: ConfidenceInterval, theory: f64) {
    eprintln!("{what}: theory {theory}, {LEVEL} interval {ci:.5}");
    assert!(ci.contains(theory), "{what}: theory {theory} outside the {LEVEL} interval {ci:.5}");
    // An interval that contains theory only because it is enormous proves nothing.
    assert!(ci.relative_half_width() < 0.05, "{what}: interval {ci:.5} is too wide to test");
}

/// Little's law on every replication: the time-average number in system equals the admitted
/// arrival rate times the mean sojourn, measured on the same window.
fn assert_little(stats: &[QueueStats]) {
    for (i, s) in stats.iter().enumerate() {
        let l = s.mean_in_system;
        let lambda_w = s.admitted_rate() * s.sojourn.mean();
        assert!((l - lambda_w).abs() / l < 0.005, "replication {i}: L = {l}, λW = {lambda_w}");
    }
}

#[test]
fn mm1_at_rho_0_9() {
    // λ = 0.9, μ = 1: W = 10, L = 9, P(T > 20) = e^−2 = 0.13534, p95 of T = 29.957.
    let case = Case {
        lambda: 0.9,
        service: Dist::exponential(1.0).unwrap(),
        capacity: None,
        customers: 1_000_000,
        replications: 12,
    };
    let stats = simulate(&case, 20_260_101);
    assert_contains("M/M/1 mean sojourn", interval(&stats, |s| s.sojourn.mean()), 10.0);
    assert_contains("M/M/1 mean number in system", interval(&stats, |s| s.mean_in_system), 9.0);
    let twenty = SimDuration::from_secs(20).unwrap();
    let tail = interval(&stats, |s| s.sojourn_hist.fraction_above(twenty));
    assert_contains("M/M/1 P(T > 20)", tail, (-2.0f64).exp());
    assert!((0.1353..0.1354).contains(&(-2.0f64).exp()));

    let hists: Vec<DurationHistogram> = stats.iter().map(|s| s.sojourn_hist.clone()).collect();
    let all = merge_in_order(&hists).unwrap();
    let p95 = all.quantile(0.95).as_secs_f64();
    assert!((p95 - 29.957).abs() / 29.957 < 0.02, "p95 of sojourn {p95}, theory 29.957");
    assert_little(&stats);

    // Within one replication, batch means give an interval that also covers theory.
    let ci = stats[0].sojourn_batches.confidence_interval(LEVEL).unwrap();
    assert!(ci.contains(10.0), "batch-means interval {ci:.4} of replication 0");
}

#[test]
fn mm1_at_rho_0_6() {
    // λ = 3, μ = 5: W = 0.5, L = 1.5.
    let case = Case {
        lambda: 3.0,
        service: Dist::exponential(5.0).unwrap(),
        capacity: None,
        customers: 300_000,
        replications: 10,
    };
    let stats = simulate(&case, 7);
    assert_contains("M/M/1 λ=3 μ=5 W", interval(&stats, |s| s.sojourn.mean()), 0.5);
    assert_contains("M/M/1 λ=3 μ=5 L", interval(&stats, |s| s.mean_in_system), 1.5);
    assert_little(&stats);
}

#[test]
fn md1_pollaczek_khinchine() {
    // ρ = 0.9, μ = 1, deterministic service: W = 5.5, L = 4.95, Wq = 4.5.
    let case = Case {
        lambda: 0.9,
        service: Dist::constant(1.0).unwrap(),
        capacity: None,
        customers: 1_000_000,
        replications: 10,
    };
    let stats = simulate(&case, 99);
    assert_contains("M/D/1 W", interval(&stats, |s| s.sojourn.mean()), 5.5);
    assert_contains("M/D/1 L", interval(&stats, |s| s.mean_in_system), 4.95);
    // Every sojourn is at least one service time.
    for s in &stats {
        assert!((s.sojourn.min() - 1.0).abs() < 1e-9, "minimum sojourn {}", s.sojourn.min());
    }
    assert_little(&stats);
}

#[test]
fn mm1k_blocking() {
    // ρ = 0.8, K = 5: P_B = 0.088819, L = 1.868332, W = 2.563065 (λ = 0.8, μ = 1).
    let case = Case {
        lambda: 0.8,
        service: Dist::exponential(1.0).unwrap(),
        capacity: Some(5),
        customers: 500_000,
        replications: 10,
    };
    let stats = simulate(&case, 5);
    assert_contains("M/M/1/5 P_B", interval(&stats, |s| s.blocking_probability()), 0.088819);
    assert_contains("M/M/1/5 L", interval(&stats, |s| s.mean_in_system), 1.868332);
    assert_contains("M/M/1/5 W", interval(&stats, |s| s.sojourn.mean()), 2.563065);
    assert_little(&stats);
}

#[test]
fn merged_histograms_equal_one_histogram_of_everything() {
    let case = Case {
        lambda: 0.5,
        service: Dist::exponential(1.0).unwrap(),
        capacity: None,
        customers: 20_000,
        replications: 4,
    };
    let stats = simulate(&case, 3);
    let mut merged = stats[0].sojourn_hist.clone();
    for s in &stats[1..] {
        merged.merge(&s.sojourn_hist);
    }
    let total: u64 = stats.iter().map(|s| s.sojourn_hist.count()).sum();
    assert_eq!(merged.count(), total);
}
