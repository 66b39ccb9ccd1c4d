//! Replaying many intervals through the flow-level model: a year of hours in about a second.
//!
//! Each interval's demands are the base demands times a [`DiurnalProfile`] factor (and an optional
//! yearly growth); the what-if timeline is applied at interval boundaries (an operation at time
//! `t` counts from the first interval that starts at or after `t`), and routing is recomputed only
//! when it changes something. The result keeps utilisation, carried load and delay per link per
//! interval, unserved traffic per interval and per demand, and summarises each link over the
//! replay: 95th percentile and peak utilisation, and the number of intervals above a threshold.

use std::io::Write;
use std::path::Path;

use sim_core::SimTime;

use crate::error::TrafficError;
use crate::flow::{Demand, FlowModel};
use crate::routing::{Metric, Routing};
use crate::topology::{LinkId, Topology};
use crate::whatif::Timeline;
use twin_format::csv::field;
use twin_format::{Existing, FsError};

/// Seconds per replay interval.
pub const HOUR_S: u64 = 3600;

/// Relative traffic per hour of the day (and a weekend factor), as a multiple of the base demand.
#[derive(Debug, Clone, PartialEq)]
pub struct DiurnalProfile {
    hourly: [f64; 24],
    weekend: f64,
}

impl DiurnalProfile {
    /// A typical mobile-data day, peak 1.0 at 21:00 and trough 0.16 at 04:00 (the shape operators
    /// and public studies of cellular traffic report), weekends at 0.9. Hour 0 of a replay is
    /// Monday 00:00.
    pub fn mobile() -> Self {
        DiurnalProfile {
            hourly: [
                0.55, 0.40, 0.28, 0.20, 0.16, 0.17, 0.24, 0.38, 0.52, 0.62, 0.68, 0.72, 0.76, 0.76,
                0.74, 0.74, 0.77, 0.81, 0.86, 0.92, 0.97, 1.00, 0.93, 0.75,
            ],
            weekend: 0.9,
        }
    }

    /// Every hour at 1.0.
    pub fn flat() -> Self {
        DiurnalProfile { hourly: [1.0; 24], weekend: 1.0 }
    }

    /// A profile from 24 hourly factors and a weekend factor, all finite and >= 0.
    pub fn new(hourly: [f64; 24], weekend: f64) -> Result<Self, TrafficError> {
        if let Some((h, v)) =
            hourly.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(TrafficError::Config(format!(
                "diurnal factor of hour {h} is {v}; factors must be finite and >= 0"
            )));
        }
        if !(weekend.is_finite() && weekend >= 0.0) {
            return Err(TrafficError::Config(format!(
                "weekend factor {weekend} must be finite and >= 0"
            )));
        }
        Ok(DiurnalProfile { hourly, weekend })
    }

    /// The factor of hour `h` of the replay (hour 0 is Monday 00:00).
    pub fn factor(&self, h: usize) -> f64 {
        let weekend = (h / 24) % 7 >= 5;
        self.hourly[h % 24] * if weekend { self.weekend } else { 1.0 }
    }

    /// The largest factor.
    pub fn peak(&self) -> f64 {
        self.hourly.iter().fold(0.0f64, |a, &b| a.max(b)) * self.weekend.max(1.0)
    }
}

/// Settings of a replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Number of hourly intervals (8 760 for a year).
    pub hours: usize,
    /// Routing metric.
    pub metric: Metric,
    /// Traffic shape over the day and week.
    pub profile: DiurnalProfile,
    /// Traffic growth per year (0.3 for +30 %), compounded hourly.
    pub growth_per_year: f64,
    /// What-if operations, times from the start of the replay.
    pub timeline: Timeline,
    /// Mean packet size of the delay estimate, bytes.
    pub mean_packet_bytes: f64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            hours: 8760,
            metric: Metric::IgpWeight,
            profile: DiurnalProfile::mobile(),
            growth_per_year: 0.0,
            timeline: Timeline::new(),
            mean_packet_bytes: 1000.0,
        }
    }
}

/// One link over the replay.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSummary {
    /// The link.
    pub link: LinkId,
    /// Its name.
    pub name: String,
    /// 95th percentile of hourly utilisation (nearest rank).
    pub p95_utilisation: f64,
    /// Largest hourly utilisation.
    pub max_utilisation: f64,
    /// Mean hourly utilisation.
    pub mean_utilisation: f64,
    /// Hours above the threshold asked for.
    pub hours_above: usize,
}

/// Per-link, per-hour results of a replay.
#[derive(Debug, Clone)]
pub struct ReplayResult {
    /// Hours replayed.
    pub hours: usize,
    /// Links (columns), including any a re-homing created.
    pub links: Vec<LinkId>,
    /// Their names.
    pub names: Vec<String>,
    utilisation: Vec<f32>,
    carried_bps: Vec<f32>,
    delay_s: Vec<f32>,
    /// Offered traffic per hour, bit/s (sum over demands).
    pub offered_bps: Vec<f64>,
    /// Delivered traffic per hour, bit/s.
    pub delivered_bps: Vec<f64>,
    /// Demands with no path, per hour.
    pub unroutable_demands: Vec<u32>,
    /// Per demand, hours in which it was not fully served.
    pub demand_unserved_hours: Vec<u32>,
    /// Per demand, bits not delivered over the replay.
    pub demand_unserved_bits: Vec<f64>,
}

impl ReplayResult {
    /// Utilisation of link column `i` in hour `h`.
    pub fn utilisation(&self, h: usize, i: usize) -> f64 {
        f64::from(self.utilisation[h * self.links.len() + i])
    }

    /// Carried load of link column `i` in hour `h`, bit/s.
    pub fn carried_bps(&self, h: usize, i: usize) -> f64 {
        f64::from(self.carried_bps[h * self.links.len() + i])
    }

    /// Delay estimate of link column `i` in hour `h`, seconds (NaN while down).
    pub fn delay_s(&self, h: usize, i: usize) -> f64 {
        f64::from(self.delay_s[h * self.links.len() + i])
    }

    /// Every link's summary, with hours counted above `threshold` utilisation.
    pub fn summaries(&self, threshold: f64) -> Vec<LinkSummary> {
        let n = self.links.len();
        (0..n)
            .map(|i| {
                let mut u: Vec<f64> = (0..self.hours).map(|h| self.utilisation(h, i)).collect();
                let mean = if u.is_empty() { 0.0 } else { u.iter().sum::<f64>() / u.len() as f64 };
                let above = u.iter().filter(|&&x| x > threshold).count();
                u.sort_by(f64::total_cmp);
                let p95 = if u.is_empty() {
                    0.0
                } else {
                    u[((0.95 * u.len() as f64).ceil() as usize).clamp(1, u.len()) - 1]
                };
                LinkSummary {
                    link: self.links[i],
                    name: self.names[i].clone(),
                    p95_utilisation: p95,
                    max_utilisation: u.last().copied().unwrap_or(0.0),
                    mean_utilisation: mean,
                    hours_above: above,
                }
            })
            .collect()
    }

    /// The `k` busiest links: highest p95 utilisation first, then most hours above `threshold`.
    pub fn busiest(&self, k: usize, threshold: f64) -> Vec<LinkSummary> {
        let mut s = self.summaries(threshold);
        s.sort_by(|a, b| {
            b.p95_utilisation
                .total_cmp(&a.p95_utilisation)
                .then(b.hours_above.cmp(&a.hours_above))
                .then(a.name.cmp(&b.name))
        });
        s.truncate(k);
        s
    }

    /// Writes `hour,link,utilisation,carried_bps,delay_ms`, one row per link per hour, through
    /// the workspace's atomic writer (complete or absent).
    pub fn write_csv(&self, path: &Path) -> Result<(), TrafficError> {
        let rows = |w: &mut std::io::BufWriter<std::fs::File>| -> std::io::Result<()> {
            writeln!(w, "hour,link,utilisation,carried_bps,delay_ms")?;
            for h in 0..self.hours {
                for (i, name) in self.names.iter().enumerate() {
                    let d = self.delay_s(h, i);
                    let (u, c, name) =
                        (self.utilisation(h, i), self.carried_bps(h, i), field(name));
                    if d.is_finite() {
                        writeln!(w, "{h},{name},{u:.6},{c:.0},{:.4}", d * 1e3)?;
                    } else {
                        writeln!(w, "{h},{name},{u:.6},{c:.0},")?;
                    }
                }
            }
            Ok(())
        };
        twin_format::fsio::write_file_with(path, Existing::Replace, |w| {
            rows(w).map_err(|e| FsError::io(path, e))
        })?;
        Ok(())
    }
}

/// Replays `opts.hours` hourly intervals of `demands` (base rates `base_bps`, bit/s) on `topo`.
/// `progress` is called with the number of hours done, about a hundred times.
pub fn replay(
    topo: &Topology,
    demands: &[Demand],
    base_bps: &[f64],
    opts: &ReplayOptions,
    mut progress: impl FnMut(usize),
) -> Result<ReplayResult, TrafficError> {
    if base_bps.len() != demands.len() {
        return Err(TrafficError::RateCount { expected: demands.len(), got: base_bps.len() });
    }
    if !(opts.growth_per_year.is_finite() && opts.growth_per_year > -1.0) {
        return Err(TrafficError::Config(format!(
            "growth per year {} must be finite and > -1",
            opts.growth_per_year
        )));
    }
    if !(opts.mean_packet_bytes.is_finite() && opts.mean_packet_bytes > 0.0) {
        return Err(TrafficError::Config(format!(
            "mean packet size {} must be finite and > 0",
            opts.mean_packet_bytes
        )));
    }
    // The columns: every link that exists at any point (a re-homing adds links).
    let mut probe = topo.clone();
    for (at, op) in opts.timeline.iter() {
        op.apply(&mut probe)
            .map_err(|e| TrafficError::Config(format!("what-if operation at {at}: {e}")))?;
    }
    let links = probe.link_ids();
    let names: Vec<String> =
        links.iter().map(|l| probe.link(*l).map(|x| x.name.clone()).unwrap_or_default()).collect();
    let n = links.len();
    let hours = opts.hours;
    let mut result = ReplayResult {
        hours,
        links: links.clone(),
        names,
        utilisation: Vec::with_capacity(hours * n),
        carried_bps: Vec::with_capacity(hours * n),
        delay_s: Vec::with_capacity(hours * n),
        offered_bps: Vec::with_capacity(hours),
        delivered_bps: Vec::with_capacity(hours),
        unroutable_demands: Vec::with_capacity(hours),
        demand_unserved_hours: vec![0; demands.len()],
        demand_unserved_bits: vec![0.0; demands.len()],
    };
    let mut current = topo.clone();
    let build = |t: &Topology| -> Result<FlowModel, TrafficError> {
        let routing = Routing::compute(t, opts.metric);
        let mut m = FlowModel::new(t, &routing, demands)?;
        m.mean_packet_bytes = opts.mean_packet_bytes;
        Ok(m)
    };
    let mut model = build(&current)?;
    let mut rates = vec![0.0; demands.len()];
    let ops: Vec<&(SimTime, crate::whatif::Operation)> = opts.timeline.iter().collect();
    let mut next_op = 0;
    let step = (hours / 100).max(1);
    for h in 0..hours {
        let start = SimTime::from_nanos((h as u64 * HOUR_S).saturating_mul(1_000_000_000));
        // Operations at or before this hour's start not yet applied.
        let before = next_op;
        while next_op < ops.len() && ops[next_op].0 <= start {
            let (at, op) = ops[next_op];
            op.apply(&mut current)
                .map_err(|e| TrafficError::Config(format!("what-if operation at {at}: {e}")))?;
            next_op += 1;
        }
        if next_op > before {
            model = build(&current)?;
        }
        let factor = opts.profile.factor(h) * (1.0 + opts.growth_per_year).powf(h as f64 / 8760.0);
        for (r, b) in rates.iter_mut().zip(base_bps) {
            *r = b * factor;
        }
        let a = model.allocate(&rates)?;
        for &l in &links {
            let i = l.0 as usize;
            result.utilisation.push(a.link_utilisation.get(i).copied().unwrap_or(0.0) as f32);
            result.carried_bps.push(a.link_carried_bps.get(i).copied().unwrap_or(0.0) as f32);
            result.delay_s.push(a.link_delay_s.get(i).copied().unwrap_or(f64::NAN) as f32);
        }
        result.offered_bps.push(rates.iter().sum());
        result.delivered_bps.push(a.delivered_bps.iter().sum());
        result.unroutable_demands.push(a.routable.iter().filter(|r| !**r).count() as u32);
        for (k, &u) in a.unserved_bps.iter().enumerate() {
            if u > 1e-9 * rates[k].max(1.0) {
                result.demand_unserved_hours[k] += 1;
                result.demand_unserved_bits[k] += u * HOUR_S as f64;
            }
        }
        if (h + 1) % step == 0 || h + 1 == hours {
            progress(h + 1);
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{Link, Role};
    use crate::whatif::Operation;

    #[test]
    fn profile_and_failure_in_replay() {
        let mut t = Topology::new();
        let [a, b, c] = ["a", "b", "c"].map(|x| t.add_node(x, Role::Core, None).unwrap());
        let link = Link {
            name: String::new(),
            capacity_bps: 10e6,
            delay_s: 0.001,
            buffer_bytes: 1 << 20,
            igp_weight: 1.0,
            up: true,
        };
        t.add_duplex(a, b, link.clone()).unwrap();
        t.add_duplex(b, c, link.clone()).unwrap();
        t.add_duplex(a, c, Link { igp_weight: 5.0, ..link }).unwrap();
        let d = [Demand { name: "ac".into(), src: a, dst: c }];
        let mut opts = ReplayOptions {
            hours: 48,
            profile: DiurnalProfile::flat(),
            ..ReplayOptions::default()
        };
        // From hour 24 the a-b link is down: traffic moves to the direct link.
        opts.timeline.push(
            SimTime::from_nanos(24 * HOUR_S * 1_000_000_000),
            Operation::FailLinks(vec![t.link_id("a->b").unwrap()]),
        );
        let mut calls = 0;
        let r = replay(&t, &d, &[5e6], &opts, |_| calls += 1).unwrap();
        assert!(calls > 0);
        let ab = r.names.iter().position(|x| x == "a->b").unwrap();
        let ac = r.names.iter().position(|x| x == "a->c").unwrap();
        assert!((r.utilisation(23, ab) - 0.5).abs() < 1e-6 && r.utilisation(23, ac) == 0.0);
        assert!(r.utilisation(24, ab) == 0.0 && (r.utilisation(24, ac) - 0.5).abs() < 1e-6);
        let s = r.busiest(2, 0.4);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].hours_above, 24);
        assert_eq!(r.demand_unserved_hours, vec![0]);
        // Mobile profile: weekend hours are lower than weekday ones.
        let p = DiurnalProfile::mobile();
        assert!(p.factor(21) == 1.0 && p.factor(5 * 24 + 21) == 0.9 && p.factor(4) < 0.2);
        assert!(DiurnalProfile::new([f64::NAN; 24], 1.0).is_err());
    }
}
