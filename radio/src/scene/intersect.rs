//! Ray queries against the flat BVH: closest hit and any hit (occlusion), in `f32`, with a fixed
//! stack and no recursion: the same algorithm a compute shader runs.

use super::Triangle;
use super::bvh::{Bvh4Node, BvhNode, EMPTY_CHILD};

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

/// Entry distances of the ray into the four boxes of a 4-wide node (`f32::INFINITY` for a
/// miss). Written lane by lane over arrays so that the compiler emits 4-wide vector code.
#[inline(always)]
fn box_entry4(ray: &Ray, node: &Bvh4Node, t_max: f32) -> [f32; 4] {
    // Per axis, the slab plane a ray with this direction sign enters first.
    let (nx, fx) =
        if ray.inv_dir[0] >= 0.0 { (&node.min_x, &node.max_x) } else { (&node.max_x, &node.min_x) };
    let (ny, fy) =
        if ray.inv_dir[1] >= 0.0 { (&node.min_y, &node.max_y) } else { (&node.max_y, &node.min_y) };
    let (nz, fz) =
        if ray.inv_dir[2] >= 0.0 { (&node.min_z, &node.max_z) } else { (&node.max_z, &node.min_z) };
    let mut out = [0.0f32; 4];
    for k in 0..4 {
        let tnx = (nx[k] - ray.origin[0]) * ray.inv_dir[0];
        let tfx = (fx[k] - ray.origin[0]) * ray.inv_dir[0];
        let tny = (ny[k] - ray.origin[1]) * ray.inv_dir[1];
        let tfy = (fy[k] - ray.origin[1]) * ray.inv_dir[1];
        let tnz = (nz[k] - ray.origin[2]) * ray.inv_dir[2];
        let tfz = (fz[k] - ray.origin[2]) * ray.inv_dir[2];
        let near = max(max(tnx, tny), max(tnz, ray.t_min));
        let far = min(min(tfx, tfy), min(tfz, t_max));
        out[k] = if near <= far { near } else { f32::INFINITY };
    }
    out
}

/// A pending entry of the 4-wide traversal: a node or a leaf, and the ray's entry distance.
/// Callers that trace many rays keep a `Vec<Pending>` and pass it to
/// [`closest_hit4_with`] to avoid setting up a stack per ray.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    index: u32,
    count: u32,
    t: f32,
}

/// The nearest triangle along the ray, if any, walking the 4-wide hierarchy.
pub fn closest_hit4(nodes: &[Bvh4Node], triangles: &[Triangle], ray: &Ray) -> Option<Hit> {
    closest_hit4_with(&mut Vec::with_capacity(STACK), nodes, triangles, ray)
}

/// [`closest_hit4`] with a caller-provided traversal stack (emptied on entry).
///
/// At each node the children the ray enters are found with one 4-wide box test; leaf children
/// are intersected at once (which shrinks the search distance early), the nearest interior child
/// is descended into directly, and the others are pushed with their entry distances. Empty child
/// slots have inverted boxes, so no ray ever enters them.
pub fn closest_hit4_with(
    stack: &mut Vec<Pending>,
    nodes: &[Bvh4Node],
    triangles: &[Triangle],
    ray: &Ray,
) -> Option<Hit> {
    let mut best: Option<Hit> = None;
    let mut t_best = ray.t_max;
    stack.clear();
    if nodes.is_empty() {
        return None;
    }
    let mut node_idx = 0u32;
    loop {
        let node = &nodes[node_idx as usize];
        let t = box_entry4(ray, node, t_best);
        let mut next: Option<(u32, f32)> = None;
        for k in 0..4 {
            let tk = t[k];
            if tk >= t_best {
                continue;
            }
            if node.count[k] > 0 {
                let first = node.child[k] as usize;
                for (i, tri) in triangles[first..first + node.count[k] as usize].iter().enumerate()
                {
                    if let Some((th, u, v)) = intersect_triangle(ray, tri, t_best) {
                        t_best = th;
                        best = Some(Hit { t: th, triangle: (first + i) as u32, u, v });
                    }
                }
            } else {
                let child = (node.child[k], tk);
                match next {
                    None => next = Some(child),
                    Some(current) if tk < current.1 => {
                        stack.push(Pending { index: current.0, count: 0, t: current.1 });
                        next = Some(child);
                    }
                    Some(_) => stack.push(Pending { index: child.0, count: 0, t: tk }),
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
pub fn any_hit4(nodes: &[Bvh4Node], triangles: &[Triangle], ray: &Ray) -> bool {
    let mut stack = [Pending { index: 0, count: 0, t: 0.0 }; STACK];
    let mut sp = 1usize;
    if nodes.is_empty() {
        return false;
    }
    while sp > 0 {
        sp -= 1;
        let item = stack[sp];
        if item.count > 0 {
            let first = item.index as usize;
            if triangles[first..first + item.count as usize]
                .iter()
                .any(|tri| intersect_triangle(ray, tri, ray.t_max).is_some())
            {
                return true;
            }
            continue;
        }
        let node = &nodes[item.index as usize];
        let t = box_entry4(ray, node, ray.t_max);
        for (k, &tk) in t.iter().enumerate() {
            if tk < f32::INFINITY && sp < STACK && node.child[k] != EMPTY_CHILD {
                stack[sp] = Pending { index: node.child[k], count: node.count[k], t: tk };
                sp += 1;
            }
        }
    }
    false
}
