//! Issue 14, "wrong answers a user can get today": each test pins one
//! answer that used to be silently wrong (the CLI and Python surfaces have
//! their own tests in `tests/cli/wrong_answers.rs` and
//! `python/tests/test_wrong_answers.py`).

use proptest::prelude::*;
use trailfence::generate::offset_m;
use trailfence::io::{read_csv_from, ReadOptions};
use trailfence::{
    breaches, curfew, near, near_many, proximity, stops, zones_from_geojson_str, BreachOptions, CurfewOptions, Error,
    Incident, Location, Mode, Monitor, MonitorOptions, ParquetStore, Reason, StoreOptions, Target, TrailStore, Window,
    Zone, ZoneKind, ZoneSet, ZoneShape,
};

use crate::util::{store_from_csv, t, temp_dir};

const HOME: (f64, f64) = (-0.1, 51.5);

fn walk_store() -> TrailStore {
    let csv = "subject,time,lon,lat,accuracy_m\n\
               A,2024-07-01T10:00:00Z,-0.102,51.5,5\n\
               A,2024-07-01T10:01:00Z,-0.098,51.5,5\n\
               B,2024-07-01T10:00:00Z,-0.1,51.5,5\n\
               B,2024-07-01T10:01:00Z,-0.1,51.5,5\n";
    store_from_csv(csv, Mode::Strict).unwrap().0
}

fn circle(kind: &str, radius_m: f64, extra: &str) -> ZoneSet {
    zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"z","properties":{{"kind":"{kind}","radius_m":{radius_m}{extra}}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#,
            HOME.0, HOME.1
        ),
        "z.geojson",
    )
    .unwrap()
}

fn option_name(e: Error) -> &'static str {
    match e {
        Error::Option { name, .. } => name,
        other => panic!("expected an option error, got {other}"),
    }
}

// ---------------------------------------------------------------- item 4

/// `min_duration_s = NaN` used to drop every episode (every comparison with
/// NaN is false) and answer "no breaches"; a negative assumed accuracy used
/// to confirm episodes. Each is now an error naming the option.
#[test]
fn breach_options_that_would_change_verdicts_are_refused_by_name() {
    let (store, zones) = (walk_store(), circle("exclusion", 50.0, ""));
    let ok = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
    assert!(!ok.is_empty());
    let bad = [
        (
            "min_duration_s",
            BreachOptions {
                min_duration_s: f64::NAN,
                ..Default::default()
            },
        ),
        (
            "min_duration_s",
            BreachOptions {
                min_duration_s: -1.0,
                ..Default::default()
            },
        ),
        (
            "merge_gap_s",
            BreachOptions {
                merge_gap_s: f64::INFINITY,
                ..Default::default()
            },
        ),
        (
            "assumed_accuracy_m",
            BreachOptions {
                assumed_accuracy_m: Some(-5.0),
                ..Default::default()
            },
        ),
        (
            "assumed_accuracy_m",
            BreachOptions {
                assumed_accuracy_m: Some(f64::NAN),
                ..Default::default()
            },
        ),
        (
            "max_gap_s",
            BreachOptions {
                max_gap_s: Some(0.0),
                ..Default::default()
            },
        ),
        (
            "max_gap_s",
            BreachOptions {
                max_gap_s: Some(f64::NAN),
                ..Default::default()
            },
        ),
    ];
    for (name, options) in bad {
        let e = breaches(&store, &zones, Window::all(), &options).unwrap_err();
        assert_eq!(option_name(e), name);
    }
}

/// `curfew --grace-s NaN` used to report 0 violations for a night outside.
#[test]
fn curfew_grace_nan_is_refused() {
    let zones = circle(
        "inclusion",
        50.0,
        r#","schedule":{"tz":"UTC","windows":[{"days":["mon"],"start":"09:00","end":"12:00"}]}"#,
    );
    let store = walk_store();
    for g in [f64::NAN, -1.0, f64::INFINITY] {
        let e = curfew(
            &store,
            &zones,
            Window::all(),
            &CurfewOptions {
                grace_s: g,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(option_name(e), "grace_s");
    }
}

/// `proximity --distance-m NaN` used to report a 4.6-day "proximity" of two
/// subjects 5 km apart.
#[test]
fn distance_and_radius_options_are_checked() {
    let store = walk_store();
    let e = proximity(&store, "A", "B", f64::NAN, Window::all()).unwrap_err();
    assert_eq!(option_name(e), "distance_m");
    let e = proximity(&store, "A", "B", 1e300, Window::all()).unwrap_err();
    assert_eq!(option_name(e), "distance_m");
    let e = near(&store, &Target::Point(HOME.0, HOME.1), f64::NAN, Window::all()).unwrap_err();
    assert_eq!(option_name(e), "radius_m");
    let e = near(&store, &Target::Point(HOME.0, 91.0), 10.0, Window::all()).unwrap_err();
    assert_eq!(option_name(e), "lat");
    let e = stops(&store, "A", Window::all(), -3.0, 60.0).unwrap_err();
    assert_eq!(option_name(e), "radius_m");
    let e = stops(&store, "A", Window::all(), 50.0, f64::NAN).unwrap_err();
    assert_eq!(option_name(e), "min_duration_s");
    // Valid values still answer.
    assert_eq!(
        near(&store, &Target::Point(HOME.0, HOME.1), 10.0, Window::all())
            .unwrap()
            .len(),
        2
    );
}

/// An incident with a NaN radius used to be matched (or not) silently; now
/// the incident is named by row and field.
#[test]
fn near_many_names_the_bad_incident() {
    let store = walk_store();
    let inc = |radius_m: f64, start_us: i64, end_us: i64| Incident {
        id: "burglary".into(),
        lon: HOME.0,
        lat: HOME.1,
        radius_m,
        start_us,
        end_us,
    };
    let t0 = t("2024-07-01T09:00:00Z").as_microsecond();
    let good = inc(100.0, t0, t0 + 7_200_000_000);
    assert_eq!(near_many(&store, std::slice::from_ref(&good), false).unwrap().len(), 2);
    for (bad, field, reason) in [
        (inc(f64::NAN, t0, t0 + 1), "radius_m", Reason::NotFinite),
        (inc(-1.0, t0, t0 + 1), "radius_m", Reason::DistanceOutOfRange),
        (inc(10.0, t0 + 1, t0), "end", Reason::EndBeforeStart),
    ] {
        match near_many(&store, &[good.clone(), bad], true).unwrap_err() {
            Error::Record(r) => {
                assert_eq!(
                    (r.location, r.field.as_str(), r.reason),
                    (Location::Row(1), field, reason)
                );
            }
            other => panic!("{other}"),
        }
    }
}

#[test]
fn monitor_options_are_checked_including_assumed_accuracy() {
    let zones = circle("exclusion", 50.0, "");
    for (name, o) in [
        (
            "assumed_accuracy_m",
            MonitorOptions {
                assumed_accuracy_m: Some(-1.0),
                ..Default::default()
            },
        ),
        (
            "max_gap_s",
            MonitorOptions {
                max_gap_s: f64::NAN,
                ..Default::default()
            },
        ),
        (
            "history_s",
            MonitorOptions {
                history_s: f64::INFINITY,
                ..Default::default()
            },
        ),
        (
            "allowed_lateness_s",
            MonitorOptions {
                allowed_lateness_s: -1.0,
                ..Default::default()
            },
        ),
    ] {
        assert_eq!(option_name(Monitor::new(zones.clone(), o).err().unwrap()), name);
    }
}

// ---------------------------------------------------------------- item 5

/// `…,51,4,5` (a decimal comma in the accuracy) used to be read as lat 51,
/// accuracy 4: every value after the comma shifted one column.
#[test]
fn a_csv_row_with_a_different_field_count_is_a_bad_record() {
    let csv = "subject,time,lon,lat,accuracy_m\n\
               A,2024-07-01T10:00:00Z,-0.1,51.5,4\n\
               A,2024-07-01T10:01:00Z,-0.1,51,4,5\n\
               A,2024-07-01T10:02:00Z,-0.1,51.5\n";
    match store_from_csv(csv, Mode::Strict).unwrap_err() {
        Error::Record(r) => {
            assert_eq!(
                (r.location, r.field.as_str(), r.reason),
                (Location::Line(3), "row", Reason::FieldCount)
            );
            assert!(r.value.contains("6 fields"), "{}", r.value);
        }
        other => panic!("{other}"),
    }
    let (store, report) = store_from_csv(csv, Mode::Lenient).unwrap();
    assert_eq!((report.records, report.accepted, report.skipped), (3, 1, 2));
    assert_eq!(report.skipped_by_reason.get(&Reason::FieldCount), Some(&2));
    assert_eq!(store.fix_count(), 1);
}

/// A leap second used to be read as `:59`, collide with the real `:59` fix,
/// and both were set aside as a conflict while `validate` said nothing.
#[test]
fn a_leap_second_is_its_own_bad_record_and_the_real_fix_is_kept() {
    let csv = "subject,time,lon,lat,accuracy_m\n\
               A,2016-12-31T23:59:59Z,-0.1,51.5,4\n\
               A,2016-12-31T23:59:60Z,-0.1,51.5,4\n\
               A,2017-01-01T00:00:00Z,-0.1,51.5,4\n";
    match store_from_csv(csv, Mode::Strict).unwrap_err() {
        Error::Record(r) => assert_eq!((r.location, r.reason), (Location::Line(3), Reason::LeapSecond)),
        other => panic!("{other}"),
    }
    let (store, report) = store_from_csv(csv, Mode::Lenient).unwrap();
    assert_eq!(report.skipped_by_reason.get(&Reason::LeapSecond), Some(&1));
    assert_eq!(store.fix_count(), 2);
    assert!(store.ingest_summary().conflicts.is_empty());
    // Other spellings of second 60, and seconds that only look similar.
    let p = trailfence::TimeParser::default();
    for s in [
        "2016-12-31T23:59:60.5Z",
        "2016-12-31 23:59:60+00:00",
        "20161231T235960Z",
    ] {
        assert_eq!(p.parse(s), Err(Reason::LeapSecond), "{s}");
    }
    for s in ["2016-12-31T23:59:06Z", "2016-12-31T23:60:00Z", "2016-12-31T06:00:00Z"] {
        assert_ne!(p.parse(s), Err(Reason::LeapSecond), "{s}");
    }
}

/// `accuracy_m = 1e39` used to be accepted, stored as f32 infinity, and make
/// every later query on the store fail.
#[test]
fn an_accuracy_too_large_to_mean_anything_is_refused() {
    for (acc, reason) in [("1e39", Reason::AccuracyTooLarge), ("2.1e7", Reason::AccuracyTooLarge)] {
        let csv = format!("subject,time,lon,lat,accuracy_m\nA,2024-07-01T10:00:00Z,-0.1,51.5,{acc}\n");
        match store_from_csv(&csv, Mode::Strict).unwrap_err() {
            Error::Record(r) => assert_eq!((r.field.as_str(), r.reason), ("accuracy_m", reason)),
            other => panic!("{other}"),
        }
    }
    let csv = "subject,time,lon,lat,accuracy_m\nA,2024-07-01T10:00:00Z,-0.1,51.5,2e7\n";
    assert_eq!(store_from_csv(csv, Mode::Strict).unwrap().0.fix_count(), 1);
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-1e3f64..1e3).prop_map(|v| v.to_string()),
        (-200.0f64..200.0).prop_map(|v| format!("{v:.6}")),
        Just("1e39".to_string()),
        Just("3.4028235e38".to_string()),
        Just("1e-40".to_string()),
        Just("1e-320".to_string()),
        Just("-0".to_string()),
        Just("2e7".to_string()),
        Just("20000000.000001".to_string()),
        (0.0f64..3e7).prop_map(|v| v.to_string()),
        Just("NaN".to_string()),
        Just("".to_string()),
    ]
}

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        (-2_000_000_000i64..4_000_000_000).prop_map(|s| s.to_string()),
        (-250_000_000_000_000i64..250_000_000_000_000).prop_map(|ms| ms.to_string()),
        (0u32..60, 0u32..61).prop_map(|(m, s)| format!("2016-12-31T23:{m:02}:{s:02}Z")),
        Just("-9999-01-01T00:00:00Z".to_string()),
        Just("9999-12-31T23:59:59.999999Z".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Anything the readers accept can be stored and read back unchanged:
    /// time, lon, lat and accuracy of every fix, bit for bit, through the
    /// Parquet store (import, then load of everything).
    #[test]
    fn every_accepted_fix_round_trips_through_the_parquet_store(
        rows in prop::collection::vec(("[A-C]", time(), number(), number(), number()), 1..25)
    ) {
        let mut csv = String::from("subject,time,lon,lat,accuracy_m\n");
        for (s, t, x, y, a) in &rows {
            csv.push_str(&format!("{s},{t},{x},{y},{a}\n"));
        }
        let opts = ReadOptions { mode: Mode::Lenient, ..Default::default() };
        let mut b = TrailStore::builder();
        read_csv_from(csv.as_bytes(), "p.csv", &opts, &mut b).unwrap();
        let mem = b.build();
        let dir = temp_dir("roundtrip");
        let mut st = ParquetStore::open_or_create(&dir.join("store")).unwrap();
        st.import(&mem).unwrap();
        let back = ParquetStore::open(&dir.join("store")).unwrap().load(Window::all(), None, StoreOptions::default()).unwrap();
        prop_assert_eq!(back.fix_count(), mem.fix_count());
        for name in mem.subjects() {
            let (a, b) = (mem.trail_of(name).unwrap(), back.trail_of(name).unwrap());
            prop_assert_eq!(a.times_us(), b.times_us());
            prop_assert_eq!(a.lons().iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.lons().iter().map(|v| v.to_bits()).collect::<Vec<_>>());
            prop_assert_eq!(a.lats().iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.lats().iter().map(|v| v.to_bits()).collect::<Vec<_>>());
            for i in 0..a.len() {
                prop_assert_eq!(a.accuracy_m(i).map(f32::to_bits), b.accuracy_m(i).map(f32::to_bits));
                prop_assert!(a.accuracy_m(i).is_none_or(f32::is_finite));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

// ---------------------------------------------------------------- item 6

/// A collinear "polygon" used to be accepted and produce zero-second
/// episodes for everyone walking along its line.
#[test]
fn a_zero_area_polygon_is_refused_with_its_feature_and_field() {
    let text = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":"ok","properties":{"kind":"exclusion","radius_m":10},"geometry":{"type":"Point","coordinates":[0,51]}},
      {"type":"Feature","id":"line","properties":{"kind":"exclusion"},"geometry":{"type":"Polygon",
       "coordinates":[[[0,51],[0.001,51.001],[0.002,51.002],[0,51]]]}}]}"#;
    match zones_from_geojson_str(text, "z.geojson").unwrap_err() {
        Error::Zone {
            index,
            id,
            field,
            reason,
            ..
        } => {
            assert_eq!(
                (index, id.as_deref(), field.as_str()),
                (1, Some("line"), "geometry.coordinates[0]")
            );
            assert!(reason.contains("zero area"), "{reason}");
        }
        other => panic!("{other}"),
    }
    // A hole of zero area, and a zone built in code, too.
    let hole = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"h","properties":{"kind":"exclusion"},
      "geometry":{"type":"Polygon","coordinates":[[[0,51],[0.01,51],[0.01,51.01],[0,51.01],[0,51]],
      [[0.002,51.002],[0.004,51.004],[0.006,51.006],[0.002,51.002]]]}}]}"#;
    assert!(zones_from_geojson_str(hole, "h.geojson")
        .unwrap_err()
        .to_string()
        .contains("coordinates[1]"));
    let line = geo::MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![(0.0, 51.0), (0.0, 51.1), (0.0, 51.0)]),
        vec![],
    )]);
    let z = Zone {
        id: "code".into(),
        kind: ZoneKind::Exclusion,
        shape: ZoneShape::Polygon(line),
        subjects: None,
        buffer_m: None,
        schedule: None,
        effective: Default::default(),
    };
    assert!(matches!(ZoneSet::new(vec![z]), Err(Error::Zone { .. })));
}

// ---------------------------------------------------------------- item 8

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// `scheduled_s = inside_s + outside_s + unknown_s` exactly (in integer
    /// microseconds) and `inside_s >= 0`, for random walks in and out of a
    /// home zone with random gaps, under random curfew windows and query
    /// windows. `curfew` used to clamp `inside_s` at 0, which would have
    /// hidden any break of this identity.
    #[test]
    fn curfew_time_always_splits_exactly_into_inside_outside_and_unknown(
        steps in prop::collection::vec((1i64..1500, -120.0f64..120.0, -120.0f64..120.0, 0.0f64..40.0), 2..80),
        start_h in 0u32..24, len_h in 1u32..14, q0 in 0i64..30_000, q1 in 0i64..90_000,
    ) {
        let t0 = t("2024-07-01T16:00:00Z").as_microsecond();
        let mut ts = Vec::new();
        let mut now = t0;
        for s in &steps {
            now += s.0 * 1_000_000 + 123_457;
            ts.push(now);
        }
        let pos: Vec<(f64, f64)> = steps.iter().map(|s| offset_m(HOME, s.1, s.2)).collect();
        let lon: Vec<f64> = pos.iter().map(|p| p.0).collect();
        let lat: Vec<f64> = pos.iter().map(|p| p.1).collect();
        let acc: Vec<f64> = steps.iter().map(|s| s.3).collect();
        let mut b = TrailStore::builder();
        b.extend_columns(&vec!["S"; ts.len()], &ts, &lon, &lat, Some(&acc), Mode::Strict).unwrap();
        let store = b.build();
        let end_h = (start_h + len_h) % 24;
        let zones = circle("inclusion", 60.0, &format!(
            r#","schedule":{{"tz":"Europe/London","windows":[{{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"{start_h:02}:00","end":"{end_h:02}:30"}}]}}"#));
        for window in [Window::all(), Window::from_us(t0 + q0 * 1_000_000, t0 + (q0 + q1) * 1_000_000)] {
            for r in curfew(&store, &zones, window, &CurfewOptions::default()).unwrap() {
                let us = |s: f64| (s * 1e6).round() as i64;
                prop_assert!(r.inside_s >= 0.0, "{:?}", r);
                prop_assert_eq!(us(r.scheduled_s), r.window_end_us - r.window_start_us);
                prop_assert_eq!(us(r.inside_s) + us(r.outside_s) + us(r.unknown_s), us(r.scheduled_s), "{:?}", r);
            }
        }
    }
}
