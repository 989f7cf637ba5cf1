//! Native `Monitor::push_many` throughput on a fix file, for comparison with
//! the Python binding on the same data in the same run
//! (`benches/monitor_py.py` runs both): fixes sorted by time, `COUNT` fixes
//! from 07:00 of the first day (the criterion monitor workload's window), in
//! batches of `BATCH` rows; only the `push_many` calls are timed.
//! `cargo run --release --example monitor_throughput -- FIXES.csv ZONES.geojson [COUNT] [BATCH]`.
use std::time::Instant;

use trailfence::io::{read_csv, ReadOptions};
use trailfence::{read_zones, Monitor, MonitorOptions, TrackFix, TrailStore};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2_000_000);
    let batch: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut b = TrailStore::builder();
    read_csv(std::path::Path::new(&args[1]), &ReadOptions::default(), &mut b).unwrap();
    let store = b.build();
    let zones = read_zones(std::path::Path::new(&args[2])).unwrap();
    let mut feed: Vec<(&str, TrackFix)> = Vec::with_capacity(store.fix_count());
    for s in 0..store.subject_count() {
        let t = store.trail_at(s);
        for i in 0..t.len() {
            feed.push((
                store.subjects()[s].as_str(),
                TrackFix {
                    t_us: t.times_us()[i],
                    lon: t.lons()[i],
                    lat: t.lats()[i],
                    accuracy_m: t.accuracy_m(i),
                },
            ));
        }
    }
    feed.sort_by_key(|a| a.1.t_us);
    let from = feed.len() * 7 / 24;
    let feed = &feed[from..(from + count).min(feed.len())];
    let mut m = Monitor::new(zones, MonitorOptions::default()).unwrap();
    let t = Instant::now();
    let mut events = 0;
    for chunk in feed.chunks(batch) {
        events += m.push_many(chunk, 0).unwrap().len();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "native push_many: {} fixes in {s:.3} s = {:.3} M fixes/s ({events} events)",
        feed.len(),
        feed.len() as f64 / s / 1e6
    );
}
