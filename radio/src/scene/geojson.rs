//! Import of building footprints from GeoJSON (RFC 7946): each `Polygon` or `MultiPolygon`
//! feature is extruded from the ground (z = 0) to its height into walls and a flat roof, and a
//! ground plane is laid under the whole area.
//!
//! Coordinates are WGS84 longitude/latitude (the RFC's only coordinate system), converted to a
//! local east-north-up frame whose origin is given or, by default, the centre of the data's
//! bounding box. Files already in local metres can say so with [`Coordinates::LocalMetres`].
//!
//! Heights come from a numeric feature property (`height` by default; numbers or numeric strings
//! such as `"12.5"` or `"12.5 m"`), or from a number of levels times a storey height, or from a
//! default. A feature may name its wall material in a `material` property (an ITU-R P.2040 name).

use std::path::Path;

use geojson::{GeoJson, GeometryValue};
use sim_core::geo::{GeoPoint, LocalFrame};

use super::{Scene, SceneBuilder, SceneOptions};
use crate::error::{GeoJsonError, SceneError};
use crate::geometry::{Vec3, vec3};
use crate::material::Material;

/// How positions in the file are to be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Coordinates {
    /// Longitude, latitude in degrees (RFC 7946).
    Wgs84,
    /// Already local `x`, `y` in metres.
    LocalMetres,
}

/// Options for [`load`].
#[derive(Debug, Clone)]
pub struct GeoJsonOptions {
    /// How to read positions.
    pub coordinates: Coordinates,
    /// Origin of the local frame for WGS84 data; `None` centres it on the data.
    pub origin: Option<GeoPoint>,
    /// The property holding a building's height in metres.
    pub height_property: String,
    /// The property holding a number of storeys, used when there is no height.
    pub levels_property: String,
    /// Metres per storey.
    pub storey_m: f64,
    /// Height of a building that has neither a height nor a number of storeys; `None` makes
    /// that an error.
    pub default_height_m: Option<f64>,
    /// Wall material unless a feature names its own.
    pub wall_material: Material,
    /// Roof material.
    pub roof_material: Material,
    /// Ground material.
    pub ground_material: Material,
    /// How far the ground extends beyond the buildings, metres.
    pub ground_margin_m: f64,
    /// Scene-building options.
    pub scene: SceneOptions,
}

impl Default for GeoJsonOptions {
    fn default() -> Self {
        GeoJsonOptions {
            coordinates: Coordinates::Wgs84,
            origin: None,
            height_property: "height".into(),
            levels_property: "building:levels".into(),
            storey_m: 3.0,
            default_height_m: None,
            wall_material: Material::itu("concrete").expect("concrete is in the ITU table"),
            roof_material: Material::itu("concrete").expect("concrete is in the ITU table"),
            ground_material: Material::itu("medium_dry_ground")
                .expect("ground is in the ITU table"),
            ground_margin_m: 50.0,
            scene: SceneOptions::default(),
        }
    }
}

/// A scene built from GeoJSON, with the frame it is expressed in.
#[derive(Debug, Clone)]
pub struct GeoJsonScene {
    /// The extruded buildings and the ground.
    pub scene: Scene,
    /// The local frame's origin for WGS84 input; `None` for local-metre input.
    pub origin: Option<GeoPoint>,
    /// The number of buildings extruded.
    pub n_buildings: usize,
}

/// Reads and extrudes the footprints in `path`.
pub fn load(path: &Path, options: &GeoJsonOptions) -> Result<GeoJsonScene, SceneError> {
    let text = std::fs::read_to_string(path)
        .map_err(|reason| SceneError::Io { path: path.to_path_buf(), reason })?;
    from_str(&text, options).map_err(|e| match e {
        SceneError::GeoJson { reason, .. } => {
            SceneError::GeoJson { path: path.to_path_buf(), reason }
        }
        other => other,
    })
}

/// One footprint: outer ring then holes, in local metres, and its height and wall material.
struct Footprint {
    rings: Vec<Vec<[f64; 2]>>,
    height_m: f64,
    wall: Option<Material>,
}

/// A footprint as the file gives it: rings in the file's coordinates (longitude, latitude or
/// metres), its height and optional wall material, before the local frame.
struct RawFootprint {
    rings: Vec<Vec<[f64; 2]>>,
    height_m: f64,
    wall: Option<Material>,
}

/// A GeoJSON error in a document without a file; [`load`] names the file.
fn geo_err(reason: GeoJsonError) -> SceneError {
    SceneError::GeoJson { path: "(memory)".into(), reason }
}

fn number(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => {
            let s = s.trim().trim_end_matches('m').trim();
            s.parse().ok()
        }
        _ => None,
    }
}

/// Extrudes the footprints in a GeoJSON document held in memory.
pub fn from_str(text: &str, options: &GeoJsonOptions) -> Result<GeoJsonScene, SceneError> {
    let doc: GeoJson = text.parse().map_err(|e| geo_err(GeoJsonError::Syntax(e)))?;
    let features = match doc {
        GeoJson::FeatureCollection(fc) => fc.features,
        GeoJson::Feature(f) => vec![f],
        GeoJson::Geometry(_) => {
            return Err(geo_err(GeoJsonError::BareGeometry));
        }
    };
    // Collect raw rings (lon/lat or metres) with their heights first, to centre the frame.
    let mut raw: Vec<RawFootprint> = Vec::new();
    for (idx, feature) in features.iter().enumerate() {
        raw.extend(raw_footprints(idx, feature, options)?);
    }
    if raw.is_empty() {
        return Err(geo_err(GeoJsonError::NoFootprints));
    }
    let (frame, origin) = local_frame(&raw, options)?;
    let footprints = to_local(raw, frame.as_ref())?;
    let n_buildings = footprints.len();
    Ok(GeoJsonScene { scene: extrude(&footprints, options)?, origin, n_buildings })
}

/// The building footprints of one feature (none for points and lines).
fn raw_footprints(
    idx: usize,
    feature: &geojson::Feature,
    options: &GeoJsonOptions,
) -> Result<Vec<RawFootprint>, SceneError> {
    let Some(geometry) = &feature.geometry else { return Ok(Vec::new()) };
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match &geometry.value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        // Points and lines (street furniture, roads) are not buildings.
        _ => return Ok(Vec::new()),
    };
    let props = feature.properties.as_ref();
    let height_m = feature_height(idx, props, options)?;
    let wall = match props.and_then(|p| p.get("material")).and_then(|v| v.as_str()) {
        Some(name) => Some(Material::itu(name)?),
        None => None,
    };
    let mut out = Vec::with_capacity(polygons.len());
    // A polygon without rings is an empty geometry, which RFC 7946 (3.1) lets a reader take
    // as none: it has no footprint to extrude.
    for poly in polygons.into_iter().filter(|p| !p.is_empty()) {
        let rings = poly
            .iter()
            .enumerate()
            .map(|(r, ring)| ring_points(idx, r, ring))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(RawFootprint { rings, height_m, wall: wall.clone() });
    }
    Ok(out)
}

/// A feature's height: its height property, its levels times the storey height, or the
/// default; finite and positive.
fn feature_height(
    idx: usize,
    props: Option<&geojson::JsonObject>,
    options: &GeoJsonOptions,
) -> Result<f64, SceneError> {
    let prop = |key: &str| props.and_then(|p| p.get(key));
    let height = if let Some(v) = prop(&options.height_property) {
        number(v).ok_or_else(|| {
            geo_err(GeoJsonError::BadHeight {
                feature: idx,
                property: options.height_property.clone(),
                value: v.clone(),
            })
        })?
    } else if let Some(v) = prop(&options.levels_property) {
        let levels = number(v).ok_or_else(|| {
            geo_err(GeoJsonError::BadLevels {
                feature: idx,
                property: options.levels_property.clone(),
                value: v.clone(),
            })
        })?;
        levels * options.storey_m
    } else if let Some(h) = options.default_height_m {
        h
    } else {
        return Err(geo_err(GeoJsonError::NoHeight {
            feature: idx,
            height_property: options.height_property.clone(),
            levels_property: options.levels_property.clone(),
        }));
    };
    if !(height.is_finite() && height > 0.0) {
        return Err(geo_err(GeoJsonError::NonPositiveHeight { feature: idx, height_m: height }));
    }
    Ok(height)
}

/// Ring `r` of feature `idx` as distinct points (the closing repeat dropped).
fn ring_points(
    idx: usize,
    r: usize,
    ring: &[geojson::Position],
) -> Result<Vec<[f64; 2]>, SceneError> {
    let mut pts: Vec<[f64; 2]> = Vec::with_capacity(ring.len());
    for (k, pos) in ring.iter().enumerate() {
        let (Some(&x), Some(&y)) = (pos.as_slice().first(), pos.as_slice().get(1)) else {
            return Err(geo_err(GeoJsonError::ShortPosition {
                feature: idx,
                ring: r,
                position: k,
            }));
        };
        if !(x.is_finite() && y.is_finite()) {
            return Err(geo_err(GeoJsonError::NonFinitePosition {
                feature: idx,
                ring: r,
                position: k,
            }));
        }
        pts.push([x, y]);
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return Err(geo_err(GeoJsonError::SmallRing { feature: idx, ring: r }));
    }
    Ok(pts)
}

/// The local frame of WGS84 positions (the given origin, or the centre of the footprints'
/// extent); none for local metres.
fn local_frame(
    raw: &[RawFootprint],
    options: &GeoJsonOptions,
) -> Result<(Option<LocalFrame>, Option<GeoPoint>), SceneError> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for fp in raw {
        for p in fp.rings.iter().flatten() {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
    }
    Ok(match options.coordinates {
        Coordinates::LocalMetres => (None, None),
        Coordinates::Wgs84 => {
            let origin = match options.origin {
                Some(o) => o,
                None => GeoPoint::new(0.5 * (lo[1] + hi[1]), 0.5 * (lo[0] + hi[0]), 0.0)
                    .map_err(|e| geo_err(GeoJsonError::NotWgs84(e)))?,
            };
            (Some(LocalFrame::new(origin)), Some(origin))
        }
    })
}

/// The largest side of a footprint's bounding box, metres: ten times the largest buildings
/// (airport terminals, factories of a kilometre or two), well short of a city's extent.
pub const MAX_FOOTPRINT_M: f64 = 10_000.0;

/// The larger side of the bounding box of `rings`, metres.
fn extent_m(rings: &[Vec<[f64; 2]>]) -> f64 {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in rings.iter().flatten() {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    (hi[0] - lo[0]).max(hi[1] - lo[1])
}

/// The footprints in scene metres, each no wider than [`MAX_FOOTPRINT_M`].
fn to_local(
    raw: Vec<RawFootprint>,
    frame: Option<&LocalFrame>,
) -> Result<Vec<Footprint>, SceneError> {
    let mut footprints = Vec::with_capacity(raw.len());
    for (i, fp) in raw.into_iter().enumerate() {
        let rings = fp
            .rings
            .into_iter()
            .map(|ring| {
                ring.into_iter()
                    .map(|[x, y]| match frame {
                        None => Ok([x, y]),
                        Some(f) => {
                            let p = GeoPoint::new(y, x, 0.0).map_err(|source| {
                                geo_err(GeoJsonError::BadPosition { footprint: i, source })
                            })?;
                            let e = f.to_enu(&p);
                            Ok([e.east_m, e.north_m])
                        }
                    })
                    .collect::<Result<Vec<_>, SceneError>>()
            })
            .collect::<Result<Vec<_>, SceneError>>()?;
        let extent = extent_m(&rings);
        if extent > MAX_FOOTPRINT_M {
            return Err(geo_err(GeoJsonError::FootprintTooLarge {
                footprint: i,
                extent_m: extent,
                limit_m: MAX_FOOTPRINT_M,
            }));
        }
        footprints.push(Footprint { rings, height_m: fp.height_m, wall: fp.wall });
    }
    Ok(footprints)
}

/// The scene: each footprint's walls and its roof (triangulated with holes), over a ground
/// rectangle around them all.
fn extrude(footprints: &[Footprint], options: &GeoJsonOptions) -> Result<Scene, SceneError> {
    let mut builder = SceneBuilder::new();
    let roof = builder.material(options.roof_material.clone());
    let default_wall = builder.material(options.wall_material.clone());
    let ground = builder.material(options.ground_material.clone());
    let (mut xmin, mut ymin, mut xmax, mut ymax) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut earcut = earcut::Earcut::new();
    for (i, fp) in footprints.iter().enumerate() {
        let wall = match &fp.wall {
            Some(m) => builder.material(m.clone()),
            None => default_wall,
        };
        let (walls_v, walls_f) = extrude_walls(&fp.rings, fp.height_m);
        builder.add_mesh(&format!("building {i} walls"), wall, walls_v, walls_f)?;
        let flat: Vec<[f64; 2]> = fp.rings.iter().flatten().copied().collect();
        let mut holes = Vec::new();
        let mut acc = 0u32;
        // Each ring but the last starts a hole where it ends (earcut's hole offsets).
        let before_last = fp.rings.split_last().map_or(&[][..], |(_, rest)| rest);
        for ring in before_last {
            acc += ring.len() as u32;
            holes.push(acc);
        }
        let mut tris: Vec<u32> = Vec::new();
        earcut.earcut(flat.iter().copied(), &holes, &mut tris);
        let roof_v: Vec<Vec3> = flat.iter().map(|p| vec3(p[0], p[1], fp.height_m)).collect();
        let roof_f: Vec<[u32; 3]> = tris.chunks_exact(3).map(|t| [t[0], t[1], t[2]]).collect();
        if !roof_f.is_empty() {
            builder.add_mesh(&format!("building {i} roof"), roof, roof_v, roof_f)?;
        }
        for p in &flat {
            xmin = xmin.min(p[0]);
            xmax = xmax.max(p[0]);
            ymin = ymin.min(p[1]);
            ymax = ymax.max(p[1]);
        }
    }
    let m = options.ground_margin_m.max(0.0);
    builder.add_mesh(
        "ground",
        ground,
        vec![
            vec3(xmin - m, ymin - m, 0.0),
            vec3(xmax + m, ymin - m, 0.0),
            vec3(xmax + m, ymax + m, 0.0),
            vec3(xmin - m, ymax + m, 0.0),
        ],
        vec![[0, 1, 2], [0, 2, 3]],
    )?;
    builder.build(options.scene)
}

/// Vertical wall quads from z = 0 to `height_m` along every ring edge.
pub(crate) fn extrude_walls(rings: &[Vec<[f64; 2]>], height_m: f64) -> (Vec<Vec3>, Vec<[u32; 3]>) {
    let mut v = Vec::new();
    let mut f = Vec::new();
    for ring in rings {
        for k in 0..ring.len() {
            let a = ring[k];
            let b = ring[(k + 1) % ring.len()];
            let base = v.len() as u32;
            v.extend([
                vec3(a[0], a[1], 0.0),
                vec3(b[0], b[1], 0.0),
                vec3(b[0], b[1], height_m),
                vec3(a[0], a[1], height_m),
            ]);
            f.push([base, base + 1, base + 2]);
            f.push([base, base + 2, base + 3]);
        }
    }
    (v, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_BUILDINGS: &str = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"height":20},"geometry":{"type":"Polygon","coordinates":[[[2.2940,48.8730],[2.2945,48.8730],[2.2945,48.8734],[2.2940,48.8734],[2.2940,48.8730]]]}},
        {"type":"Feature","properties":{"building:levels":"4","material":"brick"},"geometry":{"type":"MultiPolygon","coordinates":[[[[2.2950,48.8730],[2.2955,48.8730],[2.2955,48.8734],[2.2950,48.8730]]]]}},
        {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[2.29,48.87],[2.30,48.88]]}}
    ]}"#;

    #[test]
    fn extrudes_buildings_over_a_ground_plane() {
        let s = from_str(TWO_BUILDINGS, &GeoJsonOptions::default()).unwrap();
        assert_eq!(s.n_buildings, 2);
        let b = s.scene.bounds();
        assert!((b.max[2] - 20.0).abs() < 1e-4, "tallest roof at 20 m: {b:?}");
        // The 0.0005° × 0.0004° box is about 36.7 m × 44.5 m at this latitude.
        let dsm = s.scene.dsm();
        let o = s.origin.unwrap();
        let frame = LocalFrame::new(o);
        let centre = frame.to_enu(&GeoPoint::new(48.8732, 2.29425, 0.0).unwrap());
        assert!((dsm.height_at(centre.east_m, centre.north_m) - 20.0).abs() < 1e-3);
        let tri = frame.to_enu(&GeoPoint::new(48.8731, 2.2953, 0.0).unwrap());
        assert!((dsm.height_at(tri.east_m, tri.north_m) - 12.0).abs() < 1e-3, "4 storeys of 3 m");
        assert!(s.scene.materials().iter().any(|m| m.name == "brick"));
        // Street level between the buildings is ground.
        let street = frame.to_enu(&GeoPoint::new(48.8732, 2.29475, 0.0).unwrap());
        assert_eq!(dsm.height_at(street.east_m, street.north_m), 0.0);
    }

    #[test]
    fn bad_files_name_the_feature() {
        let no_height = r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[0.001,0],[0.001,0.001],[0,0]]]}}"#;
        let err = from_str(no_height, &GeoJsonOptions::default()).unwrap_err().to_string();
        assert!(err.contains("feature 0") && err.contains("height"), "{err}");
        let with_default =
            GeoJsonOptions { default_height_m: Some(9.0), ..GeoJsonOptions::default() };
        assert!(from_str(no_height, &with_default).is_ok());
        let bad_height = no_height.replace("{}", r#"{"height":"tall"}"#);
        assert!(
            from_str(&bad_height, &GeoJsonOptions::default())
                .unwrap_err()
                .to_string()
                .contains("tall")
        );
        let bad_material = no_height.replace("{}", r#"{"height":5,"material":"cheese"}"#);
        assert!(
            from_str(&bad_material, &GeoJsonOptions::default())
                .unwrap_err()
                .to_string()
                .contains("cheese")
        );
        // A syntax error and a position off the Earth keep their causes, and the message shows
        // each cause once.
        let e = from_str("{not json", &GeoJsonOptions::default()).unwrap_err();
        let SceneError::GeoJson { reason: GeoJsonError::Syntax(cause), .. } = &e else {
            panic!("{e}")
        };
        let text = e.to_string();
        assert!(text.contains(&format!("not a GeoJSON document: {cause}")), "{text}");
        assert_eq!(text.matches(&cause.to_string()).count(), 1, "{text}");
        let off_earth = no_height.replace("[[[0,0],", "[[[0,95],").replace("{}", r#"{"height":5}"#);
        let e = from_str(&off_earth, &GeoJsonOptions::default()).unwrap_err();
        assert!(
            matches!(
                &e,
                SceneError::GeoJson {
                    reason: GeoJsonError::BadPosition {
                        footprint: 0,
                        source: sim_core::geo::GeoError::Latitude { .. }
                    },
                    ..
                }
            ),
            "{e}"
        );
        let text = e.to_string();
        assert!(
            text.contains("footprint 0 (GeoJSON positions are longitude, latitude): latitude 95"),
            "{text}"
        );
        // Polygons without rings are empty geometries: no footprint, no error of their own.
        let empty = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"height":5},"geometry":{"type":"Polygon","coordinates":[]}},
            {"type":"Feature","properties":{"height":5},"geometry":{"type":"Polygon","coordinates":[[[0,0],[0.001,0],[0,0.001]]]}}]}"#;
        assert_eq!(from_str(empty, &GeoJsonOptions::default()).unwrap().n_buildings, 1);
        let only_empty = r#"{"type":"Feature","properties":{"height":5},"geometry":{"type":"Polygon","coordinates":[]}}"#;
        let e = from_str(only_empty, &GeoJsonOptions::default()).unwrap_err();
        assert!(
            matches!(&e, SceneError::GeoJson { reason: GeoJsonError::NoFootprints, .. }),
            "{e}"
        );
        // A hole whose last corner lost its latitude (1e-320 for 51.5075) reaches 5 700 km
        // south: an error naming the footprint, not a continent-sized scene.
        let courtyard = r#"{"type":"Feature","properties":{"height":18},"geometry":{"type":"Polygon","coordinates":[[[-0.128,51.507],[-0.127,51.507],[-0.127,51.5077],[-0.128,51.5077]],[[-0.1277,51.5072],[-0.1273,51.5072],[-0.1273,51.5075],[-0.1277,1e-320]]]}}"#;
        let e = from_str(courtyard, &GeoJsonOptions::default()).unwrap_err();
        assert!(
            matches!(
                &e,
                SceneError::GeoJson {
                    reason: GeoJsonError::FootprintTooLarge { footprint: 0, extent_m, .. },
                    ..
                } if *extent_m > 5e6
            ),
            "{e}"
        );
        let err =
            load(Path::new("/nonexistent/city.geojson"), &GeoJsonOptions::default()).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/city.geojson"));
    }
}
