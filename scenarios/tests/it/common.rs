//! A small scenario written into a scratch directory: two sites of three cells, a transport
//! network of two aggregation nodes and a core, two days of hourly traffic, three carriers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A scratch directory unique to this process and `name`, emptied.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("twin-scenarios-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) const CELLS: [&str; 6] = ["A-1", "A-2", "A-3", "B-1", "B-2", "B-3"];

/// Hours in the window.
pub(crate) const HOURS: usize = 48;

/// 2024-03-31T00:00:00Z: the window spans the end of March, so settlement has two periods.
pub(crate) const START_S: i64 = 1_711_843_200;

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Writes the scenario and its files into `dir`; returns the scenario's path.
pub(crate) fn write_small(dir: &Path) -> PathBuf {
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    w("sites.csv", "site_id,x_m,y_m,height_m\nA,0,0,25\nB,340,0,25\n");
    let mut cells = String::from(
        "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\n",
    );
    for c in CELLS {
        let sector: u32 = c[2..].parse().unwrap();
        writeln!(cells, "{c},{},{},2,4,46,3500000000,20000000,38901", &c[..1], (sector - 1) * 120)
            .unwrap();
    }
    w("cells.csv", &cells);
    w(
        "nodes.csv",
        "node_id,role,x_m,y_m\nAGG1,aggregation,0,0\nAGG2,aggregation,400,0\nCORE,core,200,300\n",
    );
    w(
        "links.csv",
        "link_id,from,to,capacity_bps,delay_s,duplex\nAGG1-CORE,AGG1,CORE,1e9,0.001,true\nAGG2-CORE,AGG2,CORE,1e9,0.001,true\nAGG1-AGG2,AGG1,AGG2,1e9,0.001,true\n",
    );
    w("homing.csv", "site_id,node\nA,AGG1\nB,AGG2\n");
    let mut traffic = String::from("interval_start,cell_id,dl_bytes,ul_bytes,active_users\n");
    for h in 0..HOURS {
        for (i, c) in CELLS.iter().enumerate() {
            writeln!(
                traffic,
                "{},{c},{},{},{}",
                iso(START_S + 3600 * h as i64),
                1e9 * (1 + i) as f64,
                2e8,
                10 + i
            )
            .unwrap();
        }
    }
    w("traffic.csv", &traffic);
    w(
        "rate_cards.csv",
        "home_carrier,visited_carrier,service,price_per_unit,currency\n\
         HOME,P1,data,0.002,EUR\nP1,HOME,data,0.003,EUR\nHOME,P2,data,0.001,EUR\nP2,HOME,voice,0.01,EUR\nP1,P2,sms,0.005,EUR\n",
    );
    let mut settlement =
        String::from("interval_start,home_carrier,visited_carrier,service,records,volume,unit\n");
    for h in 0..HOURS {
        let t = iso(START_S + 3600 * h as i64);
        writeln!(settlement, "{t},HOME,P1,data,{},{},MB", 100 + h, 5000.5 + h as f64).unwrap();
        writeln!(settlement, "{t},P1,HOME,data,{},{},MB", 80, 4000.25).unwrap();
        writeln!(settlement, "{t},HOME,P2,data,{},{},MB", 20, 700.0).unwrap();
        writeln!(settlement, "{t},P2,HOME,voice,{},{},min", 30, 90.0).unwrap();
        writeln!(settlement, "{t},P1,P2,sms,{},{},sms", 5, 12.0).unwrap();
    }
    w("settlement.csv", &settlement);
    let scenario = format!(
        r#"# A small scenario for the tests.
name = "small"
seed = 7

[window]
start = "{}"
end = "{}"
interval_s = 3600

[network]
sites = "sites.csv"
cells = "cells.csv"
scene = "procedural"
topology = "nodes.csv"
links = "links.csv"
homing = "homing.csv"

[history]
traffic = "traffic.csv"
settlement = "settlement.csv"
rate_cards = "rate_cards.csv"

[settlement]
kind = "monthly_batch"
records_per_s = 50.0

[[variant]]
name = "retilt"
[[variant.at]]
time = "2024-03-31T12:00:00Z"
op = "set-tilt"
cells = ["A-1", "A-2"]
deg = 6.0

[[variant]]
name = "ledger"
[[variant.at]]
op = "settlement-mode"
mode = {{ kind = "per_session", block_interval_s = 10.0, block_capacity = 100 }}
"#,
        iso(START_S),
        iso(START_S + 3600 * HOURS as i64)
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario).unwrap();
    path
}

/// Replaces `from` by `to` in `dir/name` (once; the text must be there).
pub(crate) fn edit(dir: &Path, name: &str, from: &str, to: &str) {
    let p = dir.join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{from} not in {name}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}
