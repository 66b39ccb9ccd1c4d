//! Determinism contracts: the same seed gives the same output bit for bit, run after run and for
//! any number of threads.

use sim_core::models::hold::Hold;
use sim_core::models::queue::{QueueConfig, SingleServerQueue};
use sim_core::replicate::Replications;
use sim_core::stats::{DurationHistogram, OnlineStats, merge_in_order};
use sim_core::{Dist, RngStreams};

/// Everything a replication reports, as raw bits so that equality means bit-identical.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    mean_bits: u64,
    var_bits: u64,
    l_bits: u64,
    count: u64,
    p99_ns: u64,
    end_ns: u64,
}

fn replication_outputs(
    seed: u64,
    threads: usize,
) -> (Vec<Fingerprint>, OnlineStats, DurationHistogram) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let reps = Replications::new(seed, 16);
    let outputs = pool.install(|| {
        reps.run_parallel(|rep| {
            let cfg = QueueConfig {
                interarrival: Dist::exponential(0.8).unwrap(),
                service: Dist::lognormal_mean_std(1.0, 0.5).unwrap(),
                capacity: Some(20),
                customers: 20_000 + rep.index * 100,
                warmup: 100,
                batches: 10,
            };
            let mut sim = SingleServerQueue::simulation(cfg, &rep.streams).unwrap();
            let summary = sim.run().unwrap();
            let s = sim.model().stats(summary.now);
            let fp = Fingerprint {
                mean_bits: s.sojourn.mean().to_bits(),
                var_bits: s.sojourn.variance().to_bits(),
                l_bits: s.mean_in_system.to_bits(),
                count: s.sojourn.count(),
                p99_ns: s.sojourn_hist.quantile(0.99).as_nanos(),
                end_ns: summary.now.as_nanos(),
            };
            (fp, s.sojourn, s.sojourn_hist)
        })
    });
    let fps = outputs.iter().map(|o| o.0.clone()).collect();
    let stats: Vec<OnlineStats> = outputs.iter().map(|o| o.1).collect();
    let hists: Vec<DurationHistogram> = outputs.iter().map(|o| o.2.clone()).collect();
    (fps, merge_in_order(&stats).unwrap(), merge_in_order(&hists).unwrap())
}

#[test]
fn replications_are_identical_on_1_and_n_threads() {
    let (fp1, merged1, hist1) = replication_outputs(42, 1);
    let (fp4, merged4, hist4) = replication_outputs(42, 4);
    let (fp3, merged3, _) = replication_outputs(42, 3);
    assert_eq!(fp1, fp4);
    assert_eq!(fp1, fp3);
    assert_eq!(merged1.mean().to_bits(), merged4.mean().to_bits());
    assert_eq!(merged1.variance().to_bits(), merged4.variance().to_bits());
    assert_eq!(merged1.mean().to_bits(), merged3.mean().to_bits());
    assert_eq!(hist1, hist4);
}

#[test]
fn parallel_equals_sequential() {
    let reps = Replications::new(9, 6);
    let run = |rep: sim_core::replicate::Replication| {
        let mut sim = Hold::simulation(Dist::exponential(2.0).unwrap(), &rep.streams, 50).unwrap();
        sim.run_events(5_000).unwrap();
        sim.now().as_nanos()
    };
    assert_eq!(reps.run_parallel(run), reps.run_sequential(run));
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let end = |seed| {
        let mut sim =
            Hold::simulation(Dist::pareto(0.5, 2.5).unwrap(), &RngStreams::new(seed), 200).unwrap();
        sim.run_events(50_000).unwrap();
        sim.now()
    };
    assert_eq!(end(1), end(1));
    assert_ne!(end(1), end(2));
}

#[test]
fn adding_a_component_does_not_disturb_another() {
    // The queue's streams are named; drawing from an unrelated stream first changes nothing.
    let streams = RngStreams::new(77);
    let cfg = || QueueConfig {
        interarrival: Dist::exponential(0.5).unwrap(),
        service: Dist::exponential(1.0).unwrap(),
        capacity: None,
        customers: 5_000,
        warmup: 0,
        batches: 4,
    };
    let mut a = SingleServerQueue::simulation(cfg(), &streams).unwrap();
    let ra = a.run().unwrap();
    let _other = streams.stream("a-new-traffic-source");
    let mut b = SingleServerQueue::simulation(cfg(), &streams).unwrap();
    let rb = b.run().unwrap();
    assert_eq!(ra.now, rb.now);
    assert_eq!(a.model().stats(ra.now).sojourn, b.model().stats(rb.now).sojourn);
}
