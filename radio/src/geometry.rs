//! Small geometric vocabulary shared by the scene, the tracer and the antennas.
//!
//! Physics is computed in `f64` ([`Vec3`]); the acceleration structure and the triangles are stored
//! in `f32` plain-old-data arrays ([`Aabb`], [`crate::scene::Triangle`]) that a GPU buffer can hold
//! as they are. Scene coordinates are local metres: `x` east, `y` north, `z` up.

use bytemuck::{Pod, Zeroable};

/// A 3-vector of metres or a direction, in double precision.
pub type Vec3 = nalgebra::Vector3<f64>;

/// Builds a [`Vec3`].
#[inline]
pub fn vec3(x: f64, y: f64, z: f64) -> Vec3 {
    Vec3::new(x, y, z)
}

/// Converts a stored `f32` triple to a [`Vec3`].
#[inline]
pub fn to_vec3(p: [f32; 3]) -> Vec3 {
    Vec3::new(f64::from(p[0]), f64::from(p[1]), f64::from(p[2]))
}

/// Converts a [`Vec3`] to the stored `f32` form.
#[inline]
pub fn to_f32(p: &Vec3) -> [f32; 3] {
    [p.x as f32, p.y as f32, p.z as f32]
}

/// An axis-aligned bounding box in `f32`, laid out for GPU buffers.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Aabb {
    /// The smallest corner.
    pub min: [f32; 3],
    /// The largest corner.
    pub max: [f32; 3],
}

impl Aabb {
    /// The empty box: growing it by any point gives that point.
    pub const EMPTY: Aabb = Aabb { min: [f32::INFINITY; 3], max: [f32::NEG_INFINITY; 3] };

    /// Grows the box to include `p`.
    #[inline]
    pub fn grow(&mut self, p: [f32; 3]) {
        for (k, &pk) in p.iter().enumerate() {
            self.min[k] = self.min[k].min(pk);
            self.max[k] = self.max[k].max(pk);
        }
    }

    /// Grows the box to include `other`.
    #[inline]
    pub fn union(&mut self, other: &Aabb) {
        for k in 0..3 {
            self.min[k] = self.min[k].min(other.min[k]);
            self.max[k] = self.max[k].max(other.max[k]);
        }
    }

    /// True if the box contains nothing.
    pub fn is_empty(&self) -> bool {
        (0..3).any(|k| self.min[k] > self.max[k])
    }

    /// Half the surface area (the constant factor does not matter to the SAH).
    #[inline]
    pub fn half_area(&self) -> f32 {
        if self.is_empty() {
            return 0.0;
        }
        let d = [self.max[0] - self.min[0], self.max[1] - self.min[1], self.max[2] - self.min[2]];
        d[0] * d[1] + d[1] * d[2] + d[2] * d[0]
    }

    /// The extent along each axis.
    pub fn extent(&self) -> [f32; 3] {
        [self.max[0] - self.min[0], self.max[1] - self.min[1], self.max[2] - self.min[2]]
    }

    /// True if the point lies inside or on the box.
    pub fn contains(&self, p: &Vec3) -> bool {
        (0..3).all(|k| f64::from(self.min[k]) <= p[k] && p[k] <= f64::from(self.max[k]))
    }
}

/// An orthonormal pair of vectors perpendicular to `d` (a unit vector), built without branches
/// that lose precision near the poles (Duff et al., "Building an orthonormal basis, revisited").
pub fn orthonormal_basis(d: &Vec3) -> (Vec3, Vec3) {
    let sign = 1.0f64.copysign(d.z);
    let a = -1.0 / (sign + d.z);
    let b = d.x * d.y * a;
    (vec3(1.0 + sign * d.x * d.x * a, sign * b, -sign * d.x), vec3(b, sign + d.y * d.y * a, -d.y))
}

/// The golden angle in radians: π (3 − √5).
const GOLDEN_ANGLE: f64 = 2.399_963_229_728_653_3;

/// The `i`-th of `n` directions spread evenly over the unit sphere (a Fibonacci lattice). The same
/// `(i, n)` always gives the same direction, which makes ray launching deterministic and
/// independent of how the rays are split among threads.
#[inline]
pub fn fibonacci_direction(i: u64, n: u64) -> Vec3 {
    let z = 1.0 - (2.0 * i as f64 + 1.0) / n as f64;
    let r = (1.0 - z * z).max(0.0).sqrt();
    let (s, c) = (GOLDEN_ANGLE * i as f64).sin_cos();
    vec3(r * c, r * s, z)
}

/// The Fibonacci directions `start..end` of `n`, in order, computed by rotating through the
/// golden angle rather than calling `sin_cos` per ray (they agree with
/// [`fibonacci_direction`] to about 1e-10 over a few thousand steps).
pub fn fibonacci_directions(start: u64, end: u64, n: u64) -> impl Iterator<Item = Vec3> {
    let (mut s, mut c) = (GOLDEN_ANGLE * start as f64).sin_cos();
    let (sg, cg) = GOLDEN_ANGLE.sin_cos();
    (start..end).map(move |i| {
        let z = 1.0 - (2.0 * i as f64 + 1.0) / n as f64;
        let r = (1.0 - z * z).max(0.0).sqrt();
        let d = vec3(r * c, r * s, z);
        (s, c) = (s * cg + c * sg, c * cg - s * sg);
        d
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basis_is_orthonormal() {
        for d in [vec3(0.0, 0.0, 1.0), vec3(0.0, 0.0, -1.0), vec3(1.0, 2.0, -3.0).normalize()] {
            let (u, v) = orthonormal_basis(&d);
            assert!((u.norm() - 1.0).abs() < 1e-12 && (v.norm() - 1.0).abs() < 1e-12);
            assert!(u.dot(&v).abs() < 1e-12 && u.dot(&d).abs() < 1e-12 && v.dot(&d).abs() < 1e-12);
        }
    }

    #[test]
    fn fibonacci_lattice_is_balanced() {
        let n = 10_000;
        let mean: Vec3 = (0..n).map(|i| fibonacci_direction(i, n)).sum::<Vec3>() / n as f64;
        assert!(mean.norm() < 1e-3, "{mean:?}");
        for i in [0, 1, n / 2, n - 1] {
            assert!((fibonacci_direction(i, n).norm() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn incremental_lattice_matches_direct() {
        let n = 1_000_000;
        for (k, d) in fibonacci_directions(500_000, 504_096, n).enumerate() {
            let exact = fibonacci_direction(500_000 + k as u64, n);
            // The direct formula itself rounds `golden angle × i` to ~1e-10 rad at i = 5·10^5.
            assert!((d - exact).norm() < 1e-9, "ray {k}: {d:?} vs {exact:?}");
        }
    }

    #[test]
    fn aabb_grows() {
        let mut b = Aabb::EMPTY;
        assert!(b.is_empty());
        b.grow([1.0, 2.0, 3.0]);
        b.grow([-1.0, 0.0, 5.0]);
        assert_eq!(b.min, [-1.0, 0.0, 3.0]);
        assert_eq!(b.max, [1.0, 2.0, 5.0]);
        assert_eq!(b.half_area(), 2.0 * 2.0 + 2.0 * 2.0 + 2.0 * 2.0);
        assert!(b.contains(&vec3(0.0, 1.0, 4.0)));
    }
}
