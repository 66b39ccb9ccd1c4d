//! Errors of the radio crate, one enum per family of operation. Every variant names the file,
//! the element and what was expected, so that a planner can fix the input without a debugger.

use std::path::PathBuf;

/// Why a scene could not be loaded or built.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: std::io::Error,
    },
    /// A PLY mesh file is not in the supported form or is truncated.
    #[error("malformed PLY file {path}: {reason}")]
    Ply {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A Mitsuba scene file could not be understood.
    #[error("malformed Mitsuba scene {path}: {reason}")]
    Mitsuba {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A Mitsuba scene refers to a mesh file that does not exist.
    #[error("scene {scene} refers to mesh file {mesh}, which does not exist")]
    MissingMesh {
        /// The scene file.
        scene: PathBuf,
        /// The missing mesh, resolved against the scene's folder.
        mesh: PathBuf,
    },
    /// A GeoJSON file could not be understood.
    #[error("malformed GeoJSON {path}: {reason}")]
    GeoJson {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the feature's index where there is one.
        reason: String,
    },
    /// A material name is not one of the ITU-R P.2040 materials.
    #[error("unknown material \"{name}\"; known ITU-R P.2040 materials: {known}")]
    UnknownMaterial {
        /// The name found.
        name: String,
        /// The names that would have been accepted.
        known: String,
    },
    /// A material's parameters are out of range.
    #[error("material \"{name}\": {reason}")]
    InvalidMaterial {
        /// The material.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A vertex coordinate is NaN or infinite.
    #[error("mesh \"{mesh}\": vertex {vertex} has a non-finite coordinate {value}")]
    NonFiniteCoordinate {
        /// The mesh (and its file, where it came from one).
        mesh: String,
        /// The vertex's index in the mesh.
        vertex: usize,
        /// The offending value.
        value: f64,
    },
    /// A face refers to a vertex that does not exist.
    #[error("mesh \"{mesh}\": face {face} refers to vertex {index}, but the mesh has {n_vertices}")]
    BadIndex {
        /// The mesh.
        mesh: String,
        /// The face's index.
        face: usize,
        /// The vertex index it uses.
        index: u32,
        /// The number of vertices.
        n_vertices: usize,
    },
    /// The scene has no triangles at all.
    #[error("the scene has no triangles")]
    Empty,
    /// A parameter of a generated scene is out of range.
    #[error("invalid scene parameter: {0}")]
    InvalidParameter(String),
}

/// Why an antenna pattern could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AntennaError {
    /// The pattern file could not be read.
    #[error("cannot read antenna pattern {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: std::io::Error,
    },
    /// The pattern file is malformed.
    #[error("antenna pattern {path}, line {line}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An angle or gain parameter is out of range.
    #[error("invalid antenna parameter: {0}")]
    InvalidParameter(String),
}

/// Why a propagation run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RadioError {
    /// The GPU backend could not run: no adapter, a device error, a scene beyond its limits.
    #[error("GPU: {0}")]
    Gpu(String),
    /// A cell's parameters are invalid.
    #[error("cell {cell}: {reason}")]
    InvalidCell {
        /// The cell's identifier.
        cell: String,
        /// What is wrong.
        reason: String,
    },
    /// A cell's antenna lies outside the scene's bounding box.
    #[error(
        "cell {cell}: antenna at ({x:.1}, {y:.1}, {z:.1}) m lies outside the scene, which spans x {x_min:.1}..{x_max:.1}, y {y_min:.1}..{y_max:.1} m"
    )]
    CellOutsideScene {
        /// The cell's identifier.
        cell: String,
        /// Antenna position.
        x: f64,
        /// Antenna position.
        y: f64,
        /// Antenna position.
        z: f64,
        /// Scene bounds.
        x_min: f64,
        /// Scene bounds.
        x_max: f64,
        /// Scene bounds.
        y_min: f64,
        /// Scene bounds.
        y_max: f64,
    },
    /// The analysis grid is invalid.
    #[error("invalid analysis grid: {0}")]
    InvalidGrid(String),
    /// A tracing parameter is invalid.
    #[error("invalid propagation settings: {0}")]
    InvalidConfig(String),
    /// A receiver point is not a finite position.
    #[error("receiver point {index} has a non-finite coordinate")]
    InvalidPoint {
        /// The point's index.
        index: usize,
    },
    /// The antenna is unusable.
    #[error(transparent)]
    Antenna(#[from] AntennaError),
}
