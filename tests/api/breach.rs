//! Breach episodes and curfew compliance against hand-computed expectations.

use trailfence::generate::offset_m;
use trailfence::{
    breaches, curfew, zones_from_geojson_str, BreachOptions, Confidence, CurfewOptions, EpisodeKind, Mode, TrailStore,
    Window, ZoneSet,
};

use crate::util::{t, window};

const HOME: (f64, f64) = (-0.1, 51.5);

/// Fixes every `step_s` from `start` with positions east of HOME by `east(k)` metres.
fn walk(start: &str, n: usize, step_s: i64, acc: f64, east: impl Fn(usize) -> f64) -> TrailStore {
    let t0 = t(start).as_microsecond();
    let subj = vec!["S"; n];
    let ts: Vec<i64> = (0..n).map(|k| t0 + k as i64 * step_s * 1_000_000).collect();
    let pos: Vec<(f64, f64)> = (0..n).map(|k| offset_m(HOME, east(k), 0.0)).collect();
    let lon: Vec<f64> = pos.iter().map(|p| p.0).collect();
    let lat: Vec<f64> = pos.iter().map(|p| p.1).collect();
    let acc = vec![acc; n];
    let mut b = TrailStore::builder();
    b.extend_columns(&subj, &ts, &lon, &lat, Some(&acc), Mode::Strict)
        .unwrap();
    b.build()
}

fn circle_zone(kind: &str, radius_m: f64, extra: &str) -> ZoneSet {
    zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"z","properties":{{"kind":"{kind}","radius_m":{radius_m}{extra}}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#,
            HOME.0, HOME.1
        ),
        "z",
    )
    .unwrap()
}

#[test]
fn walking_through_a_zone_between_two_fixes_is_a_breach_found_by_interpolation() {
    // 2 m/s eastwards, fixes every 60 s at x = -300, -180, -60, 60, 180 m: no fix in the 50 m circle.
    let store = walk("2024-06-01T12:00:00Z", 5, 60, 5.0, |k| -300.0 + 120.0 * k as f64);
    let zones = circle_zone("exclusion", 50.0, "");
    let eps = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(eps.len(), 1);
    let e = &eps[0];
    // No fix inside: on foot, 60 s between fixes, the person could have
    // walked round a 50 m circle, so the episode is possible (with its
    // probability shown), never confirmed on interpolation alone.
    assert_eq!(
        (e.kind, e.fixes, e.confidence, e.supporting_fixes),
        (EpisodeKind::Exclusion, 0, Confidence::Possible, 0)
    );
    assert!(e.probability > 0.0 && e.probability < 0.9, "{}", e.probability);
    // A vehicle at 15 m/s through a 200 m circle between fixes 900 m apart
    // (no fix inside) is a drive-through, and stays confirmed.
    let store = walk("2024-06-01T12:00:00Z", 4, 60, 5.0, |k| -1350.0 + 900.0 * k as f64);
    let zones = circle_zone("exclusion", 200.0, "");
    let eps = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(eps.len(), 1);
    assert_eq!(
        (eps[0].fixes, eps[0].confidence),
        (0, Confidence::Confirmed),
        "{:?}",
        eps[0]
    );
    // Inside from x = -50 m to +50 m: 50 s at 2 m/s, entering 5 s after the -60 m fix (12:02:00).
    assert!((e.duration_s() - 50.0).abs() < 0.1, "{}", e.duration_s());
    assert!(
        (e.start_us - t("2024-06-01T12:02:05Z").as_microsecond()).abs() < 100_000,
        "{}",
        e.start()
    );
}

#[test]
fn confidence_depends_on_accuracy() {
    // Dwells 40 m inside a 50 m circle's centre... at 10 m from the centre: 40 m from the boundary.
    let deep = walk("2024-06-01T12:00:00Z", 5, 60, 5.0, |_| 10.0);
    let zones = circle_zone("exclusion", 50.0, "");
    let e = &breaches(&deep, &zones, Window::all(), &BreachOptions::default()).unwrap()[0];
    assert_eq!((e.fixes, e.confidence), (5, Confidence::Confirmed));
    assert_eq!(e.duration_s(), 240.0);
    // 45 m from the centre with 20 m accuracy: inside only within accuracy.
    let shallow = walk("2024-06-01T12:00:00Z", 5, 60, 20.0, |_| 45.0);
    let e = &breaches(&shallow, &zones, Window::all(), &BreachOptions::default()).unwrap()[0];
    assert_eq!(e.confidence, Confidence::Possible);
}

#[test]
fn gaps_end_episodes_and_are_never_breaches() {
    // Inside, then a 20-minute gap, then inside again: two episodes.
    let t0 = t("2024-06-01T12:00:00Z").as_microsecond();
    let ts = [0i64, 60, 120, 1320, 1380].map(|s| t0 + s * 1_000_000);
    let p = offset_m(HOME, 5.0, 0.0);
    let mut b = TrailStore::builder();
    b.extend_columns(&["S"; 5], &ts, &[p.0; 5], &[p.1; 5], None, Mode::Strict)
        .unwrap();
    let store = b.build();
    let eps = breaches(
        &store,
        &circle_zone("exclusion", 50.0, ""),
        Window::all(),
        &BreachOptions::default(),
    )
    .unwrap();
    assert_eq!(eps.len(), 2);
    assert_eq!((eps[0].duration_s(), eps[1].duration_s()), (120.0, 60.0));
    // merge_gap_s must not merge across the gap.
    let opts = BreachOptions {
        merge_gap_s: 3600.0,
        ..Default::default()
    };
    assert_eq!(
        breaches(&store, &circle_zone("exclusion", 50.0, ""), Window::all(), &opts)
            .unwrap()
            .len(),
        2
    );
    // An inclusion zone the subject is far from: the gap is unknown, not a breach.
    let far = circle_zone("inclusion", 50.0, "");
    let store_far = walk("2024-06-01T12:00:00Z", 3, 900, 5.0, |_| 500.0);
    assert_eq!(
        breaches(&store_far, &far, Window::all(), &BreachOptions::default())
            .unwrap()
            .len(),
        3,
        "three isolated fixes"
    );
    assert!(breaches(&store_far, &far, Window::all(), &BreachOptions::default())
        .unwrap()
        .iter()
        .all(|e| e.duration_s() == 0.0));
}

#[test]
fn debounce_options() {
    // In and out of a 50 m circle: in for 2 fixes, out for 1, in for 1.
    let xs = [200.0, 0.0, 0.0, 200.0, 0.0, 200.0];
    let store = walk("2024-06-01T12:00:00Z", xs.len(), 60, 5.0, |k| xs[k]);
    let zones = circle_zone("exclusion", 50.0, "");
    let raw = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(raw.len(), 2);
    let by_fixes = breaches(
        &store,
        &zones,
        Window::all(),
        &BreachOptions {
            min_fixes: 2,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(by_fixes.len(), 1);
    // Durations: 15 + 60 + 15 = 90 s, then 15 + 15 = 30 s.
    assert!((raw[0].duration_s() - 90.0).abs() < 0.1 && (raw[1].duration_s() - 30.0).abs() < 0.1);
    let by_time = breaches(
        &store,
        &zones,
        Window::all(),
        &BreachOptions {
            min_duration_s: 60.0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(by_time.len(), 1);
    let merged = breaches(
        &store,
        &zones,
        Window::all(),
        &BreachOptions {
            merge_gap_s: 120.0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].fixes, 3);
}

#[test]
fn schedules_clip_episodes_and_buffers_warn_first() {
    // Inside all afternoon; the zone is active 14:00–15:00 London (BST) = 13:00–14:00 UTC.
    let store = walk("2024-06-01T12:00:00Z", 181, 60, 5.0, |_| 0.0);
    let zones = circle_zone(
        "exclusion",
        50.0,
        r#","buffer_m":30,"schedule":{"tz":"Europe/London","windows":[{"days":["sat"],"start":"14:00","end":"15:00"}]}"#,
    );
    let eps = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(eps.len(), 2, "{eps:?}");
    for e in &eps {
        assert_eq!(e.start(), t("2024-06-01T13:00:00Z"));
        assert_eq!(e.end(), t("2024-06-01T14:00:00Z"));
    }
    let mut kinds: Vec<EpisodeKind> = eps.iter().map(|e| e.kind).collect();
    kinds.sort();
    assert_eq!(kinds, [EpisodeKind::Exclusion, EpisodeKind::Buffer]);
    // Approaching to 60 m: a buffer warning, no breach.
    let near = walk("2024-06-01T13:00:00Z", 3, 60, 5.0, |_| 60.0);
    let eps = breaches(&near, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].kind, EpisodeKind::Buffer);
}

#[test]
fn window_clips_and_recounts() {
    let store = walk("2024-06-01T12:00:00Z", 11, 60, 5.0, |_| 0.0);
    let zones = circle_zone("exclusion", 50.0, "");
    let eps = breaches(
        &store,
        &zones,
        window("2024-06-01T12:02:30Z", "2024-06-01T12:05:00Z"),
        &BreachOptions::default(),
    )
    .unwrap();
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].start(), t("2024-06-01T12:02:30Z"));
    assert_eq!(eps[0].end(), t("2024-06-01T12:05:00Z"));
    assert_eq!(
        eps[0].fixes, 3,
        "12:03, 12:04 and 12:05 (the end instant is the last in violation)"
    );
}

#[test]
fn curfew_splits_scheduled_time_into_inside_outside_unknown() {
    // 19:00–07:00 London (BST: 18:00–06:00 UTC) on 2024-06-01/02. Fixes every minute
    // from 17:00 to 07:00 UTC, at home except 21:00–21:30 UTC (500 m away), and a gap 02:00–03:00 UTC.
    let t0 = t("2024-06-01T17:00:00Z").as_microsecond();
    let (mut ts, mut lon, mut lat) = (vec![], vec![], vec![]);
    for m in 0..=(14 * 60) {
        let tm = t0 + m * 60_000_000;
        let hour = m / 60 + 17;
        if (hour % 24) == 2 && m % 60 != 0 {
            continue; // gap from 02:00 (last fix) to 03:00
        }
        let away = (240..=270).contains(&m); // 21:00..21:30 UTC
        let p = offset_m(HOME, if away { 500.0 } else { 5.0 }, 0.0);
        ts.push(tm);
        lon.push(p.0);
        lat.push(p.1);
    }
    let mut b = TrailStore::builder();
    b.extend_columns(&vec!["S"; ts.len()], &ts, &lon, &lat, None, Mode::Strict)
        .unwrap();
    let store = b.build();
    let zones = circle_zone(
        "inclusion",
        100.0,
        r#","schedule":{"tz":"Europe/London","windows":[{"days":["sat"],"start":"19:00","end":"07:00"}]}"#,
    );
    let rows = curfew(
        &store,
        &zones,
        window("2024-06-01T00:00:00Z", "2024-06-03T00:00:00Z"),
        &CurfewOptions::default(),
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.window_start(), t("2024-06-01T18:00:00Z"));
    assert_eq!(r.window_end(), t("2024-06-02T06:00:00Z"));
    assert_eq!(r.scheduled_s, 12.0 * 3600.0);
    // The gap: last fix 02:00, next 03:00 → 3600 s unknown.
    assert_eq!(r.unknown_s, 3600.0);
    // Outside: leaves between 20:59 and 21:00 (crossing 100 m of 495 m), back between 21:30 and 21:31.
    let exit_frac = 95.0 / 495.0;
    let expected_outside = 30.0 * 60.0 + 2.0 * (1.0 - exit_frac) * 60.0;
    assert!(
        (r.outside_s - expected_outside).abs() < 0.5,
        "{} vs {expected_outside}",
        r.outside_s
    );
    assert!((r.inside_s + r.outside_s + r.unknown_s - r.scheduled_s).abs() < 1e-6);
    // The fixes report no accuracy: the absence is evidence of nothing, so it is
    // reported apart as possible, never counted as a violation.
    assert_eq!((r.violations, r.possible_violations), (0, 1));
    assert_eq!((r.confirmed_outside_s, r.possible_outside_s), (0.0, r.outside_s));
    assert_eq!(r.first_exit_us, None);
    // With an assumed accuracy of 10 m, 400 m beyond the boundary for 30 minutes confirms.
    let assumed = CurfewOptions {
        assumed_accuracy_m: Some(10.0),
        ..Default::default()
    };
    let rows = curfew(
        &store,
        &zones,
        window("2024-06-01T00:00:00Z", "2024-06-03T00:00:00Z"),
        &assumed,
    )
    .unwrap();
    let r = &rows[0];
    assert_eq!((r.violations, r.possible_violations), (1, 0));
    assert_eq!((r.confirmed_outside_s, r.possible_outside_s), (r.outside_s, 0.0));
    let exit = r.first_exit_us.unwrap();
    let want = t("2024-06-01T20:59:00Z").as_microsecond() + (exit_frac * 60e6) as i64;
    assert!((exit - want).abs() < 500_000);
    let strict = curfew(
        &store,
        &zones,
        Window::all(),
        &CurfewOptions {
            grace_s: 3600.0,
            ..assumed
        },
    )
    .unwrap();
    assert_eq!(strict[0].violations, 0, "a 32-minute absence is within a 1-hour grace");
}

/// Issue 19: one multipath outlier at home must not become a confirmed
/// breach (it used to: ~100 s, confirmed, kept by `min_duration_s = 60`).
#[test]
fn an_outlier_fix_is_flagged_and_never_confirms() {
    // At home 5 m from the centre of a 50 m home zone, 10 m fixes a minute
    // apart; fix 5 jumps 400 m east (a multipath outlier: 2 × 395 m in two
    // minutes is 6.6 m/s), then back.
    let store = walk(
        "2024-06-01T12:00:00Z",
        11,
        60,
        10.0,
        |k| if k == 5 { 400.0 } else { 5.0 },
    );
    let zones = circle_zone("inclusion", 50.0, "");
    let eps = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(eps.len(), 1);
    let e = &eps[0];
    assert_eq!((e.fixes, e.outlier_fixes, e.supporting_fixes), (1, 1, 0));
    assert_eq!(e.confidence, Confidence::Possible, "{e:?}");
    assert_eq!(e.probability, 0.0);
    let debounced = BreachOptions {
        min_duration_s: 60.0,
        ..Default::default()
    };
    let kept = breaches(&store, &zones, Window::all(), &debounced).unwrap();
    assert!(kept.iter().all(|e| e.confidence == Confidence::Possible));
    // A 150 m jump is reachable on foot (2.1 m/s), so it is no outlier, but
    // one fix alone still never confirms.
    let store = walk(
        "2024-06-01T12:00:00Z",
        11,
        60,
        10.0,
        |k| if k == 5 { 150.0 } else { 5.0 },
    );
    let e = &breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap()[0];
    assert_eq!((e.fixes, e.outlier_fixes, e.supporting_fixes), (1, 0, 1));
    assert_eq!(e.confidence, Confidence::Possible, "{e:?}");
    // The same jump held for three fixes is no outlier: a real absence.
    let away = walk("2024-06-01T12:00:00Z", 11, 60, 10.0, |k| {
        if (4..=6).contains(&k) {
            150.0
        } else {
            5.0
        }
    });
    let e = &breaches(&away, &zones, Window::all(), &BreachOptions::default()).unwrap()[0];
    assert_eq!((e.fixes, e.outlier_fixes, e.supporting_fixes), (3, 0, 3));
    assert_eq!(e.confidence, Confidence::Confirmed, "{e:?}");
}

/// A fix exactly on the boundary is inside (covers) and, for an exclusion
/// zone, in violation by 0 σ: evidence of nothing, never confirmed.
#[test]
fn a_fix_on_the_boundary_never_confirms() {
    let store = walk(
        "2024-06-01T12:00:00Z",
        3,
        60,
        5.0,
        |k| if k == 1 { 0.0 } else { -100.0 },
    );
    let zones = zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"z","properties":{{"kind":"exclusion"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y0}],[{x1},{y0}],[{x1},{y1}],[{x},{y1}],[{x},{y0}]]]}}}}]}}"#,
            x = HOME.0,
            x1 = HOME.0 + 0.01,
            y0 = HOME.1 - 0.01,
            y1 = HOME.1 + 0.01
        ),
        "z",
    )
    .unwrap();
    let eps = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(eps.len(), 1, "the boundary is inside");
    assert_eq!((eps[0].fixes, eps[0].supporting_fixes), (1, 1));
    assert_eq!(eps[0].max_margin_sigma, 0.0);
    assert_eq!(eps[0].confidence, Confidence::Possible);
}

/// A fix without accuracy is no evidence: deep inside for ten minutes
/// stays possible unless `assumed_accuracy_m` is set.
#[test]
fn fixes_without_accuracy_never_confirm_unless_an_accuracy_is_assumed() {
    let t0 = t("2024-06-01T12:00:00Z").as_microsecond();
    let ts: Vec<i64> = (0..10).map(|k| t0 + k * 60_000_000).collect();
    let mut b = TrailStore::builder();
    b.extend_columns(&["S"; 10], &ts, &[HOME.0; 10], &[HOME.1; 10], None, Mode::Strict)
        .unwrap();
    let store = b.build();
    let zones = circle_zone("exclusion", 100.0, "");
    let e = &breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap()[0];
    assert_eq!((e.fixes, e.supporting_fixes, e.probability), (10, 0, 0.0));
    assert_eq!(e.confidence, Confidence::Possible);
    let assumed = BreachOptions {
        assumed_accuracy_m: Some(20.0),
        ..Default::default()
    };
    let e = &breaches(&store, &zones, Window::all(), &assumed).unwrap()[0];
    assert_eq!((e.supporting_fixes, e.confidence), (10, Confidence::Confirmed));
}

/// Issue 19: fixes that scatter about one place across the boundary (a
/// subject standing still at the edge) are weaker evidence than the same
/// margins reached by moving there. The separations (σ) of the first and
/// last supporting fix from the fixes around them are shown and computed
/// from the fixes' positions and errors.
#[test]
fn scatter_across_the_boundary_is_weaker_than_moving_out() {
    let zones = circle_zone("inclusion", 50.0, "");
    // 8 m accuracy (σ = 5.30 m); the same three-fix exit 9–10 m beyond the
    // boundary, reached from 3 m inside (standing at the edge, the fixes
    // scattering) or from the centre of the home (walking out and back).
    let margins = |from: f64| {
        move |k: usize| match k {
            4 => 59.0,
            5 => 60.0,
            6 => 59.5,
            _ => from,
        }
    };
    let at_edge = walk("2024-06-01T12:00:00Z", 11, 60, 8.0, margins(47.0));
    let moved = walk("2024-06-01T12:00:00Z", 11, 60, 8.0, margins(0.0));
    let one = |s: &TrailStore| breaches(s, &zones, Window::all(), &BreachOptions::default()).unwrap()[0].clone();
    let (a, b) = (one(&at_edge), one(&moved));
    assert_eq!((a.fixes, a.supporting_fixes), (3, 3));
    assert_eq!((b.fixes, b.supporting_fixes), (3, 3));
    assert_eq!(
        a.combined_margin_sigma, b.combined_margin_sigma,
        "the same fixes beyond the boundary"
    );
    let sigma_pair = trailfence::evidence::EvidenceModel::default().sigma_m(8.0) * 2f64.sqrt();
    let near = |got: Option<f64>, want_m: f64| {
        let got = got.expect("known");
        assert!(
            (got - want_m / sigma_pair).abs() < 0.01,
            "{got} vs {}",
            want_m / sigma_pair
        );
    };
    near(a.separation_before_sigma, 12.0);
    near(a.separation_after_sigma, 12.5);
    near(b.separation_before_sigma, 59.0);
    near(b.separation_after_sigma, 59.5);
    assert!(
        a.probability < b.probability,
        "standing at the edge {} vs walking out {}",
        a.probability,
        b.probability
    );
    assert_eq!(b.confidence, Confidence::Confirmed, "{b:?}");
}
