//! Zones from GeoJSON: every invalid input is an error naming the feature,
//! the field and the reason.

use trailfence::{zones_from_geojson_str, Error, ZoneKind, ZoneShape};

fn fc(features: &[String]) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
}

fn feature(id: &str, props: &str, geom: &str) -> String {
    format!(r#"{{"type":"Feature","id":"{id}","properties":{props},"geometry":{geom}}}"#)
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[0,51],[0.01,51],[0.01,51.01],[0,51.01],[0,51]]]}"#;

#[test]
fn valid_zones_of_every_shape() {
    let text = fc(&[
        feature("a", r#"{"kind":"exclusion","buffer_m":25,"subjects":["S1"]}"#, SQUARE),
        feature(
            "b",
            r#"{"kind":"inclusion","radius_m":100,"schedule":{"tz":"Europe/London","windows":[{"days":["mon","Friday"],"start":"19:00","end":"07:00"}],"from":"2024-01-01T00:00:00Z"}}"#,
            r#"{"type":"Point","coordinates":[0,51]}"#,
        ),
        feature(
            "c",
            r#"{"kind":"exclusion"}"#,
            r#"{"type":"MultiPolygon","coordinates":[[[[1,51],[1.01,51],[1.01,51.01],[1,51.01],[1,51]],[[1.002,51.002],[1.002,51.004],[1.004,51.004],[1.004,51.002],[1.002,51.002]]],[[[2,51],[2.01,51],[2.01,51.01],[2,51]]]]}"#,
        ),
    ]);
    let z = zones_from_geojson_str(&text, "z.geojson").unwrap();
    assert_eq!(z.len(), 3);
    assert_eq!(z.by_id("b").unwrap().zone.kind, ZoneKind::Inclusion);
    assert!(matches!(z.by_id("b").unwrap().zone.shape, ZoneShape::Circle { radius_m, .. } if radius_m == 100.0));
    assert!(z.by_id("a").unwrap().buffer.is_some());
    assert!(z.by_id("a").unwrap().applies_to("S1") && !z.by_id("a").unwrap().applies_to("S2"));
    // The hole of c is outside the zone, its rim inside.
    let c = &z.by_id("c").unwrap().region;
    assert!(!c.covers(1.003, 51.003));
    assert!(c.covers(1.002, 51.003));
    assert!(c.covers(2.001, 51.0005));
}

#[test]
fn every_invalid_zone_names_feature_field_and_reason() {
    let good = feature("ok", r#"{"kind":"exclusion"}"#, SQUARE);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            feature(
                "u",
                r#"{"kind":"exclusion"}"#,
                r#"{"type":"Polygon","coordinates":[[[0,51],[0.01,51],[0.01,51.01],[0,51.01],[0,51.001]]]}"#,
            ),
            "geometry.coordinates[0]",
            "not closed",
        ),
        (
            feature(
                "f",
                r#"{"kind":"exclusion"}"#,
                r#"{"type":"Polygon","coordinates":[[[0,51],[0.01,51],[0,51]]]}"#,
            ),
            "geometry.coordinates[0]",
            "at least 4 positions",
        ),
        (
            feature(
                "x",
                r#"{"kind":"exclusion"}"#,
                r#"{"type":"Polygon","coordinates":[[[0,51],[0.01,51.01],[0.01,51],[0,51.01],[0,51]]]}"#,
            ),
            "geometry.coordinates",
            "self-intersection",
        ),
        (
            feature(
                "n",
                r#"{"kind":"exclusion"}"#,
                r#"{"type":"Polygon","coordinates":[[[0,51],["NaN",51],[0.01,51.01],[0,51]]]}"#,
            ),
            "geometry.coordinates[0][1]",
            "not a number",
        ),
        (
            feature(
                "r",
                r#"{"kind":"exclusion"}"#,
                r#"{"type":"Polygon","coordinates":[[[0,51],[0.01,91],[0.01,51.01],[0,51]]]}"#,
            ),
            "geometry.coordinates[0][1]",
            "latitude outside",
        ),
        (feature("k", r#"{"kind":"forbidden"}"#, SQUARE), "kind", "\"forbidden\""),
        (
            feature(
                "p",
                r#"{"kind":"exclusion"}"#,
                r#"{"type":"Point","coordinates":[0,51]}"#,
            ),
            "radius_m",
            "needs `radius_m`",
        ),
        (
            feature(
                "p2",
                r#"{"kind":"exclusion","radius_m":-5}"#,
                r#"{"type":"Point","coordinates":[0,51]}"#,
            ),
            "radius_m",
            "> 0",
        ),
        (
            feature(
                "l",
                r#"{"kind":"exclusion"}"#,
                r#"{"type":"LineString","coordinates":[[0,51],[1,51]]}"#,
            ),
            "geometry.type",
            "LineString",
        ),
        (
            feature(
                "tz",
                r#"{"kind":"inclusion","schedule":{"tz":"Mars/Base","windows":[{"days":["mon"],"start":"19:00","end":"07:00"}]}}"#,
                SQUARE,
            ),
            "schedule",
            "unknown IANA time zone",
        ),
        (
            feature(
                "t",
                r#"{"kind":"inclusion","schedule":{"tz":"Europe/London","windows":[{"days":["mon"],"start":"25:00","end":"07:00"}]}}"#,
                SQUARE,
            ),
            "schedule.windows[0].start",
            "HH:MM",
        ),
        (
            feature(
                "d",
                r#"{"kind":"inclusion","schedule":{"tz":"Europe/London","windows":[{"days":["someday"],"start":"19:00","end":"07:00"}]}}"#,
                SQUARE,
            ),
            "schedule.windows[0].days",
            "unknown weekday",
        ),
        (
            feature(
                "w",
                r#"{"kind":"inclusion","schedule":{"tz":"Europe/London","windows":[]}}"#,
                SQUARE,
            ),
            "schedule.windows",
            "non-empty",
        ),
        (
            feature(
                "fr",
                r#"{"kind":"inclusion","schedule":{"tz":"Europe/London","windows":[{"days":["mon"],"start":"19:00","end":"07:00"}],"from":"yesterday"}}"#,
                SQUARE,
            ),
            "schedule.from",
            "invalid time",
        ),
        (
            feature("b", r#"{"kind":"inclusion","buffer_m":10}"#, SQUARE),
            "buffer_m",
            "exclusion zones only",
        ),
        (
            feature("s", r#"{"kind":"exclusion","subjects":["S1",""]}"#, SQUARE),
            "subjects[1]",
            "non-empty string",
        ),
        (feature("ok", r#"{"kind":"exclusion"}"#, SQUARE), "id", "duplicate"),
    ];
    for (bad, field, reason) in cases {
        let err = zones_from_geojson_str(&fc(&[good.clone(), bad.clone()]), "zones.geojson").unwrap_err();
        let Error::Zone { index, field: f, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!((*index, f.as_str()), (1, field), "{err}");
        let msg = err.to_string();
        assert!(msg.starts_with("zones.geojson: feature 1 (id "), "{msg}");
        assert!(msg.contains(reason), "{msg} should mention {reason}");
    }
    let err = zones_from_geojson_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"exclusion"},"geometry":null}]}"#, "z").unwrap_err();
    assert!(err.to_string().contains("field `id`"), "{err}");
}
