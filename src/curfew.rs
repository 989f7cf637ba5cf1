//! Curfew compliance: per subject, inclusion zone with a schedule, and window
//! occurrence, how the scheduled time splits into inside, outside and unknown.
//!
//! Built on the breach engine: "outside" is exactly the inclusion episodes the
//! engine finds inside the occurrence; "unknown" is the time in gaps (no
//! interpolation across gaps longer than `max_gap_s`, and no data before the
//! first or after the last fix); "authorised" and "suspended" the time under
//! an authorised absence or a suspension (licence conditions); "inside" is
//! the rest.

use rayon::prelude::*;

use crate::breach::{subject_episodes, Confidence, EngineParams, EpisodeKind};
use crate::error::Error;
use crate::evidence::EvidenceModel;
use crate::options;
use crate::store::TrailStore;
use crate::time::{from_us, Window};
use crate::zone::{overlap_us, ZoneKind, ZoneSet};

/// Options of curfew evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CurfewOptions {
    /// An outside episode counts as a violation when it lasts at least this
    /// many seconds (default 0: every episode counts).
    pub grace_s: f64,
    /// Accuracy in metres assumed for fixes that report none (`None`, the
    /// default: such fixes are no evidence, so they never confirm).
    pub assumed_accuracy_m: Option<f64>,
    /// How fixes become a verdict: only `confirmed` outside episodes are
    /// `violations`.
    pub evidence: EvidenceModel,
}

impl CurfewOptions {
    /// Checks every option: `grace_s` finite seconds >= 0,
    /// `assumed_accuracy_m` finite metres >= 0, the evidence model.
    ///
    /// # Errors
    /// [`Error::Option`] naming the bad option.
    pub fn validate(&self) -> Result<(), Error> {
        options::seconds("grace_s", self.grace_s)?;
        if let Some(a) = self.assumed_accuracy_m {
            options::accuracy("assumed_accuracy_m", a)?;
        }
        self.evidence.validate()
    }
}

/// Compliance with one occurrence of one curfew window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurfewRow {
    /// The subject.
    pub subject: String,
    /// The inclusion zone id.
    pub zone: String,
    /// Occurrence start, UTC µs (clipped to the query window).
    pub window_start_us: i64,
    /// Occurrence end, UTC µs, exclusive (clipped to the query window).
    pub window_end_us: i64,
    /// Scheduled seconds (`window_end - window_start`).
    pub scheduled_s: f64,
    /// Seconds known to be inside the zone.
    pub inside_s: f64,
    /// Seconds outside the zone by the interpolated trail
    /// (`confirmed_outside_s + possible_outside_s`).
    pub outside_s: f64,
    /// Seconds of `outside_s` in `confirmed` episodes.
    pub confirmed_outside_s: f64,
    /// Seconds of `outside_s` in `possible` episodes (within the fixes'
    /// error, on outliers or interpolation alone: not evidence of a breach).
    pub possible_outside_s: f64,
    /// Seconds without data (gaps); never compliance, never a breach.
    pub unknown_s: f64,
    /// `confirmed` outside episodes lasting at least `grace_s`: the
    /// violations.
    pub violations: u32,
    /// `possible` outside episodes lasting at least `grace_s`, reported
    /// apart (never counted as violations).
    pub possible_violations: u32,
    /// Start of the first confirmed violation, UTC µs.
    pub first_exit_us: Option<i64>,
    /// Seconds inside an authorised absence covering the zone (and not
    /// suspended): never a breach, never compliance.
    pub authorised_s: f64,
    /// Seconds inside a suspension of the subject's alerts.
    pub suspended_s: f64,
    /// The version of the zone the row was judged under (`None` for a zone
    /// with one version). A night crossing a version change gives a row per
    /// version, each covering its part.
    pub zone_version: Option<String>,
}

impl CurfewRow {
    /// Occurrence start.
    pub fn window_start(&self) -> jiff::Timestamp {
        from_us(self.window_start_us)
    }
    /// Occurrence end (exclusive).
    pub fn window_end(&self) -> jiff::Timestamp {
        from_us(self.window_end_us)
    }
}

/// Curfew compliance of every subject against every scheduled inclusion zone
/// that applies to it, for each window occurrence overlapping `window`.
/// Sorted by subject, zone and window start.
///
/// A bounded side of `window` is honoured as given, so nights without any
/// data are reported (all unknown); an unbounded side (`Window::all()`) is
/// taken as the first / last fix in the store.
///
/// Every row keeps `scheduled_s = inside_s + outside_s + unknown_s +
/// authorised_s + suspended_s` exactly (in integer microseconds): outside
/// time comes from episodes, which never span a gap nor an authorised
/// absence or suspension (the engine lifts the rule there), unknown time
/// from gaps outside those, so no two overlap. Under zone versions an
/// occurrence is clipped to the version's effective interval.
///
/// # Errors
/// [`Error::Option`] for an invalid option (see [`CurfewOptions::validate`]).
pub fn curfew(
    store: &TrailStore,
    zones: &ZoneSet,
    window: Window,
    options: &CurfewOptions,
) -> Result<Vec<CurfewRow>, Error> {
    options.validate()?;
    let span = (0..store.subject_count())
        .map(|s| store.trail_at(s).times_us())
        .filter(|t| !t.is_empty())
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t[0]), b.max(t[t.len() - 1])));
    if span.0 > span.1 {
        return Ok(Vec::new());
    }
    let window = Window::from_us(
        if window.start_us == i64::MIN {
            span.0
        } else {
            window.start_us
        },
        if window.end_us == i64::MAX {
            span.1.saturating_add(1)
        } else {
            window.end_us
        },
    );
    let p = EngineParams {
        max_gap_s: store.max_gap_s(),
        assumed_accuracy_m: options.assumed_accuracy_m,
        model: options.evidence,
    };
    let rows: Vec<Vec<CurfewRow>> = (0..store.subject_count())
        .into_par_iter()
        .map(|s| {
            let name = &store.subjects()[s];
            let trail = store.trail_at(s);
            let mut rows = Vec::new();
            let mut episodes = None;
            for zi in zones.applicable(name) {
                let z = zones.get(zi);
                if z.zone.schedule.is_none() || z.zone.kind != ZoneKind::Inclusion {
                    continue;
                }
                let eps = episodes.get_or_insert_with(|| subject_episodes(store, s, zones, window, &p, true));
                let lifted = zones.lifted(name, zi);
                let lifted_all = lifted.all();
                for (os, oe) in zones.scheduled_windows(zi, window) {
                    let occ = Window::from_us(os.max(window.start_us), oe.min(window.end_us));
                    if occ.is_empty() {
                        continue;
                    }
                    let (mut outside_us, mut confirmed_us) = (0i64, 0i64);
                    let (mut violations, mut possible_violations) = (0u32, 0u32);
                    let mut first_exit = None;
                    for e in eps
                        .iter()
                        .filter(|e| e.zone as usize == zi && e.kind == EpisodeKind::Inclusion)
                        .filter(|e| e.start_us < occ.end_us && e.end_us >= occ.start_us)
                    {
                        let (a, b) = (e.start_us.max(occ.start_us), e.end_us.min(occ.end_us));
                        outside_us += (b - a).max(0);
                        let confirmed =
                            Confidence::of(e.evidence.probability(&p.model), &p.model) == Confidence::Confirmed;
                        if confirmed {
                            confirmed_us += (b - a).max(0);
                        }
                        if ((b - a) as f64) >= options.grace_s * 1e6 {
                            if confirmed {
                                violations += 1;
                                first_exit.get_or_insert(a);
                            } else {
                                possible_violations += 1;
                            }
                        }
                    }
                    let (authorised_us, suspended_us) = (
                        overlap_us(occ.start_us, occ.end_us, &lifted.authorised),
                        overlap_us(occ.start_us, occ.end_us, &lifted.suspended),
                    );
                    // Gaps count as unknown only where the rule applies.
                    let unknown_us: i64 = trail
                        .gaps(occ, p.max_gap_s)
                        .iter()
                        .map(|g| g.end_us - g.start_us - overlap_us(g.start_us, g.end_us, &lifted_all))
                        .sum();
                    let scheduled_us = occ.end_us - occ.start_us;
                    // Not clamped: a negative remainder would mean two kinds
                    // of time overlap, a bug to see, not to hide.
                    let inside_us = scheduled_us - outside_us - unknown_us - authorised_us - suspended_us;
                    debug_assert!(
                        inside_us >= 0,
                        "curfew identity broken for {name} / {}: scheduled {scheduled_us} µs < outside {outside_us} + unknown {unknown_us} + authorised {authorised_us} + suspended {suspended_us}",
                        z.zone.id
                    );
                    rows.push(CurfewRow {
                        subject: name.clone(),
                        zone: z.zone.id.clone(),
                        window_start_us: occ.start_us,
                        window_end_us: occ.end_us,
                        scheduled_s: scheduled_us as f64 / 1e6,
                        inside_s: inside_us as f64 / 1e6,
                        outside_s: outside_us as f64 / 1e6,
                        confirmed_outside_s: confirmed_us as f64 / 1e6,
                        possible_outside_s: (outside_us - confirmed_us) as f64 / 1e6,
                        unknown_s: unknown_us as f64 / 1e6,
                        violations,
                        possible_violations,
                        first_exit_us: first_exit,
                        authorised_s: authorised_us as f64 / 1e6,
                        suspended_s: suspended_us as f64 / 1e6,
                        zone_version: z.zone.effective.version.clone(),
                    });
                }
            }
            rows
        })
        .collect();
    let mut all: Vec<CurfewRow> = rows.into_iter().flatten().collect();
    all.sort_by(|a, b| (&a.subject, &a.zone, a.window_start_us).cmp(&(&b.subject, &b.zone, b.window_start_us)));
    Ok(all)
}
