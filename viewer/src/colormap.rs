//! Colour maps: each layer's values to colours, as a lookup table the GPU samples and the
//! colour bar shows, so the map and its legend agree by construction (and the tests check it).

/// Entries of a continuous lookup table: odd, so that the middle of a diverging map (a
/// difference of zero) has an entry of its own.
pub const LUT_LEN: usize = 257;
/// Colours of the categorical (best server) table.
pub const CATEGORIES: usize = 20;

/// The value a raster shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// RSRP of the best cell.
    Rsrp,
    /// SINR.
    Sinr,
    /// Best server.
    BestServer,
    /// Peak downlink throughput.
    Throughput,
}

impl Field {
    /// Every field, in the order of the keyboard shortcuts 1–4.
    pub const ALL: [Field; 4] = [Field::Rsrp, Field::Sinr, Field::BestServer, Field::Throughput];

    /// The field called `name` (`rsrp`, `sinr`, `best-server`, `throughput`).
    pub fn parse(name: &str) -> Option<Field> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "rsrp" => Some(Field::Rsrp),
            "sinr" => Some(Field::Sinr),
            "best-server" | "server" | "best" => Some(Field::BestServer),
            "throughput" | "tput" => Some(Field::Throughput),
            _ => None,
        }
    }

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Rsrp => "RSRP",
            Field::Sinr => "SINR",
            Field::BestServer => "best server",
            Field::Throughput => "throughput",
        }
    }

    /// The unit of its values.
    pub fn unit(self) -> &'static str {
        match self {
            Field::Rsrp => "dBm",
            Field::Sinr | Field::BestServer => "dB",
            Field::Throughput => "Mbit/s",
        }
    }

    /// The plane of the raster files that holds it.
    pub fn plane(self) -> crate::data::Plane {
        use crate::data::Plane;
        match self {
            Field::Rsrp => Plane::Rsrp,
            Field::Sinr => Plane::Sinr,
            Field::BestServer => Plane::BestServer,
            Field::Throughput => Plane::Throughput,
        }
    }

    /// The colour scale of the field, or of its difference from the baseline.
    pub fn scale(self, difference: bool) -> Scale {
        match (self, difference) {
            (Field::BestServer, false) => Scale::Categorical,
            (Field::BestServer, true) => Scale::Changed,
            (Field::Rsrp, false) => {
                Scale::Continuous { min: -120.0, max: -60.0, map: Map::Viridis }
            }
            (Field::Sinr, false) => Scale::Continuous { min: -5.0, max: 25.0, map: Map::Magma },
            (Field::Throughput, false) => {
                Scale::Continuous { min: 0.0, max: 150.0, map: Map::Cividis }
            }
            (Field::Rsrp | Field::Sinr, true) => {
                Scale::Continuous { min: -10.0, max: 10.0, map: Map::Diverging }
            }
            (Field::Throughput, true) => {
                Scale::Continuous { min: -50.0, max: 50.0, map: Map::Diverging }
            }
        }
    }
}

/// A named colour ramp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Map {
    /// Viridis.
    Viridis,
    /// Magma.
    Magma,
    /// Cividis.
    Cividis,
    /// Red (worse) through a neutral grey-white to blue (better).
    Diverging,
}

/// How values become colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// `min` to `max` along a ramp, clamped at both ends.
    Continuous {
        /// Value of the first entry.
        min: f32,
        /// Value of the last entry.
        max: f32,
        /// The ramp.
        map: Map,
    },
    /// Cell indices on [`CATEGORIES`] distinct colours.
    Categorical,
    /// Best server changed (1) or not (0).
    Changed,
}

/// The neutral colour of a difference of zero (the middle entry of the diverging map).
pub fn neutral() -> [u8; 4] {
    lut(Map::Diverging)[LUT_LEN / 2]
}

/// The colour of a link that is down.
pub const FAILED_LINK: [u8; 4] = [214, 0, 214, 255];
/// The colour of unserved outdoor areas (drawn over the raster, half transparent).
pub const UNSERVED: [u8; 4] = [90, 0, 0, 150];
/// The colour of a changed best server in the difference view.
pub const CHANGED: [u8; 4] = [255, 140, 0, 255];

fn rgba(c: colorous::Color) -> [u8; 4] {
    [c.r, c.g, c.b, 255]
}

/// A continuous ramp's [`LUT_LEN`] entries.
pub fn lut(map: Map) -> Vec<[u8; 4]> {
    (0..LUT_LEN)
        .map(|i| {
            let t = i as f64 / (LUT_LEN - 1) as f64;
            match map {
                Map::Viridis => rgba(colorous::VIRIDIS.eval_continuous(t)),
                Map::Magma => rgba(colorous::MAGMA.eval_continuous(t)),
                Map::Cividis => rgba(colorous::CIVIDIS.eval_continuous(t)),
                // RdBu runs red to blue; its middle is a light neutral grey.
                Map::Diverging => rgba(colorous::RED_BLUE.eval_continuous(t)),
            }
        })
        .collect()
}

/// The categorical table's [`CATEGORIES`] colours.
pub fn categories() -> Vec<[u8; 4]> {
    colorous::TABLEAU10
        .iter()
        .chain(colorous::SET3.iter())
        .take(CATEGORIES)
        .map(|c| rgba(*c))
        .collect()
}

/// The lookup table of a scale: [`LUT_LEN`] entries for a continuous one, the categories for
/// a categorical one, neutral and changed for the best-server difference.
pub fn table(scale: Scale) -> Vec<[u8; 4]> {
    match scale {
        Scale::Continuous { map, .. } => lut(map),
        Scale::Categorical => categories(),
        Scale::Changed => vec![neutral(), CHANGED],
    }
}

/// The table entry of `value` under `scale`, as the shader computes it; `None` for NaN (drawn
/// transparent) and, under the categorical scales, for "no server".
pub fn entry(scale: Scale, value: f32) -> Option<usize> {
    if value.is_nan() {
        return None;
    }
    match scale {
        Scale::Continuous { min, max, .. } => {
            let t = ((value - min) / (max - min)).clamp(0.0, 1.0);
            Some((t * (LUT_LEN - 1) as f32).round_ties_even() as usize)
        }
        Scale::Categorical => (value >= 0.0).then_some(value as usize % CATEGORIES),
        Scale::Changed => Some(usize::from(value != 0.0)),
    }
}

/// The colour of `value` under `scale`.
pub fn colour(scale: Scale, value: f32) -> Option<[u8; 4]> {
    entry(scale, value).and_then(|i| table(scale).get(i).copied())
}

/// The value at the middle of table entry `i` of a continuous scale.
pub fn entry_value(min: f32, max: f32, i: usize) -> f32 {
    min + (max - min) * i as f32 / (LUT_LEN - 1) as f32
}

/// A link's colour at utilisation `u` (green to red, red from 100 %).
pub fn link_colour(u: f32) -> [u8; 4] {
    if !u.is_finite() {
        return FAILED_LINK;
    }
    rgba(colorous::RED_YELLOW_GREEN.eval_continuous(1.0 - f64::from(u.clamp(0.0, 1.0))))
}

/// A link's width in pixels at utilisation `u`.
pub fn link_width_px(u: f32) -> f32 {
    2.0 + 6.0 * u.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_middle_of_a_difference_scale_is_zero_and_neutral() {
        let s = Field::Rsrp.scale(true);
        assert_eq!(entry(s, 0.0), Some(LUT_LEN / 2));
        assert_eq!(colour(s, 0.0), Some(neutral()));
        // Neutral is a light grey: no channel far from the others.
        let n = neutral();
        assert!(n[0].abs_diff(n[2]) < 12 && n[0] > 200, "{n:?}");
        assert_ne!(colour(s, 1.0), Some(neutral()));
    }

    #[test]
    fn values_clamp_and_nan_is_transparent() {
        let s = Field::Rsrp.scale(false);
        assert_eq!(entry(s, -500.0), Some(0));
        assert_eq!(entry(s, 0.0), Some(LUT_LEN - 1));
        assert_eq!(entry(s, f32::NAN), None);
        assert_eq!(entry(Scale::Categorical, -1.0), None);
        assert_eq!(entry(Scale::Categorical, 23.0), Some(3));
    }
}
