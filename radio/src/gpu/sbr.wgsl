// Shooting and bouncing rays onto the analysis grid (after trace.wgsl and antenna.wgsl), as
// radio::propagation::sbr::reflections: ray i of n leaves the transmitter along the i-th
// direction of the Fibonacci lattice, reflects specularly with the Fresnel coefficients of each
// surface's material (the CPU's tables, interpolated the same way) and carries the antenna's
// complex field vector; every segment after a bounce that crosses the grid's plane over an
// outdoor point adds |E|² / |cos θ| to that point. One invocation per ray of a tile.
//
// The sums are kept in 64-bit fixed point (2^-36 resolution) in pairs of u32 atomics, so that
// they do not depend on the order in which rays finish: a map is the same on every run.

// radio::gpu::GpuPlane, 16 bytes: the unit normal and the material.
struct Plane {
    normal: vec3<f32>,
    material: u32,
}

struct SbrParams {
    // Transmitter position, and in w the length beyond which a ray is lost.
    tx: vec4<f32>,
    // Grid: x_min, y_min, cell size, height.
    grid: vec4<f32>,
    grid_nx: u32,
    grid_ny: u32,
    // Rays in the whole map (the lattice's n) and the first ray of this tile.
    n_rays: u32,
    first_ray: u32,
    // Rays in this tile, and the most reflections per ray.
    count: u32,
    depth: u32,
    // The grid points this pass accumulates (a band of the grid when it is too big for one
    // buffer).
    cell_first: u32,
    cell_count: u32,
}

// radio::material::ReflectionTable::SIZE.
const TABLE: u32 = 1025u;
// radio::propagation::paths::SURFACE_EPS.
const SURFACE_EPS: f32 = 1e-3;
// The golden ratio's fractional part (3 − √5)/2 in 64-bit fixed point, high and low words.
const GOLDEN_HI: u32 = 0x61c88646u;
const GOLDEN_LO: u32 = 0x80b583eau;
const TAU: f32 = 6.283185307179586;
// Largest contribution kept (the sums' integer part has 28 bits).
const MAX_CONTRIBUTION: f32 = 1.0e8;

@group(0) @binding(30) var<storage, read> planes: array<Plane>;
// Per material, TABLE samples of (r_te.re, r_te.im, r_tm.re, r_tm.im) uniform in (cos θ)^¼.
@group(0) @binding(31) var<storage, read> reflection: array<vec4<f32>>;
@group(0) @binding(32) var<storage, read> sbr_outdoor: array<u32>;
@group(0) @binding(33) var<storage, read_write> sums: array<atomic<u32>>;
@group(0) @binding(34) var<uniform> sp: SbrParams;

// The high word of the 64-bit product of two u32.
fn mul_hi(a: u32, b: u32) -> u32 {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p0 = a0 * b0;
    let p1 = a0 * b1;
    let p2 = a1 * b0;
    let p3 = a1 * b1;
    let mid = (p0 >> 16u) + (p1 & 0xffffu) + (p2 & 0xffffu);
    return p3 + (p1 >> 16u) + (p2 >> 16u) + (mid >> 16u);
}

// radio::geometry::fibonacci_direction(i, n). The azimuth is the fractional part of i·(3 − √5)/2
// of a turn, taken in fixed point so that it stays exact for any i (i times the golden angle in
// f32 would lose whole radians).
fn fibonacci(i: u32, n: u32) -> vec3<f32> {
    let z = f32(i32(n) - 2 * i32(i) - 1) / f32(n);
    let r = sqrt(max(1.0 - z * z, 0.0));
    let turn = i * GOLDEN_HI + mul_hi(i, GOLDEN_LO);
    // As a signed fraction of a turn in [−½, ½): the angle in [−π, π), where sin and cos are
    // most accurate.
    let a = f32(bitcast<i32>(turn)) * (TAU / 4294967296.0);
    return vec3<f32>(r * cos(a), r * sin(a), z);
}

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// A complex field vector: re + j·im.
struct Field {
    re: vec3<f32>,
    im: vec3<f32>,
}

// radio::geometry::orthonormal_basis(d).0.
fn transverse_axis(d: vec3<f32>) -> vec3<f32> {
    let sign = select(-1.0, 1.0, d.z >= 0.0);
    let a = -1.0 / (sign + d.z);
    let b = d.x * d.y * a;
    return vec3<f32>(1.0 + sign * d.x * d.x * a, sign * b, -sign * d.x);
}

// radio::propagation::field::reflect_field: `k` the unit incoming direction, `n` the unit normal
// on the incoming side, `r` = (r_te, r_tm).
fn reflect_field(e: Field, k: vec3<f32>, n: vec3<f32>, r: vec4<f32>) -> Field {
    let k_r = k - n * (2.0 * dot(k, n));
    let c = cross(k, n);
    let norm = length(c);
    var e_perp = transverse_axis(k);
    if norm > 1e-6 {
        e_perp = c / norm;
    }
    let e_par_i = cross(e_perp, k);
    let e_par_r = cross(e_perp, k_r);
    let a_perp = cmul(vec2<f32>(dot(e.re, e_perp), dot(e.im, e_perp)), r.xy);
    let a_par = cmul(vec2<f32>(dot(e.re, e_par_i), dot(e.im, e_par_i)), r.zw);
    return Field(e_perp * a_perp.x + e_par_r * a_par.x, e_perp * a_perp.y + e_par_r * a_par.y);
}

// radio::material::ReflectionTable::reflection.
fn reflection_at(material: u32, cos_theta: f32) -> vec4<f32> {
    let x = sqrt(sqrt(clamp(cos_theta, 0.0, 1.0))) * f32(TABLE - 1u);
    let i = min(u32(x), TABLE - 2u);
    let f = x - f32(i);
    let a = reflection[material * TABLE + i];
    let b = reflection[material * TABLE + i + 1u];
    return a + (b - a) * f;
}

// The grid point under (x, y) if it is outdoor, else a value ≥ the grid's size.
fn outdoor_cell(x: f32, y: f32) -> u32 {
    let fx = (x - sp.grid.x) / sp.grid.z;
    let fy = (y - sp.grid.y) / sp.grid.z;
    let none = 0xffffffffu;
    if !(fx >= 0.0 && fy >= 0.0) || fx >= f32(sp.grid_nx) || fy >= f32(sp.grid_ny) {
        return none;
    }
    let ix = min(u32(fx), sp.grid_nx - 1u);
    let iy = min(u32(fy), sp.grid_ny - 1u);
    let cell = iy * sp.grid_nx + ix;
    if (sbr_outdoor[cell / 32u] & (1u << (cell % 32u))) == 0u {
        return none;
    }
    return cell;
}

// Adds `value` to the sum of grid point `cell`, if this pass holds it.
fn deposit(cell: u32, value: f32) {
    if cell < sp.cell_first || cell - sp.cell_first >= sp.cell_count {
        return;
    }
    let slot = 2u * (cell - sp.cell_first);
    // value · 2^36 as (hi, lo) words: value · 16 splits into an integer part and a fraction.
    let scaled = min(value, MAX_CONTRIBUTION) * 16.0;
    let whole = floor(scaled);
    let hi = u32(whole);
    let lo = u32(min((scaled - whole) * 4294967296.0, 4294967040.0));
    if lo != 0u {
        let old = atomicAdd(&sums[slot], lo);
        if old + lo < old {
            atomicAdd(&sums[slot + 1u], hi + 1u);
            return;
        }
    }
    if hi != 0u {
        atomicAdd(&sums[slot + 1u], hi);
    }
}

@compute @workgroup_size(64)
fn shoot(@builtin(global_invocation_id) gid: vec3<u32>) {
    if gid.x >= sp.count {
        return;
    }
    let i = sp.first_ray + gid.x;
    var dir = fibonacci(i, sp.n_rays);
    var origin = sp.tx.xyz;
    let t_far = sp.tx.w;
    let h = sp.grid.w;
    var e = Field(vec3<f32>(0.0), vec3<f32>(0.0));
    // The antenna's field is only needed once the ray has hit something.
    var have_e = false;
    for (var bounce = 0u; bounce <= sp.depth; bounce++) {
        // Where this segment would cross the grid's plane, if it counts.
        var cross_t = -1.0;
        var cross_cell = 0xffffffffu;
        if bounce > 0u && dir.z != 0.0 {
            let t = (h - origin.z) / dir.z;
            if t > 0.0 {
                let p = origin + dir * t;
                let cell = outdoor_cell(p.x, p.y);
                if cell != 0xffffffffu {
                    cross_t = t;
                    cross_cell = cell;
                }
            }
        }
        if bounce == sp.depth {
            // The last segment only matters if it reaches the plane unobstructed.
            if cross_t > 0.0 && have_e && !occluded(origin, dir, SURFACE_EPS, cross_t) {
                deposit(cross_cell, (dot(e.re, e.re) + dot(e.im, e.im)) / abs(dir.z));
            }
            break;
        }
        let hit = closest(origin, dir, SURFACE_EPS, t_far);
        var seg_len = t_far;
        if hit.t >= 0.0 {
            seg_len = hit.t;
        }
        if cross_t > 0.0 && have_e && cross_t < seg_len {
            deposit(cross_cell, (dot(e.re, e.re) + dot(e.im, e.im)) / abs(dir.z));
        }
        if hit.t < 0.0 {
            break;
        }
        let plane = planes[hit.plane];
        var n_in = plane.normal;
        if dot(plane.normal, dir) > 0.0 {
            n_in = -plane.normal;
        }
        let cos_theta = -dot(n_in, dir);
        let r = reflection_at(plane.material, cos_theta);
        if !have_e {
            e = Field(antenna_field(dir), vec3<f32>(0.0));
            have_e = true;
        }
        e = reflect_field(e, dir, n_in, r);
        let p = origin + dir * hit.t;
        dir = dir - n_in * (2.0 * dot(dir, n_in));
        origin = p + n_in * SURFACE_EPS;
    }
}
