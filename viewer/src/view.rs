//! What a frame shows: the camera (centre and scale), the layers that are on, the comparison
//! with the baseline, the variant, interval and field ([`ViewState`]), and the panels the map
//! area is cut into ([`panels`]). The window changes it; the renderer draws it.

use crate::colormap::Field;
use crate::data::RunData;

/// The world (scene metres) around a point, at a scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Centre east, metres.
    pub cx: f64,
    /// Centre north, metres.
    pub cy: f64,
    /// Metres per pixel.
    pub m_per_px: f64,
}

impl Camera {
    /// The camera that shows the rectangle `[x0, x1] × [y0, y1]` whole in `w × h` pixels.
    pub fn fit(x0: f64, y0: f64, x1: f64, y1: f64, w: f64, h: f64) -> Camera {
        let m = ((x1 - x0) / w.max(1.0)).max((y1 - y0) / h.max(1.0)).max(1e-6) * 1.04;
        Camera { cx: 0.5 * (x0 + x1), cy: 0.5 * (y0 + y1), m_per_px: m }
    }

    /// The camera that shows the run's grid in a viewport of `w × h` pixels.
    pub fn fit_run(data: &RunData, w: f64, h: f64) -> Camera {
        let g = &data.index.grid;
        Camera::fit(
            g.x_min_m,
            g.y_min_m,
            g.x_min_m + g.cell_m * g.nx as f64,
            g.y_min_m + g.cell_m * g.ny as f64,
            w,
            h,
        )
    }

    /// The world point under pixel `(px, py)` of a `w × h` viewport (y down).
    pub fn to_world(&self, px: f64, py: f64, w: f64, h: f64) -> (f64, f64) {
        (self.cx + (px - 0.5 * w) * self.m_per_px, self.cy - (py - 0.5 * h) * self.m_per_px)
    }

    /// The pixel of world point `(x, y)` in a `w × h` viewport (y down).
    pub fn to_px(&self, x: f64, y: f64, w: f64, h: f64) -> (f64, f64) {
        ((x - self.cx) / self.m_per_px + 0.5 * w, (self.cy - y) / self.m_per_px + 0.5 * h)
    }

    /// Zooms by `factor` (> 1 zooms in) keeping the world point under pixel `(px, py)` still.
    pub fn zoom_at(&mut self, factor: f64, px: f64, py: f64, w: f64, h: f64) {
        let (x, y) = self.to_world(px, py, w, h);
        self.m_per_px = (self.m_per_px / factor.max(1e-3)).clamp(1e-3, 1e5);
        let (x2, y2) = self.to_world(px, py, w, h);
        self.cx += x - x2;
        self.cy += y - y2;
    }
}

/// Which layers are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// Building footprints.
    pub buildings: bool,
    /// The coverage raster.
    pub coverage: bool,
    /// Unserved outdoor areas.
    pub unserved: bool,
    /// Sites and their sector wedges.
    pub sites: bool,
    /// Transport nodes and links.
    pub transport: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers { buildings: true, coverage: true, unserved: true, sites: true, transport: true }
    }
}

/// How the chosen variant is shown against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// The variant alone.
    Single,
    /// The baseline on the left, the variant on the right.
    SideBySide,
    /// The variant minus the baseline.
    Difference,
}

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// The variant shown (0 is the baseline).
    pub variant: usize,
    /// The interval shown.
    pub interval: usize,
    /// The raster's field.
    pub field: Field,
    /// Against the baseline or not.
    pub compare: Compare,
    /// Layers on or off.
    pub layers: Layers,
    /// The camera.
    pub camera: Camera,
}

/// A pixel rectangle of the target: x, y (from the top left), width, height.
pub type PxRect = [f32; 4];

/// What one panel of the map shows: which variant and whether as a difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Panel {
    /// Where in the target.
    pub rect: PxRect,
    /// The variant.
    pub variant: usize,
    /// Minus the baseline.
    pub difference: bool,
}

/// The map panels of `view` in the map area `area`.
pub fn panels(view: &ViewState, area: PxRect) -> Vec<Panel> {
    match view.compare {
        Compare::Single => vec![Panel { rect: area, variant: view.variant, difference: false }],
        Compare::Difference => {
            vec![Panel { rect: area, variant: view.variant, difference: true }]
        }
        Compare::SideBySide => {
            let w = (area[2] / 2.0).floor();
            vec![
                Panel { rect: [area[0], area[1], w - 1.0, area[3]], variant: 0, difference: false },
                Panel {
                    rect: [area[0] + w + 1.0, area[1], area[2] - w - 1.0, area[3]],
                    variant: view.variant,
                    difference: false,
                },
            ]
        }
    }
}
