// Closest hits of rays against the scene on the GPU: the binary BVH of `radio::scene::bvh`
// (nodes and triangles uploaded as they are in memory, see the Rust structs mirrored below) and
// the analytic ground, with the CPU tracer's Möller–Trumbore test and its edge slack, so that the
// GPU finds the same surfaces as the CPU.

// radio::scene::bvh::BvhNode, 32 bytes.
struct BvhNode {
    min: vec3<f32>,
    left_first: u32,
    max: vec3<f32>,
    count: u32,
}

// radio::scene::Triangle, 48 bytes.
struct Triangle {
    v0: vec3<f32>,
    material: u32,
    e1: vec3<f32>,
    plane: u32,
    e2: vec3<f32>,
    mesh: u32,
}

// radio::scene::Ground, 32 bytes.
struct Ground {
    z: f32,
    x_min: f32,
    x_max: f32,
    y_min: f32,
    y_max: f32,
    plane: u32,
    material: u32,
    present: u32,
}

// radio::gpu::GpuRay, 32 bytes.
struct Ray {
    origin: vec3<f32>,
    t_min: f32,
    dir: vec3<f32>,
    t_max: f32,
}

// radio::gpu::GpuHit, 16 bytes: the distance, the triangle (or NO_TRIANGLE for the ground), the
// plane and the material; `t` is negative where nothing is hit.
struct Hit {
    t: f32,
    triangle: u32,
    plane: u32,
    material: u32,
}

struct Params {
    n_rays: u32,
    n_nodes: u32,
    _pad0: u32,
    _pad1: u32,
}

const NO_TRIANGLE: u32 = 0xffffffffu;
const EDGE_EPS: f32 = 1e-6;
const STACK: u32 = 64u;

@group(0) @binding(0) var<storage, read> nodes: array<BvhNode>;
@group(0) @binding(1) var<storage, read> triangles: array<Triangle>;
@group(0) @binding(2) var<uniform> ground: Ground;
@group(0) @binding(3) var<storage, read> rays: array<Ray>;
@group(0) @binding(4) var<storage, read_write> hits: array<Hit>;
@group(0) @binding(5) var<uniform> params: Params;

// Distance to the box along the ray, or a value beyond t_max when it is missed.
fn box_entry(o: vec3<f32>, inv: vec3<f32>, lo: vec3<f32>, hi: vec3<f32>, t_min: f32, t_max: f32) -> f32 {
    let a = (lo - o) * inv;
    let b = (hi - o) * inv;
    let near = min(a, b);
    let far = max(a, b);
    let t0 = max(max(near.x, near.y), max(near.z, t_min));
    let t1 = min(min(far.x, far.y), min(far.z, t_max));
    if t0 <= t1 {
        return t0;
    }
    return 3.0e38;
}

// Möller–Trumbore, as radio::scene::intersect::intersect_triangle; a negative value on a miss.
fn triangle_t(o: vec3<f32>, d: vec3<f32>, tri: Triangle, t_min: f32, t_max: f32) -> f32 {
    let p = cross(d, tri.e2);
    let det = dot(tri.e1, p);
    if abs(det) < 1e-20 {
        return -1.0;
    }
    let inv = 1.0 / det;
    let s = o - tri.v0;
    let u = dot(s, p) * inv;
    if u < -EDGE_EPS || u > 1.0 + EDGE_EPS {
        return -1.0;
    }
    let q = cross(s, tri.e1);
    let v = dot(d, q) * inv;
    if v < -EDGE_EPS || u + v > 1.0 + EDGE_EPS {
        return -1.0;
    }
    let t = dot(tri.e2, q) * inv;
    if t > t_min && t < t_max {
        return t;
    }
    return -1.0;
}

@compute @workgroup_size(64)
fn closest_hit(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= params.n_rays {
        return;
    }
    let ray = rays[i];
    let o = ray.origin;
    let d = ray.dir;
    // Division by a zero component gives ±inf, which the slab test handles.
    let inv = vec3<f32>(1.0) / d;
    var best = Hit(-1.0, NO_TRIANGLE, 0u, 0u);
    var t_max = ray.t_max;
    // The ground first: it bounds the search.
    if ground.present != 0u && d.z != 0.0 {
        let t = (ground.z - o.z) / d.z;
        if t > ray.t_min && t < t_max {
            let x = o.x + t * d.x;
            let y = o.y + t * d.y;
            if x >= ground.x_min && x <= ground.x_max && y >= ground.y_min && y <= ground.y_max {
                t_max = t;
                best = Hit(t, NO_TRIANGLE, ground.plane, ground.material);
            }
        }
    }
    if params.n_nodes == 0u {
        hits[i] = best;
        return;
    }
    var stack: array<u32, 64>;
    var sp = 0u;
    var node = 0u;
    if box_entry(o, inv, nodes[0].min, nodes[0].max, ray.t_min, t_max) > t_max {
        hits[i] = best;
        return;
    }
    loop {
        let n = nodes[node];
        if n.count > 0u {
            for (var k = 0u; k < n.count; k++) {
                let tri = triangles[n.left_first + k];
                let t = triangle_t(o, d, tri, ray.t_min, t_max);
                if t >= 0.0 {
                    t_max = t;
                    best = Hit(t, n.left_first + k, tri.plane, tri.material);
                }
            }
        } else {
            let l = n.left_first;
            let r = l + 1u;
            let tl = box_entry(o, inv, nodes[l].min, nodes[l].max, ray.t_min, t_max);
            let tr = box_entry(o, inv, nodes[r].min, nodes[r].max, ray.t_min, t_max);
            let hit_l = tl <= t_max;
            let hit_r = tr <= t_max;
            if hit_l && hit_r {
                // The nearer child next, the farther one on the stack.
                var near = l;
                var far = r;
                if tr < tl {
                    near = r;
                    far = l;
                }
                if sp < STACK {
                    stack[sp] = far;
                    sp++;
                }
                node = near;
                continue;
            } else if hit_l {
                node = l;
                continue;
            } else if hit_r {
                node = r;
                continue;
            }
        }
        // Pop the next subtree that may still hold a nearer hit.
        if sp == 0u {
            break;
        }
        sp--;
        node = stack[sp];
    }
    hits[i] = best;
}
