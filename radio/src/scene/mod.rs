//! The propagation scene: triangle meshes with materials, a BVH over them, the planes that
//! reflections are computed on, and a digital surface model for diffraction.
//!
//! ```text
//!   Mitsuba XML + PLY ─┐
//!   GeoJSON footprints ├─► SceneBuilder::add_mesh ─► build() ─► Scene
//!   procedural city   ─┘                                        ├─ triangles (BVH order, f32, #[repr(C)])
//!                                                               ├─ bvh.nodes (flat, #[repr(C)])
//!                                                               ├─ planes (coplanar triangle groups)
//!                                                               ├─ materials
//!                                                               └─ dsm (max height raster)
//! ```
//!
//! Triangles and BVH nodes are plain-old-data arrays with no pointers, so the GPU backend uploads
//! them as storage buffers unchanged.

pub mod bvh;
pub mod dsm;
pub mod geojson;
pub mod intersect;
pub mod mitsuba;
pub mod ply;
pub mod procedural;

use std::collections::HashMap;

use bytemuck::{Pod, Zeroable};

use crate::error::SceneError;
use crate::geometry::{Aabb, Vec3, to_f32, to_vec3};
use crate::material::Material;
pub use bvh::{Bvh, Bvh4, Bvh4Node, BvhNode, Tri4};
pub use dsm::Dsm;
pub use intersect::{Hit, Pending, Ray};

/// One triangle as stored for tracing: a vertex, the two edges from it (precomputed for the
/// Möller–Trumbore test), and the indices of its material, plane and mesh. 48 bytes, mirrored
/// field for field in WGSL.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Triangle {
    /// First vertex.
    pub v0: [f32; 3],
    /// Index into [`Scene::materials`].
    pub material: u32,
    /// Second vertex minus the first.
    pub e1: [f32; 3],
    /// Index into [`Scene::planes`].
    pub plane: u32,
    /// Third vertex minus the first.
    pub e2: [f32; 3],
    /// Index into [`Scene::meshes`].
    pub mesh: u32,
}

impl Triangle {
    /// The triangle with vertices `a`, `b`, `c`.
    pub fn new(a: &Vec3, b: &Vec3, c: &Vec3, material: u32, plane: u32, mesh: u32) -> Triangle {
        Triangle {
            v0: to_f32(a),
            material,
            e1: to_f32(&(b - a)),
            plane,
            e2: to_f32(&(c - a)),
            mesh,
        }
    }

    /// The three vertices.
    pub fn vertices(&self) -> [[f32; 3]; 3] {
        let (v, e1, e2) = (self.v0, self.e1, self.e2);
        [v, [v[0] + e1[0], v[1] + e1[1], v[2] + e1[2]], [v[0] + e2[0], v[1] + e2[1], v[2] + e2[2]]]
    }
}

/// A plane of the scene: the set of coplanar triangles of one mesh (a façade, a roof, the
/// ground). Reflections are found per plane, so a wall made of many triangles reflects once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    /// Unit normal (sign canonical: its first non-zero component is positive).
    pub normal: Vec3,
    /// `normal · x = offset` on the plane.
    pub offset: f64,
    /// Index into [`Scene::materials`].
    pub material: u32,
}

/// What the scene knows about one input mesh.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshInfo {
    /// The mesh's name (its file name for imported scenes).
    pub name: String,
    /// Index into [`Scene::materials`].
    pub material: u32,
    /// Triangles it contributed (degenerate ones dropped).
    pub n_triangles: usize,
}

/// Options for building a scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SceneOptions {
    /// Cell size of the digital surface model, metres (default 1).
    pub dsm_cell_m: f64,
    /// Triangles with a longer edge are split for tracing; `None` (default): an eighth of
    /// the scene's extent, at least 4 m.
    pub max_triangle_edge_m: Option<f64>,
}

impl Default for SceneOptions {
    fn default() -> Self {
        SceneOptions { dsm_cell_m: 1.0, max_triangle_edge_m: None }
    }
}

/// Identifiers of built scenes: a backend that keeps a scene on a device (the GPU tracer) knows
/// by it whether the scene it holds is the one asked for.
static NEXT_SCENE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A built scene, ready to trace.
#[derive(Debug, Clone)]
pub struct Scene {
    triangles: Vec<Triangle>,
    /// The hierarchies cover `triangles[..n_bvh]`; the rest belong to the ground.
    n_bvh: usize,
    bvh: Bvh,
    bvh4: Bvh4,
    ground: Option<Ground>,
    planes: Vec<Plane>,
    materials: Vec<Material>,
    meshes: Vec<MeshInfo>,
    bounds: Aabb,
    dsm: Dsm,
    notes: Vec<String>,
    id: u64,
}

/// Collects meshes and materials, then builds a [`Scene`].
#[derive(Debug, Clone, Default)]
pub struct SceneBuilder {
    materials: Vec<Material>,
    meshes: Vec<PendingMesh>,
    notes: Vec<String>,
}

#[derive(Debug, Clone)]
struct PendingMesh {
    name: String,
    material: u32,
    vertices: Vec<Vec3>,
    faces: Vec<[u32; 3]>,
}

impl SceneBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a material (or finds the one with the same name) and returns its index.
    pub fn material(&mut self, material: Material) -> u32 {
        if let Some(i) = self.materials.iter().position(|m| m.name == material.name) {
            return i as u32;
        }
        self.materials.push(material);
        (self.materials.len() - 1) as u32
    }

    /// Adds a triangle mesh made of `material` (an index from [`SceneBuilder::material`]).
    /// Vertices must be finite and faces must index existing vertices.
    pub fn add_mesh(
        &mut self,
        name: &str,
        material: u32,
        vertices: Vec<Vec3>,
        faces: Vec<[u32; 3]>,
    ) -> Result<(), SceneError> {
        for (i, v) in vertices.iter().enumerate() {
            if let Some(&value) = v.iter().find(|c| !c.is_finite()) {
                return Err(SceneError::NonFiniteCoordinate {
                    mesh: name.to_string(),
                    vertex: i,
                    value,
                });
            }
            // f32 storage holds a metre-scale scene to better than a millimetre up to ~16 km.
            if let Some(&value) = v.iter().find(|c| c.abs() > 1e7) {
                return Err(SceneError::InvalidParameter(format!(
                    "mesh \"{name}\": vertex {i} coordinate {value} m is beyond 10 000 km; scene coordinates must be local metres"
                )));
            }
        }
        for (f, face) in faces.iter().enumerate() {
            if let Some(&index) = face.iter().find(|&&k| k as usize >= vertices.len()) {
                return Err(SceneError::BadIndex {
                    mesh: name.to_string(),
                    face: f,
                    index,
                    n_vertices: vertices.len(),
                });
            }
        }
        if material as usize >= self.materials.len() {
            return Err(SceneError::InvalidParameter(format!(
                "mesh \"{name}\" uses material index {material}, but only {} materials are registered",
                self.materials.len()
            )));
        }
        self.meshes.push(PendingMesh { name: name.to_string(), material, vertices, faces });
        Ok(())
    }

    /// Records a remark for the user (a material used outside its validity range, say).
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Builds the scene: drops degenerate triangles, groups coplanar triangles into planes,
    /// builds the BVH and the surface model.
    pub fn build(self, options: SceneOptions) -> Result<Scene, SceneError> {
        if !(options.dsm_cell_m.is_finite() && options.dsm_cell_m > 0.0) {
            return Err(SceneError::InvalidParameter(format!(
                "surface model cell size must be > 0 m, got {}",
                options.dsm_cell_m
            )));
        }
        let max_edge = max_triangle_edge(&self.meshes, &options);
        let mut t = Triangulation::default();
        for (mesh_idx, mesh) in self.meshes.iter().enumerate() {
            t.add(mesh_idx, mesh, max_edge);
        }
        let mut notes = self.notes;
        if t.n_degenerate > 0 {
            notes.push(format!(
                "{} degenerate triangles (area below 1 mm²) were dropped",
                t.n_degenerate
            ));
        }
        let Triangulation { mut triangles, planes, plane_area, plane_box, meshes, .. } = t;
        if triangles.is_empty() {
            return Err(SceneError::Empty);
        }
        let mut bounds = Aabb::EMPTY;
        for t in &triangles {
            for v in t.vertices() {
                bounds.grow(v);
            }
        }
        let ground = find_ground(&planes, &plane_area, &plane_box, &bounds);
        // Ground triangles go last, outside the hierarchy: rays meet the ground analytically.
        let n_bvh = match &ground {
            Some(g) => {
                triangles.sort_by_key(|t| t.plane == g.plane);
                triangles.iter().take_while(|t| t.plane != g.plane).count()
            }
            None => triangles.len(),
        };
        let bvh = Bvh::build(&mut triangles[..n_bvh]);
        let bvh4 = Bvh4::from_binary(&bvh, &triangles);
        let dsm = Dsm::build(&triangles, &bounds, options.dsm_cell_m);
        if dsm.cell_m > options.dsm_cell_m {
            notes.push(format!(
                "the scene spans {:.1} km × {:.1} km; its surface model uses {:.1} m cells instead of {:.1} m",
                f64::from(bounds.max[0] - bounds.min[0]) / 1e3,
                f64::from(bounds.max[1] - bounds.min[1]) / 1e3,
                dsm.cell_m,
                options.dsm_cell_m
            ));
        }
        Ok(Scene {
            triangles,
            n_bvh,
            bvh,
            bvh4,
            ground,
            planes,
            materials: self.materials,
            meshes,
            bounds,
            dsm,
            notes,
            id: NEXT_SCENE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }
}

/// The longest triangle edge the scene keeps. Large triangles (a ground of two triangles
/// spanning the city, when it cannot be taken out of the hierarchy as a flat ground) would give
/// every BVH node near the root a box as large as the scene, and every ray would descend into
/// them. They are split at their edge midpoints until no edge exceeds an eighth of the scene's
/// extent (or the explicit limit), which keeps the boxes tight.
fn max_triangle_edge(meshes: &[PendingMesh], options: &SceneOptions) -> f64 {
    let mut extent = Aabb::EMPTY;
    for m in meshes {
        for v in &m.vertices {
            extent.grow(to_f32(v));
        }
    }
    let span = extent.extent().iter().fold(0.0f32, |a, &b| a.max(b));
    options.max_triangle_edge_m.unwrap_or((f64::from(span) / 8.0).max(4.0))
}

/// The meshes' triangles as the scene keeps them, grouped into planes.
#[derive(Default)]
struct Triangulation {
    triangles: Vec<Triangle>,
    planes: Vec<Plane>,
    plane_keys: HashMap<(u32, [i64; 4]), u32>,
    /// Area and horizontal extent of each plane, to recognise the ground.
    plane_area: Vec<f64>,
    plane_box: Vec<Aabb>,
    meshes: Vec<MeshInfo>,
    n_degenerate: usize,
}

impl Triangulation {
    /// Adds mesh `mesh_idx`: its triangles (degenerate ones dropped, large ones split to
    /// `max_edge`), each on the plane of its mesh it lies in.
    fn add(&mut self, mesh_idx: usize, mesh: &PendingMesh, max_edge: f64) {
        let mut n = 0;
        for face in &mesh.faces {
            let [a, b, c] = face.map(|k| mesh.vertices[k as usize]);
            let cross = (b - a).cross(&(c - a));
            let area2 = cross.norm();
            // Slivers below a square millimetre carry no energy and break plane fits.
            if area2.is_nan() || area2 <= 2e-6 {
                self.n_degenerate += 1;
                continue;
            }
            let normal = canonical(cross / area2);
            let plane = self.plane(mesh_idx, mesh.material, normal, normal.dot(&a));
            self.plane_area[plane as usize] += 0.5 * area2;
            for v in [a, b, c] {
                self.plane_box[plane as usize].grow(to_f32(&v));
            }
            n += split_into(&mut self.triangles, [a, b, c], max_edge, &|a, b, c| {
                Triangle::new(a, b, c, mesh.material, plane, mesh_idx as u32)
            });
        }
        self.meshes.push(MeshInfo {
            name: mesh.name.clone(),
            material: mesh.material,
            n_triangles: n,
        });
    }

    /// The plane of mesh `mesh_idx` with this normal and offset, added on first use. Coplanar
    /// triangles of one mesh share a plane: the normal is quantised to 1e-4 and the offset to a
    /// millimetre.
    fn plane(&mut self, mesh_idx: usize, material: u32, normal: Vec3, offset: f64) -> u32 {
        let key = (
            mesh_idx as u32,
            [
                (normal.x * 1e4).round() as i64,
                (normal.y * 1e4).round() as i64,
                (normal.z * 1e4).round() as i64,
                (offset * 1e3).round() as i64,
            ],
        );
        let (planes, area, boxes) = (&mut self.planes, &mut self.plane_area, &mut self.plane_box);
        *self.plane_keys.entry(key).or_insert_with(|| {
            planes.push(Plane { normal, offset, material });
            area.push(0.0);
            boxes.push(Aabb::EMPTY);
            (planes.len() - 1) as u32
        })
    }
}

/// A flat, rectangular ground at the bottom of the scene, intersected analytically rather than
/// through the BVH. Almost every ray that goes down ends on it, and its many large triangles
/// would otherwise crowd the hierarchy near the ground. 32 bytes, mirrored in WGSL.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Ground {
    /// Height of the ground, metres.
    pub z: f32,
    /// Smallest x covered.
    pub x_min: f32,
    /// Largest x covered.
    pub x_max: f32,
    /// Smallest y covered.
    pub y_min: f32,
    /// Largest y covered.
    pub y_max: f32,
    /// Index into [`Scene::planes`].
    pub plane: u32,
    /// Index into [`Scene::materials`].
    pub material: u32,
    /// Padding to 32 bytes.
    pub _pad: u32,
}

/// The ground, if one plane is horizontal, at the bottom of the scene, fills its own bounding
/// rectangle (so that the rectangle is exactly the surface) and spans nearly all of the scene.
fn find_ground(planes: &[Plane], area: &[f64], boxes: &[Aabb], bounds: &Aabb) -> Option<Ground> {
    let scene_area =
        f64::from(bounds.max[0] - bounds.min[0]) * f64::from(bounds.max[1] - bounds.min[1]);
    let (idx, plane) = planes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.normal.z > 1.0 - 1e-9)
        .max_by(|a, b| area[a.0].total_cmp(&area[b.0]))?;
    let b = &boxes[idx];
    let rect = f64::from(b.max[0] - b.min[0]) * f64::from(b.max[1] - b.min[1]);
    let lowest = f64::from(bounds.min[2]) >= plane.offset - 1e-3;
    let filled = (area[idx] - rect).abs() <= 1e-6 * rect.max(1.0);
    (lowest && filled && rect >= 0.9 * scene_area).then_some(Ground {
        z: plane.offset as f32,
        x_min: b.min[0],
        x_max: b.max[0],
        y_min: b.min[1],
        y_max: b.max[1],
        plane: idx as u32,
        material: plane.material,
        _pad: 0,
    })
}

/// Where a ray meets a surface of the scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceHit {
    /// Distance along the ray.
    pub t: f32,
    /// Index into [`Scene::planes`].
    pub plane: u32,
    /// Index into [`Scene::materials`].
    pub material: u32,
}

impl Ground {
    /// Where the ray meets the ground within `(t_min, t_max)`, if it does.
    #[inline]
    pub fn intersect(&self, ray: &Ray, t_max: f32) -> Option<f32> {
        let dz = ray.dir[2];
        if dz == 0.0 {
            return None;
        }
        let t = (self.z - ray.origin[2]) / dz;
        if !(t > ray.t_min && t < t_max) {
            return None;
        }
        let x = ray.origin[0] + t * ray.dir[0];
        let y = ray.origin[1] + t * ray.dir[1];
        (x >= self.x_min && x <= self.x_max && y >= self.y_min && y <= self.y_max).then_some(t)
    }
}

/// Pushes triangle `v` (or, if an edge is longer than `max_edge`, the four triangles of its
/// midpoint subdivision, recursively) and returns how many were pushed.
fn split_into(
    out: &mut Vec<Triangle>,
    v: [Vec3; 3],
    max_edge: f64,
    make: &dyn Fn(&Vec3, &Vec3, &Vec3) -> Triangle,
) -> usize {
    let longest = (v[1] - v[0]).norm().max((v[2] - v[1]).norm()).max((v[0] - v[2]).norm());
    if longest <= max_edge {
        out.push(make(&v[0], &v[1], &v[2]));
        return 1;
    }
    let m01 = (v[0] + v[1]) * 0.5;
    let m12 = (v[1] + v[2]) * 0.5;
    let m20 = (v[2] + v[0]) * 0.5;
    split_into(out, [v[0], m01, m20], max_edge, make)
        + split_into(out, [m01, v[1], m12], max_edge, make)
        + split_into(out, [m20, m12, v[2]], max_edge, make)
        + split_into(out, [m01, m12, m20], max_edge, make)
}

/// Flips a unit normal so that its first non-zero component is positive.
fn canonical(n: Vec3) -> Vec3 {
    let first = if n.x.abs() > 1e-9 {
        n.x
    } else if n.y.abs() > 1e-9 {
        n.y
    } else {
        n.z
    };
    if first < 0.0 { -n } else { n }
}

impl Scene {
    /// The triangles, in BVH order.
    pub fn triangles(&self) -> &[Triangle] {
        &self.triangles
    }

    /// The BVH nodes, root first.
    pub fn bvh_nodes(&self) -> &[BvhNode] {
        &self.bvh.nodes
    }

    /// The BVH.
    pub fn bvh(&self) -> &Bvh {
        &self.bvh
    }

    /// The 4-wide BVH the CPU tracer walks.
    pub fn bvh4(&self) -> &Bvh4 {
        &self.bvh4
    }

    /// The planes.
    pub fn planes(&self) -> &[Plane] {
        &self.planes
    }

    /// The materials.
    pub fn materials(&self) -> &[Material] {
        &self.materials
    }

    /// The meshes.
    pub fn meshes(&self) -> &[MeshInfo] {
        &self.meshes
    }

    /// The bounding box of all triangles.
    pub fn bounds(&self) -> Aabb {
        self.bounds
    }

    /// The digital surface model.
    pub fn dsm(&self) -> &Dsm {
        &self.dsm
    }

    /// Remarks made while building (dropped triangles and the like).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The nearest surface hit by the ray from `origin` along the unit vector `dir`, between
    /// `t_min` and `t_max` metres.
    pub fn closest_hit(
        &self,
        origin: &Vec3,
        dir: &Vec3,
        t_min: f64,
        t_max: f64,
    ) -> Option<SurfaceHit> {
        let ray = Ray::new(to_f32(origin), to_f32(dir), t_min as f32, t_max as f32);
        self.trace(&ray, &mut Vec::new())
    }

    /// The nearest surface along `ray`, with a reusable traversal stack.
    #[inline]
    pub fn trace(&self, ray: &Ray, stack: &mut Vec<intersect::Pending>) -> Option<SurfaceHit> {
        let ground = self.ground.and_then(|g| g.intersect(ray, ray.t_max).map(|t| (g, t)));
        // The ground bounds the search: nothing beyond it matters.
        let limited = match ground {
            Some((_, t)) => Ray { t_max: t, ..*ray },
            None => *ray,
        };
        match intersect::closest_hit4_with(stack, &self.bvh4, &limited) {
            Some(hit) => {
                let tri = &self.triangles[hit.triangle as usize];
                Some(SurfaceHit { t: hit.t, plane: tri.plane, material: tri.material })
            }
            None => ground.map(|(g, t)| SurfaceHit { t, plane: g.plane, material: g.material }),
        }
    }

    /// True if a surface lies strictly between `a` and `b` (ignoring `eps` metres at each end).
    pub fn occluded(&self, a: &Vec3, b: &Vec3, eps: f64) -> bool {
        let d = b - a;
        let len = d.norm();
        if len <= 2.0 * eps {
            return false;
        }
        let dir = d / len;
        let ray = Ray::new(to_f32(a), to_f32(&dir), eps as f32, (len - eps) as f32);
        self.ground.is_some_and(|g| g.intersect(&ray, ray.t_max).is_some())
            || intersect::any_hit4(&self.bvh4, &ray)
    }

    /// True if a surface lies along `ray` within its `(t_min, t_max)`.
    #[inline]
    pub fn occluded_ray(&self, ray: &Ray) -> bool {
        self.ground.is_some_and(|g| g.intersect(ray, ray.t_max).is_some())
            || intersect::any_hit4(&self.bvh4, ray)
    }

    /// This scene's identifier: unique among the scenes built by this process (a clone keeps
    /// it, being the same scene).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The ground plane handled analytically, if the scene has one.
    pub fn ground(&self) -> Option<&Ground> {
        self.ground.as_ref()
    }

    /// How many triangles (from the start of [`Scene::triangles`]) the hierarchies cover; the
    /// others are the ground's.
    pub fn n_bvh_triangles(&self) -> usize {
        self.n_bvh
    }

    /// The geometric normal of triangle `i` (unit, canonical sign, as its plane's).
    pub fn triangle_normal(&self, i: u32) -> Vec3 {
        self.planes[self.triangles[i as usize].plane as usize].normal
    }

    /// The point at barycentric `(u, v)` on triangle `i`.
    pub fn triangle_point(&self, i: u32, u: f32, v: f32) -> Vec3 {
        let t = &self.triangles[i as usize];
        to_vec3(t.v0) + to_vec3(t.e1) * f64::from(u) + to_vec3(t.e2) * f64::from(v)
    }

    /// The scene's total triangle count.
    pub fn n_triangles(&self) -> usize {
        self.triangles.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::vec3;

    fn quad(b: &mut SceneBuilder, name: &str, corners: [Vec3; 4]) {
        let m = b.material(Material::itu("concrete").unwrap());
        b.add_mesh(name, m, corners.to_vec(), vec![[0, 1, 2], [0, 2, 3]]).unwrap();
    }

    #[test]
    fn coplanar_triangles_share_a_plane_and_rays_hit() {
        let mut b = SceneBuilder::new();
        quad(
            &mut b,
            "ground",
            [
                vec3(-10.0, -10.0, 0.0),
                vec3(10.0, -10.0, 0.0),
                vec3(10.0, 10.0, 0.0),
                vec3(-10.0, 10.0, 0.0),
            ],
        );
        let scene = b.build(SceneOptions::default()).unwrap();
        assert_eq!(scene.planes().len(), 1);
        // The 20 m quad is split for tracing (edges at most 4 m here), all in one plane.
        assert!(scene.n_triangles() > 2);
        assert!(scene.triangles().iter().all(|t| t.plane == 0));
        let hit =
            scene.closest_hit(&vec3(1.0, 2.0, 5.0), &vec3(0.0, 0.0, -1.0), 0.0, 100.0).unwrap();
        assert!((hit.t - 5.0).abs() < 1e-5);
        assert_eq!(hit.plane, 0);
        // A lone quad is a ground: it is met analytically, outside the hierarchy.
        assert!(scene.ground().is_some());
        assert_eq!(scene.n_bvh_triangles(), 0);
        assert!(
            scene.closest_hit(&vec3(11.0, 2.0, 5.0), &vec3(0.0, 0.0, -1.0), 0.0, 100.0).is_none()
        );
        assert!(scene.occluded(&vec3(0.0, 0.0, 1.0), &vec3(0.0, 0.0, -1.0), 1e-3));
        assert!(!scene.occluded(&vec3(0.0, 0.0, 1.0), &vec3(5.0, 0.0, 1.0), 1e-3));
    }

    #[test]
    fn bad_meshes_are_rejected_with_names() {
        let mut b = SceneBuilder::new();
        let m = b.material(Material::itu("glass").unwrap());
        let err = b
            .add_mesh("facade", m, vec![vec3(0.0, f64::NAN, 0.0)], vec![])
            .unwrap_err()
            .to_string();
        assert!(err.contains("facade") && err.contains("vertex 0"), "{err}");
        let err = b
            .add_mesh("roof", m, vec![vec3(0.0, 0.0, 0.0)], vec![[0, 0, 3]])
            .unwrap_err()
            .to_string();
        assert!(err.contains("roof") && err.contains("vertex 3"), "{err}");
        assert!(matches!(
            SceneBuilder::new().build(SceneOptions::default()),
            Err(SceneError::Empty)
        ));
    }
}
