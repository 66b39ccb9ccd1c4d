//! The packet-level model: every packet of every flow, through FIFO output queues with drop-tail
//! or RED, on the same routes as the flow-level model, on the `sim-core` engine.
//!
//! # What is modelled
//!
//! * **Links**: a directed link transmits one packet at a time at its capacity (serialisation
//!   `8·bytes / capacity`), then the packet travels for the propagation delay. The output queue
//!   holds at most [`QueueLimit`] (packets or bytes, counting the packet being sent, so that
//!   `Packets(K)` is the K of M/M/1/K); a full queue drops the arrival (drop-tail), and RED
//!   ([`RedConfig`]) can drop earlier.
//! * **Sources** ([`Traffic`]): Poisson (fixed or exponential sizes), constant bit rate, on-off
//!   with Pareto on and off periods (sending at a peak rate while on), and a TCP-like closed-loop
//!   source with slow start, AIMD congestion avoidance, fast recovery and retransmission timeouts.
//! * **Routing**: each flow is pinned to one path by the ECMP hash of its index
//!   ([`crate::routing::Routing::flow_path`]); a packet keeps the path it was sent on.
//! * **What-if timeline** ([`crate::whatif::Timeline`]): link and node failures and repairs,
//!   capacity changes and re-homing at given times. A failure loses the packets in the failed
//!   link's queue and those arriving at a failed node; flows are re-routed at once (a flow with no
//!   path left counts its packets as unroutable, never dropping them silently).
//!
//! # How it is computed
//!
//! A FIFO link's departure times follow from its arrivals by the Lindley recursion, so a link is
//! not an event source: a packet costs one event per hop (its arrival at the next node), and
//! fewer where the order of arrivals is known in advance. A packet entering the network is
//! offered to its first link at once; a link all of whose packets come from one upstream link is
//! fed straight from it (their arrival order is that link's departure order), and the delivery
//! at the last hop is recorded when the packet leaves the last queue. These shortcuts give
//! exactly the results of one event per hop ([`PacketConfig::lookahead`] turns them off, and a
//! test checks that the reports are identical), with one exception: two packets reaching one
//! link at the very same nanosecond by different routes may be served in the other order (the
//! engine breaks ties by scheduling order, and the shortcuts schedule some events earlier). They
//! are off automatically while a timeline has operations, where failures must be checked when
//! packets arrive.
//!
//! # What is measured
//!
//! Over the window `[warmup, warmup + duration)`: per link, arrivals, drops by cause, departures,
//! throughput, utilisation (busy time), the exact time-average number in the system and its
//! time series, and the sojourn-time distribution; per flow, packets generated, delivered, lost
//! and unroutable, throughput, and the one-way delay distribution (p50, p95, p99 and any other
//! quantile), plus TCP's goodput, retransmissions and timeouts. Loss and delay count the packets
//! created in the window and delivered before its end; throughput counts the bytes received in
//! the window.
//!
//! ```
//! use transport::packet::{self, FlowSpec, PacketConfig, PacketSize, Traffic};
//! use transport::topology::{Link, Role, Topology};
//! use sim_core::SimDuration;
//!
//! let mut topo = Topology::new();
//! let a = topo.add_node("a", Role::Core, None)?;
//! let b = topo.add_node("b", Role::Core, None)?;
//! let link = Link { name: "a-b".into(), capacity_bps: 100e6, delay_s: 0.001, buffer_bytes: 1 << 20, igp_weight: 1.0, up: true };
//! topo.add_duplex(a, b, link)?;
//! // Poisson at 90 % of 100 Mbit/s with 1 000-byte packets: an M/D/1 queue.
//! let flow = FlowSpec::new("f", a, b, Traffic::Poisson { rate_pps: 11_250.0, size: PacketSize::Fixed(1000) });
//! let config = PacketConfig { duration: SimDuration::from_secs(2)?, ..PacketConfig::default() };
//! let report = packet::simulate(&topo, &[flow], &config)?;
//! let f = &report.flows[0];
//! // M/D/1 sojourn at ρ = 0.9: 80 µs · (1 + 0.9 / 0.2) = 440 µs, plus 1 ms propagation.
//! assert!((f.delay.mean_secs() - 0.00144).abs() < 0.0001);
//! assert_eq!(f.lost, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod link;
mod report;
mod run;
mod setup;
mod sim;
mod tcp;

pub use run::{PacketSimulation, simulate};

use sim_core::stats::DurationHistogram;
use sim_core::{RngStreams, SimDuration, SimTime};

use crate::error::{PacketConfigError, TrafficError};
use crate::routing::Metric;
use crate::topology::{LinkId, NodeId};
use crate::whatif::Timeline;

/// How much an output queue holds, counting the packet being transmitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueLimit {
    /// At most this many packets in the system (the K of M/M/1/K); at least 1.
    Packets(u32),
    /// At most this many bytes in the system.
    Bytes(u64),
}

/// Random Early Detection (Floyd & Jacobson, 1993), in packets, with the "gentle" extension.
///
/// On each arrival the average queue `avg ← (1 − w)·avg + w·q` (decayed over idle time as if
/// packets of `mean_packet_bytes` had been sent); below `min_threshold` nothing is dropped,
/// between the thresholds the drop probability rises linearly to `max_p` (spread out by the
/// count since the last drop), above `max_threshold` it rises to 1 at twice that (gentle) or
/// jumps to 1 (not gentle).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RedConfig {
    /// Lower threshold, packets.
    pub min_threshold: f64,
    /// Upper threshold, packets.
    pub max_threshold: f64,
    /// Drop probability at the upper threshold.
    pub max_p: f64,
    /// Averaging weight w.
    pub weight: f64,
    /// Gentle RED.
    pub gentle: bool,
    /// Packet size assumed for the idle-time decay, bytes.
    pub mean_packet_bytes: f64,
}

impl Default for RedConfig {
    /// Floyd's recommended settings: thresholds 5 and 15 packets, max_p 0.1, w 0.002, gentle.
    fn default() -> Self {
        RedConfig {
            min_threshold: 5.0,
            max_threshold: 15.0,
            max_p: 0.1,
            weight: 0.002,
            gentle: true,
            mean_packet_bytes: 1000.0,
        }
    }
}

impl RedConfig {
    /// Checks the thresholds, drop probability, weight and packet size.
    fn validate(&self) -> Result<(), PacketConfigError> {
        let ok = self.min_threshold >= 0.0
            && self.max_threshold > self.min_threshold
            && self.max_threshold.is_finite()
            && self.max_p > 0.0
            && self.max_p <= 1.0
            && self.weight > 0.0
            && self.weight <= 1.0
            && self.mean_packet_bytes > 0.0
            && self.mean_packet_bytes.is_finite();
        if ok {
            return Ok(());
        }
        Err(PacketConfigError::Red {
            min_threshold: self.min_threshold,
            max_threshold: self.max_threshold,
            max_p: self.max_p,
            weight: self.weight,
            mean_packet_bytes: self.mean_packet_bytes,
        })
    }
}

/// A link's queue discipline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueConfig {
    /// The buffer.
    pub limit: QueueLimit,
    /// RED, or `None` for plain drop-tail.
    pub red: Option<RedConfig>,
}

/// Packet sizes of a source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PacketSize {
    /// Every packet has this many bytes (on the wire).
    Fixed(u32),
    /// Exponentially distributed with this mean, rounded to whole bytes (at least 1): with
    /// Poisson arrivals, an M/M/1 queue.
    Exponential {
        /// Mean size, bytes.
        mean_bytes: f64,
    },
}

impl PacketSize {
    /// The mean size in bytes.
    pub fn mean_bytes(&self) -> f64 {
        match *self {
            PacketSize::Fixed(b) => f64::from(b),
            PacketSize::Exponential { mean_bytes } => mean_bytes,
        }
    }
}

/// The TCP-like source's settings.
///
/// Window in packets of `mss_bytes` (on the wire). Every delivered packet is acknowledged; ACKs
/// return over the reverse route after its propagation and serialisation delays, without
/// queueing (they are small and the reverse direction is assumed uncongested). A drop is noticed
/// one base round trip after it happens, as duplicate or selective ACKs would tell a real
/// sender: the window halves once per window of data (fast recovery) and the packet is sent
/// again. When no ACK arrives for a retransmission timeout (RFC 6298 estimate, at least
/// `min_rto_s`, doubling on each expiry), the window falls to one packet and everything in flight
/// is sent again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TcpConfig {
    /// Segment size on the wire, bytes.
    pub mss_bytes: u32,
    /// Bytes to transfer; `None` for a bulk transfer that runs to the end.
    pub flow_bytes: Option<u64>,
    /// Initial window, packets.
    pub initial_window: f64,
    /// Initial slow-start threshold, packets.
    pub initial_ssthresh: f64,
    /// Largest window (the receiver's window), packets.
    pub max_window: f64,
    /// Smallest retransmission timeout, seconds.
    pub min_rto_s: f64,
    /// ACK size on the wire, bytes.
    pub ack_bytes: u32,
}

impl Default for TcpConfig {
    /// 1500-byte segments, bulk, initial window 10 (RFC 6928), receiver window 10 000 packets,
    /// minimum RTO 200 ms (as Linux), 40-byte ACKs.
    fn default() -> Self {
        TcpConfig {
            mss_bytes: 1500,
            flow_bytes: None,
            initial_window: 10.0,
            initial_ssthresh: f64::INFINITY,
            max_window: 10_000.0,
            min_rto_s: 0.2,
            ack_bytes: 40,
        }
    }
}

/// What a flow sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Traffic {
    /// Poisson arrivals.
    Poisson {
        /// Packets per second.
        rate_pps: f64,
        /// Sizes.
        size: PacketSize,
    },
    /// Constant bit rate: evenly spaced packets of one size.
    Cbr {
        /// Packets per second.
        rate_pps: f64,
        /// Size, bytes.
        size_bytes: u32,
    },
    /// On-off: constant rate while on; on and off periods Pareto distributed (heavy tails for
    /// shape below 2, self-similar aggregate traffic).
    OnOff {
        /// Packets per second while on.
        peak_pps: f64,
        /// Size, bytes.
        size_bytes: u32,
        /// Mean on period, seconds.
        mean_on_s: f64,
        /// Mean off period, seconds.
        mean_off_s: f64,
        /// Pareto tail index of both periods; must exceed 1 for the means to exist.
        shape: f64,
    },
    /// A TCP-like closed-loop transfer.
    Tcp(TcpConfig),
}

impl Traffic {
    /// Checks the rates, sizes and periods (or the TCP settings).
    fn validate(&self) -> Result<(), PacketConfigError> {
        let pos = |x: f64| x.is_finite() && x > 0.0;
        match *self {
            Traffic::Poisson { rate_pps, size } => {
                if !pos(rate_pps) {
                    return Err(PacketConfigError::PoissonRate { rate_pps });
                }
                match size {
                    PacketSize::Fixed(0) => Err(PacketConfigError::ZeroPacketSize),
                    PacketSize::Exponential { mean_bytes } if !pos(mean_bytes) => {
                        Err(PacketConfigError::MeanPacketSize { mean_bytes })
                    }
                    _ => Ok(()),
                }
            }
            Traffic::Cbr { rate_pps, size_bytes } => {
                if !pos(rate_pps) || size_bytes == 0 {
                    Err(PacketConfigError::Cbr { rate_pps, size_bytes })
                } else {
                    Ok(())
                }
            }
            Traffic::OnOff { peak_pps, size_bytes, mean_on_s, mean_off_s, shape } => {
                if !(pos(peak_pps)
                    && size_bytes > 0
                    && pos(mean_on_s)
                    && pos(mean_off_s)
                    && shape.is_finite()
                    && shape > 1.0)
                {
                    Err(PacketConfigError::OnOff {
                        peak_pps,
                        size_bytes,
                        mean_on_s,
                        mean_off_s,
                        shape,
                    })
                } else {
                    Ok(())
                }
            }
            Traffic::Tcp(c) => {
                let ok = c.mss_bytes > 0
                    && c.ack_bytes > 0
                    && c.initial_window >= 1.0
                    && c.initial_window.is_finite()
                    && c.initial_ssthresh >= 1.0
                    && c.max_window >= 1.0
                    && c.max_window.is_finite()
                    && pos(c.min_rto_s)
                    && c.flow_bytes != Some(0);
                if ok {
                    return Ok(());
                }
                Err(PacketConfigError::Tcp {
                    mss_bytes: c.mss_bytes,
                    ack_bytes: c.ack_bytes,
                    initial_window: c.initial_window,
                    initial_ssthresh: c.initial_ssthresh,
                    max_window: c.max_window,
                    min_rto_s: c.min_rto_s,
                    flow_bytes: c.flow_bytes,
                })
            }
        }
    }

    /// The long-run offered rate in bit/s (`None` for TCP, which adapts to the network).
    pub fn offered_bps(&self) -> Option<f64> {
        match *self {
            Traffic::Poisson { rate_pps, size } => Some(rate_pps * size.mean_bytes() * 8.0),
            Traffic::Cbr { rate_pps, size_bytes } => Some(rate_pps * f64::from(size_bytes) * 8.0),
            Traffic::OnOff { peak_pps, size_bytes, mean_on_s, mean_off_s, .. } => {
                Some(peak_pps * f64::from(size_bytes) * 8.0 * mean_on_s / (mean_on_s + mean_off_s))
            }
            Traffic::Tcp(_) => None,
        }
    }
}

/// One flow: a source at `src` sending to a sink at `dst`.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowSpec {
    /// Name, for reports.
    pub name: String,
    /// Origin node.
    pub src: NodeId,
    /// Destination node.
    pub dst: NodeId,
    /// What it sends.
    pub traffic: Traffic,
    /// When it starts, from the beginning of the run (warm-up included).
    pub start: SimDuration,
    /// When it stops; `None` runs to the end.
    pub stop: Option<SimDuration>,
}

impl FlowSpec {
    /// A flow that runs for the whole simulation.
    pub fn new(name: &str, src: NodeId, dst: NodeId, traffic: Traffic) -> Self {
        FlowSpec { name: name.to_string(), src, dst, traffic, start: SimDuration::ZERO, stop: None }
    }
}

/// Settings of a packet-level run.
#[derive(Debug, Clone)]
pub struct PacketConfig {
    /// Measured time after the warm-up.
    pub duration: SimDuration,
    /// Time simulated before measuring (queues fill, TCP leaves slow start).
    pub warmup: SimDuration,
    /// The run's random streams: every flow and every RED queue draws from its own stream
    /// below them. Independent runs (replications, the busy intervals of a replay) take
    /// children of one namespace (`RngStreams::child_indexed`), never seeds derived by
    /// arithmetic.
    pub streams: RngStreams,
    /// Routing metric.
    pub metric: Metric,
    /// Queue of every link not in `queue_overrides`: `None` gives drop-tail with the link's
    /// `buffer_bytes`.
    pub default_queue: Option<QueueConfig>,
    /// Queues of particular links.
    pub queue_overrides: Vec<(LinkId, QueueConfig)>,
    /// Width of the queue-length time-series bins; `None` for 200 bins over the window.
    pub queue_bin: Option<SimDuration>,
    /// What-if operations during the run; times from the beginning of the run.
    pub timeline: Timeline,
    /// Use the exact shortcuts that avoid events whose order is known (on by default).
    pub lookahead: bool,
}

impl Default for PacketConfig {
    fn default() -> Self {
        PacketConfig {
            duration: SimDuration::from_nanos(10_000_000_000),
            warmup: SimDuration::ZERO,
            streams: RngStreams::new(1),
            metric: Metric::IgpWeight,
            default_queue: None,
            queue_overrides: Vec::new(),
            queue_bin: None,
            timeline: Timeline::new(),
            lookahead: true,
        }
    }
}

/// What one link did during the window.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkReport {
    /// The link.
    pub link: LinkId,
    /// Its name.
    pub name: String,
    /// Packets that arrived at its queue.
    pub arrivals: u64,
    /// Packets accepted into the queue.
    pub accepted: u64,
    /// Drops because the buffer was full.
    pub drops_tail: u64,
    /// Early drops by RED.
    pub drops_aqm: u64,
    /// Drops because the link was down on arrival.
    pub drops_down: u64,
    /// Packets in the queue when the link failed (failures inside the window).
    pub drops_failure: u64,
    /// Packets fully transmitted.
    pub departures: u64,
    /// Bytes transmitted, per second of window, as bit/s.
    pub throughput_bps: f64,
    /// Fraction of the window the transmitter was busy.
    pub utilisation: f64,
    /// Time-average number of packets in the system (queue plus the one being sent).
    pub mean_in_system: f64,
    /// Most packets in the system at an arrival.
    pub max_in_system: u32,
    /// Time from arrival to the last bit sent, of accepted packets (a packet later lost in a
    /// failure counts with the departure it would have had).
    pub sojourn: DurationHistogram,
    /// Start of each queue time-series bin, seconds from the start of the run.
    pub queue_bin_start_s: Vec<f64>,
    /// Time-average number in the system in each bin.
    pub queue_series: Vec<f64>,
    /// Accepted packets per second of window (the λ of Little's law).
    pub accepted_rate_pps: f64,
}

impl LinkReport {
    /// The fraction of arrivals dropped for any reason, lost in a failure included.
    pub fn loss_ratio(&self) -> f64 {
        if self.arrivals == 0 {
            0.0
        } else {
            (self.drops_tail + self.drops_aqm + self.drops_down + self.drops_failure) as f64
                / self.arrivals as f64
        }
    }
}

/// TCP-specific results.
#[derive(Debug, Clone, PartialEq)]
pub struct TcpReport {
    /// Packets acknowledged during the window (goodput), as bit/s.
    pub goodput_bps: f64,
    /// Packets sent again after a loss.
    pub retransmissions: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Window at the end, packets.
    pub final_window: f64,
    /// When a finite transfer completed, seconds from the start of the run.
    pub completed_at_s: Option<f64>,
}

/// What one flow experienced during the window.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowReport {
    /// The flow's name.
    pub name: String,
    /// Packets created in the window.
    pub generated: u64,
    /// Of those, delivered before the end of the window.
    pub delivered: u64,
    /// Of those, dropped on the way.
    pub lost: u64,
    /// Of those, not sent because no path existed.
    pub unroutable: u64,
    /// Bytes received during the window, as bit/s.
    pub throughput_bps: f64,
    /// One-way delay of the delivered packets, from creation to the last bit received.
    pub delay: DurationHistogram,
    /// TCP results, for TCP flows.
    pub tcp: Option<TcpReport>,
}

impl FlowReport {
    /// Lost over generated (0 when nothing was generated).
    pub fn loss_ratio(&self) -> f64 {
        if self.generated == 0 { 0.0 } else { self.lost as f64 / self.generated as f64 }
    }

    /// Median delay, seconds.
    pub fn p50_s(&self) -> f64 {
        self.delay.quantile(0.50).as_secs_f64()
    }

    /// 95th percentile delay, seconds.
    pub fn p95_s(&self) -> f64 {
        self.delay.quantile(0.95).as_secs_f64()
    }

    /// 99th percentile delay, seconds.
    pub fn p99_s(&self) -> f64 {
        self.delay.quantile(0.99).as_secs_f64()
    }
}

/// The results of a packet-level run.
#[derive(Debug, Clone, PartialEq)]
pub struct PacketReport {
    /// Per link, in link order (links that no flow ever used included).
    pub links: Vec<LinkReport>,
    /// Per flow, in the order given.
    pub flows: Vec<FlowReport>,
    /// Start and end of the measurement window.
    pub window: (SimTime, SimTime),
    /// Packets created over the whole run.
    pub packets: u64,
    /// Events the engine handled.
    pub events: u64,
}

impl PacketReport {
    /// The report of the link called `name`.
    pub fn link(&self, name: &str) -> Option<&LinkReport> {
        self.links.iter().find(|l| l.name == name)
    }

    /// The report of the flow called `name`.
    pub fn flow(&self, name: &str) -> Option<&FlowReport> {
        self.flows.iter().find(|f| f.name == name)
    }
}

pub(crate) fn config_error(reason: impl Into<String>) -> TrafficError {
    TrafficError::Config(reason.into())
}
