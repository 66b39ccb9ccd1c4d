//! The packet network as a `sim-core` model: sources, links (see `link.rs`), routing and the
//! what-if timeline. Checking the settings and building the network is `setup.rs`; the report of
//! a finished run is `report.rs`.

use sim_core::stats::DurationHistogram;
use sim_core::{Dist, Model, RngStreams, Scheduler, SimDuration, SimRng, SimTime};

use super::link::{LinkState, Verdict, Window};
use super::tcp::TcpSender;
use super::{QueueConfig, QueueLimit, config_error};
use crate::error::TrafficError;
use crate::routing::{Metric, Routing};
use crate::topology::{LinkId, NodeId, Topology};
use crate::whatif::Operation;

/// No path.
pub(super) const NO_PATH: u32 = u32::MAX;

/// A packet in flight. 32 bytes, so that events stay small.
#[derive(Debug, Clone, Copy)]
pub(super) struct Packet {
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

/// The model's events.
#[derive(Debug, Clone)]
pub(super) enum Ev {
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

/// A flow's source and what it needs to produce its next packet.
#[derive(Debug, Clone)]
pub(super) enum Source {
    Poisson { gap: Dist, size: Option<Dist>, fixed: u32 },
    Cbr { gap_ns: f64, next_ns: f64, bytes: u32 },
    OnOff { gap_ns: u64, bytes: u32, on: Dist, off: Dist, on_until: u64 },
    Tcp(Box<TcpSender>),
}

/// What a flow counts for its report.
#[derive(Debug, Clone, Default)]
pub(super) struct FlowCounters {
    pub(super) generated: u64,
    pub(super) delivered: u64,
    pub(super) lost: u64,
    pub(super) unroutable: u64,
    pub(super) bytes_received: u64,
    pub(super) acked_in_window: u64,
    pub(super) delay: DurationHistogram,
}

/// One flow as the model runs it.
#[derive(Debug, Clone)]
pub(super) struct FlowState {
    pub(super) name: String,
    pub(super) src: NodeId,
    pub(super) dst: NodeId,
    pub(super) source: Source,
    pub(super) rng: SimRng,
    pub(super) path: u32,
    pub(super) ack_delay_ns: u64,
    pub(super) start_ns: u64,
    pub(super) stop_ns: u64,
    pub(super) seq: u32,
    pub(super) counters: FlowCounters,
}

/// The simulated network.
#[derive(Debug)]
pub(super) struct Net {
    pub(super) topo: Topology,
    pub(super) metric: Metric,
    pub(super) links: Vec<LinkState>,
    pub(super) link_ends: Vec<(u32, u32)>,
    pub(super) node_up: Vec<bool>,
    /// Links fed straight from their single upstream link (see the module docs).
    pub(super) chain: Vec<bool>,
    pub(super) eager_delivery: bool,
    /// Whether packets must be checked for failures on arrival.
    pub(super) check_failures: bool,
    pub(super) paths: Vec<u32>,
    pub(super) path_span: Vec<(u32, u16)>,
    pub(super) flows: Vec<FlowState>,
    pub(super) window: Window,
    pub(super) ops: Vec<Operation>,
    pub(super) queue_default: Option<QueueConfig>,
    pub(super) queue_overrides: Vec<(LinkId, QueueConfig)>,
    pub(super) streams: RngStreams,
    pub(super) packets: u64,
}

pub(super) fn ns(d: SimDuration) -> u64 {
    d.as_nanos()
}

pub(super) fn secs_to_ns(s: f64) -> u64 {
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
    pub(super) fn sync_links(&mut self, now: u64) {
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
    pub(super) fn route(&mut self) {
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

    /// A TCP ACK of a packet sent at `sent` reaches flow `f`'s sender (ignored if it belongs to
    /// an earlier epoch), which may then send more.
    fn on_ack(
        &mut self,
        f: usize,
        epoch: u16,
        sent: u64,
        now: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
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

    /// Flow `f`'s sender learns that packet `seq` was lost (ignored if it belongs to an earlier
    /// epoch).
    fn on_loss(
        &mut self,
        f: usize,
        epoch: u16,
        seq: u32,
        now: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
        if let Source::Tcp(s) = &mut self.flows[f].source
            && s.epoch == epoch
        {
            s.on_loss(now, seq);
        }
        self.tcp_pump(f, now, sched)
    }

    /// Flow `f`'s retransmission timer is due: it times out if nothing has progressed for a
    /// whole RTO since, else it is re-armed for the deadline that progress moved.
    fn on_rto(
        &mut self,
        f: usize,
        now: u64,
        sched: &mut Scheduler<Ev>,
    ) -> Result<(), TrafficError> {
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
                .schedule_at(SimTime::from_nanos(deadline), Ev::Rto(f as u32))
                .map_err(|e| config_error(e.to_string()))?;
            Ok(())
        }
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
            Ev::Ack { flow, epoch, sent } => self.on_ack(flow as usize, epoch, sent, now, sched),
            Ev::Loss { flow, epoch, seq } => self.on_loss(flow as usize, epoch, seq, now, sched),
            Ev::Rto(flow) => self.on_rto(flow as usize, now, sched),
            Ev::Op(i) => self.on_op(i as usize, now, sched),
        }
    }
}
