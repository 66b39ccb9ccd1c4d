//! burn's wgpu backend on the radio crate's shared device: one process traces a coverage map and
//! trains a network on the same adapter, device and queue. Runs on whatever adapter the machine
//! has (a real GPU, or Mesa's lavapipe, installed by `.ci/run`); a machine with none fails with a
//! message saying so, unless `RADIO_GPU_TESTS=skip` asks to skip knowingly.

use std::sync::Arc;

use learned::Backend;
use learned::model::{MlpConfig, TrainingConfig, predict, train};
use radio::gpu::{GpuContext, GpuTracer};
use radio::propagation::{CpuTracer, Propagation, TraceConfig, Transmitter};
use radio::scene::procedural::{CityParams, city};
use radio::{Antenna, Grid, SceneOptions, vec3};

fn shared() -> Option<Arc<GpuContext>> {
    match GpuContext::shared() {
        Ok(ctx) => {
            eprintln!("GPU tests on {}", ctx.adapter);
            Some(ctx)
        }
        Err(e) if std::env::var("RADIO_GPU_TESTS").as_deref() == Ok("skip") => {
            eprintln!("!!! GPU TESTS SKIPPED (RADIO_GPU_TESTS=skip): {e}");
            None
        }
        Err(e) => panic!("{e}\n(set RADIO_GPU_TESTS=skip to skip the GPU tests knowingly)"),
    }
}

#[test]
fn traces_and_trains_on_one_shared_device() {
    let Some(ctx) = shared() else { return };
    let tracer = GpuTracer::new().unwrap();
    assert!(std::ptr::eq(tracer.context(), &*ctx), "the tracer opened a device of its own");

    // A map on the shared device, checked against the CPU tracer.
    let params = CityParams { blocks_x: 3, blocks_y: 3, ..CityParams::default() };
    let scene = city(&params, SceneOptions::default()).unwrap().scene;
    let tx = Transmitter {
        position: vec3(0.0, 0.0, 70.0),
        freq_hz: 3.5e9,
        antenna: Antenna::isotropic(),
    };
    let grid = Grid::new(-150.0, -150.0, 5.0, 60, 60, 1.5).unwrap();
    let cfg = TraceConfig { rays: 100_000, ..TraceConfig::default() };
    let before = tracer.coverage(&scene, &tx, &grid, &cfg).unwrap();
    let cpu = CpuTracer.coverage(&scene, &tx, &grid, &cfg).unwrap();
    assert_eq!(before.outdoor, cpu.outdoor);

    // burn on the same device: learns a smooth function, and its predictions agree with the
    // network evaluated on the CPU.
    let device = Backend::Wgpu.device().unwrap();
    assert!(format!("{device:?}").contains("Existing"), "burn opened its own device: {device:?}");
    let d = 2;
    let n = 1600;
    let x: Vec<f32> = (0..n * d).map(|i| ((i * 7919 % 4001) as f32 / 1000.0) - 2.0).collect();
    let y: Vec<f32> = (0..n).map(|i| 3.0 * x[i * d].sin() + x[i * d + 1] * x[i * d + 1]).collect();
    let rows: Vec<usize> = (0..n).collect();
    let (tr, va) = rows.split_at(1300);
    let cfg_train = TrainingConfig::new().with_max_epochs(40).with_patience(40);
    let (model, norm, hist) =
        train(&MlpConfig::new(), &cfg_train, &x, &y, d, tr, va, &device, |_, _, _| {}).unwrap();
    let best = hist.valid_rmse_db[hist.best_epoch];
    eprintln!(
        "wgpu training on {}: best validation RMSE {best:.3} (target std about 2)",
        ctx.adapter
    );
    assert!(best < 0.3, "validation RMSE {best} on the GPU");
    let on_gpu = predict(&model, &norm, &x[..40 * d], d, &device).unwrap();
    let native = model.to_native().unwrap();
    let (mut a, mut b, mut row) = (Vec::new(), Vec::new(), vec![0.0; d]);
    for (i, p) in on_gpu.iter().enumerate() {
        norm.apply_row(&x[i * d..(i + 1) * d], &mut row);
        let q = native.eval(&row, &mut a, &mut b) * norm.target_std + norm.target_mean;
        assert!((p - q).abs() < 1e-3, "row {i}: GPU {p} vs CPU {q}");
    }

    // The tracer still gives the same map, bit for bit, after burn used the device.
    let after = tracer.coverage(&scene, &tx, &grid, &cfg).unwrap();
    assert_eq!(before.outdoor, after.outdoor);
    assert!(
        before.path_gain.iter().zip(&after.path_gain).all(|(p, q)| p.to_bits() == q.to_bits()),
        "the map changed after training on the same device"
    );
}
