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
    after_help = "Examples:\n  twin-view runs/demo\n  twin-view runs/demo --screenshot sinr.png --layer sinr --variant new-site \\\n      --interval 2025-03-01T18:00 --size 1600x1000\n  twin-view runs/demo --screenshot diff.png --layer rsrp --variant retilt --compare difference\n\nIn the window, press h for the keyboard shortcuts. Exit codes: 0 done, 1 the run directory or\na layer cannot be shown (the message says why), 2 bad arguments."
)]
struct Args {
    /// The run directory (`twin run scenario.toml --out DIR`).
    run_dir: PathBuf,
    /// Draw offscreen into this PNG instead of opening a window.
    #[arg(long, value_name = "OUT.png")]
    screenshot: Option<PathBuf>,
    /// The raster: rsrp, sinr, best-server or throughput.
    #[arg(long, default_value = "rsrp")]
    layer: String,
    /// The variant shown (default: the baseline).
    #[arg(long)]
    variant: Option<String>,
    /// The interval: its start (2025-03-01T18:00) or its number (default: the first).
    #[arg(long)]
    interval: Option<String>,
    /// Against the baseline: single, side-by-side or difference.
    #[arg(long, default_value = "single")]
    compare: String,
    /// Image or window size, WIDTHxHEIGHT pixels.
    #[arg(long, default_value = "1600x1000")]
    size: String,
    /// Layers to leave out, comma separated: buildings, coverage, unserved, sites, transport.
    #[arg(long, value_delimiter = ',')]
    hide: Vec<String>,
    /// Centre and scale of the view: X,Y,METRES_PER_PIXEL (default: the whole area).
    #[arg(long, value_name = "X,Y,M_PER_PX")]
    camera: Option<String>,
    /// Close the window by itself after this many seconds (scripted screenshots, smoke tests).
    #[arg(long, value_name = "SECONDS")]
    quit_after: Option<f64>,
    /// Draw the report's images into RUN_DIR/maps/view-VARIANT.png (the baseline's RSRP, each
    /// variant's RSRP difference after its last change) and list them with their captions in
    /// RUN_DIR/maps/views.json; `twin run` calls this to embed them in report.html.
    #[arg(long)]
    report: bool,
    /// Draw this many frames of the view offscreen and print their median and 90th percentile
    /// frame time (how fast this machine's GPU draws the run).
    #[arg(long, value_name = "N")]
    frames: Option<usize>,
}

fn parse_size(text: &str) -> Result<(u32, u32), ViewError> {
    let bad =
        || ViewError::Input(format!("size \"{text}\": expected WIDTHxHEIGHT, e.g. 1600x1000"));
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h) =
        (w.trim().parse::<u32>().map_err(|_| bad())?, h.trim().parse::<u32>().map_err(|_| bad())?);
    if w < 64 || h < 64 || w > 16_384 || h > 16_384 {
        return Err(ViewError::Input(format!(
            "size {w}x{h}: each side must be 64 to 16384 pixels"
        )));
    }
    Ok((w, h))
}

/// `--quit-after`: a number of seconds a window can wait (not negative, not NaN, at most a day).
fn parse_quit_after(seconds: Option<f64>) -> Result<Option<Duration>, ViewError> {
    let Some(s) = seconds else { return Ok(None) };
    if !(0.0..=86_400.0).contains(&s) {
        return Err(ViewError::Input(format!(
            "--quit-after {s}: expected a number of seconds from 0 to 86400"
        )));
    }
    Ok(Some(Duration::from_secs_f64(s)))
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
    let (w, h) = parse_size(&args.size)?;
    let quit_after = parse_quit_after(args.quit_after)?;
    let field = Field::parse(&args.layer).ok_or_else(|| {
        ViewError::Input(format!(
            "layer \"{}\": expected rsrp, sinr, best-server or throughput",
            args.layer
        ))
    })?;
    let compare = match args.compare.as_str() {
        "single" | "none" => Compare::Single,
        "side-by-side" | "side" => Compare::SideBySide,
        "difference" | "diff" => Compare::Difference,
        other => {
            return Err(ViewError::Input(format!(
                "compare \"{other}\": expected single, side-by-side or difference"
            )));
        }
    };
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
        match layer.trim() {
            "buildings" => l.buildings = false,
            "coverage" => l.coverage = false,
            "unserved" => l.unserved = false,
            "sites" => l.sites = false,
            "transport" => l.transport = false,
            other => {
                return Err(ViewError::Input(format!(
                    "--hide {other}: expected buildings, coverage, unserved, sites or transport"
                )));
            }
        }
    }
    let panel_w = if compare == Compare::SideBySide { f64::from(w) / 2.0 } else { f64::from(w) };
    view.camera = Camera::fit_run(&data, panel_w, f64::from(h));
    if let Some(c) = &args.camera {
        let parts: Vec<f64> = c.split(',').filter_map(|p| p.trim().parse().ok()).collect();
        match parts.as_slice() {
            [x, y, m] if *m > 0.0 => view.camera = Camera { cx: *x, cy: *y, m_per_px: *m },
            _ => {
                return Err(ViewError::Input(format!(
                    "camera \"{c}\": expected X,Y,METRES_PER_PIXEL with a positive scale"
                )));
            }
        }
    }
    if args.report {
        return report_images(&data);
    }
    if let Some(n) = args.frames {
        let mut headless = Headless::new()?;
        headless.frame(&data, &view, w, h)?;
        let mut ms: Vec<f64> = Vec::with_capacity(n.max(1));
        for _ in 0..n.max(1) {
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

fn main() -> ExitCode {
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
