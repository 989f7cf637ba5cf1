//! The episode engine: [`EpisodeTracker`], the incremental state machine of
//! one (subject, zone, rule) fed fixes in time order. Between consecutive
//! fixes at most `max_gap_s` apart it computes exactly when the interpolated
//! position is in violation (inside an exclusion zone or its buffer, outside
//! an inclusion zone), clips that to the zone's schedule, and extends or
//! opens an episode; a longer gap closes the open episode. Which trackers a
//! fix is fed to is the driver's business (`driver.rs`).

use super::{EpisodeKind, TrackFix};
use crate::evidence::{Evidence, EvidenceModel, MAX_SHOWN_SIGMA};
use crate::time::Window;
use crate::trail::Trail;
use crate::zone::{PreparedZone, Region, ZoneSet};

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
    /// What its fixes say (see [`Evidence`]); the verdict is
    /// [`Evidence::probability`] against the model's threshold.
    #[serde(default)]
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
struct Last {
    fix: TrackFix,
    /// Whether the region covers the fix.
    covered: bool,
    /// Whether `covered` was computed: a fix outside every active window of
    /// a scheduled zone is not located until a later segment needs it
    /// (curfews skip most point-in-polygon tests outside curfew hours).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    known: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
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
    /// Makes the cache cover `[a, b]`: the windows in which zone number
    /// `zone`'s rule applies to `subject` (schedule, version, conditions:
    /// [`ZoneSet::active_windows`]).
    #[inline]
    fn ensure(&mut self, zones: &ZoneSet, zone: usize, subject: &str, a: i64, b: i64) {
        // The common case inline (checked twice per fix); a refill is rare.
        if !(a >= self.from_us && b < self.to_us && self.to_us > self.from_us) {
            self.refill(zones, zone, subject, a, b);
        }
    }

    #[inline(never)]
    fn refill(&mut self, zones: &ZoneSet, zone: usize, subject: &str, a: i64, b: i64) {
        let from = a.saturating_sub(DAY_US);
        let to = b.max(a.saturating_add(14 * DAY_US)).saturating_add(DAY_US);
        let windows = zones.active_windows(zone, subject, Window::from_us(from, to));
        self.windows = Windows((!windows.is_empty()).then(|| windows.into()));
        self.from_us = from;
        self.to_us = to;
    }
}

/// Whom and what a tracker judges: the zone set and the subject (whose
/// absences and suspensions lift rules). One reference, so the hot
/// [`EpisodeTracker::push_with`] keeps its arguments in registers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The zones (with their conditions).
    pub(crate) zones: &'a ZoneSet,
    /// The subject.
    pub(crate) subject: &'a str,
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

#[cfg(feature = "internals")]
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
    /// How fixes become a verdict.
    pub model: EvidenceModel,
}

impl EngineParams {
    /// σ in metres of a fix's position error; `None` when it reports no
    /// accuracy and none is assumed (such a fix is no evidence).
    #[inline]
    pub(crate) fn sigma_m(&self, f: &TrackFix) -> Option<f64> {
        f.accuracy_m
            .map(f64::from)
            .or(self.assumed_accuracy_m)
            .map(|a| self.model.sigma_m(a))
    }
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

    /// The episode in progress, if any.
    pub fn open_episode(&self) -> Option<&RawEpisode> {
        self.open.as_ref()
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

    /// Holds a violating fix (preceded by `a`) as evidence of `ev`.
    fn support(ev: &mut Evidence, region: &Region, f: &TrackFix, a: Option<&Last>, p: &EngineParams) {
        if let Some(sigma) = p.sigma_m(f) {
            let z = margin_sigma(region, f.lon, f.lat, sigma);
            ev.hold(
                &p.model,
                z,
                sigma,
                (f.lon, f.lat, f.t_us),
                a.map(|l| (l.fix.lon, l.fix.lat, l.fix.t_us)),
                a.and_then(|l| p.sigma_m(&l.fix)),
            );
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
            evidence: Evidence::default(),
        });
    }

    /// Feeds the next fix (times must increase; an equal or earlier time is
    /// treated as a break). Closed episodes are appended to `out`. (The
    /// driver uses [`EpisodeTracker::push_with`]; this form is for tests.)
    #[cfg(feature = "internals")]
    pub fn push(&mut self, zones: &ZoneSet, fix: TrackFix, p: &EngineParams, out: &mut Vec<RawEpisode>) {
        INTERVALS.with(|b| {
            let mut scratch = std::mem::take(&mut *b.borrow_mut());
            self.push_with(&Scope { zones, subject: "" }, fix, p, out, &mut scratch);
            *b.borrow_mut() = scratch;
        });
    }

    /// [`EpisodeTracker::push`] for `subject` (whose authorised absences
    /// and suspensions lift the rule) with caller-owned scratch space
    /// (callers holding many short-lived trackers reuse one).
    ///
    /// Long on purpose: the segment (interpolation, schedule clipping) and
    /// the fix (confirmation, opening, closing) are one transition of the
    /// state machine, the hottest code of batch and monitor alike; split
    /// into helpers, the shared `open`/`last` state would be threaded
    /// through each and the compiler stops keeping it in registers.
    pub(crate) fn push_with(
        &mut self,
        scope: &Scope<'_>,
        fix: TrackFix,
        p: &EngineParams,
        out: &mut Vec<RawEpisode>,
        scratch: &mut (Intervals, Intervals),
    ) {
        let Scope { zones, subject } = *scope;
        let zone = zones.get(self.zone as usize);
        let region = region_of(zone, self.kind);
        let zi = self.zone as usize;
        let scheduled = zones.is_conditional(zi);
        if let Some(o) = self.open.as_mut() {
            if self.last.is_some_and(|l| fix.t_us > l.fix.t_us) {
                o.evidence
                    .resolve(&p.model, Some((fix.lon, fix.lat, fix.t_us)), p.sigma_m(&fix));
            }
        }
        // Located on first need (see `Last::known`).
        let mut here: Option<bool> = None;
        let mut covered = || *here.get_or_insert_with(|| region.covers(fix.lon, fix.lat));
        match self.last {
            Some(l) if fix.t_us > l.fix.t_us && ((fix.t_us - l.fix.t_us) as f64) <= p.max_gap_s * 1e6 => {
                let (t0, t1) = (l.fix.t_us, fix.t_us);
                if scheduled {
                    self.cache.ensure(zones, zi, subject, t0, t1);
                }
                let any_active = !scheduled || self.cache.windows.iter().any(|&(s, e)| s <= t1 && e > t0);
                if any_active {
                    let (inside, comp) = scratch;
                    inside.clear();
                    comp.clear();
                    region.covered_intervals_known(
                        (l.fix.lon, l.fix.lat),
                        (fix.lon, fix.lat),
                        if l.known {
                            l.covered
                        } else {
                            region.covers(l.fix.lon, l.fix.lat)
                        },
                        covered(),
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
                        let interior = s0 > 0.0 && s1 < 1.0;
                        if scheduled {
                            let windows = self.cache.windows.clone();
                            for &(ws, we) in windows.iter() {
                                let (x, y) = (a.max(ws), b.min(we));
                                if x < y || (a == b && ws <= a && a < we) {
                                    self.extend_or_open(x, y, out);
                                    if interior {
                                        self.interpolation_evidence(region, &l.fix, &fix, s0, s1, p);
                                    }
                                }
                            }
                        } else {
                            self.extend_or_open(a, b, out);
                            if interior {
                                self.interpolation_evidence(region, &l.fix, &fix, s0, s1, p);
                            }
                        }
                    }
                } else {
                    self.close(out);
                }
            }
            _ => self.close(out),
        }
        let active = !scheduled || {
            self.cache.ensure(zones, zi, subject, fix.t_us, fix.t_us);
            self.cache.windows.iter().any(|&(s, e)| s <= fix.t_us && fix.t_us < e)
        };
        if active && self.violates(covered()) {
            match self.open.as_mut() {
                Some(o) if o.end_us >= fix.t_us => {
                    o.fixes += 1;
                    Self::support(&mut o.evidence, region, &fix, self.last.as_ref(), p);
                }
                _ => {
                    self.close(out);
                    let mut evidence = Evidence::default();
                    Self::support(&mut evidence, region, &fix, self.last.as_ref(), p);
                    self.open = Some(RawEpisode {
                        zone: self.zone,
                        kind: self.kind,
                        start_us: fix.t_us,
                        end_us: fix.t_us,
                        fixes: 1,
                        evidence,
                    });
                }
            }
        } else if let Some(o) = self.open {
            // The open episode cannot continue past a compliant or inactive fix.
            if o.end_us < fix.t_us {
                self.close(out);
            }
        }
        self.last = Some(Last {
            fix,
            covered: here.unwrap_or(false),
            known: here.is_some(),
        });
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

    /// Records interpolation evidence for the open episode (used only
    /// while no fix supports it: a drive-through between fixes).
    fn interpolation_evidence(
        &mut self,
        region: &Region,
        a: &TrackFix,
        b: &TrackFix,
        s0: f64,
        s1: f64,
        p: &EngineParams,
    ) {
        let Some(o) = self.open.as_mut() else { return };
        if o.evidence.supporting() > 0 {
            return;
        }
        // The interpolated position at the middle of the interval; its σ
        // combines both ends' and the path's uncertainty.
        let (Some(sa), Some(sb)) = (p.sigma_m(a), p.sigma_m(b)) else {
            return;
        };
        let s = 0.5 * (s0 + s1);
        let (lon, lat) = (a.lon + s * (b.lon - a.lon), a.lat + s * (b.lat - a.lat));
        let frame = crate::geodesy::LocalFrame::new(a.lon, a.lat);
        let (dx, dy) = frame.to_xy(b.lon, b.lat);
        let path = p.model.path_fraction * dx.hypot(dy);
        let sigma = (((1.0 - s) * sa).powi(2) + (s * sb).powi(2) + path.powi(2)).sqrt();
        o.evidence.interpolated(margin_sigma(region, lon, lat, sigma), sigma);
    }

    /// The fixes in violation of `kind` for zone number `zone` among the
    /// trail's fixes `range`, and their evidence (each judged with its
    /// neighbours in the trail): the counts of an episode clipped to a
    /// query window.
    pub(crate) fn recount(
        zones: &ZoneSet,
        zone: usize,
        kind: EpisodeKind,
        trail: &Trail,
        range: std::ops::Range<usize>,
        p: &EngineParams,
    ) -> (u32, Evidence) {
        let region = region_of(zones.get(zone), kind);
        let tr = EpisodeTracker::new(zone, kind);
        let (mut n, mut ev) = (0u32, Evidence::default());
        for i in range {
            let f = track_fix(trail, i);
            if tr.violating(region, &f) {
                n += 1;
                let a = i.checked_sub(1).map(|j| Last {
                    fix: track_fix(trail, j),
                    covered: false,
                    known: false,
                });
                Self::support(&mut ev, region, &f, a.as_ref(), p);
                let b = (i + 1 < trail.len()).then(|| track_fix(trail, i + 1));
                ev.resolve(
                    &p.model,
                    b.map(|b| (b.lon, b.lat, b.t_us)),
                    b.as_ref().and_then(|b| p.sigma_m(b)),
                );
            }
        }
        (n, ev)
    }
}

/// How far beyond the boundary of `region` (lon, lat) is, in units of
/// `sigma_m`, clipped at [`MAX_SHOWN_SIGMA`] (the exact distance is computed
/// only when nearer). The caller knows the side.
pub(crate) fn margin_sigma(region: &Region, lon: f64, lat: f64, sigma_m: f64) -> f64 {
    if sigma_m <= 0.0 {
        // A claimed error of zero: any distance is decisive, none is nothing.
        return if region.boundary_distance_m(lon, lat) > 0.0 {
            MAX_SHOWN_SIGMA
        } else {
            0.0
        };
    }
    if region.boundary_farther_than(lon, lat, MAX_SHOWN_SIGMA * sigma_m) {
        return MAX_SHOWN_SIGMA;
    }
    (region.boundary_distance_m(lon, lat) / sigma_m).min(MAX_SHOWN_SIGMA)
}

/// Fix `i` of a trail as engine input.
#[inline]
pub(crate) fn track_fix(t: &Trail, i: usize) -> TrackFix {
    TrackFix {
        t_us: t.t_us[i],
        lon: t.lon[i],
        lat: t.lat[i],
        accuracy_m: t.accuracy_m(i),
    }
}
