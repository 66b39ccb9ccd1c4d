//! Fuzzing validation: the scenario TOML and the CSV tables it names (sites, cells, topology,
//! homing, traffic, settlement load, rate cards, demand density), mutated from the seed corpus
//! in `scenarios/tests/fuzz/corpus/` (see `docs/fuzzing.md`). `validate` must return a plan or
//! diagnostics, never panic and never hang. `TWIN_FUZZ_CASES` raises the budget.
//!
//! Inputs that once crashed validation are kept in the corpus as `crash-*` files, each with a
//! named regression test below.

use std::path::{Path, PathBuf};

use scenarios::scenario::validate;
use twin_fuzz::{Case, Corpus, Scratch, fuzz, nested};

fn corpus(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(part)
}

fn tokens(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|t| t.as_bytes().to_vec()).collect()
}

/// Validates `scenario` (a file name of the scenario corpus) in a folder holding the scenario
/// corpus and the tables, with `case` in place of the file it was derived from. A plan, or
/// diagnostics that each say what is wrong.
fn validate_with(case: &Case, scenario: &str) {
    let s = Scratch::new("scenario");
    for part in ["scenario", "tables"] {
        for (name, bytes) in &Corpus::load(&corpus(part)).files {
            s.write(name, bytes);
        }
    }
    s.write(&case.name, &case.bytes);
    if let Err(diagnostics) = validate(&s.path().join(scenario)) {
        assert!(!diagnostics.is_empty(), "validation failed without saying why");
    }
}

/// The scenario file is the input.
fn toml_target(case: &Case) {
    validate_with(case, &case.name);
}

/// A table is the input, named by the full scenario.
fn tables_target(case: &Case) {
    validate_with(case, "scenario.toml");
}

fn toml_tokens() -> Vec<Vec<u8>> {
    let mut t = tokens(&[
        "[window]\n",
        "[network]\n",
        "[history]\n",
        "[settlement]\n",
        "[grid]\n",
        "[coverage]\n",
        "[ran]\n",
        "[[ran.profiles]]\n",
        "[[variant]]\n",
        "[[variant.at]]\n",
        "[network.city]\n",
        "blocks_x = 18446744073709551615\n",
        "interval_s = 1\n",
        "interval_s = 4294967295\n",
        "start = \"0001-01-01T00:00:00Z\"\n",
        "end = \"9999-12-31T23:59:59Z\"\n",
        "end = \"+262143-12-31T23:59:59Z\"\n",
        "time = \"2024-03-31T22:30:00Z\"\n",
        "op = \"add-site\"\n",
        "op = \"add-carrier\"\n",
        "op = \"set-mimo-layers\"\n",
        "op = \"fail\"\n",
        "op = \"teleport\"\n",
        "layers = 4294967295\n",
        "mimo_layers = 0\n",
        "cells = []\n",
        "cells = [\"A-1\", \"A-1\", \"Z-9\"]\n",
        "element = \"CORE\"\n",
        "mode = { kind = \"per_session\", block_interval_s = 0.0, block_capacity = 0 }\n",
        "kind = \"per_session\"\n",
        "records_per_s = -1e308\n",
        "calibration = \"model\"\n",
        "scene = \"city.geojson\"\n",
        "scene = \"scene.xml\"\n",
        "origin = [91.0, 181.0]\n",
        "topology = \"net.graphml\"\n",
        "pattern = \"38901-array:99999x99999\"\n",
        "nan",
        "inf",
        "-inf",
        "1979-05-27T07:32:00Z",
        "\"\"\"",
        "'''",
        "\\u0000",
        "\\uD800",
        "=",
        "\"",
        "[",
        "]",
        "{",
        "}",
        ".",
        "#",
    ]);
    t.push(nested("[", "]", 2000));
    t.push(nested("{ a = ", "}", 2000));
    t.push(b"a.".repeat(2000));
    t
}

fn table_tokens() -> Vec<Vec<u8>> {
    tokens(&[
        "\"",
        "\"\"",
        "\"a,b\"",
        ",,,,,,,,,,,,,,,,",
        "interval_start",
        "cell_id",
        "site_id",
        "node",
        "home_carrier",
        "visited_carrier",
        "service",
        "price_per_unit",
        "records",
        "volume",
        "weight",
        "lat",
        "lon",
        "data",
        "voice",
        "sms",
        "HOME",
        "P1",
        "A-1",
        "AGG1",
        "2024-03-31T22:00:00Z",
        "2024-03-31T22:00:01Z",
        "0001-01-01",
        "+262143-12-31T23:59:59Z",
        "2024-02-30T00:00:00Z",
    ])
}

#[test]
fn fuzz_scenario_toml() {
    fuzz("scenario-toml", &corpus("scenario"), &toml_tokens(), toml_target);
}

#[test]
fn fuzz_scenario_tables() {
    fuzz("scenario-tables", &corpus("tables"), &table_tokens(), tables_target);
}

/// Both scenario seeds validate with the seed tables: a seed that fails validation stops the
/// fuzzer before the later checks.
#[test]
fn corpus_seeds_validate() {
    let s = Scratch::new("scenario-seeds");
    for part in ["scenario", "tables"] {
        for (name, bytes) in &Corpus::load(&corpus(part)).files {
            s.write(name, bytes);
        }
    }
    for name in ["scenario.toml", "minimal.toml"] {
        validate(&s.path().join(name)).unwrap_or_else(|d| panic!("{name}: {d:?}"));
    }
}
