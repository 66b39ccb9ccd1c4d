//! Inter-carrier settlement: usage per carrier pair priced by rate cards, net positions per
//! period, statements in an append-only hash-chained log, and a model of the settlement system
//! on the event engine (monthly batch clearing or per-session settlement on a ledger).
//!
//! Amounts are integer micro-units of the currency ([`Micros`]): every usage row is priced and
//! rounded once, and all sums after that are exact, so net positions sum to zero in every period
//! by construction (and a test checks it).
//!
//! The direction of money: a subscriber of the *home* carrier uses the *visited* carrier's
//! network; the visited carrier bills the home carrier. So the home carrier pays.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use chrono::{DateTime, Datelike};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sim_core::stats::DurationHistogram;
use sim_core::{Model, Scheduler, SimDuration, SimTime, Simulation};

use crate::error::ScenarioError;

/// Money in millionths of the currency unit.
pub type Micros = i64;

/// A settled service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Packet data (volume in bytes or MB, per the rate card's unit).
    Data,
    /// Voice (volume in minutes).
    Voice,
    /// Messages (volume in messages).
    Sms,
}

impl Service {
    /// Parses `data`, `voice` or `sms` (any case).
    pub fn parse(s: &str) -> Option<Service> {
        match s.trim().to_ascii_lowercase().as_str() {
            "data" => Some(Service::Data),
            "voice" => Some(Service::Voice),
            "sms" => Some(Service::Sms),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Data => "data",
            Service::Voice => "voice",
            Service::Sms => "sms",
        }
    }
}

/// One row of settlement load: usage of `visited`'s network by `home`'s subscribers in one
/// interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Interval start, seconds since 1970 UTC.
    pub start_s: i64,
    /// The subscriber's carrier (pays).
    pub home: String,
    /// The network used (is paid).
    pub visited: String,
    /// The service.
    pub service: Service,
    /// Billing records (sessions, calls, messages) in the interval.
    pub records: u64,
    /// Billed volume, in the rate card's unit.
    pub volume: f64,
}

/// The price of one unit of a service between two carriers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateCard {
    /// Paying carrier.
    pub home: String,
    /// Paid carrier.
    pub visited: String,
    /// The service.
    pub service: Service,
    /// Price per unit of volume.
    pub price_per_unit: f64,
    /// ISO 4217 code.
    pub currency: String,
}

/// Rate cards by (home, visited, service).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateBook {
    cards: BTreeMap<(String, String, Service), (f64, String)>,
}

impl RateBook {
    /// A book of `cards`; a later card for the same pair and service replaces an earlier one.
    pub fn new(cards: &[RateCard]) -> RateBook {
        let mut book = RateBook::default();
        for c in cards {
            book.set(c);
        }
        book
    }

    /// Adds or replaces a card (the what-if "change a rate card").
    pub fn set(&mut self, c: &RateCard) {
        self.cards.insert(
            (c.home.clone(), c.visited.clone(), c.service),
            (c.price_per_unit, c.currency.clone()),
        );
    }

    /// The price and currency for a pair and service.
    pub fn get(&self, home: &str, visited: &str, service: Service) -> Option<(f64, &str)> {
        self.cards
            .get(&(home.to_string(), visited.to_string(), service))
            .map(|(p, c)| (*p, c.as_str()))
    }

    /// Every currency in the book.
    pub fn currencies(&self) -> Vec<&str> {
        let mut c: Vec<&str> = self.cards.values().map(|(_, c)| c.as_str()).collect();
        c.sort_unstable();
        c.dedup();
        c
    }
}

/// The settlement period of an instant: its calendar month, `YYYY-MM` (UTC).
pub fn period_of(start_s: i64) -> String {
    match DateTime::from_timestamp(start_s, 0) {
        Some(t) => format!("{:04}-{:02}", t.year(), t.month()),
        None => "out-of-range".to_string(),
    }
}

/// What one carrier owes another for one service in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// `YYYY-MM`.
    pub period: String,
    /// Paying (home) carrier.
    pub payer: String,
    /// Paid (visited) carrier.
    pub payee: String,
    /// The service.
    pub service: Service,
    /// Billing records.
    pub records: u64,
    /// Amount, micro-units.
    pub amount: Micros,
}

/// Prices `usage` with `rates`: one charge per (period, payer, payee, service), in a
/// deterministic order. Usage without a rate card, a negative or non-finite volume or price, or
/// rate cards in more than one currency are errors.
pub fn price(usage: &[Usage], rates: &RateBook) -> Result<(Vec<Charge>, String), ScenarioError> {
    let currencies = rates.currencies();
    if currencies.len() > 1 {
        return Err(ScenarioError::Settlement(format!(
            "rate cards in several currencies ({}); convert them to one",
            currencies.join(", ")
        )));
    }
    let currency = currencies.first().map_or("EUR", |c| c).to_string();
    let mut acc: BTreeMap<(String, String, String, Service), (u64, Micros)> = BTreeMap::new();
    for u in usage {
        let (p, _) = rates.get(&u.home, &u.visited, u.service).ok_or_else(|| {
            ScenarioError::Settlement(format!(
                "no rate card for {} → {} {}",
                u.home,
                u.visited,
                u.service.name()
            ))
        })?;
        if !(u.volume >= 0.0 && u.volume.is_finite() && p >= 0.0 && p.is_finite()) {
            return Err(ScenarioError::Settlement(format!(
                "{} → {} {}: volume {} at price {} is not a valid charge",
                u.home,
                u.visited,
                u.service.name(),
                u.volume,
                p
            )));
        }
        let amount = (u.volume * p * 1e6).round();
        if amount > 9.0e15 {
            return Err(ScenarioError::Settlement(format!(
                "{} → {}: a charge of {amount} micro-units overflows",
                u.home, u.visited
            )));
        }
        let e = acc
            .entry((period_of(u.start_s), u.home.clone(), u.visited.clone(), u.service))
            .or_default();
        e.0 += u.records;
        e.1 += amount as Micros;
    }
    let charges = acc
        .into_iter()
        .map(|((period, payer, payee, service), (records, amount))| Charge {
            period,
            payer,
            payee,
            service,
            records,
            amount,
        })
        .collect();
    Ok((charges, currency))
}

/// Net positions of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetPositions {
    /// `YYYY-MM`.
    pub period: String,
    /// For each pair `(a, b)` with `a < b`: what `a` owes `b` minus what `b` owes `a`.
    pub bilateral: BTreeMap<String, Micros>,
    /// For each carrier: what it is owed minus what it owes (sums to zero).
    pub multilateral: BTreeMap<String, Micros>,
}

/// Nets `charges` per period, bilaterally and multilaterally.
pub fn net_positions(charges: &[Charge]) -> Vec<NetPositions> {
    let mut by_period: BTreeMap<&str, NetPositions> = BTreeMap::new();
    for c in charges {
        let n = by_period.entry(&c.period).or_insert_with(|| NetPositions {
            period: c.period.clone(),
            bilateral: BTreeMap::new(),
            multilateral: BTreeMap::new(),
        });
        let (key, sign) = if c.payer < c.payee {
            (format!("{}|{}", c.payer, c.payee), 1)
        } else {
            (format!("{}|{}", c.payee, c.payer), -1)
        };
        *n.bilateral.entry(key).or_default() += sign * c.amount;
        *n.multilateral.entry(c.payee.clone()).or_default() += c.amount;
        *n.multilateral.entry(c.payer.clone()).or_default() -= c.amount;
    }
    by_period.into_values().collect()
}

/// One settlement statement: the net amount one carrier pays another for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Position in the log, from 0.
    pub seq: u64,
    /// `YYYY-MM`.
    pub period: String,
    /// Pays the net amount.
    pub payer: String,
    /// Receives it.
    pub payee: String,
    /// Net amount, micro-units (never negative).
    pub amount: Micros,
    /// ISO 4217 code.
    pub currency: String,
}

/// A statement with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedStatement {
    /// The statement.
    #[serde(flatten)]
    pub statement: Statement,
    /// Hash of the previous entry (64 zeros for the first).
    pub prev: String,
    /// SHA-256 of `prev` and the statement's canonical JSON.
    pub hash: String,
}

/// The hash that follows `prev` for `statement`.
pub fn chain_hash(prev: &str, statement: &Statement) -> Result<String, ScenarioError> {
    let body =
        serde_json::to_string(statement).map_err(|e| ScenarioError::Settlement(e.to_string()))?;
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The statements of `positions` (one per pair with a non-zero bilateral position), chained.
pub fn statements(
    positions: &[NetPositions],
    currency: &str,
) -> Result<Vec<ChainedStatement>, ScenarioError> {
    let mut out = Vec::new();
    let mut prev = "0".repeat(64);
    for n in positions {
        for (pair, &amount) in &n.bilateral {
            if amount == 0 {
                continue;
            }
            let (a, b) = pair.split_once('|').unwrap_or((pair, ""));
            let (payer, payee) = if amount > 0 { (a, b) } else { (b, a) };
            let statement = Statement {
                seq: out.len() as u64,
                period: n.period.clone(),
                payer: payer.to_string(),
                payee: payee.to_string(),
                amount: amount.abs(),
                currency: currency.to_string(),
            };
            let hash = chain_hash(&prev, &statement)?;
            out.push(ChainedStatement { statement, prev: prev.clone(), hash: hash.clone() });
            prev = hash;
        }
    }
    Ok(out)
}

/// Writes the log as JSON lines.
pub fn write_log(path: &Path, log: &[ChainedStatement]) -> Result<(), ScenarioError> {
    let f = std::fs::File::create(path).map_err(|e| ScenarioError::io(path, e))?;
    let mut w = std::io::BufWriter::new(f);
    for s in log {
        let line =
            serde_json::to_string(s).map_err(|e| ScenarioError::Settlement(e.to_string()))?;
        writeln!(w, "{line}").map_err(|e| ScenarioError::io(path, e))?;
    }
    w.flush().map_err(|e| ScenarioError::io(path, e))
}

/// Checks a statement log: every line parses, sequence numbers run from 0 without gaps, each
/// entry's `prev` is the hash before it and its `hash` matches its content. Returns the number of
/// statements; the first broken line is an error naming it.
pub fn verify_log(path: &Path) -> Result<usize, ScenarioError> {
    let f = std::fs::File::open(path).map_err(|e| ScenarioError::io(path, e))?;
    let mut prev = "0".repeat(64);
    let mut n = 0usize;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| ScenarioError::io(path, e))?;
        let bad = |reason: String| ScenarioError::Tampered {
            path: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        if line.trim().is_empty() {
            return Err(bad("an empty line in an append-only log".into()));
        }
        let entry: ChainedStatement =
            serde_json::from_str(&line).map_err(|e| bad(format!("not a statement: {e}")))?;
        if entry.statement.seq != n as u64 {
            return Err(bad(format!(
                "sequence number {} where {n} was due (a statement removed or inserted)",
                entry.statement.seq
            )));
        }
        if entry.prev != prev {
            return Err(bad(
                "its link to the previous statement does not match (reordered or removed entries)"
                    .into(),
            ));
        }
        let expected = chain_hash(&prev, &entry.statement)?;
        if entry.hash != expected {
            return Err(bad(format!(
                "its content does not match its hash ({} pays {} {} for {}: edited after it was written)",
                entry.statement.payer,
                entry.statement.payee,
                entry.statement.amount,
                entry.statement.period
            )));
        }
        prev = entry.hash;
        n += 1;
    }
    Ok(n)
}

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    interval_s: f64,
    /// Waiting chunks: (arrival time, records).
    queue: std::collections::VecDeque<(SimTime, u64)>,
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
        let mut total: u64 = self.counts[..k].iter().sum();
        if let Some(&c) = self.counts.get(k) {
            let share = ((t - self.starts[k]) / self.interval_s).clamp(0.0, 1.0);
            total += (c as f64 * share).floor() as u64;
        }
        let n = total.saturating_sub(self.arrived);
        if n > 0 {
            let mid = SimTime::from_nanos((self.arrived_at.as_nanos() + now.as_nanos()) / 2);
            self.queue.push_back((mid, n));
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
            capacity -= take;
            self.settled += take;
            if front.1 == 0 {
                self.queue.pop_front();
            }
        }
    }

    /// Records not yet cleared at `now`: queued, or in a batch that has not reached them.
    fn waiting(&mut self, now: SimTime) -> u64 {
        while self.processing.front().is_some_and(|c| c.0 <= now) {
            self.processing.pop_front();
        }
        self.queue.iter().map(|c| c.1).sum::<u64>()
            + self.processing.iter().map(|c| c.1).sum::<u64>()
    }
}

impl Model for System {
    type Event = SysEvent;
    type Error = ScenarioError;

    fn handle(
        &mut self,
        ev: SysEvent,
        sched: &mut Scheduler<SysEvent>,
    ) -> Result<(), ScenarioError> {
        let now = sched.now();
        let at = |s: f64| {
            SimTime::from_secs_f64(s).map_err(|e| ScenarioError::Settlement(e.to_string()))
        };
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
                    for (arrival, n) in chunks {
                        t += n as f64 / records_per_s;
                        let done = at(t)?;
                        let wait =
                            done.checked_duration_since(arrival).unwrap_or(SimDuration::ZERO);
                        self.latency.record_n(wait, n);
                        self.settled += n;
                        self.processing.push_back((done, n));
                    }
                    self.batch_free = at(t)?;
                }
            }
        }
        Ok(())
    }
}

fn check_mode(mode: SettlementMode) -> Result<(), ScenarioError> {
    match mode {
        SettlementMode::MonthlyBatch { records_per_s }
            if !(records_per_s > 0.0 && records_per_s.is_finite()) =>
        {
            Err(ScenarioError::Settlement(format!(
                "batch throughput {records_per_s} records/s must be positive"
            )))
        }
        SettlementMode::PerSession { block_interval_s, block_capacity }
            if !(block_interval_s > 0.0 && block_interval_s.is_finite()) || block_capacity == 0 =>
        {
            Err(ScenarioError::Settlement(format!(
                "block interval {block_interval_s} s and capacity {block_capacity} must be positive"
            )))
        }
        _ => Ok(()),
    }
}

fn sched_err(e: sim_core::ScheduleError) -> ScenarioError {
    ScenarioError::Settlement(e.to_string())
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
) -> Result<SystemReport, ScenarioError> {
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
) -> Result<SystemReport, ScenarioError> {
    let Some(&(first_at, mode)) = modes.first() else {
        return Err(ScenarioError::Settlement("no settlement mode".into()));
    };
    if first_at != 0 || modes.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err(ScenarioError::Settlement(
            "settlement mode changes must start at interval 0 and be in order".into(),
        ));
    }
    for &(_, m) in &modes[1..] {
        check_mode(m)?;
    }
    if starts_s.len() != records.len() {
        return Err(ScenarioError::Settlement("one record count per interval is needed".into()));
    }
    if !(interval_s > 0.0 && interval_s.is_finite()) {
        return Err(ScenarioError::Settlement(format!(
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
        return Err(ScenarioError::Settlement("intervals overlap or are out of order".into()));
    }
    let model = System {
        mode,
        changes,
        block_pending: false,
        starts: starts.clone(),
        counts: records.to_vec(),
        interval_s,
        queue: Default::default(),
        arrived: 0,
        arrived_at: SimTime::ZERO,
        settled: 0,
        latency: DurationHistogram::new(),
        backlog: Vec::with_capacity(records.len()),
        batch_free: SimTime::ZERO,
        processing: Default::default(),
    };
    let mut sim = Simulation::new(model);
    let at =
        |s: f64| SimTime::from_secs_f64(s).map_err(|e| ScenarioError::Settlement(e.to_string()));
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
        .ok_or_else(|| ScenarioError::Settlement(format!("time {t0} is out of range")))?;
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
    sim.run().map_err(|e| ScenarioError::Settlement(e.to_string()))?;
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
mod tests {
    use super::*;

    fn usage(start_s: i64, home: &str, visited: &str, volume: f64) -> Usage {
        Usage {
            start_s,
            home: home.into(),
            visited: visited.into(),
            service: Service::Data,
            records: 10,
            volume,
        }
    }

    fn book() -> RateBook {
        let card = |h: &str, v: &str, p: f64| RateCard {
            home: h.into(),
            visited: v.into(),
            service: Service::Data,
            price_per_unit: p,
            currency: "EUR".into(),
        };
        RateBook::new(&[
            card("A", "B", 0.01),
            card("B", "A", 0.02),
            card("A", "C", 0.015),
            card("C", "B", 0.003),
        ])
    }

    #[test]
    fn positions_net_to_zero_and_statements_chain() {
        let march = 1_709_251_200; // 2024-03-01
        let april = 1_711_929_600; // 2024-04-01
        let u = vec![
            usage(march, "A", "B", 1000.0),
            usage(march + 3600, "B", "A", 300.0),
            usage(march, "A", "C", 123.456),
            usage(april, "C", "B", 1e6),
        ];
        let (charges, cur) = price(&u, &book()).unwrap();
        assert_eq!(cur, "EUR");
        let pos = net_positions(&charges);
        assert_eq!(pos.len(), 2);
        for p in &pos {
            assert_eq!(p.multilateral.values().sum::<i64>(), 0, "{p:?}");
        }
        // A owes B 10.00, B owes A 6.00: A pays B 4.00 net.
        assert_eq!(pos[0].bilateral["A|B"], 4_000_000);
        assert_eq!(pos[0].multilateral["A"], -4_000_000 - 1_851_840);
        let log = statements(&pos, &cur).unwrap();
        assert_eq!(log.len(), 3);
        let dir = std::env::temp_dir().join(format!("twin-settle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("statements.jsonl");
        write_log(&path, &log).unwrap();
        assert_eq!(verify_log(&path).unwrap(), 3);
        // Tamper with an amount: the line is named.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"amount\":4000000", "\"amount\":3000000", 1))
            .unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("edited"), "{e}");
        // Remove a statement.
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(price(&[usage(march, "B", "C", 1.0)], &book()).is_err(), "no rate card");
        assert!(price(&[usage(march, "A", "B", -1.0)], &book()).is_err(), "negative volume");
    }

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
