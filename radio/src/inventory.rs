//! The planner's inventory files, `sites.csv` and `cells.csv`, read into [`Cell`]s (format in
//! `docs/radio.md`).
//!
//! Sites carry the position (WGS84 `lat`/`lon`, or scene `x_m`/`y_m`) and the antenna height
//! above ground; cells carry the sector's azimuth, tilts, power, carrier and pattern. A cell's
//! antenna stands at its site's position, `ground_m + height_m` up (a cell may override the
//! height, still above its site's ground). A cell row that gives a position of its own (`x_m`,
//! `y_m`, `lat`, `lon`: the coverage example's cells format) is refused rather than placed at
//! its site, so that no antenna silently moves. WGS84 positions are placed in the scene through
//! a local east-north-up frame whose origin is the scene's `(0, 0, 0)`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sim_core::geo::{Enu, GeoPoint, LocalFrame};

use crate::antenna::{Antenna, DEFAULT_MACRO_SPEC, Orientation, Pattern, Polarization};
use crate::cell::Cell;
use crate::geometry::vec3;
use crate::limits::{self, Limit};

/// Why an inventory could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A file could not be opened, read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A row is wrong.
    #[error("{path}, line {line}: {reason}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: usize,
        /// What is wrong, naming the column.
        reason: String,
    },
    /// A file could not be written (the error names it; nothing partial is left).
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
    /// A file is wrong as a whole (a missing column, no rows).
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A site: where a group of cells' antennas stand.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Identifier.
    pub id: String,
    /// WGS84 position, when the file gave one.
    pub lat_lon: Option<(f64, f64)>,
    /// Scene position, metres east of the origin.
    pub x_m: f64,
    /// Scene position, metres north of the origin.
    pub y_m: f64,
    /// Ground elevation in scene coordinates, metres.
    pub ground_m: f64,
    /// Antenna height above the ground, metres.
    pub height_m: f64,
    /// The line of `sites.csv` the site was read from (the header is line 1; 0 for a site
    /// that was not read from a file), for diagnostics about it.
    pub line: usize,
}

/// Sites and cells.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The sites, in file order.
    pub sites: Vec<Site>,
    /// The cells, in file order.
    pub cells: Vec<Cell>,
    /// Each cell's pattern as written in the file (`38901`, `36814`, `38901-array:8x1:0.8`,
    /// `isotropic` or a file path), or [`DEFAULT_MACRO_SPEC`] where the file gives none.
    pub patterns: Vec<String>,
    /// The WGS84 origin of the scene frame, when positions were geographic.
    pub origin: Option<(f64, f64)>,
}

impl Inventory {
    /// The index of the cell called `id`.
    pub fn cell_index(&self, id: &str) -> Option<usize> {
        self.cells.iter().position(|c| c.id == id)
    }

    /// The site of cell `i`.
    pub fn site_of(&self, i: usize) -> Option<&Site> {
        let c = self.cells.get(i)?;
        self.sites.iter().find(|s| s.id == c.site_id)
    }
}

struct Table {
    path: PathBuf,
    columns: HashMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path, required: &[&str]) -> Result<Table, InventoryError> {
        let io = |e: String| InventoryError::Io { path: path.to_path_buf(), reason: e };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| io(e.to_string()))?;
        let headers = reader.headers().map_err(|e| io(format!("no header row: {e}")))?.clone();
        let columns: HashMap<String, usize> =
            headers.iter().enumerate().map(|(i, h)| (h.to_string(), i)).collect();
        for c in required {
            if !columns.contains_key(*c) {
                return Err(InventoryError::File {
                    path: path.to_path_buf(),
                    reason: format!(
                        "missing column \"{c}\" (columns found: {})",
                        headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        let mut rows = Vec::new();
        for (i, r) in reader.records().enumerate() {
            let r = r.map_err(|e| InventoryError::Row {
                path: path.to_path_buf(),
                line: i + 2,
                reason: e.to_string(),
            })?;
            rows.push((i + 2, r));
        }
        if rows.is_empty() {
            return Err(InventoryError::File {
                path: path.to_path_buf(),
                reason: "no rows".into(),
            });
        }
        Ok(Table { path: path.to_path_buf(), columns, rows })
    }

    fn err(&self, line: usize, reason: String) -> InventoryError {
        InventoryError::Row { path: self.path.clone(), line, reason }
    }

    fn text<'a>(&self, row: &'a csv::StringRecord, col: &str) -> Option<&'a str> {
        self.columns.get(col).and_then(|&i| row.get(i)).filter(|v| !v.is_empty())
    }

    fn num(
        &self,
        line: usize,
        row: &csv::StringRecord,
        col: &str,
    ) -> Result<Option<f64>, InventoryError> {
        match self.text(row, col) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(self.err(line, format!("column {col}: \"{v}\" is not a finite number"))),
            },
        }
    }

    /// `col`'s value checked against its physical range (absent: `None`).
    fn within(
        &self,
        line: usize,
        row: &csv::StringRecord,
        col: &str,
        limit: &Limit,
    ) -> Result<Option<f64>, InventoryError> {
        self.num(line, row, col)?
            .map(|v| limit.check(v).map_err(|e| self.err(line, format!("column {col}: {e}"))))
            .transpose()
    }

    /// A required column's value checked against its physical range.
    fn need_within(
        &self,
        line: usize,
        row: &csv::StringRecord,
        col: &str,
        limit: &Limit,
    ) -> Result<f64, InventoryError> {
        self.within(line, row, col, limit)?
            .ok_or_else(|| self.err(line, format!("column {col} is empty")))
    }
}

/// Columns of a cell row that would place its antenna apart from its site: refused, never
/// ignored.
const CELL_POSITION_COLUMNS: [&str; 4] = ["x_m", "y_m", "lat", "lon"];

/// Reads `sites.csv` and `cells.csv`.
///
/// Geographic site positions are placed relative to `origin` (latitude, longitude of the scene's
/// `(0, 0)`); without one, the first geographic site is the origin.
pub fn load(
    sites_path: &Path,
    cells_path: &Path,
    origin: Option<(f64, f64)>,
) -> Result<Inventory, InventoryError> {
    let SitesRead { sites, origin } = load_sites(sites_path, origin)?;
    let (cells, patterns) = load_cells(cells_path, sites_path, &sites)?;
    Ok(Inventory { sites, cells, patterns, origin })
}

/// The sites of `sites.csv` and the origin of their frame.
struct SitesRead {
    sites: Vec<Site>,
    /// The WGS84 origin: the one given, or the first geographic site's.
    origin: Option<(f64, f64)>,
}

/// The sites of `sites.csv`, placed relative to `origin` (or the first geographic site).
fn load_sites(sites_path: &Path, origin: Option<(f64, f64)>) -> Result<SitesRead, InventoryError> {
    let st = Table::read(sites_path, &["site_id", "height_m"])?;
    let mut sites: Vec<Site> = Vec::new();
    let mut frame: Option<LocalFrame> = None;
    let mut used_origin = origin;
    for (line, row) in &st.rows {
        let line = *line;
        let id = st
            .text(row, "site_id")
            .ok_or_else(|| st.err(line, "empty site_id".into()))?
            .to_string();
        if sites.iter().any(|s| s.id == id) {
            return Err(st.err(line, format!("site {id} appears twice")));
        }
        let height_m = st.need_within(line, row, "height_m", &limits::HEIGHT_M)?;
        let ground_m = st.within(line, row, "ground_m", &limits::GROUND_M)?.unwrap_or(0.0);
        let (lat, lon) = (st.num(line, row, "lat")?, st.num(line, row, "lon")?);
        let (x, y) = (
            st.within(line, row, "x_m", &limits::COORDINATE_M)?,
            st.within(line, row, "y_m", &limits::COORDINATE_M)?,
        );
        let (lat_lon, x_m, y_m) = match (lat, lon, x, y) {
            (Some(lat), Some(lon), _, _) => {
                let p = GeoPoint::new(lat, lon, 0.0)
                    .map_err(|e| st.err(line, format!("site {id}: {e}")))?;
                let f = match frame {
                    Some(f) => f,
                    None => {
                        let (olat, olon) = used_origin.unwrap_or((lat, lon));
                        used_origin = Some((olat, olon));
                        let o = GeoPoint::new(olat, olon, 0.0)
                            .map_err(|e| st.err(line, format!("origin: {e}")))?;
                        let f = LocalFrame::new(o);
                        frame = Some(f);
                        f
                    }
                };
                let Enu { east_m, north_m, .. } = f.to_enu(&p);
                for v in [east_m, north_m] {
                    limits::COORDINATE_M.check(v).map_err(|e| {
                        st.err(line, format!("site {id}: lat/lon lie too far from the origin: {e}"))
                    })?;
                }
                (Some((lat, lon)), east_m, north_m)
            }
            (_, _, Some(x), Some(y)) => (None, x, y),
            _ => return Err(st.err(line, format!("site {id}: give lat and lon, or x_m and y_m"))),
        };
        sites.push(Site { id, lat_lon, x_m, y_m, ground_m, height_m, line });
    }
    Ok(SitesRead { sites, origin: used_origin })
}

/// The cells of `cells.csv`, each at its site of `sites`, with their pattern names.
fn load_cells(
    cells_path: &Path,
    sites_path: &Path,
    sites: &[Site],
) -> Result<(Vec<Cell>, Vec<String>), InventoryError> {
    let ct = Table::read(
        cells_path,
        &[
            "cell_id",
            "site_id",
            "azimuth_deg",
            "mech_tilt_deg",
            "elec_tilt_deg",
            "tx_power_dbm",
            "freq_hz",
            "bandwidth_hz",
        ],
    )?;
    let folder = cells_path.parent().unwrap_or(Path::new("."));
    let mut cells: Vec<Cell> = Vec::new();
    let mut patterns = Vec::new();
    for (line, row) in &ct.rows {
        let line = *line;
        let id = ct
            .text(row, "cell_id")
            .ok_or_else(|| ct.err(line, "empty cell_id".into()))?
            .to_string();
        if let Some(col) = CELL_POSITION_COLUMNS.iter().find(|c| ct.text(row, c).is_some()) {
            return Err(ct.err(
                line,
                format!(
                    "column {col}: cell {id} stands at its site's position, which sites.csv gives; \
                     move the site or give the cell a site of its own (a cell's height_m is its \
                     antenna height above the site's ground)"
                ),
            ));
        }
        if cells.iter().any(|c| c.id == id) {
            return Err(ct.err(line, format!("cell {id} appears twice")));
        }
        let site_id = ct.text(row, "site_id").unwrap_or("");
        let site = sites.iter().find(|s| s.id == site_id).ok_or_else(|| {
            ct.err(
                line,
                format!("cell {id}: site \"{site_id}\" is not in {}", sites_path.display()),
            )
        })?;
        // A missing column or an empty field is the default macro panel, recorded by its name so
        // that a saved inventory says which pattern its cells have.
        let pattern_name = ct.text(row, "pattern").unwrap_or(DEFAULT_MACRO_SPEC).to_string();
        let pattern = Pattern::from_spec(&pattern_name, folder)
            .map_err(|e| ct.err(line, format!("cell {id}: pattern \"{pattern_name}\": {e}")))?;
        let orientation = Orientation {
            azimuth_deg: ct.need_within(line, row, "azimuth_deg", &limits::AZIMUTH_DEG)?,
            mech_tilt_deg: ct.need_within(line, row, "mech_tilt_deg", &limits::TILT_DEG)?,
            elec_tilt_deg: ct.need_within(
                line,
                row,
                "elec_tilt_deg",
                &limits::ELECTRICAL_TILT_DEG,
            )?,
        };
        let antenna = Antenna::new(pattern, Polarization::Vertical, orientation)
            .map_err(|e| ct.err(line, format!("cell {id}: {e}")))?;
        let height = ct.within(line, row, "height_m", &limits::HEIGHT_M)?.unwrap_or(site.height_m);
        let cell = Cell {
            id: id.clone(),
            site_id: site.id.clone(),
            position: vec3(site.x_m, site.y_m, site.ground_m + height),
            antenna,
            tx_power_dbm: ct.need_within(line, row, "tx_power_dbm", &limits::TX_POWER_DBM)?,
            freq_hz: ct.need_within(line, row, "freq_hz", &limits::FREQ_HZ)?,
            bandwidth_hz: ct.need_within(line, row, "bandwidth_hz", &limits::BANDWIDTH_HZ)?,
            subcarrier_spacing_hz: ct.within(line, row, "scs_hz", &limits::SCS_HZ)?.unwrap_or(30e3),
        };
        cells.push(cell);
        patterns.push(pattern_name);
    }
    Ok((cells, patterns))
}

fn io(p: &Path) -> impl FnOnce(csv::Error) -> InventoryError + '_ {
    move |e| InventoryError::Io { path: p.to_path_buf(), reason: e.to_string() }
}

/// Writes `sites.csv` (scene positions, and WGS84 where known) and `cells.csv`, each whole or
/// not at all (the one atomic writer: a full disk leaves the old file or none, never a part).
pub fn save(inv: &Inventory, sites_path: &Path, cells_path: &Path) -> Result<(), InventoryError> {
    write_table(
        sites_path,
        &["site_id", "lat", "lon", "x_m", "y_m", "ground_m", "height_m"],
        |w| {
            for s in &inv.sites {
                let (lat, lon) = s.lat_lon.map_or((String::new(), String::new()), |(a, b)| {
                    (a.to_string(), b.to_string())
                });
                w.write_record([
                    s.id.clone(),
                    lat,
                    lon,
                    s.x_m.to_string(),
                    s.y_m.to_string(),
                    s.ground_m.to_string(),
                    s.height_m.to_string(),
                ])?;
            }
            Ok(())
        },
    )?;
    let header = [
        "cell_id",
        "site_id",
        "height_m",
        "azimuth_deg",
        "mech_tilt_deg",
        "elec_tilt_deg",
        "tx_power_dbm",
        "freq_hz",
        "bandwidth_hz",
        "scs_hz",
        "pattern",
    ];
    write_table(cells_path, &header, |w| {
        for (c, pattern) in inv.cells.iter().zip(&inv.patterns) {
            let ground = inv.sites.iter().find(|s| s.id == c.site_id).map_or(0.0, |s| s.ground_m);
            let o = c.antenna.orientation;
            w.write_record([
                c.id.clone(),
                c.site_id.clone(),
                (c.position.z - ground).to_string(),
                o.azimuth_deg.to_string(),
                o.mech_tilt_deg.to_string(),
                o.elec_tilt_deg.to_string(),
                c.tx_power_dbm.to_string(),
                c.freq_hz.to_string(),
                c.bandwidth_hz.to_string(),
                c.subcarrier_spacing_hz.to_string(),
                pattern.clone(),
            ])?;
        }
        Ok(())
    })
}

/// A CSV table written atomically: `header`, then the rows `fill` writes.
fn write_table(
    path: &Path,
    header: &[&str],
    fill: impl FnOnce(&mut csv::Writer<&mut std::io::BufWriter<std::fs::File>>) -> csv::Result<()>,
) -> Result<(), InventoryError> {
    twin_format::fsio::write_file_with(path, twin_format::Existing::Replace, |file| {
        let mut w = csv::Writer::from_writer(file);
        let rows = w.write_record(header).and_then(|()| fill(&mut w));
        rows.map_err(io(path))?;
        w.flush()
            .map_err(|e| InventoryError::Io { path: path.to_path_buf(), reason: e.to_string() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let dir = std::env::temp_dir().join(format!("twin-inventory-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sites = dir.join("sites.csv");
        let cells = dir.join("cells.csv");
        std::fs::write(
            &sites,
            "site_id,lat,lon,height_m\nS1,48.8738,2.2950,30\nS2,48.8748,2.2950,25\n",
        )
        .unwrap();
        std::fs::write(
            &cells,
            "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\n\
             C1,S1,0,2,6,46,3.5e9,100e6,38901\nC2,S2,120,0,4,43,3.5e9,100e6,isotropic\n",
        )
        .unwrap();
        let inv = load(&sites, &cells, Some((48.8738, 2.2950))).unwrap();
        assert_eq!(inv.cells.len(), 2);
        let c2 = &inv.cells[1];
        assert!(
            (c2.position.y - 111.2).abs() < 0.1
                && c2.position.x.abs() < 1e-6
                && c2.position.z == 25.0
        );
        assert_eq!(inv.cells[0].antenna.orientation.elec_tilt_deg, 6.0);
        let (s2, c2p) = (dir.join("s2.csv"), dir.join("c2.csv"));
        save(&inv, &s2, &c2p).unwrap();
        let again = load(&s2, &c2p, inv.origin).unwrap();
        for (a, b) in inv.cells.iter().zip(&again.cells) {
            assert!((a.position - b.position).norm() < 1e-6);
            assert_eq!(a.antenna.orientation, b.antenna.orientation);
        }
        std::fs::write(&cells, "cell_id,site_id,azimuth_deg\nC1,S1,0\n").unwrap();
        let e = load(&sites, &cells, None).unwrap_err().to_string();
        assert!(e.contains("cells.csv") && e.contains("missing column \"mech_tilt_deg\""), "{e}");
        std::fs::write(
            &cells,
            "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\nC1,S9,0,0,0,46,3.5e9,1e8,38901\n",
        )
        .unwrap();
        let e = load(&sites, &cells, None).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("S9"), "{e}");
        std::fs::write(
            &cells,
            "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\nC1,S1,north,0,0,46,3.5e9,1e8,38901\n",
        )
        .unwrap();
        let e = load(&sites, &cells, None).unwrap_err().to_string();
        assert!(e.contains("azimuth_deg") && e.contains("\"north\""), "{e}");
        // A cell's own position is refused, not ignored; an empty column is no position.
        std::fs::write(
            &cells,
            "cell_id,site_id,x_m,y_m,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz\n\
             C1,S1,,,0,0,0,46,3.5e9,1e8\nC2,S1,10,0,0,0,0,46,3.5e9,1e8\n",
        )
        .unwrap();
        let e = load(&sites, &cells, None).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("column x_m") && e.contains("sites.csv"), "{e}");
        // An empty pattern field and a missing pattern column are the default macro panel.
        std::fs::write(
            &cells,
            "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\n\
             C1,S1,0,0,6,46,3.5e9,1e8,\nC2,S1,120,0,6,46,3.5e9,1e8,36814\n",
        )
        .unwrap();
        let inv = load(&sites, &cells, None).unwrap();
        assert_eq!(inv.cells[0].antenna.pattern, Pattern::default_macro());
        assert_eq!(inv.patterns, [DEFAULT_MACRO_SPEC, "36814"]);
        std::fs::write(
            &cells,
            "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz\n\
             C1,S1,0,0,6,46,3.5e9,1e8\n",
        )
        .unwrap();
        let inv = load(&sites, &cells, None).unwrap();
        assert_eq!(inv.cells[0].antenna.pattern, Pattern::default_macro());
        std::fs::write(
            &cells,
            "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\n\
             C1,S1,0,0,6,46,3.5e9,1e8,38901-array:0x1\n",
        )
        .unwrap();
        let e = load(&sites, &cells, None).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("at least one row"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
