//! Colour scales and heat-map images: the one palette of every map the twin draws.
//!
//! The viewer samples these lookup tables on the GPU and draws its colour bar from them; the
//! report's maps, `twin coverage` and the coverage example paint their PNGs with
//! [`heat_map_png`] from the same tables, so a value has one colour everywhere and the legends
//! agree with the pictures by construction.
//!
//! Points that have no value are drawn the viewer's way in every picture: indoor points (under a
//! building) in [`INDOOR`] grey, outdoor points that no cell serves in [`UNSERVED`] dark red.

/// Entries of a continuous lookup table: odd, so that the middle of a diverging map (a
/// difference of zero) has an entry of its own.
pub const LUT_LEN: usize = 257;
/// Colours of the categorical (best server) table.
pub const CATEGORIES: usize = 20;

/// A named colour ramp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ramp {
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
        map: Ramp,
    },
    /// Cell indices on [`CATEGORIES`] distinct colours.
    Categorical,
    /// Best server changed (1) or not (0).
    Changed,
}

/// RSRP of the best cell, dBm.
pub const RSRP_DBM: Scale = Scale::Continuous { min: -120.0, max: -60.0, map: Ramp::Viridis };
/// SINR, dB.
pub const SINR_DB: Scale = Scale::Continuous { min: -5.0, max: 25.0, map: Ramp::Magma };
/// Peak downlink throughput, Mbit/s.
pub const THROUGHPUT_MBPS: Scale = Scale::Continuous { min: 0.0, max: 150.0, map: Ramp::Cividis };
/// A difference of RSRP or SINR, variant minus baseline, dB.
pub const DIFFERENCE_DB: Scale = Scale::Continuous { min: -10.0, max: 10.0, map: Ramp::Diverging };
/// A difference of throughput, Mbit/s.
pub const DIFFERENCE_MBPS: Scale =
    Scale::Continuous { min: -50.0, max: 50.0, map: Ramp::Diverging };

/// Indoor points (under a building), opaque.
pub const INDOOR: [u8; 4] = [110, 110, 110, 255];
/// Outdoor points that no cell serves (the viewer draws it half transparent over the raster).
pub const UNSERVED: [u8; 4] = [90, 0, 0, 150];
/// A changed best server in the difference view.
pub const CHANGED: [u8; 4] = [255, 140, 0, 255];

fn rgba(c: colorous::Color) -> [u8; 4] {
    [c.r, c.g, c.b, 255]
}

/// A continuous ramp's [`LUT_LEN`] entries.
pub fn lut(map: Ramp) -> Vec<[u8; 4]> {
    (0..LUT_LEN)
        .map(|i| {
            let t = i as f64 / (LUT_LEN - 1) as f64;
            match map {
                Ramp::Viridis => rgba(colorous::VIRIDIS.eval_continuous(t)),
                Ramp::Magma => rgba(colorous::MAGMA.eval_continuous(t)),
                Ramp::Cividis => rgba(colorous::CIVIDIS.eval_continuous(t)),
                // RdBu runs red to blue; its middle is a light neutral grey.
                Ramp::Diverging => rgba(colorous::RED_BLUE.eval_continuous(t)),
            }
        })
        .collect()
}

/// The neutral colour of a difference of zero (the middle entry of the diverging map).
pub fn neutral() -> [u8; 4] {
    lut(Ramp::Diverging)[LUT_LEN / 2]
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

/// The table entry of `value` under `scale`, as the viewer's shader computes it; `None` for
/// NaN (no value) and, under the categorical scales, for "no server".
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

/// The fitted RSRP range's ends are multiples of this, dBm.
const RANGE_STEP_DB: f64 = 5.0;
/// The fitted RSRP range spans at least this, dBm.
const MIN_SPAN_DB: f64 = 20.0;
/// The fitted range covers the values from this percentile to its complement.
const RANGE_PERCENTILE: f64 = 0.02;

/// A Viridis RSRP scale fitted to `values` (the served points' RSRP of a run, dBm): the 2nd to
/// the 98th percentile, widened to multiples of 5 dB and to at least 20 dB; [`RSRP_DBM`] when
/// there are none. The report's maps and the viewer of a run use the same one.
pub fn fitted_rsrp_scale(values: impl IntoIterator<Item = f32>) -> Scale {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).map(f64::from).collect();
    if v.is_empty() {
        return RSRP_DBM;
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let mut lo = (at(RANGE_PERCENTILE) / RANGE_STEP_DB).floor() * RANGE_STEP_DB;
    let mut hi = (at(1.0 - RANGE_PERCENTILE) / RANGE_STEP_DB).ceil() * RANGE_STEP_DB;
    if hi - lo < MIN_SPAN_DB {
        let widen = ((MIN_SPAN_DB - (hi - lo)) / 2.0 / RANGE_STEP_DB).ceil() * RANGE_STEP_DB;
        (lo, hi) = (lo - widen, hi + widen);
    }
    Scale::Continuous { min: lo as f32, max: hi as f32, map: Ramp::Viridis }
}

/// What one point of a heat map shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pixel {
    /// Under a building.
    Indoor,
    /// Outdoor, not served.
    Unserved,
    /// A value on the map's scale.
    Value(f32),
}

/// A heat map of `nx × ny` grid points as PNG, north up (grid row 0 is the south edge), one
/// image pixel per point, coloured by `scale` (see the module documentation for points without
/// a value). With `colour_bar`, a strip along the bottom shows the scale from its minimum on
/// the left to its maximum on the right.
pub fn heat_map_png(
    nx: usize,
    ny: usize,
    scale: Scale,
    colour_bar: bool,
    pixel: impl Fn(usize, usize) -> Pixel,
) -> Result<Vec<u8>, png::EncodingError> {
    let table = table(scale);
    let rgb_of = |p: Pixel| match p {
        Pixel::Indoor => INDOOR,
        Pixel::Unserved => [UNSERVED[0], UNSERVED[1], UNSERVED[2], 255],
        Pixel::Value(v) => entry(scale, v).and_then(|i| table.get(i).copied()).unwrap_or(INDOOR),
    };
    let bar = if colour_bar { (ny / 25).max(4) } else { 0 };
    let mut rgb = vec![0u8; nx * (ny + bar) * 3];
    for row in 0..ny {
        let iy = ny - 1 - row;
        for ix in 0..nx {
            rgb[(row * nx + ix) * 3..][..3].copy_from_slice(&rgb_of(pixel(ix, iy))[..3]);
        }
    }
    for row in ny..ny + bar {
        for ix in 0..nx {
            let i = ix * (table.len() - 1) / nx.saturating_sub(1).max(1);
            rgb[(row * nx + ix) * 3..][..3].copy_from_slice(&table[i.min(table.len() - 1)][..3]);
        }
    }
    encode_rgb(nx as u32, (ny + bar) as u32, &rgb)
}

fn encode(
    width: u32,
    height: u32,
    colour: png::ColorType,
    data: &[u8],
) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(colour);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(data)?;
        writer.finish()?;
    }
    Ok(out)
}

/// 8-bit RGB rows, top first, as PNG.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    encode(width, height, png::ColorType::Rgb, rgb)
}

/// 8-bit RGBA rows, top first, as PNG.
pub fn encode_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    encode(width, height, png::ColorType::Rgba, rgba)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_rsrp_range_fits_the_values() {
        // A dense network around −57 dBm and a far one: the range reaches above −60 dBm.
        let dense = (0..100).map(|i| -75.0 + 0.35 * i as f32);
        let far = (0..100).map(|i| -98.0 + 0.1 * i as f32);
        let Scale::Continuous { min, max, .. } = fitted_rsrp_scale(dense.chain(far)) else {
            panic!("continuous")
        };
        assert_eq!((min, max), (-100.0, -40.0));
        // A narrow spread (−85…−80 dBm) is widened by whole steps to at least 20 dB around it.
        let Scale::Continuous { min, max, .. } = fitted_rsrp_scale([-81.0; 10]) else {
            panic!("continuous")
        };
        assert_eq!((min, max), (-95.0, -70.0));
        // Nothing (or nothing finite) keeps the viewer's scale.
        assert_eq!(fitted_rsrp_scale([f32::NEG_INFINITY]), RSRP_DBM);
    }

    #[test]
    fn the_middle_of_a_difference_scale_is_zero_and_neutral() {
        assert_eq!(entry(DIFFERENCE_DB, 0.0), Some(LUT_LEN / 2));
        assert_eq!(colour(DIFFERENCE_DB, 0.0), Some(neutral()));
        // Neutral is a light grey: no channel far from the others.
        let n = neutral();
        assert!(n[0].abs_diff(n[2]) < 12 && n[0] > 200, "{n:?}");
        assert_ne!(colour(DIFFERENCE_DB, 1.0), Some(neutral()));
    }

    #[test]
    fn values_clamp_and_nan_has_no_entry() {
        assert_eq!(entry(RSRP_DBM, -500.0), Some(0));
        assert_eq!(entry(RSRP_DBM, 0.0), Some(LUT_LEN - 1));
        assert_eq!(entry(RSRP_DBM, f32::NAN), None);
        assert_eq!(entry(Scale::Categorical, -1.0), None);
        assert_eq!(entry(Scale::Categorical, 23.0), Some(3));
    }

    #[test]
    fn a_heat_map_is_north_up_with_the_viewer_colours() {
        // 3 × 2 points: row 0 (south) indoor, unserved, -120 dBm; row 1 (north) all -60 dBm.
        let png = heat_map_png(3, 2, RSRP_DBM, false, |ix, iy| match (ix, iy) {
            (0, 0) => Pixel::Indoor,
            (1, 0) => Pixel::Unserved,
            (2, 0) => Pixel::Value(-120.0),
            _ => Pixel::Value(-60.0),
        })
        .unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (3, 2));
        let px = |x: usize, y: usize| buf[(y * 3 + x) * 3..][..3].to_vec();
        let lut = lut(Ramp::Viridis);
        assert_eq!(px(0, 0), lut[LUT_LEN - 1][..3], "the top row is the north one");
        assert_eq!(px(0, 1), INDOOR[..3]);
        assert_eq!(px(1, 1), UNSERVED[..3]);
        assert_eq!(px(2, 1), lut[0][..3]);
    }
}
