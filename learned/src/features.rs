//! Features: what the twin predicts at a measurement point, and the context that explains where
//! it goes wrong.
//!
//! For every point the twin computes each cell's link ([`Twin::links`]): with a scene, the ray
//! tracer's paths (path gain, line of sight, the dominant path's interactions); without one, the
//! TR 38.901 model (path loss and LOS probability) with the antenna pattern. The features of a
//! measurement served by cell `s` are then (all documented in `docs/learned.md`):
//!
//! | feature | meaning |
//! |---|---|
//! | `sim_rsrp_dbm` | the twin's RSRP of `s` |
//! | `sim_sinr_db` | the twin's SINR with `s` serving |
//! | `log10_distance_m` | log10 of the 3D distance to `s`'s antenna |
//! | `azimuth_offset_deg` | bearing of the point from `s` minus `s`'s azimuth, in [−180, 180) |
//! | `elevation_offset_deg` | depression angle of the point below `s`'s antenna minus its total downtilt |
//! | `antenna_gain_dbi` | `s`'s pattern gain towards the point, per the inventory |
//! | `los` | 1 if the point sees `s` (ray tracer), or the LOS probability (empirical) |
//! | `interactions` | interactions (reflections, diffraction) on `s`'s strongest path |
//! | `diffraction` | 1 if that path is the diffracted direct path |
//! | `diffraction_loss_db` | the knife-edge loss on `s`'s direct path |
//! | `path_azimuth_offset_deg`, `path_elevation_offset_deg` | the same two offsets for the direction in which the strongest path leaves the antenna (towards its first reflection; the direct direction otherwise) |
//! | `freq_ghz`, `tx_power_dbm`, `antenna_height_m`, `total_tilt_deg` | `s`'s attributes |
//! | `neighbour_delta_db` | strongest other cell's RSRP minus `s`'s (−40 when there is none) |
//! | `neighbours_within_6db` | other cells within 6 dB of `s` |
//! | `hour_sin`, `hour_cos`, `time_known` | time of day (UTC) on the unit circle, and whether it is known |
//! | `ray_traced` | 1 with a scene, 0 for the empirical fallback |
//! | `obstruction_<class>` | one-hot class of the first surface between the point and `s` (`none` in LOS): concrete, brick, glass, metal, wood, marble, other |
//! | `cell=<id>` | one-hot serving cell (per-cell corrections: wrong tilts and azimuths in the inventory) |
//!
//! The target is the residual: measured minus simulated RSRP.

use radio::geometry::{Vec3, vec3};
use radio::kpi::{KpiConfig, sinr_db};
use radio::propagation::empirical::{EmpiricalModel, EmpiricalTracer, Scenario};
use radio::propagation::{Interaction, Path, Summation, sum_paths};
use radio::{Antenna, Cell, CpuTracer, Propagation, Scene, TraceConfig};
use serde::{Deserialize, Serialize};

use crate::error::LearnedError;

/// Version of the feature definitions; a model records it and loading checks it.
pub const FEATURE_VERSION: u32 = 1;

/// Classes of obstructing surface, from the material's name.
pub const OBSTRUCTION_CLASSES: [&str; 8] =
    ["none", "concrete", "brick", "glass", "metal", "wood", "marble", "other"];

/// The base features, in order (the cell one-hot follows them).
pub const BASE_FEATURES: [&str; 22] = [
    "sim_rsrp_dbm",
    "sim_sinr_db",
    "log10_distance_m",
    "azimuth_offset_deg",
    "elevation_offset_deg",
    "antenna_gain_dbi",
    "los",
    "interactions",
    "diffraction",
    "diffraction_loss_db",
    "path_azimuth_offset_deg",
    "path_elevation_offset_deg",
    "freq_ghz",
    "tx_power_dbm",
    "antenna_height_m",
    "total_tilt_deg",
    "neighbour_delta_db",
    "neighbours_within_6db",
    "hour_sin",
    "hour_cos",
    "time_known",
    "ray_traced",
];

/// The features a model takes: the base list, the obstruction classes and the cells of its
/// inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// [`FEATURE_VERSION`] when the model was trained.
    pub version: u32,
    /// Every feature's name, in column order.
    pub names: Vec<String>,
    /// The cells of the one-hot, in order.
    pub cells: Vec<String>,
}

impl FeatureSpec {
    /// The features for an inventory of `cells`.
    pub fn new(cells: &[Cell]) -> FeatureSpec {
        let mut names: Vec<String> = BASE_FEATURES.iter().map(|s| s.to_string()).collect();
        names.extend(OBSTRUCTION_CLASSES.iter().map(|c| format!("obstruction_{c}")));
        let ids: Vec<String> = cells.iter().map(|c| c.id.clone()).collect();
        names.extend(ids.iter().map(|id| format!("cell={id}")));
        FeatureSpec { version: FEATURE_VERSION, names, cells: ids }
    }

    /// The number of features.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// How `other` differs from `self`, or `None` if they match.
    pub fn difference(&self, other: &FeatureSpec) -> Option<String> {
        if self.version != other.version {
            return Some(format!("feature version {} against {}", self.version, other.version));
        }
        if self.names == other.names {
            return None;
        }
        let missing: Vec<&String> =
            self.names.iter().filter(|n| !other.names.contains(n)).collect();
        let extra: Vec<&String> = other.names.iter().filter(|n| !self.names.contains(n)).collect();
        Some(if missing.is_empty() && extra.is_empty() {
            "the same features in another order".to_string()
        } else {
            format!(
                "model has {} features; missing here {:?}, unknown to the model {:?}",
                self.names.len(),
                missing,
                extra
            )
        })
    }
}

/// The simulated link from one cell to one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    /// Path gain including the transmitting antenna, dB (−∞: nothing arrives).
    pub path_gain_db: f64,
    /// 1 in line of sight, 0 if not; the LOS probability for the empirical model.
    pub los: f64,
    /// Interactions on the strongest path.
    pub interactions: u8,
    /// Whether the strongest path is the diffracted direct path.
    pub diffraction: bool,
    /// Knife-edge loss on the direct path, dB.
    pub diffraction_loss_db: f64,
    /// Index into [`OBSTRUCTION_CLASSES`] of the first surface between the point and the cell.
    pub obstruction: u8,
    /// Where the strongest path goes first after the antenna (its first reflection), if it is
    /// not the direct path.
    pub first_bounce: Option<Vec3>,
}

impl Link {
    /// No signal: what a cell that reaches nothing contributes.
    pub fn unreached() -> Link {
        Link {
            path_gain_db: f64::NEG_INFINITY,
            los: 0.0,
            interactions: 0,
            diffraction: false,
            diffraction_loss_db: 0.0,
            obstruction: 0,
            first_bounce: None,
        }
    }
}

/// Each cell's link to each point.
#[derive(Debug, Clone)]
pub struct LinkTable {
    /// Points (rows).
    pub n_points: usize,
    /// Cells (columns).
    pub n_cells: usize,
    /// `links[p * n_cells + c]`.
    pub links: Vec<Link>,
    /// Points inside a building of the scene.
    pub indoor: Vec<bool>,
    /// Whether the links come from the ray tracer.
    pub ray_traced: bool,
}

impl LinkTable {
    /// Cell `c`'s link to point `p`.
    pub fn get(&self, p: usize, c: usize) -> &Link {
        &self.links[p * self.n_cells + c]
    }
}

/// The class index of a material name.
pub fn obstruction_class(material: &str) -> u8 {
    let m = material.to_ascii_lowercase();
    for (i, class) in OBSTRUCTION_CLASSES.iter().enumerate().skip(1).take(6) {
        if m.contains(class) {
            return i as u8;
        }
    }
    7
}

/// The twin's own prediction machinery, as the features see it.
#[derive(Debug, Clone)]
pub struct Twin<'a> {
    /// The scene, or `None` for the empirical model alone.
    pub scene: Option<&'a Scene>,
    /// The inventory's cells.
    pub cells: &'a [Cell],
    /// Ray-tracing settings.
    pub trace: TraceConfig,
    /// The fallback model without a scene.
    pub empirical: EmpiricalModel,
    /// Receiver height above the ground (scene z), metres.
    pub ue_height_m: f64,
    /// Noise figure and interference load for SINR.
    pub kpi: KpiConfig,
}

impl<'a> Twin<'a> {
    /// A twin with default settings: reflections to order 2, UMa fallback, receivers at 1.5 m.
    pub fn new(scene: Option<&'a Scene>, cells: &'a [Cell]) -> Twin<'a> {
        Twin {
            scene,
            cells,
            trace: TraceConfig { max_depth: 2, ..TraceConfig::default() },
            empirical: EmpiricalModel { scenario: Scenario::UMa },
            ue_height_m: 1.5,
            kpi: KpiConfig::default(),
        }
    }

    fn point3(&self, x: f64, y: f64) -> Vec3 {
        let ground = self.scene.and_then(|s| s.ground()).map_or(0.0, |g| f64::from(g.z));
        vec3(x, y, ground + self.ue_height_m)
    }

    /// Every cell's link to every point.
    pub fn links(&self, points: &[(f64, f64)]) -> Result<LinkTable, LearnedError> {
        let n = points.len();
        let m = self.cells.len();
        let pts: Vec<Vec3> = points.iter().map(|&(x, y)| self.point3(x, y)).collect();
        let mut links = vec![Link::unreached(); n * m];
        let mut indoor = vec![false; n];
        match self.scene {
            Some(scene) => {
                let dsm = scene.dsm();
                for (i, p) in pts.iter().enumerate() {
                    let h = dsm.height_at(p.x, p.y);
                    indoor[i] = h.is_finite() && h > p.z;
                }
                let tracer = CpuTracer;
                let iso = Antenna::isotropic();
                for (c, cell) in self.cells.iter().enumerate() {
                    let results = tracer.points(scene, &cell.transmitter(), &pts, &self.trace)?;
                    for (i, r) in results.iter().enumerate() {
                        let strongest = r
                            .paths
                            .iter()
                            .map(|p| {
                                (sum_paths(std::slice::from_ref(p), &iso, Summation::Incoherent), p)
                            })
                            .max_by(|a, b| a.0.total_cmp(&b.0))
                            .map(|(_, p)| p);
                        let diffraction_loss = r
                            .paths
                            .first()
                            .filter(|p| p.reflections() == 0)
                            .map_or(0.0, knife_edge_loss);
                        let obstruction = first_obstruction(scene, &pts[i], &cell.position);
                        links[i * m + c] = Link {
                            path_gain_db: r.path_gain_db(),
                            los: if r.los() { 1.0 } else { 0.0 },
                            interactions: strongest.map_or(0, |p| p.interactions.len().min(255) as u8),
                            diffraction: strongest.is_some_and(|p| {
                                p.reflections() == 0 && p.interactions.iter().any(|i| matches!(i, Interaction::Diffraction { v, .. } if *v > 0.0))
                            }),
                            diffraction_loss_db: diffraction_loss,
                            obstruction,
                            first_bounce: strongest.and_then(|p| {
                                p.interactions.iter().find_map(|i| match i {
                                    Interaction::Reflection { point, .. } => Some(*point),
                                    Interaction::Diffraction { .. } => None,
                                })
                            }),
                        };
                    }
                }
            }
            None => {
                // The replay's own executor of the empirical model, so that the features see
                // the path gains the replay computes without a scene.
                let exec = EmpiricalTracer { model: self.empirical, ue_height_m: self.ue_height_m };
                for (c, cell) in self.cells.iter().enumerate() {
                    let tx = cell.transmitter();
                    for (i, p) in pts.iter().enumerate() {
                        let d2d = ((p.x - cell.position.x).powi(2)
                            + (p.y - cell.position.y).powi(2))
                        .sqrt()
                        .max(10.0);
                        links[i * m + c] = Link {
                            path_gain_db: exec.path_gain_db(&tx, p),
                            los: self.empirical.los_probability(d2d, self.ue_height_m),
                            interactions: 0,
                            diffraction: false,
                            diffraction_loss_db: 0.0,
                            obstruction: 0,
                            first_bounce: None,
                        };
                    }
                }
            }
        }
        Ok(LinkTable { n_points: n, n_cells: m, links, indoor, ray_traced: self.scene.is_some() })
    }

    /// The features of point `p` served by cell `s`, appended to `out`.
    pub fn features_into(
        &self,
        table: &LinkTable,
        p: usize,
        point: (f64, f64),
        s: usize,
        time_s: Option<f64>,
        out: &mut Vec<f32>,
    ) {
        let m = table.n_cells;
        let cell = &self.cells[s];
        let pg: Vec<f64> = (0..m).map(|c| table.get(p, c).path_gain_db).collect();
        let rsrp: Vec<f64> = self.cells.iter().zip(&pg).map(|(c, &g)| c.rsrp_dbm(g)).collect();
        let link = table.get(p, s);
        let sinr = sinr_db(self.cells, &pg, s, &self.kpi);
        let pos = self.point3(point.0, point.1);
        let d = pos - cell.position;
        let dist = d.norm().max(1.0);
        let bearing = d.x.atan2(d.y).to_degrees();
        let az_off = wrap180(bearing - cell.antenna.orientation.azimuth_deg);
        let depression = (-d.z).atan2((d.x * d.x + d.y * d.y).sqrt()).to_degrees();
        let tilt = cell.antenna.orientation.mech_tilt_deg + cell.antenna.orientation.elec_tilt_deg;
        let gain = cell.antenna.gain_dbi(&(d / dist));
        let (path_az, path_el) = match link.first_bounce {
            Some(b) => {
                let e = b - cell.position;
                let az =
                    wrap180(e.x.atan2(e.y).to_degrees() - cell.antenna.orientation.azimuth_deg);
                let el = (-e.z).atan2((e.x * e.x + e.y * e.y).sqrt()).to_degrees() - tilt;
                (az, el)
            }
            None => (az_off, depression - tilt),
        };
        let mut best_other = f64::NEG_INFINITY;
        let mut within6 = 0;
        for (c, &r) in rsrp.iter().enumerate() {
            if c != s && r.is_finite() {
                best_other = best_other.max(r);
                if r >= rsrp[s] - 6.0 {
                    within6 += 1;
                }
            }
        }
        let delta = if best_other.is_finite() { (best_other - rsrp[s]).max(-40.0) } else { -40.0 };
        let (hs, hc, known) = match time_s {
            Some(t) => {
                let h = (t.rem_euclid(86_400.0)) / 3600.0;
                let a = h / 24.0 * std::f64::consts::TAU;
                (a.sin(), a.cos(), 1.0)
            }
            None => (0.0, 0.0, 0.0),
        };
        let ground = pos.z - self.ue_height_m;
        let base = [
            rsrp[s],
            sinr.clamp(-30.0, 60.0),
            dist.log10(),
            az_off,
            depression - tilt,
            gain,
            link.los,
            f64::from(link.interactions),
            if link.diffraction { 1.0 } else { 0.0 },
            link.diffraction_loss_db,
            path_az,
            path_el,
            cell.freq_hz / 1e9,
            cell.tx_power_dbm,
            cell.position.z - ground,
            tilt,
            delta,
            f64::from(within6),
            hs,
            hc,
            known,
            if table.ray_traced { 1.0 } else { 0.0 },
        ];
        out.extend(base.iter().map(|&v| v as f32));
        for k in 0..OBSTRUCTION_CLASSES.len() {
            out.push(if usize::from(link.obstruction) == k { 1.0 } else { 0.0 });
        }
        for c in 0..m {
            out.push(if c == s { 1.0 } else { 0.0 });
        }
    }

    /// The twin's RSRP of cell `s` at point `p`, dBm.
    pub fn sim_rsrp_dbm(&self, table: &LinkTable, p: usize, s: usize) -> f64 {
        self.cells[s].rsrp_dbm(table.get(p, s).path_gain_db)
    }

    /// The cell with the strongest simulated RSRP at point `p`.
    pub fn best_server(&self, table: &LinkTable, p: usize) -> Option<usize> {
        (0..table.n_cells)
            .map(|c| (c, self.sim_rsrp_dbm(table, p, c)))
            .filter(|(_, r)| r.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, _)| c)
    }
}

/// Wraps an angle to [−180, 180).
fn wrap180(a: f64) -> f64 {
    (a + 180.0).rem_euclid(360.0) - 180.0
}

/// The knife-edge loss on a direct path, dB (0 without an edge).
fn knife_edge_loss(path: &Path) -> f64 {
    path.interactions
        .iter()
        .map(|i| match i {
            Interaction::Diffraction { loss_db, .. } => *loss_db,
            Interaction::Reflection { .. } => 0.0,
        })
        .sum()
}

/// The class of the first surface met going from the point towards the antenna (0: none).
fn first_obstruction(scene: &Scene, from: &Vec3, to: &Vec3) -> u8 {
    let d = to - from;
    let len = d.norm();
    if len < 1e-6 {
        return 0;
    }
    match scene.closest_hit(from, &(d / len), 0.05, len - 0.05) {
        Some(hit) => {
            scene.materials().get(hit.material as usize).map_or(7, |m| obstruction_class(&m.name))
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_spec() {
        assert_eq!(obstruction_class("itu_concrete"), 1);
        assert_eq!(obstruction_class("mat-itu_glass"), 3);
        assert_eq!(obstruction_class("medium_dry_ground"), 7);
        assert_eq!(wrap180(190.0), -170.0);
        assert_eq!(wrap180(-180.0), -180.0);
        let spec = FeatureSpec::new(&[]);
        assert_eq!(spec.len(), BASE_FEATURES.len() + OBSTRUCTION_CLASSES.len());
        let mut other = spec.clone();
        other.names.push("cell=X".into());
        assert!(spec.difference(&other).unwrap().contains("cell=X"));
        assert!(spec.difference(&spec).is_none());
    }

    #[test]
    fn without_a_scene_the_links_are_the_empirical_executors() {
        use radio::{Antenna, Orientation, Pattern, Polarization, vec3};
        let cell = Cell {
            id: "A-1".into(),
            site_id: "A".into(),
            position: vec3(0.0, 0.0, 25.0),
            antenna: Antenna::new(
                Pattern::Tr38901(radio::antenna::Tr38901::default()),
                Polarization::Vertical,
                Orientation { azimuth_deg: 90.0, ..Orientation::default() },
            )
            .unwrap(),
            tx_power_dbm: 46.0,
            freq_hz: 3.5e9,
            bandwidth_hz: 20e6,
            subcarrier_spacing_hz: 30e3,
        };
        let cells = [cell];
        let twin = Twin::new(None, &cells);
        let table = twin.links(&[(200.0, 0.0), (-150.0, 40.0)]).unwrap();
        let exec = EmpiricalTracer::default();
        let tx = cells[0].transmitter();
        for (p, (x, y)) in [(200.0, 0.0), (-150.0, 40.0)].into_iter().enumerate() {
            let expected = exec.path_gain_db(&tx, &vec3(x, y, 1.5));
            assert_eq!(table.get(p, 0).path_gain_db, expected, "point {p}");
        }
        // In front of the sector is stronger than behind it.
        assert!(table.get(0, 0).path_gain_db > table.get(1, 0).path_gain_db + 5.0);
        assert!(!table.ray_traced);
    }
}
