//! H3 cells against the official uber/h3 test vectors.

use trailfence::{h3_cell, validate_position};

use crate::util::shared_testdata;

#[test]
fn cells_match_official_vectors() {
    let Some(dir) = shared_testdata() else { return };
    let text = std::fs::read_to_string(dir.join("h3-latlng-to-cell.csv")).unwrap();
    let (mut checked, mut rejected) = (0, 0);
    for rec in csv::Reader::from_reader(text.as_bytes()).records() {
        let rec = rec.unwrap();
        let (lat, lng, res, want) = (
            rec[0].parse::<f64>().unwrap(),
            rec[1].parse::<f64>().unwrap(),
            rec[2].parse::<u8>().unwrap(),
            &rec[3],
        );
        if validate_position(lng, lat).is_err() {
            // Longitudes beyond ±180° are rejected at ingest, never normalised:
            // no fix reaching a heatmap can carry one.
            assert!(lng.abs() > 180.0, "{lng} {lat}");
            rejected += 1;
            continue;
        }
        assert_eq!(
            h3_cell(lng, lat, res).unwrap().to_string(),
            want,
            "{lat} {lng} res {res}"
        );
        checked += 1;
    }
    assert!(
        checked > 550 && rejected < 500,
        "{checked} checked, {rejected} rejected"
    );
}
