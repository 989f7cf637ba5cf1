//! Near, proximity, stops and heatmaps against hand-computed expectations.

use trailfence::generate::offset_m;
use trailfence::{heatmap, near, proximity, stops, Mode, Target, TrailStore, Verdict, Window};

use crate::util::t;

const P: (f64, f64) = (-0.1, 51.5);

/// (seconds after 01:00Z, metres east of P, metres north of P).
type Track = Vec<(i64, f64, f64)>;

fn store(tracks: &[(&str, Track)]) -> TrailStore {
    let mut b = TrailStore::builder();
    for (name, fixes) in tracks {
        let t0 = t("2024-06-01T01:00:00Z").as_microsecond();
        let pos: Vec<(f64, f64)> = fixes.iter().map(|f| offset_m(P, f.1, f.2)).collect();
        b.extend_columns(
            &vec![*name; fixes.len()],
            &fixes.iter().map(|f| t0 + f.0 * 1_000_000).collect::<Vec<_>>(),
            &pos.iter().map(|p| p.0).collect::<Vec<_>>(),
            &pos.iter().map(|p| p.1).collect::<Vec<_>>(),
            Some(&vec![10.0; fixes.len()]),
            Mode::Strict,
        )
        .unwrap();
    }
    b.build()
}

#[test]
fn pass_by_between_fixes_is_a_hit_with_exact_figures() {
    // 10 m/s along y = 30 m, fixes 60 s apart at x = -300 and +300: passes 30 m from P.
    let s = store(&[
        ("A", vec![(0, -300.0, 30.0), (60, 300.0, 30.0)]),
        ("B", vec![(0, 500.0, 0.0), (60, 500.0, 5.0)]),
    ]);
    let rows = near(&s, &Target::Point(P.0, P.1), 50.0, Window::all()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!((r.subject.as_str(), r.verdict, r.fixes_within), ("A", Verdict::Hit, 0));
    assert!((r.min_distance_m - 30.0).abs() < 0.05, "{}", r.min_distance_m);
    assert!((r.closest_time_us.unwrap() - t("2024-06-01T01:00:30Z").as_microsecond()).abs() < 50_000);
    // Within 50 m for 2 * 40 m at 10 m/s = 8 s.
    assert!((r.seconds_within - 8.0).abs() < 0.05, "{}", r.seconds_within);
    // 45 m radius plus 10 m accuracy reaches 40 m... a 25 m radius is only "possible".
    let rows = near(&s, &Target::Point(P.0, P.1), 25.0, Window::all()).unwrap();
    assert_eq!(rows[0].verdict, Verdict::Possible);
}

#[test]
fn two_trails_meeting_between_fixes() {
    // A walks east, B walks west along the same line; they meet at t = 30 s.
    let s = store(&[
        ("A", vec![(0, -150.0, 0.0), (60, 150.0, 0.0)]),
        ("B", vec![(0, 150.0, 0.0), (60, -150.0, 0.0)]),
    ]);
    let eps = proximity(&s, "A", "B", 20.0, Window::all()).unwrap();
    assert_eq!(eps.len(), 1);
    // Closing at 10 m/s: within 20 m for 4 s around t = 30 s.
    assert!((eps[0].duration_s() - 4.0).abs() < 0.05, "{}", eps[0].duration_s());
    assert!(eps[0].min_distance_m < 0.05);
    assert!(proximity(&s, "A", "nobody", 20.0, Window::all()).is_err());
}

#[test]
fn stops_are_long_stays_within_the_radius() {
    // 30 min at the origin, a 10-minute walk, 20 min 800 m away, a 5-minute stay.
    let mut f = Vec::new();
    for m in 0..=30 {
        f.push((m * 60, (m % 3) as f64 * 5.0, 0.0));
    }
    for m in 31..=40 {
        f.push((m * 60, (m - 30) as f64 * 80.0, 0.0));
    }
    for m in 41..=60 {
        f.push((m * 60, 800.0, (m % 2) as f64 * 8.0));
    }
    for m in 61..=70 {
        f.push((m * 60, 800.0 + (m - 60) as f64 * 100.0, 0.0));
    }
    let s = store(&[("A", f)]);
    let st = stops(&s, "A", Window::all(), 50.0, 600.0).unwrap();
    assert_eq!(st.len(), 2, "{st:?}");
    // The first walking fix (80 m out) is still within the 100 m diameter.
    assert_eq!(st[0].fixes, 32);
    assert_eq!(st[0].duration_s(), 1860.0);
    assert!(st[1].duration_s() >= 1140.0);
    assert!(stops(&s, "A", Window::all(), f64::NAN, 600.0).is_err());
}

#[test]
fn heatmap_conserves_dwell_and_suppresses_rare_cells() {
    // Three subjects at one spot for an hour; one alone elsewhere.
    let at = |x: f64| (0..=60).map(|m| (m * 60, x, 0.0)).collect::<Vec<_>>();
    let s = store(&[("A", at(0.0)), ("B", at(1.0)), ("C", at(2.0)), ("D", at(5000.0))]);
    let h = heatmap(&s, 9, Window::all(), 1).unwrap();
    let total: f64 = h.cells.iter().map(|c| c.seconds).sum();
    assert_eq!(total, 4.0 * 3600.0);
    let h = heatmap(&s, 9, Window::all(), 2).unwrap();
    assert_eq!(h.cells.len(), 1);
    assert_eq!((h.cells[0].subjects, h.cells[0].seconds), (3, 3.0 * 3600.0));
    assert_eq!((h.suppressed_cells, h.suppressed_seconds), (1, 3600.0));
    assert_eq!(h.cells[0].cell.len(), 15);
    assert!(heatmap(&s, 16, Window::all(), 1).is_err());
}
