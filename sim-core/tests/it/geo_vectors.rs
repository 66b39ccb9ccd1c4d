//! WGS84 → ENU against an independent implementation: pymap3d 3.2.0 `geodetic2enu` (WGS84
//! ellipsoid), computed once with
//!
//! ```text
//! pip install pymap3d==3.2.0
//! python -c "import pymap3d; print(pymap3d.geodetic2enu(lat, lon, h, lat0, lon0, h0))"
//! ```
//!
//! Points lie up to 50 km from origins at four latitudes, one across the antimeridian. The
//! requirement is centimetres; the tolerance is one millimetre.

use sim_core::geo::{Enu, GeoPoint, LocalFrame};

type Triple = (f64, f64, f64);

const VECTORS: [(Triple, Triple, Triple); 10] = [
    ((48.8738, 2.295, 35.0), (48.8738, 2.295, 35.0), (0.0, 0.0, 0.0)),
    ((48.8738, 2.295, 35.0), (48.9, 2.35, 60.0), (4032.536494, 2915.122968, 23.060822)),
    ((48.8738, 2.295, 35.0), (49.2, 2.6, 120.0), (22228.215172, 36321.902357, -57.182396)),
    ((48.8738, 2.295, 35.0), (48.5, 1.95, 0.0), (-25495.832664, -41509.815162, -221.080285)),
    ((-33.8688, 151.2093, 10.0), (-33.5, 151.4, 300.0), (17721.129005, 40891.292395, 133.857087)),
    ((-33.8688, 151.2093, 10.0), (-34.2, 150.9, 0.0), (-28507.333516, -36780.377235, -180.071681)),
    ((69.6496, 18.956, 0.0), (69.9, 19.8, 50.0), (32382.899359, 28158.170622, -93.987284)),
    ((69.6496, 18.956, 0.0), (69.4, 18.2, 1000.0), (-29701.131914, -27664.914344, 871.196931)),
    ((-17.7134, 179.9, 0.0), (-17.5, -179.8, 0.0), (31859.684374, 23592.814524, -123.43753)),
    ((-17.7134, 179.9, 0.0), (-17.9, 179.5, 25.0), (-42385.628195, -20697.61195, -149.570553)),
];

fn point((lat, lon, h): Triple) -> GeoPoint {
    GeoPoint::new(lat, lon, h).unwrap()
}

#[test]
fn enu_matches_pymap3d_to_a_millimetre() {
    for (origin, p, (e, n, u)) in VECTORS {
        let frame = LocalFrame::new(point(origin));
        let enu = frame.to_enu(&point(p));
        let err =
            ((enu.east_m - e).powi(2) + (enu.north_m - n).powi(2) + (enu.up_m - u).powi(2)).sqrt();
        assert!(
            err < 1e-3,
            "{origin:?} → {p:?}: got {enu:?}, pymap3d ({e}, {n}, {u}), error {err} m"
        );
    }
}

#[test]
fn inverse_recovers_the_geodetic_point() {
    for (origin, p, (e, n, u)) in VECTORS {
        let frame = LocalFrame::new(point(origin));
        let back = frame.to_geodetic(&Enu { east_m: e, north_m: n, up_m: u });
        let (lat, lon, h) = p;
        // 1e-8° of latitude is 1.1 mm.
        assert!((back.lat_deg() - lat).abs() < 1e-8, "{back:?} vs {p:?}");
        let dlon = (back.lon_deg() - lon + 540.0).rem_euclid(360.0) - 180.0;
        assert!(dlon.abs() < 1e-8, "{back:?} vs {p:?}");
        assert!((back.height_m() - h).abs() < 1e-3, "{back:?} vs {p:?}");
    }
}
