//! Probability distributions for inter-arrival times, service times, sizes and periods.
//!
//! [`Dist`] is a closed set of distributions behind one type, so a model can hold "the service time
//! distribution" read from a scenario file without generics or virtual calls. Every constructor
//! checks its parameters and returns a [`DistError`] that names the distribution, the parameter
//! and what was expected; a sampler never panics and never yields NaN.
//!
//! The samplers are those of `rand_distr` (ziggurat for exponential and normal), except the
//! [`Empirical`] distribution, which resamples observed values.

use rand::Rng;
use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pareto};

use crate::time::{SimDuration, TimeError};

/// A distribution parameter or sample set that cannot define a distribution.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistError {
    /// A parameter is NaN, infinite or out of its range.
    #[error("{dist} distribution: {param} must be {expected}, got {value}")]
    InvalidParameter {
        /// Which distribution.
        dist: &'static str,
        /// Which parameter.
        param: &'static str,
        /// The value given.
        value: f64,
        /// The valid range, in words.
        expected: &'static str,
    },
    /// An empirical distribution was given no samples.
    #[error("empirical distribution: no samples given")]
    NoSamples,
    /// An empirical sample is NaN or infinite.
    #[error("empirical distribution: sample {index} is {value}, expected a finite number")]
    NonFiniteSample {
        /// Position of the sample in the input.
        index: usize,
        /// The value found.
        value: f64,
    },
}

fn check(
    dist: &'static str,
    param: &'static str,
    value: f64,
    expected: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, DistError> {
    if value.is_finite() && ok(value) {
        Ok(value)
    } else {
        Err(DistError::InvalidParameter { dist, param, value, expected })
    }
}

/// The error for a parameter that `rand_distr` refused although it passed our own check; kept so
/// that no constructor can panic, should the two ever disagree.
fn refused<E>(
    dist: &'static str,
    param: &'static str,
    value: f64,
    expected: &'static str,
) -> impl FnOnce(E) -> DistError {
    move |_| DistError::InvalidParameter { dist, param, value, expected }
}

fn positive(dist: &'static str, param: &'static str, value: f64) -> Result<f64, DistError> {
    check(dist, param, value, "finite and > 0", |v| v > 0.0)
}

/// How an [`Empirical`] distribution draws from its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmpiricalMode {
    /// Each observed value with equal probability (bootstrap resampling).
    Discrete,
    /// The inverse of the piecewise-linear empirical CDF through the sorted samples: continuous
    /// values between the smallest and the largest observation.
    Interpolated,
}

/// A distribution given by observed values, such as measured flow sizes or holding times.
#[derive(Debug, Clone, PartialEq)]
pub struct Empirical {
    sorted: Vec<f64>,
    mode: EmpiricalMode,
}

impl Empirical {
    /// The distribution of `samples`, which must be non-empty and finite.
    pub fn new(samples: &[f64], mode: EmpiricalMode) -> Result<Self, DistError> {
        if samples.is_empty() {
            return Err(DistError::NoSamples);
        }
        if let Some((index, &value)) = samples.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(DistError::NonFiniteSample { index, value });
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Ok(Empirical { sorted, mode })
    }

    /// The sorted observations.
    pub fn samples(&self) -> &[f64] {
        &self.sorted
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let n = self.sorted.len();
        match self.mode {
            EmpiricalMode::Discrete => self.sorted[rng.random_range(0..n)],
            EmpiricalMode::Interpolated => {
                if n == 1 {
                    return self.sorted[0];
                }
                let pos = rng.random::<f64>() * (n - 1) as f64;
                // `pos` < n - 1, so `i + 1` is in range.
                let i = (pos as usize).min(n - 2);
                let frac = pos - i as f64;
                self.sorted[i] + frac * (self.sorted[i + 1] - self.sorted[i])
            }
        }
    }

    fn mean(&self) -> f64 {
        let n = self.sorted.len();
        match self.mode {
            EmpiricalMode::Interpolated if n > 1 => {
                // Each of the n − 1 segments carries probability 1/(n − 1) and has its midpoint
                // as mean.
                let sum: f64 = self.sorted.windows(2).map(|w| 0.5 * (w[0] + w[1])).sum();
                sum / (n - 1) as f64
            }
            _ => self.sorted.iter().sum::<f64>() / n as f64,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Constant(f64),
    Exponential(Exp<f64>, f64),
    Uniform(f64, f64),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>, f64, f64),
    Pareto(Pareto<f64>, f64, f64),
    Empirical(Empirical),
}

/// A real-valued distribution: constant, exponential, uniform, normal, log-normal, Pareto or
/// empirical.
///
/// ```
/// use sim_core::{Dist, RngStreams};
///
/// let service = Dist::exponential(2.0)?; // rate 2 per second: mean 0.5 s
/// assert_eq!(service.mean(), 0.5);
/// let mut rng = RngStreams::new(1).stream("service");
/// let d = service.sample_duration(&mut rng)?;
/// assert!(d.as_secs_f64() >= 0.0);
/// assert!(Dist::exponential(0.0).is_err());
/// assert_eq!(
///     Dist::pareto(1.0, -2.0).unwrap_err().to_string(),
///     "Pareto distribution: shape must be finite and > 0, got -2"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dist {
    kind: Kind,
}

impl Dist {
    /// Always `value`; the service time of an M/D/1 queue.
    pub fn constant(value: f64) -> Result<Dist, DistError> {
        let value = check("constant", "value", value, "finite", |_| true)?;
        Ok(Dist { kind: Kind::Constant(value) })
    }

    /// Exponential with `rate` events per unit (mean `1 / rate`).
    pub fn exponential(rate: f64) -> Result<Dist, DistError> {
        let rate = positive("exponential", "rate", rate)?;
        let exp = Exp::new(rate).map_err(refused("exponential", "rate", rate, "finite and > 0"))?;
        Ok(Dist { kind: Kind::Exponential(exp, rate) })
    }

    /// Exponential with the given mean.
    pub fn exponential_mean(mean: f64) -> Result<Dist, DistError> {
        let mean = positive("exponential", "mean", mean)?;
        Dist::exponential(1.0 / mean)
    }

    /// Uniform on `[low, high)`; `low == high` gives a constant.
    pub fn uniform(low: f64, high: f64) -> Result<Dist, DistError> {
        let low = check("uniform", "low", low, "finite", |_| true)?;
        let high = check("uniform", "high", high, "finite and >= low", |h| h >= low)?;
        Ok(Dist { kind: Kind::Uniform(low, high) })
    }

    /// Normal with mean `mean` and standard deviation `std_dev`.
    pub fn normal(mean: f64, std_dev: f64) -> Result<Dist, DistError> {
        let mean = check("normal", "mean", mean, "finite", |_| true)?;
        let std_dev = check("normal", "std_dev", std_dev, "finite and >= 0", |s| s >= 0.0)?;
        let normal = Normal::new(mean, std_dev).map_err(refused(
            "normal",
            "std_dev",
            std_dev,
            "finite and >= 0",
        ))?;
        Ok(Dist { kind: Kind::Normal(normal) })
    }

    /// Log-normal: `exp(N(mu, sigma))`.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist, DistError> {
        let mu = check("log-normal", "mu", mu, "finite", |_| true)?;
        let sigma = check("log-normal", "sigma", sigma, "finite and >= 0", |s| s >= 0.0)?;
        let ln = LogNormal::new(mu, sigma).map_err(refused(
            "log-normal",
            "sigma",
            sigma,
            "finite and >= 0",
        ))?;
        Ok(Dist { kind: Kind::LogNormal(ln, mu, sigma) })
    }

    /// Log-normal with the given mean and standard deviation of the values themselves (not of
    /// their logarithm), the way measured flow sizes are usually summarised.
    pub fn lognormal_mean_std(mean: f64, std_dev: f64) -> Result<Dist, DistError> {
        let mean = positive("log-normal", "mean", mean)?;
        let std_dev = check("log-normal", "std_dev", std_dev, "finite and >= 0", |s| s >= 0.0)?;
        let sigma2 = (1.0 + (std_dev / mean).powi(2)).ln();
        Dist::lognormal(mean.ln() - 0.5 * sigma2, sigma2.sqrt())
    }

    /// Pareto (type I) with minimum `scale` and tail index `shape`: heavy-tailed on and off periods
    /// of bursty sources. The mean is infinite for `shape <= 1`.
    pub fn pareto(scale: f64, shape: f64) -> Result<Dist, DistError> {
        let scale = positive("Pareto", "scale", scale)?;
        let shape = positive("Pareto", "shape", shape)?;
        let pareto = Pareto::new(scale, shape).map_err(refused(
            "Pareto",
            "shape",
            shape,
            "finite and > 0",
        ))?;
        Ok(Dist { kind: Kind::Pareto(pareto, scale, shape) })
    }

    /// The distribution of observed values.
    pub fn empirical(empirical: Empirical) -> Dist {
        Dist { kind: Kind::Empirical(empirical) }
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.kind {
            Kind::Constant(v) => *v,
            Kind::Exponential(exp, _) => exp.sample(rng),
            Kind::Uniform(low, high) => low + (high - low) * rng.random::<f64>(),
            Kind::Normal(normal) => normal.sample(rng),
            Kind::LogNormal(ln, _, _) => ln.sample(rng),
            Kind::Pareto(pareto, _, _) => pareto.sample(rng),
            Kind::Empirical(e) => e.sample(rng),
        }
    }

    /// One draw read as seconds and rounded to the nearest nanosecond. Fails if the draw is
    /// negative (possible for normal and uniform distributions with negative support) or too
    /// large for simulated time.
    #[inline]
    pub fn sample_duration<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<SimDuration, TimeError> {
        SimDuration::from_secs_f64(self.sample(rng))
    }

    /// The mean of the distribution (infinite for a Pareto tail index at or below 1).
    pub fn mean(&self) -> f64 {
        match &self.kind {
            Kind::Constant(v) => *v,
            Kind::Exponential(_, rate) => 1.0 / rate,
            Kind::Uniform(low, high) => 0.5 * (low + high),
            Kind::Normal(normal) => normal.mean(),
            Kind::LogNormal(_, mu, sigma) => (mu + 0.5 * sigma * sigma).exp(),
            Kind::Pareto(_, scale, shape) => {
                if *shape > 1.0 {
                    shape * scale / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
            Kind::Empirical(e) => e.mean(),
        }
    }
}

impl Distribution<f64> for Dist {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        Dist::sample(self, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::RngStreams;
    use crate::stats::OnlineStats;

    fn moments(dist: &Dist, n: usize) -> OnlineStats {
        let mut rng = RngStreams::new(3).stream("moments");
        let mut s = OnlineStats::new();
        for _ in 0..n {
            s.push(dist.sample(&mut rng));
        }
        s
    }

    /// The sample mean of `n` draws lies within 5 standard errors of the theoretical mean, and the
    /// sample variance within 5 % of the theoretical variance.
    fn assert_moments(dist: &Dist, variance: f64) {
        let n = 200_000;
        let s = moments(dist, n);
        let se = (variance / n as f64).sqrt();
        assert!((s.mean() - dist.mean()).abs() < 5.0 * se, "{dist:?}: mean {}", s.mean());
        assert!(
            (s.variance() - variance).abs() < 0.05 * variance,
            "{dist:?}: variance {} vs {variance}",
            s.variance()
        );
    }

    #[test]
    fn moments_match_theory() {
        assert_moments(&Dist::exponential(2.0).unwrap(), 0.25);
        assert_moments(&Dist::uniform(1.0, 3.0).unwrap(), 4.0 / 12.0);
        assert_moments(&Dist::normal(-1.0, 2.0).unwrap(), 4.0);
        let (mu, sigma): (f64, f64) = (0.5, 0.4);
        let ln_var = ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp();
        assert_moments(&Dist::lognormal(mu, sigma).unwrap(), ln_var);
        // Pareto with shape 5 has finite variance: scale² shape / ((shape−1)²(shape−2)).
        assert_moments(&Dist::pareto(2.0, 5.0).unwrap(), 4.0 * 5.0 / (16.0 * 3.0));
        let c = Dist::constant(4.2).unwrap();
        assert_eq!(moments(&c, 10).variance(), 0.0);
        assert_eq!(c.mean(), 4.2);
    }

    #[test]
    fn lognormal_from_mean_and_std() {
        let d = Dist::lognormal_mean_std(10.0, 5.0).unwrap();
        assert!((d.mean() - 10.0).abs() < 1e-12);
        assert_moments(&d, 25.0);
    }

    #[test]
    fn pareto_mean_is_infinite_for_heavy_tails() {
        assert_eq!(Dist::pareto(1.0, 1.0).unwrap().mean(), f64::INFINITY);
        assert_eq!(Dist::pareto(1.0, 3.0).unwrap().mean(), 1.5);
    }

    #[test]
    fn empirical_discrete_and_interpolated() {
        let samples = [4.0, 1.0, 3.0, 2.0];
        let discrete = Dist::empirical(Empirical::new(&samples, EmpiricalMode::Discrete).unwrap());
        let mut rng = RngStreams::new(5).stream("e");
        for _ in 0..1000 {
            let x = discrete.sample(&mut rng);
            assert!(samples.contains(&x));
        }
        assert_eq!(discrete.mean(), 2.5);
        let interp =
            Dist::empirical(Empirical::new(&samples, EmpiricalMode::Interpolated).unwrap());
        // Uniform on [1, 4] in effect: mean 2.5, variance 9/12.
        assert_moments(&interp, 0.75);
        let single = Dist::empirical(Empirical::new(&[7.0], EmpiricalMode::Interpolated).unwrap());
        assert_eq!(single.sample(&mut rng), 7.0);
    }

    #[test]
    fn bad_parameters_are_rejected_with_names() {
        let cases = [
            Dist::exponential(-1.0),
            Dist::exponential(f64::NAN),
            Dist::exponential_mean(0.0),
            Dist::uniform(2.0, 1.0),
            Dist::uniform(f64::NEG_INFINITY, 1.0),
            Dist::normal(0.0, -1.0),
            Dist::lognormal(f64::NAN, 1.0),
            Dist::pareto(0.0, 1.0),
            Dist::constant(f64::INFINITY),
        ];
        for case in cases {
            assert!(matches!(case, Err(DistError::InvalidParameter { .. })), "{case:?}");
        }
        assert_eq!(Empirical::new(&[], EmpiricalMode::Discrete), Err(DistError::NoSamples));
        assert_eq!(
            Empirical::new(&[1.0, f64::NAN], EmpiricalMode::Discrete).unwrap_err().to_string(),
            "empirical distribution: sample 1 is NaN, expected a finite number"
        );
    }

    #[test]
    fn negative_draws_are_not_durations() {
        let d = Dist::constant(-1.0).unwrap();
        let mut rng = RngStreams::new(0).stream("x");
        assert!(matches!(d.sample_duration(&mut rng), Err(TimeError::Negative { .. })));
    }
}
