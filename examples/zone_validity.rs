//! Times reading a zone file with one valid polygon of N vertices (default
//! 1,000,000): JSON parse + validity + preparation. `wavy` (default) is a
//! boundary traced at high resolution (short edges, like a detailed
//! administrative boundary); `star` is an adversarial jagged star whose
//! radial spikes have overlapping boxes.
//! `cargo run --release --example zone_validity -- [N] [wavy|star]`.
use std::time::Instant;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let star = std::env::args().nth(2).as_deref() == Some("star");
    let mut rng = trailfence::generate::SplitMix64::new(3);
    let (lon0, lat0) = trailfence::generate::LONDON;
    let (ky, kx) = trailfence::geodesy::metres_per_degree(lat0);
    let mut ring: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            let r = if star {
                rng.range(2_000.0, 5_000.0)
            } else {
                4_000.0 + 300.0 * (13.0 * a).sin() + 50.0 * (97.0 * a).sin() + rng.range(0.0, 0.001)
            };
            (lon0 + r * a.cos() / kx, lat0 + r * a.sin() / ky)
        })
        .collect();
    ring.push(ring[0]);
    let coords: Vec<String> = ring.iter().map(|(x, y)| format!("[{x:.9},{y:.9}]")).collect();
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"star","properties":{{"kind":"exclusion"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}]}}"#,
        coords.join(",")
    );
    let polygon = geo::Polygon::new(geo::LineString::from(ring.clone()), vec![]);
    for _ in 0..3 {
        let t = Instant::now();
        trailfence::fuzz_targets::polygon_validity(std::slice::from_ref(&polygon)).unwrap();
        println!("{n} vertices: validity check alone {:.2} s", t.elapsed().as_secs_f64());
    }
    for _ in 0..3 {
        let t = Instant::now();
        let z = trailfence::zones_from_geojson_str(&text, "star").unwrap();
        println!(
            "{n} vertices: read, validated and prepared in {:.2} s ({} zone)",
            t.elapsed().as_secs_f64(),
            z.len()
        );
    }
}
