//! A full disk, for real: a 64 kB tmpfs filled to the last byte, and every writing command
//! pointed at it. Each must exit 1 naming the path it could not write and leave nothing behind
//! (no temporary, no empty or partial file). Mounting needs root: where the test cannot mount,
//! it says so loudly instead of passing silently.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

fn twin() -> Command {
    crate::twin_command()
}

/// A mounted tmpfs, unmounted when dropped.
struct FullDisk(PathBuf);

impl FullDisk {
    fn mount(dir: &Path) -> Option<FullDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
        // Fill it: write until the disk refuses.
        let mut f = std::fs::File::create(dir.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
        Some(FullDisk(dir.to_path_buf()))
    }

    /// Everything in it but the filler.
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n != "filler")
            .collect()
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn writers_on_a_full_disk_fail_naming_the_path_and_leave_nothing() {
    let dir = scratch("full-disk");
    let scenario = write_small(&dir);
    let Some(disk) = FullDisk::mount(&dir.join("full")) else {
        eprintln!("!!! FULL-DISK TEST SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let full = disk.0.clone();
    let check = |what: &str, o: std::process::Output, named: &str| {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(err.contains(named), "{what}: the error names {named}: {err}");
        assert!(disk.leftovers().is_empty(), "{what} left {:?}", disk.leftovers());
    };
    let map = full.join("map.csv");
    let o = twin()
        .args(["coverage", "--rays", "2000", "--max-depth", "1"])
        .arg(&scenario)
        .arg("--out")
        .arg(&map)
        .output()
        .unwrap();
    check("coverage", o, &full.display().to_string());
    let graph = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/topologyzoo/graphml/Abilene.graphml");
    let o = twin()
        .arg("import")
        .arg(&graph)
        .arg("--nodes")
        .arg(full.join("nodes.csv"))
        .arg("--links")
        .arg(full.join("links.csv"))
        .args(["--default-capacity-bps", "1e9"])
        .output()
        .unwrap();
    check("import", o, "nodes.csv");
    let o = twin()
        .args(["run", "--rays", "2000", "--max-depth", "1", "--busy-intervals", "1"])
        .arg(&scenario)
        .arg("--out")
        .arg(full.join("run"))
        .output()
        .unwrap();
    check("run", o, &full.display().to_string());
    let o = twin().args(["settle", "run"]).arg(&scenario).arg("--out").arg(full.join("s")).output();
    check("settle run", o.unwrap(), &full.display().to_string());
    // The library's other writers: an inventory and an antenna pattern file.
    let plan = scenarios::scenario::validate(&scenario).unwrap();
    let e =
        radio::inventory::save(&plan.inventory, &full.join("sites.csv"), &full.join("cells.csv"))
            .unwrap_err()
            .to_string();
    assert!(e.contains("sites.csv"), "{e}");
    assert!(disk.leftovers().is_empty(), "inventory save left {:?}", disk.leftovers());
    let e =
        radio::antenna::MsiPattern::default_macro().write(&full.join("p.msi"), &[]).unwrap_err();
    assert!(e.to_string().contains("p.msi"), "{e}");
    assert!(disk.leftovers().is_empty(), "pattern write left {:?}", disk.leftovers());
    // The viewer: a screenshot of a finished run into the full disk.
    let exe = Path::new(env!("CARGO_BIN_EXE_twin")).with_file_name("twin-view");
    let run = dir.join("run");
    let made = twin()
        .args(["run", "--rays", "2000", "--max-depth", "1", "--busy-intervals", "1"])
        .arg(&scenario)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    assert!(made.status.success());
    if exe.is_file() && radio::select(radio::Backend::Gpu).is_ok() {
        let o = Command::new(&exe)
            .arg(&run)
            .arg("--screenshot")
            .arg(full.join("x.png"))
            .args(["--size", "640x400"])
            .output()
            .unwrap();
        check("twin-view --screenshot", o, "x.png");
    } else {
        eprintln!("!!! twin-view part skipped: no twin-view beside twin or no adapter");
    }
}
