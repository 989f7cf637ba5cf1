//! Trail engine: trail requests, ingest from columns, GeoJSON export.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use trailfence::generate::{generate_fixes, GeneratedFixes, GeneratorConfig};
use trailfence::io::write_geojson;
use trailfence::{Mode, TrailStore, Window};

fn store_of(data: &GeneratedFixes) -> TrailStore {
    data.store()
}

const DAY_US: i64 = 86_400_000_000;

/// Full sizes under `cargo bench`; small ones when `cargo test --all-targets`
/// runs the benches once as a smoke test (debug build).
pub fn scale(full: usize, smoke: usize) -> usize {
    if std::env::args().any(|a| a == "--bench") {
        full
    } else {
        smoke
    }
}

pub fn bench(c: &mut Criterion) {
    // One subject, one year, a fix a minute.
    let year = generate_fixes(&GeneratorConfig {
        subjects: 1,
        days: scale(365, 3) as u32,
        start: jiff::civil::date(2024, 1, 1),
        ..Default::default()
    });
    let year_store = store_of(&year);
    let t0 = year.t_us[0];
    let mut g = c.benchmark_group("trail_request");
    let mut k = 0i64;
    g.bench_function("24h_from_1_year_trail", |b| {
        b.iter(|| {
            k = (k + 7919) % (year_store.trail_at(0).len() as i64 / 1440 - 1).max(1);
            let start = t0 + k * DAY_US;
            let a = year_store
                .trail("S0001", Window::from_us(start, start + DAY_US))
                .unwrap();
            assert!(a.len() > 1000);
            black_box(a.len())
        })
    });
    // 10,000 subjects × 1 day.
    let many = generate_fixes(&GeneratorConfig {
        subjects: scale(10_000, 20),
        days: 1,
        ..Default::default()
    });
    let many_store = store_of(&many);
    let names: Vec<String> = many_store.subjects().to_vec();
    let m0 = many.t_us[0];
    let mut i = 0usize;
    g.bench_function("24h_from_10000_subject_store", |b| {
        b.iter(|| {
            i = (i + 7919) % names.len();
            let a = many_store.trail(&names[i], Window::from_us(m0, m0 + DAY_US)).unwrap();
            assert!(a.len() > 1000);
            black_box(a.len())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("export");
    let start = t0 + scale(100, 1) as i64 * DAY_US;
    let answer = year_store
        .trail("S0001", Window::from_us(start, start + DAY_US))
        .unwrap();
    g.throughput(Throughput::Elements(answer.len() as u64));
    let mut buf = Vec::with_capacity(1 << 20);
    g.bench_function("geojson_1_day", |b| {
        b.iter(|| {
            buf.clear();
            write_geojson(&answer, &mut buf).unwrap();
            assert!(buf.len() > 100_000);
            black_box(buf.len())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    let subset = generate_fixes(&GeneratorConfig {
        subjects: scale(1000, 10),
        days: 1,
        ..Default::default()
    });
    let names = subset.subject_names();
    g.throughput(Throughput::Elements(subset.len() as u64));
    g.bench_function("columns_1000x1day", |b| {
        b.iter_batched(
            TrailStore::builder,
            |mut builder| {
                builder
                    .extend_columns(
                        &names,
                        &subset.t_us,
                        &subset.lon,
                        &subset.lat,
                        Some(&subset.accuracy_m),
                        Mode::Strict,
                    )
                    .unwrap();
                let s = builder.build();
                assert_eq!(s.fix_count(), subset.len());
                s
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}
