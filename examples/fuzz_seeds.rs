//! Writes the fuzz seed corpus (`fuzz/corpus/<target>/`) from the sample data
//! and from files trailfence itself writes, so the seeds are reproducible.
//! `cargo run --example fuzz_seeds` (run from the repository root).
use std::fs;
use std::path::Path;

use trailfence::fuzz_targets::CHECKPOINT_ZONES;
use trailfence::io::{read_csv, write_trail, ReadOptions, TrailFormat};
use trailfence::{parse_time, Monitor, MonitorOptions, ParquetStore, TrackFix, TrailStore, Window};

fn put(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("fuzz/corpus").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let csv = fs::read_to_string("data/fixes.csv").unwrap();
    let head: Vec<&str> = csv.lines().take(25).collect();
    put("csv", "sample.csv", (head.join("\n") + "\n").as_bytes());
    put(
        "csv",
        "edge.csv",
        b"subject,time,lon,lat,accuracy_m\nA,2024-10-27T01:30:00+01:00,-0.1,51.5,\nA,1729990000,-180,-90,0\nA,1729990000500,180,90,3.5\n\"B,x\",2016-12-31T23:59:60Z,0,0,1\n",
    );
    let mut b = TrailStore::builder();
    read_csv(Path::new("data/fixes.csv"), &ReadOptions::default(), &mut b).unwrap();
    let store = b.build();
    let w = Window::new(
        parse_time("2024-10-26T19:00:00Z", None).unwrap(),
        parse_time("2024-10-26T19:20:00Z", None).unwrap(),
    )
    .unwrap();
    let answer = store.trail("S0003", w).unwrap();
    for (target, fmt, name) in [
        ("geojson", TrailFormat::GeoJson, "trail.geojson"),
        ("gpx", TrailFormat::Gpx, "trail.gpx"),
        ("parquet", TrailFormat::Parquet, "trail.parquet"),
        ("csv", TrailFormat::Csv, "trail.csv"),
    ] {
        let mut out = Vec::new();
        write_trail(&answer, fmt, &mut out).unwrap();
        put(target, name, &out);
    }
    put(
        "zones",
        "sample.geojson",
        fs::read("data/zones.geojson").unwrap().as_slice(),
    );
    put("zones", "schedules.geojson", CHECKPOINT_ZONES.as_bytes());
    // A manifest of a small store.
    let dir = std::env::temp_dir().join(format!("tf-fuzz-seeds-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let mut st = ParquetStore::open_or_create(&dir).unwrap();
    let mut small = TrailStore::builder();
    let t0 = parse_time("2024-10-26T23:50:00Z", None).unwrap().as_microsecond();
    let ts: Vec<i64> = (0..30).map(|k| t0 + k * 60_000_000).collect();
    small
        .extend_columns(
            &[["A"; 15], ["B"; 15]].concat(),
            &ts,
            &vec![-0.1; 30],
            &vec![51.5; 30],
            None,
            trailfence::Mode::Strict,
        )
        .unwrap();
    st.import(&small.build()).unwrap();
    put(
        "manifest",
        "manifest.json",
        &fs::read(dir.join("manifest.json")).unwrap(),
    );
    let _ = fs::remove_dir_all(&dir);
    // A monitor checkpoint after a walk out of home and through the street.
    let zones = trailfence::zones_from_geojson_str(CHECKPOINT_ZONES, "z").unwrap();
    let mut m = Monitor::new(zones, MonitorOptions::default()).unwrap();
    let t0 = parse_time("2024-10-26T20:00:00Z", None).unwrap().as_microsecond();
    for k in 0..40i64 {
        let fix = TrackFix {
            t_us: t0 + k * 60_000_000,
            lon: -0.1 - 0.0005 * k as f64,
            lat: 51.5 - 0.0002 * k as f64,
            accuracy_m: Some(5.0),
        };
        m.push(if k % 3 == 0 { "B" } else { "A" }, fix, fix.t_us).unwrap();
    }
    put("checkpoint", "monitor.json", &m.checkpoint().unwrap());
    println!("seeds written to fuzz/corpus/");
}
