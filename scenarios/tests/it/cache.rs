//! The persistent coverage cache: a second run traces nothing and gives the same results, a
//! variant added later traces only its own cells.

use scenarios::replay::cache::CacheSettings;
use scenarios::replay::{ReplayOptions, Replayer};
use scenarios::scenario::validate;

use crate::common::{edit, scratch, write_small};

#[test]
fn a_warm_cache_traces_only_what_is_new_and_changes_no_result() {
    let dir = scratch("cache");
    let path = write_small(&dir);
    let settings = CacheSettings { dir: dir.join("cache"), max_bytes: u64::MAX };
    let opts = ReplayOptions {
        rays: 5_000,
        max_depth: 1,
        cache: Some(settings.clone()),
        ..ReplayOptions::default()
    };
    let run = |opts: &ReplayOptions| {
        let plan = validate(&path).unwrap();
        let r = Replayer::new(&plan, opts.clone(), None).unwrap();
        let results = r.run_all(&|_| {}).unwrap();
        (results, r.maps_traced(), r.cache_report())
    };
    let (cold, traced, report) = run(&opts);
    assert!(traced > 0);
    assert_eq!((report.hits, report.writes, report.failed_writes), (0, traced, 0));
    let entries = || std::fs::read_dir(&settings.dir).unwrap().count();
    assert_eq!(entries(), traced, "one whole file per map, no temporaries");

    let (warm, traced_again, report) = run(&opts);
    assert_eq!(traced_again, 0, "a second run traces nothing");
    assert_eq!(report.hits, traced);
    assert_eq!(warm, cold, "maps read back are the maps traced");

    // A variant added later (another tilt of) traces those two cells alone.
    edit(
        &dir,
        "scenario.toml",
        "[[variant]]\nname = \"ledger\"",
        "[[variant]]\nname = \"retilt-more\"\n[[variant.at]]\nop = \"set-tilt\"\ncells = [\"A-1\", \"A-2\"]\ndeg = 9.0\n\n[[variant]]\nname = \"ledger\"",
    );
    let (_, traced_new, report) = run(&opts);
    assert_eq!((traced_new, report.hits), (2, traced));
    // Without the cache the same run traces everything again and gives the same answers.
    let (fresh, traced_fresh, _) = run(&ReplayOptions { cache: None, ..opts.clone() });
    assert_eq!(traced_fresh, traced + 2);
    let (again, _, _) = run(&opts);
    assert_eq!(again, fresh);
}
