//! Stops: where a subject stayed put for a while.
//!
//! Follows MovingPandas' `TrajectoryStopDetector` (and MEOS `stops`): a stop
//! is a maximal run of consecutive fixes, with no gap longer than `max_gap_s`,
//! whose spatial extent stays within a diameter of `2 × radius_m` (measured,
//! as MovingPandas does with its rotated-rectangle diagonal, by the diagonal
//! of the run's bounding box in metres, which is never smaller than the true
//! diameter) and which lasts at least `min_duration_s`.

use crate::error::Error;
use crate::geodesy::metres_per_degree;
use crate::store::TrailStore;
use crate::time::{from_us, Window};

/// A stay.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stop {
    /// First fix time, UTC µs.
    pub start_us: i64,
    /// Last fix time, UTC µs.
    pub end_us: i64,
    /// Mean longitude of its fixes, degrees.
    pub lon: f64,
    /// Mean latitude of its fixes, degrees.
    pub lat: f64,
    /// Fixes in the stop.
    pub fixes: u32,
}

impl Stop {
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        (self.end_us - self.start_us) as f64 / 1e6
    }
    /// Start.
    pub fn start(&self) -> jiff::Timestamp {
        from_us(self.start_us)
    }
}

/// Stops of `subject` with fixes in `window`.
///
/// # Errors
/// [`Error::UnknownSubject`]; [`Error::Option`] for a radius or duration that
/// is not a finite number ≥ 0.
pub fn stops(
    store: &TrailStore,
    subject: &str,
    window: Window,
    radius_m: f64,
    min_duration_s: f64,
) -> Result<Vec<Stop>, Error> {
    crate::options::metres("radius_m", radius_m)?;
    crate::options::seconds("min_duration_s", min_duration_s)?;
    let t = store.trail_of(subject)?;
    let r = t.range(window);
    let (lon, lat, ts) = (t.lons(), t.lats(), t.times_us());
    let diameter = 2.0 * radius_m;
    let min_us = (min_duration_s * 1e6) as i64;
    let mut out = Vec::new();
    let mut i = r.start;
    while i < r.end {
        let (ky, kx) = metres_per_degree(lat[i]);
        let mut bb = [lon[i], lat[i], lon[i], lat[i]];
        let mut j = i;
        while j + 1 < r.end && t.is_continuous(j, store.max_gap_s()) {
            let (x, y) = (lon[j + 1], lat[j + 1]);
            let nb = [bb[0].min(x), bb[1].min(y), bb[2].max(x), bb[3].max(y)];
            let diag = (((nb[2] - nb[0]) * kx).powi(2) + ((nb[3] - nb[1]) * ky).powi(2)).sqrt();
            if diag > diameter {
                break;
            }
            bb = nb;
            j += 1;
        }
        if j > i && ts[j] - ts[i] >= min_us {
            let n = (j - i + 1) as f64;
            out.push(Stop {
                start_us: ts[i],
                end_us: ts[j],
                lon: lon[i..=j].iter().sum::<f64>() / n,
                lat: lat[i..=j].iter().sum::<f64>() / n,
                fixes: (j - i + 1) as u32,
            });
            i = j + 1;
        } else {
            i += 1;
        }
    }
    Ok(out)
}
