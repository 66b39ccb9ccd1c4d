//! The discrete-event engine: a [`Model`] (plain Rust value) that handles its events, a
//! [`Scheduler`] that holds the clock and the pending events, and a [`Simulation`] that drives one
//! with the other.
//!
//! ```text
//!            ┌──────────── Simulation<M> ─────────────┐
//!            │                                        │
//!  run_until │  Scheduler { now, EventQueue<M::Event> } ──pop earliest──┐
//!  run       │        ▲                                                 │
//!  step      │        │ schedule_at / schedule_in / cancel              ▼
//!            │        └──────────── M::handle(event, &mut Scheduler) ◄──┘
//!            └────────────────────────────────────────┘
//! ```
//!
//! The model's event type is usually an enum, one variant per kind of happening, carrying indices
//! of the components it concerns (`LinkIdx`, `SourceIdx`) and any payload (a packet). Dispatch is a
//! `match`, so the engine makes no virtual calls and the compiler can inline handlers into the
//! loop. The clock is passed to the model through the scheduler; the model never reads a wall
//! clock.

use crate::queue::{EventId, EventQueue};
use crate::time::{SimDuration, SimTime};

/// Why an event could not be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The requested time is before the current simulated time; the engine never goes back.
    #[error("cannot schedule an event at {at}: the simulation clock is already at {now}")]
    InPast {
        /// The requested time.
        at: SimTime,
        /// The clock when the request was made.
        now: SimTime,
    },
    /// The current time plus the delay does not fit in simulated time (about 584 years).
    #[error("cannot schedule an event {delay} after {now}: simulated time would overflow")]
    Overflow {
        /// The clock when the request was made.
        now: SimTime,
        /// The requested delay.
        delay: SimDuration,
    },
}

/// Why a run stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E> {
    /// The model's handler returned an error; the event that caused it has been consumed and the
    /// clock stands at its time.
    #[error("the model failed at {at}")]
    Model {
        /// The time of the event whose handler failed.
        at: SimTime,
        /// The model's own error.
        #[source]
        source: E,
    },
    /// `run_until` was asked to stop at a time that has already passed.
    #[error("cannot run until {stop}: the simulation clock is already at {now}")]
    StopInPast {
        /// The requested stop time.
        stop: SimTime,
        /// The clock when the request was made.
        now: SimTime,
    },
}

/// A simulated system: it owns its state and reacts to its events by changing that state and
/// scheduling more events.
///
/// Handlers take the event by value, so a packet moves from the queue into the handler without
/// copies, and return `Result` so that a model driven by user data (a timeline of what-if
/// operations, say) can stop the run with a proper error. Models that cannot fail use
/// [`std::convert::Infallible`] or [`ScheduleError`].
pub trait Model {
    /// What happens in this model; usually an enum.
    type Event;
    /// What a handler can fail with.
    type Error;

    /// Reacts to one event at time `sched.now()`.
    fn handle(
        &mut self,
        event: Self::Event,
        sched: &mut Scheduler<Self::Event>,
    ) -> Result<(), Self::Error>;
}

/// The clock and the pending events; what a handler uses to look at the time and plan the future.
#[derive(Debug, Clone)]
pub struct Scheduler<E> {
    now: SimTime,
    queue: EventQueue<E>,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new(SimTime::ZERO)
    }
}

impl<E> Scheduler<E> {
    /// A scheduler whose clock starts at `start`, with nothing pending.
    pub fn new(start: SimTime) -> Self {
        Scheduler { now: start, queue: EventQueue::new() }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at the absolute time `at`, which must not be in the past. Events at the
    /// same time fire in the order they were scheduled.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<EventId, ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        Ok(self.queue.push(at, event))
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> Result<EventId, ScheduleError> {
        let at =
            self.now.checked_add(delay).ok_or(ScheduleError::Overflow { now: self.now, delay })?;
        Ok(self.queue.push(at, event))
    }

    /// Schedules `event` at the current time, after every event already scheduled for now.
    #[inline]
    pub fn schedule_now(&mut self, event: E) -> EventId {
        self.queue.push(self.now, event)
    }

    /// Cancels a pending event and hands back its payload; `None` if it already fired or was
    /// cancelled.
    #[inline]
    pub fn cancel(&mut self, id: EventId) -> Option<E> {
        self.queue.cancel(id)
    }

    /// True if the event has neither fired nor been cancelled.
    pub fn is_pending(&self, id: EventId) -> bool {
        self.queue.is_pending(id)
    }

    /// The payload of a pending event, to amend it before it fires.
    pub fn pending_event_mut(&mut self, id: EventId) -> Option<&mut E> {
        self.queue.get_mut(id)
    }

    /// The number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The time of the next pending event, if any.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }
}

/// Why a run returned normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// No event is pending.
    Empty,
    /// The stop time was reached; the clock now reads it.
    ReachedTime,
    /// The stop predicate returned true after an event.
    Predicate,
    /// The requested number of events was handled.
    EventBudget,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Why it stopped.
    pub reason: StopReason,
    /// Events handled by this call.
    pub events: u64,
    /// The clock when it stopped.
    pub now: SimTime,
}

/// A model and its scheduler, run together.
///
/// ```
/// use sim_core::{Model, ScheduleError, Scheduler, SimDuration, SimTime, Simulation, StopReason};
///
/// /// Counts ticks of a clock that ticks every second.
/// struct Ticker { ticks: u32 }
///
/// impl Model for Ticker {
///     type Event = ();
///     type Error = ScheduleError;
///     fn handle(&mut self, _: (), sched: &mut Scheduler<()>) -> Result<(), ScheduleError> {
///         self.ticks += 1;
///         sched.schedule_in(SimDuration::from_secs(1).expect("1 s fits"), ())?;
///         Ok(())
///     }
/// }
///
/// let mut sim = Simulation::new(Ticker { ticks: 0 });
/// sim.scheduler_mut().schedule_now(());
/// let summary = sim.run_until(SimTime::from_secs(10)?)?;
/// // Ticks at 0, 1, ..., 9 s; the one at 10 s belongs to the next window.
/// assert_eq!(sim.model().ticks, 10);
/// assert_eq!(summary.reason, StopReason::ReachedTime);
/// assert_eq!(sim.now(), SimTime::from_secs(10)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Simulation<M: Model> {
    model: M,
    sched: Scheduler<M::Event>,
    events_handled: u64,
}

impl<M: Model> Simulation<M> {
    /// A simulation of `model` with the clock at zero and nothing scheduled.
    pub fn new(model: M) -> Self {
        Self::starting_at(model, SimTime::ZERO)
    }

    /// A simulation of `model` with the clock at `start` (a replay that begins mid-year, say).
    pub fn starting_at(model: M, start: SimTime) -> Self {
        Simulation { model, sched: Scheduler::new(start), events_handled: 0 }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.sched.now
    }

    /// The model, to read its state between runs.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The model, to change it between runs (a what-if applied from outside the event loop).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The scheduler, to seed initial events or cancel pending ones between runs.
    pub fn scheduler_mut(&mut self) -> &mut Scheduler<M::Event> {
        &mut self.sched
    }

    /// The model and the scheduler at once, for set-up code that needs both.
    pub fn parts_mut(&mut self) -> (&mut M, &mut Scheduler<M::Event>) {
        (&mut self.model, &mut self.sched)
    }

    /// Events handled since the simulation was created.
    pub fn events_handled(&self) -> u64 {
        self.events_handled
    }

    /// Gives back the model, dropping whatever was still pending.
    pub fn into_model(self) -> M {
        self.model
    }

    #[inline]
    fn dispatch(&mut self, at: SimTime, event: M::Event) -> Result<(), RunError<M::Error>> {
        self.sched.now = at;
        self.events_handled += 1;
        self.model.handle(event, &mut self.sched).map_err(|source| RunError::Model { at, source })
    }

    /// Handles the next event, if any, and returns its time.
    pub fn step(&mut self) -> Result<Option<SimTime>, RunError<M::Error>> {
        match self.sched.queue.pop() {
            Some((at, event)) => self.dispatch(at, event).map(|()| Some(at)),
            None => Ok(None),
        }
    }

    /// Runs until no event is pending.
    pub fn run(&mut self) -> Result<RunSummary, RunError<M::Error>> {
        let start = self.events_handled;
        while let Some((at, event)) = self.sched.queue.pop() {
            self.dispatch(at, event)?;
        }
        Ok(self.summary(StopReason::Empty, start))
    }

    /// Handles every event strictly before `stop`, then sets the clock to `stop`.
    ///
    /// Events at exactly `stop` stay pending, so consecutive calls with the boundaries of replay
    /// intervals (`run_until(t1)`, `run_until(t2)`, ...) give each event to exactly one interval,
    /// and the model's statistics read between calls cover `[t_k, t_k+1)`.
    pub fn run_until(&mut self, stop: SimTime) -> Result<RunSummary, RunError<M::Error>> {
        if stop < self.sched.now {
            return Err(RunError::StopInPast { stop, now: self.sched.now });
        }
        let start = self.events_handled;
        while let Some((at, event)) = self.sched.queue.pop_before(stop) {
            self.dispatch(at, event)?;
        }
        self.sched.now = stop;
        Ok(self.summary(StopReason::ReachedTime, start))
    }

    /// Runs until `stop` returns true; it is asked after every event, with the model and the
    /// clock. Stops early if no event is pending.
    pub fn run_until_pred(
        &mut self,
        mut stop: impl FnMut(&M, SimTime) -> bool,
    ) -> Result<RunSummary, RunError<M::Error>> {
        let start = self.events_handled;
        while let Some((at, event)) = self.sched.queue.pop() {
            self.dispatch(at, event)?;
            if stop(&self.model, at) {
                return Ok(self.summary(StopReason::Predicate, start));
            }
        }
        Ok(self.summary(StopReason::Empty, start))
    }

    /// Handles at most `n` events.
    pub fn run_events(&mut self, n: u64) -> Result<RunSummary, RunError<M::Error>> {
        let start = self.events_handled;
        for _ in 0..n {
            match self.sched.queue.pop() {
                Some((at, event)) => self.dispatch(at, event)?,
                None => return Ok(self.summary(StopReason::Empty, start)),
            }
        }
        Ok(self.summary(StopReason::EventBudget, start))
    }

    fn summary(&self, reason: StopReason, start: u64) -> RunSummary {
        RunSummary { reason, events: self.events_handled - start, now: self.sched.now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// Records the order in which events fire.
    struct Recorder {
        log: Vec<(SimTime, u32)>,
    }

    impl Model for Recorder {
        type Event = u32;
        type Error = Infallible;
        fn handle(&mut self, event: u32, sched: &mut Scheduler<u32>) -> Result<(), Infallible> {
            self.log.push((sched.now(), event));
            Ok(())
        }
    }

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s).unwrap()
    }

    #[test]
    fn equal_times_fire_in_scheduling_order() {
        let mut sim = Simulation::new(Recorder { log: vec![] });
        for i in 0..100 {
            sim.scheduler_mut().schedule_at(secs(1 + i % 3), i as u32).unwrap();
        }
        sim.run().unwrap();
        let log = &sim.model().log;
        assert_eq!(log.len(), 100);
        for pair in log.windows(2) {
            assert!(pair[0].0 < pair[1].0 || (pair[0].0 == pair[1].0 && pair[0].1 < pair[1].1));
        }
    }

    #[test]
    fn past_and_overflow_are_errors() {
        let mut sim = Simulation::starting_at(Recorder { log: vec![] }, secs(5));
        let sched = sim.scheduler_mut();
        let err = sched.schedule_at(secs(4), 0).unwrap_err();
        assert_eq!(err, ScheduleError::InPast { at: secs(4), now: secs(5) });
        assert_eq!(
            err.to_string(),
            "cannot schedule an event at 4s: the simulation clock is already at 5s"
        );
        assert!(matches!(
            sched.schedule_in(SimDuration::MAX, 0),
            Err(ScheduleError::Overflow { .. })
        ));
        assert!(matches!(sim.run_until(secs(1)), Err(RunError::StopInPast { .. })));
        assert_eq!(sim.scheduler_mut().pending(), 0, "failed requests schedule nothing");
    }

    #[test]
    fn run_until_is_exclusive_and_moves_the_clock() {
        let mut sim = Simulation::new(Recorder { log: vec![] });
        for s in [1, 2, 3] {
            sim.scheduler_mut().schedule_at(secs(s), s as u32).unwrap();
        }
        let summary = sim.run_until(secs(2)).unwrap();
        assert_eq!(
            summary,
            RunSummary { reason: StopReason::ReachedTime, events: 1, now: secs(2) }
        );
        let summary = sim.run_until(secs(10)).unwrap();
        assert_eq!(summary.events, 2);
        assert_eq!(sim.now(), secs(10));
    }

    #[test]
    fn predicate_and_budget_stop_runs() {
        let mut sim = Simulation::new(Recorder { log: vec![] });
        for s in 0..10 {
            sim.scheduler_mut().schedule_at(secs(s), s as u32).unwrap();
        }
        let summary = sim.run_until_pred(|m, _| m.log.len() == 3).unwrap();
        assert_eq!(summary.reason, StopReason::Predicate);
        assert_eq!(sim.now(), secs(2));
        let summary = sim.run_events(4).unwrap();
        assert_eq!((summary.reason, summary.events), (StopReason::EventBudget, 4));
        let summary = sim.run_events(100).unwrap();
        assert_eq!((summary.reason, summary.events), (StopReason::Empty, 3));
        assert_eq!(sim.step().unwrap(), None);
        assert_eq!(sim.events_handled(), 10);
    }

    #[test]
    fn cancelled_events_never_fire() {
        let mut sim = Simulation::new(Recorder { log: vec![] });
        let ids: Vec<_> =
            (0..10).map(|s| sim.scheduler_mut().schedule_at(secs(s), s as u32).unwrap()).collect();
        for id in ids.iter().step_by(2) {
            assert!(sim.scheduler_mut().cancel(*id).is_some());
        }
        sim.run().unwrap();
        let fired: Vec<u32> = sim.model().log.iter().map(|e| e.1).collect();
        assert_eq!(fired, [1, 3, 5, 7, 9]);
    }

    #[test]
    fn model_errors_stop_the_run_with_the_time() {
        struct Failing;
        impl Model for Failing {
            type Event = ();
            type Error = &'static str;
            fn handle(&mut self, _: (), _: &mut Scheduler<()>) -> Result<(), &'static str> {
                Err("boom")
            }
        }
        let mut sim = Simulation::new(Failing);
        sim.scheduler_mut().schedule_at(secs(3), ()).unwrap();
        match sim.run() {
            Err(RunError::Model { at, source }) => assert_eq!((at, source), (secs(3), "boom")),
            other => panic!("expected a model error, got {other:?}"),
        }
    }
}
