//! The report's maps (RSRP with its colour bar and site names, best server with cell names
//! and a key) and the viewer's images.

use std::fmt::Write as _;

use base64::Engine as _;
use twin_format::palette::{self, INDOOR, Scale, UNSERVED};

use super::html_escape;
use crate::rundir::Figure;
use crate::rundir::maps::{Label, RunMaps};

fn data_uri(png: &[u8]) -> String {
    format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png))
}

fn css(c: [u8; 4]) -> String {
    format!("rgb({},{},{})", c[0], c[1], c[2])
}

/// The RSRP scale's colour bar with ticks, and swatches for unserved and indoor points; `id`
/// names its gradient (one per bar on the page).
fn colour_bar(scale: Scale, id: usize) -> String {
    let Scale::Continuous { min, max, .. } = scale else { return String::new() };
    let table = palette::table(scale);
    let stops: String = (0..=16)
        .map(|i| {
            let c = table[i * (table.len() - 1) / 16];
            format!("<stop offset=\"{}%\" stop-color=\"{}\"/>", i * 100 / 16, css(c))
        })
        .collect();
    let (w, x0, x1) = (560.0, 16.0, 420.0);
    let step = if max - min > 30.0 { 10.0 } else { 5.0 };
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} 46\" width=\"100%\" role=\"img\" aria-label=\"RSRP colour bar\" font-size=\"11\"><defs><linearGradient id=\"rsrp-{id}\">{stops}</linearGradient></defs><rect x=\"{x0}\" y=\"4\" width=\"{}\" height=\"14\" fill=\"url(#rsrp-{id})\" stroke=\"#888\"/>",
        x1 - x0
    );
    let mut v = (f64::from(min) / step).ceil() * step;
    while v <= f64::from(max) + 1e-9 {
        let x = x0 + (x1 - x0) * (v - f64::from(min)) / f64::from(max - min);
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"18\" y2=\"23\" stroke=\"#444\"/><text x=\"{x:.1}\" y=\"34\" text-anchor=\"middle\">{v:.0}</text>"
        );
        v += step;
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"45\" text-anchor=\"middle\">RSRP, dBm (values beyond the ends take the end colours)</text><rect x=\"440\" y=\"4\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"#888\"/><text x=\"458\" y=\"15\">not served</text><rect x=\"440\" y=\"24\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"#888\"/><text x=\"458\" y=\"35\">indoors</text></svg>",
        (x0 + x1) / 2.0,
        css([UNSERVED[0], UNSERVED[1], UNSERVED[2], 255]),
        css(INDOOR)
    );
    s
}

/// Cell names on the best-server maps, against site names (there are three times as many).
const CELL_LABEL: f64 = 0.75;

/// A map image with names drawn over it, sizes in grid pixels: site names (`scale` 1) beside a
/// marker, cell names (smaller) centred on their point.
fn map_svg(png: &[u8], size: (usize, usize), labels: &[Label], scale: f64, alt: &str) -> String {
    let (nx, ny) = (size.0 as f64, size.1 as f64);
    let marker = scale >= 1.0;
    let font = scale * (nx.max(ny) / 45.0).max(1.0);
    let mut s = format!(
        "<svg viewBox=\"0 0 {nx} {ny}\" width=\"100%\" role=\"img\" aria-label=\"{}\" font-size=\"{font:.2}\" font-family=\"system-ui,sans-serif\"><image href=\"{}\" width=\"{nx}\" height=\"{ny}\" style=\"image-rendering:pixelated\"/>",
        html_escape(alt),
        data_uri(png)
    );
    for l in labels {
        if marker {
            let _ = write!(
                s,
                "<circle cx=\"{:.2}\" cy=\"{:.2}\" r=\"{:.2}\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"{:.2}\"/>",
                l.x,
                l.y,
                font * 0.3,
                font * 0.1
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"{}\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"{:.2}\" fill=\"#000\">{}</text>",
            if marker { l.x + font * 0.45 } else { l.x },
            l.y + font * 0.35,
            if marker { "start" } else { "middle" },
            font * 0.25,
            html_escape(&l.text)
        );
    }
    s.push_str("</svg>");
    s
}

/// The maps: RSRP of each variant on the run's fitted range, then the best servers.
pub(super) fn maps_section(s: &mut String, maps: &RunMaps) {
    s.push_str("<h2>Best-server RSRP maps</h2><p class=\"note\">One colour range for every map, fitted to the run's served points (2nd to 98th percentile). Baseline at the window's start; variants after their last change. Sites marked with their names; north up.</p>");
    s.push_str("<div class=\"maps\">");
    for (i, m) in maps.variants.iter().enumerate() {
        let alt = format!("RSRP map of {}", m.rsrp.caption);
        let _ = write!(
            s,
            "<figure><figcaption>{}</figcaption>{}{}</figure>",
            html_escape(&m.rsrp.caption),
            map_svg(&m.rsrp.png, maps.size, &m.sites, 1.0, &alt),
            colour_bar(maps.scale, i)
        );
    }
    s.push_str("</div><h2>Best-server maps</h2><p class=\"note\">Each cell's area in its colour, the cell's name at the middle of its area; colours repeat after 20 cells, the names and the key tell them apart. Dark red: not served; grey: indoors.</p><div class=\"maps\">");
    for m in &maps.variants {
        let key: String = m
            .key
            .iter()
            .map(|(id, c)| {
                format!(
                    "<div><span style=\"background:{}\"></span>{}</div>",
                    css(*c),
                    html_escape(id)
                )
            })
            .collect();
        let _ = write!(
            s,
            "<figure><figcaption>{}</figcaption>{}<details><summary>Key ({} serving cells)</summary><div class=\"key\">{key}</div></details></figure>",
            html_escape(&m.server.caption),
            map_svg(
                &m.server.png,
                maps.size,
                &m.cells,
                CELL_LABEL,
                &format!("best-server map of {}", m.server.caption)
            ),
            m.key.len()
        );
    }
    s.push_str("</div>");
}

/// The viewer's images, if it drew any.
pub(super) fn views_section(s: &mut String, views: &[Figure]) {
    if views.is_empty() {
        return;
    }
    s.push_str("<h2>Views</h2><p class=\"note\">Drawn by the viewer (<code>twin-view</code>) with the renderer of its window: each variant minus the baseline after the variant's last change, red worse, blue better, grey unchanged; buildings, sector wedges, transport links by utilisation (magenta: down) and unserved areas (dark red). Open the run in <code>twin-view</code> to pan, hover and scrub through time.</p><div class=\"views\">");
    for v in views {
        let _ = write!(
            s,
            "<figure><figcaption>{0}</figcaption><img alt=\"{0}\" style=\"width:100%;border:1px solid #ccc\" src=\"{1}\"></figure>",
            html_escape(&v.caption),
            data_uri(&v.png)
        );
    }
    s.push_str("</div>");
}
