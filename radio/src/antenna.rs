//! Antennas: radiation patterns, orientation and polarisation.
//!
//! A pattern gives the gain in dBi towards a direction expressed in the antenna's own frame: zenith
//! angle θ (0° straight up, 90° the horizon, 180° straight down) and azimuth φ (0° boresight,
//! counter-clockwise seen from above). Three patterns are built in:
//!
//! * isotropic, 0 dBi everywhere;
//! * the 3GPP TR 38.901 Table 7.3-1 element: `A_V = −min(12((θ − 90° − tilt_e)/θ3dB)², SLA_V)`,
//!   `A_H = −min(12(φ/φ3dB)², A_max)`, `G = G_max − min(−(A_V + A_H), A_max)`, with
//!   θ3dB = φ3dB = 65°, SLA_V = A_max = 30 dB, G_max = 8 dBi. Electrical downtilt shifts the
//!   vertical cut, as in TR 36.873;
//! * planning pattern files (MSI / Planet `.msi`, `.pln`): a horizontal and a vertical 360-point
//!   cut of attenuation below the peak gain. The 3D pattern is their sum, capped at the larger
//!   of the two cuts' deepest values (the usual "summing" reconstruction); behind the antenna
//!   (|φ| > 90°) the back half of the vertical cut is used.
//!
//! Orientation follows planning conventions: azimuth in degrees clockwise from north, mechanical
//! and electrical downtilt positive below the horizon. Scene axes are x east, y north, z up.
//!
//! The antenna's field towards a direction is a real 3-vector perpendicular to it, of length
//! √(gain), along θ̂ of the antenna frame for vertical polarisation, φ̂ for horizontal, and
//! `cos ζ θ̂ + sin ζ φ̂` for a slant angle ζ (TR 38.901 polarisation model 2). By reciprocity the
//! same vector is the antenna's receiving pattern.

use std::path::Path;
use std::sync::Arc;

use nalgebra::{Matrix3, Rotation3, Vector3};

use crate::error::AntennaError;
use crate::geometry::{Vec3, vec3};

/// Parameters of the TR 38.901 element pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tr38901 {
    /// Peak gain, dBi (8).
    pub max_gain_dbi: f64,
    /// Vertical half-power beamwidth, degrees (65).
    pub theta_3db_deg: f64,
    /// Horizontal half-power beamwidth, degrees (65).
    pub phi_3db_deg: f64,
    /// Side-lobe level limit of the vertical cut, dB (30).
    pub sla_v_db: f64,
    /// Front-to-back limit, dB (30).
    pub a_max_db: f64,
}

impl Default for Tr38901 {
    fn default() -> Self {
        Tr38901 {
            max_gain_dbi: 8.0,
            theta_3db_deg: 65.0,
            phi_3db_deg: 65.0,
            sla_v_db: 30.0,
            a_max_db: 30.0,
        }
    }
}

/// A pattern read from a planning (MSI / Planet) file.
#[derive(Debug, Clone, PartialEq)]
pub struct MsiPattern {
    /// The `NAME` line.
    pub name: String,
    /// Peak gain in dBi (`GAIN` in dBd is converted: dBi = dBd + 2.15).
    pub gain_dbi: f64,
    /// Electrical downtilt built into the vertical cut, degrees (`TILT`/`ELECTRICAL_TILT`).
    pub electrical_tilt_deg: f64,
    /// Frequency in MHz, if the file gives it.
    pub frequency_mhz: Option<f64>,
    /// Attenuation below peak, dB, at 0°, 1°, …, 359° clockwise from boresight.
    pub horizontal_db: Vec<f64>,
    /// Attenuation below peak, dB, at 0°, 1°, …, 359° below the horizon (90° = straight down,
    /// 180° = the horizon behind, 270° = straight up).
    pub vertical_db: Vec<f64>,
}

/// A radiation pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// 0 dBi in every direction.
    Isotropic,
    /// The TR 38.901 sector element.
    Tr38901(Tr38901),
    /// A pattern from a planning file.
    Msi(Arc<MsiPattern>),
}

impl Pattern {
    /// The pattern a planning file names: `38901` (also `tr38901`, `3gpp`), `isotropic` (`iso`),
    /// or the path of an MSI/Planet file, relative to `folder` (the naming file's folder).
    pub fn from_spec(spec: &str, folder: &Path) -> Result<Pattern, AntennaError> {
        Ok(match spec.trim().to_ascii_lowercase().as_str() {
            "38901" | "tr38901" | "3gpp" => Pattern::Tr38901(Tr38901::default()),
            "iso" | "isotropic" => Pattern::Isotropic,
            _ => Pattern::Msi(Arc::new(MsiPattern::read(&folder.join(spec.trim()))?)),
        })
    }
}

/// The linear polarisation of an antenna.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Polarization {
    /// Along θ̂ of the antenna frame.
    Vertical,
    /// Along φ̂ of the antenna frame.
    Horizontal,
    /// Slant angle ζ in degrees from vertical (±45 for cross-polarised panels).
    Slant(f64),
}

/// Where an antenna points.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Orientation {
    /// Boresight azimuth, degrees clockwise from north.
    pub azimuth_deg: f64,
    /// Mechanical downtilt, degrees (positive points the antenna down).
    pub mech_tilt_deg: f64,
    /// Electrical downtilt, degrees (positive steers the beam down).
    pub elec_tilt_deg: f64,
}

/// A pattern, a polarisation and an orientation.
#[derive(Debug, Clone, PartialEq)]
pub struct Antenna {
    /// The radiation pattern.
    pub pattern: Pattern,
    /// The polarisation.
    pub polarization: Polarization,
    /// The pointing.
    pub orientation: Orientation,
    /// Rotation from the antenna frame to the scene frame.
    rotation: Matrix3<f64>,
}

impl Antenna {
    /// An antenna; fails on non-finite angles.
    pub fn new(
        pattern: Pattern,
        polarization: Polarization,
        orientation: Orientation,
    ) -> Result<Antenna, AntennaError> {
        let o = orientation;
        for (what, v) in [
            ("azimuth", o.azimuth_deg),
            ("mechanical tilt", o.mech_tilt_deg),
            ("electrical tilt", o.elec_tilt_deg),
        ] {
            if !v.is_finite() {
                return Err(AntennaError::InvalidParameter(format!(
                    "{what} {v}° is not a finite angle"
                )));
            }
        }
        if !(-90.0..=90.0).contains(&o.mech_tilt_deg) || !(-90.0..=90.0).contains(&o.elec_tilt_deg)
        {
            return Err(AntennaError::InvalidParameter(format!(
                "tilts must lie in [-90, 90] degrees, got mechanical {} and electrical {}",
                o.mech_tilt_deg, o.elec_tilt_deg
            )));
        }
        if let Polarization::Slant(z) = polarization
            && !z.is_finite()
        {
            return Err(AntennaError::InvalidParameter(format!("slant angle {z}° is not finite")));
        }
        // Boresight azimuth in the scene's mathematical convention (from +x, counter-clockwise).
        let alpha = (90.0 - o.azimuth_deg).to_radians();
        let beta = o.mech_tilt_deg.to_radians();
        let rz = Rotation3::from_axis_angle(&Vector3::z_axis(), alpha);
        let ry = Rotation3::from_axis_angle(&Vector3::y_axis(), beta);
        let rotation = (rz * ry).into_inner();
        Ok(Antenna { pattern, polarization, orientation, rotation })
    }

    /// The rotation from the antenna's frame (boresight +x, zenith +z) to the scene's.
    pub fn rotation(&self) -> &Matrix3<f64> {
        &self.rotation
    }

    /// An isotropic, vertically polarised antenna.
    pub fn isotropic() -> Antenna {
        Antenna {
            pattern: Pattern::Isotropic,
            polarization: Polarization::Vertical,
            orientation: Orientation::default(),
            rotation: Matrix3::identity(),
        }
    }

    /// Local (θ, φ) in degrees of a unit direction in the scene frame.
    pub fn local_angles(&self, dir: &Vec3) -> (f64, f64) {
        let l = self.rotation.transpose() * dir;
        let theta = l.z.clamp(-1.0, 1.0).acos().to_degrees();
        let phi = l.y.atan2(l.x).to_degrees();
        (theta, phi)
    }

    /// Gain in dBi towards the unit direction `dir`.
    pub fn gain_dbi(&self, dir: &Vec3) -> f64 {
        let (theta, phi) = self.local_angles(dir);
        self.pattern.gain_dbi(theta, phi, self.orientation.elec_tilt_deg)
    }

    /// The field vector radiated towards the unit direction `dir`: perpendicular to `dir`, of
    /// length √(linear gain), along the antenna's polarisation.
    pub fn field(&self, dir: &Vec3) -> Vec3 {
        let l = self.rotation.transpose() * dir;
        // θ̂ and φ̂ straight from the local direction: no trigonometry needed for the basis.
        let rho = l.x.hypot(l.y);
        let (cp, sp) = if rho > 1e-12 { (l.x / rho, l.y / rho) } else { (1.0, 0.0) };
        let (ct, st) = (l.z.clamp(-1.0, 1.0), rho);
        let theta_deg = st.atan2(ct).to_degrees();
        let phi_deg = sp.atan2(cp).to_degrees();
        let gain = self.pattern.gain_dbi(theta_deg, phi_deg, self.orientation.elec_tilt_deg);
        // 10^(g/20) as an exponential: cheaper than powf.
        let amp = (gain * (std::f64::consts::LN_10 / 20.0)).exp();
        let theta_hat = vec3(ct * cp, ct * sp, -st);
        let phi_hat = vec3(-sp, cp, 0.0);
        let local = match self.polarization {
            Polarization::Vertical => theta_hat,
            Polarization::Horizontal => phi_hat,
            Polarization::Slant(z) => {
                let (sz, cz) = z.to_radians().sin_cos();
                theta_hat * cz + phi_hat * sz
            }
        };
        self.rotation * local * amp
    }
}

impl Pattern {
    /// Gain in dBi at local zenith angle `theta_deg` and azimuth `phi_deg`, with electrical
    /// downtilt `elec_tilt_deg` applied to the vertical cut.
    pub fn gain_dbi(&self, theta_deg: f64, phi_deg: f64, elec_tilt_deg: f64) -> f64 {
        match self {
            Pattern::Isotropic => 0.0,
            Pattern::Tr38901(p) => {
                let phi = wrap180(phi_deg);
                let a_v = -(12.0 * ((theta_deg - 90.0 - elec_tilt_deg) / p.theta_3db_deg).powi(2))
                    .min(p.sla_v_db);
                let a_h = -(12.0 * (phi / p.phi_3db_deg).powi(2)).min(p.a_max_db);
                p.max_gain_dbi - (-(a_v + a_h)).min(p.a_max_db)
            }
            Pattern::Msi(m) => {
                let phi = wrap180(phi_deg);
                // Horizontal cut angles run clockwise from boresight; φ runs counter-clockwise.
                let h = interp_cut(&m.horizontal_db, -phi);
                let below = theta_deg - 90.0 - (elec_tilt_deg - m.electrical_tilt_deg);
                let v_angle = if phi.abs() <= 90.0 { below } else { 180.0 - below };
                let v = interp_cut(&m.vertical_db, v_angle);
                let cap =
                    m.horizontal_db.iter().chain(&m.vertical_db).fold(0.0f64, |a, &b| a.max(b));
                m.gain_dbi - (h + v).min(cap)
            }
        }
    }
}

fn wrap180(deg: f64) -> f64 {
    (deg + 180.0).rem_euclid(360.0) - 180.0
}

/// Linear interpolation in a 360-point cut at any angle (wrapping).
fn interp_cut(cut: &[f64], angle_deg: f64) -> f64 {
    let n = cut.len();
    let a = angle_deg.rem_euclid(360.0) * n as f64 / 360.0;
    let i = (a.floor() as usize) % n;
    let f = a - a.floor();
    cut[i] * (1.0 - f) + cut[(i + 1) % n] * f
}

impl MsiPattern {
    /// Reads a pattern file.
    pub fn read(path: &Path) -> Result<MsiPattern, AntennaError> {
        let text = std::fs::read_to_string(path)
            .map_err(|reason| AntennaError::Io { path: path.to_path_buf(), reason })?;
        MsiPattern::parse(&text).map_err(|(line, reason)| AntennaError::Format {
            path: path.to_path_buf(),
            line,
            reason,
        })
    }

    /// Parses pattern text; the error is `(line, reason)`.
    pub fn parse(text: &str) -> Result<MsiPattern, (usize, String)> {
        let lines: Vec<&str> = text.lines().collect();
        let mut name = String::new();
        let mut gain_dbi = None;
        let mut tilt = 0.0;
        let mut frequency_mhz = None;
        let mut horizontal = None;
        let mut vertical = None;
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i].trim();
            let mut words = line.split_whitespace();
            let key = words.next().unwrap_or("").to_ascii_uppercase();
            let rest: Vec<&str> = words.collect();
            let first_number = || rest.iter().find_map(|w| w.parse::<f64>().ok());
            match key.as_str() {
                "" => {}
                "NAME" => name = rest.join(" "),
                "GAIN" => {
                    let v = first_number().ok_or((i + 1, "GAIN needs a number".to_string()))?;
                    let dbi = rest.iter().any(|w| w.eq_ignore_ascii_case("dbi"));
                    gain_dbi = Some(if dbi { v } else { v + 2.15 });
                }
                "TILT" | "ELECTRICAL_TILT" => {
                    if !rest.iter().any(|w| w.eq_ignore_ascii_case("mechanical"))
                        && let Some(v) = first_number()
                    {
                        tilt = v;
                    }
                }
                "FREQUENCY" => frequency_mhz = first_number(),
                "HORIZONTAL" | "VERTICAL" => {
                    let n = first_number().ok_or((i + 1, format!("{key} needs a point count")))?
                        as usize;
                    if !(2..=3600).contains(&n) || i + n >= lines.len() {
                        return Err((
                            i + 1,
                            format!("{key} announces {n} points but the file ends before them"),
                        ));
                    }
                    let mut points = Vec::with_capacity(n);
                    for k in 1..=n {
                        let l = lines[i + k];
                        let nums: Vec<f64> =
                            l.split_whitespace().filter_map(|w| w.parse().ok()).collect();
                        let [angle, value] = nums[..] else {
                            return Err((
                                i + k + 1,
                                format!("expected \"angle attenuation\", got \"{}\"", l.trim()),
                            ));
                        };
                        if !(angle.is_finite() && value.is_finite()) {
                            return Err((i + k + 1, "non-finite value".into()));
                        }
                        // Attenuations are written without sign; a stray minus sign means the same.
                        points.push((angle.rem_euclid(360.0), value.abs()));
                    }
                    let cut = resample(points);
                    if key == "HORIZONTAL" {
                        horizontal = Some(cut);
                    } else {
                        vertical = Some(cut);
                    }
                    i += n;
                }
                // MAKE, H_WIDTH, V_WIDTH, FRONT_TO_BACK, POLARIZATION, COMMENT and vendor keys.
                _ => {}
            }
            i += 1;
        }
        let horizontal_db = horizontal.ok_or((lines.len(), "no HORIZONTAL section".to_string()))?;
        let vertical_db = vertical.ok_or((lines.len(), "no VERTICAL section".to_string()))?;
        Ok(MsiPattern {
            name,
            gain_dbi: gain_dbi.ok_or((lines.len(), "no GAIN line".to_string()))?,
            electrical_tilt_deg: tilt,
            frequency_mhz,
            horizontal_db,
            vertical_db,
        })
    }
}

/// Resamples `(angle, value)` points to 360 values at whole degrees by linear interpolation
/// around the circle.
fn resample(mut points: Vec<(f64, f64)>) -> Vec<f64> {
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points.dedup_by(|a, b| a.0 == b.0);
    (0..360)
        .map(|deg| {
            let a = f64::from(deg);
            let upper = points.iter().position(|p| p.0 >= a).unwrap_or(0);
            let (p1, p0) = (points[upper], points[(upper + points.len() - 1) % points.len()]);
            if p1.0 == a {
                return p1.1;
            }
            let span = (p1.0 - p0.0).rem_euclid(360.0);
            let off = (a - p0.0).rem_euclid(360.0);
            if span == 0.0 { p0.1 } else { p0.1 + (p1.1 - p0.1) * off / span }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// REFERENCES.md §3, Table 7.3-1 values.
    #[test]
    fn tr38901_table() {
        let p = Pattern::Tr38901(Tr38901::default());
        let cases = [
            ((90.0, 0.0), 8.0),
            ((90.0, 32.5), 5.0),
            ((122.5, 0.0), 5.0),
            ((90.0, 65.0), -4.0),
            ((90.0, 90.0), -15.006),
            ((90.0, 180.0), -22.0),
            ((0.0, 0.0), -15.006),
            ((180.0, 0.0), -15.006),
            ((120.0, 60.0), -4.781),
            ((60.0, -30.0), 2.888),
        ];
        for ((theta, phi), g) in cases {
            let got = p.gain_dbi(theta, phi, 0.0);
            assert!((got - g).abs() < 5e-4, "G({theta}, {phi}) = {got}, table {g}");
        }
        // Electrical tilt moves the vertical maximum below the horizon.
        assert!((p.gain_dbi(96.0, 0.0, 6.0) - 8.0).abs() < 1e-12);
    }

    #[test]
    fn orientation_points_the_boresight() {
        let pattern = Pattern::Tr38901(Tr38901::default());
        // Azimuth 90° (east), 10° mechanical downtilt.
        let a = Antenna::new(
            pattern.clone(),
            Polarization::Vertical,
            Orientation { azimuth_deg: 90.0, mech_tilt_deg: 10.0, elec_tilt_deg: 0.0 },
        )
        .unwrap();
        let boresight = vec3(10f64.to_radians().cos(), 0.0, -10f64.to_radians().sin());
        assert!((a.gain_dbi(&boresight) - 8.0).abs() < 1e-9);
        assert!((a.field(&boresight).norm() - 10f64.powf(0.4)).abs() < 1e-9);
        // Due north is 90° off boresight.
        let (theta, phi) = a.local_angles(&vec3(0.0, 1.0, 0.0));
        assert!((theta - 90.0).abs() < 1e-9 && (phi - 90.0).abs() < 1e-9, "{theta} {phi}");
        // Azimuth 0 points north.
        let north = Antenna::new(pattern, Polarization::Vertical, Orientation::default()).unwrap();
        assert!((north.gain_dbi(&vec3(0.0, 1.0, 0.0)) - 8.0).abs() < 1e-9);
    }

    #[test]
    fn field_is_transverse_and_polarised() {
        let iso = Antenna::isotropic();
        let d = vec3(1.0, 2.0, -0.5).normalize();
        let f = iso.field(&d);
        assert!(f.dot(&d).abs() < 1e-12 && (f.norm() - 1.0).abs() < 1e-12);
        // Vertical polarisation along the horizon is straight down (−θ̂ ... θ̂ points to −z).
        let f = iso.field(&vec3(1.0, 0.0, 0.0));
        assert!((f - vec3(0.0, 0.0, -1.0)).norm() < 1e-12, "{f:?}");
        let h = Antenna::new(Pattern::Isotropic, Polarization::Horizontal, Orientation::default())
            .unwrap();
        assert!(h.field(&vec3(1.0, 0.0, 0.0)).z.abs() < 1e-12);
        assert!(
            Antenna::new(
                Pattern::Isotropic,
                Polarization::Vertical,
                Orientation { mech_tilt_deg: f64::NAN, ..Orientation::default() }
            )
            .is_err()
        );
    }

    fn msi_text() -> String {
        let mut s = String::from(
            "NAME Test panel\nMAKE Acme\nFREQUENCY 3500\nGAIN 15.85 dBd\nTILT ELECTRICAL 4\nHORIZONTAL 360\n",
        );
        for a in 0..360 {
            let off = (a as f64).min(360.0 - a as f64);
            s.push_str(&format!("{a} {:.2}\n", (12.0 * (off / 65.0).powi(2)).min(25.0)));
        }
        s.push_str("VERTICAL 360\n");
        for a in 0..360 {
            let off = ((a as f64 - 4.0 + 180.0).rem_euclid(360.0) - 180.0).abs();
            s.push_str(&format!("{a}\t{:.2}\n", (12.0 * (off / 7.0).powi(2)).min(20.0)));
        }
        s
    }

    #[test]
    fn msi_files() {
        let m = MsiPattern::parse(&msi_text()).unwrap();
        assert_eq!(m.name, "Test panel");
        assert!((m.gain_dbi - 18.0).abs() < 1e-12, "dBd converted to dBi");
        assert_eq!(m.electrical_tilt_deg, 4.0);
        let p = Pattern::Msi(Arc::new(m));
        // Peak at boresight, 4° below the horizon, for a cell using the file's own tilt.
        assert!((p.gain_dbi(94.0, 0.0, 4.0) - 18.0).abs() < 1e-9);
        // A cell asking for 2° more electrical tilt shifts the peak down by 2°.
        assert!((p.gain_dbi(96.0, 0.0, 6.0) - 18.0).abs() < 1e-9);
        // 3 dB down at ±32.5° in azimuth, like the cut says.
        assert!((p.gain_dbi(94.0, 32.5, 4.0) - 15.0).abs() < 0.05);
        // Deep behind: capped at the deepest attenuation of the cuts.
        assert!((p.gain_dbi(90.0, 180.0, 4.0) - (18.0 - 25.0)).abs() < 1e-9);
    }

    #[test]
    fn malformed_msi_names_the_line() {
        let truncated: String = msi_text().lines().take(100).collect::<Vec<_>>().join("\n");
        let (line, reason) = MsiPattern::parse(&truncated).unwrap_err();
        assert_eq!(line, 6, "{reason}");
        let bad = msi_text().replace("10 ", "10 x");
        assert!(MsiPattern::parse(&bad).is_err());
        let no_gain = msi_text().replace("GAIN 15.85 dBd", "");
        assert!(MsiPattern::parse(&no_gain).unwrap_err().1.contains("GAIN"));
        let err = MsiPattern::read(Path::new("/nonexistent/panel.msi")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/panel.msi"));
    }
}
