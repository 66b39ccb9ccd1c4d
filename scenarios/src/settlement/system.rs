//! The settlement system on the event engine: records arrive evenly over their intervals and
//! are cleared either by a monthly batch job (a throughput in records per second, starting when
//! a calendar month ends) or by a ledger cutting blocks of bounded size at a fixed interval. The
//! model gives each record's latency (arrival to clearing) and the backlog at every interval's
//! end; the mode may change during the replay.

use chrono::{DateTime, Datelike};
use serde::{Deserialize, Serialize};
use sim_core::stats::DurationHistogram;
use sim_core::{Model, Scheduler, SimDuration, SimTime, Simulation};

use super::SettlementError;

/// How the settlement system clears records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SettlementMode {
    /// Records accumulate for a calendar month; a batch job starts when the month ends and clears
    /// them in arrival order at `records_per_s`.
    MonthlyBatch {
        /// Clearing throughput of the batch job.
        records_per_s: f64,
    },
    /// Each record is a ledger transaction; a block every `block_interval_s` takes up to
    /// `block_capacity` waiting transactions in arrival order.
    PerSession {
        /// Seconds between blocks.
        block_interval_s: f64,
        /// Transactions per block.
        block_capacity: u64,
    },
}

impl Default for SettlementMode {
    fn default() -> Self {
        SettlementMode::MonthlyBatch { records_per_s: 20_000.0 }
    }
}

/// What the settlement system did over the replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemReport {
    /// Records that arrived.
    pub records: u64,
    /// Records taken by a clearing job (a block, or a batch that may finish after the window).
    pub settled: u64,
    /// Median time from a record's arrival to its clearing, seconds.
    pub latency_p50_s: f64,
    /// 99th percentile of the same.
    pub latency_p99_s: f64,
    /// Mean of the same.
    pub latency_mean_s: f64,
    /// Records not yet cleared at the end of each interval (queued, or in a running batch).
    pub backlog: Vec<u64>,
    /// The largest of those.
    pub backlog_max: u64,
}

#[derive(Debug, Clone, Copy)]
enum SysEvent {
    /// Interval `k` begins: its records start arriving.
    Interval(usize),
    /// The end of an interval: sample the backlog.
    Sample,
    /// A block is cut (per-session).
    Block,
    /// A monthly batch starts, clearing what arrived before this instant.
    Batch,
}

struct System {
    mode: SettlementMode,
    /// Mode changes: (interval, mode), after the first.
    changes: Vec<(usize, SettlementMode)>,
    /// Whether a block is scheduled.
    block_pending: bool,
    /// Interval start times (simulated seconds from the first) and record counts.
    starts: Vec<f64>,
    counts: Vec<u64>,
    /// `before[k]`: records of the intervals before `k` (a running sum, so that an arrival
    /// costs a binary search, not a sum over the window).
    before: Vec<u64>,
    interval_s: f64,
    /// Waiting chunks: (arrival time, records).
    queue: std::collections::VecDeque<(SimTime, u64)>,
    /// Records in `queue`.
    queued: u64,
    /// Records that have arrived up to `arrived_at`.
    arrived: u64,
    arrived_at: SimTime,
    settled: u64,
    latency: DurationHistogram,
    backlog: Vec<u64>,
    /// When the running batch job is free again.
    batch_free: SimTime,
    /// Records a batch job has taken but not finished: (finish time, records).
    processing: std::collections::VecDeque<(SimTime, u64)>,
    /// Records in `processing`.
    in_batch: u64,
}

impl System {
    /// Moves the records that arrived by `now` into the queue, as one chunk at the middle of
    /// the span (records arrive evenly over their interval).
    fn arrive(&mut self, now: SimTime) {
        if now <= self.arrived_at {
            return;
        }
        let t = now.as_secs_f64();
        // Cumulative arrivals at t: whole intervals before, a share of the current one.
        let k = self.starts.partition_point(|&s| s <= t).saturating_sub(1);
        let mut total = self.before[k];
        if let Some(&c) = self.counts.get(k) {
            let share = ((t - self.starts[k]) / self.interval_s).clamp(0.0, 1.0);
            total += (c as f64 * share).floor() as u64;
        }
        let n = total.saturating_sub(self.arrived);
        if n > 0 {
            let mid = SimTime::from_nanos((self.arrived_at.as_nanos() + now.as_nanos()) / 2);
            self.queue.push_back((mid, n));
            self.queued += n;
            self.arrived = total;
        }
        self.arrived_at = now;
    }

    fn clear(&mut self, now: SimTime, mut capacity: u64) {
        while capacity > 0 {
            let Some(front) = self.queue.front_mut() else { break };
            let take = front.1.min(capacity);
            let wait = now.checked_duration_since(front.0).unwrap_or(SimDuration::ZERO);
            self.latency.record_n(wait, take);
            front.1 -= take;
            self.queued -= take;
            capacity -= take;
            self.settled += take;
            if front.1 == 0 {
                self.queue.pop_front();
            }
        }
    }

    /// Records not yet cleared at `now`: queued, or in a batch that has not reached them.
    fn waiting(&mut self, now: SimTime) -> u64 {
        while let Some(&(done, n)) = self.processing.front() {
            if done > now {
                break;
            }
            self.processing.pop_front();
            self.in_batch -= n;
        }
        self.queued + self.in_batch
    }
}

impl Model for System {
    type Event = SysEvent;
    type Error = SettlementError;

    fn handle(
        &mut self,
        ev: SysEvent,
        sched: &mut Scheduler<SysEvent>,
    ) -> Result<(), SettlementError> {
        let now = sched.now();
        match ev {
            SysEvent::Interval(k) => {
                self.arrive(now);
                if let Some(&(_, mode)) = self.changes.iter().find(|(at, _)| *at == k) {
                    self.mode = mode;
                    if let SettlementMode::PerSession { block_interval_s, .. } = mode
                        && !self.block_pending
                    {
                        sched
                            .schedule_at(at(now.as_secs_f64() + block_interval_s)?, SysEvent::Block)
                            .map_err(sched_err)?;
                        self.block_pending = true;
                    }
                }
                sched
                    .schedule_at(at(self.starts[k] + self.interval_s)?, SysEvent::Sample)
                    .map_err(sched_err)?;
                if k + 1 < self.starts.len() {
                    sched
                        .schedule_at(at(self.starts[k + 1])?, SysEvent::Interval(k + 1))
                        .map_err(sched_err)?;
                }
            }
            SysEvent::Sample => {
                self.arrive(now);
                let w = self.waiting(now);
                self.backlog.push(w);
            }
            SysEvent::Block => {
                self.block_pending = false;
                if let SettlementMode::PerSession { block_interval_s, block_capacity } = self.mode {
                    self.arrive(now);
                    self.clear(now, block_capacity);
                    let end = self.starts.last().copied().unwrap_or(0.0) + self.interval_s;
                    let next = now.as_secs_f64() + block_interval_s;
                    if next <= end + 1e-9 {
                        sched.schedule_at(at(next)?, SysEvent::Block).map_err(sched_err)?;
                        self.block_pending = true;
                    }
                }
            }
            SysEvent::Batch => {
                if let SettlementMode::MonthlyBatch { records_per_s } = self.mode {
                    self.arrive(now);
                    // The job clears everything waiting now, in arrival order, after any job
                    // still running; each chunk clears when the job reaches it.
                    let mut t = self.batch_free.max(now).as_secs_f64();
                    let chunks: Vec<(SimTime, u64)> = self.queue.drain(..).collect();
                    self.queued = 0;
                    for (arrival, n) in chunks {
                        t += n as f64 / records_per_s;
                        let done = at(t)?;
                        let wait =
                            done.checked_duration_since(arrival).unwrap_or(SimDuration::ZERO);
                        self.latency.record_n(wait, n);
                        self.settled += n;
                        self.processing.push_back((done, n));
                        self.in_batch += n;
                    }
                    self.batch_free = at(t)?;
                }
            }
        }
        Ok(())
    }
}

/// The most blocks a per-session replay may cut: each is an event (about 0.16 µs of work, by the
/// settlement benchmark), so 10^9 is a few minutes of compute; ten years of 2 s blocks (1.6·10⁸)
/// pass, a block interval of 1 µs (3·10¹³ a year) is a typing error.
pub const MAX_BLOCKS: f64 = 1e9;
/// The shortest block interval, seconds.
pub const MIN_BLOCK_INTERVAL_S: f64 = 1e-3;
/// The most records a block may take (the micro-unit arithmetic's record limit).
pub const MAX_BLOCK_CAPACITY: u64 = 1_000_000_000_000;
/// The longest a batch job may take to clear a window's records: ten years.
pub const MAX_BATCH_S: f64 = 10.0 * 365.25 * 86_400.0;

/// Whether `mode` can run over a window of `window_s` seconds carrying `records` records: its
/// settings are positive and finite, a ledger's blocks over the window number at most
/// [`MAX_BLOCKS`], and a batch job clears the window's records within [`MAX_BATCH_S`].
pub fn check_mode_for(
    mode: SettlementMode,
    window_s: f64,
    records: u64,
) -> Result<(), SettlementError> {
    check_mode(mode)?;
    let bad = |m: String| Err(SettlementError::System(m));
    match mode {
        SettlementMode::PerSession { block_interval_s, block_capacity } => {
            if block_interval_s < MIN_BLOCK_INTERVAL_S {
                return bad(format!(
                    "block interval {block_interval_s} s is shorter than {MIN_BLOCK_INTERVAL_S} s"
                ));
            }
            let blocks = window_s / block_interval_s;
            if blocks > MAX_BLOCKS {
                return bad(format!(
                    "a block every {block_interval_s} s cuts {blocks:.3e} blocks over the {window_s} s window, more than {MAX_BLOCKS:.0e}"
                ));
            }
            if block_capacity > MAX_BLOCK_CAPACITY {
                return bad(format!(
                    "block capacity {block_capacity} exceeds {MAX_BLOCK_CAPACITY} records"
                ));
            }
        }
        SettlementMode::MonthlyBatch { records_per_s } => {
            let clearing_s = records as f64 / records_per_s;
            if clearing_s > MAX_BATCH_S {
                return bad(format!(
                    "at {records_per_s} records/s the batch job needs {:.1} years to clear the window's {records} records",
                    clearing_s / (365.25 * 86_400.0)
                ));
            }
        }
    }
    Ok(())
}

fn check_mode(mode: SettlementMode) -> Result<(), SettlementError> {
    match mode {
        SettlementMode::MonthlyBatch { records_per_s }
            if !(records_per_s > 0.0 && records_per_s.is_finite()) =>
        {
            Err(SettlementError::System(format!(
                "batch throughput {records_per_s} records/s must be positive"
            )))
        }
        SettlementMode::PerSession { block_interval_s, block_capacity }
            if !(block_interval_s > 0.0 && block_interval_s.is_finite()) || block_capacity == 0 =>
        {
            Err(SettlementError::System(format!(
                "block interval {block_interval_s} s and capacity {block_capacity} must be positive"
            )))
        }
        _ => Ok(()),
    }
}

/// `out[k]`: the records of the intervals before `k`; an error when the window's records do not
/// fit a 64-bit count.
fn running_sums(records: &[u64]) -> Result<Vec<u64>, SettlementError> {
    let mut out = Vec::with_capacity(records.len());
    let mut sum = 0u64;
    for &r in records {
        out.push(sum);
        sum = sum.checked_add(r).ok_or_else(|| {
            SettlementError::System("the window's records overflow a 64-bit count".into())
        })?;
    }
    Ok(out)
}

/// A simulated instant `s` seconds after the first interval's start.
fn at(s: f64) -> Result<SimTime, SettlementError> {
    SimTime::from_secs_f64(s).map_err(|e| SettlementError::Simulation(Box::new(e)))
}

fn sched_err(e: sim_core::ScheduleError) -> SettlementError {
    SettlementError::Simulation(Box::new(e))
}

/// Runs the settlement system over intervals starting at `starts_s` (seconds since 1970, equal
/// length `interval_s`, ascending) with `records` arriving evenly over each.
///
/// Per-session: blocks every `block_interval_s` from the first interval's start; a record's
/// latency is its block's time minus its arrival (arrivals between two blocks are taken at their
/// midpoint, an error of at most half a block interval). Monthly: a batch starts at the first
/// instant of every calendar month after the first, and one after the last interval; backlog is
/// what has arrived and is not yet cleared.
pub fn simulate_system(
    starts_s: &[i64],
    interval_s: f64,
    records: &[u64],
    mode: SettlementMode,
) -> Result<SystemReport, SettlementError> {
    simulate_system_schedule(starts_s, interval_s, records, &[(0, mode)])
}

/// [`simulate_system`] with the mode changing over time: `modes` holds `(interval, mode)` pairs in
/// interval order, the first at interval 0. Records waiting at a change are cleared by the new
/// mode (a ledger takes over a batch's backlog; a batch takes over a ledger's queue).
pub fn simulate_system_schedule(
    starts_s: &[i64],
    interval_s: f64,
    records: &[u64],
    modes: &[(usize, SettlementMode)],
) -> Result<SystemReport, SettlementError> {
    let Some(&(first_at, mode)) = modes.first() else {
        return Err(SettlementError::System("no settlement mode".into()));
    };
    if first_at != 0 || modes.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err(SettlementError::System(
            "settlement mode changes must start at interval 0 and be in order".into(),
        ));
    }
    for &(_, m) in &modes[1..] {
        check_mode(m)?;
    }
    if starts_s.len() != records.len() {
        return Err(SettlementError::System("one record count per interval is needed".into()));
    }
    if !(interval_s > 0.0 && interval_s.is_finite()) {
        return Err(SettlementError::System(format!(
            "interval length {interval_s} s must be positive"
        )));
    }
    check_mode(mode)?;
    let changes: Vec<(usize, SettlementMode)> = modes[1..].to_vec();
    let Some(&t0) = starts_s.first() else {
        return Ok(SystemReport {
            records: 0,
            settled: 0,
            latency_p50_s: 0.0,
            latency_p99_s: 0.0,
            latency_mean_s: 0.0,
            backlog: vec![],
            backlog_max: 0,
        });
    };
    let starts: Vec<f64> = starts_s.iter().map(|&s| (s - t0) as f64).collect();
    if starts.windows(2).any(|w| w[1] < w[0] + interval_s - 1e-9) {
        return Err(SettlementError::System("intervals overlap or are out of order".into()));
    }
    let model = System {
        mode,
        changes,
        block_pending: false,
        starts: starts.clone(),
        counts: records.to_vec(),
        before: running_sums(records)?,
        interval_s,
        queue: Default::default(),
        queued: 0,
        arrived: 0,
        arrived_at: SimTime::ZERO,
        settled: 0,
        latency: DurationHistogram::new(),
        backlog: Vec::with_capacity(records.len()),
        batch_free: SimTime::ZERO,
        processing: Default::default(),
        in_batch: 0,
    };
    let mut sim = Simulation::new(model);
    sim.scheduler_mut().schedule_now(SysEvent::Interval(0));
    let end = starts.last().copied().unwrap_or(0.0) + interval_s;
    if let SettlementMode::PerSession { block_interval_s, .. } = mode {
        sim.scheduler_mut()
            .schedule_at(at(block_interval_s.min(end))?, SysEvent::Block)
            .map_err(sched_err)?;
        sim.model_mut().block_pending = true;
    }
    // Batch runs at the first instant of each following month, relative to t0, and at the end;
    // they act only while the mode is a monthly batch.
    let mut month = DateTime::from_timestamp(t0, 0)
        .ok_or_else(|| SettlementError::System(format!("time {t0} is out of range")))?;
    loop {
        let (y, m) = if month.month() == 12 {
            (month.year() + 1, 1)
        } else {
            (month.year(), month.month() + 1)
        };
        let Some(next) = chrono::NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
        else {
            break;
        };
        let rel = (next.timestamp() - t0) as f64;
        if rel >= end {
            break;
        }
        sim.scheduler_mut().schedule_at(at(rel)?, SysEvent::Batch).map_err(sched_err)?;
        month = next;
    }
    sim.scheduler_mut().schedule_at(at(end)?, SysEvent::Batch).map_err(sched_err)?;
    sim.run().map_err(|e| SettlementError::Simulation(Box::new(e)))?;
    let m = sim.into_model();
    let q = |p: f64| if m.latency.count() == 0 { 0.0 } else { m.latency.quantile(p).as_secs_f64() };
    Ok(SystemReport {
        records: records.iter().sum(),
        settled: m.settled,
        latency_p50_s: q(0.5),
        latency_p99_s: q(0.99),
        latency_mean_s: if m.latency.count() == 0 { 0.0 } else { m.latency.mean_secs() },
        backlog_max: m.backlog.iter().copied().max().unwrap_or(0),
        backlog: m.backlog,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ledger_and_batch_latency() {
        // 24 hours of 3600 records per hour: one record per second.
        let starts: Vec<i64> = (0..24).map(|h| 1_709_251_200 + h * 3600).collect();
        let counts = vec![3600u64; 24];
        // Blocks every 10 s with room for 20: the ledger keeps up; latency about 5 s.
        let r = simulate_system(
            &starts,
            3600.0,
            &counts,
            SettlementMode::PerSession { block_interval_s: 10.0, block_capacity: 20 },
        )
        .unwrap();
        assert_eq!(r.records, 86_400);
        assert!(r.settled >= 86_400 - 20);
        assert!((r.latency_mean_s - 5.0).abs() < 0.5, "{r:?}");
        assert!(r.backlog_max <= 20);
        // Room for 5 per 10 s block: half the rate; the backlog grows by 1800 an hour.
        let r = simulate_system(
            &starts,
            3600.0,
            &counts,
            SettlementMode::PerSession { block_interval_s: 10.0, block_capacity: 5 },
        )
        .unwrap();
        assert!((r.backlog[23] as i64 - 43_200).abs() < 20, "{:?}", &r.backlog[20..]);
        // Monthly batch: everything clears at the end of the replay (no month boundary inside),
        // at 100 records/s: the last record clears 864 s after the end.
        let r = simulate_system(
            &starts,
            3600.0,
            &counts,
            SettlementMode::MonthlyBatch { records_per_s: 100.0 },
        )
        .unwrap();
        assert_eq!(r.settled, 86_400);
        assert_eq!(r.backlog[23], 86_400);
        assert!((r.latency_p50_s - (43_200.0 + 432.0)).abs() < 2_000.0, "{r:?}");
        assert!(
            simulate_system(
                &starts,
                3600.0,
                &counts,
                SettlementMode::MonthlyBatch { records_per_s: 0.0 }
            )
            .is_err()
        );
    }
}
