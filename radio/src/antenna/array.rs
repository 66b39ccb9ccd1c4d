//! TR 38.901 §7.3 uniform planar panel arrays.
//!
//! A panel of `M` rows (stacked vertically, along the antenna frame's z) by `N` columns (side by
//! side, along y) of identical TR 38.901 elements, `d_v` and `d_h` wavelengths apart. Electrical
//! downtilt is vertical beam steering by the phase weights of TR 38.901 §7.3 / TR 36.897:
//!
//! ```text
//! w_m = 1/√M · exp(−j 2π (m−1) d_v cos θ_etilt),   θ_etilt = 90° + downtilt (zenith convention)
//! w_n = 1/√N                                      (no electrical azimuth steering)
//! AF(θ, φ) = Σ_m w_m e^{j 2π (m−1) d_v cos θ} · Σ_n w_n e^{j 2π (n−1) d_h sin θ sin φ}
//! G(θ, φ) = G_E(θ, φ) + 10 log10 |AF(θ, φ)|²
//! ```
//!
//! The element pattern `G_E` is *not* tilted: for an array the tilt lives in the array factor
//! only. Each sum is a Dirichlet kernel, `|Σ_{m<M} e^{jmψ}|²/M = sin²(Mψ/2) / (M sin²(ψ/2))`,
//! with `ψ_v = 2π d_v (cos θ − cos θ_etilt)` and `ψ_h = 2π d_h sin θ sin φ`, so `|AF|² = M·N` in
//! the steering direction and the gain there is `G_E + 10 log10(M·N)`. The closed form is what
//! is evaluated (O(1) per direction instead of O(M·N)); a test checks it against the phasor sum.
//!
//! The array factor's exact nulls are floored at [`AF_FLOOR`] (−100 dB) so that every gain is a
//! finite number (planning files and dB arithmetic need that); a real panel's nulls are filled
//! far above that by element spread and cabling.

use super::Tr38901;
use crate::error::{AntennaError, ArrayAxis};

/// The most elements an array may have. A 32 × 32 panel is already far beyond a macro antenna;
/// bigger numbers are almost certainly typing mistakes.
pub const MAX_ELEMENTS: u64 = 1024;

/// The floor of the normalised array-factor power |AF|² (−100 dB), so that nulls stay finite.
pub const AF_FLOOR: f64 = 1e-10;

/// A uniform planar array of TR 38.901 elements, validated on construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelArray {
    element: Tr38901,
    rows: u32,
    cols: u32,
    dv_wl: f64,
    dh_wl: f64,
}

impl PanelArray {
    /// `rows` (M, vertical) × `cols` (N, horizontal) default TR 38.901 elements, spaced `dv_wl`
    /// and `dh_wl` wavelengths. Fails on an empty or oversized array or a spacing that is not a
    /// positive finite number.
    pub fn new(rows: u64, cols: u64, dv_wl: f64, dh_wl: f64) -> Result<PanelArray, AntennaError> {
        if rows == 0 || cols == 0 {
            return Err(AntennaError::ArrayEmpty { rows, cols });
        }
        if rows.saturating_mul(cols) > MAX_ELEMENTS {
            return Err(AntennaError::ArrayTooLarge { rows, cols, max: MAX_ELEMENTS });
        }
        for (axis, spacing_wl) in [(ArrayAxis::Vertical, dv_wl), (ArrayAxis::Horizontal, dh_wl)] {
            if !(spacing_wl.is_finite() && spacing_wl > 0.0) {
                return Err(AntennaError::ArraySpacing { axis, spacing_wl });
            }
        }
        // Both counts are at most MAX_ELEMENTS here, so they fit in u32.
        Ok(PanelArray {
            element: Tr38901::default(),
            rows: rows as u32,
            cols: cols as u32,
            dv_wl,
            dh_wl,
        })
    }

    /// The same array with another element pattern.
    pub fn with_element(self, element: Tr38901) -> PanelArray {
        PanelArray { element, ..self }
    }

    /// The element pattern.
    pub fn element(&self) -> &Tr38901 {
        &self.element
    }

    /// M, the number of rows (elements stacked vertically).
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// N, the number of columns (elements side by side).
    pub fn cols(&self) -> u32 {
        self.cols
    }

    /// d_v, the vertical element spacing in wavelengths.
    pub fn vertical_spacing_wl(&self) -> f64 {
        self.dv_wl
    }

    /// d_h, the horizontal element spacing in wavelengths.
    pub fn horizontal_spacing_wl(&self) -> f64 {
        self.dh_wl
    }

    /// The gain in the steering direction, dBi: element peak + 10 log10(M·N).
    pub fn peak_gain_dbi(&self) -> f64 {
        self.element.max_gain_dbi + 10.0 * (f64::from(self.rows) * f64::from(self.cols)).log10()
    }

    /// The normalised array-factor power |AF|² towards (θ, φ) with the beam steered
    /// `elec_tilt_deg` below the horizon: M·N in the steering direction, not floored.
    pub fn array_factor_power(&self, theta_deg: f64, phi_deg: f64, elec_tilt_deg: f64) -> f64 {
        let (st, ct) = theta_deg.to_radians().sin_cos();
        let steer = (90.0 + elec_tilt_deg).to_radians().cos();
        let tau = std::f64::consts::TAU;
        let psi_v = tau * self.dv_wl * (ct - steer);
        let psi_h = tau * self.dh_wl * st * phi_deg.to_radians().sin();
        dirichlet_power(self.rows, psi_v) * dirichlet_power(self.cols, psi_h)
    }

    /// Gain in dBi towards (θ, φ) of the antenna frame, the beam steered `elec_tilt_deg` down.
    pub fn gain_dbi(&self, theta_deg: f64, phi_deg: f64, elec_tilt_deg: f64) -> f64 {
        let af = self.array_factor_power(theta_deg, phi_deg, elec_tilt_deg).max(AF_FLOOR);
        self.element.gain_dbi(theta_deg, phi_deg, 0.0) + 10.0 * af.log10()
    }
}

/// `|Σ_{m<M} e^{jmψ}|² / M = sin²(Mψ/2) / (M sin²(ψ/2))`: M where ψ is a multiple of 2π (the
/// main beam and grating lobes), 0 at the nulls.
pub fn dirichlet_power(m: u32, psi: f64) -> f64 {
    let m = f64::from(m);
    let s = (0.5 * psi).sin();
    if s.abs() < 1e-12 {
        return m;
    }
    let r = (0.5 * m * psi).sin() / s;
    r * r / m
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::antenna::Pattern;

    fn array(rows: u64, cols: u64, dv: f64, dh: f64) -> PanelArray {
        PanelArray::new(rows, cols, dv, dh).unwrap()
    }

    /// The zenith angle in (θ_peak, 180°) where the vertical cut (φ = 0) first falls 3 dB below
    /// its value at θ_peak, by bisection; and likewise upwards.
    pub(crate) fn vertical_hpbw_deg(p: &Pattern, tilt_deg: f64) -> f64 {
        let peak_theta = 90.0 + tilt_deg;
        let peak = p.gain_dbi(peak_theta, 0.0, tilt_deg);
        let edge = |dir: f64| {
            let (mut lo, mut hi) = (0.0, 60.0);
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if p.gain_dbi(peak_theta + dir * mid, 0.0, tilt_deg) > peak - 3.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        edge(1.0) + edge(-1.0)
    }

    /// Boresight gain = element gain + 10 log10(M·N) for several sizes, and no direction on a
    /// 0.25° grid beats it.
    #[test]
    fn boresight_gain_is_element_plus_array_gain() {
        for (m, n, dv, dh) in [
            (1, 1, 0.5, 0.5),
            (4, 1, 0.5, 0.5),
            (8, 1, 0.8, 0.5),
            (10, 1, 0.5, 0.5),
            (4, 4, 0.5, 0.5),
            (2, 8, 0.7, 0.5),
        ] {
            let a = array(m, n, dv, dh);
            let expected = 8.0 + 10.0 * ((m * n) as f64).log10();
            assert!((a.gain_dbi(90.0, 0.0, 0.0) - expected).abs() < 1e-9, "{m}x{n}");
            assert!((a.peak_gain_dbi() - expected).abs() < 1e-12);
            let mut best = f64::MIN;
            for i in 0..=720 {
                for j in 0..=360 {
                    let (t, p) = (f64::from(i) * 0.25, f64::from(j) - 180.0);
                    best = best.max(a.gain_dbi(t, p, 0.0));
                }
            }
            assert!(best <= expected + 1e-9, "{m}x{n}: {best} > {expected}");
        }
    }

    /// The closed form equals the phasor sum of the TR 38.901 weights, element by element.
    #[test]
    fn closed_form_matches_the_phasor_sum() {
        let a = array(5, 3, 0.7, 0.5);
        let tilt = 6.0f64;
        let steer = (90.0 + tilt).to_radians().cos();
        for (theta, phi) in [(90.0, 0.0), (96.0, 0.0), (101.3, 12.0), (60.0, -40.0), (170.0, 100.0)]
        {
            let (st, ct) = f64::to_radians(theta).sin_cos();
            let sp = f64::to_radians(phi).sin();
            let (mut re, mut im) = (0.0, 0.0);
            for m in 0..5 {
                for n in 0..3 {
                    let ph = std::f64::consts::TAU
                        * (f64::from(m) * 0.7 * (ct - steer) + f64::from(n) * 0.5 * st * sp);
                    re += ph.cos() / 15f64.sqrt();
                    im += ph.sin() / 15f64.sqrt();
                }
            }
            let sum = re * re + im * im;
            let closed = a.array_factor_power(theta, phi, tilt);
            assert!((sum - closed).abs() < 1e-9 * 15.0, "({theta}, {phi}): {sum} vs {closed}");
        }
    }

    /// The vertical half-power beamwidth of an M-element column against the exact array factor
    /// |sin(Mψ/2)/(M sin(ψ/2))|² (solved for its half-power ψ by bisection) and the broadside
    /// approximation 0.886 λ/(M d) rad. The element's own 65° cut narrows the product by a
    /// little, which the exact comparison includes through the element's 12(Δθ/65°)² dB.
    #[test]
    fn column_beamwidth_matches_the_array_factor() {
        for (m, d) in [(4u32, 0.5), (8, 0.8), (10, 0.5), (16, 0.7)] {
            let p = Pattern::Array(array(u64::from(m), 1, d, 0.5));
            let hpbw = vertical_hpbw_deg(&p, 0.0);
            // Exact: at broadside ψ = 2π d cos θ; find Δ with AF(Δ) − 12 (Δ/65)² = −3 dB.
            let total_db = |delta_deg: f64| {
                let psi = std::f64::consts::TAU * d * (90.0 + delta_deg).to_radians().cos();
                let mf = f64::from(m);
                let r = ((0.5 * mf * psi).sin() / (mf * (0.5 * psi).sin())).powi(2);
                10.0 * r.log10() - 12.0 * (delta_deg / 65.0).powi(2)
            };
            let (mut lo, mut hi) = (0.0, 40.0);
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if total_db(mid) > -3.0 { lo = mid } else { hi = mid }
            }
            assert!((hpbw - 2.0 * lo).abs() < 1e-6, "{m} x {d}: {hpbw} vs {}", 2.0 * lo);
            let approx = (0.886 / (f64::from(m) * d)).to_degrees();
            eprintln!(
                "{m} x {d} λ: HPBW {hpbw:.3}°, exact {:.3}°, 0.886 λ/(M d) {approx:.3}°",
                2.0 * lo
            );
            assert!((hpbw - approx).abs() < 0.04 * approx, "{m} x {d}: {hpbw} vs ≈{approx}");
        }
    }

    /// Steering: the vertical maximum moves to the tilt angle with the full peak gain there, and
    /// the element is not tilted (its own loss at θ_etilt stays in the gain).
    #[test]
    fn tilt_steers_the_vertical_maximum() {
        let a = array(10, 1, 0.5, 0.5);
        for tilt in [0.0, 3.0, 6.0, 12.0] {
            let at_tilt = a.gain_dbi(90.0 + tilt, 0.0, tilt);
            let element_loss = 12.0 * (tilt / 65.0f64).powi(2);
            assert!((at_tilt - (18.0 - element_loss)).abs() < 1e-9, "tilt {tilt}: {at_tilt}");
            assert!((a.array_factor_power(90.0 + tilt, 0.0, tilt) - 10.0).abs() < 1e-9);
            // The vertical maximum of the cut, on a 0.01° grid, lies within 0.4° of the tilt
            // (the untilted element pulls it towards the horizon: about 0.3° at 12° of tilt).
            let (mut best_t, mut best) = (0.0, f64::MIN);
            for i in 0..=18_000 {
                let t = f64::from(i) * 0.01;
                let g = a.gain_dbi(t, 0.0, tilt);
                if g > best {
                    (best_t, best) = (t, g);
                }
            }
            assert!((best_t - 90.0 - tilt).abs() < 0.4, "tilt {tilt}: maximum at {best_t}");
            assert!(best - at_tilt < 0.02, "tilt {tilt}: {best} vs {at_tilt}");
        }
    }

    #[test]
    fn bad_arrays_are_typed_errors() {
        assert!(matches!(PanelArray::new(0, 1, 0.5, 0.5), Err(AntennaError::ArrayEmpty { .. })));
        assert!(matches!(PanelArray::new(4, 0, 0.5, 0.5), Err(AntennaError::ArrayEmpty { .. })));
        assert!(matches!(
            PanelArray::new(64, 32, 0.5, 0.5),
            Err(AntennaError::ArrayTooLarge { rows: 64, cols: 32, .. })
        ));
        assert!(PanelArray::new(32, 32, 0.5, 0.5).is_ok());
        for bad in [0.0, -0.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                PanelArray::new(4, 1, bad, 0.5),
                Err(AntennaError::ArraySpacing { axis: ArrayAxis::Vertical, .. })
            ));
            assert!(matches!(
                PanelArray::new(4, 1, 0.5, bad),
                Err(AntennaError::ArraySpacing { axis: ArrayAxis::Horizontal, .. })
            ));
        }
        // Nulls are floored, never −∞.
        let a = array(4, 1, 0.5, 0.5);
        // ψ = π/2·... the first null of a 4-element half-wave column: cos θ = 1/(4·0.5) = 0.5.
        let g = a.gain_dbi(60.0, 0.0, 0.0);
        assert!(g.is_finite() && g < 8.0 - 90.0, "{g}");
    }
}
