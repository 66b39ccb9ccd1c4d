//! The run driver: a packet-level simulation built (settings checked and the network set up by
//! `setup`), run in steps on the event model (`sim`), and reported (`report`).

use sim_core::{RunError, SimTime, Simulation};

use super::sim::Net;
use super::{FlowSpec, PacketConfig, PacketReport, config_error, setup};
use crate::error::TrafficError;
use crate::topology::Topology;

/// A packet-level run in progress: build it, run it in steps (for progress reports), then take
/// the report. [`simulate`] does all three.
#[derive(Debug)]
pub struct PacketSimulation {
    sim: Simulation<Net>,
    end: SimTime,
}

fn run_error(e: RunError<TrafficError>) -> TrafficError {
    match e {
        RunError::Model { source, .. } => source,
        other => config_error(other.to_string()),
    }
}

impl PacketSimulation {
    /// Checks the flows and settings, routes the flows and schedules their sources.
    pub fn new(
        topo: &Topology,
        flows: &[FlowSpec],
        cfg: &PacketConfig,
    ) -> Result<PacketSimulation, TrafficError> {
        let settled = setup::settle(topo, flows, cfg)?;
        let end = SimTime::from_nanos(settled.window.end);
        let mut sim = Simulation::new(Net::build(topo, cfg, settled));
        let (net, sched) = sim.parts_mut();
        net.schedule_start(&cfg.timeline, sched)?;
        Ok(PacketSimulation { sim, end })
    }

    /// The end of the run (warm-up plus duration).
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// The simulated time reached.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// Runs up to `t` (at most the end).
    pub fn run_until(&mut self, t: SimTime) -> Result<(), TrafficError> {
        let t = t.min(self.end).max(self.sim.now());
        self.sim.run_until(t).map_err(run_error)?;
        Ok(())
    }

    /// Runs to the end and reports.
    pub fn finish(mut self) -> Result<PacketReport, TrafficError> {
        let end = self.end;
        self.run_until(end)?;
        let events = self.sim.events_handled();
        Ok(self.sim.into_model().into_report(events))
    }
}

/// Simulates `flows` on `topo` with `config` and reports.
pub fn simulate(
    topo: &Topology,
    flows: &[FlowSpec],
    config: &PacketConfig,
) -> Result<PacketReport, TrafficError> {
    PacketSimulation::new(topo, flows, config)?.finish()
}
