//! The window: a winit event loop drawing the map with [`Renderer`] and egui panels around it
//! (variant, comparison, field, layers, the time slider with play, hover values, the help
//! overlay with the keyboard shortcuts).

use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::{Window, WindowId};

use crate::colormap::Field;
use crate::data::RunData;
use crate::error::ViewError;
use crate::render::{Camera, Compare, Gpu, Renderer, UiFrame, ViewState, panels, probe};
use crate::ui::{LutTextures, SHORTCUTS, paint_overlay};

/// How the window starts.
#[derive(Debug, Clone)]
pub struct WindowOptions {
    /// The first view (its camera is fitted to the window when it opens).
    pub view: ViewState,
    /// Inner size, pixels.
    pub size: [u32; 2],
    /// Close by itself after this long (for scripted screenshots and smoke tests).
    pub quit_after: Option<Duration>,
}

struct Gfx {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    gpu: Gpu,
    renderer: Renderer,
    egui: egui_winit::State,
    luts: LutTextures,
}

struct App {
    data: RunData,
    opts: WindowOptions,
    view: ViewState,
    gfx: Option<Gfx>,
    error: Option<ViewError>,
    playing: bool,
    speed: f32,
    last_step: Instant,
    help: bool,
    fitted: bool,
    started: Instant,
    frame_ms: f32,
    problems: Vec<String>,
}

/// Opens the window on `data` and runs until it is closed.
pub fn run(data: RunData, opts: WindowOptions) -> Result<(), ViewError> {
    let event_loop = EventLoop::new().map_err(|e| {
        ViewError::Gpu(format!(
            "cannot open a window ({e}); is there a display (DISPLAY or WAYLAND_DISPLAY)? \
             `--screenshot out.png` draws without one"
        ))
    })?;
    event_loop.set_control_flow(ControlFlow::Wait);
    let mut app = App {
        view: opts.view.clone(),
        data,
        opts,
        gfx: None,
        error: None,
        playing: false,
        speed: 8.0,
        last_step: Instant::now(),
        help: false,
        fitted: false,
        started: Instant::now(),
        frame_ms: 0.0,
        problems: Vec::new(),
    };
    event_loop.run_app(&mut app).map_err(|e| ViewError::Gpu(format!("event loop: {e}")))?;
    match app.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

impl App {
    fn init(&mut self, event_loop: &ActiveEventLoop) -> Result<Gfx, ViewError> {
        let title =
            format!("twin-view — {} ({})", self.data.index.scenario, self.data.dir.display());
        let attrs = Window::default_attributes()
            .with_title(title)
            .with_inner_size(winit::dpi::PhysicalSize::new(self.opts.size[0], self.opts.size[1]));
        let window = Arc::new(
            event_loop.create_window(attrs).map_err(|e| ViewError::Gpu(format!("window: {e}")))?,
        );
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor {
                backends: wgpu::Backends::PRIMARY | wgpu::Backends::GL,
                ..wgpu::InstanceDescriptor::new_without_display_handle()
            }
            .with_env(),
        );
        let surface = instance
            .create_surface(window.clone())
            .map_err(|e| ViewError::Gpu(format!("surface: {e}")))?;
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            compatible_surface: Some(&surface),
            ..Default::default()
        }))
        .map_err(|e| ViewError::Gpu(format!("no adapter can draw to this window ({e})")))?;
        let gpu = Gpu::open(&adapter)?;
        let size = window.inner_size();
        let caps = surface.get_capabilities(&adapter);
        // A plain (non-sRGB) format, as screenshots use: colours are the lookup table's bytes.
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| {
                matches!(f, wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Rgba8Unorm)
            })
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| ViewError::Gpu(format!("{} offers no surface format", gpu.adapter)))?;
        let mut config = surface
            .get_default_config(&adapter, size.width.max(1), size.height.max(1))
            .ok_or_else(|| ViewError::Gpu(format!("{} cannot draw to this window", gpu.adapter)))?;
        config.format = format;
        surface.configure(&gpu.device, &config);
        let renderer = Renderer::new(&gpu, format);
        let ctx = egui::Context::default();
        let egui = egui_winit::State::new(
            ctx,
            egui::ViewportId::ROOT,
            &window,
            Some(window.scale_factor() as f32),
            None,
            Some(gpu.limits.max_texture_dimension_2d as usize),
        );
        eprintln!("twin-view: drawing on {}", gpu.adapter);
        Ok(Gfx { window, surface, config, gpu, renderer, egui, luts: LutTextures::default() })
    }

    fn keys(&mut self, ctx: &egui::Context, event_loop: &ActiveEventLoop, map: [f32; 4]) {
        use egui::Key;
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let n_var = self.data.index.variants.len();
        let last = self.data.index.intervals - 1;
        let per_day = (86_400 / self.data.index.interval_s.max(1)).max(1) as usize;
        ctx.input(|i| {
            let v = &mut self.view;
            let pan = 80.0 * v.camera.m_per_px;
            for ev in &i.events {
                let egui::Event::Key { key, pressed: true, modifiers, .. } = ev else { continue };
                match key {
                    Key::Q | Key::Escape => event_loop.exit(),
                    Key::H | Key::F1 => self.help = !self.help,
                    Key::Space => self.playing = !self.playing,
                    Key::Comma => v.interval = v.interval.saturating_sub(1),
                    Key::Period => v.interval = (v.interval + 1).min(last),
                    Key::OpenBracket => v.interval = v.interval.saturating_sub(per_day),
                    Key::CloseBracket => v.interval = (v.interval + per_day).min(last),
                    Key::V if modifiers.shift => v.variant = (v.variant + n_var - 1) % n_var,
                    Key::V => v.variant = (v.variant + 1) % n_var,
                    Key::N => v.compare = Compare::Single,
                    Key::S => v.compare = Compare::SideBySide,
                    Key::D => v.compare = Compare::Difference,
                    Key::Num1 => v.field = Field::Rsrp,
                    Key::Num2 => v.field = Field::Sinr,
                    Key::Num3 => v.field = Field::BestServer,
                    Key::Num4 => v.field = Field::Throughput,
                    Key::B => v.layers.buildings = !v.layers.buildings,
                    Key::C => v.layers.coverage = !v.layers.coverage,
                    Key::U => v.layers.unserved = !v.layers.unserved,
                    Key::T => v.layers.transport = !v.layers.transport,
                    Key::L => v.layers.sites = !v.layers.sites,
                    Key::Plus | Key::Equals => v.camera.m_per_px /= 1.25,
                    Key::Minus => v.camera.m_per_px *= 1.25,
                    Key::Num0 => {
                        self.fitted = false;
                    }
                    Key::ArrowLeft => v.camera.cx -= pan,
                    Key::ArrowRight => v.camera.cx += pan,
                    Key::ArrowUp => v.camera.cy += pan,
                    Key::ArrowDown => v.camera.cy -= pan,
                    _ => {}
                }
            }
        });
        if !self.fitted {
            let w = if self.view.compare == Compare::SideBySide { map[2] / 2.0 } else { map[2] };
            self.view.camera = Camera::fit_run(&self.data, f64::from(w), f64::from(map[3]));
            self.fitted = true;
        }
    }

    fn frame(&mut self, event_loop: &ActiveEventLoop) {
        let Some(mut gfx) = self.gfx.take() else { return };
        let t0 = Instant::now();
        if self.playing && self.last_step.elapsed().as_secs_f32() >= 1.0 / self.speed {
            self.view.interval = (self.view.interval + 1) % self.data.index.intervals;
            self.last_step = Instant::now();
        }
        let input = gfx.egui.take_egui_input(&gfx.window);
        let ctx = gfx.egui.egui_ctx().clone();
        let mut map_rect = egui::Rect::NOTHING;
        let adapter = gfx.gpu.adapter.clone();
        let luts = &mut gfx.luts;
        let out = ctx.run_ui(input, |ui| {
            let ctx = ui.ctx().clone();
            egui::Panel::left("controls")
                .resizable(false)
                .default_size(230.0)
                .show(ui, |ui| self.controls(ui, &adapter));
            egui::Panel::bottom("time").show(ui, |ui| self.time_bar(ui));
            egui::CentralPanel::default()
                .frame(egui::Frame::NONE)
                .show(ui, |ui| map_rect = self.map_panel(ui, &ctx, luts));
            if self.help {
                help_window(&ctx);
            }
            self.keys(
                &ctx,
                event_loop,
                [map_rect.min.x, map_rect.min.y, map_rect.width(), map_rect.height()],
            );
        });
        self.present(gfx, &ctx, out, map_rect, t0);
    }

    /// The side panel: variant, comparison, raster, layers, fit, help, the frame time.
    fn controls(&mut self, ui: &mut egui::Ui, adapter: &str) {
        let names = self.data.variant_names();
        ui.heading(&self.data.index.scenario);
        ui.label(format!("{} variants · {} intervals", names.len(), self.data.index.intervals));
        ui.separator();
        ui.label("Variant");
        egui::ComboBox::from_id_salt("variant")
            .selected_text(names.get(self.view.variant).cloned().unwrap_or_default())
            .show_ui(ui, |ui| {
                for (i, n) in names.iter().enumerate() {
                    ui.selectable_value(&mut self.view.variant, i, n);
                }
            });
        ui.label("Compare with the baseline");
        ui.radio_value(&mut self.view.compare, Compare::Single, "no (n)");
        ui.radio_value(&mut self.view.compare, Compare::SideBySide, "side by side (s)");
        ui.radio_value(&mut self.view.compare, Compare::Difference, "difference (d)");
        ui.separator();
        ui.label("Raster");
        for (k, f) in Field::ALL.iter().enumerate() {
            ui.radio_value(&mut self.view.field, *f, format!("{} ({})", f.name(), k + 1));
        }
        ui.separator();
        ui.label("Layers");
        let l = &mut self.view.layers;
        ui.checkbox(&mut l.buildings, "buildings (b)");
        ui.checkbox(&mut l.coverage, "coverage (c)");
        ui.checkbox(&mut l.unserved, "unserved areas (u)");
        ui.checkbox(&mut l.sites, "sites and sectors (l)");
        ui.checkbox(&mut l.transport, "transport (t)");
        ui.separator();
        if ui.button("Fit (0)").clicked() {
            self.fitted = false;
        }
        if ui.button("Help (h)").clicked() {
            self.help = !self.help;
        }
        ui.separator();
        ui.small(format!("{adapter} · {:.1} ms/frame", self.frame_ms));
        for p in &self.problems {
            ui.colored_label(egui::Color32::from_rgb(190, 0, 0), p);
        }
    }

    /// The time bar: play, the interval's start, the slider, the speed.
    fn time_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = if self.playing { "pause" } else { "play" };
            if ui.button(label).clicked() {
                self.playing = !self.playing;
            }
            ui.label(self.data.interval_label(self.view.interval));
            let last = self.data.index.intervals - 1;
            ui.spacing_mut().slider_width = (ui.available_width() - 220.0).max(100.0);
            ui.add(egui::Slider::new(&mut self.view.interval, 0..=last).show_value(false));
            ui.add(egui::Slider::new(&mut self.speed, 1.0..=60.0).text("intervals/s"));
        });
    }

    /// The map: drag to pan, wheel to zoom, the hover text, the overlay; returns its rectangle.
    fn map_panel(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &egui::Context,
        luts: &mut crate::ui::LutTextures,
    ) -> egui::Rect {
        let rect = ui.max_rect();
        let resp = ui.allocate_rect(rect, egui::Sense::click_and_drag());
        let m = self.view.camera.m_per_px;
        if resp.dragged() {
            let d = resp.drag_delta();
            self.view.camera.cx -= f64::from(d.x) * m;
            self.view.camera.cy += f64::from(d.y) * m;
        }
        let mut hover: Option<String> = None;
        if let Some(pos) = resp.hover_pos() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            let area = [rect.min.x, rect.min.y, rect.width(), rect.height()];
            for p in &panels(&self.view, area) {
                let r = egui::Rect::from_min_size(
                    egui::pos2(p.rect[0], p.rect[1]),
                    egui::vec2(p.rect[2], p.rect[3]),
                );
                if !r.contains(pos) {
                    continue;
                }
                let (px, py) = (f64::from(pos.x - r.min.x), f64::from(pos.y - r.min.y));
                let (w, h) = (f64::from(r.width()), f64::from(r.height()));
                if scroll != 0.0 {
                    let f = (f64::from(scroll) / 200.0).exp();
                    self.view.camera.zoom_at(f, px, py, w, h);
                }
                let (x, y) = self.view.camera.to_world(px, py, w, h);
                hover = probe(&self.data, &self.view, p.variant, p.difference, x, y);
            }
        }
        let area = [rect.min.x, rect.min.y, rect.width(), rect.height()];
        paint_overlay(ctx, luts, &self.data, &self.view, area);
        if let (Some(text), Some(pos)) = (&hover, resp.hover_pos()) {
            tooltip(ctx, text, pos);
        }
        rect
    }

    /// Draws the frame's map and egui's output into the window and presents it.
    fn present(
        &mut self,
        mut gfx: Gfx,
        ctx: &egui::Context,
        out: egui::FullOutput,
        map_rect: egui::Rect,
        t0: Instant,
    ) {
        gfx.egui.handle_platform_output(&gfx.window, out.platform_output);
        let ppp = out.pixels_per_point;
        let primitives = ctx.tessellate(out.shapes, ppp);
        let mut ui = UiFrame { primitives, textures: out.textures_delta, pixels_per_point: ppp };
        let surface_texture = match gfx.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                gfx.surface.configure(&gfx.gpu.device, &gfx.config);
                gfx.window.request_redraw();
                self.gfx = Some(gfx);
                return;
            }
            _ => {
                self.gfx = Some(gfx);
                return;
            }
        };
        let target = surface_texture.texture.create_view(&Default::default());
        let area = [
            map_rect.min.x * ppp,
            map_rect.min.y * ppp,
            map_rect.width() * ppp,
            map_rect.height() * ppp,
        ];
        let report = gfx.renderer.draw(
            &gfx.gpu,
            &self.data,
            &self.view,
            &target,
            [gfx.config.width, gfx.config.height],
            area,
            Some(&mut ui),
        );
        self.problems = report.problems;
        gfx.gpu.queue.present(surface_texture);
        self.frame_ms = 0.8 * self.frame_ms + 0.2 * t0.elapsed().as_secs_f32() * 1e3;
        if self.playing || out.viewport_output.values().any(|v| v.repaint_delay.is_zero()) {
            gfx.window.request_redraw();
        }
        self.gfx = Some(gfx);
    }
}

/// The hover text beside the pointer.
fn tooltip(ctx: &egui::Context, text: &str, pos: egui::Pos2) {
    let p = ctx.layer_painter(egui::LayerId::new(egui::Order::Tooltip, egui::Id::unique("hover")));
    let galley =
        p.layout_no_wrap(text.to_string(), egui::FontId::proportional(13.0), egui::Color32::BLACK);
    let r = egui::Rect::from_min_size(pos + egui::vec2(14.0, 14.0), galley.size()).expand(4.0);
    p.rect_filled(r, 3.0, egui::Color32::from_rgba_unmultiplied(255, 255, 224, 240));
    p.galley(r.min + egui::vec2(4.0, 4.0), galley, egui::Color32::BLACK);
}

/// The keyboard shortcuts' window.
fn help_window(ctx: &egui::Context) {
    egui::Window::new("Keyboard shortcuts").collapsible(false).show(ctx, |ui| {
        egui::Grid::new("keys").striped(true).show(ui, |ui| {
            for (k, what) in SHORTCUTS {
                ui.monospace(*k);
                ui.label(*what);
                ui.end_row();
            }
        });
    });
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gfx.is_some() {
            return;
        }
        match self.init(event_loop) {
            Ok(g) => {
                g.window.request_redraw();
                self.gfx = Some(g);
            }
            Err(e) => {
                self.error = Some(e);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let Some(gfx) = self.gfx.as_mut() else { return };
        let response = gfx.egui.on_window_event(&gfx.window, &event);
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                gfx.config.width = size.width.max(1);
                gfx.config.height = size.height.max(1);
                gfx.surface.configure(&gfx.gpu.device, &gfx.config);
                gfx.window.request_redraw();
            }
            WindowEvent::RedrawRequested => self.frame(event_loop),
            _ => {
                if response.repaint {
                    gfx.window.request_redraw();
                }
            }
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(limit) = self.opts.quit_after
            && self.started.elapsed() >= limit
        {
            event_loop.exit();
            return;
        }
        if let Some(gfx) = &self.gfx {
            if self.playing {
                gfx.window.request_redraw();
            }
            // Wake up for the next play step or the scripted close.
            let next = Instant::now() + Duration::from_millis(if self.playing { 16 } else { 250 });
            event_loop.set_control_flow(ControlFlow::WaitUntil(next));
        }
    }
}
