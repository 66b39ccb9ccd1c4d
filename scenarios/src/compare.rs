//! Two runs side by side (`twin compare`): what changed from the first to the second, KPI by
//! KPI of every variant the two run directories share, largest relative change first.
//!
//! A planner comparing two runs asks what moved, so the rows that did not are left out unless
//! asked for ([`CompareFilter::all`]), a threshold hides the changes too small to matter
//! ([`CompareFilter::min_change_pct`]), and patterns pick KPIs and variants
//! ([`CompareFilter::kpi`], [`CompareFilter::variant`]: a name part, or a glob with `*`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use twin_format::run::{Summary, read_summary};

use crate::error::ScenarioError;

/// One KPI of one variant in both runs. Fields in alphabetical order, as `twin compare --json`
/// has always written them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// The value in the first run.
    pub a: f64,
    /// The value in the second run.
    pub b: f64,
    /// `b − a`.
    pub change: f64,
    /// `100 · (b − a) / |a|`; `None` when `a` is 0 and `b` is not (a change from nothing).
    pub change_pct: Option<f64>,
    /// The KPI's name in `summary.json`.
    pub kpi: String,
    /// The variant.
    pub variant: String,
}

impl CompareRow {
    /// The row of a KPI that is `a` in the first run and `b` in the second.
    fn new(variant: &str, kpi: &str, a: f64, b: f64) -> CompareRow {
        let change = b - a;
        let change_pct = if change == 0.0 {
            Some(0.0)
        } else if a == 0.0 {
            None
        } else {
            Some(100.0 * change / a.abs())
        };
        CompareRow { a, b, change, change_pct, kpi: kpi.into(), variant: variant.into() }
    }

    /// The size of the change the rows are sorted by: its percentage, infinite from zero.
    fn size(&self) -> f64 {
        self.change_pct.map_or(f64::INFINITY, f64::abs)
    }
}

/// Which rows a comparison keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompareFilter {
    /// KPIs whose name matches (a part of the name, or a glob with `*`); all when `None`.
    pub kpi: Option<String>,
    /// Variants whose name matches, the same way; all when `None`.
    pub variant: Option<String>,
    /// Changes smaller than this percentage of the first run's value are left out (a change
    /// from zero is never smaller); 0 keeps every change.
    pub min_change_pct: f64,
    /// Keep the rows that did not change too (the threshold then does not apply).
    pub all: bool,
}

impl CompareFilter {
    /// Whether `row` is kept.
    pub fn keeps(&self, row: &CompareRow) -> bool {
        let named = |pattern: &Option<String>, name: &str| {
            pattern.as_deref().is_none_or(|p| matches_pattern(p, name))
        };
        named(&self.kpi, &row.kpi)
            && named(&self.variant, &row.variant)
            && (self.all || (row.change != 0.0 && row.size() >= self.min_change_pct))
    }
}

/// Whether `name` matches `pattern`: with a `*` (any run of characters) the whole name must
/// match, without one the pattern must be part of the name.
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return name.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The first run directory.
    pub a: PathBuf,
    /// The second.
    pub b: PathBuf,
    /// The rows the filter keeps, largest relative change first (a change from zero first of
    /// all; ties by the absolute change, then variant and KPI).
    pub rows: Vec<CompareRow>,
    /// KPI values of the variants in both runs, in all.
    pub compared: usize,
    /// How many of them changed.
    pub changed: usize,
    /// Variants in one run only.
    #[serde(skip)]
    pub only_in_one: Vec<String>,
}

/// Every row of two summaries (each shared variant in the first run's order, its KPIs in
/// alphabetical order), and the variants in one of them only. A statistic that has a value in
/// neither run (a percentile over no served point) has no row.
pub fn compare_summaries(sa: &Summary, sb: &Summary) -> (Vec<CompareRow>, Vec<String>) {
    let mut rows = Vec::new();
    for va in &sa.variants {
        let Some(vb) = sb.variants.iter().find(|v| v.name == va.name) else { continue };
        let mut kpis: Vec<(&str, f64, f64)> = va
            .kpis()
            .into_iter()
            .zip(vb.kpis())
            .map(|((k, a), (_, b))| (k, a, b))
            .filter(|(_, a, b)| !(a.is_nan() && b.is_nan()))
            .collect();
        kpis.sort_by(|x, y| x.0.cmp(y.0));
        rows.extend(kpis.into_iter().map(|(kpi, a, b)| CompareRow::new(&va.name, kpi, a, b)));
    }
    let names = |s: &Summary| s.variants.iter().map(|v| v.name.clone()).collect::<Vec<_>>();
    let (na, nb) = (names(sa), names(sb));
    let only =
        na.iter().chain(&nb).filter(|n| !na.contains(n) || !nb.contains(n)).cloned().collect();
    (rows, only)
}

/// The rows `filter` keeps, largest change first.
pub fn select_rows(rows: Vec<CompareRow>, filter: &CompareFilter) -> Vec<CompareRow> {
    let mut kept: Vec<CompareRow> = rows.into_iter().filter(|r| filter.keeps(r)).collect();
    kept.sort_by(|x, y| {
        y.size()
            .total_cmp(&x.size())
            .then(y.change.abs().total_cmp(&x.change.abs()))
            .then_with(|| (&x.variant, &x.kpi).cmp(&(&y.variant, &y.kpi)))
    });
    kept
}

/// Reads the summaries of run directories `a` and `b` and compares them.
pub fn compare_runs(
    a: &Path,
    b: &Path,
    filter: &CompareFilter,
) -> Result<Comparison, ScenarioError> {
    let (sa, sb) = (read_summary(a)?, read_summary(b)?);
    let (rows, only_in_one) = compare_summaries(&sa, &sb);
    let (compared, changed) = (rows.len(), rows.iter().filter(|r| r.change != 0.0).count());
    Ok(Comparison {
        a: a.to_path_buf(),
        b: b.to_path_buf(),
        rows: select_rows(rows, filter),
        compared,
        changed,
        only_in_one,
    })
}

/// The comparison as a Markdown table (absolute and relative change), what it left out, and
/// the variants in one run only.
pub fn comparison_table(c: &Comparison) -> String {
    let mut t = format!(
        "| variant | KPI | {} | {} | change | change % |\n|---|---|---|---|---|---|\n",
        c.a.display(),
        c.b.display()
    );
    for r in &c.rows {
        let pct = r.change_pct.map_or("from 0".to_string(), |p| format!("{p:+.2} %"));
        t.push_str(&format!(
            "| {} | {} | {:.4} | {:.4} | {:+.4} | {pct} |\n",
            r.variant, r.kpi, r.a, r.b, r.change
        ));
    }
    t.push_str(&format!(
        "{} of {} KPI values changed; {} shown\n",
        c.changed,
        c.compared,
        c.rows.len()
    ));
    if !c.only_in_one.is_empty() {
        t.push_str(&format!("in one run only: {}\n", c.only_in_one.join(", ")));
    }
    t
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use twin_format::run::VariantSummary;

    fn variant(name: &str, coverage: f64) -> VariantSummary {
        VariantSummary {
            name: name.into(),
            coverage_mean: coverage,
            sinr_busy_hour_db: 8.0,
            prb_util_mean: 0.2,
            prb_util_max_p95: 0.5,
            overloaded_cell_hours: 3.0,
            unserved_share: 0.0,
            link_util_max_p95: 0.1,
            delay_mean_ms: 1.0,
            settlement_latency_p50_h: 2.0,
            settlement_latency_p99_h: 3.0,
            settlement_backlog_max: 7,
            packet_delay_p99_ms: 1.5,
            packet_loss: 0.0,
            coupling_iterations_max: 4,
            coupling_iterations_mean: 2.5,
            rsrp_change_median_db: 0.0,
            coupling_residual_max: 1e-7,
            ..Default::default()
        }
    }

    fn summary(v: Vec<VariantSummary>) -> Summary {
        Summary { scenario: "s".into(), intervals: 1, variants: v, deltas: Vec::new() }
    }

    #[test]
    fn shared_variants_are_compared_kpi_by_kpi() {
        let a = summary(vec![variant("baseline", 0.9), variant("old", 0.8)]);
        let b = summary(vec![variant("baseline", 0.95), variant("new", 0.8)]);
        let (rows, only) = compare_summaries(&a, &b);
        // One variant in both: every KPI but the eight percentiles, which have a value in
        // neither summary.
        assert_eq!(rows.len(), VariantSummary::default().kpis().len() - 8);
        let kpis: Vec<&str> = rows.iter().map(|r| r.kpi.as_str()).collect();
        let mut sorted = kpis.clone();
        sorted.sort();
        assert_eq!(kpis, sorted);
        let cov = rows.iter().find(|r| r.kpi == "coverage_mean").unwrap();
        assert!((cov.change - 0.05).abs() < 1e-12);
        assert!((cov.change_pct.unwrap() - 100.0 * 0.05 / 0.9).abs() < 1e-9);
        assert_eq!(rows.iter().find(|r| r.kpi == "settlement_backlog_max").unwrap().a, 7.0);
        assert_eq!(only, ["old", "new"]);
    }

    #[test]
    fn only_changes_are_kept_largest_first_filtered_and_above_the_threshold() {
        let mut changed = variant("new-site", 0.9);
        changed.prb_util_mean = 0.1; // −50 %
        changed.delay_mean_ms = 1.01; // +1 %
        changed.unserved_share = 0.02; // from 0
        let a = summary(vec![variant("baseline", 0.9), variant("new-site", 0.9)]);
        let b = summary(vec![variant("baseline", 0.9), changed]);
        let (rows, _) = compare_summaries(&a, &b);
        let names = |f: &CompareFilter| -> Vec<String> {
            select_rows(rows.clone(), f).iter().map(|r| r.kpi.clone()).collect()
        };
        let every = CompareFilter::default();
        assert_eq!(names(&every), ["unserved_share", "prb_util_mean", "delay_mean_ms"]);
        let big = CompareFilter { min_change_pct: 5.0, ..CompareFilter::default() };
        assert_eq!(names(&big), ["unserved_share", "prb_util_mean"]);
        let prb = CompareFilter { kpi: Some("prb".into()), ..CompareFilter::default() };
        assert_eq!(names(&prb), ["prb_util_mean"]);
        let glob = CompareFilter { kpi: Some("*_ms".into()), ..CompareFilter::default() };
        assert_eq!(names(&glob), ["delay_mean_ms"]);
        let base = CompareFilter { variant: Some("baseline".into()), ..CompareFilter::default() };
        assert!(names(&base).is_empty(), "the baseline did not change");
        let all = CompareFilter { all: true, ..base };
        assert_eq!(names(&all).len(), 13);
        let from_zero = select_rows(rows, &every).remove(0);
        assert_eq!(from_zero.change_pct, None);
    }

    #[test]
    fn patterns_are_name_parts_or_globs() {
        assert!(matches_pattern("util", "prb_util_mean"));
        assert!(matches_pattern("prb_*_mean", "prb_util_mean"));
        assert!(matches_pattern("*p95", "link_util_max_p95"));
        assert!(matches_pattern("s*l*y", "settlement_latency"));
        assert!(!matches_pattern("prb_*_max", "prb_util_mean"));
        assert!(!matches_pattern("ab*ba", "aba"), "the ends may not overlap");
        assert!(matches_pattern("*", "anything"));
    }
}
