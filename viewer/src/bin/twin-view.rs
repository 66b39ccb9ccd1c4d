//! `twin-view`: opens a run directory in a window, or draws one view of it to a PNG.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use viewer::colormap::Field;
use viewer::headless::Headless;
use viewer::window::{WindowOptions, run};
use viewer::{Camera, Compare, RunData, ViewError, initial_view};

/// Shows a run directory written by `twin run`: coverage rasters, buildings, sites, transport
/// links and unserved areas, per variant and interval.
#[derive(Debug, Parser)]
#[command(
    name = "twin-view",
    version,
    after_help = "Examples:\n  twin-view runs/demo\n  twin-view runs/demo --screenshot sinr.png --layer sinr --variant new-site \\\n      --interval 2025-03-01T18:00 --size 1600x1000\n  twin-view runs/demo --screenshot diff.png --layer rsrp --variant retilt --compare difference\n\nIn the window, press h for the keyboard shortcuts. Exit codes: 0 done, 1 the run directory or\na layer cannot be shown (the message says why), 2 bad arguments (refused before the run\nis opened)."
)]
struct Args {
    /// The run directory (`twin run scenario.toml --out DIR`).
    run_dir: PathBuf,
    /// Draw offscreen into this PNG instead of opening a window.
    #[arg(long, value_name = "OUT.png", value_parser = png_path)]
    screenshot: Option<PathBuf>,
    /// The raster: rsrp, sinr, best-server or throughput.
    #[arg(long, default_value = "rsrp", value_parser = parse_field)]
    layer: Field,
    /// The variant shown (default: the baseline).
    #[arg(long)]
    variant: Option<String>,
    /// The interval: its start (2025-03-01T18:00) or its number (default: the first).
    #[arg(long)]
    interval: Option<String>,
    /// Against the baseline: single, side-by-side or difference.
    #[arg(long, default_value = "single", value_parser = parse_compare)]
    compare: Compare,
    /// Image or window size, WIDTHxHEIGHT pixels (each side 64 to 16384).
    #[arg(long, default_value = "1600x1000", value_parser = parse_size)]
    size: (u32, u32),
    /// Layers to leave out, comma separated: buildings, coverage, unserved, sites, transport.
    #[arg(long, value_delimiter = ',', value_parser = ["buildings", "coverage", "unserved", "sites", "transport"])]
    hide: Vec<String>,
    /// Centre and scale of the view: X,Y,METRES_PER_PIXEL (default: the whole area).
    #[arg(long, value_name = "X,Y,M_PER_PX", value_parser = parse_camera)]
    camera: Option<Camera>,
    /// Close the window by itself after this many seconds, 0 to 86400 (scripted screenshots,
    /// smoke tests).
    #[arg(long, value_name = "SECONDS", value_parser = parse_quit_after, allow_negative_numbers = true)]
    quit_after: Option<Duration>,
    /// Draw the report's images into RUN_DIR/maps/view-VARIANT.png (the baseline's RSRP, each
    /// variant's RSRP difference after its last change) and list them with their captions in
    /// RUN_DIR/maps/views.json; `twin run` calls this to embed them in report.html.
    #[arg(long)]
    report: bool,
    /// Draw this many frames of the view offscreen and print their median and 90th percentile
    /// frame time (how fast this machine's GPU draws the run); 1 to 100000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    frames: Option<u32>,
}

// clap's value parsers: a bad argument is refused with its flag and exit 2, before any work.

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("\"{text}\": expected WIDTHxHEIGHT, e.g. 1600x1000");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h) =
        (w.trim().parse::<u32>().map_err(|_| bad())?, h.trim().parse::<u32>().map_err(|_| bad())?);
    if w < 64 || h < 64 || w > 16_384 || h > 16_384 {
        return Err(format!("{w}x{h}: each side must be 64 to 16384 pixels"));
    }
    Ok((w, h))
}

/// A number of seconds a window can wait: not negative, not NaN, at most a day.
fn parse_quit_after(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if (0.0..=86_400.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("\"{text}\": expected a number of seconds from 0 to 86400")),
    }
}

/// X,Y,METRES_PER_PIXEL: finite, with a positive scale.
fn parse_camera(text: &str) -> Result<Camera, String> {
    let parts: Result<Vec<f64>, _> = text.split(',').map(|p| p.trim().parse::<f64>()).collect();
    match parts.as_deref() {
        Ok([x, y, m]) if x.is_finite() && y.is_finite() && m.is_finite() && *m > 0.0 => {
            Ok(Camera { cx: *x, cy: *y, m_per_px: *m })
        }
        _ => Err(format!(
            "\"{text}\": expected X,Y,METRES_PER_PIXEL, finite numbers with a positive scale"
        )),
    }
}

fn parse_field(text: &str) -> Result<Field, String> {
    Field::parse(text)
        .ok_or_else(|| format!("\"{text}\": expected rsrp, sinr, best-server or throughput"))
}

fn parse_compare(text: &str) -> Result<Compare, String> {
    match text {
        "single" | "none" => Ok(Compare::Single),
        "side-by-side" | "side" => Ok(Compare::SideBySide),
        "difference" | "diff" => Ok(Compare::Difference),
        other => Err(format!("\"{other}\": expected single, side-by-side or difference")),
    }
}

/// A screenshot's name: the viewer writes PNG, so the name must say `.png`.
fn png_path(text: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(text);
    if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        Ok(p)
    } else {
        Err(format!("\"{text}\": the screenshot is a PNG; name it NAME.png"))
    }
}

/// The report's images: the baseline's RSRP and each variant's RSRP difference after its last
/// change, drawn into `maps/` and listed in `maps/views.json` for `twin run` to embed.
fn report_images(data: &RunData) -> Result<(), ViewError> {
    let mut headless = Headless::new()?;
    let (rw, rh) = (1200, 750);
    let maps = data.dir.join("maps");
    std::fs::create_dir_all(&maps).map_err(|e| twin_format::FsError::io(&maps, e))?;
    let mut images = Vec::new();
    for (v, entry) in data.index.variants.iter().enumerate() {
        let mut view = initial_view(data, rw, rh);
        view.variant = v;
        view.interval = entry.states.last().map_or(0, |s| s.from);
        let caption = if v == 0 {
            view.field = Field::Rsrp;
            format!("baseline: RSRP at {}", data.interval_label(view.interval))
        } else {
            view.compare = Compare::Difference;
            format!("{} minus baseline: RSRP at {}", entry.name, data.interval_label(view.interval))
        };
        let file = format!("maps/view-{}.png", twin_format::view::variant_dir(&entry.name));
        headless.render(data, &view, rw, rh)?.save_png(&data.dir.join(&file))?;
        images.push(twin_format::run::ReportImage { file, caption });
    }
    let list = data.dir.join(twin_format::run::REPORT_IMAGES);
    let text = serde_json::to_string_pretty(&images)
        .map_err(|e| ViewError::Input(format!("cannot encode the list of images: {e}")))?;
    twin_format::fsio::write_file(&list, text.as_bytes(), twin_format::Existing::Replace)?;
    eprintln!("twin-view: {} report images listed in {}", images.len(), list.display());
    Ok(())
}

fn main_inner(args: Args) -> Result<(), ViewError> {
    let (w, h) = args.size;
    let (field, compare, quit_after) = (args.layer, args.compare, args.quit_after);
    let data = RunData::open(&args.run_dir)?;
    let mut view = initial_view(&data, w, h);
    view.field = field;
    view.compare = compare;
    if let Some(v) = &args.variant {
        view.variant = data.variant(v)?;
    }
    if compare != Compare::Single && view.variant == 0 {
        eprintln!("twin-view: comparing the baseline with itself; choose a variant with --variant");
    }
    if let Some(t) = &args.interval {
        view.interval = data.parse_interval(t)?;
    }
    for layer in &args.hide {
        let l = &mut view.layers;
        match layer.as_str() {
            "buildings" => l.buildings = false,
            "coverage" => l.coverage = false,
            "unserved" => l.unserved = false,
            "sites" => l.sites = false,
            _ => l.transport = false,
        }
    }
    let panel_w = if compare == Compare::SideBySide { f64::from(w) / 2.0 } else { f64::from(w) };
    view.camera = args.camera.unwrap_or_else(|| Camera::fit_run(&data, panel_w, f64::from(h)));
    if args.report {
        return report_images(&data);
    }
    if let Some(n) = args.frames {
        let mut headless = Headless::new()?;
        headless.frame(&data, &view, w, h)?;
        let mut ms: Vec<f64> = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let t = std::time::Instant::now();
            headless.frame(&data, &view, w, h)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        let q = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
        println!(
            "frames={} median_ms={:.2} p90_ms={:.2} size={w}x{h} adapter=\"{}\"",
            ms.len(),
            q(0.5),
            q(0.9),
            headless.gpu.adapter
        );
        return Ok(());
    }
    match &args.screenshot {
        Some(out) => {
            let mut headless = Headless::new()?;
            let shot = headless.render(&data, &view, w, h)?;
            shot.save_png(out)?;
            eprintln!(
                "twin-view: {} ({w}x{h}, {} at {}, on {})",
                out.display(),
                data.variant_names()[view.variant],
                data.interval_label(view.interval),
                headless.gpu.adapter
            );
            Ok(())
        }
        None => run(data, WindowOptions { view, size: [w, h], quit_after }),
    }
}

/// Takes SIGINT and SIGTERM back: a `twin` that started this viewer blocks them in its threads
/// (to wait for them on one of its own), and a blocked mask is inherited by the programs it
/// starts. With them unblocked, Ctrl-C and SIGTERM stop the viewer as they stop any program.
fn default_signals() {
    #[cfg(unix)]
    {
        use nix::sys::signal::{SigSet, Signal};
        let mut set = SigSet::empty();
        set.add(Signal::SIGINT);
        set.add(Signal::SIGTERM);
        let _ = set.thread_unblock();
    }
}

fn main() -> ExitCode {
    // Before any thread: a headless run is re-executed without Mesa's device-select layer,
    // whose Wayland probe would print `XDG_RUNTIME_DIR is invalid` (an exec that fails leaves
    // only that noise).
    let _ = radio::headless::quiet_device_select();
    default_signals();
    let args = Args::parse();
    match main_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The error and its causes, as one line: "cannot write x.png: No space left".
            let mut line = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                line.push_str(&format!(": {c}"));
                cause = c.source();
            }
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}
