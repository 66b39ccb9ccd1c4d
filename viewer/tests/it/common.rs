//! A small run directory, replayed once per test binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::rundir::write_run_dir_with_views;
use scenarios::scenario::validate;
use viewer::headless::Headless;

/// A scratch directory unique to this process and `name`, emptied.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("twin-viewer-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const START: &str = "2024-03-31T00:00:00Z";
const HOURS: usize = 24;

/// Two sites of three cells 400 m apart, three transport nodes with positions, a day of hourly
/// traffic; variants: `retilt` (two cells of site A from noon), `cut` (the link AGG1-AGG2 down
/// from the start) and `ledger` (settlement only: the radio is the baseline's).
fn write_scenario(dir: &Path) -> PathBuf {
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    w("sites.csv", "site_id,x_m,y_m,height_m\nA,0,0,25\nB,400,0,25\n");
    let mut cells = String::from(
        "cell_id,site_id,azimuth_deg,mech_tilt_deg,elec_tilt_deg,tx_power_dbm,freq_hz,bandwidth_hz,pattern\n",
    );
    let ids = ["A-1", "A-2", "A-3", "B-1", "B-2", "B-3"];
    for c in ids {
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
    let start = chrono::DateTime::parse_from_rfc3339(START).unwrap().timestamp();
    let iso = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
    };
    let mut traffic = String::from("interval_start,cell_id,dl_bytes,ul_bytes,active_users\n");
    for h in 0..HOURS {
        for (i, c) in ids.iter().enumerate() {
            writeln!(
                traffic,
                "{},{c},{},{},{}",
                iso(start + 3600 * h as i64),
                1e9 * (1 + i) as f64,
                2e8,
                10
            )
            .unwrap();
        }
    }
    w("traffic.csv", &traffic);
    w(
        "rate_cards.csv",
        "home_carrier,visited_carrier,service,price_per_unit,currency\nHOME,P1,data,0.002,EUR\n",
    );
    let mut settlement =
        String::from("interval_start,home_carrier,visited_carrier,service,records,volume,unit\n");
    for h in 0..HOURS {
        writeln!(settlement, "{},HOME,P1,data,100,5000,MB", iso(start + 3600 * h as i64)).unwrap();
    }
    w("settlement.csv", &settlement);
    let scenario = format!(
        r#"name = "viewer-small"
seed = 7

[window]
start = "{START}"
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

[grid]
cell_m = 10.0

[[variant]]
name = "retilt"
[[variant.at]]
time = "2024-03-31T12:00:00Z"
op = "set-tilt"
cells = ["A-1", "A-2"]
deg = 10.0

[[variant]]
name = "cut"
[[variant.at]]
op = "fail"
element = "AGG1-AGG2"

[[variant]]
name = "ledger"
[[variant.at]]
op = "settlement-mode"
mode = {{ kind = "per_session", block_interval_s = 10.0, block_capacity = 100 }}
"#,
        iso(start + 3600 * HOURS as i64)
    );
    let path = dir.join("scenario.toml");
    std::fs::write(&path, scenario).unwrap();
    path
}

/// The run directory of the small scenario, written once.
pub(crate) fn run_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("run");
        let path = write_scenario(&dir);
        let plan = validate(&path).unwrap_or_else(|d| panic!("{d:?}"));
        let replayer = Replayer::new(&plan, ReplayOptions::default(), None).unwrap();
        let results = replayer.run_all(&|_| {}).unwrap();
        let out = dir.join("run");
        // The report's images as `twin run` makes them: twin-view --report on the unfinished
        // directory, its `file<TAB>caption` lines read back.
        let views = |dir: &Path| -> Vec<(String, Vec<u8>)> {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_twin-view"))
                .arg(dir)
                .arg("--report")
                .output()
                .unwrap();
            if !o.status.success() {
                eprintln!("twin-view --report: {}", String::from_utf8_lossy(&o.stderr));
                return Vec::new();
            }
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(f, c)| (c.to_string(), std::fs::read(dir.join(f)).unwrap()))
                .collect()
        };
        write_run_dir_with_views(
            &out,
            &plan,
            &path,
            &results,
            &replayer.geometry(),
            &[],
            24,
            "cpu",
            &views,
        )
        .unwrap();
        out
    })
}

/// A copy of the run directory to damage.
pub(crate) fn copy_of_run(name: &str) -> PathBuf {
    let dst = scratch(name).join("run");
    copy_dir(run_dir(), &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// The headless renderer, or `None` (after a loud notice) where skipping was asked for.
pub(crate) fn headless() -> Option<Headless> {
    match Headless::new() {
        Ok(h) => {
            eprintln!("viewer tests on {}", h.gpu.adapter);
            Some(h)
        }
        Err(e) if std::env::var("RADIO_GPU_TESTS").as_deref() == Ok("skip") => {
            eprintln!("!!! VIEWER GPU TESTS SKIPPED (RADIO_GPU_TESTS=skip): {e}");
            None
        }
        Err(e) => panic!("{e}\n(set RADIO_GPU_TESTS=skip to skip the GPU tests knowingly)"),
    }
}
