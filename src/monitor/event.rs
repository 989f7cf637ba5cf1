//! Monitor events: kinds, deterministic ids and how an event is built from
//! an episode change.

use std::sync::Arc;

use crate::breach::{Confidence, EpisodeKind, RawEpisode};
use crate::evidence::EvidenceModel;
use crate::zone::ZoneSet;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An exclusion or buffer episode began.
    BreachStarted,
    /// An exclusion or buffer episode ended.
    BreachEnded,
    /// An inclusion (curfew) episode began: the subject left during an active window.
    CurfewViolationStarted,
    /// An inclusion episode ended.
    CurfewViolationEnded,
    /// A late fix changed an episode already reported (`old_*` → the new interval;
    /// no new interval means the episode no longer exists).
    Amended,
    /// No fix for longer than `signal_loss_s`.
    SignalLost,
    /// A fix arrived after a signal loss.
    SignalRestored,
    /// A fix older than the retained history: recorded, not evaluated.
    LateFixBeyondHistory,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 8] = [
        EventKind::BreachStarted,
        EventKind::BreachEnded,
        EventKind::CurfewViolationStarted,
        EventKind::CurfewViolationEnded,
        EventKind::Amended,
        EventKind::SignalLost,
        EventKind::SignalRestored,
        EventKind::LateFixBeyondHistory,
    ];

    /// The name used in JSON and by the bindings (`breach_started`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::BreachStarted => "breach_started",
            EventKind::BreachEnded => "breach_ended",
            EventKind::CurfewViolationStarted => "curfew_violation_started",
            EventKind::CurfewViolationEnded => "curfew_violation_ended",
            EventKind::Amended => "amended",
            EventKind::SignalLost => "signal_lost",
            EventKind::SignalRestored => "signal_restored",
            EventKind::LateFixBeyondHistory => "late_fix_beyond_history",
        }
    }
}

/// A deterministic event id: a 64-bit stable hash of the event's subject,
/// zone, kind and episode interval, written (and serialised) as 16
/// lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub u64);

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for EventId {
    type Err = String;
    /// Parses 16 hex digits.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() != 16 {
            return Err(format!("event id {s:?}: expected 16 hex digits"));
        }
        u64::from_str_radix(s, 16)
            .map(EventId)
            .map_err(|_| format!("event id {s:?}: expected 16 hex digits"))
    }
}

impl serde::Serialize for EventId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EventId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = serde::Deserialize::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One monitor event. Subject and zone ids are shared strings (`Arc<str>`:
/// use them as `&str`), so emitting an event copies no text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MonitorEvent {
    /// Deterministic id (16 hex digits): the same episode event always gets
    /// the same id, so consumers de-duplicate re-emitted events by it.
    pub id: EventId,
    /// What happened.
    pub kind: EventKind,
    /// The subject.
    pub subject: Arc<str>,
    /// The zone id, for episode events.
    pub zone: Option<Arc<str>>,
    /// The version of the zone the episode was judged under, for episode
    /// events of a zone with several versions (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_version: Option<Arc<str>>,
    /// The rule, for episode events.
    pub episode_kind: Option<EpisodeKind>,
    /// Episode start (UTC µs) — the new one for amendments.
    pub start_us: Option<i64>,
    /// Episode end (UTC µs), once ended.
    pub end_us: Option<i64>,
    /// The interval before an amendment.
    pub old_start_us: Option<i64>,
    /// The interval end before an amendment (None if it was still open).
    pub old_end_us: Option<i64>,
    /// Fixes in violation in the episode (ended and amended events).
    pub fixes: Option<u32>,
    /// Confidence (ended and amended events).
    pub confidence: Option<Confidence>,
    /// The probability behind the confidence (ended and amended events; see
    /// [`crate::evidence::EvidenceModel`]).
    #[serde(default)]
    pub probability: Option<f64>,
    /// Supporting fixes (ended and amended events).
    #[serde(default)]
    pub supporting_fixes: Option<u32>,
    /// Violating fixes judged outliers (ended and amended events).
    #[serde(default)]
    pub outlier_fixes: Option<u32>,
    /// Largest margin of a supporting fix beyond the boundary, σ (ended and
    /// amended events).
    #[serde(default)]
    pub max_margin_sigma: Option<f64>,
    /// The combined margin of the evidence, σ (ended and amended events
    /// with evidence; see [`crate::BreachEpisode::combined_margin_sigma`]).
    #[serde(default)]
    pub combined_margin_sigma: Option<f64>,
    /// The evidence's typical error σ, metres (as
    /// [`crate::BreachEpisode::mean_error_m`]).
    #[serde(default)]
    pub mean_error_m: Option<f64>,
    /// Separation of the first supporting fix from the fix before it, σ
    /// (as [`crate::BreachEpisode::separation_before_sigma`]).
    #[serde(default)]
    pub separation_before_sigma: Option<f64>,
    /// Separation of the last supporting fix from the fix after it, σ
    /// (as [`crate::BreachEpisode::separation_after_sigma`]).
    #[serde(default)]
    pub separation_after_sigma: Option<f64>,
    /// Event time: the fix time that triggered it, UTC µs.
    pub event_time_us: i64,
    /// Processing time: when the monitor emitted it, UTC µs.
    pub processing_time_us: i64,
}

/// A stable id from parts: FNV-1a 64 over each part followed by a 0xff separator.
fn fnv(parts: &[&[u8]]) -> EventId {
    let mut h = crate::hash::Fnv64::new();
    for p in parts {
        h.write(p);
        h.write(&[0xff]);
    }
    EventId(h.finish())
}

/// Where an event is stamped: the subject, the zones (for the zone id) and
/// the processing time.
pub(super) struct Stamp<'a> {
    pub subject: &'a Arc<str>,
    pub zones: &'a ZoneSet,
    pub pt: i64,
    /// The verdict model (confidence and probability of ended episodes).
    pub model: &'a EvidenceModel,
}

/// What an episode event says: its kind, the episode (the new version for
/// an amendment), the version it replaces, and whether the episode is closed
/// (an `ended` event, or an amendment of a closed episode).
pub(super) struct Change<'a> {
    pub kind: EventKind,
    pub episode: Option<&'a RawEpisode>,
    pub old: Option<&'a RawEpisode>,
    pub closed: bool,
}

impl Stamp<'_> {
    /// An event about the subject rather than an episode (signal, late fix).
    pub(super) fn subject_event(&self, kind: EventKind, event_time_us: i64) -> MonitorEvent {
        event(
            self,
            Change {
                kind,
                episode: None,
                old: None,
                closed: false,
            },
            event_time_us,
        )
    }
}

/// An event with its deterministic id.
pub(super) fn event(stamp: &Stamp<'_>, change: Change<'_>, event_time_us: i64) -> MonitorEvent {
    let number = change.episode.or(change.old).map(|e| e.zone as usize);
    let zone = number.map(|z| Arc::clone(stamp.zones.shared_id(z)));
    let version = number.and_then(|z| stamp.zones.get(z).zone.effective.version.as_deref().map(Arc::from));
    event_in(stamp, change, event_time_us, zone, version)
}

/// [`event`] with the zone id (and version) given: for an episode of a
/// zone that is no longer in the set (a migration withdraws it).
pub(super) fn event_in(
    stamp: &Stamp<'_>,
    change: Change<'_>,
    event_time_us: i64,
    zone: Option<Arc<str>>,
    zone_version: Option<Arc<str>>,
) -> MonitorEvent {
    let Stamp { subject, pt, model, .. } = *stamp;
    let Change {
        kind,
        episode: ep,
        old,
        closed,
    } = change;
    let ek = ep.or(old).map(|e| e.kind);
    let (start, end) = match ep {
        Some(e) => (Some(e.start_us), closed.then_some(e.end_us)),
        None => (None, None),
    };
    let numbers = [
        start.unwrap_or(i64::MIN).to_le_bytes(),
        end.unwrap_or(i64::MIN).to_le_bytes(),
        old.map_or(i64::MIN, |o| o.start_us).to_le_bytes(),
        old.map_or(i64::MIN, |o| o.end_us).to_le_bytes(),
        (if ep.is_none() && old.is_none() {
            event_time_us
        } else {
            0
        })
        .to_le_bytes(),
    ];
    let mut amended_detail;
    let mut parts: Vec<&[u8]> = vec![
        subject.as_bytes(),
        kind_id_name(kind).as_bytes(),
        zone.as_deref().unwrap_or("").as_bytes(),
        episode_id_name(ek).as_bytes(),
    ];
    parts.extend(numbers.iter().map(|n| n.as_slice()));
    // Amendments: everything else they carry, so two different amendments of
    // the same interval never share an id. (Other kinds keep the id layout
    // earlier releases emitted: ids are pinned.)
    if kind == EventKind::Amended {
        let detail = |e: Option<&RawEpisode>| {
            e.map_or([0u64; 2], |e| {
                let p = e.evidence.probability(model);
                let confirmed = Confidence::of(p, model) == Confidence::Confirmed;
                [(u64::from(e.fixes) << 2) | (u64::from(confirmed) << 1) | 1, p.to_bits()]
            })
        };
        amended_detail = [detail(ep.filter(|_| closed)), detail(old), [u64::from(closed), 0]]
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>();
        // The separations an amendment shows (they can change alone: a late
        // fix next to an episode whose probability is already saturated).
        // Appended only when known, so ids of amendments without them keep
        // the layout earlier releases emitted.
        if let Some(e) = ep.filter(|_| closed) {
            for s in [
                e.evidence.separation_before_sigma(),
                e.evidence.separation_after_sigma(),
            ]
            .into_iter()
            .flatten()
            {
                amended_detail.extend_from_slice(&s.to_bits().to_le_bytes());
            }
        }
        parts.push(&amended_detail);
    }
    let id = fnv(&parts);
    let shown = ep.filter(|_| closed).map(|e| (e.evidence.probability(model), e));
    MonitorEvent {
        id,
        kind,
        subject: Arc::clone(subject),
        zone,
        zone_version,
        episode_kind: ek,
        start_us: start,
        end_us: end,
        old_start_us: old.map(|o| o.start_us),
        old_end_us: old.map(|o| o.end_us),
        fixes: ep.filter(|_| closed).map(|e| e.fixes),
        confidence: shown.map(|(p, _)| Confidence::of(p, model)),
        probability: shown.map(|(p, _)| p),
        supporting_fixes: shown.map(|(_, e)| e.evidence.supporting()),
        outlier_fixes: shown.map(|(_, e)| e.evidence.outliers),
        max_margin_sigma: shown.map(|(_, e)| e.evidence.max_margin_sigma()),
        combined_margin_sigma: shown.and_then(|(_, e)| e.evidence.combined_sigma(model)),
        mean_error_m: shown.and_then(|(_, e)| e.evidence.mean_error_m()),
        separation_before_sigma: shown.and_then(|(_, e)| e.evidence.separation_before_sigma()),
        separation_after_sigma: shown.and_then(|(_, e)| e.evidence.separation_after_sigma()),
        event_time_us,
        processing_time_us: pt,
    }
}

/// The spelling of an event kind inside event ids: its `Debug` form, fixed
/// forever (ids must not change between versions; a test pins it).
pub(super) fn kind_id_name(k: EventKind) -> &'static str {
    match k {
        EventKind::BreachStarted => "BreachStarted",
        EventKind::BreachEnded => "BreachEnded",
        EventKind::CurfewViolationStarted => "CurfewViolationStarted",
        EventKind::CurfewViolationEnded => "CurfewViolationEnded",
        EventKind::Amended => "Amended",
        EventKind::SignalLost => "SignalLost",
        EventKind::SignalRestored => "SignalRestored",
        EventKind::LateFixBeyondHistory => "LateFixBeyondHistory",
    }
}

/// The spelling of an optional episode kind inside event ids (`Debug` form).
pub(super) fn episode_id_name(k: Option<EpisodeKind>) -> &'static str {
    match k {
        None => "None",
        Some(EpisodeKind::Exclusion) => "Some(Exclusion)",
        Some(EpisodeKind::Inclusion) => "Some(Inclusion)",
        Some(EpisodeKind::Buffer) => "Some(Buffer)",
    }
}

pub(super) fn started_kind(k: EpisodeKind) -> EventKind {
    if k == EpisodeKind::Inclusion {
        EventKind::CurfewViolationStarted
    } else {
        EventKind::BreachStarted
    }
}

pub(super) fn ended_kind(k: EpisodeKind) -> EventKind {
    if k == EpisodeKind::Inclusion {
        EventKind::CurfewViolationEnded
    } else {
        EventKind::BreachEnded
    }
}
