//! Streaming monitor throughput: fixes pushed in time order for many subjects
//! against 2,000 exclusion zones plus each subject's curfew zone — zones that
//! apply to everyone (the dense worst case: a subject is inside or near one
//! most of the time) and zones that each apply to one subject (as exclusion
//! orders do).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use trailfence::generate::{bench_zones_per_subject, bench_zones_with_homes, generate_fixes, GeneratorConfig};
use trailfence::{Monitor, MonitorOptions};

use crate::trail::scale;

pub fn bench(c: &mut Criterion) {
    let subjects = scale(10_000, 20);
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    // Arrival order: by time across subjects (a live feed), 2 M fixes from
    // 07:00 (curfews ending, the morning's movement).
    let feed = data.arrival_order();
    let from = feed.len() * 7 / 24;
    let feed = &feed[from..(from + scale(2_000_000, 5_000)).min(feed.len())];
    let mut g = c.benchmark_group("monitor");
    g.sample_size(10);
    g.throughput(Throughput::Elements(feed.len() as u64));
    for (name, zones) in [
        ("zones_for_everyone", bench_zones_with_homes(&data, 2000, 1)),
        ("zones_per_subject", bench_zones_per_subject(&data, 2000, 1)),
    ] {
        g.bench_function(format!("push_10000_subjects_2000_{name}_curfews"), |b| {
            b.iter_batched(
                || Monitor::new(zones.clone(), MonitorOptions::default()).unwrap(),
                |mut m| {
                    let mut n = 0usize;
                    for &(subject, fix) in feed {
                        n += m.push(subject, fix, 0).unwrap().len();
                    }
                    black_box(n)
                },
                BatchSize::PerIteration,
            )
        });
        // The batch form: 100,000-fix batches (about 10 fixes per subject)
        // in arrival order, subjects in parallel.
        g.bench_function(format!("push_many_10000_subjects_2000_{name}_curfews"), |b| {
            b.iter_batched(
                || Monitor::new(zones.clone(), MonitorOptions::default()).unwrap(),
                |mut m| {
                    let mut n = 0usize;
                    for chunk in feed.chunks(100_000) {
                        n += m.push_many(chunk, 0).unwrap().len();
                    }
                    black_box(n)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}
