//! Fuzzing the radio crate's importers: PLY meshes, Mitsuba XML scenes, GeoJSON footprints, the
//! planner's `sites.csv` + `cells.csv`, and MSI pattern files. Each test mutates the seed corpus
//! in `radio/tests/fuzz/corpus/<format>/` (see `docs/fuzzing.md`) and checks that the importer
//! answers `Ok` or a typed error, never panics and never hangs; what it accepts passes the
//! checks the next stage relies on. `TWIN_FUZZ_CASES` raises the budget.
//!
//! Inputs that once crashed an importer are kept in the corpus as `crash-*` files, each with a
//! named regression test below.

use std::path::{Path, PathBuf};

use radio::antenna::MsiPattern;
use radio::scene::geojson::{self, Coordinates, GeoJsonOptions};
use radio::scene::{mitsuba, ply};
use radio::{Material, SceneBuilder, SceneOptions};
use twin_fuzz::{Case, Corpus, Scratch, fuzz, nested, replay};

fn corpus(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(format)
}

/// The scene options of every target that builds a scene: 5 m surface-model cells. The
/// surface model costs one clipped polygon per cell a triangle covers, bounded by
/// `Dsm::MAX_CELLS` by design; at 1 m a mutated transform that makes a valid 2 km scene takes
/// seconds in a debug build, which is a matter for the benchmarks, not a robustness bug.
fn scene_options() -> SceneOptions {
    SceneOptions { dsm_cell_m: 5.0, ..SceneOptions::default() }
}

fn tokens(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|t| t.as_bytes().to_vec()).collect()
}

// ---- PLY ----

/// A parsed mesh goes on through the scene builder, as every importer's meshes do.
fn ply_target(case: &Case) {
    let Ok(mesh) = ply::parse(&case.bytes) else { return };
    let mut b = SceneBuilder::new();
    let m = b.material(Material::itu("concrete").unwrap());
    if b.add_mesh("fuzz", m, mesh.vertices, mesh.faces).is_ok() {
        let _ = b.build(scene_options());
    }
}

fn ply_tokens() -> Vec<Vec<u8>> {
    tokens(&[
        "ply\n",
        "format ascii 1.0\n",
        "format binary_little_endian 1.0\n",
        "format binary_big_endian 1.0\n",
        "element vertex 18446744073709551615\n",
        "element face 4294967296\n",
        "element extra 99999999999\n",
        "property float x\n",
        "property double z\n",
        "property list uchar int vertex_indices\n",
        "property list uint uint vertex_index\n",
        "property list int float vertex_indices\n",
        "end_header\n",
        "end_header",
        "comment ",
        "char",
        "uchar",
        "short",
        "ushort",
        "int",
        "uint",
        "float",
        "double",
        "list",
    ])
}

#[test]
fn fuzz_ply() {
    fuzz("ply", &corpus("ply"), &ply_tokens(), ply_target);
}

#[test]
fn regression_ply_huge_element_count() {
    replay(&corpus("ply"), "crash-huge-vertex-count.ply", ply_target);
}

#[test]
fn regression_ply_countless_element_without_properties() {
    replay(&corpus("ply"), "crash-endless-empty-element.ply", ply_target);
}

// ---- Mitsuba XML ----

/// The scene file is the input; the meshes it names are the corpus's own.
fn mitsuba_target(case: &Case) {
    let dir = corpus("mitsuba");
    let meshes = Corpus::load(&dir.join("meshes"));
    let s = Scratch::new("mitsuba");
    for (name, bytes) in &meshes.files {
        s.write(&format!("meshes/{name}"), bytes);
    }
    let xml = s.write("scene.xml", &case.bytes);
    let _ = mitsuba::load_with(&xml, scene_options());
}

fn mitsuba_tokens() -> Vec<Vec<u8>> {
    let mut t = tokens(&[
        "<scene version=\"2.1.0\">",
        "</scene>",
        "<shape type=\"ply\" id=\"s\">",
        "<shape type=\"obj\"/>",
        "</shape>",
        "<string name=\"filename\" value=\"meshes/box-itu_concrete.ply\"/>",
        "<string name=\"filename\" value=\"../../../../etc/passwd\"/>",
        "<string name=\"filename\" value=\"meshes\"/>",
        "<transform name=\"to_world\">",
        "</transform>",
        "<scale value=\"1e308\"/>",
        "<scale value=\"0\"/>",
        "<translate value=\"1 2\"/>",
        "<rotate x=\"0\" y=\"0\" z=\"0\" angle=\"90\"/>",
        "<rotate x=\"1e308\" y=\"1e308\" angle=\"1e308\"/>",
        "<matrix value=\"0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\"/>",
        "<bsdf type=\"itu-radio-material\" id=\"m\">",
        "</bsdf>",
        "<float name=\"thickness\" value=\"-1\"/>",
        "<string name=\"type\" value=\"cheese\"/>",
        "<ref id=\"m\" name=\"bsdf\"/>",
        "<!-- -- -->",
        "<![CDATA[x]]>",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "&unknown;",
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE scene [<!ENTITY a \"aaaaaaaa\">]>",
        "\"",
        "=",
        "<",
        ">",
        "/>",
    ]);
    t.push(nested("<bsdf type=\"twosided\">", "</bsdf>", 2000));
    t.push(nested("<a>", "</a>", 5000));
    t
}

#[test]
fn fuzz_mitsuba() {
    fuzz("mitsuba", &corpus("mitsuba"), &mitsuba_tokens(), mitsuba_target);
}

// ---- GeoJSON ----

/// Each input is read twice: as WGS84 without a default height (the defaults), and as local
/// metres with one, so that both paths to the builder are reached.
fn geojson_target(case: &Case) {
    let text = case.text();
    let wgs84 = GeoJsonOptions { scene: scene_options(), ..GeoJsonOptions::default() };
    let _ = geojson::from_str(&text, &wgs84);
    let local = GeoJsonOptions {
        coordinates: Coordinates::LocalMetres,
        default_height_m: Some(9.0),
        ..wgs84
    };
    let _ = geojson::from_str(&text, &local);
}

fn geojson_tokens() -> Vec<Vec<u8>> {
    let mut t = tokens(&[
        "{\"type\":\"Feature\",\"properties\":{\"height\":1e308},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,1]]]}}",
        "{\"type\":\"Polygon\",\"coordinates\":[]}",
        "\"type\":\"MultiPolygon\"",
        "\"type\":\"GeometryCollection\",\"geometries\":[]",
        "\"coordinates\":[[[]]]",
        "\"coordinates\":[[[0,0],[0,0],[0,0],[0,0]]]",
        "[180,90]",
        "[-180,-90]",
        "[1e7,1e7]",
        "[5e6,-5e6,1]",
        "[0]",
        "[]",
        "null",
        "true",
        "\"height\":\"-0 m\"",
        "\"height\":\"12.5 mm\"",
        "\"building:levels\":1e300",
        "\"material\":\"glass\"",
        "\"material\":7",
        "{",
        "}",
        "[",
        "]",
        ":",
        "\\u0000",
        "\\ud800",
    ]);
    t.push(nested("[", "]", 200));
    t.push(nested("{\"a\":", "}", 200));
    t
}

#[test]
fn fuzz_geojson() {
    fuzz("geojson", &corpus("geojson"), &geojson_tokens(), geojson_target);
}

/// A polygon whose rings were all deleted (`"coordinates": []`, an empty geometry): the roof's
/// hole offsets took one from the number of rings, an overflow panic. Now no footprint.
#[test]
fn regression_geojson_polygon_without_rings() {
    replay(&corpus("geojson"), "crash-polygon-without-rings.geojson", geojson_target);
}

/// A hole whose last corner lost its latitude (1e-320): a footprint 5 700 km long, whose scene
/// took minutes to build; now `FootprintTooLarge`.
#[test]
fn regression_geojson_hole_across_a_continent() {
    replay(&corpus("geojson"), "crash-hole-across-a-continent.geojson", geojson_target);
    let text =
        std::fs::read_to_string(corpus("geojson").join("crash-hole-across-a-continent.geojson"));
    let e = geojson::from_str(&text.unwrap(), &GeoJsonOptions::default()).unwrap_err();
    assert!(e.to_string().contains("more than the 10000 m of any building"), "{e}");
}

// ---- sites.csv + cells.csv ----

/// The inventory read from the corpus's files with the input in place of one of them (either
/// sites file, the cells, or the pattern file a cell names). What it accepts places every
/// antenna at a finite position.
fn inventory_target(case: &Case) {
    let files = Corpus::load(&corpus("inventory"));
    let s = Scratch::with_case("inventory", &files, case);
    let sites = if case.name == "sites-geo.csv" { "sites-geo.csv" } else { "sites.csv" };
    let cells = s.path().join("cells.csv");
    if let Ok(inv) = radio::inventory::load(&s.path().join(sites), &cells, None) {
        for c in &inv.cells {
            assert!(c.position.iter().all(|v| v.is_finite()), "cell {}: {:?}", c.id, c.position);
        }
    }
}

fn csv_tokens() -> Vec<Vec<u8>> {
    tokens(&[
        "\"",
        "\"\"",
        "\"a,b\"",
        ",,,,,,,,,,,,,,,,,,,,",
        "site_id",
        "cell_id",
        "lat",
        "lon",
        "x_m",
        "y_m",
        "ground_m",
        "height_m",
        "pattern",
        "38901-array:4294967296x1",
        "38901-array:65536x65536:0.5:0.5",
        "38901-array:0x1",
        "38901-array:8x1:nan",
        "38901-array:",
        "iso",
        "panel.msi",
        "missing.msi",
        "91",
        "-181",
    ])
}

#[test]
fn fuzz_inventory() {
    fuzz("inventory", &corpus("inventory"), &csv_tokens(), inventory_target);
}

// ---- MSI pattern files ----

/// What a pattern file gives is finite wherever a tracer asks for it.
fn msi_target(case: &Case) {
    let Ok(p) = MsiPattern::parse(&case.text()) else { return };
    for (theta, phi) in [(90.0, 0.0), (0.0, 0.0), (180.0, 180.0), (95.5, -33.3)] {
        let g = p.gain_dbi(theta, phi, 3.0);
        assert!(g.is_finite(), "gain {g} dBi at theta {theta}, phi {phi} of {}", p.name);
    }
}

fn msi_tokens() -> Vec<Vec<u8>> {
    tokens(&[
        "GAIN ",
        "GAIN nan dBi\n",
        "TILT ELECTRICAL inf\n",
        "ELECTRICAL_TILT ",
        "HORIZONTAL 360\n",
        "HORIZONTAL 3600\n",
        "VERTICAL 2\n",
        "VERTICAL 18446744073709551615\n",
        "0 0\n",
        "359.9999999999 1e308\n",
        "-1e-300 5\n",
        "dBd",
        "dBi",
    ])
}

#[test]
fn fuzz_msi() {
    fuzz("msi", &corpus("msi"), &msi_tokens(), msi_target);
}

/// An attenuation of 1e308 dB: the interpolation between it and its neighbour overflowed, and
/// the pattern's gain was infinite over a quarter of the horizon. Now a format error.
#[test]
fn regression_msi_huge_attenuation() {
    replay(&corpus("msi"), "crash-huge-attenuation.msi", msi_target);
    let text = std::fs::read_to_string(corpus("msi").join("crash-huge-attenuation.msi")).unwrap();
    let (line, reason) = MsiPattern::parse(&text).unwrap_err();
    assert_eq!(line, 10, "{reason}");
}

// ---- The corpus itself ----

/// Every seed (not the `crash-*` files) is a valid file of its format: a seed that an importer
/// refuses stops the fuzzer from reaching past that refusal.
#[test]
fn corpus_seeds_are_valid() {
    for (name, bytes) in Corpus::load(&corpus("ply")).seeds() {
        ply::parse(bytes).unwrap_or_else(|e| panic!("ply/{name}: {e}"));
    }
    let mitsuba_corpus = corpus("mitsuba");
    for (name, _) in Corpus::load(&mitsuba_corpus).seeds() {
        mitsuba::load(&mitsuba_corpus.join(name)).unwrap_or_else(|e| panic!("mitsuba/{name}: {e}"));
    }
    for (name, bytes) in Corpus::load(&corpus("geojson")).seeds() {
        let text = String::from_utf8(bytes.clone()).unwrap();
        let options = if name.contains("local") {
            GeoJsonOptions {
                coordinates: Coordinates::LocalMetres,
                default_height_m: Some(9.0),
                ..GeoJsonOptions::default()
            }
        } else {
            GeoJsonOptions::default()
        };
        geojson::from_str(&text, &options).unwrap_or_else(|e| panic!("geojson/{name}: {e}"));
    }
    let inventory = corpus("inventory");
    for sites in ["sites.csv", "sites-geo.csv"] {
        radio::inventory::load(&inventory.join(sites), &inventory.join("cells.csv"), None)
            .unwrap_or_else(|e| panic!("inventory/{sites}: {e}"));
    }
    for (name, bytes) in Corpus::load(&corpus("msi")).seeds() {
        MsiPattern::parse(&String::from_utf8_lossy(bytes))
            .unwrap_or_else(|e| panic!("msi/{name}: {e:?}"));
    }
}
