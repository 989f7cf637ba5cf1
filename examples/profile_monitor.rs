//! Pushes a day of fixes for N subjects through the monitor, one by one and
//! in batches (for profilers): `profile_monitor [subjects] [batch size] [push|many|both] [per-subject]`
//! (`push` skips the batch run, `many` the single pushes; `per-subject`
//! gives each benchmark zone to one subject instead of to everyone).
use std::time::Instant;
use trailfence::generate::{bench_zones_per_subject, bench_zones_with_homes, generate_fixes, GeneratorConfig};
use trailfence::{Monitor, MonitorOptions};
#[path = "support/mod.rs"]
mod support;
use support::{cpu_s, resident_bytes};

fn main() {
    let subjects: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let batch_size: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    let mode = std::env::args().nth(3).unwrap_or_default();
    let per_subject = std::env::args().nth(4).as_deref() == Some("per-subject");
    let zones_for = || {
        if per_subject {
            bench_zones_per_subject(&data, 2000, 1)
        } else {
            bench_zones_with_homes(&data, 2000, 1)
        }
    };
    let zones = zones_for();
    let feed = data.arrival_order();
    let mut m = Monitor::new(zones, MonitorOptions::default()).unwrap();
    let (t, c) = (Instant::now(), cpu_s());
    let mut n = 0;
    for &(subject, fix) in feed.iter().filter(|_| mode != "many") {
        n += m.push(subject, fix, 0).unwrap().len();
    }
    let (s, cs) = (t.elapsed().as_secs_f64(), cpu_s() - c);
    println!(
        "push: {} fixes, {n} events, {:.2} M fixes/s ({:.2} M per CPU-second), state {} bytes/subject",
        feed.len(),
        feed.len() as f64 / s / 1e6,
        feed.len() as f64 / cs / 1e6,
        m.state_bytes(&data.names[0])
    );
    if mode == "push" {
        return;
    }
    let zones = zones_for();
    let mut m = Monitor::new(zones, MonitorOptions::default()).unwrap();
    let before = resident_bytes();
    let (t, c) = (Instant::now(), cpu_s());
    let mut n2 = 0;
    for chunk in feed.chunks(batch_size) {
        n2 += m.push_many(chunk, 0).unwrap().len();
    }
    let (s, cs) = (t.elapsed().as_secs_f64(), cpu_s() - c);
    println!(
        "push_many ({batch_size}-fix batches, {} threads): {n2} events, {:.2} M fixes/s ({:.2} M per CPU-second)",
        rayon::current_num_threads(),
        feed.len() as f64 / s / 1e6,
        feed.len() as f64 / cs / 1e6
    );
    println!(
        "resident growth while monitoring: {:.1} KB per subject",
        resident_bytes().saturating_sub(before) as f64 / subjects as f64 / 1024.0
    );
    assert!(mode == "many" || n == n2, "push_many emits the same events as push");
}
