//! A weighted histogram of SINR on fixed bins, for the users' SINR percentiles of an interval
//! ([`super::coupling::Coupling::user_sinr_quantiles`]): cheap enough to fill every interval,
//! exact to its bin width.

/// Bin width, dB: the resolution of the percentiles.
pub const SINR_BIN_DB: f64 = 0.1;
/// The histogram's range, dB; values outside count in its end bins.
const SINR_MIN_DB: f64 = -30.0;
const SINR_MAX_DB: f64 = 60.0;

/// Weights of SINR values in bins of [`SINR_BIN_DB`] over −30…60 dB.
#[derive(Debug, Clone, PartialEq)]
pub struct SinrHistogram {
    weights: Vec<f64>,
}

impl Default for SinrHistogram {
    fn default() -> Self {
        SinrHistogram::new()
    }
}

impl SinrHistogram {
    /// An empty histogram.
    pub fn new() -> SinrHistogram {
        let bins = ((SINR_MAX_DB - SINR_MIN_DB) / SINR_BIN_DB) as usize;
        SinrHistogram { weights: vec![0.0; bins + 1] }
    }

    /// Adds `weight` at `sinr_db`.
    pub fn add(&mut self, sinr_db: f64, weight: f64) {
        let s = sinr_db.clamp(SINR_MIN_DB, SINR_MAX_DB);
        self.weights[((s - SINR_MIN_DB) / SINR_BIN_DB) as usize] += weight;
    }

    /// The middle of the bin below which a share `q` of the weight lies; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: f64 = self.weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut below = 0.0;
        for (i, w) in self.weights.iter().enumerate() {
            below += w;
            if below >= q * total {
                return Some(SINR_MIN_DB + (i as f64 + 0.5) * SINR_BIN_DB);
            }
        }
        Some(SINR_MAX_DB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_the_bins_of_the_weight() {
        let mut h = SinrHistogram::new();
        assert_eq!(h.quantile(0.5), None);
        h.add(3.02, 1.0);
        h.add(10.0, 3.0);
        h.add(99.0, 1.0);
        assert_eq!(h.quantile(0.1), Some(SINR_MIN_DB + 330.5 * SINR_BIN_DB));
        assert!((h.quantile(0.5).unwrap_or(0.0) - 10.05).abs() < 1e-9);
        assert!((h.quantile(1.0).unwrap_or(0.0) - 60.05).abs() < 1e-9, "clamped to the end bin");
    }
}
