//! Crime-scene correlation: who came within a radius of a place or area during
//! a window, how close, for how long — and who is ruled out.
//!
//! Distances are in metres on the WGS84 ellipsoid ([`crate::geodesy`]),
//! measured along the interpolated trail (between fixes at most `max_gap_s`
//! apart), not only at fixes, so a person passing between two one-minute
//! fixes is found. Candidates come from the store's (lon, lat, t) R-tree.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::error::{Error, Location, RecordError};
use crate::fix::validate_position;
use crate::geodesy::{distance_m, metres_per_degree};
use crate::options;
use crate::store::TrailStore;
use crate::time::{from_us, Window};
use crate::trail::Trail;
use crate::zone::{Circle, PreparedPolygon};

/// What a near query measures distance to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A point (lon, lat degrees).
    Point(f64, f64),
    /// An area; inside counts as distance 0.
    Area(PreparedPolygon),
}

impl Target {
    fn bbox(&self) -> [f64; 4] {
        match self {
            Target::Point(x, y) => [*x, *y, *x, *y],
            Target::Area(p) => p.bbox(),
        }
    }

    fn centre_lat(&self) -> f64 {
        let b = self.bbox();
        0.5 * (b[1] + b[3])
    }

    /// Distance in metres from (lon, lat).
    pub fn distance_m(&self, lon: f64, lat: f64) -> f64 {
        match self {
            Target::Point(x, y) => distance_m((*x, *y), (lon, lat)),
            Target::Area(p) => {
                if p.covers(lon, lat) {
                    0.0
                } else {
                    p.boundary_distance_m(lon, lat)
                }
            }
        }
    }

    /// Closed sub-intervals of s ∈ [0, 1] where a + s (b − a) is within `r` metres.
    fn within(&self, a: (f64, f64), b: (f64, f64), r: f64, out: &mut Vec<(f64, f64)>) {
        match self {
            Target::Point(x, y) => Circle::new(*x, *y, r).covered_intervals(a, b, out),
            Target::Area(p) => p.within_intervals(a, b, r, out),
        }
    }

    /// (s, metres) of the closest approach on the segment a → b.
    fn closest(&self, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
        let at = |s: f64| (a.0 + s * (b.0 - a.0), a.1 + s * (b.1 - a.1));
        match self {
            Target::Point(x, y) => {
                // Closed form in a local plane at the target, then the exact distance there.
                let (ky, kx) = metres_per_degree(*y);
                let (ax, ay) = ((a.0 - x) * kx, (a.1 - y) * ky);
                let (dx, dy) = ((b.0 - a.0) * kx, (b.1 - a.1) * ky);
                let dd = dx * dx + dy * dy;
                let s = if dd > 0.0 {
                    (-(ax * dx + ay * dy) / dd).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let p = at(s);
                (s, distance_m((*x, *y), p))
            }
            Target::Area(poly) => {
                let mut inside = Vec::new();
                poly.covered_intervals(a, b, &mut inside);
                if let Some(&(s, _)) = inside.first() {
                    return (s, 0.0);
                }
                // Distance to the area is the minimum over its edges of convex functions.
                let mut best = (0.0, self.distance_m(a.0, a.1));
                let db = self.distance_m(b.0, b.1);
                if db < best.1 {
                    best = (1.0, db);
                }
                let g = 0.5 * (5f64.sqrt() - 1.0);
                let f = |s: f64| {
                    let p = at(s);
                    poly.boundary_distance_m(p.0, p.1)
                };
                let (mut lo, mut hi) = (0.0f64, 1.0f64);
                for _ in 0..60 {
                    let (m1, m2) = (hi - g * (hi - lo), lo + g * (hi - lo));
                    if f(m1) < f(m2) {
                        hi = m2;
                    } else {
                        lo = m1;
                    }
                }
                let s = 0.5 * (lo + hi);
                let d = f(s);
                if d < best.1 {
                    best = (s, d);
                }
                best
            }
        }
    }
}

/// How a subject relates to a near query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interpolated position came within the radius.
    Hit,
    /// Within the radius plus the fixes' accuracy, not within the radius.
    Possible,
    /// Data covers the whole window (no gap longer than `max_gap_s`) and never
    /// came within the radius plus accuracy.
    RuledOut,
    /// A gap or no fixes in the window: cannot be ruled out.
    NoData,
}

impl Verdict {
    /// `hit`, `possible`, `ruled_out` or `no_data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Hit => "hit",
            Verdict::Possible => "possible",
            Verdict::RuledOut => "ruled_out",
            Verdict::NoData => "no_data",
        }
    }
}

/// One subject's answer to a near query.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NearRow {
    /// The subject.
    pub subject: String,
    /// Closest approach along the interpolated trail in the window, metres
    /// (NaN when there is no data in the window).
    pub min_distance_m: f64,
    /// When the closest approach happened, UTC µs.
    pub closest_time_us: Option<i64>,
    /// First instant within the radius, UTC µs.
    pub first_time_us: Option<i64>,
    /// Last instant within the radius, UTC µs.
    pub last_time_us: Option<i64>,
    /// Seconds within the radius.
    pub seconds_within: f64,
    /// Fixes within the radius.
    pub fixes_within: u32,
    /// The verdict.
    pub verdict: Verdict,
}

impl NearRow {
    /// Closest approach time.
    pub fn closest_time(&self) -> Option<jiff::Timestamp> {
        self.closest_time_us.map(from_us)
    }
}

/// A query prepared once: the target, its radius circle and local scales.
#[derive(Clone)]
struct Query<'a> {
    target: &'a Target,
    circle: Option<Circle>,
    kx: f64,
    ky: f64,
    /// Frame distances above this (radius + largest accuracy, plus margin)
    /// cannot matter for hits or possibles.
    reach_m: f64,
}

impl Query<'_> {
    fn within(&self, a: (f64, f64), b: (f64, f64), r: f64, out: &mut Vec<(f64, f64)>) {
        match &self.circle {
            Some(c) => c.covered_intervals(a, b, out),
            None => self.target.within(a, b, r, out),
        }
    }

    /// A lower bound on the distance in metres from the target's box to the
    /// segment's box (0 when they overlap).
    fn box_gap_m(&self, a: (f64, f64), b: (f64, f64)) -> f64 {
        let t = self.target.bbox();
        let gx = (a.0.min(b.0) - t[2]).max(t[0] - a.0.max(b.0)).max(0.0) * self.kx;
        let gy = (a.1.min(b.1) - t[3]).max(t[1] - a.1.max(b.1)).max(0.0) * self.ky;
        (gx * gx + gy * gy).sqrt() * 0.99
    }
}

/// Evaluates one subject against a target. Returns `None` when the subject
/// was never within `radius_m + accuracy`.
fn evaluate(
    trail: &Trail,
    subject: &str,
    q: &Query<'_>,
    radius_m: f64,
    window: Window,
    max_gap_s: f64,
    segments: &[usize],
) -> Option<NearRow> {
    let target = q.target;
    let mut row = NearRow {
        subject: subject.to_string(),
        min_distance_m: f64::INFINITY,
        closest_time_us: None,
        first_time_us: None,
        last_time_us: None,
        seconds_within: 0.0,
        fixes_within: 0,
        verdict: Verdict::NoData,
    };
    let mut possible = false;
    let mut ivs = Vec::new();
    let mut within_until = i64::MIN;
    let acc = |i: usize| trail.accuracy_m(i).map_or(0.0, f64::from);
    // Returns whether the fix is within radius plus accuracy.
    let consider_fix = |i: usize, row: &mut NearRow| -> bool {
        let t = trail.t_us[i];
        if !window.contains_us(t) {
            return false;
        }
        // Fixes clearly beyond reach cannot change a reported row.
        let (x, y) = (trail.lon[i], trail.lat[i]);
        if q.box_gap_m((x, y), (x, y)) > q.reach_m {
            return false;
        }
        let d = target.distance_m(x, y);
        if d < row.min_distance_m {
            row.min_distance_m = d;
            row.closest_time_us = Some(t);
        }
        if d <= radius_m {
            row.fixes_within += 1;
        }
        d <= radius_m + acc(i)
    };
    let mut last_fix = usize::MAX;
    for &i in segments {
        if i != last_fix {
            possible |= consider_fix(i, &mut row);
        }
        let j = i + 1;
        if j >= trail.len() {
            last_fix = i;
            continue;
        }
        possible |= consider_fix(j, &mut row);
        last_fix = j;
        if !trail.is_continuous(i, max_gap_s) {
            continue;
        }
        let (t0, t1) = (trail.t_us[i], trail.t_us[j]);
        // The part of the segment inside the window, as parameters.
        let dt = (t1 - t0) as f64;
        let s_lo = ((window.start_us as f64 - t0 as f64) / dt).max(0.0);
        let s_hi = ((window.end_us as f64 - t0 as f64) / dt).min(1.0);
        if s_lo > s_hi {
            continue;
        }
        let a = (trail.lon[i], trail.lat[i]);
        let b = (trail.lon[j], trail.lat[j]);
        if q.box_gap_m(a, b) > q.reach_m && q.box_gap_m(a, b) > row.min_distance_m {
            continue;
        }
        let at = |s: f64| (a.0 + s * (b.0 - a.0), a.1 + s * (b.1 - a.1));
        let time = |s: f64| t0 + (s * dt).round() as i64;
        let (mut s, mut d) = target.closest(a, b);
        if s < s_lo || s > s_hi {
            let sc = s.clamp(s_lo, s_hi);
            let p = at(sc);
            s = sc;
            d = target.distance_m(p.0, p.1);
        }
        if d < row.min_distance_m {
            row.min_distance_m = d;
            row.closest_time_us = Some(time(s));
        }
        if d <= radius_m + acc(i).max(acc(j)) {
            possible = true;
        }
        if d > radius_m {
            continue;
        }
        ivs.clear();
        q.within(a, b, radius_m, &mut ivs);
        for &(x, y) in &ivs {
            let (x, y) = (x.max(s_lo), y.min(s_hi));
            if x > y {
                continue;
            }
            let (ta, tb) = (time(x), time(y).min(window.end_us));
            row.first_time_us = Some(row.first_time_us.map_or(ta, |f| f.min(ta)));
            row.last_time_us = Some(row.last_time_us.map_or(tb, |l| l.max(tb)));
            // Consecutive segments share their end fix: count each instant once.
            let from = ta.max(within_until);
            if tb > from {
                row.seconds_within += (tb - from) as f64 / 1e6;
            }
            within_until = within_until.max(tb);
        }
    }
    if row.first_time_us.is_some() || row.fixes_within > 0 {
        row.verdict = Verdict::Hit;
        if row.first_time_us.is_none() {
            row.first_time_us = row.closest_time_us;
            row.last_time_us = row.closest_time_us;
        }
    } else if possible {
        row.verdict = Verdict::Possible;
    } else {
        return None;
    }
    Some(row)
}

/// Every subject whose interpolated position came within `radius_m` metres of
/// `target` (verdict `hit`), or within `radius_m` plus the fixes' accuracy
/// (`possible`), during `window`. A fix without accuracy counts as exact.
/// Sorted by subject.
///
/// # Example
/// ```
/// use trailfence::{io, near, Target, TrailStore, Window, Verdict};
/// let csv = "subject,time,lon,lat,accuracy_m\nA,2024-01-01T02:00:00Z,-0.002,51.5,5\nA,2024-01-01T02:01:00Z,0.002,51.5,5\n";
/// let mut b = TrailStore::builder();
/// io::read_csv_from(csv.as_bytes(), "a.csv", &Default::default(), &mut b)?;
/// let rows = near(&b.build(), &Target::Point(0.0, 51.5), 50.0, Window::all())?;
/// assert_eq!(rows[0].verdict, Verdict::Hit);   // passed between the two fixes
/// assert!(rows[0].min_distance_m < 0.01);
/// # Ok::<(), trailfence::Error>(())
/// ```
///
/// # Errors
/// [`Error::Option`] for a point target outside WGS84 (`lon`/`lat`) or a
/// radius that is not a finite number of metres in 0..=20,000 km.
pub fn near(store: &TrailStore, target: &Target, radius_m: f64, window: Window) -> Result<Vec<NearRow>, Error> {
    if let Target::Point(lon, lat) = *target {
        if let Err((field, reason)) = validate_position(lon, lat) {
            return Err(Error::Option {
                name: if field == crate::fix::Field::Lon { "lon" } else { "lat" },
                value: format!("{lon}, {lat}"),
                reason: reason.describe(),
            });
        }
    }
    options::metres("radius_m", radius_m)?;
    Ok(near_with_accuracy(
        store,
        target,
        radius_m,
        window,
        store.max_accuracy_m(),
    ))
}

fn near_with_accuracy(
    store: &TrailStore,
    target: &Target,
    radius_m: f64,
    window: Window,
    max_acc: f64,
) -> Vec<NearRow> {
    if window.is_empty() {
        return Vec::new();
    }
    let reach = radius_m + max_acc;
    let (ky, kx) = metres_per_degree(target.centre_lat());
    let b = target.bbox();
    let segs = store.segments_within_reach(b, radius_m, window);
    let q = Query {
        target,
        circle: match target {
            Target::Point(x, y) => Some(Circle::new(*x, *y, radius_m)),
            Target::Area(_) => None,
        },
        kx,
        ky,
        reach_m: reach * 1.01 + 1.0,
    };
    let mut by_subject: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for s in segs {
        by_subject.entry(s.subject).or_default().push(s.index);
    }
    let mut rows: Vec<NearRow> = by_subject
        .into_iter()
        .filter_map(|(s, idx)| {
            let trail = store.trail_at(s);
            let row = evaluate(
                trail,
                &store.subjects()[s],
                &q,
                radius_m,
                window,
                store.max_gap_s(),
                &idx,
            )?;
            if row.verdict == Verdict::Hit {
                return Some(row);
            }
            // A "possible" row's closest approach may lie on a segment that was
            // not a candidate (farther than the radius plus its own, smaller,
            // accuracy): measure it over every segment in the window.
            let r = trail.range(window);
            let all: Vec<usize> = (r.start.saturating_sub(1)..r.end.min(trail.len())).collect();
            let unbounded = Query {
                reach_m: f64::INFINITY,
                ..q.clone()
            };
            evaluate(
                trail,
                &store.subjects()[s],
                &unbounded,
                radius_m,
                window,
                store.max_gap_s(),
                &all,
            )
        })
        .collect();
    rows.sort_by(|a, b| a.subject.cmp(&b.subject));
    rows
}

/// A crime incident: where, how near counts, and when (a range when the time
/// is uncertain, e.g. "between 22:00 and 07:00").
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Incident {
    /// Incident id.
    pub id: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Radius, metres.
    pub radius_m: f64,
    /// Window start, UTC µs.
    pub start_us: i64,
    /// Window end, UTC µs (exclusive).
    pub end_us: i64,
}

impl Incident {
    /// Checks the incident: WGS84 position, radius finite metres in
    /// 0..=20,000 km, start not after end. `source` and `location` say where
    /// the incident came from (file and line, or `<incidents>` and row).
    ///
    /// # Errors
    /// [`Error::Record`] naming the source, location, field and reason.
    pub fn validate_at(&self, source: &str, location: Location) -> Result<(), Error> {
        let bad = |field: &str, value: String, reason| {
            Err(Error::Record(RecordError::new(source, location, field, &value, reason)))
        };
        if let Err(b) = crate::fix::check(None, self.lon, self.lat, None) {
            return bad(b.field, b.value, b.reason);
        }
        if options::metres("radius_m", self.radius_m).is_err() {
            let reason = if self.radius_m.is_finite() {
                crate::error::Reason::DistanceOutOfRange
            } else {
                crate::error::Reason::NotFinite
            };
            return bad("radius_m", self.radius_m.to_string(), reason);
        }
        if self.start_us > self.end_us {
            return bad(
                "end",
                crate::time::from_us(self.end_us).to_string(),
                crate::error::Reason::EndBeforeStart,
            );
        }
        Ok(())
    }
}

/// One (incident, subject) row of batch correlation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IncidentRow {
    /// The incident id.
    pub incident: String,
    /// The subject's answer.
    #[serde(flatten)]
    pub row: NearRow,
}

/// Near queries for many incidents, in parallel. With `rule_outs`, every
/// other subject of the store also gets a row: `ruled_out` when its data
/// covers the whole window without a gap longer than `max_gap_s`, otherwise
/// `no_data`. Sorted by incident order, then subject.
///
/// # Errors
/// [`Error::Record`] naming the first invalid incident (0-based row, field
/// `lon`, `lat`, `radius_m` or `end`): position outside WGS84, radius not a
/// finite number of metres in 0..=20,000 km, or start after end.
pub fn near_many(store: &TrailStore, incidents: &[Incident], rule_outs: bool) -> Result<Vec<IncidentRow>, Error> {
    for (i, inc) in incidents.iter().enumerate() {
        inc.validate_at("<incidents>", Location::Row(i))?;
    }
    let max_acc = store.max_accuracy_m();
    let per: Vec<Vec<IncidentRow>> = incidents
        .par_iter()
        .map(|inc| {
            let w = Window::from_us(inc.start_us, inc.end_us);
            let mut rows = near_with_accuracy(store, &Target::Point(inc.lon, inc.lat), inc.radius_m, w, max_acc);
            if rule_outs {
                let named: std::collections::HashSet<String> = rows.iter().map(|r| r.subject.clone()).collect();
                for (s, name) in store.subjects().iter().enumerate() {
                    if named.contains(name) {
                        continue;
                    }
                    let trail = store.trail_at(s);
                    let covered = !w.is_empty() && trail.gaps(w, store.max_gap_s()).is_empty();
                    rows.push(NearRow {
                        subject: name.clone(),
                        min_distance_m: f64::NAN,
                        closest_time_us: None,
                        first_time_us: None,
                        last_time_us: None,
                        seconds_within: 0.0,
                        fixes_within: 0,
                        verdict: if covered { Verdict::RuledOut } else { Verdict::NoData },
                    });
                }
                rows.sort_by(|a, b| a.subject.cmp(&b.subject));
            }
            rows.into_iter()
                .map(|row| IncidentRow {
                    incident: inc.id.clone(),
                    row,
                })
                .collect()
        })
        .collect();
    Ok(per.into_iter().flatten().collect())
}
