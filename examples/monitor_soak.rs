//! A 24-hour soak of the streaming monitor, compressed in time (issue 18):
//! SUBJECTS subjects (default 10,000) with a fix a minute for one day, 5 % of
//! fixes arriving late by up to 2 hours, against 2,000 exclusion zones plus
//! every subject's curfew; fixes pushed in one-minute `push_many` batches of
//! stream time, a checkpoint every 10 minutes of stream time and a restart
//! (restore from the last checkpoint) every simulated hour. Prints memory
//! (RSS) every hour and checks at the end that the consumer's view — events
//! applied, amendments included — equals batch `breaches` over the same
//! fixes, and that no event id was sent twice.
//! `cargo run --release --example monitor_soak -- [SUBJECTS]`.
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use trailfence::generate::{bench_zones_with_homes, generate_fixes, GeneratorConfig, SplitMix64};
use trailfence::{breaches, BreachOptions, EventKind, Monitor, MonitorEvent, MonitorOptions, TrackFix, Window};

type Final = BTreeMap<(String, String, String, i64), (i64, u32, String)>;

#[derive(Default)]
struct Tally {
    ids: HashSet<trailfence::EventId>,
    events: usize,
    amended: usize,
}

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

/// Applies events as a consumer would (ended episodes, amendments).
fn apply(view: &mut Final, e: &MonitorEvent) {
    let key = |start: i64| {
        (
            e.subject.to_string(),
            e.zone.as_deref().unwrap_or("").to_string(),
            format!("{:?}", e.episode_kind),
            start,
        )
    };
    let value = || {
        (
            e.end_us.unwrap(),
            e.fixes.unwrap(),
            format!("{:?}", e.confidence.unwrap()),
        )
    };
    match e.kind {
        EventKind::BreachEnded | EventKind::CurfewViolationEnded => {
            view.insert(key(e.start_us.unwrap()), value());
        }
        EventKind::Amended => {
            if let Some(s) = e.old_start_us {
                view.remove(&key(s));
            }
            if let (Some(s), Some(_)) = (e.start_us, e.end_us) {
                view.insert(key(s), value());
            }
        }
        _ => {}
    }
}

fn main() {
    let subjects: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let t = Instant::now();
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    let zones = bench_zones_with_homes(&data, 2000, 1);
    // Arrival: 5 % of fixes late by up to 2 hours, the rest within a minute.
    let mut rng = SplitMix64::new(7);
    let mut feed: Vec<(i64, &str, TrackFix)> = data
        .arrival_order()
        .into_iter()
        .map(|(s, f)| {
            let delay_s = if rng.chance(0.05) {
                rng.range(0.0, 7200.0)
            } else {
                rng.range(0.0, 60.0)
            };
            (f.t_us + (delay_s * 1e6) as i64, s, f)
        })
        .collect();
    feed.sort_by_key(|a| a.0);
    let late = feed.iter().filter(|a| a.0 - a.2.t_us > 60_000_000).count();
    println!(
        "{} subjects, {} fixes ({} late by more than a minute), {} zones; set-up {:.1} s",
        subjects,
        feed.len(),
        late,
        zones.len(),
        t.elapsed().as_secs_f64()
    );
    let options = MonitorOptions {
        allowed_lateness_s: 120.0,
        history_s: 3.0 * 3600.0,
        ..Default::default()
    };
    let mut m = Monitor::new(zones.clone(), options).unwrap();
    let mut view = Final::new();
    let mut tally = Tally::default();
    let record = |evs: Vec<MonitorEvent>, view: &mut Final, tally: &mut Tally| {
        for e in &evs {
            assert!(tally.ids.insert(e.id), "event sent twice: {e:?}");
            if e.kind == EventKind::Amended {
                tally.amended += 1;
            }
            assert!(
                e.kind != EventKind::LateFixBeyondHistory,
                "a fix beyond the history: {e:?}"
            );
            apply(view, e);
        }
        tally.events += evs.len();
    };
    let minute = 60_000_000i64;
    let start = feed[0].0 - feed[0].0.rem_euclid(minute);
    let mut i = 0;
    let mut stream = start;
    let mut last_checkpoint: Vec<u8> = Vec::new();
    let (mut ck_s, mut ck_bytes, mut restarts) = (0.0f64, 0usize, 0usize);
    let t = Instant::now();
    while i < feed.len() {
        stream += minute;
        let j = i + feed[i..].partition_point(|a| a.0 < stream);
        let batch: Vec<(&str, TrackFix)> = feed[i..j].iter().map(|a| (a.1, a.2)).collect();
        record(m.push_many(&batch, stream).unwrap(), &mut view, &mut tally);
        i = j;
        let minutes = (stream - start) / minute;
        if minutes % 10 == 0 {
            let c = Instant::now();
            last_checkpoint = m.checkpoint().unwrap();
            ck_s += c.elapsed().as_secs_f64();
            ck_bytes = last_checkpoint.len();
        }
        if minutes % 60 == 0 {
            // A restart: everything since the checkpoint (taken this minute)
            // is in it.
            m = Monitor::restore(zones.clone(), &last_checkpoint).unwrap();
            restarts += 1;
            println!(
                "hour {:2}: RSS {:7.1} MB, checkpoint {:6.1} MB, {} events so far, {:.1} s",
                minutes / 60,
                rss_mb(),
                ck_bytes as f64 / 1e6,
                tally.events,
                t.elapsed().as_secs_f64()
            );
        }
    }
    record(m.finish(stream), &mut view, &mut tally);
    let run_s = t.elapsed().as_secs_f64();
    let store = data.store();
    let batch: Final = breaches(&store, &zones, Window::all(), &BreachOptions::default())
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                (
                    e.subject.clone(),
                    e.zone.clone(),
                    format!("{:?}", Some(e.kind)),
                    e.start_us,
                ),
                (e.end_us, e.fixes, format!("{:?}", e.confidence)),
            )
        })
        .collect();
    println!(
        "{} fixes in {:.1} s ({:.2} M fixes/s incl. {:.1} s of checkpoints), {} restarts, {} events ({} amendments)",
        feed.len(),
        run_s,
        feed.len() as f64 / run_s / 1e6,
        ck_s,
        restarts,
        tally.events,
        tally.amended
    );
    let differ = batch.iter().filter(|(k, v)| view.get(*k) != Some(*v)).count()
        + view.keys().filter(|k| !batch.contains_key(*k)).count();
    println!(
        "batch episodes {}, monitor's final episodes {}, differing {}; ids unique",
        batch.len(),
        view.len(),
        differ
    );
    assert_eq!(differ, 0, "the monitor's final episodes differ from batch");
}
