//! Two runs side by side: every KPI of every variant the two run directories share, with the
//! change from the first to the second (`twin compare`).

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
    /// The KPI's name in `summary.json`.
    pub kpi: String,
    /// The variant.
    pub variant: String,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The first run directory.
    pub a: PathBuf,
    /// The second.
    pub b: PathBuf,
    /// Per variant in both (in the first run's order), every KPI in alphabetical order.
    pub rows: Vec<CompareRow>,
    /// Variants in one run only.
    #[serde(skip)]
    pub only_in_one: Vec<String>,
}

/// The rows of two summaries.
pub fn compare_summaries(sa: &Summary, sb: &Summary) -> (Vec<CompareRow>, Vec<String>) {
    let mut rows = Vec::new();
    for va in &sa.variants {
        let Some(vb) = sb.variants.iter().find(|v| v.name == va.name) else { continue };
        let mut kpis: Vec<(&str, f64, f64)> =
            va.kpis().into_iter().zip(vb.kpis()).map(|((k, a), (_, b))| (k, a, b)).collect();
        kpis.sort_by(|x, y| x.0.cmp(y.0));
        for (kpi, a, b) in kpis {
            rows.push(CompareRow {
                a,
                b,
                change: b - a,
                kpi: kpi.into(),
                variant: va.name.clone(),
            });
        }
    }
    let names = |s: &Summary| s.variants.iter().map(|v| v.name.clone()).collect::<Vec<_>>();
    let (na, nb) = (names(sa), names(sb));
    let only =
        na.iter().chain(&nb).filter(|n| !na.contains(n) || !nb.contains(n)).cloned().collect();
    (rows, only)
}

/// Reads the summaries of run directories `a` and `b` and compares them.
pub fn compare_runs(a: &Path, b: &Path) -> Result<Comparison, ScenarioError> {
    let (sa, sb) = (read_summary(a)?, read_summary(b)?);
    let (rows, only_in_one) = compare_summaries(&sa, &sb);
    Ok(Comparison { a: a.to_path_buf(), b: b.to_path_buf(), rows, only_in_one })
}

/// The comparison as a Markdown table, and the variants in one run only.
pub fn comparison_table(c: &Comparison) -> String {
    let mut t = format!(
        "| variant | KPI | {} | {} | change |\n|---|---|---|---|---|\n",
        c.a.display(),
        c.b.display()
    );
    for r in &c.rows {
        t.push_str(&format!(
            "| {} | {} | {:.4} | {:.4} | {:+.4} |\n",
            r.variant, r.kpi, r.a, r.b, r.change
        ));
    }
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

    #[test]
    fn shared_variants_are_compared_kpi_by_kpi() {
        let s = |v: Vec<VariantSummary>| Summary {
            scenario: "s".into(),
            intervals: 1,
            variants: v,
            deltas: Vec::new(),
        };
        let a = s(vec![variant("baseline", 0.9), variant("old", 0.8)]);
        let b = s(vec![variant("baseline", 0.95), variant("new", 0.8)]);
        let (rows, only) = compare_summaries(&a, &b);
        assert_eq!(
            rows.len(),
            VariantSummary::default().kpis().len(),
            "one variant in both, every KPI"
        );
        let kpis: Vec<&str> = rows.iter().map(|r| r.kpi.as_str()).collect();
        let mut sorted = kpis.clone();
        sorted.sort();
        assert_eq!(kpis, sorted);
        let cov = rows.iter().find(|r| r.kpi == "coverage_mean").unwrap();
        assert!((cov.change - 0.05).abs() < 1e-12);
        assert_eq!(rows.iter().find(|r| r.kpi == "settlement_backlog_max").unwrap().a, 7.0);
        assert_eq!(only, ["old", "new"]);
    }
}
