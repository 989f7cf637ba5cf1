//! The episode engine against a brute-force reference (dense resampling of
//! the interpolated segments), the chunked batch path against feeding every
//! fix to every zone, and resuming from serialised state. Drives single
//! trackers by hand, so it needs the `internals` feature (the test command
//! enables it).

use geo::{Coord, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use trailfence::generate::{offset_m, SplitMix64};
use trailfence::internals::{EngineParams, EpisodeTracker, RawEpisode};
use trailfence::{
    breaches, BreachOptions, EpisodeKind, Mode, Schedule, TrackFix, TrailStore, WeeklyWindow, Window, Zone, ZoneKind,
    ZoneSet, ZoneShape,
};

const ORIGIN: (f64, f64) = (-0.1276, 51.5072);

fn star(rng: &mut SplitMix64, centre: (f64, f64), r_min: f64, r_max: f64) -> LineString<f64> {
    let k = 5 + (rng.next_u64() % 12) as usize;
    let mut pts: Vec<Coord<f64>> = (0..k)
        .map(|i| {
            let a = std::f64::consts::TAU * (i as f64 + rng.range(0.1, 0.9)) / k as f64;
            let r = rng.range(r_min, r_max);
            let p = offset_m(centre, r * a.cos(), r * a.sin());
            Coord { x: p.0, y: p.1 }
        })
        .collect();
    pts.push(pts[0]);
    LineString(pts)
}

fn scenario(seed: u64) -> (TrailStore, ZoneSet) {
    let mut rng = SplitMix64::new(seed);
    let mut zones = Vec::new();
    for z in 0..(1 + rng.next_u64() % 4) {
        let c = offset_m(ORIGIN, rng.range(-150.0, 150.0), rng.range(-150.0, 150.0));
        let kind = if rng.chance(0.3) {
            ZoneKind::Inclusion
        } else {
            ZoneKind::Exclusion
        };
        let shape = if rng.chance(0.4) {
            ZoneShape::Circle {
                lon: c.0,
                lat: c.1,
                radius_m: rng.range(15.0, 120.0),
            }
        } else {
            let outer = star(&mut rng, c, 60.0, 140.0);
            let holes = if rng.chance(0.3) {
                vec![star(&mut rng, c, 10.0, 30.0)]
            } else {
                vec![]
            };
            ZoneShape::Polygon(MultiPolygon(vec![Polygon::new(outer, holes)]))
        };
        let schedule = rng.chance(0.4).then(|| {
            Schedule::new(
                "Europe/London",
                vec![WeeklyWindow {
                    days: [true; 7],
                    start: "00:10".parse().unwrap(),
                    end: "00:40".parse().unwrap(),
                }],
                None,
                None,
            )
            .unwrap()
        });
        let buffer_m = (kind == ZoneKind::Exclusion && rng.chance(0.3)).then(|| rng.range(5.0, 40.0));
        zones.push(Zone {
            id: format!("z{z}"),
            kind,
            shape,
            subjects: None,
            buffer_m,
            schedule,
            effective: Default::default(),
        });
    }
    // A random walk with 20–90 s between fixes and occasional long gaps.
    let n = 20 + (rng.next_u64() % 120) as usize;
    let mut t = 1_711_929_600_000_000i64 - 600_000_000; // 2024-04-01T00:00Z minus 10 min (BST: 01:00 local)
    t -= 3_600_000_000; // so the 00:10–00:40 local window (23:10–23:40 UTC) is inside the walk
    let mut p = offset_m(ORIGIN, rng.range(-250.0, 250.0), rng.range(-250.0, 250.0));
    let (mut subj, mut ts, mut lon, mut lat, mut acc) = (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        subj.push("S");
        ts.push(t);
        lon.push(p.0);
        lat.push(p.1);
        acc.push(rng.range(2.0, 25.0));
        let dt = if rng.chance(0.05) {
            rng.range(700.0, 1500.0)
        } else {
            rng.range(20.0, 90.0)
        };
        t += (dt * 1e6) as i64;
        let v = rng.range(0.0, 3.0) * dt;
        let a = rng.range(0.0, std::f64::consts::TAU);
        p = offset_m(p, v * a.cos(), v * a.sin());
        // Stay within the zone area.
        let d = trailfence::geodesy::distance_m(p, ORIGIN);
        if d > 300.0 {
            p = offset_m(ORIGIN, rng.range(-200.0, 200.0), rng.range(-200.0, 200.0));
        }
    }
    let mut b = TrailStore::builder();
    b.extend_columns(&subj, &ts, &lon, &lat, Some(&acc), Mode::Strict)
        .unwrap();
    (b.build(), ZoneSet::new(zones).unwrap())
}

fn kinds(zones: &ZoneSet, z: usize) -> Vec<EpisodeKind> {
    let pz = zones.get(z);
    match (pz.zone.kind, pz.buffer.is_some()) {
        (ZoneKind::Inclusion, _) => vec![EpisodeKind::Inclusion],
        (ZoneKind::Exclusion, true) => vec![EpisodeKind::Exclusion, EpisodeKind::Buffer],
        (ZoneKind::Exclusion, false) => vec![EpisodeKind::Exclusion],
    }
}

/// Feeds every fix to one tracker per (zone, kind), no candidate filtering.
fn naive(store: &TrailStore, zones: &ZoneSet) -> Vec<RawEpisode> {
    let p = EngineParams {
        max_gap_s: store.max_gap_s(),
        assumed_accuracy_m: None,
        model: Default::default(),
    };
    let trail = store.trail_at(0);
    let mut out = Vec::new();
    for z in 0..zones.len() {
        for k in kinds(zones, z) {
            let mut tr = EpisodeTracker::new(z, k);
            for i in 0..trail.len() {
                let f = trail.fix(i);
                tr.push(
                    zones,
                    TrackFix {
                        t_us: f.t_us,
                        lon: f.lon,
                        lat: f.lat,
                        accuracy_m: f.accuracy_m,
                    },
                    &p,
                    &mut out,
                );
            }
            tr.finish(&mut out);
        }
    }
    out.sort_by_key(|e| (e.zone, e.kind, e.start_us));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::util::proptest_cases(96), ..ProptestConfig::default() })]

    /// Dense resampling every 0.25 s agrees with the engine everywhere except
    /// within one sample of an episode boundary.
    #[test]
    fn engine_agrees_with_dense_resampling(seed in any::<u64>()) {
        let (store, zones) = scenario(seed);
        let eps = naive(&store, &zones);
        let trail = store.trail_at(0);
        let step = 250_000i64;
        for z in 0..zones.len() {
            let pz = zones.get(z);
            for k in kinds(&zones, z) {
                let region = if k == EpisodeKind::Buffer { pz.buffer.as_ref().unwrap() } else { &pz.region };
                let mine: Vec<&RawEpisode> = eps.iter().filter(|e| e.zone as usize == z && e.kind == k).collect();
                for i in 0..trail.len() - 1 {
                    if !trail.is_continuous(i, store.max_gap_s()) {
                        continue;
                    }
                    let (t0, t1) = (trail.times_us()[i], trail.times_us()[i + 1]);
                    let mut t = t0;
                    while t <= t1 {
                        let (x, y) = trail.position_at(t, store.max_gap_s()).unwrap();
                        let active = pz.zone.schedule.as_ref().is_none_or(|s| s.is_active(t));
                        let cov = region.covers(x, y);
                        let want = active && if k == EpisodeKind::Inclusion { !cov } else { cov };
                        let near_edge = mine.iter().any(|e| (t - e.start_us).abs() <= step || (t - e.end_us).abs() <= step)
                            || pz.zone.schedule.as_ref().is_some_and(|s| s.is_active(t) != s.is_active(t + step) || s.is_active(t) != s.is_active(t - step));
                        let got = mine.iter().any(|e| e.start_us <= t && t <= e.end_us);
                        prop_assert!(want == got || near_edge, "zone {z} {k:?} at {t}: brute {want}, engine {got}");
                        t += step;
                    }
                }
                // Episodes never span a gap.
                for e in &mine {
                    prop_assert!(trail.gaps(Window::from_us(e.start_us, e.end_us), store.max_gap_s()).is_empty());
                }
            }
        }
    }

    /// The batch path (chunked candidate zones, parallel) equals feeding
    /// every fix to every zone.
    #[test]
    fn batch_equals_naive_feeding(seed in any::<u64>()) {
        let (store, zones) = scenario(seed);
        let mut batch: Vec<(String, EpisodeKind, i64, i64, u32)> = breaches(&store, &zones, Window::all(), &BreachOptions::default()).unwrap()
            .into_iter().map(|e| (e.zone, e.kind, e.start_us, e.end_us, e.fixes)).collect();
        let mut raw: Vec<(String, EpisodeKind, i64, i64, u32)> = naive(&store, &zones)
            .into_iter().map(|e| (zones.get(e.zone as usize).zone.id.clone(), e.kind, e.start_us, e.end_us, e.fixes)).collect();
        batch.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
        raw.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
        prop_assert_eq!(batch, raw);
    }

    /// Feeding a trail in pieces, with the tracker serialised and restored
    /// between pieces, gives the same episodes as feeding it whole.
    #[test]
    fn pieces_with_restored_state_equal_whole(seed in any::<u64>(), cut_frac in 0.0f64..1.0) {
        let (store, zones) = scenario(seed);
        let p = EngineParams { max_gap_s: store.max_gap_s(), assumed_accuracy_m: None, model: Default::default() };
        let trail = store.trail_at(0);
        let cut = ((trail.len() as f64) * cut_frac) as usize;
        for z in 0..zones.len() {
            for k in kinds(&zones, z) {
                let fix = |i: usize| { let f = trail.fix(i); TrackFix { t_us: f.t_us, lon: f.lon, lat: f.lat, accuracy_m: f.accuracy_m } };
                let (mut whole, mut pieces) = (Vec::new(), Vec::new());
                let mut a = EpisodeTracker::new(z, k);
                for i in 0..trail.len() { a.push(&zones, fix(i), &p, &mut whole); }
                a.finish(&mut whole);
                let mut b = EpisodeTracker::new(z, k);
                for i in 0..cut { b.push(&zones, fix(i), &p, &mut pieces); }
                let saved = serde_json::to_string(&b).unwrap();
                let mut b: EpisodeTracker = serde_json::from_str(&saved).unwrap();
                for i in cut..trail.len() { b.push(&zones, fix(i), &p, &mut pieces); }
                b.finish(&mut pieces);
                prop_assert_eq!(whole, pieces);
            }
        }
    }
}
