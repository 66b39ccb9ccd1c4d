//! The residual network: a configurable MLP in burn, trained with Adam on Huber or MSE loss with
//! early stopping, plus the input and target normalisation stored with it and a plain-Rust
//! forward pass for batch inference.

use burn::module::Param;
use burn::nn::loss::{HuberLossConfig, MseLoss, Reduction};
use burn::nn::{Linear, Relu};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use rand::RngExt;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use sim_core::RngStreams;

use crate::error::LearnedError;

/// The network's shape.
#[derive(Config, Debug, PartialEq)]
pub struct MlpConfig {
    /// Widths of the hidden layers (ReLU after each).
    #[config(default = "vec![64, 64]")]
    pub hidden: Vec<usize>,
}

/// The loss minimised in training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LossKind {
    /// Huber loss with this threshold, in units of the target's standard deviation: quadratic for
    /// small errors, linear for outliers (multipath fades, misattributed cells).
    Huber(f32),
    /// Mean squared error.
    Mse,
}

/// How training runs.
#[derive(Config, Debug, PartialEq)]
pub struct TrainingConfig {
    /// Passes over the training set at most.
    #[config(default = 200)]
    pub max_epochs: usize,
    /// Rows per gradient step.
    #[config(default = 512)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[config(default = 2e-3)]
    pub learning_rate: f64,
    /// Stop after this many epochs without a better validation RMSE.
    #[config(default = 12)]
    pub patience: usize,
    /// The loss.
    #[config(default = "LossKind::Huber(1.0)")]
    pub loss: LossKind,
    /// Seed of the weight initialisation and the batch order.
    #[config(default = 1)]
    pub seed: u64,
}

/// Per-feature affine normalisation, and the target's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    /// Mean of each feature on the training rows.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature (1 where it is constant).
    pub std: Vec<f32>,
    /// Mean of the target.
    pub target_mean: f32,
    /// Standard deviation of the target.
    pub target_std: f32,
}

impl Normalizer {
    /// Statistics of rows `rows` of `x` (row-major, `d` columns) and of `y`.
    pub fn fit(x: &[f32], y: &[f32], d: usize, rows: &[usize]) -> Normalizer {
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0.0f64; d];
        let mut sq = vec![0.0f64; d];
        for &r in rows {
            for j in 0..d {
                let v = f64::from(x[r * d + j]);
                mean[j] += v;
                sq[j] += v * v;
            }
        }
        let mut std = vec![1.0f32; d];
        for j in 0..d {
            mean[j] /= n;
            let var = (sq[j] / n - mean[j] * mean[j]).max(0.0);
            std[j] = if var.sqrt() > 1e-6 { var.sqrt() as f32 } else { 1.0 };
        }
        let ym = rows.iter().map(|&r| f64::from(y[r])).sum::<f64>() / n;
        let yv = rows.iter().map(|&r| (f64::from(y[r]) - ym).powi(2)).sum::<f64>() / n;
        Normalizer {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
            target_mean: ym as f32,
            target_std: if yv.sqrt() > 1e-6 { yv.sqrt() as f32 } else { 1.0 },
        }
    }

    /// Normalises one row into `out`.
    #[inline]
    pub fn apply_row(&self, row: &[f32], out: &mut [f32]) {
        for ((o, &v), (&m, &s)) in out.iter_mut().zip(row).zip(self.mean.iter().zip(&self.std)) {
            *o = (v - m) / s;
        }
    }
}

/// The MLP: hidden linear layers with ReLU, then one linear output.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    output: Linear,
    activation: Relu,
}

/// A linear layer initialised from our own seeded stream (Kaiming-uniform, as burn's default),
/// so that the same seed gives the same network whatever else uses the backend's generator.
fn seeded_linear(d_in: usize, d_out: usize, device: &Device, rng: &mut sim_core::SimRng) -> Linear {
    let bound = (1.0 / d_in as f64).sqrt() as f32;
    let w: Vec<f32> = (0..d_in * d_out).map(|_| rng.random_range(-bound..bound)).collect();
    let b: Vec<f32> = (0..d_out).map(|_| rng.random_range(-bound..bound)).collect();
    Linear {
        weight: Param::from_tensor(Tensor::<2>::from_data(
            TensorData::new(w, [d_in, d_out]),
            device,
        )),
        bias: Some(Param::from_tensor(Tensor::<1>::from_data(TensorData::new(b, [d_out]), device))),
    }
}

impl MlpConfig {
    /// A network for `d_input` features on `device`, initialised from `seed`.
    pub fn init(&self, d_input: usize, device: &Device, seed: u64) -> Mlp {
        let mut rng = RngStreams::new(seed).stream("weights");
        let mut hidden = Vec::new();
        let mut width = d_input;
        for &h in &self.hidden {
            hidden.push(seeded_linear(width, h, device, &mut rng));
            width = h;
        }
        Mlp { hidden, output: seeded_linear(width, 1, device, &mut rng), activation: Relu::new() }
    }
}

impl Mlp {
    /// Predictions (normalised target units) for a batch of normalised rows.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut h = x;
        for layer in &self.hidden {
            h = self.activation.forward(layer.forward(h));
        }
        self.output.forward(h)
    }

    /// The weights as plain arrays, for [`NativeMlp`].
    pub fn to_native(&self) -> Result<NativeMlp, LearnedError> {
        let grab = |l: &Linear| -> Result<NativeLayer, LearnedError> {
            let w = l.weight.val();
            let [d_in, d_out] = w.dims();
            let weights = w
                .into_data()
                .try_into_vec::<f32>()
                .map_err(|e| LearnedError::Training(format!("reading weights: {e:?}")))?;
            let bias = match &l.bias {
                Some(b) => b
                    .val()
                    .into_data()
                    .try_into_vec::<f32>()
                    .map_err(|e| LearnedError::Training(format!("reading biases: {e:?}")))?,
                None => vec![0.0; d_out],
            };
            Ok(NativeLayer { d_in, d_out, weights, bias })
        };
        let mut layers = self.hidden.iter().map(grab).collect::<Result<Vec<_>, _>>()?;
        layers.push(grab(&self.output)?);
        Ok(NativeMlp { layers })
    }
}

/// One dense layer: `weights` is `[d_in][d_out]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeLayer {
    /// Inputs.
    pub d_in: usize,
    /// Outputs.
    pub d_out: usize,
    /// Row-major `[d_in][d_out]`.
    pub weights: Vec<f32>,
    /// `d_out` biases.
    pub bias: Vec<f32>,
}

/// The trained MLP evaluated in plain Rust: the same arithmetic as the burn forward pass (to float
/// rounding), in a loop the compiler vectorises, for batch inference without tensor set-up.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeMlp {
    /// Hidden layers then the output layer.
    pub layers: Vec<NativeLayer>,
}

impl NativeMlp {
    /// The input width.
    pub fn d_input(&self) -> usize {
        self.layers.first().map_or(0, |l| l.d_in)
    }

    /// Evaluates one normalised row, using `a` and `b` as scratch; returns the output.
    #[inline]
    pub fn eval(&self, row: &[f32], a: &mut Vec<f32>, b: &mut Vec<f32>) -> f32 {
        a.clear();
        a.extend_from_slice(row);
        let last = self.layers.len() - 1;
        for (k, layer) in self.layers.iter().enumerate() {
            b.clear();
            b.extend_from_slice(&layer.bias);
            for (i, &x) in a.iter().enumerate() {
                if x == 0.0 {
                    continue;
                }
                let w = &layer.weights[i * layer.d_out..(i + 1) * layer.d_out];
                for (o, &wij) in b.iter_mut().zip(w) {
                    *o += x * wij;
                }
            }
            if k < last {
                for v in b.iter_mut() {
                    *v = v.max(0.0);
                }
            }
            std::mem::swap(a, b);
        }
        a[0]
    }
}

/// What training did, epoch by epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistory {
    /// Mean training loss per epoch (normalised units).
    pub train_loss: Vec<f64>,
    /// Validation RMSE per epoch, dB.
    pub valid_rmse_db: Vec<f64>,
    /// The epoch whose weights were kept (0-based).
    pub best_epoch: usize,
    /// Whether early stopping ended training before `max_epochs`.
    pub stopped_early: bool,
}

/// The plain (non-autodiff) device of `device`.
fn plain(device: &Device) -> Device {
    device.clone().without_autodiff()
}

/// Predictions in target units for `rows` of `x`, with `model` on the plain device.
fn predict_rows(
    model: &Mlp,
    norm: &Normalizer,
    x: &[f32],
    d: usize,
    rows: &[usize],
    device: &Device,
) -> Result<Vec<f32>, LearnedError> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(16_384) {
        let mut buf = vec![0.0f32; chunk.len() * d];
        for (k, &r) in chunk.iter().enumerate() {
            norm.apply_row(&x[r * d..(r + 1) * d], &mut buf[k * d..(k + 1) * d]);
        }
        let t = Tensor::<2>::from_data(TensorData::new(buf, [chunk.len(), d]), device);
        let y = model
            .forward(t)
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| LearnedError::Training(format!("reading predictions: {e:?}")))?;
        out.extend(y.iter().map(|v| v * norm.target_std + norm.target_mean));
    }
    Ok(out)
}

/// Trains a network on rows `train` of `(x, y)` (`d` columns), stopping early on the RMSE of rows
/// `valid` and keeping the weights of the best epoch. `progress` is called after each epoch with
/// (epoch, training loss, validation RMSE).
#[allow(clippy::too_many_arguments)]
pub fn train(
    mlp: &MlpConfig,
    cfg: &TrainingConfig,
    x: &[f32],
    y: &[f32],
    d: usize,
    train: &[usize],
    valid: &[usize],
    device: &Device,
    progress: impl FnMut(usize, f64, f64),
) -> Result<(Mlp, Normalizer, TrainingHistory), LearnedError> {
    if valid.is_empty() {
        return Err(LearnedError::Training("no validation rows: early stopping needs some".into()));
    }
    fit(mlp, cfg, x, y, d, train, Some(valid), device, progress)
}

/// Trains a network on rows `train` for exactly `cfg.max_epochs` epochs and keeps the last
/// weights: no row outside `train` influences it (the out-of-fold models of the conformal
/// intervals are trained so).
pub fn train_fixed(
    mlp: &MlpConfig,
    cfg: &TrainingConfig,
    x: &[f32],
    y: &[f32],
    d: usize,
    train: &[usize],
    device: &Device,
) -> Result<(Mlp, Normalizer, TrainingHistory), LearnedError> {
    fit(mlp, cfg, x, y, d, train, None, device, |_, _, _| {})
}

#[allow(clippy::too_many_arguments)]
fn fit(
    mlp: &MlpConfig,
    cfg: &TrainingConfig,
    x: &[f32],
    y: &[f32],
    d: usize,
    train: &[usize],
    valid: Option<&[usize]>,
    device: &Device,
    mut progress: impl FnMut(usize, f64, f64),
) -> Result<(Mlp, Normalizer, TrainingHistory), LearnedError> {
    if train.is_empty() {
        return Err(LearnedError::Training("no training rows".into()));
    }
    if cfg.batch_size == 0
        || cfg.max_epochs == 0
        || !(cfg.learning_rate > 0.0 && cfg.learning_rate.is_finite())
    {
        return Err(LearnedError::Training(
            "batch size, epochs and learning rate must be positive".into(),
        ));
    }
    if mlp.hidden.contains(&0) {
        return Err(LearnedError::Training("hidden layers must have at least one unit".into()));
    }
    if let LossKind::Huber(delta) = cfg.loss
        && !(delta > 0.0 && delta.is_finite())
    {
        return Err(LearnedError::Training(format!("Huber threshold {delta} must be positive")));
    }
    let norm = Normalizer::fit(x, y, d, train);
    let ad = device.clone().autodiff();
    let plain_device = plain(device);
    let mut model = mlp.init(d, &ad, cfg.seed);
    let mut optim = AdamConfig::new().init();
    let huber = match cfg.loss {
        LossKind::Huber(delta) => Some(HuberLossConfig::new(delta).init()),
        LossKind::Mse => None,
    };
    let streams = RngStreams::new(cfg.seed);
    let mut order = train.to_vec();
    let mut history = TrainingHistory {
        train_loss: vec![],
        valid_rmse_db: vec![],
        best_epoch: 0,
        stopped_early: false,
    };
    let mut best: Option<(f64, Mlp)> = None;
    let mut since_best = 0;
    let mut xb = Vec::with_capacity(cfg.batch_size * d);
    let mut yb = Vec::with_capacity(cfg.batch_size);
    for epoch in 0..cfg.max_epochs {
        order.shuffle(&mut streams.indexed("epoch", epoch as u64));
        let mut loss_sum = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(cfg.batch_size) {
            xb.clear();
            xb.resize(chunk.len() * d, 0.0);
            yb.clear();
            for (k, &r) in chunk.iter().enumerate() {
                norm.apply_row(&x[r * d..(r + 1) * d], &mut xb[k * d..(k + 1) * d]);
                yb.push((y[r] - norm.target_mean) / norm.target_std);
            }
            let xt = Tensor::<2>::from_data(TensorData::new(xb.clone(), [chunk.len(), d]), &ad);
            let yt = Tensor::<2>::from_data(TensorData::new(yb.clone(), [chunk.len(), 1]), &ad);
            let pred = model.forward(xt);
            let loss = match &huber {
                Some(h) => h.forward(pred, yt, Reduction::Mean),
                None => MseLoss::new().forward(pred, yt, Reduction::Mean),
            };
            let l: f32 = loss.clone().into_scalar::<f32>();
            if !l.is_finite() {
                return Err(LearnedError::Training(format!(
                    "the loss became {l} in epoch {epoch}; check the data for extreme values"
                )));
            }
            loss_sum += f64::from(l);
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(cfg.learning_rate, model, grads);
        }
        let train_loss = loss_sum / batches.max(1) as f64;
        history.train_loss.push(train_loss);
        let snapshot = model.valid();
        let Some(valid) = valid else {
            history.best_epoch = epoch;
            best = Some((f64::NAN, snapshot));
            progress(epoch, train_loss, f64::NAN);
            continue;
        };
        let pred = predict_rows(&snapshot, &norm, x, d, valid, &plain_device)?;
        let mse = valid.iter().zip(&pred).map(|(&r, p)| f64::from(y[r] - p).powi(2)).sum::<f64>()
            / valid.len() as f64;
        let rmse = mse.sqrt();
        history.valid_rmse_db.push(rmse);
        progress(epoch, train_loss, rmse);
        if best.as_ref().is_none_or(|(b, _)| rmse < *b * (1.0 - 1e-4)) {
            best = Some((rmse, snapshot));
            history.best_epoch = epoch;
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                history.stopped_early = true;
                break;
            }
        }
    }
    let (_, model) = best.ok_or_else(|| LearnedError::Training("no epoch completed".into()))?;
    Ok((model, norm, history))
}

/// Predictions in target units for rows of `x` with a trained plain-device model (the burn path;
/// [`NativeMlp`] is the fast one).
pub fn predict(
    model: &Mlp,
    norm: &Normalizer,
    x: &[f32],
    d: usize,
    device: &Device,
) -> Result<Vec<f32>, LearnedError> {
    let rows: Vec<usize> = (0..x.len() / d.max(1)).collect();
    predict_rows(model, norm, x, d, &rows, &plain(device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_smooth_function_and_the_native_pass_agrees() {
        // y = 3 sin(x0) + x1², with noise-free rows.
        let d = 2;
        let n = 2000;
        let mut rng = RngStreams::new(7).stream("data");
        let x: Vec<f32> = (0..n * d).map(|_| rng.random_range(-2.0f32..2.0)).collect();
        let y: Vec<f32> =
            (0..n).map(|i| 3.0 * x[i * d].sin() + x[i * d + 1] * x[i * d + 1]).collect();
        let rows: Vec<usize> = (0..n).collect();
        let (tr, va) = rows.split_at(1600);
        let cfg = TrainingConfig::new().with_max_epochs(60).with_patience(60);
        let device = crate::Backend::default().device().unwrap();
        let (model, norm, hist) =
            train(&MlpConfig::new(), &cfg, &x, &y, d, tr, va, &device, |_, _, _| {}).unwrap();
        let best = hist.valid_rmse_db[hist.best_epoch];
        assert!(best < 0.15, "validation RMSE {best} (target std about 2)");
        let burn_pred = predict(&model, &norm, &x[..20 * d], d, &device).unwrap();
        let native = model.to_native().unwrap();
        let (mut a, mut b, mut row) = (Vec::new(), Vec::new(), vec![0.0; d]);
        for (i, p) in burn_pred.iter().enumerate() {
            norm.apply_row(&x[i * d..(i + 1) * d], &mut row);
            let q = native.eval(&row, &mut a, &mut b) * norm.target_std + norm.target_mean;
            assert!((p - q).abs() < 1e-4, "{p} vs {q}");
        }
    }
}
