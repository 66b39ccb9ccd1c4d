//! Parameter sweeps: one variant per value of a radio or traffic parameter, all from the
//! window's start, replayed together and summarised in one table (`twin sweep`).

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
