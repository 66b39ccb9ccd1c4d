//! The report of a finished packet-level run: per-link and per-flow figures over the
//! measurement window.

use sim_core::SimTime;

use super::link::{LinkState, Window};
use super::sim::{FlowState, Net, Source};
use super::{FlowReport, LinkReport, PacketReport, TcpReport};
use crate::topology::LinkId;

impl Net {
    /// The report, once the run has reached its end; `events` is what the engine handled.
    pub(super) fn into_report(mut self, events: u64) -> PacketReport {
        let w = self.window;
        let mut links = Vec::new();
        for l in self.topo.link_ids() {
            let Some(state) = self.links.get_mut(l.0 as usize) else { continue };
            let name = self.topo.link(l).map(|x| x.name.clone()).unwrap_or_default();
            links.push(link_report(l, name, state, &w));
        }
        let secs = window_secs(&w);
        let flows = self.flows.iter_mut().map(|f| flow_report(f, secs)).collect();
        PacketReport {
            links,
            flows,
            window: (SimTime::from_nanos(w.start), SimTime::from_nanos(w.end)),
            packets: self.packets,
            events,
        }
    }
}

/// The window's length, seconds.
fn window_secs(w: &Window) -> f64 {
    (w.end - w.start) as f64 / 1e9
}

/// What link `link` did; closes its counters at the end of the window and takes its sojourn
/// histogram.
fn link_report(link: LinkId, name: String, state: &mut LinkState, w: &Window) -> LinkReport {
    let secs = window_secs(w);
    let span = (w.end - w.start) as f64;
    state.finish(w);
    let sojourn = std::mem::take(&mut state.counters.sojourn);
    let c = &state.counters;
    let bins = c.bins.len();
    // The last bin may be cut short by the end of the window.
    let bin_len = |k: usize| (w.bin.min(w.end - (w.start + k as u64 * w.bin))) as f64;
    LinkReport {
        link,
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
        queue_bin_start_s: (0..bins).map(|k| (w.start + k as u64 * w.bin) as f64 / 1e9).collect(),
        queue_series: c.bins.iter().enumerate().map(|(k, a)| a / bin_len(k)).collect(),
        accepted_rate_pps: c.accepted as f64 / secs,
    }
}

/// What flow `f` experienced over a window of `secs` seconds; takes its delay histogram.
fn flow_report(f: &mut FlowState, secs: f64) -> FlowReport {
    let c = &f.counters;
    let tcp = match &f.source {
        Source::Tcp(s) => Some(TcpReport {
            goodput_bps: c.acked_in_window as f64 * f64::from(s.cfg.mss_bytes) * 8.0 / secs,
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
}
