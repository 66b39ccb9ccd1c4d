//! Quantiles of durations in bounded memory.

use hdrhistogram::Histogram;

use super::Merge;
use crate::time::SimDuration;

/// Records durations (delays, sojourn times, settlement latencies) and answers quantiles and tail
/// probabilities with 3 significant digits, in memory that grows with the logarithm of the range
/// (a few tens of kilobytes from nanoseconds to days), not with the number of observations.
///
/// Count, mean, minimum and maximum are kept exactly beside the HDR histogram, which only knows
/// values to its resolution.
///
/// ```
/// use sim_core::{SimDuration, stats::DurationHistogram};
/// let mut h = DurationHistogram::new();
/// for ms in 1..=100 {
///     h.record(SimDuration::from_millis(ms)?);
/// }
/// let p95 = h.quantile(0.95).as_secs_f64();
/// assert!((p95 - 0.095).abs() < 0.0001);
/// assert_eq!(h.fraction_above(SimDuration::from_millis(90)?), 0.1);
/// # Ok::<(), sim_core::TimeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DurationHistogram {
    hist: Histogram<u64>,
    sum_ns: u128,
    min_ns: u64,
    max_ns: u64,
}

impl Default for DurationHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for DurationHistogram {
    fn eq(&self, other: &Self) -> bool {
        self.hist == other.hist
            && self.sum_ns == other.sum_ns
            && self.min_ns == other.min_ns
            && self.max_ns == other.max_ns
    }
}

impl DurationHistogram {
    /// An empty histogram with 3 significant digits that grows to fit any duration.
    pub fn new() -> Self {
        // `Histogram::new` auto-resizes; it only fails for a precision above 5 digits.
        let hist = Histogram::new(3).expect("3 significant figures is a valid HDR precision");
        DurationHistogram { hist, sum_ns: 0, min_ns: u64::MAX, max_ns: 0 }
    }

    /// Adds one duration.
    #[inline]
    pub fn record(&mut self, d: SimDuration) {
        let ns = d.as_nanos();
        // With auto-resize on, recording only fails for values beyond 2^63, which would need a
        // duration of about 292 years; those are clamped into the top bucket.
        if self.hist.record(ns).is_err() {
            let top = self.hist.high();
            let _ = self.hist.record(top);
        }
        self.sum_ns += u128::from(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Adds `n` equal durations at once (a batch of records that waited alike). Nothing
    /// happens for `n = 0`.
    pub fn record_n(&mut self, d: SimDuration, n: u64) {
        if n == 0 {
            return;
        }
        let ns = d.as_nanos();
        if self.hist.record_n(ns, n).is_err() {
            let top = self.hist.high();
            let _ = self.hist.record_n(top, n);
        }
        self.sum_ns += u128::from(ns) * u128::from(n);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// The number of durations recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The exact mean, or zero when empty.
    pub fn mean(&self) -> SimDuration {
        match self.count() {
            0 => SimDuration::ZERO,
            n => SimDuration::from_nanos((self.sum_ns / u128::from(n)) as u64),
        }
    }

    /// The exact mean in seconds, without rounding to nanoseconds; NaN when empty.
    pub fn mean_secs(&self) -> f64 {
        match self.count() {
            0 => f64::NAN,
            n => self.sum_ns as f64 * 1e-9 / n as f64,
        }
    }

    /// The exact minimum, or zero when empty.
    pub fn min(&self) -> SimDuration {
        if self.count() == 0 { SimDuration::ZERO } else { SimDuration::from_nanos(self.min_ns) }
    }

    /// The exact maximum, or zero when empty.
    pub fn max(&self) -> SimDuration {
        SimDuration::from_nanos(self.max_ns)
    }

    /// The duration below which a fraction `q` of the observations fall (q in [0, 1], clamped),
    /// to 3 significant digits; zero when empty.
    pub fn quantile(&self, q: f64) -> SimDuration {
        let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
        SimDuration::from_nanos(self.hist.value_at_quantile(q))
    }

    /// The fraction of observations longer than `d` (to the histogram's resolution around `d`);
    /// zero when empty.
    pub fn fraction_above(&self, d: SimDuration) -> f64 {
        let n = self.count();
        if n == 0 {
            return 0.0;
        }
        let at_or_below = self.hist.count_between(0, d.as_nanos());
        (n - at_or_below.min(n)) as f64 / n as f64
    }
}

impl Merge for DurationHistogram {
    fn merge(&mut self, other: &Self) {
        // Both histograms auto-resize, so adding cannot run out of range.
        let _ = self.hist.add(&other.hist);
        self.sum_ns += other.sum_ns;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_histogram_is_harmless() {
        let h = DurationHistogram::new();
        assert_eq!(h.count(), 0);
        assert_eq!(h.mean(), SimDuration::ZERO);
        assert!(h.mean_secs().is_nan());
        assert_eq!(h.quantile(0.5), SimDuration::ZERO);
        assert_eq!(h.fraction_above(SimDuration::ZERO), 0.0);
    }

    #[test]
    fn quantiles_within_resolution_and_merge() {
        let mut a = DurationHistogram::new();
        let mut b = DurationHistogram::new();
        for us in 1..=10_000u64 {
            let d = SimDuration::from_micros(us).unwrap();
            if us % 2 == 0 { a.record(d) } else { b.record(d) }
        }
        a.merge(&b);
        assert_eq!(a.count(), 10_000);
        for q in [0.5, 0.95, 0.99] {
            let exact = q * 10_000.0e-6;
            let got = a.quantile(q).as_secs_f64();
            assert!((got - exact).abs() / exact < 2e-3, "q={q}: {got} vs {exact}");
        }
        assert_eq!(a.mean(), SimDuration::from_nanos(5_000_500));
        assert_eq!(a.min(), SimDuration::from_micros(1).unwrap());
        assert_eq!(a.max(), SimDuration::from_millis(10).unwrap());
        assert_eq!(a.quantile(f64::NAN), a.quantile(0.5));
    }

    #[test]
    fn huge_durations_are_kept() {
        let mut h = DurationHistogram::new();
        h.record(SimDuration::MAX);
        h.record(SimDuration::ZERO);
        assert_eq!(h.count(), 2);
        assert_eq!(h.max(), SimDuration::MAX);
    }
}
