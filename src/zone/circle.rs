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
}

impl Circle {
    /// A circle around (lon, lat) degrees with `radius_m` metres.
    pub fn new(lon: f64, lat: f64, radius_m: f64) -> Self {
        Circle {
            lon,
            lat,
            radius_m,
            frame: LocalFrame::new(lon, lat),
        }
    }

    /// Distance in metres from the centre.
    #[inline]
    pub fn centre_distance_m(&self, lon: f64, lat: f64) -> f64 {
        distance_m((self.lon, self.lat), (lon, lat))
    }

    /// Whether the circle covers (lon, lat) (boundary inside).
    #[inline]
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        self.centre_distance_m(lon, lat) <= self.radius_m
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
    /// covered: solved exactly in the local plane, then each crossing refined
    /// by bisection on [`distance_m`] so it agrees with [`Circle::covers`].
    pub fn covered_intervals(&self, a: (f64, f64), b: (f64, f64), out: &mut Vec<(f64, f64)>) {
        let pa = self.frame.to_xy(a.0, a.1);
        let pb = self.frame.to_xy(b.0, b.1);
        let (dx, dy) = (pb.0 - pa.0, pb.1 - pa.1);
        let qa = dx * dx + dy * dy;
        let r = self.radius_m;
        let at = |s: f64| (a.0 + s * (b.0 - a.0), a.1 + s * (b.1 - a.1));
        let g = |s: f64| {
            let p = if s == 0.0 {
                a
            } else if s == 1.0 {
                b
            } else {
                at(s)
            };
            self.centre_distance_m(p.0, p.1) - r
        };
        if qa == 0.0 {
            if g(0.0) <= 0.0 {
                out.push((0.0, 1.0));
            }
            return;
        }
        // Closest approach in the plane, then the crossing points.
        let sc = (-(pa.0 * dx + pa.1 * dy) / qa).clamp(0.0, 1.0);
        // Refine the closest approach on the accurate metric (convex in s).
        let sm = [sc, 0.0, 1.0]
            .into_iter()
            .min_by(|x, y| g(*x).total_cmp(&g(*y)))
            .unwrap_or(sc);
        if g(sm) > 0.0 {
            // Grazes within rounding: a tiny window around sc may still dip in.
            return;
        }
        let root = |mut inside: f64, mut outside: f64| {
            for _ in 0..60 {
                let m = 0.5 * (inside + outside);
                if g(m) <= 0.0 {
                    inside = m;
                } else {
                    outside = m;
                }
            }
            inside
        };
        let s0 = if g(0.0) <= 0.0 { 0.0 } else { root(sm, 0.0) };
        let s1 = if g(1.0) <= 0.0 { 1.0 } else { root(sm, 1.0) };
        out.push((s0, s1));
    }

    /// The same circle grown by `extra_m` metres.
    pub fn grown(&self, extra_m: f64) -> Circle {
        Circle::new(self.lon, self.lat, self.radius_m + extra_m)
    }
}
