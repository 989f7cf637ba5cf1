//! Crime-scene correlation and heatmaps.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use trailfence::generate::{generate_fixes, GeneratorConfig, SplitMix64};
use trailfence::{heatmap, near, near_many, Incident, Target, Window};

use crate::trail::scale;

pub fn bench(c: &mut Criterion) {
    let data = generate_fixes(&GeneratorConfig {
        subjects: scale(10_000, 20),
        days: 1,
        ..Default::default()
    });
    let store = data.store();
    // Query points on real fixes, 2-hour windows around them.
    let mut rng = SplitMix64::new(77);
    let queries: Vec<(f64, f64, Window)> = (0..256)
        .map(|_| {
            let i = (rng.next_u64() % data.len() as u64) as usize;
            let t = data.t_us[i] - 3_600_000_000;
            (data.lon[i], data.lat[i], Window::from_us(t, t + 7_200_000_000))
        })
        .collect();
    let mut g = c.benchmark_group("near");
    let mut k = 0;
    g.bench_function("near_100m_2h_10000x1day", |bch| {
        bch.iter(|| {
            k = (k + 1) % queries.len();
            let (x, y, w) = queries[k];
            let rows = near(&store, &Target::Point(x, y), 100.0, w).unwrap();
            assert!(!rows.is_empty());
            black_box(rows.len())
        })
    });
    let incidents: Vec<Incident> = queries[..100]
        .iter()
        .enumerate()
        .map(|(i, &(x, y, w))| Incident {
            id: format!("C{i}"),
            lon: x,
            lat: y,
            radius_m: 100.0,
            start_us: w.start_us(),
            end_us: w.end_us(),
        })
        .collect();
    g.sample_size(10);
    g.bench_function("near_many_100_incidents_rule_outs", |bch| {
        bch.iter(|| {
            let rows = near_many(&store, &incidents, true).unwrap();
            assert_eq!(rows.len(), 100 * store.subject_count());
            black_box(rows.len())
        })
    });
    g.finish();

    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut g = c.benchmark_group("heatmap");
    g.sample_size(10);
    g.throughput(Throughput::Elements(store.fix_count() as u64));
    g.bench_function("h3_res9_10000x1day_one_core", |bch| {
        bch.iter(|| {
            let h = one.install(|| heatmap(&store, 9, Window::all(), 1).unwrap());
            assert!(!h.cells.is_empty());
            black_box(h.cells.len())
        })
    });
    g.finish();
}
