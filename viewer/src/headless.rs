//! Offscreen drawing: the window's renderer and overlay into a texture, read back as RGBA and
//! written as PNG (`twin-view RUN --screenshot out.png`, the report's images, the tests).

use std::path::Path;

use crate::data::RunData;
use crate::error::ViewError;
use crate::render::{Gpu, Renderer, UiFrame, ViewState};
use crate::ui::{ColourBar, LutTextures, paint_overlay};

/// The pixel format of screenshots: plain 8-bit RGBA, so a pixel holds exactly the colour the
/// lookup table gives.
pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// A rendered frame.
#[derive(Debug, Clone)]
pub struct Screenshot {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// RGBA, row by row from the top.
    pub rgba: Vec<u8>,
    /// Where the colour bar is.
    pub bar: Option<ColourBar>,
}

impl Screenshot {
    /// The colour of pixel `(x, y)` (from the top left).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = 4 * (y as usize * self.width as usize + x as usize);
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2], self.rgba[i + 3]]
    }

    /// Writes the frame as PNG, whole or not at all (the workspace's atomic writer).
    pub fn save_png(&self, path: &Path) -> Result<(), ViewError> {
        let bytes =
            self.png().map_err(|source| ViewError::Encode { path: path.to_path_buf(), source })?;
        twin_format::fsio::write_file(path, &bytes, twin_format::Existing::Replace)?;
        Ok(())
    }

    /// The frame encoded as PNG.
    pub fn png(&self) -> Result<Vec<u8>, png::EncodingError> {
        twin_format::palette::encode_rgba(self.width, self.height, &self.rgba)
    }
}

/// A renderer for offscreen frames, kept to draw several.
pub struct Headless {
    /// The device.
    pub gpu: Gpu,
    renderer: Renderer,
    ctx: egui::Context,
    luts: LutTextures,
    target: Option<(wgpu::Texture, [u32; 2])>,
}

impl std::fmt::Debug for Headless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Headless").field("adapter", &self.gpu.adapter).finish()
    }
}

impl Headless {
    /// A renderer on the first adapter ([`Gpu::headless`]).
    pub fn new() -> Result<Headless, ViewError> {
        let gpu = Gpu::headless()?;
        let renderer = Renderer::new(&gpu, FORMAT);
        Ok(Headless {
            gpu,
            renderer,
            ctx: egui::Context::default(),
            luts: LutTextures::default(),
            target: None,
        })
    }

    /// Draws one frame of `view` at `width × height` pixels into an offscreen target, overlay
    /// included, and waits for the GPU to finish it: what a window frame costs, without the read
    /// back of a screenshot (the frame-time benchmark).
    pub fn frame(
        &mut self,
        data: &RunData,
        view: &ViewState,
        width: u32,
        height: u32,
    ) -> Result<(), ViewError> {
        self.draw(data, view, width, height)?;
        self.gpu
            .device
            .poll(wgpu::PollType::Wait { submission_index: None, timeout: None })
            .map_err(|e| ViewError::Gpu(e.to_string()))?;
        Ok(())
    }

    /// Draws `view` of `data` at `width × height` pixels. A layer that cannot be drawn (its file
    /// missing or damaged) is an error naming the file.
    pub fn render(
        &mut self,
        data: &RunData,
        view: &ViewState,
        width: u32,
        height: u32,
    ) -> Result<Screenshot, ViewError> {
        let bar = self.draw(data, view, width, height)?;
        let texture = self
            .target
            .as_ref()
            .map(|t| t.0.clone())
            .ok_or_else(|| ViewError::Gpu("no target".into()))?;
        let rgba = read_back(&self.gpu, &texture, width, height)?;
        Ok(Screenshot { width, height, rgba, bar })
    }

    fn draw(
        &mut self,
        data: &RunData,
        view: &ViewState,
        width: u32,
        height: u32,
    ) -> Result<Option<ColourBar>, ViewError> {
        let max = self.gpu.limits.max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(ViewError::Input(format!(
                "size {width}x{height}: each side must be 1 to {max} pixels on {}",
                self.gpu.adapter
            )));
        }
        if self.target.as_ref().is_none_or(|t| t.1 != [width, height]) {
            let texture = self.gpu.device.create_texture(&wgpu::TextureDescriptor {
                label: Some("screenshot"),
                size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: FORMAT,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            });
            self.target = Some((texture, [width, height]));
        }
        let target = self
            .target
            .as_ref()
            .map(|t| t.0.create_view(&Default::default()))
            .ok_or_else(|| ViewError::Gpu("no target".into()))?;
        let area = [0.0, 0.0, width as f32, height as f32];
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(width as f32, height as f32),
            )),
            max_texture_side: Some(max as usize),
            ..Default::default()
        };
        let mut bar = None;
        let (ctx, luts) = (&self.ctx, &mut self.luts);
        let out = ctx.run_ui(input, |ui| {
            bar = paint_overlay(ui.ctx(), luts, data, view, area);
        });
        let primitives = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        let mut ui = UiFrame {
            primitives,
            textures: out.textures_delta,
            pixels_per_point: out.pixels_per_point,
        };
        let report = self.renderer.draw(
            &self.gpu,
            data,
            view,
            &target,
            [width, height],
            area,
            Some(&mut ui),
        );
        if !report.problems.is_empty() {
            return Err(ViewError::Draw {
                dir: data.dir.clone(),
                what: format!("cannot draw: {}", report.problems.join("; ")),
            });
        }
        Ok(bar)
    }
}

/// Copies `texture` (RGBA8) to the CPU, rows unpadded.
fn read_back(
    gpu: &Gpu,
    texture: &wgpu::Texture,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ViewError> {
    let row = 4 * width;
    let padded =
        row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("screenshot readback"),
        size: u64::from(padded) * u64::from(height),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
    );
    gpu.queue.submit([encoder.finish()]);
    let slice = buffer.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    let gpu_err = |e: String| ViewError::Gpu(e);
    gpu.device
        .poll(wgpu::PollType::Wait { submission_index: None, timeout: None })
        .map_err(|e| gpu_err(e.to_string()))?;
    rx.recv().map_err(|e| gpu_err(e.to_string()))?.map_err(|e| gpu_err(e.to_string()))?;
    let data = slice.get_mapped_range().map_err(|e| gpu_err(e.to_string()))?;
    let mut rgba = Vec::with_capacity((row * height) as usize);
    for r in 0..height as usize {
        let start = r * padded as usize;
        rgba.extend_from_slice(&data[start..start + row as usize]);
    }
    Ok(rgba)
}
