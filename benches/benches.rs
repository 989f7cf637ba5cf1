//! Criterion benchmarks, one module per operation. Run with `make bench`.
//! Each timed closure asserts on its result so the work cannot be optimised
//! away and a wrong answer cannot be fast.

use criterion::{criterion_group, criterion_main};

mod analysis;
mod monitor;
mod report;
mod trail;
mod zones;

criterion_group!(
    benches,
    trail::bench,
    zones::bench,
    analysis::bench,
    monitor::bench,
    report::bench
);
criterion_main!(benches);
