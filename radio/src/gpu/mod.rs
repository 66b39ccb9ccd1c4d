//! The GPU tracer (feature `gpu`): the same coverage maps as the CPU tracer, computed by compute
//! kernels on wgpu, on any vendor's GPU (Vulkan, Metal, DX12; Mesa's lavapipe without one).
//!
//! ```text
//!   GpuContext (adapter, limits) ── GpuScene (BVH nodes, triangles, ground, planes, surface model:
//!        │                                    uploaded once per scene, byte for byte the CPU's)
//!        ▼
//!   GpuTracer::coverage ── direct.wgsl: one thread per grid point, knife edge on the surface model
//!                       └─ sbr.wgsl:    one thread per ray, bounces through the BVH, Fresnel
//!                                       tables, fixed-point atomic sums per grid point
//! ```
//!
//! The WGSL sits beside this file: `trace.wgsl` (the scene and its ray queries) and
//! `antenna.wgsl` (the antenna's field) are libraries put in front of the kernels that use them
//! ([`shader_sources`]). Every struct shared with a kernel is `#[repr(C)]` + [`Pod`] and mirrored
//! in WGSL with its size noted. Work is split into tiles that respect the adapter's limits
//! (buffer binding size, workgroups per dispatch), so grids and ray counts beyond one dispatch
//! or one buffer work; [`MemoryEstimate`] says what a map will take on the device.
//!
//! [`ClosestHit`] exposes the traversal alone, for the tests that hold it to the CPU's.

mod tracer;

pub use tracer::{GpuTracer, MAX_GPU_RAYS, MemoryEstimate, TileLimits};

use std::sync::{Arc, Mutex};

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::error::RadioError;
use crate::scene::{Ray, Scene, SurfaceHit};

/// Every WGSL file of the GPU tracer, by name: the libraries, then the kernels.
pub const WGSL_FILES: [(&str, &str); 5] = [
    ("trace.wgsl", include_str!("trace.wgsl")),
    ("antenna.wgsl", include_str!("antenna.wgsl")),
    ("bvh.wgsl", include_str!("bvh.wgsl")),
    ("direct.wgsl", include_str!("direct.wgsl")),
    ("sbr.wgsl", include_str!("sbr.wgsl")),
];

/// The kernels and the library files each one is compiled with, in order.
const KERNELS: [(&str, &[&str]); 3] = [
    ("bvh.wgsl", &["trace.wgsl", "bvh.wgsl"]),
    ("direct.wgsl", &["antenna.wgsl", "direct.wgsl"]),
    ("sbr.wgsl", &["trace.wgsl", "antenna.wgsl", "sbr.wgsl"]),
];

/// The complete source of each kernel module (its libraries in front of it), by kernel file
/// name: what the pipelines compile and what the tests validate with naga.
pub fn shader_sources() -> Vec<(&'static str, String)> {
    KERNELS
        .iter()
        .map(|(name, parts)| {
            let text = parts
                .iter()
                .filter_map(|p| WGSL_FILES.iter().find(|f| f.0 == *p).map(|f| f.1))
                .collect::<Vec<_>>()
                .join("\n");
            (*name, text)
        })
        .collect()
}

/// Compiles kernel `file`'s entry point `entry` for `ctx`.
fn pipeline(ctx: &GpuContext, file: &str, entry: &str) -> wgpu::ComputePipeline {
    let source =
        shader_sources().into_iter().find(|s| s.0 == file).map(|s| s.1).unwrap_or_default();
    let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(file),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}

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
struct RayParams {
    n_rays: u32,
    _pad: [u32; 3],
}

/// The ground and the hierarchy's size as the kernels read them (48 bytes, `SceneInfo` in
/// `trace.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct SceneInfo {
    ground: crate::scene::Ground,
    n_nodes: u32,
    _pad: [u32; 3],
}

/// A plane as the kernels read it (16 bytes, `Plane` in `sbr.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct GpuPlane {
    normal: [f32; 3],
    material: u32,
}

pub(crate) fn gpu_error(what: impl std::fmt::Display) -> RadioError {
    RadioError::Gpu(what.to_string())
}

/// A wgpu device and what it can do.
#[derive(Debug)]
pub struct GpuContext {
    /// The instance the adapter came from (kept so the device can be shared: the learned
    /// crate's burn backend trains on it).
    pub instance: wgpu::Instance,
    /// The adapter the device was opened on.
    pub wgpu_adapter: wgpu::Adapter,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter's name, driver and backend, for logs.
    pub adapter: String,
    /// The limits the device was created with (the adapter's own).
    pub limits: wgpu::Limits,
    /// True for a software rasteriser (lavapipe, llvmpipe, WARP): correct, but no faster than
    /// the CPU tracer, so `auto` backend selection passes it over.
    pub software: bool,
}

/// An adapter found but not opened: enough to tell a hardware GPU from a software one before
/// paying for a device.
#[derive(Debug)]
pub struct GpuAdapter {
    instance: wgpu::Instance,
    adapter: wgpu::Adapter,
    /// The adapter's name, driver and backend, for logs.
    pub name: String,
    /// True for a software rasteriser (lavapipe, llvmpipe, WARP).
    pub software: bool,
}

impl GpuAdapter {
    /// The first high-performance adapter (Vulkan, Metal or DX12; the environment variable
    /// `WGPU_BACKEND` chooses others), or an error that says none was found.
    pub fn find() -> Result<GpuAdapter, RadioError> {
        // Vulkan, Metal and DX12 (wgpu's primary backends; its GL backend lacks what the kernels
        // need), unless WGPU_BACKEND names others.
        let descriptor = wgpu::InstanceDescriptor {
            backends: wgpu::Backends::PRIMARY,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        }
        .with_env();
        let instance = wgpu::Instance::new(descriptor);
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
        Ok(GpuAdapter {
            instance,
            adapter,
            name: format!("{} ({:?}, {})", info.name, info.backend, info.driver),
            software: info.device_type == wgpu::DeviceType::Cpu,
        })
    }

    /// Opens a device on the adapter with all of its limits and its features (the tracer's
    /// kernels need none, but burn's kernels, which may share the device, use what the adapter
    /// offers: subgroups, 16-bit floats, timestamps). Experimental features, which wgpu grants
    /// only behind an unsafe opt-in, and mappable primary buffers, which slow ordinary ones on
    /// discrete GPUs, are left out.
    pub fn open(self) -> Result<GpuContext, RadioError> {
        let limits = self.adapter.limits();
        let features = self.adapter.features()
            - wgpu::Features::all_experimental_mask()
            - wgpu::Features::MAPPABLE_PRIMARY_BUFFERS;
        let (device, queue) =
            pollster::block_on(self.adapter.request_device(&wgpu::DeviceDescriptor {
                label: Some("radio"),
                required_features: features,
                required_limits: limits.clone(),
                ..Default::default()
            }))
            .map_err(|e| gpu_error(format!("{}: {e}", self.name)))?;
        Ok(GpuContext {
            instance: self.instance,
            wgpu_adapter: self.adapter,
            device,
            queue,
            adapter: self.name,
            limits,
            software: self.software,
        })
    }
}

impl GpuContext {
    /// A device on [`GpuAdapter::find`]'s adapter.
    pub fn new() -> Result<GpuContext, RadioError> {
        GpuAdapter::find()?.open()
    }

    /// The process's shared device, opened on first use by [`GpuContext::new`]: what the GPU
    /// tracer of [`crate::backend::select`] and the learned crate's wgpu backend both use,
    /// so that tracing and training share one adapter, one device and its memory. A failure
    /// to open is not remembered: a later call tries again.
    pub fn shared() -> Result<Arc<GpuContext>, RadioError> {
        static SHARED: Mutex<Option<Arc<GpuContext>>> = Mutex::new(None);
        // Opening a device does no rayon work, so holding the lock across it is safe.
        let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ctx) = slot.as_ref() {
            return Ok(ctx.clone());
        }
        let ctx = Arc::new(GpuContext::new()?);
        *slot = Some(ctx.clone());
        Ok(ctx)
    }

    /// Rays per dispatch: what the largest storage buffer and the workgroup count allow.
    pub fn rays_per_tile(&self) -> usize {
        let by_buffer = (self.limits.max_storage_buffer_binding_size as usize)
            / std::mem::size_of::<GpuRay>().max(std::mem::size_of::<GpuHit>());
        let by_dispatch = self.limits.max_compute_workgroups_per_dimension as usize * 64;
        by_buffer.min(by_dispatch).max(64)
    }
}

/// A scene on the device: what every kernel reads, uploaded once.
#[derive(Debug)]
pub struct GpuScene {
    nodes: wgpu::Buffer,
    triangles: wgpu::Buffer,
    info: wgpu::Buffer,
    planes: wgpu::Buffer,
    heights: wgpu::Buffer,
    dsm: [f32; 3],
    dsm_nx: u32,
    dsm_ny: u32,
    /// The scene's [`Scene::id`].
    pub scene_id: u64,
    /// Bytes the scene takes on the device.
    pub bytes: u64,
}

impl GpuScene {
    /// The bytes [`GpuScene::upload`] would put on the device for `scene`.
    pub fn bytes_for(scene: &Scene) -> u64 {
        (std::mem::size_of_val(scene.bvh_nodes())
            + std::mem::size_of_val(scene.triangles())
            + scene.planes().len() * std::mem::size_of::<GpuPlane>()
            + scene.dsm().heights.len() * 4
            + std::mem::size_of::<SceneInfo>()) as u64
    }

    /// Uploads `scene`, refusing one whose buffers exceed the device's limits.
    pub fn upload(ctx: &GpuContext, scene: &Scene) -> Result<GpuScene, RadioError> {
        let nodes = scene.bvh_nodes();
        let triangles = scene.triangles();
        let dsm = scene.dsm();
        let planes: Vec<GpuPlane> = scene
            .planes()
            .iter()
            .map(|p| GpuPlane {
                normal: [p.normal.x as f32, p.normal.y as f32, p.normal.z as f32],
                material: p.material,
            })
            .collect();
        let max = ctx.limits.max_storage_buffer_binding_size;
        for (what, bytes) in [
            ("BVH nodes", std::mem::size_of_val(nodes) as u64),
            ("triangles", std::mem::size_of_val(triangles) as u64),
            ("surface model", (dsm.heights.len() * 4) as u64),
            ("planes", (planes.len() * std::mem::size_of::<GpuPlane>()) as u64),
        ] {
            if bytes > max {
                return Err(gpu_error(format!(
                    "the scene's {what} take {bytes} bytes, more than the {max} bytes one buffer \
                     may hold on {}; use the CPU backend (or, for the surface model, a larger \
                     dsm_cell_m)",
                    ctx.adapter
                )));
            }
        }
        // wgpu refuses empty buffers: a zeroed element stands in, never read (n_nodes = 0, no
        // plane index points at it).
        let or_zeros = |bytes: &[u8], len: usize| -> Vec<u8> {
            if bytes.is_empty() { vec![0; len] } else { bytes.to_vec() }
        };
        let node_bytes = or_zeros(bytemuck::cast_slice(nodes), 32);
        let tri_bytes = or_zeros(bytemuck::cast_slice(triangles), 48);
        let plane_bytes = or_zeros(bytemuck::cast_slice(&planes), 16);
        let height_bytes = or_zeros(bytemuck::cast_slice(&dsm.heights), 4);
        let info = SceneInfo {
            ground: match scene.ground() {
                // The last word of the ground says whether there is one.
                Some(g) => crate::scene::Ground { _pad: 1, ..*g },
                None => crate::scene::Ground::zeroed(),
            },
            n_nodes: nodes.len() as u32,
            _pad: [0; 3],
        };
        let storage = wgpu::BufferUsages::STORAGE;
        let make = |label: &str, contents: &[u8], usage| {
            ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
        };
        Ok(GpuScene {
            bytes: (node_bytes.len()
                + tri_bytes.len()
                + plane_bytes.len()
                + height_bytes.len()
                + 48) as u64,
            nodes: make("bvh nodes", &node_bytes, storage),
            triangles: make("triangles", &tri_bytes, storage),
            info: make("scene info", bytemuck::bytes_of(&info), wgpu::BufferUsages::UNIFORM),
            planes: make("planes", &plane_bytes, storage),
            heights: make("surface model", &height_bytes, storage),
            dsm: [dsm.origin_x as f32, dsm.origin_y as f32, dsm.cell_m as f32],
            dsm_nx: dsm.nx as u32,
            dsm_ny: dsm.ny as u32,
            scene_id: scene.id(),
        })
    }
}

/// Runs one submission and reads `buffer` (`size` bytes, COPY_SRC) back.
pub(crate) fn read_back(
    ctx: &GpuContext,
    mut encoder: wgpu::CommandEncoder,
    buffer: &wgpu::Buffer,
    size: u64,
) -> Result<Vec<u8>, RadioError> {
    let readback = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    encoder.copy_buffer_to_buffer(buffer, 0, &readback, 0, size);
    ctx.queue.submit([encoder.finish()]);
    let slice = readback.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.device
        .poll(wgpu::PollType::Wait { submission_index: None, timeout: None })
        .map_err(gpu_error)?;
    rx.recv().map_err(gpu_error)?.map_err(gpu_error)?;
    let data = slice.get_mapped_range().map_err(gpu_error)?;
    Ok(data.to_vec())
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
        ClosestHit { pipeline: pipeline(ctx, "bvh.wgsl", "closest_hit") }
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
        let params = RayParams { n_rays: rays.len() as u32, _pad: [0; 3] };
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
                wgpu::BindGroupEntry { binding: 2, resource: scene.info.as_entire_binding() },
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
        let data = read_back(ctx, encoder, &hits, size)?;
        let raw: Vec<GpuHit> = bytemuck::pod_collect_to_vec(&data);
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
