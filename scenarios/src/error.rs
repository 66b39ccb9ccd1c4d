//! Errors of the scenario layer.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// What can go wrong outside validation (which reports [`crate::scenario::Diagnostic`]s).
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// Settlement could not be computed (no rate card, invalid amounts, mixed currencies).
    #[error("settlement: {0}")]
    Settlement(String),
    /// The replay could not proceed (a scene or map that fails, a topology without a core).
    #[error("replay: {0}")]
    Replay(String),
    /// The learned correction could not be trained or applied (unreadable measurements, a model
    /// of another inventory).
    #[error("calibration: {0}")]
    Calibration(String),
    /// Stopped by the user (Ctrl-C); nothing was written.
    #[error("interrupted")]
    Interrupted,
    /// A statement log failed verification.
    #[error("{path}, line {line}: {reason}")]
    Tampered {
        /// The log.
        path: PathBuf,
        /// The first line that does not verify.
        line: usize,
        /// What does not match.
        reason: String,
    },
}

impl ScenarioError {
    /// An IO error on `path`.
    pub fn io(path: &Path, e: impl std::fmt::Display) -> ScenarioError {
        ScenarioError::Io { path: path.to_path_buf(), reason: e.to_string() }
    }
}
