//! The settlement stage: the settlement load priced with each state's rate cards and partners,
//! netted per month, and the settlement system run with the timeline's mode changes.

use super::state::State;
use crate::error::ScenarioError;
use crate::scenario::Plan;
use crate::settlement::{
    Micros, RateBook, SettlementMode, SystemReport, Usage, net_positions, price,
    simulate_system_schedule,
};

/// One carrier's multilateral net position in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetPosition {
    /// `YYYY-MM`.
    pub period: String,
    /// The carrier.
    pub carrier: String,
    /// What it is owed minus what it owes, micro-units.
    pub net_micros: Micros,
}

/// What a variant's settlement came to.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementOutcome {
    /// Net positions per month and carrier.
    pub positions: Vec<NetPosition>,
    /// The settlement system's latency and backlog.
    pub system: SystemReport,
}

/// Whether `carrier` is added at a later state but not yet in the first of `states`.
fn added_later(states: &[State], carrier: &str) -> bool {
    let now = states.first().is_some_and(|s| s.partners_added.contains(carrier));
    !now && states.iter().skip(1).any(|s| s.partners_added.contains(carrier))
}

/// `u` scaled by `state`'s roaming usage factor at its interval: volumes by the factor, records
/// to the nearest whole record.
fn scaled(plan: &Plan, state: &State, u: &Usage) -> Usage {
    let interval_s = f64::from(plan.window.interval_s);
    let k = (u.start_s - plan.window.start_s).max(0) / i64::from(plan.window.interval_s.max(1));
    let f = state.usage_factor(k as usize, interval_s);
    if f == 1.0 {
        return u.clone();
    }
    Usage { records: (u.records as f64 * f).round() as u64, volume: u.volume * f, ..u.clone() }
}

/// The usage that counts in state `si`: in its span, between partners it has (a partner added
/// by a later change counts only from then on), scaled as the state scales roaming usage.
fn usage_of(plan: &Plan, states: &[State], si: usize) -> Vec<Usage> {
    let state = &states[si];
    let from_s = plan.interval_start_s(state.from);
    let to_s = states.get(si + 1).map_or(i64::MAX, |s| plan.interval_start_s(s.from));
    plan.usage
        .iter()
        .filter(|u| u.start_s >= from_s && u.start_s < to_s)
        .filter(|u| {
            !state.partners_removed.contains(&u.home)
                && !state.partners_removed.contains(&u.visited)
        })
        .filter(|u| !added_later(&states[si..], &u.home) && !added_later(&states[si..], &u.visited))
        .map(|u| scaled(plan, state, u))
        .collect()
}

/// Settles the variant whose states are `states`.
pub fn settle(plan: &Plan, states: &[State]) -> Result<SettlementOutcome, ScenarioError> {
    let mut charges_all = Vec::new();
    let mut counted: Vec<Usage> = Vec::new();
    for (si, state) in states.iter().enumerate() {
        let usage = usage_of(plan, states, si);
        if usage.is_empty() {
            continue;
        }
        let (charges, _currency) = price(&usage, &RateBook::new(&state.rates))?;
        charges_all.extend(charges);
        counted.extend(usage);
    }
    // Charges of one period priced in two states are added before netting.
    let positions = net_positions(&charges_all)
        .into_iter()
        .flat_map(|p| {
            p.multilateral.into_iter().map(move |(carrier, net_micros)| NetPosition {
                period: p.period.clone(),
                carrier,
                net_micros,
            })
        })
        .collect();
    let mut modes: Vec<(usize, SettlementMode)> = Vec::new();
    for s in states {
        if modes.last().is_none_or(|l| l.1 != s.mode) {
            modes.push((s.from, s.mode));
        }
    }
    let starts: Vec<i64> = (0..plan.window.intervals).map(|k| plan.interval_start_s(k)).collect();
    let records = plan.records_per_interval(&counted);
    let interval_s = f64::from(plan.window.interval_s);
    let system = simulate_system_schedule(&starts, interval_s, &records, &modes)?;
    Ok(SettlementOutcome { positions, system })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::replay::state::states;
    use crate::scenario::{Change, Scheduled};

    #[test]
    fn a_partner_leaving_stops_its_usage_and_positions_still_net_to_zero() {
        let plan = crate::testing::small_plan();
        let base = settle(&plan, &states(&plan, &[]).unwrap()).unwrap();
        assert_eq!(base.system.records, plan.usage.iter().map(|u| u.records).sum::<u64>());
        let leave = Change::RemovePartner { carrier: "P1".into() };
        let s = states(&plan, &[Scheduled { interval: 12, change: leave }]).unwrap();
        let out = settle(&plan, &s).unwrap();
        let p1_after: u64 = plan
            .usage
            .iter()
            .filter(|u| {
                u.start_s >= plan.interval_start_s(12) && (u.home == "P1" || u.visited == "P1")
            })
            .map(|u| u.records)
            .sum();
        assert!(p1_after > 0);
        assert_eq!(out.system.records, base.system.records - p1_after);
        let sum: i64 = out.positions.iter().map(|p| p.net_micros).sum();
        assert_eq!(sum, 0, "multilateral positions sum to zero");
        // A new settlement mode changes the system, not the money.
        let ledger = SettlementMode::PerSession { block_interval_s: 2.0, block_capacity: 2000 };
        let s = states(&plan, &[Scheduled { interval: 0, change: Change::SettlementMode(ledger) }])
            .unwrap();
        let out = settle(&plan, &s).unwrap();
        assert_eq!(out.positions, base.positions);
        assert!(out.system.latency_p99_s < base.system.latency_p99_s);
    }

    #[test]
    fn roaming_growth_scales_the_settlement_usage_only_when_asked() {
        let plan = crate::testing::small_plan();
        let base = settle(&plan, &states(&plan, &[]).unwrap()).unwrap();
        let from = plan.interval_start_s(12);
        let later: u64 = plan.usage.iter().filter(|u| u.start_s >= from).map(|u| u.records).sum();
        let grow = |roaming| Change::ScaleTraffic {
            cells: vec![],
            factor: 2.0,
            growth_per_year: 0.0,
            roaming,
        };
        let run = |roaming| {
            settle(
                &plan,
                &states(&plan, &[Scheduled { interval: 12, change: grow(roaming) }]).unwrap(),
            )
            .unwrap()
        };
        // Radio traffic only: the settlement is the baseline's.
        assert_eq!(run(false), base);
        let doubled = run(true);
        assert_eq!(doubled.system.records, base.system.records + later);
        let sum: i64 = doubled.positions.iter().map(|p| p.net_micros).sum();
        assert_eq!(sum, 0, "multilateral positions sum to zero");
        assert_ne!(doubled.positions, base.positions, "the money moves with the usage");
    }
}
