//! Where the recorded traffic is: each inventory cell's traffic placed on the grid points it
//! serves in the baseline at the window's start, computed once per run and shared by every
//! variant (in a state, every point's share then goes to whichever cell serves it there).

use radio::Cell;

use super::maps::CellMap;
use super::serving::PointServing;
use crate::scenario::Plan;

/// A share of one inventory cell's recorded traffic at one grid point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ownership {
    /// Grid point.
    pub point: usize,
    /// Inventory cell.
    pub cell: usize,
    /// Share of the cell's traffic (a cell's shares sum to 1).
    pub weight: f64,
}

/// What every variant starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Where each cell's recorded traffic is.
    pub ownership: Vec<Ownership>,
    /// Downlink bytes per interval and inventory cell, `dl[k * cells + c]`.
    pub dl: Vec<f64>,
    /// Uplink bytes, likewise.
    pub ul: Vec<f64>,
    /// The demand density layer on the grid (sum of the weights falling in each point; empty
    /// without a layer).
    pub density: Vec<f64>,
}

/// The plan's traffic as dense arrays: (downlink, uplink) bytes, `[k * cells + c]`.
pub fn traffic_arrays(plan: &Plan) -> (Vec<f64>, Vec<f64>) {
    let (n, intervals) = (plan.inventory.cells.len(), plan.window.intervals);
    let mut dl = vec![0.0f64; intervals * n];
    let mut ul = vec![0.0f64; intervals * n];
    for r in &plan.traffic {
        dl[r.interval * n + r.cell] = r.dl_bytes;
        ul[r.interval * n + r.cell] = r.ul_bytes;
    }
    (dl, ul)
}

/// The demand density layer summed onto the grid points its samples fall in (empty without
/// a layer; samples outside the grid are not counted).
pub fn point_density(grid: &radio::Grid, samples: &[(f64, f64, f64)]) -> Vec<f64> {
    if samples.is_empty() {
        return Vec::new();
    }
    let mut density = vec![0.0f64; grid.len()];
    for &(x, y, w) in samples {
        if let Some(i) = grid.cell_of(x, y) {
            density[i] += w;
        }
    }
    density
}

/// Where each inventory cell's traffic is: the outdoor points it serves in the baseline
/// (`serving`, with `maps` the cells' coverage maps), weighted by the demand density layer
/// (evenly without one, or where it has no sample in the cell's area). A cell that serves no
/// point (it never wins against its neighbours on the grid) spreads its traffic over the points
/// where its RSRP is within 3 dB of the best server's, or else over its 50 strongest points, so
/// that no traffic recorded for it is lost. Cells whose map reaches no outdoor point at all
/// keep no entry, and their traffic counts as not served.
pub fn ownership(
    cells: &[Cell],
    maps: &[&CellMap],
    serving: &[PointServing],
    outdoor: &[bool],
    density: &[f64],
) -> Vec<Ownership> {
    let mut points: Vec<Vec<usize>> = vec![Vec::new(); cells.len()];
    for (p, s) in serving.iter().enumerate() {
        if let Some(b) = s.best {
            points[b].push(p);
        }
    }
    for (c, pts) in points.iter_mut().enumerate() {
        if pts.is_empty() {
            *pts = fallback_points(&cells[c], maps[c], serving, outdoor);
        }
    }
    points
        .iter()
        .enumerate()
        .flat_map(|(c, ps)| {
            let total: f64 = ps.iter().filter_map(|&p| density.get(p)).sum();
            let uniform = 1.0 / ps.len().max(1) as f64;
            ps.iter().map(move |&p| {
                // Weighted by density where the layer puts demand in the cell's area; evenly
                // where it puts none there (no layer, or no sample in this area).
                let weight = if total > 0.0 { density[p] / total } else { uniform };
                Ownership { point: p, cell: c, weight }
            })
        })
        .filter(|e| e.weight > 0.0)
        .collect()
}

/// The points a cell that wins none takes its traffic to: within 3 dB of the best server, or
/// else its 50 strongest.
fn fallback_points(
    cell: &Cell,
    map: &CellMap,
    serving: &[PointServing],
    outdoor: &[bool],
) -> Vec<usize> {
    let rsrp: Vec<(usize, f64)> = (0..outdoor.len())
        .filter(|&p| outdoor[p] && map.path_gain_db[p].is_finite())
        .map(|p| (p, cell.rsrp_dbm(f64::from(map.path_gain_db[p]))))
        .collect();
    let near: Vec<usize> = rsrp
        .iter()
        .filter(|(p, r)| *r >= f64::from(serving[*p].rsrp_dbm) - 3.0)
        .map(|(p, _)| *p)
        .collect();
    if near.is_empty() {
        let mut strongest = rsrp;
        strongest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        strongest.into_iter().take(50).map(|(p, _)| p).collect()
    } else {
        near
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::small_plan;

    fn served(best: Option<usize>, rsrp_dbm: f32) -> PointServing {
        PointServing { best, rsrp_dbm, sinr_db: 0.0, spectral_efficiency: 1.0 }
    }

    #[test]
    fn each_cells_traffic_is_placed_whole_on_its_points() {
        let cells = small_plan().inventory.cells[..3].to_vec();
        // Cell 0 serves points 0 and 1, cell 1 point 2; cell 2 serves nothing but is within
        // 3 dB of the best at point 1; cell 2's map reaches only points 1 and 3.
        let serving = [
            served(Some(0), -80.0),
            served(Some(0), -90.0),
            served(Some(1), -85.0),
            served(None, -130.0),
        ];
        let rsrp_offset = cells[2].rsrp_dbm(0.0) as f32;
        let gain = |rsrp: f32| rsrp - rsrp_offset;
        let m0 = CellMap { path_gain_db: vec![0.0; 4] };
        let m2 = CellMap {
            path_gain_db: vec![f32::NEG_INFINITY, gain(-91.0), f32::NEG_INFINITY, gain(-140.0)],
        };
        let maps = [&m0, &m0, &m2];
        let own = ownership(&cells, &maps, &serving, &[true; 4], &[]);
        let of = |c: usize| -> Vec<(usize, f64)> {
            own.iter().filter(|o| o.cell == c).map(|o| (o.point, o.weight)).collect()
        };
        assert_eq!(of(0), [(0, 0.5), (1, 0.5)]);
        assert_eq!(of(1), [(2, 1.0)]);
        assert_eq!(of(2), [(1, 1.0)], "near the best server where it wins nothing");
        // With a density layer, shares follow it within a cell's area.
        let own = ownership(&cells, &maps, &serving, &[true; 4], &[3.0, 1.0, 0.0, 0.0]);
        let w0: Vec<f64> = own.iter().filter(|o| o.cell == 0).map(|o| o.weight).collect();
        assert_eq!(w0, [0.75, 0.25]);
        // No sample in cell 1's area: evenly there.
        assert_eq!(own.iter().filter(|o| o.cell == 1).map(|o| o.weight).collect::<Vec<_>>(), [1.0]);
    }

    #[test]
    fn density_samples_fall_on_their_grid_points() {
        let grid = radio::Grid::new(0.0, 0.0, 10.0, 3, 2, 1.5).unwrap();
        let d = point_density(
            &grid,
            &[(5.0, 5.0, 1.0), (6.0, 4.0, 2.0), (25.0, 15.0, 4.0), (99.0, 0.0, 8.0)],
        );
        assert_eq!(d, [3.0, 0.0, 0.0, 0.0, 0.0, 4.0]);
        assert!(point_density(&grid, &[]).is_empty());
    }
}
