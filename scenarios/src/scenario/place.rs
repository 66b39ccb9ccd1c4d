//! Where things stand: the scene's ground, the analysis grid laid over the sites, and the
//! positions of the inventory's sites and of the sites a variant adds, checked against them.
//!
//! The analysis grid covers the inventory's sites and [`GRID_MARGIN_M`] around them, clipped
//! to the scene. A site off the scene would be traced over nothing, and a site a variant adds
//! outside the grid would serve points the replay never looks at; both are validation errors,
//! not a quietly empty coverage. A site a variant adds is given in scene metres (`x_m`, `y_m`)
//! or, when the network has a geographic origin, in WGS84 (`lat`, `lon`), placed through the
//! same local frame as the inventory's sites.

use std::path::Path;

use radio::inventory::{Inventory, Site};
use sim_core::geo::{Enu, GeoPoint, LocalFrame};

use super::plan::SceneSource;
use super::validate::Validator;
use crate::error::ScenarioError;

/// How far the analysis grid reaches beyond the outermost sites, metres.
pub const GRID_MARGIN_M: f64 = 300.0;

/// A rectangle of the scene frame, metres (x east, y north).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// West edge.
    pub x_min_m: f64,
    /// South edge.
    pub y_min_m: f64,
    /// East edge.
    pub x_max_m: f64,
    /// North edge.
    pub y_max_m: f64,
}

impl Extent {
    /// Whether `(x_m, y_m)` lies inside or on the edge.
    pub fn contains(&self, x_m: f64, y_m: f64) -> bool {
        (self.x_min_m..=self.x_max_m).contains(&x_m) && (self.y_min_m..=self.y_max_m).contains(&y_m)
    }

    /// The part of `self` inside `other`; `None` when they do not overlap.
    pub fn clip(self, other: Extent) -> Option<Extent> {
        let e = Extent {
            x_min_m: self.x_min_m.max(other.x_min_m),
            y_min_m: self.y_min_m.max(other.y_min_m),
            x_max_m: self.x_max_m.min(other.x_max_m),
            y_max_m: self.y_max_m.min(other.y_max_m),
        };
        (e.x_max_m > e.x_min_m && e.y_max_m > e.y_min_m).then_some(e)
    }

    /// The extent as the messages write it.
    fn describe(&self) -> String {
        format!(
            "x {:.0} to {:.0} m, y {:.0} to {:.0} m",
            self.x_min_m, self.x_max_m, self.y_min_m, self.y_max_m
        )
    }
}

/// The analysis grid's extent: the sites' extent and [`GRID_MARGIN_M`] around it, clipped to
/// `scene` (the scene's ground; `None` without a scene). `None` when nothing is left.
pub fn grid_extent(sites: &[Site], scene: Option<Extent>) -> Option<Extent> {
    let mut e = Extent {
        x_min_m: f64::INFINITY,
        y_min_m: f64::INFINITY,
        x_max_m: f64::NEG_INFINITY,
        y_max_m: f64::NEG_INFINITY,
    };
    for s in sites {
        e.x_min_m = e.x_min_m.min(s.x_m - GRID_MARGIN_M);
        e.y_min_m = e.y_min_m.min(s.y_m - GRID_MARGIN_M);
        e.x_max_m = e.x_max_m.max(s.x_m + GRID_MARGIN_M);
        e.y_max_m = e.y_max_m.max(s.y_m + GRID_MARGIN_M);
    }
    match scene {
        Some(sc) => e.clip(sc),
        None => (e.x_max_m > e.x_min_m && e.y_max_m > e.y_min_m).then_some(e),
    }
}

/// The extent of a loaded scene's geometry.
pub fn scene_bounds(scene: &radio::Scene) -> Extent {
    let b = scene.bounds();
    Extent {
        x_min_m: f64::from(b.min[0]),
        y_min_m: f64::from(b.min[1]),
        x_max_m: f64::from(b.max[0]),
        y_max_m: f64::from(b.max[1]),
    }
}

/// The scene's ground without tracing anything: the procedural city's in closed form, a
/// file's by loading it (`origin` places a GeoJSON file's WGS84 footprints, as the replay
/// does). `None` without a scene: the empirical model has no edge.
pub fn scene_extent(
    source: &SceneSource,
    origin: Option<(f64, f64)>,
) -> Result<Option<Extent>, ScenarioError> {
    if let SceneSource::Procedural(params) = source {
        let (x_min_m, y_min_m, x_max_m, y_max_m) = params.extent();
        return Ok(Some(Extent { x_min_m, y_min_m, x_max_m, y_max_m }));
    }
    Ok(super::plan::load_scene_from(source, origin)?.as_ref().map(scene_bounds))
}

/// Why a WGS84 position has no place in the scene frame.
#[derive(Debug, thiserror::Error)]
pub enum PlacementError {
    /// The network has no geographic origin (no `network.origin`, sites in scene metres).
    #[error(
        "lat/lon need a geographic origin: set network.origin = [lat, lon] or give the sites by lat/lon"
    )]
    NoOrigin,
    /// A latitude or longitude out of range (the origin's or the position's).
    #[error(transparent)]
    Geo(#[from] sim_core::geo::GeoError),
}

/// A WGS84 position in scene metres (east, north), through the inventory's frame: the same
/// local east-north-up frame its geographic sites were placed with.
pub fn geographic_to_scene(
    inv: &Inventory,
    lat_deg: f64,
    lon_deg: f64,
) -> Result<(f64, f64), PlacementError> {
    let (olat, olon) = inv.origin.ok_or(PlacementError::NoOrigin)?;
    let origin = GeoPoint::new(olat, olon, 0.0)?;
    let p = GeoPoint::new(lat_deg, lon_deg, 0.0)?;
    let Enu { east_m, north_m, .. } = LocalFrame::new(origin).to_enu(&p);
    Ok((east_m, north_m))
}

impl Validator {
    /// The network's geographic origin, when given: a latitude and longitude that exist.
    pub(super) fn origin(&mut self, path: &Path, origin: Option<[f64; 2]>) {
        if let Some([lat, lon]) = origin
            && let Err(e) = GeoPoint::new(lat, lon, 0.0)
        {
            self.push(path, None, "network.origin", format!("[{lat}, {lon}]: {e}"));
        }
    }

    /// The scene's ground, each site on it, and the analysis grid over them (`None` where the
    /// scene could not be read: its diagnostic is pushed).
    pub(super) fn placement(
        &mut self,
        path: &Path,
        sites_path: &Path,
        source: &SceneSource,
        inv: &Inventory,
    ) -> Option<Option<Extent>> {
        let scene = match scene_extent(source, inv.origin) {
            Ok(s) => s,
            Err(e) => {
                let msg = sim_core::error_text::with_causes(&e);
                self.push(path, None, "network.scene", format!("cannot be read: {msg}"));
                return None;
            }
        };
        if let Some(sc) = scene {
            for s in inv.sites.iter().filter(|s| !sc.contains(s.x_m, s.y_m)) {
                let msg = format!(
                    "site {} at x {:.1} m, y {:.1} m lies outside the scene ({}); move it, or place the scene with network.origin",
                    s.id,
                    s.x_m,
                    s.y_m,
                    sc.describe()
                );
                self.push(sites_path, Some(s.line).filter(|&l| l > 0), "position", msg);
            }
        }
        Some(grid_extent(&inv.sites, scene))
    }

    /// The scene position of a site a variant adds, from `x_m`/`y_m` or `lat`/`lon`, inside
    /// the analysis grid `grid` (unknown when `None`); pushed if not.
    #[allow(clippy::too_many_arguments)] // the operation's position fields, each checked
    pub(super) fn added_site_position(
        &mut self,
        path: &Path,
        f: &str,
        inv: Option<&Inventory>,
        grid: Option<Extent>,
        (x_m, y_m): (Option<f64>, Option<f64>),
        (lat, lon): (Option<f64>, Option<f64>),
    ) -> Option<(f64, f64)> {
        let (x, y) = match (x_m, y_m, lat, lon) {
            (Some(x), Some(y), None, None) => (x, y),
            (None, None, Some(lat), Some(lon)) => match geographic_to_scene(inv?, lat, lon) {
                Ok(p) => p,
                Err(e) => {
                    self.push(path, None, f, e.to_string());
                    return None;
                }
            },
            _ => {
                self.push(path, None, f, "give the new site's x_m and y_m, or its lat and lon");
                return None;
            }
        };
        let x = self.within(path, f, x, &radio::limits::COORDINATE_M);
        let y = self.within(path, f, y, &radio::limits::COORDINATE_M);
        let (x, y) = (x?, y?);
        if let Some(g) = grid
            && !g.contains(x, y)
        {
            let msg = format!(
                "the new site at x {x:.1} m, y {y:.1} m lies outside the analysis grid ({}: the sites and {GRID_MARGIN_M:.0} m around them, within the scene), where its coverage would not be computed",
                g.describe()
            );
            self.push(path, None, f, msg);
            return None;
        }
        Some((x, y))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn site(x_m: f64, y_m: f64) -> Site {
        Site { id: "S".into(), lat_lon: None, x_m, y_m, ground_m: 0.0, height_m: 25.0, line: 2 }
    }

    #[test]
    fn the_grid_is_the_sites_and_their_margin_clipped_to_the_scene() {
        let sites = [site(0.0, 0.0), site(400.0, 100.0)];
        let open = grid_extent(&sites, None).unwrap();
        assert_eq!(
            open,
            Extent { x_min_m: -300.0, y_min_m: -300.0, x_max_m: 700.0, y_max_m: 400.0 }
        );
        let scene = Extent { x_min_m: -100.0, y_min_m: -1000.0, x_max_m: 500.0, y_max_m: 200.0 };
        let clipped = grid_extent(&sites, Some(scene)).unwrap();
        assert_eq!(
            clipped,
            Extent { x_min_m: -100.0, y_min_m: -300.0, x_max_m: 500.0, y_max_m: 200.0 }
        );
        assert!(clipped.contains(500.0, 200.0) && !clipped.contains(500.1, 0.0));
        let far = Extent { x_min_m: 5e3, y_min_m: 5e3, x_max_m: 6e3, y_max_m: 6e3 };
        assert_eq!(grid_extent(&sites, Some(far)), None);
    }

    #[test]
    fn the_procedural_city_is_known_without_building_it() {
        let params = radio::scene::procedural::CityParams::default();
        let built =
            radio::scene::procedural::city(&params, radio::SceneOptions::default()).unwrap();
        let e = scene_extent(&SceneSource::Procedural(params), None).unwrap().unwrap();
        let b = scene_bounds(&built.scene);
        for (a, b) in [
            (e.x_min_m, b.x_min_m),
            (e.y_min_m, b.y_min_m),
            (e.x_max_m, b.x_max_m),
            (e.y_max_m, b.y_max_m),
        ] {
            assert!((a - b).abs() < 1e-3, "{a} against the built scene's {b}");
        }
        assert_eq!(scene_extent(&SceneSource::None, None).unwrap(), None);
    }

    #[test]
    fn geojson_footprints_are_placed_at_the_networks_origin() {
        // One building 0.0002° square, its south-west corner at 48° N 2° E: 14.9 m east by
        // 22.2 m north, with the ground 50 m beyond it.
        let dir = std::env::temp_dir().join(format!("twin-place-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("buildings.geojson");
        std::fs::write(
            &path,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"height":10},
               "geometry":{"type":"Polygon","coordinates":[[[2.0,48.0],[2.0002,48.0],[2.0002,48.0002],[2.0,48.0002],[2.0,48.0]]]}}]}"#,
        )
        .unwrap();
        let source = SceneSource::GeoJson(path);
        let placed = scene_extent(&source, Some((48.0, 2.0))).unwrap().unwrap();
        assert!((placed.x_min_m + 50.0).abs() < 0.5, "{placed:?}");
        assert!((placed.y_max_m - 72.2).abs() < 0.5, "{placed:?}");
        // Without an origin the footprints are centred on their own data.
        let centred = scene_extent(&source, None).unwrap().unwrap();
        assert!((centred.x_min_m + 57.45).abs() < 0.5, "{centred:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
