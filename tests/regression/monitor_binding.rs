//! Issue 18: a monitor checkpoint is bound to the content of its zones, not
//! only to their ids (a home zone redefined as an exclusion zone 5 km away
//! was accepted and gave four curfew violations, one of 27 hours).

use trailfence::{zones_from_geojson_str, Monitor, MonitorOptions, TrackFix};

fn zones(kind: &str, lon: f64) -> trailfence::ZoneSet {
    zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"home","properties":{{"kind":"{kind}","radius_m":100,
            "schedule":{{"tz":"Europe/London","windows":[{{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"19:00","end":"07:00"}}]}}}},
            "geometry":{{"type":"Point","coordinates":[{lon},51.5]}}}}]}}"#
        ),
        "z",
    )
    .unwrap()
}

#[test]
fn a_checkpoint_refuses_zones_with_the_same_ids_but_other_content() {
    let home = zones("inclusion", -0.1);
    let mut m = Monitor::new(home.clone(), MonitorOptions::default()).unwrap();
    let t0 = trailfence::parse_time("2024-10-26T20:00:00Z", None)
        .unwrap()
        .as_microsecond();
    for k in 0..5 {
        let fix = TrackFix {
            t_us: t0 + k * 60_000_000,
            lon: -0.1,
            lat: 51.5,
            accuracy_m: Some(5.0),
        };
        m.push("A", fix, fix.t_us).unwrap();
    }
    let saved = m.checkpoint().unwrap();
    assert!(Monitor::restore(home.clone(), &saved).is_ok());
    assert_eq!(Monitor::restore(home, &saved).unwrap().checkpoint().unwrap(), saved);
    for other in [
        zones("exclusion", -0.1),
        zones("inclusion", -0.03),
        zones("inclusion", -0.1000000001),
    ] {
        let e = Monitor::restore(other, &saved)
            .expect_err("other zones refused")
            .to_string();
        assert!(e.contains("other zones"), "{e}");
    }
}
