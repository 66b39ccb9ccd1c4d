//! Settlement statements in an append-only log: each statement's hash covers the one before
//! it (SHA-256 over the previous hash and the statement's canonical JSON), so an edit, a
//! removal or a reordering breaks the chain at the line where it happened; a closing [`Seal`]
//! (count and last hash) makes a cut after any statement, and an empty file, fail too.

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

/// The log's last line: how many statements precede it and the last one's hash. Without it a log
/// cut after any statement would still chain; with it, a removed last statement, a truncated file
/// and an empty one are all caught. The head is also what `twin settle run` prints, so that it can
/// be kept apart from the log and checked with `twin settle verify --head` (the chain is unkeyed:
/// someone rewriting the whole log could recompute it, but not the head held elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// Statements in the log.
    pub statements: u64,
    /// Hash of the last statement (64 zeros for an empty log).
    pub head: String,
}

impl Seal {
    /// The seal of the log at `path`, if it ends in `expected` (the head `twin settle run`
    /// printed and someone kept apart); otherwise the log was rewritten or replaced.
    pub fn expect_head(self, path: &Path, expected: &str) -> Result<Seal, SettlementError> {
        if self.head == expected {
            return Ok(self);
        }
        Err(SettlementError::Tampered {
            path: path.to_path_buf(),
            line: self.statements as usize + 1,
            reason: format!(
                "the log ends in {} where --head expects {expected} (rewritten or replaced)",
                self.head
            ),
        })
    }
}

/// The seal line's JSON: `{"seal":{...}}`.
#[derive(Serialize, Deserialize)]
struct SealLine {
    seal: Seal,
}

/// The seal that closes `log`.
pub fn seal(log: &[ChainedStatement]) -> Seal {
    Seal {
        statements: log.len() as u64,
        head: log.last().map_or_else(|| "0".repeat(64), |s| s.hash.clone()),
    }
}

/// Writes the log as JSON lines, atomically, closed by its [`Seal`].
pub fn write_log(path: &Path, log: &[ChainedStatement]) -> Result<(), SettlementError> {
    fsio::write_file_with(path, Existing::Replace, |w| {
        for s in log {
            let line = serde_json::to_string(s).map_err(SettlementError::Encode)?;
            writeln!(w, "{line}").map_err(|e| FsError::io(path, e))?;
        }
        let line = serde_json::to_string(&SealLine { seal: seal(log) })
            .map_err(SettlementError::Encode)?;
        writeln!(w, "{line}").map_err(|e| FsError::io(path, e))?;
        Ok(())
    })
}

/// The fields of a statement line, in the order they are written.
const STATEMENT_FIELDS: [&str; 8] =
    ["seq", "period", "payer", "payee", "amount", "currency", "prev", "hash"];

/// One line of a log, parsed strictly: a statement or the seal, with no field beyond those.
enum Line {
    Statement(ChainedStatement),
    Seal(Seal),
}

fn parse_line(line: &str) -> Result<Line, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a statement: {e}"))?;
    let serde_json::Value::Object(map) = &value else {
        return Err("not a statement: a JSON object is expected".into());
    };
    if map.contains_key("seal") {
        if map.len() != 1 {
            return Err("the seal line has fields besides \"seal\"".into());
        }
        let s: SealLine = serde_json::from_value(value)
            .map_err(|e| format!("not a seal (statements, head): {e}"))?;
        return Ok(Line::Seal(s.seal));
    }
    let unknown: Vec<&str> =
        map.keys().map(String::as_str).filter(|k| !STATEMENT_FIELDS.contains(k)).collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown field{} {} (a statement has {})",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", "),
            STATEMENT_FIELDS.join(", ")
        ));
    }
    serde_json::from_value(value).map(Line::Statement).map_err(|e| format!("not a statement: {e}"))
}

/// Checks a statement log: every line parses with exactly a statement's fields, sequence numbers
/// run from 0 without gaps, each entry's `prev` is the hash before it and its `hash` matches its
/// content, and the last line is the seal that counts them and names the last hash. Returns the
/// seal; the first broken line is an error naming it.
pub fn verify_log(path: &Path) -> Result<Seal, SettlementError> {
    let read = |source| SettlementError::Read { path: path.to_path_buf(), source };
    let f = std::fs::File::open(path).map_err(read)?;
    let mut prev = "0".repeat(64);
    let mut n = 0usize;
    let mut sealed: Option<Seal> = None;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(read)?;
        let bad = |reason: String| SettlementError::Tampered {
            path: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        if sealed.is_some() {
            return Err(bad("a line after the seal (appended after the log was closed)".into()));
        }
        if line.trim().is_empty() {
            return Err(bad("an empty line in an append-only log".into()));
        }
        let entry = match parse_line(&line).map_err(bad)? {
            Line::Seal(s) => {
                if s.statements != n as u64 || s.head != prev {
                    return Err(bad(format!(
                        "the seal counts {} statements ending in {}…, the log has {n} ending in {}… (statements removed or added)",
                        s.statements,
                        s.head.get(..12).unwrap_or(&s.head),
                        prev.get(..12).unwrap_or(&prev)
                    )));
                }
                sealed = Some(s);
                continue;
            }
            Line::Statement(entry) => entry,
        };
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
    sealed.ok_or_else(|| SettlementError::Tampered {
        path: path.to_path_buf(),
        line: n + 1,
        reason: if n == 0 {
            "the log is empty: not even its seal is there".into()
        } else {
            format!("no seal after statement {n}: the log was cut short")
        },
    })
}
