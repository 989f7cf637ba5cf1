//! Near queries against a brute-force reference: segments densified to 1 s,
//! refined around the minimum, distances on the WGS84 ellipsoid.

use proptest::prelude::*;
use trailfence::generate::{generate_fixes, offset_m, GeneratorConfig, SplitMix64};
use trailfence::geodesy::distance_m;
use trailfence::{near, near_many, Incident, Mode, Target, TrailStore, Verdict, Window};

fn store() -> &'static TrailStore {
    static STORE: std::sync::OnceLock<TrailStore> = std::sync::OnceLock::new();
    STORE.get_or_init(|| {
        let data = generate_fixes(&GeneratorConfig {
            seed: 23,
            subjects: 15,
            days: 1,
            radius_m: 3000.0,
            ..Default::default()
        });
        let mut b = TrailStore::builder();
        b.extend_columns(
            &data.subject_names(),
            &data.t_us,
            &data.lon,
            &data.lat,
            Some(&data.accuracy_m),
            Mode::Strict,
        )
        .unwrap();
        b.build()
    })
}

struct Brute {
    min_m: f64,
    seconds_within: f64,
    first: Option<i64>,
}

fn brute(s: &TrailStore, subject: usize, p: (f64, f64), r: f64, w: Window) -> Option<Brute> {
    let t = s.trail_at(subject);
    let mut out = Brute {
        min_m: f64::INFINITY,
        seconds_within: 0.0,
        first: None,
    };
    let mut any = false;
    let d_at = |tt: i64| t.position_at(tt, s.max_gap_s()).map(|q| distance_m(p, q));
    for i in 0..t.len() {
        let ti = t.times_us()[i];
        if w.contains_us(ti) {
            any = true;
            out.min_m = out.min_m.min(distance_m(p, (t.lons()[i], t.lats()[i])));
        }
        if i + 1 == t.len() || !t.is_continuous(i, s.max_gap_s()) {
            continue;
        }
        let (a, b) = (ti.max(w.start_us()), t.times_us()[i + 1].min(w.end_us()));
        if a >= b {
            continue;
        }
        let mut tt = a;
        let mut best = (f64::INFINITY, a);
        while tt < b {
            let d = d_at(tt).unwrap();
            any = true;
            if d < best.0 {
                best = (d, tt);
            }
            if d <= r {
                out.seconds_within += (1_000_000.min(b - tt)) as f64 / 1e6;
                out.first.get_or_insert(tt);
            }
            tt += 1_000_000;
        }
        // Refine around the best sample (distance is convex along a segment).
        let (mut lo, mut hi) = ((best.1 - 1_000_000).max(a), (best.1 + 1_000_000).min(b));
        for _ in 0..60 {
            let (m1, m2) = (lo + (hi - lo) / 3, hi - (hi - lo) / 3);
            if d_at(m1).unwrap() < d_at(m2).unwrap() {
                hi = m2
            } else {
                lo = m1
            }
            if hi - lo < 3 {
                break;
            }
        }
        if hi >= lo && lo < b {
            out.min_m = out.min_m.min(d_at(lo).unwrap()).min(best.0);
        }
    }
    any.then_some(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::util::proptest_cases(40), ..ProptestConfig::default() })]
    #[test]
    fn near_agrees_with_dense_brute_force(seed in any::<u64>()) {
        let s = store();
        let mut rng = SplitMix64::new(seed);
        // Aim at a random fix, offset a little, so there are hits and misses.
        let subj = (rng.next_u64() % s.subject_count() as u64) as usize;
        let t = s.trail_at(subj);
        let k = (rng.next_u64() % t.len() as u64) as usize;
        let p = offset_m((t.lons()[k], t.lats()[k]), rng.range(-300.0, 300.0), rng.range(-300.0, 300.0));
        let r = rng.range(20.0, 400.0);
        let start = t.times_us()[k] - (rng.range(0.0, 2.0) * 3.6e9) as i64;
        let w = Window::from_us(start, start + (rng.range(0.1, 3.0) * 3.6e9) as i64);
        let rows = near(s, &Target::Point(p.0, p.1), r, w).unwrap();
        for subject in 0..s.subject_count() {
            let name = &s.subjects()[subject];
            let got = rows.iter().find(|row| &row.subject == name);
            let b = brute(s, subject, p, r, w);
            match (got, b) {
                (Some(row), Some(b)) => {
                    // Closest approach: equal within 0.1 % (+1 cm).
                    prop_assert!((row.min_distance_m - b.min_m).abs() <= 1e-3 * b.min_m + 0.01,
                        "{name}: min {} vs brute {}", row.min_distance_m, b.min_m);
                    if row.verdict == Verdict::Hit {
                        prop_assert!(b.min_m <= r * 1.001 + 0.01, "{name}: hit but brute min {}", b.min_m);
                        prop_assert!((row.seconds_within - b.seconds_within).abs() <= 2.0 + 0.002 * b.seconds_within,
                            "{name}: {} s vs brute {}", row.seconds_within, b.seconds_within);
                        if let (Some(f), Some(bf)) = (row.first_time_us, b.first) {
                            prop_assert!((f - bf).abs() <= 1_000_000, "{name}: first {f} vs {bf}");
                        }
                    } else {
                        prop_assert!(b.min_m >= r * 0.999 - 0.01, "{name}: possible but brute min {} <= {r}", b.min_m);
                    }
                }
                (None, Some(b)) => prop_assert!(b.min_m > r * 0.999, "{name}: missed, brute min {} <= {r}", b.min_m),
                (Some(row), None) => prop_assert!(false, "{name}: row {row:?} without data"),
                (None, None) => {}
            }
        }
    }
}

#[test]
fn rule_outs_never_go_to_subjects_with_gaps() {
    let s = store();
    let t0 = s.trail_at(0).times_us()[0];
    let incidents: Vec<Incident> = (0..24)
        .map(|h| {
            let t = s.trail_at(h % s.subject_count());
            let k = (h * 97) % t.len();
            Incident {
                id: format!("C{h}"),
                lon: t.lons()[k],
                lat: t.lats()[k],
                radius_m: 150.0,
                start_us: t0 + h as i64 * 3_600_000_000,
                end_us: t0 + (h as i64 + 2) * 3_600_000_000,
            }
        })
        .collect();
    let rows = near_many(s, &incidents, true).unwrap();
    let mut verdicts = std::collections::HashMap::new();
    for r in &rows {
        let inc = incidents.iter().find(|i| i.id == r.incident).unwrap();
        let w = Window::from_us(inc.start_us, inc.end_us);
        let trail = s.trail_of(&r.row.subject).unwrap();
        let gaps = trail.gaps(w, s.max_gap_s());
        match r.row.verdict {
            Verdict::RuledOut => assert!(gaps.is_empty(), "{} ruled out with a gap", r.row.subject),
            Verdict::NoData => assert!(!gaps.is_empty()),
            _ => {}
        }
        *verdicts.entry(r.row.verdict).or_insert(0) += 1;
    }
    // Every incident has one row per subject.
    assert_eq!(rows.len(), incidents.len() * s.subject_count());
    assert!(verdicts.get(&Verdict::Hit).copied().unwrap_or(0) >= 12, "{verdicts:?}");
    assert!(
        verdicts.get(&Verdict::RuledOut).copied().unwrap_or(0) > 0,
        "{verdicts:?}"
    );
}
