//! Two-trail proximity: when were two subjects (e.g. a perpetrator's tag and
//! a victim's phone) within a distance of each other, with closest approach.
//!
//! Both positions are interpolated at the union of their fix times, so
//! between consecutive union instants both move linearly and their separation
//! (in a local plane) is a quadratic in time: crossings are solved exactly.
//! A gap in either trail is unknown: episodes never span it.

use crate::error::Error;
use crate::geodesy::{distance_m, metres_per_degree};
use crate::store::TrailStore;
use crate::time::{from_us, Window};

/// An interval when two subjects were within the distance.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProximityEpisode {
    /// Start, UTC µs.
    pub start_us: i64,
    /// End, UTC µs.
    pub end_us: i64,
    /// Closest separation in the episode, metres.
    pub min_distance_m: f64,
    /// When it happened, UTC µs.
    pub closest_time_us: i64,
}

impl ProximityEpisode {
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        (self.end_us - self.start_us) as f64 / 1e6
    }
    /// Start.
    pub fn start(&self) -> jiff::Timestamp {
        from_us(self.start_us)
    }
}

/// Episodes when `subject_a` and `subject_b` were within `distance_m` metres
/// during `window`, both positions interpolated (no interpolation across gaps
/// longer than `max_gap_s`).
///
/// # Errors
/// [`Error::UnknownSubject`] for either subject; [`Error::Option`] for a
/// distance that is not a finite number of metres in 0..=20,000 km.
pub fn proximity(
    store: &TrailStore,
    subject_a: &str,
    subject_b: &str,
    distance_m_max: f64,
    window: Window,
) -> Result<Vec<ProximityEpisode>, Error> {
    crate::options::metres("distance_m", distance_m_max)?;
    let ta = store.trail_of(subject_a)?;
    let tb = store.trail_of(subject_b)?;
    let g = store.max_gap_s();
    let mut out: Vec<ProximityEpisode> = Vec::new();
    if window.is_empty() || ta.is_empty() || tb.is_empty() {
        return Ok(out);
    }
    // The union of fix times inside the overlap of both trails and the window.
    let lo = window.start_us.max(ta.times_us()[0]).max(tb.times_us()[0]);
    let hi = (window.end_us - 1)
        .min(ta.times_us()[ta.len() - 1])
        .min(tb.times_us()[tb.len() - 1]);
    if lo > hi {
        return Ok(out);
    }
    let mut times: Vec<i64> = Vec::new();
    times.push(lo);
    for t in [ta, tb] {
        let r = t.range(Window::from_us(lo, hi.saturating_add(1)));
        times.extend_from_slice(&t.times_us()[r]);
    }
    times.push(hi);
    times.sort_unstable();
    times.dedup();
    let (ky, kx) = metres_per_degree(ta.lats()[0]);
    let mut open: Option<ProximityEpisode> = None;
    let close = |open: &mut Option<ProximityEpisode>, out: &mut Vec<ProximityEpisode>| {
        if let Some(e) = open.take() {
            out.push(e);
        }
    };
    let pos = |t: i64| Some((ta.position_at(t, g)?, tb.position_at(t, g)?));
    for w in times.windows(2) {
        let (t0, t1) = (w[0], w[1]);
        // Both must be interpolable across the whole step (no gap in between):
        // check at the middle, which is inside the same pair of segments.
        let mid = t0 + (t1 - t0) / 2;
        let (Some((a0, b0)), Some((a1, b1)), Some(_)) = (pos(t0), pos(t1), pos(mid)) else {
            close(&mut open, &mut out);
            continue;
        };
        // Separation vector in metres, linear in s ∈ [0, 1].
        let r0 = ((b0.0 - a0.0) * kx, (b0.1 - a0.1) * ky);
        let r1 = ((b1.0 - a1.0) * kx, (b1.1 - a1.1) * ky);
        let d = (r1.0 - r0.0, r1.1 - r0.1);
        let qa = d.0 * d.0 + d.1 * d.1;
        let half_b = r0.0 * d.0 + r0.1 * d.1;
        let c = r0.0 * r0.0 + r0.1 * r0.1 - distance_m_max * distance_m_max;
        let (s0, s1) = if qa == 0.0 {
            if c <= 0.0 {
                (0.0, 1.0)
            } else {
                (1.0, 0.0)
            }
        } else {
            let disc = half_b * half_b - qa * c;
            if disc < 0.0 {
                (1.0, 0.0)
            } else {
                let sq = disc.sqrt();
                (((-half_b - sq) / qa).max(0.0), ((-half_b + sq) / qa).min(1.0))
            }
        };
        if s0 > s1 {
            close(&mut open, &mut out);
            continue;
        }
        let dt = (t1 - t0) as f64;
        let (ea, eb) = (t0 + (s0 * dt).round() as i64, t0 + (s1 * dt).round() as i64);
        // Closest approach in this step, measured exactly on the ellipsoid.
        let sc = if qa > 0.0 { (-half_b / qa).clamp(s0, s1) } else { s0 };
        let tc = t0 + (sc * dt).round() as i64;
        let (pa, pb) = pos(tc).unwrap_or((a0, b0));
        let dc = distance_m(pa, pb);
        match open.as_mut() {
            Some(e) if e.end_us >= ea => {
                e.end_us = e.end_us.max(eb);
                if dc < e.min_distance_m {
                    e.min_distance_m = dc;
                    e.closest_time_us = tc;
                }
            }
            _ => {
                close(&mut open, &mut out);
                open = Some(ProximityEpisode {
                    start_us: ea,
                    end_us: eb,
                    min_distance_m: dc,
                    closest_time_us: tc,
                });
            }
        }
        if s1 < 1.0 {
            close(&mut open, &mut out);
        }
    }
    close(&mut open, &mut out);
    Ok(out)
}
