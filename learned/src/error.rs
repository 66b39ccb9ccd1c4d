//! Errors of the learned layer. Each names the file, line, column or model directory involved.

use std::path::{Path, PathBuf};

/// What can go wrong importing measurements, building features, training, saving or loading.
#[derive(Debug, thiserror::Error)]
pub enum LearnedError {
    /// A file or directory could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The column mapping is malformed or does not fit the file.
    #[error("column mapping: {0}")]
    Mapping(String),
    /// A column the mapping names is not in the file.
    #[error(
        "{path}: the mapping puts {field} in column \"{column}\", which the file lacks (columns: {found})"
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The field.
        field: String,
        /// The column named.
        column: String,
        /// The columns the file has.
        found: String,
    },
    /// A row is wrong.
    #[error("{path}, line {line}: {reason}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Every row was filtered out.
    #[error("{path}: no usable measurement ({report})")]
    NoRows {
        /// The file.
        path: PathBuf,
        /// What happened to the rows.
        report: String,
    },
    /// A model directory's features differ from the ones this code computes.
    #[error(
        "{dir}: the model was trained on other features ({detail}); retrain it with this version"
    )]
    FeatureMismatch {
        /// The model directory.
        dir: PathBuf,
        /// What differs.
        detail: String,
    },
    /// A model directory is incomplete or corrupt.
    #[error("{dir}: {reason}")]
    Model {
        /// The model directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Training could not proceed.
    #[error("training: {0}")]
    Training(String),
    /// A setting or input is invalid.
    #[error("{0}")]
    Config(String),
    /// The radio model failed.
    #[error(transparent)]
    Radio(#[from] radio::RadioError),
    /// A model directory could not be written.
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
    /// The inventory could not be read.
    #[error(transparent)]
    Inventory(#[from] radio::inventory::InventoryError),
}

impl LearnedError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, e: impl std::fmt::Display) -> LearnedError {
        LearnedError::Io { path: path.to_path_buf(), reason: e.to_string() }
    }
}
