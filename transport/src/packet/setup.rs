//! Setting up a packet-level run: the settings and the flows are checked stage by stage, in a
//! fixed order (so that a run with several problems always reports the same first one), then the
//! network is built and routed and its first events are scheduled.
//!
//! ```text
//!  PacketConfig, FlowSpec[] ──settle──▶ Settled { window, flows, streams }
//!                                          │
//!                                     Net::build: link states, routes, chained links
//!                                          ▼
//!                                         Net ──schedule_start──▶ first Gen and Op events
//! ```

use sim_core::{Dist, DistError, RngStreams, Scheduler, SimTime};

use super::link::Window;
use super::sim::{Ev, FlowCounters, FlowState, NO_PATH, Net, Source, ns, secs_to_ns};
use super::tcp::TcpSender;
use super::{FlowSpec, PacketConfig, PacketSize, QueueLimit, Traffic, config_error};
use crate::error::TrafficError;
use crate::topology::Topology;
use crate::whatif::Timeline;

/// What the checks leave: the measurement window, one state per flow (not yet routed), and the
/// run's random streams.
#[derive(Debug)]
pub(super) struct Settled {
    pub(super) window: Window,
    pub(super) flows: Vec<FlowState>,
    pub(super) streams: RngStreams,
}

/// Checks the settings and the flows against `topo`, and builds the flows' states.
pub(super) fn settle(
    topo: &Topology,
    flows: &[FlowSpec],
    cfg: &PacketConfig,
) -> Result<Settled, TrafficError> {
    let window = window(cfg)?;
    check_queues(topo, cfg)?;
    check_timeline(topo, &cfg.timeline, window.end)?;
    check_node_bound(topo)?;
    let streams = cfg.streams.clone();
    let flows = flow_states(topo, flows, window.end, &streams)?;
    Ok(Settled { window, flows, streams })
}

/// The measurement window `[warmup, warmup + duration)` and its queue time-series bin.
fn window(cfg: &PacketConfig) -> Result<Window, TrafficError> {
    let start = ns(cfg.warmup);
    let end = start
        .checked_add(ns(cfg.duration))
        .ok_or_else(|| config_error("warm-up plus duration overflows simulated time"))?;
    if cfg.duration.is_zero() {
        return Err(config_error("the measured duration must be > 0"));
    }
    let bin = match cfg.queue_bin {
        Some(b) if b.is_zero() => {
            return Err(config_error("the queue time-series bin must be > 0"));
        }
        Some(b) => ns(b),
        None => (end - start).div_ceil(200).max(1),
    };
    if (end - start).div_ceil(bin) > 10_000_000 {
        return Err(config_error(
            "more than 10 million queue time-series bins per link; choose a wider bin",
        ));
    }
    Ok(Window { start, end, bin })
}

/// Checks every queue setting, the per-link overrides first, then the default.
fn check_queues(topo: &Topology, cfg: &PacketConfig) -> Result<(), TrafficError> {
    let queues = cfg
        .queue_overrides
        .iter()
        .map(|(l, q)| (Some(*l), q))
        .chain(cfg.default_queue.as_ref().map(|q| (None, q)));
    for (l, q) in queues {
        if let Some(l) = l
            && topo.link(l).is_err()
        {
            return Err(config_error(format!(
                "a queue setting names link #{}, which does not exist",
                l.0
            )));
        }
        if let Some(red) = &q.red {
            red.validate().map_err(|reason| TrafficError::InvalidQueue { reason })?;
        }
        if q.limit == QueueLimit::Packets(0) || q.limit == QueueLimit::Bytes(0) {
            return Err(config_error("a queue must hold at least one packet"));
        }
    }
    Ok(())
}

/// Checks that every what-if operation falls before `end_ns` and applies to `topo`.
fn check_timeline(topo: &Topology, timeline: &Timeline, end_ns: u64) -> Result<(), TrafficError> {
    for (at, op) in timeline.iter() {
        if at.as_nanos() >= end_ns {
            return Err(config_error(format!(
                "what-if operation at {at} is after the end of the run ({})",
                SimTime::from_nanos(end_ns)
            )));
        }
        op.check(topo).map_err(|e| config_error(format!("what-if operation at {at}: {e}")))?;
    }
    Ok(())
}

/// The packet model takes topologies of up to `u16::MAX` nodes.
fn check_node_bound(topo: &Topology) -> Result<(), TrafficError> {
    if topo.node_bound() > usize::from(u16::MAX) {
        return Err(config_error(format!(
            "the packet model takes topologies of up to {} nodes; this one has {}",
            u16::MAX,
            topo.node_bound()
        )));
    }
    Ok(())
}

/// Checks every flow, in order, and builds its state.
fn flow_states(
    topo: &Topology,
    flows: &[FlowSpec],
    end_ns: u64,
    streams: &RngStreams,
) -> Result<Vec<FlowState>, TrafficError> {
    let mut states = Vec::with_capacity(flows.len());
    if flows.len() >= u32::MAX as usize {
        return Err(config_error("too many flows"));
    }
    for (i, f) in flows.iter().enumerate() {
        states.push(flow_state(topo, f, i, end_ns, streams)?);
    }
    Ok(states)
}

/// The error for a flow whose source settings are wrong.
fn bad_source(f: &FlowSpec) -> impl Fn(String) -> TrafficError + '_ {
    |reason: String| TrafficError::BadSource { source_name: f.name.clone(), reason }
}

/// The state of flow `f`, the `index`-th, which draws from its own stream.
fn flow_state(
    topo: &Topology,
    f: &FlowSpec,
    index: usize,
    end_ns: u64,
    streams: &RngStreams,
) -> Result<FlowState, TrafficError> {
    check_flow_ends(topo, f)?;
    f.traffic
        .validate()
        .map_err(|reason| TrafficError::InvalidSource { source_name: f.name.clone(), reason })?;
    let active = active_span(f, end_ns)?;
    let source = source_of(f, active.start_ns)?;
    Ok(FlowState {
        name: f.name.clone(),
        src: f.src,
        dst: f.dst,
        source,
        rng: streams.indexed("flow", index as u64),
        path: NO_PATH,
        ack_delay_ns: 0,
        start_ns: active.start_ns,
        stop_ns: active.stop_ns,
        seq: 0,
        counters: FlowCounters::default(),
    })
}

/// Both ends must be nodes of `topo`, and distinct.
fn check_flow_ends(topo: &Topology, f: &FlowSpec) -> Result<(), TrafficError> {
    for n in [f.src, f.dst] {
        if topo.node(n).is_err() {
            return Err(TrafficError::UnknownNode {
                demand: f.name.clone(),
                node: format!("#{}", n.0),
            });
        }
    }
    if f.src == f.dst {
        return Err(TrafficError::SelfDemand {
            demand: f.name.clone(),
            node: topo.node(f.src).map(|n| n.name.clone()).unwrap_or_default(),
        });
    }
    Ok(())
}

/// When a flow sends, nanoseconds from the start of the run.
#[derive(Debug, Clone, Copy)]
struct ActiveSpan {
    start_ns: u64,
    /// Its stop, or the end of the run; never after the end.
    stop_ns: u64,
}

/// The span flow `f` sends in; a stop given must come after the start.
fn active_span(f: &FlowSpec, end_ns: u64) -> Result<ActiveSpan, TrafficError> {
    let start_ns = ns(f.start);
    let stop_ns = f.stop.map_or(end_ns, |s| ns(s).min(end_ns));
    if stop_ns <= start_ns && f.stop.is_some() {
        return Err(bad_source(f)(format!(
            "stops at {} s, not after its start at {} s",
            stop_ns as f64 / 1e9,
            start_ns as f64 / 1e9
        )));
    }
    Ok(ActiveSpan { start_ns, stop_ns })
}

/// The source of flow `f` (whose traffic is valid), before its first packet.
fn source_of(f: &FlowSpec, start_ns: u64) -> Result<Source, TrafficError> {
    let dist_err = |e: DistError| bad_source(f)(e.to_string());
    Ok(match f.traffic {
        Traffic::Poisson { rate_pps, size } => Source::Poisson {
            gap: Dist::exponential(rate_pps).map_err(dist_err)?,
            size: match size {
                PacketSize::Fixed(_) => None,
                PacketSize::Exponential { mean_bytes } => {
                    Some(Dist::exponential_mean(mean_bytes).map_err(dist_err)?)
                }
            },
            fixed: match size {
                PacketSize::Fixed(b) => b,
                PacketSize::Exponential { .. } => 0,
            },
        },
        Traffic::Cbr { rate_pps, size_bytes } => {
            Source::Cbr { gap_ns: 1e9 / rate_pps, next_ns: start_ns as f64, bytes: size_bytes }
        }
        Traffic::OnOff { peak_pps, size_bytes, mean_on_s, mean_off_s, shape } => {
            let scale = |mean: f64| mean * (shape - 1.0) / shape;
            Source::OnOff {
                gap_ns: secs_to_ns(1.0 / peak_pps).max(1),
                bytes: size_bytes,
                on: Dist::pareto(scale(mean_on_s), shape).map_err(dist_err)?,
                off: Dist::pareto(scale(mean_off_s), shape).map_err(dist_err)?,
                on_until: 0,
            }
        }
        Traffic::Tcp(c) => Source::Tcp(Box::new(TcpSender::new(c))),
    })
}

impl Net {
    /// The network at time 0: a state per link of `topo`, every flow routed, and, with the
    /// lookahead, the links that can be fed straight from upstream marked.
    pub(super) fn build(topo: &Topology, cfg: &PacketConfig, settled: Settled) -> Net {
        let Settled { window, flows, streams } = settled;
        let static_network = cfg.timeline.is_empty();
        let lookahead = cfg.lookahead && static_network;
        let mut net = Net {
            topo: topo.clone(),
            metric: cfg.metric,
            links: Vec::new(),
            link_ends: Vec::new(),
            node_up: Vec::new(),
            chain: Vec::new(),
            eager_delivery: lookahead,
            check_failures: !static_network,
            paths: Vec::new(),
            path_span: Vec::new(),
            flows,
            window,
            ops: cfg.timeline.iter().map(|(_, op)| op.clone()).collect(),
            queue_default: cfg.default_queue,
            queue_overrides: cfg.queue_overrides.clone(),
            streams,
            packets: 0,
        };
        net.sync_links(0);
        net.route();
        if lookahead {
            net.mark_chains();
        }
        net
    }

    /// Marks the links fed straight from upstream.
    ///
    /// A link can be fed straight from upstream when every packet reaching it comes from the
    /// same upstream link (none starts there): its arrivals are then in that link's departure
    /// order, which is time order.
    fn mark_chains(&mut self) {
        let mut feeder: Vec<Option<u32>> = vec![None; self.links.len()];
        let mut mixed = vec![false; self.links.len()];
        for f in &self.flows {
            if f.path == NO_PATH {
                continue;
            }
            let (s, n) = self.path_span[f.path as usize];
            let p = &self.paths[s as usize..s as usize + n as usize];
            for (h, &l) in p.iter().enumerate() {
                let up = if h == 0 { u32::MAX } else { p[h - 1] };
                match feeder[l as usize] {
                    None => feeder[l as usize] = Some(up),
                    Some(x) if x != up => mixed[l as usize] = true,
                    _ => {}
                }
            }
        }
        for l in 0..self.links.len() {
            self.chain[l] = !mixed[l] && matches!(feeder[l], Some(x) if x != u32::MAX);
        }
    }

    /// Schedules every flow's first event (flow by flow, drawing from each flow's stream), then
    /// the operations of `timeline`.
    pub(super) fn schedule_start(
        &mut self,
        timeline: &Timeline,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        for (i, f) in self.flows.iter_mut().enumerate() {
            let first = f.first_due_ns();
            if first < f.stop_ns {
                sched
                    .schedule_at(SimTime::from_nanos(first), Ev::Gen(i as u32))
                    .map_err(|e| config_error(e.to_string()))?;
            }
        }
        for (i, (at, _)) in timeline.iter().enumerate() {
            sched.schedule_at(*at, Ev::Op(i as u32)).map_err(|e| config_error(e.to_string()))?;
        }
        Ok(())
    }
}

impl FlowState {
    /// When the flow's first `Gen` is due: a Poisson source draws its first gap, an on-off
    /// source draws its first on period and starts at once, the others start at once.
    fn first_due_ns(&mut self) -> u64 {
        match &mut self.source {
            Source::Poisson { gap, .. } => {
                self.start_ns.saturating_add(secs_to_ns(gap.sample(&mut self.rng)))
            }
            Source::OnOff { on, on_until, .. } => {
                *on_until =
                    self.start_ns.saturating_add(secs_to_ns(on.sample(&mut self.rng)).max(1));
                self.start_ns
            }
            Source::Cbr { .. } | Source::Tcp(_) => self.start_ns,
        }
    }
}
