//! What the unit tests share: a small plan, validated once per test process.

use std::sync::OnceLock;

use crate::demo::{DemoConfig, write_demo};
use crate::scenario::{Plan, validate};

/// The demo at its smallest: 2 × 2 sites of three cells on the procedural city, one day of
/// hourly traffic, a backhaul of one access ring over the aggregation pair AGG1/AGG2 and two
/// cores (links named as a links CSV names them: `AGG1-AGG2`, `AGG1-AGG2 (reverse)`).
#[allow(clippy::unwrap_used)]
pub(crate) fn small_plan() -> Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("twin-scenarios-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cfg = DemoConfig { sites_x: 2, sites_y: 2, days: 1, seed: 3, grid_m: 25.0 };
        let path = write_demo(&dir, &cfg).unwrap();
        validate(&path).unwrap_or_else(|d| panic!("{d:?}"))
    })
    .clone()
}
