//! Settlement-system benchmarks: the per-session ledger model over 1, 4 and 10 years of hourly
//! intervals, the demo's settings (a block every 2 s taking up to 2 000 records) and load (about
//! 1 500 records an hour). The model's cost must grow linearly with the window: one event per
//! block and per interval, each O(log intervals).
//!
//! ```text
//! cargo bench -p twin-benches --bench settlement
//! ```

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scenarios::settlement::{SettlementMode, simulate_system};

const HOUR: i64 = 3600;
/// 2024-01-01T00:00:00Z.
const START: i64 = 1_704_067_200;

fn per_session(c: &mut Criterion) {
    let mut group = c.benchmark_group("settlement_per_session");
    group.sample_size(10);
    let mode = SettlementMode::PerSession { block_interval_s: 2.0, block_capacity: 2_000 };
    for years in [1usize, 4, 10] {
        let hours = years * 8_760;
        let starts: Vec<i64> = (0..hours as i64).map(|h| START + h * HOUR).collect();
        // A daily cycle between 500 and 2 500 records an hour.
        let records: Vec<u64> = (0..hours)
            .map(|h| {
                let phase = (h % 24) as f64 / 24.0 * std::f64::consts::TAU;
                (1_500.0 - 1_000.0 * phase.cos()).round() as u64
            })
            .collect();
        group.throughput(Throughput::Elements(hours as u64));
        group.bench_with_input(BenchmarkId::new("years", years), &years, |b, _| {
            b.iter(|| {
                black_box(
                    simulate_system(&starts, HOUR as f64, &records, mode)
                        .expect("the benchmark's window is valid"),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, per_session);
criterion_main!(benches);
