//! A run directory as the viewer reads it: `view/index.json` at once, the rasters of a state
//! and one interval's link utilisation when they are on screen.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use scenarios::view::{FORMAT, FORMAT_VERSION, PLANES, ViewIndex};

use crate::error::ViewError;

/// The planes of a state's raster file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plane {
    /// RSRP of the best cell, dBm.
    Rsrp = 0,
    /// SINR, dB.
    Sinr = 1,
    /// Best server, index into the state's cells (-1 none).
    BestServer = 2,
    /// Peak downlink throughput, Mbit/s.
    Throughput = 3,
    /// 0 indoor, 1 outdoor unserved, 2 served.
    Status = 4,
}

/// A state's rasters, read whole.
#[derive(Debug)]
pub struct Raster {
    /// Columns.
    pub nx: usize,
    /// Rows (row 0 south).
    pub ny: usize,
    planes: Vec<Vec<f32>>,
}

impl Raster {
    /// One plane, row-major, row 0 south.
    pub fn plane(&self, p: Plane) -> &[f32] {
        &self.planes[p as usize]
    }

    /// The value of plane `p` at column `ix`, row `iy`.
    pub fn at(&self, p: Plane, ix: usize, iy: usize) -> Option<f32> {
        (ix < self.nx && iy < self.ny).then(|| self.planes[p as usize][iy * self.nx + ix])
    }
}

/// The building layer: heights in whole metres per surface-model cell.
#[derive(Debug)]
pub struct Buildings {
    /// Heights, row-major, row 0 south.
    pub heights: Vec<u8>,
    /// Its grid.
    pub grid: scenarios::view::GridInfo,
}

/// An open run directory.
#[derive(Debug)]
pub struct RunData {
    /// The run directory.
    pub dir: PathBuf,
    /// `view/index.json`.
    pub index: ViewIndex,
    rasters: Mutex<HashMap<(usize, usize), Arc<Raster>>>,
    /// The link row last read, by (variant, interval): a frame and the hover over it ask for
    /// the same row, and a still view asks every frame.
    link_row: Mutex<Option<LinkRow>>,
}

/// One interval's link utilisation, keyed by (variant, interval).
type LinkRow = ((usize, usize), Arc<Vec<f32>>);

/// How many states' rasters stay in memory.
const CACHE_STATES: usize = 8;

impl RunData {
    /// Opens `dir`, checking that it is a whole run directory with view data this viewer reads.
    pub fn open(dir: &Path) -> Result<RunData, ViewError> {
        let bad = |what: String| ViewError::RunDir { dir: dir.to_path_buf(), what };
        if !dir.is_dir() {
            return Err(bad("no such directory".into()));
        }
        if !dir.join("manifest.json").is_file() {
            let partial = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') && n.contains(".partial-"));
            return Err(bad(if partial {
                "an unfinished run (twin run writes into .NAME.partial-PID and renames it when \
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
            return Err(bad(
                "no view/index.json: the run was written by a twin without the viewer's data, or \
                 the directory is incomplete; run `twin run` again to write it"
                    .into(),
            ));
        }
        let text = std::fs::read_to_string(&index_path)
            .map_err(|e| bad(format!("view/index.json: {e}")))?;
        let head: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| bad(format!("view/index.json is not JSON ({e}); the file is damaged")))?;
        let format = head.get("format").and_then(|v| v.as_str()).unwrap_or("");
        let version = head.get("format_version").and_then(serde_json::Value::as_u64);
        if format != FORMAT {
            return Err(bad(format!(
                "view/index.json is not a {FORMAT} index (format \"{format}\")"
            )));
        }
        if version != Some(u64::from(FORMAT_VERSION)) {
            let by = head.get("twin_version").and_then(|v| v.as_str()).unwrap_or("an unknown twin");
            return Err(bad(format!(
                "view data of format version {} (written by twin {by}); this viewer reads version \
                 {FORMAT_VERSION}: open it with the matching twin-view or run `twin run` again",
                version.map_or("?".to_string(), |v| v.to_string())
            )));
        }
        let index: ViewIndex =
            serde_json::from_value(head).map_err(|e| bad(format!("view/index.json: {e}")))?;
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
        Ok(RunData {
            dir: dir.to_path_buf(),
            index,
            rasters: Mutex::new(HashMap::new()),
            link_row: Mutex::new(None),
        })
    }

    /// The variants' names, baseline first.
    pub fn variant_names(&self) -> Vec<String> {
        self.index.variants.iter().map(|v| v.name.clone()).collect()
    }

    /// The index of the variant called `name`.
    pub fn variant(&self, name: &str) -> Result<usize, ViewError> {
        self.index.variants.iter().position(|v| v.name == name).ok_or_else(|| {
            ViewError::Input(format!(
                "no variant \"{name}\" in this run (it has: {})",
                self.variant_names().join(", ")
            ))
        })
    }

    /// The state of `variant` in force at interval `k`.
    pub fn state_at(&self, variant: usize, k: usize) -> usize {
        let states = &self.index.variants[variant].states;
        states.iter().rposition(|s| s.from <= k).unwrap_or(0)
    }

    /// Interval `k`'s start as `YYYY-MM-DDTHH:MM`.
    pub fn interval_label(&self, k: usize) -> String {
        self.interval_time(k)
            .map_or_else(|| format!("interval {k}"), |t| t.format("%Y-%m-%d %H:%M").to_string())
    }

    fn interval_time(&self, k: usize) -> Option<chrono::DateTime<chrono::Utc>> {
        let start = chrono::DateTime::parse_from_rfc3339(&self.index.start).ok()?;
        let t = start + chrono::Duration::seconds(i64::from(self.index.interval_s) * k as i64);
        Some(t.with_timezone(&chrono::Utc))
    }

    /// The interval that starts at (or contains) `text` (`2025-03-01T18:00`, with seconds or a
    /// `Z` optional), or an interval number.
    pub fn parse_interval(&self, text: &str) -> Result<usize, ViewError> {
        if let Ok(k) = text.parse::<usize>() {
            return if k < self.index.intervals {
                Ok(k)
            } else {
                Err(ViewError::Input(format!(
                    "interval {k} is past the window's {} intervals",
                    self.index.intervals
                )))
            };
        }
        let t = text.trim().trim_end_matches('Z');
        let parsed = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M"))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
            .map_err(|_| {
                ViewError::Input(format!(
                    "interval \"{text}\": expected a time like 2025-03-01T18:00 or an interval number"
                ))
            })?;
        let start = self.interval_time(0).map(|t| t.naive_utc()).unwrap_or_default();
        let offset = (parsed - start).num_seconds();
        let step = i64::from(self.index.interval_s.max(1));
        let k = offset.div_euclid(step);
        if offset < 0 || k as usize >= self.index.intervals {
            return Err(ViewError::Input(format!(
                "interval \"{text}\" is outside the run's window ({} to {})",
                self.interval_label(0),
                self.interval_label(self.index.intervals - 1)
            )));
        }
        Ok(k as usize)
    }

    /// The rasters of `variant`'s state `state`, read on first use.
    pub fn raster(&self, variant: usize, state: usize) -> Result<Arc<Raster>, ViewError> {
        if let Some(r) = self.lock().get(&(variant, state)) {
            return Ok(r.clone());
        }
        let v = &self.index.variants[variant];
        let entry = v
            .states
            .get(state)
            .ok_or_else(|| ViewError::Input(format!("{} has no state {state}", v.name)))?;
        let path = self.dir.join("view").join(&entry.file);
        let (nx, ny) = (self.index.grid.nx, self.index.grid.ny);
        let n = nx * ny;
        let bytes = std::fs::read(&path).map_err(|e| ViewError::Layer {
            path: path.clone(),
            what: format!("{e} (the run directory is incomplete: run `twin run` again)"),
        })?;
        if bytes.len() != 4 * n * PLANES.len() {
            return Err(ViewError::Layer {
                path,
                what: format!(
                    "{} bytes, expected {} ({} planes of {nx}×{ny} f32): truncated or from \
                     another run",
                    bytes.len(),
                    4 * n * PLANES.len(),
                    PLANES.len()
                ),
            });
        }
        let planes = bytes
            .chunks_exact(4 * n)
            .map(|c| {
                c.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            })
            .collect();
        let raster = Arc::new(Raster { nx, ny, planes });
        let mut cache = self.lock();
        if cache.len() >= CACHE_STATES {
            cache.clear();
        }
        cache.insert((variant, state), raster.clone());
        Ok(raster)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(usize, usize), Arc<Raster>>> {
        self.rasters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Link utilisation of `variant` in interval `k`, one value per link: only that interval's
    /// row of the file is read.
    pub fn link_util(&self, variant: usize, k: usize) -> Result<Arc<Vec<f32>>, ViewError> {
        let mut last = self.link_row.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((key, row)) = last.as_ref()
            && *key == (variant, k)
        {
            return Ok(row.clone());
        }
        let row = Arc::new(self.read_link_row(variant, k)?);
        *last = Some(((variant, k), row.clone()));
        Ok(row)
    }

    fn read_link_row(&self, variant: usize, k: usize) -> Result<Vec<f32>, ViewError> {
        let n = self.index.links.len();
        if n == 0 {
            return Ok(Vec::new());
        }
        let path = self.dir.join("view").join(&self.index.variants[variant].links_file);
        let layer = |what: String| ViewError::Layer { path: path.clone(), what };
        let mut f = std::fs::File::open(&path).map_err(|e| {
            layer(format!("{e} (the run directory is incomplete: run `twin run` again)"))
        })?;
        let len = f.metadata().map_err(|e| layer(e.to_string()))?.len();
        let expected = (4 * n * self.index.intervals) as u64;
        if len != expected {
            return Err(layer(format!(
                "{len} bytes, expected {expected}: truncated or from another run"
            )));
        }
        f.seek(SeekFrom::Start((4 * n * k) as u64)).map_err(|e| layer(e.to_string()))?;
        let mut row = vec![0u8; 4 * n];
        f.read_exact(&mut row).map_err(|e| layer(e.to_string()))?;
        Ok(row.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    /// The building layer, if the run has one.
    pub fn buildings(&self) -> Result<Option<Buildings>, ViewError> {
        let Some(info) = &self.index.buildings else { return Ok(None) };
        let path = self.dir.join("view").join(&info.file);
        let heights = std::fs::read(&path).map_err(|e| ViewError::Layer {
            path: path.clone(),
            what: format!("{e} (the run directory is incomplete: run `twin run` again)"),
        })?;
        if heights.len() != info.grid.nx * info.grid.ny {
            return Err(ViewError::Layer {
                path,
                what: format!(
                    "{} bytes, expected {}×{}",
                    heights.len(),
                    info.grid.nx,
                    info.grid.ny
                ),
            });
        }
        Ok(Some(Buildings { heights, grid: info.grid }))
    }
}
