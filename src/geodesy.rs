//! Distances in metres on the WGS84 ellipsoid for short ranges, and local
//! metric frames for geometry near a zone.
//!
//! Zones and crime scenes are small (metres to a few kilometres), so
//! trailfence measures in a local plane tangent to the ellipsoid, scaled by
//! the meridional (M) and prime-vertical (N) radii of curvature at the mean
//! latitude of the two points. Against GeographicLib this is within 0.01 %
//! up to 50 km at UK latitudes (tested with `../shared/testdata`), well inside
//! the 0.1 % the product requires, and about 100 times cheaper than a
//! geodesic inverse. The error grows with distance; it is not meant for
//! hundreds of kilometres.

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

const E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// Metres per degree of latitude and of longitude at latitude `lat_deg`.
#[inline]
pub fn metres_per_degree(lat_deg: f64) -> (f64, f64) {
    let phi = lat_deg.to_radians();
    let s = phi.sin();
    let w2 = 1.0 - E2 * s * s;
    let w = w2.sqrt();
    let n = WGS84_A / w; // prime vertical radius
    let m = WGS84_A * (1.0 - E2) / (w2 * w); // meridional radius
    let k = std::f64::consts::PI / 180.0;
    (m * k, n * phi.cos() * k)
}

/// Distance in metres between two (lon, lat) points in degrees, using the
/// ellipsoidal radii at their mean latitude. Accurate to 0.01 % up to 50 km
/// away from the poles; longitudes are taken the short way round.
#[inline]
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (ky, kx) = metres_per_degree(0.5 * (a.1 + b.1));
    let mut dlon = b.0 - a.0;
    if dlon > 180.0 {
        dlon -= 360.0;
    } else if dlon < -180.0 {
        dlon += 360.0;
    }
    let dx = dlon * kx;
    let dy = (b.1 - a.1) * ky;
    (dx * dx + dy * dy).sqrt()
}

/// A local plane around an origin: (lon, lat) degrees ↔ (east, north) metres,
/// with fixed scales at the origin's latitude. Used for geometry inside and
/// near one zone (a few kilometres), where the fixed scale errs by less than
/// 0.001 % per kilometre of north–south extent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    /// Origin longitude, degrees.
    pub lon0: f64,
    /// Origin latitude, degrees.
    pub lat0: f64,
    /// Metres per degree of longitude at the origin.
    pub kx: f64,
    /// Metres per degree of latitude at the origin.
    pub ky: f64,
}

impl LocalFrame {
    /// A frame centred on (lon0, lat0) degrees.
    pub fn new(lon0: f64, lat0: f64) -> Self {
        let (ky, kx) = metres_per_degree(lat0);
        LocalFrame { lon0, lat0, kx, ky }
    }

    /// (east, north) metres of a (lon, lat) point.
    #[inline]
    pub fn to_xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_at_the_equator_and_pole() {
        let (ky, kx) = metres_per_degree(0.0);
        assert!((ky - 110_574.3).abs() < 0.5, "{ky}");
        assert!((kx - 111_319.5).abs() < 0.5, "{kx}");
        let (ky, _) = metres_per_degree(89.999);
        assert!((ky - 111_694.0).abs() < 1.0, "{ky}");
    }
}
