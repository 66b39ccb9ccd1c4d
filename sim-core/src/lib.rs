//! `sim-core`: what every simulator of the network twin shares.
//!
//! The transport packet simulator, the settlement-system model and the scenario timeline are all
//! discrete-event simulations: state that changes only at the instants when events happen. This
//! crate is their common ground:
//!
//! * [`SimTime`] and [`SimDuration`]: simulated time as integer nanoseconds, with checked
//!   arithmetic and readable `Display`;
//! * the engine: a [`Model`] (a plain Rust value holding the system's state) handles its events
//!   and schedules new ones through a [`Scheduler`]; a [`Simulation`] runs the two until a time,
//!   until nothing is pending, or until a predicate holds. Simultaneous events fire in the order
//!   they were scheduled, and any scheduled event can be cancelled through its [`EventId`];
//! * [`RngStreams`]: independent random streams named under one master seed, so results do not
//!   change when a component is added and do not depend on the number of threads;
//! * [`Dist`]: exponential, uniform, normal, log-normal, Pareto, constant and empirical
//!   distributions with validated parameters;
//! * [`stats`]: Welford mean and variance, time-weighted averages, HDR-histogram quantiles,
//!   batch means and Student-t confidence intervals, all mergeable;
//! * [`replicate`]: independent replications on rayon, merged in a fixed order;
//! * [`geo`]: WGS84 latitude/longitude to local east-north-up metres and back;
//! * [`models`]: reference models with known answers (M/M/1, M/D/1, M/M/1/K, the hold model),
//!   used by the tests, the examples and the benchmarks.
//!
//! The crate does no IO and never reads the wall clock: time is whatever the caller says it is.
//!
//! # Three shapes of model
//!
//! The engine is generic over the model, and the model's event type is usually an enum, so a
//! simulator is a `match` with no virtual calls. The three simulators built on it have three
//! different shapes.
//!
//! ## A packet network: many small events carrying payloads
//!
//! Components live in vectors and events name them by index; packets travel inside events, by
//! value. This is the shape of the transport simulator, which handles millions of packet events.
//!
//! ```
//! use std::collections::VecDeque;
//! use sim_core::{Model, ScheduleError, Scheduler, SimDuration, SimTime, Simulation};
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq)]
//! struct LinkIdx(usize);
//!
//! #[derive(Debug)]
//! struct Packet { bytes: u32, sent_at: SimTime, hops_left: usize }
//!
//! enum NetEvent {
//!     /// A packet reaches the output queue of a link.
//!     Enqueue(LinkIdx, Packet),
//!     /// The link finished serialising the packet at the head of its queue.
//!     TxDone(LinkIdx),
//! }
//!
//! struct Link { rate_bps: u64, propagation: SimDuration, queue: VecDeque<Packet>, sent: u64 }
//!
//! struct Network { links: Vec<Link>, delivered: Vec<SimDuration> }
//!
//! impl Network {
//!     fn serialisation(link: &Link, p: &Packet) -> SimDuration {
//!         SimDuration::from_nanos(u64::from(p.bytes) * 8 * 1_000_000_000 / link.rate_bps)
//!     }
//! }
//!
//! impl Model for Network {
//!     type Event = NetEvent;
//!     type Error = ScheduleError;
//!
//!     fn handle(&mut self, ev: NetEvent, s: &mut Scheduler<NetEvent>) -> Result<(), ScheduleError> {
//!         match ev {
//!             NetEvent::Enqueue(l, packet) => {
//!                 let link = &mut self.links[l.0];
//!                 if link.queue.is_empty() {
//!                     s.schedule_in(Network::serialisation(link, &packet), NetEvent::TxDone(l))?;
//!                 }
//!                 link.queue.push_back(packet);
//!             }
//!             NetEvent::TxDone(l) => {
//!                 let link = &mut self.links[l.0];
//!                 let Some(mut packet) = link.queue.pop_front() else { return Ok(()) };
//!                 link.sent += 1;
//!                 if let Some(next) = link.queue.front() {
//!                     s.schedule_in(Network::serialisation(link, next), NetEvent::TxDone(l))?;
//!                 }
//!                 let propagation = link.propagation;
//!                 if packet.hops_left == 0 {
//!                     let arrival = s.now().saturating_add(propagation);
//!                     self.delivered.push(arrival.saturating_duration_since(packet.sent_at));
//!                 } else {
//!                     packet.hops_left -= 1;
//!                     s.schedule_in(propagation, NetEvent::Enqueue(LinkIdx(l.0 + 1), packet))?;
//!                 }
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let link = || Link {
//!     rate_bps: 8_000_000, // 1 byte per microsecond
//!     propagation: SimDuration::from_micros(100).expect("fits"),
//!     queue: VecDeque::new(),
//!     sent: 0,
//! };
//! let mut sim = Simulation::new(Network { links: vec![link(), link()], delivered: vec![] });
//! for _ in 0..3 {
//!     let packet = Packet { bytes: 1_000, sent_at: SimTime::ZERO, hops_left: 1 };
//!     sim.scheduler_mut().schedule_now(NetEvent::Enqueue(LinkIdx(0), packet));
//! }
//! sim.run()?;
//! // Three back-to-back 1 ms packets over two hops of 1 ms serialisation + 0.1 ms propagation:
//! // the first arrives at 2.2 ms and the others follow 1 ms apart.
//! let delays: Vec<String> = sim.model().delivered.iter().map(|d| d.to_string()).collect();
//! assert_eq!(delays, ["2.2ms", "3.2ms", "4.2ms"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## A settlement ledger: timers that get cancelled
//!
//! Usage records arrive; in batch mode they wait for the month-end clearing run, in per-session
//! mode they are settled on the next ledger block. Switching modes cancels the pending clearing
//! run through its [`EventId`] and starts the block clock instead.
//!
//! ```
//! use sim_core::{EventId, Model, ScheduleError, Scheduler, SimDuration, SimTime, Simulation};
//!
//! enum LedgerEvent { Record { amount_cents: i64 }, CloseBatch, Block, SwitchToPerSession }
//!
//! struct Ledger {
//!     open: Vec<(SimTime, i64)>,
//!     settled_cents: i64,
//!     latency_s: Vec<f64>,
//!     batch_close: Option<EventId>,
//!     block_interval: SimDuration,
//! }
//!
//! impl Ledger {
//!     fn settle_all(&mut self, now: SimTime) {
//!         for (t, amount) in self.open.drain(..) {
//!             self.settled_cents += amount;
//!             self.latency_s.push(now.saturating_duration_since(t).as_secs_f64());
//!         }
//!     }
//! }
//!
//! impl Model for Ledger {
//!     type Event = LedgerEvent;
//!     type Error = ScheduleError;
//!     fn handle(&mut self, ev: LedgerEvent, s: &mut Scheduler<LedgerEvent>) -> Result<(), ScheduleError> {
//!         match ev {
//!             LedgerEvent::Record { amount_cents } => self.open.push((s.now(), amount_cents)),
//!             LedgerEvent::CloseBatch => {
//!                 self.settle_all(s.now());
//!                 self.batch_close = None;
//!             }
//!             LedgerEvent::Block => {
//!                 self.settle_all(s.now());
//!                 s.schedule_in(self.block_interval, LedgerEvent::Block)?;
//!             }
//!             LedgerEvent::SwitchToPerSession => {
//!                 if let Some(id) = self.batch_close.take() {
//!                     s.cancel(id);
//!                 }
//!                 s.schedule_in(self.block_interval, LedgerEvent::Block)?;
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let hour = |h| SimTime::from_hours(h).expect("fits");
//! let mut sim = Simulation::new(Ledger {
//!     open: vec![],
//!     settled_cents: 0,
//!     latency_s: vec![],
//!     batch_close: None,
//!     block_interval: SimDuration::from_secs(10)?,
//! });
//! let s = sim.scheduler_mut();
//! let close = s.schedule_at(hour(720), LedgerEvent::CloseBatch)?; // month end
//! s.schedule_at(hour(1), LedgerEvent::Record { amount_cents: 250 })?;
//! s.schedule_at(hour(2), LedgerEvent::SwitchToPerSession)?;
//! s.schedule_at(SimTime::from_secs(3 * 3600 + 1)?, LedgerEvent::Record { amount_cents: 100 })?;
//! sim.model_mut().batch_close = Some(close);
//! sim.run_until(hour(4))?;
//! let ledger = sim.model();
//! assert_eq!(ledger.settled_cents, 350);
//! // The first record waited for the first block after the switch (at 2 h + 10 s); the second
//! // arrived 1 s after a block and waited 9 s for the next.
//! assert_eq!(ledger.latency_s, [3_610.0, 9.0]);
//! assert!(!sim.scheduler_mut().is_pending(close), "the month-end run was cancelled");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## A scenario timeline: what-ifs at absolute times, statistics per interval
//!
//! The replay engine advances interval by interval with [`Simulation::run_until`], reading and
//! resetting the model's statistics at each boundary, while what-if operations scheduled at
//! absolute times change the model between them. A handler that meets an impossible operation
//! returns an error, and the run stops with the time at which it happened.
//!
//! ```
//! use sim_core::{Model, RunError, Scheduler, SimTime, Simulation};
//!
//! enum Op { SetCapacityMbps(f64), FailLink, RestoreLink }
//!
//! struct Twin { capacity_mbps: f64, link_up: bool, demand_mbps: f64 }
//!
//! #[derive(Debug, thiserror::Error)]
//! #[error("capacity {0} Mbit/s is not positive")]
//! struct NotPositive(f64);
//!
//! impl Model for Twin {
//!     type Event = Op;
//!     type Error = NotPositive;
//!     fn handle(&mut self, op: Op, _: &mut Scheduler<Op>) -> Result<(), NotPositive> {
//!         match op {
//!             Op::SetCapacityMbps(c) if c > 0.0 => self.capacity_mbps = c,
//!             Op::SetCapacityMbps(c) => return Err(NotPositive(c)),
//!             Op::FailLink => self.link_up = false,
//!             Op::RestoreLink => self.link_up = true,
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let hour = |h| SimTime::from_hours(h).expect("fits");
//! let mut sim = Simulation::new(Twin { capacity_mbps: 100.0, link_up: true, demand_mbps: 80.0 });
//! let timeline = sim.scheduler_mut();
//! timeline.schedule_at(hour(2), Op::FailLink)?;
//! timeline.schedule_at(hour(3), Op::RestoreLink)?;
//! timeline.schedule_at(hour(4), Op::SetCapacityMbps(400.0))?;
//!
//! let mut utilisation = vec![];
//! for h in 1..=5 {
//!     // The state at the end of hour h; an operation at exactly h belongs to the next hour.
//!     sim.run_until(hour(h))?;
//!     let twin = sim.model();
//!     let capacity = if twin.link_up { twin.capacity_mbps } else { 0.0 };
//!     utilisation.push(if capacity > 0.0 { twin.demand_mbps / capacity } else { f64::INFINITY });
//! }
//! assert_eq!(utilisation, [0.8, 0.8, f64::INFINITY, 0.8, 0.2]);
//!
//! sim.scheduler_mut().schedule_at(hour(6), Op::SetCapacityMbps(-1.0))?;
//! match sim.run_until(hour(7)) {
//!     Err(RunError::Model { at, source }) => {
//!         assert_eq!(at, hour(6));
//!         assert_eq!(source.to_string(), "capacity -1 Mbit/s is not positive");
//!     }
//!     other => panic!("expected the bad operation to stop the run: {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod dist;
pub mod engine;
pub mod error_text;
pub mod geo;
pub mod models;
pub mod queue;
pub mod random;
pub mod replicate;
pub mod stats;
pub mod time;

/// The README's Rust examples, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub use dist::{Dist, DistError, Empirical, EmpiricalMode};
pub use engine::{Model, RunError, RunSummary, ScheduleError, Scheduler, Simulation, StopReason};
pub use queue::{EventId, EventQueue};
pub use random::{RngStreams, SimRng};
pub use time::{SimDuration, SimTime, TimeError};
