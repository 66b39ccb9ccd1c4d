//! Small scenes and settings shared by the tests.

use radio::propagation::{Summation, TraceConfig, Transmitter};
use radio::{
    Antenna, Material, Orientation, Pattern, Polarization, Scene, SceneBuilder, SceneOptions, Vec3,
    vec3,
};

/// An axis-aligned rectangle as two triangles.
pub(crate) fn quad(b: &mut SceneBuilder, name: &str, material: &Material, corners: [Vec3; 4]) {
    let m = b.material(material.clone());
    b.add_mesh(name, m, corners.to_vec(), vec![[0, 1, 2], [0, 2, 3]]).unwrap();
}

/// A square ground plane at z = 0, `half` metres either side of the origin.
pub(crate) fn ground(b: &mut SceneBuilder, material: &Material, half: f64) {
    quad(
        b,
        "ground",
        material,
        [
            vec3(-half, -half, 0.0),
            vec3(half, -half, 0.0),
            vec3(half, half, 0.0),
            vec3(-half, half, 0.0),
        ],
    );
}

/// Scene options for test scenes: a coarse surface model where none is needed.
pub(crate) fn options(dsm_cell_m: f64) -> SceneOptions {
    SceneOptions { dsm_cell_m, ..SceneOptions::default() }
}

/// A scene with only a ground plane.
pub(crate) fn ground_scene(material: &Material, half: f64) -> Scene {
    let mut b = SceneBuilder::new();
    ground(&mut b, material, half);
    b.build(options((half / 200.0).max(1.0))).unwrap()
}

/// An isotropic antenna with the given polarisation.
pub(crate) fn iso(polarization: Polarization) -> Antenna {
    Antenna::new(Pattern::Isotropic, polarization, Orientation::default()).unwrap()
}

/// A transmitter with an isotropic antenna.
pub(crate) fn tx_at(position: Vec3, freq_hz: f64, polarization: Polarization) -> Transmitter {
    Transmitter { position, freq_hz, antenna: iso(polarization) }
}

/// Coherent point-to-point settings with a matching isotropic receiver.
pub(crate) fn coherent(polarization: Polarization, max_depth: u32) -> TraceConfig {
    TraceConfig {
        summation: Summation::Coherent,
        rx_antenna: iso(polarization),
        max_depth,
        ..TraceConfig::default()
    }
}

/// Path gain in dB → loss in dB.
pub(crate) fn loss_db(gain_linear: f64) -> f64 {
    -10.0 * gain_linear.log10()
}
