//! AFL target `zones`: see `trailfence::fuzz_targets` for the contract checked.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        trailfence::fuzz_targets::run("zones", data);
    });
}
