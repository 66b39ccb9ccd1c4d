//! A run directory as the viewer reads it: `view/index.json` at once, the rasters of a state
//! and one interval's link utilisation when they are on screen.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use twin_format::view::{self, GridInfo, ViewIndex};

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
    pub grid: GridInfo,
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
    /// Opens `dir`, checking that it is a whole run directory with view data this viewer reads
    /// ([`twin_format::view::open_index`] says what is wrong and what to do).
    pub fn open(dir: &Path) -> Result<RunData, ViewError> {
        let index = view::open_index(dir)?;
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
        let planes = view::read_raster(&path, &self.index.grid)?;
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
        let path = self.dir.join("view").join(&self.index.variants[variant].links_file);
        Ok(view::read_link_row(&path, self.index.links.len(), self.index.intervals, k)?)
    }

    /// The building layer, if the run has one.
    pub fn buildings(&self) -> Result<Option<Buildings>, ViewError> {
        let Some(info) = &self.index.buildings else { return Ok(None) };
        let path = self.dir.join("view").join(&info.file);
        let heights = view::read_buildings(&path, &info.grid)?;
        Ok(Some(Buildings { heights, grid: info.grid }))
    }
}
