//! AFL target `parquet`: see `trailfence::fuzz_targets` for the contract checked.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        trailfence::fuzz_targets::run("parquet", data);
    });
}
