//! Headless screenshots checked the way a person looks at them.

use viewer::colormap::{self, Field};
use viewer::data::Plane;
use viewer::headless::Screenshot;
use viewer::render::{Camera, Compare, Layers};
use viewer::{RunData, ViewState, initial_view};

use crate::common::{headless, run_dir};

const W: u32 = 1200;
const H: u32 = 800;

fn close(a: [u8; 4], b: [u8; 4], tol: u8) -> bool {
    (0..3).all(|i| a[i].abs_diff(b[i]) <= tol)
}

/// The pixel at the centre of grid point `(ix, iy)`, if it is inside the image and clear of
/// the overlay (title top left, legends along the bottom).
fn pixel_of(
    shot: &Screenshot,
    cam: &Camera,
    data: &RunData,
    ix: usize,
    iy: usize,
) -> Option<(u32, u32)> {
    let g = data.index.grid;
    let x = g.x_min_m + (ix as f64 + 0.5) * g.cell_m;
    let y = g.y_min_m + (iy as f64 + 0.5) * g.cell_m;
    let (px, py) = cam.to_px(x, y, f64::from(shot.width), f64::from(shot.height));
    let inside = px > 10.0
        && py > 60.0
        && px < f64::from(shot.width) - 10.0
        && py < f64::from(shot.height) - 120.0;
    inside.then_some((px as u32, py as u32))
}

fn raster_only(mut view: ViewState) -> ViewState {
    view.layers = Layers {
        buildings: false,
        coverage: true,
        unserved: false,
        sites: false,
        transport: false,
    };
    view
}

#[test]
fn the_colour_under_a_point_matches_the_colour_bar_for_its_value() {
    let Some(mut h) = headless() else { return };
    let data = RunData::open(run_dir()).unwrap();
    for field in [Field::Rsrp, Field::Sinr, Field::Throughput] {
        let mut view = raster_only(initial_view(&data, W, H));
        view.field = field;
        let shot = h.render(&data, &view, W, H).unwrap();
        let bar = shot.bar.expect("a colour bar");
        let raster = data.raster(0, 0).unwrap();
        let scale = field.scale(false, &data.index);
        let (mut checked, mut clamped) = (0, 0);
        for iy in (0..raster.ny).step_by(1) {
            for ix in (0..raster.nx).step_by(1) {
                let v = raster.at(field.plane(), ix, iy).unwrap();
                let Some(entry) = colormap::entry(scale, v) else { continue };
                let Some((px, py)) = pixel_of(&shot, &view.camera, &data, ix, iy) else { continue };
                let under = shot.pixel(px, py);
                let (bx, by) = bar.entry_px(entry);
                let on_bar = shot.pixel(bx as u32, by as u32);
                assert!(
                    close(under, on_bar, 3),
                    "{field:?} {v} at grid ({ix}, {iy}) is drawn {under:?}; the colour bar shows \
                     {on_bar:?} for it (entry {entry})"
                );
                checked += 1;
                clamped += usize::from(entry == 0 || entry == colormap::LUT_LEN - 1);
            }
        }
        eprintln!("{field:?}: {checked} points match the colour bar ({clamped} at its ends)");
        assert!(checked > 300, "{field:?}: only {checked} points checked");
        assert!(clamped < checked / 2, "{field:?}: most points are off the scale");
    }
}

#[test]
fn best_servers_take_their_category_colours() {
    let Some(mut h) = headless() else { return };
    let data = RunData::open(run_dir()).unwrap();
    let mut view = raster_only(initial_view(&data, W, H));
    view.field = Field::BestServer;
    let shot = h.render(&data, &view, W, H).unwrap();
    let raster = data.raster(0, 0).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for iy in (0..raster.ny).step_by(4) {
        for ix in (0..raster.nx).step_by(4) {
            let v = raster.at(Plane::BestServer, ix, iy).unwrap();
            let Some(c) = colormap::colour(colormap::Scale::Categorical, v) else { continue };
            let Some((px, py)) = pixel_of(&shot, &view.camera, &data, ix, iy) else { continue };
            assert!(close(shot.pixel(px, py), c, 1), "cell {v} at ({ix}, {iy})");
            seen.insert(v as i32);
        }
    }
    assert!(seen.len() >= 4, "best servers seen: {seen:?}");
}

#[test]
fn a_failed_link_is_drawn_in_the_failure_colour() {
    let Some(mut h) = headless() else { return };
    let data = RunData::open(run_dir()).unwrap();
    let cut = data.variant("cut").unwrap();
    let link = data.index.links.iter().position(|l| l.name == "AGG1-AGG2").unwrap();
    assert!(data.index.variants[cut].states[0].links_down.contains(&link));
    let (a, b) = (
        &data.index.nodes[data.index.links[link].from],
        &data.index.nodes[data.index.links[link].to],
    );
    let (mx, my) = (0.5 * (a.x_m + b.x_m), 0.5 * (a.y_m + b.y_m));
    for (variant, failed) in [(cut, true), (0, false)] {
        let mut view = initial_view(&data, W, H);
        view.variant = variant;
        view.interval = 5;
        let shot = h.render(&data, &view, W, H).unwrap();
        let (px, py) = view.camera.to_px(mx, my, f64::from(W), f64::from(H));
        let c = shot.pixel(px as u32, py as u32);
        if failed {
            assert_eq!(c, colormap::FAILED_LINK, "the cut link's middle");
        } else {
            assert!(!close(c, colormap::FAILED_LINK, 30), "the baseline's link is up: {c:?}");
            let u = data.link_util(0, 5).unwrap()[link];
            assert!(close(c, colormap::link_colour(u), 1), "{c:?} for utilisation {u}");
        }
    }
}

#[test]
fn the_difference_view_is_neutral_where_nothing_changed() {
    let Some(mut h) = headless() else { return };
    let data = RunData::open(run_dir()).unwrap();
    let neutral = colormap::neutral();
    // A variant that changes only settlement: the whole raster is neutral.
    let ledger = data.variant("ledger").unwrap();
    let mut view = raster_only(initial_view(&data, W, H));
    view.variant = ledger;
    view.compare = Compare::Difference;
    for field in [Field::Rsrp, Field::Sinr, Field::BestServer] {
        view.field = field;
        let shot = h.render(&data, &view, W, H).unwrap();
        let raster = data.raster(ledger, 0).unwrap();
        let mut n = 0;
        for iy in (0..raster.ny).step_by(1) {
            for ix in (0..raster.nx).step_by(1) {
                let v = raster.at(field.plane(), ix, iy).unwrap();
                if v.is_nan() || (field == Field::BestServer && v < 0.0) {
                    continue;
                }
                let Some((px, py)) = pixel_of(&shot, &view.camera, &data, ix, iy) else { continue };
                assert!(
                    close(shot.pixel(px, py), neutral, 1),
                    "{field:?} at ({ix}, {iy}): {:?}",
                    shot.pixel(px, py)
                );
                n += 1;
            }
        }
        assert!(n > 300, "{n} points");
    }
    // The re-tilt after noon: neutral exactly where RSRP is unchanged, coloured where it moved.
    let retilt = data.variant("retilt").unwrap();
    view.variant = retilt;
    view.field = Field::Rsrp;
    view.interval = 18;
    let shot = h.render(&data, &view, W, H).unwrap();
    let after = data.raster(retilt, data.state_at(retilt, 18)).unwrap();
    let before = data.raster(0, data.state_at(0, 18)).unwrap();
    let (mut same, mut moved) = (0, 0);
    for iy in (0..after.ny).step_by(2) {
        for ix in (0..after.nx).step_by(2) {
            let (a, b) =
                (after.at(Plane::Rsrp, ix, iy).unwrap(), before.at(Plane::Rsrp, ix, iy).unwrap());
            if a.is_nan() || b.is_nan() {
                continue;
            }
            let Some((px, py)) = pixel_of(&shot, &view.camera, &data, ix, iy) else { continue };
            let c = shot.pixel(px, py);
            if a == b {
                assert!(close(c, neutral, 1), "unchanged at ({ix}, {iy}) drawn {c:?}");
                same += 1;
            } else if (a - b).abs() > 1.0 {
                assert!(!close(c, neutral, 6), "{} dB change at ({ix}, {iy}) drawn neutral", a - b);
                moved += 1;
            }
        }
    }
    eprintln!(
        "retilt difference: {same} unchanged points neutral, {moved} changed points coloured"
    );
    assert!(same > 100 && moved > 20, "same {same}, moved {moved}");
}

#[test]
fn side_by_side_shows_the_baseline_left_and_the_variant_right() {
    let Some(mut h) = headless() else { return };
    let data = RunData::open(run_dir()).unwrap();
    let mut view = raster_only(initial_view(&data, W, H));
    view.variant = data.variant("retilt").unwrap();
    view.interval = 18;
    view.compare = Compare::SideBySide;
    view.camera = Camera::fit_run(&data, f64::from(W / 2), f64::from(H));
    let shot = h.render(&data, &view, W, H).unwrap();
    let g = data.index.grid;
    let (cx, cy) =
        (g.x_min_m + 0.5 * g.cell_m * g.nx as f64, g.y_min_m + 0.5 * g.cell_m * g.ny as f64);
    // The same world point in each half: the colours of the baseline's and the variant's values.
    let half = f64::from(W / 2);
    let (px, py) = view.camera.to_px(cx, cy, half - 1.0, f64::from(H));
    let ix = ((cx - g.x_min_m) / g.cell_m) as usize;
    let iy = ((cy - g.y_min_m) / g.cell_m) as usize;
    let scale = Field::Rsrp.scale(false, &data.index);
    for (variant, x0) in [(0, 0.0), (view.variant, half + 1.0)] {
        let v = data
            .raster(variant, data.state_at(variant, 18))
            .unwrap()
            .at(Plane::Rsrp, ix, iy)
            .unwrap();
        let Some(expected) = colormap::colour(scale, v) else { continue };
        let c = shot.pixel((x0 + px) as u32, py as u32);
        assert!(close(c, expected, 3), "variant {variant}: {c:?} vs {expected:?} for {v}");
    }
}

#[test]
fn a_screenshot_is_a_png_of_the_asked_size() {
    let Some(mut h) = headless() else { return };
    let data = RunData::open(run_dir()).unwrap();
    let view = initial_view(&data, 640, 400);
    let shot = h.render(&data, &view, 640, 400).unwrap();
    let out = crate::common::scratch("png").join("view.png");
    shot.save_png(&out).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (640, 400));
    // Not blank: the background, the raster and the overlay's white boxes are all there.
    let distinct: std::collections::BTreeSet<[u8; 4]> =
        shot.rgba.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
    assert!(distinct.len() > 50, "{} colours", distinct.len());
}
