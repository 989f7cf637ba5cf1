use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::breach::{breaches, BreachOptions, Confidence, EpisodeKind};
use crate::generate::{offset_m, SplitMix64};
use crate::store::TrailStore;
use crate::time::Window;
use crate::zone::{Absence, Conditions, Effective, Schedule, Suspension, WeeklyWindow, Zone, ZoneKind, ZoneShape};
use crate::Mode;

const ORIGIN: (f64, f64) = (-0.1276, 51.5072);

/// A random stream and zones, with random licence conditions (see
/// [`scenario_with`]).
fn scenario(seed: u64) -> (Vec<TrackFix>, ZoneSet) {
    scenario_with(seed, true)
}

/// A random stream of subject S near ORIGIN and 1–3 zones; with
/// `conditions`, sometimes a zone version change, an absence, a suspension
/// (the pinned-id tests use none: their zones predate conditions).
fn scenario_with(seed: u64, conditions: bool) -> (Vec<TrackFix>, ZoneSet) {
    let mut rng = SplitMix64::new(seed);
    let mut zones = Vec::new();
    for z in 0..(1 + rng.next_u64() % 3) {
        let c = offset_m(ORIGIN, rng.range(-120.0, 120.0), rng.range(-120.0, 120.0));
        let kind = if rng.chance(0.35) {
            ZoneKind::Inclusion
        } else {
            ZoneKind::Exclusion
        };
        let schedule = rng.chance(0.4).then(|| {
            Schedule::new(
                "Europe/London",
                vec![WeeklyWindow {
                    days: [true; 7],
                    start: "01:10".parse().unwrap(),
                    end: "01:50".parse().unwrap(),
                }],
                None,
                None,
            )
            .unwrap()
        });
        zones.push(Zone {
            id: format!("z{z}"),
            kind,
            shape: ZoneShape::Circle {
                lon: c.0,
                lat: c.1,
                radius_m: rng.range(20.0, 120.0),
            },
            subjects: None,
            buffer_m: (kind == ZoneKind::Exclusion && rng.chance(0.3)).then(|| rng.range(5.0, 30.0)),
            schedule,
            effective: Default::default(),
        });
    }
    let n = 20 + (rng.next_u64() % 100) as usize;
    let mut t = 1_711_933_200_000_000i64; // 2024-04-01T01:00Z (02:00 BST)
    t -= 3_600_000_000;
    let mut p = offset_m(ORIGIN, rng.range(-200.0, 200.0), rng.range(-200.0, 200.0));
    let mut fixes = Vec::new();
    for _ in 0..n {
        fixes.push(TrackFix {
            t_us: t,
            lon: p.0,
            lat: p.1,
            accuracy_m: Some(rng.range(2.0, 25.0) as f32),
        });
        let dt = if rng.chance(0.05) {
            rng.range(700.0, 1500.0)
        } else {
            rng.range(20.0, 90.0)
        };
        t += (dt * 1e6) as i64;
        let v = rng.range(0.0, 3.0) * dt;
        let a = rng.range(0.0, std::f64::consts::TAU);
        p = offset_m(p, v * a.cos(), v * a.sin());
        if crate::geodesy::distance_m(p, ORIGIN) > 250.0 {
            p = offset_m(ORIGIN, rng.range(-150.0, 150.0), rng.range(-150.0, 150.0));
        }
    }
    // Licence conditions (after the fixes, so each seed's fixes are what
    // they were before conditions existed): a zone replaced by a second
    // version mid-stream, an absence, a suspension.
    if !conditions {
        return (fixes, ZoneSet::new(zones).unwrap());
    }
    let (t_first, t_last) = (fixes[0].t_us, fixes[fixes.len() - 1].t_us);
    let at = |rng: &mut SplitMix64| t_first + ((t_last - t_first) as f64 * rng.range(-0.1, 1.1)) as i64;
    if rng.chance(0.35) {
        let k = (rng.next_u64() % zones.len() as u64) as usize;
        let change = at(&mut rng);
        let mut next = zones[k].clone();
        zones[k].effective = Effective {
            from_us: None,
            until_us: Some(change),
            version: Some("a".into()),
        };
        if let ZoneShape::Circle { radius_m, .. } = &mut next.shape {
            *radius_m = rng.range(20.0, 120.0);
        }
        next.effective = Effective {
            from_us: Some(change),
            until_us: None,
            version: Some("b".into()),
        };
        zones.push(next);
    }
    let mut conditions = Conditions::default();
    if rng.chance(0.4) {
        let from_us = at(&mut rng);
        conditions.absences.push(Absence {
            subject: "S".into(),
            from_us,
            until_us: from_us + (rng.range(60.0, 3600.0) * 1e6) as i64,
            zones: rng.chance(0.5).then(|| vec![zones[0].id.clone()]),
            reason: "authorised".into(),
            reference: None,
        });
    }
    if rng.chance(0.25) {
        let from_us = at(&mut rng);
        conditions.suspensions.push(Suspension {
            subjects: vec!["S".into()],
            from_us,
            until_us: from_us + (rng.range(60.0, 3600.0) * 1e6) as i64,
            reason: "custody".into(),
            reference: None,
        });
    }
    (fixes, ZoneSet::with_conditions(zones, conditions).unwrap())
}

/// `n` property-test cases, or `PROPTEST_CASES` when set (for long runs:
/// an explicit count in a config would override the variable).
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}

type Final = BTreeMap<(String, EpisodeKind, i64), (i64, u32, Confidence)>;

fn batch(fixes: &[TrackFix], zones: &ZoneSet) -> Final {
    let mut b = TrailStore::builder();
    let n = fixes.len();
    b.extend_columns(
        &vec!["S"; n],
        &fixes.iter().map(|f| f.t_us).collect::<Vec<_>>(),
        &fixes.iter().map(|f| f.lon).collect::<Vec<_>>(),
        &fixes.iter().map(|f| f.lat).collect::<Vec<_>>(),
        Some(&fixes.iter().map(|f| f.accuracy_m.unwrap() as f64).collect::<Vec<_>>()),
        Mode::Strict,
    )
    .unwrap();
    let store = b.build();
    breaches(&store, zones, Window::all(), &BreachOptions::default())
        .unwrap()
        .into_iter()
        .map(|e| ((e.zone, e.kind, e.start_us), (e.end_us, e.fixes, e.confidence)))
        .collect()
}

/// Applies events as a consumer would.
fn replay(events: &[MonitorEvent]) -> Final {
    let mut m = Final::new();
    for e in events {
        let key = |z: &Option<Arc<str>>, s: i64| (z.as_deref().unwrap().to_string(), e.episode_kind.unwrap(), s);
        match e.kind {
            EventKind::BreachEnded | EventKind::CurfewViolationEnded => {
                m.insert(
                    key(&e.zone, e.start_us.unwrap()),
                    (e.end_us.unwrap(), e.fixes.unwrap(), e.confidence.unwrap()),
                );
            }
            EventKind::Amended => {
                if e.old_end_us.is_some() {
                    m.remove(&key(&e.zone, e.old_start_us.unwrap()));
                }
                if let (Some(s), Some(end)) = (e.start_us, e.end_us) {
                    m.insert(key(&e.zone, s), (end, e.fixes.unwrap(), e.confidence.unwrap()));
                }
            }
            _ => {}
        }
    }
    m
}

fn run(fixes: &[TrackFix], zones: &ZoneSet, options: MonitorOptions) -> Vec<MonitorEvent> {
    let mut m = Monitor::new(zones.clone(), options).unwrap();
    let mut ev = Vec::new();
    for f in fixes {
        ev.extend(m.push("S", *f, 0).unwrap());
    }
    ev.extend(m.finish(0));
    ev
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    /// Arrival order scrambled within the allowed lateness: the final
    /// episodes equal batch evaluation of the sorted trail.
    #[test]
    fn within_lateness_equals_batch(seed in any::<u64>()) {
        let (fixes, zones) = scenario(seed);
        let mut rng = SplitMix64::new(seed ^ 1);
        let lateness_s = 300.0;
        let mut arrival: Vec<(i64, TrackFix)> = fixes
            .iter()
            .map(|f| (f.t_us + (rng.range(0.0, lateness_s) * 1e6) as i64, *f))
            .collect();
        arrival.sort_by_key(|a| a.0);
        let order: Vec<TrackFix> = arrival.into_iter().map(|a| a.1).collect();
        let events = run(&order, &zones, MonitorOptions { allowed_lateness_s: lateness_s, ..Default::default() });
        prop_assert_eq!(replay(&events), batch(&fixes, &zones));
        prop_assert!(events.iter().all(|e| e.kind != EventKind::Amended), "no amendments within lateness");
    }

    /// Any arrival order at all: after amendments the final episodes still
    /// equal batch evaluation.
    #[test]
    fn arbitrary_lateness_equals_batch_after_amendments(seed in any::<u64>()) {
        let (fixes, zones) = scenario(seed);
        let mut order = fixes.clone();
        let mut rng = SplitMix64::new(seed ^ 2);
        for i in (1..order.len()).rev() {
            if rng.chance(0.3) {
                order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
        }
        let events = run(&order, &zones, MonitorOptions { allowed_lateness_s: 60.0, ..Default::default() });
        prop_assert_eq!(replay(&events), batch(&fixes, &zones));
    }

    /// A short history (the base moves to a snapshot many times) with fixes
    /// up to 10 minutes late: after amendments still batch evaluation.
    #[test]
    fn short_history_with_late_fixes_equals_batch(seed in any::<u64>()) {
        let (fixes, zones) = scenario(seed);
        let mut rng = SplitMix64::new(seed ^ 3);
        let mut arrival: Vec<(i64, TrackFix)> = fixes
            .iter()
            .map(|f| (f.t_us + (rng.range(0.0, 600.0) * 1e6) as i64, *f))
            .collect();
        arrival.sort_by_key(|a| a.0);
        let order: Vec<TrackFix> = arrival.into_iter().map(|a| a.1).collect();
        let options = MonitorOptions { allowed_lateness_s: 30.0, history_s: 900.0, ..Default::default() };
        let events = run(&order, &zones, options);
        prop_assert!(events.iter().all(|e| e.kind != EventKind::LateFixBeyondHistory));
        prop_assert_eq!(replay(&events), batch(&fixes, &zones));
        // The same through push_many in batches of 7, and across a checkpoint.
        let mut m = Monitor::new(zones.clone(), options).unwrap();
        let mut ev = Vec::new();
        let pairs: Vec<(&str, TrackFix)> = order.iter().map(|f| ("S", *f)).collect();
        let cut = pairs.len() / 2;
        for chunk in pairs[..cut].chunks(7) {
            ev.extend(m.push_many(chunk, 0).unwrap());
        }
        let mut m = Monitor::restore(zones.clone(), &m.checkpoint().unwrap()).unwrap();
        for chunk in pairs[cut..].chunks(7) {
            ev.extend(m.push_many(chunk, 0).unwrap());
        }
        ev.extend(m.finish(0));
        let ids = |v: &[MonitorEvent]| v.iter().map(|e| e.id).collect::<Vec<_>>();
        prop_assert_eq!(ids(&ev), ids(&events));
    }

    /// Several subjects interleaved, fixes up to 10 minutes late, batches of
    /// random sizes with a checkpoint between: `push_many` gives every
    /// subject exactly the events (ids, in order) of one-by-one pushes.
    #[test]
    fn push_many_equals_push_per_subject(seed in any::<u64>()) {
        let (_, zones) = scenario(seed);
        // One more zone, for one subject only.
        let mut zs: Vec<Zone> = zones.zones().iter().map(|z| z.zone.clone()).collect();
        zs.push(Zone {
            id: "only-b".into(),
            kind: ZoneKind::Exclusion,
            shape: ZoneShape::Circle { lon: ORIGIN.0, lat: ORIGIN.1, radius_m: 80.0 },
            subjects: Some(vec!["b".into()]),
            buffer_m: Some(15.0),
            effective: Default::default(),
            schedule: None,
        });
        let zones = ZoneSet::new(zs).unwrap();
        let mut rng = SplitMix64::new(seed ^ 5);
        let mut arrival: Vec<(i64, &str, TrackFix)> = Vec::new();
        for (k, name) in ["a", "b", "c"].into_iter().enumerate() {
            let (fixes, _) = scenario(seed.wrapping_add(k as u64 + 1));
            for f in fixes {
                arrival.push((f.t_us + (rng.range(0.0, 600.0) * 1e6) as i64, name, f));
            }
        }
        arrival.sort_by_key(|a| a.0);
        let pairs: Vec<(&str, TrackFix)> = arrival.iter().map(|a| (a.1, a.2)).collect();
        let options = MonitorOptions { allowed_lateness_s: 120.0, history_s: 1800.0, ..Default::default() };
        let per_subject = |events: Vec<MonitorEvent>| {
            let mut m: BTreeMap<String, Vec<EventId>> = BTreeMap::new();
            for e in events {
                m.entry(e.subject.to_string()).or_default().push(e.id);
            }
            m
        };
        let mut one = Monitor::new(zones.clone(), options).unwrap();
        let mut ev1 = Vec::new();
        for &(s, f) in &pairs {
            ev1.extend(one.push(s, f, 0).unwrap());
        }
        ev1.extend(one.finish(0));
        let mut many = Monitor::new(zones.clone(), options).unwrap();
        let mut ev2 = Vec::new();
        let mut i = 0;
        while i < pairs.len() {
            if rng.chance(0.1) {
                many = Monitor::restore(zones.clone(), &many.checkpoint().unwrap()).unwrap();
            }
            let n = 1 + (rng.next_u64() % 50) as usize;
            let batch = &pairs[i..(i + n).min(pairs.len())];
            let got = many.push_many(batch, 0).unwrap();
            // Grouped by subject, in order of first appearance in the batch.
            let mut order: Vec<&str> = Vec::new();
            for (s, _) in batch {
                if !order.contains(s) {
                    order.push(s);
                }
            }
            let firsts: Vec<usize> = got
                .iter()
                .map(|e| order.iter().position(|s| **s == *e.subject).unwrap())
                .collect();
            prop_assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "events grouped by subject");
            ev2.extend(got);
            i += n;
        }
        ev2.extend(many.finish(0));
        prop_assert_eq!(per_subject(ev1), per_subject(ev2));
    }

    /// Checkpoint, restore, replay the rest: the same events as an
    /// uninterrupted run.
    #[test]
    fn restore_resumes_exactly(seed in any::<u64>(), cut_frac in 0.0f64..1.0) {
        let (fixes, zones) = scenario(seed);
        let options = MonitorOptions { allowed_lateness_s: 120.0, ..Default::default() };
        let whole = run(&fixes, &zones, options);
        let cut = (fixes.len() as f64 * cut_frac) as usize;
        let mut m = Monitor::new(zones.clone(), options).unwrap();
        let mut ev = Vec::new();
        for f in &fixes[..cut] {
            ev.extend(m.push("S", *f, 0).unwrap());
        }
        let bytes = m.checkpoint().unwrap();
        drop(m);
        let mut m = Monitor::restore(zones.clone(), &bytes).unwrap();
        for f in &fixes[cut..] {
            ev.extend(m.push("S", *f, 0).unwrap());
        }
        ev.extend(m.finish(0));
        let ids = |v: &[MonitorEvent]| v.iter().map(|e| e.id).collect::<Vec<_>>();
        prop_assert_eq!(ids(&ev), ids(&whole));
    }
}

#[test]
fn signal_loss_and_restore() {
    let (fixes, zones) = scenario_with(3, false);
    let mut m = Monitor::new(zones, MonitorOptions::default()).unwrap();
    m.push("S", fixes[0], 0).unwrap();
    assert!(m.tick(fixes[0].t_us + 60_000_000).is_empty());
    let lost = m.tick(fixes[0].t_us + 1_000_000_000);
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].kind, EventKind::SignalLost);
    assert!(m.tick(fixes[0].t_us + 2_000_000_000).is_empty(), "reported once");
    let back = m
        .push(
            "S",
            TrackFix {
                t_us: fixes[0].t_us + 1_100_000_000,
                ..fixes[0]
            },
            0,
        )
        .unwrap();
    assert!(back.iter().any(|e| e.kind == EventKind::SignalRestored));
}

#[test]
fn bad_fixes_and_checkpoints_are_refused() {
    let (fixes, zones) = scenario_with(4, false);
    let mut m = Monitor::new(zones.clone(), MonitorOptions::default()).unwrap();
    assert!(m.push("S", TrackFix { lon: 200.0, ..fixes[0] }, 0).is_err());
    assert!(m.push("", fixes[0], 0).is_err());
    assert!(Monitor::restore(zones.clone(), b"{not json").is_err());
    let bytes = m.checkpoint().unwrap();
    let other = ZoneSet::new(vec![]).unwrap();
    assert!(Monitor::restore(other, &bytes).is_err());
    assert!(Monitor::new(
        zones,
        MonitorOptions {
            history_s: f64::NAN,
            ..Default::default()
        }
    )
    .is_err());
}

/// A fix pushed long after its time that changes an episode already reported
/// yields an `amended` event, and the final answer equals batch.
#[test]
fn very_late_fix_amends_a_reported_episode() {
    let zones = ZoneSet::new(vec![Zone {
        id: "z".into(),
        kind: ZoneKind::Exclusion,
        shape: ZoneShape::Circle {
            lon: ORIGIN.0,
            lat: ORIGIN.1,
            radius_m: 50.0,
        },
        subjects: None,
        effective: Default::default(),
        buffer_m: None,
        schedule: None,
    }])
    .unwrap();
    // Straight through the zone at 2 m/s, a fix a minute; the fix inside the zone arrives last.
    let fixes: Vec<TrackFix> = (0..12)
        .map(|k| {
            let p = offset_m(ORIGIN, -660.0 + 120.0 * k as f64, 0.0);
            TrackFix {
                t_us: 1_700_000_000_000_000 + k * 60_000_000,
                lon: p.0,
                lat: p.1,
                accuracy_m: Some(5.0),
            }
        })
        .collect();
    // Fix 5 is at x = -60 (outside), fix 6 at +60: put a detour fix far away in between instead... simpler:
    // hold back fix 5 so the segment 4 -> 6 (x = -180 -> +60) is used first.
    let mut order: Vec<TrackFix> = fixes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 5)
        .map(|(_, f)| *f)
        .collect();
    order.push(fixes[5]);
    let events = run(
        &order,
        &zones,
        MonitorOptions {
            allowed_lateness_s: 60.0,
            ..Default::default()
        },
    );
    assert!(events.iter().any(|e| e.kind == EventKind::BreachEnded));
    assert_eq!(replay(&events), batch(&fixes, &zones));
    // The segment 4 -> 6 at 240 m per 2 minutes enters at the same time, so the
    // episode may be unchanged; a late fix that moves the path must amend:
    let mut moved = fixes.clone();
    moved[6] = TrackFix {
        lat: moved[6].lat + 0.01,
        ..moved[6]
    }; // 1.1 km north: the pass-by is shorter
    let mut order: Vec<TrackFix> = moved
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 6)
        .map(|(_, f)| *f)
        .collect();
    order.push(moved[6]);
    let events = run(
        &order,
        &zones,
        MonitorOptions {
            allowed_lateness_s: 60.0,
            ..Default::default()
        },
    );
    assert!(events.iter().any(|e| e.kind == EventKind::Amended), "{events:#?}");
    assert_eq!(replay(&events), batch(&moved, &zones));
}

/// The names the bindings use are the serde names.
#[test]
fn event_kind_names_are_the_serde_names() {
    for k in EventKind::ALL {
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    for c in [Confidence::Confirmed, Confidence::Possible] {
        assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
    }
}

/// Event ids hash these spellings; they are the `Debug` forms and must never change.
#[test]
fn id_spellings_are_the_debug_forms() {
    use super::event::{episode_id_name, kind_id_name};
    for k in EventKind::ALL {
        assert_eq!(kind_id_name(k), format!("{k:?}"));
    }
    for k in [
        None,
        Some(EpisodeKind::Exclusion),
        Some(EpisodeKind::Inclusion),
        Some(EpisodeKind::Buffer),
    ] {
        assert_eq!(episode_id_name(k), format!("{k:?}"));
    }
}

/// Event ids are part of the contract (consumers de-duplicate by them across
/// versions and restarts): pinned for one scenario.
#[test]
fn event_ids_are_pinned() {
    let (fixes, zones) = scenario_with(42, false);
    let events = run(&fixes, &zones, MonitorOptions::default());
    let ids: Vec<String> = events.iter().take(3).map(|e| e.id.to_string()).collect();
    assert_eq!(ids, PINNED_IDS);
    // The text form round-trips.
    for e in &events {
        assert_eq!(e.id.to_string().parse::<EventId>().unwrap(), e.id);
    }
    assert!("0123".parse::<EventId>().is_err() && "zzzzzzzzzzzzzzzz".parse::<EventId>().is_err());
}
/// The first three ids of scenario 42 (the same before the id became a number).
const PINNED_IDS: [&str; 3] = ["518a18d540e6c823", "f34b8219e0829af5", "385daafa29f914f9"];

/// A checkpoint of scenario 37 after half its fixes (lateness 120 s), and the
/// ids emitted until then, both written by the release before trackers,
/// events and scratch space were reorganised (format 1).
const V1_CHECKPOINT: &str = include_str!("../../tests/fixtures/monitor_checkpoint_v1.json");
const V1_IDS: &str = include_str!("../../tests/fixtures/monitor_checkpoint_v1_ids.txt");

/// A checkpoint from that earlier release restores, and the run continues
/// exactly: its ids plus the resumed run's equal an uninterrupted run of
/// this version (an upgrade between restarts loses and repeats nothing).
#[test]
fn checkpoint_from_earlier_release_resumes_exactly() {
    let (fixes, zones) = scenario_with(37, false);
    let options = MonitorOptions {
        allowed_lateness_s: 120.0,
        ..Default::default()
    };
    let whole: Vec<String> = run(&fixes, &zones, options).iter().map(|e| e.id.to_string()).collect();
    let mut ids: Vec<String> = V1_IDS.lines().map(str::to_string).collect();
    assert!(
        ids.len() > 10 && whole.len() > ids.len() + 10,
        "both halves have events"
    );
    let mut m = Monitor::restore(zones, V1_CHECKPOINT.as_bytes()).unwrap();
    for f in &fixes[fixes.len() / 2..] {
        ids.extend(m.push("S", *f, 0).unwrap().iter().map(|e| e.id.to_string()));
    }
    ids.extend(m.finish(0).iter().map(|e| e.id.to_string()));
    assert_eq!(ids, whole);
}

/// Subject names of any length (kept inline in the index up to 23 bytes,
/// on the heap beyond) are found again, also after a restore.
#[test]
fn long_and_short_subject_names_are_found_again() {
    let (fixes, zones) = scenario_with(37, false);
    let names = [
        "S",
        "exactly-23-bytes-long..",
        "a-subject-name-well-over-twenty-three-bytes",
        "ünïcödé-名前",
    ];
    assert_eq!(names[1].len(), 23);
    let mut m = Monitor::new(zones.clone(), MonitorOptions::default()).unwrap();
    for (i, f) in fixes.iter().enumerate() {
        let name = names[i % names.len()];
        for e in m.push(name, *f, 0).unwrap() {
            assert_eq!(&*e.subject, name);
        }
        if i == fixes.len() / 2 {
            m = Monitor::restore(zones.clone(), &m.checkpoint().unwrap()).unwrap();
        }
    }
    assert_eq!(m.subject_count(), names.len());
    for name in names {
        assert!(m.state_bytes(name) > 0, "{name} has state");
    }
}

/// A checkpoint keeps every number exactly: restoring and checkpointing
/// again gives the same bytes (a float parsed 1 ulp off once turned a
/// crossing time 1 µs later after a restart and emitted a spurious
/// amendment; JSON floats are now parsed exactly).
#[test]
fn checkpoint_round_trip_is_exact() {
    for seed in 0..40u64 {
        let (fixes, zones) = scenario(seed);
        let mut m = Monitor::new(
            zones.clone(),
            MonitorOptions {
                allowed_lateness_s: 60.0,
                ..Default::default()
            },
        )
        .unwrap();
        for f in &fixes {
            m.push("S", *f, 0).unwrap();
        }
        let bytes = m.checkpoint().unwrap();
        let again = Monitor::restore(zones, &bytes).unwrap().checkpoint().unwrap();
        assert!(
            bytes == again,
            "seed {seed}: a restored monitor checkpoints differently"
        );
    }
}

/// A 1-fix-a-minute walk east along lat 52.95 (`lon = -1.15 + 0.0005 k`),
/// accuracy 5 m, and a thin exclusion strip crossed between fixes 64 and 65
/// (issue 18's reproductions).
fn strip_walk() -> (ZoneSet, impl Fn(f64) -> TrackFix) {
    let zones = crate::zone::zones_from_geojson_str(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"strip",
        "properties":{"kind":"exclusion"},"geometry":{"type":"Polygon","coordinates":
        [[[-1.11785,52.949],[-1.11765,52.949],[-1.11765,52.951],[-1.11785,52.951],[-1.11785,52.949]]]}}]}"#,
        "strip",
    )
    .unwrap();
    let t0 = 1_711_929_600_000_000i64; // 2024-04-01T00:00Z
    let at = move |k: f64| TrackFix {
        t_us: t0 + (k * 60e6) as i64,
        lon: -1.15 + 0.0005 * k,
        lat: 52.95,
        accuracy_m: Some(5.0),
    };
    (zones, at)
}

/// Issue 18, first reproduction: a late fix inside the strip, 4,100 s late,
/// changes an episode that ended in the segment just after the base snapshot.
/// Pruning had forgotten it while recomputation derived it again, so the new
/// version went out as a fresh started/ended pair and the old one was never
/// amended: the consumer held two episodes where batch has one.
#[test]
fn late_fix_amends_an_episode_ending_next_to_the_base() {
    let (zones, at) = strip_walk();
    let options = MonitorOptions {
        allowed_lateness_s: 300.0,
        history_s: 4110.0,
        ..Default::default()
    };
    let mut m = Monitor::new(zones.clone(), options).unwrap();
    let mut fixes: Vec<TrackFix> = (1..=133).map(|k| at(k as f64)).collect();
    let mut events = Vec::new();
    for f in &fixes {
        events.extend(m.push("S", *f, 0).unwrap());
    }
    let late = at(64.0 + 40.0 / 60.0);
    let late_events = m.push("S", late, 0).unwrap();
    assert!(
        late_events.iter().all(|e| e.kind == EventKind::Amended),
        "the changed episode is amended, not announced afresh: {late_events:#?}"
    );
    assert_eq!(late_events.len(), 1, "{late_events:#?}");
    events.extend(late_events);
    events.extend(m.finish(0));
    fixes.push(late);
    fixes.sort_by_key(|f| f.t_us);
    let b = batch(&fixes, &zones);
    assert_eq!(b.len(), 1);
    assert_eq!(replay(&events), b);
    assert_unique_ids(&events);
}

/// Issue 18, second reproduction: a late fix on the path that changes no
/// episode emits nothing (it used to re-send started/ended, same ids).
#[test]
fn late_fix_that_changes_nothing_emits_nothing() {
    let (zones, at) = strip_walk();
    let options = MonitorOptions {
        allowed_lateness_s: 300.0,
        history_s: 600.0,
        ..Default::default()
    };
    let mut m = Monitor::new(zones.clone(), options).unwrap();
    let mut events = Vec::new();
    for k in 1..=140 {
        events.extend(m.push("S", at(k as f64), 0).unwrap());
    }
    let late = m.push("S", at(133.5), 0).unwrap();
    assert!(late.is_empty(), "{late:#?}");
    assert_unique_ids(&events);
}

/// Every event id appears once in a run: ids are unique for their content,
/// so a repeated id is an alert sent twice.
fn assert_unique_ids(events: &[MonitorEvent]) {
    let mut seen = std::collections::HashSet::new();
    for e in events {
        assert!(seen.insert(e.id), "event sent twice: {e:#?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// Fixes late by anything — within the allowed lateness, up to the
    /// history, and beyond it (flagged and left out) — pushed one by one and
    /// through `push_many` batches of random sizes with checkpoints at random
    /// points: after amendments the consumer holds exactly batch's episodes
    /// of the fixes kept, and no event is sent twice.
    #[test]
    fn any_lateness_across_batches_and_checkpoints_equals_batch(seed in any::<u64>()) {
        let (fixes, zones) = scenario(seed);
        let mut rng = SplitMix64::new(seed ^ 11);
        let history_s = [600.0, 1800.0, 14_400.0][(rng.next_u64() % 3) as usize];
        let options = MonitorOptions { allowed_lateness_s: 60.0, history_s, ..Default::default() };
        let mut arrival: Vec<(i64, TrackFix)> = fixes
            .iter()
            .map(|f| {
                let u = rng.unit();
                let late_s = if u < 0.7 {
                    rng.range(0.0, 60.0)
                } else if u < 0.95 {
                    rng.range(60.0, history_s)
                } else {
                    rng.range(history_s, 3.0 * history_s)
                };
                (f.t_us + (late_s * 1e6) as i64, *f)
            })
            .collect();
        arrival.sort_by_key(|a| a.0);
        let order: Vec<(&str, TrackFix)> = arrival.iter().map(|a| ("S", a.1)).collect();
        let mut m = Monitor::new(zones.clone(), options).unwrap();
        let mut events = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let n = 1 + (rng.next_u64() % 9) as usize;
            let chunk = &order[i..(i + n).min(order.len())];
            if rng.chance(0.5) {
                events.extend(m.push_many(chunk, 0).unwrap());
            } else {
                for (s, f) in chunk {
                    events.extend(m.push(s, *f, 0).unwrap());
                }
            }
            if rng.chance(0.1) {
                m = Monitor::restore(zones.clone(), &m.checkpoint().unwrap()).unwrap();
            }
            i += n;
        }
        events.extend(m.finish(0));
        let dropped: std::collections::HashSet<i64> = events
            .iter()
            .filter(|e| e.kind == EventKind::LateFixBeyondHistory)
            .map(|e| e.event_time_us)
            .collect();
        let kept: Vec<TrackFix> = fixes.iter().filter(|f| !dropped.contains(&f.t_us)).copied().collect();
        let mut seen = std::collections::HashSet::new();
        for e in &events {
            prop_assert!(seen.insert(e.id), "event sent twice: {:?}", e);
        }
        prop_assert_eq!(replay(&events), batch(&kept, &zones));
    }
}

fn strip_at(id: &str, lon0: f64, extra: Option<f64>) -> ZoneSet {
    let feature = |id: &str, lon0: f64| {
        format!(
            r#"{{"type":"Feature","id":"{id}","properties":{{"kind":"exclusion"}},"geometry":{{"type":"Polygon","coordinates":
            [[[{a},52.949],[{b},52.949],[{b},52.951],[{a},52.951],[{a},52.949]]]}}}}"#,
            a = lon0,
            b = lon0 + 0.0002
        )
    };
    let mut features = vec![feature(id, lon0)];
    if let Some(x) = extra {
        features.push(feature("extra", x));
    }
    crate::zone::zones_from_geojson_str(
        &format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(",")),
        "zones",
    )
    .unwrap()
}

/// A changed zone set is a migration, not a silent reuse: the retained
/// history is replayed under the new zones and the differences go out as
/// amendments; with the events before and after, the consumer holds batch's
/// episodes under the new zones. A zone that is gone is withdrawn by its id.
#[test]
fn migration_replays_history_under_new_zones() {
    let (_, at) = strip_walk();
    let old = strip_at("strip", -1.11785, None);
    let options = MonitorOptions {
        allowed_lateness_s: 120.0,
        history_s: 4.0 * 3600.0,
        ..Default::default()
    };
    let fixes: Vec<TrackFix> = (1..=133).map(|k| at(k as f64)).collect();
    let mut m = Monitor::new(old.clone(), options).unwrap();
    let mut events = Vec::new();
    for f in &fixes[..100] {
        events.extend(m.push("S", *f, 0).unwrap());
    }
    let saved = m.checkpoint().unwrap();
    // The strip moved east (crossed between fixes 80 and 81) and a new zone
    // appeared around fix 90.
    let new = strip_at("strip", -1.15 + 0.0005 * 80.5, Some(-1.15 + 0.0005 * 90.2));
    assert!(
        Monitor::restore(new.clone(), &saved).is_err(),
        "a plain restore refuses other zones"
    );
    let (mut m, migration) = Monitor::restore_migrating(new.clone(), &saved, 1).unwrap();
    assert!(migration.iter().any(|e| e.kind == EventKind::Amended), "{migration:#?}");
    events.extend(migration);
    for f in &fixes[100..] {
        events.extend(m.push("S", *f, 0).unwrap());
    }
    events.extend(m.finish(0));
    assert_eq!(replay(&events), batch(&fixes, &new));
    assert_unique_ids(&events);

    // Replaying under the same zones and options changes nothing.
    let (_, same) = Monitor::restore_with_options(old.clone(), &saved, options, 1).unwrap();
    assert!(same.is_empty(), "{same:#?}");
    // Invalid options are refused.
    let bad = MonitorOptions {
        max_gap_s: -1.0,
        ..options
    };
    assert!(Monitor::restore_with_options(old.clone(), &saved, bad, 1).is_err());

    // The zone removed altogether: its episode is withdrawn, named by its id.
    let none = strip_at("other", 10.0, None);
    let (_, migration) = Monitor::restore_migrating(none, &saved, 1).unwrap();
    assert_eq!(migration.len(), 1, "{migration:#?}");
    let w = &migration[0];
    assert_eq!(
        (w.kind, w.zone.as_deref(), w.start_us),
        (EventKind::Amended, Some("strip"), None)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(128), ..ProptestConfig::default() })]

    /// Any zone change (ids kept, added, removed; geometry, kind, buffer and
    /// schedule changed) at any point of a stream whose whole history is
    /// retained, with late fixes: events before, the migration's, and events
    /// after give the consumer exactly batch's episodes under the new zones,
    /// and no id repeats.
    #[test]
    fn migration_at_any_point_equals_batch_under_new_zones(seed in any::<u64>(), cut_frac in 0.0f64..1.0) {
        let (fixes, old) = scenario(seed);
        let (_, new) = scenario(seed ^ 0x9e37_79b9);
        let mut rng = SplitMix64::new(seed ^ 21);
        let mut arrival: Vec<(i64, TrackFix)> = fixes
            .iter()
            .map(|f| (f.t_us + (rng.range(0.0, 900.0) * 1e6) as i64, *f))
            .collect();
        arrival.sort_by_key(|a| a.0);
        let options = MonitorOptions { allowed_lateness_s: 60.0, history_s: 86_400.0, ..Default::default() };
        let cut = ((arrival.len() as f64) * cut_frac) as usize;
        let mut m = Monitor::new(old.clone(), options).unwrap();
        let mut events = Vec::new();
        for (_, f) in &arrival[..cut] {
            events.extend(m.push("S", *f, 0).unwrap());
        }
        let (mut m, migration) = Monitor::restore_migrating(new.clone(), &m.checkpoint().unwrap(), 0).unwrap();
        events.extend(migration);
        for (_, f) in &arrival[cut..] {
            events.extend(m.push("S", *f, 0).unwrap());
        }
        events.extend(m.finish(0));
        let mut seen = std::collections::HashSet::new();
        for e in &events {
            prop_assert!(seen.insert(e.id), "event sent twice: {:?}", e);
        }
        prop_assert_eq!(replay(&events), batch(&fixes, &new));
    }
}

/// Home (inclusion, 100 m) for subject S, a curfew 19:00–07:00 London time,
/// plus `conditions` (a JSON object's members, may be empty).
fn home_with(conditions: &str) -> ZoneSet {
    crate::zone::zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","tz":"Europe/London","conditions":{{{conditions}}},"features":[
            {{"type":"Feature","id":"home","properties":{{"kind":"inclusion","radius_m":100,"subjects":["S"],
              "schedule":{{"tz":"Europe/London","windows":[{{"days":["mon","tue","wed","thu","fri","sat","sun"],"start":"19:00","end":"07:00"}}]}}}},
             "geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#,
            ORIGIN.0, ORIGIN.1
        ),
        "home.geojson",
    )
    .unwrap()
}

/// A night at home with an absence 22:00–23:00 UTC (Tuesday 2024-11-12, GMT):
/// a fix a minute from 20:00 to 01:00, 1 km away from 21:59:30 to 23:30:30.
fn night_out() -> Vec<TrackFix> {
    let t0 = 1_731_441_600_000_000; // 2024-11-12T20:00:00Z
    (0..300)
        .map(|k| {
            let away = (120..=210).contains(&k);
            let p = offset_m(ORIGIN, if away { 1000.0 } else { 0.0 }, 0.0);
            TrackFix {
                t_us: t0 + k * 60_000_000,
                lon: p.0,
                lat: p.1,
                accuracy_m: Some(5.0),
            }
        })
        .collect()
}

/// An absence authorised after the event: the monitor's update amends (or
/// withdraws) what it reported, and the consumer ends with batch's episodes
/// under the final conditions; ids never repeat; the same conditions again
/// change nothing.
#[test]
fn retroactive_authorisation_amends_reported_episodes() {
    let fixes = night_out();
    let options = MonitorOptions {
        history_s: 6.0 * 3600.0,
        ..Default::default()
    };
    for (absence, withdrawn) in [
        // Covers the whole time away: the episode is withdrawn.
        (r#""from":"2024-11-12T21:30:00Z","until":"2024-11-12T23:45:00Z""#, true),
        // Covers its first hour: the episode now starts when the absence ends.
        (r#""from":"2024-11-12T21:30:00Z","until":"2024-11-12T23:00:00Z""#, false),
    ] {
        let plain = home_with("");
        let authorised = home_with(&format!(
            r#""absences":[{{"subject":"S",{absence},"zones":["home"],"reason":"hospital","reference":"phoned in"}}]"#
        ));
        assert_ne!(plain.content_hash(), authorised.content_hash());
        let mut m = Monitor::new(plain.clone(), options).unwrap();
        let mut events = Vec::new();
        for f in &fixes[..250] {
            events.extend(m.push("S", *f, 0).unwrap());
        }
        let before = replay(&events);
        assert_eq!(before.len(), 1, "one curfew violation reported: {before:#?}");
        let update = m.update_conditions(authorised.clone(), 1).unwrap();
        assert!(update.iter().all(|e| e.kind == EventKind::Amended), "{update:#?}");
        assert_eq!(update.len(), 1, "{update:#?}");
        assert_eq!(update[0].start_us.is_none(), withdrawn, "{update:#?}");
        events.extend(update);
        assert!(m.update_conditions(authorised.clone(), 2).unwrap().is_empty());
        for f in &fixes[250..] {
            events.extend(m.push("S", *f, 0).unwrap());
        }
        events.extend(m.finish(0));
        let expected = batch(&fixes, &authorised);
        assert_eq!(replay(&events), expected);
        assert_eq!(expected.len(), usize::from(!withdrawn));
        if !withdrawn {
            let start = expected.keys().next().unwrap().2;
            assert_eq!(start, 1_731_452_400_000_000, "starts when the absence ends (23:00Z)");
        }
        assert_unique_ids(&events);
        assert!(events.iter().all(|e| e.zone_version.is_none()), "home has one version");
        // A checkpoint binds the conditions: restoring under the old ones is refused.
        let saved = m.checkpoint().unwrap();
        assert!(Monitor::restore(plain.clone(), &saved).is_err());
        assert!(Monitor::restore(authorised.clone(), &saved).is_ok());
    }
}

/// Episode events of a zone with versions name the version they were
/// judged under; a stay across the change gives one episode per version.
#[test]
fn events_name_the_zone_version() {
    let zones = crate::zone::zones_from_geojson_str(
        &format!(
            r#"{{"type":"FeatureCollection","features":[
            {{"type":"Feature","id":"x","properties":{{"kind":"exclusion","radius_m":100,"version":"v1","effective_until":"2024-11-12T21:00:00Z"}},
             "geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}},
            {{"type":"Feature","id":"x","properties":{{"kind":"exclusion","radius_m":100,"version":"v2","effective_from":"2024-11-12T21:00:00Z"}},
             "geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}]}}"#,
            lon = ORIGIN.0,
            lat = ORIGIN.1
        ),
        "x.geojson",
    )
    .unwrap();
    // At ORIGIN (inside) from 20:30 to 23:00, 1 km away otherwise.
    let fixes: Vec<TrackFix> = night_out()
        .into_iter()
        .enumerate()
        .map(|(k, f)| {
            let p = offset_m(ORIGIN, if (30..=180).contains(&k) { 0.0 } else { 1000.0 }, 0.0);
            TrackFix {
                lon: p.0,
                lat: p.1,
                ..f
            }
        })
        .collect();
    let events = run(&fixes, &zones, MonitorOptions::default());
    let ended: Vec<(Option<&str>, i64, i64)> = events
        .iter()
        .filter(|e| e.kind == EventKind::BreachEnded)
        .map(|e| (e.zone_version.as_deref(), e.start_us.unwrap(), e.end_us.unwrap()))
        .collect();
    let change = 1_731_445_200_000_000; // 21:00Z
    assert_eq!(ended.len(), 2, "{events:#?}");
    assert_eq!((ended[0].0, ended[0].2), (Some("v1"), change));
    assert_eq!((ended[1].0, ended[1].1), (Some("v2"), change));
    assert_eq!(replay(&events), batch(&fixes, &zones));
}
