//! Parameter sweeps: one variant per value of a radio or traffic parameter, all from the
//! window's start, replayed together and summarised in one table (`twin sweep`), with the
//! value that does best by the planner's objective ([`Objective`], [`best_value`]) marked.

use serde::Serialize;
use twin_format::run::Summary;

use crate::error::ScenarioError;
use crate::observe::Observer;
use crate::replay::{ReplayOptions, Replayer};
use crate::rundir::summarise;
use crate::scenario::{Change, Plan, Scheduled, VariantPlan};

/// The parameter a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepOp {
    /// Mechanical tilt, degrees down.
    SetTilt,
    /// Azimuth, degrees clockwise from north.
    SetAzimuth,
    /// Electrical tilt, degrees down.
    SetElectricalTilt,
    /// Transmit power, dBm.
    SetPower,
    /// A traffic factor.
    ScaleTraffic,
}

impl SweepOp {
    /// What the variant names call the value ("tilt 6").
    pub fn label(self) -> &'static str {
        match self {
            SweepOp::SetTilt => "tilt",
            SweepOp::SetAzimuth => "azimuth",
            SweepOp::SetElectricalTilt => "electrical tilt",
            SweepOp::SetPower => "power",
            SweepOp::ScaleTraffic => "traffic ×",
        }
    }

    /// The change that sets the parameter to `v` on `cells`.
    fn change(self, cells: Vec<usize>, v: f64) -> Change {
        match self {
            SweepOp::SetTilt => Change::SetTilt { cells, deg: v },
            SweepOp::SetAzimuth => Change::SetAzimuth { cells, deg: v },
            SweepOp::SetElectricalTilt => Change::SetElectricalTilt { cells, deg: v },
            SweepOp::SetPower => Change::SetPower { cells, dbm: v },
            SweepOp::ScaleTraffic => {
                Change::ScaleTraffic { cells, factor: v, growth_per_year: 0.0, roaming: false }
            }
        }
    }

    /// Whether `v` is a value of the parameter.
    fn allows(self, v: f64) -> bool {
        v.is_finite()
            && (self != SweepOp::ScaleTraffic || v >= 0.0)
            && (self != SweepOp::SetElectricalTilt || (-30.0..=30.0).contains(&v))
    }
}

/// Whether more or less of a KPI is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// The highest value is best.
    Max,
    /// The lowest value is best.
    Min,
}

/// Each KPI of the summary with the direction a planner wants it to go: coverage, RSRP and SINR
/// up, load, unserved traffic, delay, latency, backlog and loss down.
pub const KPI_GOALS: [(&str, Goal); 21] = [
    ("coverage_mean", Goal::Max),
    ("sinr_busy_hour_db", Goal::Max),
    ("prb_util_mean", Goal::Min),
    ("prb_util_max_p95", Goal::Min),
    ("overloaded_cell_hours", Goal::Min),
    ("unserved_share", Goal::Min),
    ("link_util_max_p95", Goal::Min),
    ("delay_mean_ms", Goal::Min),
    ("settlement_latency_p50_h", Goal::Min),
    ("settlement_latency_p99_h", Goal::Min),
    ("settlement_backlog_max", Goal::Min),
    ("packet_delay_p99_ms", Goal::Min),
    ("packet_loss", Goal::Min),
    ("rsrp_p5_dbm", Goal::Max),
    ("rsrp_p50_dbm", Goal::Max),
    ("sinr_p5_db", Goal::Max),
    ("sinr_p50_db", Goal::Max),
    ("rsrp_users_busy_hour_p5_dbm", Goal::Max),
    ("rsrp_users_busy_hour_p50_dbm", Goal::Max),
    ("sinr_users_busy_hour_p5_db", Goal::Max),
    ("sinr_users_busy_hour_p50_db", Goal::Max),
];

/// What a sweep optimises: a KPI of the summary and which way is better.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objective {
    /// The KPI's name in `summary.json`.
    pub kpi: &'static str,
    /// Which way is better.
    pub goal: Goal,
}

impl Objective {
    /// The objective `kpi`, better in the direction `goal` or, when `None`, in the KPI's own
    /// (its entry in [`KPI_GOALS`]).
    pub fn new(kpi: &str, goal: Option<Goal>) -> Result<Objective, ScenarioError> {
        let (kpi, natural) =
            KPI_GOALS.iter().find(|(k, _)| *k == kpi).copied().ok_or_else(|| {
                ScenarioError::BadOption {
                    name: "objective",
                    value: kpi.to_string(),
                    expected: "a KPI of the summary: coverage_mean, sinr_busy_hour_db, prb_util_mean, prb_util_max_p95, overloaded_cell_hours, unserved_share, link_util_max_p95, delay_mean_ms, settlement_latency_p50_h, settlement_latency_p99_h, settlement_backlog_max, packet_delay_p99_ms, packet_loss, rsrp_p5_dbm, rsrp_p50_dbm, sinr_p5_db, sinr_p50_db, rsrp_users_busy_hour_p5_dbm, rsrp_users_busy_hour_p50_dbm, sinr_users_busy_hour_p5_db or sinr_users_busy_hour_p50_db",
                }
            })?;
        Ok(Objective { kpi, goal: goal.unwrap_or(natural) })
    }
}

/// The swept value that does best.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Best {
    /// Its variant's name (`tilt 4`).
    pub variant: String,
    /// The objective.
    pub objective: Objective,
    /// The KPI's value there.
    pub value: f64,
    /// The KPI's value in the baseline, for reference.
    pub baseline: f64,
}

/// The variant of `summary` (the baseline aside) that does best by `objective`; the first of
/// equals (the lowest value swept, in the order given). `None` without variants.
pub fn best_value(summary: &Summary, objective: &Objective) -> Option<Best> {
    let value = |v: &twin_format::run::VariantSummary| {
        v.kpis().into_iter().find(|(k, _)| *k == objective.kpi).map_or(f64::NAN, |(_, x)| x)
    };
    // A value beats none (NaN: a percentile over no served point), and none beats a value.
    let better = |a: f64, b: f64| match objective.goal {
        _ if b.is_nan() => !a.is_nan(),
        Goal::Max => a > b,
        Goal::Min => a < b,
    };
    let mut swept = summary.variants.iter().filter(|v| v.name != "baseline");
    let first = swept.next()?;
    let best = swept.fold(first, |b, v| if better(value(v), value(b)) { v } else { b });
    let baseline = summary.variants.iter().find(|v| v.name == "baseline").map_or(f64::NAN, value);
    Some(Best {
        variant: best.name.clone(),
        objective: objective.clone(),
        value: value(best),
        baseline,
    })
}

/// `plan` with its variants replaced by one per value, each setting the parameter on `cells`
/// (their identifiers; all cells when empty) from the window's start.
pub fn sweep_plan(
    plan: &Plan,
    op: SweepOp,
    values: &[f64],
    cells: &[String],
) -> Result<Plan, ScenarioError> {
    let targets: Vec<usize> = if cells.is_empty() {
        (0..plan.inventory.cells.len()).collect()
    } else {
        cells
            .iter()
            .map(|c| plan.cell_index(c).ok_or_else(|| ScenarioError::NoSuchCell(c.clone())))
            .collect::<Result<_, _>>()?
    };
    if let Some(&v) = values.iter().find(|&&v| !op.allows(v)) {
        return Err(ScenarioError::BadOption {
            name: "sweep value",
            value: v.to_string(),
            expected: "finite (a traffic factor not negative, an electrical tilt −30 to 30°)",
        });
    }
    let mut swept = plan.clone();
    swept.variants = values
        .iter()
        .map(|&v| VariantPlan {
            name: format!("{} {v}", op.label()),
            timeline: vec![Scheduled { interval: 0, change: op.change(targets.clone(), v) }],
        })
        .collect();
    Ok(swept)
}

/// Runs the sweep and summarises it: the baseline and one variant per value.
pub fn run_sweep(
    plan: &Plan,
    op: SweepOp,
    values: &[f64],
    cells: &[String],
    opts: ReplayOptions,
    observer: &dyn Observer,
) -> Result<Summary, ScenarioError> {
    let swept = sweep_plan(plan, op, values, cells)?;
    if let Some(n) = plan.filled_notice() {
        observer.notice(&n);
    }
    let replayer = Replayer::new(&swept, opts, observer.interrupt())?;
    observer.notice(replayer.backend_notice());
    observer.begin((swept.window.intervals * (swept.variants.len() + 1)) as u64);
    let results = replayer.run_all(&|n| observer.advance(n))?;
    Ok(summarise(&swept, &results))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_best_value_is_the_highest_or_lowest_as_the_objective_says() {
        let v = |name: &str, coverage: f64, delay: f64| twin_format::run::VariantSummary {
            name: name.into(),
            coverage_mean: coverage,
            sinr_busy_hour_db: 8.0,
            prb_util_mean: 0.2,
            prb_util_max_p95: 0.5,
            overloaded_cell_hours: 3.0,
            unserved_share: 0.0,
            link_util_max_p95: 0.1,
            delay_mean_ms: delay,
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
        };
        let summary = Summary {
            scenario: "s".into(),
            intervals: 1,
            variants: vec![
                v("baseline", 0.9, 1.0),
                v("tilt 0", 0.8, 2.0),
                v("tilt 4", 0.95, 3.0),
                v("tilt 8", 0.95, 0.5),
            ],
            deltas: Vec::new(),
        };
        let coverage = Objective::new("coverage_mean", None).unwrap();
        assert_eq!(coverage.goal, Goal::Max);
        let b = best_value(&summary, &coverage).unwrap();
        assert_eq!(
            (b.variant.as_str(), b.value, b.baseline),
            ("tilt 4", 0.95, 0.9),
            "first of equals"
        );
        let delay = Objective::new("delay_mean_ms", None).unwrap();
        assert_eq!(best_value(&summary, &delay).unwrap().variant, "tilt 8");
        let worst = Objective::new("delay_mean_ms", Some(Goal::Max)).unwrap();
        assert_eq!(
            best_value(&summary, &worst).unwrap().variant,
            "tilt 4",
            "the baseline is no value swept"
        );
        let e = Objective::new("coverage", None).unwrap_err().to_string();
        assert!(e.contains("coverage_mean"), "{e}");
        // The list of goals is the summary's list of KPIs.
        let names: Vec<&str> = summary.variants[0].kpis().iter().map(|k| k.0).collect();
        assert_eq!(names, KPI_GOALS.map(|k| k.0));
    }

    #[test]
    fn one_variant_per_value_on_the_named_cells() {
        let plan = crate::testing::small_plan();
        let ids = [plan.inventory.cells[1].id.clone()];
        let swept = sweep_plan(&plan, SweepOp::SetTilt, &[0.0, 10.0], &ids).unwrap();
        let names: Vec<&str> = swept.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["tilt 0", "tilt 10"]);
        assert_eq!(
            swept.variants[1].timeline[0].change,
            Change::SetTilt { cells: vec![1], deg: 10.0 }
        );
        let all = sweep_plan(&plan, SweepOp::ScaleTraffic, &[2.0], &[]).unwrap();
        let Change::ScaleTraffic { cells, .. } = &all.variants[0].timeline[0].change else {
            panic!("not a traffic scaling")
        };
        assert_eq!(cells.len(), plan.inventory.cells.len());
        let e = sweep_plan(&plan, SweepOp::SetPower, &[1.0], &["Z-1".into()]).unwrap_err();
        assert_eq!(e.to_string(), "unknown cell \"Z-1\"");
        assert!(sweep_plan(&plan, SweepOp::ScaleTraffic, &[-1.0], &[]).is_err());
        assert!(sweep_plan(&plan, SweepOp::SetTilt, &[f64::NAN], &[]).is_err());
        let e = sweep_plan(&plan, SweepOp::SetElectricalTilt, &[12.0], &ids).unwrap();
        assert_eq!(e.variants[0].name, "electrical tilt 12");
        assert_eq!(
            e.variants[0].timeline[0].change,
            Change::SetElectricalTilt { cells: vec![1], deg: 12.0 }
        );
        assert!(sweep_plan(&plan, SweepOp::SetElectricalTilt, &[45.0], &ids).is_err());
    }
}
