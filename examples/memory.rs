//! Resident memory per fix of a built store (trail columns + R-tree), measured
//! from /proc/self/statm before and after building. Run in release:
//! `cargo run --release --example memory`.

use trailfence::generate::{generate_fixes, GeneratorConfig};
use trailfence::{Mode, TrailStore};

#[path = "support/mod.rs"]
mod support;
use support::resident_bytes as rss_bytes;

fn main() {
    for (label, subjects, days) in [("1 subject x 365 days", 1, 365), ("10,000 subjects x 1 day", 10_000, 1)] {
        let data = generate_fixes(&GeneratorConfig {
            subjects,
            days,
            start: jiff::civil::date(2024, 1, 1),
            ..Default::default()
        });
        let names = data.subject_names();
        let before = rss_bytes();
        let mut b = TrailStore::builder();
        b.extend_columns(
            &names,
            &data.t_us,
            &data.lon,
            &data.lat,
            Some(&data.accuracy_m),
            Mode::Strict,
        )
        .unwrap();
        let store = b.build();
        let after = rss_bytes();
        let n = store.fix_count() as f64;
        println!(
            "{label}: {} fixes, resident +{:.1} bytes/fix, accounted heap {:.1} bytes/fix",
            store.fix_count(),
            (after.saturating_sub(before)) as f64 / n,
            store.heap_bytes() as f64 / n
        );
        drop(store);
    }
}
