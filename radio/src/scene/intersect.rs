//! Ray queries against the flat BVH: closest hit and any hit (occlusion), in `f32`, with a fixed
//! stack and no recursion: the same algorithm a compute shader runs.

use super::Triangle;
use wide::f32x4;

use super::bvh::{Bvh4, Bvh4Node, BvhNode, EMPTY_CHILD, Tri4};

/// A ray in `f32`: `origin + t·dir` for `t` in `(t_min, t_max)`.
#[derive(Debug, Clone, Copy)]
pub struct Ray {
    /// The origin.
    pub origin: [f32; 3],
    /// The direction (need not be unit length; `t` is in its units).
    pub dir: [f32; 3],
    /// Reciprocal of each direction component, for the slab test.
    pub inv_dir: [f32; 3],
    /// Hits at or below this distance are ignored.
    pub t_min: f32,
    /// Hits at or beyond this distance are ignored.
    pub t_max: f32,
}

impl Ray {
    /// A ray from `origin` along `dir` over `(t_min, t_max)`.
    #[inline]
    pub fn new(origin: [f32; 3], dir: [f32; 3], t_min: f32, t_max: f32) -> Ray {
        // Keep reciprocals finite, so that the slab test never computes 0 × ∞ = NaN and can use
        // plain comparisons (one instruction) instead of NaN-aware min/max.
        let inv = |d: f32| 1.0 / if d.abs() < 1e-20 { 1e-20f32.copysign(d) } else { d };
        Ray { origin, dir, inv_dir: [inv(dir[0]), inv(dir[1]), inv(dir[2])], t_min, t_max }
    }
}

/// Where a ray meets a triangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Distance along the ray, in units of its direction.
    pub t: f32,
    /// Index of the triangle in the scene's (BVH-ordered) triangle array.
    pub triangle: u32,
    /// Barycentric coordinate of the hit along the triangle's first edge.
    pub u: f32,
    /// Barycentric coordinate of the hit along the triangle's second edge.
    pub v: f32,
}

#[inline(always)]
fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline(always)]
fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

#[inline(always)]
fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Möller–Trumbore ray–triangle intersection, two-sided. Returns `(t, u, v)` for a hit inside
/// `(ray.t_min, t_max)`.
#[inline(always)]
pub fn intersect_triangle(ray: &Ray, tri: &Triangle, t_max: f32) -> Option<(f32, f32, f32)> {
    // Barycentric slack: rays through the shared edge of two triangles must not slip through.
    const EDGE_EPS: f32 = 1e-6;
    let (e1, e2) = (tri.e1, tri.e2);
    let p = cross(ray.dir, e2);
    let det = dot(e1, p);
    if det.abs() < 1e-20 {
        return None;
    }
    let inv = 1.0 / det;
    let s = sub(ray.origin, tri.v0);
    let u = dot(s, p) * inv;
    if !(-EDGE_EPS..=1.0 + EDGE_EPS).contains(&u) {
        return None;
    }
    let q = cross(s, e1);
    let v = dot(ray.dir, q) * inv;
    if v < -EDGE_EPS || u + v > 1.0 + EDGE_EPS {
        return None;
    }
    let t = dot(e2, q) * inv;
    (t > ray.t_min && t < t_max).then_some((t, u, v))
}

#[inline(always)]
fn min(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

#[inline(always)]
fn max(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// Entry distance of the ray into a node's box, or `f32::INFINITY` if it misses within `t_max`.
/// Branch-free slab test (the reciprocal direction is finite, see [`Ray::new`]).
#[inline(always)]
fn box_entry(ray: &Ray, node: &BvhNode, t_max: f32) -> f32 {
    let tx0 = (node.min[0] - ray.origin[0]) * ray.inv_dir[0];
    let tx1 = (node.max[0] - ray.origin[0]) * ray.inv_dir[0];
    let ty0 = (node.min[1] - ray.origin[1]) * ray.inv_dir[1];
    let ty1 = (node.max[1] - ray.origin[1]) * ray.inv_dir[1];
    let tz0 = (node.min[2] - ray.origin[2]) * ray.inv_dir[2];
    let tz1 = (node.max[2] - ray.origin[2]) * ray.inv_dir[2];
    let near = max(max(min(tx0, tx1), min(ty0, ty1)), max(min(tz0, tz1), ray.t_min));
    let far = min(min(max(tx0, tx1), max(ty0, ty1)), min(max(tz0, tz1), t_max));
    if near <= far { near } else { f32::INFINITY }
}

const STACK: usize = 64;

/// The nearest triangle along the ray, if any.
pub fn closest_hit(nodes: &[BvhNode], triangles: &[Triangle], ray: &Ray) -> Option<Hit> {
    let mut best: Option<Hit> = None;
    let mut t_best = ray.t_max;
    // Pending far children with their entry distances, so that popping one needs no box test.
    let mut stack = [(0u32, 0f32); STACK];
    let mut sp = 0usize;
    let root = nodes.first()?;
    if box_entry(ray, root, t_best).is_infinite() {
        return None;
    }
    let mut node_idx = 0u32;
    loop {
        let node = &nodes[node_idx as usize];
        if node.count > 0 {
            let first = node.left_first as usize;
            for (i, tri) in triangles[first..first + node.count as usize].iter().enumerate() {
                if let Some((t, u, v)) = intersect_triangle(ray, tri, t_best) {
                    t_best = t;
                    best = Some(Hit { t, triangle: (first + i) as u32, u, v });
                }
            }
        } else {
            let (l, r) = (node.left_first, node.left_first + 1);
            let tl = box_entry(ray, &nodes[l as usize], t_best);
            let tr = box_entry(ray, &nodes[r as usize], t_best);
            let (near, t_near, far, t_far) = if tl <= tr { (l, tl, r, tr) } else { (r, tr, l, tl) };
            if t_near.is_finite() {
                if t_far.is_finite() && sp < STACK {
                    stack[sp] = (far, t_far);
                    sp += 1;
                }
                node_idx = near;
                continue;
            }
        }
        // Pop the next node that can still hold a closer hit.
        loop {
            if sp == 0 {
                return best;
            }
            sp -= 1;
            let (candidate, t_entry) = stack[sp];
            if t_entry < t_best {
                node_idx = candidate;
                break;
            }
        }
    }
}

/// True if any triangle lies along the ray within `(t_min, t_max)`.
pub fn any_hit(nodes: &[BvhNode], triangles: &[Triangle], ray: &Ray) -> bool {
    let mut stack = [0u32; STACK];
    let mut sp = 0usize;
    let Some(root) = nodes.first() else { return false };
    if box_entry(ray, root, ray.t_max).is_infinite() {
        return false;
    }
    let mut node_idx = 0u32;
    loop {
        let node = &nodes[node_idx as usize];
        if node.count > 0 {
            let first = node.left_first as usize;
            if triangles[first..first + node.count as usize]
                .iter()
                .any(|tri| intersect_triangle(ray, tri, ray.t_max).is_some())
            {
                return true;
            }
        } else {
            let (l, r) = (node.left_first, node.left_first + 1);
            let hit_l = box_entry(ray, &nodes[l as usize], ray.t_max).is_finite();
            let hit_r = box_entry(ray, &nodes[r as usize], ray.t_max).is_finite();
            match (hit_l, hit_r) {
                (true, true) => {
                    if sp < STACK {
                        stack[sp] = r;
                        sp += 1;
                    }
                    node_idx = l;
                    continue;
                }
                (true, false) => {
                    node_idx = l;
                    continue;
                }
                (false, true) => {
                    node_idx = r;
                    continue;
                }
                (false, false) => {}
            }
        }
        if sp == 0 {
            return false;
        }
        sp -= 1;
        node_idx = stack[sp];
    }
}

/// Entry distances of the ray into the four boxes of a 4-wide node, and a bit mask of the boxes
/// it enters before `t_max`, with 4-wide SIMD.
#[inline(always)]
fn box_entry4(ray: &Ray, node: &Bvh4Node, t_max: f32) -> (f32x4, u32) {
    // Per axis, the slab plane a ray with this direction sign enters first.
    let (nx, fx) =
        if ray.inv_dir[0] >= 0.0 { (node.min_x, node.max_x) } else { (node.max_x, node.min_x) };
    let (ny, fy) =
        if ray.inv_dir[1] >= 0.0 { (node.min_y, node.max_y) } else { (node.max_y, node.min_y) };
    let (nz, fz) =
        if ray.inv_dir[2] >= 0.0 { (node.min_z, node.max_z) } else { (node.max_z, node.min_z) };
    let (ox, oy, oz) =
        (f32x4::splat(ray.origin[0]), f32x4::splat(ray.origin[1]), f32x4::splat(ray.origin[2]));
    let (ix, iy, iz) =
        (f32x4::splat(ray.inv_dir[0]), f32x4::splat(ray.inv_dir[1]), f32x4::splat(ray.inv_dir[2]));
    let tnx = (f32x4::from(nx) - ox) * ix;
    let tfx = (f32x4::from(fx) - ox) * ix;
    let tny = (f32x4::from(ny) - oy) * iy;
    let tfy = (f32x4::from(fy) - oy) * iy;
    let tnz = (f32x4::from(nz) - oz) * iz;
    let tfz = (f32x4::from(fz) - oz) * iz;
    let near = tnx.fast_max(tny).fast_max(tnz.fast_max(f32x4::splat(ray.t_min)));
    let far = tfx.fast_min(tfy).fast_min(tfz.fast_min(f32x4::splat(t_max)));
    (near, near.simd_le(far).to_bitmask())
}

/// Intersects the ray with a block of four triangles (4-wide Möller–Trumbore, the same arithmetic
/// as [`intersect_triangle`] lane by lane). Returns the nearest hit before `t_max` as
/// `(t, triangle index, u, v)`.
#[inline(always)]
fn intersect_tri4(ray: &Ray, tri: &Tri4, t_max: f32) -> Option<(f32, u32, f32, f32)> {
    const EDGE_EPS: f32 = 1e-6;
    let (dx, dy, dz) =
        (f32x4::splat(ray.dir[0]), f32x4::splat(ray.dir[1]), f32x4::splat(ray.dir[2]));
    let (e1x, e1y, e1z) = (f32x4::from(tri.e1x), f32x4::from(tri.e1y), f32x4::from(tri.e1z));
    let (e2x, e2y, e2z) = (f32x4::from(tri.e2x), f32x4::from(tri.e2y), f32x4::from(tri.e2z));
    // p = d × e2
    let px = dy * e2z - dz * e2y;
    let py = dz * e2x - dx * e2z;
    let pz = dx * e2y - dy * e2x;
    let det = e1x * px + e1y * py + e1z * pz;
    let inv = f32x4::ONE / det;
    let sx = f32x4::splat(ray.origin[0]) - f32x4::from(tri.v0x);
    let sy = f32x4::splat(ray.origin[1]) - f32x4::from(tri.v0y);
    let sz = f32x4::splat(ray.origin[2]) - f32x4::from(tri.v0z);
    let u = (sx * px + sy * py + sz * pz) * inv;
    // q = s × e1
    let qx = sy * e1z - sz * e1y;
    let qy = sz * e1x - sx * e1z;
    let qz = sx * e1y - sy * e1x;
    let v = (dx * qx + dy * qy + dz * qz) * inv;
    let t = (e2x * qx + e2y * qy + e2z * qz) * inv;
    let eps = f32x4::splat(EDGE_EPS);
    let ok = (det.abs().simd_lt(f32x4::splat(1e-20)).to_bitmask() ^ 0xF)
        & (-eps).simd_le(u).to_bitmask()
        & u.simd_le(f32x4::ONE + eps).to_bitmask()
        & (-eps).simd_le(v).to_bitmask()
        & (u + v).simd_le(f32x4::ONE + eps).to_bitmask()
        & f32x4::splat(ray.t_min).simd_lt(t).to_bitmask()
        & t.simd_lt(f32x4::splat(t_max)).to_bitmask();
    if ok == 0 {
        return None;
    }
    let (ta, ua, va) = (t.to_array(), u.to_array(), v.to_array());
    let mut best: Option<(f32, u32, f32, f32)> = None;
    for lane in 0..4 {
        if ok & (1 << lane) != 0 && tri.id[lane] != u32::MAX && best.is_none_or(|b| ta[lane] < b.0)
        {
            best = Some((ta[lane], tri.id[lane], ua[lane], va[lane]));
        }
    }
    best
}

/// A pending entry of the 4-wide traversal: a node and the ray's entry distance. Callers that
/// trace many rays keep a `Vec<Pending>` and pass it to [`closest_hit4_with`] to avoid setting
/// up a stack per ray.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    index: u32,
    t: f32,
}

/// The nearest triangle along the ray, if any, walking the 4-wide hierarchy.
pub fn closest_hit4(bvh: &Bvh4, ray: &Ray) -> Option<Hit> {
    closest_hit4_with(&mut Vec::with_capacity(STACK), bvh, ray)
}

/// [`closest_hit4`] with a caller-provided traversal stack (emptied on entry).
///
/// At each node the children the ray enters are found with one 4-wide box test; leaf children
/// are intersected at once, four triangles per test (which shrinks the search distance early),
/// the nearest interior child is descended into directly, and the others are pushed with their
/// entry distances. Empty child slots have inverted boxes, so no ray ever enters them.
pub fn closest_hit4_with(stack: &mut Vec<Pending>, bvh: &Bvh4, ray: &Ray) -> Option<Hit> {
    let mut best: Option<Hit> = None;
    let mut t_best = ray.t_max;
    stack.clear();
    if bvh.nodes.is_empty() {
        return None;
    }
    let mut node_idx = 0u32;
    loop {
        let node = &bvh.nodes[node_idx as usize];
        let (near, mut mask) = box_entry4(ray, node, t_best);
        let near = near.to_array();
        let mut next: Option<(u32, f32)> = None;
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let tk = near[k];
            if tk >= t_best {
                continue;
            }
            if node.count[k] > 0 {
                let first = node.child[k] as usize;
                for block in &bvh.triangles[first..first + node.count[k] as usize] {
                    if let Some((th, id, u, v)) = intersect_tri4(ray, block, t_best) {
                        t_best = th;
                        best = Some(Hit { t: th, triangle: id, u, v });
                    }
                }
            } else {
                let child = (node.child[k], tk);
                match next {
                    None => next = Some(child),
                    Some(current) if tk < current.1 => {
                        stack.push(Pending { index: current.0, t: current.1 });
                        next = Some(child);
                    }
                    Some(_) => stack.push(Pending { index: child.0, t: tk }),
                }
            }
        }
        match next {
            Some((child, tk)) if tk < t_best => node_idx = child,
            _ => loop {
                let Some(item) = stack.pop() else { return best };
                if item.t < t_best {
                    node_idx = item.index;
                    break;
                }
            },
        }
    }
}

/// True if any triangle lies along the ray within `(t_min, t_max)`, on the 4-wide hierarchy.
pub fn any_hit4(bvh: &Bvh4, ray: &Ray) -> bool {
    let mut stack = [0u32; STACK];
    let mut sp = 1usize;
    if bvh.nodes.is_empty() {
        return false;
    }
    while sp > 0 {
        sp -= 1;
        let node = &bvh.nodes[stack[sp] as usize];
        let (_, mut mask) = box_entry4(ray, node, ray.t_max);
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if node.count[k] > 0 {
                let first = node.child[k] as usize;
                if bvh.triangles[first..first + node.count[k] as usize]
                    .iter()
                    .any(|b| intersect_tri4(ray, b, ray.t_max).is_some())
                {
                    return true;
                }
            } else if sp < STACK && node.child[k] != EMPTY_CHILD {
                stack[sp] = node.child[k];
                sp += 1;
            }
        }
    }
    false
}
