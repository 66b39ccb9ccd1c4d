//! A reader for PLY triangle meshes: binary little-endian (what Blender and Sionna RT write) and
//! ASCII. Vertex positions come from the `x`, `y`, `z` properties; faces from the
//! `vertex_indices` (or `vertex_index`) list, with polygons split into fans. Every other element
//! and property is read past. Errors ([`PlyError`]) say what was expected and where: the header
//! line, the vertex or face, the byte of the body.

use std::path::Path;

use crate::error::{PlyError, PlyItem, SceneError};
use crate::geometry::{Vec3, vec3};

/// A mesh as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct PlyMesh {
    /// Vertex positions.
    pub vertices: Vec<Vec3>,
    /// Triangles as vertex indices.
    pub faces: Vec<[u32; 3]>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Scalar {
    fn parse(name: &str) -> Option<Scalar> {
        Some(match name {
            "char" | "int8" => Scalar::I8,
            "uchar" | "uint8" => Scalar::U8,
            "short" | "int16" => Scalar::I16,
            "ushort" | "uint16" => Scalar::U16,
            "int" | "int32" => Scalar::I32,
            "uint" | "uint32" => Scalar::U32,
            "float" | "float32" => Scalar::F32,
            "double" | "float64" => Scalar::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::F64 => 8,
        }
    }
}

#[derive(Debug, Clone)]
enum Property {
    Scalar { name: String, ty: Scalar },
    List { name: String, count: Scalar, item: Scalar },
}

#[derive(Debug, Clone)]
struct Element {
    name: String,
    count: usize,
    properties: Vec<Property>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Ascii,
    BinaryLe,
}

/// Reads the PLY file at `path`.
pub fn read(path: &Path) -> Result<PlyMesh, SceneError> {
    let bytes = std::fs::read(path)
        .map_err(|reason| SceneError::Io { path: path.to_path_buf(), reason })?;
    parse(&bytes).map_err(|reason| SceneError::Ply { path: path.to_path_buf(), reason })
}

/// Parses PLY data held in memory.
pub fn parse(bytes: &[u8]) -> Result<PlyMesh, PlyError> {
    let (format, elements, body_start) = header(bytes)?;
    let body = &bytes[body_start.min(bytes.len())..];
    let mut reader = match format {
        Format::BinaryLe => Reader::Binary { bytes: body, pos: 0 },
        Format::Ascii => Reader::Ascii {
            words: std::str::from_utf8(body).map_err(PlyError::BodyNotText)?.split_whitespace(),
            body_len: body.len(),
        },
    };
    let mut mesh = PlyMesh { vertices: vec![], faces: vec![] };
    let mut saw_vertices = false;
    let mut saw_faces = false;
    for el in &elements {
        match el.name.as_str() {
            "vertex" => {
                saw_vertices = true;
                read_vertices(el, &mut reader, &mut mesh)?;
            }
            "face" => {
                saw_faces = true;
                read_faces(el, &mut reader, &mut mesh)?;
            }
            _ => skip_element(el, &mut reader)?,
        }
    }
    if !saw_vertices {
        return Err(PlyError::NoVertexElement);
    }
    if !saw_faces {
        return Err(PlyError::NoFaceElement);
    }
    Ok(mesh)
}

/// The header: the body's format, the elements in order, and where the body starts.
fn header(bytes: &[u8]) -> Result<(Format, Vec<Element>, usize), PlyError> {
    const END: &[u8] = b"end_header";
    if !bytes.starts_with(b"ply") {
        return Err(PlyError::NoMagic);
    }
    let end = bytes.windows(END.len()).position(|w| w == END).ok_or(PlyError::NoEndHeader)?;
    // The body starts after the end of the end_header line (LF or CRLF).
    let mut body_start = end + END.len();
    while body_start < bytes.len() && bytes[body_start] != b'\n' {
        body_start += 1;
    }
    body_start += 1;
    let header = std::str::from_utf8(&bytes[..end]).map_err(PlyError::HeaderNotText)?;
    let mut format = None;
    let mut elements: Vec<Element> = Vec::new();
    for (line_no, line) in header.lines().enumerate().skip(1) {
        header_line(line, line_no + 1, &mut format, &mut elements)?;
    }
    let format = format.ok_or(PlyError::NoFormat)?;
    Ok((format, elements, body_start))
}

/// One header line (number `n`): a format, an element, or a property of the last element.
fn header_line(
    line: &str,
    n: usize,
    format: &mut Option<Format>,
    elements: &mut Vec<Element>,
) -> Result<(), PlyError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [] | ["comment", ..] | ["obj_info", ..] => {}
        ["format", "binary_little_endian", _] => *format = Some(Format::BinaryLe),
        ["format", "ascii", _] => *format = Some(Format::Ascii),
        ["format", other, ..] => {
            return Err(PlyError::UnsupportedFormat { format: other.to_string() });
        }
        ["element", name, count] => {
            let count = count
                .parse()
                .map_err(|_| PlyError::BadElementCount { line: n, count: count.to_string() })?;
            elements.push(Element { name: name.to_string(), count, properties: vec![] });
        }
        ["property", "list", count, item, name] => {
            let (Some(count), Some(item)) = (Scalar::parse(count), Scalar::parse(item)) else {
                return Err(PlyError::UnknownListType { line: n, text: line.to_string() });
            };
            last_properties(elements, n)?.push(Property::List {
                name: name.to_string(),
                count,
                item,
            });
        }
        ["property", ty, name] => {
            let ty = Scalar::parse(ty)
                .ok_or_else(|| PlyError::UnknownPropertyType { line: n, ty: ty.to_string() })?;
            last_properties(elements, n)?.push(Property::Scalar { name: name.to_string(), ty });
        }
        _ => return Err(PlyError::BadHeaderLine { line: n, text: line.to_string() }),
    }
    Ok(())
}

/// The properties of the element declared last (header line `n` adds one to it).
fn last_properties(elements: &mut [Element], n: usize) -> Result<&mut Vec<Property>, PlyError> {
    elements
        .last_mut()
        .map(|e| &mut e.properties)
        .ok_or(PlyError::PropertyBeforeElement { line: n })
}

/// The vertex element's x, y and z (other properties are read and dropped).
fn read_vertices(
    el: &Element,
    reader: &mut Reader<'_>,
    mesh: &mut PlyMesh,
) -> Result<(), PlyError> {
    let pos: Vec<Option<usize>> = ["x", "y", "z"]
        .iter()
        .map(|axis| {
            el.properties
                .iter()
                .position(|p| matches!(p, Property::Scalar { name, .. } if name == axis))
        })
        .collect();
    let [Some(px), Some(py), Some(pz)] = pos[..] else {
        return Err(PlyError::MissingCoordinate);
    };
    mesh.vertices.reserve(reader.capacity_for(el.count));
    let mut values = vec![0.0; el.properties.len()];
    for i in 0..el.count {
        let err = |e: ValueError| e.at(PlyItem::Vertex(i));
        for (k, p) in el.properties.iter().enumerate() {
            match p {
                Property::Scalar { ty, .. } => values[k] = reader.scalar(*ty).map_err(err)?,
                Property::List { count, item, .. } => {
                    let n = reader.scalar(*count).map_err(err)?;
                    for _ in 0..list_len(n)? {
                        reader.scalar(*item).map_err(err)?;
                    }
                }
            }
        }
        mesh.vertices.push(vec3(values[px], values[py], values[pz]));
    }
    Ok(())
}

/// The face element's vertex lists, fanned into triangles (other properties are dropped).
fn read_faces(el: &Element, reader: &mut Reader<'_>, mesh: &mut PlyMesh) -> Result<(), PlyError> {
    let list = el
        .properties
        .iter()
        .position(|p| matches!(p, Property::List { name, .. } if name == "vertex_indices" || name == "vertex_index"))
        .ok_or(PlyError::NoVertexList)?;
    mesh.faces.reserve(reader.capacity_for(el.count));
    let mut poly: Vec<u32> = Vec::with_capacity(4);
    for f in 0..el.count {
        for (k, p) in el.properties.iter().enumerate() {
            let err = |e: ValueError| e.at(PlyItem::Face(f));
            match p {
                Property::Scalar { ty, .. } => {
                    reader.scalar(*ty).map_err(err)?;
                }
                Property::List { count, item, .. } => {
                    let n = list_len(reader.scalar(*count).map_err(err)?)?;
                    poly.clear();
                    for _ in 0..n {
                        let v = reader.scalar(*item).map_err(err)?;
                        if k == list {
                            if !(v >= 0.0 && v <= f64::from(u32::MAX)) {
                                return Err(PlyError::BadVertexIndex { face: f, index: v });
                            }
                            poly.push(v as u32);
                        }
                    }
                    if k == list {
                        fan(f, &poly, &mut mesh.faces)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Face `f`'s polygon as a fan of triangles from its first vertex.
fn fan(f: usize, poly: &[u32], faces: &mut Vec<[u32; 3]>) -> Result<(), PlyError> {
    if poly.len() < 3 {
        return Err(PlyError::SmallFace { face: f, n_vertices: poly.len() });
    }
    for j in 1..poly.len() - 1 {
        faces.push([poly[0], poly[j], poly[j + 1]]);
    }
    Ok(())
}

/// Reads an element the mesh does not use, so that the next one starts where it should.
fn skip_element(el: &Element, reader: &mut Reader<'_>) -> Result<(), PlyError> {
    // An element without properties takes no room in the body, however many the header
    // declares: counting through 2^64 of them would never end.
    if el.properties.is_empty() {
        return Ok(());
    }
    let err = |e: ValueError| e.at(PlyItem::Element(el.name.clone()));
    for _ in 0..el.count {
        for p in &el.properties {
            match p {
                Property::Scalar { ty, .. } => {
                    reader.scalar(*ty).map_err(err)?;
                }
                Property::List { count, item, .. } => {
                    let n = list_len(reader.scalar(*count).map_err(err)?)?;
                    for _ in 0..n {
                        reader.scalar(*item).map_err(err)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A list length read from the body, if it is a plausible one (below a million).
fn list_len(n: f64) -> Result<usize, PlyError> {
    if (0.0..1e6).contains(&n) {
        Ok(n as usize)
    } else {
        Err(PlyError::BadListLength { length: n })
    }
}

/// Why one value of the body could not be read, before the caller says which item it was in.
#[derive(Debug)]
enum ValueError {
    /// The body ended; at this byte for a binary body.
    EndsEarly { offset: Option<usize> },
    /// An ASCII word that is not a number.
    NotANumber { word: String },
}

impl ValueError {
    /// The error as found while reading `item`.
    fn at(self, item: PlyItem) -> PlyError {
        match self {
            ValueError::EndsEarly { offset } => PlyError::EndsEarly { item, offset },
            ValueError::NotANumber { word } => PlyError::NotANumber { item, word },
        }
    }
}

enum Reader<'a> {
    Binary { bytes: &'a [u8], pos: usize },
    Ascii { words: std::str::SplitWhitespace<'a>, body_len: usize },
}

impl Reader<'_> {
    /// How many of `count` declared records to reserve room for: no more than the body has
    /// bytes left, since every record with a property takes at least one. The header's count
    /// is the file's word; a count of 10^19 must be an error at the end of the body, not an
    /// allocation of that many vertices.
    fn capacity_for(&self, count: usize) -> usize {
        let left = match self {
            Reader::Binary { bytes, pos } => bytes.len().saturating_sub(*pos),
            Reader::Ascii { body_len, .. } => *body_len,
        };
        count.min(left)
    }

    /// The next value of type `ty`, as a number.
    fn scalar(&mut self, ty: Scalar) -> Result<f64, ValueError> {
        match self {
            Reader::Binary { bytes, pos } => {
                let n = ty.size();
                let Some(b) = bytes.get(*pos..*pos + n) else {
                    return Err(ValueError::EndsEarly { offset: Some(*pos) });
                };
                *pos += n;
                Ok(match ty {
                    Scalar::I8 => f64::from(b[0] as i8),
                    Scalar::U8 => f64::from(b[0]),
                    Scalar::I16 => f64::from(i16::from_le_bytes([b[0], b[1]])),
                    Scalar::U16 => f64::from(u16::from_le_bytes([b[0], b[1]])),
                    Scalar::I32 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    Scalar::U32 => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    Scalar::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    Scalar::F64 => {
                        f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
                    }
                })
            }
            Reader::Ascii { words, .. } => {
                let w = words.next().ok_or(ValueError::EndsEarly { offset: None })?;
                w.parse::<f64>().map_err(|_| ValueError::NotANumber { word: w.to_string() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary_quad() -> Vec<u8> {
        let mut b = b"ply\nformat binary_little_endian 1.0\ncomment made by a test\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\nproperty float u\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n".to_vec();
        for v in [[0.0f32, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]] {
            for c in v {
                b.extend_from_slice(&c.to_le_bytes());
            }
            b.extend_from_slice(&0.5f32.to_le_bytes());
        }
        b.push(4);
        for i in 0..4i32 {
            b.extend_from_slice(&i.to_le_bytes());
        }
        b
    }

    #[test]
    fn reads_binary_and_splits_quads() {
        let mesh = parse(&binary_quad()).unwrap();
        assert_eq!(mesh.vertices.len(), 4);
        assert_eq!(mesh.faces, vec![[0, 1, 2], [0, 2, 3]]);
        assert_eq!(mesh.vertices[2], vec3(1.0, 1.0, 0.0));
    }

    #[test]
    fn reads_ascii() {
        let text = b"ply\nformat ascii 1.0\nelement vertex 3\nproperty double x\nproperty double y\nproperty double z\nelement face 1\nproperty list uchar uint vertex_index\nend_header\n0 0 0\n1 0 0\n0 1 2.5\n3 0 1 2\n";
        let mesh = parse(text).unwrap();
        assert_eq!(mesh.faces, vec![[0, 1, 2]]);
        assert_eq!(mesh.vertices[2].z, 2.5);
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        let err = |bytes: &[u8]| parse(bytes).unwrap_err();
        let mut truncated = binary_quad();
        truncated.truncate(truncated.len() - 3);
        let e = err(&truncated);
        assert!(
            matches!(e, PlyError::EndsEarly { item: PlyItem::Face(0), offset: Some(_) }),
            "{e}"
        );
        assert!(e.to_string().contains("face 0: the file ends early (at byte"), "{e}");
        assert!(matches!(err(b"not a ply"), PlyError::NoMagic));
        assert!(err(b"not a ply").to_string().contains("magic"));
        let e = err(b"ply\nformat binary_big_endian 1.0\nend_header\n");
        assert!(e.to_string().contains("binary_big_endian"), "{e}");
        let e = err(b"ply\nformat ascii 1.0\nelement vertex one\nend_header\n");
        assert!(matches!(e, PlyError::BadElementCount { line: 3, .. }), "{e}");
        let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n0\n");
        assert!(e.to_string().contains("x, y or z"), "{e}");
        let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 zero\n");
        assert!(e.to_string().contains("vertex 0: \"zero\" is not a number"), "{e}");
        let e = err(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n2 0 0\n");
        assert!(matches!(e, PlyError::SmallFace { face: 0, n_vertices: 2 }), "{e}");
        assert!(e.to_string().contains("at least 3"), "{e}");
        let err = read(Path::new("/nonexistent/mesh.ply")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/mesh.ply"), "{err}");
    }

    #[test]
    fn declared_counts_are_not_trusted() {
        // 2^64 - 1 vertices in a header over a body of four bytes: the body ends early, with
        // no allocation of 2^64 vertices first.
        let huge = b"ply\nformat binary_little_endian 1.0\nelement vertex 18446744073709551615\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n\0\0\0\0";
        let e = parse(huge).unwrap_err();
        assert!(matches!(e, PlyError::EndsEarly { item: PlyItem::Vertex(0), .. }), "{e}");
        // As many records of an element without properties: they take no room, so the mesh
        // after them is read, at once.
        let empty = b"ply\nformat ascii 1.0\nelement padding 18446744073709551615\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n";
        assert_eq!(parse(empty).unwrap().faces, vec![[0, 1, 2]]);
    }

    #[test]
    fn the_scene_error_names_the_file_and_the_reason_once() {
        let dir = std::env::temp_dir().join(format!("twin-ply-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.ply");
        std::fs::write(&file, b"ply\n\xff\nend_header\n").unwrap();
        let e = read(&file).unwrap_err();
        let text = e.to_string();
        assert!(matches!(&e, SceneError::Ply { reason: PlyError::HeaderNotText(_), .. }), "{e}");
        assert!(text.contains("bad.ply: the header is not text: invalid utf-8"), "{text}");
        // The whole message is the top-level error's: a printer that walks the chain adds
        // nothing and repeats nothing.
        assert!(std::error::Error::source(&e).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
