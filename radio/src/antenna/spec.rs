//! Pattern names as planning tables write them (`cells.csv`'s `pattern` column), and the default
//! macro panel.
//!
//! ```text
//! 38901 | tr38901 | 3gpp                 TR 38.901 element (8 dBi, 65°/65°)
//! 36814 | tr36814                        TR 36.814 3D macro sector (14 dBi, 70°/10°)
//! 38901-array:<rows>x<cols>[:<dv>[:<dh>]] TR 38.901 panel, spacings in wavelengths (0.5)
//! iso | isotropic                        0 dBi
//! <path>                                 an MSI / Planet file, relative to the table
//! (empty)                                DEFAULT_MACRO_SPEC
//! ```

use std::path::Path;
use std::sync::Arc;

use super::{MsiPattern, PanelArray, Pattern, Tr38901};
use crate::error::AntennaError;

/// The pattern a cell gets when its table leaves the pattern empty: a column of 8 TR 38.901
/// elements 0.8 λ apart, as a passive macro panel is built. It has 17.0 dBi (8 + 10 log10 8), a
/// 7.9° vertical and a 65° horizontal half-power beamwidth (radio/src/antenna/spec.rs's tests
/// measure both), inside the 15–18 dBi and 6–10° of common 1.7–3.8 GHz macro panels; at 0.8 λ
/// no grating lobe enters the visible region for electrical tilts up to 14°. The array steers
/// the beam by the cell's electrical tilt. The same panel ships as a planning file,
/// `radio/patterns/twin-macro-8x1-0.8.msi`.
pub const DEFAULT_MACRO_SPEC: &str = "38901-array:8x1:0.8";

/// The default element spacing of an array name that leaves it out, wavelengths.
const DEFAULT_SPACING_WL: f64 = 0.5;

impl Pattern {
    /// The default macro panel, [`DEFAULT_MACRO_SPEC`].
    pub fn default_macro() -> Pattern {
        // Eight rows, one column and 0.8 λ are valid, so this cannot fail.
        Pattern::Array(
            PanelArray::new(8, 1, 0.8, DEFAULT_SPACING_WL)
                .unwrap_or_else(|_| unreachable!("the default panel is a valid array")),
        )
    }

    /// The pattern a planning file names (see the module's table): `38901` (also `tr38901`,
    /// `3gpp`), `36814` (`tr36814`), `38901-array:<rows>x<cols>[:<dv>[:<dh>]]`, `isotropic`
    /// (`iso`), the path of an MSI/Planet file relative to `folder` (the naming file's folder),
    /// or nothing, for [`Pattern::default_macro`]. A name that is none of these, and neither an
    /// existing file nor shaped like a file name (an extension or a folder), is
    /// [`AntennaError::UnknownPattern`].
    pub fn from_spec(spec: &str, folder: &Path) -> Result<Pattern, AntennaError> {
        let trimmed = spec.trim();
        let lower = trimmed.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("38901-array") {
            let rest = rest
                .strip_prefix(':')
                .ok_or_else(|| AntennaError::ArraySyntax { spec: trimmed.to_string() })?;
            return Ok(Pattern::Array(parse_array(trimmed, rest)?));
        }
        match lower.as_str() {
            "" => return Ok(Pattern::default_macro()),
            "38901" | "tr38901" | "3gpp" => return Ok(Pattern::Tr38901(Tr38901::default())),
            "36814" | "tr36814" => return Ok(Pattern::Tr38901(Tr38901::tr36814_macro())),
            "iso" | "isotropic" => return Ok(Pattern::Isotropic),
            _ => {}
        }
        let path = folder.join(trimmed);
        let file_like = Path::new(trimmed).extension().is_some()
            || trimmed.contains(['/', '\\'])
            || path.is_file();
        let builtin_like =
            ["38901", "36814", "tr3", "3gpp", "iso"].iter().any(|p| lower.starts_with(p));
        if !file_like || (builtin_like && !path.is_file()) {
            return Err(AntennaError::UnknownPattern { spec: trimmed.to_string() });
        }
        Ok(Pattern::Msi(Arc::new(MsiPattern::read(&path)?)))
    }
}

/// `<rows>x<cols>[:<dv>[:<dh>]]` (`rest`) of the array name `spec`.
fn parse_array(spec: &str, rest: &str) -> Result<PanelArray, AntennaError> {
    let syntax = || AntennaError::ArraySyntax { spec: spec.to_string() };
    let parts: Vec<&str> = rest.split(':').map(str::trim).collect();
    if parts.len() > 3 {
        return Err(syntax());
    }
    let (rows, cols) = parts[0].split_once('x').ok_or_else(syntax)?;
    let count = |t: &str| t.trim().parse::<u64>().map_err(|_| syntax());
    let spacing = |i: usize| match parts.get(i) {
        None => Ok(DEFAULT_SPACING_WL),
        Some(t) => t.parse::<f64>().map_err(|_| syntax()),
    };
    PanelArray::new(count(rows)?, count(cols)?, spacing(1)?, spacing(2)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::antenna::array::tests::vertical_hpbw_deg;
    use crate::error::ArrayAxis;

    fn spec(s: &str) -> Result<Pattern, AntennaError> {
        Pattern::from_spec(s, Path::new("/nonexistent"))
    }

    #[test]
    fn every_name_parses() {
        assert_eq!(spec("38901").unwrap(), Pattern::Tr38901(Tr38901::default()));
        assert_eq!(spec(" TR38901 ").unwrap(), Pattern::Tr38901(Tr38901::default()));
        assert_eq!(spec("36814").unwrap(), Pattern::Tr38901(Tr38901::tr36814_macro()));
        assert_eq!(spec("isotropic").unwrap(), Pattern::Isotropic);
        assert_eq!(spec("").unwrap(), Pattern::default_macro());
        assert_eq!(spec(DEFAULT_MACRO_SPEC).unwrap(), Pattern::default_macro());
        let Pattern::Array(a) = spec("38901-array:10x1:0.5").unwrap() else { panic!() };
        assert_eq!((a.rows(), a.cols(), a.vertical_spacing_wl()), (10, 1, 0.5));
        let Pattern::Array(a) = spec("38901-Array:4X2").unwrap_or_else(|e| panic!("{e}")) else {
            panic!()
        };
        assert_eq!((a.rows(), a.cols(), a.horizontal_spacing_wl()), (4, 2, 0.5));
        let Pattern::Array(a) = spec("38901-array:2x8:0.7:0.6").unwrap() else { panic!() };
        assert_eq!((a.vertical_spacing_wl(), a.horizontal_spacing_wl()), (0.7, 0.6));
    }

    #[test]
    fn bad_names_are_typed_errors() {
        for s in [
            "38901-array",
            "38901-array:",
            "38901-array:10",
            "38901-array:ax1",
            "38901-array:-1x1",
            "38901-array:4x1:x",
            "38901-array:4x1:0.5:0.5:1",
            "38901-array:4x1:0,5",
        ] {
            assert!(matches!(spec(s), Err(AntennaError::ArraySyntax { .. })), "{s}: {:?}", spec(s));
        }
        assert!(matches!(spec("38901-array:0x1"), Err(AntennaError::ArrayEmpty { .. })));
        assert!(matches!(spec("38901-array:8x0:0.8"), Err(AntennaError::ArrayEmpty { .. })));
        assert!(matches!(spec("38901-array:2000x1"), Err(AntennaError::ArrayTooLarge { .. })));
        assert!(matches!(
            spec("38901-array:99999999999999999999x1"),
            Err(AntennaError::ArraySyntax { .. })
        ));
        for s in [
            "38901-array:8x1:0",
            "38901-array:8x1:-0.8",
            "38901-array:8x1:nan",
            "38901-array:8x1:inf",
        ] {
            assert!(
                matches!(
                    spec(s),
                    Err(AntennaError::ArraySpacing { axis: ArrayAxis::Vertical, .. })
                ),
                "{s}"
            );
        }
        assert!(matches!(
            spec("38901-array:8x2:0.8:0"),
            Err(AntennaError::ArraySpacing { axis: ArrayAxis::Horizontal, .. })
        ));
        for s in ["38902", "3gpp-macro", "omni", "isotrope", "36814x"] {
            let e = spec(s).unwrap_err();
            assert!(matches!(e, AntennaError::UnknownPattern { .. }), "{s}: {e:?}");
            assert!(e.to_string().contains("38901-array:<rows>x<cols>"), "{e}");
        }
        // A file name that does not exist is still an I/O error naming the file.
        assert!(matches!(spec("panels/a.msi"), Err(AntennaError::Io { .. })));
        let e = spec("38901-array:0x1").unwrap_err().to_string();
        assert!(e.contains("0x1"), "{e}");
    }

    /// The default panel is a realistic macro antenna: 15–18 dBi, a 6–10° vertical half-power
    /// beamwidth, at every common electrical tilt.
    #[test]
    fn the_default_is_a_macro_panel() {
        let p = Pattern::default_macro();
        let gain = p.gain_dbi(90.0, 0.0, 0.0);
        assert!((gain - (8.0 + 10.0 * 8f64.log10())).abs() < 1e-9, "{gain}");
        assert!((15.0..=18.0).contains(&gain));
        assert!((p.peak_gain_dbi(0.0) - gain).abs() < 1e-12);
        for tilt in [0.0, 4.0, 8.0] {
            let hpbw = vertical_hpbw_deg(&p, tilt);
            assert!((7.5..=8.3).contains(&hpbw), "tilt {tilt}: {hpbw}");
        }
        // 0.886 λ / (M d) = 0.886 / 6.4 rad = 7.93°.
        let hpbw = vertical_hpbw_deg(&p, 0.0);
        assert!((hpbw - 7.93).abs() < 0.1, "{hpbw}");
        // The first upper side lobe, past the first null at cos θ = 1/(M d) (θ = 81.0°), is
        // about 13 dB down (−13.26 dB for a long uniform array, plus the element's slope).
        let cut = |t: f64| p.gain_dbi(t, 0.0, 0.0);
        let null = (1.0f64 / 6.4).acos().to_degrees();
        assert!(cut(null) < gain - 60.0, "null at {null}: {}", cut(null));
        let lobe = (0..1000).map(|i| cut(null - f64::from(i) * 0.01)).fold(f64::MIN, f64::max);
        assert!((12.8..13.8).contains(&(gain - lobe)), "side lobe {} dB down", gain - lobe);
        eprintln!(
            "default panel: {gain:.3} dBi, vertical HPBW {hpbw:.3}°, first side lobe {:.2} dB down, horizontal HPBW {:.2}°",
            gain - lobe,
            super::super::half_power_width_deg(
                &(0..360).map(|a| gain - p.gain_dbi(90.0, -f64::from(a), 0.0)).collect::<Vec<_>>(),
                0
            )
        );
    }
}
