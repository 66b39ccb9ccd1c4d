//! The overlay drawn over the map in the window and in screenshots alike: the title, the colour
//! bar of the raster with its scale, the panel labels and the legend of links and unserved
//! areas. Painted with egui straight onto a foreground layer, so a single headless frame shows
//! all of it.

use std::collections::HashMap;

use egui::{Align2, Color32, FontId, LayerId, Order, Pos2, Rect, Stroke, TextureHandle, Vec2};

use crate::colormap::{self, Scale};
use crate::data::RunData;
use crate::render::{Compare, PxRect, ViewState, panels};

/// Where the colour bar was drawn, in pixels, and the scale it shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourBar {
    /// The bar's rectangle: x, y (top left), width, height; entry `i` of the table fills the
    /// `i`-th equal slice from the left.
    pub rect: PxRect,
    /// The scale.
    pub scale: Scale,
}

impl ColourBar {
    /// The pixel centre of table entry `i` on the bar.
    pub fn entry_px(&self, i: usize) -> (f32, f32) {
        let n = colormap::table(self.scale).len() as f32;
        (self.rect[0] + (i as f32 + 0.5) / n * self.rect[2], self.rect[1] + 0.5 * self.rect[3])
    }
}

/// egui textures of the lookup tables, kept across frames.
#[derive(Default)]
pub struct LutTextures {
    handles: HashMap<String, TextureHandle>,
}

impl std::fmt::Debug for LutTextures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LutTextures").field("n", &self.handles.len()).finish()
    }
}

impl LutTextures {
    fn get(&mut self, ctx: &egui::Context, scale: Scale) -> egui::TextureId {
        let key = format!("{scale:?}");
        self.handles
            .entry(key.clone())
            .or_insert_with(|| {
                let table = colormap::table(scale);
                let bytes: Vec<u8> = table.iter().flatten().copied().collect();
                let image = egui::ColorImage::from_rgba_unmultiplied([table.len(), 1], &bytes);
                ctx.load_texture(key, image, egui::TextureOptions::NEAREST)
            })
            .id()
    }
}

fn c32(c: [u8; 4]) -> Color32 {
    Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3])
}

fn label_box(p: &egui::Painter, pos: Pos2, anchor: Align2, text: &str, size: f32) -> Rect {
    let font = FontId::proportional(size);
    let galley = p.layout_no_wrap(text.to_string(), font, Color32::from_gray(20));
    let rect = anchor.anchor_size(pos, galley.size()).expand(4.0);
    p.rect_filled(rect, 3.0, Color32::from_rgba_unmultiplied(255, 255, 255, 225));
    p.galley(rect.min + Vec2::splat(4.0), galley, Color32::from_gray(20));
    rect
}

/// Paints the overlay for `view` over the map area `area` (points = pixels at scale 1) and
/// returns where the colour bar is.
pub fn paint_overlay(
    ctx: &egui::Context,
    luts: &mut LutTextures,
    data: &RunData,
    view: &ViewState,
    area: PxRect,
) -> Option<ColourBar> {
    let p = ctx.layer_painter(LayerId::new(Order::Foreground, egui::Id::unique("map overlay")));
    titles(&p, data, view, area);
    legend(&p, view, area);
    if !view.layers.coverage {
        return None;
    }
    Some(colour_bar(ctx, &p, luts, data, view, area))
}

/// The title (scenario, what is shown, when), and each panel's variant side by side.
fn titles(p: &egui::Painter, data: &RunData, view: &ViewState, area: PxRect) {
    let names = data.variant_names();
    let variant = names.get(view.variant).cloned().unwrap_or_default();
    let what = match view.compare {
        Compare::Single => format!("{variant}: {}", view.field.name()),
        Compare::SideBySide => format!("baseline | {variant}: {}", view.field.name()),
        Compare::Difference => format!("{variant} minus baseline: {}", view.field.name()),
    };
    let title =
        format!("{} · {} · {}", data.index.scenario, what, data.interval_label(view.interval));
    label_box(p, Pos2::new(area[0] + 8.0, area[1] + 8.0), Align2::LEFT_TOP, &title, 15.0);
    if view.compare == Compare::SideBySide {
        for panel in panels(view, area) {
            let name = names.get(panel.variant).cloned().unwrap_or_default();
            label_box(
                p,
                Pos2::new(panel.rect[0] + panel.rect[2] - 8.0, panel.rect[1] + 8.0),
                Align2::RIGHT_TOP,
                &name,
                14.0,
            );
        }
        let x = area[0] + (area[2] / 2.0).floor();
        p.line_segment(
            [Pos2::new(x, area[1]), Pos2::new(x, area[1] + area[3])],
            Stroke::new(2.0, Color32::from_gray(40)),
        );
    }
}

/// The legend, bottom left: links and unserved areas, where those layers are on.
fn legend(p: &egui::Painter, view: &ViewState, area: PxRect) {
    let mut y = area[1] + area[3] - 10.0;
    if view.layers.transport {
        let r = label_box(
            p,
            Pos2::new(area[0] + 30.0, y),
            Align2::LEFT_BOTTOM,
            "links: utilisation 0 to 100 % (green to red, wider); down",
            12.0,
        );
        let sw = |x: f32, c: [u8; 4]| {
            p.rect_filled(
                Rect::from_min_size(Pos2::new(x, r.center().y - 3.0), Vec2::new(14.0, 6.0)),
                0.0,
                c32(c),
            );
        };
        sw(area[0] + 10.0, colormap::link_colour(0.1));
        sw(r.max.x + 4.0, colormap::FAILED_LINK);
        y = r.min.y - 4.0;
    }
    if view.layers.unserved {
        let r = label_box(
            p,
            Pos2::new(area[0] + 30.0, y),
            Align2::LEFT_BOTTOM,
            "unserved outdoor area",
            12.0,
        );
        p.rect_filled(
            Rect::from_min_size(
                Pos2::new(area[0] + 10.0, r.center().y - 6.0),
                Vec2::new(14.0, 12.0),
            ),
            0.0,
            c32(colormap::UNSERVED),
        );
    }
}

/// The colour bar, bottom right, drawn from the same lookup table as the raster, with its
/// heading and ticks.
fn colour_bar(
    ctx: &egui::Context,
    p: &egui::Painter,
    luts: &mut LutTextures,
    data: &RunData,
    view: &ViewState,
    area: PxRect,
) -> ColourBar {
    let difference = view.compare == Compare::Difference;
    let scale = view.field.scale(difference, &data.index);
    let (bw, bh) = (300.0f32, 16.0f32);
    let bx = area[0] + area[2] - bw - 20.0;
    let by = area[1] + area[3] - bh - 30.0;
    let frame =
        Rect::from_min_size(Pos2::new(bx - 10.0, by - 26.0), Vec2::new(bw + 20.0, bh + 50.0));
    p.rect_filled(frame, 4.0, Color32::from_rgba_unmultiplied(255, 255, 255, 235));
    let bar = Rect::from_min_size(Pos2::new(bx, by), Vec2::new(bw, bh));
    let tex = luts.get(ctx, scale);
    p.image(tex, bar, Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)), Color32::WHITE);
    p.rect_stroke(
        bar.expand(1.0),
        0.0,
        Stroke::new(1.0, Color32::from_gray(60)),
        egui::StrokeKind::Outside,
    );
    let font = FontId::proportional(12.0);
    let dark = Color32::from_gray(20);
    let unit = view.field.unit();
    let heading = if difference {
        // A difference of levels in dBm is in dB.
        let unit = if unit == "dBm" { "dB" } else { unit };
        format!("{} difference, {unit}", view.field.name())
    } else if matches!(scale, Scale::Categorical) {
        "best server (colours repeat every 20 cells)".to_string()
    } else {
        format!("{}, {unit}", view.field.name())
    };
    p.text(Pos2::new(bx, by - 4.0), Align2::LEFT_BOTTOM, heading, font.clone(), dark);
    match scale {
        Scale::Continuous { min, max, .. } => {
            for (t, v) in [(0.0f32, min), (0.5, 0.5 * (min + max)), (1.0, max)] {
                let x = bx + t * bw;
                p.line_segment(
                    [Pos2::new(x, by + bh), Pos2::new(x, by + bh + 4.0)],
                    Stroke::new(1.0, dark),
                );
                let anchor = if t == 0.0 {
                    Align2::LEFT_TOP
                } else if t == 1.0 {
                    Align2::RIGHT_TOP
                } else {
                    Align2::CENTER_TOP
                };
                let text = if difference { format!("{v:+}") } else { format!("{v}") };
                p.text(Pos2::new(x, by + bh + 5.0), anchor, text, font.clone(), dark);
            }
        }
        Scale::Changed => {
            p.text(Pos2::new(bx, by + bh + 5.0), Align2::LEFT_TOP, "same", font.clone(), dark);
            p.text(Pos2::new(bx + bw, by + bh + 5.0), Align2::RIGHT_TOP, "changed", font, dark);
        }
        Scale::Categorical => {}
    }
    ColourBar { rect: [bar.min.x, bar.min.y, bar.width(), bar.height()], scale }
}

/// The keyboard shortcuts, for the help overlay and the documentation.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("drag / arrow keys", "pan"),
    ("wheel / + -", "zoom at the cursor / centre"),
    ("0", "fit the run's area"),
    ("1 2 3 4", "RSRP, SINR, best server, throughput"),
    ("space", "play / pause over the intervals"),
    (", .", "previous / next interval"),
    ("[ ]", "previous / next day"),
    ("v / shift+v", "next / previous variant"),
    ("n", "single view"),
    ("s", "side by side with the baseline"),
    ("d", "difference from the baseline"),
    ("b c u t l", "toggle buildings, coverage, unserved, transport, sites"),
    ("h or F1", "this help"),
    ("q / Esc", "quit"),
];
