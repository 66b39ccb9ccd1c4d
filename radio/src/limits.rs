//! The physical ranges the radio layer accepts for a cell's parameters, in one place: the
//! inventory reader checks `sites.csv` and `cells.csv` against them, and the scenario validator
//! checks the operations that set the same quantities. A value outside its range is a typing
//! error (a power in mW, a frequency in MHz, a tilt of 400°), never a network to simulate.

/// A closed range of a physical quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// What the quantity is, for messages.
    pub name: &'static str,
    /// Smallest accepted value.
    pub min: f64,
    /// Largest accepted value.
    pub max: f64,
    /// Its unit, for messages.
    pub unit: &'static str,
}

/// A value outside its [`Limit`] (or not a finite number).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{name} {value} {unit} is outside {min} to {max} {unit}")]
pub struct OutOfRange {
    /// The quantity.
    pub name: &'static str,
    /// The value given.
    pub value: f64,
    /// Smallest accepted.
    pub min: f64,
    /// Largest accepted.
    pub max: f64,
    /// The unit.
    pub unit: &'static str,
}

impl Limit {
    /// `value`, if finite and inside the range.
    pub fn check(&self, value: f64) -> Result<f64, OutOfRange> {
        if value.is_finite() && (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(OutOfRange {
                name: self.name,
                value,
                min: self.min,
                max: self.max,
                unit: self.unit,
            })
        }
    }
}

/// Transmit power per cell: from a femto cell to the strongest macro carrier with margin.
pub const TX_POWER_DBM: Limit =
    Limit { name: "transmit power", min: -30.0, max: 80.0, unit: "dBm" };
/// Carrier frequency: the range of TR 38.901's channel models (0.5-100 GHz), from 400 MHz.
pub const FREQ_HZ: Limit = Limit { name: "frequency", min: 400e6, max: 100e9, unit: "Hz" };
/// Channel bandwidth: one LTE resource block (180 kHz) to NR's widest FR2 channel.
pub const BANDWIDTH_HZ: Limit = Limit { name: "bandwidth", min: 180e3, max: 400e6, unit: "Hz" };
/// NR subcarrier spacings 15 kHz · 2^µ, µ = 0 … 6.
pub const SCS_HZ: Limit = Limit { name: "subcarrier spacing", min: 15e3, max: 960e3, unit: "Hz" };
/// Mechanical tilt (down-tilt positive): straight up to straight down.
pub const TILT_DEG: Limit = Limit { name: "tilt", min: -90.0, max: 90.0, unit: "°" };
/// Electrical tilt: what a panel's phase steering reaches.
pub const ELECTRICAL_TILT_DEG: Limit =
    Limit { name: "electrical tilt", min: -30.0, max: 30.0, unit: "°" };
/// Azimuth, clockwise from north: one turn either way.
pub const AZIMUTH_DEG: Limit = Limit { name: "azimuth", min: -360.0, max: 360.0, unit: "°" };
/// Antenna height above the ground: a mast, or the top of the tallest building.
pub const HEIGHT_M: Limit = Limit { name: "height", min: 0.0, max: 1_000.0, unit: "m" };
/// Ground height above the datum: the Dead Sea shore to the highest sites on Earth.
pub const GROUND_M: Limit = Limit { name: "ground height", min: -500.0, max: 9_000.0, unit: "m" };
/// A coordinate in the scene's local frame: a planning area of 2 000 km across at most (the
/// frame is a tangent plane; beyond that its distances are not the Earth's).
pub const COORDINATE_M: Limit = Limit { name: "coordinate", min: -1e6, max: 1e6, unit: "m" };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_accept_their_ends_and_refuse_beyond() {
        assert_eq!(TX_POWER_DBM.check(80.0), Ok(80.0));
        assert!(TX_POWER_DBM.check(80.1).is_err());
        assert!(FREQ_HZ.check(f64::NAN).is_err());
        assert!(COORDINATE_M.check(1e308).is_err());
        let e = TILT_DEG.check(400.0).unwrap_err().to_string();
        assert_eq!(e, "tilt 400 ° is outside -90 to 90 °");
    }
}
