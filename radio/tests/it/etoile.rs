//! The Paris Etoile scene from `../shared/data` (Sionna's, Apache-2.0), read as Sionna writes it.

use std::path::PathBuf;

use radio::propagation::{Propagation, TraceConfig, Transmitter};
use radio::scene::mitsuba;
use radio::{CpuTracer, Grid, SceneError, vec3};

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/scenes/etoile/etoile.xml")
}

#[test]
fn loads_with_its_materials_and_covers_the_square() {
    let p = path();
    if !p.exists() {
        panic!(
            "the shared Etoile scene is missing at {}; tests need ../shared/data beside the repository",
            p.display()
        );
    }
    let scene = mitsuba::load(&p).unwrap();
    assert_eq!(scene.meshes().len(), 563);
    assert!(
        scene.meshes().iter().map(|m| m.n_triangles).sum::<usize>() > 13_058,
        "large triangles are split for tracing"
    );
    let mut names: Vec<&str> = scene.materials().iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["concrete", "marble", "metal", "wood"]);
    let b = scene.bounds();
    assert!((b.max[0] - 426.83).abs() < 0.1 && (b.min[1] + 338.06).abs() < 0.1, "{b:?}");
    // The Arc de Triomphe's attic is 50 m up.
    assert!((scene.dsm().height_at(-127.0, 38.0) - 50.0).abs() < 1.0);

    // A coarse coverage map from above the Arc: most outdoor points are reached.
    let tx = Transmitter {
        position: vec3(-127.4, 38.1, 60.0),
        freq_hz: 3.5e9,
        antenna: radio::Antenna::isotropic(),
    };
    let grid = Grid::covering(&b, 20.0, 1.5).unwrap();
    let cfg = TraceConfig { rays: 50_000, ..TraceConfig::default() };
    let map = CpuTracer.coverage(&scene, &tx, &grid, &cfg).unwrap();
    let outdoor = map.outdoor.iter().filter(|&&o| o).count();
    assert!(
        outdoor > grid.len() / 2 && map.n_covered() == outdoor,
        "{} of {outdoor} outdoor points",
        map.n_covered()
    );
}

#[test]
fn a_corrupt_mesh_names_its_file() {
    let dir = std::env::temp_dir().join(format!("twin-etoile-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("meshes")).unwrap();
    std::fs::write(dir.join("meshes/bad-itu_glass.ply"), b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n\x00\x00").unwrap();
    std::fs::write(dir.join("scene.xml"), "<!--\n-- header\n-->\n<scene><shape type=\"ply\" id=\"bad\"><string name=\"filename\" value=\"meshes/bad-itu_glass.ply\"/></shape></scene>").unwrap();
    let err = mitsuba::load(&dir.join("scene.xml")).unwrap_err();
    assert!(matches!(err, SceneError::Ply { .. }), "{err}");
    assert!(
        err.to_string().contains("bad-itu_glass.ply") && err.to_string().contains("ends early"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
