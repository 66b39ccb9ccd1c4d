// The scene on the GPU and the two queries every kernel asks of it: the closest surface along a
// ray, and whether anything lies along it. The binary BVH of `radio::scene::bvh` and the
// triangles are uploaded as they are in memory (the Rust structs mirrored below); the ground is
// intersected analytically first, as `radio::Scene::trace` does, with the CPU tracer's
// Möller–Trumbore test and its edge slack, so that the GPU finds the same surfaces as the CPU.
//
// This file is a library: the Rust side puts it in front of the kernels that use it
// (`radio::gpu::shader_sources`). Bindings 0–2 of group 0 are its own.

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

// radio::gpu::SceneInfo, 48 bytes: radio::scene::Ground, whether there is one, and how many BVH
// nodes there are (0: no triangles outside the ground).
struct SceneInfo {
    ground_z: f32,
    x_min: f32,
    x_max: f32,
    y_min: f32,
    y_max: f32,
    ground_plane: u32,
    ground_material: u32,
    has_ground: u32,
    n_nodes: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// A closest hit: the distance (negative where nothing is hit), the triangle (NO_TRIANGLE for the
// ground), the plane and the material. Mirrored by radio::gpu::GpuHit (16 bytes).
struct Hit {
    t: f32,
    triangle: u32,
    plane: u32,
    material: u32,
}

const NO_TRIANGLE: u32 = 0xffffffffu;
const EDGE_EPS: f32 = 1e-6;
const STACK: u32 = 64u;

@group(0) @binding(0) var<storage, read> nodes: array<BvhNode>;
@group(0) @binding(1) var<storage, read> triangles: array<Triangle>;
@group(0) @binding(2) var<uniform> scene: SceneInfo;

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

// Where the ray meets the ground within (t_min, t_max), or a negative value.
fn ground_t(o: vec3<f32>, d: vec3<f32>, t_min: f32, t_max: f32) -> f32 {
    if scene.has_ground == 0u || d.z == 0.0 {
        return -1.0;
    }
    let t = (scene.ground_z - o.z) / d.z;
    if !(t > t_min && t < t_max) {
        return -1.0;
    }
    let x = o.x + t * d.x;
    let y = o.y + t * d.y;
    if x >= scene.x_min && x <= scene.x_max && y >= scene.y_min && y <= scene.y_max {
        return t;
    }
    return -1.0;
}

// The BVH walk shared by both queries: the nearest triangle hit (any hit when `any` is set)
// within (t_min, t_max), starting from `best`.
fn walk(o: vec3<f32>, d: vec3<f32>, t_min: f32, t_max_in: f32, any: bool, best_in: Hit) -> Hit {
    var best = best_in;
    var t_max = t_max_in;
    if scene.n_nodes == 0u {
        return best;
    }
    // Division by a zero component gives ±inf, which the slab test handles.
    let inv = vec3<f32>(1.0) / d;
    if box_entry(o, inv, nodes[0].min, nodes[0].max, t_min, t_max) > t_max {
        return best;
    }
    var stack: array<u32, 64>;
    var sp = 0u;
    var node = 0u;
    loop {
        let n = nodes[node];
        if n.count > 0u {
            for (var k = 0u; k < n.count; k++) {
                let tri = triangles[n.left_first + k];
                let t = triangle_t(o, d, tri, t_min, t_max);
                if t >= 0.0 {
                    t_max = t;
                    best = Hit(t, n.left_first + k, tri.plane, tri.material);
                    if any {
                        return best;
                    }
                }
            }
        } else {
            let l = n.left_first;
            let r = l + 1u;
            let tl = box_entry(o, inv, nodes[l].min, nodes[l].max, t_min, t_max);
            let tr = box_entry(o, inv, nodes[r].min, nodes[r].max, t_min, t_max);
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
    return best;
}

// The nearest surface along the ray within (t_min, t_max), as radio::Scene::trace: the ground
// first, which bounds the search.
fn closest(o: vec3<f32>, d: vec3<f32>, t_min: f32, t_max: f32) -> Hit {
    var best = Hit(-1.0, NO_TRIANGLE, 0u, 0u);
    var limit = t_max;
    let g = ground_t(o, d, t_min, t_max);
    if g >= 0.0 {
        limit = g;
        best = Hit(g, NO_TRIANGLE, scene.ground_plane, scene.ground_material);
    }
    return walk(o, d, t_min, limit, false, best);
}

// True if a surface lies along the ray within (t_min, t_max), as radio::Scene::occluded_ray.
fn occluded(o: vec3<f32>, d: vec3<f32>, t_min: f32, t_max: f32) -> bool {
    if ground_t(o, d, t_min, t_max) >= 0.0 {
        return true;
    }
    return walk(o, d, t_min, t_max, true, Hit(-1.0, NO_TRIANGLE, 0u, 0u)).t >= 0.0;
}
