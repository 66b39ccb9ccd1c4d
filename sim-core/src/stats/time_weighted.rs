//! Time-weighted averages of piecewise-constant quantities.

use super::StatsError;
use crate::time::SimTime;

/// The time average of a quantity that changes at discrete instants and holds its value in
/// between: the number of packets in a queue, a link's busy indicator (whose average is its
/// utilisation), a settlement backlog.
///
/// ```
/// use sim_core::{SimTime, stats::TimeWeighted};
/// let t = |s| SimTime::from_secs(s).unwrap();
/// let mut queue = TimeWeighted::new(t(0), 0.0);
/// queue.set(t(2), 3.0)?; // 0 for two seconds, then 3
/// queue.set(t(4), 1.0)?; // 3 for two seconds, then 1
/// assert_eq!(queue.mean(t(8))?, (0.0 * 2.0 + 3.0 * 2.0 + 1.0 * 4.0) / 8.0);
/// assert!(queue.set(t(3), 0.0).is_err(), "time cannot go backwards");
/// # Ok::<(), sim_core::stats::StatsError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeWeighted {
    start: SimTime,
    last: SimTime,
    value: f64,
    /// ∫ value dt over [start, last], in value·seconds.
    area: f64,
    min: f64,
    max: f64,
}

impl TimeWeighted {
    /// Starts observing at `start`, where the quantity equals `initial`.
    pub fn new(start: SimTime, initial: f64) -> Self {
        TimeWeighted { start, last: start, value: initial, area: 0.0, min: initial, max: initial }
    }

    fn advance(&mut self, now: SimTime) -> Result<(), StatsError> {
        let dt = now
            .checked_duration_since(self.last)
            .ok_or(StatsError::TimeWentBackwards { last: self.last, now })?;
        self.area += self.value * dt.as_secs_f64();
        self.last = now;
        Ok(())
    }

    /// The quantity changes to `value` at `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, value: f64) -> Result<(), StatsError> {
        if !value.is_finite() {
            return Err(StatsError::NotFinite { value });
        }
        self.advance(now)?;
        self.value = value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        Ok(())
    }

    /// The quantity changes by `delta` at `now` (+1 on an arrival, −1 on a departure).
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: f64) -> Result<(), StatsError> {
        self.set(now, self.value + delta)
    }

    /// The start of the observation window.
    pub fn start(&self) -> SimTime {
        self.start
    }

    /// The current value.
    pub fn current(&self) -> f64 {
        self.value
    }

    /// The time average over `[start, now]`; the current value if no time has passed.
    pub fn mean(&self, now: SimTime) -> Result<f64, StatsError> {
        let tail = now
            .checked_duration_since(self.last)
            .ok_or(StatsError::TimeWentBackwards { last: self.last, now })?;
        let span = now.saturating_duration_since(self.start).as_secs_f64();
        if span == 0.0 {
            return Ok(self.value);
        }
        Ok((self.area + self.value * tail.as_secs_f64()) / span)
    }

    /// The integral of the quantity over `[start, now]`, in value·seconds.
    pub fn integral(&self, now: SimTime) -> Result<f64, StatsError> {
        let tail = now
            .checked_duration_since(self.last)
            .ok_or(StatsError::TimeWentBackwards { last: self.last, now })?;
        Ok(self.area + self.value * tail.as_secs_f64())
    }

    /// The smallest and largest values taken since the start.
    pub fn range(&self) -> (f64, f64) {
        (self.min, self.max)
    }

    /// Forgets the past and starts a new observation window at `now` with the current value: the
    /// end of a warm-up period, or the boundary of a replay interval.
    pub fn restart(&mut self, now: SimTime) -> Result<(), StatsError> {
        self.advance(now)?;
        *self = TimeWeighted::new(now, self.value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::from_secs(s).unwrap()
    }

    #[test]
    fn restart_discards_the_past() {
        let mut tw = TimeWeighted::new(t(0), 10.0);
        tw.set(t(5), 2.0).unwrap();
        tw.restart(t(6)).unwrap();
        tw.add(t(8), 2.0).unwrap();
        assert_eq!(tw.mean(t(10)).unwrap(), (2.0 * 2.0 + 4.0 * 2.0) / 4.0);
        assert_eq!(tw.integral(t(10)).unwrap(), 12.0);
        assert_eq!(tw.range(), (2.0, 4.0));
    }

    #[test]
    fn bad_updates_are_errors() {
        let mut tw = TimeWeighted::new(t(5), 0.0);
        assert_eq!(tw.mean(t(5)).unwrap(), 0.0);
        assert!(matches!(tw.set(t(6), f64::NAN), Err(StatsError::NotFinite { .. })));
        assert!(matches!(tw.mean(t(4)), Err(StatsError::TimeWentBackwards { .. })));
        assert!(matches!(tw.restart(t(4)), Err(StatsError::TimeWentBackwards { .. })));
    }
}
