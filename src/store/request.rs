//! Trail requests: one subject's fixes in a half-open window, the gaps inside
//! it, and optional simplification with a tolerance in metres.

use std::ops::Range;

use geo::{LineString, SimplifyIdx};

use super::TrailStore;
use crate::error::Error;
use crate::time::Window;
use crate::trail::{FixRef, Gap, Trail};

/// Mean Earth radius (IUGG), metres, for local projections.
pub(crate) const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The answer to a trail request: the fixes with `start <= t < end` in time
/// order (all of them, or the ones simplification kept), plus the gaps.
#[derive(Debug, Clone)]
pub struct TrailRequest<'a> {
    subject: &'a str,
    trail: &'a Trail,
    window: Window,
    range: Range<usize>,
    /// Indices kept by simplification (absolute, ascending); `None` = all.
    kept: Option<Vec<usize>>,
    gaps: Vec<Gap>,
    max_gap_s: f64,
}

impl TrailStore {
    /// A trail request: `subject`'s fixes with `start <= t < end`, in time
    /// order, and the gaps longer than `max_gap_s` inside the window.
    ///
    /// # Errors
    /// [`Error::UnknownSubject`] when the store has no fix of `subject`. An
    /// empty window, or one outside the data, is an empty answer, not an error.
    ///
    /// # Example
    /// ```
    /// use trailfence::{parse_time, Fix, TrailStore, Window};
    /// let mut b = TrailStore::builder();
    /// for (t, lon) in [("2024-01-01T10:00:00Z", -0.1), ("2024-01-01T10:01:00Z", -0.099)] {
    ///     b.push(&Fix { subject: "S1".into(), time: parse_time(t, None)?, lon, lat: 51.5, accuracy_m: Some(8.0) })?;
    /// }
    /// let store = b.build();
    /// let w = Window::new(parse_time("2024-01-01T10:00:30Z", None)?, parse_time("2024-01-01T11:00:00Z", None)?)?;
    /// let answer = store.trail("S1", w)?;
    /// assert_eq!(answer.len(), 1);
    /// assert_eq!(answer.gaps().len(), 1); // no data after 10:01
    /// # Ok::<(), trailfence::Error>(())
    /// ```
    pub fn trail(&self, subject: &str, window: Window) -> Result<TrailRequest<'_>, Error> {
        let i = self
            .subject_index(subject)
            .ok_or_else(|| Error::UnknownSubject(subject.to_string()))?;
        let trail = self.trail_at(i);
        let range = trail.range(window);
        let mut gaps = Vec::new();
        trail.gaps_in(window, range.clone(), self.max_gap_s(), &mut gaps);
        Ok(TrailRequest {
            subject: &self.subjects()[i],
            trail,
            window,
            range,
            kept: None,
            gaps,
            max_gap_s: self.max_gap_s(),
        })
    }
}

impl<'a> TrailRequest<'a> {
    /// Keeps only the fixes needed to stay within `tolerance_m` metres of the
    /// full trail (Ramer–Douglas–Peucker in a local equirectangular projection,
    /// applied to each continuous part separately, so the first and last fix
    /// of every part are always kept).
    ///
    /// # Errors
    /// [`Error::Option`] unless `tolerance_m` is a finite number of metres in
    /// 0..=20,000 km.
    pub fn simplify(mut self, tolerance_m: f64) -> Result<Self, Error> {
        crate::options::metres("tolerance_m", tolerance_m)?;
        let t = self.trail;
        let mut kept = Vec::new();
        for part in self.parts() {
            if part.len() <= 2 {
                kept.extend(part);
                continue;
            }
            let lat0 = t.lat[part.start].to_radians();
            let kx = EARTH_RADIUS_M * lat0.cos().max(1e-6) * std::f64::consts::PI / 180.0;
            let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
            let line: LineString<f64> = part
                .clone()
                .map(|i| ((t.lon[i] - t.lon[part.start]) * kx, (t.lat[i] - t.lat[part.start]) * ky))
                .collect::<Vec<_>>()
                .into();
            kept.extend(line.simplify_idx(tolerance_m).into_iter().map(|k| part.start + k));
        }
        self.kept = Some(kept);
        Ok(self)
    }

    /// The subject.
    pub fn subject(&self) -> &'a str {
        self.subject
    }

    /// The requested window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Number of fixes in the answer.
    pub fn len(&self) -> usize {
        self.kept.as_ref().map_or(self.range.len(), Vec::len)
    }

    /// Whether the answer holds no fix.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fixes of the answer, in time order.
    pub fn fixes(&self) -> impl Iterator<Item = FixRef> + '_ {
        let (a, b) = match &self.kept {
            None => (Some(self.range.clone()), None),
            Some(k) => (None, Some(k.iter().copied())),
        };
        a.into_iter()
            .flatten()
            .chain(b.into_iter().flatten())
            .map(|i| self.trail.fix(i))
    }

    /// The index range of the window's fixes in the subject's trail.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// The trail the answer is a window of.
    pub fn trail(&self) -> &'a Trail {
        self.trail
    }

    /// Spans without data inside the window (see [`Trail::gaps`]).
    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    /// The window's fixes split into continuous parts: maximal runs whose
    /// consecutive fixes are at most `max_gap_s` apart (index ranges into the
    /// trail, before simplification).
    pub fn parts(&self) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let r = self.range.clone();
        if r.is_empty() {
            return out;
        }
        let mut s = r.start;
        for i in r.start..r.end - 1 {
            if !self.trail.is_continuous(i, self.max_gap_s) {
                out.push(s..i + 1);
                s = i + 1;
            }
        }
        out.push(s..r.end);
        out
    }

    /// The answer's fixes grouped by continuous part (after simplification).
    pub fn part_fixes(&self) -> Vec<Vec<FixRef>> {
        let parts = self.parts();
        let mut out: Vec<Vec<FixRef>> = parts.iter().map(|_| Vec::new()).collect();
        let mut p = 0;
        for f in self.fixes() {
            while p + 1 < parts.len() && f.index >= parts[p].end {
                p += 1;
            }
            out[p].push(f);
        }
        out
    }
}
