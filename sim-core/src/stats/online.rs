//! Welford's online mean and variance.

use super::{ConfidenceInterval, Merge, StatsError};

/// Count, mean, variance, minimum and maximum of a stream of observations, in constant memory.
///
/// Uses Welford's update, which stays accurate when the mean is large compared with the spread
/// (sojourn times around 10⁶ s that differ by microseconds), and Chan et al.'s formula to merge.
/// NaN and infinite observations are not folded in; they are counted in
/// [`OnlineStats::non_finite`] so that a model bug shows up instead of poisoning the mean.
///
/// ```
/// use sim_core::stats::OnlineStats;
/// let s: OnlineStats = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0].into_iter().collect();
/// assert_eq!(s.mean(), 5.0);
/// assert_eq!(s.population_variance(), 4.0);
/// assert_eq!((s.min(), s.max()), (2.0, 9.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnlineStats {
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    non_finite: u64,
}

impl Default for OnlineStats {
    fn default() -> Self {
        Self::new()
    }
}

impl OnlineStats {
    /// No observations yet.
    pub const fn new() -> Self {
        OnlineStats {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            non_finite: 0,
        }
    }

    /// Adds one observation.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            self.non_finite += 1;
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// The number of (finite) observations.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// How many NaN or infinite values were offered and left out.
    pub fn non_finite(&self) -> u64 {
        self.non_finite
    }

    /// The mean; NaN when there are no observations.
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// The unbiased sample variance (divides by n − 1); NaN below two observations.
    pub fn variance(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { self.m2 / (self.n - 1) as f64 }
    }

    /// The population variance (divides by n); NaN when empty.
    pub fn population_variance(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.m2 / self.n as f64 }
    }

    /// The sample standard deviation.
    pub fn std_dev(&self) -> f64 {
        self.variance().sqrt()
    }

    /// The smallest observation (+∞ when empty).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// The largest observation (−∞ when empty).
    pub fn max(&self) -> f64 {
        self.max
    }

    /// The Student-t confidence interval for the mean, treating the observations as independent
    /// and identically distributed (true of replication results, not of successive waiting times
    /// in one run: use [`super::BatchMeans`] for those).
    pub fn confidence_interval(&self, level: f64) -> Result<ConfidenceInterval, StatsError> {
        ConfidenceInterval::from_moments(self.n, self.mean, self.variance(), level)
    }
}

impl Merge for OnlineStats {
    fn merge(&mut self, other: &Self) {
        self.non_finite += other.non_finite;
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            let non_finite = self.non_finite;
            *self = *other;
            self.non_finite = non_finite;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let (na, nb, nn) = (self.n as f64, other.n as f64, n as f64);
        self.mean += delta * nb / nn;
        self.m2 += other.m2 + delta * delta * na * nb / nn;
        self.n = n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

impl Extend<f64> for OnlineStats {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, iter: I) {
        for x in iter {
            self.push(x);
        }
    }
}

impl FromIterator<f64> for OnlineStats {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = OnlineStats::new();
        s.extend(iter);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_and_single() {
        let mut s = OnlineStats::new();
        assert!(s.mean().is_nan());
        s.push(3.0);
        assert_eq!(s.mean(), 3.0);
        assert!(s.variance().is_nan());
        assert_eq!(s.population_variance(), 0.0);
    }

    #[test]
    fn non_finite_values_are_counted_not_used() {
        let s: OnlineStats = [1.0, f64::NAN, 3.0, f64::INFINITY].into_iter().collect();
        assert_eq!((s.count(), s.non_finite(), s.mean()), (2, 2, 2.0));
    }

    #[test]
    fn large_offset_is_accurate() {
        // The naive sum-of-squares formula loses every digit here.
        let s: OnlineStats = [1e9 + 4.0, 1e9 + 7.0, 1e9 + 13.0, 1e9 + 16.0].into_iter().collect();
        assert!((s.variance() - 30.0).abs() < 1e-6, "{}", s.variance());
    }

    proptest! {
        #[test]
        fn merge_equals_sequential(
            a in prop::collection::vec(-1e6f64..1e6, 0..50),
            b in prop::collection::vec(-1e6f64..1e6, 0..50),
        ) {
            let mut merged: OnlineStats = a.iter().copied().collect();
            merged.merge(&b.iter().copied().collect());
            let all: OnlineStats = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(merged.count(), all.count());
            if all.count() > 0 {
                prop_assert!((merged.mean() - all.mean()).abs() <= 1e-9 * (1.0 + all.mean().abs()));
                prop_assert_eq!(merged.min(), all.min());
                prop_assert_eq!(merged.max(), all.max());
            }
            if all.count() > 1 {
                let tol = 1e-9 * (1.0 + all.variance());
                prop_assert!((merged.variance() - all.variance()).abs() <= tol);
            }
        }
    }
}
