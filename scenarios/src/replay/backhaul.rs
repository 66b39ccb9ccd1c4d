//! The backhaul stage: each site's carried traffic (downlink plus uplink) is a demand from the
//! node it is homed to towards the core; the flow-level max-min model allocates every interval
//! on the state's topology (failures, restorations and capacity changes applied), and the
//! busiest intervals are simulated packet by packet for the delay percentiles and loss that the
//! fluid model cannot give.

use sim_core::RngStreams;
use transport::flow::{Demand, FlowModel};
use transport::routing::{Metric, Routing};
use transport::topology::NodeId;

use super::state::State;
use crate::error::ScenarioError;

/// One state's demands routed on its topology, ready to allocate intervals.
pub struct Backhaul {
    flow: FlowModel,
    /// Index into the flow model's links of each of the plan's links, in the plan's order.
    link_index: Vec<usize>,
}

/// One interval's backhaul.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkLoad {
    /// Utilisation of each of the plan's links (0 for links down).
    pub link_util: Vec<f32>,
    /// The highest of them.
    pub max_link_util: f64,
    /// Mean backhaul delay of the site demands, weighted by their delivered rates, ms.
    pub mean_delay_ms: f64,
}

impl Backhaul {
    /// Routes one demand per site of `state`, from its homing node to `core`, on the shortest
    /// paths by `metric`; `link_index` maps the plan's links to the topology's link indices.
    pub fn new(
        state: &State,
        core: NodeId,
        metric: Metric,
        link_index: &[usize],
    ) -> Result<Backhaul, ScenarioError> {
        let topo = &state.topology;
        let routing = Routing::compute(topo, metric);
        let demands: Vec<Demand> = state
            .homing
            .iter()
            .enumerate()
            .map(|(s, &src)| Demand { name: format!("site {s}"), src, dst: core })
            .collect();
        let flow = FlowModel::new(topo, &routing, &demands)?;
        Ok(Backhaul { flow, link_index: link_index.to_vec() })
    }

    /// Allocates one interval in which each site offers `site_bps`.
    pub fn allocate(&mut self, site_bps: &[f64]) -> Result<LinkLoad, ScenarioError> {
        let alloc = self.flow.allocate(site_bps)?;
        let mut link_util = Vec::with_capacity(self.link_index.len());
        let mut max_link = 0.0f64;
        for &li in &self.link_index {
            let u = alloc.link_utilisation.get(li).copied().unwrap_or(0.0);
            link_util.push(u as f32);
            max_link = max_link.max(u);
        }
        let (mut dsum, mut wsum) = (0.0, 0.0);
        for (d, &rate) in alloc.delivered_bps.iter().enumerate() {
            let delay = alloc.demand_delay_s[d];
            if rate > 0.0 && delay.is_finite() {
                dsum += rate * delay;
                wsum += rate;
            }
        }
        let mean_delay_ms = if wsum > 0.0 { 1e3 * dsum / wsum } else { 0.0 };
        Ok(LinkLoad { link_util, max_link_util: max_link, mean_delay_ms })
    }
}

/// A busy interval simulated packet by packet: Poisson packets (1 000 bytes mean, exponential)
/// at each site's carried rate, from its homing node to the core, on the interval's topology.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BusyInterval {
    /// Interval index.
    pub interval: usize,
    /// The flow model's busiest link utilisation in it.
    pub flow_max_link_util: f64,
    /// Median packet delay over all sites' packets, ms.
    pub delay_p50_ms: f64,
    /// 99th percentile of the same, ms.
    pub delay_p99_ms: f64,
    /// Lost over sent packets.
    pub loss: f64,
    /// Packets simulated.
    pub packets: u64,
}

/// How a busy interval is simulated.
#[derive(Debug, Clone, Copy)]
pub struct PacketRun {
    /// Simulated seconds (after a tenth as much warm-up).
    pub seconds: f64,
    /// The core node.
    pub core: NodeId,
    /// The scenario's master seed.
    pub seed: u64,
    /// What the routes minimise, as in the flow model.
    pub metric: Metric,
}

/// The `n` intervals with the highest link utilisation, simulated packet by packet, in
/// interval order. `max_link_util` is per interval; `state_at(k)` is interval `k`'s state and
/// `site_bps(k)` its sites' carried rates.
pub fn busy_intervals<'s>(
    n: usize,
    max_link_util: &[f64],
    state_at: impl Fn(usize) -> &'s State,
    site_bps: impl Fn(usize) -> &'s [f32],
    run: PacketRun,
) -> Result<Vec<BusyInterval>, ScenarioError> {
    let mut order: Vec<usize> = (0..max_link_util.len()).collect();
    order.sort_by(|&a, &b| max_link_util[b].total_cmp(&max_link_util[a]).then(a.cmp(&b)));
    let mut busy = Vec::new();
    for &k in order.iter().take(n) {
        busy.push(packet_interval(state_at(k), k, site_bps(k), max_link_util[k], run)?);
    }
    busy.sort_by_key(|b| b.interval);
    Ok(busy)
}

/// Simulates interval `k` of `state` packet by packet.
fn packet_interval(
    state: &State,
    k: usize,
    site_bps: &[f32],
    flow_util: f64,
    run: PacketRun,
) -> Result<BusyInterval, ScenarioError> {
    use sim_core::stats::Merge;
    use transport::packet::{FlowSpec, PacketConfig, PacketSize, Traffic, simulate};
    let mean_bytes = 1000.0;
    let mut flows = Vec::new();
    for (s, &src) in state.homing.iter().enumerate() {
        let bps = f64::from(site_bps.get(s).copied().unwrap_or(0.0));
        if bps <= 0.0 || src == run.core {
            continue;
        }
        let traffic = Traffic::Poisson {
            rate_pps: bps / (8.0 * mean_bytes),
            size: PacketSize::Exponential { mean_bytes },
        };
        flows.push(FlowSpec::new(&format!("site {s}"), src, run.core, traffic));
    }
    let none = BusyInterval {
        interval: k,
        flow_max_link_util: flow_util,
        delay_p50_ms: 0.0,
        delay_p99_ms: 0.0,
        loss: 0.0,
        packets: 0,
    };
    if flows.is_empty() {
        return Ok(none);
    }
    let config = PacketConfig {
        duration: sim_core::SimDuration::from_secs_f64(run.seconds)?,
        warmup: sim_core::SimDuration::from_secs_f64(run.seconds / 10.0)?,
        // Each busy interval its own namespace of the scenario's streams.
        streams: RngStreams::new(run.seed).child_indexed("busy-interval", k as u64),
        metric: run.metric,
        ..PacketConfig::default()
    };
    let report = simulate(&state.topology, &flows, &config)
        .map_err(|source| ScenarioError::Packet { interval: k, source })?;
    let mut all = sim_core::stats::DurationHistogram::new();
    let (mut lost, mut sent) = (0u64, 0u64);
    for f in &report.flows {
        all.merge(&f.delay);
        lost += f.lost;
        sent += f.generated;
    }
    let q = |p: f64| if all.count() == 0 { 0.0 } else { 1e3 * all.quantile(p).as_secs_f64() };
    Ok(BusyInterval {
        delay_p50_ms: q(0.5),
        delay_p99_ms: q(0.99),
        loss: if sent > 0 { lost as f64 / sent as f64 } else { 0.0 },
        packets: report.packets,
        ..none
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testing::small_plan;

    fn link_index(state: &State) -> Vec<usize> {
        state.topology.link_ids().iter().map(|l| l.0 as usize).collect()
    }

    #[test]
    fn sites_load_the_links_towards_the_core_and_a_failure_moves_them() {
        let plan = small_plan();
        let core = plan.core.unwrap();
        let state = State::baseline(&plan);
        let idx = link_index(&state);
        let mut b = Backhaul::new(&state, core, Metric::Delay, &idx).unwrap();
        let rates = vec![1e8; state.homing.len()];
        let l = b.allocate(&rates).unwrap();
        assert_eq!(l.link_util.len(), idx.len());
        assert!(l.max_link_util > 0.0 && l.max_link_util < 1.0);
        assert!(l.mean_delay_ms > 0.0);
        let idle = b.allocate(&vec![0.0; state.homing.len()]).unwrap();
        assert_eq!((idle.max_link_util, idle.mean_delay_ms), (0.0, 0.0));
        // Fail the busiest link: the traffic takes another way (the ring is closed).
        let busiest = l.link_util.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let mut failed = state.clone();
        failed.topology.fail_link(state.topology.link_ids()[busiest]).unwrap();
        let l2 =
            Backhaul::new(&failed, core, Metric::Delay, &idx).unwrap().allocate(&rates).unwrap();
        assert_eq!(l2.link_util[busiest], 0.0);
        assert!(l2.max_link_util > 0.0);
    }

    #[test]
    fn igp_weights_steer_the_routes_only_when_the_scenario_routes_by_them() {
        let plan = small_plan();
        assert_eq!(plan.routing, Metric::Delay, "the default");
        let core = plan.core.unwrap();
        let mut state = State::baseline(&plan);
        let idx = link_index(&state);
        let rates = vec![1e8; state.homing.len()];
        let by_delay = |s: &State| {
            Backhaul::new(s, core, Metric::Delay, &idx).unwrap().allocate(&rates).unwrap()
        };
        let before = by_delay(&state);
        let busiest =
            before.link_util.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let link = state.topology.link_ids()[busiest];
        state.topology.link_mut(link).unwrap().igp_weight = 1e3;
        assert_eq!(by_delay(&state), before, "delay routing ignores the IGP weights");
        let by_igp =
            Backhaul::new(&state, core, Metric::IgpWeight, &idx).unwrap().allocate(&rates).unwrap();
        assert_eq!(by_igp.link_util[busiest], 0.0, "the IGP avoids its heavy link");
        assert!(by_igp.max_link_util > 0.0);
    }

    #[test]
    fn the_busiest_intervals_are_simulated_in_interval_order_and_reproducibly() {
        let plan = small_plan();
        let state = State::baseline(&plan);
        let run = PacketRun {
            seconds: 0.2,
            core: plan.core.unwrap(),
            seed: plan.seed,
            metric: plan.routing,
        };
        let rates = vec![2e8f32; state.homing.len()];
        let util = [0.1, 0.5, 0.3, 0.5];
        let go = || busy_intervals(2, &util, |_| &state, |_| &rates, run).unwrap();
        let busy = go();
        assert_eq!(busy.iter().map(|b| b.interval).collect::<Vec<_>>(), [1, 3]);
        assert!(busy.iter().all(|b| b.packets > 0 && b.delay_p99_ms >= b.delay_p50_ms));
        assert_eq!(busy, go(), "same seed, same packets");
        assert_ne!(busy[0].packets, busy[1].packets, "each interval its own random stream");
    }
}
