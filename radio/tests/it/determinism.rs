//! Results are identical for 1 and N threads: coverage maps and point queries.

use radio::antenna::Tr38901;
use radio::propagation::{Summation, TraceConfig, Transmitter};
use radio::scene::procedural::{CityParams, city};
use radio::{
    Antenna, CpuTracer, Grid, Orientation, Pattern, Polarization, Propagation, SceneOptions, vec3,
};

fn transmitter() -> Transmitter {
    let orientation = Orientation { azimuth_deg: 45.0, mech_tilt_deg: 2.0, elec_tilt_deg: 4.0 };
    Transmitter {
        position: vec3(5.0, -3.0, 70.0),
        freq_hz: 3.5e9,
        antenna: Antenna::new(
            Pattern::Tr38901(Tr38901::default()),
            Polarization::Vertical,
            orientation,
        )
        .unwrap(),
    }
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

#[test]
fn coverage_and_points_are_identical_on_1_and_n_threads() {
    let city = city(
        &CityParams { blocks_x: 3, blocks_y: 3, seed: 5, ..CityParams::default() },
        SceneOptions::default(),
    )
    .unwrap();
    let scene = &city.scene;
    let grid = Grid::covering(&scene.bounds(), 8.0, 1.5).unwrap();
    let cfg = TraceConfig { rays: 60_000, max_depth: 3, ..TraceConfig::default() };
    let tx = transmitter();
    let one = in_pool(1, || CpuTracer.coverage(scene, &tx, &grid, &cfg).unwrap());
    let three = in_pool(3, || CpuTracer.coverage(scene, &tx, &grid, &cfg).unwrap());
    assert_eq!(
        one.path_gain.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
        three.path_gain.iter().map(|g| g.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(one, three);
    let outdoor = one.outdoor.iter().filter(|&&o| o).count();
    assert!(
        outdoor > grid.len() / 3 && one.n_covered() == outdoor,
        "{} of {outdoor}",
        one.n_covered()
    );

    let points: Vec<_> =
        (0..40).map(|i| vec3(-150.0 + 7.5 * i as f64, 12.0 - 0.5 * i as f64, 1.5)).collect();
    let pcfg = TraceConfig {
        max_depth: 2,
        candidate_rays: 20_000,
        summation: Summation::Coherent,
        ..TraceConfig::default()
    };
    let a = in_pool(1, || CpuTracer.points(scene, &tx, &points, &pcfg).unwrap());
    let b = in_pool(4, || CpuTracer.points(scene, &tx, &points, &pcfg).unwrap());
    assert_eq!(a, b);
    assert!(
        a.iter().any(|r| r.paths.iter().any(|p| p.reflections() == 2)),
        "second-order paths exist"
    );
}
