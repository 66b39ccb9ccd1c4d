//! The variants' operations, checked and resolved: times to interval indices, cells and sites
//! to inventory indices, nodes to [`NodeId`]s, and network operations to
//! [`transport::whatif::Operation`]s by the transport crate's naming rules.

use std::collections::BTreeSet;
use std::path::Path;

use radio::inventory::Inventory;
use radio::limits::{self, Limit};
use transport::topology::{NodeId, Topology};
use transport::whatif::{self, Operation as NetOp};

use super::file::{Operation, Scenario};
use super::names::{Names, Profiles, cell_index};
use super::place::Extent;
use super::plan::{Change, Scheduled, VariantPlan};
use super::validate::{Span, Validator, parse_instant};

impl Validator {
    /// Every variant's timeline, resolved; `None` if any name, time or value is wrong (or the
    /// parts it refers to did not load).
    pub(super) fn variants(
        &mut self,
        path: &Path,
        scenario: &Scenario,
        span: Span,
        (inv, topo, grid): (Option<&Inventory>, Option<&Topology>, Option<Extent>),
        profiles: &Profiles,
    ) -> Option<Vec<VariantPlan>> {
        let names = Names { inv, topo, profiles, grid };
        let mut seen = BTreeSet::new();
        let mut out = Some(Vec::with_capacity(scenario.variants.len()));
        for (i, var) in scenario.variants.iter().enumerate() {
            let source = self.sources.get(i).cloned().unwrap_or_default();
            let field = format!("variant[{}] \"{}\"", source.index, var.name);
            let since = self.diags.len();
            if var.name.trim().is_empty()
                || var.name == "baseline"
                || !seen.insert(var.name.clone())
            {
                self.push(
                    path,
                    None,
                    &field,
                    "variant names must be unique, non-empty and not \"baseline\"",
                );
            }
            let mut timeline = Some(Vec::with_capacity(var.timeline.len()));
            let mut last = i64::MIN;
            self.locate(since, path, source.line);
            for (k, t) in var.timeline.iter().enumerate() {
                let (at, line) = source.ops.get(k).copied().unwrap_or((k, None));
                let f = format!("{field}.at[{at}]");
                let since = self.diags.len();
                let interval = self.time(path, &f, t.time.as_deref(), span, scenario, &mut last);
                let change = self.operation(path, &f, &t.op, names);
                self.locate(since, path, line);
                match (interval, change, timeline.as_mut()) {
                    (Some(interval), Some(change), Some(tl)) => {
                        tl.push(Scheduled { interval, change })
                    }
                    _ => timeline = None,
                }
            }
            match (timeline, out.as_mut()) {
                (Some(timeline), Some(o)) => {
                    o.push(VariantPlan { name: var.name.clone(), timeline })
                }
                _ => out = None,
            }
        }
        out
    }

    /// The interval an operation at `time` applies from: the one it starts (the window's start
    /// when absent); a time inside an interval is an error, not rounded to the next. `last` is
    /// the previous operation's time, for the order check.
    fn time(
        &mut self,
        path: &Path,
        f: &str,
        time: Option<&str>,
        span: Span,
        scenario: &Scenario,
        last: &mut i64,
    ) -> Option<usize> {
        let Span { start_s, step, intervals } = span;
        let at = match time {
            None => Some(start_s),
            Some(s) => parse_instant(s),
        };
        let Some(at) = at else {
            self.push(
                path,
                None,
                f,
                format!("time \"{}\" is not an ISO 8601 instant", time.unwrap_or("")),
            );
            return None;
        };
        let mut ok = true;
        if intervals > 0 && (at < start_s || at >= start_s + step * intervals as i64) {
            self.push(
                path,
                None,
                f,
                format!(
                    "time {} is outside the replay window [{}, {})",
                    time.unwrap_or(""),
                    scenario.window.start,
                    scenario.window.end
                ),
            );
            ok = false;
        }
        if step > 0 && (at - start_s).rem_euclid(step) != 0 {
            self.push(
                path,
                None,
                f,
                format!(
                    "time {} does not start an interval ({} s each from {}): a change applies from an interval's start, so give one",
                    time.unwrap_or(""),
                    step,
                    scenario.window.start
                ),
            );
            ok = false;
        }
        if at < *last {
            self.push(path, None, f, "operations must be in time order");
            ok = false;
        }
        *last = at;
        if !ok || step <= 0 {
            return None;
        }
        let k = ((at - start_s) / step).max(0) as usize;
        Some(k.min(intervals))
    }

    /// One operation, resolved; every problem pushed.
    fn operation(&mut self, path: &Path, f: &str, op: &Operation, n: Names<'_>) -> Option<Change> {
        let mut unknown =
            |what: &str, id: &str| self.push(path, None, f, format!("unknown {what} \"{id}\""));
        let cells = |ids: &[String], unknown: &mut dyn FnMut(&str, &str)| -> Option<Vec<usize>> {
            let inv = n.inv?;
            let found: Vec<Option<usize>> = ids.iter().map(|c| cell_index(inv, c)).collect();
            for (id, _) in ids.iter().zip(&found).filter(|(_, i)| i.is_none()) {
                unknown("cell", id);
            }
            found.into_iter().collect()
        };
        match op {
            Operation::SetTilt { cells: ids, deg } | Operation::SetAzimuth { cells: ids, deg } => {
                let c = cells(ids, &mut unknown);
                let tilt = matches!(op, Operation::SetTilt { .. });
                let limit = if tilt { &limits::TILT_DEG } else { &limits::AZIMUTH_DEG };
                let deg = self.within(path, f, *deg, limit)?;
                let cells = c?;
                Some(if tilt {
                    Change::SetTilt { cells, deg }
                } else {
                    Change::SetAzimuth { cells, deg }
                })
            }
            Operation::SetPower { cells: ids, dbm } => {
                let c = cells(ids, &mut unknown);
                let dbm = self.within(path, f, *dbm, &limits::TX_POWER_DBM)?;
                Some(Change::SetPower { cells: c?, dbm })
            }
            Operation::ScaleTraffic { cells: ids, factor, growth_per_year, roaming } => {
                if *roaming && !ids.is_empty() {
                    self.push(
                        path,
                        None,
                        f,
                        "`roaming = true` scales the whole network's roaming usage, which is not \
                         counted per cell: leave out `cells`, or use a second operation"
                            .to_string(),
                    );
                    return None;
                }
                let c = cells(ids, &mut unknown);
                if !(*factor >= 0.0
                    && factor.is_finite()
                    && *growth_per_year > -1.0
                    && growth_per_year.is_finite())
                {
                    self.push(
                        path,
                        None,
                        f,
                        format!("factor {factor} must be ≥ 0 and growth {growth_per_year} > −1"),
                    );
                    return None;
                }
                Some(Change::ScaleTraffic {
                    cells: c?,
                    factor: *factor,
                    growth_per_year: *growth_per_year,
                    roaming: *roaming,
                })
            }
            _ => self.structural(path, f, op, n),
        }
    }

    /// The operations that add, remove or re-home elements, and the settlement ones.
    fn structural(&mut self, path: &Path, f: &str, op: &Operation, n: Names<'_>) -> Option<Change> {
        match op {
            Operation::AddSite { site, x_m, y_m, lat, lon, like, height_m, node } => {
                let at =
                    self.added_site_position(path, f, n.inv, n.grid, (*x_m, *y_m), (*lat, *lon));
                self.add_site(path, f, n, site, (at, *height_m), like, node)
            }
            Operation::RemoveCell { cell } => {
                let c = n.inv.and_then(|inv| cell_index(inv, cell));
                if n.inv.is_some() && c.is_none() {
                    self.push(path, None, f, format!("unknown cell \"{cell}\""));
                }
                Some(Change::RemoveCell { cell: c? })
            }
            Operation::Rehome { site, node } => {
                let s = n.inv.and_then(|inv| inv.sites.iter().position(|x| &x.id == site));
                if n.inv.is_some() && s.is_none() {
                    self.push(path, None, f, format!("unknown site \"{site}\""));
                }
                let node = self.node(path, f, n, node, "unknown transport node");
                Some(Change::Rehome { site: s?, node: node? })
            }
            Operation::Fail { element } | Operation::Restore { element } => {
                let el = self.network(path, f, n, |t| whatif::resolve_element(t, element))?;
                Some(Change::Network(if matches!(op, Operation::Fail { .. }) {
                    NetOp::fail(el)
                } else {
                    NetOp::restore(el)
                }))
            }
            Operation::SetCapacity { link, bps } => {
                let links = self.network(path, f, n, |t| whatif::resolve_links(t, link));
                if !(*bps > 0.0 && bps.is_finite()) {
                    self.push(path, None, f, format!("capacity {bps} bit/s must be positive"));
                    return None;
                }
                Some(Change::Network(NetOp::SetCapacity { links: links?, capacity_bps: *bps }))
            }
            Operation::AddPartner { carrier } => {
                Some(Change::AddPartner { carrier: carrier.clone() })
            }
            Operation::RemovePartner { carrier } => {
                Some(Change::RemovePartner { carrier: carrier.clone() })
            }
            Operation::SetRate { home, visited, service, price_per_unit } => {
                let max = crate::settlement::MAX_PRICE;
                if !(*price_per_unit >= 0.0 && *price_per_unit <= max) {
                    let msg = format!("price {price_per_unit} must lie in 0 to {max:e} per unit");
                    self.push(path, None, f, msg);
                    return None;
                }
                Some(Change::SetRate {
                    home: home.clone(),
                    visited: visited.clone(),
                    service: *service,
                    price_per_unit: *price_per_unit,
                })
            }
            Operation::SettlementMode { mode } => Some(Change::SettlementMode(*mode)),
            Operation::SetElectricalTilt { .. }
            | Operation::SetBandwidth { .. }
            | Operation::SetMimoLayers { .. }
            | Operation::SetPattern { .. }
            | Operation::SetProfile { .. }
            | Operation::AddCarrier { .. } => self.ran_operation(path, f, op, n),
            Operation::SetTilt { .. }
            | Operation::SetAzimuth { .. }
            | Operation::SetPower { .. }
            | Operation::ScaleTraffic { .. } => self.operation(path, f, op, n),
        }
    }

    /// `add-site`, its position `at` already checked (`None` if it was wrong).
    #[allow(clippy::too_many_arguments)] // the operation's fields, each checked
    fn add_site(
        &mut self,
        path: &Path,
        f: &str,
        n: Names<'_>,
        site: &str,
        (at, height_m): (Option<(f64, f64)>, Option<f64>),
        like: &str,
        node: &str,
    ) -> Option<Change> {
        if n.inv.is_some_and(|inv| inv.sites.iter().any(|x| x.id == site)) {
            self.push(path, None, f, format!("site \"{site}\" already exists"));
            return None;
        }
        let like_index = n.inv.and_then(|inv| cell_index(inv, like));
        if n.inv.is_some() && like_index.is_none() {
            self.push(path, None, f, format!("unknown cell \"{like}\" to copy"));
        }
        let node = self.node(path, f, n, node, "unknown transport node");
        let height_m = match height_m {
            Some(h) => Some(self.within(path, f, h, &limits::HEIGHT_M)?),
            None => None,
        };
        let (x_m, y_m) = at?;
        Some(Change::AddSite {
            site: site.to_string(),
            x_m,
            y_m,
            like: like_index?,
            height_m,
            node: node?,
        })
    }

    /// `value` if inside its physical range; pushed if not.
    pub(super) fn within(
        &mut self,
        path: &Path,
        f: &str,
        value: f64,
        limit: &Limit,
    ) -> Option<f64> {
        match limit.check(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(path, None, f, e.to_string());
                None
            }
        }
    }

    /// A transport node by name.
    fn node(
        &mut self,
        path: &Path,
        f: &str,
        n: Names<'_>,
        name: &str,
        what: &str,
    ) -> Option<NodeId> {
        let id = n.topo.and_then(|t| t.node_id(name));
        if n.topo.is_some() && id.is_none() {
            self.push(path, None, f, format!("{what} \"{name}\""));
        }
        id
    }

    /// A name resolved in the topology by `resolve` (the transport crate's rules).
    fn network<T>(
        &mut self,
        path: &Path,
        f: &str,
        n: Names<'_>,
        resolve: impl FnOnce(&Topology) -> Result<T, transport::TopologyError>,
    ) -> Option<T> {
        match resolve(n.topo?) {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(path, None, f, e.to_string());
                None
            }
        }
    }
}
