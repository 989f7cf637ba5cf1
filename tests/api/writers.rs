//! Writers: every format parses back and carries the same fixes.

use trailfence::io::{read_csv_from, read_gpx_str, write_trail, ReadOptions, TrailFormat};
use trailfence::{Mode, TrailStore};

use crate::util::{store_from_csv, window};

const CSV: &str = "subject,time,lon,lat,accuracy_m\n\
A&B,2024-01-01T10:00:00Z,-0.1,51.5,5.5\n\
A&B,2024-01-01T10:01:00.250Z,-0.1001,51.5001,\n\
A&B,2024-01-01T10:02:00Z,-0.1002,51.5002,3\n\
A&B,2024-01-01T11:00:00Z,-0.2,51.6,4\n";

fn render(format: TrailFormat) -> String {
    let (s, _) = store_from_csv(CSV, Mode::Strict).unwrap();
    let a = s
        .trail("A&B", window("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"))
        .unwrap();
    let mut out = Vec::new();
    write_trail(&a, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn csv_round_trips() {
    let text = render(TrailFormat::Csv);
    let mut b = TrailStore::builder();
    read_csv_from(text.as_bytes(), "out.csv", &ReadOptions::default(), &mut b).unwrap();
    let (orig, _) = store_from_csv(CSV, Mode::Strict).unwrap();
    assert_eq!(b.build().trail_of("A&B").unwrap(), orig.trail_of("A&B").unwrap());
    assert!(text.contains("2024-01-01T10:01:00.25Z,-0.1001,51.5001,\n"), "{text}");
}

#[test]
fn geojson_has_a_line_per_part_and_a_point_per_fix() {
    let v: serde_json::Value = serde_json::from_str(&render(TrailFormat::GeoJson)).unwrap();
    let feats = v["features"].as_array().unwrap();
    let lines: Vec<_> = feats.iter().filter(|f| f["geometry"]["type"] == "LineString").collect();
    let points: Vec<_> = feats.iter().filter(|f| f["geometry"]["type"] == "Point").collect();
    assert_eq!(
        lines.len(),
        1,
        "the 11:00 fix is after a gap and forms its own one-fix part"
    );
    assert_eq!(lines[0]["geometry"]["coordinates"].as_array().unwrap().len(), 3);
    assert_eq!(points.len(), 4);
    assert_eq!(points[1]["properties"]["time"], "2024-01-01T10:01:00.25Z");
    assert!(points[1]["properties"]["accuracy_m"].is_null());
    assert_eq!(points[0]["properties"]["accuracy_m"], 5.5);
    assert_eq!(points[0]["properties"]["subject"], "A&B");
}

#[test]
fn gpx_round_trips_with_segments_per_part() {
    let text = render(TrailFormat::Gpx);
    assert_eq!(text.matches("<trkseg>").count(), 2);
    assert!(text.contains("<name>A&amp;B</name>"));
    let mut b = TrailStore::builder();
    read_gpx_str(&text, "out.gpx", "x", &ReadOptions::default(), &mut b).unwrap();
    let (orig, _) = store_from_csv(CSV, Mode::Strict).unwrap();
    assert_eq!(b.build().trail_of("A&B").unwrap(), orig.trail_of("A&B").unwrap());
}

#[test]
fn kml_is_well_formed_with_timestamps() {
    let text = render(TrailFormat::Kml);
    let mut r = quick_xml::Reader::from_str(&text);
    let mut whens = 0;
    loop {
        match r.read_event().unwrap() {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"when" => whens += 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(whens, 4);
    assert_eq!(text.matches("<LineString>").count(), 1);
}
