//! Writes every answer of the zone engine on generated data to one text
//! file — batch breaches (raw and debounced, whole and windowed), curfew
//! rows, fix-in-zone hits, and the monitor's events (in order, late fixes
//! included, across a checkpoint) — so two builds can be compared byte for
//! byte (`cmp`): the equality check of a refactoring that must not change
//! answers. `cargo run --release --example answers_digest -- OUT [SUBJECTS]`.
use std::fmt::Write as _;

use trailfence::generate::{bench_zones_with_homes, generate_fixes, GeneratorConfig};
use trailfence::{breaches, curfew, fix_zone_hits, BreachOptions, CurfewOptions, Monitor, MonitorOptions, Window};

fn main() {
    let out = std::env::args().nth(1).expect("OUT path");
    let subjects: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(300);
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 2,
        ..Default::default()
    });
    let store = data.store();
    let zones = bench_zones_with_homes(&data, 2000, 1);
    let mut text = String::new();
    let (t0, t1) = (
        data.t_us.iter().min().copied().unwrap(),
        data.t_us.iter().max().copied().unwrap(),
    );
    let windows = [Window::all(), Window::from_us(t0 + 7_200_000_000, t1 - 30_000_000_000)];
    let debounced = BreachOptions {
        min_fixes: 2,
        min_duration_s: 60.0,
        merge_gap_s: 120.0,
        assumed_accuracy_m: Some(10.0),
        max_gap_s: None,
        ..Default::default()
    };
    for (w, window) in windows.iter().enumerate() {
        for (o, options) in [BreachOptions::default(), debounced].iter().enumerate() {
            let eps = breaches(&store, &zones, *window, options).unwrap();
            writeln!(text, "breaches window={w} options={o}: {}", eps.len()).unwrap();
            for e in eps {
                writeln!(text, "{}", serde_json::to_string(&e).unwrap()).unwrap();
            }
        }
        let rows = curfew(&store, &zones, *window, &CurfewOptions::default()).unwrap();
        writeln!(text, "curfew window={w}: {}", rows.len()).unwrap();
        for r in rows {
            writeln!(text, "{}", serde_json::to_string(&r).unwrap()).unwrap();
        }
        let hits = fix_zone_hits(&store, &zones, *window);
        writeln!(text, "hits window={w}: {}", hits.len()).unwrap();
        for h in hits {
            writeln!(text, "{} {} {}", h.subject, h.fix, h.zone).unwrap();
        }
    }
    // Monitor: arrival order with every 23rd fix held back 7 places (late
    // within the allowed lateness) and every 211th held back 4,000 places
    // (about 13 minutes: beyond it, amendments), half pushed one by one,
    // half in batches of 5,000, a checkpoint and restore half way.
    let mut feed = data.arrival_order();
    for i in (0..feed.len().saturating_sub(8)).step_by(23) {
        let f = feed.remove(i);
        feed.insert(i + 7, f);
    }
    for i in (0..feed.len().saturating_sub(4001)).step_by(211) {
        let f = feed.remove(i);
        feed.insert(i + 4000, f);
    }
    let options = MonitorOptions {
        allowed_lateness_s: 300.0,
        ..Default::default()
    };
    let mut m = Monitor::new(zones.clone(), options).unwrap();
    let half = feed.len() / 2;
    let mut events = Vec::new();
    for &(s, f) in &feed[..half] {
        events.extend(m.push(s, f, f.t_us).unwrap());
    }
    let bytes = m.checkpoint().unwrap();
    let mut m = Monitor::restore(zones.clone(), &bytes).unwrap();
    for chunk in feed[half..].chunks(5000) {
        let pt = chunk.last().unwrap().1.t_us;
        events.extend(m.push_many(chunk, pt).unwrap());
    }
    events.extend(m.finish(t1 + 1));
    writeln!(text, "monitor events: {}", events.len()).unwrap();
    for e in events {
        writeln!(text, "{}", serde_json::to_string(&e).unwrap()).unwrap();
    }
    std::fs::write(&out, &text).unwrap();
    println!("{out}: {} bytes, {} lines", text.len(), text.lines().count());
}
