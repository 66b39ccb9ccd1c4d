// The transmitting antenna on the GPU: radio::Antenna::field, with the same patterns
// (isotropic, the TR 38.901 element and TR 36.814's sector of the same form, a TR 38.901 panel
// array's closed-form array factor, a planning file's two cuts), polarisation and rotation, so
// that every path carries the antenna's field in its own direction as on the CPU.
//
// A library (see trace.wgsl): bindings 10 and 11 of group 0 are its own.

// radio::gpu::GpuAntenna, 112 bytes. `rot0..rot2` are the rows of the rotation from the antenna
// frame to the scene frame; `kind`: 0 isotropic, 1 TR 38.901 form, 2 planning-file cuts, 3 panel
// array (`n_rows` × `n_cols` elements of the kind-1 form, spaced `dv_wl`, `dh_wl` wavelengths).
struct Antenna {
    rot0: vec4<f32>,
    rot1: vec4<f32>,
    rot2: vec4<f32>,
    kind: u32,
    pol_cos: f32,
    pol_sin: f32,
    max_gain_dbi: f32,
    theta_3db: f32,
    phi_3db: f32,
    sla_v_db: f32,
    a_max_db: f32,
    elec_tilt_deg: f32,
    file_tilt_deg: f32,
    cap_db: f32,
    _pad: f32,
    n_rows: f32,
    n_cols: f32,
    dv_wl: f32,
    dh_wl: f32,
}

const DEG: f32 = 57.29577951308232;
const LN10_20: f32 = 0.11512925464970229;
const ANT_TAU: f32 = 6.283185307179586;
// 10 / ln 10: dB from a natural logarithm.
const DB_PER_NEPER: f32 = 4.342944819032518;
// radio::antenna::AF_FLOOR.
const AF_FLOOR: f32 = 1e-10;

@group(0) @binding(10) var<uniform> antenna: Antenna;
// A planning file's horizontal cut (0..360) then its vertical cut (360..720), dB below peak.
@group(0) @binding(11) var<storage, read> cuts: array<f32>;

fn wrap180(deg: f32) -> f32 {
    let a = deg + 180.0;
    return a - 360.0 * floor(a / 360.0) - 180.0;
}

// Linear interpolation in a 360-point cut starting at `base`, at any angle (wrapping).
fn interp_cut(base: u32, angle_deg: f32) -> f32 {
    let a = angle_deg - 360.0 * floor(angle_deg / 360.0);
    let fl = floor(a);
    let i = u32(fl) % 360u;
    let f = a - fl;
    return cuts[base + i] * (1.0 - f) + cuts[base + (i + 1u) % 360u] * f;
}

// radio::Tr38901::gain_dbi: the parabolic element, its vertical cut shifted `tilt_deg` down.
fn element_dbi(theta_deg: f32, phi_deg: f32, tilt_deg: f32) -> f32 {
    let phi = wrap180(phi_deg);
    let x = (theta_deg - 90.0 - tilt_deg) / antenna.theta_3db;
    let a_v = -min(12.0 * x * x, antenna.sla_v_db);
    let y = phi / antenna.phi_3db;
    let a_h = -min(12.0 * y * y, antenna.a_max_db);
    return antenna.max_gain_dbi - min(-(a_v + a_h), antenna.a_max_db);
}

// radio::antenna::dirichlet_power: sin²(mψ/2) / (m sin²(ψ/2)), m where ψ is a multiple of 2π.
fn dirichlet_power(m: f32, psi: f32) -> f32 {
    let s = sin(0.5 * psi);
    if abs(s) < 1e-7 {
        return m;
    }
    let r = sin(0.5 * m * psi) / s;
    return r * r / m;
}

// radio::PanelArray::gain_dbi: the untilted element plus the steered array factor.
fn array_dbi(theta_deg: f32, phi_deg: f32) -> f32 {
    let t = theta_deg / DEG;
    let steer = cos((90.0 + antenna.elec_tilt_deg) / DEG);
    let psi_v = ANT_TAU * antenna.dv_wl * (cos(t) - steer);
    let psi_h = ANT_TAU * antenna.dh_wl * sin(t) * sin(phi_deg / DEG);
    let af = dirichlet_power(antenna.n_rows, psi_v) * dirichlet_power(antenna.n_cols, psi_h);
    return element_dbi(theta_deg, phi_deg, 0.0) + DB_PER_NEPER * log(max(af, AF_FLOOR));
}

// radio::Pattern::gain_dbi.
fn gain_dbi(theta_deg: f32, phi_deg: f32) -> f32 {
    if antenna.kind == 1u {
        return element_dbi(theta_deg, phi_deg, antenna.elec_tilt_deg);
    }
    if antenna.kind == 3u {
        return array_dbi(theta_deg, phi_deg);
    }
    if antenna.kind == 2u {
        let phi = wrap180(phi_deg);
        // Horizontal cut angles run clockwise from boresight; φ runs counter-clockwise.
        let h = interp_cut(0u, -phi);
        let below = theta_deg - 90.0 - (antenna.elec_tilt_deg - antenna.file_tilt_deg);
        var v_angle = below;
        if abs(phi) > 90.0 {
            v_angle = 180.0 - below;
        }
        let v = interp_cut(360u, v_angle);
        return antenna.max_gain_dbi - min(h + v, antenna.cap_db);
    }
    return 0.0;
}

// radio::Antenna::field: the real field vector radiated towards the unit direction `dir`.
fn antenna_field(dir: vec3<f32>) -> vec3<f32> {
    // The direction in the antenna frame: the transposed rotation.
    let l = dir.x * antenna.rot0.xyz + dir.y * antenna.rot1.xyz + dir.z * antenna.rot2.xyz;
    let rho = length(l.xy);
    var cp = 1.0;
    var sp = 0.0;
    if rho > 1e-12 {
        cp = l.x / rho;
        sp = l.y / rho;
    }
    let ct = clamp(l.z, -1.0, 1.0);
    let st = rho;
    let g = gain_dbi(atan2(st, ct) * DEG, atan2(sp, cp) * DEG);
    let amp = exp(g * LN10_20);
    let theta_hat = vec3<f32>(ct * cp, ct * sp, -st);
    let phi_hat = vec3<f32>(-sp, cp, 0.0);
    let local = (theta_hat * antenna.pol_cos + phi_hat * antenna.pol_sin) * amp;
    return vec3<f32>(dot(antenna.rot0.xyz, local), dot(antenna.rot1.xyz, local), dot(antenna.rot2.xyz, local));
}
