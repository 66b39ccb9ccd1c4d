//! From path gains to what a planner reads: RSRP, SINR, best server, spectral efficiency and
//! throughput.
//!
//! At a receiver point with path gains `PG_c` (dB) from every cell `c`:
//!
//! * `RSRP_c = P_c − 10 log10(12 N_RB,c) + PG_c` (transmit power spread over all subcarriers);
//! * the best server is the cell of highest RSRP;
//! * `SINR = S / (N + Σ I)`, with `S` the best server's received power over its band,
//!   `N = −174 dBm/Hz + 10 log10 B + NF` thermal noise, and `I` the received power of every other
//!   cell times the fraction of its band that overlaps the server's and a load factor (1 for
//!   fully loaded neighbours);
//! * spectral efficiency by the attenuated, truncated Shannon bound of 3GPP TR 36.942 Annex A
//!   (`α log2(1 + SINR)` between `SINR_min` and a cap) or by the TS 38.214 CQI table;
//! * throughput = spectral efficiency × bandwidth.

use crate::cell::Cell;

/// Thermal noise power over `bandwidth_hz` with receiver noise figure `nf_db`, dBm.
pub fn thermal_noise_dbm(bandwidth_hz: f64, nf_db: f64) -> f64 {
    -174.0 + 10.0 * bandwidth_hz.log10() + nf_db
}

/// TS 38.214 CQI tables: efficiency (bits per resource element) of CQI 1..15.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CqiTable {
    /// Table 5.2.2.1-2 (up to 64QAM).
    Table1,
    /// Table 5.2.2.1-3 (up to 256QAM).
    Table2,
}

const CQI_TABLE_1: [f64; 15] = [
    0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223, 3.9023,
    4.5234, 5.1152, 5.5547,
];
const CQI_TABLE_2: [f64; 15] = [
    0.1523, 0.3770, 0.8770, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547,
    6.2266, 6.9141, 7.4063,
];

/// Lower SINR bounds of CQI 1..15 for 10 % BLER in AWGN (MathWorks "5G NR CQI reporting", as
/// tabulated in the AIMM simulator; non-normative). Their top entry (29.3 dB for CQI 15)
/// matches 256QAM at rate 948/1024, i.e. [`CqiTable::Table2`].
pub const CQI_SINR_THRESHOLDS_DB: [f64; 15] = [
    -1.89, -0.82, 0.95, 2.95, 4.90, 7.39, 8.89, 11.02, 13.32, 14.68, 16.62, 18.91, 21.58, 24.88,
    29.32,
];

/// Lower SINR bounds of CQI 1..15 of [`CqiTable::Table1`] (64QAM): each where
/// [`CQI_SINR_THRESHOLDS_DB`] reaches the same efficiency on table 2, by linear interpolation
/// between table 2's entries (no AWGN thresholds of table 1 are in the references; the two
/// tables share their modulation and coding curves, so equal efficiency is equal SINR).
pub fn cqi_table1_thresholds_db() -> [f64; 15] {
    let mut out = [0.0; 15];
    for (o, &e) in out.iter_mut().zip(&CQI_TABLE_1) {
        let i = CQI_TABLE_2.iter().rposition(|&x| x <= e).unwrap_or(0);
        *o = if i + 1 < 15 {
            let (e0, e1) = (CQI_TABLE_2[i], CQI_TABLE_2[i + 1]);
            let (t0, t1) = (CQI_SINR_THRESHOLDS_DB[i], CQI_SINR_THRESHOLDS_DB[i + 1]);
            t0 + (t1 - t0) * (e - e0) / (e1 - e0)
        } else {
            CQI_SINR_THRESHOLDS_DB[14]
        };
    }
    out
}

impl CqiTable {
    /// The efficiencies of CQI 1..15.
    pub fn efficiencies(self) -> &'static [f64; 15] {
        match self {
            CqiTable::Table1 => &CQI_TABLE_1,
            CqiTable::Table2 => &CQI_TABLE_2,
        }
    }
}

/// How SINR maps to spectral efficiency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpectralEfficiency {
    /// TR 36.942 Annex A: 0 below `sinr_min_db`, `alpha·log2(1 + SINR)` up to `max_bps_hz`.
    AttenuatedShannon {
        /// Implementation-loss factor α.
        alpha: f64,
        /// Below this SINR nothing gets through, dB.
        sinr_min_db: f64,
        /// The cap, bit/s/Hz.
        max_bps_hz: f64,
    },
    /// The highest CQI whose threshold the SINR reaches, and its efficiency.
    Cqi {
        /// Which table.
        table: CqiTable,
        /// Lower SINR bound of each CQI, dB.
        thresholds_db: [f64; 15],
    },
}

impl SpectralEfficiency {
    /// TR 36.942 downlink parameters: α = 0.6, SINR_min = −10 dB, 4.4 bit/s/Hz.
    pub const TR36942_DOWNLINK: SpectralEfficiency =
        SpectralEfficiency::AttenuatedShannon { alpha: 0.6, sinr_min_db: -10.0, max_bps_hz: 4.4 };

    /// TS 38.214 CQI table 2 with the AWGN thresholds of [`CQI_SINR_THRESHOLDS_DB`].
    pub const CQI_TABLE_2: SpectralEfficiency =
        SpectralEfficiency::Cqi { table: CqiTable::Table2, thresholds_db: CQI_SINR_THRESHOLDS_DB };

    /// Bits per second per hertz at `sinr_db`.
    pub fn bps_per_hz(&self, sinr_db: f64) -> f64 {
        if sinr_db.is_nan() {
            return 0.0;
        }
        match *self {
            SpectralEfficiency::AttenuatedShannon { alpha, sinr_min_db, max_bps_hz } => {
                if sinr_db < sinr_min_db {
                    0.0
                } else {
                    (alpha * (1.0 + 10f64.powf(sinr_db / 10.0)).log2()).min(max_bps_hz)
                }
            }
            SpectralEfficiency::Cqi { table, thresholds_db } => {
                match thresholds_db.iter().rposition(|&t| sinr_db >= t) {
                    Some(i) => table.efficiencies()[i],
                    None => 0.0,
                }
            }
        }
    }

    /// The CQI index (0 = out of range) at `sinr_db`, for a CQI mapping; `None` for Shannon.
    pub fn cqi(&self, sinr_db: f64) -> Option<u8> {
        match self {
            SpectralEfficiency::Cqi { thresholds_db, .. } => {
                Some(thresholds_db.iter().rposition(|&t| sinr_db >= t).map_or(0, |i| i as u8 + 1))
            }
            SpectralEfficiency::AttenuatedShannon { .. } => None,
        }
    }
}

/// What a cell's RAN features make of a SINR: the link-adaptation mapping (which caps the
/// modulation), MIMO layers with rank adaptation, the share of resources spent on control and
/// reference signals, and the scheduler's efficiency. A named set of these is what "rolling a
/// firmware" changes.
///
/// With `L` layers the transmit power is split evenly and the rank `r ≤ L` that carries most is
/// used: `r · SE(SINR − 10 log10 r)`, times `(1 − overhead) · efficiency`. One layer, no
/// overhead and full efficiency ([`LinkProfile::TR36942`]) is the attenuated Shannon bound
/// alone, whose α = 0.6 already holds the implementation losses of TR 36.942's calibration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkProfile {
    /// SINR to bit/s/Hz per layer.
    pub mapping: SpectralEfficiency,
    /// Spatial layers the cell and its users can use (1 to 8).
    pub mimo_layers: u32,
    /// Share of resources spent on control and reference signals (0 to under 1).
    pub control_overhead: f64,
    /// Share of the remaining resources the scheduler fills with data (over 0, up to 1).
    pub scheduler_efficiency: f64,
}

impl LinkProfile {
    /// TR 36.942's attenuated Shannon bound, one layer: the twin's default.
    pub const TR36942: LinkProfile = LinkProfile {
        mapping: SpectralEfficiency::TR36942_DOWNLINK,
        mimo_layers: 1,
        control_overhead: 0.0,
        scheduler_efficiency: 1.0,
    };

    /// Bits per second per hertz at `sinr_db`.
    pub fn bps_per_hz(&self, sinr_db: f64) -> f64 {
        let scale = (1.0 - self.control_overhead) * self.scheduler_efficiency;
        let best = (1..=self.mimo_layers.max(1))
            .map(|r| {
                let r = f64::from(r);
                r * self.mapping.bps_per_hz(sinr_db - 10.0 * r.log10())
            })
            .fold(0.0, f64::max);
        best * scale
    }
}

impl Default for LinkProfile {
    fn default() -> Self {
        LinkProfile::TR36942
    }
}

/// Receiver and link-adaptation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiConfig {
    /// Receiver noise figure, dB (7 dB, a typical handset).
    pub noise_figure_db: f64,
    /// Load of interfering cells, 0 to 1 (1: always transmitting).
    pub interference_load: f64,
    /// The SINR-to-efficiency mapping.
    pub spectral_efficiency: SpectralEfficiency,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            noise_figure_db: 7.0,
            interference_load: 1.0,
            spectral_efficiency: SpectralEfficiency::TR36942_DOWNLINK,
        }
    }
}

/// What a receiver point gets from the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Serving {
    /// Index of the best server (highest RSRP), `None` if no cell reaches the point.
    pub best: Option<usize>,
    /// RSRP of the best server, dBm.
    pub rsrp_dbm: f64,
    /// SINR on the best server, dB.
    pub sinr_db: f64,
    /// Spectral efficiency, bit/s/Hz.
    pub spectral_efficiency: f64,
    /// Downlink throughput, bit/s.
    pub throughput_bps: f64,
}

impl Serving {
    /// The result for a point no cell reaches.
    pub const NONE: Serving = Serving {
        best: None,
        rsrp_dbm: f64::NEG_INFINITY,
        sinr_db: f64::NEG_INFINITY,
        spectral_efficiency: 0.0,
        throughput_bps: 0.0,
    };
}

/// The SINR at one point when cell `serving` serves it, given each cell's path gain there in dB
/// (−∞ for none): the serving cell's received power over thermal noise in its bandwidth plus the
/// power of the other cells that overlap its band, times the interference load.
pub fn sinr_db(cells: &[Cell], path_gain_db: &[f64], serving: usize, cfg: &KpiConfig) -> f64 {
    let server = &cells[serving];
    let mw = |dbm: f64| 10f64.powf(dbm / 10.0);
    let signal = mw(server.tx_power_dbm + path_gain_db[serving]);
    let noise = mw(thermal_noise_dbm(server.bandwidth_hz, cfg.noise_figure_db));
    let interference: f64 = cells
        .iter()
        .zip(path_gain_db)
        .enumerate()
        .filter(|(c, (_, pg))| *c != serving && pg.is_finite())
        .map(|(_, (cell, &pg))| {
            server.band_overlap(cell) * cfg.interference_load * mw(cell.tx_power_dbm + pg)
        })
        .sum();
    10.0 * (signal / (noise + interference)).log10()
}

/// The serving KPIs at one point, given each cell's path gain there in dB (−∞ for none).
pub fn serving(cells: &[Cell], path_gain_db: &[f64], cfg: &KpiConfig) -> Serving {
    let mut best: Option<(usize, f64)> = None;
    for (c, (cell, &pg)) in cells.iter().zip(path_gain_db).enumerate() {
        if pg.is_finite() {
            let rsrp = cell.rsrp_dbm(pg);
            if best.is_none_or(|b| rsrp > b.1) {
                best = Some((c, rsrp));
            }
        }
    }
    let Some((b, rsrp_dbm)) = best else { return Serving::NONE };
    let server = &cells[b];
    let sinr_db = sinr_db(cells, path_gain_db, b, cfg);
    let se = cfg.spectral_efficiency.bps_per_hz(sinr_db);
    Serving {
        best: Some(b),
        rsrp_dbm,
        sinr_db,
        spectral_efficiency: se,
        throughput_bps: se * server.bandwidth_hz,
    }
}

/// When a point counts as covered, as planners define it: its best server's RSRP and SINR reach
/// the thresholds, and its RSRP stands above the thermal noise of one resource element (a
/// reference signal below the noise floor is not received, whatever thresholds are set).
///
/// The defaults: −120 dBm RSRP is the usual operators' `q-RxLevMin` (the RSRP below which a
/// UE may not camp on a cell, TS 36.304 / 38.304 §5.2.3.2 cell-selection criterion S; the field
/// ranges from −140 to −44 dBm, and networks commonly broadcast −120 to −124 dBm); −6 dB SINR
/// is the lowest operating point of the downlink control and lowest MCS in link-level results
/// (about where TR 36.942's attenuated Shannon bound gives 0.2 bit/s/Hz). Design targets for a
/// good service are stricter (often −105 to −110 dBm and 0 to 3 dB); a scenario sets its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageThresholds {
    /// Weakest RSRP that serves, dBm.
    pub min_rsrp_dbm: f64,
    /// Weakest SINR that serves, dB.
    pub min_sinr_db: f64,
}

impl Default for CoverageThresholds {
    fn default() -> Self {
        CoverageThresholds { min_rsrp_dbm: -120.0, min_sinr_db: -6.0 }
    }
}

impl CoverageThresholds {
    /// Whether a point whose best server is `server`, at `rsrp_dbm` and `sinr_db`, is covered;
    /// `noise_figure_db` is the receiver's.
    pub fn covers(&self, server: &Cell, rsrp_dbm: f64, sinr_db: f64, noise_figure_db: f64) -> bool {
        let floor = thermal_noise_dbm(server.subcarrier_spacing_hz, noise_figure_db);
        rsrp_dbm >= self.min_rsrp_dbm && rsrp_dbm >= floor && sinr_db >= self.min_sinr_db
    }

    /// The thermal noise of one resource element of `server`, dBm: the RSRP below which
    /// nothing is covered.
    pub fn noise_floor_dbm(server: &Cell, noise_figure_db: f64) -> f64 {
        thermal_noise_dbm(server.subcarrier_spacing_hz, noise_figure_db)
    }
}

/// The serving KPIs at every point of a set of coverage maps, one map per cell (same grid).
pub fn serving_map(
    cells: &[Cell],
    maps: &[crate::propagation::CoverageMap],
    cfg: &KpiConfig,
) -> Vec<Serving> {
    let n = maps.first().map_or(0, |m| m.path_gain.len());
    let mut pg = vec![f64::NEG_INFINITY; cells.len()];
    (0..n)
        .map(|i| {
            for (c, m) in maps.iter().enumerate() {
                pg[c] = m.path_gain_db(i);
            }
            serving(cells, &pg, cfg)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::antenna::Antenna;
    use crate::geometry::vec3;

    /// REFERENCES.md §6: TR 36.942 downlink values.
    #[test]
    fn attenuated_shannon_table() {
        let m = SpectralEfficiency::TR36942_DOWNLINK;
        for (sinr, thr) in [
            (-10.0, 0.0825),
            (-5.0, 0.2378),
            (0.0, 0.6),
            (5.0, 1.2344),
            (10.0, 2.0757),
            (15.0, 3.0167),
            (20.0, 3.9949),
            (22.05, 4.4),
            (30.0, 4.4),
        ] {
            assert!((m.bps_per_hz(sinr) - thr).abs() < 1e-4, "SINR {sinr}: {}", m.bps_per_hz(sinr));
        }
        assert_eq!(m.bps_per_hz(-10.01), 0.0);
        assert_eq!(m.bps_per_hz(f64::NAN), 0.0);
    }

    #[test]
    fn cqi_tables() {
        // Each efficiency is Qm·R/1024 rounded to 4 decimals (spot checks from TS 38.214).
        assert!((CQI_TABLE_1[0] - (2.0 * 78.0 / 1024.0)).abs() < 5e-5);
        assert!((CQI_TABLE_1[14] - (6.0 * 948.0 / 1024.0)).abs() < 5e-5);
        assert!((CQI_TABLE_2[14] - (8.0 * 948.0 / 1024.0)).abs() < 5e-5);
        assert!((CQI_TABLE_2[11] - (8.0 * 711.0 / 1024.0)).abs() < 5e-5);
        let m = SpectralEfficiency::CQI_TABLE_2;
        assert_eq!(m.cqi(-5.0), Some(0));
        assert_eq!(m.bps_per_hz(-5.0), 0.0);
        assert_eq!(m.cqi(-1.89), Some(1));
        assert_eq!(m.cqi(30.0), Some(15));
        assert_eq!(m.bps_per_hz(30.0), 7.4063);
        assert_eq!(SpectralEfficiency::TR36942_DOWNLINK.cqi(3.0), None);
    }

    fn cell(id: &str, freq: f64) -> Cell {
        Cell {
            id: id.into(),
            site_id: "s".into(),
            position: vec3(0.0, 0.0, 30.0),
            antenna: Antenna::isotropic(),
            tx_power_dbm: 43.0,
            freq_hz: freq,
            bandwidth_hz: 20e6,
            subcarrier_spacing_hz: 30e3,
        }
    }

    #[test]
    fn sinr_with_noise_and_interference() {
        assert!((thermal_noise_dbm(20e6, 7.0) - (-174.0 + 73.0103 + 7.0)).abs() < 1e-4);
        let cells = [cell("a", 3.5e9), cell("b", 3.5e9), cell("c", 2.6e9)];
        // Alone: signal 43 − 100 = −57 dBm against −93.99 dBm of noise.
        let alone =
            serving(&cells, &[-100.0, f64::NEG_INFINITY, f64::NEG_INFINITY], &KpiConfig::default());
        assert_eq!(alone.best, Some(0));
        assert!((alone.sinr_db - (-57.0 - thermal_noise_dbm(20e6, 7.0))).abs() < 1e-9);
        assert_eq!(alone.spectral_efficiency, 4.4);
        assert_eq!(alone.throughput_bps, 4.4 * 20e6);
        // An equal co-channel neighbour: SINR just under 0 dB; another band does not interfere.
        let two = serving(&cells, &[-100.0, -100.0, -60.0], &KpiConfig::default());
        assert_eq!(two.best, Some(2), "the strongest cell serves");
        let co = serving(&cells[..2], &[-100.0, -100.0], &KpiConfig::default());
        assert!(co.sinr_db < 0.0 && co.sinr_db > -0.01, "{}", co.sinr_db);
        assert_eq!(serving(&cells, &[f64::NEG_INFINITY; 3], &KpiConfig::default()), Serving::NONE);
    }

    #[test]
    fn link_profiles_use_the_rank_that_carries_most() {
        let p = LinkProfile::TR36942;
        assert_eq!(p.bps_per_hz(10.0), SpectralEfficiency::TR36942_DOWNLINK.bps_per_hz(10.0));
        let mimo = LinkProfile { mimo_layers: 4, ..p };
        // At 30 dB four layers at 24 dB each are capped at 4.4: 17.6 bit/s/Hz.
        assert!((mimo.bps_per_hz(30.0) - 4.0 * 4.4).abs() < 1e-9);
        // At −8 dB a second layer would fall below the bound's −10 dB: one layer carries.
        assert_eq!(mimo.bps_per_hz(-8.0), p.bps_per_hz(-8.0));
        // With the CQI table a layer below CQI 1 carries nothing: 0 dB gives one layer of CQI 2.
        let cqi = LinkProfile { mapping: SpectralEfficiency::CQI_TABLE_2, mimo_layers: 2, ..p };
        assert_eq!(cqi.bps_per_hz(0.0), 0.3770);
        // Overhead and efficiency scale it.
        let lossy = LinkProfile { control_overhead: 0.25, scheduler_efficiency: 0.8, ..mimo };
        assert!((lossy.bps_per_hz(30.0) - 0.6 * 17.6).abs() < 1e-9);
        // More layers never carry less.
        for sinr in [-5.0, 0.0, 5.0, 10.0, 20.0, 30.0] {
            assert!(mimo.bps_per_hz(sinr) >= p.bps_per_hz(sinr));
        }
    }

    #[test]
    fn table1_thresholds_follow_table2_at_equal_efficiency() {
        let t = cqi_table1_thresholds_db();
        // Entries both tables share sit at table 2's thresholds.
        assert_eq!(t[0], CQI_SINR_THRESHOLDS_DB[0]);
        assert!((t[2] - CQI_SINR_THRESHOLDS_DB[1]).abs() < 1e-12, "0.3770 is table 2's CQI 2");
        assert!((t[14] - CQI_SINR_THRESHOLDS_DB[11]).abs() < 1e-12, "5.5547 is its CQI 12");
        assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
    }

    #[test]
    fn coverage_needs_both_thresholds_and_a_signal_above_the_noise_floor() {
        let c = cell("a", 3.5e9);
        let t = CoverageThresholds::default();
        assert!(t.covers(&c, -119.9, -5.9, 7.0));
        assert!(!t.covers(&c, -120.1, 10.0, 7.0), "too weak");
        assert!(!t.covers(&c, -100.0, -6.1, 7.0), "too much interference");
        // 30 kHz subcarriers and 7 dB: −174 + 44.77 + 7 = −122.23 dBm.
        let floor = CoverageThresholds::noise_floor_dbm(&c, 7.0);
        assert!((floor - (-174.0 + 10.0 * 30e3f64.log10() + 7.0)).abs() < 1e-9);
        let lax = CoverageThresholds { min_rsrp_dbm: -250.0, min_sinr_db: -250.0 };
        assert!(lax.covers(&c, floor + 0.01, -20.0, 7.0));
        assert!(!lax.covers(&c, -203.0, -20.0, 7.0), "below the noise floor nothing is covered");
    }
}
