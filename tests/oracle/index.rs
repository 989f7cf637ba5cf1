//! The (lon, lat, t) R-tree agrees with a brute-force scan of every segment.

use proptest::prelude::*;
use trailfence::generate::{generate_fixes, GeneratorConfig};
use trailfence::{Mode, SegmentRef, TrailStore, Window};

fn store() -> &'static TrailStore {
    static STORE: std::sync::OnceLock<TrailStore> = std::sync::OnceLock::new();
    STORE.get_or_init(|| {
        let data = generate_fixes(&GeneratorConfig {
            seed: 11,
            subjects: 12,
            days: 2,
            ..Default::default()
        });
        let mut b = TrailStore::builder();
        // Also a one-fix subject.
        b.extend_columns(
            &["lonely"],
            &[data.t_us[100]],
            &[data.lon[100]],
            &[data.lat[100]],
            None,
            Mode::Strict,
        )
        .unwrap();
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

/// Brute force: every segment of every trail whose (lon, lat, t) box meets the query box.
fn brute(s: &TrailStore, rect: [f64; 4], w: Window) -> Vec<SegmentRef> {
    let mut out = Vec::new();
    for subject in 0..s.subject_count() {
        let t = s.trail_at(subject);
        let n = t.len();
        let segs = if n == 1 { 1 } else { n - 1 };
        for i in 0..segs {
            let j = (i + 1).min(n - 1);
            let (t0, t1) = (t.times_us()[i], t.times_us()[j]);
            let time_ok = t0 < w.end_us() && t1 >= w.start_us();
            let (lo0, lo1) = (t.lons()[i].min(t.lons()[j]), t.lons()[i].max(t.lons()[j]));
            let (la0, la1) = (t.lats()[i].min(t.lats()[j]), t.lats()[i].max(t.lats()[j]));
            if time_ok && lo0 <= rect[2] && lo1 >= rect[0] && la0 <= rect[3] && la1 >= rect[1] {
                out.push(SegmentRef {
                    subject,
                    index: i,
                    single: n == 1,
                });
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::util::proptest_cases(64), ..ProptestConfig::default() })]
    #[test]
    fn index_agrees_with_brute_force(
        cx in -0.30f64..0.05, cy in 51.40f64..51.62, w in 0.0005f64..0.05, h in 0.0005f64..0.05,
        start_h in -2.0f64..50.0, len_h in 0.0f64..12.0,
    ) {
        let s = store();
        let t0 = s.trail_at(0).times_us()[0];
        let start = t0 + (start_h * 3.6e9) as i64;
        let win = Window::from_us(start, start + (len_h * 3.6e9) as i64);
        let rect = [cx, cy, cx + w, cy + h];
        let got = s.segments_meeting(rect[0], rect[1], rect[2], rect[3], win);
        prop_assert_eq!(got, brute(s, rect, win));
    }
}

#[test]
fn whole_area_query_returns_every_segment_in_the_window() {
    let s = store();
    let all = s.segments_meeting(-180.0, -90.0, 180.0, 90.0, Window::all());
    let expected: usize = (0..s.subject_count())
        .map(|i| s.trail_at(i).len().saturating_sub(1).max(1))
        .sum();
    assert_eq!(all.len(), expected);
    assert!(s
        .segments_meeting(-180.0, -90.0, 180.0, 90.0, Window::from_us(0, 0))
        .is_empty());
}

/// Fix-in-zone flags (R-tree screened, 64 fixes at a time) equal testing
/// every fix against every zone.
#[test]
fn fix_zone_hits_equal_brute_force() {
    use trailfence::generate::{bench_zones, LONDON};
    use trailfence::{fix_zone_hits, FixZoneHit, ZoneSet};
    let s = store();
    let zones = ZoneSet::new(bench_zones(300, 5, LONDON, 12_000.0)).unwrap();
    let got = fix_zone_hits(s, &zones, Window::all());
    let mut want = Vec::new();
    for subject in 0..s.subject_count() {
        let t = s.trail_at(subject);
        for i in 0..t.len() {
            for z in 0..zones.len() {
                if zones.get(z).region.covers(t.lons()[i], t.lats()[i]) {
                    want.push(FixZoneHit {
                        subject: subject as u32,
                        fix: i as u32,
                        zone: z as u32,
                    });
                }
            }
        }
    }
    assert!(!want.is_empty());
    assert_eq!(got, want);
}
