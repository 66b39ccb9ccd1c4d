//! Settlement of the small scenario: positions net to zero, bilateral and multilateral
//! positions agree, and the whole `settle run` pipeline writes a log that verifies.

use scenarios::scenario::validate;
use scenarios::settlement::{RateBook, net_positions, price, statements};

use crate::common::*;

#[test]
fn net_positions_sum_to_zero_in_every_period() {
    let dir = scratch("zero-sum");
    let plan = validate(&write_small(&dir)).unwrap();
    let (charges, currency) = price(&plan.usage, &RateBook::new(&plan.rate_cards)).unwrap();
    assert_eq!(currency, "EUR");
    let positions = net_positions(&charges);
    assert_eq!(
        positions.iter().map(|p| p.period.as_str()).collect::<Vec<_>>(),
        ["2024-03", "2024-04"]
    );
    for p in &positions {
        assert_eq!(p.multilateral.values().sum::<i64>(), 0, "{}", p.period);
        // Bilateral positions agree with the multilateral ones.
        for (carrier, &m) in &p.multilateral {
            let from_pairs: i64 = p
                .bilateral
                .iter()
                .map(|(pair, &v)| {
                    let (a, b) = pair.split_once('|').unwrap();
                    if a == carrier {
                        -v
                    } else if b == carrier {
                        v
                    } else {
                        0
                    }
                })
                .sum();
            assert_eq!(from_pairs, m, "{carrier} in {}", p.period);
        }
    }
    assert!(!statements(&positions, &currency).unwrap().is_empty());
}

#[test]
fn the_settlement_run_writes_a_log_that_verifies() {
    let dir = scratch("settle-run");
    let plan = validate(&write_small(&dir)).unwrap();
    let run = scenarios::settle::settle(&plan).unwrap();
    let s = run.summary();
    assert_eq!((s.periods, s.currency.as_str()), (2, "EUR"));
    assert_eq!(s.records, plan.usage.iter().map(|u| u.records).sum::<u64>());
    let out = dir.join("settlement");
    scenarios::settle::write_settlement_dir(&out, &run).unwrap();
    let n = scenarios::settlement::verify_log(&out.join("statements.jsonl")).unwrap();
    assert_eq!(n.statements as usize, run.log.len());
    for f in ["positions.json", "charges.json", "system.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert!(scenarios::settle::write_settlement_dir(&out, &run).is_err(), "never replaced");
}
