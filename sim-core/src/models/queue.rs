//! A FIFO single-server queue with general inter-arrival and service times and an optional
//! capacity: M/M/1, M/D/1, M/G/1, M/M/1/K and friends.
//!
//! ```text
//!   Arrival ──► [ waiting ... ] ──► server ──► Departure
//!      │  (blocked if the system holds `capacity` customers)
//!      └── schedules the next Arrival until `customers` have arrived
//! ```
//!
//! Customers are numbered by arrival. The first `warmup` are served but not measured, so the
//! statistics describe the stationary regime; the time-weighted number in system starts its
//! window at the arrival of customer `warmup`. Arrivals stop after `customers`; the run ends when
//! the last of them has left.

use std::collections::VecDeque;

use crate::dist::Dist;
use crate::engine::{Model, Scheduler, Simulation};
use crate::random::{RngStreams, SimRng};
use crate::stats::{BatchMeans, DurationHistogram, OnlineStats, TimeWeighted};
use crate::time::SimTime;

use super::ModelError;

/// The queue's parameters. Times are in seconds.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Inter-arrival times.
    pub interarrival: Dist,
    /// Service times.
    pub service: Dist,
    /// The most customers in the system (waiting plus in service); `None` for unlimited.
    pub capacity: Option<usize>,
    /// Arrivals in all, warm-up included.
    pub customers: u64,
    /// Arrivals at the start that are not measured.
    pub warmup: u64,
    /// The target number of batches for the batch-means interval on the sojourn time.
    pub batches: usize,
}

/// What happens in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueEvent {
    /// A customer arrives.
    Arrival,
    /// The customer in service leaves.
    Departure,
}

/// What the queue measured over its observation window.
#[derive(Debug, Clone)]
pub struct QueueStats {
    /// Sojourn (waiting plus service) times of measured customers, in seconds.
    pub sojourn: OnlineStats,
    /// The same series, batched for an interval that respects autocorrelation.
    pub sojourn_batches: BatchMeans,
    /// The same series, for quantiles and tail probabilities.
    pub sojourn_hist: DurationHistogram,
    /// Measured arrivals, admitted or not.
    pub arrivals: u64,
    /// Measured arrivals turned away because the system was full.
    pub blocked: u64,
    /// The time-average number in system over the window.
    pub mean_in_system: f64,
    /// The observation window: from the arrival of the first measured customer to the end.
    pub window_s: f64,
}

impl QueueStats {
    /// The fraction of measured arrivals that were blocked.
    pub fn blocking_probability(&self) -> f64 {
        self.blocked as f64 / self.arrivals as f64
    }

    /// The observed arrival rate over the window, per second.
    pub fn arrival_rate(&self) -> f64 {
        self.arrivals as f64 / self.window_s
    }

    /// The observed rate of admitted arrivals over the window, per second (λ_eff).
    pub fn admitted_rate(&self) -> f64 {
        (self.arrivals - self.blocked) as f64 / self.window_s
    }
}

/// The queue's state.
#[derive(Debug, Clone)]
pub struct SingleServerQueue {
    cfg: QueueConfig,
    arrivals_rng: SimRng,
    service_rng: SimRng,
    /// Arrival time and measured flag of each customer in the system; the front is in service.
    in_system: VecDeque<(SimTime, bool)>,
    arrived: u64,
    number_in_system: Option<TimeWeighted>,
    sojourn: OnlineStats,
    sojourn_batches: BatchMeans,
    sojourn_hist: DurationHistogram,
    measured_arrivals: u64,
    blocked: u64,
}

impl SingleServerQueue {
    /// A queue with its own `arrivals` and `service` streams from `streams`.
    pub fn new(cfg: QueueConfig, streams: &RngStreams) -> Self {
        SingleServerQueue {
            arrivals_rng: streams.stream("arrivals"),
            service_rng: streams.stream("service"),
            in_system: VecDeque::new(),
            arrived: 0,
            number_in_system: None,
            sojourn: OnlineStats::new(),
            sojourn_batches: BatchMeans::new(cfg.batches),
            sojourn_hist: DurationHistogram::new(),
            measured_arrivals: 0,
            blocked: 0,
            cfg,
        }
    }

    /// A simulation of the queue with the first arrival scheduled; run it to the end with
    /// [`Simulation::run`].
    pub fn simulation(
        cfg: QueueConfig,
        streams: &RngStreams,
    ) -> Result<Simulation<SingleServerQueue>, ModelError> {
        let mut sim = Simulation::new(SingleServerQueue::new(cfg, streams));
        let (model, sched) = sim.parts_mut();
        if model.cfg.customers > 0 {
            let gap = model.cfg.interarrival.sample_duration(&mut model.arrivals_rng)?;
            sched.schedule_in(gap, QueueEvent::Arrival)?;
        }
        Ok(sim)
    }

    /// The statistics of the observation window ending at `now` (normally the end of the run).
    pub fn stats(&self, now: SimTime) -> QueueStats {
        let (mean_in_system, window_s) = match &self.number_in_system {
            Some(tw) => (
                tw.mean(now).unwrap_or(f64::NAN),
                now.saturating_duration_since(tw.start()).as_secs_f64(),
            ),
            None => (f64::NAN, 0.0),
        };
        QueueStats {
            sojourn: self.sojourn,
            sojourn_batches: self.sojourn_batches.clone(),
            sojourn_hist: self.sojourn_hist.clone(),
            arrivals: self.measured_arrivals,
            blocked: self.blocked,
            mean_in_system,
            window_s,
        }
    }

    fn start_service(&mut self, sched: &mut Scheduler<QueueEvent>) -> Result<(), ModelError> {
        let s = self.cfg.service.sample_duration(&mut self.service_rng)?;
        sched.schedule_in(s, QueueEvent::Departure)?;
        Ok(())
    }

    fn arrival(&mut self, sched: &mut Scheduler<QueueEvent>) -> Result<(), ModelError> {
        let now = sched.now();
        let measured = self.arrived >= self.cfg.warmup;
        self.arrived += 1;
        if self.arrived < self.cfg.customers {
            let gap = self.cfg.interarrival.sample_duration(&mut self.arrivals_rng)?;
            sched.schedule_in(gap, QueueEvent::Arrival)?;
        }
        if measured {
            self.measured_arrivals += 1;
            if self.number_in_system.is_none() {
                self.number_in_system = Some(TimeWeighted::new(now, self.in_system.len() as f64));
            }
        }
        if self.cfg.capacity.is_some_and(|k| self.in_system.len() >= k) {
            if measured {
                self.blocked += 1;
            }
            return Ok(());
        }
        self.in_system.push_back((now, measured));
        self.record_in_system(now);
        if self.in_system.len() == 1 {
            self.start_service(sched)?;
        }
        Ok(())
    }

    fn departure(&mut self, sched: &mut Scheduler<QueueEvent>) -> Result<(), ModelError> {
        let now = sched.now();
        if let Some((arrived_at, true)) = self.in_system.pop_front() {
            let sojourn = now.saturating_duration_since(arrived_at);
            self.sojourn.push(sojourn.as_secs_f64());
            self.sojourn_batches.push(sojourn.as_secs_f64());
            self.sojourn_hist.record(sojourn);
        }
        self.record_in_system(now);
        if !self.in_system.is_empty() {
            self.start_service(sched)?;
        }
        Ok(())
    }

    #[inline]
    fn record_in_system(&mut self, now: SimTime) {
        if let Some(tw) = &mut self.number_in_system {
            // Events arrive in time order, so the update cannot go backwards.
            let _ = tw.set(now, self.in_system.len() as f64);
        }
    }
}

impl Model for SingleServerQueue {
    type Event = QueueEvent;
    type Error = ModelError;

    #[inline]
    fn handle(
        &mut self,
        event: QueueEvent,
        sched: &mut Scheduler<QueueEvent>,
    ) -> Result<(), ModelError> {
        match event {
            QueueEvent::Arrival => self.arrival(sched),
            QueueEvent::Departure => self.departure(sched),
        }
    }
}
