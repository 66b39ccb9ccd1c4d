//! Cells: a transmitting antenna with its power, carrier and bandwidth.

use crate::antenna::Antenna;
use crate::error::RadioError;
use crate::geometry::Vec3;
use crate::propagation::Transmitter;
use crate::scene::Scene;

/// A cell of the radio network.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The cell's identifier.
    pub id: String,
    /// The site it belongs to.
    pub site_id: String,
    /// Position of the antenna, scene metres (z is the height above the scene's z = 0).
    pub position: Vec3,
    /// Pattern, polarisation, azimuth and tilts.
    pub antenna: Antenna,
    /// Total transmit power over the carrier, dBm.
    pub tx_power_dbm: f64,
    /// Carrier centre frequency, Hz.
    pub freq_hz: f64,
    /// Channel bandwidth, Hz.
    pub bandwidth_hz: f64,
    /// Subcarrier spacing, Hz (15 kHz for LTE; 30 kHz for mid-band NR).
    pub subcarrier_spacing_hz: f64,
}

/// NR transmission bandwidth configuration, TS 38.101-1 Table 5.3.2-1 (FR1), plus the LTE
/// 1.4 and 3 MHz channels at 15 kHz: `(SCS kHz, channel MHz, resource blocks)`.
const NRB_TABLE: &[(u32, u32, u32)] = &[
    (15, 1, 6),
    (15, 3, 15),
    (15, 5, 25),
    (15, 10, 52),
    (15, 15, 79),
    (15, 20, 106),
    (15, 25, 133),
    (15, 30, 160),
    (15, 35, 188),
    (15, 40, 216),
    (15, 45, 242),
    (15, 50, 270),
    (30, 5, 11),
    (30, 10, 24),
    (30, 15, 38),
    (30, 20, 51),
    (30, 25, 65),
    (30, 30, 78),
    (30, 35, 92),
    (30, 40, 106),
    (30, 45, 119),
    (30, 50, 133),
    (30, 60, 162),
    (30, 70, 189),
    (30, 80, 217),
    (30, 90, 245),
    (30, 100, 273),
    (60, 10, 11),
    (60, 15, 18),
    (60, 20, 24),
    (60, 25, 31),
    (60, 30, 38),
    (60, 35, 44),
    (60, 40, 51),
    (60, 45, 58),
    (60, 50, 65),
    (60, 60, 79),
    (60, 70, 93),
    (60, 80, 107),
    (60, 90, 121),
    (60, 100, 135),
];

impl Cell {
    /// Checks the cell's parameters, and that its antenna lies over `scene`.
    pub fn validate(&self, scene: &Scene) -> Result<(), RadioError> {
        let bad = |reason: String| RadioError::InvalidCell { cell: self.id.clone(), reason };
        if !(self.bandwidth_hz.is_finite() && self.bandwidth_hz > 0.0) {
            return Err(bad(format!("bandwidth must be > 0 Hz, got {}", self.bandwidth_hz)));
        }
        if !(self.freq_hz.is_finite() && self.freq_hz > 0.0) {
            return Err(bad(format!("frequency must be > 0 Hz, got {}", self.freq_hz)));
        }
        if self.bandwidth_hz >= self.freq_hz {
            return Err(bad(format!(
                "bandwidth {} Hz is not below the carrier {} Hz",
                self.bandwidth_hz, self.freq_hz
            )));
        }
        if !(self.subcarrier_spacing_hz.is_finite() && self.subcarrier_spacing_hz > 0.0) {
            return Err(bad(format!(
                "subcarrier spacing must be > 0 Hz, got {}",
                self.subcarrier_spacing_hz
            )));
        }
        if 12.0 * self.subcarrier_spacing_hz > self.bandwidth_hz {
            return Err(bad(format!(
                "bandwidth {} Hz holds no resource block of 12 × {} Hz subcarriers",
                self.bandwidth_hz, self.subcarrier_spacing_hz
            )));
        }
        if !self.tx_power_dbm.is_finite() {
            return Err(bad(format!("transmit power {} dBm is not finite", self.tx_power_dbm)));
        }
        if !self.position.iter().all(|c| c.is_finite()) {
            return Err(bad("antenna position is not finite".into()));
        }
        let b = scene.bounds();
        let inside_xy = (f64::from(b.min[0])..=f64::from(b.max[0])).contains(&self.position.x)
            && (f64::from(b.min[1])..=f64::from(b.max[1])).contains(&self.position.y);
        if !inside_xy {
            return Err(RadioError::CellOutsideScene {
                cell: self.id.clone(),
                x: self.position.x,
                y: self.position.y,
                z: self.position.z,
                x_min: f64::from(b.min[0]),
                x_max: f64::from(b.max[0]),
                y_min: f64::from(b.min[1]),
                y_max: f64::from(b.max[1]),
            });
        }
        Ok(())
    }

    /// What the propagation model needs of the cell.
    pub fn transmitter(&self) -> Transmitter {
        Transmitter {
            position: self.position,
            freq_hz: self.freq_hz,
            antenna: self.antenna.clone(),
        }
    }

    /// Resource blocks in the channel: the 3GPP table where the bandwidth and spacing are a
    /// standard pair, otherwise 90 % occupancy, `floor(0.9 B / (12 Δf))`.
    pub fn resource_blocks(&self) -> u32 {
        let scs_khz = (self.subcarrier_spacing_hz / 1e3).round() as u32;
        let bw = self.bandwidth_hz / 1e6;
        let bw_key = if (bw - 1.4).abs() < 1e-6 { 1 } else { bw.round() as u32 };
        let standard = (bw - f64::from(bw_key)).abs() < 1e-6 || bw_key == 1;
        if standard
            && let Some(&(_, _, n)) =
                NRB_TABLE.iter().find(|&&(s, b, _)| s == scs_khz && b == bw_key)
        {
            return n;
        }
        ((0.9 * self.bandwidth_hz / (12.0 * self.subcarrier_spacing_hz)).floor() as u32).max(1)
    }

    /// Reference-signal received power per resource element, dBm: the transmit power spread
    /// evenly over all `12 · N_RB` subcarriers, plus the path gain (which includes the antenna).
    pub fn rsrp_dbm(&self, path_gain_db: f64) -> f64 {
        self.tx_power_dbm - 10.0 * f64::from(12 * self.resource_blocks()).log10() + path_gain_db
    }

    /// The fraction of this cell's band that overlaps `other`'s.
    pub fn band_overlap(&self, other: &Cell) -> f64 {
        let (a0, a1) =
            (self.freq_hz - self.bandwidth_hz / 2.0, self.freq_hz + self.bandwidth_hz / 2.0);
        let (b0, b1) =
            (other.freq_hz - other.bandwidth_hz / 2.0, other.freq_hz + other.bandwidth_hz / 2.0);
        ((a1.min(b1) - a0.max(b0)) / self.bandwidth_hz).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::vec3;

    fn cell(bw: f64, scs: f64) -> Cell {
        Cell {
            id: "c1".into(),
            site_id: "s1".into(),
            position: vec3(0.0, 0.0, 30.0),
            antenna: Antenna::isotropic(),
            tx_power_dbm: 46.0,
            freq_hz: 3.5e9,
            bandwidth_hz: bw,
            subcarrier_spacing_hz: scs,
        }
    }

    #[test]
    fn resource_blocks_and_rsrp() {
        assert_eq!(cell(100e6, 30e3).resource_blocks(), 273);
        assert_eq!(cell(20e6, 15e3).resource_blocks(), 106);
        assert_eq!(cell(1.4e6, 15e3).resource_blocks(), 6);
        // Non-standard: 90 % occupancy.
        assert_eq!(cell(12e6, 30e3).resource_blocks(), 30);
        // 46 dBm over 273 × 12 subcarriers is 10.846 dBm per RE.
        let rsrp = cell(100e6, 30e3).rsrp_dbm(-100.0);
        assert!((rsrp - (46.0 - 10.0 * 3276f64.log10() - 100.0)).abs() < 1e-12);
    }

    #[test]
    fn band_overlap() {
        let a = cell(20e6, 30e3);
        let mut b = cell(20e6, 30e3);
        assert_eq!(a.band_overlap(&b), 1.0);
        b.freq_hz += 10e6;
        assert_eq!(a.band_overlap(&b), 0.5);
        b.freq_hz += 100e6;
        assert_eq!(a.band_overlap(&b), 0.0);
    }
}
