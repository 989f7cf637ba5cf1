//! AFL target `gpx`: see `trailfence::fuzz_targets` for the contract checked.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        trailfence::fuzz_targets::run("gpx", data);
    });
}
