//! Confidence intervals: over independent replications, and by batch means within one run.

use std::fmt;

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::StatsError;

/// The `p`-quantile of Student's t distribution with `dof` degrees of freedom.
///
/// Returns NaN for `p` outside (0, 1) or `dof` = 0.
pub fn student_t_quantile(p: f64, dof: u64) -> f64 {
    if !(p > 0.0 && p < 1.0) || dof == 0 {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, dof as f64) {
        Ok(t) => t.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}

/// A two-sided confidence interval for a mean: `mean ± half_width` at `level`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfidenceInterval {
    /// The point estimate.
    pub mean: f64,
    /// Half the width of the interval.
    pub half_width: f64,
    /// The confidence level, e.g. 0.95.
    pub level: f64,
    /// The number of independent values it rests on (replications or batches).
    pub n: u64,
}

impl ConfidenceInterval {
    /// The Student-t interval from `n` independent values with the given mean and sample variance.
    pub fn from_moments(
        n: u64,
        mean: f64,
        variance: f64,
        level: f64,
    ) -> Result<ConfidenceInterval, StatsError> {
        if !(level > 0.0 && level < 1.0) {
            return Err(StatsError::InvalidLevel { level });
        }
        if n < 2 {
            return Err(StatsError::TooFewObservations { needed: 2, got: n });
        }
        let t = student_t_quantile(0.5 + level / 2.0, n - 1);
        Ok(ConfidenceInterval { mean, half_width: t * (variance / n as f64).sqrt(), level, n })
    }

    /// The interval from independent values (one per replication, say).
    pub fn from_values(values: &[f64], level: f64) -> Result<ConfidenceInterval, StatsError> {
        let stats: super::OnlineStats = values.iter().copied().collect();
        if stats.non_finite() > 0 {
            let bad = values.iter().copied().find(|v| !v.is_finite()).unwrap_or(f64::NAN);
            return Err(StatsError::NotFinite { value: bad });
        }
        stats.confidence_interval(level)
    }

    /// The lower bound.
    pub fn lo(&self) -> f64 {
        self.mean - self.half_width
    }

    /// The upper bound.
    pub fn hi(&self) -> f64 {
        self.mean + self.half_width
    }

    /// True if `x` lies within the interval (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.lo() <= x && x <= self.hi()
    }

    /// The half-width relative to the mean: 0.01 means "± 1 %".
    pub fn relative_half_width(&self) -> f64 {
        self.half_width / self.mean.abs()
    }
}

impl fmt::Display for ConfidenceInterval {
    /// `[lo,hi]`, with the formatter's precision if one is given (`{:.3}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(p) => write!(f, "[{:.p$},{:.p$}]", self.lo(), self.hi()),
            None => write!(f, "[{},{}]", self.lo(), self.hi()),
        }
    }
}

/// Confidence intervals for the mean of a long, autocorrelated series by the method of batch
/// means, in bounded memory.
///
/// Successive waiting times in one queue are strongly correlated, so the naive interval
/// `±t·s/√n` is far too narrow. Batch means groups the series into contiguous batches whose means
/// are nearly independent when batches are much longer than the correlation time, and builds the
/// interval from those. The batch size adapts: it starts at 1 and doubles (merging neighbouring
/// batches) whenever the number of batches reaches twice the target, so the final number of
/// batches lies between the target and twice it, whatever the length of the run.
///
/// ```
/// use sim_core::stats::BatchMeans;
/// let mut bm = BatchMeans::new(20);
/// for i in 0..10_000 {
///     bm.push((i % 7) as f64);
/// }
/// assert!((20..40).contains(&bm.n_batches()));
/// let ci = bm.confidence_interval(0.95)?;
/// assert!(ci.contains(3.0));
/// # Ok::<(), sim_core::stats::StatsError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BatchMeans {
    target: usize,
    batch_size: u64,
    batches: Vec<f64>,
    current_sum: f64,
    current_n: u64,
}

impl BatchMeans {
    /// Batch means aiming at `target_batches` batches (at least 2; 20 to 30 is customary).
    pub fn new(target_batches: usize) -> Self {
        let target = target_batches.max(2);
        BatchMeans {
            target,
            batch_size: 1,
            batches: Vec::with_capacity(2 * target),
            current_sum: 0.0,
            current_n: 0,
        }
    }

    /// Adds the next observation of the series.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.current_sum += x;
        self.current_n += 1;
        if self.current_n == self.batch_size {
            self.batches.push(self.current_sum / self.batch_size as f64);
            self.current_sum = 0.0;
            self.current_n = 0;
            if self.batches.len() == 2 * self.target {
                for i in 0..self.target {
                    self.batches[i] = 0.5 * (self.batches[2 * i] + self.batches[2 * i + 1]);
                }
                self.batches.truncate(self.target);
                self.batch_size *= 2;
            }
        }
    }

    /// The number of completed batches.
    pub fn n_batches(&self) -> usize {
        self.batches.len()
    }

    /// Observations per batch.
    pub fn batch_size(&self) -> u64 {
        self.batch_size
    }

    /// The means of the completed batches.
    pub fn batch_means(&self) -> &[f64] {
        &self.batches
    }

    /// The interval over completed batches (an incomplete last batch is left out).
    pub fn confidence_interval(&self, level: f64) -> Result<ConfidenceInterval, StatsError> {
        ConfidenceInterval::from_values(&self.batches, level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::RngStreams;
    use rand::RngExt;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95 % critical values from standard tables.
        for (dof, t) in [(1, 12.706), (2, 4.303), (9, 2.262), (29, 2.045), (1000, 1.962)] {
            let got = student_t_quantile(0.975, dof);
            assert!((got - t).abs() < 1e-3, "dof {dof}: {got}");
        }
        assert!(student_t_quantile(1.0, 5).is_nan());
        assert!(student_t_quantile(0.5, 0).is_nan());
    }

    #[test]
    fn interval_from_values() {
        let ci = ConfidenceInterval::from_values(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95).unwrap();
        // mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776
        assert!((ci.half_width - 2.776 * (2.5f64 / 5.0).sqrt()).abs() < 1e-3);
        assert!(ci.contains(3.0) && !ci.contains(10.0));
        assert_eq!(format!("{ci:.2}"), "[1.04,4.96]");
        assert!(matches!(
            ConfidenceInterval::from_values(&[1.0], 0.95),
            Err(StatsError::TooFewObservations { .. })
        ));
        assert!(matches!(
            ConfidenceInterval::from_values(&[1.0, 2.0], 1.5),
            Err(StatsError::InvalidLevel { .. })
        ));
        assert!(matches!(
            ConfidenceInterval::from_values(&[1.0, f64::NAN], 0.9),
            Err(StatsError::NotFinite { .. })
        ));
    }

    #[test]
    fn batch_means_covers_the_mean_of_an_autocorrelated_series() {
        // AR(1) with coefficient 0.95 around 10: naive intervals undercover badly, batch means
        // with long batches do not. Over 200 independent series, a 95 % interval should contain
        // the true mean about 190 times; a binomial 99.9 % band is [178, 198].
        let streams = RngStreams::new(11);
        let mut covered = 0;
        for rep in 0..200 {
            let mut rng = streams.indexed("ar1", rep);
            let mut bm = BatchMeans::new(20);
            let mut x = 10.0;
            for _ in 0..40_000 {
                let noise: f64 = rng.random::<f64>() - 0.5;
                x = 10.0 + 0.95 * (x - 10.0) + noise;
                bm.push(x);
            }
            if bm.confidence_interval(0.95).unwrap().contains(10.0) {
                covered += 1;
            }
        }
        assert!((178..=198).contains(&covered), "covered {covered} of 200");
    }

    #[test]
    fn batch_sizes_double() {
        let mut bm = BatchMeans::new(4);
        for i in 0..8 {
            bm.push(i as f64);
        }
        // 8 batches of 1 reached 2 × target: merged into 4 batches of 2.
        assert_eq!((bm.n_batches(), bm.batch_size()), (4, 2));
        assert_eq!(bm.batch_means(), &[0.5, 2.5, 4.5, 6.5]);
    }
}
