//! The (lon, lat, t) R-tree over runs of consecutive fixes.
//!
//! Each trail is cut into runs of at most [`RUN_LEN`] segments; consecutive
//! runs share their boundary fix, so every segment (fix `i` to fix `i + 1`)
//! belongs to exactly one run. A run's envelope is the 3-D box of its fixes in
//! (longitude °, latitude °, seconds since the epoch). Runs rather than single
//! segments keep the index under 2 bytes per fix; queries refine to segments.

use rstar::{RTreeObject, AABB};

use super::TrailStore;
use crate::time::Window;
use crate::trail::Trail;

/// Segments per indexed run.
pub const RUN_LEN: usize = 64;

/// A run of consecutive fixes of one subject, as stored in the R-tree.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRun {
    subject: u32,
    first: u32,
    last: u32,
    envelope: AABB<[f64; 3]>,
}

impl SegmentRun {
    /// The subject number (see [`TrailStore::subject_index`]).
    pub fn subject(&self) -> usize {
        self.subject as usize
    }
    /// Indices of the run's first and last fix (inclusive).
    pub fn fixes(&self) -> std::ops::RangeInclusive<usize> {
        self.first as usize..=self.last as usize
    }
}

impl RTreeObject for SegmentRun {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// One trail segment found by a query: fixes `index` and `index + 1` of a
/// subject's trail (for a one-fix trail, the fix itself: `index == 0`,
/// `single == true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentRef {
    /// Subject number.
    pub subject: usize,
    /// Index of the segment's first fix.
    pub index: usize,
    /// The trail has a single fix; the "segment" is that fix.
    pub single: bool,
}

#[inline]
fn secs(t_us: i64) -> f64 {
    t_us as f64 / 1e6
}

pub(crate) fn build_runs(trails: &[Trail]) -> Vec<SegmentRun> {
    let mut runs = Vec::with_capacity(trails.iter().map(|t| t.len() / RUN_LEN + 1).sum());
    for (s, t) in trails.iter().enumerate() {
        let n = t.len();
        if n == 0 {
            continue;
        }
        let mut first = 0;
        loop {
            let last = (first + RUN_LEN).min(n - 1);
            let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
            for i in first..=last {
                x0 = x0.min(t.lon[i]);
                x1 = x1.max(t.lon[i]);
                y0 = y0.min(t.lat[i]);
                y1 = y1.max(t.lat[i]);
            }
            runs.push(SegmentRun {
                subject: s as u32,
                first: first as u32,
                last: last as u32,
                envelope: AABB::from_corners([x0, y0, secs(t.t_us[first])], [x1, y1, secs(t.t_us[last])]),
            });
            if last >= n - 1 {
                break;
            }
            first = last;
        }
    }
    runs
}

/// Whether segment `i` of `trail` (fixes i and i+1, or the single fix) has a
/// (lon, lat, t) box meeting the query box `[x0, x1] × [y0, y1] × [start, end)`.
#[inline]
pub(crate) fn segment_meets(trail: &Trail, i: usize, rect: [f64; 4], window: Window) -> bool {
    let j = (i + 1).min(trail.len() - 1);
    let (t0, t1) = (trail.t_us[i], trail.t_us[j]);
    if t0 >= window.end_us || t1 < window.start_us {
        return false;
    }
    let (a, b) = (trail.lon[i], trail.lon[j]);
    let (c, d) = (trail.lat[i], trail.lat[j]);
    a.min(b) <= rect[1] && a.max(b) >= rect[0] && c.min(d) <= rect[3] && c.max(d) >= rect[2]
}

impl TrailStore {
    /// Every trail segment whose (lon, lat, t) bounding box meets the box
    /// `lon ∈ [min_lon, max_lon]`, `lat ∈ [min_lat, max_lat]`, `t ∈ [start, end)`,
    /// in (subject, index) order. This is the candidate set spatial queries
    /// refine; segments across gaps longer than `max_gap_s` are included (their
    /// fixes are data) and callers must not interpolate them.
    ///
    /// Coordinates in degrees.
    pub fn segments_meeting(
        &self,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
        window: Window,
    ) -> Vec<SegmentRef> {
        let mut out = Vec::new();
        if window.is_empty() {
            return out;
        }
        let rect = [min_lon, max_lon, min_lat, max_lat];
        let q = AABB::from_corners(
            [min_lon, min_lat, secs(window.start_us) - 1e-6],
            [max_lon, max_lat, secs(window.end_us) + 1e-6],
        );
        for run in self.index().locate_in_envelope_intersecting(&q) {
            let trail = self.trail_at(run.subject());
            if trail.len() == 1 {
                if segment_meets(trail, 0, rect, window) {
                    out.push(SegmentRef {
                        subject: run.subject(),
                        index: 0,
                        single: true,
                    });
                }
                continue;
            }
            for i in run.first as usize..run.last as usize {
                if segment_meets(trail, i, rect, window) {
                    out.push(SegmentRef {
                        subject: run.subject(),
                        index: i,
                        single: false,
                    });
                }
            }
        }
        out.sort_unstable();
        out
    }
}
