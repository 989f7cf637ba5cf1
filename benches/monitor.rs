//! Streaming monitor throughput: fixes pushed in time order for many subjects
//! against 2,000 exclusion zones plus each subject's curfew zone.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use trailfence::generate::{bench_zones_with_homes, generate_fixes, GeneratorConfig};
use trailfence::{Monitor, MonitorOptions, TrackFix};

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
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by_key(|&i| data.t_us[i]);
    let take = scale(2_000_000, 5_000).min(order.len());
    let order = &order[..take];
    let mut g = c.benchmark_group("monitor");
    g.sample_size(10);
    g.throughput(Throughput::Elements(order.len() as u64));
    g.bench_function("push_10000_subjects_2000_zones_curfews", |b| {
        b.iter_batched(
            || Monitor::new(zones.clone(), MonitorOptions::default()).unwrap(),
            |mut m| {
                let mut n = 0usize;
                for &i in order {
                    let f = TrackFix {
                        t_us: data.t_us[i],
                        lon: data.lon[i],
                        lat: data.lat[i],
                        accuracy_m: Some(data.accuracy_m[i] as f32),
                    };
                    n += m.push(&data.names[data.subject[i] as usize], f, 0).unwrap().len();
                }
                black_box(n)
            },
            BatchSize::PerIteration,
        )
    });
    // The batch form: 10,000-fix batches in arrival order, subjects in parallel.
    let fixes: Vec<(&str, TrackFix)> = order
        .iter()
        .map(|&i| {
            (
                data.names[data.subject[i] as usize].as_str(),
                TrackFix {
                    t_us: data.t_us[i],
                    lon: data.lon[i],
                    lat: data.lat[i],
                    accuracy_m: Some(data.accuracy_m[i] as f32),
                },
            )
        })
        .collect();
    g.bench_function("push_many_10000_subjects_2000_zones_curfews", |b| {
        b.iter_batched(
            || Monitor::new(zones.clone(), MonitorOptions::default()).unwrap(),
            |mut m| {
                let mut n = 0usize;
                for chunk in fixes.chunks(10_000) {
                    n += m.push_many(chunk, 0).unwrap().len();
                }
                black_box(n)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}
