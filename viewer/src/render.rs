//! The renderer: one wgpu pipeline for rasters (coverage values and their difference from the
//! baseline computed on the GPU, buildings, unserved areas), one for coloured triangles (links,
//! nodes, sector wedges), and egui-wgpu for the overlay. The window and headless screenshots
//! draw through the same [`Renderer::draw`].

use std::collections::HashMap;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::colormap::{self, Scale};
use crate::data::{Plane, RunData};
use crate::error::ViewError;
pub use crate::shapes::probe;
use crate::shapes::{Vertex, shapes};
pub use crate::view::{Camera, Compare, Layers, Panel, PxRect, ViewState, panels};

/// A wgpu device for the viewer.
#[derive(Debug)]
pub struct Gpu {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter's name, driver and backend, for logs.
    pub adapter: String,
    /// The device's limits.
    pub limits: wgpu::Limits,
}

impl Gpu {
    /// A device on `adapter` with its own limits.
    pub fn open(adapter: &wgpu::Adapter) -> Result<Gpu, ViewError> {
        let info = adapter.get_info();
        let name = format!("{} ({:?}, {})", info.name, info.backend, info.driver);
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("viewer"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| ViewError::Gpu(format!("{name}: {e}")))?;
        Ok(Gpu { device, queue, adapter: name, limits })
    }

    /// A device for drawing offscreen: the process's shared device of the radio crate
    /// ([`radio::gpu::GpuContext::shared`]: the first adapter of wgpu's primary backends, Vulkan,
    /// Metal or DX12, a software one such as lavapipe included; `WGPU_BACKEND` chooses others),
    /// so that a process that traces and draws holds one device.
    pub fn headless() -> Result<Gpu, ViewError> {
        let ctx = radio::gpu::GpuContext::shared().map_err(|e| match e {
            radio::RadioError::Gpu(what) => ViewError::Gpu(what),
            other => ViewError::Gpu(other.to_string()),
        })?;
        Ok(Gpu {
            device: ctx.device.clone(),
            queue: ctx.queue.clone(),
            adapter: ctx.adapter.clone(),
            limits: ctx.limits.clone(),
        })
    }
}

/// What egui drew for the frame, ready for the GPU.
#[derive(Debug)]
pub struct UiFrame {
    /// Tessellated shapes.
    pub primitives: Vec<egui::ClippedPrimitive>,
    /// Texture changes.
    pub textures: egui::TexturesDelta,
    /// Pixels per point.
    pub pixels_per_point: f32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct RasterParams {
    center: [f32; 2],
    half: [f32; 2],
    origin: [f32; 2],
    cell: f32,
    mode: u32,
    size: [u32; 2],
    lut_len: u32,
    _pad0: u32,
    vmin: f32,
    vmax: f32,
    alpha: f32,
    _pad1: f32,
    tint: [f32; 4],
}
const _: () = assert!(std::mem::size_of::<RasterParams>() == 80);

/// The background behind the map.
pub const BACKGROUND: [u8; 4] = [236, 236, 232, 255];
const BUILDING_TINT: [f32; 4] = [0.62, 0.62, 0.64, 1.0];

/// The GPU side of the viewer.
pub struct Renderer {
    format: wgpu::TextureFormat,
    raster: wgpu::RenderPipeline,
    triangles: wgpu::RenderPipeline,
    luts: HashMap<String, wgpu::TextureView>,
    planes: HashMap<(usize, usize, Plane), wgpu::TextureView>,
    buildings: Option<(wgpu::TextureView, twin_format::view::GridInfo)>,
    buildings_loaded: bool,
    dummy: wgpu::TextureView,
    /// egui's renderer, for the overlay.
    pub egui: egui_wgpu::Renderer,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").field("format", &self.format).finish()
    }
}

/// Layers that could not be drawn, and why (the rest of the frame is drawn).
#[derive(Debug, Default)]
pub struct DrawReport {
    /// One message per missing or damaged layer.
    pub problems: Vec<String>,
}

/// The WGSL of the viewer.
pub const SHADER: &str = include_str!("shaders/view.wgsl");

fn texture_r32(gpu: &Gpu, label: &str, w: usize, h: usize, data: &[f32]) -> wgpu::TextureView {
    let t = gpu.device.create_texture_with_data(
        &gpu.queue,
        &wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d { width: w as u32, height: h as u32, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        },
        wgpu::util::TextureDataOrder::LayerMajor,
        bytemuck::cast_slice(data),
    );
    t.create_view(&Default::default())
}

impl Renderer {
    /// A renderer drawing into textures of `format`.
    pub fn new(gpu: &Gpu, format: wgpu::TextureFormat) -> Renderer {
        let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("view.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let blend = Some(wgpu::ColorTargetState {
            format,
            blend: Some(wgpu::BlendState::ALPHA_BLENDING),
            write_mask: wgpu::ColorWrites::ALL,
        });
        let pipeline = |vs: &str, fs: &str, buffers: &[Option<wgpu::VertexBufferLayout<'_>>]| {
            gpu.device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(vs),
                layout: None,
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some(vs),
                    compilation_options: Default::default(),
                    buffers,
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(fs),
                    compilation_options: Default::default(),
                    targets: std::slice::from_ref(&blend),
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let raster = pipeline("raster_vs", "raster_fs", &[]);
        let triangles = pipeline(
            "tri_vs",
            "tri_fs",
            &[Some(wgpu::VertexBufferLayout {
                array_stride: std::mem::size_of::<Vertex>() as u64,
                step_mode: wgpu::VertexStepMode::Vertex,
                attributes: &wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4],
            })],
        );
        let dummy = texture_r32(gpu, "dummy", 1, 1, &[f32::NAN]);
        let egui =
            egui_wgpu::Renderer::new(&gpu.device, format, egui_wgpu::RendererOptions::PREDICTABLE);
        Renderer {
            format,
            raster,
            triangles,
            luts: HashMap::new(),
            planes: HashMap::new(),
            buildings: None,
            buildings_loaded: false,
            dummy,
            egui,
        }
    }

    fn lut(&mut self, gpu: &Gpu, scale: Scale) -> &wgpu::TextureView {
        let key = format!("{scale:?}");
        self.luts.entry(key).or_insert_with(|| {
            let table = colormap::table(scale);
            let t = gpu.device.create_texture_with_data(
                &gpu.queue,
                &wgpu::TextureDescriptor {
                    label: Some("lut"),
                    size: wgpu::Extent3d {
                        width: table.len() as u32,
                        height: 1,
                        depth_or_array_layers: 1,
                    },
                    mip_level_count: 1,
                    sample_count: 1,
                    dimension: wgpu::TextureDimension::D2,
                    format: wgpu::TextureFormat::Rgba8Unorm,
                    usage: wgpu::TextureUsages::TEXTURE_BINDING,
                    view_formats: &[],
                },
                wgpu::util::TextureDataOrder::LayerMajor,
                bytemuck::cast_slice(&table),
            );
            t.create_view(&Default::default())
        })
    }

    fn plane(
        &mut self,
        gpu: &Gpu,
        data: &RunData,
        variant: usize,
        state: usize,
        plane: Plane,
    ) -> Result<wgpu::TextureView, ViewError> {
        if let Some(v) = self.planes.get(&(variant, state, plane)) {
            return Ok(v.clone());
        }
        let raster = data.raster(variant, state)?;
        let (w, h) = (raster.nx, raster.ny);
        let max = gpu.limits.max_texture_dimension_2d as usize;
        if w > max || h > max {
            return Err(ViewError::Gpu(format!(
                "the grid's {w}×{h} points exceed the {max}-texel textures of {}",
                gpu.adapter
            )));
        }
        let view = texture_r32(gpu, "plane", w, h, raster.plane(plane));
        if self.planes.len() >= 12 {
            self.planes.clear();
        }
        self.planes.insert((variant, state, plane), view.clone());
        Ok(view)
    }

    fn buildings(&mut self, gpu: &Gpu, data: &RunData) -> Result<(), ViewError> {
        if self.buildings_loaded {
            return Ok(());
        }
        self.buildings_loaded = true;
        if let Some(b) = data.buildings()? {
            let max = gpu.limits.max_texture_dimension_2d as usize;
            let (w, h) = (b.grid.nx, b.grid.ny);
            if w > max || h > max {
                return Err(ViewError::Gpu(format!(
                    "the building layer's {w}×{h} cells exceed the {max}-texel textures of {}",
                    gpu.adapter
                )));
            }
            let heights: Vec<f32> = b.heights.iter().map(|&h| f32::from(h)).collect();
            self.buildings = Some((texture_r32(gpu, "buildings", w, h, &heights), b.grid));
        }
        Ok(())
    }

    /// Draws `view` of `data` into `target` (`size` pixels): the map panels in `area`, then
    /// `ui` on top. Layers whose files are missing are left out and named in the report.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &mut self,
        gpu: &Gpu,
        data: &RunData,
        view: &ViewState,
        target: &wgpu::TextureView,
        size: [u32; 2],
        area: PxRect,
        ui: Option<&mut UiFrame>,
    ) -> DrawReport {
        let mut report = DrawReport::default();
        if let Err(e) = self.buildings(gpu, data) {
            report.problems.push(e.to_string());
        }
        // Everything the passes bind, prepared first.
        struct RasterDraw {
            bind: wgpu::BindGroup,
            rect: PxRect,
        }
        let mut rasters: Vec<RasterDraw> = Vec::new();
        let mut tri_draws: Vec<(PxRect, wgpu::Buffer, u32, wgpu::BindGroup)> = Vec::new();
        for panel in panels(view, area) {
            let (w, h) = (f64::from(panel.rect[2]), f64::from(panel.rect[3]));
            let cam = view.camera;
            let half = [(0.5 * w * cam.m_per_px) as f32, (0.5 * h * cam.m_per_px) as f32];
            let center = [cam.cx as f32, cam.cy as f32];
            let g = data.index.grid;
            let base_params = RasterParams {
                center,
                half,
                origin: [g.x_min_m as f32, g.y_min_m as f32],
                cell: g.cell_m as f32,
                mode: 0,
                size: [g.nx as u32, g.ny as u32],
                lut_len: 2,
                _pad0: 0,
                vmin: 0.0,
                vmax: 1.0,
                alpha: 1.0,
                _pad1: 0.0,
                tint: [1.0; 4],
            };
            let mut make = |this: &mut Renderer,
                            params: RasterParams,
                            a: &wgpu::TextureView,
                            b: &wgpu::TextureView,
                            lut_scale: Option<Scale>| {
                let lut = match lut_scale {
                    Some(s) => this.lut(gpu, s).clone(),
                    None => this.lut(gpu, Scale::Changed).clone(),
                };
                let ubuf = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("raster params"),
                    contents: bytemuck::bytes_of(&params),
                    usage: wgpu::BufferUsages::UNIFORM,
                });
                let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("raster"),
                    layout: &this.raster.get_bind_group_layout(0),
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: ubuf.as_entire_binding() },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: wgpu::BindingResource::TextureView(a),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: wgpu::BindingResource::TextureView(b),
                        },
                        wgpu::BindGroupEntry {
                            binding: 3,
                            resource: wgpu::BindingResource::TextureView(&lut),
                        },
                    ],
                });
                rasters.push(RasterDraw { bind, rect: panel.rect });
            };
            if view.layers.buildings
                && let Some((tex, bg)) = self.buildings.clone()
            {
                let p = RasterParams {
                    origin: [bg.x_min_m as f32, bg.y_min_m as f32],
                    cell: bg.cell_m as f32,
                    size: [bg.nx as u32, bg.ny as u32],
                    mode: 4,
                    tint: BUILDING_TINT,
                    ..base_params
                };
                let dummy = self.dummy.clone();
                make(self, p, &tex, &dummy, None);
            }
            let state = data.state_at(panel.variant, view.interval);
            if view.layers.coverage {
                let scale = view.field.scale(panel.difference, &data.index);
                let a = self.plane(gpu, data, panel.variant, state, view.field.plane());
                let b = if panel.difference {
                    let bs = data.state_at(0, view.interval);
                    self.plane(gpu, data, 0, bs, view.field.plane()).map(Some)
                } else {
                    Ok(None)
                };
                match (a, b) {
                    (Ok(a), Ok(b)) => {
                        let (mode, vmin, vmax) = match (scale, panel.difference) {
                            (Scale::Continuous { min, max, .. }, false) => (0, min, max),
                            (Scale::Continuous { min, max, .. }, true) => (2, min, max),
                            (Scale::Categorical, _) => (1, 0.0, 1.0),
                            (Scale::Changed, _) => (3, 0.0, 1.0),
                        };
                        let p = RasterParams {
                            mode,
                            vmin,
                            vmax,
                            lut_len: colormap::table(scale).len() as u32,
                            ..base_params
                        };
                        let b = b.unwrap_or_else(|| self.dummy.clone());
                        make(self, p, &a, &b, Some(scale));
                    }
                    (Err(e), _) | (_, Err(e)) => report.problems.push(e.to_string()),
                }
            }
            if view.layers.unserved {
                match self.plane(gpu, data, panel.variant, state, Plane::Status) {
                    Ok(s) => {
                        let u = colormap::UNSERVED;
                        let p = RasterParams {
                            mode: 5,
                            tint: [
                                f32::from(u[0]) / 255.0,
                                f32::from(u[1]) / 255.0,
                                f32::from(u[2]) / 255.0,
                                f32::from(u[3]) / 255.0,
                            ],
                            ..base_params
                        };
                        let dummy = self.dummy.clone();
                        make(self, p, &s, &dummy, None);
                    }
                    Err(e) => report.problems.push(e.to_string()),
                }
            }
            let util = if view.layers.transport {
                match data.link_util(panel.variant, view.interval) {
                    Ok(u) => Some(u),
                    Err(e) => {
                        report.problems.push(e.to_string());
                        None
                    }
                }
            } else {
                None
            };
            let verts =
                shapes(data, view, panel.variant, state, util.as_ref().map(|u| u.as_slice()));
            if !verts.is_empty() {
                let vbuf = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("shapes"),
                    contents: bytemuck::cast_slice(&verts),
                    usage: wgpu::BufferUsages::VERTEX,
                });
                let ubuf = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("shape view"),
                    contents: bytemuck::bytes_of(&base_params),
                    usage: wgpu::BufferUsages::UNIFORM,
                });
                let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("shapes"),
                    layout: &self.triangles.get_bind_group_layout(0),
                    entries: &[wgpu::BindGroupEntry {
                        binding: 0,
                        resource: ubuf.as_entire_binding(),
                    }],
                });
                tri_draws.push((panel.rect, vbuf, verts.len() as u32, bind));
            }
        }
        report.problems.dedup();

        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: size,
            pixels_per_point: ui.as_ref().map_or(1.0, |u| u.pixels_per_point),
        };
        if let Some(ui) = ui.as_deref() {
            for (id, deltas) in &ui.textures.set {
                for delta in deltas {
                    self.egui.update_texture(&gpu.device, &gpu.queue, *id, delta);
                }
            }
            let cmds = self.egui.update_buffers(
                &gpu.device,
                &gpu.queue,
                &mut encoder,
                &ui.primitives,
                &screen,
            );
            gpu.queue.submit(cmds);
        }
        {
            let bg = BACKGROUND.map(|c| f64::from(c) / 255.0);
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("map"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: target,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Clear(wgpu::Color {
                                r: bg[0],
                                g: bg[1],
                                b: bg[2],
                                a: 1.0,
                            }),
                            store: wgpu::StoreOp::Store,
                        },
                    })],
                    ..Default::default()
                })
                .forget_lifetime();
            let clip = |pass: &mut wgpu::RenderPass<'static>, r: PxRect| {
                let x = r[0].max(0.0);
                let y = r[1].max(0.0);
                let w = r[2].min(size[0] as f32 - x).max(1.0);
                let h = r[3].min(size[1] as f32 - y).max(1.0);
                pass.set_viewport(x, y, w, h, 0.0, 1.0);
                pass.set_scissor_rect(x as u32, y as u32, w as u32, h as u32);
            };
            pass.set_pipeline(&self.raster);
            for r in &rasters {
                clip(&mut pass, r.rect);
                pass.set_bind_group(0, &r.bind, &[]);
                pass.draw(0..6, 0..1);
            }
            pass.set_pipeline(&self.triangles);
            for (rect, vbuf, n, bind) in &tri_draws {
                clip(&mut pass, *rect);
                pass.set_bind_group(0, bind, &[]);
                pass.set_vertex_buffer(0, vbuf.slice(..));
                pass.draw(0..*n, 0..1);
            }
            if let Some(ui) = ui.as_deref() {
                pass.set_viewport(0.0, 0.0, size[0] as f32, size[1] as f32, 0.0, 1.0);
                pass.set_scissor_rect(0, 0, size[0], size[1]);
                self.egui.render(&mut pass, &ui.primitives, &screen);
            }
        }
        gpu.queue.submit([encoder.finish()]);
        if let Some(ui) = ui {
            for id in &ui.textures.free {
                self.egui.free_texture(id);
            }
            // Applied above: egui checks that no texture change is dropped unapplied.
            ui.textures.clear();
        }
        report
    }
}
