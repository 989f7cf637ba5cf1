//! Writes the zone benchmark workload (fixes and the 2,000 benchmark zones)
//! to a directory, so peers (shapely, PyMEOS, ...) can be timed on the same
//! data: `cargo run --release --example export_bench -- DIR [subjects]`.

use std::fmt::Write as _;

use trailfence::generate::{bench_zones, fixes_csv, generate_fixes, GeneratorConfig, LONDON};
use trailfence::ZoneShape;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "/tmp/tf-bench".into()));
    let subjects: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(500);
    std::fs::create_dir_all(&dir).unwrap();
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days: 1,
        ..Default::default()
    });
    std::fs::write(dir.join("fixes.csv"), fixes_csv(&data)).unwrap();
    let mut wkt = String::from("id\twkt\tradius_m\n");
    let mut feats = Vec::new();
    for z in bench_zones(2000, 1, LONDON, 12_000.0) {
        match &z.shape {
            ZoneShape::Circle { lon, lat, radius_m } => {
                let _ = writeln!(wkt, "{}\tPOINT ({lon} {lat})\t{radius_m}", z.id);
                feats.push(format!(
                    r#"{{"type":"Feature","id":"{}","properties":{{"kind":"exclusion","radius_m":{radius_m}}},"geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}"#,
                    z.id
                ));
            }
            ZoneShape::Polygon(mp) => {
                let ring: Vec<String> = mp.0[0]
                    .exterior()
                    .0
                    .iter()
                    .map(|c| format!("{} {}", c.x, c.y))
                    .collect();
                let _ = writeln!(wkt, "{}\tPOLYGON (({}))\t", z.id, ring.join(", "));
                let coords: Vec<String> = mp.0[0]
                    .exterior()
                    .0
                    .iter()
                    .map(|c| format!("[{},{}]", c.x, c.y))
                    .collect();
                feats.push(format!(
                    r#"{{"type":"Feature","id":"{}","properties":{{"kind":"exclusion"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
                    z.id,
                    coords.join(",")
                ));
            }
        }
    }
    std::fs::write(dir.join("zones.tsv"), wkt).unwrap();
    std::fs::write(
        dir.join("zones.geojson"),
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            feats.join(",\n")
        ),
    )
    .unwrap();
    println!("{} fixes, 2000 zones -> {}", data.len(), dir.display());
}
