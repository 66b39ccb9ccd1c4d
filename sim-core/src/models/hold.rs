//! The hold model: the standard benchmark of event-list performance.
//!
//! `n` events are pending at all times; handling one schedules its replacement after a delay
//! drawn from an exponential distribution. The queue's size never changes, so the measured rate
//! is the cost of one pop, one push and one draw at that size.

use crate::dist::Dist;
use crate::engine::{Model, Scheduler, Simulation};
use crate::random::{RngStreams, SimRng};

use super::ModelError;

/// The hold model's state: the delay distribution, its random stream and a count of events.
#[derive(Debug, Clone)]
pub struct Hold {
    delay: Dist,
    rng: SimRng,
    handled: u64,
}

impl Hold {
    /// A hold model whose events reschedule themselves after `delay` (in seconds).
    pub fn new(delay: Dist, streams: &RngStreams) -> Hold {
        Hold { delay, rng: streams.stream("hold"), handled: 0 }
    }

    /// Events handled so far.
    pub fn handled(&self) -> u64 {
        self.handled
    }

    /// A simulation with `pending` events already scheduled, each at a delay drawn from the
    /// distribution; ready to run.
    pub fn simulation(
        delay: Dist,
        streams: &RngStreams,
        pending: usize,
    ) -> Result<Simulation<Hold>, ModelError> {
        let mut sim = Simulation::new(Hold::new(delay, streams));
        let (model, sched) = sim.parts_mut();
        for _ in 0..pending {
            let d = model.delay.sample_duration(&mut model.rng)?;
            sched.schedule_in(d, ())?;
        }
        Ok(sim)
    }
}

impl Model for Hold {
    type Event = ();
    type Error = ModelError;

    #[inline]
    fn handle(&mut self, _: (), sched: &mut Scheduler<()>) -> Result<(), ModelError> {
        self.handled += 1;
        let d = self.delay.sample_duration(&mut self.rng)?;
        sched.schedule_in(d, ())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_pending_count_constant() {
        let streams = RngStreams::new(1);
        let mut sim = Hold::simulation(Dist::exponential(1.0).unwrap(), &streams, 100).unwrap();
        sim.run_events(10_000).unwrap();
        assert_eq!(sim.model().handled(), 10_000);
        assert_eq!(sim.scheduler_mut().pending(), 100);
        // Each of the 100 events fires about once per unit of time.
        let t = sim.now().as_secs_f64();
        assert!((t - 100.0).abs() < 10.0, "10 000 events of 100 rate-1 holders took {t} s");
    }
}
