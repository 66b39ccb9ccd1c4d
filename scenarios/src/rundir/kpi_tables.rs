//! The run directory's KPI tables (`kpis/`), one batch of rows per variant and table, written
//! as CSV and Parquet by [`crate::tables::TableWriter`].

use std::path::Path;

use super::elements::{self, ElementLoad, Elements};
use crate::error::ScenarioError;
use crate::replay::VariantResult;
use crate::scenario::Plan;
use crate::tables::{Batch, Column, TableWriter};

const T: &str = "text";
const R: &str = "real";
const I: &str = "integer";

const NETWORK: [(&str, &str); 11] = [
    ("variant", T),
    ("interval_start", T),
    ("coverage", R),
    ("mean_prb_util", R),
    ("max_prb_util", R),
    ("unserved_share", R),
    ("max_link_util", R),
    ("mean_delay_ms", R),
    ("settlement_backlog", I),
    ("mean_sinr_db", R),
    ("offered_bytes", R),
];
const CELLS: [(&str, &str); 7] = [
    ("variant", T),
    ("period_start", T),
    ("cell_id", T),
    ("dl_bytes", R),
    ("prb_util_mean", R),
    ("prb_util_max", R),
    ("unserved_bytes", R),
];
const LINKS: [(&str, &str); 5] = [
    ("variant", T),
    ("period_start", T),
    ("link", T),
    ("utilisation_mean", R),
    ("utilisation_max", R),
];
const POSITIONS: [(&str, &str); 4] =
    [("variant", T), ("period", T), ("carrier", T), ("net_position_micros", I)];
const BUSY: [(&str, &str); 7] = [
    ("variant", T),
    ("interval_start", T),
    ("flow_max_link_util", R),
    ("packet_delay_p50_ms", R),
    ("packet_delay_p99_ms", R),
    ("packet_loss", R),
    ("packets", I),
];

fn text(n: usize, s: &str) -> Column {
    Column::Str(vec![s.to_string(); n])
}

fn count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `network`: one row per interval.
fn network(r: &VariantResult, stamps: &[String]) -> Batch {
    let s = &r.series;
    let n = s.coverage.len().min(stamps.len());
    let f = |v: &[f64], d: usize| Column::F64(v[..n].to_vec(), d);
    let backlog = (0..n).map(|k| count(s.settlement_backlog.get(k).copied().unwrap_or(0)));
    Batch {
        columns: vec![
            ("variant", text(n, &r.name)),
            ("interval_start", Column::Str(stamps[..n].to_vec())),
            ("coverage", f(&s.coverage, 4)),
            ("mean_prb_util", f(&s.mean_prb_util, 4)),
            ("max_prb_util", f(&s.max_prb_util, 4)),
            ("unserved_share", f(&s.unserved_share, 5)),
            ("max_link_util", f(&s.max_link_util, 4)),
            ("mean_delay_ms", f(&s.mean_delay_ms, 4)),
            ("settlement_backlog", Column::I64(backlog.collect())),
            ("mean_sinr_db", f(&s.mean_sinr_db, 3)),
            ("offered_bytes", f(&s.offered_bytes, 0)),
        ],
    }
}

/// The periods of `per` intervals: (first interval, intervals).
fn periods(intervals: usize, per: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    (0..intervals).step_by(per.max(1)).map(move |p0| p0..(p0 + per.max(1)).min(intervals))
}

/// `cells`: per period and cell, offered bytes, mean and maximum PRB utilisation, unserved.
fn cells(r: &VariantResult, stamps: &[String], per: usize) -> Batch {
    let nc = r.cells.len();
    let (mut c_period, mut c_id, mut c_dl, mut c_um, mut c_ux, mut c_un) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ks in periods(stamps.len(), per) {
        let n = ks.len() as f64;
        for (c, id) in r.cells.iter().enumerate() {
            let (mut dl, mut um, mut ux, mut un) = (0.0, 0.0, 0.0f64, 0.0);
            for k in ks.clone() {
                let v = &r.cell_kpis[k * nc + c];
                dl += v.dl_bytes;
                um += v.prb_util;
                ux = ux.max(v.prb_util);
                un += v.unserved_bytes;
            }
            c_period.push(stamps[ks.start].clone());
            c_id.push(id.clone());
            c_dl.push(dl);
            c_um.push(um / n);
            c_ux.push(ux);
            c_un.push(un);
        }
    }
    Batch {
        columns: vec![
            ("variant", text(c_id.len(), &r.name)),
            ("period_start", Column::Str(c_period)),
            ("cell_id", Column::Str(c_id)),
            ("dl_bytes", Column::F64(c_dl, 0)),
            ("prb_util_mean", Column::F64(c_um, 4)),
            ("prb_util_max", Column::F64(c_ux, 4)),
            ("unserved_bytes", Column::F64(c_un, 0)),
        ],
    }
}

/// `links`: per period and link that ever carries traffic, mean and maximum utilisation.
fn links(r: &VariantResult, stamps: &[String], per: usize) -> Batch {
    let nl = r.links.len();
    let intervals = stamps.len();
    let used: Vec<usize> =
        (0..nl).filter(|&l| (0..intervals).any(|k| r.link_util[k * nl + l] > 0.0)).collect();
    let (mut l_period, mut l_name, mut l_m, mut l_x) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ks in periods(intervals, per) {
        let n = ks.len() as f64;
        for &l in &used {
            let (mut m, mut x) = (0.0f64, 0.0f64);
            for k in ks.clone() {
                let u = f64::from(r.link_util[k * nl + l]);
                m += u;
                x = x.max(u);
            }
            l_period.push(stamps[ks.start].clone());
            l_name.push(r.links[l].clone());
            l_m.push(m / n);
            l_x.push(x);
        }
    }
    Batch {
        columns: vec![
            ("variant", text(l_name.len(), &r.name)),
            ("period_start", Column::Str(l_period)),
            ("link", Column::Str(l_name)),
            ("utilisation_mean", Column::F64(l_m, 5)),
            ("utilisation_max", Column::F64(l_x, 5)),
        ],
    }
}

/// `busy_intervals`: the packet-level runs.
fn busy(r: &VariantResult, stamps: &[String]) -> Batch {
    let f = |g: fn(&crate::replay::BusyInterval) -> f64| r.busy.iter().map(g).collect::<Vec<_>>();
    let starts =
        r.busy.iter().map(|b| stamps.get(b.interval).cloned().unwrap_or_default()).collect();
    Batch {
        columns: vec![
            ("variant", text(r.busy.len(), &r.name)),
            ("interval_start", Column::Str(starts)),
            ("flow_max_link_util", Column::F64(f(|b| b.flow_max_link_util), 4)),
            ("packet_delay_p50_ms", Column::F64(f(|b| b.delay_p50_ms), 4)),
            ("packet_delay_p99_ms", Column::F64(f(|b| b.delay_p99_ms), 4)),
            ("packet_loss", Column::F64(f(|b| b.loss), 6)),
            ("packets", Column::I64(r.busy.iter().map(|b| count(b.packets)).collect())),
        ],
    }
}

/// `positions`: per month and carrier, the multilateral net position.
fn positions(r: &VariantResult) -> Batch {
    let p = &r.positions;
    Batch {
        columns: vec![
            ("variant", text(p.len(), &r.name)),
            ("period", Column::Str(p.iter().map(|x| x.period.clone()).collect())),
            ("carrier", Column::Str(p.iter().map(|x| x.carrier.clone()).collect())),
            ("net_position_micros", Column::I64(p.iter().map(|x| x.net_micros).collect())),
        ],
    }
}

/// Writes `network`, `cells`, `links`, `positions` and `busy_intervals` into `dir`; `cells` and
/// `links` hold one row per `per` intervals.
pub(super) fn write(
    dir: &Path,
    plan: &Plan,
    results: &[VariantResult],
    per: usize,
) -> Result<(), ScenarioError> {
    let stamps = plan.interval_stamps();
    let mut net = TableWriter::create(dir, "network", &NETWORK)?;
    let mut cell = TableWriter::create(dir, "cells", &CELLS)?;
    let mut link = TableWriter::create(dir, "links", &LINKS)?;
    let mut pos = TableWriter::create(dir, "positions", &POSITIONS)?;
    let mut bus = TableWriter::create(dir, "busy_intervals", &BUSY)?;
    for r in results {
        net.write(&network(r, &stamps))?;
        cell.write(&cells(r, &stamps, per))?;
        link.write(&links(r, &stamps, per))?;
        bus.write(&busy(r, &stamps))?;
        pos.write(&positions(r))?;
    }
    for t in [net, cell, link, pos, bus] {
        t.finish()?;
    }
    Ok(())
}

const OVERLOAD: [(&str, &str); 10] = [
    ("variant", T),
    ("kind", T),
    ("element", T),
    ("hours_above_70", R),
    ("hours_above_80", R),
    ("hours_above_100", R),
    ("peak_util", R),
    ("peak_interval_start", T),
    ("p95_util", R),
    ("mean_util", R),
];
const BUSY_HOURS: [(&str, &str); 8] = [
    ("variant", T),
    ("period", T),
    ("period_start", T),
    ("busy_interval_start", T),
    ("offered_bytes", R),
    ("prb_util_mean", R),
    ("prb_util_max", R),
    ("busiest_cell", T),
];
const CELL_BUSY_HOURS: [(&str, &str); 5] = [
    ("variant", T),
    ("cell_id", T),
    ("busy_hour_utc", I),
    ("dl_bytes_mean", R),
    ("prb_util_mean", R),
];
const CHANGES: [(&str, &str); 10] = [
    ("variant", T),
    ("kind", T),
    ("element", T),
    ("role", T),
    ("window_start", T),
    ("intervals", I),
    ("util_baseline", R),
    ("util_variant", R),
    ("dl_bytes_baseline", R),
    ("dl_bytes_variant", R),
];

fn stamp(stamps: &[String], k: usize) -> String {
    stamps.get(k).cloned().unwrap_or_default()
}

/// `overload`: every cell's and carrying link's hours above the thresholds.
fn overload(r: &VariantResult, e: &Elements, stamps: &[String]) -> Batch {
    let all: Vec<(&str, &ElementLoad)> =
        e.cells.iter().map(|c| ("cell", c)).chain(e.links.iter().map(|l| ("link", l))).collect();
    let f = |g: fn(&ElementLoad) -> f64, d: usize| {
        Column::F64(all.iter().map(|(_, x)| g(x)).collect(), d)
    };
    Batch {
        columns: vec![
            ("variant", text(all.len(), &r.name)),
            ("kind", Column::Str(all.iter().map(|(k, _)| k.to_string()).collect())),
            ("element", Column::Str(all.iter().map(|(_, x)| x.name.clone()).collect())),
            ("hours_above_70", f(|x| x.hours_above[0], 2)),
            ("hours_above_80", f(|x| x.hours_above[1], 2)),
            ("hours_above_100", f(|x| x.hours_above[2], 2)),
            ("peak_util", f(|x| x.peak, 4)),
            (
                "peak_interval_start",
                Column::Str(all.iter().map(|(_, x)| stamp(stamps, x.worst)).collect()),
            ),
            ("p95_util", f(|x| x.p95, 4)),
            ("mean_util", f(|x| x.mean, 4)),
        ],
    }
}

/// `busy_hours`: the network's busy hour of every day, then of every 7 days.
fn busy_hours(r: &VariantResult, e: &Elements, stamps: &[String]) -> Batch {
    let days = e.busy_days.iter().map(|b| ("day", b));
    let weeks = e.busy_weeks.iter().map(|b| ("week", b));
    let all: Vec<(&str, &elements::BusyHour)> = days.chain(weeks).collect();
    let f = |g: fn(&elements::BusyHour) -> f64, d: usize| {
        Column::F64(all.iter().map(|(_, b)| g(b)).collect(), d)
    };
    Batch {
        columns: vec![
            ("variant", text(all.len(), &r.name)),
            ("period", Column::Str(all.iter().map(|(p, _)| p.to_string()).collect())),
            (
                "period_start",
                Column::Str(all.iter().map(|(_, b)| stamp(stamps, b.period)).collect()),
            ),
            (
                "busy_interval_start",
                Column::Str(all.iter().map(|(_, b)| stamp(stamps, b.interval)).collect()),
            ),
            ("offered_bytes", f(|b| b.offered_bytes, 0)),
            ("prb_util_mean", f(|b| b.prb_util_mean, 4)),
            ("prb_util_max", f(|b| b.prb_util_max, 4)),
            (
                "busiest_cell",
                Column::Str(all.iter().map(|(_, b)| b.busiest_cell.clone()).collect()),
            ),
        ],
    }
}

/// `cell_busy_hours`: each cell's own busy hour of the day.
fn cell_busy_hours(r: &VariantResult, e: &Elements) -> Batch {
    let v = &e.cell_busy_hours;
    Batch {
        columns: vec![
            ("variant", text(v.len(), &r.name)),
            ("cell_id", Column::Str(v.iter().map(|c| c.cell.clone()).collect())),
            ("busy_hour_utc", Column::I64(v.iter().map(|c| c.hour as i64).collect())),
            ("dl_bytes_mean", Column::F64(v.iter().map(|c| c.dl_bytes_mean).collect(), 0)),
            ("prb_util_mean", Column::F64(v.iter().map(|c| c.prb_util_mean).collect(), 4)),
        ],
    }
}

/// `changes`: the elements a variant touches or moved, before and after.
fn changes(r: &VariantResult, e: &Elements, stamps: &[String]) -> Batch {
    let c = &e.changes;
    let all: Vec<(&str, &elements::ElementChange)> =
        c.cells.iter().map(|x| ("cell", x)).chain(c.links.iter().map(|x| ("link", x))).collect();
    let n = all.len();
    let window = c.intervals.first().map_or_else(String::new, |&k| stamp(stamps, k));
    let f = |g: fn(&elements::ElementChange) -> f64, d: usize| {
        Column::F64(all.iter().map(|(_, x)| g(x)).collect(), d)
    };
    Batch {
        columns: vec![
            ("variant", text(n, &r.name)),
            ("kind", Column::Str(all.iter().map(|(k, _)| k.to_string()).collect())),
            ("element", Column::Str(all.iter().map(|(_, x)| x.element.clone()).collect())),
            ("role", Column::Str(all.iter().map(|(_, x)| x.role.to_string()).collect())),
            ("window_start", text(n, &window)),
            ("intervals", Column::I64(vec![c.intervals.len() as i64; n])),
            ("util_baseline", f(|x| x.util_baseline, 4)),
            ("util_variant", f(|x| x.util_variant, 4)),
            ("dl_bytes_baseline", f(|x| x.bytes_baseline, 0)),
            ("dl_bytes_variant", f(|x| x.bytes_variant, 0)),
        ],
    }
}

/// Writes `overload`, `busy_hours`, `cell_busy_hours` and `changes` into `dir`.
pub(super) fn write_elements(
    dir: &Path,
    plan: &Plan,
    results: &[VariantResult],
    elements: &[Elements],
) -> Result<(), ScenarioError> {
    let stamps = plan.interval_stamps();
    let mut over = TableWriter::create(dir, "overload", &OVERLOAD)?;
    let mut busy = TableWriter::create(dir, "busy_hours", &BUSY_HOURS)?;
    let mut own = TableWriter::create(dir, "cell_busy_hours", &CELL_BUSY_HOURS)?;
    let mut moved = TableWriter::create(dir, "changes", &CHANGES)?;
    for (r, e) in results.iter().zip(elements) {
        over.write(&overload(r, e, &stamps))?;
        busy.write(&busy_hours(r, e, &stamps))?;
        own.write(&cell_busy_hours(r, e))?;
        moved.write(&changes(r, e, &stamps))?;
    }
    for t in [over, busy, own, moved] {
        t.finish()?;
    }
    Ok(())
}
