//! Fuzz smoke (issue 16): every committed corpus file and crasher
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`) plus a few
//! thousand seeded mutations per target go through the readers in-process,
//! each checked against its contract (`trailfence::fuzz_targets`). The
//! coverage-guided fuzzers in `fuzz/` run the same targets for hours.

use std::path::{Path, PathBuf};

use trailfence::fuzz_targets::{mutants, run, TARGETS};

use crate::util::root;

/// Mutations per seed file.
const ROUNDS: usize = 700;

fn rounds() -> usize {
    std::env::var("TF_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROUNDS)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn check(target: &str, data: &[u8], what: &str) {
    let r = std::panic::catch_unwind(|| run(target, data));
    if r.is_err() {
        let keep = root().join("target").join(format!("fuzz-smoke-crash-{target}"));
        std::fs::write(&keep, data).unwrap();
        panic!(
            "{target}: {what} broke the contract or panicked; input kept in {}",
            keep.display()
        );
    }
}

#[test]
fn every_reader_keeps_its_contract_on_the_corpus_and_mutations() {
    let mut total = 0;
    for target in TARGETS {
        let seeds = files(&root().join("fuzz/corpus").join(target));
        assert!(!seeds.is_empty(), "no seeds for {target}");
        let crashers = files(&root().join("fuzz/regressions").join(target));
        let bytes: Vec<Vec<u8>> = seeds.iter().map(|p| std::fs::read(p).unwrap()).collect();
        for p in seeds.iter().chain(&crashers) {
            check(target, &std::fs::read(p).unwrap(), &p.display().to_string());
        }
        for (k, seed) in bytes.iter().enumerate() {
            let other = &bytes[(k + 1) % bytes.len()];
            for (i, m) in mutants(seed, other, rounds(), 0x5eed + k as u64).iter().enumerate() {
                check(target, m, &format!("mutant {i} of {}", seeds[k].display()));
                total += 1;
            }
        }
    }
    assert!(total >= 5_000, "{total}");
}
