//! The run's maps: best-server RSRP on a colour range fitted to the run's data (one range for
//! every variant, so that they compare), and the best server itself, each cell's area in a
//! colour of the categorical table with the cell's name at its middle and a key.

use twin_format::palette::{self, Pixel, Ramp, Scale, heat_map_png};

use super::Figure;
use crate::error::ScenarioError;
use crate::replay::{PointServing, RunGeometry, StateSnapshot, VariantResult};

/// The fitted range's ends are multiples of this, dBm.
const RANGE_STEP_DB: f64 = 5.0;
/// The fitted range spans at least this, dBm.
const MIN_SPAN_DB: f64 = 20.0;
/// The range covers the served points' RSRP from this percentile to its complement.
const RANGE_PERCENTILE: f64 = 0.02;

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

/// A Viridis scale over the served points' RSRP of `maps` (2nd to 98th percentile, widened to
/// multiples of 5 dB and at least 20 dB), or the viewer's fixed scale when nothing is served.
pub fn fitted_rsrp_scale<'a>(maps: impl IntoIterator<Item = &'a [PointServing]>) -> Scale {
    let mut v: Vec<f64> = maps
        .into_iter()
        .flatten()
        .filter(|p| p.best.is_some() && p.rsrp_dbm.is_finite())
        .map(|p| f64::from(p.rsrp_dbm))
        .collect();
    if v.is_empty() {
        return palette::RSRP_DBM;
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let mut lo = (at(RANGE_PERCENTILE) / RANGE_STEP_DB).floor() * RANGE_STEP_DB;
    let mut hi = (at(1.0 - RANGE_PERCENTILE) / RANGE_STEP_DB).ceil() * RANGE_STEP_DB;
    if hi - lo < MIN_SPAN_DB {
        let widen = ((MIN_SPAN_DB - (hi - lo)) / 2.0 / RANGE_STEP_DB).ceil() * RANGE_STEP_DB;
        (lo, hi) = (lo - widen, hi + widen);
    }
    Scale::Continuous { min: lo as f32, max: hi as f32, map: Ramp::Viridis }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn point(rsrp: f32) -> PointServing {
        PointServing { best: Some(0), rsrp_dbm: rsrp, sinr_db: 0.0, spectral_efficiency: 1.0 }
    }

    #[test]
    fn the_rsrp_range_fits_the_served_points_of_every_map() {
        // A dense network around −57 dBm: the range reaches above −60 dBm.
        let dense: Vec<PointServing> = (0..100).map(|i| point(-75.0 + 0.35 * i as f32)).collect();
        let far: Vec<PointServing> = (0..100).map(|i| point(-98.0 + 0.1 * i as f32)).collect();
        let Scale::Continuous { min, max, .. } = fitted_rsrp_scale([&dense[..], &far[..]]) else {
            panic!("continuous")
        };
        assert_eq!((min, max), (-100.0, -40.0));
        // A narrow spread (−85…−80 dBm) is widened by whole steps to at least 20 dB around it.
        let flat: Vec<PointServing> = (0..10).map(|_| point(-81.0)).collect();
        let Scale::Continuous { min, max, .. } = fitted_rsrp_scale([&flat[..]]) else {
            panic!("continuous")
        };
        assert_eq!((min, max), (-95.0, -70.0));
        // Unserved points do not count; nothing served keeps the viewer's scale.
        assert_eq!(fitted_rsrp_scale([&[PointServing::NONE][..]]), palette::RSRP_DBM);
    }
}
