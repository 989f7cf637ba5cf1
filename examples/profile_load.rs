//! Loads a whole store into memory, for profiling the read path.
//! `cargo run --release --example profile_load -- STORE_DIR`.
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp/tf-sb".into());
    let t = Instant::now();
    let st = trailfence::ParquetStore::open(std::path::Path::new(&dir)).unwrap();
    let all = st
        .load(trailfence::Window::all(), None, trailfence::StoreOptions::default())
        .unwrap();
    let rss = support::resident_bytes() as f64;
    println!(
        "loaded {} fixes of {} subjects in {:.2} s; resident {:.1} bytes/fix",
        all.fix_count(),
        all.subject_count(),
        t.elapsed().as_secs_f64(),
        rss / all.fix_count() as f64
    );
}
