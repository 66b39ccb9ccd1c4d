//! Settlement statements in an append-only log: each statement's hash covers the one before
//! it (SHA-256 over the previous hash and the statement's canonical JSON), so an edit, a
//! removal or a reordering breaks the chain at the line where it happened.

use std::io::{BufRead, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use twin_format::fsio::{self, Existing, FsError};

use super::{Micros, NetPositions, SettlementError};

/// One settlement statement: the net amount one carrier pays another for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Position in the log, from 0.
    pub seq: u64,
    /// `YYYY-MM`.
    pub period: String,
    /// Pays the net amount.
    pub payer: String,
    /// Receives it.
    pub payee: String,
    /// Net amount, micro-units (never negative).
    pub amount: Micros,
    /// ISO 4217 code.
    pub currency: String,
}

/// A statement with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedStatement {
    /// The statement.
    #[serde(flatten)]
    pub statement: Statement,
    /// Hash of the previous entry (64 zeros for the first).
    pub prev: String,
    /// SHA-256 of `prev` and the statement's canonical JSON.
    pub hash: String,
}

/// The hash that follows `prev` for `statement`.
pub fn chain_hash(prev: &str, statement: &Statement) -> Result<String, SettlementError> {
    let body = serde_json::to_string(statement).map_err(SettlementError::Encode)?;
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The statements of `positions` (one per pair with a non-zero bilateral position), chained.
pub fn statements(
    positions: &[NetPositions],
    currency: &str,
) -> Result<Vec<ChainedStatement>, SettlementError> {
    let mut out = Vec::new();
    let mut prev = "0".repeat(64);
    for n in positions {
        for (pair, &amount) in &n.bilateral {
            if amount == 0 {
                continue;
            }
            let (a, b) = pair.split_once('|').unwrap_or((pair, ""));
            let (payer, payee) = if amount > 0 { (a, b) } else { (b, a) };
            let statement = Statement {
                seq: out.len() as u64,
                period: n.period.clone(),
                payer: payer.to_string(),
                payee: payee.to_string(),
                amount: amount.abs(),
                currency: currency.to_string(),
            };
            let hash = chain_hash(&prev, &statement)?;
            out.push(ChainedStatement { statement, prev: prev.clone(), hash: hash.clone() });
            prev = hash;
        }
    }
    Ok(out)
}

/// Writes the log as JSON lines, atomically.
pub fn write_log(path: &Path, log: &[ChainedStatement]) -> Result<(), SettlementError> {
    fsio::write_file_with(path, Existing::Replace, |w| {
        for s in log {
            let line = serde_json::to_string(s).map_err(SettlementError::Encode)?;
            writeln!(w, "{line}").map_err(|e| FsError::io(path, e))?;
        }
        Ok(())
    })
}

/// Checks a statement log: every line parses, sequence numbers run from 0 without gaps, each
/// entry's `prev` is the hash before it and its `hash` matches its content. Returns the number of
/// statements; the first broken line is an error naming it.
pub fn verify_log(path: &Path) -> Result<usize, SettlementError> {
    let read = |source| SettlementError::Read { path: path.to_path_buf(), source };
    let f = std::fs::File::open(path).map_err(read)?;
    let mut prev = "0".repeat(64);
    let mut n = 0usize;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(read)?;
        let bad = |reason: String| SettlementError::Tampered {
            path: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        if line.trim().is_empty() {
            return Err(bad("an empty line in an append-only log".into()));
        }
        let entry: ChainedStatement =
            serde_json::from_str(&line).map_err(|e| bad(format!("not a statement: {e}")))?;
        if entry.statement.seq != n as u64 {
            return Err(bad(format!(
                "sequence number {} where {n} was due (a statement removed or inserted)",
                entry.statement.seq
            )));
        }
        if entry.prev != prev {
            return Err(bad(
                "its link to the previous statement does not match (reordered or removed entries)"
                    .into(),
            ));
        }
        let expected = chain_hash(&prev, &entry.statement)?;
        if entry.hash != expected {
            return Err(bad(format!(
                "its content does not match its hash ({} pays {} {} for {}: edited after it was written)",
                entry.statement.payer,
                entry.statement.payee,
                entry.statement.amount,
                entry.statement.period
            )));
        }
        prev = entry.hash;
        n += 1;
    }
    Ok(n)
}
