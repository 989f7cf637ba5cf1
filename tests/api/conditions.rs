//! Licence conditions over time (zone versions, authorised absences,
//! suspensions) against expectations computed by hand: the UTC instants of
//! Europe/London local times are known (GMT from 2024-10-27 01:00 UTC, BST
//! from 2024-03-31 01:00 UTC), and every expected row or episode below is
//! derived from them, not from the code under test.

use trailfence::generate::offset_m;
use trailfence::{
    breaches, curfew, fix_zone_hits, zones_from_geojson_str, BreachOptions, CurfewOptions, CurfewRow, EpisodeKind,
    Error, Mode, TrailStore, Window, ZoneSet,
};

use crate::util::t;

const HOME: (f64, f64) = (-0.1, 51.5);
const MIN_US: i64 = 60_000_000;

fn us(s: &str) -> i64 {
    t(s).as_microsecond()
}

/// Subject S, a fix a minute with accuracy 5 m from `from` to `to`
/// (inclusive), `away(t_us)` metres east of HOME.
fn trail(from: &str, to: &str, away: impl Fn(i64) -> f64) -> TrailStore {
    let (a, b) = (us(from), us(to));
    let ts: Vec<i64> = (0..).map(|k| a + k * MIN_US).take_while(|&x| x <= b).collect();
    let pos: Vec<(f64, f64)> = ts.iter().map(|&x| offset_m(HOME, away(x), 0.0)).collect();
    let n = ts.len();
    let mut builder = TrailStore::builder();
    builder
        .extend_columns(
            &vec!["S"; n],
            &ts,
            &pos.iter().map(|p| p.0).collect::<Vec<_>>(),
            &pos.iter().map(|p| p.1).collect::<Vec<_>>(),
            Some(&vec![5.0; n]),
            Mode::Strict,
        )
        .unwrap();
    builder.build()
}

fn during(ranges: &[(&str, &str)], metres: f64) -> impl Fn(i64) -> f64 {
    let r: Vec<(i64, i64)> = ranges.iter().map(|(a, b)| (us(a), us(b))).collect();
    move |x| {
        if r.iter().any(|&(a, b)| a <= x && x <= b) {
            metres
        } else {
            0.0
        }
    }
}

/// A FeatureCollection of `features` (JSON texts) with `conditions`.
fn zones(features: &[String], conditions: &str) -> Result<ZoneSet, Error> {
    zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","tz":"Europe/London","conditions":{{{conditions}}},"features":[{}]}}"#,
            features.join(",")
        ),
        "conditions.geojson",
    )
}

/// Home (inclusion circle, 100 m) with a nightly curfew `start`–`end`
/// London time, and `extra` properties.
fn home(start: &str, end: &str, extra: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"home","properties":{{"kind":"inclusion","radius_m":100,"subjects":["S"]{extra},
          "schedule":{{"tz":"Europe/London","windows":[{{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"{start}","end":"{end}"}}]}}}},
          "geometry":{{"type":"Point","coordinates":[{},{}]}}}}"#,
        HOME.0, HOME.1
    )
}

fn exclusion(id: &str, radius_m: f64, extra: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","properties":{{"kind":"exclusion","radius_m":{radius_m}{extra}}},
          "geometry":{{"type":"Point","coordinates":[{},{}]}}}}"#,
        HOME.0, HOME.1
    )
}

/// (version, start, end, scheduled_s) of each row, and the identity of
/// every row checked.
fn nights(rows: &[CurfewRow]) -> Vec<(Option<&str>, i64, i64, f64)> {
    for r in rows {
        let sum = r.inside_s + r.outside_s + r.unknown_s + r.authorised_s + r.suspended_s;
        assert!((r.scheduled_s - sum).abs() < 1e-6, "identity broken: {r:#?}");
    }
    rows.iter()
        .map(|r| {
            (
                r.zone_version.as_deref(),
                r.window_start_us,
                r.window_end_us,
                r.scheduled_s,
            )
        })
        .collect()
}

/// Home's curfew 19:00–07:00 (version v1) until `until`, 21:00–06:00 (v2)
/// from `from` (local London times).
fn variation(until: &str, from: &str) -> ZoneSet {
    zones(
        &[
            home(
                "19:00",
                "07:00",
                &format!(r#","version":"v1","effective_until":"{until}""#),
            ),
            home(
                "21:00",
                "06:00",
                &format!(r#","version":"v2","effective_from":"{from}""#),
            ),
        ],
        "",
    )
    .unwrap()
}

/// A curfew varied from 19:00–07:00 to 21:00–06:00 from midnight on
/// 1 November 2024 (GMT): the night across the change is judged under v1
/// until midnight and v2 after it; leaving home at 20:00 is a breach under
/// v1 (31 October) and not under v2 (1 November).
#[test]
fn curfew_variation_at_midnight() {
    let z = variation("2024-11-01T00:00", "2024-11-01");
    let out = [
        ("2024-10-31T20:00:00Z", "2024-10-31T20:30:00Z"),
        ("2024-11-01T20:00:00Z", "2024-11-01T20:30:00Z"),
    ];
    let store = trail("2024-10-30T12:00:00Z", "2024-11-03T12:00:00Z", during(&out, 1000.0));
    let rows = curfew(&store, &z, Window::all(), &CurfewOptions::default()).unwrap();
    let h = 3600.0;
    assert_eq!(
        nights(&rows),
        vec![
            (
                Some("v1"),
                us("2024-10-30T19:00:00Z"),
                us("2024-10-31T07:00:00Z"),
                12.0 * h
            ),
            (
                Some("v1"),
                us("2024-10-31T19:00:00Z"),
                us("2024-11-01T00:00:00Z"),
                5.0 * h
            ),
            (
                Some("v2"),
                us("2024-11-01T00:00:00Z"),
                us("2024-11-01T06:00:00Z"),
                6.0 * h
            ),
            (
                Some("v2"),
                us("2024-11-01T21:00:00Z"),
                us("2024-11-02T06:00:00Z"),
                9.0 * h
            ),
            (
                Some("v2"),
                us("2024-11-02T21:00:00Z"),
                us("2024-11-03T06:00:00Z"),
                9.0 * h
            ),
        ]
    );
    let violations: Vec<u32> = rows.iter().map(|r| r.violations).collect();
    assert_eq!(violations, vec![0, 1, 0, 0, 0]);
    let eps = breaches(&store, &z, Window::all(), &BreachOptions::default()).unwrap();
    assert_eq!(eps.len(), 1, "{eps:#?}");
    let e = &eps[0];
    assert_eq!(
        (e.kind, e.zone.as_str(), e.zone_version.as_deref()),
        (EpisodeKind::Inclusion, "home", Some("v1"))
    );
    // Left between the fixes at 19:59 and 20:00, back between 20:30 and 20:31.
    assert!(e.start_us > us("2024-10-31T19:59:00Z") && e.start_us < us("2024-10-31T20:00:00Z"));
    assert!(e.end_us > us("2024-10-31T20:30:00Z") && e.end_us < us("2024-10-31T20:31:00Z"));
}

/// The same variation effective from midnight local time on the night the
/// clocks go back (27 October 2024: 00:00 BST = 23:00 UTC the day before),
/// and effective instants inside the fold and the gap resolved with the
/// schedule policy (the earlier instant; the first instant after the gap).
#[test]
fn curfew_variation_at_a_dst_change() {
    let z = variation("2024-10-27T00:00", "2024-10-27T00:00");
    let store = trail("2024-10-26T12:00:00Z", "2024-10-28T12:00:00Z", |_| 0.0);
    let rows = curfew(&store, &z, Window::all(), &CurfewOptions::default()).unwrap();
    let h = 3600.0;
    assert_eq!(
        nights(&rows),
        vec![
            // 19:00 BST = 18:00Z until the change at 23:00Z.
            (
                Some("v1"),
                us("2024-10-26T18:00:00Z"),
                us("2024-10-26T23:00:00Z"),
                5.0 * h
            ),
            // v2's night from 21:00 BST (20:00Z) to 06:00 GMT, from the change on.
            (
                Some("v2"),
                us("2024-10-26T23:00:00Z"),
                us("2024-10-27T06:00:00Z"),
                7.0 * h
            ),
            (
                Some("v2"),
                us("2024-10-27T21:00:00Z"),
                us("2024-10-28T06:00:00Z"),
                9.0 * h
            ),
        ]
    );
    assert!(rows.iter().all(|r| r.violations == 0 && r.inside_s == r.scheduled_s));
    // 01:30 happens twice on 27 October: the earlier (BST) instant. 01:30 on
    // 31 March does not happen: the first instant after the gap (01:00 UTC).
    for (local, utc) in [
        ("2024-10-27T01:30", "2024-10-27T00:30:00Z"),
        ("2024-03-31T01:30", "2024-03-31T01:00:00Z"),
    ] {
        let z = zones(
            &[exclusion(
                "x",
                50.0,
                &format!(r#","version":"a","effective_from":"{local}""#),
            )],
            "",
        )
        .unwrap();
        assert_eq!(z.get(0).zone.effective.from_us, Some(us(utc)), "{local}");
    }
}

/// An exclusion zone replaced by a larger version at 12:00: a stay across
/// the change gives two episodes, split exactly at the change, each naming
/// its version; fix-in-zone flags use the version in force at each fix.
#[test]
fn an_episode_is_split_at_a_version_change() {
    let z = zones(
        &[
            exclusion(
                "victim",
                100.0,
                r#","version":"2024-05","effective_until":"2024-06-01T12:00:00Z""#,
            ),
            exclusion(
                "victim",
                300.0,
                r#","version":"2024-06","effective_from":"2024-06-01T12:00:00Z""#,
            ),
        ],
        "",
    )
    .unwrap();
    // 1 km east until 11:49, at the centre 11:50–12:10, then 200 m east (only inside v2).
    let store = trail("2024-06-01T11:40:00Z", "2024-06-01T12:20:00Z", |x| {
        if x < us("2024-06-01T11:50:00Z") {
            1000.0
        } else if x <= us("2024-06-01T12:10:00Z") {
            0.0
        } else {
            200.0
        }
    });
    let eps = breaches(&store, &z, Window::all(), &BreachOptions::default()).unwrap();
    let got: Vec<(Option<&str>, i64, i64)> = eps
        .iter()
        .map(|e| (e.zone_version.as_deref(), e.start_us, e.end_us))
        .collect();
    assert_eq!(got.len(), 2, "{eps:#?}");
    assert_eq!(got[0].0, Some("2024-05"));
    assert_eq!(got[0].2, us("2024-06-01T12:00:00Z"), "v1 ends at the change");
    assert_eq!(
        (got[1].0, got[1].1),
        (Some("2024-06"), us("2024-06-01T12:00:00Z")),
        "v2 starts at it"
    );
    assert_eq!(
        got[1].2,
        us("2024-06-01T12:20:00Z"),
        "200 m east is inside v2 until the last fix"
    );
    // Fix-in-zone flags: one zone number per fix, the version in force.
    let hits = fix_zone_hits(&store, &z, Window::all());
    let trail = store.trail_at(0);
    for h in &hits {
        let t_us = trail.times_us()[h.fix as usize];
        assert!(z.get(h.zone as usize).zone.effective.contains(t_us), "{h:?}");
    }
    // 11:50–11:59 in v1 (10 fixes), 12:00–12:20 in v2 (21 fixes).
    assert_eq!(hits.len(), 31);
}

/// An authorised absence covering the middle of a stay in an exclusion
/// zone cuts the episode in two at the absence's ends; an absence for
/// another zone or another subject changes nothing.
#[test]
fn an_absence_covering_part_of_an_episode() {
    let stay = [("2024-06-03T10:00:00Z", "2024-06-03T12:00:00Z")];
    let store = trail("2024-06-03T09:00:00Z", "2024-06-03T13:00:00Z", |x| {
        if during(&stay, 1.0)(x) > 0.0 {
            0.0
        } else {
            1000.0
        }
    });
    let feature = [exclusion("victim", 100.0, ""), exclusion("other", 20.0, "")];
    let plain = breaches(
        &store,
        &zones(&feature, "").unwrap(),
        Window::all(),
        &BreachOptions::default(),
    )
    .unwrap();
    let victim: Vec<_> = plain.iter().filter(|e| e.zone == "victim").collect();
    assert_eq!(victim.len(), 1);
    let (s, e) = (victim[0].start_us, victim[0].end_us);
    let absence = |subject: &str, zone: &str| {
        format!(
            r#""absences":[{{"subject":"{subject}","from":"2024-06-03T11:30","until":"2024-06-03T12:00","zones":["{zone}"],"reason":"court date","reference":"C-1"}}]"#
        )
    };
    // 11:30–12:00 BST = 10:30–11:00 UTC.
    let z = zones(&feature, &absence("S", "victim")).unwrap();
    let got = breaches(&store, &z, Window::all(), &BreachOptions::default()).unwrap();
    let victim: Vec<(i64, i64)> = got
        .iter()
        .filter(|e| e.zone == "victim")
        .map(|e| (e.start_us, e.end_us))
        .collect();
    assert_eq!(
        victim,
        vec![(s, us("2024-06-03T10:30:00Z")), (us("2024-06-03T11:00:00Z"), e)]
    );
    // The other zone's episode is untouched.
    let other = |v: &[trailfence::BreachEpisode]| v.iter().filter(|e| e.zone == "other").cloned().collect::<Vec<_>>();
    assert_eq!(other(&got), other(&plain));
    for (subject, zone) in [("S", "other"), ("T", "victim")] {
        let z = zones(&feature, &absence(subject, zone)).unwrap();
        let got = breaches(&store, &z, Window::all(), &BreachOptions::default()).unwrap();
        let victim: Vec<(i64, i64)> = got
            .iter()
            .filter(|e| e.zone == "victim")
            .map(|e| (e.start_us, e.end_us))
            .collect();
        assert_eq!(victim, vec![(s, e)], "{subject} {zone}");
    }
}

/// A suspension (custody) across a whole night: no violation, the night's
/// scheduled time all `suspended_s`; an absence authorising two hours of
/// the next night gives `authorised_s` and leaves the rest judged.
#[test]
fn a_suspension_across_a_whole_night() {
    // Away 1 km from 18:00 on 12 November to 08:00 on 13 November (GMT),
    // and 22:00–23:59 on 13 November.
    let away = [
        ("2024-11-12T18:00:00Z", "2024-11-13T08:00:00Z"),
        ("2024-11-13T22:00:00Z", "2024-11-13T23:59:00Z"),
    ];
    let store = trail("2024-11-12T12:00:00Z", "2024-11-14T12:00:00Z", during(&away, 1000.0));
    let f = [home("19:00", "07:00", "")];
    let plain = curfew(
        &store,
        &zones(&f, "").unwrap(),
        Window::all(),
        &CurfewOptions::default(),
    )
    .unwrap();
    assert_eq!(plain.iter().map(|r| r.violations).collect::<Vec<_>>(), vec![1, 1]);
    let z = zones(
        &f,
        r#""suspensions":[{"subjects":["S"],"from":"2024-11-12T18:00","until":"2024-11-13T08:00","reason":"in custody","reference":"police custody record 77"}],
           "absences":[{"subject":"S","from":"2024-11-13T21:30","until":"2024-11-14T00:00","reason":"hospital","reference":"A&E"}]"#,
    )
    .unwrap();
    let rows = curfew(&store, &z, Window::all(), &CurfewOptions::default()).unwrap();
    nights(&rows);
    let r = &rows[0];
    assert_eq!(
        (r.violations, r.possible_violations, r.suspended_s, r.scheduled_s),
        (0, 0, 43_200.0, 43_200.0)
    );
    assert_eq!(
        (r.inside_s, r.outside_s, r.unknown_s, r.authorised_s),
        (0.0, 0.0, 0.0, 0.0)
    );
    let r = &rows[1];
    // 19:00–21:30 at home, 21:30–00:00 authorised, then home until 07:00.
    assert_eq!((r.violations, r.authorised_s, r.outside_s), (0, 9_000.0, 0.0));
    assert_eq!(r.inside_s, 43_200.0 - 9_000.0);
    let eps = breaches(&store, &z, Window::all(), &BreachOptions::default()).unwrap();
    assert!(eps.is_empty(), "{eps:#?}");
}

/// Every invalid entry is a located error naming the list or feature, the
/// position and the field.
#[test]
fn invalid_conditions_are_located_errors() {
    let f = [home("19:00", "07:00", "")];
    let cases: [(Vec<String>, &str, &str); 9] = [
        (
            f.to_vec(),
            r#""absences":[{"subject":"S","from":"2024-01-01","until":"2024-01-02","zone":["home"],"reason":"r"}]"#,
            "conditions.absences[0]: field `zone`: unknown member",
        ),
        (
            f.to_vec(),
            r#""absences":[{"subject":"S","from":"2024-01-01T00:00Z","until":"2024-01-02T00:00Z","reason":"ok"},{"subject":"S","from":"2024-01-02T00:00Z","until":"2024-01-01T00:00Z","reason":"r"}]"#,
            "conditions.absences[1]: field `until`",
        ),
        (
            f.to_vec(),
            r#""absences":[{"subject":"S","from":"2024-01-01","until":"2024-01-02","zones":["nowhere"],"reason":"r"}]"#,
            "conditions.absences[0]: field `zones[0]`: unknown zone id \"nowhere\"",
        ),
        (
            f.to_vec(),
            r#""absences":[{"subject":"S","from":"2024-01-01","until":"2024-01-02"}]"#,
            "conditions.absences[0]: field `reason`: missing",
        ),
        (
            f.to_vec(),
            r#""suspensions":[{"from":"2024-01-01","until":"2024-01-02","reason":"custody"}]"#,
            "conditions.suspensions[0]: field `subjects`: missing",
        ),
        (
            f.to_vec(),
            r#""suspensions":[{"subjects":["S"],"from":"yesterday","until":"2024-01-02","reason":"custody"}]"#,
            "conditions.suspensions[0]: field `from`",
        ),
        (
            vec![home("19:00", "07:00", ""), home("21:00", "06:00", "")],
            "",
            "feature 1 (id \"home\"): field `id`: duplicate zone id",
        ),
        (
            vec![
                home("19:00", "07:00", r#","version":"a","effective_until":"2024-11-02""#),
                home("21:00", "06:00", r#","version":"b","effective_from":"2024-11-01""#),
            ],
            "",
            "feature 1 (id \"home\"): field `effective`",
        ),
        (
            vec![exclusion(
                "x",
                10.0,
                r#","tz":"Mars/Olympus","effective_from":"2024-11-01""#,
            )],
            "",
            "feature 0 (id \"x\"): field `tz`",
        ),
    ];
    for (features, conditions, expected) in cases {
        let err = zones(&features, conditions).unwrap_err().to_string();
        assert!(err.starts_with("conditions.geojson: "), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
    // A local time needs a zone: none on the collection or the feature.
    let err = zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            exclusion("x", 10.0, r#","effective_from":"2024-11-01T00:00""#)
        ),
        "z.geojson",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("field `effective_from`") && err.contains("local time"),
        "{err}"
    );
}

/// Versions hash apart from a plain zone, and a plain zone needs no window
/// look-up (its hash is unchanged from before conditions existed: the test
/// `checkpoint_from_earlier_release_resumes_exactly` resumes a checkpoint
/// that records it).
#[test]
fn plain_zone_sets_hash_as_before() {
    let plain = zones(&[exclusion("x", 10.0, "")], "").unwrap();
    let versioned = zones(&[exclusion("x", 10.0, r#","version":"1""#)], "").unwrap();
    assert_ne!(plain.content_hash(), versioned.content_hash());
    assert!(!plain.is_conditional(0));
    assert!(versioned.get(0).zone.effective.version.is_some());
}

mod property {
    //! Random conditions against brute force: lifted time is never a
    //! breach, and every curfew row's authorised and suspended seconds are
    //! what a minute-by-minute count of the conditions gives.
    use proptest::prelude::*;
    use trailfence::generate::SplitMix64;

    use super::*;

    /// Minutes from 2024-10-26T12:00Z (the autumn DST change is inside).
    fn minute(m: i64) -> i64 {
        us("2024-10-26T12:00:00Z") + m * MIN_US
    }

    fn iso(t_us: i64) -> String {
        trailfence::from_us(t_us).to_string()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: crate::util::proptest_cases(48), ..ProptestConfig::default() })]

        #[test]
        fn lifted_time_is_never_a_breach_and_rows_add_up(seed in any::<u64>()) {
            let mut rng = SplitMix64::new(seed);
            let span_min = 2 * 24 * 60;
            // Away (1 km east, also inside the exclusion zone there) in random blocks.
            let mut away = Vec::new();
            for _ in 0..(rng.next_u64() % 6) {
                let a = (rng.next_u64() % span_min) as i64;
                away.push((a, a + 10 + (rng.next_u64() % 300) as i64));
            }
            let store = trail("2024-10-26T12:00:00Z", "2024-10-28T12:00:00Z", |t| {
                let m = (t - minute(0)) / MIN_US;
                if away.iter().any(|&(a, b)| a <= m && m <= b) { 1000.0 } else { 0.0 }
            });
            let x = format!(
                r#"{{"type":"Feature","id":"x","properties":{{"kind":"exclusion","radius_m":150}},
                   "geometry":{{"type":"Point","coordinates":[{},{}]}}}}"#,
                offset_m(HOME, 1000.0, 0.0).0, HOME.1
            );
            let mut features = vec![x];
            if rng.chance(0.5) {
                let change = iso(minute((rng.next_u64() % span_min) as i64));
                features.push(home("19:00", "07:00", &format!(r#","version":"a","effective_until":"{change}""#)));
                features.push(home("21:00", "06:00", &format!(r#","version":"b","effective_from":"{change}""#)));
            } else {
                features.push(home("19:00", "07:00", ""));
            }
            // Conditions at whole minutes: (from, until, zones or None).
            let mut absences = Vec::new();
            for _ in 0..(rng.next_u64() % 4) {
                let a = (rng.next_u64() % span_min) as i64;
                let zone = match rng.next_u64() % 3 { 0 => None, 1 => Some("home"), _ => Some("x") };
                absences.push((a, a + 1 + (rng.next_u64() % 600) as i64, zone));
            }
            let mut suspensions = Vec::new();
            for _ in 0..(rng.next_u64() % 3) {
                let a = (rng.next_u64() % span_min) as i64;
                suspensions.push((a, a + 1 + (rng.next_u64() % 600) as i64));
            }
            let text = format!(
                r#""absences":[{}],"suspensions":[{}]"#,
                absences.iter().map(|(a, b, z)| format!(
                    r#"{{"subject":"S","from":"{}","until":"{}","reason":"r"{}}}"#,
                    iso(minute(*a)), iso(minute(*b)),
                    z.map(|z| format!(r#","zones":["{z}"]"#)).unwrap_or_default()
                )).collect::<Vec<_>>().join(","),
                suspensions.iter().map(|(a, b)| format!(
                    r#"{{"subjects":["S"],"from":"{}","until":"{}","reason":"r"}}"#,
                    iso(minute(*a)), iso(minute(*b))
                )).collect::<Vec<_>>().join(","),
            );
            let z = zones(&features, &text).unwrap();
            let suspended_at = |t: i64| suspensions.iter().any(|&(a, b)| minute(a) <= t && t < minute(b));
            let authorised_at = |t: i64, zone: &str| {
                !suspended_at(t)
                    && absences.iter().any(|&(a, b, zz)| minute(a) <= t && t < minute(b) && zz.is_none_or(|zz| zz == zone))
            };
            // 1. No episode has an instant of lifted time strictly inside.
            for e in breaches(&store, &z, Window::all(), &BreachOptions::default()).unwrap() {
                let mut t = (e.start_us / MIN_US) * MIN_US;
                while t < e.end_us {
                    let mid = t + MIN_US / 2;
                    if mid > e.start_us && mid < e.end_us {
                        prop_assert!(!suspended_at(mid) && !authorised_at(mid, &e.zone), "{e:?} spans lifted time at {}", iso(mid));
                    }
                    t += MIN_US;
                }
            }
            // 2. Curfew rows: the identity, and lifted time counted minute by minute.
            for r in curfew(&store, &z, Window::all(), &CurfewOptions::default()).unwrap() {
                let sum = r.inside_s + r.outside_s + r.unknown_s + r.authorised_s + r.suspended_s;
                prop_assert!((r.scheduled_s - sum).abs() < 1e-6, "{r:?}");
                prop_assert_eq!(r.window_start_us % MIN_US, 0);
                let (mut auth, mut susp) = (0.0, 0.0);
                let mut t = r.window_start_us;
                while t < r.window_end_us {
                    let mid = t + MIN_US / 2;
                    if suspended_at(mid) { susp += 60.0 } else if authorised_at(mid, "home") { auth += 60.0 }
                    t += MIN_US;
                }
                prop_assert_eq!((r.authorised_s, r.suspended_s), (auth, susp), "{:?}", r);
            }
        }
    }
}
