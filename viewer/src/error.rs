//! What can go wrong opening a run directory or drawing it.

use std::path::PathBuf;

/// A viewer error: each names the directory, file or argument involved and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The run directory cannot be shown, or one of its layers is missing or damaged (the
    /// message names the directory or file and what to do).
    #[error(transparent)]
    Format(#[from] twin_format::view::ViewFormatError),
    /// A layer could not be drawn.
    #[error("{}: {what}", dir.display())]
    Draw {
        /// The run directory.
        dir: PathBuf,
        /// What failed.
        what: String,
    },
    /// A command-line value is wrong.
    #[error("{0}")]
    Input(String),
    /// No GPU adapter, or the device failed.
    #[error("GPU: {0}")]
    Gpu(String),
    /// Writing an image failed.
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
    /// An image could not be encoded as PNG.
    #[error("cannot encode {}", path.display())]
    Encode {
        /// The image's file.
        path: PathBuf,
        /// What the encoder said.
        #[source]
        source: png::EncodingError,
    },
}
