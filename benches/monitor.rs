//! Streaming monitor throughput: fixes pushed in time order for many subjects
//! against 2,000 exclusion zones plus each subject's curfew zone.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use trailfence::generate::{bench_zones_with_homes, generate_fixes, GeneratorConfig};
use trailfence::{Monitor, MonitorOptions};

use crate::trail::scale;

pub fn bench(c: &mut Criterion) {
    let subjects = scale(10_000, 20);
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    let zones = bench_zones_with_homes(&data, 2000, 1);
    // Arrival order: by time across subjects (a live feed).
    let feed = data.arrival_order();
    let feed = &feed[..scale(2_000_000, 5_000).min(feed.len())];
    let mut g = c.benchmark_group("monitor");
    g.sample_size(10);
    g.throughput(Throughput::Elements(feed.len() as u64));
    g.bench_function("push_10000_subjects_2000_zones_curfews", |b| {
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
    // The batch form: 10,000-fix batches in arrival order, subjects in parallel.
    g.bench_function("push_many_10000_subjects_2000_zones_curfews", |b| {
        b.iter_batched(
            || Monitor::new(zones.clone(), MonitorOptions::default()).unwrap(),
            |mut m| {
                let mut n = 0usize;
                for chunk in feed.chunks(10_000) {
                    n += m.push_many(chunk, 0).unwrap().len();
                }
                black_box(n)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}
