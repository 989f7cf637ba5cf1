//! Persistent store figures: import throughput, open time, cold and warm
//! 24-hour trail requests. `cargo run --release --example store_bench -- DIR [subjects] [days]`.
use std::time::Instant;
use trailfence::generate::{generate_fixes, GeneratorConfig};
use trailfence::{ParquetStore, StoreOptions, Window};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "/tmp/tf-store-bench".into()));
    let subjects: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let days: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(30);
    let _ = std::fs::remove_dir_all(&dir);
    let data = generate_fixes(&GeneratorConfig {
        subjects,
        days,
        start: jiff::civil::date(2024, 10, 1),
        ..Default::default()
    });
    let mem = data.store();
    let t = Instant::now();
    let mut st = ParquetStore::open_or_create(&dir).unwrap();
    let s = st.import(&mem).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "import {} fixes into {} partitions: {:.1} s = {:.2} M fixes/s",
        s.added,
        s.partitions_written,
        secs,
        s.added as f64 / secs / 1e6
    );
    let t = Instant::now();
    let st = ParquetStore::open(&dir).unwrap();
    println!(
        "open ({} files): {:.2} ms",
        st.files().len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let t0 = data.t_us[0] + 10 * 86_400_000_000;
    let w = Window::from_us(t0, t0 + 86_400_000_000);
    for run in ["cold", "warm"] {
        let t = Instant::now();
        let part = st.load(w, Some(&["S0500"]), StoreOptions::default()).unwrap();
        let answer = part.trail("S0500", w).unwrap();
        println!(
            "24 h trail request ({run}, {} fixes): {:.2} ms",
            answer.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}
