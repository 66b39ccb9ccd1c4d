//! Inter-carrier settlement: usage per carrier pair priced by rate cards, net positions per
//! period, statements in an append-only hash-chained log ([`log`]), a model of the settlement
//! system on the event engine ([`system`]: monthly batch clearing or per-session settlement on
//! a ledger). `twin settle run`'s pipeline over a plan is [`crate::settle`].
//!
//! Amounts are integer micro-units of the currency ([`Micros`]): every usage row is priced and
//! rounded once, and all sums after that are exact, so net positions sum to zero in every period
//! by construction (and a test checks it).
//!
//! The direction of money: a subscriber of the *home* carrier uses the *visited* carrier's
//! network; the visited carrier bills the home carrier. So the home carrier pays.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Datelike};
use serde::{Deserialize, Serialize};

pub mod log;
pub mod system;

pub use log::{
    ChainedStatement, Seal, Statement, chain_hash, seal, statements, verify_log, write_log,
};
pub use system::{
    SettlementMode, SystemReport, check_mode_for, simulate_system, simulate_system_schedule,
};

/// A pair of carriers and a service: (home, visited, service).
pub type Pair = (String, String, Service);

fn pair_text(p: &Pair) -> String {
    format!("{} → {} {}", p.0, p.1, p.2.name())
}

/// Why settlement could not be computed, written or verified.
#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    /// The rate cards are in more than one currency.
    #[error("rate cards in several currencies ({}); convert them to one", currencies.join(", "))]
    MixedCurrencies {
        /// The currencies found.
        currencies: Vec<String>,
    },
    /// Usage that no rate card prices.
    #[error("no rate card for {}", pair_text(pair))]
    NoRateCard {
        /// The pair and service.
        pair: Pair,
    },
    /// A negative or non-finite volume or price.
    #[error("{}: volume {volume} at price {price} is not a valid charge", pair_text(pair))]
    InvalidCharge {
        /// The pair and service.
        pair: Pair,
        /// The volume.
        volume: f64,
        /// The price per unit.
        price: f64,
    },
    /// A charge too large for the integer micro-unit arithmetic.
    #[error("{}: a charge of {amount_micros} micro-units overflows", pair_text(pair))]
    Overflow {
        /// The pair and service.
        pair: Pair,
        /// The amount.
        amount_micros: f64,
    },
    /// A settlement system setting or schedule is invalid.
    #[error("settlement system: {0}")]
    System(String),
    /// The settlement system's simulation failed.
    #[error("settlement system")]
    Simulation(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A statement could not be encoded as JSON.
    #[error("cannot encode a statement")]
    Encode(#[source] serde_json::Error),
    /// The statement log could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The log.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A statement log failed verification.
    #[error("{}, line {line}: {reason}", path.display())]
    Tampered {
        /// The log.
        path: PathBuf,
        /// The first line that does not verify.
        line: usize,
        /// What does not match.
        reason: String,
    },
    /// Settlement output could not be written.
    #[error(transparent)]
    Write(#[from] twin_format::FsError),
    /// A JSON file of the settlement output could not be written.
    #[error(transparent)]
    Json(#[from] twin_format::run::RunFileError),
}

/// Money in millionths of the currency unit.
pub type Micros = i64;

/// The most records one usage row may carry (a 64-bit count summed over any window stays exact).
pub const MAX_RECORDS_PER_ROW: f64 = 1e12;
/// The most records a window may carry in all.
pub const MAX_RECORDS: f64 = 1e15;
/// The largest volume of one usage row, in its rate card's unit.
pub const MAX_VOLUME: f64 = 1e15;
/// The largest price per unit.
pub const MAX_PRICE: f64 = 1e6;
/// The largest charge of the whole window, micro-units: the sums of the integer arithmetic stay
/// below `i64::MAX` (9.2·10^18) with a margin for variants' rate changes.
pub const MAX_WINDOW_CHARGE_MICROS: f64 = 1e18;

/// A settled service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Packet data (volume in MB).
    Data,
    /// Voice (volume in minutes).
    Voice,
    /// Messages (volume in messages).
    Sms,
}

impl Service {
    /// The unit volumes and prices are in: MB of data, minutes of voice, messages.
    pub fn unit(self) -> &'static str {
        match self {
            Service::Data => "MB",
            Service::Voice => "min",
            Service::Sms => "sms",
        }
    }

    /// Parses `data`, `voice` or `sms` (any case).
    pub fn parse(s: &str) -> Option<Service> {
        match s.trim().to_ascii_lowercase().as_str() {
            "data" => Some(Service::Data),
            "voice" => Some(Service::Voice),
            "sms" => Some(Service::Sms),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Data => "data",
            Service::Voice => "voice",
            Service::Sms => "sms",
        }
    }
}

/// One row of settlement load: usage of `visited`'s network by `home`'s subscribers in one
/// interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Interval start, seconds since 1970 UTC.
    pub start_s: i64,
    /// The subscriber's carrier (pays).
    pub home: String,
    /// The network used (is paid).
    pub visited: String,
    /// The service.
    pub service: Service,
    /// Billing records (sessions, calls, messages) in the interval.
    pub records: u64,
    /// Billed volume, in the rate card's unit.
    pub volume: f64,
}

/// The price of one unit of a service between two carriers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateCard {
    /// Paying carrier.
    pub home: String,
    /// Paid carrier.
    pub visited: String,
    /// The service.
    pub service: Service,
    /// Price per unit of volume.
    pub price_per_unit: f64,
    /// ISO 4217 code.
    pub currency: String,
}

/// Rate cards by (home, visited, service).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateBook {
    cards: BTreeMap<(String, String, Service), (f64, String)>,
}

impl RateBook {
    /// A book of `cards`; a later card for the same pair and service replaces an earlier one.
    pub fn new(cards: &[RateCard]) -> RateBook {
        let mut book = RateBook::default();
        for c in cards {
            book.set(c);
        }
        book
    }

    /// Adds or replaces a card (the what-if "change a rate card").
    pub fn set(&mut self, c: &RateCard) {
        self.cards.insert(
            (c.home.clone(), c.visited.clone(), c.service),
            (c.price_per_unit, c.currency.clone()),
        );
    }

    /// The price and currency for a pair and service.
    pub fn get(&self, home: &str, visited: &str, service: Service) -> Option<(f64, &str)> {
        self.cards
            .get(&(home.to_string(), visited.to_string(), service))
            .map(|(p, c)| (*p, c.as_str()))
    }

    /// Every currency in the book.
    pub fn currencies(&self) -> Vec<&str> {
        let mut c: Vec<&str> = self.cards.values().map(|(_, c)| c.as_str()).collect();
        c.sort_unstable();
        c.dedup();
        c
    }
}

/// The settlement period of an instant: its calendar month, `YYYY-MM` (UTC).
pub fn period_of(start_s: i64) -> String {
    match DateTime::from_timestamp(start_s, 0) {
        Some(t) => format!("{:04}-{:02}", t.year(), t.month()),
        None => "out-of-range".to_string(),
    }
}

/// What one carrier owes another for one service in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// `YYYY-MM`.
    pub period: String,
    /// Paying (home) carrier.
    pub payer: String,
    /// Paid (visited) carrier.
    pub payee: String,
    /// The service.
    pub service: Service,
    /// Billing records.
    pub records: u64,
    /// Amount, micro-units.
    pub amount: Micros,
}

/// Prices `usage` with `rates`: one charge per (period, payer, payee, service), in a
/// deterministic order. Usage without a rate card, a negative or non-finite volume or price, or
/// rate cards in more than one currency are errors.
pub fn price(usage: &[Usage], rates: &RateBook) -> Result<(Vec<Charge>, String), SettlementError> {
    let currencies = rates.currencies();
    if currencies.len() > 1 {
        return Err(SettlementError::MixedCurrencies {
            currencies: currencies.iter().map(|c| c.to_string()).collect(),
        });
    }
    let currency = currencies.first().map_or("EUR", |c| c).to_string();
    let mut acc: BTreeMap<(String, String, String, Service), (u64, Micros)> = BTreeMap::new();
    for u in usage {
        let pair = || (u.home.clone(), u.visited.clone(), u.service);
        let (p, _) = rates
            .get(&u.home, &u.visited, u.service)
            .ok_or_else(|| SettlementError::NoRateCard { pair: pair() })?;
        if !(u.volume >= 0.0 && u.volume.is_finite() && p >= 0.0 && p.is_finite()) {
            return Err(SettlementError::InvalidCharge {
                pair: pair(),
                volume: u.volume,
                price: p,
            });
        }
        let amount = (u.volume * p * 1e6).round();
        if amount > 9.0e15 {
            return Err(SettlementError::Overflow { pair: pair(), amount_micros: amount });
        }
        let e = acc
            .entry((period_of(u.start_s), u.home.clone(), u.visited.clone(), u.service))
            .or_default();
        let overflow = || SettlementError::Overflow { pair: pair(), amount_micros: amount };
        e.0 = e.0.checked_add(u.records).ok_or_else(overflow)?;
        e.1 = e.1.checked_add(amount as Micros).ok_or_else(overflow)?;
    }
    let charges = acc
        .into_iter()
        .map(|((period, payer, payee, service), (records, amount))| Charge {
            period,
            payer,
            payee,
            service,
            records,
            amount,
        })
        .collect();
    Ok((charges, currency))
}

/// Net positions of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetPositions {
    /// `YYYY-MM`.
    pub period: String,
    /// For each pair `(a, b)` with `a < b`: what `a` owes `b` minus what `b` owes `a`.
    pub bilateral: BTreeMap<String, Micros>,
    /// For each carrier: what it is owed minus what it owes (sums to zero).
    pub multilateral: BTreeMap<String, Micros>,
}

/// Nets `charges` per period, bilaterally and multilaterally.
pub fn net_positions(charges: &[Charge]) -> Vec<NetPositions> {
    let mut by_period: BTreeMap<&str, NetPositions> = BTreeMap::new();
    for c in charges {
        let n = by_period.entry(&c.period).or_insert_with(|| NetPositions {
            period: c.period.clone(),
            bilateral: BTreeMap::new(),
            multilateral: BTreeMap::new(),
        });
        let (key, sign) = if c.payer < c.payee {
            (format!("{}|{}", c.payer, c.payee), 1)
        } else {
            (format!("{}|{}", c.payee, c.payer), -1)
        };
        *n.bilateral.entry(key).or_default() += sign * c.amount;
        *n.multilateral.entry(c.payee.clone()).or_default() += c.amount;
        *n.multilateral.entry(c.payer.clone()).or_default() -= c.amount;
    }
    by_period.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(start_s: i64, home: &str, visited: &str, volume: f64) -> Usage {
        Usage {
            start_s,
            home: home.into(),
            visited: visited.into(),
            service: Service::Data,
            records: 10,
            volume,
        }
    }

    fn book() -> RateBook {
        let card = |h: &str, v: &str, p: f64| RateCard {
            home: h.into(),
            visited: v.into(),
            service: Service::Data,
            price_per_unit: p,
            currency: "EUR".into(),
        };
        RateBook::new(&[
            card("A", "B", 0.01),
            card("B", "A", 0.02),
            card("A", "C", 0.015),
            card("C", "B", 0.003),
        ])
    }

    #[test]
    fn positions_net_to_zero_and_statements_chain() {
        let march = 1_709_251_200; // 2024-03-01
        let april = 1_711_929_600; // 2024-04-01
        let u = vec![
            usage(march, "A", "B", 1000.0),
            usage(march + 3600, "B", "A", 300.0),
            usage(march, "A", "C", 123.456),
            usage(april, "C", "B", 1e6),
        ];
        let (charges, cur) = price(&u, &book()).unwrap();
        assert_eq!(cur, "EUR");
        let pos = net_positions(&charges);
        assert_eq!(pos.len(), 2);
        for p in &pos {
            assert_eq!(p.multilateral.values().sum::<i64>(), 0, "{p:?}");
        }
        // A owes B 10.00, B owes A 6.00: A pays B 4.00 net.
        assert_eq!(pos[0].bilateral["A|B"], 4_000_000);
        assert_eq!(pos[0].multilateral["A"], -4_000_000 - 1_851_840);
        let log = statements(&pos, &cur).unwrap();
        assert_eq!(log.len(), 3);
        let dir = std::env::temp_dir().join(format!("twin-settle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("statements.jsonl");
        write_log(&path, &log).unwrap();
        assert_eq!(verify_log(&path).unwrap(), seal(&log));
        assert_eq!(verify_log(&path).unwrap().statements, 3);
        // Tamper with an amount: the line is named.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"amount\":4000000", "\"amount\":3000000", 1))
            .unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("edited"), "{e}");
        // Remove a statement.
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        // Remove the last statement, keeping the seal: the seal's count no longer matches.
        std::fs::write(&path, format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3])).unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("seal counts 3"), "{e}");
        // Cut after the second statement (the seal goes too): no seal.
        std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("no seal after statement 2"), "{e}");
        // An empty file.
        std::fs::write(&path, "").unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        // A statement with an injected field (its hash still matches: the field is not hashed).
        let injected = lines[1].replacen("{", "{\"note\":\"paid\",", 1);
        std::fs::write(&path, format!("{}\n{injected}\n{}\n{}\n", lines[0], lines[2], lines[3]))
            .unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("unknown field note"), "{e}");
        // Something appended after the seal.
        std::fs::write(&path, format!("{text}{}\n", lines[0])).unwrap();
        let e = verify_log(&path).unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("after the seal"), "{e}");
        assert!(price(&[usage(march, "B", "C", 1.0)], &book()).is_err(), "no rate card");
        assert!(price(&[usage(march, "A", "B", -1.0)], &book()).is_err(), "negative volume");
    }
}
