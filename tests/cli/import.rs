//! Import crash test: `trailfence import` killed with SIGKILL at random points
//! always leaves a store that opens with everything committed before, and a
//! re-run stores the full data exactly once.

use std::process::Command;
use std::time::{Duration, Instant};

use trailfence::generate::SplitMix64;
use trailfence::{ParquetStore, StoreOptions, Window};

use crate::util::{root, temp_dir};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailfence"))
}

#[test]
fn killed_imports_never_lose_or_duplicate_committed_fixes() {
    let dir = temp_dir("import-crash");
    // Two extracts: the first 3 days of 6 subjects, then all 7 days of them.
    let text = std::fs::read_to_string(root().join("data/fixes.csv")).unwrap();
    let keep = |l: &&str| ["S0001", "S0002", "S0003", "S0004", "S0005", "S0006"].contains(&&l[..5]);
    let all: Vec<&str> = text.lines().skip(1).filter(keep).collect();
    let first: Vec<&str> = all.iter().copied().filter(|l| &l[6..16] < "2024-10-27").collect();
    let write = |name: &str, rows: &[&str]| {
        let p = dir.join(name);
        std::fs::write(&p, format!("subject,time,lon,lat,accuracy_m\n{}\n", rows.join("\n"))).unwrap();
        p
    };
    let (a, b) = (write("a.csv", &first), write("b.csv", &all));
    let import = |store: &std::path::Path, input: &std::path::Path| {
        let mut c = bin();
        c.args([
            "import",
            "--input",
            input.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ]);
        c.stderr(std::process::Stdio::null());
        c
    };
    // How long an uninterrupted second import takes.
    let probe = dir.join("probe");
    assert!(import(&probe, &a).status().unwrap().success());
    let t0 = Instant::now();
    assert!(import(&probe, &b).status().unwrap().success());
    let full_time = t0.elapsed();

    let mut rng = SplitMix64::new(17);
    let mut kills = 0;
    for round in 0..200 {
        if kills >= 30 {
            break;
        }
        let store = dir.join(format!("s{round}"));
        assert!(import(&store, &a).status().unwrap().success());
        let committed = first.len();
        let mut child = import(&store, &b).spawn().unwrap();
        std::thread::sleep(full_time.mul_f64(rng.range(0.0, 1.0)).min(Duration::from_secs(5)));
        let killed = child.try_wait().unwrap().is_none();
        if killed {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        // The store opens and holds at least everything committed before, each once.
        let st = ParquetStore::open(&store).unwrap();
        let rows: u64 = st.files().iter().map(|f| f.rows).sum();
        let loaded = st.load(Window::all(), None, StoreOptions::default()).unwrap();
        assert_eq!(
            loaded.fix_count() as u64,
            rows,
            "round {round}: duplicated rows in files"
        );
        assert!(loaded.fix_count() >= committed, "round {round}: lost committed fixes");
        assert!(loaded.fix_count() <= all.len());
        // Re-running gives the full data exactly once.
        assert!(import(&store, &b).status().unwrap().success());
        let st = ParquetStore::open(&store).unwrap();
        let rows: u64 = st.files().iter().map(|f| f.rows).sum();
        assert_eq!(rows as usize, all.len(), "round {round}");
        // Nothing stray is left in the directory: the data files, the
        // manifest and the lock file (files a kill left unlisted are in
        // quarantine/, not deleted).
        let files = walk(&store);
        assert_eq!(files, st.files().len() + 2, "round {round}: orphan files");
        let _ = std::fs::remove_dir_all(&store);
    }
    assert!(kills >= 30, "only {kills} kills landed");
}

fn walk(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_name() == trailfence::QUARANTINE {
            continue;
        }
        if e.path().is_dir() {
            n += walk(&e.path());
        } else {
            n += 1;
        }
    }
    n
}
