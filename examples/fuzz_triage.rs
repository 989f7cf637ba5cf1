//! Replays fuzzer findings through the same target in-process (with the
//! guards) and tells, per file, where the decoder panicked and whether the
//! contract held (`guarded`) or broke (`BROKEN`); with `--keep DIR`, copies
//! one file per panic site into DIR (the committed regressions).
//! `cargo run --example fuzz_triage -- TARGET [--keep DIR] FILE...`.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let target = args.remove(0);
    let keep = match args.iter().position(|a| a == "--keep") {
        Some(i) => {
            let d = args.remove(i + 1);
            args.remove(i);
            Some(d)
        }
        None => None,
    };
    let site = Arc::new(Mutex::new(String::new()));
    let s2 = site.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location() {
            let file = l.file();
            let short = file.rsplit_once("/src/").map_or(file, |(head, tail)| {
                let krate = head.rsplit('/').next().unwrap_or("");
                if krate.is_empty() {
                    tail
                } else {
                    &file[file.len() - tail.len() - krate.len() - 5..]
                }
            });
            *s2.lock().unwrap() = format!("{short}:{}", l.line());
        }
    }));
    let mut sites: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut broken = 0;
    for f in &args {
        let data = std::fs::read(f).unwrap();
        site.lock().unwrap().clear();
        let ok = std::panic::catch_unwind(|| trailfence::fuzz_targets::run(&target, &data)).is_ok();
        let s = site.lock().unwrap().clone();
        if !ok {
            broken += 1;
            println!("BROKEN  {f}  ({s})");
        }
        let e = sites
            .entry(if s.is_empty() { "no panic".into() } else { s })
            .or_insert((0, f.clone()));
        e.0 += 1;
    }
    for (s, (n, example)) in &sites {
        println!("{n:5} {s}  e.g. {example}");
        if let (Some(dir), false) = (&keep, s == "no panic") {
            std::fs::create_dir_all(dir).unwrap();
            let ext = if target == "parquet" { ".parquet" } else { "" };
            let name = format!("panic-{}{ext}", s.replace(['/', ':', '.', '-'], "_"));
            std::fs::copy(example, format!("{dir}/{name}")).unwrap();
        }
    }
    println!(
        "{} files, {} sites, {broken} broke the contract",
        args.len(),
        sites.len()
    );
    std::process::exit(if broken > 0 { 1 } else { 0 });
}
