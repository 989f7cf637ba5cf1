//! AFL target `pack`: see `trailfence::fuzz_targets` for the contract checked.
//! `fuzz_nohook!`: a panic that trailfence's guard catches (a dependency's
//! bug on malformed input, reported as a located error) is not a finding;
//! only a panic escaping the target — a broken contract — aborts.
fn main() {
    afl::fuzz_nohook!(|data: &[u8]| {
        trailfence::fuzz_targets::run("pack", data);
    });
}
