//! Colour maps: each layer's values to colours, as a lookup table the GPU samples and the
//! colour bar shows, so the map and its legend agree by construction (and the tests check it).
//! The scales and tables are the run format's palette ([`twin_format::palette`]), shared with
//! the report's maps; what is the viewer's own is which field uses which scale, and the links.

use twin_format::palette;
pub use twin_format::palette::{
    CATEGORIES, CHANGED, LUT_LEN, Ramp, Scale, UNSERVED, categories, colour, entry, entry_value,
    lut, neutral, table,
};

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

    /// The colour scale of the field, or of its difference from the baseline (the run format's
    /// palette: the report's maps use the same scales), in the run of `index` (RSRP on the
    /// range fitted to the run, where the run has one).
    pub fn scale(self, difference: bool, index: &twin_format::view::ViewIndex) -> Scale {
        self.scale_with(difference, index.rsrp_scale())
    }

    /// [`Field::scale`] with the RSRP scale `rsrp`.
    pub fn scale_with(self, difference: bool, rsrp: Scale) -> Scale {
        match (self, difference) {
            (Field::BestServer, false) => Scale::Categorical,
            (Field::BestServer, true) => Scale::Changed,
            (Field::Rsrp, false) => rsrp,
            (Field::Sinr, false) => palette::SINR_DB,
            (Field::Throughput, false) => palette::THROUGHPUT_MBPS,
            (Field::Rsrp | Field::Sinr, true) => palette::DIFFERENCE_DB,
            (Field::Throughput, true) => palette::DIFFERENCE_MBPS,
        }
    }
}

/// The colour of a link that is down.
pub const FAILED_LINK: [u8; 4] = [214, 0, 214, 255];

fn rgba(c: colorous::Color) -> [u8; 4] {
    [c.r, c.g, c.b, 255]
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
    fn every_field_has_its_scale_and_differences_are_diverging() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.name().replace(' ', "-").as_str()), Some(f));
            match (f, f.scale_with(true, palette::RSRP_DBM)) {
                (Field::BestServer, Scale::Changed) => {}
                (_, Scale::Continuous { min, max, map: Ramp::Diverging }) => assert_eq!(min, -max),
                (_, other) => panic!("{f:?}: difference scale {other:?}"),
            }
        }
        assert_eq!(colour(Field::Rsrp.scale_with(true, palette::RSRP_DBM), 0.0), Some(neutral()));
        // A run's fitted RSRP range is the RSRP scale; differences keep theirs.
        let fitted = Scale::Continuous { min: -100.0, max: -40.0, map: Ramp::Viridis };
        assert_eq!(Field::Rsrp.scale_with(false, fitted), fitted);
        assert_eq!(Field::Rsrp.scale_with(true, fitted), palette::DIFFERENCE_DB);
    }
}
