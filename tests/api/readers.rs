//! Every bad-record kind, in strict and lenient mode, for each reader.

use trailfence::io::{read_geojson_str, read_gpx_str, ReadOptions};
use trailfence::{Error, Location, Mode, Reason, TrailStore};

use crate::util::store_from_csv;

/// (row text, field, reason) for each bad-record kind.
const BAD_ROWS: &[(&str, &str, Reason)] = &[
    ("A,yesterday,0,51,5", "time", Reason::UnparseableTime),
    ("A,2024-01-01T00:00:00,0,51,5", "time", Reason::TimeWithoutOffset),
    ("A,2024-01-01T00:00:00Z,181,51,5", "lon", Reason::LongitudeOutOfRange),
    ("A,2024-01-01T00:00:00Z,0,-91,5", "lat", Reason::LatitudeOutOfRange),
    ("A,2024-01-01T00:00:00Z,NaN,51,5", "lon", Reason::NotFinite),
    ("A,2024-01-01T00:00:00Z,0,inf,5", "lat", Reason::NotFinite),
    ("A,2024-01-01T00:00:00Z,-5e-324,51,5", "lon", Reason::Subnormal),
    (",2024-01-01T00:00:00Z,0,51,5", "subject", Reason::MissingSubject),
    ("A,2024-01-01T00:00:00Z,0,51,-1", "accuracy_m", Reason::NegativeAccuracy),
    ("A,2024-01-01T00:00:00Z,zero,51,5", "lon", Reason::UnparseableNumber),
    ("A,,0,51,5", "time", Reason::MissingField),
    ("A,2024-01-01T00:00:00Z,0,,5", "lat", Reason::MissingField),
    ("\"A\tB\",2024-01-01T00:00:00Z,0,51,5", "subject", Reason::BadSubject),
];

#[test]
fn csv_strict_names_file_line_and_field_for_every_bad_kind() {
    for (row, field, reason) in BAD_ROWS {
        let text = format!("subject,time,lon,lat,accuracy_m\nA,2024-01-01T00:00:00Z,0,51,5\n{row}\n");
        let err = store_from_csv(&text, Mode::Strict).unwrap_err();
        let Error::Record(rec) = &err else {
            panic!("{row}: {err}")
        };
        assert_eq!(
            (rec.location, rec.field.as_str(), rec.reason),
            (Location::Line(3), *field, *reason),
            "{row}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with("test.csv: line 3: field `"), "{msg}");
        assert!(msg.contains(reason.describe()), "{msg}");
    }
}

#[test]
fn csv_lenient_skips_and_itemises_every_bad_kind() {
    let mut text = String::from("subject,time,lon,lat,accuracy_m\n");
    for (row, _, _) in BAD_ROWS {
        text.push_str(row);
        text.push('\n');
    }
    text.push_str("A,2024-01-01T00:00:00Z,0,51,5\n");
    let (store, report) = store_from_csv(&text, Mode::Lenient).unwrap();
    assert_eq!(store.fix_count(), 1);
    assert_eq!(report.records, BAD_ROWS.len() as u64 + 1);
    assert_eq!(report.accepted, 1);
    assert_eq!(report.skipped, BAD_ROWS.len() as u64);
    for (_, _, reason) in BAD_ROWS {
        assert!(report.skipped_by_reason[reason] >= 1, "{reason:?}");
    }
    assert_eq!(report.skipped_by_reason.values().sum::<u64>(), report.skipped);
    assert_eq!(report.examples.len(), BAD_ROWS.len());
    assert_eq!(report.examples[0].location, Location::Line(2));
    let shown = report.to_string();
    assert!(shown.contains(&format!("{} skipped", BAD_ROWS.len())), "{shown}");
}

#[test]
fn csv_missing_column_is_a_format_error_naming_it() {
    let err = store_from_csv("subject,time,lon\nA,1,2\n", Mode::Lenient).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("no column `lat`"), "{msg}");
}

#[test]
fn csv_custom_columns_and_time_zone() {
    let text = "who,when,x,y\nA,2024-07-01 12:00:00,0,51\n";
    let mut b = TrailStore::builder();
    let opts = ReadOptions {
        columns: trailfence::io::ColumnNames {
            subject: "who".into(),
            time: "when".into(),
            lon: "x".into(),
            lat: "y".into(),
            accuracy: "acc".into(),
        },
        time: trailfence::TimeParser::default()
            .with_time_zone("Europe/London")
            .unwrap(),
        ..Default::default()
    };
    trailfence::io::read_csv_from(text.as_bytes(), "x.csv", &opts, &mut b).unwrap();
    let s = b.build();
    assert_eq!(
        s.trail_of("A").unwrap().times_us()[0],
        crate::util::t("2024-07-01T11:00:00Z").as_microsecond()
    );
}

fn geojson_feature(props: &str, geom: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{props},"geometry":{geom}}}"#)
}

#[test]
fn geojson_reader_names_feature_and_field() {
    let good = geojson_feature(
        r#"{"subject":"A","time":"2024-01-01T00:00:00Z","accuracy_m":4}"#,
        r#"{"type":"Point","coordinates":[0.1,51.0]}"#,
    );
    let cases = [
        (
            geojson_feature(
                r#"{"subject":"A","time":"2024-01-01T00:00:00Z"}"#,
                r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#,
            ),
            "geometry",
            Reason::BadGeometry,
        ),
        (
            geojson_feature(
                r#"{"subject":"A","time":"2024-01-01T00:00:00Z"}"#,
                r#"{"type":"Point","coordinates":[0.1,95]}"#,
            ),
            "lat",
            Reason::LatitudeOutOfRange,
        ),
        (
            geojson_feature(
                r#"{"subject":"A","time":"2024-01-01T00:00:00Z"}"#,
                r#"{"type":"Point","coordinates":["x",51]}"#,
            ),
            "lon",
            Reason::UnparseableNumber,
        ),
        (
            geojson_feature(
                r#"{"time":"2024-01-01T00:00:00Z"}"#,
                r#"{"type":"Point","coordinates":[0.1,51]}"#,
            ),
            "subject",
            Reason::MissingSubject,
        ),
        (
            geojson_feature(
                r#"{"subject":"A","time":"2024-01-01T00:00:00Z","accuracy_m":-3}"#,
                r#"{"type":"Point","coordinates":[0.1,51]}"#,
            ),
            "accuracy_m",
            Reason::NegativeAccuracy,
        ),
        (
            geojson_feature(r#"{"subject":"A"}"#, r#"{"type":"Point","coordinates":[0.1,51]}"#),
            "time",
            Reason::MissingField,
        ),
    ];
    for (bad, field, reason) in &cases {
        let doc = format!(r#"{{"type":"FeatureCollection","features":[{good},{bad}]}}"#);
        let mut b = TrailStore::builder();
        let err = read_geojson_str(&doc, "f.geojson", &ReadOptions::default(), &mut b).unwrap_err();
        let Error::Record(rec) = &err else { panic!("{err}") };
        assert_eq!(
            (rec.location, rec.field.as_str(), rec.reason),
            (Location::Feature(1), *field, *reason),
            "{bad}"
        );
        assert!(err.to_string().starts_with("f.geojson: feature 1: field `"));
        let mut b = TrailStore::builder();
        let opts = ReadOptions {
            mode: Mode::Lenient,
            ..Default::default()
        };
        let report = read_geojson_str(&doc, "f.geojson", &opts, &mut b).unwrap();
        assert_eq!((report.records, report.accepted, report.skipped), (2, 1, 1), "{bad}");
    }
    let mut b = TrailStore::builder();
    let err = read_geojson_str("[1,2]", "f.geojson", &ReadOptions::default(), &mut b).unwrap_err();
    assert!(err.to_string().contains("FeatureCollection"));
}

#[test]
fn gpx_reader_names_line_and_field() {
    let doc = r#"<?xml version="1.0"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>S9</name><trkseg>
<trkpt lat="51.0" lon="0.1"><time>2024-01-01T00:00:00Z</time></trkpt>
<trkpt lat="51.1" lon="0.1"><time>2024-01-01T00:01:00Z</time><extensions><tf:accuracy_m xmlns:tf="x">7.5</tf:accuracy_m></extensions></trkpt>
<trkpt lat="99" lon="0.1"><time>2024-01-01T00:02:00Z</time></trkpt>
<trkpt lat="51.2" lon="0.1"></trkpt>
</trkseg></trk></gpx>"#;
    let mut b = TrailStore::builder();
    let err = read_gpx_str(doc, "t.gpx", "stem", &ReadOptions::default(), &mut b).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.gpx: line 6: field `lat` (got \"99\"): latitude outside [-90, 90] degrees"
    );
    let mut b = TrailStore::builder();
    let opts = ReadOptions {
        mode: Mode::Lenient,
        ..Default::default()
    };
    let report = read_gpx_str(doc, "t.gpx", "stem", &opts, &mut b).unwrap();
    assert_eq!((report.records, report.accepted, report.skipped), (4, 2, 2));
    assert_eq!(report.examples[1].location, Location::Line(7));
    assert_eq!(report.examples[1].field, "time");
    let s = b.build();
    let trail = s.trail_of("S9").unwrap();
    assert_eq!(trail.len(), 2);
    assert_eq!(trail.accuracy_m(1), Some(7.5));
    let mut b = TrailStore::builder();
    let err = read_gpx_str("<gpx><trk></gpx>", "t.gpx", "x", &ReadOptions::default(), &mut b).unwrap_err();
    assert!(err.to_string().contains("malformed XML"), "{err}");
}

#[test]
fn in_memory_columns_are_validated_by_row() {
    let mut b = TrailStore::builder();
    let err = b
        .extend_columns(&["A", "A"], &[0, 1], &[0.0, 200.0], &[51.0, 51.0], None, Mode::Strict)
        .unwrap_err();
    assert!(err.to_string().contains("row 1: field `lon`"), "{err}");
    let mut b = TrailStore::builder();
    let r = b
        .extend_columns(
            &["A", ""],
            &[0, 1],
            &[0.0, 1.0],
            &[51.0, 51.0],
            Some(&[f64::NAN, 3.0]),
            Mode::Lenient,
        )
        .unwrap();
    assert_eq!((r.accepted, r.skipped), (1, 1));
    assert!(b
        .extend_columns(&["A"], &[0, 1], &[0.0], &[51.0], None, Mode::Strict)
        .is_err());
}

const POINT: &str = r#"{"type":"Point","coordinates":[0,51]}"#;

/// Subject ids are bounded (256 bytes) and free of control characters in
/// every reader, so one record cannot blow up every output row and log line.
#[test]
fn subject_ids_are_bounded() {
    let long = "S".repeat(trailfence::MAX_SUBJECT_BYTES + 1);
    let ok = "S".repeat(trailfence::MAX_SUBJECT_BYTES);
    let text = format!(
        "subject,time,lon,lat,accuracy_m\n{ok},2024-01-01T00:00:00Z,0,51,5\n{long},2024-01-01T00:00:00Z,0,51,5\n"
    );
    let err = store_from_csv(&text, Mode::Strict).unwrap_err();
    let Error::Record(rec) = &err else { panic!("{err}") };
    assert_eq!(
        (rec.location, rec.field.as_str(), rec.reason),
        (Location::Line(3), "subject", Reason::BadSubject)
    );
    assert!(rec.value.len() <= 80, "echoed value is truncated");
    let geojson = format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        geojson_feature(
            &format!("{{\"subject\":\"{long}\",\"time\":\"2024-01-01T00:00:00Z\"}}"),
            POINT
        )
    );
    let mut b = TrailStore::builder();
    let report = read_geojson_str(
        &geojson,
        "x.geojson",
        &ReadOptions {
            mode: Mode::Lenient,
            ..Default::default()
        },
        &mut b,
    )
    .unwrap();
    assert_eq!((report.accepted, report.skipped), (0, 1));
}

/// The GeoJSON reader streams its features: keys in any order, and a
/// document that is not a FeatureCollection is a format error saying so.
#[test]
fn geojson_streaming_reader_checks_the_collection_shape() {
    let f = geojson_feature("{\"subject\":\"A\",\"time\":\"2024-01-01T00:00:00Z\"}", POINT);
    let read = |text: &str| {
        let mut b = TrailStore::builder();
        read_geojson_str(text, "x.geojson", &ReadOptions::default(), &mut b).map(|r| r.accepted)
    };
    assert_eq!(
        read(&format!(
            "{{\"features\":[{f},{f}],\"bbox\":[0,0,1,1],\"type\":\"FeatureCollection\"}}"
        ))
        .unwrap(),
        2
    );
    for (text, says) in [
        (
            format!("{{\"type\":\"Feature\",\"features\":[{f}]}}"),
            "not a GeoJSON FeatureCollection",
        ),
        ("{\"type\":\"FeatureCollection\"}".to_string(), "no `features` array"),
        (
            "{\"type\":\"FeatureCollection\",\"features\":{}}".to_string(),
            "no `features` array",
        ),
        ("[1,2]".to_string(), "not a GeoJSON FeatureCollection"),
        (
            format!("{{\"type\":\"FeatureCollection\",\"features\":[{f}]}} trailing"),
            "line 1: not valid JSON",
        ),
        (
            format!("{{\"type\":\"FeatureCollection\",\"features\":[{f},"),
            "not valid JSON",
        ),
    ] {
        let err = read(&text).unwrap_err();
        assert!(matches!(err, Error::Format { .. }), "{text}: {err:?}");
        let msg = err.to_string();
        assert!(msg.starts_with("x.geojson") && msg.contains(says), "{text}: {msg}");
        assert!(!msg.contains('\u{1}'), "{msg}");
    }
}
