//! Schedules across DST against the IANA tz vectors: gap → first instant
//! after the gap, fold → the earlier instant, windows measured per occurrence.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use trailfence::{parse_time, resolve_local, Schedule, WeeklyWindow, Window};

use crate::util::shared_testdata;

#[test]
fn wall_clock_probes_resolve_by_the_schedule_policy() {
    let Some(dir) = shared_testdata() else { return };
    let tz = TimeZone::get("Europe/London").unwrap();
    // Transition instants from the DST table.
    let dst = std::fs::read_to_string(dir.join("europe-london-dst.csv")).unwrap();
    let mut transitions = std::collections::HashMap::new();
    for rec in csv::Reader::from_reader(dst.as_bytes()).records() {
        let rec = rec.unwrap();
        transitions.insert(rec[3].to_string(), parse_time(&rec[2], None).unwrap());
    }
    let probes = std::fs::read_to_string(dir.join("europe-london-wallclock-probes.csv")).unwrap();
    let mut n = 0;
    for rec in csv::Reader::from_reader(probes.as_bytes()).records() {
        let rec = rec.unwrap();
        let (date, time, fold, utc, exists, note) = (&rec[0], &rec[1], &rec[2], &rec[3], &rec[4], &rec[6]);
        let dt: DateTime = format!("{date}T{time}:00").parse().unwrap();
        let got = resolve_local(&tz, dt);
        if exists == "False" {
            assert_eq!(
                got, transitions[date],
                "{date} {time}: a gap maps to the first instant after it"
            );
        } else if note.starts_with("ambiguous") {
            if fold == "0" {
                assert_eq!(
                    got,
                    parse_time(utc, None).unwrap(),
                    "{date} {time}: a fold maps to the earlier instant"
                );
            } else {
                assert!(got < parse_time(utc, None).unwrap());
            }
        } else {
            assert_eq!(got, parse_time(utc, None).unwrap(), "{date} {time}");
        }
        n += 1;
    }
    assert_eq!(n, 440);
}

#[test]
fn curfew_windows_are_11_or_13_hours_on_transition_nights() {
    let Some(dir) = shared_testdata() else { return };
    let all = [true; 7];
    let s = Schedule::new(
        "Europe/London",
        vec![WeeklyWindow {
            days: all,
            start: "19:00".parse().unwrap(),
            end: "07:00".parse().unwrap(),
        }],
        None,
        None,
    )
    .unwrap();
    let dst = std::fs::read_to_string(dir.join("europe-london-dst.csv")).unwrap();
    for rec in csv::Reader::from_reader(dst.as_bytes()).records() {
        let rec = rec.unwrap();
        let day: jiff::civil::Date = rec[3].parse().unwrap();
        let hours: i64 = rec[11].parse().unwrap();
        let eve = day.yesterday().unwrap();
        let noon = parse_time(&format!("{eve}T12:00:00Z"), None).unwrap();
        let occ = s.occurrences(Window::new(noon, noon + jiff::SignedDuration::from_hours(24)).unwrap());
        assert_eq!(occ.len(), 1, "{day}");
        assert_eq!(occ[0].duration_s() as i64, (hours - 12) * 3600, "{day}");
        assert_eq!(
            occ[0].start(),
            parse_time(&format!("{eve}T19:00:00"), Some("Europe/London")).unwrap()
        );
    }
}

#[test]
fn spring_gap_start_maps_to_the_transition() {
    // A window starting 01:30 on 2024-03-31 (skipped) starts at 01:00 UTC.
    let s = Schedule::new(
        "Europe/London",
        vec![WeeklyWindow {
            days: [false, false, false, false, false, false, true],
            start: "01:30".parse().unwrap(),
            end: "03:00".parse().unwrap(),
        }],
        None,
        None,
    )
    .unwrap();
    let w = Window::new(
        parse_time("2024-03-30T00:00:00Z", None).unwrap(),
        parse_time("2024-04-01T00:00:00Z", None).unwrap(),
    )
    .unwrap();
    let occ = s.occurrences(w);
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].start().to_string(), "2024-03-31T01:00:00Z");
    assert_eq!(occ[0].end().to_string(), "2024-03-31T02:00:00Z");
}
