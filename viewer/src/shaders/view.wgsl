// The viewer's two pipelines (both read `P`; the triangles only its view): rasters (coverage values, their difference from the baseline,
// buildings, unserved areas) coloured through a lookup table, and coloured triangles (links,
// nodes, sector wedges). World coordinates are scene metres; `center` and `half` map them to
// clip space.

struct RasterParams {
    center: vec2<f32>,
    half: vec2<f32>,
    origin: vec2<f32>,
    cell: f32,
    // 0 continuous, 1 categorical, 2 difference (a - b), 3 changed (a != b), 4 buildings,
    // 5 unserved (a == 1).
    mode: u32,
    size: vec2<u32>,
    lut_len: u32,
    _pad0: u32,
    vmin: f32,
    vmax: f32,
    alpha: f32,
    _pad1: f32,
    tint: vec4<f32>,
}
// 80 bytes: RasterParams in render.rs.

@group(0) @binding(0) var<uniform> P: RasterParams;
@group(0) @binding(1) var a_tex: texture_2d<f32>;
@group(0) @binding(2) var b_tex: texture_2d<f32>;
@group(0) @binding(3) var lut: texture_2d<f32>;

struct RasterOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world: vec2<f32>,
}

@vertex
fn raster_vs(@builtin(vertex_index) i: u32) -> RasterOut {
    var corners = array<vec2<f32>, 6>(
        vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(1.0, 1.0),
        vec2(0.0, 0.0), vec2(1.0, 1.0), vec2(0.0, 1.0),
    );
    let extent = vec2<f32>(P.size) * P.cell;
    let world = P.origin + corners[i] * extent;
    var out: RasterOut;
    out.clip = vec4((world - P.center) / P.half, 0.0, 1.0);
    out.world = world;
    return out;
}

fn is_nan(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn texel(t: texture_2d<f32>, c: vec2<i32>) -> f32 {
    let cc = clamp(c, vec2(0), vec2<i32>(P.size) - vec2(1));
    return textureLoad(t, cc, 0).r;
}

fn lut_at(t: f32) -> vec4<f32> {
    let n = f32(P.lut_len - 1u);
    let i = u32(round(clamp(t, 0.0, 1.0) * n));
    return textureLoad(lut, vec2(i32(i), 0), 0);
}

@fragment
fn raster_fs(in: RasterOut) -> @location(0) vec4<f32> {
    let c = vec2<i32>(floor((in.world - P.origin) / P.cell));
    if any(c < vec2(0)) || any(c >= vec2<i32>(P.size)) {
        discard;
    }
    let a = texel(a_tex, c);
    var colour: vec4<f32>;
    switch P.mode {
        case 0u: {
            if is_nan(a) { discard; }
            colour = lut_at((a - P.vmin) / (P.vmax - P.vmin));
        }
        case 1u: {
            if is_nan(a) || a < 0.0 { discard; }
            colour = textureLoad(lut, vec2(i32(u32(a) % P.lut_len), 0), 0);
        }
        case 2u: {
            let b = texel(b_tex, c);
            if is_nan(a) || is_nan(b) { discard; }
            colour = lut_at(((a - b) - P.vmin) / (P.vmax - P.vmin));
        }
        case 3u: {
            let b = texel(b_tex, c);
            if is_nan(a) || is_nan(b) || (a < 0.0 && b < 0.0) { discard; }
            colour = textureLoad(lut, vec2(select(0, 1, a != b), 0), 0);
        }
        case 4u: {
            if a < 0.5 { discard; }
            let edge = texel(a_tex, c + vec2(1, 0)) < 0.5 || texel(a_tex, c - vec2(1, 0)) < 0.5
                || texel(a_tex, c + vec2(0, 1)) < 0.5 || texel(a_tex, c - vec2(0, 1)) < 0.5;
            let shade = 1.0 - 0.3 * clamp(a / 80.0, 0.0, 1.0);
            colour = select(vec4(P.tint.rgb * shade, 1.0), vec4(P.tint.rgb * 0.55, 1.0), edge);
        }
        default: {
            if a != 1.0 { discard; }
            colour = P.tint;
        }
    }
    return vec4(colour.rgb, colour.a * P.alpha);
}

struct TriOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) colour: vec4<f32>,
}

@vertex
fn tri_vs(@location(0) pos: vec2<f32>, @location(1) colour: vec4<f32>) -> TriOut {
    var out: TriOut;
    out.clip = vec4((pos - P.center) / P.half, 0.0, 1.0);
    out.colour = colour;
    return out;
}

@fragment
fn tri_fs(in: TriOut) -> @location(0) vec4<f32> {
    return in.colour;
}
