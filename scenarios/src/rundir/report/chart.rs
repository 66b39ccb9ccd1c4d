//! The report's line charts: daily means on a date axis (month ticks for windows of two months
//! or more, else weekly ones), a y-axis with round ticks and the unit, the baseline as a broad
//! grey line under the variants so that it stays visible where a variant lies on it, and a
//! legend of the line styles.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate};

use super::html_escape;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 270.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 58.0;

/// Variants' colours (the baseline is grey).
const COLOURS: [&str; 8] =
    ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
/// Variants' dash patterns, so that lines on top of each other stay apart.
const DASHES: [&str; 4] = ["", "6 3", "2 2", "8 3 2 3"];

/// One chart: a title, the unit of its y-axis, and `factor` that values are multiplied by
/// (100 for shares shown in %).
pub(super) struct Chart<'a> {
    /// Caption.
    pub title: &'a str,
    /// Unit of the y-axis and its ticks.
    pub unit: &'a str,
    /// Multiplier from the series' values to the unit.
    pub factor: f64,
}

/// Round tick values covering `lo..=hi`, about five of them.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick label: as many decimals as the step needs; thousands and millions as k and M.
fn label(v: f64, step: f64) -> String {
    if step >= 1e6 {
        return format!("{} M", label(v / 1e6, step / 1e6));
    }
    if step >= 1e3 {
        return format!("{} k", label(v / 1e3, step / 1e3));
    }
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    format!("{v:.decimals$}")
}

/// The date ticks of `days` days from `start`: (day index, label).
fn date_ticks(start: NaiveDate, days: usize) -> Vec<(usize, String)> {
    let date = |d: usize| start + Duration::days(d as i64);
    if days >= 60 {
        (0..days)
            .filter(|&d| d == 0 || date(d).day() == 1)
            .filter(|&d| date(d).day() == 1 || date(d).day() < 20)
            .map(|d| (d, date(d).format("%b %Y").to_string()))
            .collect()
    } else {
        (0..days).step_by(7).map(|d| (d, date(d).format("%-d %b").to_string())).collect()
    }
}

/// Daily means of `v` in `per_day` intervals.
fn daily(v: &[f64], per_day: usize) -> Vec<f64> {
    v.chunks(per_day.max(1))
        .map(|c| {
            let f: Vec<f64> = c.iter().copied().filter(|x| x.is_finite()).collect();
            if f.is_empty() { f64::NAN } else { f.iter().sum::<f64>() / f.len() as f64 }
        })
        .collect()
}

/// The chart as a `<figure>` of inline SVG; `start_s` is the window's start (seconds since
/// 1970 UTC), `series` the baseline first.
pub(super) fn chart(
    c: &Chart<'_>,
    series: &[(String, Vec<f64>)],
    per_day: usize,
    start_s: i64,
) -> String {
    let daily: Vec<(String, Vec<f64>)> = series
        .iter()
        .map(|(n, v)| (n.clone(), daily(v, per_day).into_iter().map(|x| x * c.factor).collect()))
        .collect();
    let values = || daily.iter().flat_map(|(_, v)| v.iter().copied()).filter(|x| x.is_finite());
    let (lo, hi) =
        (values().fold(f64::INFINITY, f64::min), values().fold(f64::NEG_INFINITY, f64::max));
    let (lo, hi) =
        if lo.is_finite() { (lo.min(0.0), hi.max(lo.min(0.0) + 1e-9)) } else { (0.0, 1.0) };
    let ys = ticks(lo, hi);
    let (y0, y1) = (ys.first().copied().unwrap_or(0.0), ys.last().copied().unwrap_or(1.0));
    let days = daily.first().map_or(0, |(_, v)| v.len());
    let (pw, ph) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |d: f64| LEFT + pw * d / (days.max(2) - 1) as f64;
    let y = |v: f64| TOP + ph * (1.0 - (v - y0) / (y1 - y0).max(1e-12));
    let title = html_escape(c.title);
    let mut s = format!(
        "<figure><figcaption>{title} ({})</figcaption><svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" role=\"img\" aria-label=\"{title}\" font-size=\"11\"><rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"#fcfcfc\" stroke=\"#bbb\"/>",
        html_escape(c.unit)
    );
    let step = ys.get(1).zip(ys.first()).map_or(1.0, |(b, a)| b - a);
    for &t in &ys {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{0}\" y1=\"{1:.1}\" y2=\"{1:.1}\" stroke=\"#e4e4e4\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{4}</text>",
            LEFT + pw,
            y(t),
            LEFT - 6.0,
            y(t) + 4.0,
            label(t, step)
        );
    }
    let _ = write!(
        s,
        "<text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        TOP + ph / 2.0,
        html_escape(c.unit)
    );
    if let Some(start) = DateTime::from_timestamp(start_s, 0).map(|t| t.date_naive()) {
        for (d, text) in date_ticks(start, days) {
            let _ = write!(
                s,
                "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{TOP}\" y2=\"{1}\" stroke=\"#eee\"/><text x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
                x(d as f64),
                TOP + ph + 4.0,
                TOP + ph + 16.0,
                text
            );
        }
    }
    for (i, (name, v)) in daily.iter().enumerate() {
        let (colour, width, dash, opacity) = if i == 0 {
            ("#555", 4.0, "", 0.45)
        } else {
            (COLOURS[(i - 1) % COLOURS.len()], 1.6, DASHES[(i - 1) % DASHES.len()], 1.0)
        };
        let mut path = String::new();
        let mut pen_up = true;
        for (d, &val) in v.iter().enumerate() {
            if !val.is_finite() {
                pen_up = true;
                continue;
            }
            let _ =
                write!(path, "{}{:.1},{:.1} ", if pen_up { "M" } else { "L" }, x(d as f64), y(val));
            pen_up = false;
        }
        let _ = write!(
            s,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\" stroke-dasharray=\"{dash}\" stroke-opacity=\"{opacity}\"/>"
        );
        let (lx, ly) =
            (LEFT + 10.0 + 180.0 * (i % 4) as f64, HEIGHT - 22.0 + 13.0 * (i / 4) as f64);
        let _ = write!(
            s,
            "<line x1=\"{lx}\" x2=\"{0}\" y1=\"{1}\" y2=\"{1}\" stroke=\"{colour}\" stroke-width=\"{width}\" stroke-dasharray=\"{dash}\" stroke-opacity=\"{opacity}\"/><text x=\"{2}\" y=\"{3}\">{4}</text>",
            lx + 24.0,
            ly - 4.0,
            lx + 28.0,
            ly,
            html_escape(name)
        );
    }
    s.push_str("</svg></figure>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_have_round_ticks_and_dates() {
        assert_eq!(ticks(0.0, 43.0), [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(ticks(-0.2, 0.7), [-0.2, 0.0, 0.2, 0.4, 0.6000000000000001, 0.8]);
        assert_eq!(label(0.2, 0.2), "0.2");
        assert_eq!((label(1.5e7, 5e6), label(3000.0, 1000.0)), ("15 M".into(), "3 k".into()));
        let jan = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        let months: Vec<String> = date_ticks(jan, 365).into_iter().map(|t| t.1).collect();
        assert_eq!(months.len(), 12);
        assert_eq!((months[0].as_str(), months[11].as_str()), ("Jan 2025", "Dec 2025"));
        let weeks = date_ticks(jan, 28);
        assert_eq!(weeks.iter().map(|t| t.0).collect::<Vec<_>>(), [0, 7, 14, 21]);
        assert_eq!(weeks[1].1, "8 Jan");
        let s = chart(
            &Chart { title: "PRB", unit: "%", factor: 100.0 },
            &[("baseline".into(), vec![0.2; 48]), ("v".into(), vec![0.3; 48])],
            24,
            1_735_689_600,
        );
        assert!(s.contains(">%</text>") && s.contains("1 Jan") && s.contains(">baseline</text>"));
    }
}
