//! Candidate statistics of near queries (for tuning the index).
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
        store.index().size(),
        store.fix_count(),
        store.max_accuracy_m()
    );
    let mut rng = SplitMix64::new(77);
    let (mut segs, mut rows) = (0, 0);
    let t = std::time::Instant::now();
    for _ in 0..256 {
        let i = (rng.next_u64() % data.len() as u64) as usize;
        let t0 = data.t_us[i] - 3_600_000_000;
        let w = Window::from_us(t0, t0 + 7_200_000_000);
        let d = 350.0 / 111_000.0;
        segs += store
            .segments_within_reach([data.lon[i], data.lat[i], data.lon[i], data.lat[i]], 100.0, w)
            .len();
        let _ = d;
        rows += near(&store, &Target::Point(data.lon[i], data.lat[i]), 100.0, w).len();
    }
    println!(
        "per query: {} candidate segments, {} rows, {:?}",
        segs / 256,
        rows / 256,
        t.elapsed() / 256
    );
}
