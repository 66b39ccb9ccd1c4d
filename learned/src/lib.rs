//! The twin's learned layer: a residual network, trained with burn, that corrects the twin's
//! radio predictions against measured KPIs.
//!
//! Physics alone drifts from a real network: inventories carry wrong tilts and azimuths, clutter
//! and materials are missing from the scene, load changes interference. This crate learns the gap
//! (measured minus simulated RSRP) from drive-test and probe data and applies it back, with an
//! honest measure of what it gains on data it has not seen and prediction intervals:
//!
//! * [`measurements`]: CSV files in any tool's layout, through a column mapping with unit
//!   conversions and sentinels; a report of rows kept and dropped, and why.
//! * [`features`]: the twin's own prediction at each point (ray-traced with a scene, TR 38.901
//!   without) and the context that explains its errors (geometry relative to the antenna, line of
//!   sight, interactions, obstruction class, neighbours, time of day, serving cell).
//! * [`dataset`]: features and residual targets, split by spatial blocks or time (not only random
//!   rows) into a held-out test set and folds (fold 0 validates the final model).
//! * [`model`]: a configurable MLP (`#[derive(Config)]`) trained with Adam on Huber or MSE loss
//!   with early stopping, seeded; the normalisation travels with it.
//! * [`metrics`]: RMSE, MAE, bias and 90 % absolute error before and after correction, overall and
//!   per cell; conformal prediction intervals and their coverage.
//! * [`artifact`]: model directories (burnpack weights plus JSON config, features, normalisation
//!   and metrics), written atomically and checked on load; [`artifact::Calibrator`], the batch
//!   inference API that corrects whole grids.
//! * [`pipeline`]: one calibration run end to end, with cross-conformal intervals (out-of-fold
//!   errors of one model per fold, per line-of-sight group); [`truth`]: a known-truth generator
//!   whose reality differs from the twin in known ways, for tests, the demo and the benchmarks.
//!
//! The command, file formats, features and model directory are documented in `docs/learned.md`.
//!
//! Training runs on burn's NdArray CPU backend by default; `--features flex` adds burn's Flex CPU
//! backend and `--features wgpu` the GPU one ([`Backend`]), which trains on the radio crate's
//! shared device ([`radio::gpu::GpuContext::shared`]): the adapter and device the GPU tracer
//! uses, so one process traces and trains on one GPU with one wgpu ([`wgpu_device_on`]).

pub mod artifact;
pub mod dataset;
pub mod error;
pub mod features;
pub mod measurements;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod truth;

pub use error::LearnedError;

use burn::prelude::Device;

/// Where burn trains and evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Backend {
    /// burn's NdArray backend (CPU; the default).
    NdArray,
    /// burn's Flex backend (CPU; feature `flex`).
    Flex,
    /// burn's wgpu backend (any GPU through Vulkan, Metal or DX12; feature `wgpu`).
    Wgpu,
}

impl Default for Backend {
    fn default() -> Self {
        if cfg!(feature = "ndarray") {
            Backend::NdArray
        } else if cfg!(feature = "flex") {
            Backend::Flex
        } else {
            Backend::Wgpu
        }
    }
}

impl Backend {
    /// The backend called `name` (`ndarray`, `flex`, `wgpu`).
    pub fn parse(name: &str) -> Result<Backend, LearnedError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "ndarray" | "cpu" => Ok(Backend::NdArray),
            "flex" => Ok(Backend::Flex),
            "wgpu" | "gpu" => Ok(Backend::Wgpu),
            other => Err(LearnedError::Config(format!(
                "unknown backend \"{other}\" (ndarray, flex or wgpu)"
            ))),
        }
    }

    /// The burn device, or an error if this build lacks the backend's feature.
    pub fn device(self) -> Result<Device, LearnedError> {
        let missing = |f: &str| {
            LearnedError::Config(format!(
                "this build has no {f} backend; rebuild with `--features {f}`"
            ))
        };
        match self {
            // burn 0.22 deprecates NdArray in favour of Flex; it remains the project's default CPU
            // backend until Flex is measured faster end to end (see benches/README.md).
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            Backend::NdArray => Ok(Device::ndarray()),
            #[cfg(not(feature = "ndarray"))]
            Backend::NdArray => Err(missing("ndarray")),
            #[cfg(feature = "flex")]
            Backend::Flex => Ok(Device::flex()),
            #[cfg(not(feature = "flex"))]
            Backend::Flex => Err(missing("flex")),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => shared_wgpu_device(),
            #[cfg(not(feature = "wgpu"))]
            Backend::Wgpu => Err(missing("wgpu")),
        }
    }
}

/// burn's wgpu backend on the radio crate's shared device ([`radio::gpu::GpuContext::shared`]),
/// registered with burn once per process and cloned after.
#[cfg(feature = "wgpu")]
fn shared_wgpu_device() -> Result<Device, LearnedError> {
    use std::sync::Mutex;
    static REGISTERED: Mutex<Option<Device>> = Mutex::new(None);
    // Registration does no rayon work, so holding the lock across it is safe.
    let mut slot = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(device) = slot.as_ref() {
        return Ok(device.clone());
    }
    let ctx = radio::gpu::GpuContext::shared().map_err(|e| LearnedError::Config(e.to_string()))?;
    let device = wgpu_device_on(&ctx)?;
    *slot = Some(device.clone());
    Ok(device)
}

/// A burn device on `ctx`'s wgpu device: burn's kernels then run on the same adapter, device and
/// queue as the GPU tracer that uses `ctx`, sharing its memory (one wgpu in the workspace makes
/// the types the same). burn registers a new runtime per call, so call it once per context and
/// clone the device it returns; [`Backend::Wgpu`] does so for the shared context.
#[cfg(feature = "wgpu")]
pub fn wgpu_device_on(ctx: &radio::gpu::GpuContext) -> Result<Device, LearnedError> {
    use burn::backend::wgpu::{RuntimeOptions, WgpuSetup, try_init_device};
    let setup = WgpuSetup {
        instance: ctx.instance.clone(),
        adapter: ctx.wgpu_adapter.clone(),
        device: ctx.device.clone(),
        queue: ctx.queue.clone(),
        backend: ctx.wgpu_adapter.get_info().backend,
    };
    let device = try_init_device(setup, RuntimeOptions::default()).map_err(|e| {
        LearnedError::Config(format!("burn cannot use the device on {}: {e}", ctx.adapter))
    })?;
    Ok(Device::from(device))
}
