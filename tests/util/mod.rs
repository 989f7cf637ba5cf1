//! Shared helpers for the integration tests.

use std::path::PathBuf;

use trailfence::io::{read_csv_from, ReadOptions};
use trailfence::{parse_time, Mode, ReadReport, TrailStore, Window};

/// `../shared/testdata` beside the project root, or `None` (with a message)
/// when it is absent, so a user's clone still passes.
pub fn shared_testdata() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIP: {} is absent; oracle vectors not checked", p.display());
        None
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("trailfence-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

pub fn t(s: &str) -> jiff::Timestamp {
    parse_time(s, None).unwrap()
}

pub fn window(a: &str, b: &str) -> Window {
    Window::new(t(a), t(b)).unwrap()
}

pub fn store_from_csv(text: &str, mode: Mode) -> Result<(TrailStore, ReadReport), trailfence::Error> {
    let mut b = TrailStore::builder();
    let opts = ReadOptions {
        mode,
        ..Default::default()
    };
    let report = read_csv_from(text.as_bytes(), "test.csv", &opts, &mut b)?;
    Ok((b.build(), report))
}

/// `n` property-test cases, or `PROPTEST_CASES` when set (long runs set it
/// higher; an explicit `cases` in a config would otherwise ignore it).
pub fn proptest_cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}
