//! The seed corpus of a format, the input a target receives, and scratch folders for targets
//! that read files.

use std::fmt;
use std::path::{Path, PathBuf};

/// The files of one format's corpus, by name.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The folder it was read from.
    pub dir: PathBuf,
    /// File name and content, sorted by name.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Corpus {
    /// Reads every file directly in `dir` (sorted by name; folders are skipped). Panics if the
    /// folder cannot be read or holds no file: a fuzz test without seeds tests nothing.
    pub fn load(dir: &Path) -> Corpus {
        let entries = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .map(|e| e.unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display())).path());
        let mut files: Vec<(String, Vec<u8>)> = entries
            .filter(|p| p.is_file())
            .map(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                let bytes =
                    std::fs::read(&p).unwrap_or_else(|e| panic!("corpus {}: {e}", p.display()));
                (name.unwrap_or_default(), bytes)
            })
            .collect();
        files.sort();
        assert!(!files.is_empty(), "corpus {} has no files", dir.display());
        Corpus { dir: dir.to_path_buf(), files }
    }

    /// The content of the file called `name`. Panics if there is none.
    pub fn get(&self, name: &str) -> &[u8] {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
            .unwrap_or_else(|| panic!("corpus {} has no file {name}", self.dir.display()))
    }

    /// The files that are seeds of valid input (not `crash-*` regressions).
    pub fn seeds(&self) -> impl Iterator<Item = &(String, Vec<u8>)> {
        self.files.iter().filter(|(n, _)| !n.starts_with("crash-"))
    }
}

/// One input for a target: the corpus file it was derived from (formats read as several files
/// replace that one) and its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Case {
    /// The name of the corpus file mutated.
    pub name: String,
    /// The input.
    pub bytes: Vec<u8>,
}

impl Case {
    /// The bytes as text, with invalid UTF-8 replaced (for targets that take `&str` and whose
    /// file readers would refuse non-UTF-8 before the parser).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Escaped bytes, so that proptest's report of a minimal input can be pasted into a test.
        write!(f, "Case {{ name: {:?}, bytes: b\"{}\" }}", self.name, self.bytes.escape_ascii())
    }
}

/// A folder of its own for one case of a target that reads files, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A new, empty folder under the temporary folder, named after `tag`, this process and a
    /// counter (cases of one run, and parallel tests, never share one).
    pub fn new(tag: &str) -> Scratch {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("twin-fuzz-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("scratch folder {}: {e}", path.display()));
        Scratch { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` as `name` (a relative path; its folders are made); returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("scratch folder {}: {e}", parent.display()));
        }
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("scratch file {}: {e}", p.display()));
        p
    }

    /// Writes every file of `corpus` into the folder, then `case` over the file it replaces.
    pub fn with_case(tag: &str, corpus: &Corpus, case: &Case) -> Scratch {
        let s = Scratch::new(tag);
        for (name, bytes) in &corpus.files {
            s.write(name, bytes);
        }
        s.write(&case.name, &case.bytes);
        s
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
