//! Simulated time: instants ([`SimTime`]) and spans ([`SimDuration`]) as integer nanoseconds.
//!
//! Integers rather than floating-point seconds, for three reasons: equal times compare equal (so the
//! tie-break rule of the event queue is the only thing that orders simultaneous events), adding a
//! small delay to a large time never rounds the delay away, and results are bit-identical across
//! machines. A `u64` of nanoseconds spans about 584 years, far more than the year of replay a
//! scenario covers.
//!
//! Arithmetic is checked: every operation that could overflow returns an `Option` or a `Result`
//! instead of wrapping or panicking, so a bad rate in a scenario file (a delay of 10³⁰ s) becomes an
//! error message, not a corrupted clock.

use std::fmt;

/// Nanoseconds in one microsecond, millisecond, second, minute, hour and day.
const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;
const NS_PER_MIN: u64 = 60 * NS_PER_S;
const NS_PER_H: u64 = 60 * NS_PER_MIN;
const NS_PER_DAY: u64 = 24 * NS_PER_H;

/// Why a time value could not be built.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum TimeError {
    /// A floating-point number of seconds was NaN or infinite.
    #[error("time value {value} s is not a finite number")]
    NotFinite {
        /// The offending value, in seconds.
        value: f64,
    },
    /// A time or duration was negative; simulated time starts at zero and only moves forward.
    #[error("time value {value} s is negative; simulated times and durations are never negative")]
    Negative {
        /// The offending value, in seconds.
        value: f64,
    },
    /// The result does not fit in 64 bits of nanoseconds (about 584 years).
    #[error("time value overflows the range of simulated time (about 584 years in nanoseconds)")]
    Overflow,
}

/// An instant of simulated time, in nanoseconds since the start of the simulation.
///
/// ```
/// use sim_core::{SimDuration, SimTime};
/// let t = SimTime::from_hours(26)?.checked_add(SimDuration::from_millis(1_500)?).unwrap();
/// assert_eq!(t.to_string(), "1d 02h 00m 01.5s");
/// assert_eq!(t.as_secs_f64(), 93_601.5);
/// # Ok::<(), sim_core::TimeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
///
/// ```
/// use sim_core::SimDuration;
/// let d = SimDuration::from_secs_f64(0.000_25)?;
/// assert_eq!(d.as_nanos(), 250_000);
/// assert_eq!(d.to_string(), "250µs");
/// assert!(SimDuration::from_secs_f64(-1.0).is_err());
/// assert!(SimDuration::from_secs_f64(f64::NAN).is_err());
/// # Ok::<(), sim_core::TimeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

/// Converts a count of `unit`-nanosecond units into nanoseconds, failing on overflow.
fn scaled(count: u64, ns_per_unit: u64) -> Result<u64, TimeError> {
    count.checked_mul(ns_per_unit).ok_or(TimeError::Overflow)
}

/// Converts floating-point seconds into nanoseconds, rounding to the nearest nanosecond.
fn nanos_from_secs_f64(secs: f64) -> Result<u64, TimeError> {
    if !secs.is_finite() {
        return Err(TimeError::NotFinite { value: secs });
    }
    if secs < 0.0 {
        return Err(TimeError::Negative { value: secs });
    }
    // Adding one half and truncating rounds half away from zero for non-negative values, like
    // `f64::round`, without a call into libm on targets that lack a rounding instruction: this
    // sits on the hot path of every sampled delay.
    let ns = secs * NS_PER_S as f64 + 0.5;
    // Below 2^63 the conversion goes through a signed integer, which x86-64 converts in one
    // instruction (the unsigned conversion takes a dozen); 2^63 ns is 292 years.
    if ns < 9_223_372_036_854_775_808.0 {
        return Ok(ns as i64 as u64);
    }
    // 2^64 is exactly representable; anything at or above it does not fit.
    if ns >= 18_446_744_073_709_551_616.0 {
        return Err(TimeError::Overflow);
    }
    // The value is finite, at least 2^63 and below 2^64, so the truncation is well defined.
    Ok(ns as u64)
}

/// The constructors and accessors shared by [`SimTime`] and [`SimDuration`].
macro_rules! nanosecond_type {
    ($ty:ident, $what:literal) => {
        impl $ty {
            #[doc = concat!("The ", $what, " of zero nanoseconds.")]
            pub const ZERO: Self = Self(0);
            #[doc = concat!("The largest representable ", $what, " (about 584 years).")]
            pub const MAX: Self = Self(u64::MAX);

            #[doc = concat!("A ", $what, " of `ns` nanoseconds.")]
            pub const fn from_nanos(ns: u64) -> Self {
                Self(ns)
            }

            #[doc = concat!("A ", $what, " of `us` microseconds, or an overflow error.")]
            pub fn from_micros(us: u64) -> Result<Self, TimeError> {
                scaled(us, NS_PER_US).map(Self)
            }

            #[doc = concat!("A ", $what, " of `ms` milliseconds, or an overflow error.")]
            pub fn from_millis(ms: u64) -> Result<Self, TimeError> {
                scaled(ms, NS_PER_MS).map(Self)
            }

            #[doc = concat!("A ", $what, " of `s` whole seconds, or an overflow error.")]
            pub fn from_secs(s: u64) -> Result<Self, TimeError> {
                scaled(s, NS_PER_S).map(Self)
            }

            #[doc = concat!("A ", $what, " of `h` hours, or an overflow error.")]
            pub fn from_hours(h: u64) -> Result<Self, TimeError> {
                scaled(h, NS_PER_H).map(Self)
            }

            #[doc = concat!("A ", $what, " of `secs` seconds, rounded to the nearest nanosecond.")]
            ///
            /// Fails on NaN, infinities, negative values and values beyond the 64-bit range.
            pub fn from_secs_f64(secs: f64) -> Result<Self, TimeError> {
                nanos_from_secs_f64(secs).map(Self)
            }

            /// The value in nanoseconds.
            pub const fn as_nanos(self) -> u64 {
                self.0
            }

            /// The value in seconds, as a float (exact up to 2^53 ns, about 104 days; beyond
            /// that it is rounded to the nearest representable value).
            pub fn as_secs_f64(self) -> f64 {
                // Split into whole seconds and the remainder so that each part converts exactly.
                (self.0 / NS_PER_S) as f64 + (self.0 % NS_PER_S) as f64 * 1e-9
            }
        }

        impl fmt::Display for $ty {
            /// A reading a person can take in at a glance: `750ns`, `12.5µs`, `3.25ms`, `1.5s`,
            /// `2m 03.5s`, `1h 00m 00s`, `3d 04h 05m 06s`. Exact: no digit of the nanosecond
            /// count is dropped.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&format_nanos(self.0))
            }
        }
    };
}

nanosecond_type!(SimTime, "time");
nanosecond_type!(SimDuration, "duration");

impl SimTime {
    /// The time `d` after `self`, or `None` if it would overflow.
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(ns) => Some(SimTime(ns)),
            None => None,
        }
    }

    /// The time `d` after `self`, or [`TimeError::Overflow`].
    pub fn try_add(self, d: SimDuration) -> Result<SimTime, TimeError> {
        self.checked_add(d).ok_or(TimeError::Overflow)
    }

    /// The time `d` before `self`, or `None` if it would be before time zero.
    pub const fn checked_sub(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_sub(d.0) {
            Some(ns) => Some(SimTime(ns)),
            None => None,
        }
    }

    /// The time `d` after `self`, clamped to [`SimTime::MAX`].
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The span from `earlier` to `self`, or `None` if `earlier` is later than `self`.
    pub const fn checked_duration_since(self, earlier: SimTime) -> Option<SimDuration> {
        match self.0.checked_sub(earlier.0) {
            Some(ns) => Some(SimDuration(ns)),
            None => None,
        }
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later than `self`.
    pub const fn saturating_duration_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// The span from time zero to `self`.
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }
}

impl SimDuration {
    /// The sum of two durations, or `None` on overflow.
    pub const fn checked_add(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_add(other.0) {
            Some(ns) => Some(SimDuration(ns)),
            None => None,
        }
    }

    /// The difference of two durations, or `None` if `other` is longer.
    pub const fn checked_sub(self, other: SimDuration) -> Option<SimDuration> {
        match self.0.checked_sub(other.0) {
            Some(ns) => Some(SimDuration(ns)),
            None => None,
        }
    }

    /// The duration repeated `n` times, or `None` on overflow.
    pub const fn checked_mul(self, n: u64) -> Option<SimDuration> {
        match self.0.checked_mul(n) {
            Some(ns) => Some(SimDuration(ns)),
            None => None,
        }
    }

    /// True for the zero-length duration.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl From<SimDuration> for std::time::Duration {
    fn from(d: SimDuration) -> Self {
        std::time::Duration::from_nanos(d.0)
    }
}

impl TryFrom<std::time::Duration> for SimDuration {
    type Error = TimeError;

    fn try_from(d: std::time::Duration) -> Result<Self, TimeError> {
        u64::try_from(d.as_nanos()).map(SimDuration).map_err(|_| TimeError::Overflow)
    }
}

/// Formats a nanosecond count with the largest unit that keeps it readable, without losing digits.
fn format_nanos(ns: u64) -> String {
    /// `value` units and a fraction of `frac` over `unit_ns`, trailing zeros trimmed.
    fn decimal(whole: u64, frac: u64, unit_ns: u64, suffix: &str) -> String {
        if frac == 0 {
            return format!("{whole}{suffix}");
        }
        let digits = unit_ns.ilog10() as usize;
        let frac = format!("{frac:0digits$}");
        format!("{whole}.{}{suffix}", frac.trim_end_matches('0'))
    }

    if ns < NS_PER_US {
        return format!("{ns}ns");
    }
    if ns < NS_PER_MS {
        return decimal(ns / NS_PER_US, ns % NS_PER_US, NS_PER_US, "µs");
    }
    if ns < NS_PER_S {
        return decimal(ns / NS_PER_MS, ns % NS_PER_MS, NS_PER_MS, "ms");
    }
    if ns < NS_PER_MIN {
        return decimal(ns / NS_PER_S, ns % NS_PER_S, NS_PER_S, "s");
    }
    let days = ns / NS_PER_DAY;
    let hours = ns % NS_PER_DAY / NS_PER_H;
    let minutes = ns % NS_PER_H / NS_PER_MIN;
    let secs = ns % NS_PER_MIN / NS_PER_S;
    let sub = ns % NS_PER_S;
    // Seconds are zero-padded to two digits when a larger unit precedes them.
    let seconds = {
        let s = decimal(secs, sub, NS_PER_S, "s");
        if secs < 10 { format!("0{s}") } else { s }
    };
    if days > 0 {
        format!("{days}d {hours:02}h {minutes:02}m {seconds}")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m {seconds}")
    } else {
        format!("{minutes}m {seconds}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_agree() {
        assert_eq!(SimDuration::from_secs(3).unwrap(), SimDuration::from_millis(3_000).unwrap());
        assert_eq!(SimDuration::from_millis(3).unwrap(), SimDuration::from_micros(3_000).unwrap());
        assert_eq!(SimDuration::from_hours(2).unwrap(), SimDuration::from_secs(7_200).unwrap());
        assert_eq!(SimTime::from_secs_f64(1.5).unwrap().as_nanos(), 1_500_000_000);
        assert_eq!(SimTime::from_secs_f64(1e-9).unwrap().as_nanos(), 1);
        assert_eq!(SimTime::from_secs_f64(0.4e-9).unwrap().as_nanos(), 0);
        // Beyond 2^63 ns the conversion takes the unsigned path.
        assert_eq!(SimTime::from_secs_f64(1e10).unwrap().as_nanos(), 10_000_000_000_000_000_000);
    }

    #[test]
    fn bad_values_are_errors_not_panics() {
        assert_eq!(
            SimDuration::from_secs_f64(f64::NAN).unwrap_err().to_string(),
            "time value NaN s is not a finite number"
        );
        assert!(matches!(
            SimDuration::from_secs_f64(f64::INFINITY),
            Err(TimeError::NotFinite { .. })
        ));
        assert!(matches!(SimDuration::from_secs_f64(-0.5), Err(TimeError::Negative { .. })));
        assert_eq!(SimDuration::from_secs_f64(1e11), Err(TimeError::Overflow));
        assert_eq!(SimDuration::from_secs_f64(18_446_744_073.709_553), Err(TimeError::Overflow));
        assert_eq!(SimTime::from_hours(u64::MAX / 1000), Err(TimeError::Overflow));
        assert_eq!(SimTime::from_secs(u64::MAX), Err(TimeError::Overflow));
        assert_eq!(SimTime::MAX.checked_add(SimDuration::from_nanos(1)), None);
        assert_eq!(SimTime::MAX.try_add(SimDuration::from_nanos(1)), Err(TimeError::Overflow));
        assert_eq!(SimTime::ZERO.checked_sub(SimDuration::from_nanos(1)), None);
        assert_eq!(SimDuration::MAX.checked_mul(2), None);
    }

    #[test]
    fn differences() {
        let a = SimTime::from_secs(10).unwrap();
        let b = SimTime::from_secs(4).unwrap();
        assert_eq!(a.checked_duration_since(b), Some(SimDuration::from_secs(6).unwrap()));
        assert_eq!(b.checked_duration_since(a), None);
        assert_eq!(b.saturating_duration_since(a), SimDuration::ZERO);
        assert_eq!(a.since_start().as_secs_f64(), 10.0);
    }

    #[test]
    fn display_is_readable_and_exact() {
        let cases = [
            (0, "0ns"),
            (999, "999ns"),
            (1_000, "1µs"),
            (12_500, "12.5µs"),
            (3_250_000, "3.25ms"),
            (1_000_000_000, "1s"),
            (1_500_000_001, "1.500000001s"),
            (59_999_999_999, "59.999999999s"),
            (60_000_000_000, "1m 00s"),
            (123_500_000_000, "2m 03.5s"),
            (3_600_000_000_000, "1h 00m 00s"),
            (3 * NS_PER_DAY + 4 * NS_PER_H + 5 * NS_PER_MIN + 6 * NS_PER_S, "3d 04h 05m 06s"),
        ];
        for (ns, text) in cases {
            assert_eq!(SimDuration::from_nanos(ns).to_string(), text, "{ns} ns");
            assert_eq!(SimTime::from_nanos(ns).to_string(), text, "{ns} ns");
        }
        assert_eq!(format!("{:>6}", SimDuration::from_nanos(5)), "   5ns");
    }

    #[test]
    fn float_seconds_round_trip() {
        for ns in [0, 1, 999_999_999, 1_000_000_001, 86_400_000_000_123] {
            let t = SimTime::from_nanos(ns);
            assert_eq!(SimTime::from_secs_f64(t.as_secs_f64()).unwrap(), t);
        }
    }

    #[test]
    fn std_duration_conversions() {
        let d = SimDuration::from_millis(1_234).unwrap();
        let std_d: std::time::Duration = d.into();
        assert_eq!(SimDuration::try_from(std_d), Ok(d));
        assert_eq!(SimDuration::try_from(std::time::Duration::MAX), Err(TimeError::Overflow));
    }
}
