//! Breach episodes: the public types, batch evaluation ([`breaches`]) and
//! debouncing. The engine itself is in `engine.rs` ([`EpisodeTracker`], one
//! (subject, zone, rule) state machine), the trail × zones driver that
//! decides which trackers a fix is fed to in `driver.rs`, and fix-in-zone
//! flags in `hits.rs`. Batch breaches, curfews and the streaming monitor all
//! go through the same driver and engine: there is no second implementation.

mod driver;
mod engine;
mod explain;
mod hits;

use rayon::prelude::*;

pub(crate) use self::driver::kind_code;
pub(crate) use self::driver::{subject_episodes, Scratch, ZoneTrackers};
#[cfg(feature = "internals")]
pub use self::engine::EpisodeTracker;
pub use self::engine::{EngineParams, RawEpisode};
pub use self::explain::{breach_evidence, evidence_of, EvidenceFix};
pub use self::hits::{fix_zone_hits, FixZoneHit};
use crate::error::Error;
use crate::evidence::EvidenceModel;
use crate::options;
use crate::store::TrailStore;
use crate::time::{from_us, Window};
use crate::trail::Trail;
use crate::zone::ZoneSet;

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

/// How sure an episode is: the verdict of its [`BreachEpisode::probability`]
/// against [`EvidenceModel::confirm_probability`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The probability that the subject really was on the violating side is
    /// at least the model's threshold.
    Confirmed,
    /// Below the threshold: in violation only within the fixes' error, only
    /// by interpolation, on outliers alone, or without any accuracy.
    Possible,
}

impl Confidence {
    /// The verdict for `probability` under `model`.
    pub fn of(probability: f64, model: &EvidenceModel) -> Confidence {
        if probability >= model.confirm_probability {
            Confidence::Confirmed
        } else {
            Confidence::Possible
        }
    }
}

impl Confidence {
    /// `"confirmed"` or `"possible"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Possible => "possible",
        }
    }
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
    /// How fixes become a verdict (accuracy level, drift, outliers,
    /// threshold).
    pub evidence: EvidenceModel,
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
        self.evidence.validate()
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
            evidence: EvidenceModel::default(),
        }
    }
}

/// A breach episode of one subject and zone.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BreachEpisode {
    /// The subject.
    pub subject: String,
    /// The zone id.
    pub zone: String,
    /// The version of the zone the episode was judged under (`None` for a
    /// zone with one version); an episode never spans a version change.
    pub zone_version: Option<String>,
    /// The rule broken.
    pub kind: EpisodeKind,
    /// Start, UTC µs: the exact crossing (or schedule start) time.
    pub start_us: i64,
    /// End, UTC µs: the exact crossing (or schedule end) time.
    pub end_us: i64,
    /// Fixes in violation inside the episode.
    pub fixes: u32,
    /// Confirmed or possible ([`Confidence::of`] the probability).
    pub confidence: Confidence,
    /// The probability, in [0, 1], that the subject really was on the
    /// violating side (see [`EvidenceModel`]); 0 without any evidence.
    pub probability: f64,
    /// Fixes whose evidence supports it (violating, with an accuracy, not
    /// outliers).
    pub supporting_fixes: u32,
    /// Violating fixes judged outliers (kept and shown, no evidence).
    pub outlier_fixes: u32,
    /// The largest margin of a supporting fix beyond the boundary, in units
    /// of its error σ (capped at [`crate::evidence::MAX_SHOWN_SIGMA`]).
    pub max_margin_sigma: f64,
    /// The combined margin `Z` of all the evidence, σ (the fitted mean
    /// margin over its standard error, errors correlated in time); `None`
    /// without evidence.
    pub combined_margin_sigma: Option<f64>,
    /// The evidence's typical error σ, metres (geometric mean over the
    /// supporting fixes); `None` without evidence.
    pub mean_error_m: Option<f64>,
    /// How far the first supporting fix is from the fix before it, in units
    /// of their combined error σ: near 0 when the fixes scatter about one
    /// place across the boundary (weaker evidence), large when the subject
    /// moved there; `None` when unknown (see
    /// [`crate::evidence::Evidence::separation_before_sigma`]).
    pub separation_before_sigma: Option<f64>,
    /// The same for the last supporting fix and the fix after it; `None`
    /// when unknown.
    pub separation_after_sigma: Option<f64>,
}

impl BreachEpisode {
    /// The public form of an engine episode.
    pub(crate) fn from_raw(subject: &str, zones: &ZoneSet, e: &RawEpisode, model: &EvidenceModel) -> Self {
        let separations = e.evidence.separations_sigma();
        let probability = e.evidence.probability_with(model, separations);
        BreachEpisode {
            subject: subject.to_owned(),
            zone: zones.get(e.zone as usize).zone.id.clone(),
            zone_version: zones.get(e.zone as usize).zone.effective.version.clone(),
            kind: e.kind,
            start_us: e.start_us,
            end_us: e.end_us,
            fixes: e.fixes,
            confidence: Confidence::of(probability, model),
            probability,
            supporting_fixes: e.evidence.supporting(),
            outlier_fixes: e.evidence.outliers,
            max_margin_sigma: e.evidence.max_margin_sigma(),
            combined_margin_sigma: e.evidence.combined_sigma(model),
            mean_error_m: e.evidence.mean_error_m(),
            separation_before_sigma: separations.0,
            separation_after_sigma: separations.1,
        }
    }

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

/// Whether the span between two episodes may be merged: data throughout (no
/// gap) and the zone active throughout.
fn mergeable(
    trail: &Trail,
    zones: &ZoneSet,
    zone: usize,
    subject: &str,
    a_end: i64,
    b_start: i64,
    max_gap_s: f64,
) -> bool {
    if b_start <= a_end {
        return true;
    }
    let w = Window::from_us(a_end, b_start);
    if !trail.gaps(w, max_gap_s).is_empty() {
        return false;
    }
    !zones.is_conditional(zone)
        || zones
            .active_windows(zone, subject, w)
            .iter()
            .any(|&(s, e)| s <= a_end && e >= b_start)
}

/// Applies the debounce options to one subject's raw episodes (sorted by
/// zone, kind, start).
pub(crate) fn debounce(
    subject: &str,
    trail: &Trail,
    zones: &ZoneSet,
    raw: Vec<RawEpisode>,
    options: &BreachOptions,
    max_gap_s: f64,
) -> Vec<RawEpisode> {
    let model = &options.evidence;
    let mut merged: Vec<RawEpisode> = Vec::with_capacity(raw.len());
    for e in raw {
        if let Some(m) = merged.last_mut() {
            if options.merge_gap_s > 0.0
                && m.zone == e.zone
                && m.kind == e.kind
                && ((e.start_us - m.end_us) as f64) <= options.merge_gap_s * 1e6
                && mergeable(trail, zones, e.zone as usize, subject, m.end_us, e.start_us, max_gap_s)
            {
                m.end_us = m.end_us.max(e.end_us);
                m.fixes += e.fixes;
                m.evidence.merge(model, &e.evidence);
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
        model: options.evidence,
    };
    let per_subject: Vec<Vec<BreachEpisode>> = (0..store.subject_count())
        .into_par_iter()
        .map(|s| {
            let raw = subject_episodes(store, s, zones, window, &p, false);
            let eps = debounce(
                &store.subjects()[s],
                store.trail_at(s),
                zones,
                raw,
                options,
                p.max_gap_s,
            );
            eps.into_iter()
                .map(|e| BreachEpisode::from_raw(&store.subjects()[s], zones, &e, &options.evidence))
                .collect()
        })
        .collect();
    let mut all: Vec<BreachEpisode> = per_subject.into_iter().flatten().collect();
    all.sort_by(|a, b| (&a.subject, &a.zone, a.kind, a.start_us).cmp(&(&b.subject, &b.zone, b.kind, b.start_us)));
    Ok(all)
}
