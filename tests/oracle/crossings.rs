//! Breach episodes between sparse fixes against shapely/GEOS + PyMEOS
//! (`trail-zone-crossings.jsonl`): first entry time and time inside.

use geo::{Geometry, MultiPolygon};
use serde_json::Value;
use trailfence::{breaches, BreachOptions, Mode, TrailStore, Window, Zone, ZoneKind, ZoneSet, ZoneShape};
use wkt::TryFromWkt;

use crate::util::{shared_testdata, t};

#[test]
fn first_entry_and_time_in_zone_match_shapely_and_pymeos() {
    let Some(dir) = shared_testdata() else { return };
    let text = std::fs::read_to_string(dir.join("trail-zone-crossings.jsonl")).unwrap();
    let mut n = 0;
    let mut missed_by_fixes_only = 0;
    let mut worst_entry_s: f64 = 0.0;
    let mut worst_inside_s: f64 = 0.0;
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        let id = r["id"].as_str().unwrap();
        let mp = match Geometry::<f64>::try_from_wkt_str(r["zone_wkt"].as_str().unwrap()).unwrap() {
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            Geometry::MultiPolygon(m) => m,
            g => panic!("{g:?}"),
        };
        let zones = ZoneSet::new(vec![Zone {
            id: "z".into(),
            kind: ZoneKind::Exclusion,
            shape: ZoneShape::Polygon(mp),
            subjects: None,
            buffer_m: None,
            schedule: None,
            effective: Default::default(),
        }])
        .unwrap();
        let fixes = r["fixes"].as_array().unwrap();
        let subj = vec!["S"; fixes.len()];
        let ts: Vec<i64> = fixes
            .iter()
            .map(|f| t(f["t"].as_str().unwrap()).as_microsecond())
            .collect();
        let lon: Vec<f64> = fixes.iter().map(|f| f["lon"].as_f64().unwrap()).collect();
        let lat: Vec<f64> = fixes.iter().map(|f| f["lat"].as_f64().unwrap()).collect();
        // The oracles interpolate every interval (up to 15 min here).
        let mut b = TrailStore::builder().max_gap_s(3600.0).unwrap();
        b.extend_columns(&subj, &ts, &lon, &lat, None, Mode::Strict).unwrap();
        let store = b.build();
        let eps = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap();
        let exp = &r["expected"];
        assert_eq!(
            !eps.is_empty(),
            exp["trail_intersects_zone_linear"].as_bool().unwrap(),
            "{id}"
        );
        if let Some(first) = exp["first_entry_utc"].as_str() {
            let want = t(first).as_microsecond();
            let err = (eps[0].start_us - want).abs() as f64 / 1e6;
            worst_entry_s = worst_entry_s.max(err);
            assert!(err <= 1.0, "{id}: first entry {} vs {first}", eps[0].start());
        }
        let inside: f64 = eps.iter().map(|e| e.duration_s()).sum();
        let want = exp["seconds_in_zone_linear"].as_f64().unwrap_or(0.0);
        worst_inside_s = worst_inside_s.max((inside - want).abs());
        assert!((inside - want).abs() <= 1.0, "{id}: {inside} s inside vs {want}");
        // Fix-level flags agree too.
        for (k, f) in exp["fix_covered"].as_array().unwrap().iter().enumerate() {
            assert_eq!(
                zones.get(0).region.covers(lon[k], lat[k]),
                f.as_bool().unwrap(),
                "{id} fix {k}"
            );
        }
        if exp["missed_if_fixes_only"].as_bool() == Some(true) {
            missed_by_fixes_only += 1;
        }
        n += 1;
    }
    assert_eq!(n, 300);
    assert_eq!(missed_by_fixes_only, 93);
    eprintln!("crossings: worst first-entry error {worst_entry_s} s, worst time-inside error {worst_inside_s} s");
}
