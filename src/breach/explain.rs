//! Why a verdict is what it is: the fixes behind each breach episode, each
//! with its margin beyond the boundary in metres and in units of its error,
//! whether it supports the episode or was judged an outlier. Computed with
//! the engine's own functions (`margin_sigma`, the outlier test), so the
//! rows add up to the episode's `supporting_fixes` and `outlier_fixes`.

use super::engine::{margin_sigma, region_of, track_fix, EngineParams};
use super::{breaches, BreachEpisode, BreachOptions, EpisodeKind};
use crate::error::Error;
use crate::store::TrailStore;
use crate::time::Window;
use crate::zone::ZoneSet;

/// One fix in violation inside a breach episode, and what it says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EvidenceFix {
    /// The subject.
    pub subject: String,
    /// The zone id.
    pub zone: String,
    /// The rule broken.
    pub kind: EpisodeKind,
    /// Start of the episode the fix belongs to, UTC µs (with subject, zone
    /// and kind, the episode's key).
    pub episode_start_us: i64,
    /// The fix's time, UTC µs.
    pub t_us: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Accuracy the fix reported (68 % radius by default), metres.
    pub accuracy_m: Option<f64>,
    /// The error σ the model takes from it (reported or assumed accuracy),
    /// metres; `None`: no accuracy, so no evidence.
    pub error_m: Option<f64>,
    /// Distance beyond the boundary on the violating side, metres.
    pub margin_m: f64,
    /// `margin_m` in units of `error_m` (capped at
    /// [`crate::evidence::MAX_SHOWN_SIGMA`]); `None` without an error.
    pub margin_sigma: Option<f64>,
    /// Judged an outlier (implausible detour): kept and shown, no evidence.
    pub outlier: bool,
    /// Counts as evidence for the episode (has an error, not an outlier).
    pub supporting: bool,
}

/// The fixes behind every breach episode [`breaches`] returns for the same
/// arguments, in episode order then time.
///
/// # Errors
/// [`Error::Option`] for an invalid option.
pub fn breach_evidence(
    store: &TrailStore,
    zones: &ZoneSet,
    window: Window,
    options: &BreachOptions,
) -> Result<Vec<EvidenceFix>, Error> {
    let episodes = breaches(store, zones, window, options)?;
    Ok(evidence_of(store, zones, &episodes, options))
}

/// The fixes behind `episodes` (from [`breaches`] with `options`).
pub fn evidence_of(
    store: &TrailStore,
    zones: &ZoneSet,
    episodes: &[BreachEpisode],
    options: &BreachOptions,
) -> Vec<EvidenceFix> {
    let p = EngineParams {
        max_gap_s: options.max_gap_s.unwrap_or(store.max_gap_s()),
        assumed_accuracy_m: options.assumed_accuracy_m,
        model: options.evidence,
    };
    let mut out = Vec::new();
    for e in episodes {
        let (Some(s), Some(zi)) = (store.subject_index(&e.subject), zones.version_at(&e.zone, e.start_us)) else {
            continue;
        };
        let zone = zones.get(zi);
        let trail = store.trail_at(s);
        let region = region_of(zone, e.kind);
        let range = trail.range(Window::from_us(e.start_us, e.end_us.saturating_add(1)));
        for i in range {
            let f = track_fix(trail, i);
            let covered = region.covers(f.lon, f.lat);
            let violating = if e.kind == EpisodeKind::Inclusion {
                !covered
            } else {
                covered
            };
            let active = zones.is_active(zi, &e.subject, f.t_us);
            if !violating || !active {
                continue;
            }
            let error_m = p.sigma_m(&f);
            let margin_m = region.boundary_distance_m(f.lon, f.lat);
            let at = |j: usize| {
                let g = track_fix(trail, j);
                (g.lon, g.lat, g.t_us)
            };
            let outlier = error_m.is_some_and(|sigma| {
                p.model.is_outlier(
                    i.checked_sub(1).map(at),
                    (f.lon, f.lat, f.t_us),
                    (i + 1 < trail.len()).then(|| at(i + 1)),
                    sigma,
                )
            });
            out.push(EvidenceFix {
                subject: e.subject.clone(),
                zone: e.zone.clone(),
                kind: e.kind,
                episode_start_us: e.start_us,
                t_us: f.t_us,
                lon: f.lon,
                lat: f.lat,
                accuracy_m: f.accuracy_m.map(f64::from),
                error_m,
                margin_m,
                margin_sigma: error_m.map(|sigma| margin_sigma(region, f.lon, f.lat, sigma)),
                outlier,
                supporting: error_m.is_some() && !outlier,
            });
        }
    }
    out
}
