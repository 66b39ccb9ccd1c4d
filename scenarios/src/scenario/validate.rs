//! Validation: the scenario file and everything it names, read and checked into a [`Plan`], or
//! every problem found, each with the file, the line where there is one, the field and what was
//! expected, like a compiler; it does not stop at the first.
//!
//! The checks are split by what they read: this file holds the scenario file itself (window,
//! grid, scene, calibration) and puts the plan together; `tables.rs` reads the CSV files;
//! `resolve.rs` turns the variants' operations into resolved [`super::Change`]s.

use std::path::{Path, PathBuf};

use chrono::DateTime;

use super::file::Scenario;
use super::plan::{CoverageRule, Files, InputFile, Plan, SceneSource, Window};
use crate::error::Diagnostic;
use crate::settlement::Usage;

/// Reads `path` and everything it names; returns the plan, or every problem found (sorted by
/// file, line and field, without repeats).
pub fn validate(path: &Path) -> Result<Plan, Vec<Diagnostic>> {
    let mut v = Validator { diags: Vec::new(), sources: Vec::new() };
    let plan = v.run(path);
    let mut diags = v.diags;
    diags.sort();
    diags.dedup();
    match plan {
        Some(p) if diags.is_empty() => Ok(p),
        _ => Err(diags),
    }
}

/// Parses an ISO 8601 instant (with a zone, or UTC without one) to seconds since 1970.
pub fn parse_instant(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp())
}

/// The files `scenario` names, resolved against `base` (the scenario's directory).
fn input_files(scenario: &Scenario, base: &Path) -> Files {
    let input = |p: &Path| InputFile::new(base, p);
    let (net, hist) = (&scenario.network, &scenario.history);
    Files {
        sites: input(&net.sites),
        cells: input(&net.cells),
        topology: input(&net.topology),
        homing: input(&net.homing),
        traffic: input(&hist.traffic),
        links: net.links.as_deref().map(input),
        settlement: hist.settlement.as_deref().map(input),
        rate_cards: hist.rate_cards.as_deref().map(input),
        demand_density: hist.demand_density.as_deref().map(input),
        scene: net.scene.as_deref().filter(|s| *s != "procedural").map(|s| input(s.as_ref())),
    }
}

/// Collects diagnostics while the scenario is read.
pub(super) struct Validator {
    pub(super) diags: Vec<Diagnostic>,
    /// Where each variant of the scenario read stands in its file (read by `source.rs`).
    pub(super) sources: Vec<VariantSource>,
}

/// Where a variant the scenario file holds stands in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct VariantSource {
    /// Its index among the file's `[[variant]]` tables (a variant that could not be read is
    /// left out of the scenario but keeps its place in the numbering).
    pub(super) index: usize,
    /// The line its table starts on.
    pub(super) line: Option<usize>,
    /// Of each operation read, its index among the variant's `[[variant.at]]` tables and line.
    pub(super) ops: Vec<(usize, Option<usize>)>,
}

/// The window as far as it could be checked (zero intervals when it could not).
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    pub(super) start_s: i64,
    pub(super) step: i64,
    pub(super) intervals: usize,
}

impl Validator {
    /// The coverage rule, each value in its physical range.
    fn coverage(&mut self, path: &Path, spec: &super::file::CoverageSpec) -> CoverageRule {
        let checks = [
            ("coverage.min_rsrp_dbm", spec.min_rsrp_dbm, -200.0, 0.0, "dBm"),
            ("coverage.min_sinr_db", spec.min_sinr_db, -50.0, 60.0, "dB"),
            ("coverage.interference_load", spec.interference_load, 0.0, 1.0, "(a share)"),
        ];
        for (field, v, lo, hi, unit) in checks {
            if !(lo..=hi).contains(&v) {
                self.push(path, None, field, format!("{v} must lie in {lo} to {hi} {unit}"));
            }
        }
        CoverageRule {
            thresholds: radio::kpi::CoverageThresholds {
                min_rsrp_dbm: spec.min_rsrp_dbm,
                min_sinr_db: spec.min_sinr_db,
            },
            interference_load: spec.interference_load.clamp(0.0, 1.0),
        }
    }

    pub(super) fn push(
        &mut self,
        file: &Path,
        line: Option<usize>,
        field: &str,
        message: impl Into<String>,
    ) {
        self.diags.push(Diagnostic {
            file: file.to_path_buf(),
            line,
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn run(&mut self, path: &Path) -> Option<Plan> {
        let scenario = self.read_scenario(path)?;
        let base = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let span = self.window(path, &scenario);
        if !(scenario.grid.cell_m > 0.0 && scenario.grid.cell_m.is_finite()) {
            let msg = format!("{} m must be a positive spacing", scenario.grid.cell_m);
            self.push(path, None, "grid.cell_m", msg);
        }
        let (net, hist) = (&scenario.network, &scenario.history);
        let files = input_files(&scenario, &base);
        let scene = self.scene(path, &scenario, &files);
        let coverage = self.coverage(path, &scenario.coverage);
        let calibration = self.calibration(path, &scenario, &base);

        // The network.
        self.origin(path, net.origin);
        let origin = net.origin.map(|[a, b]| (a, b));
        let inventory = match radio::inventory::load(&files.sites.path, &files.cells.path, origin) {
            Ok(i) => Some(i),
            Err(e) => {
                self.inventory_error(&files.cells.path, e);
                None
            }
        };
        let grid = match (&inventory, &scene) {
            (Some(inv), Some(source)) => self.placement(path, &files.sites.path, source, inv),
            _ => None,
        };
        let topology =
            self.topology(&files.topology.path, files.links.as_ref().map(|l| l.path.clone()));
        let homing = match (&inventory, &topology) {
            (Some(inv), Some(topo)) => self.homing(&files.homing.path, inv, topo),
            _ => None,
        };

        // The history.
        let fill = self.fill_setting(path, hist.fill_traffic_gaps, span);
        let traffic =
            inventory.as_ref().and_then(|inv| self.traffic(&files.traffic.path, inv, span, fill));
        let rate_cards = match &files.rate_cards {
            Some(f) => self.rate_cards(&f.path),
            None => Some(Vec::new()),
        };
        let usage = match &files.settlement {
            Some(f) => {
                if files.rate_cards.is_none() {
                    self.push(
                        path,
                        None,
                        "history.rate_cards",
                        "settlement load needs rate cards to be priced",
                    );
                }
                self.usage(&f.path, rate_cards.as_deref().unwrap_or(&[]), span)
            }
            None => Some(Vec::new()),
        };
        let density = match (&files.demand_density, &inventory) {
            (Some(f), Some(inv)) => self.density(&f.path, inv.origin),
            _ => Some(Vec::new()),
        };

        if let Some(u) = &usage {
            self.settlement_modes(path, &scenario, span, u);
        }
        let profiles = self.profiles(path, &scenario.ran);
        let n_cells = inventory.as_ref().map_or(0, |i| i.cells.len());
        let parts = (inventory.as_ref(), topology.as_ref(), grid.flatten());
        let variants = self.variants(path, &scenario, span, parts, &profiles);
        let topology = topology?;
        let core = topology
            .node_ids()
            .into_iter()
            .find(|&n| topology.node(n).is_ok_and(|x| x.role == transport::topology::Role::Core));
        Some(Plan {
            name: scenario.name.clone(),
            seed: scenario.seed,
            path: path.to_path_buf(),
            base,
            window: Window {
                start: scenario.window.start.clone(),
                end: scenario.window.end.clone(),
                start_s: span.start_s,
                interval_s: scenario.window.interval_s,
                intervals: span.intervals,
            },
            files,
            scene: scene?,
            grid_cell_m: scenario.grid.cell_m,
            coverage,
            ran: vec![profiles.default; n_cells],
            inventory: inventory?,
            topology,
            homing: homing?,
            routing: scenario.network.routing.metric(),
            core,
            traffic_filled: traffic.as_ref().map_or(0, |t| t.1),
            traffic: traffic?.0,
            usage: usage?,
            rate_cards: rate_cards?,
            density: density?,
            settlement: scenario.settlement,
            calibration,
            variants: variants?,
        })
    }

    /// `history.fill_traffic_gaps`, usable with the window's intervals: a week must be a
    /// whole number of them (0 when it is not, after the diagnostic).
    fn fill_setting(&mut self, path: &Path, fill: usize, span: Span) -> usize {
        if fill > 0 && !(span.step > 0 && super::gaps::WEEK_S % span.step == 0) {
            let msg = format!(
                "{fill}: gaps are filled from a week before, which needs intervals that divide a week ({} s do not)",
                span.step
            );
            self.push(path, None, "history.fill_traffic_gaps", msg);
            return 0;
        }
        fill
    }

    /// The baseline's settlement mode and every variant's: runnable over the window's records.
    fn settlement_modes(&mut self, path: &Path, scenario: &Scenario, span: Span, usage: &[Usage]) {
        let window_s = span.step as f64 * span.intervals as f64;
        let records = usage.iter().map(|u| u.records).fold(0u64, u64::saturating_add);
        let check = |mode| crate::settlement::check_mode_for(mode, window_s, records);
        if let Err(e) = check(scenario.settlement) {
            self.push(path, None, "settlement.mode", e.to_string());
        }
        for (i, var) in scenario.variants.iter().enumerate() {
            let source = self.sources.get(i).cloned().unwrap_or_default();
            for (k, t) in var.timeline.iter().enumerate() {
                if let super::file::Operation::SettlementMode { mode } = &t.op
                    && let Err(e) = check(*mode)
                {
                    let (at, line) = source.ops.get(k).copied().unwrap_or((k, None));
                    let f = format!("variant[{}] \"{}\".at[{at}]", source.index, var.name);
                    self.push(path, line, &f, e.to_string());
                }
            }
        }
    }

    /// An inventory problem against the file and line it is in (sites.csv or cells.csv).
    fn inventory_error(&mut self, cells: &Path, e: radio::inventory::InventoryError) {
        use radio::inventory::InventoryError as E;
        match e {
            E::Row { path, line, reason } => self.push(&path, Some(line), "row", reason),
            E::File { path, reason } | E::Io { path, reason } => {
                self.push(&path, None, "file", reason)
            }
            // Reading does not write; should it ever, the error says which file.
            other @ E::Write(_) => self.push(cells, None, "file", other.to_string()),
        }
    }

    /// The window's start, interval length and number of intervals.
    fn window(&mut self, path: &Path, scenario: &Scenario) -> Span {
        let w = &scenario.window;
        let start = parse_instant(&w.start);
        let end = parse_instant(&w.end);
        if start.is_none() {
            self.push(
                path,
                None,
                "window.start",
                format!("\"{}\" is not an ISO 8601 instant", w.start),
            );
        }
        if end.is_none() {
            self.push(
                path,
                None,
                "window.end",
                format!("\"{}\" is not an ISO 8601 instant", w.end),
            );
        }
        let step = i64::from(w.interval_s);
        if step == 0 {
            self.push(path, None, "window.interval_s", "must be positive");
        }
        let (start_s, intervals) = match (start, end) {
            (Some(a), Some(b)) if b > a && step > 0 => {
                if (b - a) % step != 0 {
                    self.push(
                        path,
                        None,
                        "window.end",
                        format!("the window is not a whole number of {step} s intervals"),
                    );
                }
                (a, ((b - a) / step) as usize)
            }
            (Some(a), Some(_)) => {
                self.push(path, None, "window.end", "must be after window.start");
                (a, 0)
            }
            _ => (0, 0),
        };
        Span { start_s, step, intervals }
    }

    /// Where the scene comes from; a named file must exist.
    fn scene(&mut self, path: &Path, scenario: &Scenario, files: &Files) -> Option<SceneSource> {
        let Some(written) = scenario.network.scene.as_deref() else {
            return Some(SceneSource::None);
        };
        if written == "procedural" {
            return Some(SceneSource::Procedural(scenario.network.city.params(scenario.seed)));
        }
        let file = files.scene.as_ref()?;
        if !file.path.is_file() {
            self.push(
                path,
                None,
                "network.scene",
                format!(
                    "{} does not exist (use \"procedural\", a Mitsuba .xml or a GeoJSON file)",
                    file.path.display()
                ),
            );
            return None;
        }
        let ext = file.path.extension().and_then(|e| e.to_str()).unwrap_or("");
        Some(if ext.eq_ignore_ascii_case("xml") {
            SceneSource::Mitsuba(file.path.clone())
        } else {
            SceneSource::GeoJson(file.path.clone())
        })
    }

    /// The calibration model directory, resolved; it must be one, and this build must be able
    /// to apply it.
    fn calibration(&mut self, path: &Path, scenario: &Scenario, base: &Path) -> Option<InputFile> {
        let model = InputFile::new(base, scenario.calibration.as_ref()?);
        let dir = &model.path;
        #[cfg(not(feature = "calibrate"))]
        self.push(
            path,
            None,
            "calibration",
            "this build of twin cannot apply a calibration model; rebuild with `--features calibrate` (see docs/scenario.md)",
        );
        if !dir.join("features.json").is_file() {
            self.push(
                path,
                None,
                "calibration",
                format!("{} is not a model directory (from `twin calibrate`)", dir.display()),
            );
        }
        Some(model)
    }
}
