//! The one trail × zones driver: which [`EpisodeTracker`]s each fix of a
//! subject is fed to. The subject's inclusion zones always; an exclusion
//! zone (and its buffer) only for a segment whose bounding box meets the
//! region's box — a segment that does not cannot be in violation there, so
//! that tracker is finished and, when a later segment meets the box again,
//! a new one is seeded with the segment's first fix. Exclusion zones for
//! everyone are screened against the zone R-tree through a cached box
//! around the recent path; those listing the subject are kept aside.
//!
//! Batch breaches and curfews ([`subject_episodes`]) and the streaming
//! monitor feed fixes through [`ZoneTrackers::feed`]: one rule, one place.

use super::engine::{region_of, track_fix, EngineParams, EpisodeTracker, Intervals, RawEpisode, Scope};
use super::{EpisodeKind, TrackFix};
use crate::store::TrailStore;
use crate::time::Window;
use crate::trail::Trail;
use crate::zone::{ZoneKind, ZoneSet};

/// A subject's trackers, sorted by key (zone number, kind code), with the
/// time of the last fix each was fed.
type Slots = Vec<((u32, u8), (EpisodeTracker, i64))>;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ZoneTrackers {
    /// Inclusion trackers (always fed) and nearby exclusion/buffer trackers,
    /// with the time of the last fix each was fed; sorted by key (serialised
    /// as the (key, value) pairs of the map it replaced).
    map: Slots,
    last: Option<TrackFix>,
    /// The subject's inclusion zones (computed on first use).
    inclusion: Option<Vec<u32>>,
    /// Exclusion zones for everyone whose box meets `cand_box`, with the
    /// boxes of their exclusion and buffer regions inline (a cache; not state).
    #[serde(skip)]
    cand: Vec<Candidate>,
    /// The exclusion zones listing this subject, boxes inline (computed on
    /// first use; a cache, not state).
    #[serde(skip)]
    own: Option<Vec<Candidate>>,
    #[serde(skip)]
    cand_box: Option<[f64; 4]>,
    /// Track the subject's inclusion zones only (curfews); not state.
    #[serde(skip)]
    inclusion_only: bool,
}

/// Scratch space of an evaluation, reused from fix to fix and subject to
/// subject (one per monitor, one per parallel task): not state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// The tracker keys a fix needs.
    wanted: Vec<(u32, u8)>,
    /// A segment's intervals.
    intervals: (Intervals, Intervals),
    /// Episodes closed by one fix (the monitor's buffer).
    pub(crate) out: Vec<RawEpisode>,
}

impl Clone for ZoneTrackers {
    /// Copies the state, not the caches (snapshots clone trackers often).
    fn clone(&self) -> Self {
        ZoneTrackers {
            map: self.map.clone(),
            last: self.last,
            inclusion: self.inclusion.clone(),
            cand: Vec::new(),
            own: None,
            cand_box: None,
            inclusion_only: self.inclusion_only,
        }
    }
}

/// A candidate exclusion zone: its number and the boxes of its exclusion
/// and buffer regions (`None` without a buffer), degrees.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    zone: u32,
    exclusion: [f64; 4],
    buffer: Option<[f64; 4]>,
}

/// Margin of the candidate-zone cache box, degrees (about 300–500 m).
const CAND_MARGIN_DEG: f64 = 0.005;

pub(crate) fn kind_code(k: EpisodeKind) -> u8 {
    match k {
        EpisodeKind::Exclusion => 0,
        EpisodeKind::Inclusion => 1,
        EpisodeKind::Buffer => 2,
    }
}

pub(crate) fn kind_of_code(c: u8) -> EpisodeKind {
    match c {
        0 => EpisodeKind::Exclusion,
        1 => EpisodeKind::Inclusion,
        _ => EpisodeKind::Buffer,
    }
}

impl ZoneTrackers {
    /// Feeds one final fix (time order) and appends closed episodes.
    /// Feeds one fix (time order) to every tracker its segment from the last
    /// fix needs, and appends closed episodes to `out`.
    pub(crate) fn feed(
        &mut self,
        zones: &ZoneSet,
        subject: &str,
        fix: TrackFix,
        p: &EngineParams,
        out: &mut Vec<RawEpisode>,
        scratch: &mut Scratch,
    ) {
        let seg = match self.last {
            Some(l) => [
                l.lon.min(fix.lon),
                l.lat.min(fix.lat),
                l.lon.max(fix.lon),
                l.lat.max(fix.lat),
            ],
            None => [fix.lon, fix.lat, fix.lon, fix.lat],
        };
        let mut wanted = std::mem::take(&mut scratch.wanted);
        // Inclusion trackers only: the set never changes once made.
        if !(self.inclusion_only && self.last.is_some()) {
            wanted.clear();
            self.select(zones, subject, seg, &mut wanted);
            self.reconcile(&wanted, out);
        }
        // A tracker that missed the previous fix (new, or skipped a segment)
        // is re-seeded with it, so it interpolates this segment.
        let prev = self.last;
        let intervals = &mut scratch.intervals;
        let scope = Scope { zones, subject };
        for (_, (tr, last_t)) in &mut self.map {
            if let Some(prev) = prev {
                if *last_t != prev.t_us {
                    tr.break_here(out);
                    tr.push_with(&scope, prev, p, out, intervals);
                }
            }
            tr.push_with(&scope, fix, p, out, intervals);
            *last_t = fix.t_us;
        }
        scratch.wanted = wanted;
        self.last = Some(fix);
    }

    /// The rule: the tracker keys a segment with bounding box `seg`
    /// (degrees) is checked against, sorted — the subject's inclusion zones
    /// always; exclusion zones (and buffers) whose region box meets `seg`.
    fn select(&mut self, zones: &ZoneSet, subject: &str, seg: [f64; 4], wanted: &mut Vec<(u32, u8)>) {
        let [x0, y0, x1, y1] = seg;
        if self.inclusion.is_none() {
            self.inclusion = Some(
                zones
                    .applicable(subject)
                    .into_iter()
                    .filter(|&z| zones.get(z).zone.kind == ZoneKind::Inclusion)
                    .map(|z| z as u32)
                    .collect(),
            );
        }
        for &z in self.inclusion.as_deref().unwrap_or(&[]) {
            wanted.push((z, kind_code(EpisodeKind::Inclusion)));
        }
        if self.inclusion_only {
            return;
        }
        let candidate = |z: usize| {
            let pz = zones.get(z);
            Candidate {
                zone: z as u32,
                exclusion: region_of(pz, EpisodeKind::Exclusion).bbox(),
                buffer: pz.buffer.as_ref().map(|r| r.bbox()),
            }
        };
        let own = self.own.get_or_insert_with(|| {
            zones
                .listing(subject)
                .iter()
                .filter(|&&z| zones.get(z as usize).zone.kind == ZoneKind::Exclusion)
                .map(|&z| candidate(z as usize))
                .collect()
        });
        let meets = |b: &[f64; 4]| x0 <= b[2] && x1 >= b[0] && y0 <= b[3] && y1 >= b[1];
        let wanted_from = |c: &Candidate, wanted: &mut Vec<(u32, u8)>| {
            if meets(&c.exclusion) {
                wanted.push((c.zone, kind_code(EpisodeKind::Exclusion)));
            }
            if c.buffer.as_ref().is_some_and(meets) {
                wanted.push((c.zone, kind_code(EpisodeKind::Buffer)));
            }
        };
        for c in own.iter() {
            wanted_from(c, wanted);
        }
        // Candidate exclusion zones for a box around the recent path, reused
        // while the subject stays inside it (saves an R-tree query per fix).
        let inside = |b: &[f64; 4]| x0 >= b[0] && x1 <= b[2] && y0 >= b[1] && y1 <= b[3];
        if zones.has_global_exclusions() && !self.cand_box.as_ref().is_some_and(inside) {
            let b = [
                x0 - CAND_MARGIN_DEG,
                y0 - CAND_MARGIN_DEG,
                x1 + CAND_MARGIN_DEG,
                y1 + CAND_MARGIN_DEG,
            ];
            self.cand.clear();
            self.cand.extend(zones.global_exclusion_candidates(b).map(candidate));
            self.cand.sort_unstable_by_key(|c| c.zone);
            self.cand_box = Some(b);
        }
        for c in &self.cand {
            wanted_from(c, wanted);
        }
        // Each part is sorted already; sort only when they interleave.
        if !wanted.is_sorted() {
            wanted.sort_unstable();
        }
    }

    /// Finishes the trackers not `wanted` (the segment cannot be in violation
    /// there) and adds new ones, keeping the map sorted (`map` and `wanted`
    /// are both sorted: one merge walk).
    fn reconcile(&mut self, wanted: &[(u32, u8)], out: &mut Vec<RawEpisode>) {
        let mut w = 0;
        self.map.retain_mut(|(key, (tr, _))| {
            while w < wanted.len() && wanted[w] < *key {
                w += 1;
            }
            let keep = w < wanted.len() && wanted[w] == *key;
            if !keep {
                tr.finish(out);
            }
            keep
        });
        if self.map.len() != wanted.len() {
            let old = std::mem::take(&mut self.map);
            let mut old = old.into_iter().peekable();
            for &key in wanted {
                match old.next_if(|(k, _)| *k == key) {
                    Some(slot) => self.map.push(slot),
                    None => self.map.push((
                        key,
                        (EpisodeTracker::new(key.0 as usize, kind_of_code(key.1)), i64::MIN),
                    )),
                }
            }
        }
    }

    pub(crate) fn finish(&mut self, out: &mut Vec<RawEpisode>) {
        for (_, (tr, _)) in &mut self.map {
            tr.finish(out);
        }
        self.map.clear();
    }

    /// The episodes in progress, in tracker order.
    pub(crate) fn open_episodes(&self) -> impl Iterator<Item = RawEpisode> + '_ {
        self.map.iter().filter_map(|(_, (t, _))| t.open_episode().copied())
    }

    /// Number of trackers held (a measure of state size).
    pub(crate) fn tracker_count(&self) -> usize {
        self.map.len()
    }

    /// The last fix fed.
    pub(crate) fn last_fix(&self) -> Option<TrackFix> {
        self.last
    }
}

/// The fix ranges `[a, b]` (indices, within `lo..=hi`, sorted, disjoint)
/// that matter for the subject's inclusion zones: all of it if one has no
/// schedule, else each occurrence with one fix either side (the engine clips
/// to the schedule, so fixes outside every occurrence cannot change an
/// episode; skipping them is what makes a curfew cheap outside its hours).
fn curfew_spans(trail: &Trail, zones: &ZoneSet, subject: &str, lo: usize, hi: usize) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let span = Window::from_us(trail.t_us[lo], trail.t_us[hi].saturating_add(1));
    for z in zones.applicable(subject) {
        let zone = &zones.get(z).zone;
        if zone.kind != ZoneKind::Inclusion {
            continue;
        }
        let Some(schedule) = &zone.schedule else {
            return vec![(lo, hi)];
        };
        for occ in schedule.occurrences(span) {
            let r = trail.range(occ);
            let (a, b) = (r.start.saturating_sub(1).max(lo), r.end.min(hi));
            if a <= b {
                spans.push((a, b));
            }
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match merged.last_mut() {
            Some(m) if a <= m.1 + 1 => m.1 = m.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

impl ZoneTrackers {
    /// A discontinuity: every tracker closes its open episode and forgets
    /// its last fix; the next fix starts afresh.
    pub(crate) fn break_all(&mut self, out: &mut Vec<RawEpisode>) {
        for (_, (tr, last_t)) in &mut self.map {
            tr.break_here(out);
            *last_t = i64::MIN;
        }
        self.last = None;
    }

    /// Trackers for the subject's inclusion zones only (curfews).
    pub(crate) fn inclusion_only() -> Self {
        ZoneTrackers {
            inclusion_only: true,
            ..Default::default()
        }
    }
}

/// Raw episodes of one subject in `window`, sorted by zone, kind and start:
/// the fixes from one before the window to one after it are fed through
/// [`ZoneTrackers`] (so interpolation reaches the window's edges), then
/// episodes are clipped to the window and the fix counts and confirmation of
/// clipped episodes recomputed. `inclusion_only` for curfews.
pub(crate) fn subject_episodes(
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
    let lo = r.start.saturating_sub(1);
    let hi = r.end.min(trail.len() - 1);
    if r.is_empty() && (r.start == 0 || r.start >= trail.len()) {
        return out;
    }
    let mut trackers = if inclusion_only {
        ZoneTrackers::inclusion_only()
    } else {
        ZoneTrackers::default()
    };
    let mut scratch = Scratch::default();
    let spans = if inclusion_only {
        curfew_spans(trail, zones, name, lo, hi)
    } else {
        vec![(lo, hi)]
    };
    for (k, &(a, b)) in spans.iter().enumerate() {
        if k > 0 {
            // Fixes between two spans were skipped: no segment across them.
            trackers.break_all(&mut out);
        }
        for i in a..=b {
            trackers.feed(zones, name, track_fix(trail, i), p, &mut out, &mut scratch);
        }
    }
    trackers.finish(&mut out);
    out.retain_mut(|e| {
        if e.end_us < window.start_us || e.start_us >= window.end_us {
            return false;
        }
        if e.start_us < window.start_us || e.end_us >= window.end_us {
            e.start_us = e.start_us.max(window.start_us);
            e.end_us = e.end_us.min(window.end_us);
            let range = trail.range(Window::from_us(e.start_us, e.end_us.saturating_add(1)));
            let (fixes, mut evidence) = EpisodeTracker::recount(zones, e.zone as usize, e.kind, trail, range, p);
            // Seen only between fixes in the window: the interpolation evidence stands.
            evidence.keep_interpolation_of(&e.evidence);
            (e.fixes, e.evidence) = (fixes, evidence);
        }
        true
    });
    out.sort_by_key(|e| (e.zone, e.kind, e.start_us));
    out
}
