//! A subject's trail: fixes stored column-wise, strictly increasing in time.
//!
//! A [`Trail`] owns four parallel columns (time in UTC microseconds,
//! longitude, latitude, accuracy) and answers position and range questions
//! with binary search. Between consecutive fixes at most `max_gap_s` apart the
//! position is linear in lon/lat; a longer gap is unknown and is never
//! interpolated (see DESIGN.md).

use std::ops::Range;

use jiff::Timestamp;

use crate::time::{from_us, Window};

/// The default longest interval between consecutive fixes that is still
/// interpolated, in seconds.
pub const DEFAULT_MAX_GAP_S: f64 = 600.0;

/// One subject's fixes, column-wise and strictly increasing in time.
///
/// Memory: 28 bytes per fix (i64 time, two f64 coordinates, f32 accuracy).
#[derive(Debug, Clone, Default)]
pub struct Trail {
    pub(crate) t_us: Vec<i64>,
    pub(crate) lon: Vec<f64>,
    pub(crate) lat: Vec<f64>,
    /// Accuracy in metres; NaN means "not reported".
    pub(crate) acc: Vec<f32>,
    /// Indices `i` whose interval to fix `i + 1` exceeds `breaks_gap_s`
    /// (precomputed by the store so gap lookup is a binary search).
    pub(crate) breaks: Vec<u32>,
    /// The `max_gap_s` `breaks` was computed for; NaN when not computed.
    pub(crate) breaks_gap_s: f64,
}

/// A borrowed fix of a trail.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixRef {
    /// Index of the fix in its trail.
    pub index: usize,
    /// UTC microseconds since the epoch.
    pub t_us: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Horizontal accuracy radius in metres, if reported. Stored at f32
    /// precision (about 7 significant digits; GPS accuracy is never better
    /// than centimetres), so it prints as it was read (`11.8`, not `11.80000019`).
    pub accuracy_m: Option<f32>,
}

impl FixRef {
    /// The fix's time as a timestamp.
    pub fn time(&self) -> Timestamp {
        from_us(self.t_us)
    }
}

/// A span without data: consecutive fixes more than `max_gap_s` apart, or the
/// time before the first / after the last fix, clipped to a query window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Start of the unknown span inside the window (UTC µs).
    pub start_us: i64,
    /// End of the unknown span inside the window (UTC µs, exclusive).
    pub end_us: i64,
    /// Time of the last fix before the gap, if there is one.
    pub last_fix_before_us: Option<i64>,
    /// Time of the first fix after the gap, if there is one.
    pub first_fix_after_us: Option<i64>,
}

impl Gap {
    /// Start of the gap inside the window.
    pub fn start(&self) -> Timestamp {
        from_us(self.start_us)
    }
    /// End of the gap inside the window (exclusive).
    pub fn end(&self) -> Timestamp {
        from_us(self.end_us)
    }
    /// Length of the gap inside the window, seconds.
    pub fn duration_s(&self) -> f64 {
        (self.end_us - self.start_us) as f64 / 1e6
    }
}

impl PartialEq for Trail {
    /// Column-wise equality; an unreported accuracy equals an unreported one.
    fn eq(&self, other: &Self) -> bool {
        self.t_us == other.t_us
            && self.lon == other.lon
            && self.lat == other.lat
            && self.acc.len() == other.acc.len()
            && self
                .acc
                .iter()
                .zip(&other.acc)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
    }
}

impl Trail {
    /// Builds a trail from columns that are already strictly increasing in time.
    /// Returns `None` if the columns differ in length or times are not strictly
    /// increasing.
    pub fn from_sorted_columns(t_us: Vec<i64>, lon: Vec<f64>, lat: Vec<f64>, acc: Vec<f32>) -> Option<Trail> {
        let n = t_us.len();
        if lon.len() != n || lat.len() != n || acc.len() != n {
            return None;
        }
        if t_us.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        Some(Trail {
            t_us,
            lon,
            lat,
            acc,
            breaks: Vec::new(),
            breaks_gap_s: f64::NAN,
        })
    }

    /// Builds a trail from its columns (assumed strictly increasing) and
    /// indexes its gaps for `max_gap_s`.
    pub(crate) fn from_parts(t_us: Vec<i64>, lon: Vec<f64>, lat: Vec<f64>, acc: Vec<f32>, max_gap_s: f64) -> Trail {
        let limit = max_gap_s * 1e6;
        let breaks = t_us
            .windows(2)
            .enumerate()
            .filter(|(_, w)| (w[1] - w[0]) as f64 > limit)
            .map(|(i, _)| i as u32)
            .collect();
        Trail {
            t_us,
            lon,
            lat,
            acc,
            breaks,
            breaks_gap_s: max_gap_s,
        }
    }

    /// Number of fixes.
    pub fn len(&self) -> usize {
        self.t_us.len()
    }

    /// Whether the trail has no fix.
    pub fn is_empty(&self) -> bool {
        self.t_us.is_empty()
    }

    /// Fix times, UTC microseconds, strictly increasing.
    pub fn times_us(&self) -> &[i64] {
        &self.t_us
    }

    /// Longitudes, degrees.
    pub fn lons(&self) -> &[f64] {
        &self.lon
    }

    /// Latitudes, degrees.
    pub fn lats(&self) -> &[f64] {
        &self.lat
    }

    /// Accuracy radius of fix `i` in metres, if reported (f32 precision).
    #[inline]
    pub fn accuracy_m(&self, i: usize) -> Option<f32> {
        let a = self.acc[i];
        if a.is_nan() {
            None
        } else {
            Some(a)
        }
    }

    /// Accuracy of fix `i` as an f64 with the decimal value it was read with
    /// (7 significant digits: `11.8`, not `11.800000190734863`), if reported.
    #[inline]
    pub fn accuracy_m_f64(&self, i: usize) -> Option<f64> {
        self.accuracy_m(i).map(|a| {
            let v = a as f64;
            if v == 0.0 {
                return 0.0;
            }
            let m = 10f64.powi(6 - v.abs().log10().floor() as i32);
            (v * m).round() / m
        })
    }

    /// Fix `i`.
    #[inline]
    pub fn fix(&self, i: usize) -> FixRef {
        FixRef {
            index: i,
            t_us: self.t_us[i],
            lon: self.lon[i],
            lat: self.lat[i],
            accuracy_m: self.accuracy_m(i),
        }
    }

    /// The index range of fixes with `start <= t < end`.
    ///
    /// Fixes come at a roughly steady rate, so the search first guesses the
    /// index by interpolating on time, then gallops from the guess and
    /// finishes with a binary search: a few cache lines touched on a year-long
    /// trail, and never worse than O(log n).
    #[inline]
    pub fn range(&self, window: Window) -> Range<usize> {
        let a = lower_bound(&self.t_us, window.start_us);
        let b = a + lower_bound(&self.t_us[a..], window.end_us);
        a..b
    }

    /// Whether fixes `i` and `i + 1` are close enough in time to interpolate.
    #[inline]
    pub fn is_continuous(&self, i: usize, max_gap_s: f64) -> bool {
        ((self.t_us[i + 1] - self.t_us[i]) as f64) <= max_gap_s * 1e6
    }

    /// The interpolated position (lon, lat) at `t_us`, or `None` when `t_us` is
    /// before the first fix, after the last, or inside a gap longer than
    /// `max_gap_s`. At a fix's own time the fix's position is returned exactly.
    pub fn position_at(&self, t_us: i64, max_gap_s: f64) -> Option<(f64, f64)> {
        let i = self.t_us.partition_point(|&t| t <= t_us);
        if i == 0 {
            return None;
        }
        let i = i - 1;
        if self.t_us[i] == t_us {
            return Some((self.lon[i], self.lat[i]));
        }
        if i + 1 >= self.len() || !self.is_continuous(i, max_gap_s) {
            return None;
        }
        let f = (t_us - self.t_us[i]) as f64 / (self.t_us[i + 1] - self.t_us[i]) as f64;
        Some((
            self.lon[i] + f * (self.lon[i + 1] - self.lon[i]),
            self.lat[i] + f * (self.lat[i + 1] - self.lat[i]),
        ))
    }

    /// Spans without data inside `window`: consecutive fixes more than
    /// `max_gap_s` apart, and the time before the first fix or after the last
    /// one, each clipped to the window. Empty window → no gaps. A gap is the
    /// open interval between its bounding fixes (the fixes themselves are
    /// data), reported as `[start_us, end_us)`.
    pub fn gaps(&self, window: Window, max_gap_s: f64) -> Vec<Gap> {
        let mut out = Vec::new();
        let r = self.range(window);
        self.gaps_in(window, r, max_gap_s, &mut out);
        out
    }

    /// [`Trail::gaps`] with the window's fix range already known.
    pub(crate) fn gaps_in(&self, window: Window, r: Range<usize>, max_gap_s: f64, out: &mut Vec<Gap>) {
        let n = self.len();
        if window.is_empty() {
            return;
        }
        if n == 0 {
            out.push(Gap {
                start_us: window.start_us,
                end_us: window.end_us,
                last_fix_before_us: None,
                first_fix_after_us: None,
            });
            return;
        }
        // The fix at or before the window start (the interval it opens may reach in).
        let first = r.start.saturating_sub(1);
        if self.t_us[0] > window.start_us {
            out.push(Gap {
                start_us: window.start_us,
                end_us: self.t_us[0].min(window.end_us),
                last_fix_before_us: None,
                first_fix_after_us: Some(self.t_us[0]),
            });
        }
        let last = r.end.min(n - 1);
        let scanned: Vec<u32>;
        let breaks: &[u32] = if self.breaks_gap_s == max_gap_s {
            let a = self.breaks.partition_point(|&b| (b as usize) < first);
            let b = self.breaks.partition_point(|&b| (b as usize) < last);
            &self.breaks[a..b]
        } else {
            scanned = (first..last)
                .filter(|&i| !self.is_continuous(i, max_gap_s))
                .map(|i| i as u32)
                .collect();
            &scanned
        };
        for &i in breaks {
            let i = i as usize;
            if self.t_us[i + 1] <= window.start_us {
                continue;
            }
            {
                let s = self.t_us[i].max(window.start_us);
                let e = self.t_us[i + 1].min(window.end_us);
                if s < e {
                    out.push(Gap {
                        start_us: s,
                        end_us: e,
                        last_fix_before_us: Some(self.t_us[i]),
                        first_fix_after_us: Some(self.t_us[i + 1]),
                    });
                }
            }
        }
        let t_last = self.t_us[n - 1];
        if t_last < window.end_us {
            let s = t_last.max(window.start_us);
            if s < window.end_us {
                out.push(Gap {
                    start_us: s,
                    end_us: window.end_us,
                    last_fix_before_us: Some(t_last),
                    first_fix_after_us: None,
                });
            }
        }
    }

    /// Heap bytes used by the columns (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        self.t_us.capacity() * 8 + self.lon.capacity() * 8 + self.lat.capacity() * 8 + self.acc.capacity() * 4
    }
}

/// The first index whose time is `>= x` in a strictly increasing slice.
#[inline]
pub(crate) fn lower_bound(t: &[i64], x: i64) -> usize {
    let n = t.len();
    if n < 16 {
        return t.partition_point(|&v| v < x);
    }
    let (t0, tn) = (t[0], t[n - 1]);
    if x <= t0 {
        return 0;
    }
    if x > tn {
        return n;
    }
    // Interpolated guess, then gallop outwards until x is bracketed.
    let guess = (((x - t0) as f64 / (tn - t0) as f64) * (n - 1) as f64) as usize;
    let g = guess.min(n - 1);
    let (mut lo, mut hi);
    if t[g] < x {
        // answer in (g, n]
        lo = g;
        let mut step = 1;
        hi = g + step;
        while hi < n && t[hi] < x {
            lo = hi;
            step *= 2;
            hi = g + step;
        }
        hi = hi.min(n);
    } else {
        // answer in [0, g]
        hi = g;
        let mut step = 1;
        lo = g.saturating_sub(step);
        while lo > 0 && t[lo] >= x {
            hi = lo;
            step *= 2;
            lo = g.saturating_sub(step);
        }
    }
    // Invariant: t[lo] < x (or lo == 0), and hi == n or t[hi] >= x.
    lo + t[lo..hi].partition_point(|&v| v < x)
}

#[cfg(test)]
#[path = "trail_tests.rs"]
mod tests;
