//! Zones: fix-in-zone flags, interpolated breach episodes, curfew compliance.
//! Single-threaded (a one-thread rayon pool) so figures are per core.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use trailfence::generate::{bench_zones, generate_fixes, zones_geojson, GeneratorConfig, LONDON};
use trailfence::{
    breaches, curfew, fix_zone_hits, zones_from_geojson_str, BreachOptions, CurfewOptions, TrailStore, Window, ZoneSet,
};

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
        b.iter(|| {
            let hits = one.install(|| fix_zone_hits(&flags_store, &zones, Window::all()));
            assert!(!hits.is_empty());
            black_box(hits.len())
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

    // Reading a zone file with one valid polygon of a million vertices
    // (JSON parse, validity in O(n log n), preparation): the cost every
    // `breaches`/`curfew`/`monitor` start pays for such a zone.
    let vertices = scale(1_000_000, 2_000);
    let text = star_polygon_geojson(vertices);
    g.throughput(Throughput::Elements(vertices as u64));
    g.bench_function("read_zone_file_polygon_1M_vertices", |b| {
        b.iter(|| {
            let z = zones_from_geojson_str(&text, "star").unwrap();
            assert_eq!(z.len(), 1);
            black_box(z.len())
        })
    });
    g.finish();
}

/// A valid polygon of `n` vertices around London: a wavy boundary of radius
/// 3.7–4.3 km traced at high resolution (short edges).
pub fn star_polygon_geojson(n: usize) -> String {
    let mut rng = trailfence::generate::SplitMix64::new(3);
    let (ky, kx) = trailfence::geodesy::metres_per_degree(LONDON.1);
    let mut coords = String::with_capacity(n * 40);
    let mut first = String::new();
    for i in 0..n {
        let a = i as f64 / n as f64 * std::f64::consts::TAU;
        let r = 4_000.0 + 300.0 * (13.0 * a).sin() + 50.0 * (97.0 * a).sin() + rng.range(0.0, 0.001);
        let p = format!(
            "[{:.9},{:.9}]",
            LONDON.0 + r * a.cos() / kx,
            LONDON.1 + r * a.sin() / ky
        );
        if i == 0 {
            first = p.clone();
        }
        coords.push_str(&p);
        coords.push(',');
    }
    coords.push_str(&first);
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"star","properties":{{"kind":"exclusion"}},"geometry":{{"type":"Polygon","coordinates":[[{coords}]]}}}}]}}"#
    )
}
