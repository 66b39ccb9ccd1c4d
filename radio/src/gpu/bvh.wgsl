// Closest hits of a batch of rays (after trace.wgsl): the kernel behind
// radio::gpu::ClosestHit, which tests the GPU's traversal against the CPU's.

// radio::gpu::GpuRay, 32 bytes.
struct Ray {
    origin: vec3<f32>,
    t_min: f32,
    dir: vec3<f32>,
    t_max: f32,
}

struct RayParams {
    n_rays: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(3) var<storage, read> rays: array<Ray>;
@group(0) @binding(4) var<storage, read_write> hits: array<Hit>;
@group(0) @binding(5) var<uniform> params: RayParams;

@compute @workgroup_size(64)
fn closest_hit(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= params.n_rays {
        return;
    }
    let ray = rays[i];
    hits[i] = closest(ray.origin, ray.dir, ray.t_min, ray.t_max);
}
