//! Trail requests across Europe/London DST changes, against
//! `europe-london-dst.csv` (derived from the IANA tz database with Python's
//! zoneinfo, independently of jiff).

use trailfence::{parse_time, Mode, TrailStore, Window};

use crate::util::shared_testdata;

fn minute_trail(start_us: i64, minutes: i64) -> TrailStore {
    let subj = vec!["S"; minutes as usize];
    let t: Vec<i64> = (0..minutes).map(|m| start_us + m * 60_000_000).collect();
    let lon: Vec<f64> = (0..minutes).map(|m| -0.1 + m as f64 * 1e-5).collect();
    let lat = vec![51.5; minutes as usize];
    let mut b = TrailStore::builder();
    b.extend_columns(&subj, &t, &lon, &lat, None, Mode::Strict).unwrap();
    b.build()
}

#[test]
fn local_day_windows_across_dst_changes_have_the_right_length_and_fixes() {
    let Some(dir) = shared_testdata() else { return };
    let text = std::fs::read_to_string(dir.join("europe-london-dst.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut rows = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (utc_instant, local_date, new_wall, offset_after, hours) =
            (&rec[2], &rec[3], &rec[5], &rec[7], rec[11].parse::<i64>().unwrap());
        let transition = parse_time(utc_instant, None).unwrap();
        // The wall clock just after the change, written with the new offset, is the same instant.
        let after = parse_time(&format!("{new_wall}{offset_after}"), None).unwrap();
        assert_eq!(after, transition, "{local_date}");
        // A trail of one fix a minute over three UTC days around the change.
        let start_us = transition.as_microsecond() - 36 * 3_600_000_000;
        let store = minute_trail(start_us, 72 * 60);
        // The local day [00:00, next 00:00) in Europe/London.
        let day: jiff::civil::Date = local_date.parse().unwrap();
        let next = day.tomorrow().unwrap();
        let w = Window::new(
            parse_time(&format!("{day}T00:00:00"), Some("Europe/London")).unwrap(),
            parse_time(&format!("{next}T00:00:00"), Some("Europe/London")).unwrap(),
        )
        .unwrap();
        assert_eq!(w.duration_s(), (hours * 3600) as f64, "{local_date}");
        let answer = store.trail("S", w).unwrap();
        assert_eq!(answer.len() as i64, hours * 60, "{local_date}");
        assert!(answer.gaps().is_empty());
        // The evening curfew window 19:00 (eve) to 07:00 (day) spans the change too.
        let eve = day.yesterday().unwrap();
        let curfew = Window::new(
            parse_time(&format!("{eve}T19:00:00"), Some("Europe/London")).unwrap(),
            parse_time(&format!("{day}T07:00:00"), Some("Europe/London")).unwrap(),
        )
        .unwrap();
        assert_eq!(curfew.duration_s(), ((hours - 24 + 12) * 3600) as f64, "{local_date}");
        assert_eq!(store.trail("S", curfew).unwrap().len() as i64, (hours - 12) * 60);
        rows += 1;
    }
    assert_eq!(rows, 22);
}

#[test]
fn ambiguous_and_skipped_wall_clock_times_are_refused_not_guessed() {
    let Some(dir) = shared_testdata() else { return };
    let text = std::fs::read_to_string(dir.join("europe-london-wallclock-probes.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut checked = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (date, time, fold, utc, exists, note) = (&rec[0], &rec[1], &rec[2], &rec[3], &rec[4], &rec[6]);
        let local = format!("{date}T{time}:00");
        let got = parse_time(&local, Some("Europe/London"));
        if exists == "False" || note.starts_with("ambiguous") {
            assert!(got.is_err(), "{local} ({note}) must be refused");
        } else if note == "unambiguous" && fold == "0" {
            assert_eq!(got.unwrap(), parse_time(utc, None).unwrap(), "{local}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}
