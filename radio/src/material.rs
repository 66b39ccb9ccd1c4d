//! Radio materials after ITU-R P.2040 and the Fresnel coefficients of their surfaces.
//!
//! P.2040-2 (Table 3, unchanged below 100 GHz in -3 and -4) models a building material by its
//! relative permittivity `ε'_r = a·f^b` and conductivity `σ = c·f^d` (f in GHz), valid over a
//! frequency range. The complex relative permittivity is `η = ε'_r − j σ/(ε0 ω)`.
//!
//! Reflection uses the Fresnel coefficients of a half-space for incidence from vacuum
//! (P.2040 eqs. 31–32, the Sionna RT EM primer's `r_⊥`, `r_∥`):
//!
//! ```text
//!   r_⊥ (TE) = (cos θ − √(η − sin²θ)) / (cos θ + √(η − sin²θ))
//!   r_∥ (TM) = (η cos θ − √(η − sin²θ)) / (η cos θ + √(η − sin²θ))
//! ```
//!
//! or, for a material given a thickness, those of a single slab (P.2040 §2.2.2.2), which is what
//! Sionna RT uses by default (0.1 m). The polarisation treatment is in [`crate::propagation`]:
//! fields are complex 3-vectors, split at every interaction into the component perpendicular to
//! the plane of incidence (scaled by `r_⊥`) and the one in it (scaled by `r_∥`).

use num_complex::Complex64;

use crate::error::SceneError;

/// The vacuum permittivity ε0 in F/m.
pub const EPSILON_0: f64 = 8.854_187_812_8e-12;
/// The speed of light in m/s.
pub const SPEED_OF_LIGHT: f64 = 299_792_458.0;

/// One row of ITU-R P.2040 Table 3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItuRow {
    /// The material's name as the Sionna scenes spell it after `itu_`.
    pub name: &'static str,
    /// `ε'_r = a·f^b`.
    pub a: f64,
    /// Exponent of the permittivity.
    pub b: f64,
    /// `σ = c·f^d` in S/m.
    pub c: f64,
    /// Exponent of the conductivity.
    pub d: f64,
    /// Lowest frequency of validity, GHz.
    pub f_min_ghz: f64,
    /// Highest frequency of validity, GHz.
    pub f_max_ghz: f64,
}

/// ITU-R P.2040-2 Table 3 (the rows below 100 GHz; -3 and -4 keep them).
pub const ITU_TABLE: &[ItuRow] = &[
    ItuRow { name: "vacuum", a: 1.0, b: 0.0, c: 0.0, d: 0.0, f_min_ghz: 0.001, f_max_ghz: 100.0 },
    ItuRow {
        name: "concrete",
        a: 5.24,
        b: 0.0,
        c: 0.0462,
        d: 0.7822,
        f_min_ghz: 1.0,
        f_max_ghz: 100.0,
    },
    ItuRow { name: "brick", a: 3.91, b: 0.0, c: 0.0238, d: 0.16, f_min_ghz: 1.0, f_max_ghz: 40.0 },
    ItuRow {
        name: "plasterboard",
        a: 2.73,
        b: 0.0,
        c: 0.0085,
        d: 0.9395,
        f_min_ghz: 1.0,
        f_max_ghz: 100.0,
    },
    ItuRow {
        name: "wood",
        a: 1.99,
        b: 0.0,
        c: 0.0047,
        d: 1.0718,
        f_min_ghz: 0.001,
        f_max_ghz: 100.0,
    },
    ItuRow {
        name: "glass",
        a: 6.31,
        b: 0.0,
        c: 0.0036,
        d: 1.3394,
        f_min_ghz: 0.1,
        f_max_ghz: 100.0,
    },
    ItuRow {
        name: "ceiling_board",
        a: 1.48,
        b: 0.0,
        c: 0.0011,
        d: 1.0750,
        f_min_ghz: 1.0,
        f_max_ghz: 100.0,
    },
    ItuRow {
        name: "chipboard",
        a: 2.58,
        b: 0.0,
        c: 0.0217,
        d: 0.7800,
        f_min_ghz: 1.0,
        f_max_ghz: 100.0,
    },
    ItuRow { name: "plywood", a: 2.71, b: 0.0, c: 0.33, d: 0.0, f_min_ghz: 1.0, f_max_ghz: 40.0 },
    ItuRow {
        name: "marble",
        a: 7.074,
        b: 0.0,
        c: 0.0055,
        d: 0.9262,
        f_min_ghz: 1.0,
        f_max_ghz: 60.0,
    },
    ItuRow {
        name: "floorboard",
        a: 3.66,
        b: 0.0,
        c: 0.0044,
        d: 1.3515,
        f_min_ghz: 50.0,
        f_max_ghz: 100.0,
    },
    ItuRow { name: "metal", a: 1.0, b: 0.0, c: 1e7, d: 0.0, f_min_ghz: 1.0, f_max_ghz: 100.0 },
    ItuRow {
        name: "very_dry_ground",
        a: 3.0,
        b: 0.0,
        c: 0.00015,
        d: 2.52,
        f_min_ghz: 1.0,
        f_max_ghz: 10.0,
    },
    ItuRow {
        name: "medium_dry_ground",
        a: 15.0,
        b: -0.1,
        c: 0.035,
        d: 1.63,
        f_min_ghz: 1.0,
        f_max_ghz: 10.0,
    },
    ItuRow {
        name: "wet_ground",
        a: 30.0,
        b: -0.4,
        c: 0.15,
        d: 1.30,
        f_min_ghz: 1.0,
        f_max_ghz: 10.0,
    },
];

/// How a material's permittivity is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dielectric {
    /// An ITU-R P.2040 material.
    Itu(ItuRow),
    /// Fixed relative permittivity and conductivity at every frequency.
    Constant {
        /// Relative permittivity ε'_r (≥ 1).
        eps_r: f64,
        /// Conductivity in S/m (≥ 0).
        sigma_s_per_m: f64,
    },
}

/// A surface material: its dielectric properties and, optionally, a thickness that makes its
/// reflection that of a slab rather than a half-space.
#[derive(Debug, Clone, PartialEq)]
pub struct Material {
    /// The name the scene used for it.
    pub name: String,
    /// Permittivity and conductivity.
    pub dielectric: Dielectric,
    /// `None`: reflection of a half-space. `Some(d)`: of a slab `d` metres thick.
    pub thickness_m: Option<f64>,
}

/// The complex reflection coefficients of a surface for the two linear polarisations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fresnel {
    /// For the field perpendicular to the plane of incidence (TE, "horizontal" over the ground).
    pub r_te: Complex64,
    /// For the field in the plane of incidence (TM, "vertical" over the ground).
    pub r_tm: Complex64,
}

impl Material {
    /// The ITU-R P.2040 material called `name` (`concrete`, `itu_concrete`, `Medium-Dry Ground`…),
    /// as a half-space.
    pub fn itu(name: &str) -> Result<Material, SceneError> {
        let key = normalise_name(name);
        ITU_TABLE
            .iter()
            .find(|row| row.name == key)
            .map(|row| Material {
                name: row.name.to_string(),
                dielectric: Dielectric::Itu(*row),
                thickness_m: None,
            })
            .ok_or_else(|| SceneError::UnknownMaterial {
                name: name.to_string(),
                known: ITU_TABLE.iter().map(|r| r.name).collect::<Vec<_>>().join(", "),
            })
    }

    /// A material with constant permittivity and conductivity.
    pub fn constant(name: &str, eps_r: f64, sigma_s_per_m: f64) -> Result<Material, SceneError> {
        if !(eps_r.is_finite() && eps_r >= 1.0 && sigma_s_per_m.is_finite() && sigma_s_per_m >= 0.0)
        {
            return Err(SceneError::InvalidMaterial {
                name: name.to_string(),
                reason: format!(
                    "relative permittivity must be >= 1 and conductivity >= 0, got {eps_r} and {sigma_s_per_m} S/m"
                ),
            });
        }
        Ok(Material {
            name: name.to_string(),
            dielectric: Dielectric::Constant { eps_r, sigma_s_per_m },
            thickness_m: None,
        })
    }

    /// The same material as a slab `thickness_m` thick.
    pub fn with_thickness(mut self, thickness_m: f64) -> Result<Material, SceneError> {
        if !(thickness_m.is_finite() && thickness_m > 0.0) {
            return Err(SceneError::InvalidMaterial {
                name: self.name,
                reason: format!("thickness must be finite and > 0, got {thickness_m} m"),
            });
        }
        self.thickness_m = Some(thickness_m);
        Ok(self)
    }

    /// True if `freq_hz` lies in the range over which P.2040 defines the material (always true
    /// for constant materials). Outside it the model is extrapolated.
    pub fn in_validity_range(&self, freq_hz: f64) -> bool {
        match self.dielectric {
            Dielectric::Itu(row) => {
                let f = freq_hz * 1e-9;
                row.f_min_ghz <= f && f <= row.f_max_ghz
            }
            Dielectric::Constant { .. } => true,
        }
    }

    /// Relative permittivity ε'_r and conductivity σ (S/m) at `freq_hz`.
    pub fn eps_sigma(&self, freq_hz: f64) -> (f64, f64) {
        match self.dielectric {
            Dielectric::Itu(row) => {
                let f = freq_hz * 1e-9;
                (row.a * f.powf(row.b), row.c * f.powf(row.d))
            }
            Dielectric::Constant { eps_r, sigma_s_per_m } => (eps_r, sigma_s_per_m),
        }
    }

    /// The complex relative permittivity η = ε'_r − j σ/(ε0 ω).
    pub fn complex_permittivity(&self, freq_hz: f64) -> Complex64 {
        let (eps, sigma) = self.eps_sigma(freq_hz);
        let omega = 2.0 * std::f64::consts::PI * freq_hz;
        Complex64::new(eps, -sigma / (EPSILON_0 * omega))
    }

    /// Reflection coefficients at incidence angle θ (given as `cos_theta` = |cos θ| ∈ [0, 1],
    /// measured from the surface normal) for a wave from vacuum.
    pub fn reflection(&self, cos_theta: f64, freq_hz: f64) -> Fresnel {
        self.at(freq_hz).reflection(cos_theta)
    }

    /// The material at one frequency, with its permittivity evaluated once, for tracers that
    /// compute many reflections at the same carrier.
    pub fn at(&self, freq_hz: f64) -> Reflector {
        Reflector {
            eta: self.complex_permittivity(freq_hz),
            slab_phase: self
                .thickness_m
                .map(|d| 2.0 * std::f64::consts::PI * d * freq_hz / SPEED_OF_LIGHT),
        }
    }
}

/// A material's reflection coefficients at one frequency, tabulated for tracers that evaluate
/// millions of reflections: [`ReflectionTable::SIZE`] samples, uniform in `(cos θ)^¼` so that
/// they crowd towards grazing incidence, where a good conductor's `r_∥` swings from −1 to +1
/// within `cos θ ≈ 1/√|η|`; linear interpolation keeps them within 2e-3 of the exact values.
#[derive(Debug, Clone, PartialEq)]
pub struct ReflectionTable {
    te: Vec<Complex64>,
    tm: Vec<Complex64>,
}

impl ReflectionTable {
    /// Samples over `cos θ ∈ [0, 1]`.
    pub const SIZE: usize = 1025;

    /// Tabulates `reflector`.
    pub fn new(reflector: &Reflector) -> ReflectionTable {
        let (te, tm) = (0..Self::SIZE)
            .map(|i| {
                let u = i as f64 / (Self::SIZE - 1) as f64;
                let r = reflector.reflection(u.powi(4));
                (r.r_te, r.r_tm)
            })
            .unzip();
        ReflectionTable { te, tm }
    }

    /// The tabulated `(r_te, r_tm)`, sample `k` at `cos θ = (k / (SIZE − 1))⁴` (what the GPU
    /// tracer uploads and interpolates the same way).
    pub fn samples(&self) -> impl Iterator<Item = (Complex64, Complex64)> + '_ {
        self.te.iter().copied().zip(self.tm.iter().copied())
    }

    /// Interpolated coefficients at `cos_theta`.
    #[inline]
    pub fn reflection(&self, cos_theta: f64) -> Fresnel {
        let x = cos_theta.clamp(0.0, 1.0).sqrt().sqrt() * (Self::SIZE - 1) as f64;
        let i = (x as usize).min(Self::SIZE - 2);
        let f = x - i as f64;
        Fresnel {
            r_te: self.te[i] + (self.te[i + 1] - self.te[i]) * f,
            r_tm: self.tm[i] + (self.tm[i + 1] - self.tm[i]) * f,
        }
    }
}

/// A material's reflection at one frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reflector {
    /// Complex relative permittivity η.
    pub eta: Complex64,
    /// `2π d / λ` for a slab of thickness `d`; `None` for a half-space.
    pub slab_phase: Option<f64>,
}

impl Reflector {
    /// Reflection coefficients at `cos_theta` = |cos θ|.
    #[inline]
    pub fn reflection(&self, cos_theta: f64) -> Fresnel {
        let half_space = fresnel_half_space(self.eta, cos_theta);
        match self.slab_phase {
            None => half_space,
            Some(k_d) => {
                let c = cos_theta.clamp(0.0, 1.0);
                let root = (self.eta - Complex64::from(1.0 - c * c)).sqrt();
                let e = (Complex64::new(0.0, -2.0) * root * k_d).exp();
                let slab = |r: Complex64| {
                    r * (Complex64::from(1.0) - e) / (Complex64::from(1.0) - r * r * e)
                };
                Fresnel { r_te: slab(half_space.r_te), r_tm: slab(half_space.r_tm) }
            }
        }
    }
}

/// Half-space Fresnel reflection coefficients for incidence from vacuum onto a medium of complex
/// relative permittivity `eta`.
pub fn fresnel_half_space(eta: Complex64, cos_theta: f64) -> Fresnel {
    let c = cos_theta.clamp(0.0, 1.0);
    let root = (eta - Complex64::from(1.0 - c * c)).sqrt();
    let r_te = (Complex64::from(c) - root) / (Complex64::from(c) + root);
    let r_tm = (eta * c - root) / (eta * c + root);
    Fresnel { r_te, r_tm }
}

fn normalise_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    lower.strip_prefix("itu_").map(str::to_string).unwrap_or(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Complex64, b: Complex64, tol: f64) -> bool {
        (a - b).norm() < tol
    }

    /// REFERENCES.md §4: worked Fresnel numbers with P.2040-2 parameters, half-space.
    #[test]
    fn concrete_at_3_5_ghz() {
        let concrete = Material::itu("itu_concrete").unwrap();
        let (eps, sigma) = concrete.eps_sigma(3.5e9);
        assert_eq!(eps, 5.24);
        assert!((sigma - 0.12309).abs() < 1e-5, "{sigma}");
        let eta = concrete.complex_permittivity(3.5e9);
        assert!(close(eta, Complex64::new(5.24, -0.6321), 1e-4), "{eta}");
        let normal = concrete.reflection(1.0, 3.5e9);
        assert!(close(normal.r_te, Complex64::new(-0.3938, 0.0254), 1e-4), "{:?}", normal);
        assert!(close(normal.r_tm, Complex64::new(0.3938, -0.0254), 1e-4), "{:?}", normal);
        let oblique = concrete.reflection(45f64.to_radians().cos(), 3.5e9);
        assert!(close(oblique.r_te, Complex64::new(-0.5117, 0.0245), 1e-4), "{oblique:?}");
        assert!(close(oblique.r_tm, Complex64::new(0.2613, -0.0251), 1e-4), "{oblique:?}");
        let grazing = concrete.reflection(80f64.to_radians().cos(), 3.5e9);
        assert!(close(grazing.r_te, Complex64::new(-0.8461, 0.0105), 1e-4), "{grazing:?}");
        assert!(close(grazing.r_tm, Complex64::new(-0.3880, -0.0198), 1e-4), "{grazing:?}");
    }

    #[test]
    fn other_materials() {
        let at45 = 45f64.to_radians().cos();
        let c28 = Material::itu("concrete").unwrap().reflection(at45, 28e9);
        assert!((c28.r_te.norm() - 0.5107).abs() < 1e-4 && (c28.r_tm.norm() - 0.2609).abs() < 1e-4);
        let brick = Material::itu("brick").unwrap().reflection(at45, 3.5e9);
        assert!(
            (brick.r_te.norm() - 0.4465).abs() < 1e-4 && (brick.r_tm.norm() - 0.1994).abs() < 1e-4
        );
        let glass = Material::itu("glass").unwrap().reflection(1.0, 3.5e9);
        assert!((glass.r_te.norm() - 0.4306).abs() < 1e-4);
        let wood = Material::itu("wood").unwrap().reflection(1.0, 3.5e9);
        assert!((wood.r_te.norm() - 0.1710).abs() < 1e-4);
        let metal = Material::itu("metal").unwrap();
        // REFERENCES.md: |r| > 0.9989 up to 80° (0.99886 at 80°, rounded there).
        for deg in [0.0f64, 30.0, 60.0, 80.0] {
            let r = metal.reflection(deg.to_radians().cos(), 3.5e9);
            assert!(r.r_te.norm() > 0.99885 && r.r_tm.norm() > 0.99885, "{deg}: {r:?}");
        }
        let ground = Material::itu("Medium-Dry Ground").unwrap();
        let eta = ground.complex_permittivity(2e9);
        assert!(close(eta, Complex64::new(13.9955, -0.97362), 1e-4), "{eta}");
    }

    #[test]
    fn slab_coefficients() {
        let slab = Material::itu("concrete").unwrap().with_thickness(0.1).unwrap();
        let r = slab.reflection(1.0, 3.5e9);
        assert!((r.r_te.norm() - 0.4223).abs() < 1e-4, "{r:?}");
        let r45 = slab.reflection(45f64.to_radians().cos(), 3.5e9);
        assert!((r45.r_te.norm() - 0.4743).abs() < 1e-4 && (r45.r_tm.norm() - 0.2385).abs() < 1e-4);
        let thick = Material::itu("concrete").unwrap().with_thickness(0.2).unwrap();
        assert!((thick.reflection(1.0, 3.5e9).r_te.norm() - 0.3962).abs() < 1e-4);
    }

    #[test]
    fn tables_match_exact_coefficients() {
        for m in ["concrete", "glass", "metal", "medium_dry_ground", "marble"] {
            for thickness in [None, Some(0.1)] {
                let mut mat = Material::itu(m).unwrap();
                if let Some(d) = thickness {
                    mat = mat.with_thickness(d).unwrap();
                }
                let r = mat.at(3.5e9);
                let table = ReflectionTable::new(&r);
                for k in 0..=4000 {
                    let c = if k <= 2000 { k as f64 / 2000.0 } else { (k - 2000) as f64 * 1e-6 };
                    let (a, b) = (r.reflection(c), table.reflection(c));
                    let err = (a.r_te - b.r_te).norm().max((a.r_tm - b.r_tm).norm());
                    assert!(err < 2e-3, "{m} {thickness:?} cos {c}: {err}");
                }
            }
        }
    }

    #[test]
    fn validity_and_errors() {
        let ground = Material::itu("medium_dry_ground").unwrap();
        assert!(ground.in_validity_range(3.5e9) && !ground.in_validity_range(28e9));
        let err = Material::itu("unobtainium").unwrap_err().to_string();
        assert!(err.contains("unobtainium") && err.contains("concrete"), "{err}");
        assert!(Material::constant("x", 0.5, 0.0).is_err());
        assert!(Material::constant("x", 2.0, f64::NAN).is_err());
        assert!(Material::itu("glass").unwrap().with_thickness(0.0).is_err());
    }
}
