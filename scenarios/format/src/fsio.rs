//! Files and directories written whole or not at all: the one atomic writer of the workspace.
//!
//! Everything the twin leaves on disk (run directories, settlement outputs, model directories,
//! coverage maps, screenshots, replay tables) goes through [`write_file`], [`write_file_with`]
//! or [`write_dir`]. Each writes under a temporary name beside the target (see [`temp_name`]),
//! flushes the data to the disk (`fsync` of every file and directory written), renames the
//! result into place, and syncs the parent directory, so that after a crash, a full disk or a
//! Ctrl-C the target is either the complete new content or absent (or, with
//! [`Existing::Replace`], the complete old content). A failed write removes its temporary.
//!
//! Temporary names start with a dot and contain [`UNFINISHED_MARK`], so that readers can tell an
//! unfinished output from a finished one ([`is_unfinished`]) and a planner's `ls` does not show
//! them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Why a file or directory could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// The operating system refused a step (create, write, sync, rename) on `path`.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The target exists and the writer was asked not to replace it.
    #[error("{} exists; choose a new output", path.display())]
    Exists {
        /// The target.
        path: PathBuf,
    },
    /// The target has no file name to write beside (`/`, `..`, an empty path).
    #[error("{}: not a file or directory name", path.display())]
    NotAName {
        /// The path given.
        path: PathBuf,
    },
}

impl FsError {
    /// An IO error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> FsError {
        FsError::Io { path: path.to_path_buf(), source }
    }
}

/// What to do when the target already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse ([`FsError::Exists`]) and leave it alone.
    Refuse,
    /// Replace it, but only once the new content is complete: until the final rename the old
    /// content stays where it is.
    Replace,
}

/// The part of every temporary name that marks it unfinished.
pub const UNFINISHED_MARK: &str = ".partial-";

/// A fresh temporary name for writing `name`: `.NAME.partial-PID-N`, unique within the
/// process (N counts up) and between processes (PID).
pub fn temp_name(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(".{name}{UNFINISHED_MARK}{}-{n}", std::process::id())
}

/// True for a name made by [`temp_name`]: an output that is still being written, or was left
/// by a writer that was killed.
pub fn is_unfinished(name: &str) -> bool {
    name.starts_with('.') && name.contains(UNFINISHED_MARK)
}

/// The temporaries this process is writing, for [`abandon_unfinished`].
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn unfinished() -> MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A temporary being written: registered while it exists, so that a signal handler can remove
/// it ([`abandon_unfinished`]); the rename into place happens under the registry's lock, so a
/// temporary is either renamed or removed, never half of each.
struct Pending(PathBuf);

impl Pending {
    fn new(tmp: PathBuf) -> Pending {
        unfinished().push(tmp.clone());
        Pending(tmp)
    }

    /// Runs `commit` (the rename) with the registry locked, and forgets the temporary.
    fn commit(self, commit: impl FnOnce(&Path) -> Result<(), FsError>) -> Result<(), FsError> {
        let mut list = unfinished();
        let r = commit(&self.0);
        list.retain(|p| p != &self.0);
        r
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        unfinished().retain(|p| p != &self.0);
    }
}

/// Removes every temporary this process is writing and keeps the writers from starting or
/// finishing another (the registry stays locked): what a process does right before it exits on
/// SIGINT or SIGTERM, so that it leaves neither an unfinished output nor, once this returns, a
/// half-renamed one. Returns the paths removed.
pub fn abandon_unfinished() -> Vec<PathBuf> {
    let list = unfinished();
    for p in list.iter() {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(p);
        } else {
            let _ = std::fs::remove_file(p);
        }
    }
    let removed = list.clone();
    // Held until the process exits: a writer that tries to register or commit waits.
    std::mem::forget(list);
    removed
}

/// The directory `path` lives in and its file name.
fn split(path: &Path) -> Result<(PathBuf, String), FsError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| FsError::NotAName { path: path.to_path_buf() })?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok((parent, name.to_string()))
}

/// Syncs a directory's entries to the disk. Best effort: not every platform lets a directory
/// be opened (the rename has happened either way).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Syncs every file and directory under `dir`, and `dir` itself.
fn sync_tree(dir: &Path) -> Result<(), FsError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FsError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| FsError::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| FsError::io(&path, e))?;
        if kind.is_dir() {
            sync_tree(&path)?;
        } else if kind.is_file() {
            File::open(&path).and_then(|f| f.sync_all()).map_err(|e| FsError::io(&path, e))?;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Moves the finished temporary `tmp` to `target`, replacing an existing target if asked.
fn commit(tmp: &Path, target: &Path, parent: &Path, existing: Existing) -> Result<(), FsError> {
    let exists = target.symlink_metadata().is_ok();
    match (exists, existing) {
        (true, Existing::Refuse) => return Err(FsError::Exists { path: target.to_path_buf() }),
        (true, Existing::Replace) if target.is_dir() => {
            // A directory cannot be renamed over another: the old one steps aside first and is
            // removed once the new one is in place.
            let (_, name) = split(target)?;
            let old = parent.join(temp_name(&format!("{name}.old")));
            std::fs::rename(target, &old).map_err(|e| FsError::io(target, e))?;
            if let Err(e) = std::fs::rename(tmp, target) {
                let _ = std::fs::rename(&old, target);
                return Err(FsError::io(target, e));
            }
            let _ = std::fs::remove_dir_all(&old);
        }
        _ => std::fs::rename(tmp, target).map_err(|e| FsError::io(target, e))?,
    }
    sync_dir(parent);
    Ok(())
}

/// Writes `bytes` to `path` atomically.
pub fn write_file(path: &Path, bytes: &[u8], existing: Existing) -> Result<(), FsError> {
    write_file_with(path, existing, |w| w.write_all(bytes).map_err(|e| FsError::io(path, e)))
}

/// Writes the file `path` atomically with `fill`, which writes into a buffered temporary file
/// beside it; the error type is the caller's, so that `fill` can fail in its own terms.
pub fn write_file_with<E: From<FsError>>(
    path: &Path,
    existing: Existing,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<(), E>,
) -> Result<(), E> {
    if existing == Existing::Refuse && path.symlink_metadata().is_ok() {
        return Err(FsError::Exists { path: path.to_path_buf() }.into());
    }
    let (parent, name) = split(path)?;
    let tmp = parent.join(temp_name(&name));
    let pending = Pending::new(tmp.clone());
    let result = (|| -> Result<(), E> {
        let file = File::create(&tmp).map_err(|e| FsError::io(&tmp, e))?;
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| FsError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| FsError::io(&tmp, e))?;
        drop(file);
        pending.commit(|tmp| commit(tmp, path, &parent, existing))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates the directory `out` whole or not at all: `fill` writes into a temporary directory
/// beside it (created empty, its parents created if needed), which is synced and renamed to
/// `out` when `fill` succeeds, and removed when it fails.
pub fn write_dir<E: From<FsError>>(
    out: &Path,
    existing: Existing,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if existing == Existing::Refuse && out.symlink_metadata().is_ok() {
        return Err(FsError::Exists { path: out.to_path_buf() }.into());
    }
    let (parent, name) = split(out)?;
    std::fs::create_dir_all(&parent).map_err(|e| FsError::io(&parent, e))?;
    let tmp = parent.join(temp_name(&name));
    let pending = Pending::new(tmp.clone());
    let result = (|| -> Result<(), E> {
        std::fs::create_dir(&tmp).map_err(|e| FsError::io(&tmp, e))?;
        fill(&tmp)?;
        sync_tree(&tmp)?;
        pending.commit(|tmp| commit(tmp, out, &parent, existing))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("twin-fsio-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_file_is_written_whole_and_refused_or_replaced_when_it_exists() {
        let d = scratch("file");
        let p = d.join("a.csv");
        write_file(&p, b"one", Existing::Refuse).unwrap();
        assert!(matches!(write_file(&p, b"two", Existing::Refuse), Err(FsError::Exists { .. })));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_file(&p, b"two", Existing::Replace).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(names(&d), ["a.csv"], "no temporary left behind");
    }

    #[test]
    fn a_failing_writer_leaves_nothing_and_keeps_the_old_content() {
        let d = scratch("fail");
        let p = d.join("a.csv");
        write_file(&p, b"old", Existing::Refuse).unwrap();
        let r: Result<(), FsError> = write_file_with(&p, Existing::Replace, |w| {
            w.write_all(b"half").map_err(|e| FsError::io(&p, e))?;
            Err(FsError::NotAName { path: p.clone() })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(names(&d), ["a.csv"]);
        let out = d.join("run");
        let r: Result<(), FsError> = write_dir(&out, Existing::Refuse, |tmp| {
            std::fs::write(tmp.join("x"), b"x").map_err(|e| FsError::io(tmp, e))?;
            Err(FsError::NotAName { path: tmp.to_path_buf() })
        });
        assert!(r.is_err());
        assert!(!out.exists());
        assert_eq!(names(&d), ["a.csv"], "the temporary directory is removed");
    }

    #[test]
    fn a_directory_is_renamed_into_place_or_replaces_the_old_one_when_complete() {
        let d = scratch("dir");
        let out = d.join("run");
        let fill = |text: &'static str| {
            move |tmp: &Path| -> Result<(), FsError> {
                std::fs::create_dir(tmp.join("kpis")).map_err(|e| FsError::io(tmp, e))?;
                std::fs::write(tmp.join("kpis/a.csv"), text).map_err(|e| FsError::io(tmp, e))
            }
        };
        write_dir(&out, Existing::Refuse, fill("one")).unwrap();
        assert!(matches!(
            write_dir(&out, Existing::Refuse, fill("two")),
            Err(FsError::Exists { .. })
        ));
        write_dir(&out, Existing::Replace, fill("two")).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("kpis/a.csv")).unwrap(), "two");
        assert_eq!(names(&d), ["run"]);
    }

    #[test]
    fn temporary_names_are_unique_and_recognised() {
        let (a, b) = (temp_name("run"), temp_name("run"));
        assert_ne!(a, b);
        assert!(is_unfinished(&a) && a.starts_with(".run.partial-"));
        assert!(!is_unfinished("run") && !is_unfinished("partial-run"));
    }
}
