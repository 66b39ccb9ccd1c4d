//! The run format of the network twin: what a run directory holds, as types with their
//! readers and writers, and the file primitives every crate of the twin shares.
//!
//! A run directory is what `twin run` leaves behind and what a capacity review opens:
//!
//! ```text
//! run/
//!   manifest.json, summary.json    run::Manifest, run::Summary
//!   kpis/*.csv, *.parquet          the KPI tables (written by the scenarios crate)
//!   maps/*.png, maps/views.json    heat maps (palette::heat_map_png), the viewer's report images
//!   view/                          the viewer's data (view::ViewIndex, rasters, link utilisation)
//!   report.html                    the self-contained report (written by the scenarios crate)
//! ```
//!
//! The crate depends on no other crate of the workspace (like `sim-core`, it is a leaf), so that
//! the viewer reads run directories without compiling the replay, and so that the lower crates
//! write their own files (transport's replay tables, learned's model directories) through the
//! same primitives:
//!
//! * [`fsio`]: the one atomic writer: files and directories written under a temporary name,
//!   synced and renamed into place, so an output is complete or absent;
//! * [`csv`]: the one quoting rule of CSV fields;
//! * [`palette`]: the colour scales of every map (the viewer's lookup tables, the report's and
//!   the coverage command's PNGs) and the PNG encoder;
//! * [`run`]: `manifest.json`, `summary.json` and the list of report images;
//! * [`view`]: `view/`, the viewer's data, with its format version and the checks a reader
//!   makes before trusting it.

pub mod csv;
pub mod fsio;
pub mod palette;
pub mod run;
pub mod view;

pub use fsio::{Existing, FsError};
