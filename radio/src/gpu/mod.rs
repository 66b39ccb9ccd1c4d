//! The GPU side of the tracer (feature `gpu`): a wgpu device on any vendor's GPU (Vulkan, Metal,
//! DX12; Mesa's lavapipe without one), the scene uploaded as the CPU tracer holds it, and compute
//! kernels in WGSL files beside this one.
//!
//! Built so far: the device ([`GpuContext`], with the adapter's limits), the scene on the device
//! ([`GpuScene`]: BVH nodes, triangles and the analytic ground, byte for byte the CPU structs) and
//! the closest-hit kernel (`bvh.wgsl`), which finds the same surfaces as
//! [`Scene::trace`](crate::Scene::trace). Rays are dispatched in tiles that respect the adapter's
//! buffer and dispatch limits. The coverage-map kernels (direct paths with diffraction, shooting
//! and bouncing rays) that make this a [`Propagation`](crate::Propagation) backend are not built
//! yet.

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::error::RadioError;
use crate::scene::{Ray, Scene, SurfaceHit};

/// The WGSL sources of the GPU tracer, by file name (for validation and for the pipelines).
pub const SHADERS: [(&str, &str); 1] = [("bvh.wgsl", include_str!("bvh.wgsl"))];

/// A ray as the kernels read it (32 bytes, mirrored in WGSL).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GpuRay {
    /// The origin.
    pub origin: [f32; 3],
    /// Hits at or below this distance are ignored.
    pub t_min: f32,
    /// The direction.
    pub dir: [f32; 3],
    /// Hits at or beyond this distance are ignored.
    pub t_max: f32,
}

impl From<&Ray> for GpuRay {
    fn from(r: &Ray) -> GpuRay {
        GpuRay { origin: r.origin, t_min: r.t_min, dir: r.dir, t_max: r.t_max }
    }
}

/// A closest hit as the kernel writes it (16 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct GpuHit {
    t: f32,
    triangle: u32,
    plane: u32,
    material: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct Params {
    n_rays: u32,
    n_nodes: u32,
    _pad: [u32; 2],
}

fn gpu_error(what: impl std::fmt::Display) -> RadioError {
    RadioError::Gpu(what.to_string())
}

/// A wgpu device and what it can do.
#[derive(Debug)]
pub struct GpuContext {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter's name, driver and backend, for logs.
    pub adapter: String,
    /// The limits the device was created with (the adapter's own).
    pub limits: wgpu::Limits,
}

impl GpuContext {
    /// The first high-performance adapter of any backend, or an error that says none was found.
    pub fn new() -> Result<GpuContext, RadioError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|e| {
            gpu_error(format!(
                "no GPU adapter ({e}); install a Vulkan driver (Mesa's lavapipe: apt-get install \
                 mesa-vulkan-drivers) or use the CPU backend"
            ))
        })?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("radio"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| gpu_error(format!("{}: {e}", info.name)))?;
        Ok(GpuContext {
            device,
            queue,
            adapter: format!("{} ({:?}, {})", info.name, info.backend, info.driver),
            limits,
        })
    }

    /// Rays per dispatch: what the largest storage buffer and the workgroup count allow.
    pub fn rays_per_tile(&self) -> usize {
        let by_buffer = (self.limits.max_storage_buffer_binding_size as usize)
            / std::mem::size_of::<GpuRay>().max(std::mem::size_of::<GpuHit>());
        let by_dispatch = self.limits.max_compute_workgroups_per_dimension as usize * 64;
        by_buffer.min(by_dispatch).max(64)
    }
}

/// A scene on the device.
#[derive(Debug)]
pub struct GpuScene {
    nodes: wgpu::Buffer,
    triangles: wgpu::Buffer,
    ground: wgpu::Buffer,
    n_nodes: u32,
    /// Bytes the scene takes on the device.
    pub bytes: u64,
}

impl GpuScene {
    /// Uploads `scene`, refusing one whose buffers exceed the device's limits.
    pub fn upload(ctx: &GpuContext, scene: &Scene) -> Result<GpuScene, RadioError> {
        let nodes = scene.bvh_nodes();
        let triangles = scene.triangles();
        let max = ctx.limits.max_storage_buffer_binding_size;
        for (what, bytes) in [
            ("BVH nodes", std::mem::size_of_val(nodes) as u64),
            ("triangles", std::mem::size_of_val(triangles) as u64),
        ] {
            if bytes > max {
                return Err(gpu_error(format!(
                    "the scene's {what} take {bytes} bytes, more than the {max} bytes one buffer \
                     may hold on {}",
                    ctx.adapter
                )));
            }
        }
        // wgpu refuses empty buffers: one zeroed element stands in, never read (n_nodes = 0).
        let node_bytes: Vec<u8> =
            if nodes.is_empty() { vec![0; 32] } else { bytemuck::cast_slice(nodes).to_vec() };
        let tri_bytes: Vec<u8> = if triangles.is_empty() {
            vec![0; 48]
        } else {
            bytemuck::cast_slice(triangles).to_vec()
        };
        let mut ground = match scene.ground() {
            Some(g) => *g,
            None => crate::scene::Ground::zeroed(),
        };
        // The last word of the WGSL struct says whether there is a ground.
        ground._pad = u32::from(scene.ground().is_some());
        let storage = wgpu::BufferUsages::STORAGE;
        let make = |label: &str, contents: &[u8], usage| {
            ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
        };
        Ok(GpuScene {
            bytes: (node_bytes.len() + tri_bytes.len() + 32) as u64,
            nodes: make("bvh nodes", &node_bytes, storage),
            triangles: make("triangles", &tri_bytes, storage),
            ground: make("ground", bytemuck::bytes_of(&ground), wgpu::BufferUsages::UNIFORM),
            n_nodes: nodes.len() as u32,
        })
    }
}

/// A closest hit: the surface, and the triangle (`None` for the analytic ground).
pub type TriangleHit = (SurfaceHit, Option<u32>);

/// The closest-hit kernel.
#[derive(Debug)]
pub struct ClosestHit {
    pipeline: wgpu::ComputePipeline,
}

impl ClosestHit {
    /// Compiles the kernel for `ctx`.
    pub fn new(ctx: &GpuContext) -> ClosestHit {
        let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("bvh.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADERS[0].1.into()),
        });
        let pipeline = ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("closest_hit"),
            layout: None,
            module: &module,
            entry_point: Some("closest_hit"),
            compilation_options: Default::default(),
            cache: None,
        });
        ClosestHit { pipeline }
    }

    /// The nearest surface along each ray, as [`Scene::trace`] gives it, with the triangle
    /// index (`None` for the ground) beside it.
    pub fn run(
        &self,
        ctx: &GpuContext,
        scene: &GpuScene,
        rays: &[GpuRay],
    ) -> Result<Vec<Option<TriangleHit>>, RadioError> {
        let mut out = Vec::with_capacity(rays.len());
        for tile in rays.chunks(ctx.rays_per_tile()) {
            out.extend(self.tile(ctx, scene, tile)?);
        }
        Ok(out)
    }

    fn tile(
        &self,
        ctx: &GpuContext,
        scene: &GpuScene,
        rays: &[GpuRay],
    ) -> Result<Vec<Option<TriangleHit>>, RadioError> {
        if rays.is_empty() {
            return Ok(Vec::new());
        }
        let device = &ctx.device;
        let ray_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("rays"),
            contents: bytemuck::cast_slice(rays),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let size = (rays.len() * std::mem::size_of::<GpuHit>()) as u64;
        let hits = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hits"),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hits readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let params = Params { n_rays: rays.len() as u32, n_nodes: scene.n_nodes, _pad: [0; 2] };
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let layout = self.pipeline.get_bind_group_layout(0);
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("closest_hit"),
            layout: &layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: scene.nodes.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: scene.triangles.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: scene.ground.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: ray_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: hits.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 5, resource: params.as_entire_binding() },
            ],
        });
        let mut encoder = device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("closest_hit") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("closest_hit"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups((rays.len() as u32).div_ceil(64), 1, 1);
        }
        encoder.copy_buffer_to_buffer(&hits, 0, &readback, 0, size);
        ctx.queue.submit([encoder.finish()]);
        let slice = readback.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        device
            .poll(wgpu::PollType::Wait { submission_index: None, timeout: None })
            .map_err(gpu_error)?;
        rx.recv().map_err(gpu_error)?.map_err(gpu_error)?;
        let data = slice.get_mapped_range().map_err(gpu_error)?;
        let raw: &[GpuHit] = bytemuck::cast_slice(&data);
        Ok(raw
            .iter()
            .map(|h| {
                (h.t >= 0.0).then(|| {
                    (
                        SurfaceHit { t: h.t, plane: h.plane, material: h.material },
                        (h.triangle != u32::MAX).then_some(h.triangle),
                    )
                })
            })
            .collect())
    }
}
