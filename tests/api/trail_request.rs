use trailfence::{Error, Fix, Mode, TrailStore};

use crate::util::{store_from_csv, t, window};

const CSV: &str = "subject,time,lon,lat,accuracy_m\n\
A,2024-01-01T10:00:00Z,0.000,51.0,5\n\
A,2024-01-01T10:01:00Z,0.001,51.0,5\n\
A,2024-01-01T10:02:00Z,0.002,51.0,5\n\
A,2024-01-01T12:00:00Z,0.010,51.0,5\n\
B,2024-01-01T10:00:30Z,1.0,52.0,\n";

#[test]
fn window_is_half_open_and_ordered() {
    let (s, _) = store_from_csv(CSV, Mode::Strict).unwrap();
    let a = s
        .trail("A", window("2024-01-01T10:00:00Z", "2024-01-01T10:02:00Z"))
        .unwrap();
    let times: Vec<_> = a.fixes().map(|f| f.time().to_string()).collect();
    assert_eq!(times, ["2024-01-01T10:00:00Z", "2024-01-01T10:01:00Z"]);
}

#[test]
fn empty_window_and_window_outside_data_are_empty_answers() {
    let (s, _) = store_from_csv(CSV, Mode::Strict).unwrap();
    let e = s
        .trail("A", window("2024-01-01T10:01:00Z", "2024-01-01T10:01:00Z"))
        .unwrap();
    assert!(e.is_empty());
    assert!(e.gaps().is_empty());
    let before = s
        .trail("A", window("2023-01-01T00:00:00Z", "2023-01-02T00:00:00Z"))
        .unwrap();
    assert!(before.is_empty());
    assert_eq!(before.gaps().len(), 1, "the whole window is without data");
    assert_eq!(before.gaps()[0].duration_s(), 86_400.0);
    let after = s
        .trail("B", window("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"))
        .unwrap();
    assert!(after.is_empty());
    assert_eq!(
        after.gaps()[0].last_fix_before_us,
        Some(t("2024-01-01T10:00:30Z").as_microsecond())
    );
}

#[test]
fn unknown_subject_is_an_error_naming_it() {
    let (s, _) = store_from_csv(CSV, Mode::Strict).unwrap();
    let err = s
        .trail("Z", window("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"))
        .unwrap_err();
    assert!(matches!(err, Error::UnknownSubject(ref z) if z == "Z"));
    assert!(err.to_string().contains("\"Z\""));
}

#[test]
fn gaps_longer_than_max_gap_are_reported_inside_the_window() {
    let (s, _) = store_from_csv(CSV, Mode::Strict).unwrap();
    let a = s
        .trail("A", window("2024-01-01T09:59:00Z", "2024-01-01T12:00:01Z"))
        .unwrap();
    let gaps: Vec<_> = a
        .gaps()
        .iter()
        .map(|g| (g.start().to_string(), g.end().to_string()))
        .collect();
    assert_eq!(
        gaps,
        [
            ("2024-01-01T09:59:00Z".to_string(), "2024-01-01T10:00:00Z".to_string()),
            ("2024-01-01T10:02:00Z".to_string(), "2024-01-01T12:00:00Z".to_string()),
            ("2024-01-01T12:00:00Z".to_string(), "2024-01-01T12:00:01Z".to_string()),
        ]
    );
    assert_eq!(a.parts().len(), 2);
    // No interpolation across the gap.
    let trail = s.trail_of("A").unwrap();
    assert!(trail
        .position_at(t("2024-01-01T11:00:00Z").as_microsecond(), 600.0)
        .is_none());
    assert_eq!(
        trail.position_at(t("2024-01-01T10:00:30Z").as_microsecond(), 600.0),
        Some((0.0005, 51.0))
    );
}

#[test]
fn out_of_order_fixes_are_placed_in_order_duplicates_dropped_conflicts_kept_out() {
    let mut b = TrailStore::builder();
    let fix = |time: &str, lon: f64| Fix {
        subject: "S".into(),
        time: t(time),
        lon,
        lat: 51.0,
        accuracy_m: None,
    };
    for f in [
        fix("2024-01-01T10:03:00Z", 3.0),
        fix("2024-01-01T10:01:00Z", 1.0),
        fix("2024-01-01T10:00:00Z", 0.0),
        fix("2024-01-01T10:01:00Z", 1.0), // exact duplicate
        fix("2024-01-01T10:02:00Z", 2.0),
        fix("2024-01-01T10:02:00Z", 2.5), // conflict with the line above
    ] {
        b.push(&f).unwrap();
    }
    let s = b.build();
    let lons: Vec<f64> = s.trail_of("S").unwrap().lons().to_vec();
    assert_eq!(lons, [0.0, 1.0, 3.0]);
    let sum = s.ingest_summary();
    assert_eq!(sum.fixes_received, 6);
    assert_eq!(sum.duplicates_dropped, 1);
    assert_eq!(sum.conflicting_fixes, 2);
    assert_eq!(sum.fixes_stored, 3);
    assert_eq!(
        sum.fixes_received,
        sum.fixes_stored + sum.duplicates_dropped + sum.conflicting_fixes
    );
    assert_eq!(sum.conflicts.len(), 1);
    assert_eq!(sum.conflicts[0].readings.len(), 2);
    assert_eq!(sum.conflicts[0].t_us, t("2024-01-01T10:02:00Z").as_microsecond());
}

#[test]
fn ingest_order_does_not_change_the_store() {
    let data = trailfence::generate::generate_fixes(&trailfence::generate::GeneratorConfig {
        subjects: 3,
        days: 1,
        ..Default::default()
    });
    let names = data.subject_names();
    let build = |order: &[usize]| {
        let mut b = TrailStore::builder();
        let pick = |v: &[f64]| order.iter().map(|&i| v[i]).collect::<Vec<_>>();
        let subj: Vec<&str> = order.iter().map(|&i| names[i]).collect();
        let ts: Vec<i64> = order.iter().map(|&i| data.t_us[i]).collect();
        b.extend_columns(
            &subj,
            &ts,
            &pick(&data.lon),
            &pick(&data.lat),
            Some(&pick(&data.accuracy_m)),
            Mode::Strict,
        )
        .unwrap();
        b.build()
    };
    let forward: Vec<usize> = (0..data.len()).collect();
    let mut shuffled = forward.clone();
    let mut rng = trailfence::generate::SplitMix64::new(7);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    let (a, b) = (build(&forward), build(&shuffled));
    for s in a.subjects() {
        assert_eq!(a.trail_of(s).unwrap(), b.trail_of(s).unwrap());
    }
    assert!(b.ingest_summary().out_of_order > 0);
    assert_eq!(b.ingest_summary().duplicates_dropped, 0);
}

#[test]
fn simplification_keeps_part_ends_and_stays_within_tolerance() {
    let mut text = String::from("subject,time,lon,lat\n");
    // A straight line with 1 m wiggles, then a gap, then another part.
    for i in 0..60 {
        let wiggle = if i % 2 == 0 { 0.0 } else { 0.00001 };
        text.push_str(&format!(
            "A,{},{},{}\n",
            1_704_103_200 + i * 60,
            i as f64 * 0.0005,
            51.0 + wiggle
        ));
    }
    for i in 0..5 {
        text.push_str(&format!(
            "A,{},0.1,{}\n",
            1_704_103_200 + 10_000 + i * 60,
            51.0 + i as f64 * 0.001
        ));
    }
    let (s, _) = store_from_csv(&text, Mode::Strict).unwrap();
    let w = window("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z");
    let full = s.trail("A", w).unwrap();
    assert_eq!(full.len(), 65);
    let simple = s.trail("A", w).unwrap().simplify(5.0).unwrap();
    let kept: Vec<usize> = simple.fixes().map(|f| f.index).collect();
    assert_eq!(kept, [0, 59, 60, 64]);
    let exact = s.trail("A", w).unwrap().simplify(0.5).unwrap();
    assert!(exact.len() > 50);
    assert!(s.trail("A", w).unwrap().simplify(f64::NAN).is_err());
}
