//! [`GpuTracer`]: the [`Propagation`] backend on the GPU.

use std::sync::{Arc, Mutex};

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::{GpuContext, GpuScene, gpu_error, pipeline, read_back};
use crate::antenna::{Antenna, Pattern, Polarization, Tr38901};
use crate::error::RadioError;
use crate::geometry::{Vec3, to_vec3};
use crate::grid::Grid;
use crate::material::ReflectionTable;
use crate::propagation::cpu::outdoor_mask;
use crate::propagation::diffraction::EDGE_STEP_M;
use crate::propagation::{
    CoverageMap, CpuTracer, PointResult, Propagation, TraceConfig, Transmitter,
};
use crate::scene::Scene;

/// The antenna as `antenna.wgsl` reads it (112 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct GpuAntenna {
    rows: [[f32; 4]; 3],
    kind: u32,
    pol_cos: f32,
    pol_sin: f32,
    max_gain_dbi: f32,
    theta_3db: f32,
    phi_3db: f32,
    sla_v_db: f32,
    a_max_db: f32,
    elec_tilt_deg: f32,
    file_tilt_deg: f32,
    cap_db: f32,
    _pad: f32,
    n_rows: f32,
    n_cols: f32,
    dv_wl: f32,
    dh_wl: f32,
}

/// `DirectParams` of `direct.wgsl` (80 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct DirectParams {
    tx: [f32; 4],
    grid: [f32; 4],
    dsm: [f32; 4],
    grid_nx: u32,
    dsm_nx: u32,
    dsm_ny: u32,
    first: u32,
    count: u32,
    diffraction: u32,
    _pad: [u32; 2],
}

/// `SbrParams` of `sbr.wgsl` (64 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
struct SbrParams {
    tx: [f32; 4],
    grid: [f32; 4],
    grid_nx: u32,
    grid_ny: u32,
    n_rays: u32,
    first_ray: u32,
    count: u32,
    depth: u32,
    cell_first: u32,
    cell_count: u32,
}

/// The fixed-point scale of the reflected sums: `sbr.wgsl` keeps `value · 2^36`.
const FIXED_POINT: f64 = 68_719_476_736.0;

/// The most rays one coverage map may shoot on the GPU (the kernels index rays with 32-bit
/// integers).
pub const MAX_GPU_RAYS: u64 = 1 << 30;

/// How work is split into dispatches. By default from the adapter's limits; tests set smaller
/// values to exercise the tiling on small scenes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileLimits {
    /// Grid points per direct-path dispatch.
    pub points: usize,
    /// Rays per reflection dispatch.
    pub rays: usize,
    /// Grid points whose sums one reflection pass holds (a larger grid is done in bands, each
    /// shooting all the rays again).
    pub band: usize,
}

impl TileLimits {
    /// The largest tiles the adapter allows.
    pub fn for_adapter(ctx: &GpuContext) -> TileLimits {
        let per_dispatch = ctx.limits.max_compute_workgroups_per_dimension as usize * 64;
        let binding = ctx.limits.max_storage_buffer_binding_size as usize;
        TileLimits {
            points: per_dispatch.min(binding / 8).max(64),
            rays: per_dispatch.max(64),
            band: (binding / 8).max(64),
        }
    }
}

/// What a coverage map takes on the device, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// The scene: hierarchy, triangles, planes and surface model (kept between maps).
    pub scene: u64,
    /// Per map: the outdoor mask, the direct paths of one tile, the sums of one band, the
    /// reflection tables and the antenna.
    pub per_map: u64,
    /// Dispatches per map (direct tiles plus reflection tiles × bands).
    pub dispatches: u64,
}

impl MemoryEstimate {
    /// The total, bytes.
    pub fn total(&self) -> u64 {
        self.scene + self.per_map
    }
}

impl std::fmt::Display for MemoryEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mb = |b: u64| b as f64 / 1_048_576.0;
        write!(
            f,
            "{:.1} MiB on the device ({:.1} MiB scene, {:.1} MiB per map), {} dispatches per map",
            mb(self.total()),
            mb(self.scene),
            mb(self.per_map),
            self.dispatches
        )
    }
}

/// The GPU ray tracer: coverage maps on the device, to the CPU tracer's model (direct paths with
/// the knife edge, specular reflections to the same depth by shooting and bouncing the same
/// rays, the same antenna patterns and Fresnel tables). Arithmetic is f32 where the CPU uses f64
/// for positions and fields, so maps agree to the conformance tolerance (0.5 dB on 99 % of
/// covered points), not bit for bit; a map is the same on every run of the same device.
///
/// Point queries ([`Propagation::points`]) are exact image-method paths and run on the CPU
/// tracer: they are few per call and need per-path lists the GPU kernels do not build.
#[derive(Debug)]
pub struct GpuTracer {
    ctx: Arc<GpuContext>,
    direct: wgpu::ComputePipeline,
    sbr: wgpu::ComputePipeline,
    limits: TileLimits,
    /// The scene last uploaded, kept while maps of the same scene follow.
    scene: Mutex<Option<Arc<GpuScene>>>,
}

impl GpuTracer {
    /// A tracer on the machine's first high-performance adapter.
    pub fn new() -> Result<GpuTracer, RadioError> {
        Ok(GpuTracer::with_context(GpuContext::shared()?))
    }

    /// A tracer on `ctx`'s device.
    pub fn with_context(ctx: Arc<GpuContext>) -> GpuTracer {
        let direct = pipeline(&ctx, "direct.wgsl", "direct");
        let sbr = pipeline(&ctx, "sbr.wgsl", "shoot");
        let limits = TileLimits::for_adapter(&ctx);
        GpuTracer { ctx, direct, sbr, limits, scene: Mutex::new(None) }
    }

    /// The same tracer with smaller tiles (each at most the adapter's).
    pub fn with_tiles(mut self, limits: TileLimits) -> GpuTracer {
        let max = TileLimits::for_adapter(&self.ctx);
        self.limits = TileLimits {
            points: limits.points.clamp(1, max.points),
            rays: limits.rays.clamp(1, max.rays),
            band: limits.band.clamp(1, max.band),
        };
        self
    }

    /// The device.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// What a coverage map of `scene` on `grid` will take on the device.
    pub fn memory_estimate(&self, scene: &Scene, grid: &Grid, cfg: &TraceConfig) -> MemoryEstimate {
        let n = grid.len() as u64;
        let l = self.limits;
        let tables = (scene.materials().len() * ReflectionTable::SIZE * 16) as u64;
        let per_map = n.div_ceil(32) * 4
            + n.min(l.points as u64) * 8
            + n.min(l.band as u64) * 8
            + tables
            + std::mem::size_of::<GpuAntenna>() as u64
            + 2880;
        let bands = n.div_ceil(l.band as u64);
        let ray_tiles = if cfg.max_depth > 0 { cfg.rays.div_ceil(l.rays as u64) } else { 0 };
        MemoryEstimate {
            scene: GpuScene::bytes_for(scene),
            per_map,
            dispatches: n.div_ceil(l.points as u64) + ray_tiles * bands,
        }
    }

    /// The scene on the device, uploading it unless it is the one held.
    fn scene_on_device(&self, scene: &Scene) -> Result<Arc<GpuScene>, RadioError> {
        let held = self.scene.lock().map_err(|_| gpu_error("scene cache poisoned"))?.clone();
        if let Some(s) = held.filter(|s| s.scene_id == scene.id()) {
            return Ok(s);
        }
        // Uploaded outside the lock: two threads may upload the same scene once each.
        let fresh = Arc::new(GpuScene::upload(&self.ctx, scene)?);
        *self.scene.lock().map_err(|_| gpu_error("scene cache poisoned"))? = Some(fresh.clone());
        Ok(fresh)
    }

    fn buffer(&self, label: &str, contents: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents,
            usage,
        })
    }

    fn antenna_buffers(&self, antenna: &Antenna) -> (wgpu::Buffer, wgpu::Buffer) {
        let r = antenna.rotation();
        let row = |i: usize| [r[(i, 0)] as f32, r[(i, 1)] as f32, r[(i, 2)] as f32, 0.0];
        let (pol_cos, pol_sin) = match antenna.polarization {
            Polarization::Vertical => (1.0, 0.0),
            Polarization::Horizontal => (0.0, 1.0),
            Polarization::Slant(z) => {
                let (s, c) = z.to_radians().sin_cos();
                (c as f32, s as f32)
            }
        };
        let mut g = GpuAntenna {
            rows: [row(0), row(1), row(2)],
            kind: 0,
            pol_cos,
            pol_sin,
            elec_tilt_deg: antenna.orientation.elec_tilt_deg as f32,
            ..GpuAntenna::zeroed()
        };
        let mut cuts = vec![0.0f32; 720];
        match &antenna.pattern {
            Pattern::Isotropic => {}
            Pattern::Tr38901(p) => {
                g.kind = 1;
                element(&mut g, p);
            }
            Pattern::Array(a) => {
                g.kind = 3;
                element(&mut g, a.element());
                g.n_rows = a.rows() as f32;
                g.n_cols = a.cols() as f32;
                g.dv_wl = a.vertical_spacing_wl() as f32;
                g.dh_wl = a.horizontal_spacing_wl() as f32;
            }
            Pattern::Msi(m) => {
                g.kind = 2;
                g.max_gain_dbi = m.gain_dbi as f32;
                g.file_tilt_deg = m.electrical_tilt_deg as f32;
                g.cap_db = m.cap_db() as f32;
                for (k, v) in m.horizontal_db.iter().chain(&m.vertical_db).take(720).enumerate() {
                    cuts[k] = *v as f32;
                }
            }
        }
        (
            self.buffer("antenna", bytemuck::bytes_of(&g), wgpu::BufferUsages::UNIFORM),
            self.buffer("antenna cuts", bytemuck::cast_slice(&cuts), wgpu::BufferUsages::STORAGE),
        )
    }

    fn storage_out(&self, label: &str, size: u64) -> wgpu::Buffer {
        self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    }

    /// The direct paths: (path gain, line of sight) per grid point.
    #[allow(clippy::too_many_arguments)]
    fn direct_paths(
        &self,
        gs: &GpuScene,
        tx: &Transmitter,
        grid: &Grid,
        cfg: &TraceConfig,
        outdoor: &wgpu::Buffer,
        antenna: &(wgpu::Buffer, wgpu::Buffer),
    ) -> Result<Vec<(f64, bool)>, RadioError> {
        let n = grid.len();
        let mut out = Vec::with_capacity(n);
        let layout = self.direct.get_bind_group_layout(0);
        let mut first = 0;
        while first < n {
            let count = self.limits.points.min(n - first);
            let params = DirectParams {
                tx: [
                    tx.position.x as f32,
                    tx.position.y as f32,
                    tx.position.z as f32,
                    tx.wavelength_m() as f32,
                ],
                grid: grid_params(grid),
                dsm: [gs.dsm[0], gs.dsm[1], gs.dsm[2], EDGE_STEP_M as f32],
                grid_nx: grid.nx as u32,
                dsm_nx: gs.dsm_nx,
                dsm_ny: gs.dsm_ny,
                first: first as u32,
                count: count as u32,
                diffraction: u32::from(cfg.diffraction),
                _pad: [0; 2],
            };
            let params = self.buffer(
                "direct params",
                bytemuck::bytes_of(&params),
                wgpu::BufferUsages::UNIFORM,
            );
            let size = (count * 8) as u64;
            let result = self.storage_out("direct paths", size);
            let bind = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("direct"),
                layout: &layout,
                entries: &[
                    entry(10, &antenna.0),
                    entry(11, &antenna.1),
                    entry(20, &gs.heights),
                    entry(21, outdoor),
                    entry(22, &result),
                    entry(23, &params),
                ],
            });
            let mut encoder = self
                .ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("direct") });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("direct"),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&self.direct);
                pass.set_bind_group(0, &bind, &[]);
                pass.dispatch_workgroups((count as u32).div_ceil(64), 1, 1);
            }
            let data = read_back(&self.ctx, encoder, &result, size)?;
            let values: Vec<[f32; 2]> = bytemuck::pod_collect_to_vec(&data);
            out.extend(values.iter().map(|v| (f64::from(v[0]), v[1] > 0.5)));
            first += count;
        }
        Ok(out)
    }

    /// The CPU's Fresnel tables, per material at the transmitter's frequency, as (r_te, r_tm)
    /// re/im quadruples in one storage buffer.
    fn reflection_tables(
        &self,
        scene: &Scene,
        tx: &Transmitter,
    ) -> Result<wgpu::Buffer, RadioError> {
        // The CPU's Fresnel tables, per material, as (r_te, r_tm) re/im quadruples.
        let mut tables: Vec<[f32; 4]> =
            Vec::with_capacity(scene.materials().len().max(1) * ReflectionTable::SIZE);
        for m in scene.materials() {
            let t = ReflectionTable::new(&m.at(tx.freq_hz));
            tables.extend(
                t.samples()
                    .map(|(te, tm)| [te.re as f32, te.im as f32, tm.re as f32, tm.im as f32]),
            );
        }
        if tables.is_empty() {
            tables.push([0.0; 4]);
        }
        let table_bytes = (tables.len() * 16) as u64;
        if table_bytes > self.ctx.limits.max_storage_buffer_binding_size {
            return Err(gpu_error(format!(
                "the reflection tables of {} materials take {table_bytes} bytes, more than one \
                     buffer may hold on {}",
                scene.materials().len(),
                self.ctx.adapter
            )));
        }
        Ok(self.buffer(
            "reflection tables",
            bytemuck::cast_slice(&tables),
            wgpu::BufferUsages::STORAGE,
        ))
    }

    /// The reflected path gain per grid point, by shooting and bouncing rays.
    #[allow(clippy::too_many_arguments)]
    fn reflections(
        &self,
        scene: &Scene,
        gs: &GpuScene,
        tx: &Transmitter,
        grid: &Grid,
        cfg: &TraceConfig,
        outdoor: &wgpu::Buffer,
        antenna: &(wgpu::Buffer, wgpu::Buffer),
    ) -> Result<Vec<f64>, RadioError> {
        let n = grid.len();
        let mut total = vec![0.0; n];
        if cfg.max_depth == 0 {
            return Ok(total);
        }
        let lambda = tx.wavelength_m();
        let scale = lambda * lambda
            / (4.0 * std::f64::consts::PI)
            / (cfg.rays as f64 * grid.cell_area_m2());
        let bounds = scene.bounds();
        let diag = to_vec3(bounds.max) - to_vec3(bounds.min);
        let t_far = 2.0 * (diag.norm() + (tx.position - to_vec3(bounds.min)).norm()) + 1.0;
        let tables = self.reflection_tables(scene, tx)?;
        let layout = self.sbr.get_bind_group_layout(0);
        let rays = cfg.rays as usize;
        let mut cell_first = 0;
        while cell_first < n {
            let cell_count = self.limits.band.min(n - cell_first);
            let size = (cell_count * 8) as u64;
            // Zero-initialised by wgpu.
            let sums = self.storage_out("reflected sums", size);
            let mut encoder = self
                .ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sbr") });
            let mut first_ray = 0;
            while first_ray < rays {
                let count = self.limits.rays.min(rays - first_ray);
                let params = SbrParams {
                    tx: [
                        tx.position.x as f32,
                        tx.position.y as f32,
                        tx.position.z as f32,
                        t_far as f32,
                    ],
                    grid: grid_params(grid),
                    grid_nx: grid.nx as u32,
                    grid_ny: grid.ny as u32,
                    n_rays: cfg.rays as u32,
                    first_ray: first_ray as u32,
                    count: count as u32,
                    depth: cfg.max_depth,
                    cell_first: cell_first as u32,
                    cell_count: cell_count as u32,
                };
                let params = self.buffer(
                    "sbr params",
                    bytemuck::bytes_of(&params),
                    wgpu::BufferUsages::UNIFORM,
                );
                let bind = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("sbr"),
                    layout: &layout,
                    entries: &[
                        entry(0, &gs.nodes),
                        entry(1, &gs.triangles),
                        entry(2, &gs.info),
                        entry(10, &antenna.0),
                        entry(11, &antenna.1),
                        entry(30, &gs.planes),
                        entry(31, &tables),
                        entry(32, outdoor),
                        entry(33, &sums),
                        entry(34, &params),
                    ],
                });
                {
                    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some("sbr"),
                        timestamp_writes: None,
                    });
                    pass.set_pipeline(&self.sbr);
                    pass.set_bind_group(0, &bind, &[]);
                    pass.dispatch_workgroups((count as u32).div_ceil(64), 1, 1);
                }
                first_ray += count;
            }
            let data = read_back(&self.ctx, encoder, &sums, size)?;
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(&data);
            for (k, pair) in words.chunks_exact(2).enumerate() {
                let fixed = (u64::from(pair[1]) << 32) | u64::from(pair[0]);
                total[cell_first + k] = fixed as f64 / FIXED_POINT * scale;
            }
            cell_first += cell_count;
        }
        Ok(total)
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry { binding, resource: buffer.as_entire_binding() }
}

/// The parabolic element's constants (TR 38.901, TR 36.814, an array's element).
fn element(g: &mut GpuAntenna, p: &Tr38901) {
    g.max_gain_dbi = p.max_gain_dbi as f32;
    g.theta_3db = p.theta_3db_deg as f32;
    g.phi_3db = p.phi_3db_deg as f32;
    g.sla_v_db = p.sla_v_db as f32;
    g.a_max_db = p.a_max_db as f32;
}

fn grid_params(grid: &Grid) -> [f32; 4] {
    [grid.x_min_m as f32, grid.y_min_m as f32, grid.cell_m as f32, grid.height_m as f32]
}

impl Propagation for GpuTracer {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn coverage(
        &self,
        scene: &Scene,
        tx: &Transmitter,
        grid: &Grid,
        cfg: &TraceConfig,
    ) -> Result<CoverageMap, RadioError> {
        cfg.validate()?;
        tx.validate()?;
        if cfg.rays > MAX_GPU_RAYS {
            return Err(RadioError::InvalidConfig(format!(
                "{} rays are more than the GPU tracer's {MAX_GPU_RAYS} per map",
                cfg.rays
            )));
        }
        if grid.len() > u32::MAX as usize / 2 {
            return Err(RadioError::InvalidGrid(format!(
                "{} points are more than the GPU tracer can index",
                grid.len()
            )));
        }
        let gs = self.scene_on_device(scene)?;
        // The outdoor mask is the CPU's own, so that both backends cover the same points.
        let outdoor = outdoor_mask(scene, grid);
        let mut bits = vec![0u32; grid.len().div_ceil(32)];
        for (i, _) in outdoor.iter().enumerate().filter(|(_, o)| **o) {
            bits[i / 32] |= 1 << (i % 32);
        }
        let outdoor_buf =
            self.buffer("outdoor", bytemuck::cast_slice(&bits), wgpu::BufferUsages::STORAGE);
        let antenna = self.antenna_buffers(&tx.antenna);
        let direct = self.direct_paths(&gs, tx, grid, cfg, &outdoor_buf, &antenna)?;
        let reflected = self.reflections(scene, &gs, tx, grid, cfg, &outdoor_buf, &antenna)?;
        let path_gain = direct.iter().zip(&reflected).map(|(d, r)| d.0 + r).collect();
        let los = direct.iter().map(|d| d.1).collect();
        Ok(CoverageMap { grid: *grid, path_gain, outdoor, los, rays: cfg.rays })
    }

    fn memory_estimate(&self, scene: &Scene, grid: &Grid, cfg: &TraceConfig) -> Option<String> {
        Some(GpuTracer::memory_estimate(self, scene, grid, cfg).to_string())
    }

    fn points(
        &self,
        scene: &Scene,
        tx: &Transmitter,
        points: &[Vec3],
        cfg: &TraceConfig,
    ) -> Result<Vec<PointResult>, RadioError> {
        CpuTracer.points(scene, tx, points, cfg)
    }
}
