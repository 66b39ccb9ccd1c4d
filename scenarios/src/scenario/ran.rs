//! The radio access side of a scenario, checked and resolved: its RAN feature profiles and the
//! what-ifs that change antennas, carriers and features (`set-electrical-tilt`,
//! `set-bandwidth`, `set-mimo-layers`, `set-pattern`, `set-profile`, `add-carrier`).

use std::path::Path;

use radio::kpi::{CqiTable, LinkProfile, SpectralEfficiency, cqi_table1_thresholds_db};
use radio::limits;

use super::file::{LinkKind, Operation, ProfileSpec, RanSpec};
use super::names::{Names, Profiles, cell_index};
use super::plan::Change;
use super::validate::Validator;

/// The built-in profile every cell has unless the scenario says otherwise.
pub const DEFAULT_PROFILE: &str = "tr36942";

/// Most MIMO layers a profile or `set-mimo-layers` may give (TS 38.214's downlink maximum).
pub const MAX_LAYERS: u32 = 8;

/// The mapping a profile's `link` names.
fn mapping(kind: LinkKind) -> SpectralEfficiency {
    match kind {
        LinkKind::Shannon => SpectralEfficiency::TR36942_DOWNLINK,
        LinkKind::Cqi64Qam => SpectralEfficiency::Cqi {
            table: CqiTable::Table1,
            thresholds_db: cqi_table1_thresholds_db(),
        },
        LinkKind::Cqi256Qam => SpectralEfficiency::CQI_TABLE_2,
    }
}

impl Validator {
    /// The scenario's profiles, each field in range and each name once.
    pub(super) fn profiles(&mut self, path: &Path, spec: &RanSpec) -> Profiles {
        let mut named = vec![(DEFAULT_PROFILE.to_string(), LinkProfile::TR36942)];
        for (i, p) in spec.profiles.iter().enumerate() {
            let f = format!("ran.profiles[{i}] \"{}\"", p.name);
            if p.name.trim().is_empty() || named.iter().any(|(n, _)| *n == p.name) {
                self.push(path, None, &f, "profile names must be unique and non-empty");
                continue;
            }
            if let Some(profile) = self.profile(path, &f, p) {
                named.push((p.name.clone(), profile));
            }
        }
        let default = match &spec.default_profile {
            None => LinkProfile::TR36942,
            Some(name) => named.iter().find(|(n, _)| n == name).map_or_else(
                || {
                    let known: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
                    let msg = format!("unknown profile \"{name}\"; known: {}", known.join(", "));
                    self.push(path, None, "ran.default_profile", msg);
                    LinkProfile::TR36942
                },
                |(_, p)| *p,
            ),
        };
        Profiles { named, default }
    }

    /// One profile, or `None` with its problems pushed.
    fn profile(&mut self, path: &Path, f: &str, p: &ProfileSpec) -> Option<LinkProfile> {
        let mut ok = true;
        if !(1..=MAX_LAYERS).contains(&p.mimo_layers) {
            self.push(path, None, f, format!("mimo_layers {} must be 1 to 8", p.mimo_layers));
            ok = false;
        }
        if !(0.0..1.0).contains(&p.control_overhead) {
            let msg = format!("control_overhead {} must lie in [0, 1)", p.control_overhead);
            self.push(path, None, f, msg);
            ok = false;
        }
        if !(p.scheduler_efficiency > 0.0 && p.scheduler_efficiency <= 1.0) {
            let msg = format!("scheduler_efficiency {} must lie in (0, 1]", p.scheduler_efficiency);
            self.push(path, None, f, msg);
            ok = false;
        }
        ok.then(|| LinkProfile {
            mapping: mapping(p.link),
            mimo_layers: p.mimo_layers,
            control_overhead: p.control_overhead,
            scheduler_efficiency: p.scheduler_efficiency,
        })
    }

    /// A RAN operation, resolved; every problem pushed.
    pub(super) fn ran_operation(
        &mut self,
        path: &Path,
        f: &str,
        op: &Operation,
        n: Names<'_>,
    ) -> Option<Change> {
        match op {
            Operation::SetElectricalTilt { cells, deg } => {
                let cells = self.cells(path, f, n, cells);
                let deg = self.within(path, f, *deg, &limits::ELECTRICAL_TILT_DEG)?;
                Some(Change::SetElectricalTilt { cells: cells?, deg })
            }
            Operation::SetBandwidth { cells, hz } => {
                let cells = self.cells(path, f, n, cells);
                self.bandwidth(path, f, *hz)?;
                Some(Change::SetBandwidth { cells: cells?, hz: *hz })
            }
            Operation::SetMimoLayers { cells, layers } => {
                let cells = self.cells_or_all(path, f, n, cells);
                if !(1..=MAX_LAYERS).contains(layers) {
                    self.push(path, None, f, format!("{layers} MIMO layers: must be 1 to 8"));
                    return None;
                }
                Some(Change::SetMimoLayers { cells: cells?, layers: *layers })
            }
            Operation::SetPattern { cells, pattern } => {
                let cells = self.cells(path, f, n, cells);
                let folder = path.parent().unwrap_or(Path::new("."));
                match radio::Pattern::from_spec(pattern, folder) {
                    Ok(p) => Some(Change::SetPattern { cells: cells?, pattern: p }),
                    Err(e) => {
                        self.push(path, None, f, format!("pattern \"{pattern}\": {e}"));
                        None
                    }
                }
            }
            Operation::SetProfile { cells, profile } => {
                let cells = self.cells_or_all(path, f, n, cells);
                let Some(p) = n.profiles.get(profile) else {
                    let known: Vec<&str> = n.profiles.named.iter().map(|x| x.0.as_str()).collect();
                    let msg = format!("unknown profile \"{profile}\"; known: {}", known.join(", "));
                    self.push(path, None, f, msg);
                    return None;
                };
                Some(Change::SetProfile { cells: cells?, profile: p })
            }
            Operation::AddCarrier { site, cells, freq_hz, bandwidth_hz, power_dbm } => self
                .add_carrier(
                    path,
                    f,
                    n,
                    (site.as_deref(), cells),
                    *freq_hz,
                    *bandwidth_hz,
                    *power_dbm,
                ),
            _ => None,
        }
    }

    /// Inventory indices of `ids`, each unknown one pushed; `None` where the inventory did not
    /// load or a name is unknown.
    fn cells(&mut self, path: &Path, f: &str, n: Names<'_>, ids: &[String]) -> Option<Vec<usize>> {
        let inv = n.inv?;
        let found: Vec<Option<usize>> = ids.iter().map(|c| cell_index(inv, c)).collect();
        for (id, _) in ids.iter().zip(&found).filter(|(_, i)| i.is_none()) {
            self.push(path, None, f, format!("unknown cell \"{id}\""));
        }
        if ids.is_empty() {
            self.push(path, None, f, "names no cell");
            return None;
        }
        found.into_iter().collect()
    }

    /// As [`Self::cells`], but no names mean every inventory cell (a feature rolled out
    /// network-wide).
    fn cells_or_all(
        &mut self,
        path: &Path,
        f: &str,
        n: Names<'_>,
        ids: &[String],
    ) -> Option<Vec<usize>> {
        if ids.is_empty() {
            return n.inv.map(|inv| (0..inv.cells.len()).collect());
        }
        self.cells(path, f, n, ids)
    }

    /// Whether `hz` is a channel bandwidth (pushed if not).
    fn bandwidth(&mut self, path: &Path, f: &str, hz: f64) -> Option<()> {
        self.within(path, f, hz, &limits::BANDWIDTH_HZ).map(|_| ())
    }

    /// `add-carrier` on a site's cells or the cells named.
    #[allow(clippy::too_many_arguments)] // the operation's fields, each checked
    fn add_carrier(
        &mut self,
        path: &Path,
        f: &str,
        n: Names<'_>,
        (site, ids): (Option<&str>, &[String]),
        freq_hz: f64,
        bandwidth_hz: f64,
        power_dbm: Option<f64>,
    ) -> Option<Change> {
        let mut ok = self.bandwidth(path, f, bandwidth_hz).is_some();
        ok &= self.within(path, f, freq_hz, &limits::FREQ_HZ).is_some();
        if let Some(p) = power_dbm {
            ok &= self.within(path, f, p, &limits::TX_POWER_DBM).is_some();
        }
        let inv = n.inv?;
        let mut cells = match site {
            Some(s) if inv.sites.iter().any(|x| x.id == s) => {
                (0..inv.cells.len()).filter(|&c| inv.cells[c].site_id == s).collect()
            }
            Some(s) => {
                self.push(path, None, f, format!("unknown site \"{s}\""));
                return None;
            }
            None => Vec::new(),
        };
        if !ids.is_empty() {
            cells.extend(self.cells(path, f, n, ids)?);
        }
        if cells.is_empty() {
            self.push(path, None, f, "add-carrier needs a site or cells");
            return None;
        }
        let clash = cells.iter().find(|&&c| {
            let id = carrier_id(&inv.cells[c].id, freq_hz);
            inv.cells.iter().any(|x| x.id == id)
        });
        if let Some(&c) = clash {
            let id = carrier_id(&inv.cells[c].id, freq_hz);
            self.push(path, None, f, format!("cell {id} exists already"));
            return None;
        }
        ok.then_some(Change::AddCarrier { cells, freq_hz, bandwidth_hz, power_dbm })
    }
}

/// The identifier of the carrier at `freq_hz` added to cell `cell`: `CELL@MHZ`.
pub fn carrier_id(cell: &str, freq_hz: f64) -> String {
    format!("{cell}@{}", (freq_hz / 1e6).round())
}
