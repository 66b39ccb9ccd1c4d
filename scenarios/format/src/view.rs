//! The viewer's data in a run directory (`view/`): what `twin-view` draws, written by `twin run`
//! beside the KPI tables.
//!
//! ```text
//! view/index.json             format and version, the grid, the window, transport nodes (laid
//!                             out where the topology gives no position) and links, and per
//!                             variant its states: first interval, cells (position, azimuth,
//!                             active), links down, the raster file
//! view/buildings.bin          the scene's building heights, u8 metres per surface-model cell
//! view/<variant>/state-K.bin  five f32 planes of nx·ny values, little-endian, row 0 south:
//!                             RSRP dBm, SINR dB, best server (index into the state's cells,
//!                             -1 none), peak throughput Mbit/s, status (0 indoor, 1 outdoor
//!                             unserved, 2 served); NaN where a value does not exist
//! view/<variant>/links.bin    f32 utilisation per interval and link, row-major by interval
//! ```
//!
//! The writer side is [`write_index`], [`write_raster`] (a [`StateRaster`]), [`write_f32s`] and
//! [`write_buildings`]; the reader side is [`open_index`] (every check a reader needs before it
//! trusts the index, each failure saying what to do), [`read_raster`], [`read_link_row`] and
//! [`read_buildings`]. A reader reads the rasters lazily: a state's when an interval of it is on
//! screen, one interval's row of `links.bin` at a time. The format is documented in
//! `docs/viewer.md`; [`FORMAT_VERSION`] changes when a reader of the old one would misread it.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsio::{self, FsError};

/// The format's name in `index.json`.
pub const FORMAT: &str = "twin-view";
/// The format's version in `index.json`.
pub const FORMAT_VERSION: u32 = 1;
/// The planes of a state's raster file, in order.
pub const PLANES: [&str; 5] = ["rsrp_dbm", "sinr_db", "best_server", "throughput_mbps", "status"];

/// A cell as the viewer draws it: a sector wedge at its site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellGlyph {
    /// Cell identifier.
    pub id: String,
    /// Site identifier.
    pub site: String,
    /// Position east, scene metres.
    pub x_m: f64,
    /// Position north, scene metres.
    pub y_m: f64,
    /// Azimuth, degrees clockwise from north.
    pub azimuth_deg: f64,
    /// False for a cell switched off in this state.
    pub active: bool,
}

/// A transport node as the viewer draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeGlyph {
    /// Node name.
    pub name: String,
    /// Its role (`core`, `aggregation`, `cell_site`, ...).
    pub role: String,
    /// Position east, scene metres.
    pub x_m: f64,
    /// Position north, scene metres.
    pub y_m: f64,
    /// True where the topology gives no position and the writer placed the node (at its sites,
    /// or among its neighbours).
    pub laid_out: bool,
}

/// A transport link as the viewer draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkGlyph {
    /// Link name.
    pub name: String,
    /// Index of one end in the nodes.
    pub from: usize,
    /// Index of the other end.
    pub to: usize,
    /// Capacity, bit/s.
    pub capacity_bps: f64,
}

/// The grid of the rasters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridInfo {
    /// West edge, scene metres.
    pub x_min_m: f64,
    /// South edge, scene metres.
    pub y_min_m: f64,
    /// Cell size, metres.
    pub cell_m: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
}

impl GridInfo {
    /// Points of the grid.
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// Whether the grid has no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The building layer's raster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildingsInfo {
    /// The file, relative to `view/`.
    pub file: String,
    /// The raster's grid (cell size of the scene's surface model).
    pub grid: GridInfo,
}

/// One state in `index.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateEntry {
    /// First interval.
    pub from: usize,
    /// The raster file, relative to `view/`.
    pub file: String,
    /// The state's cells.
    pub cells: Vec<CellGlyph>,
    /// Indices of the links (in the index's order) down in this state: failed, or with a
    /// failed end node.
    pub links_down: Vec<usize>,
}

/// One variant in `index.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantEntry {
    /// "baseline" or the variant's name.
    pub name: String,
    /// Link utilisation per interval, relative to `view/`.
    pub links_file: String,
    /// Its states, in time order.
    pub states: Vec<StateEntry>,
}

/// `view/index.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewIndex {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The twin's version that wrote it.
    pub twin_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Window start, ISO 8601 UTC.
    pub start: String,
    /// Interval length, seconds.
    pub interval_s: u32,
    /// Intervals in the window.
    pub intervals: usize,
    /// The rasters' grid.
    pub grid: GridInfo,
    /// The planes of each raster file, in order ([`PLANES`]).
    pub planes: Vec<String>,
    /// The building layer, if the scenario has a scene.
    pub buildings: Option<BuildingsInfo>,
    /// Transport nodes.
    pub nodes: Vec<NodeGlyph>,
    /// Transport links, in the order of the links files' columns.
    pub links: Vec<LinkGlyph>,
    /// Baseline first, then the variants.
    pub variants: Vec<VariantEntry>,
    /// The RSRP colour range `[min, max]`, dBm, fitted to the run's served points (the report's
    /// maps use the same); absent in older runs, which show the fixed [`crate::palette::RSRP_DBM`].
    #[serde(default)]
    pub rsrp_range_dbm: Option<[f32; 2]>,
}

impl ViewIndex {
    /// The RSRP scale of the run: Viridis over [`ViewIndex::rsrp_range_dbm`], or the fixed one.
    pub fn rsrp_scale(&self) -> crate::palette::Scale {
        match self.rsrp_range_dbm {
            Some([min, max]) if min < max => {
                crate::palette::Scale::Continuous { min, max, map: crate::palette::Ramp::Viridis }
            }
            _ => crate::palette::RSRP_DBM,
        }
    }
}

/// The directory name of a variant's files.
pub fn variant_dir(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

/// Why view data could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ViewFormatError {
    /// Writing a file failed.
    #[error(transparent)]
    Write(#[from] FsError),
    /// `index.json` could not be encoded (a value serde cannot write, such as a NaN position).
    #[error("cannot encode {}", path.display())]
    Encode {
        /// The index.
        path: PathBuf,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// A raster's planes do not fit the grid (a writer's bug, caught before anything is
    /// written).
    #[error("{}: a state raster of {found} points for a grid of {expected}", path.display())]
    RasterSize {
        /// The raster file.
        path: PathBuf,
        /// Points in the planes.
        found: usize,
        /// Points of the grid.
        expected: usize,
    },
    /// The run directory cannot be shown: `what` says why and what to do.
    #[error("{}: {what}", dir.display())]
    RunDir {
        /// The directory.
        dir: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// One layer's file is missing or damaged (the rest can still be shown).
    #[error("{}: {what}", path.display())]
    Layer {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// One state's planes, one value per grid point (row-major, row 0 south); NaN where a value
/// does not exist.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateRaster {
    /// RSRP of the best cell, dBm.
    pub rsrp_dbm: Vec<f32>,
    /// SINR, dB.
    pub sinr_db: Vec<f32>,
    /// Best server (index into the state's cells), −1 where none serves.
    pub best_server: Vec<f32>,
    /// Peak downlink throughput, Mbit/s.
    pub throughput_mbps: Vec<f32>,
    /// 0 indoor, 1 outdoor unserved, 2 served.
    pub status: Vec<f32>,
}

impl StateRaster {
    /// The planes in [`PLANES`] order.
    pub fn planes(&self) -> [&[f32]; 5] {
        [&self.rsrp_dbm, &self.sinr_db, &self.best_server, &self.throughput_mbps, &self.status]
    }
}

/// Writes `planes` one after the other as little-endian `f32` into `path`. The view files are
/// written into a run directory that is itself being filled by [`fsio::write_dir`], which makes
/// the whole atomic; a single file needs no temporary of its own.
pub fn write_f32s(path: &Path, planes: &[&[f32]]) -> Result<(), FsError> {
    let file = std::fs::File::create(path).map_err(|e| FsError::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    for plane in planes {
        for v in *plane {
            w.write_all(&v.to_le_bytes()).map_err(|e| FsError::io(path, e))?;
        }
    }
    w.flush().map_err(|e| FsError::io(path, e))
}

/// Writes a state's raster file for a grid of `grid_len` points.
pub fn write_raster(
    path: &Path,
    raster: &StateRaster,
    grid_len: usize,
) -> Result<(), ViewFormatError> {
    let planes = raster.planes();
    if let Some(p) = planes.iter().find(|p| p.len() != grid_len) {
        return Err(ViewFormatError::RasterSize {
            path: path.to_path_buf(),
            found: p.len(),
            expected: grid_len,
        });
    }
    Ok(write_f32s(path, &planes)?)
}

/// Writes the building layer's heights (whole metres, row-major, row 0 south).
pub fn write_buildings(path: &Path, heights: &[u8]) -> Result<(), FsError> {
    std::fs::write(path, heights).map_err(|e| FsError::io(path, e))
}

/// Writes `view/index.json` into `view_dir`.
pub fn write_index(view_dir: &Path, index: &ViewIndex) -> Result<(), ViewFormatError> {
    let path = view_dir.join("index.json");
    let text = serde_json::to_string_pretty(index)
        .map_err(|source| ViewFormatError::Encode { path: path.clone(), source })?;
    std::fs::write(&path, text).map_err(|e| FsError::io(&path, e))?;
    Ok(())
}

/// Reads `DIR/view/index.json`, checking that `dir` is a whole run directory with view data of
/// this format and version, with sane planes, variants, grid and window. Each failure is a
/// [`ViewFormatError::RunDir`] that says what to do.
pub fn open_index(dir: &Path) -> Result<ViewIndex, ViewFormatError> {
    let bad = |what: String| ViewFormatError::RunDir { dir: dir.to_path_buf(), what };
    if !dir.is_dir() {
        return Err(bad("no such directory".into()));
    }
    if !dir.join(crate::run::MANIFEST).is_file() {
        let partial = dir.file_name().and_then(|n| n.to_str()).is_some_and(fsio::is_unfinished);
        return Err(bad(if partial {
            "an unfinished run (twin run writes into .NAME.partial-PID-N and renames it when \
             done); open the finished directory"
                .into()
        } else {
            "not a run directory (no manifest.json); `twin run scenario.toml --out DIR` \
             writes one"
                .into()
        }));
    }
    let index_path = dir.join("view").join("index.json");
    if !index_path.is_file() {
        return Err(bad("no view/index.json: the run was written by a twin without the viewer's \
             data, or the directory is incomplete; run `twin run` again to write it"
            .into()));
    }
    let text =
        std::fs::read_to_string(&index_path).map_err(|e| bad(format!("view/index.json: {e}")))?;
    let head: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(format!("view/index.json is not JSON ({e}); the file is damaged")))?;
    check_format(dir, &head)?;
    let index: ViewIndex =
        serde_json::from_value(head).map_err(|e| bad(format!("view/index.json: {e}")))?;
    check_index(dir, &index)?;
    Ok(index)
}

/// The format and version an index of the run directory `dir` says it has, against this
/// reader's.
fn check_format(dir: &Path, head: &serde_json::Value) -> Result<(), ViewFormatError> {
    let bad = |what: String| ViewFormatError::RunDir { dir: dir.to_path_buf(), what };
    let format = head.get("format").and_then(|v| v.as_str()).unwrap_or("");
    let version = head.get("format_version").and_then(serde_json::Value::as_u64);
    if format != FORMAT {
        return Err(bad(format!("view/index.json is not a {FORMAT} index (format \"{format}\")")));
    }
    if version != Some(u64::from(FORMAT_VERSION)) {
        let by = head.get("twin_version").and_then(|v| v.as_str()).unwrap_or("an unknown twin");
        return Err(bad(format!(
            "view data of format version {} (written by twin {by}); this viewer reads version \
             {FORMAT_VERSION}: open it with the matching twin-view or run `twin run` again",
            version.map_or("?".to_string(), |v| v.to_string())
        )));
    }
    Ok(())
}

/// What a reader needs of an index before it trusts it: the planes it knows, states in every
/// variant, a grid and a window.
fn check_index(dir: &Path, index: &ViewIndex) -> Result<(), ViewFormatError> {
    let bad = |what: String| ViewFormatError::RunDir { dir: dir.to_path_buf(), what };
    if index.planes != PLANES {
        return Err(bad(format!(
            "view/index.json lists planes {:?}, expected {PLANES:?}",
            index.planes
        )));
    }
    if index.variants.is_empty() || index.variants.iter().any(|v| v.states.is_empty()) {
        return Err(bad("view/index.json has a variant without states".into()));
    }
    if index.grid.nx == 0 || index.grid.ny == 0 || index.intervals == 0 {
        return Err(bad("view/index.json has an empty grid or window".into()));
    }
    Ok(())
}

fn layer(path: &Path, what: String) -> ViewFormatError {
    ViewFormatError::Layer { path: path.to_path_buf(), what }
}

fn missing(path: &Path, e: &std::io::Error) -> ViewFormatError {
    layer(path, format!("{e} (the run directory is incomplete: run `twin run` again)"))
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Reads a state's raster file for `grid`: its [`PLANES`], each `nx · ny` values.
pub fn read_raster(path: &Path, grid: &GridInfo) -> Result<Vec<Vec<f32>>, ViewFormatError> {
    let n = grid.len();
    let bytes = std::fs::read(path).map_err(|e| missing(path, &e))?;
    if bytes.len() != 4 * n * PLANES.len() {
        return Err(layer(
            path,
            format!(
                "{} bytes, expected {} ({} planes of {}×{} f32): truncated or from another run",
                bytes.len(),
                4 * n * PLANES.len(),
                PLANES.len(),
                grid.nx,
                grid.ny
            ),
        ));
    }
    Ok(bytes.chunks_exact(4 * n).map(f32s).collect())
}

/// Reads interval `k`'s row of a links file of `n_links` links over `intervals` intervals,
/// seeking to it (the rest of the file is not read).
pub fn read_link_row(
    path: &Path,
    n_links: usize,
    intervals: usize,
    k: usize,
) -> Result<Vec<f32>, ViewFormatError> {
    if n_links == 0 {
        return Ok(Vec::new());
    }
    let mut f = std::fs::File::open(path).map_err(|e| missing(path, &e))?;
    let len = f.metadata().map_err(|e| layer(path, e.to_string()))?.len();
    let expected = (4 * n_links * intervals) as u64;
    if len != expected {
        return Err(layer(
            path,
            format!("{len} bytes, expected {expected}: truncated or from another run"),
        ));
    }
    f.seek(SeekFrom::Start((4 * n_links * k) as u64)).map_err(|e| layer(path, e.to_string()))?;
    let mut row = vec![0u8; 4 * n_links];
    f.read_exact(&mut row).map_err(|e| layer(path, e.to_string()))?;
    Ok(f32s(&row))
}

/// Reads the building layer's heights for `grid`.
pub fn read_buildings(path: &Path, grid: &GridInfo) -> Result<Vec<u8>, ViewFormatError> {
    let heights = std::fs::read(path).map_err(|e| missing(path, &e))?;
    if heights.len() != grid.len() {
        return Err(layer(
            path,
            format!("{} bytes, expected {}×{}", heights.len(), grid.nx, grid.ny),
        ));
    }
    Ok(heights)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("twin-format-view-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("view")).unwrap();
        d
    }

    const GRID: GridInfo = GridInfo { x_min_m: 0.0, y_min_m: 0.0, cell_m: 10.0, nx: 2, ny: 1 };

    fn index() -> ViewIndex {
        ViewIndex {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            twin_version: "test".into(),
            scenario: "s".into(),
            start: "2024-01-01T00:00:00Z".into(),
            interval_s: 3600,
            intervals: 3,
            grid: GRID,
            planes: PLANES.iter().map(|p| p.to_string()).collect(),
            buildings: None,
            nodes: Vec::new(),
            links: vec![LinkGlyph { name: "a".into(), from: 0, to: 0, capacity_bps: 1e9 }; 2],
            variants: vec![VariantEntry {
                name: "baseline".into(),
                links_file: "baseline/links.bin".into(),
                states: vec![StateEntry {
                    from: 0,
                    file: "baseline/state-0.bin".into(),
                    cells: Vec::new(),
                    links_down: Vec::new(),
                }],
            }],
            rsrp_range_dbm: Some([-100.0, -40.0]),
        }
    }

    #[test]
    fn what_is_written_reads_back() {
        let d = scratch("round-trip");
        std::fs::write(d.join(crate::run::MANIFEST), "{}").unwrap();
        let view = d.join("view");
        std::fs::create_dir_all(view.join("baseline")).unwrap();
        write_index(&view, &index()).unwrap();
        let raster = StateRaster {
            rsrp_dbm: vec![-80.0, f32::NAN],
            sinr_db: vec![3.0, f32::NAN],
            best_server: vec![0.0, -1.0],
            throughput_mbps: vec![50.0, f32::NAN],
            status: vec![2.0, 0.0],
        };
        write_raster(&view.join("baseline/state-0.bin"), &raster, 2).unwrap();
        write_f32s(&view.join("baseline/links.bin"), &[&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]).unwrap();
        assert_eq!(open_index(&d).unwrap(), index());
        let planes = read_raster(&view.join("baseline/state-0.bin"), &GRID).unwrap();
        assert_eq!(planes[0][0], -80.0);
        assert!(planes[0][1].is_nan());
        assert_eq!(planes[4], vec![2.0, 0.0]);
        let row = read_link_row(&view.join("baseline/links.bin"), 2, 3, 2).unwrap();
        assert_eq!(row, vec![0.5, 0.6]);
        assert!(read_link_row(&view.join("baseline/links.bin"), 2, 4, 0).is_err());
    }

    #[test]
    fn a_raster_that_does_not_fit_the_grid_is_not_written() {
        let d = scratch("size");
        let p = d.join("view/state-0.bin");
        let e = write_raster(&p, &StateRaster::default(), 2).unwrap_err();
        assert!(matches!(e, ViewFormatError::RasterSize { found: 0, expected: 2, .. }), "{e}");
        assert!(!p.exists());
    }

    #[test]
    fn bad_indexes_say_what_is_wrong() {
        let d = scratch("bad");
        assert!(open_index(&d).unwrap_err().to_string().contains("not a run directory"));
        std::fs::write(d.join(crate::run::MANIFEST), "{}").unwrap();
        assert!(open_index(&d).unwrap_err().to_string().contains("no view/index.json"));
        let mut i = index();
        i.format_version = 99;
        write_index(&d.join("view"), &i).unwrap();
        let e = open_index(&d).unwrap_err().to_string();
        assert!(e.contains("format version 99") && e.contains("reads version 1"), "{e}");
        let mut i = index();
        i.variants[0].states.clear();
        write_index(&d.join("view"), &i).unwrap();
        assert!(open_index(&d).unwrap_err().to_string().contains("without states"));
    }
}
