//! The viewer beside this binary: `twin view` hands a run directory to `twin-view`, and
//! `twin run` asks it for the report's images (`twin-view RUN --report`, which draws them into
//! the unfinished run directory and lists them in `maps/views.json`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use scenarios::rundir::Figure;

/// The viewer's binary, if it was built beside this one.
fn twin_view_beside() -> Option<PathBuf> {
    let name = if cfg!(windows) { "twin-view.exe" } else { "twin-view" };
    let exe = std::env::current_exe().ok()?.parent()?.join(name);
    exe.is_file().then_some(exe)
}

/// The viewer's images for the report of the unfinished run directory `dir`. Without the
/// viewer (a build of `twin` alone) or when it fails (no GPU adapter), the report keeps its own
/// maps and one line says why.
pub(crate) fn report_images(dir: &Path) -> Vec<Figure> {
    let Some(exe) = twin_view_beside() else {
        eprintln!(
            "report: without the viewer's images (twin-view is not beside twin; `cargo build \
             --release --bin twin-view` adds them)"
        );
        return Vec::new();
    };
    match std::process::Command::new(&exe).arg(dir).arg("--report").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().rfind(|l| l.starts_with("error")).unwrap_or("failed");
            eprintln!("report: without the viewer's images ({last})");
            return Vec::new();
        }
        Err(e) => {
            eprintln!("report: without the viewer's images ({}: {e})", exe.display());
            return Vec::new();
        }
    }
    let listed = match twin_format::run::read_report_images(dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("report: without the viewer's images ({e})");
            return Vec::new();
        }
    };
    listed
        .into_iter()
        .filter_map(|i| {
            let png = std::fs::read(dir.join(&i.file)).ok()?;
            Some(Figure { caption: i.caption, png })
        })
        .collect()
}

/// `twin view RUN [twin-view options]`.
pub(crate) fn view(run_dir: &Path, args: &[String]) -> Result<ExitCode> {
    let exe = twin_view_beside().context(
        "twin-view is not beside twin; build it with `cargo build --release --bin twin-view` \
         (or run `cargo run --release --bin twin-view -- RUN_DIR`)",
    )?;
    let status = std::process::Command::new(&exe)
        .arg(run_dir)
        .args(args)
        .status()
        .with_context(|| format!("running {}", exe.display()))?;
    Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
