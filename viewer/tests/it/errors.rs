//! Run directories that cannot be shown, through the library and the binary.

use std::process::Command;

use viewer::{RunData, initial_view};

use crate::common::{copy_of_run, headless, scratch};

fn open_err(dir: &std::path::Path) -> String {
    RunData::open(dir).map(|_| ()).unwrap_err().to_string()
}

#[test]
fn bad_run_directories_say_what_is_wrong() {
    let none = scratch("none").join("missing");
    assert!(open_err(&none).contains("no such directory"));
    let empty = scratch("empty");
    assert!(open_err(&empty).contains("not a run directory"), "{}", open_err(&empty));

    let old = copy_of_run("old");
    std::fs::remove_dir_all(old.join("view")).unwrap();
    let e = open_err(&old);
    assert!(e.contains("no view/index.json") && e.contains("twin run"), "{e}");

    let other = copy_of_run("version");
    let index = other.join("view/index.json");
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, text.replace("\"format_version\": 1", "\"format_version\": 99"))
        .unwrap();
    let e = open_err(&other);
    assert!(e.contains("format version 99") && e.contains("reads version 1"), "{e}");

    let broken = copy_of_run("broken");
    std::fs::write(broken.join("view/index.json"), "{ not json").unwrap();
    assert!(open_err(&broken).contains("damaged"));
}

#[test]
fn a_missing_layer_is_named_not_a_panic() {
    let dir = copy_of_run("layer");
    std::fs::remove_file(dir.join("view/baseline/state-0.bin")).unwrap();
    std::fs::write(dir.join("view/cut/links.bin"), [0u8; 7]).unwrap();
    let data = RunData::open(&dir).unwrap();
    let e = data.raster(0, 0).unwrap_err().to_string();
    assert!(e.contains("state-0.bin") && e.contains("incomplete"), "{e}");
    let cut = data.variant("cut").unwrap();
    let e = data.link_util(cut, 0).unwrap_err().to_string();
    assert!(e.contains("links.bin") && e.contains("7 bytes"), "{e}");
    if let Some(mut h) = headless() {
        let view = initial_view(&data, 400, 300);
        let e = h.render(&data, &view, 400, 300).unwrap_err().to_string();
        assert!(e.contains("state-0.bin"), "{e}");
    }
}

#[test]
fn the_binary_reports_bad_input_with_exit_1_or_2_and_writes_nothing() {
    let exe = env!("CARGO_BIN_EXE_twin-view");
    let out_dir = scratch("bin");
    let png = out_dir.join("x.png");
    let empty = scratch("bin-empty");
    let o = Command::new(exe).arg(&empty).arg("--screenshot").arg(&png).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: ") && err.contains("not a run directory"), "{err}");
    assert!(!png.exists());

    let run = crate::common::run_dir();
    // What only the run can tell: exit 1, naming it.
    for (args, needle) in [
        (vec!["--variant", "nope"], "no variant \"nope\""),
        (vec!["--interval", "2030-01-01T00:00"], "outside the run's window"),
    ] {
        let o =
            Command::new(exe).arg(run).arg("--screenshot").arg(&png).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!png.exists());
    }
    // Bad arguments: clap refuses them with the flag and exit 2, before the run is opened.
    for (args, needle) in [
        (vec!["--layer", "rspr"], "\"rspr\": expected rsrp"),
        (vec!["--size", "10x10"], "64 to 16384"),
        (vec!["--quit-after=-1"], "\"-1\": expected a number of seconds"),
        (vec!["--quit-after", "NaN"], "\"NaN\": expected a number of seconds"),
        (vec!["--camera", "NaN,0,1"], "finite numbers with a positive scale"),
        (vec!["--camera", "0,inf,1"], "finite numbers with a positive scale"),
        (vec!["--frames", "0"], "--frames"),
        (vec!["--hide", "roads"], "roads"),
        (vec!["--screenshot", "x.jpg"], "name it NAME.png"),
    ] {
        let mut cmd = Command::new(exe);
        cmd.arg(run);
        if !args.contains(&"--screenshot") {
            cmd.arg("--screenshot").arg(&png);
        }
        let o = cmd.args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!png.exists() && !std::path::Path::new("x.jpg").exists());
    }
}

#[test]
fn the_binary_draws_a_screenshot() {
    if headless().is_none() {
        return;
    }
    let exe = env!("CARGO_BIN_EXE_twin-view");
    let png = scratch("bin-ok").join("sinr.png");
    let o = Command::new(exe)
        .arg(crate::common::run_dir())
        .args([
            "--layer",
            "sinr",
            "--variant",
            "retilt",
            "--interval",
            "2024-03-31T18:00",
            "--size",
            "800x500",
        ])
        .arg("--screenshot")
        .arg(&png)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
}

#[test]
fn the_binary_draws_the_report_images_and_lists_them() {
    if headless().is_none() {
        return;
    }
    let run = copy_of_run("report");
    let o =
        Command::new(env!("CARGO_BIN_EXE_twin-view")).arg(&run).arg("--report").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let images = twin_format::run::read_report_images(&run).unwrap();
    let captions: Vec<&str> = images.iter().map(|i| i.caption.as_str()).collect();
    assert_eq!(captions.len(), 4, "{captions:?}");
    assert!(captions[0].starts_with("baseline: RSRP at"), "{captions:?}");
    assert_eq!(captions[1], "retilt minus baseline: RSRP at 2024-03-31 12:00");
    for image in &images {
        let png = std::fs::read(run.join(&image.file)).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{}", image.file);
    }
}
