//! Candidate statistics of near queries (for tuning the index and profiling):
//! `near_stats [radius_m] [window_hours]` over 10,000 subjects x 1 day.
use trailfence::generate::{generate_fixes, GeneratorConfig, SplitMix64};
use trailfence::{near, Target, Window};
fn main() {
    let data = generate_fixes(&GeneratorConfig {
        subjects: 10_000,
        days: 1,
        ..Default::default()
    });
    let store = data.store();
    println!(
        "runs {} fixes {} max acc {}",
        store.run_count(),
        store.fix_count(),
        store.max_accuracy_m()
    );
    let radius_m: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100.0);
    let hours: f64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let mut rng = SplitMix64::new(77);
    let (mut segs, mut rows) = (0, 0);
    let t = std::time::Instant::now();
    for _ in 0..256 {
        let i = (rng.next_u64() % data.len() as u64) as usize;
        let t0 = data.t_us[i] - (hours / 2.0 * 3.6e9) as i64;
        let w = Window::from_us(t0, t0 + (hours * 3.6e9) as i64);
        let d = 350.0 / 111_000.0;
        segs += store
            .segments_within_reach([data.lon[i], data.lat[i], data.lon[i], data.lat[i]], radius_m, w)
            .len();
        let _ = d;
        rows += near(&store, &Target::Point(data.lon[i], data.lat[i]), radius_m, w)
            .unwrap()
            .len();
    }
    println!(
        "per query: {} candidate segments, {} rows, {:?}",
        segs / 256,
        rows / 256,
        t.elapsed() / 256
    );
}
