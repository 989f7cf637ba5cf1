//! Zones: fix-in-zone flags, interpolated breach episodes, curfew compliance.
//! Single-threaded (a one-thread rayon pool) so figures are per core.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use trailfence::generate::{bench_zones, generate_fixes, zones_geojson, GeneratorConfig, LONDON};
use trailfence::{breaches, curfew, zones_from_geojson_str, BreachOptions, CurfewOptions, TrailStore, Window, ZoneSet};

use crate::trail::scale;

fn store(subjects: usize) -> (TrailStore, trailfence::generate::GeneratedFixes) {
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    (data.store(), data)
}

pub fn bench(c: &mut Criterion) {
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let zones = ZoneSet::new(bench_zones(2000, 1, LONDON, 12_000.0)).unwrap();

    let mut g = c.benchmark_group("zones");
    g.sample_size(10);
    let (flags_store, _) = store(scale(10_000, 20));
    let n = flags_store.fix_count();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("fix_in_zone_flags_10000x1day_2000_zones", |b| {
        let mut out = Vec::with_capacity(1 << 20);
        b.iter(|| {
            out.clear();
            for s in 0..flags_store.subject_count() {
                let t = flags_store.trail_at(s);
                zones.flag_fixes(t, &flags_store.subjects()[s], s as u32, 0..t.len(), &mut out);
            }
            assert!(!out.is_empty());
            black_box(out.len())
        })
    });

    let (breach_store, _) = store(scale(500, 10));
    g.throughput(Throughput::Elements(breach_store.fix_count() as u64));
    g.bench_function("breach_episodes_500x1day_2000_zones", |b| {
        b.iter(|| {
            let eps =
                one.install(|| breaches(&breach_store, &zones, Window::all(), &BreachOptions::default()).unwrap());
            assert!(!eps.is_empty());
            black_box(eps.len())
        })
    });

    let (curfew_store, data) = store(scale(1000, 10));
    let homes = zones_from_geojson_str(&zones_geojson(&data, 1), "homes").unwrap();
    g.throughput(Throughput::Elements(curfew_store.fix_count() as u64));
    g.bench_function("curfew_1000x1day", |b| {
        b.iter(|| {
            let rows = one.install(|| curfew(&curfew_store, &homes, Window::all(), &CurfewOptions::default()).unwrap());
            assert!(rows.len() >= curfew_store.subject_count());
            black_box(rows.len())
        })
    });
    g.finish();
}
