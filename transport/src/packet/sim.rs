//! The packet network as a `sim-core` model: sources, links (see `link.rs`), routing, the
//! what-if timeline, and the report.

use sim_core::stats::DurationHistogram;
use sim_core::{
    Dist, Model, RngStreams, RunError, Scheduler, SimDuration, SimRng, SimTime, Simulation,
};

use super::link::{LinkState, Verdict, Window};
use super::tcp::TcpSender;
use super::{
    FlowReport, FlowSpec, LinkReport, PacketConfig, PacketReport, PacketSize, QueueConfig,
    QueueLimit, TcpReport, Traffic, config_error,
};
use crate::error::TrafficError;
use crate::routing::{Metric, Routing};
use crate::topology::{LinkId, NodeId, Topology};
use crate::whatif::Operation;

/// No path.
const NO_PATH: u32 = u32::MAX;

/// A packet in flight. 32 bytes, so that events stay small.
#[derive(Debug, Clone, Copy)]
struct Packet {
    created: u64,
    seq: u32,
    flow: u32,
    path: u32,
    bytes: u32,
    /// Index in the path of the next link to take (the path's length once it has arrived).
    hop: u16,
    /// The generation of the last link it left (see [`LinkState::lost_in_failure`]).
    generation: u16,
    /// The TCP sender's epoch when it was sent.
    epoch: u16,
}

#[derive(Debug, Clone)]
enum Ev {
    /// A source's next packet is due (open-loop), or a TCP flow starts.
    Gen(u32),
    /// A packet reaches the far end of a link.
    Arrive(Packet),
    /// A TCP ACK reaches the sender.
    Ack { flow: u32, epoch: u16, sent: u64 },
    /// The TCP sender learns that packet `seq` was lost.
    Loss { flow: u32, epoch: u16, seq: u32 },
    /// A TCP flow's retransmission timer is due.
    Rto(u32),
    /// The timeline's operation with this index applies.
    Op(u32),
}

#[derive(Debug, Clone)]
enum Source {
    Poisson { gap: Dist, size: Option<Dist>, fixed: u32 },
    Cbr { gap_ns: f64, next_ns: f64, bytes: u32 },
    OnOff { gap_ns: u64, bytes: u32, on: Dist, off: Dist, on_until: u64 },
    Tcp(Box<TcpSender>),
}

#[derive(Debug, Clone, Default)]
struct FlowCounters {
    generated: u64,
    delivered: u64,
    lost: u64,
    unroutable: u64,
    bytes_received: u64,
    acked_in_window: u64,
    delay: DurationHistogram,
}

#[derive(Debug, Clone)]
struct FlowState {
    name: String,
    src: NodeId,
    dst: NodeId,
    source: Source,
    rng: SimRng,
    path: u32,
    ack_delay_ns: u64,
    start_ns: u64,
    stop_ns: u64,
    seq: u32,
    counters: FlowCounters,
}

/// The simulated network.
#[derive(Debug)]
struct Net {
    topo: Topology,
    metric: Metric,
    links: Vec<LinkState>,
    link_ends: Vec<(u32, u32)>,
    node_up: Vec<bool>,
    /// Links fed straight from their single upstream link (see the module docs).
    chain: Vec<bool>,
    eager_delivery: bool,
    /// Whether packets must be checked for failures on arrival.
    check_failures: bool,
    paths: Vec<u32>,
    path_span: Vec<(u32, u16)>,
    flows: Vec<FlowState>,
    window: Window,
    ops: Vec<Operation>,
    queue_default: Option<QueueConfig>,
    queue_overrides: Vec<(LinkId, QueueConfig)>,
    streams: RngStreams,
    packets: u64,
}

fn ns(d: SimDuration) -> u64 {
    d.as_nanos()
}

fn secs_to_ns(s: f64) -> u64 {
    (s * 1e9).round().max(0.0) as u64
}

impl Net {
    fn queue_for(&self, link: LinkId, buffer_bytes: u64) -> QueueConfig {
        self.queue_overrides
            .iter()
            .rev()
            .find(|(l, _)| *l == link)
            .map(|(_, q)| *q)
            .or(self.queue_default)
            .unwrap_or(QueueConfig { limit: QueueLimit::Bytes(buffer_bytes), red: None })
    }

    /// Brings the link states in line with the topology (new links, capacities, failures).
    fn sync_links(&mut self, now: u64) {
        let bound = self.topo.link_bound();
        while self.links.len() < bound {
            let l = LinkId(self.links.len() as u32);
            let state = match self.topo.link(l) {
                Ok(link) => {
                    let q = self.queue_for(l, link.buffer_bytes);
                    let mut s = LinkState::new(
                        link.capacity_bps,
                        secs_to_ns(link.delay_s),
                        q.limit,
                        q.red,
                        self.streams.indexed("red", u64::from(l.0)),
                        &self.window,
                    );
                    s.up = false;
                    s
                }
                // An index the graph does not use: a placeholder that is never offered packets.
                Err(_) => {
                    let mut s = LinkState::new(
                        1.0,
                        0,
                        QueueLimit::Packets(1),
                        None,
                        self.streams.indexed("red", u64::from(l.0)),
                        &self.window,
                    );
                    s.up = false;
                    s
                }
            };
            self.links.push(state);
            self.chain.push(false);
            let ends = self.topo.endpoints(l).map_or((u32::MAX, u32::MAX), |(a, b)| (a.0, b.0));
            self.link_ends.push(ends);
        }
        for i in 0..bound {
            let l = LinkId(i as u32);
            let Ok(link) = self.topo.link(l) else { continue };
            let usable = self.topo.is_usable(l);
            self.links[i].set_capacity(link.capacity_bps);
            if self.links[i].up && !usable {
                self.links[i].fail(now, &self.window);
            } else if !self.links[i].up && usable {
                self.links[i].restore(now);
            }
        }
        self.node_up = (0..self.topo.node_bound() as u32)
            .map(|n| self.topo.node(NodeId(n)).is_ok_and(|x| x.up))
            .collect();
    }

    /// Routes every flow on the current topology; paths are appended to the path table so that
    /// packets in flight keep theirs.
    fn route(&mut self) {
        let routing = Routing::compute(&self.topo, self.metric);
        for f in 0..self.flows.len() {
            let (src, dst) = (self.flows[f].src, self.flows[f].dst);
            let path = routing.flow_path(src, dst, f as u64);
            let new = match path {
                None => NO_PATH,
                Some(p) => {
                    let same = self.flows[f].path != NO_PATH && {
                        let (s, n) = self.path_span[self.flows[f].path as usize];
                        self.paths[s as usize..s as usize + n as usize]
                            .iter()
                            .copied()
                            .eq(p.iter().map(|l| l.0))
                    };
                    if same {
                        self.flows[f].path
                    } else {
                        let s = self.paths.len() as u32;
                        self.paths.extend(p.iter().map(|l| l.0));
                        self.path_span.push((s, p.len() as u16));
                        (self.path_span.len() - 1) as u32
                    }
                }
            };
            self.flows[f].path = new;
            // ACKs: the reverse route's propagation and ACK serialisation, else the forward
            // route's propagation.
            let ack_bytes = match &self.flows[f].source {
                Source::Tcp(t) => t.cfg.ack_bytes,
                _ => 40,
            };
            let reverse = routing.flow_path(dst, src, f as u64);
            self.flows[f].ack_delay_ns = match (&reverse, new) {
                (Some(r), _) => r
                    .iter()
                    .map(|l| {
                        self.links[l.0 as usize].prop_ns + self.links[l.0 as usize].tx_ns(ack_bytes)
                    })
                    .sum(),
                (None, p) if p != NO_PATH => {
                    let (s, n) = self.path_span[p as usize];
                    self.paths[s as usize..s as usize + n as usize]
                        .iter()
                        .map(|&l| self.links[l as usize].prop_ns)
                        .sum()
                }
                _ => 0,
            };
        }
    }

    #[inline]
    fn path_link(&self, path: u32, hop: u16) -> usize {
        let (s, _) = self.path_span[path as usize];
        self.paths[s as usize + hop as usize] as usize
    }

    /// A new packet of flow `f` enters the network at `now`.
    fn inject(
        &mut self,
        f: usize,
        bytes: u32,
        now: u64,
        seq: u32,
        epoch: u16,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        self.packets += 1;
        let in_window = self.window.contains(now);
        let flow = &mut self.flows[f];
        if in_window {
            flow.counters.generated += 1;
        }
        if flow.path == NO_PATH {
            if in_window {
                flow.counters.unroutable += 1;
            }
            return Ok(());
        }
        let pkt = Packet {
            created: now,
            seq,
            flow: f as u32,
            path: flow.path,
            bytes,
            hop: 0,
            generation: 0,
            epoch,
        };
        self.forward(pkt, now, sched)
    }

    /// Offers `pkt` to its next link at time `t` and follows it as far as its order is known.
    #[inline]
    fn forward(
        &mut self,
        mut pkt: Packet,
        mut t: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        let (start, len) = self.path_span[pkt.path as usize];
        loop {
            let l = self.paths[start as usize + pkt.hop as usize] as usize;
            let link = &mut self.links[l];
            match link.offer(t, pkt.bytes, &self.window) {
                Verdict::Accepted(depart) => {
                    let arrive = depart + link.prop_ns;
                    pkt.generation = link.generation;
                    pkt.hop += 1;
                    if pkt.hop == len {
                        if self.eager_delivery {
                            return self.deliver(pkt, arrive, sched);
                        }
                    } else if self.chain[self.paths[start as usize + pkt.hop as usize] as usize] {
                        t = arrive;
                        continue;
                    }
                    sched
                        .schedule_at(SimTime::from_nanos(arrive), Ev::Arrive(pkt))
                        .map_err(|e| config_error(e.to_string()))?;
                    return Ok(());
                }
                Verdict::Tail | Verdict::Aqm | Verdict::Down => return self.lose(pkt, t, sched),
            }
        }
    }

    /// `pkt` reaches its destination at `t` (possibly ahead of the clock, see the module docs).
    fn deliver(
        &mut self,
        pkt: Packet,
        t: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        let end = self.window.end;
        let flow = &mut self.flows[pkt.flow as usize];
        if t < end {
            if self.window.contains(pkt.created) {
                flow.counters.delivered += 1;
                flow.counters.delay.record(SimDuration::from_nanos(t - pkt.created));
            }
            if self.window.contains(t) {
                flow.counters.bytes_received += u64::from(pkt.bytes);
            }
        }
        if matches!(flow.source, Source::Tcp(_)) {
            let at = SimTime::from_nanos(t.saturating_add(flow.ack_delay_ns));
            sched
                .schedule_at(at, Ev::Ack { flow: pkt.flow, epoch: pkt.epoch, sent: pkt.created })
                .map_err(|e| config_error(e.to_string()))?;
        }
        Ok(())
    }

    /// `pkt` is dropped at time `t` before taking the link at its `hop`.
    fn lose(&mut self, pkt: Packet, t: u64, sched: &mut Scheduler<Ev>) -> Result<(), TrafficError> {
        let f = pkt.flow as usize;
        // Counted like deliveries: only what happens before the end of the window (a link fed
        // ahead of the clock can drop a packet after it).
        if self.window.contains(pkt.created) && t < self.window.end {
            self.flows[f].counters.lost += 1;
        }
        if matches!(self.flows[f].source, Source::Tcp(_)) {
            // The sender hears of it about one base round trip later: the rest of the path
            // without queueing, then the ACK path.
            let (_, len) = self.path_span[pkt.path as usize];
            let rest: u64 = (pkt.hop.min(len)..len)
                .map(|h| {
                    let l = &self.links[self.path_link(pkt.path, h)];
                    l.prop_ns + l.tx_ns(pkt.bytes)
                })
                .sum();
            let at = SimTime::from_nanos(t + rest + self.flows[f].ack_delay_ns);
            sched
                .schedule_at(
                    at.max(sched.now()),
                    Ev::Loss { flow: pkt.flow, epoch: pkt.epoch, seq: pkt.seq },
                )
                .map_err(|e| config_error(e.to_string()))?;
        }
        Ok(())
    }

    fn on_arrive(
        &mut self,
        pkt: Packet,
        now: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        let (_, len) = self.path_span[pkt.path as usize];
        if self.check_failures && pkt.hop > 0 {
            let prev = self.path_link(pkt.path, pkt.hop - 1);
            let link = &self.links[prev];
            let lost = link.lost_in_failure(pkt.generation, now.saturating_sub(link.prop_ns));
            let node = self.link_ends[prev].1 as usize;
            if lost || !self.node_up.get(node).copied().unwrap_or(false) {
                return self.lose(pkt, now, sched);
            }
        }
        if pkt.hop == len { self.deliver(pkt, now, sched) } else { self.forward(pkt, now, sched) }
    }

    /// Sends what a TCP flow's window allows and arms its timer.
    fn tcp_pump(
        &mut self,
        f: usize,
        now: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        if self.flows[f].path == NO_PATH
            || now >= self.flows[f].stop_ns
            || now < self.flows[f].start_ns
        {
            return Ok(());
        }
        loop {
            let (seq, epoch, bytes) = {
                let Source::Tcp(s) = &mut self.flows[f].source else { return Ok(()) };
                if !s.can_send() {
                    break;
                }
                let (seq, _) = s.on_send();
                (seq, s.epoch, s.cfg.mss_bytes)
            };
            self.inject(f, bytes, now, seq, epoch, sched)?;
        }
        let Source::Tcp(s) = &mut self.flows[f].source else { return Ok(()) };
        if s.in_flight > 0 && !s.rto_pending {
            s.rto_pending = true;
            let at = now.max(s.last_progress) + s.rto_ns;
            sched
                .schedule_at(SimTime::from_nanos(at), Ev::Rto(f as u32))
                .map_err(|e| config_error(e.to_string()))?;
        }
        Ok(())
    }

    fn on_gen(
        &mut self,
        f: usize,
        now: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        let stop = self.flows[f].stop_ns;
        if now >= stop {
            return Ok(());
        }
        let flow = &mut self.flows[f];
        let (bytes, next) = match &mut flow.source {
            Source::Tcp(s) => {
                s.last_progress = now;
                return self.tcp_pump(f, now, sched);
            }
            Source::Poisson { gap, size, fixed } => {
                let bytes = match size {
                    Some(d) => (d.sample(&mut flow.rng).round() as u32).max(1),
                    None => *fixed,
                };
                (bytes, now.saturating_add(secs_to_ns(gap.sample(&mut flow.rng))))
            }
            Source::Cbr { gap_ns, next_ns, bytes } => {
                *next_ns += *gap_ns;
                (*bytes, (*next_ns).round() as u64)
            }
            Source::OnOff { gap_ns, bytes, on, off, on_until } => {
                let mut next = now.saturating_add(*gap_ns);
                if next >= *on_until {
                    let resume = on_until.saturating_add(secs_to_ns(off.sample(&mut flow.rng)));
                    *on_until = resume.saturating_add(secs_to_ns(on.sample(&mut flow.rng)).max(1));
                    next = resume;
                }
                (*bytes, next)
            }
        };
        let seq = flow.seq;
        flow.seq = flow.seq.wrapping_add(1);
        self.inject(f, bytes, now, seq, 0, sched)?;
        if next < stop {
            sched
                .schedule_at(SimTime::from_nanos(next), Ev::Gen(f as u32))
                .map_err(|e| config_error(e.to_string()))?;
        }
        Ok(())
    }

    fn on_op(&mut self, i: usize, now: u64, sched: &mut Scheduler<Ev>) -> Result<(), TrafficError> {
        let op = self.ops[i].clone();
        op.apply(&mut self.topo).map_err(|e| {
            config_error(format!("what-if operation at {}: {e}", SimTime::from_nanos(now)))
        })?;
        self.sync_links(now);
        self.route();
        for f in 0..self.flows.len() {
            if matches!(self.flows[f].source, Source::Tcp(_)) {
                self.tcp_pump(f, now, sched)?;
            }
        }
        Ok(())
    }
}

impl Model for Net {
    type Event = Ev;
    type Error = TrafficError;

    fn handle(&mut self, event: Ev, sched: &mut Scheduler<Ev>) -> Result<(), TrafficError> {
        let now = sched.now().as_nanos();
        match event {
            Ev::Arrive(pkt) => self.on_arrive(pkt, now, sched),
            Ev::Gen(f) => self.on_gen(f as usize, now, sched),
            Ev::Ack { flow, epoch, sent } => {
                let f = flow as usize;
                let in_window = self.window.contains(now);
                if let Source::Tcp(s) = &mut self.flows[f].source
                    && s.epoch == epoch
                {
                    s.on_ack(now, sent);
                    if in_window {
                        self.flows[f].counters.acked_in_window += 1;
                    }
                }
                self.tcp_pump(f, now, sched)
            }
            Ev::Loss { flow, epoch, seq } => {
                let f = flow as usize;
                if let Source::Tcp(s) = &mut self.flows[f].source
                    && s.epoch == epoch
                {
                    s.on_loss(now, seq);
                }
                self.tcp_pump(f, now, sched)
            }
            Ev::Rto(flow) => {
                let f = flow as usize;
                let Source::Tcp(s) = &mut self.flows[f].source else { return Ok(()) };
                s.rto_pending = false;
                if s.in_flight == 0 {
                    return self.tcp_pump(f, now, sched);
                }
                let deadline = s.last_progress + s.rto_ns;
                if now >= deadline {
                    s.on_timeout(now);
                    self.tcp_pump(f, now, sched)
                } else {
                    s.rto_pending = true;
                    sched
                        .schedule_at(SimTime::from_nanos(deadline), Ev::Rto(flow))
                        .map_err(|e| config_error(e.to_string()))?;
                    Ok(())
                }
            }
            Ev::Op(i) => self.on_op(i as usize, now, sched),
        }
    }
}

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
                red.validate().map_err(config_error)?;
            }
            if q.limit == QueueLimit::Packets(0) || q.limit == QueueLimit::Bytes(0) {
                return Err(config_error("a queue must hold at least one packet"));
            }
        }
        for (at, op) in cfg.timeline.iter() {
            if at.as_nanos() >= end {
                return Err(config_error(format!(
                    "what-if operation at {at} is after the end of the run ({})",
                    SimTime::from_nanos(end)
                )));
            }
            op.check(topo).map_err(|e| config_error(format!("what-if operation at {at}: {e}")))?;
        }
        if topo.node_bound() > usize::from(u16::MAX) {
            return Err(config_error(format!(
                "the packet model takes topologies of up to {} nodes; this one has {}",
                u16::MAX,
                topo.node_bound()
            )));
        }
        let streams = RngStreams::new(cfg.seed);
        let mut states = Vec::with_capacity(flows.len());
        if flows.len() >= u32::MAX as usize {
            return Err(config_error("too many flows"));
        }
        for (i, f) in flows.iter().enumerate() {
            let bad =
                |reason: String| TrafficError::BadSource { source_name: f.name.clone(), reason };
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
            f.traffic.validate().map_err(bad)?;
            let start_ns = ns(f.start);
            let stop_ns = f.stop.map_or(end, |s| ns(s).min(end));
            if stop_ns <= start_ns && f.stop.is_some() {
                return Err(bad(format!(
                    "stops at {} s, not after its start at {} s",
                    stop_ns as f64 / 1e9,
                    start_ns as f64 / 1e9
                )));
            }
            let dist_err = |e: sim_core::DistError| bad(e.to_string());
            let source = match f.traffic {
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
                Traffic::Cbr { rate_pps, size_bytes } => Source::Cbr {
                    gap_ns: 1e9 / rate_pps,
                    next_ns: start_ns as f64,
                    bytes: size_bytes,
                },
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
            };
            states.push(FlowState {
                name: f.name.clone(),
                src: f.src,
                dst: f.dst,
                source,
                rng: streams.indexed("flow", i as u64),
                path: NO_PATH,
                ack_delay_ns: 0,
                start_ns,
                stop_ns,
                seq: 0,
                counters: FlowCounters::default(),
            });
        }
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
            flows: states,
            window: Window { start, end, bin },
            ops: cfg.timeline.iter().map(|(_, op)| op.clone()).collect(),
            queue_default: cfg.default_queue,
            queue_overrides: cfg.queue_overrides.clone(),
            streams,
            packets: 0,
        };
        net.sync_links(0);
        net.route();
        // A link can be fed straight from upstream when every packet reaching it comes from the
        // same upstream link (none starts there): its arrivals are then in that link's departure
        // order, which is time order.
        if lookahead {
            let mut feeder: Vec<Option<u32>> = vec![None; net.links.len()];
            let mut mixed = vec![false; net.links.len()];
            for f in &net.flows {
                if f.path == NO_PATH {
                    continue;
                }
                let (s, n) = net.path_span[f.path as usize];
                let p = &net.paths[s as usize..s as usize + n as usize];
                for (h, &l) in p.iter().enumerate() {
                    let up = if h == 0 { u32::MAX } else { p[h - 1] };
                    match feeder[l as usize] {
                        None => feeder[l as usize] = Some(up),
                        Some(x) if x != up => mixed[l as usize] = true,
                        _ => {}
                    }
                }
            }
            for l in 0..net.links.len() {
                net.chain[l] = !mixed[l] && matches!(feeder[l], Some(x) if x != u32::MAX);
            }
        }
        let mut sim = Simulation::new(net);
        {
            let (net, sched) = sim.parts_mut();
            for (i, f) in net.flows.iter_mut().enumerate() {
                let first = match &mut f.source {
                    Source::Poisson { gap, .. } => {
                        f.start_ns.saturating_add(secs_to_ns(gap.sample(&mut f.rng)))
                    }
                    Source::OnOff { on, on_until, .. } => {
                        *on_until =
                            f.start_ns.saturating_add(secs_to_ns(on.sample(&mut f.rng)).max(1));
                        f.start_ns
                    }
                    Source::Cbr { .. } | Source::Tcp(_) => f.start_ns,
                };
                if first < f.stop_ns {
                    sched
                        .schedule_at(SimTime::from_nanos(first), Ev::Gen(i as u32))
                        .map_err(|e| config_error(e.to_string()))?;
                }
            }
            for (i, (at, _)) in cfg.timeline.iter().enumerate() {
                sched
                    .schedule_at(*at, Ev::Op(i as u32))
                    .map_err(|e| config_error(e.to_string()))?;
            }
        }
        Ok(PacketSimulation { sim, end: SimTime::from_nanos(end) })
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
        let mut net = self.sim.into_model();
        let w = net.window;
        let secs = (w.end - w.start) as f64 / 1e9;
        let span = (w.end - w.start) as f64;
        let mut links = Vec::new();
        for l in net.topo.link_ids() {
            let i = l.0 as usize;
            let Some(state) = net.links.get_mut(i) else { continue };
            state.finish(&w);
            let sojourn = std::mem::take(&mut state.counters.sojourn);
            let c = &state.counters;
            let name = net.topo.link(l).map(|x| x.name.clone()).unwrap_or_default();
            let bins = c.bins.len();
            let bin_len = |k: usize| (w.bin.min(w.end - (w.start + k as u64 * w.bin))) as f64;
            links.push(LinkReport {
                link: l,
                name,
                arrivals: c.arrivals,
                accepted: c.accepted,
                drops_tail: c.drops_tail,
                drops_aqm: c.drops_aqm,
                drops_down: c.drops_down,
                drops_failure: c.drops_failure,
                departures: c.departures,
                throughput_bps: c.bytes_out as f64 * 8.0 / secs,
                utilisation: c.busy_ns as f64 / span,
                mean_in_system: c.area as f64 / span,
                max_in_system: c.max_in_system,
                sojourn,
                queue_bin_start_s: (0..bins)
                    .map(|k| (w.start + k as u64 * w.bin) as f64 / 1e9)
                    .collect(),
                queue_series: c.bins.iter().enumerate().map(|(k, a)| a / bin_len(k)).collect(),
                accepted_rate_pps: c.accepted as f64 / secs,
            });
        }
        let flows = net
            .flows
            .iter_mut()
            .map(|f| {
                let c = &f.counters;
                let tcp = match &f.source {
                    Source::Tcp(s) => Some(TcpReport {
                        goodput_bps: c.acked_in_window as f64 * f64::from(s.cfg.mss_bytes) * 8.0
                            / secs,
                        retransmissions: s.retransmissions,
                        timeouts: s.timeouts,
                        final_window: s.cwnd,
                        completed_at_s: s.completed_at.map(|t| t as f64 / 1e9),
                    }),
                    _ => None,
                };
                FlowReport {
                    name: f.name.clone(),
                    generated: c.generated,
                    delivered: c.delivered,
                    lost: c.lost,
                    unroutable: c.unroutable,
                    throughput_bps: c.bytes_received as f64 * 8.0 / secs,
                    delay: std::mem::take(&mut f.counters.delay),
                    tcp,
                }
            })
            .collect();
        Ok(PacketReport {
            links,
            flows,
            window: (SimTime::from_nanos(w.start), SimTime::from_nanos(w.end)),
            packets: net.packets,
            events,
        })
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
