//! Runs the zone workloads of the benchmarks once each, for profilers
//! (`perf record`, `valgrind --tool=callgrind`): `cargo run --release --example profile_zones -- flags|breaches|curfew|heatmap [subjects]`.

use std::time::Instant;

use trailfence::generate::{bench_zones, generate_fixes, zones_geojson, GeneratorConfig, LONDON};
use trailfence::{breaches, curfew, zones_from_geojson_str, BreachOptions, CurfewOptions, Window, ZoneSet};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("flags");
    let subjects: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(500);
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    let store = data.store();
    let zones = ZoneSet::new(bench_zones(2000, 1, LONDON, 12_000.0)).unwrap();
    let homes = zones_from_geojson_str(&zones_geojson(&data, 1), "homes").unwrap();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let t = Instant::now();
    let n = one.install(|| match what {
        "flags" => trailfence::fix_zone_hits(&store, &zones, Window::all()).len(),
        "breaches" => breaches(&store, &zones, Window::all(), &BreachOptions::default())
            .unwrap()
            .len(),
        "heatmap" => trailfence::heatmap(&store, 9, Window::all(), 1).unwrap().cells.len(),
        _ => curfew(&store, &homes, Window::all(), &CurfewOptions::default())
            .unwrap()
            .len(),
    });
    let s = t.elapsed().as_secs_f64();
    println!(
        "{what}: {n} results, {} fixes in {s:.3} s = {:.2} M fixes/s",
        store.fix_count(),
        store.fix_count() as f64 / s / 1e6
    );
}
