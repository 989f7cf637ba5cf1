//! Searches seeded mutations of the Parquet seed for inputs on which the
//! Parquet/Arrow decoders panic (caught by trailfence's guard) and keeps one
//! per panic site in `fuzz/regressions/parquet/`.
//! `cargo run --example fuzz_find_panics -- [ROUNDS]`.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let seed = std::fs::read("fuzz/corpus/parquet/trail.parquet").unwrap();
    let site = Arc::new(Mutex::new(String::new()));
    let s2 = site.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location() {
            *s2.lock().unwrap() = format!("{}:{}", l.file().rsplit("src/").next().unwrap_or(l.file()), l.line());
        }
    }));
    let mut found: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for m in trailfence::fuzz_targets::mutants(&seed, &seed, rounds, 99) {
        site.lock().unwrap().clear();
        let mut b = trailfence::TrailStore::builder();
        let o = trailfence::io::ReadOptions {
            mode: trailfence::Mode::Lenient,
            ..Default::default()
        };
        let r = trailfence::io::read_parquet_bytes(bytes::Bytes::from(m.clone()), "x", &o, &mut b);
        let s = site.lock().unwrap().clone();
        if !s.is_empty() {
            assert!(r.is_err());
            found.entry(s).or_insert(m);
        }
    }
    std::fs::create_dir_all("fuzz/regressions/parquet").unwrap();
    for (site, bytes) in &found {
        let name = site.replace(['/', ':', '.'], "_");
        std::fs::write(format!("fuzz/regressions/parquet/panic-{name}.parquet"), bytes).unwrap();
        println!("{site}");
    }
}
