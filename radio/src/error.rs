//! Errors of the radio crate, one enum per family of operation. Every variant names the file,
//! the element and what was expected, so that a planner can fix the input without a debugger.
//!
//! The file readers' own errors ([`PlyError`], [`MitsubaError`], [`GeoJsonError`]) hold what is
//! wrong as data (header line, element index, byte offset, value) and keep an error from another
//! library (quick-xml, geojson, sim-core's geodesy) as their `#[source]`, which their own message
//! does not repeat. [`SceneError`], the error callers print, folds such a reader error and its
//! causes into one message, as its `Io` variant does with the operating system's reason: callers
//! print errors both ways (`{}` for a validation diagnostic, a walk down the source chain in the
//! command line), and either way each part is printed once.

use std::path::PathBuf;

use sim_core::geo::GeoError;

use sim_core::error_text::with_causes;

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
    #[error("malformed PLY file {path}: {}", with_causes(reason))]
    Ply {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: PlyError,
    },
    /// A Mitsuba scene file could not be understood.
    #[error("malformed Mitsuba scene {path}: {}", with_causes(reason))]
    Mitsuba {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: MitsubaError,
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
    #[error("malformed GeoJSON {path}: {}", with_causes(reason))]
    GeoJson {
        /// The file (`(memory)` for a document parsed from a string).
        path: PathBuf,
        /// What is wrong, with the feature's index where there is one.
        reason: GeoJsonError,
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

/// Where in a PLY body a value was being read.
#[derive(Debug, Clone, PartialEq)]
pub enum PlyItem {
    /// The vertex with this index.
    Vertex(usize),
    /// The face with this index.
    Face(usize),
    /// An element the mesh does not use, by name.
    Element(String),
}

impl std::fmt::Display for PlyItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlyItem::Vertex(i) => write!(f, "vertex {i}"),
            PlyItem::Face(i) => write!(f, "face {i}"),
            PlyItem::Element(name) => write!(f, "element {name}"),
        }
    }
}

/// Why PLY data could not be read (see [`crate::scene::ply`] for the supported form).
#[derive(Debug, thiserror::Error)]
pub enum PlyError {
    /// The data does not begin with `ply`.
    #[error("the file does not start with the \"ply\" magic line")]
    NoMagic,
    /// No `end_header` line follows the magic line.
    #[error("no \"end_header\" line: the header is incomplete")]
    NoEndHeader,
    /// The header is not UTF-8.
    #[error("the header is not text")]
    HeaderNotText(#[source] std::str::Utf8Error),
    /// The header has no `format` line.
    #[error("the header has no \"format\" line")]
    NoFormat,
    /// The body format is neither `ascii` nor `binary_little_endian`.
    #[error("format \"{format}\" is not supported (use binary_little_endian or ascii)")]
    UnsupportedFormat {
        /// The format named.
        format: String,
    },
    /// An `element` line's count is not a number.
    #[error("header line {line}: element count \"{count}\" is not a number")]
    BadElementCount {
        /// The 1-based header line.
        line: usize,
        /// The count as written.
        count: String,
    },
    /// A `property list` line names a type that is not a PLY scalar type.
    #[error("header line {line}: unknown list type in \"{text}\"")]
    UnknownListType {
        /// The 1-based header line.
        line: usize,
        /// The whole line.
        text: String,
    },
    /// A `property` line names a type that is not a PLY scalar type.
    #[error("header line {line}: unknown property type \"{ty}\"")]
    UnknownPropertyType {
        /// The 1-based header line.
        line: usize,
        /// The type as written.
        ty: String,
    },
    /// A `property` line comes before any `element` line.
    #[error("header line {line}: property before any element")]
    PropertyBeforeElement {
        /// The 1-based header line.
        line: usize,
    },
    /// A header line is none of `format`, `element`, `property`, `comment`, `obj_info`.
    #[error("header line {line}: cannot understand \"{text}\"")]
    BadHeaderLine {
        /// The 1-based header line.
        line: usize,
        /// The whole line.
        text: String,
    },
    /// The body of an ASCII file is not UTF-8.
    #[error("the ASCII body is not text")]
    BodyNotText(#[source] std::str::Utf8Error),
    /// The header declares no `vertex` element.
    #[error("the header declares no vertex element")]
    NoVertexElement,
    /// The header declares no `face` element.
    #[error("the header declares no face element")]
    NoFaceElement,
    /// The `vertex` element lacks one of the `x`, `y`, `z` scalar properties.
    #[error("the vertex element lacks an x, y or z property")]
    MissingCoordinate,
    /// The `face` element has no `vertex_indices` (or `vertex_index`) list.
    #[error("the face element lacks a vertex_indices list")]
    NoVertexList,
    /// The body ends before the elements the header declares.
    #[error("{item}: the file ends early{}", offset.map(|o| format!(" (at byte {o} of the body)")).unwrap_or_default())]
    EndsEarly {
        /// What was being read.
        item: PlyItem,
        /// Where the binary body ended, bytes from its start (none for ASCII).
        offset: Option<usize>,
    },
    /// A word of an ASCII body is not a number.
    #[error("{item}: \"{word}\" is not a number")]
    NotANumber {
        /// What was being read.
        item: PlyItem,
        /// The word found.
        word: String,
    },
    /// A list's length is negative or implausibly large.
    #[error("list length {length} is not plausible")]
    BadListLength {
        /// The length read.
        length: f64,
    },
    /// A face's vertex index is negative, fractional or beyond `u32`.
    #[error("face {face}: vertex index {index} is not a valid index")]
    BadVertexIndex {
        /// The face's index.
        face: usize,
        /// The index read.
        index: f64,
    },
    /// A face has fewer than three vertices.
    #[error("face {face} has {n_vertices} vertices; a face needs at least 3")]
    SmallFace {
        /// The face's index.
        face: usize,
        /// Its number of vertices.
        n_vertices: usize,
    },
}

/// Why a Mitsuba XML scene could not be understood (see [`crate::scene::mitsuba`] for what is
/// read). Every variant but [`MitsubaError::NoShapes`] names the 1-based line.
#[derive(Debug, thiserror::Error)]
pub enum MitsubaError {
    /// The XML is malformed.
    #[error("line {line}")]
    Xml {
        /// Where quick-xml found the error.
        line: usize,
        /// What quick-xml said.
        #[source]
        source: quick_xml::Error,
    },
    /// An element's attributes are malformed (a missing quote, a duplicate name).
    #[error("line {line}: bad attribute")]
    BadAttribute {
        /// The element's line.
        line: usize,
        /// What quick-xml said.
        #[source]
        source: quick_xml::events::attributes::AttrError,
    },
    /// An attribute's value cannot be normalised (an unknown entity, say).
    #[error("line {line}: bad attribute value")]
    BadAttributeValue {
        /// The element's line.
        line: usize,
        /// What quick-xml said.
        #[source]
        source: quick_xml::Error,
    },
    /// A transform's value is not a number.
    #[error("line {line}: \"{word}\" is not a number")]
    NotANumber {
        /// The element's line.
        line: usize,
        /// The word found.
        word: String,
    },
    /// A `translate` or `scale` value has neither 1 nor 3 numbers.
    #[error("line {line}: expected 1 or 3 numbers, got \"{value}\"")]
    VectorLength {
        /// The element's line.
        line: usize,
        /// The value as written.
        value: String,
    },
    /// A `rotate` has no `angle`.
    #[error("line {line}: rotate without an angle")]
    RotateWithoutAngle {
        /// The element's line.
        line: usize,
    },
    /// A `rotate` angle is not a number.
    #[error("line {line}: rotate angle is not a number")]
    BadRotateAngle {
        /// The element's line.
        line: usize,
        /// The angle as written.
        angle: String,
    },
    /// A `rotate` axis is the zero vector.
    #[error("line {line}: rotate axis is zero")]
    ZeroRotateAxis {
        /// The element's line.
        line: usize,
    },
    /// A `matrix` has no `value`.
    #[error("line {line}: matrix without a value")]
    MatrixWithoutValue {
        /// The element's line.
        line: usize,
    },
    /// A `matrix` value does not have 16 numbers.
    #[error("line {line}: matrix needs 16 numbers, got {n_numbers}")]
    MatrixSize {
        /// The element's line.
        line: usize,
        /// The numbers found.
        n_numbers: usize,
    },
    /// A radio material's `thickness` is not a number.
    #[error("line {line}: thickness \"{value}\" is not a number")]
    BadThickness {
        /// The element's line.
        line: usize,
        /// The value as written.
        value: String,
    },
    /// A shape is not a PLY mesh.
    #[error("line {line}: shape \"{name}\" has type \"{kind}\"; only PLY meshes are supported")]
    UnsupportedShape {
        /// The shape's line.
        line: usize,
        /// Its id, or a name made from its line.
        name: String,
        /// Its `type`.
        kind: String,
    },
    /// A PLY shape has no `filename`.
    #[error("line {line}: shape \"{name}\" has no filename")]
    NoFilename {
        /// The shape's line.
        line: usize,
        /// Its id, or a name made from its line.
        name: String,
    },
    /// The scene has no `<shape>` at all.
    #[error("the scene has no shapes")]
    NoShapes,
}

/// Why a GeoJSON document of building footprints could not be understood (see
/// [`crate::scene::geojson`]). Features are counted from 0 in document order.
#[derive(Debug, thiserror::Error)]
pub enum GeoJsonError {
    /// The text is not GeoJSON.
    #[error("not a GeoJSON document")]
    Syntax(#[source] geojson::Error),
    /// The document is a bare geometry, which carries no height.
    #[error("expected a Feature or FeatureCollection with building heights, found a bare geometry")]
    BareGeometry,
    /// No feature has a Polygon or MultiPolygon geometry.
    #[error("no Polygon or MultiPolygon building footprint found")]
    NoFootprints,
    /// A feature's height property is not a number of metres.
    #[error("feature {feature}: property \"{property}\" = {value} is not a number of metres")]
    BadHeight {
        /// The feature.
        feature: usize,
        /// The height property's name.
        property: String,
        /// The value found.
        value: serde_json::Value,
    },
    /// A feature's levels property is not a number.
    #[error("feature {feature}: property \"{property}\" = {value} is not a number")]
    BadLevels {
        /// The feature.
        feature: usize,
        /// The levels property's name.
        property: String,
        /// The value found.
        value: serde_json::Value,
    },
    /// A feature has neither height property and no default height was given.
    #[error(
        "feature {feature} has no \"{height_property}\" or \"{levels_property}\" property and no default height was given"
    )]
    NoHeight {
        /// The feature.
        feature: usize,
        /// The height property's name.
        height_property: String,
        /// The levels property's name.
        levels_property: String,
    },
    /// A feature's height is not a finite positive number of metres.
    #[error("feature {feature}: height {height_m} m must be finite and > 0")]
    NonPositiveHeight {
        /// The feature.
        feature: usize,
        /// The height found (or levels times storey height).
        height_m: f64,
    },
    /// A position has fewer than two coordinates.
    #[error("feature {feature}, ring {ring}, position {position}: fewer than 2 coordinates")]
    ShortPosition {
        /// The feature.
        feature: usize,
        /// The ring within its polygon (0: the outer ring).
        ring: usize,
        /// The position within the ring.
        position: usize,
    },
    /// A position has a NaN or infinite coordinate.
    #[error("feature {feature}, ring {ring}, position {position}: non-finite coordinate")]
    NonFinitePosition {
        /// The feature.
        feature: usize,
        /// The ring within its polygon (0: the outer ring).
        ring: usize,
        /// The position within the ring.
        position: usize,
    },
    /// A ring has fewer than three distinct positions.
    #[error("feature {feature}, ring {ring}: a ring needs at least 3 distinct positions")]
    SmallRing {
        /// The feature.
        feature: usize,
        /// The ring within its polygon (0: the outer ring).
        ring: usize,
    },
    /// The centre of the footprints' extent is not a WGS84 position.
    #[error("positions are not WGS84 longitude/latitude")]
    NotWgs84(#[source] GeoError),
    /// A footprint's position is not a WGS84 longitude and latitude.
    #[error("footprint {footprint} (GeoJSON positions are longitude, latitude)")]
    BadPosition {
        /// The footprint, counted over all polygons in document order.
        footprint: usize,
        /// Why sim-core rejected it.
        #[source]
        source: GeoError,
    },
    /// A footprint is wider than any building: most likely one of its coordinates is wrong (a
    /// latitude of 5.15 for 51.5). Extruded, it would make a scene of a country whose surface
    /// model takes minutes to build.
    #[error(
        "footprint {footprint} spans {extent_m:.0} m, more than the {limit_m:.0} m of any building (is a coordinate wrong?)"
    )]
    FootprintTooLarge {
        /// The footprint, counted over all polygons in document order.
        footprint: usize,
        /// The larger side of its bounding box in the scene frame, metres.
        extent_m: f64,
        /// The largest extent accepted, metres.
        limit_m: f64,
    },
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
    /// A pattern name is no built-in pattern, and neither an existing file nor shaped like a
    /// file name (an extension or a folder).
    #[error(
        "unknown antenna pattern \"{spec}\": expected 38901, 36814, isotropic, \
         38901-array:<rows>x<cols>[:<dv>[:<dh>]] (spacings in wavelengths) or the path of an \
         MSI/Planet file"
    )]
    UnknownPattern {
        /// The name as written.
        spec: String,
    },
    /// An array name does not follow `38901-array:<rows>x<cols>[:<dv>[:<dh>]]`: counts that are
    /// not whole numbers, spacings that are not numbers, missing or extra fields.
    #[error(
        "antenna pattern \"{spec}\" is not of the form 38901-array:<rows>x<cols>[:<dv>[:<dh>]] \
         (whole rows and columns, spacings in wavelengths, e.g. 38901-array:8x1:0.8)"
    )]
    ArraySyntax {
        /// The name as written.
        spec: String,
    },
    /// An array has no rows or no columns.
    #[error("a panel array needs at least one row and one column, got {rows}x{cols}")]
    ArrayEmpty {
        /// The rows asked for.
        rows: u64,
        /// The columns asked for.
        cols: u64,
    },
    /// An array has more elements than the model allows.
    #[error("a panel array of {rows}x{cols} elements is more than the {max} the model allows")]
    ArrayTooLarge {
        /// The rows asked for.
        rows: u64,
        /// The columns asked for.
        cols: u64,
        /// The largest element count allowed.
        max: u64,
    },
    /// An element spacing is zero, negative, infinite or not a number.
    #[error(
        "the {axis} element spacing of a panel array must be a positive finite number of \
         wavelengths, got {spacing_wl}"
    )]
    ArraySpacing {
        /// Which spacing.
        axis: ArrayAxis,
        /// The spacing asked for, wavelengths.
        spacing_wl: f64,
    },
    /// A pattern file could not be written (nothing partial is left).
    #[error("cannot write antenna pattern {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The writer's reason.
        #[source]
        reason: twin_format::FsError,
    },
}

/// The two directions of a panel array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayAxis {
    /// Along a column (between rows).
    Vertical,
    /// Along a row (between columns).
    Horizontal,
}

impl std::fmt::Display for ArrayAxis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ArrayAxis::Vertical => "vertical",
            ArrayAxis::Horizontal => "horizontal",
        })
    }
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
