//! What can go wrong opening a run directory or drawing it.

use std::path::PathBuf;

/// A viewer error: each names the directory, file or argument involved and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The run directory cannot be shown.
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
    /// A command-line value is wrong.
    #[error("{0}")]
    Input(String),
    /// No GPU adapter, or the device failed.
    #[error("GPU: {0}")]
    Gpu(String),
    /// Writing the image failed.
    #[error("{}: {what}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        what: String,
    },
}
