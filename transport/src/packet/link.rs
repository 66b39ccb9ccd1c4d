//! One link's output queue and transmitter, as a FIFO server computed by the Lindley recursion.
//!
//! A FIFO link needs no event of its own: when a packet arrives at time `t` its departure is
//! `max(t, busy_until) + size / rate`, known at once. The link keeps the departures of the packets
//! still in the system in a ring, oldest first, and sweeps them out as time advances (which gives
//! the number in system for the buffer limit and RED, and the idle periods RED needs). The
//! integral of the number in system over the window — the time-average queue length and its time
//! series — is exactly the sum of every packet's time in the system clipped to the window, added
//! when the packet is accepted (and taken back for the part a failure cuts short). Arrivals must
//! be offered in non-decreasing time order, which the simulator guarantees (see `sim.rs`).

use std::collections::VecDeque;

use rand::RngExt;
use sim_core::SimDuration;
use sim_core::SimRng;
use sim_core::stats::DurationHistogram;

use super::{QueueLimit, RedConfig};

/// A packet in the system: when it leaves, when its transmission started, its size.
#[derive(Debug, Clone, Copy)]
struct Entry {
    depart: u64,
    start: u64,
    bytes: u32,
}

/// The measurement window `[start, end)`, nanoseconds, and the time-series bin width.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) bin: u64,
}

impl Window {
    #[inline]
    pub(super) fn contains(&self, t: u64) -> bool {
        t >= self.start && t < self.end
    }

    /// The length of `[a, b)` inside the window.
    #[inline]
    fn overlap(&self, a: u64, b: u64) -> u64 {
        b.min(self.end).saturating_sub(a.max(self.start))
    }
}

/// What happened to a packet offered to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Accepted; it leaves the link (last bit sent) at this time.
    Accepted(u64),
    /// Dropped: the buffer is full.
    Tail,
    /// Dropped early by RED.
    Aqm,
    /// Dropped: the link is down.
    Down,
}

/// Counters of one link over the measurement window.
#[derive(Debug, Clone, Default)]
pub(super) struct LinkCounters {
    pub(super) arrivals: u64,
    pub(super) accepted: u64,
    pub(super) drops_tail: u64,
    pub(super) drops_aqm: u64,
    pub(super) drops_down: u64,
    pub(super) drops_failure: u64,
    pub(super) departures: u64,
    pub(super) bytes_out: u64,
    pub(super) busy_ns: u64,
    /// ∫ N(t) dt over the window, packet·ns (exact).
    pub(super) area: u128,
    pub(super) max_in_system: u32,
    pub(super) sojourn: DurationHistogram,
    /// Time-series bins: ∫ N(t) dt per bin, packet·ns.
    pub(super) bins: Vec<f64>,
}

#[derive(Debug, Clone)]
struct Red {
    cfg: RedConfig,
    avg: f64,
    count: i64,
}

/// The state of one directed link in the packet simulator.
#[derive(Debug, Clone)]
pub(super) struct LinkState {
    pub(super) up: bool,
    /// Incremented at every failure; packets carry the generation they were sent in.
    pub(super) generation: u16,
    ns_per_byte: f64,
    pub(super) prop_ns: u64,
    limit: QueueLimit,
    red: Option<Red>,
    rng: SimRng,
    busy_until: u64,
    ring: VecDeque<Entry>,
    n: u32,
    bytes_in_system: u64,
    /// When the link last became empty (for RED's idle decay).
    idle_since: u64,
    /// The time-series bin of the latest presence added, and its end.
    bin: usize,
    bin_end: u64,
    /// Generations ended by a failure, with the failure time.
    failures: Vec<(u16, u64)>,
    pub(super) counters: LinkCounters,
}

impl LinkState {
    pub(super) fn new(
        capacity_bps: f64,
        prop_ns: u64,
        limit: QueueLimit,
        red: Option<RedConfig>,
        rng: SimRng,
        window: &Window,
    ) -> Self {
        let n_bins = if window.bin > 0 {
            (window.end - window.start).div_ceil(window.bin) as usize
        } else {
            0
        };
        LinkState {
            up: true,
            generation: 0,
            ns_per_byte: 8e9 / capacity_bps,
            prop_ns,
            limit,
            red: red.map(|cfg| Red { cfg, avg: 0.0, count: -1 }),
            rng,
            busy_until: 0,
            ring: VecDeque::new(),
            n: 0,
            bytes_in_system: 0,
            idle_since: 0,
            bin: 0,
            bin_end: window.start + window.bin,
            failures: Vec::new(),
            counters: LinkCounters { bins: vec![0.0; n_bins], ..LinkCounters::default() },
        }
    }

    /// Transmission time of `bytes` at the current rate, ns (at least 1).
    #[inline]
    pub(super) fn tx_ns(&self, bytes: u32) -> u64 {
        // Rounded to the nearest nanosecond (the value is positive, so adding ½ and truncating
        // rounds, without a call to `round`).
        ((f64::from(bytes) * self.ns_per_byte + 0.5) as u64).max(1)
    }

    pub(super) fn set_capacity(&mut self, capacity_bps: f64) {
        self.ns_per_byte = 8e9 / capacity_bps;
    }

    /// Adds ±1 over `[a, b)` (clipped to the window) to the area and the time-series bins: the
    /// integral of the number in system is the sum over packets of their time in the system.
    #[inline]
    fn add_presence(&mut self, a: u64, b: u64, w: &Window, sign: f64) {
        let (a, b) = (a.max(w.start), b.min(w.end));
        if a >= b {
            return;
        }
        let len = b - a;
        if sign > 0.0 {
            self.counters.area += u128::from(len);
        } else {
            self.counters.area -= u128::from(len);
        }
        if w.bin == 0 {
            return;
        }
        // `a` never decreases from call to call (arrivals and failures come in time order), so the
        // bin of `a` is found by stepping forward from the last one.
        while a >= self.bin_end {
            self.bin_end += w.bin;
            self.bin += 1;
        }
        let (mut k, mut edge, mut x) = (self.bin, self.bin_end, a);
        while x < b {
            let s = b.min(edge);
            if let Some(bin) = self.counters.bins.get_mut(k) {
                *bin += sign * (s - x) as f64;
            }
            x = s;
            k += 1;
            edge += w.bin;
        }
    }

    /// Packets that have left by `t` leave the system.
    #[inline]
    fn advance(&mut self, t: u64) {
        while let Some(e) = self.ring.front() {
            if e.depart > t {
                break;
            }
            let (depart, bytes) = (e.depart, e.bytes);
            self.ring.pop_front();
            self.n -= 1;
            self.bytes_in_system -= u64::from(bytes);
            if self.n == 0 {
                self.idle_since = depart;
            }
        }
    }

    /// Offers a packet of `bytes` arriving at `t` (non-decreasing across calls).
    #[inline]
    pub(super) fn offer(&mut self, t: u64, bytes: u32, w: &Window) -> Verdict {
        let in_window = w.contains(t);
        if in_window {
            self.counters.arrivals += 1;
        }
        if !self.up {
            if in_window {
                self.counters.drops_down += 1;
            }
            return Verdict::Down;
        }
        self.advance(t);
        // RED sees every arrival (its average moves even when the buffer then turns the packet
        // away); an early drop comes before the buffer check.
        if self.red.is_some() && self.red_drops(t) {
            if in_window {
                self.counters.drops_aqm += 1;
            }
            return Verdict::Aqm;
        }
        let fits = match self.limit {
            QueueLimit::Packets(k) => self.n < k,
            QueueLimit::Bytes(b) => self.bytes_in_system + u64::from(bytes) <= b,
        };
        if !fits {
            if in_window {
                self.counters.drops_tail += 1;
            }
            return Verdict::Tail;
        }
        let tx = self.tx_ns(bytes);
        let start = t.max(self.busy_until);
        let depart = start + tx;
        self.busy_until = depart;
        self.ring.push_back(Entry { depart, start, bytes });
        self.n += 1;
        self.bytes_in_system += u64::from(bytes);
        let c = &mut self.counters;
        if in_window {
            c.accepted += 1;
            c.max_in_system = c.max_in_system.max(self.n);
            c.sojourn.record(SimDuration::from_nanos(depart - t));
        }
        c.busy_ns += w.overlap(start, depart);
        self.add_presence(t, depart, w, 1.0);
        let c = &mut self.counters;
        if w.contains(depart) {
            c.departures += 1;
            c.bytes_out += u64::from(bytes);
        }
        Verdict::Accepted(depart)
    }

    /// RED (Floyd & Jacobson 1993, with the gentle extension): the average queue in packets,
    /// decayed over idle periods as if packets of the mean size had been sent.
    fn red_drops(&mut self, t: u64) -> bool {
        let n = self.n;
        let idle_since = self.idle_since;
        let typical_tx =
            self.red.as_ref().map_or(1.0, |r| r.cfg.mean_packet_bytes * self.ns_per_byte).max(1.0);
        let u: f64 = self.rng.random();
        let Some(red) = self.red.as_mut() else { return false };
        let c = red.cfg;
        if n == 0 {
            let m = (t.saturating_sub(idle_since)) as f64 / typical_tx;
            red.avg *= (1.0 - c.weight).powf(m);
        } else {
            red.avg = (1.0 - c.weight) * red.avg + c.weight * f64::from(n);
        }
        let avg = red.avg;
        let upper = if c.gentle { 2.0 * c.max_threshold } else { c.max_threshold };
        if avg < c.min_threshold {
            red.count = -1;
            return false;
        }
        if avg >= upper {
            red.count = 0;
            return true;
        }
        red.count += 1;
        let pb = if avg < c.max_threshold {
            c.max_p * (avg - c.min_threshold) / (c.max_threshold - c.min_threshold)
        } else {
            c.max_p + (1.0 - c.max_p) * (avg - c.max_threshold) / c.max_threshold
        };
        let denom = 1.0 - red.count as f64 * pb;
        let pa = if denom <= 0.0 { 1.0 } else { (pb / denom).min(1.0) };
        if u < pa {
            red.count = 0;
            true
        } else {
            false
        }
    }

    /// The link fails at `t`: the packets in its system are lost.
    pub(super) fn fail(&mut self, t: u64, w: &Window) {
        self.advance(t);
        let lost: Vec<Entry> = self.ring.drain(..).collect();
        for e in lost {
            self.add_presence(t, e.depart, w, -1.0);
            let c = &mut self.counters;
            if w.contains(t) {
                c.drops_failure += 1;
            }
            if w.contains(e.depart) {
                c.departures -= 1;
                c.bytes_out -= u64::from(e.bytes);
            }
            c.busy_ns -= w.overlap(e.start.max(t), e.depart);
        }
        self.n = 0;
        self.bytes_in_system = 0;
        self.busy_until = t;
        self.idle_since = t;
        self.failures.push((self.generation, t));
        self.generation = self.generation.wrapping_add(1);
        self.up = false;
    }

    /// The link comes back at `t`, empty.
    pub(super) fn restore(&mut self, t: u64) {
        self.advance(t);
        self.up = true;
    }

    /// Whether a packet sent in `generation` that would have left at `depart` was lost in a
    /// failure.
    #[inline]
    pub(super) fn lost_in_failure(&self, generation: u16, depart: u64) -> bool {
        generation != self.generation
            && self.failures.iter().any(|&(g, tf)| g == generation && depart > tf)
    }

    /// Closes the window.
    pub(super) fn finish(&mut self, w: &Window) {
        self.advance(w.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngStreams;

    fn window() -> Window {
        Window { start: 0, end: 1_000_000, bin: 100_000 }
    }

    #[test]
    fn lindley_recursion_and_exact_area() {
        let w = window();
        // 1 Gbit/s: 8 ns per byte; 1000 bytes take 8 µs.
        let mut l = LinkState::new(
            1e9,
            0,
            QueueLimit::Packets(3),
            None,
            RngStreams::new(1).stream("l"),
            &w,
        );
        assert_eq!(l.offer(0, 1000, &w), Verdict::Accepted(8_000));
        assert_eq!(l.offer(1_000, 1000, &w), Verdict::Accepted(16_000));
        assert_eq!(l.offer(2_000, 1000, &w), Verdict::Accepted(24_000));
        assert_eq!(l.offer(3_000, 1000, &w), Verdict::Tail, "three in the system");
        assert_eq!(l.offer(8_000, 1000, &w), Verdict::Accepted(32_000), "the first has just left");
        l.finish(&w);
        // N(t): 1 on [0,1000), 2 on [1000,2000), 3 on [2000,24000) except the swap at 8000,
        // then 2 on [24000, 32000)... computed by hand: sum of sojourns.
        let area: u64 = 8_000 + 15_000 + 22_000 + 24_000;
        assert_eq!(l.counters.area, u128::from(area));
        assert_eq!(l.counters.bins[0], area as f64);
        assert_eq!(l.counters.departures, 4);
        assert_eq!(l.counters.busy_ns, 32_000);
        assert_eq!((l.counters.arrivals, l.counters.drops_tail), (5, 1));
    }

    #[test]
    fn failure_loses_the_queue() {
        let w = window();
        let mut l = LinkState::new(
            1e9,
            0,
            QueueLimit::Bytes(10_000),
            None,
            RngStreams::new(1).stream("l"),
            &w,
        );
        for i in 0..4 {
            assert!(matches!(l.offer(i * 100, 1000, &w), Verdict::Accepted(_)));
        }
        let g = l.generation;
        l.fail(17_000, &w);
        assert_eq!(l.counters.drops_failure, 2, "two had left by 17 µs");
        assert_eq!(l.counters.departures, 2);
        assert_eq!(l.counters.busy_ns, 17_000);
        assert!(l.lost_in_failure(g, 24_000));
        assert!(!l.lost_in_failure(g, 16_000));
        assert_eq!(l.offer(18_000, 1000, &w), Verdict::Down);
        l.restore(19_000);
        assert_eq!(l.offer(20_000, 1000, &w), Verdict::Accepted(28_000));
        assert!(!l.lost_in_failure(l.generation, 28_000));
    }
}
