//! The persistent coverage cache: coverage maps on disk, content-addressed, so that a second run
//! of a scenario, a variant added later or another shard of the same run traces only what is
//! new.
//!
//! An entry's name is the SHA-256 of everything its path gains depend on: the cache format, the
//! scene's geometry and materials, the analysis grid, the tracer and its settings, and the
//! transmitter ([`super::maps::radio_key`]). Its file is `<key>.map`: the magic `TWINMAP1`, the
//! number of grid points as a little-endian u64, then one little-endian f32 path gain (dB) per
//! point. Entries are written through the run format's atomic writer (a temporary name, synced,
//! renamed), so concurrent writers of one key (shards on shared storage) leave one whole file,
//! and a killed writer leaves none; a file of the wrong size or magic is a miss and is replaced.
//! After a run the cache is trimmed to its size limit, least recently used entries first (a hit
//! refreshes an entry's modification time).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use radio::propagation::TraceConfig;
use radio::{Grid, Scene};
use sha2::{Digest, Sha256};
use twin_format::fsio::{self, Existing, FsError};

/// The entry format's magic; a change of layout or of what a map means changes it.
const MAGIC: &[u8; 8] = b"TWINMAP1";
/// An entry's file extension.
const EXTENSION: &str = "map";
/// The default size limit, bytes (10 GB: the maps of about 25 000 cells on a 100 000-point grid).
pub const DEFAULT_MAX_BYTES: u64 = 10_000_000_000;

/// Where the cache is and how large it may grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    /// The cache directory (created when missing).
    pub dir: PathBuf,
    /// The size limit the cache is trimmed to after a run, bytes.
    pub max_bytes: u64,
}

impl CacheSettings {
    /// The default directory: `$XDG_CACHE_HOME/network-twin/coverage`, else
    /// `$HOME/.cache/network-twin/coverage`; `None` when neither variable is set.
    pub fn default_dir() -> Option<PathBuf> {
        let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(x) => PathBuf::from(x),
            None => {
                PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache")
            }
        };
        Some(base.join("network-twin").join("coverage"))
    }
}

/// What the cache did in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheReport {
    /// Maps read from the cache.
    pub hits: usize,
    /// Maps written to it.
    pub writes: usize,
    /// Writes that failed (the map was still used; the failure is reported, nothing is left).
    pub failed_writes: usize,
    /// Entries removed to keep the cache under its limit.
    pub evicted: usize,
}

/// An open cache with the part of its keys that is the same for every map of a run.
#[derive(Debug)]
pub struct CoverageCache {
    settings: CacheSettings,
    /// The digest of the scene, grid and tracer.
    context: String,
}

/// The digest of a scene's geometry, materials and ground.
fn scene_digest(scene: &Scene) -> String {
    let mut h = Sha256::new();
    // The triangles as stored for tracing (vertex, edges, material, plane and mesh indices).
    h.update(bytemuck::cast_slice::<radio::scene::Triangle, u8>(scene.triangles()));
    h.update(format!("{:?}|{:?}", scene.materials(), scene.ground()).as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl CoverageCache {
    /// Opens (creating) the cache for the maps of `tracer` (its name) with `trace` over `scene`
    /// (`None`: the empirical model) on `grid`.
    pub fn open(
        settings: CacheSettings,
        scene: Option<&Scene>,
        grid: &Grid,
        tracer: &str,
        trace: &TraceConfig,
    ) -> Result<CoverageCache, FsError> {
        std::fs::create_dir_all(&settings.dir).map_err(|e| FsError::io(&settings.dir, e))?;
        let scene = scene.map_or_else(|| "open ground".to_string(), scene_digest);
        let text = format!(
            "{}|{scene}|{}|{}|{}|{}|{}|{}|{tracer}|{trace:?}",
            String::from_utf8_lossy(MAGIC),
            grid.x_min_m,
            grid.y_min_m,
            grid.cell_m,
            grid.nx,
            grid.ny,
            grid.height_m
        );
        Ok(CoverageCache { settings, context: hex(&Sha256::digest(text.as_bytes())) })
    }

    fn path(&self, radio_key: &str) -> PathBuf {
        let key = hex(&Sha256::digest(format!("{}|{radio_key}", self.context).as_bytes()));
        self.settings.dir.join(format!("{key}.{EXTENSION}"))
    }

    /// The map of the transmitter `radio_key` with `points` grid points, if the cache has a
    /// whole one.
    pub fn get(&self, radio_key: &str, points: usize) -> Option<Vec<f32>> {
        let path = self.path(radio_key);
        let bytes = std::fs::read(&path).ok()?;
        let values = decode(&bytes, points)?;
        // A hit is a use: the trim keeps recently used entries.
        if let Ok(f) = std::fs::File::options().append(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(values)
    }

    /// Stores the map of `radio_key` (replacing a damaged entry).
    pub fn put(&self, radio_key: &str, values: &[f32]) -> Result<(), FsError> {
        fsio::write_file(&self.path(radio_key), &encode(values), Existing::Replace)
    }

    /// Removes the least recently used entries until the cache is under its limit; returns how
    /// many it removed.
    pub fn trim(&self) -> Result<usize, FsError> {
        trim(&self.settings.dir, self.settings.max_bytes)
    }
}

fn encode(values: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 4 * values.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(values.len() as u64).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

fn decode(bytes: &[u8], points: usize) -> Option<Vec<f32>> {
    let (head, body) = bytes.split_at_checked(16)?;
    let n = u64::from_le_bytes(head[8..16].try_into().ok()?);
    if &head[..8] != MAGIC || n != points as u64 || body.len() != 4 * points {
        return None;
    }
    Some(body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// The cache's entries, oldest use first, with their sizes.
fn entries(dir: &Path) -> Result<Vec<(SystemTime, u64, PathBuf)>, FsError> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| FsError::io(dir, e))?.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != EXTENSION) {
            continue;
        }
        if let Ok(m) = e.metadata() {
            v.push((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len(), path));
        }
    }
    v.sort();
    Ok(v)
}

fn trim(dir: &Path, max_bytes: u64) -> Result<usize, FsError> {
    let all = entries(dir)?;
    let mut total: u64 = all.iter().map(|e| e.1).sum();
    let mut removed = 0;
    for (_, size, path) in all {
        if total <= max_bytes {
            break;
        }
        // Another process may have removed it first; either way it is gone.
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(FsError::io(&path, e)),
        }
        total = total.saturating_sub(size);
    }
    Ok(removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("twin-cache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn cache(dir: &Path, max_bytes: u64, rays: u64) -> CoverageCache {
        let grid = Grid::new(0.0, 0.0, 10.0, 3, 2, 1.5).unwrap();
        let trace = TraceConfig { rays, ..TraceConfig::default() };
        let settings = CacheSettings { dir: dir.to_path_buf(), max_bytes };
        CoverageCache::open(settings, None, &grid, "cpu", &trace).unwrap()
    }

    #[test]
    fn entries_round_trip_are_keyed_by_their_context_and_damage_is_a_miss() {
        let dir = scratch("round-trip");
        let c = cache(&dir, u64::MAX, 100);
        let map = [-80.0, f32::NEG_INFINITY, -95.5, -100.0, -70.25, -120.0];
        assert_eq!(c.get("tx", 6), None);
        c.put("tx", &map).unwrap();
        assert_eq!(c.get("tx", 6).unwrap(), map);
        // Another grid size, transmitter or tracer setting is another entry.
        assert_eq!(c.get("tx", 5), None);
        assert_eq!(c.get("other", 6), None);
        assert_eq!(cache(&dir, u64::MAX, 200).get("tx", 6), None);
        // A cut file is a miss, and storing again repairs it; no temporary is left.
        let path = c.path("tx");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(c.get("tx", 6), None);
        c.put("tx", &map).unwrap();
        assert_eq!(c.get("tx", 6).unwrap(), map);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn the_trim_removes_the_least_recently_used_entries_down_to_the_limit() {
        let dir = scratch("trim");
        let entry = 16 + 4 * 6;
        let c = cache(&dir, 2 * entry, 100);
        let t0 = SystemTime::now() - std::time::Duration::from_secs(100);
        for (i, key) in ["a", "b", "c"].iter().enumerate() {
            c.put(key, &[0.0; 6]).unwrap();
            let f = std::fs::File::options().append(true).open(c.path(key)).unwrap();
            f.set_modified(t0 + std::time::Duration::from_secs(10 * i as u64)).unwrap();
        }
        // Reading "a" makes it the most recent: "b" goes.
        assert!(c.get("a", 6).is_some());
        assert_eq!(c.trim().unwrap(), 1);
        assert!(c.get("b", 6).is_none());
        assert!(c.get("a", 6).is_some() && c.get("c", 6).is_some());
    }
}
