//! `twin settle run` as a library call: a plan's settlement load priced with its rate cards,
//! netted per month, written as hash-chained statements, and the baseline's settlement system
//! run over it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use twin_format::fsio::{self, Existing};
use twin_format::run::write_json;

use crate::scenario::Plan;
use crate::settlement::{
    ChainedStatement, Charge, NetPositions, RateBook, SettlementError, SystemReport, net_positions,
    price, simulate_system, statements, write_log,
};

/// Everything a settlement run produces.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementRun {
    /// The rate cards' one currency.
    pub currency: String,
    /// One charge per period, payer, payee and service.
    pub charges: Vec<Charge>,
    /// Net positions per period.
    pub positions: Vec<NetPositions>,
    /// The statements, chained.
    pub log: Vec<ChainedStatement>,
    /// The settlement system's latency and backlog.
    pub system: SystemReport,
}

/// What `twin settle run` prints and returns as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettlementSummary {
    /// The currency.
    pub currency: String,
    /// Settlement periods (months).
    pub periods: usize,
    /// Charges priced.
    pub charges: usize,
    /// Statements in the log.
    pub statements: usize,
    /// Records that arrived.
    pub records: u64,
    /// Records cleared.
    pub settled: u64,
    /// Median settlement latency, seconds.
    pub latency_p50_s: f64,
    /// 99th percentile, seconds.
    pub latency_p99_s: f64,
    /// Largest backlog, records.
    pub backlog_max: u64,
    /// The log's last hash (its seal's head): kept apart from the log, it lets
    /// `twin settle verify --head` catch a log rewritten as a whole.
    pub log_head: String,
}

impl SettlementRun {
    /// Its figures in one record.
    pub fn summary(&self) -> SettlementSummary {
        SettlementSummary {
            currency: self.currency.clone(),
            periods: self.positions.len(),
            charges: self.charges.len(),
            statements: self.log.len(),
            records: self.system.records,
            settled: self.system.settled,
            latency_p50_s: self.system.latency_p50_s,
            latency_p99_s: self.system.latency_p99_s,
            backlog_max: self.system.backlog_max,
            log_head: crate::settlement::seal(&self.log).head,
        }
    }
}

/// Prices, nets, chains and runs the settlement system for the plan's baseline.
pub fn settle(plan: &Plan) -> Result<SettlementRun, SettlementError> {
    let (charges, currency) = price(&plan.usage, &RateBook::new(&plan.rate_cards))?;
    let positions = net_positions(&charges);
    let log = statements(&positions, &currency)?;
    let starts: Vec<i64> = (0..plan.window.intervals).map(|k| plan.interval_start_s(k)).collect();
    let records = plan.records_per_interval(&plan.usage);
    let interval_s = f64::from(plan.window.interval_s);
    let system = simulate_system(&starts, interval_s, &records, plan.settlement)?;
    Ok(SettlementRun { currency, charges, positions, log, system })
}

/// Writes the run into the directory `out` (refusing an existing one), whole or not at all:
/// `statements.jsonl`, `positions.json`, `charges.json`, `system.json`.
pub fn write_settlement_dir(out: &Path, run: &SettlementRun) -> Result<(), SettlementError> {
    fsio::write_dir(out, Existing::Refuse, |tmp| -> Result<(), SettlementError> {
        write_log(&tmp.join("statements.jsonl"), &run.log)?;
        write_json(&tmp.join("positions.json"), &run.positions)?;
        write_json(&tmp.join("charges.json"), &run.charges)?;
        write_json(&tmp.join("system.json"), &run.system)?;
        Ok(())
    })
}
