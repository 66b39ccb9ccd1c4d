//! Electric fields as complex 3-vectors, and what a reflection does to them.
//!
//! A field is carried along a ray as a complex vector in scene coordinates, perpendicular to the
//! direction of travel. At a surface with unit normal `n` facing the incoming ray (`n·k_i < 0`)
//! it is split in the basis of the plane of incidence (the convention of Sionna RT's EM primer):
//!
//! ```text
//!   e_⊥ = k_i × n / |k_i × n|,   e_∥,i = e_⊥ × k_i,   e_∥,r = e_⊥ × k_r,   k_r = k_i − 2(k_i·n) n
//!   E_r = r_⊥ (E·e_⊥) e_⊥ + r_∥ (E·e_∥,i) e_∥,r
//! ```
//!
//! With this basis a perfect conductor gives `r_⊥ = −1`, `r_∥ = +1`, which cancels the tangential
//! field on its surface, and the ground reflection of a vertically polarised isotropic antenna
//! reproduces the scalar two-ray model with `Γ_V = r_∥`.

use nalgebra::Vector3;
use num_complex::Complex64;

use crate::geometry::{Vec3, orthonormal_basis};
use crate::material::Fresnel;

/// A complex field vector.
pub type CVec3 = Vector3<Complex64>;

/// A real vector as a complex one.
#[inline]
pub fn complex(v: &Vec3) -> CVec3 {
    CVec3::new(Complex64::from(v.x), Complex64::from(v.y), Complex64::from(v.z))
}

/// `E · e` for a complex `E` and a real `e` (no conjugation: a projection onto a real axis).
#[inline]
pub fn project(e: &CVec3, axis: &Vec3) -> Complex64 {
    e.x * axis.x + e.y * axis.y + e.z * axis.z
}

/// `|E|²`.
#[inline]
pub fn power(e: &CVec3) -> f64 {
    e.x.norm_sqr() + e.y.norm_sqr() + e.z.norm_sqr()
}

/// The reflected direction of `k_i` off a surface with unit normal `n`.
#[inline]
pub fn reflect_dir(k_i: &Vec3, n: &Vec3) -> Vec3 {
    k_i - n * (2.0 * k_i.dot(n))
}

/// The field after specular reflection. `k_i` is the unit incoming direction, `n` the unit
/// normal on the incoming side, `r` the surface's coefficients at this angle.
pub fn reflect_field(e: &CVec3, k_i: &Vec3, n: &Vec3, r: &Fresnel) -> CVec3 {
    let k_r = reflect_dir(k_i, n);
    let cross = k_i.cross(n);
    let norm = cross.norm();
    let e_perp = if norm > 1e-12 {
        cross / norm
    } else {
        // Normal incidence: the plane of incidence is undefined and any transverse axis will do,
        // since then r_∥ = −r_⊥ and e_∥,r = −e_∥,i.
        orthonormal_basis(k_i).0
    };
    let e_par_i = e_perp.cross(k_i);
    let e_par_r = e_perp.cross(&k_r);
    let a_perp = project(e, &e_perp) * r.r_te;
    let a_par = project(e, &e_par_i) * r.r_tm;
    complex(&e_perp) * a_perp + complex(&e_par_r) * a_par
}

/// Removes the component of `e` along the unit direction `k` (keeps a field transverse after a
/// change of direction that is not a reflection, such as diffraction over an edge).
pub fn transverse(e: &CVec3, k: &Vec3) -> CVec3 {
    let along = project(e, k);
    e - complex(k) * along
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::vec3;

    #[test]
    fn perfect_conductor_cancels_the_tangential_field() {
        let pec = Fresnel { r_te: Complex64::from(-1.0), r_tm: Complex64::from(1.0) };
        let n = vec3(0.0, 0.0, 1.0);
        let k_i = vec3(1.0, 0.5, -1.0).normalize();
        for e in [vec3(0.0, 1.0, 0.5), vec3(1.0, 0.0, 1.0)] {
            // Make it transverse.
            let e = e - k_i * e.dot(&k_i);
            let e_i = complex(&e);
            let e_r = reflect_field(&e_i, &k_i, &n, &pec);
            // Tangential components of incident + reflected vanish on the surface.
            let total = e_i + e_r;
            assert!(total.x.norm() < 1e-12 && total.y.norm() < 1e-12, "{total:?}");
            // The reflected field is transverse to the reflected ray.
            let k_r = reflect_dir(&k_i, &n);
            assert!(project(&e_r, &k_r).norm() < 1e-12);
            assert!((power(&e_r) - power(&e_i)).abs() < 1e-12);
        }
    }

    #[test]
    fn normal_incidence_scales_the_field() {
        let r = Fresnel { r_te: Complex64::new(-0.4, 0.1), r_tm: Complex64::new(0.4, -0.1) };
        let e = complex(&vec3(1.0, 2.0, 0.0));
        let out = reflect_field(&e, &vec3(0.0, 0.0, -1.0), &vec3(0.0, 0.0, 1.0), &r);
        let expected = e * r.r_te;
        assert!((out - expected).norm() < 1e-12, "{out:?}");
    }
}
