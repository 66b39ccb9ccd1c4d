//! The hexagonal network of TR 38.901 Table 7.8-1: 19 sites of three sectors with wrap-around.
//!
//! Sites sit on a triangular lattice of spacing ISD whose basis vectors point at 30° and 90°
//! (counter-clockwise from east), so that the first ring lies at 30°, 90°, …, 330° and the
//! sectors' boresights at 30°, 150° and 270° each point at a neighbouring site, as in QuaDRiGa's
//! `qd_layout.generate('regular', 19, isd)` (`quadriga_src/@qd_layout/generate.m`, sector
//! orientations 30°, 150°, −90°). Each site owns the hexagon of points nearer to it than to any
//! other site (circumradius ISD/√3, corners at 0°, 60°, …); the 19 hexagons tile the cluster.
//!
//! Wrap-around (Table 7.8-1's layout, summarised in `shared/REFERENCES.md`): the cluster is
//! repeated by the six translations that tile the plane with it, `5·a₁ − 2·a₂` and its rotations by multiples of
//! 60° (length √19·ISD), and a user sees each site through the nearest of its seven images. Every
//! site then has six neighbours at one ISD, as in an infinite network.
//!
//! ```text
//!            (0,2)   (1,1)   (2,0)         a₂ = ISD·(0, 1)      (90°)
//!       (-1,2)   (0,1)   (1,0)   (2,-1)    a₁ = ISD·(cos 30°, sin 30°)
//!   (-2,2)  (-1,1)   (0,0)   (1,-1)  (2,-2)
//!       (-2,1)  (-1,0)   (0,-1)  (1,-2)    site (q, r) at q·a₁ + r·a₂
//!           (-2,0)  (-1,-1)  (0,-2)
//! ```
//! (The sketch shows which axial coordinates belong to the cluster, not their exact places.)

use rand::RngExt;
use sim_core::SimRng;

/// Sites in the cluster.
pub const N_SITES: usize = 19;
/// Sectors (cells) per site.
pub const SECTORS_PER_SITE: usize = 3;
/// Cells in the cluster.
pub const N_CELLS: usize = N_SITES * SECTORS_PER_SITE;
/// The sectors' boresight azimuths, degrees counter-clockwise from east (x): 30°, 150°, 270°.
pub const SECTOR_BORESIGHT_MATH_DEG: [f64; SECTORS_PER_SITE] = [30.0, 150.0, 270.0];

/// Axial offsets of the six translations that tile the plane with the 19-site cluster (and the
/// identity): `(2n + 1, −n)` for a hexagonal cluster of radius n = 2, rotated by 60° steps with
/// `(q, r) → (−r, q + r)`.
const WRAP_AXIAL: [(i32, i32); 7] = [(0, 0), (5, -2), (2, 3), (-3, 5), (-5, 2), (-2, -3), (3, -5)];

/// The 19 sites and the seven images of the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct HexLayout {
    /// Inter-site distance, metres.
    isd_m: f64,
    /// Site positions (x east, y north), metres; site 0 is at the origin.
    sites: Vec<[f64; 2]>,
    /// The translations of the cluster's images, the identity first, metres.
    shifts: [[f64; 2]; 7],
}

impl HexLayout {
    /// The layout for inter-site distance `isd_m` (the caller checks it is positive and finite).
    pub fn new(isd_m: f64) -> HexLayout {
        let mut sites = Vec::with_capacity(N_SITES);
        // Centre first, then by ring, so that site 0 is the centre.
        for ring in 0..=2 {
            for q in -2i32..=2 {
                for r in -2i32..=2 {
                    if (q.abs() + r.abs() + (q + r).abs()) / 2 == ring {
                        sites.push(axial_to_xy(q, r, isd_m));
                    }
                }
            }
        }
        let shifts = WRAP_AXIAL.map(|(q, r)| axial_to_xy(q, r, isd_m));
        HexLayout { isd_m, sites, shifts }
    }

    /// Inter-site distance, metres.
    pub fn isd_m(&self) -> f64 {
        self.isd_m
    }

    /// The site positions, metres.
    pub fn sites(&self) -> &[[f64; 2]] {
        &self.sites
    }

    /// The image of site `site_idx` nearest to `p` (wrap-around).
    pub fn nearest_image(&self, site_idx: usize, p: [f64; 2]) -> [f64; 2] {
        let s = self.sites[site_idx];
        let mut best = s;
        let mut best_d2 = f64::INFINITY;
        for shift in &self.shifts {
            let image = [s[0] + shift[0], s[1] + shift[1]];
            let d2 = (p[0] - image[0]).powi(2) + (p[1] - image[1]).powi(2);
            if d2 < best_d2 {
                best_d2 = d2;
                best = image;
            }
        }
        best
    }

    /// A point drawn uniformly over the cluster at least `min_d2d_m` from every site: a site
    /// drawn uniformly (all hexagons have the same area), then a point of its hexagon by
    /// rejection from the bounding box, redrawn while it is too close to the site. The nearest
    /// site of a point in a hexagon is the hexagon's own, so one check suffices.
    pub fn drop_point(&self, min_d2d_m: f64, rng: &mut SimRng) -> [f64; 2] {
        let site = self.sites[rng.random_range(0..N_SITES)];
        let r_m = self.isd_m / 3f64.sqrt();
        loop {
            let dx = (2.0 * rng.random::<f64>() - 1.0) * r_m;
            let dy = (rng.random::<f64>() - 0.5) * self.isd_m;
            if in_site_hexagon(dx, dy, self.isd_m) && dx.hypot(dy) >= min_d2d_m {
                return [site[0] + dx, site[1] + dy];
            }
        }
    }
}

/// The position of the site at axial coordinates `(q, r)`.
fn axial_to_xy(q: i32, r: i32, isd_m: f64) -> [f64; 2] {
    let (s30, c30) = 30f64.to_radians().sin_cos();
    let (q, r) = (f64::from(q), f64::from(r));
    [isd_m * q * c30, isd_m * (q * s30 + r)]
}

/// Whether `(dx, dy)` from a site lies in its hexagon: within ISD/2 of it along each of the
/// directions 30°, 90°, 150° (and their opposites) to the neighbouring sites.
fn in_site_hexagon(dx: f64, dy: f64, isd_m: f64) -> bool {
    let (s30, c30) = 30f64.to_radians().sin_cos();
    let half = 0.5 * isd_m;
    dy.abs() <= half && (dx * c30 + dy * s30).abs() <= half && (-dx * c30 + dy * s30).abs() <= half
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::RngStreams;

    #[test]
    fn nineteen_distinct_sites_centre_first() {
        let l = HexLayout::new(500.0);
        assert_eq!(l.sites().len(), N_SITES);
        assert_eq!(l.sites()[0], [0.0, 0.0]);
        for i in 0..N_SITES {
            for j in 0..i {
                let (a, b) = (l.sites()[i], l.sites()[j]);
                assert!((a[0] - b[0]).hypot(a[1] - b[1]) > 499.0, "sites {i} and {j}");
            }
        }
        // The first ring lies at one ISD, at 30°, 90°, …
        let ring1: Vec<_> = l.sites()[1..7].to_vec();
        for s in &ring1 {
            assert!((s[0].hypot(s[1]) - 500.0).abs() < 1e-9);
            let az = s[1].atan2(s[0]).to_degrees().rem_euclid(60.0);
            assert!((az - 30.0).abs() < 1e-9, "{s:?}");
        }
    }

    #[test]
    fn with_wrap_around_every_site_has_six_neighbours_at_one_isd() {
        let l = HexLayout::new(200.0);
        for i in 0..N_SITES {
            let p = l.sites()[i];
            let mut d: Vec<f64> = (0..N_SITES)
                .filter(|&j| j != i)
                .map(|j| {
                    let q = l.nearest_image(j, p);
                    (p[0] - q[0]).hypot(p[1] - q[1])
                })
                .collect();
            d.sort_by(f64::total_cmp);
            assert!(d[..6].iter().all(|x| (x - 200.0).abs() < 1e-9), "site {i}: {:?}", &d[..7]);
            // The second ring: six at √3·ISD, then six at 2·ISD; nothing else is nearer.
            assert!(d[6..12].iter().all(|x| (x - 200.0 * 3f64.sqrt()).abs() < 1e-9), "{i}");
            assert!(d[12..].iter().all(|x| (x - 400.0).abs() < 1e-9), "site {i}: {d:?}");
        }
    }

    #[test]
    fn drops_are_in_the_cluster_and_keep_the_minimum_distance() {
        let l = HexLayout::new(500.0);
        let mut rng = RngStreams::new(3).stream("drop");
        let mut per_site = [0usize; N_SITES];
        for _ in 0..19_000 {
            let p = l.drop_point(35.0, &mut rng);
            // Nearest site, without wrap-around: the point lies in the cluster, so it is its own.
            let (k, d) = (0..N_SITES)
                .map(|k| (k, (p[0] - l.sites()[k][0]).hypot(p[1] - l.sites()[k][1])))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            assert!(d >= 35.0 && d <= 500.0 / 3f64.sqrt() + 1e-9, "{p:?} {d}");
            per_site[k] += 1;
        }
        // Uniform over sites: 1000 each, within 5 standard deviations.
        assert!(per_site.iter().all(|&n| (n as f64 - 1000.0).abs() < 5.0 * 31.0), "{per_site:?}");
    }
}
