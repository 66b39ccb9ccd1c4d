//! The triangle pipeline's geometry: transport links coloured and sized by utilisation, nodes,
//! sector wedges ([`shapes`]), all sized in pixels at the camera's scale; and [`probe`], the text
//! under the pointer (a raster value, or the link within a few pixels).

use bytemuck::{Pod, Zeroable};

use crate::colormap::{self, Field};
use crate::data::{Plane, RunData};
use crate::view::ViewState;

/// A vertex of the triangle pipeline: a world position and a colour (12 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct Vertex {
    pub(crate) pos: [f32; 2],
    pub(crate) colour: [u8; 4],
}

fn quad(v: &mut Vec<Vertex>, a: [f64; 2], b: [f64; 2], half_w: f64, colour: [u8; 4]) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy);
    if len <= 0.0 {
        return;
    }
    let (nx, ny) = (-dy / len * half_w, dx / len * half_w);
    let p = |x: f64, y: f64| Vertex { pos: [x as f32, y as f32], colour };
    let (p0, p1, p2, p3) = (
        p(a[0] + nx, a[1] + ny),
        p(b[0] + nx, b[1] + ny),
        p(b[0] - nx, b[1] - ny),
        p(a[0] - nx, a[1] - ny),
    );
    v.extend_from_slice(&[p0, p1, p2, p0, p2, p3]);
}

fn square(v: &mut Vec<Vertex>, c: [f64; 2], half: f64, colour: [u8; 4]) {
    quad(v, [c[0] - half, c[1]], [c[0] + half, c[1]], half, colour);
}

fn wedge(v: &mut Vec<Vertex>, c: [f64; 2], azimuth_deg: f64, r: f64, colour: [u8; 4]) {
    const WIDTH_DEG: f64 = 60.0;
    const STEPS: usize = 8;
    let p = |x: f64, y: f64| Vertex { pos: [x as f32, y as f32], colour };
    for s in 0..STEPS {
        let a0 = (azimuth_deg - 0.5 * WIDTH_DEG + WIDTH_DEG * s as f64 / STEPS as f64).to_radians();
        let a1 = (azimuth_deg - 0.5 * WIDTH_DEG + WIDTH_DEG * (s + 1) as f64 / STEPS as f64)
            .to_radians();
        // Azimuth clockwise from north: east = sin, north = cos.
        v.extend_from_slice(&[
            p(c[0], c[1]),
            p(c[0] + r * a0.sin(), c[1] + r * a0.cos()),
            p(c[0] + r * a1.sin(), c[1] + r * a1.cos()),
        ]);
    }
}

/// Up to this many links, each gets a dark outline.
const OUTLINED_LINKS: usize = 2_000;

/// Node colours by role.
fn node_style(role: &str) -> ([u8; 4], f64) {
    match role {
        "core" => ([20, 40, 110, 255], 8.0),
        "aggregation" => ([40, 90, 180, 255], 6.5),
        _ => ([90, 150, 220, 255], 4.5),
    }
}

/// The link, node and sector triangles of one panel, sized in pixels at the camera's scale.
pub(crate) fn shapes(
    data: &RunData,
    view: &ViewState,
    variant: usize,
    state: usize,
    util: Option<&[f32]>,
) -> Vec<Vertex> {
    let m = view.camera.m_per_px;
    let mut v = Vec::new();
    let entry = &data.index.variants[variant].states[state];
    if let Some(util) = util {
        let nodes = &data.index.nodes;
        // Dark outlines keep links legible over the raster; with thousands of links they only
        // double the fill (level of detail).
        let outline = data.index.links.len() <= OUTLINED_LINKS;
        for (j, link) in data.index.links.iter().enumerate() {
            let (Some(a), Some(b)) = (nodes.get(link.from), nodes.get(link.to)) else { continue };
            let down = entry.links_down.contains(&j);
            let u = util.get(j).copied().unwrap_or(0.0);
            let (colour, w) = if down {
                (colormap::FAILED_LINK, 4.0)
            } else {
                (colormap::link_colour(u), f64::from(colormap::link_width_px(u)))
            };
            let (pa, pb) = ([a.x_m, a.y_m], [b.x_m, b.y_m]);
            if outline {
                quad(&mut v, pa, pb, 0.5 * (w + 2.0) * m, [30, 30, 30, 200]);
            }
            quad(&mut v, pa, pb, 0.5 * w * m, colour);
        }
        for n in nodes {
            let (colour, half) = node_style(&n.role);
            square(&mut v, [n.x_m, n.y_m], (half + 1.5) * m, [255, 255, 255, 255]);
            square(&mut v, [n.x_m, n.y_m], half * m, colour);
        }
    }
    if view.layers.sites {
        for c in &entry.cells {
            let fill = if c.active { [250, 250, 250, 235] } else { [150, 150, 150, 200] };
            wedge(&mut v, [c.x_m, c.y_m], c.azimuth_deg, 24.0 * m, [20, 20, 20, 255]);
            wedge(&mut v, [c.x_m, c.y_m], c.azimuth_deg, 21.0 * m, fill);
        }
        for c in &entry.cells {
            square(&mut v, [c.x_m, c.y_m], 3.0 * m, [20, 20, 20, 255]);
        }
    }
    v
}

/// The value under world point `(x, y)`: the raster's, or the link within a few pixels.
pub fn probe(
    data: &RunData,
    view: &ViewState,
    variant: usize,
    difference: bool,
    x: f64,
    y: f64,
) -> Option<String> {
    let m = view.camera.m_per_px;
    let state = data.state_at(variant, view.interval);
    let entry = &data.index.variants[variant].states[state];
    if view.layers.transport {
        let util = data.link_util(variant, view.interval).ok();
        let mut best: Option<(f64, usize)> = None;
        for (j, link) in data.index.links.iter().enumerate() {
            let (Some(a), Some(b)) =
                (data.index.nodes.get(link.from), data.index.nodes.get(link.to))
            else {
                continue;
            };
            let d = segment_distance([x, y], [a.x_m, a.y_m], [b.x_m, b.y_m]);
            if d < 6.0 * m && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, j));
            }
        }
        if let Some((_, j)) = best {
            let link = &data.index.links[j];
            if entry.links_down.contains(&j) {
                return Some(format!("link {}: DOWN", link.name));
            }
            let u = util.as_ref().and_then(|u| u.get(j)).copied().unwrap_or(f32::NAN);
            return Some(format!(
                "link {}: {:.1} % of {:.1} Gbit/s",
                link.name,
                100.0 * u,
                link.capacity_bps / 1e9
            ));
        }
    }
    let g = data.index.grid;
    let ix = ((x - g.x_min_m) / g.cell_m).floor();
    let iy = ((y - g.y_min_m) / g.cell_m).floor();
    if ix < 0.0 || iy < 0.0 {
        return None;
    }
    let (ix, iy) = (ix as usize, iy as usize);
    let r = data.raster(variant, state).ok()?;
    let status = r.at(Plane::Status, ix, iy)?;
    let where_ = format!("({x:.0}, {y:.0}) m");
    if status == 0.0 {
        return Some(format!("{where_}: indoor"));
    }
    let field = view.field;
    let value = r.at(field.plane(), ix, iy)?;
    let text = if field == Field::BestServer {
        let name = |v: f32, e: &twin_format::view::StateEntry| {
            if v < 0.0 {
                "none".to_string()
            } else {
                e.cells.get(v as usize).map_or("?".into(), |c| c.id.clone())
            }
        };
        if difference {
            let bs = data.state_at(0, view.interval);
            let b = data.raster(0, bs).ok()?.at(Plane::BestServer, ix, iy)?;
            let be = &data.index.variants[0].states[bs];
            format!("best server {} (baseline {})", name(value, entry), name(b, be))
        } else {
            format!("best server {}", name(value, entry))
        }
    } else if difference {
        let bs = data.state_at(0, view.interval);
        let b = data.raster(0, bs).ok()?.at(field.plane(), ix, iy)?;
        format!(
            "{} {:+.1} {} (baseline {:.1}, variant {:.1})",
            field.name(),
            value - b,
            field.unit(),
            b,
            value
        )
    } else {
        format!("{} {:.1} {}", field.name(), value, field.unit())
    };
    let served = if status == 1.0 { ", unserved" } else { "" };
    Some(format!("{where_}: {text}{served}"))
}

fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}
