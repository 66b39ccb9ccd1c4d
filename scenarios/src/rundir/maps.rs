//! The run's maps: best-server RSRP on a colour range fitted to the run's data (one range for
//! every variant, so that they compare), and the best server itself, each cell's area in a
//! colour of the categorical table with the cell's name at its middle and a key.

use twin_format::palette::{self, Pixel, Scale, heat_map_png};

use super::Figure;
use crate::error::ScenarioError;
use crate::replay::{PointServing, RunGeometry, StateSnapshot, VariantResult};

/// A name drawn on a map, at image pixel coordinates (x right, y down).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// Pixel column.
    pub x: f64,
    /// Pixel row.
    pub y: f64,
}

/// One variant's maps.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantMaps {
    /// Best-server RSRP on the run's range.
    pub rsrp: Figure,
    /// Best server.
    pub server: Figure,
    /// The sites, where their antennas stand.
    pub sites: Vec<Label>,
    /// Each serving cell at the middle of its area.
    pub cells: Vec<Label>,
    /// The best-server map's key: each serving cell and its colour.
    pub key: Vec<(String, [u8; 4])>,
}

/// Every variant's maps, and the RSRP range they share.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMaps {
    /// The RSRP scale of every map, fitted to the run's served points.
    pub scale: Scale,
    /// Grid width and height in pixels.
    pub size: (usize, usize),
    /// Baseline first.
    pub variants: Vec<VariantMaps>,
}

/// The RSRP scale fitted to the served points of `maps` ([`palette::fitted_rsrp_scale`]).
pub fn fitted_rsrp_scale<'a>(maps: impl IntoIterator<Item = &'a [PointServing]>) -> Scale {
    palette::fitted_rsrp_scale(maps.into_iter().flat_map(PointServing::served_rsrp))
}

/// Best-server RSRP as a PNG on `scale` (unserved outdoor points dark red, indoor points grey,
/// the viewer's colours), north up.
pub fn map_png(
    geometry: &RunGeometry<'_>,
    serving: &[PointServing],
    scale: Scale,
    name: &str,
) -> Result<Vec<u8>, ScenarioError> {
    let grid = geometry.grid;
    heat_map_png(grid.nx, grid.ny, scale, false, |ix, iy| {
        let i = iy * grid.nx + ix;
        match serving.get(i) {
            _ if !geometry.outdoor.get(i).copied().unwrap_or(false) => Pixel::Indoor,
            Some(PointServing { best: Some(_), rsrp_dbm, .. }) => Pixel::Value(*rsrp_dbm),
            _ => Pixel::Unserved,
        }
    })
    .map_err(|source| ScenarioError::Png { name: name.to_string(), source })
}

/// The best server of every point as a PNG on the categorical table (cell index modulo its
/// colours), north up.
fn server_png(
    geometry: &RunGeometry<'_>,
    serving: &[PointServing],
    name: &str,
) -> Result<Vec<u8>, ScenarioError> {
    let grid = geometry.grid;
    heat_map_png(grid.nx, grid.ny, Scale::Categorical, false, |ix, iy| {
        let i = iy * grid.nx + ix;
        match serving.get(i) {
            _ if !geometry.outdoor.get(i).copied().unwrap_or(false) => Pixel::Indoor,
            Some(PointServing { best: Some(b), .. }) => Pixel::Value(*b as f32),
            _ => Pixel::Unserved,
        }
    })
    .map_err(|source| ScenarioError::Png { name: name.to_string(), source })
}

/// Scene metres as image pixels (north up; the image's pixel `ix` covers the grid column).
fn to_pixel(geometry: &RunGeometry<'_>, x_m: f64, y_m: f64) -> (f64, f64) {
    let g = geometry.grid;
    ((x_m - g.x_min_m) / g.cell_m, g.ny as f64 - (y_m - g.y_min_m) / g.cell_m)
}

/// The sites of a state, one label each at its first active cell's antenna.
fn site_labels(geometry: &RunGeometry<'_>, s: &StateSnapshot) -> Vec<Label> {
    let mut out: Vec<Label> = Vec::new();
    for (c, _) in s.cells.iter().zip(&s.active).filter(|(_, on)| **on) {
        if out.iter().any(|l| l.text == c.site_id) {
            continue;
        }
        let (x, y) = to_pixel(geometry, c.position.x, c.position.y);
        out.push(Label { text: c.site_id.clone(), x, y });
    }
    out
}

/// Each serving cell's name at the mean pixel of its area, and the key.
fn cell_labels(
    geometry: &RunGeometry<'_>,
    s: &StateSnapshot,
) -> (Vec<Label>, Vec<(String, [u8; 4])>) {
    let g = geometry.grid;
    let mut sums = vec![(0.0f64, 0.0f64, 0usize); s.cells.len()];
    for (i, p) in s.serving.iter().enumerate() {
        if let Some(b) = p.best {
            let (x, y) = ((i % g.nx) as f64 + 0.5, (g.ny - i / g.nx) as f64 - 0.5);
            let e = &mut sums[b];
            (e.0, e.1, e.2) = (e.0 + x, e.1 + y, e.2 + 1);
        }
    }
    let colours = palette::categories();
    let serving = sums.iter().enumerate().filter(|(_, e)| e.2 > 0);
    let labels = serving
        .clone()
        .map(|(c, e)| Label {
            text: s.cells[c].id.clone(),
            x: e.0 / e.2 as f64,
            y: e.1 / e.2 as f64,
        })
        .collect();
    let key = serving.map(|(c, _)| (s.cells[c].id.clone(), colours[c % colours.len()])).collect();
    (labels, key)
}

/// The maps of every result's last state.
pub fn run_maps(
    geometry: &RunGeometry<'_>,
    results: &[VariantResult],
) -> Result<RunMaps, ScenarioError> {
    let scale = fitted_rsrp_scale(results.iter().map(|r| r.last_serving()));
    let variants = results
        .iter()
        .map(|r| {
            let last = r.snapshots.last();
            let (cells, key) = last.map_or_else(Default::default, |s| cell_labels(geometry, s));
            Ok(VariantMaps {
                rsrp: Figure {
                    caption: r.name.clone(),
                    png: map_png(geometry, r.last_serving(), scale, &r.name)?,
                },
                server: Figure {
                    caption: r.name.clone(),
                    png: server_png(geometry, r.last_serving(), &r.name)?,
                },
                sites: last.map_or_else(Vec::new, |s| site_labels(geometry, s)),
                cells,
                key,
            })
        })
        .collect::<Result<_, ScenarioError>>()?;
    Ok(RunMaps { scale, size: (geometry.grid.nx, geometry.grid.ny), variants })
}
