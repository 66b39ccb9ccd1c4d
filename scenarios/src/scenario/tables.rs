//! The CSV files a scenario names, read for validation: each row checked, every problem
//! reported with its file, line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::DateTime;
use transport::topology::NodeId;

use super::gaps::{WEEK_S, fill_short_gaps, gaps};
use super::plan::TrafficRow;
use super::validate::{Span, Validator, parse_instant};
use crate::settlement::{
    MAX_PRICE, MAX_RECORDS, MAX_RECORDS_PER_ROW, MAX_VOLUME, MAX_WINDOW_CHARGE_MICROS, RateCard,
    Service, Usage,
};

/// A CSV read for validation: column positions by name, and (line, record) pairs.
type Table = (BTreeMap<String, usize>, Vec<(usize, csv::StringRecord)>);

impl Validator {
    /// The demand density layer: weights at points given in the scene frame (`x_m`, `y_m`) or
    /// geographically (`lat`, `lon`, placed with the inventory's origin).
    pub(super) fn density(
        &mut self,
        path: &Path,
        origin: Option<(f64, f64)>,
    ) -> Option<Vec<(f64, f64, f64)>> {
        let (h, rows) = self.table(path, &["weight"])?;
        let geo = h.contains_key("lat") && h.contains_key("lon");
        let planar = h.contains_key("x_m") && h.contains_key("y_m");
        if !(geo || planar) {
            self.push(path, Some(1), "header", "expected columns x_m,y_m,weight or lat,lon,weight");
            return None;
        }
        let frame = if geo {
            match origin.map(|(lat, lon)| sim_core::geo::GeoPoint::new(lat, lon, 0.0)) {
                Some(Ok(o)) => Some(sim_core::geo::LocalFrame::new(o)),
                _ => {
                    self.push(
                        path,
                        Some(1),
                        "lat",
                        "lat/lon points need a geographic origin (network.origin, or sites given by lat/lon)",
                    );
                    return None;
                }
            }
        } else {
            None
        };
        let before = self.diags.len();
        let mut out = Vec::with_capacity(rows.len());
        for (line, rec) in &rows {
            let get = |c: &str| rec.get(h[c]).unwrap_or("");
            let w = self.number(path, *line, "weight", get("weight"), 0.0);
            let (a, b) = if geo {
                (
                    self.number(path, *line, "lat", get("lat"), -90.0),
                    self.number(path, *line, "lon", get("lon"), -180.0),
                )
            } else {
                (
                    self.number(path, *line, "x_m", get("x_m"), f64::MIN),
                    self.number(path, *line, "y_m", get("y_m"), f64::MIN),
                )
            };
            let (Some(w), Some(a), Some(b)) = (w, a, b) else { continue };
            match &frame {
                Some(f) => match sim_core::geo::GeoPoint::new(a, b, 0.0) {
                    Ok(p) => {
                        let e = f.to_enu(&p);
                        out.push((e.east_m, e.north_m, w));
                    }
                    Err(e) => self.push(path, Some(*line), "lat", e.to_string()),
                },
                None => out.push((a, b, w)),
            }
        }
        if self.diags.len() == before && !out.iter().any(|r| r.2 > 0.0) {
            self.push(path, None, "weight", "every weight is zero: no demand anywhere");
        }
        (self.diags.len() == before).then_some(out)
    }

    pub(super) fn topology(
        &mut self,
        path: &Path,
        links: Option<PathBuf>,
    ) -> Option<transport::topology::Topology> {
        let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv && links.is_none() {
            self.push(path, None, "network.links", "a nodes CSV topology needs a links CSV");
            return None;
        }
        let opts = transport::import::graphml::GraphmlOptions::default();
        match transport::import::load(path, links.as_deref(), &opts) {
            Ok(t) => Some(t),
            // A row's problem against its own file (nodes.csv or links.csv) and line.
            Err(transport::TopologyError::Row { path, line, reason }) => {
                self.push(&path, Some(line), "row", reason);
                None
            }
            Err(e) => {
                self.push(path, None, "network.topology", e.to_string());
                None
            }
        }
    }

    /// Reads a CSV: the header and (line, record) pairs; a missing file or column is reported.
    fn table(&mut self, path: &Path, required: &[&str]) -> Option<Table> {
        let mut r = match csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(path) {
            Ok(r) => r,
            Err(e) => {
                self.push(path, None, "file", format!("cannot read: {e}"));
                return None;
            }
        };
        let header: BTreeMap<String, usize> = match r.headers() {
            Ok(h) => h.iter().enumerate().map(|(i, n)| (n.to_string(), i)).collect(),
            Err(e) => {
                self.push(path, Some(1), "header", e.to_string());
                return None;
            }
        };
        let mut ok = true;
        for c in required {
            if !header.contains_key(*c) {
                let found: Vec<&str> = header.keys().map(String::as_str).collect();
                self.push(
                    path,
                    Some(1),
                    c,
                    format!("missing column (the file has: {})", found.join(", ")),
                );
                ok = false;
            }
        }
        let mut rows = Vec::new();
        for rec in r.records() {
            match rec {
                Ok(rec) => rows.push((rec.position().map_or(0, |p| p.line() as usize), rec)),
                Err(e) => {
                    let line = e.position().map(|p| p.line() as usize);
                    self.push(path, line, "row", e.to_string());
                }
            }
        }
        ok.then_some((header, rows))
    }

    fn number(&mut self, path: &Path, line: usize, col: &str, text: &str, min: f64) -> Option<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= min => Some(v),
            Ok(v) => {
                self.push(
                    path,
                    Some(line),
                    col,
                    format!("{v} is not allowed here (a finite number ≥ {min} is expected)"),
                );
                None
            }
            Err(_) => {
                self.push(path, Some(line), col, format!("\"{text}\" is not a number"));
                None
            }
        }
    }

    /// A number in `[min, max]`, pushed with its line and column if it is not.
    fn bounded(
        &mut self,
        path: &Path,
        line: usize,
        col: &str,
        text: &str,
        (min, max): (f64, f64),
    ) -> Option<f64> {
        let v = self.number(path, line, col, text, min)?;
        if v > max {
            let msg = format!("{v} exceeds the largest accepted value, {max:e}");
            self.push(path, Some(line), col, msg);
            return None;
        }
        Some(v)
    }

    /// The optional `unit` column: the unit rate cards price the service in (data MB, voice
    /// min, sms sms), or empty; any other (GB, kB, s) would be priced as if it were that unit.
    fn unit(&mut self, path: &Path, line: usize, service: Service, text: &str) {
        let unit = text.trim();
        let expected = service.unit();
        if !unit.is_empty() && !unit.eq_ignore_ascii_case(expected) {
            let msg = format!(
                "\"{unit}\": {} volumes are in {expected} (the unit rate cards price); convert the column",
                service.name()
            );
            self.push(path, Some(line), "unit", msg);
        }
    }

    /// A whole number of records in `[0, MAX_RECORDS_PER_ROW]`.
    fn records(&mut self, path: &Path, line: usize, text: &str) -> Option<u64> {
        let v = self.bounded(path, line, "records", text, (0.0, MAX_RECORDS_PER_ROW))?;
        if v.fract() != 0.0 {
            let msg = format!("{v} is not a whole number of records");
            self.push(path, Some(line), "records", msg);
            return None;
        }
        Some(v as u64)
    }

    /// The interval a timestamp column starts, checked against the window.
    fn instant(
        &mut self,
        path: &Path,
        line: usize,
        col: &str,
        text: &str,
        span: Span,
    ) -> Option<usize> {
        let Span { start_s, step, intervals } = span;
        let Some(t) = parse_instant(text) else {
            self.push(path, Some(line), col, format!("\"{text}\" is not an ISO 8601 instant"));
            return None;
        };
        if step <= 0 || intervals == 0 {
            return None;
        }
        if t < start_s || t >= start_s + step * intervals as i64 {
            self.push(path, Some(line), col, format!("{text} is outside the replay window"));
            return None;
        }
        if (t - start_s) % step != 0 {
            self.push(
                path,
                Some(line),
                col,
                format!("{text} does not start an interval of {step} s (intervals overlap)"),
            );
            return None;
        }
        Some(((t - start_s) / step) as usize)
    }

    pub(super) fn homing(
        &mut self,
        path: &Path,
        inv: &radio::inventory::Inventory,
        topo: &transport::topology::Topology,
    ) -> Option<Vec<NodeId>> {
        let (h, rows) = self.table(path, &["site_id", "node"])?;
        let mut homing: Vec<Option<NodeId>> = vec![None; inv.sites.len()];
        for (line, rec) in rows {
            let site = rec.get(h["site_id"]).unwrap_or("");
            let node = rec.get(h["node"]).unwrap_or("");
            let Some(s) = inv.sites.iter().position(|x| x.id == site) else {
                self.push(path, Some(line), "site_id", format!("unknown site \"{site}\""));
                continue;
            };
            let Some(node_id) = topo.node_id(node) else {
                self.push(
                    path,
                    Some(line),
                    "node",
                    format!("site \"{site}\" is homed to \"{node}\", which the topology lacks"),
                );
                continue;
            };
            if homing[s].is_some() {
                self.push(path, Some(line), "site_id", format!("site \"{site}\" is homed twice"));
            }
            homing[s] = Some(node_id);
        }
        let mut out = Vec::with_capacity(homing.len());
        for (s, h) in homing.into_iter().enumerate() {
            match h {
                Some(n) => out.push(n),
                None => self.push(
                    path,
                    None,
                    "site_id",
                    format!("site \"{}\" is not homed to any transport node", inv.sites[s].id),
                ),
            }
        }
        (out.len() == inv.sites.len()).then_some(out)
    }

    /// The traffic history, each row checked; gaps of at most `fill` intervals filled from a
    /// week before. Returns the rows and how many were filled.
    pub(super) fn traffic(
        &mut self,
        path: &Path,
        inv: &radio::inventory::Inventory,
        span: Span,
        fill: usize,
    ) -> Option<(Vec<TrafficRow>, usize)> {
        let intervals = span.intervals;
        let (h, rows) = self
            .table(path, &["interval_start", "cell_id", "dl_bytes", "ul_bytes", "active_users"])?;
        let before = self.diags.len();
        if rows.is_empty() {
            self.push(
                path,
                None,
                "traffic",
                "the file has a header but no rows: nothing to replay",
            );
            return None;
        }
        let cells: BTreeMap<&str, usize> =
            inv.cells.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        let mut out = Vec::with_capacity(rows.len());
        let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (line, rec) in &rows {
            let line = *line;
            let get = |c: &str| rec.get(h[c]).unwrap_or("");
            let cell = match cells.get(get("cell_id")) {
                Some(&c) => Some(c),
                None => {
                    self.push(
                        path,
                        Some(line),
                        "cell_id",
                        format!("unknown cell \"{}\"", get("cell_id")),
                    );
                    None
                }
            };
            let k = self.instant(path, line, "interval_start", get("interval_start"), span);
            let dl = self.number(path, line, "dl_bytes", get("dl_bytes"), 0.0);
            let ul = self.number(path, line, "ul_bytes", get("ul_bytes"), 0.0);
            let users = self.number(path, line, "active_users", get("active_users"), 0.0);
            if let (Some(cell), Some(k), Some(dl_bytes), Some(ul_bytes), Some(active_users)) =
                (cell, k, dl, ul, users)
            {
                if let Some(first) = seen.insert((cell, k), line) {
                    self.push(
                        path,
                        Some(line),
                        "interval_start",
                        format!(
                            "cell \"{}\" has this interval already (line {first})",
                            inv.cells[cell].id
                        ),
                    );
                    continue;
                }
                out.push(TrafficRow { interval: k, cell, dl_bytes, ul_bytes, active_users });
            }
        }
        let mut filled = 0;
        if self.diags.len() == before && intervals > 0 {
            filled = self.fill_and_report_gaps(path, inv, span, fill, &mut out);
        }
        out.sort_by_key(|r| (r.interval, r.cell));
        (self.diags.len() == before).then_some((out, filled))
    }

    /// Fills the gaps of at most `fill` intervals from a week before (the number of rows
    /// filled is returned), then reports every gap left: an interval of the window with no row
    /// for a cell that has rows.
    fn fill_and_report_gaps(
        &mut self,
        path: &Path,
        inv: &radio::inventory::Inventory,
        span: Span,
        fill: usize,
        out: &mut Vec<TrafficRow>,
    ) -> usize {
        let Span { start_s, step, intervals } = span;
        let week = if step > 0 && WEEK_S % step == 0 { (WEEK_S / step) as usize } else { 0 };
        let filled = fill_short_gaps(out, intervals, fill, week);
        for g in gaps(out, intervals) {
            let (first, first_len) = g.runs[0];
            let when = DateTime::from_timestamp(start_s + step * first as i64, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            let n = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
            let repair = if fill > 0 {
                format!(
                    "gaps longer than history.fill_traffic_gaps = {fill}, or without rows a week before, are not filled"
                )
            } else {
                "add the missing rows, or fill short gaps with the same intervals a week before (history.fill_traffic_gaps, docs/scenario.md)".to_string()
            };
            let msg = format!(
                "cell \"{}\" has {} ({} without a row in all); the first at {when}, {} long; the longest {}: {repair}",
                inv.cells[g.cell].id,
                n(g.runs.len(), "gap"),
                n(g.missing(), "interval"),
                n(first_len, "interval"),
                n(g.longest(), "interval"),
            );
            self.push(path, None, "interval_start", msg);
        }
        filled
    }

    pub(super) fn rate_cards(&mut self, path: &Path) -> Option<Vec<RateCard>> {
        let (h, rows) = self.table(
            path,
            &["home_carrier", "visited_carrier", "service", "price_per_unit", "currency"],
        )?;
        let before = self.diags.len();
        if rows.is_empty() {
            self.push(path, None, "rate cards", "the file has a header but no rate card");
            return None;
        }
        let mut out = Vec::new();
        // The line each (home, visited, service) was first priced on: a second card for the
        // same pair and service would silently win.
        let mut first: BTreeMap<(String, String, Service), usize> = BTreeMap::new();
        for (line, rec) in &rows {
            let get = |c: &str| rec.get(h[c]).unwrap_or("").to_string();
            let service = Service::parse(&get("service"));
            if let Some(service) = service {
                let key = (get("home_carrier"), get("visited_carrier"), service);
                if let Some(earlier) = first.get(&key) {
                    let (home, visited, name) = (&key.0, &key.1, service.name());
                    let msg = format!(
                        "a second rate card for {home} → {visited} {name} (the first is on line {earlier})"
                    );
                    self.push(path, Some(*line), "rate card", msg);
                } else {
                    first.insert(key, *line);
                }
            }
            if service.is_none() {
                self.push(
                    path,
                    Some(*line),
                    "service",
                    format!("\"{}\" is not data, voice or sms", get("service")),
                );
            }
            let price = self.bounded(
                path,
                *line,
                "price_per_unit",
                &get("price_per_unit"),
                (0.0, MAX_PRICE),
            );
            if let (Some(service), Some(price_per_unit)) = (service, price) {
                out.push(RateCard {
                    home: get("home_carrier"),
                    visited: get("visited_carrier"),
                    service,
                    price_per_unit,
                    currency: get("currency"),
                });
            }
        }
        (self.diags.len() == before).then_some(out)
    }

    pub(super) fn usage(
        &mut self,
        path: &Path,
        cards: &[RateCard],
        span: Span,
    ) -> Option<Vec<Usage>> {
        let Span { start_s, step, .. } = span;
        let (h, rows) = self.table(
            path,
            &["interval_start", "home_carrier", "visited_carrier", "service", "records", "volume"],
        )?;
        let before = self.diags.len();
        let priced: BTreeSet<(&str, &str, Service)> =
            cards.iter().map(|c| (c.home.as_str(), c.visited.as_str(), c.service)).collect();
        let mut out = Vec::new();
        for (line, rec) in &rows {
            let line = *line;
            let get = |c: &str| rec.get(h[c]).unwrap_or("").to_string();
            let k = self.instant(path, line, "interval_start", &get("interval_start"), span);
            let service = Service::parse(&get("service"));
            if service.is_none() {
                self.push(
                    path,
                    Some(line),
                    "service",
                    format!("\"{}\" is not data, voice or sms", get("service")),
                );
            }
            if let (Some(service), true) = (service, h.contains_key("unit")) {
                self.unit(path, line, service, &get("unit"));
            }
            let records = self.records(path, line, &get("records"));
            let volume = self.bounded(path, line, "volume", &get("volume"), (0.0, MAX_VOLUME));
            let (home, visited) = (get("home_carrier"), get("visited_carrier"));
            if home == visited || home.is_empty() {
                self.push(
                    path,
                    Some(line),
                    "visited_carrier",
                    format!("\"{home}\" → \"{visited}\" is not a pair of two carriers"),
                );
                continue;
            }
            if let (Some(k), Some(service), Some(records), Some(volume)) =
                (k, service, records, volume)
            {
                if !priced.contains(&(home.as_str(), visited.as_str(), service))
                    && !cards.is_empty()
                {
                    self.push(
                        path,
                        Some(line),
                        "service",
                        format!("no rate card prices {home} → {visited} {}", service.name()),
                    );
                    continue;
                }
                out.push(Usage {
                    start_s: start_s + step * k as i64,
                    home,
                    visited,
                    service,
                    records,
                    volume,
                });
            }
        }
        if self.diags.len() == before {
            self.usage_totals(path, &out, cards);
        }
        (self.diags.len() == before).then_some(out)
    }

    /// The window's records and charge must fit the settlement's integer arithmetic.
    fn usage_totals(&mut self, path: &Path, usage: &[Usage], cards: &[RateCard]) {
        let records: f64 = usage.iter().map(|u| u.records as f64).sum();
        if records > MAX_RECORDS {
            let msg = format!("{records:e} records in all exceed {MAX_RECORDS:e}");
            self.push(path, None, "records", msg);
        }
        let price: BTreeMap<(&str, &str, Service), f64> = cards
            .iter()
            .map(|c| ((c.home.as_str(), c.visited.as_str(), c.service), c.price_per_unit))
            .collect();
        let charge: f64 = usage
            .iter()
            .filter_map(|u| {
                price
                    .get(&(u.home.as_str(), u.visited.as_str(), u.service))
                    .map(|p| u.volume * p * 1e6)
            })
            .sum();
        if charge > MAX_WINDOW_CHARGE_MICROS {
            let msg = format!(
                "the window's charges come to {:e} currency units, more than the {:e} the integer micro-unit arithmetic holds",
                charge / 1e6,
                MAX_WINDOW_CHARGE_MICROS / 1e6
            );
            self.push(path, None, "volume", msg);
        }
    }
}
