//! `twin run --cache`: a second run reads every map back and gives the same summary; the
//! manifest and the output say how many maps were traced and read.

use crate::common::*;

#[test]
fn a_second_run_reads_its_maps_from_the_cache() {
    let dir = scratch("cli-cache");
    let path = write_small(&dir);
    let cache = dir.join("maps");
    let run = |out: &str, extra: &[&str]| {
        let o = crate::twin_command()
            .args(["run", "--rays", "3000", "--max-depth", "1", "--busy-intervals", "1"])
            .args(extra)
            .arg(&path)
            .arg("--out")
            .arg(dir.join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let m = twin_format::run::read_manifest(&dir.join(out)).unwrap();
        let s = twin_format::run::read_summary(&dir.join(out)).unwrap();
        (m, s, String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let with_cache = ["--cache", cache.to_str().unwrap()];
    let (cold, cold_summary, _) = run("cold", &with_cache);
    assert!(cold.coverage_maps_traced > 0);
    assert_eq!(cold.coverage_maps_cached, 0);
    let (warm, warm_summary, text) = run("warm", &with_cache);
    assert_eq!(
        (warm.coverage_maps_traced, warm.coverage_maps_cached),
        (0, cold.coverage_maps_traced)
    );
    assert!(
        text.contains(&format!(
            "0 coverage maps traced and {} from the cache",
            cold.coverage_maps_traced
        )),
        "{text}"
    );
    assert_eq!(warm_summary, cold_summary);
    // --no-cache traces everything; a zero size limit is a usage error.
    let (fresh, _, _) = run("fresh", &["--no-cache"]);
    assert_eq!(
        (fresh.coverage_maps_traced, fresh.coverage_maps_cached),
        (cold.coverage_maps_traced, 0)
    );
    let bad = crate::twin_command()
        .args(["run", "--cache-max-gb", "0"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("bad"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--cache-max-gb"));
    assert!(!dir.join("bad").exists());
}
