//! Persistent store figures: import throughput, open time, cold and warm
//! 24-hour trail requests, Parquet and CSV input.
//! `cargo run --release --example store_bench -- DIR [subjects] [days]`.
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
    // Import throughput from Parquet input: every stored file read back as
    // an input file (`read_parquet`, the path `trailfence import x.parquet`
    // takes) and imported into a fresh store.
    let dir2 = dir.with_extension("from-parquet");
    let _ = std::fs::remove_dir_all(&dir2);
    let t = Instant::now();
    let mut b = trailfence::TrailStore::builder();
    for f in st.files() {
        trailfence::io::read_parquet(&dir.join(&f.path), &Default::default(), &mut b).unwrap();
    }
    let mem2 = b.build();
    let read_s = t.elapsed().as_secs_f64();
    let mut st2 = ParquetStore::open_or_create(&dir2).unwrap();
    let s2 = st2.import(&mem2).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "Parquet input: read {} fixes {:.1} s ({:.2} M/s), read + import {:.1} s = {:.2} M fixes/s",
        mem2.fix_count(),
        read_s,
        mem2.fix_count() as f64 / read_s / 1e6,
        secs,
        s2.added as f64 / secs / 1e6
    );
    // CSV input: the first 3 days as one CSV file.
    let csv = dir.with_extension("csv");
    let three = w.start_us() - 7 * 86_400_000_000;
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(out, "subject,time,lon,lat,accuracy_m").unwrap();
        let mut n = 0u64;
        for s in mem.subjects() {
            let tr = mem.trail_of(s).unwrap();
            for i in 0..tr.len() {
                if tr.times_us()[i] < three {
                    let a = tr.accuracy_m(i).map(|a| a.to_string()).unwrap_or_default();
                    writeln!(
                        out,
                        "{s},{},{},{},{a}",
                        trailfence::from_us(tr.times_us()[i]),
                        tr.lons()[i],
                        tr.lats()[i]
                    )
                    .unwrap();
                    n += 1;
                }
            }
        }
        let _ = n;
    }
    let dir3 = dir.with_extension("from-csv");
    let _ = std::fs::remove_dir_all(&dir3);
    let t = Instant::now();
    let mut b = trailfence::TrailStore::builder();
    trailfence::io::read_csv(&csv, &Default::default(), &mut b).unwrap();
    let mem3 = b.build();
    let read_s = t.elapsed().as_secs_f64();
    let mut st3 = ParquetStore::open_or_create(&dir3).unwrap();
    let s3 = st3.import(&mem3).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "CSV input: read {} fixes {:.1} s ({:.2} M/s), read + import {:.1} s = {:.2} M fixes/s",
        mem3.fix_count(),
        read_s,
        mem3.fix_count() as f64 / read_s / 1e6,
        secs,
        s3.added as f64 / secs / 1e6
    );
}
