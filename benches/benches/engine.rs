//! Event-engine benchmarks: the hold model at three queue sizes, and timer re-arming (schedule +
//! cancel), reported as events per second.
//!
//! ```text
//! cargo bench -p twin-benches --bench engine
//! ```
//!
//! The hold model keeps `pending` events in the queue; each handled event schedules its
//! replacement after an exponential delay (mean 1 s). Each benchmark iteration handles
//! `EVENTS_PER_ITER` events on a simulation that was built and warmed up once, so the figure is the
//! steady-state cost of one pop, one push and one draw at that queue size.

use std::convert::Infallible;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sim_core::models::hold::Hold;
use sim_core::{Dist, EventId, Model, RngStreams, Scheduler, SimDuration, SimRng, Simulation};

const EVENTS_PER_ITER: u64 = 100_000;

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(EVENTS_PER_ITER));
    group.sample_size(30);
    for pending in [100usize, 1_000, 100_000] {
        let delay = Dist::exponential(1.0).expect("rate 1 is valid");
        let mut sim = Hold::simulation(delay, &RngStreams::new(1), pending)
            .expect("the hold model schedules its initial events");
        // Warm up past the initial transient so that every sample sees the stationary queue.
        sim.run_events(10 * pending as u64).expect("hold model runs");
        group.bench_with_input(BenchmarkId::from_parameter(pending), &pending, |b, _| {
            b.iter(|| black_box(sim.run_events(EVENTS_PER_ITER).expect("hold model runs")))
        });
    }
    group.finish();
}

/// Hold with a watchdog per holder: every work event re-arms its holder's timeout, cancelling the
/// old one, the way a transport protocol re-arms its retransmission timer on every ACK.
struct TimerHold {
    rng: SimRng,
    work: Dist,
    timeout: SimDuration,
    timers: Vec<Option<EventId>>,
    timeouts_fired: u64,
}

#[derive(Clone, Copy)]
enum TimerEvent {
    Work(u32),
    Timeout(u32),
}

impl Model for TimerHold {
    type Event = TimerEvent;
    type Error = Infallible;

    #[inline]
    fn handle(&mut self, ev: TimerEvent, s: &mut Scheduler<TimerEvent>) -> Result<(), Infallible> {
        match ev {
            TimerEvent::Work(h) => {
                let d = self.work.sample_duration(&mut self.rng).unwrap_or(SimDuration::ZERO);
                let _ = s.schedule_in(d, TimerEvent::Work(h));
                if let Some(old) = self.timers[h as usize].take() {
                    s.cancel(old);
                }
                self.timers[h as usize] = s.schedule_in(self.timeout, TimerEvent::Timeout(h)).ok();
            }
            TimerEvent::Timeout(h) => {
                self.timeouts_fired += 1;
                self.timers[h as usize] = None;
            }
        }
        Ok(())
    }
}

fn schedule_cancel(c: &mut Criterion) {
    let mut group = c.benchmark_group("schedule_cancel");
    group.throughput(Throughput::Elements(EVENTS_PER_ITER));
    group.sample_size(30);
    let holders = 1_000u32;
    let streams = RngStreams::new(2);
    let mut sim = Simulation::new(TimerHold {
        rng: streams.stream("work"),
        work: Dist::exponential(1.0).expect("rate 1 is valid"),
        timeout: SimDuration::from_secs(5).expect("5 s fits"),
        timers: vec![None; holders as usize],
        timeouts_fired: 0,
    });
    for h in 0..holders {
        sim.scheduler_mut().schedule_now(TimerEvent::Work(h));
    }
    sim.run_events(10 * u64::from(holders)).expect("timer model runs");
    group.bench_function("rearm_1000", |b| {
        b.iter(|| black_box(sim.run_events(EVENTS_PER_ITER).expect("timer model runs")))
    });
    group.finish();
}

criterion_group!(benches, hold, schedule_cancel);
criterion_main!(benches);
