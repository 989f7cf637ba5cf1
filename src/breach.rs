//! Breach episodes: the one interpolating, accuracy-aware episode engine.
//!
//! [`EpisodeTracker`] is an incremental state machine for one (subject, zone,
//! [`EpisodeKind`]) fed fixes in time order. Between consecutive fixes at most
//! `max_gap_s` apart it computes exactly when the interpolated position is in
//! violation (inside an exclusion zone or its buffer, outside an inclusion
//! zone), clips that to the zone's schedule, and extends or opens an episode;
//! a longer gap closes the open episode (an episode never spans a gap). Batch
//! evaluation ([`breaches`]) feeds it sorted trails in parallel per subject;
//! the streaming monitor feeds it live fixes. There is no second
//! implementation.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::error::Error;
use crate::options;
use crate::store::TrailStore;
use crate::time::{from_us, Window};
use crate::trail::Trail;
use crate::zone::{PreparedZone, Region, ZoneKind, ZoneSet};

/// Which rule an episode breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeKind {
    /// Inside an active exclusion zone.
    Exclusion,
    /// Outside an active inclusion zone.
    Inclusion,
    /// Inside an exclusion zone's warning buffer (the zone plus its ring).
    Buffer,
}

impl EpisodeKind {
    /// `"exclusion"`, `"inclusion"` or `"buffer"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EpisodeKind::Exclusion => "exclusion",
            EpisodeKind::Inclusion => "inclusion",
            EpisodeKind::Buffer => "buffer",
        }
    }
}

/// How sure an episode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// At least one fix lies beyond the boundary by more than its accuracy.
    Confirmed,
    /// In violation only within accuracy, or only by interpolation.
    Possible,
}

/// Options of breach evaluation. All debounce options default to 0, which
/// gives the raw geometric answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreachOptions {
    /// Drop episodes with fewer fixes than this.
    pub min_fixes: u32,
    /// Drop episodes shorter than this, seconds.
    pub min_duration_s: f64,
    /// Merge episodes of the same subject, zone and kind separated by at most
    /// this many seconds of compliance, when there is data (no gap) and the
    /// zone stays active in between.
    pub merge_gap_s: f64,
    /// Accuracy in metres assumed for fixes that report none. `None` (the
    /// default): such fixes can never confirm an episode.
    pub assumed_accuracy_m: Option<f64>,
    /// Longest interpolated interval between fixes, seconds; `None` (the
    /// default) uses the store's.
    pub max_gap_s: Option<f64>,
}

impl BreachOptions {
    /// Checks every option: `min_duration_s` and `merge_gap_s` finite
    /// seconds >= 0, `assumed_accuracy_m` finite metres >= 0, `max_gap_s`
    /// finite seconds > 0.
    ///
    /// # Errors
    /// [`Error::Option`] naming the first bad option.
    pub fn validate(&self) -> Result<(), Error> {
        options::seconds("min_duration_s", self.min_duration_s)?;
        options::seconds("merge_gap_s", self.merge_gap_s)?;
        if let Some(a) = self.assumed_accuracy_m {
            options::accuracy("assumed_accuracy_m", a)?;
        }
        if let Some(g) = self.max_gap_s {
            options::positive_seconds("max_gap_s", g)?;
        }
        Ok(())
    }
}

impl Default for BreachOptions {
    fn default() -> Self {
        BreachOptions {
            min_fixes: 0,
            min_duration_s: 0.0,
            merge_gap_s: 0.0,
            assumed_accuracy_m: None,
            max_gap_s: None,
        }
    }
}

/// An episode as the engine emits it (zone by number).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RawEpisode {
    /// Zone number in its [`ZoneSet`].
    pub zone: u32,
    /// The rule broken.
    pub kind: EpisodeKind,
    /// Start, UTC µs (inclusive).
    pub start_us: i64,
    /// End, UTC µs (the last instant in violation).
    pub end_us: i64,
    /// Fixes in violation inside the episode.
    pub fixes: u32,
    /// Whether a fix confirmed it beyond its accuracy.
    pub confirmed: bool,
}

/// A breach episode of one subject and zone.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BreachEpisode {
    /// The subject.
    pub subject: String,
    /// The zone id.
    pub zone: String,
    /// The rule broken.
    pub kind: EpisodeKind,
    /// Start, UTC µs: the exact crossing (or schedule start) time.
    pub start_us: i64,
    /// End, UTC µs: the exact crossing (or schedule end) time.
    pub end_us: i64,
    /// Fixes in violation inside the episode.
    pub fixes: u32,
    /// Confirmed beyond accuracy, or possible.
    pub confidence: Confidence,
}

impl BreachEpisode {
    /// Start as a timestamp.
    pub fn start(&self) -> jiff::Timestamp {
        from_us(self.start_us)
    }
    /// End as a timestamp.
    pub fn end(&self) -> jiff::Timestamp {
        from_us(self.end_us)
    }
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        (self.end_us - self.start_us) as f64 / 1e6
    }
}

/// A fix as the engine sees it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackFix {
    /// UTC µs.
    pub t_us: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Accuracy radius, metres.
    pub accuracy_m: Option<f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct Last {
    fix: TrackFix,
    /// Whether the region covers the fix.
    covered: bool,
}

/// Cached active windows of a schedule over `[from, to)` (shared between
/// copies of a tracker: snapshots clone trackers often).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct ActiveCache {
    from_us: i64,
    to_us: i64,
    windows: Windows,
}

/// Active windows `[start, end)`, UTC µs; none allocated until a schedule
/// is evaluated (serialised as a plain list).
#[derive(Debug, Clone, Default, PartialEq)]
struct Windows(Option<std::sync::Arc<[(i64, i64)]>>);

impl Windows {
    fn iter(&self) -> std::slice::Iter<'_, (i64, i64)> {
        self.0.as_deref().unwrap_or(&[]).iter()
    }
}

impl serde::Serialize for Windows {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for Windows {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<(i64, i64)> = serde::Deserialize::deserialize(d)?;
        Ok(Windows(if v.is_empty() { None } else { Some(v.into()) }))
    }
}

const DAY_US: i64 = 86_400_000_000;

impl ActiveCache {
    fn ensure(&mut self, zone: &PreparedZone, a: i64, b: i64) {
        let Some(s) = &zone.zone.schedule else { return };
        if a >= self.from_us && b < self.to_us && self.to_us > self.from_us {
            return;
        }
        let from = a.saturating_sub(DAY_US);
        let to = b.max(a.saturating_add(14 * DAY_US)).saturating_add(DAY_US);
        let windows: Vec<(i64, i64)> = s
            .occurrences(Window::from_us(from, to))
            .into_iter()
            .map(|w| (w.start_us, w.end_us))
            .collect();
        self.windows = Windows((!windows.is_empty()).then(|| windows.into()));
        self.from_us = from;
        self.to_us = to;
    }
}

/// Parameter intervals `[s0, s1]` along a segment.
pub(crate) type Intervals = Vec<(f64, f64)>;

/// The incremental episode state machine of one (subject, zone, kind).
/// Serialisable, and bounded in size whatever the trail length.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpisodeTracker {
    zone: u32,
    kind: EpisodeKind,
    last: Option<Last>,
    open: Option<RawEpisode>,
    cache: ActiveCache,
}

thread_local! {
    /// Scratch space of [`EpisodeTracker::push`]: a segment's intervals.
    static INTERVALS: std::cell::RefCell<(Intervals, Intervals)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Engine parameters shared by all trackers of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineParams {
    /// Longest interpolated interval between fixes, seconds.
    pub max_gap_s: f64,
    /// Accuracy assumed for fixes that report none (see [`BreachOptions`]).
    pub assumed_accuracy_m: Option<f64>,
}

pub(crate) fn region_of(zone: &PreparedZone, kind: EpisodeKind) -> &Region {
    match kind {
        EpisodeKind::Buffer => zone.buffer.as_ref().unwrap_or(&zone.region),
        _ => &zone.region,
    }
}

/// Complement of sorted disjoint closed intervals within [0, 1], dropping
/// zero-length pieces.
fn complement(ivs: &[(f64, f64)], out: &mut Vec<(f64, f64)>) {
    let mut cur = 0.0;
    for &(a, b) in ivs {
        if a > cur {
            out.push((cur, a));
        }
        cur = cur.max(b);
    }
    if cur < 1.0 {
        out.push((cur, 1.0));
    }
}

impl EpisodeTracker {
    /// A tracker for zone number `zone` of a [`ZoneSet`] and rule `kind`.
    pub fn new(zone: usize, kind: EpisodeKind) -> Self {
        EpisodeTracker {
            zone: zone as u32,
            kind,
            last: None,
            open: None,
            cache: ActiveCache::default(),
        }
    }

    /// The zone number.
    pub fn zone(&self) -> usize {
        self.zone as usize
    }

    /// The rule tracked.
    pub fn kind(&self) -> EpisodeKind {
        self.kind
    }

    /// The episode in progress, if any.
    pub fn open_episode(&self) -> Option<&RawEpisode> {
        self.open.as_ref()
    }

    /// Time of the last fix pushed.
    pub fn last_time_us(&self) -> Option<i64> {
        self.last.map(|l| l.fix.t_us)
    }

    fn violating(&self, region: &Region, f: &TrackFix) -> bool {
        self.violates(region.covers(f.lon, f.lat))
    }

    #[inline]
    fn violates(&self, covered: bool) -> bool {
        if self.kind == EpisodeKind::Inclusion {
            !covered
        } else {
            covered
        }
    }

    fn confirms(region: &Region, f: &TrackFix, p: &EngineParams) -> bool {
        let acc = f.accuracy_m.map(f64::from).or(p.assumed_accuracy_m);
        match acc {
            Some(acc) => region.boundary_farther_than(f.lon, f.lat, acc),
            None => false,
        }
    }

    fn close(&mut self, out: &mut Vec<RawEpisode>) {
        if let Some(e) = self.open.take() {
            out.push(e);
        }
    }

    fn extend_or_open(&mut self, a: i64, b: i64, out: &mut Vec<RawEpisode>) {
        if let Some(o) = self.open.as_mut() {
            if o.end_us >= a {
                o.end_us = o.end_us.max(b);
                return;
            }
        }
        self.close(out);
        self.open = Some(RawEpisode {
            zone: self.zone,
            kind: self.kind,
            start_us: a,
            end_us: b,
            fixes: 0,
            confirmed: false,
        });
    }

    /// Feeds the next fix (times must increase; an equal or earlier time is
    /// treated as a break). Closed episodes are appended to `out`.
    pub fn push(&mut self, zones: &ZoneSet, fix: TrackFix, p: &EngineParams, out: &mut Vec<RawEpisode>) {
        INTERVALS.with(|b| {
            let mut scratch = std::mem::take(&mut *b.borrow_mut());
            self.push_with(zones, fix, p, out, &mut scratch);
            *b.borrow_mut() = scratch;
        });
    }

    /// [`EpisodeTracker::push`] with caller-owned scratch space (callers
    /// holding many short-lived trackers reuse one).
    pub(crate) fn push_with(
        &mut self,
        zones: &ZoneSet,
        fix: TrackFix,
        p: &EngineParams,
        out: &mut Vec<RawEpisode>,
        scratch: &mut (Intervals, Intervals),
    ) {
        let zone = zones.get(self.zone as usize);
        let region = region_of(zone, self.kind);
        let scheduled = zone.zone.schedule.is_some();
        let covered = region.covers(fix.lon, fix.lat);
        match self.last {
            Some(l) if fix.t_us > l.fix.t_us && ((fix.t_us - l.fix.t_us) as f64) <= p.max_gap_s * 1e6 => {
                let (t0, t1) = (l.fix.t_us, fix.t_us);
                if scheduled {
                    self.cache.ensure(zone, t0, t1);
                }
                let any_active = !scheduled || self.cache.windows.iter().any(|&(s, e)| s <= t1 && e > t0);
                if any_active {
                    let (inside, comp) = scratch;
                    inside.clear();
                    comp.clear();
                    region.covered_intervals_known(
                        (l.fix.lon, l.fix.lat),
                        (fix.lon, fix.lat),
                        l.covered,
                        covered,
                        inside,
                    );
                    let ivs = if self.kind == EpisodeKind::Inclusion {
                        complement(inside, comp);
                        &*comp
                    } else {
                        &*inside
                    };
                    let dt = (t1 - t0) as f64;
                    let at = |s: f64| {
                        if s <= 0.0 {
                            t0
                        } else if s >= 1.0 {
                            t1
                        } else {
                            t0 + (s * dt).round() as i64
                        }
                    };
                    for &(s0, s1) in ivs.iter() {
                        let (a, b) = (at(s0), at(s1));
                        if scheduled {
                            let windows = self.cache.windows.clone();
                            for &(ws, we) in windows.iter() {
                                let (x, y) = (a.max(ws), b.min(we));
                                if x < y || (a == b && ws <= a && a < we) {
                                    self.extend_or_open(x, y, out);
                                }
                            }
                        } else {
                            self.extend_or_open(a, b, out);
                        }
                    }
                } else {
                    self.close(out);
                }
            }
            _ => self.close(out),
        }
        let active = !scheduled || {
            self.cache.ensure(zone, fix.t_us, fix.t_us);
            self.cache.windows.iter().any(|&(s, e)| s <= fix.t_us && fix.t_us < e)
        };
        if active && self.violates(covered) {
            match self.open.as_mut() {
                Some(o) if o.end_us >= fix.t_us => {
                    o.fixes += 1;
                    if !o.confirmed {
                        o.confirmed = Self::confirms(region, &fix, p);
                    }
                }
                _ => {
                    let confirms = Self::confirms(region, &fix, p);
                    self.close(out);
                    self.open = Some(RawEpisode {
                        zone: self.zone,
                        kind: self.kind,
                        start_us: fix.t_us,
                        end_us: fix.t_us,
                        fixes: 1,
                        confirmed: confirms,
                    });
                }
            }
        } else if let Some(o) = self.open {
            // The open episode cannot continue past a compliant or inactive fix.
            if o.end_us < fix.t_us {
                self.close(out);
            }
        }
        self.last = Some(Last { fix, covered });
    }

    /// Marks a discontinuity (the next fix does not continue from the last
    /// one): closes the open episode and forgets the last fix.
    pub fn break_here(&mut self, out: &mut Vec<RawEpisode>) {
        self.close(out);
        self.last = None;
    }

    /// Closes the open episode at the end of the data.
    pub fn finish(&mut self, out: &mut Vec<RawEpisode>) {
        self.close(out);
    }
}

/// Fixes `lo..=hi` of a trail as engine input.
#[inline]
fn track_fix(t: &Trail, i: usize) -> TrackFix {
    TrackFix {
        t_us: t.t_us[i],
        lon: t.lon[i],
        lat: t.lat[i],
        accuracy_m: t.accuracy_m(i),
    }
}

/// Segments per chunk when selecting candidate zones.
const CHUNK: usize = 64;

/// Raw episodes of one subject in `window` (episodes clipped to it, fix
/// counts and confirmation recomputed for clipped episodes).
pub fn subject_episodes(
    store: &TrailStore,
    subject: usize,
    zones: &ZoneSet,
    window: Window,
    p: &EngineParams,
) -> Vec<RawEpisode> {
    episodes_of(store, subject, zones, window, p, false)
}

/// [`subject_episodes`], optionally for inclusion zones only (curfews).
pub(crate) fn episodes_of(
    store: &TrailStore,
    subject: usize,
    zones: &ZoneSet,
    window: Window,
    p: &EngineParams,
    inclusion_only: bool,
) -> Vec<RawEpisode> {
    let trail = store.trail_at(subject);
    let name = &store.subjects()[subject];
    let mut out = Vec::new();
    if trail.is_empty() || window.is_empty() {
        return out;
    }
    let r = trail.range(window);
    // One fix either side, so interpolation reaches the window edges.
    let lo = r.start.saturating_sub(1);
    let hi = r.end.min(trail.len() - 1);
    if r.is_empty() && (r.start == 0 || r.start >= trail.len()) {
        return out;
    }
    // Inclusion zones apply everywhere; exclusion zones only where near.
    let mut inclusion: Vec<EpisodeTracker> = zones
        .applicable(name)
        .into_iter()
        .filter(|&i| zones.get(i).zone.kind == ZoneKind::Inclusion)
        .map(|i| EpisodeTracker::new(i, EpisodeKind::Inclusion))
        .collect();
    for tr in &mut inclusion {
        match &zones.get(tr.zone()).zone.schedule {
            None => {
                for i in lo..=hi {
                    tr.push(zones, track_fix(trail, i), p, &mut out);
                }
            }
            Some(schedule) => {
                // Only the fixes around each active occurrence matter: the
                // engine clips to the schedule, so skipping inactive stretches
                // (and breaking between occurrences) changes nothing.
                let span = Window::from_us(trail.t_us[lo], trail.t_us[hi].saturating_add(1));
                let mut next = lo;
                for occ in schedule.occurrences(span) {
                    let r = trail.range(occ);
                    let a = r.start.saturating_sub(1).max(lo).max(next.saturating_sub(1));
                    let b = r.end.min(hi);
                    if a > b {
                        continue;
                    }
                    if tr.last_time_us() != Some(trail.t_us[a]) {
                        tr.break_here(&mut out);
                    }
                    let from = if tr.last_time_us() == Some(trail.t_us[a]) {
                        a + 1
                    } else {
                        a
                    };
                    for i in from..=b {
                        tr.push(zones, track_fix(trail, i), p, &mut out);
                    }
                    next = b + 1;
                }
            }
        }
        tr.finish(&mut out);
    }
    let mut near: HashMap<(u32, EpisodeKind), (EpisodeTracker, usize)> = HashMap::new();
    let mut c0 = lo;
    let mut cand = Vec::new();
    let mut exclusions = !inclusion_only;
    while exclusions {
        let c1 = (c0 + CHUNK).min(hi);
        let mut bb = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for i in c0..=c1 {
            bb[0] = bb[0].min(trail.lon[i]);
            bb[1] = bb[1].min(trail.lat[i]);
            bb[2] = bb[2].max(trail.lon[i]);
            bb[3] = bb[3].max(trail.lat[i]);
        }
        cand.clear();
        cand.extend(zones.candidates(bb).filter(|&z| {
            let z = zones.get(z);
            z.zone.kind == ZoneKind::Exclusion && z.applies_to(name)
        }));
        cand.sort_unstable();
        for &z in &cand {
            let kinds: &[EpisodeKind] = if zones.get(z).buffer.is_some() {
                &[EpisodeKind::Exclusion, EpisodeKind::Buffer]
            } else {
                &[EpisodeKind::Exclusion]
            };
            for &k in kinds {
                let (tr, last) = near
                    .entry((z as u32, k))
                    .or_insert_with(|| (EpisodeTracker::new(z, k), usize::MAX));
                let b = region_of(zones.get(z), k).bbox();
                let inside_box = |i: usize| {
                    let (x, y) = (trail.lon[i], trail.lat[i]);
                    x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]
                };
                // Feed only the fixes whose segment from the previous fix meets
                // the zone's box; a segment that does not cannot be in
                // violation, so the tracker is broken there instead.
                for i in c0..=c1 {
                    if *last != usize::MAX && *last >= i {
                        continue;
                    }
                    let seg_meets = i > lo && {
                        let (x0, x1) = (trail.lon[i - 1].min(trail.lon[i]), trail.lon[i - 1].max(trail.lon[i]));
                        let (y0, y1) = (trail.lat[i - 1].min(trail.lat[i]), trail.lat[i - 1].max(trail.lat[i]));
                        x0 <= b[2] && x1 >= b[0] && y0 <= b[3] && y1 >= b[1]
                    };
                    if !(seg_meets || inside_box(i)) {
                        continue;
                    }
                    if *last != i.wrapping_sub(1) || *last == usize::MAX {
                        tr.break_here(&mut out);
                        if seg_meets {
                            tr.push(zones, track_fix(trail, i - 1), p, &mut out);
                        }
                    }
                    tr.push(zones, track_fix(trail, i), p, &mut out);
                    *last = i;
                }
            }
        }
        if c1 >= hi {
            exclusions = false;
        }
        c0 = c1;
    }
    let mut trackers: Vec<_> = near.into_values().collect();
    trackers.sort_by_key(|(t, _)| (t.zone, t.kind));
    for (mut tr, _) in trackers {
        tr.finish(&mut out);
    }
    // Clip to the window and recount what the clipping removed.
    out.retain_mut(|e| {
        if e.end_us < window.start_us || e.start_us >= window.end_us {
            return false;
        }
        if e.start_us < window.start_us || e.end_us >= window.end_us {
            e.start_us = e.start_us.max(window.start_us);
            e.end_us = e.end_us.min(window.end_us);
            let z = zones.get(e.zone as usize);
            let region = region_of(z, e.kind);
            let tr = EpisodeTracker::new(e.zone as usize, e.kind);
            let range = trail.range(Window::from_us(e.start_us, e.end_us.saturating_add(1)));
            let (mut n, mut c) = (0u32, false);
            for i in range {
                let f = track_fix(trail, i);
                if tr.violating(region, &f) {
                    n += 1;
                    c |= EpisodeTracker::confirms(region, &f, p);
                }
            }
            e.fixes = n;
            e.confirmed = c;
        }
        true
    });
    out.sort_by_key(|e| (e.zone, e.kind, e.start_us));
    out
}

/// Whether the span between two episodes may be merged: data throughout (no
/// gap) and the zone active throughout.
fn mergeable(trail: &Trail, zone: &PreparedZone, a_end: i64, b_start: i64, max_gap_s: f64) -> bool {
    if b_start <= a_end {
        return true;
    }
    let w = Window::from_us(a_end, b_start);
    if !trail.gaps(w, max_gap_s).is_empty() {
        return false;
    }
    match &zone.zone.schedule {
        None => true,
        Some(s) => s
            .occurrences(w)
            .iter()
            .any(|o| o.start_us <= a_end && o.end_us >= b_start),
    }
}

/// Applies the debounce options to one subject's raw episodes (sorted by
/// zone, kind, start).
pub fn debounce(
    trail: &Trail,
    zones: &ZoneSet,
    raw: Vec<RawEpisode>,
    options: &BreachOptions,
    max_gap_s: f64,
) -> Vec<RawEpisode> {
    let mut merged: Vec<RawEpisode> = Vec::with_capacity(raw.len());
    for e in raw {
        if let Some(m) = merged.last_mut() {
            if options.merge_gap_s > 0.0
                && m.zone == e.zone
                && m.kind == e.kind
                && ((e.start_us - m.end_us) as f64) <= options.merge_gap_s * 1e6
                && mergeable(trail, zones.get(e.zone as usize), m.end_us, e.start_us, max_gap_s)
            {
                m.end_us = m.end_us.max(e.end_us);
                m.fixes += e.fixes;
                m.confirmed |= e.confirmed;
                continue;
            }
        }
        merged.push(e);
    }
    merged.retain(|e| e.fixes >= options.min_fixes && ((e.end_us - e.start_us) as f64) >= options.min_duration_s * 1e6);
    merged
}

/// Breach episodes of every subject in the store against every zone that
/// applies to it, inside `window`, in parallel per subject. Sorted by
/// subject, zone, kind and start.
///
/// # Example
/// ```
/// use trailfence::{breaches, io, zones_from_geojson_str, BreachOptions, TrailStore, Window};
/// let csv = "subject,time,lon,lat,accuracy_m\nA,2024-01-01T10:00:00Z,-0.002,51.5,3\nA,2024-01-01T10:01:00Z,0.002,51.5,3\n";
/// let mut b = TrailStore::builder();
/// io::read_csv_from(csv.as_bytes(), "a.csv", &Default::default(), &mut b)?;
/// let store = b.build();
/// let zones = zones_from_geojson_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"z",
///   "properties":{"kind":"exclusion","radius_m":50},"geometry":{"type":"Point","coordinates":[0,51.5]}}]}"#, "z")?;
/// let eps = breaches(&store, &zones, Window::all(), &BreachOptions::default())?;
/// assert_eq!(eps.len(), 1);               // walked through between two fixes
/// assert!((eps[0].duration_s() - 21.5).abs() < 1.0);
/// # Ok::<(), trailfence::Error>(())
/// ```
///
/// # Errors
/// [`Error::Option`] for an invalid option (see [`BreachOptions::validate`]).
pub fn breaches(
    store: &TrailStore,
    zones: &ZoneSet,
    window: Window,
    options: &BreachOptions,
) -> Result<Vec<BreachEpisode>, Error> {
    options.validate()?;
    let p = EngineParams {
        max_gap_s: options.max_gap_s.unwrap_or(store.max_gap_s()),
        assumed_accuracy_m: options.assumed_accuracy_m,
    };
    let per_subject: Vec<Vec<BreachEpisode>> = (0..store.subject_count())
        .into_par_iter()
        .map(|s| {
            let raw = subject_episodes(store, s, zones, window, &p);
            let eps = debounce(store.trail_at(s), zones, raw, options, p.max_gap_s);
            eps.into_iter()
                .map(|e| BreachEpisode {
                    subject: store.subjects()[s].clone(),
                    zone: zones.get(e.zone as usize).zone.id.clone(),
                    kind: e.kind,
                    start_us: e.start_us,
                    end_us: e.end_us,
                    fixes: e.fixes,
                    confidence: if e.confirmed {
                        Confidence::Confirmed
                    } else {
                        Confidence::Possible
                    },
                })
                .collect()
        })
        .collect();
    let mut all: Vec<BreachEpisode> = per_subject.into_iter().flatten().collect();
    all.sort_by(|a, b| (&a.subject, &a.zone, a.kind, a.start_us).cmp(&(&b.subject, &b.zone, b.kind, b.start_us)));
    Ok(all)
}
