//! The TCP-like sender: a congestion window in packets with slow start, AIMD congestion
//! avoidance, one halving per window of losses (fast recovery) and RFC 6298 retransmission
//! timeouts. The network side (ACK and loss-notice timing) lives in `sim.rs`.

use super::TcpConfig;

/// The sender's state.
#[derive(Debug, Clone)]
pub(super) struct TcpSender {
    pub(super) cfg: TcpConfig,
    pub(super) cwnd: f64,
    pub(super) ssthresh: f64,
    /// Next sequence number (every transmission, first or again, gets a new one).
    pub(super) next_seq: u32,
    /// Packets sent and neither acknowledged nor known lost.
    pub(super) in_flight: u32,
    /// Incremented at each timeout; ACKs and loss notices of older epochs are ignored.
    pub(super) epoch: u16,
    /// Losses at or after this sequence number start a new recovery.
    pub(super) recover: u32,
    /// Packets of the transfer (`None`: bulk).
    pub(super) total: Option<u64>,
    /// Packets acknowledged.
    pub(super) acked: u64,
    srtt_ns: f64,
    rttvar_ns: f64,
    pub(super) rto_ns: u64,
    /// Time of the last ACK, loss notice or timeout.
    pub(super) last_progress: u64,
    pub(super) rto_pending: bool,
    pub(super) retransmissions: u64,
    pub(super) timeouts: u64,
    /// Packets to send again (lost, not yet resent).
    pub(super) to_resend: u64,
    pub(super) completed_at: Option<u64>,
}

/// Upper bound of the retransmission timeout (RFC 6298 allows 60 s).
const MAX_RTO_NS: u64 = 60_000_000_000;

impl TcpSender {
    pub(super) fn new(cfg: TcpConfig) -> Self {
        let total = cfg.flow_bytes.map(|b| b.div_ceil(u64::from(cfg.mss_bytes)));
        TcpSender {
            cfg,
            cwnd: cfg.initial_window.min(cfg.max_window),
            ssthresh: cfg.initial_ssthresh,
            next_seq: 0,
            in_flight: 0,
            epoch: 0,
            recover: 0,
            total,
            acked: 0,
            srtt_ns: 0.0,
            rttvar_ns: 0.0,
            // RFC 6298: 1 s before the first measurement.
            rto_ns: 1_000_000_000u64.max((cfg.min_rto_s * 1e9) as u64),
            last_progress: 0,
            rto_pending: false,
            retransmissions: 0,
            timeouts: 0,
            to_resend: 0,
            completed_at: None,
        }
    }

    /// Whether the window and the data left allow another packet now.
    pub(super) fn can_send(&self) -> bool {
        if f64::from(self.in_flight) + 1.0 > self.cwnd.floor().max(1.0) {
            return false;
        }
        match self.total {
            None => true,
            Some(total) => self.acked + u64::from(self.in_flight) < total,
        }
    }

    /// Records a transmission; returns its sequence number and whether it is a retransmission.
    pub(super) fn on_send(&mut self) -> (u32, bool) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.in_flight += 1;
        let again = self.to_resend > 0;
        if again {
            self.to_resend -= 1;
            self.retransmissions += 1;
        }
        (seq, again)
    }

    /// An ACK of a packet sent at `sent` arrives at `now`.
    pub(super) fn on_ack(&mut self, now: u64, sent: u64) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.acked += 1;
        self.last_progress = now;
        let rtt = now.saturating_sub(sent) as f64;
        if self.srtt_ns == 0.0 {
            self.srtt_ns = rtt;
            self.rttvar_ns = rtt / 2.0;
        } else {
            self.rttvar_ns = 0.75 * self.rttvar_ns + 0.25 * (self.srtt_ns - rtt).abs();
            self.srtt_ns = 0.875 * self.srtt_ns + 0.125 * rtt;
        }
        let rto = (self.srtt_ns + 4.0 * self.rttvar_ns) as u64;
        self.rto_ns = rto.max((self.cfg.min_rto_s * 1e9) as u64).min(MAX_RTO_NS);
        if self.cwnd < self.ssthresh {
            self.cwnd += 1.0;
        } else {
            self.cwnd += 1.0 / self.cwnd;
        }
        self.cwnd = self.cwnd.min(self.cfg.max_window);
        if self.total.is_some_and(|t| self.acked >= t) && self.completed_at.is_none() {
            self.completed_at = Some(now);
        }
    }

    /// The loss of packet `seq` becomes known at `now`.
    pub(super) fn on_loss(&mut self, now: u64, seq: u32) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.to_resend += 1;
        self.last_progress = now;
        // One window reduction per window of data: losses of packets sent before the last
        // reduction belong to the same congestion event.
        if seq.wrapping_sub(self.recover) < u32::MAX / 2 {
            self.ssthresh = (self.cwnd / 2.0).max(2.0);
            self.cwnd = self.ssthresh;
            self.recover = self.next_seq;
        }
    }

    /// The retransmission timer expired at `now`: everything in flight is presumed lost.
    pub(super) fn on_timeout(&mut self, now: u64) {
        self.ssthresh = (f64::from(self.in_flight) / 2.0).max(2.0);
        self.cwnd = 1.0;
        self.to_resend += u64::from(self.in_flight);
        self.in_flight = 0;
        self.epoch = self.epoch.wrapping_add(1);
        self.recover = self.next_seq;
        self.rto_ns = (self.rto_ns * 2).min(MAX_RTO_NS);
        self.timeouts += 1;
        self.last_progress = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_then_aimd_then_timeout() {
        let mut t = TcpSender::new(TcpConfig {
            initial_window: 2.0,
            initial_ssthresh: 4.0,
            ..TcpConfig::default()
        });
        assert!(t.can_send());
        t.on_send();
        t.on_send();
        assert!(!t.can_send(), "window of 2 is full");
        t.on_ack(100_000_000, 0);
        t.on_ack(100_000_000, 0);
        assert_eq!(t.cwnd, 4.0, "slow start doubles per round trip");
        for _ in 0..4 {
            t.on_send();
        }
        for _ in 0..4 {
            t.on_ack(200_000_000, 100_000_000);
        }
        assert!(
            (t.cwnd - 5.0).abs() < 0.1,
            "congestion avoidance adds about one per round trip: {}",
            t.cwnd
        );
        for _ in 0..5 {
            t.on_send();
        }
        let first_lost = t.next_seq - 5;
        t.on_loss(300_000_000, first_lost);
        let after = t.cwnd;
        assert!((after - t.ssthresh).abs() < 1e-12 && after < 3.0);
        t.on_loss(300_000_000, first_lost + 1);
        assert_eq!(t.cwnd, after, "one halving per window");
        assert_eq!(t.to_resend, 2);
        t.on_timeout(2_000_000_000);
        assert_eq!((t.cwnd, t.in_flight, t.timeouts, t.epoch), (1.0, 0, 1, 1));
        assert_eq!(t.to_resend, 5);
        assert!(t.rto_ns >= 400_000_000);
    }

    #[test]
    fn finite_transfer_completes() {
        let mut t = TcpSender::new(TcpConfig {
            flow_bytes: Some(3000),
            mss_bytes: 1500,
            ..TcpConfig::default()
        });
        assert_eq!(t.total, Some(2));
        t.on_send();
        t.on_send();
        assert!(!t.can_send(), "nothing left to send");
        t.on_ack(10, 0);
        assert_eq!(t.completed_at, None);
        t.on_ack(20, 0);
        assert_eq!(t.completed_at, Some(20));
    }
}
