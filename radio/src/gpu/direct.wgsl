// Direct paths to the grid points of a coverage map (after antenna.wgsl), as
// radio::propagation::paths::direct_path: the straight path from the transmitter, with the
// ITU-R P.526 knife-edge loss of the dominant edge of its vertical profile on the scene's surface
// model (radio::scene::Dsm). The CPU finds that edge by branch and bound over the coarse raster;
// here every fine cell the path crosses is visited in order, which finds the same edge (the
// bound is exact) with no per-thread lists. One invocation per grid point of a tile.

struct DirectParams {
    // Transmitter position, and the wavelength in w.
    tx: vec4<f32>,
    // Grid: x_min, y_min, cell size, height.
    grid: vec4<f32>,
    // Surface model: origin x, origin y, cell size, the edge step (EDGE_STEP_M).
    dsm: vec4<f32>,
    grid_nx: u32,
    dsm_nx: u32,
    dsm_ny: u32,
    // The first grid point of this tile.
    first: u32,
    // Points in this tile.
    count: u32,
    // Knife-edge diffraction on (1) or off (0: an edge above the line of sight blocks the path).
    diffraction: u32,
    _pad0: u32,
    _pad1: u32,
}

const BIG: f32 = 3.0e38;
const PI: f32 = 3.141592653589793;
// radio::propagation::diffraction's S_TOLERANCE.
const S_TOLERANCE: f32 = 1e-9;

@group(0) @binding(20) var<storage, read> heights: array<f32>;
@group(0) @binding(21) var<storage, read> outdoor: array<u32>;
@group(0) @binding(22) var<storage, read_write> direct_out: array<vec2<f32>>;
@group(0) @binding(23) var<uniform> dp: DirectParams;

// The knife-edge search's running state: the best edge so far (v, s along the path, height),
// and the profile cell waiting for its next neighbour.
struct Profile {
    best_v: f32,
    best_s: f32,
    best_h: f32,
    found: bool,
    prev_h: f32,
    cur_h: f32,
    cur_s_in: f32,
    cur_s_out: f32,
    have_cur: bool,
}

// Examines the pending cell now that its next neighbour's height is known.
fn examine(p: ptr<function, Profile>, next_h: f32, excl: f32, tz: f32, dz: f32, factor_k: f32) {
    let h = (*p).cur_h;
    let s_in = (*p).cur_s_in;
    let s_out = (*p).cur_s_out;
    let a = excl;
    let b = 1.0 - excl;
    if s_out <= a + S_TOLERANCE || s_in >= b - S_TOLERANCE || !(h > -BIG) {
        return;
    }
    if !(h > (*p).prev_h + dp.dsm.w || h > next_h + dp.dsm.w) {
        return;
    }
    for (var k = 0u; k < 2u; k++) {
        var s = max(s_in, a);
        if k == 1u {
            s = min(s_out, b);
        }
        let v = (h - (tz + dz * s)) * sqrt(factor_k / (s * (1.0 - s)));
        if v > -0.78 && (!(*p).found || v > (*p).best_v) {
            (*p).best_v = v;
            (*p).best_s = s;
            (*p).best_h = h;
            (*p).found = true;
        }
    }
}

fn visit(p: ptr<function, Profile>, h: f32, s_in: f32, s_out: f32, excl: f32, tz: f32, dz: f32, factor_k: f32) {
    if (*p).have_cur {
        examine(p, h, excl, tz, dz, factor_k);
        (*p).prev_h = (*p).cur_h;
    }
    (*p).cur_h = h;
    (*p).cur_s_in = s_in;
    (*p).cur_s_out = s_out;
    (*p).have_cur = true;
}

// P.526 eq. (31), as radio::propagation::diffraction::knife_edge_loss_db.
fn knife_edge_loss_db(v: f32) -> f32 {
    if v <= -0.78 {
        return 0.0;
    }
    let w = v - 0.1;
    return 6.9 + 20.0 * log(sqrt(w * w + 1.0) + w) / log(10.0);
}

// The dominant edge of the profile from `tx` to `rx`: the largest v above −0.78 (returned in a
// Profile whose `found` says whether there is one).
fn profile_search(tx: vec3<f32>, rx: vec3<f32>, lambda: f32) -> Profile {
    var p = Profile(-BIG, 0.0, 0.0, false, -BIG, -BIG, 0.0, 0.0, false);
    let cell = dp.dsm.z;
    let d2 = length(rx.xy - tx.xy);
    let d3 = length(rx - tx);
    if d2 < 2.0 * cell {
        return p;
    }
    let excl = 1.5 * cell / d2;
    let factor_k = 2.0 / (lambda * d3);
    let tz = tx.z;
    let dz = rx.z - tx.z;
    // The Amanatides–Woo walk of radio::scene::dsm, relative to the raster's origin, clipped to
    // the raster (Liang–Barsky).
    let x0 = tx.x - dp.dsm.x;
    let y0 = tx.y - dp.dsm.y;
    let dx = rx.x - tx.x;
    let dy = rx.y - tx.y;
    let w = f32(dp.dsm_nx) * cell;
    let h = f32(dp.dsm_ny) * cell;
    var s0 = 0.0;
    var s1 = 1.0;
    var ps = array<f32, 4>(-dx, dx, -dy, dy);
    var qs = array<f32, 4>(x0, w - x0, y0, h - y0);
    for (var k = 0u; k < 4u; k++) {
        if ps[k] == 0.0 {
            if qs[k] < 0.0 {
                return p;
            }
        } else {
            let r = qs[k] / ps[k];
            if ps[k] < 0.0 {
                s0 = max(s0, r);
            } else {
                s1 = min(s1, r);
            }
        }
    }
    if s0 > s1 {
        return p;
    }
    let sx = x0 + s0 * dx;
    let sy = y0 + s0 * dy;
    var ix = i32(min(u32(max(floor(sx / cell), 0.0)), dp.dsm_nx - 1u));
    var iy = i32(min(u32(max(floor(sy / cell), 0.0)), dp.dsm_ny - 1u));
    var step_x = -1;
    if dx > 0.0 {
        step_x = 1;
    }
    var step_y = -1;
    if dy > 0.0 {
        step_y = 1;
    }
    var t_x = BIG;
    var dt_x = BIG;
    if dx != 0.0 {
        var edge = f32(ix) * cell;
        if step_x > 0 {
            edge = f32(ix + 1) * cell;
        }
        t_x = (edge - x0) / dx;
        dt_x = cell / abs(dx);
    }
    var t_y = BIG;
    var dt_y = BIG;
    if dy != 0.0 {
        var edge = f32(iy) * cell;
        if step_y > 0 {
            edge = f32(iy + 1) * cell;
        }
        t_y = (edge - y0) / dy;
        dt_y = cell / abs(dy);
    }
    var s = s0;
    loop {
        let s_next = min(min(t_x, t_y), s1);
        let hc = heights[u32(iy) * dp.dsm_nx + u32(ix)];
        visit(&p, hc, s, s_next, excl, tz, dz, factor_k);
        if s_next >= s1 {
            break;
        }
        s = s_next;
        if t_x <= t_y {
            ix += step_x;
            t_x += dt_x;
        } else {
            iy += step_y;
            t_y += dt_y;
        }
        if ix < 0 || iy < 0 || ix >= i32(dp.dsm_nx) || iy >= i32(dp.dsm_ny) {
            break;
        }
    }
    if p.have_cur {
        examine(&p, -BIG, excl, tz, dz, factor_k);
    }
    return p;
}

// Writes (path gain, 1 if in line of sight) for each grid point of the tile; (0, 0) indoors.
@compute @workgroup_size(64)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = gid.x;
    if k >= dp.count {
        return;
    }
    let i = dp.first + k;
    if (outdoor[i / 32u] & (1u << (i % 32u))) == 0u {
        direct_out[k] = vec2<f32>(0.0, 0.0);
        return;
    }
    let rx = vec3<f32>(
        dp.grid.x + (f32(i % dp.grid_nx) + 0.5) * dp.grid.z,
        dp.grid.y + (f32(i / dp.grid_nx) + 0.5) * dp.grid.z,
        dp.grid.w,
    );
    let tx = dp.tx.xyz;
    let lambda = dp.tx.w;
    let d = rx - tx;
    let dist = length(d);
    if dist < 1e-6 {
        direct_out[k] = vec2<f32>(0.0, 0.0);
        return;
    }
    let e = profile_search(tx, rx, lambda);
    var departure = d / dist;
    var arrival = departure;
    var loss_db = 0.0;
    var los = 1.0;
    if e.found {
        if dp.diffraction == 0u {
            // Without diffraction the profile only decides whether the path exists.
            if e.best_v > 0.0 {
                direct_out[k] = vec2<f32>(0.0, 0.0);
                return;
            }
        } else {
            loss_db = knife_edge_loss_db(e.best_v);
            if e.best_v > 0.0 {
                los = 0.0;
                let top = vec3<f32>(tx.xy + (rx.xy - tx.xy) * e.best_s, e.best_h);
                departure = normalize(top - tx);
                arrival = normalize(rx - top);
            }
        }
    }
    var field = antenna_field(departure);
    if e.found && dp.diffraction != 0u {
        field = field - arrival * dot(field, arrival);
    }
    let amplitude = lambda / (4.0 * PI * dist);
    let gain = dot(field, field) * amplitude * amplitude * exp(-loss_db * 0.23025850929940458);
    direct_out[k] = vec2<f32>(gain, los);
}
