//! The 3GPP reference curves of the large-scale calibration, percentiles, and the comparison.
//!
//! The reference is the mean of the companies' results in 3GPP R1-165974 at 6 GHz, as tabulated
//! in QuaDRiGa (`fraunhoferhhi/QuaDRiGa`, `tutorials/calib_3GPP_ref_data.m`, arrays `cl38900a`
//! and `gf38900a`, first row: 6 GHz; third index 1 = UMi, 2 = UMa), copied into
//! `shared/REFERENCES.md` ("3GPP TR 38.901 large-scale calibration"). They were produced with
//! TR 38.900 v14.0.0 parameters.

use super::ScenarioKind;

/// The percentiles the reference gives: 5, 10, …, 95.
pub const PERCENTILES: [f64; 19] = [
    5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0,
    85.0, 90.0, 95.0,
];

/// A scenario's reference curves at the percentiles [`PERCENTILES`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReferenceCurves {
    /// Coupling gain to the serving cell, dB (the negative of the coupling loss).
    pub coupling_gain_db: [f64; 19],
    /// Geometry (serving power over the other cells' power), dB.
    pub geometry_db: [f64; 19],
}

const UMA: ReferenceCurves = ReferenceCurves {
    coupling_gain_db: [
        -150.4, -144.7, -140.6, -137.0, -133.9, -131.1, -128.4, -125.8, -123.1, -120.3, -117.5,
        -114.7, -111.8, -109.1, -106.1, -102.8, -98.8, -93.7, -86.0,
    ],
    geometry_db: [
        -1.0, 0.1, 1.1, 2.0, 2.9, 3.9, 5.0, 6.0, 7.2, 8.6, 9.9, 11.3, 12.9, 14.7, 16.5, 18.6, 20.9,
        23.4, 25.6,
    ],
};

const UMI: ReferenceCurves = ReferenceCurves {
    coupling_gain_db: [
        -142.3, -136.4, -132.4, -128.9, -125.8, -122.9, -120.3, -117.6, -115.0, -112.2, -109.5,
        -106.4, -103.2, -99.9, -96.2, -92.2, -87.6, -82.0, -74.8,
    ],
    geometry_db: [
        -1.7, -0.5, 0.4, 1.2, 2.1, 3.0, 4.0, 5.0, 6.1, 7.3, 8.6, 9.9, 11.4, 13.0, 14.9, 17.0, 19.4,
        22.1, 24.9,
    ],
};

/// The reference curves of `scenario` at 6 GHz.
pub fn reference(scenario: ScenarioKind) -> &'static ReferenceCurves {
    match scenario {
        ScenarioKind::UMa => &UMA,
        ScenarioKind::UMi => &UMI,
    }
}

/// The `p`-th percentiles (0..=100) of `samples`, interpolating linearly between order
/// statistics at rank `p/100·(n − 1)` (Hyndman–Fan type 7, the default of NumPy and R).
/// NaNs sort last; an empty sample gives NaN.
pub fn percentiles(samples: &[f64], ps: &[f64]) -> Vec<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    ps.iter()
        .map(|&p| {
            if n == 0 {
                return f64::NAN;
            }
            let rank = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = rank.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let f = rank - lo as f64;
            sorted[lo] * (1.0 - f) + sorted[hi] * f
        })
        .collect()
}

/// Which curve a comparison row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Coupling gain to the serving cell.
    CouplingGain,
    /// Geometry.
    Geometry,
}

/// How close the measured curves must be to the reference, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerance {
    /// Largest allowed |measured − reference| of the coupling gain, dB.
    pub coupling_gain_db: f64,
    /// Largest allowed |measured − reference| of the geometry, dB.
    pub geometry_db: f64,
    /// The percentiles that are checked (the others are reported only).
    pub checked_percentiles: Vec<f64>,
}

impl Default for Tolerance {
    /// Coupling gain within 3 dB and geometry within 1 dB at p5, p50 and p95.
    fn default() -> Self {
        Tolerance {
            coupling_gain_db: 3.0,
            geometry_db: 1.0,
            checked_percentiles: vec![5.0, 50.0, 95.0],
        }
    }
}

/// One percentile of one curve, measured and referenced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// The curve.
    pub quantity: Quantity,
    /// The percentile, 5..95.
    pub percentile: f64,
    /// Measured value, dB.
    pub measured_db: f64,
    /// Reference value, dB.
    pub reference_db: f64,
    /// Whether the tolerance applies here.
    pub checked: bool,
    /// Whether the difference is within the tolerance (true where not checked).
    pub within: bool,
}

impl Row {
    /// Measured minus reference, dB.
    pub fn diff_db(&self) -> f64 {
        self.measured_db - self.reference_db
    }
}

/// Every percentile of both curves of one scenario against the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The scenario.
    pub scenario: ScenarioKind,
    /// Coupling-gain rows (p5..p95), then geometry rows.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Compares measured samples of both curves with the reference of `scenario`.
    pub fn new(
        scenario: ScenarioKind,
        coupling_gain_db: &[f64],
        geometry_db: &[f64],
        tol: &Tolerance,
    ) -> Comparison {
        let r = reference(scenario);
        let mut rows = Vec::with_capacity(2 * PERCENTILES.len());
        for (quantity, samples, refs, limit) in [
            (Quantity::CouplingGain, coupling_gain_db, &r.coupling_gain_db, tol.coupling_gain_db),
            (Quantity::Geometry, geometry_db, &r.geometry_db, tol.geometry_db),
        ] {
            let measured = percentiles(samples, &PERCENTILES);
            for ((&p, m), &reference_db) in PERCENTILES.iter().zip(measured).zip(refs) {
                let checked = tol.checked_percentiles.iter().any(|&c| (c - p).abs() < 1e-9);
                let within = !checked || (m - reference_db).abs() <= limit;
                rows.push(Row {
                    quantity,
                    percentile: p,
                    measured_db: m,
                    reference_db,
                    checked,
                    within,
                });
            }
        }
        Comparison { scenario, rows }
    }

    /// The checked rows outside the tolerance.
    pub fn failures(&self) -> Vec<Row> {
        self.rows.iter().filter(|r| !r.within).copied().collect()
    }

    /// The row of `quantity` at percentile `p`, if there is one.
    pub fn row(&self, quantity: Quantity, p: f64) -> Option<&Row> {
        self.rows.iter().find(|r| r.quantity == quantity && (r.percentile - p).abs() < 1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_7_percentiles() {
        let x = [4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(percentiles(&x, &[0.0, 25.0, 50.0, 90.0, 100.0]), vec![1.0, 2.0, 3.0, 4.6, 5.0]);
        assert!(percentiles(&[], &[50.0])[0].is_nan());
    }

    #[test]
    fn reference_curves_are_increasing() {
        for s in [ScenarioKind::UMa, ScenarioKind::UMi] {
            let r = reference(s);
            assert!(r.coupling_gain_db.windows(2).all(|w| w[0] < w[1]));
            assert!(r.geometry_db.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn comparison_checks_only_the_chosen_percentiles() {
        let r = reference(ScenarioKind::UMi);
        // Samples equal to the reference's own p50, shifted: every percentile is that value.
        let cg = vec![r.coupling_gain_db[9] + 2.0; 101];
        let gf = vec![r.geometry_db[9] + 1.5; 101];
        let c = Comparison::new(ScenarioKind::UMi, &cg, &gf, &Tolerance::default());
        assert_eq!(c.rows.len(), 38);
        let row = c.row(Quantity::CouplingGain, 50.0).unwrap();
        assert!(row.checked && row.within && (row.diff_db() - 2.0).abs() < 1e-9);
        // Geometry is 1.5 dB off at p50; p5 and p95 are far off for both curves.
        let failed: Vec<_> = c.failures().iter().map(|r| (r.quantity, r.percentile)).collect();
        assert!(failed.contains(&(Quantity::Geometry, 50.0)), "{failed:?}");
        assert!(failed.iter().all(|f| [5.0, 50.0, 95.0].contains(&f.1)));
    }
}
