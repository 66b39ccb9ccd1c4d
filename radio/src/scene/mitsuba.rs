//! Import of Mitsuba 3 XML scenes with PLY meshes, as Sionna RT ships and writes them.
//!
//! What is read:
//!
//! * `<shape type="ply">` with a `filename` (relative to the XML file) and an optional
//!   `<transform name="to_world">` (`translate`, `scale`, `rotate`, `matrix`);
//! * the shape's material: a `<ref>` to a top-level `<bsdf>`, or a `<bsdf>` inside the shape.
//!   A Sionna radio material (`type="itu-radio-material"` with a `type` string and an optional
//!   `thickness`) is used as given; a visual BSDF is mapped through its id (`mat-itu_concrete`
//!   → ITU concrete); failing that, the mesh file name (`…-itu_marble.ply`) names it.
//!
//! Cameras, emitters, integrators and other rendering elements are ignored. The header comment
//! of Sionna's files contains `--`, which strict XML forbids; it is tolerated.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nalgebra::{Matrix4, Vector4};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use sim_core::error_text::line_at;

use super::{Scene, SceneBuilder, SceneOptions, ply};
use crate::error::{MitsubaError, SceneError};
use crate::material::Material;

/// A material as the XML describes it, before it is resolved against the ITU table.
#[derive(Debug, Clone, Default)]
struct MaterialSpec {
    /// The ITU material name, if the BSDF says it outright.
    itu_type: Option<String>,
    /// The BSDF's id (`mat-itu_concrete`).
    id: Option<String>,
    /// Slab thickness, if given.
    thickness_m: Option<f64>,
}

#[derive(Debug, Clone, Default)]
struct ShapeSpec {
    id: Option<String>,
    kind: String,
    filename: Option<String>,
    material_ref: Option<String>,
    inline_material: Option<MaterialSpec>,
    to_world: Option<Matrix4<f64>>,
    line: usize,
}

/// Loads the scene at `path` with default options.
pub fn load(path: &Path) -> Result<Scene, SceneError> {
    load_with(path, SceneOptions::default())
}

/// Loads the scene at `path`.
pub fn load_with(path: &Path, options: SceneOptions) -> Result<Scene, SceneError> {
    let text = std::fs::read_to_string(path)
        .map_err(|reason| SceneError::Io { path: path.to_path_buf(), reason })?;
    let malformed = |reason| SceneError::Mitsuba { path: path.to_path_buf(), reason };
    let (bsdfs, shapes) = parse(&text).map_err(malformed)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut builder = SceneBuilder::new();
    let mut material_ids: HashMap<String, u32> = HashMap::new();
    for shape in &shapes {
        let name = shape.id.clone().unwrap_or_else(|| format!("shape at line {}", shape.line));
        if shape.kind != "ply" {
            return Err(malformed(MitsubaError::UnsupportedShape {
                line: shape.line,
                name,
                kind: shape.kind.clone(),
            }));
        }
        let Some(file) = &shape.filename else {
            return Err(malformed(MitsubaError::NoFilename { line: shape.line, name }));
        };
        let mesh_path: PathBuf = folder.join(file);
        if !mesh_path.exists() {
            return Err(SceneError::MissingMesh { scene: path.to_path_buf(), mesh: mesh_path });
        }
        let spec = match (&shape.inline_material, &shape.material_ref) {
            (Some(m), _) => m.clone(),
            (None, Some(r)) => bsdfs
                .get(r)
                .cloned()
                .unwrap_or(MaterialSpec { id: Some(r.clone()), ..MaterialSpec::default() }),
            (None, None) => MaterialSpec::default(),
        };
        let material = resolve_material(&spec, file).map_err(|e| match e {
            SceneError::UnknownMaterial { name: unknown, known } => SceneError::UnknownMaterial {
                name: format!("{unknown}\" (shape \"{name}\" in {}", path.display()),
                known,
            },
            other => other,
        })?;
        let key = format!("{}|{:?}", material.name, material.thickness_m);
        let material_idx = match material_ids.get(&key) {
            Some(&i) => i,
            None => {
                let i = builder.material(material);
                material_ids.insert(key, i);
                i
            }
        };
        let mut mesh = ply::read(&mesh_path)?;
        if let Some(m) = &shape.to_world {
            for v in &mut mesh.vertices {
                let p = m * Vector4::new(v.x, v.y, v.z, 1.0);
                *v = crate::geometry::vec3(p.x / p.w, p.y / p.w, p.z / p.w);
            }
        }
        builder.add_mesh(
            &mesh_path.display().to_string(),
            material_idx,
            mesh.vertices,
            mesh.faces,
        )?;
    }
    if shapes.is_empty() {
        return Err(malformed(MitsubaError::NoShapes));
    }
    builder.build(options)
}

/// Finds the ITU material a spec stands for.
fn resolve_material(spec: &MaterialSpec, mesh_file: &str) -> Result<Material, SceneError> {
    let material = if let Some(t) = &spec.itu_type {
        Material::itu(t)?
    } else if let Some(m) =
        spec.id.as_deref().and_then(|id| Material::itu(id.strip_prefix("mat-").unwrap_or(id)).ok())
    {
        m
    } else {
        // `…-itu_marble.ply` → `itu_marble`.
        let stem = Path::new(mesh_file).file_stem().and_then(|s| s.to_str()).unwrap_or("");
        match stem.rsplit_once('-') {
            Some((_, suffix)) => Material::itu(suffix)?,
            None => {
                let name = spec.id.clone().unwrap_or_else(|| "(none)".to_string());
                return Material::itu(&name);
            }
        }
    };
    match spec.thickness_m {
        Some(d) => material.with_thickness(d),
        None => Ok(material),
    }
}

/// The value of attribute `key` of element `e` (on `line`), normalised as XML 1.0 says.
fn attr(e: &BytesStart<'_>, key: &str, line: usize) -> Result<Option<String>, MitsubaError> {
    for a in e.attributes() {
        let a = a.map_err(|source| MitsubaError::BadAttribute { line, source })?;
        if a.key.as_ref() == key {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|source| MitsubaError::BadAttributeValue { line, source })?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The numbers of a list separated by spaces or commas, on `line`.
fn numbers(s: &str, line: usize) -> Result<Vec<f64>, MitsubaError> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| number(w, line))
        .collect()
}

/// One number, on `line`.
fn number(w: &str, line: usize) -> Result<f64, MitsubaError> {
    w.parse::<f64>().map_err(|_| MitsubaError::NotANumber { line, word: w.to_string() })
}

/// One transform step, the element `e` on `line`, as a matrix.
fn transform_step(e: &BytesStart<'_>, line: usize) -> Result<Option<Matrix4<f64>>, MitsubaError> {
    let xyz = |default: f64| -> Result<[f64; 3], MitsubaError> {
        if let Some(v) = attr(e, "value", line)? {
            let n = numbers(&v, line)?;
            return match n[..] {
                [s] => Ok([s, s, s]),
                [x, y, z] => Ok([x, y, z]),
                _ => Err(MitsubaError::VectorLength { line, value: v }),
            };
        }
        let mut out = [default; 3];
        for (k, key) in ["x", "y", "z"].iter().enumerate() {
            if let Some(v) = attr(e, key, line)? {
                out[k] = number(&v, line)?;
            }
        }
        Ok(out)
    };
    Ok(Some(match e.name().as_ref() {
        "translate" => {
            let [x, y, z] = xyz(0.0)?;
            Matrix4::new_translation(&nalgebra::Vector3::new(x, y, z))
        }
        "scale" => {
            let [x, y, z] = xyz(1.0)?;
            Matrix4::new_nonuniform_scaling(&nalgebra::Vector3::new(x, y, z))
        }
        "rotate" => {
            let [x, y, z] = xyz(0.0)?;
            let angle = attr(e, "angle", line)?.ok_or(MitsubaError::RotateWithoutAngle { line })?;
            let angle: f64 =
                angle.parse().map_err(|_| MitsubaError::BadRotateAngle { line, angle })?;
            let axis = nalgebra::Vector3::new(x, y, z);
            if axis.norm() == 0.0 {
                return Err(MitsubaError::ZeroRotateAxis { line });
            }
            let r = nalgebra::Rotation3::from_axis_angle(
                &nalgebra::Unit::new_normalize(axis),
                angle.to_radians(),
            );
            r.to_homogeneous()
        }
        "matrix" => {
            let v = attr(e, "value", line)?.ok_or(MitsubaError::MatrixWithoutValue { line })?;
            let n = numbers(&v, line)?;
            if n.len() != 16 {
                return Err(MitsubaError::MatrixSize { line, n_numbers: n.len() });
            }
            Matrix4::from_row_slice(&n)
        }
        _ => return Ok(None),
    }))
}

/// A complete `<bsdf>`: the material of the shape it is inside, or a named material for shapes
/// that refer to it.
fn finish_bsdf(
    spec: MaterialSpec,
    id: Option<String>,
    shape: Option<&mut ShapeSpec>,
    bsdfs: &mut HashMap<String, MaterialSpec>,
) {
    if let Some(s) = shape {
        s.inline_material = Some(spec);
    } else if let Some(id) = id {
        bsdfs.insert(id, spec);
    }
}

/// A `<bsdf>` being read: its id (top-level ones), what it says so far, and its depth.
struct OpenBsdf {
    id: Option<String>,
    spec: MaterialSpec,
    depth: usize,
}

/// What the parser knows between XML events.
#[derive(Default)]
struct ParseState {
    bsdfs: HashMap<String, MaterialSpec>,
    shapes: Vec<ShapeSpec>,
    /// Element path from the root, to know what a `<string>` or `<ref>` belongs to.
    path: Vec<String>,
    shape: Option<ShapeSpec>,
    /// The BSDF being read: top-level (with its id) or inline in the current shape.
    bsdf: Option<OpenBsdf>,
    in_to_world: bool,
}

impl ParseState {
    /// An element closes.
    fn close(&mut self) {
        match self.path.pop().as_deref() {
            Some("shape") => {
                if let Some(s) = self.shape.take() {
                    self.shapes.push(s);
                }
            }
            Some("bsdf") => {
                if let Some(b) = self.bsdf.take() {
                    if b.depth == self.path.len() {
                        finish_bsdf(b.spec, b.id, self.shape.as_mut(), &mut self.bsdfs);
                    } else {
                        self.bsdf = Some(b);
                    }
                }
            }
            Some("transform") => self.in_to_world = false,
            _ => {}
        }
    }

    /// An element opens (`is_empty`: and closes at once) on `line`.
    fn open(
        &mut self,
        e: &BytesStart<'_>,
        is_empty: bool,
        line: usize,
    ) -> Result<(), MitsubaError> {
        let name = e.name().as_ref().to_string();
        let depth = self.path.len();
        match name.as_str() {
            "shape" => {
                self.shape = Some(ShapeSpec {
                    id: attr(e, "id", line)?,
                    kind: attr(e, "type", line)?.unwrap_or_default(),
                    line,
                    ..ShapeSpec::default()
                });
                if is_empty && let Some(s) = self.shape.take() {
                    self.shapes.push(s);
                }
            }
            "bsdf" if self.bsdf.is_none() => {
                let id = attr(e, "id", line)?;
                let spec = MaterialSpec { id: id.clone(), ..MaterialSpec::default() };
                if is_empty {
                    finish_bsdf(spec, id, self.shape.as_mut(), &mut self.bsdfs);
                } else {
                    self.bsdf = Some(OpenBsdf { id, spec, depth });
                }
            }
            "string" | "float" => self.value(e, &name, line)?,
            "ref" => {
                if let (Some(s), None) = (self.shape.as_mut(), self.bsdf.as_ref()) {
                    let role = attr(e, "name", line)?;
                    if role.is_none() || role.as_deref() == Some("bsdf") {
                        s.material_ref = attr(e, "id", line)?;
                    }
                }
            }
            "transform"
                if self.shape.is_some()
                    && attr(e, "name", line)?.as_deref() == Some("to_world") =>
            {
                self.in_to_world = true;
                if let Some(s) = self.shape.as_mut() {
                    s.to_world = Some(Matrix4::identity());
                }
            }
            _ if self.in_to_world => {
                let step = transform_step(e, line)?;
                if let (Some(m), Some(s)) = (step, self.shape.as_mut()) {
                    // Mitsuba applies the steps in document order: each multiplies from the left.
                    s.to_world = Some(m * s.to_world.unwrap_or_else(Matrix4::identity));
                }
            }
            _ => {}
        }
        if !is_empty {
            self.path.push(name);
        }
        Ok(())
    }

    /// A `<string>` or `<float>`: a BSDF's ITU type or thickness, or a shape's file name.
    fn value(&mut self, e: &BytesStart<'_>, name: &str, line: usize) -> Result<(), MitsubaError> {
        let key = attr(e, "name", line)?.unwrap_or_default();
        let value = attr(e, "value", line)?.unwrap_or_default();
        if let Some(b) = self.bsdf.as_mut() {
            match (name, key.as_str()) {
                ("string", "type") => b.spec.itu_type = Some(value),
                ("float", "thickness") => match value.parse() {
                    Ok(d) => b.spec.thickness_m = Some(d),
                    Err(_) => return Err(MitsubaError::BadThickness { line, value }),
                },
                _ => {}
            }
        } else if let Some(s) = self.shape.as_mut()
            && name == "string"
            && key == "filename"
        {
            s.filename = Some(value);
        }
        Ok(())
    }
}

/// Parses the XML into top-level BSDFs (by id) and shapes.
fn parse(text: &str) -> Result<(HashMap<String, MaterialSpec>, Vec<ShapeSpec>), MitsubaError> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut st = ParseState::default();
    // quick-xml's positions are bytes, not always on a character boundary (a byte-order mark
    // shifts them): lines are counted on the bytes.
    let line_of = |pos: u64| line_at(text, usize::try_from(pos).unwrap_or(usize::MAX));
    // An element's event starts where the previous one ended, before the whitespace that
    // trimming dropped; its line is that of its `<`.
    let tag_line = |pos: u64| {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
        line_at(
            text,
            text.as_bytes()[pos..].iter().position(|&b| b == b'<').map_or(pos, |k| pos + k),
        )
    };
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|source| MitsubaError::Xml {
            line: line_of(reader.error_position()),
            source,
        })?;
        match &event {
            Event::Start(e) => st.open(e, false, tag_line(pos))?,
            Event::Empty(e) => st.open(e, true, tag_line(pos))?,
            Event::End(_) => st.close(),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((st.bsdfs, st.shapes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "<!--\n-- SPDX comment lines that strict XML rejects\n  -->\n";

    #[test]
    fn reads_shapes_materials_and_transforms() {
        let xml = format!(
            "{HEADER}<scene version=\"2.1.0\">\n\
             <bsdf type=\"twosided\" id=\"mat-itu_concrete\"><bsdf type=\"diffuse\"><rgb value=\"1 1 1\" name=\"reflectance\"/></bsdf></bsdf>\n\
             <bsdf type=\"itu-radio-material\" id=\"walls\"><string name=\"type\" value=\"brick\"/><float name=\"thickness\" value=\"0.2\"/></bsdf>\n\
             <shape type=\"ply\" id=\"a\"><string name=\"filename\" value=\"meshes/a.ply\"/><ref id=\"mat-itu_concrete\" name=\"bsdf\"/></shape>\n\
             <shape type=\"ply\" id=\"b\"><string name=\"filename\" value=\"meshes/b-itu_glass.ply\"/>\
               <transform name=\"to_world\"><scale value=\"2\"/><translate x=\"1\" y=\"0\" z=\"0\"/></transform><ref id=\"walls\"/></shape>\n\
             <shape type=\"ply\" id=\"c\"><string name=\"filename\" value=\"meshes/c-itu_glass.ply\"/></shape>\n\
             </scene>"
        );
        let (bsdfs, shapes) = parse(&xml).unwrap();
        assert_eq!(shapes.len(), 3);
        assert_eq!(shapes[0].material_ref.as_deref(), Some("mat-itu_concrete"));
        assert_eq!(bsdfs["walls"].itu_type.as_deref(), Some("brick"));
        assert_eq!(bsdfs["walls"].thickness_m, Some(0.2));
        let m = shapes[1].to_world.unwrap();
        let p = m * Vector4::new(1.0, 1.0, 1.0, 1.0);
        assert_eq!((p.x, p.y, p.z), (3.0, 2.0, 2.0), "scale first, then translate");
        let brick = resolve_material(&bsdfs["walls"], "meshes/b-itu_glass.ply").unwrap();
        assert_eq!((brick.name.as_str(), brick.thickness_m), ("brick", Some(0.2)));
        let concrete = resolve_material(&bsdfs["mat-itu_concrete"], "meshes/a.ply").unwrap();
        assert_eq!(concrete.name, "concrete");
        let glass = resolve_material(&MaterialSpec::default(), "meshes/c-itu_glass.ply").unwrap();
        assert_eq!(glass.name, "glass");
    }

    #[test]
    fn errors_after_a_byte_order_mark_name_their_line() {
        let e = parse("\u{feff}  </scene>\n").unwrap_err();
        assert!(matches!(e, MitsubaError::Xml { line: 1, .. }), "{e:?}");
        let e = parse("\u{feff}<scene>\n<shape type=\"ply\"></scene>").unwrap_err();
        assert!(matches!(e, MitsubaError::Xml { line: 2, .. }), "{e:?}");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse("<scene>\n<shape type=\"ply\"></scene>").unwrap_err();
        assert!(matches!(e, MitsubaError::Xml { line: 2, .. }), "{e:?}");
        let e = parse("<scene><shape type=\"ply\"><transform name=\"to_world\">\n<rotate x=\"1\"/></transform></shape></scene>").unwrap_err();
        assert!(matches!(e, MitsubaError::RotateWithoutAngle { line: 2 }), "{e:?}");
        let e = parse("<scene><bsdf type=\"itu-radio-material\" id=\"w\"><float name=\"thickness\" value=\"thick\"/></bsdf></scene>").unwrap_err();
        assert_eq!(e.to_string(), "line 1: thickness \"thick\" is not a number");
        let err =
            resolve_material(&MaterialSpec::default(), "meshes/thing-itu_cheese.ply").unwrap_err();
        assert!(err.to_string().contains("itu_cheese"), "{err}");
        let dir = std::env::temp_dir().join(format!("twin-mitsuba-missing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let xml = dir.join("scene.xml");
        std::fs::write(&xml, "<scene><shape type=\"ply\" id=\"x\"><string name=\"filename\" value=\"meshes/gone.ply\"/></shape></scene>").unwrap();
        let err = load(&xml).unwrap_err();
        assert!(matches!(err, SceneError::MissingMesh { .. }), "{err}");
        assert!(err.to_string().contains("gone.ply"));
        // Malformed XML: quick-xml's error is kept, and the message shows it once, after the
        // file and the line.
        std::fs::write(&xml, "<scene>\n<shape type=\"ply\"></scene>").unwrap();
        let err = load(&xml).unwrap_err();
        let SceneError::Mitsuba { reason: reason @ MitsubaError::Xml { line: 2, .. }, .. } = &err
        else {
            panic!("{err:?}")
        };
        let cause = std::error::Error::source(reason).unwrap().to_string();
        let text = err.to_string();
        assert!(text.ends_with(&format!("scene.xml: line 2: {cause}")), "{text}");
        assert_eq!(text.matches("expected `</shape>`").count(), 1, "{text}");
        assert!(std::error::Error::source(&err).is_none(), "nothing more to print: {text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
