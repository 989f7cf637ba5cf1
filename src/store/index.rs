//! The (lon, lat, t) R-tree over runs of consecutive fixes.
//!
//! Each trail is cut into runs of at most [`RUN_LEN`] segments (fewer when
//! the subject moves far, see [`RUN_EXTENT_DEG`]); consecutive
//! runs share their boundary fix, so every segment (fix `i` to fix `i + 1`)
//! belongs to exactly one run. A run's envelope is the 3-D box of its fixes in
//! (longitude °, latitude °, seconds since the epoch). Runs rather than single
//! segments keep the index under 2 bytes per fix; queries refine to segments.

use rstar::{RTreeObject, AABB};

use super::TrailStore;
use crate::geodesy::metres_per_degree;
use crate::time::Window;
use crate::trail::Trail;

/// Most segments per indexed run.
pub const RUN_LEN: usize = 64;

/// Largest extent of a run's box in degrees (about 0.7–1.1 km); a run is cut
/// before it grows beyond this (but always holds at least one segment).
pub const RUN_EXTENT_DEG: f64 = 0.01;

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
            // Up to RUN_LEN segments, cut early when the run's box would grow
            // beyond RUN_EXTENT_DEG, so trips do not make boxes that every
            // query near their path has to open.
            let (mut x0, mut x1, mut y0, mut y1) = (t.lon[first], t.lon[first], t.lat[first], t.lat[first]);
            let mut last = first;
            while last < n - 1 && last - first < RUN_LEN {
                let (x, y) = (t.lon[last + 1], t.lat[last + 1]);
                let (nx0, nx1, ny0, ny1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
                if last > first && (nx1 - nx0 > RUN_EXTENT_DEG || ny1 - ny0 > RUN_EXTENT_DEG) {
                    break;
                }
                (x0, x1, y0, y1) = (nx0, nx1, ny0, ny1);
                last += 1;
            }
            // Grow the box by the run's largest accuracy radius, so queries
            // for "within r metres plus accuracy" need only expand by r.
            let acc = (first..=last).filter_map(|i| t.accuracy_m(i)).fold(0.0f32, f32::max) as f64;
            let (ky, kx) = metres_per_degree(y0.abs().max(y1.abs()).min(89.0).copysign(y0));
            let (ax, ay) = (acc / kx * 1.01, acc / ky * 1.01);
            runs.push(SegmentRun {
                subject: s as u32,
                first: first as u32,
                last: last as u32,
                envelope: AABB::from_corners(
                    [x0 - ax, y0 - ay, secs(t.t_us[first])],
                    [x1 + ax, y1 + ay, secs(t.t_us[last])],
                ),
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
    /// Every trail segment that may come within `radius_m` metres plus its
    /// fixes' accuracy (the larger of its two ends) of the box
    /// `[min_lon, min_lat, max_lon, max_lat]` during `window`: its
    /// accuracy-and-radius-grown box meets the query box. The candidate set of
    /// near queries. In (subject, index) order.
    pub fn segments_within_reach(&self, bbox: [f64; 4], radius_m: f64, window: Window) -> Vec<SegmentRef> {
        let mut out = Vec::new();
        if window.is_empty() {
            return out;
        }
        let lat_ref = bbox[1].abs().max(bbox[3].abs()).min(89.0);
        let (ky, kx) = metres_per_degree(lat_ref);
        let (rx, ry) = (radius_m / kx * 1.01, radius_m / ky * 1.01);
        let q = AABB::from_corners(
            [bbox[0] - rx, bbox[1] - ry, secs(window.start_us) - 1e-6],
            [bbox[2] + rx, bbox[3] + ry, secs(window.end_us) + 1e-6],
        );
        for run in self.index().locate_in_envelope_intersecting(&q) {
            let trail = self.trail_at(run.subject());
            let n = trail.len();
            let segs = if n == 1 {
                0..1
            } else {
                run.first as usize..run.last as usize
            };
            for i in segs {
                let j = (i + 1).min(n - 1);
                let acc = trail
                    .accuracy_m(i)
                    .unwrap_or(0.0)
                    .max(trail.accuracy_m(j).unwrap_or(0.0)) as f64;
                let (ax, ay) = (rx + acc / kx * 1.01, ry + acc / ky * 1.01);
                let rect = [bbox[0] - ax, bbox[2] + ax, bbox[1] - ay, bbox[3] + ay];
                if segment_meets(trail, i, rect, window) {
                    out.push(SegmentRef {
                        subject: run.subject(),
                        index: i,
                        single: n == 1,
                    });
                }
            }
        }
        out.sort_unstable();
        out
    }

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
