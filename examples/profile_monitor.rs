//! Pushes a day of fixes for N subjects through the monitor (for profilers).
use std::time::Instant;
use trailfence::generate::{bench_zones, generate_fixes, zones_geojson, GeneratorConfig, LONDON};
use trailfence::{zones_from_geojson_str, Monitor, MonitorOptions, TrackFix, Zone, ZoneSet};
fn main() {
    let subjects: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    let mut zones: Vec<Zone> = bench_zones(2000, 1, LONDON, 12_000.0);
    let homes = zones_from_geojson_str(&zones_geojson(&data, 1), "homes").unwrap();
    zones.extend(homes.zones().iter().map(|z| z.zone.clone()));
    let zones = ZoneSet::new(zones).unwrap();
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by_key(|&i| data.t_us[i]);
    let mut m = Monitor::new(zones, MonitorOptions::default()).unwrap();
    let t = Instant::now();
    let mut n = 0;
    for &i in &order {
        let f = TrackFix {
            t_us: data.t_us[i],
            lon: data.lon[i],
            lat: data.lat[i],
            accuracy_m: Some(data.accuracy_m[i] as f32),
        };
        n += m.push(&data.names[data.subject[i] as usize], f, 0).unwrap().len();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} fixes, {n} events, {:.2} M fixes/s, state {} bytes/subject",
        order.len(),
        order.len() as f64 / s / 1e6,
        m.state_bytes(&data.names[0])
    );
}
