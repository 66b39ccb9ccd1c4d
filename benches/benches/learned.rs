//! Learned-layer benchmarks on a known-truth world of 100 000 measurements (generated, traced
//! and imported through the demo's files once, before timing; a few minutes):
//!
//! * `train_default_100k`: training the default network (64-64, Huber, Adam, batch 512, early
//!   stopping with patience 12) on the spatial split's training rows, the NdArray backend;
//! * `epoch_100k`: one epoch over 100 000 rows;
//! * `calibrate_100k`: the whole calibration (final model plus the five out-of-fold models of the
//!   conformal intervals, and the held-out evaluation);
//! * `inference_1m`: [`learned::artifact::Calibrator::predict`] on 1 000 000 feature rows (the
//!   batch API that corrects coverage grids).
//!
//! ```text
//! cargo bench -p twin-benches --bench learned
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use learned::Backend;
use learned::dataset::split;
use learned::model::{MlpConfig, TrainingConfig, train};
use learned::pipeline::{CalibrationOptions, calibrate};
use learned::truth::{TruthConfig, demo_dataset};

fn learned(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("twin-bench-learned-{}", std::process::id()));
    let cfg = TruthConfig { measurements: 100_000, ..TruthConfig::default() };
    let t0 = std::time::Instant::now();
    let (_, ds, report) = match demo_dataset(&cfg, &dir) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("SKIPPING learned benchmarks: {e}");
            return;
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "world: {report}; {} features; built in {:.0} s",
        ds.width(),
        t0.elapsed().as_secs_f64()
    );
    let opts = CalibrationOptions::default();
    let Ok(s) = split(&ds, &opts.split) else {
        eprintln!("SKIPPING learned benchmarks: the world cannot be split");
        return;
    };
    let Ok(device) = Backend::default().device() else {
        eprintln!("SKIPPING learned benchmarks: no NdArray device");
        return;
    };
    let (train_rows, valid) = (s.train(), s.valid().to_vec());
    let d = ds.width();
    let run_training = |cfg: &TrainingConfig| {
        train(
            &MlpConfig::new(),
            cfg,
            &ds.x,
            &ds.target,
            d,
            &train_rows,
            &valid,
            &device,
            |_, _, _| {},
        )
    };
    let mut g = c.benchmark_group("learned");
    g.sample_size(10);
    // How many epochs the default training runs, for the record.
    if let Ok((_, _, h)) = run_training(&TrainingConfig::new()) {
        eprintln!(
            "default training on {} rows: {} epochs (best {})",
            train_rows.len(),
            h.train_loss.len(),
            h.best_epoch + 1
        );
    }
    g.bench_function(format!("train_default_{}k_rows", train_rows.len() / 1000), |b| {
        b.iter(|| black_box(run_training(&TrainingConfig::new())))
    });
    g.throughput(Throughput::Elements(ds.len() as u64));
    let all: Vec<usize> = (0..ds.len()).collect();
    g.bench_function("epoch_100k", |b| {
        b.iter(|| {
            black_box(train(
                &MlpConfig::new(),
                &TrainingConfig::new().with_max_epochs(1),
                &ds.x,
                &ds.target,
                d,
                &all,
                &valid,
                &device,
                |_, _, _| {},
            ))
        })
    });
    g.bench_function("calibrate_100k", |b| {
        b.iter(|| black_box(calibrate(&ds, &opts, |_, _, _| {})))
    });
    let run = match calibrate(&ds, &opts, |_, _, _| {}) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("SKIPPING inference: {e}");
            return;
        }
    };
    // 1 000 000 rows: the world's rows ten times over.
    let n = 1_000_000;
    let x: Vec<f32> = ds.x.iter().copied().cycle().take(n * d).collect();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("inference_1m", |b| {
        b.iter(|| black_box(run.calibrator.predict(black_box(&x))))
    });
    g.finish();
}

criterion_group!(benches, learned);
criterion_main!(benches);
