//! Circular zones: a centre and a radius in metres on the WGS84 ellipsoid.

use crate::geodesy::{distance_m, LocalFrame};

/// A circle of `radius_m` metres around (lon, lat) degrees. Membership uses
/// [`distance_m`] (≤ 0.01 % from GeographicLib at these ranges); a point at
/// exactly `radius_m` is inside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Centre longitude, degrees.
    pub lon: f64,
    /// Centre latitude, degrees.
    pub lat: f64,
    /// Radius, metres.
    pub radius_m: f64,
    frame: LocalFrame,
    /// Relative error bound of the fixed-scale frame near the circle.
    eps: f64,
}

impl Circle {
    /// A circle around (lon, lat) degrees with `radius_m` metres.
    pub fn new(lon: f64, lat: f64, radius_m: f64) -> Self {
        // The frame's x scale is exact at the centre's latitude and off by about
        // tan(lat) * dlat (radians) elsewhere; twice that within 2 radii, plus slack.
        let tan = lat.to_radians().tan().abs().max(1.0);
        let eps = 4.0 * tan * radius_m / 6.3e6 + 1e-6;
        Circle {
            lon,
            lat,
            radius_m,
            frame: LocalFrame::new(lon, lat),
            eps,
        }
    }

    /// Squared frame distance in m² (fast, approximate away from the centre latitude).
    #[inline]
    fn frame_d2(&self, lon: f64, lat: f64) -> f64 {
        let (x, y) = self.frame.to_xy(lon, lat);
        x * x + y * y
    }

    /// Distance in metres from the centre.
    #[inline]
    pub fn centre_distance_m(&self, lon: f64, lat: f64) -> f64 {
        distance_m((self.lon, self.lat), (lon, lat))
    }

    /// Whether the circle covers (lon, lat) (boundary inside). Decided by the
    /// fast local frame when clearly inside or outside, else by [`distance_m`].
    #[inline]
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        let d2 = self.frame_d2(lon, lat);
        let (lo, hi) = (self.radius_m * (1.0 - self.eps), self.radius_m * (1.0 + self.eps));
        if d2 < lo * lo {
            true
        } else if d2 > hi * hi {
            false
        } else {
            self.centre_distance_m(lon, lat) <= self.radius_m
        }
    }

    /// Distance in metres from (lon, lat) to the circle's boundary.
    pub fn boundary_distance_m(&self, lon: f64, lat: f64) -> f64 {
        (self.centre_distance_m(lon, lat) - self.radius_m).abs()
    }

    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]`, slightly padded.
    pub fn bbox(&self) -> [f64; 4] {
        let dx = self.radius_m / self.frame.kx * 1.01 + 1e-9;
        let dy = self.radius_m / self.frame.ky * 1.01 + 1e-9;
        [self.lon - dx, self.lat - dy, self.lon + dx, self.lat + dy]
    }

    /// Appends the closed sub-interval of `s ∈ [0, 1]` where `a + s (b - a)` is
    /// covered. The crossings are the roots of a quadratic in the local frame
    /// (within `eps * radius` metres of the exact ones); each end agrees with
    /// [`Circle::covers`] of that fix.
    pub fn covered_intervals(&self, a: (f64, f64), b: (f64, f64), out: &mut Vec<(f64, f64)>) {
        self.covered_intervals_known(a, b, self.covers(a.0, a.1), self.covers(b.0, b.1), out)
    }

    /// [`Circle::covered_intervals`] with the ends' coverage already known.
    pub fn covered_intervals_known(&self, a: (f64, f64), b: (f64, f64), ca: bool, cb: bool, out: &mut Vec<(f64, f64)>) {
        if ca && cb {
            // A disc is convex.
            out.push((0.0, 1.0));
            return;
        }
        let pa = self.frame.to_xy(a.0, a.1);
        let pb = self.frame.to_xy(b.0, b.1);
        let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
        let qa = dx * dx + dy * dy;
        if qa == 0.0 {
            if ca {
                out.push((0.0, 1.0));
            }
            return;
        }
        let r = self.radius_m;
        // |pa + s d|^2 = r^2  →  qa s^2 + 2 (pa·d) s + (|pa|^2 - r^2) = 0
        let half_b = pa.0 * dx + pa.1 * dy;
        let c = pa.0 * pa.0 + pa.1 * pa.1 - r * r;
        let disc = half_b * half_b - qa * c;
        if disc < 0.0 {
            // Misses in the frame; an end may still be covered by the exact test.
            if ca {
                out.push((0.0, 0.0));
            } else if cb {
                out.push((1.0, 1.0));
            }
            return;
        }
        let sq = disc.sqrt();
        let (mut s0, mut s1) = ((-half_b - sq) / qa, (-half_b + sq) / qa);
        if ca {
            s0 = 0.0;
        }
        if cb {
            s1 = 1.0;
        }
        let (s0, s1) = (s0.max(0.0), s1.min(1.0));
        if s0 <= s1 {
            out.push((s0, s1));
        }
    }

    /// The same circle grown by `extra_m` metres.
    pub fn grown(&self, extra_m: f64) -> Circle {
        Circle::new(self.lon, self.lat, self.radius_m + extra_m)
    }
}
