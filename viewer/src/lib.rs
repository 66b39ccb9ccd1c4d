//! The twin's viewer for capacity reviews: it opens a run directory (`twin run ... --out DIR`)
//! and shows, on any GPU through wgpu, the coverage raster of a variant at an interval (RSRP,
//! SINR, best server, throughput, or its difference from the baseline), buildings, sites and
//! their sector wedges, transport nodes and links coloured and sized by utilisation, and
//! unserved areas; in a window (winit + egui: pan, zoom, hover values, a time slider with play,
//! variants, side by side or difference, layer toggles) or headless into a PNG with the same
//! renderer.
//!
//! ```text
//!   data::RunData ── view/index.json at open; a state's rasters and one interval's link row
//!        │           read when they are on screen
//!        ▼
//!   render::Renderer ── raster pipeline: value textures → lookup table (difference on the GPU)
//!        │              triangle pipeline: links, nodes, sector wedges
//!        │              egui-wgpu: the overlay (ui::paint_overlay) and the window's panels
//!        ├── headless::Headless → Screenshot (RGBA, PNG)
//!        └── window::run        → winit event loop
//! ```
//!
//! The run directory's `view/` files are the run format's ([`twin_format::view`]): `twin run`
//! writes them through it and the viewer reads them through it, without depending on the
//! replay. Their format and the viewer's commands and shortcuts are documented in
//! `docs/viewer.md`.

pub mod colormap;
pub mod data;
pub mod error;
pub mod headless;
pub mod render;
pub mod shapes;
pub mod ui;
pub mod view;
pub mod window;

pub use data::RunData;
pub use error::ViewError;
pub use view::{Camera, Compare, Layers, ViewState};

/// The view a run opens on: the baseline's RSRP at the first interval, the whole area in a
/// `width × height` frame.
pub fn initial_view(data: &RunData, width: u32, height: u32) -> ViewState {
    ViewState {
        variant: 0,
        interval: 0,
        field: colormap::Field::Rsrp,
        compare: Compare::Single,
        layers: Layers::default(),
        camera: Camera::fit_run(data, f64::from(width), f64::from(height)),
    }
}
