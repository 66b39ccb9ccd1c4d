//! Error statistics before and after correction, and split-conformal prediction intervals.

use serde::{Deserialize, Serialize};

use crate::error::LearnedError;

/// Summary of errors (prediction minus measurement, or the reverse: the sign only moves the bias).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorStats {
    /// Points.
    pub n: usize,
    /// Root mean square error, dB.
    pub rmse_db: f64,
    /// Mean absolute error, dB.
    pub mae_db: f64,
    /// Mean error (measured minus predicted), dB.
    pub bias_db: f64,
    /// 90th percentile of the absolute error, dB.
    pub p90_abs_db: f64,
}

impl ErrorStats {
    /// Statistics of `errors` (measured minus predicted, dB).
    pub fn of(errors: &[f64]) -> ErrorStats {
        let n = errors.len();
        if n == 0 {
            return ErrorStats {
                n: 0,
                rmse_db: f64::NAN,
                mae_db: f64::NAN,
                bias_db: f64::NAN,
                p90_abs_db: f64::NAN,
            };
        }
        let nf = n as f64;
        let mut abs: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
        abs.sort_by(f64::total_cmp);
        ErrorStats {
            n,
            rmse_db: (errors.iter().map(|e| e * e).sum::<f64>() / nf).sqrt(),
            mae_db: abs.iter().sum::<f64>() / nf,
            bias_db: errors.iter().sum::<f64>() / nf,
            p90_abs_db: quantile_sorted(&abs, 0.9),
        }
    }
}

/// Linear-interpolation quantile of sorted values.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The split-conformal half-width for coverage `level` from calibration residuals: the
/// `⌈(n + 1)·level⌉`-th smallest absolute residual, which guarantees coverage of at least `level`
/// for a new point exchangeable with the calibration points (Vovk et al.; Lei et al. 2018).
pub fn conformal_half_width(residuals: &[f64], level: f64) -> Result<f64, LearnedError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(LearnedError::Config(format!("interval level {level} must be in (0, 1)")));
    }
    let n = residuals.len();
    let k = ((n as f64 + 1.0) * level).ceil() as usize;
    if k > n || k == 0 {
        return Err(LearnedError::Config(format!(
            "{n} calibration points are too few for a {:.0} % interval (need at least {})",
            level * 100.0,
            (level / (1.0 - level)).ceil()
        )));
    }
    let mut abs: Vec<f64> = residuals.iter().map(|r| r.abs()).collect();
    abs.sort_by(f64::total_cmp);
    Ok(abs[k - 1])
}

/// The fraction of `residuals` within ±`half_width`.
pub fn coverage(residuals: &[f64], half_width: f64) -> f64 {
    if residuals.is_empty() {
        return f64::NAN;
    }
    residuals.iter().filter(|r| r.abs() <= half_width).count() as f64 / residuals.len() as f64
}

/// One cell's errors before and after correction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellEvaluation {
    /// The cell.
    pub cell: String,
    /// The twin alone.
    pub before: ErrorStats,
    /// The twin corrected.
    pub after: ErrorStats,
}

/// The conformal interval of one group of points (split-conformal within the group: a Mondrian
/// conformal predictor, whose coverage holds in each group separately).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalGroup {
    /// The group ("los", "nlos").
    pub name: String,
    /// Half-width, dB.
    pub half_width_db: f64,
    /// Calibration points of the group.
    pub calibration_points: usize,
    /// Held-out points of the group.
    pub test_points: usize,
    /// Fraction of those inside the interval.
    pub test_coverage: f64,
}

/// Held-out evaluation of a calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The twin alone, all held-out points.
    pub before: ErrorStats,
    /// The twin corrected.
    pub after: ErrorStats,
    /// Per serving cell.
    pub per_cell: Vec<CellEvaluation>,
    /// Interval level asked for.
    pub interval_level: f64,
    /// Interval half-widths per group.
    pub interval_groups: Vec<IntervalGroup>,
    /// Fraction of held-out points inside their interval.
    pub interval_coverage: f64,
}

impl Evaluation {
    /// The relative reduction of RMSE by the correction (0.4 = 40 % lower).
    pub fn rmse_reduction(&self) -> f64 {
        1.0 - self.after.rmse_db / self.before.rmse_db
    }

    /// A plain-text table: overall and per cell, before and after.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str("| scope | points | RMSE before | RMSE after | MAE before | MAE after | bias before | bias after | p90 |err| before | p90 |err| after |\n");
        s.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
        let row = |name: &str, b: &ErrorStats, a: &ErrorStats| {
            format!(
                "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:+.2} | {:+.2} | {:.2} | {:.2} |\n",
                b.n,
                b.rmse_db,
                a.rmse_db,
                b.mae_db,
                a.mae_db,
                b.bias_db,
                a.bias_db,
                b.p90_abs_db,
                a.p90_abs_db
            )
        };
        s.push_str(&row("all", &self.before, &self.after));
        for c in &self.per_cell {
            s.push_str(&row(&c.cell, &c.before, &c.after));
        }
        let widths: Vec<String> = self
            .interval_groups
            .iter()
            .map(|g| {
                format!(
                    "±{:.2} dB {} ({:.1} % of {})",
                    g.half_width_db,
                    g.name,
                    g.test_coverage * 100.0,
                    g.test_points
                )
            })
            .collect();
        s.push_str(&format!(
            "RMSE reduction {:.1} %; {:.0} % intervals {} cover {:.1} % of held-out points\n",
            self.rmse_reduction() * 100.0,
            self.interval_level * 100.0,
            widths.join(", "),
            self.interval_coverage * 100.0
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_conformal() {
        let e = [1.0, -1.0, 3.0, -3.0];
        let s = ErrorStats::of(&e);
        assert_eq!((s.n, s.rmse_db, s.mae_db, s.bias_db), (4, 5f64.sqrt(), 2.0, 0.0));
        assert!((s.p90_abs_db - 3.0).abs() < 1e-12);
        // 99 residuals 1..99: the 90 % half-width is the ⌈100·0.9⌉ = 90th smallest.
        let r: Vec<f64> = (1..=99).map(f64::from).collect();
        assert_eq!(conformal_half_width(&r, 0.9).unwrap(), 90.0);
        assert!((coverage(&r, 90.0) - 90.0 / 99.0).abs() < 1e-12);
        assert!(
            conformal_half_width(&r[..5], 0.9).is_err(),
            "5 points cannot give a 90 % interval"
        );
        assert!(conformal_half_width(&r, 1.0).is_err());
    }
}
