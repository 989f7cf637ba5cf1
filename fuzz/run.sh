#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader with cargo-afl (AFL++).
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Needs Debian's afl++ and `cargo install cargo-afl`. Findings land in
# fuzz/out/<target>/default/{crashes,hangs}; copy minimised crashers to
# fuzz/regressions/<target>/ (the test suite replays them). Prints a table of
# executions, run time and crashes per target.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv geojson gpx parquet zones manifest checkpoint stream pack)
cargo afl build --release --quiet
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
for t in "${targets[@]}"; do
  mkdir -p out
  # -V: stop after SECONDS; -t: 2 s per execution is a hang (all inputs are small).
  cargo afl fuzz -V "$secs" -t 2000 -i "corpus/$t" -o "out/$t" "target/release/$t" > "out/$t.log" 2>&1 || true
done
printf '%-11s %12s %9s %8s %6s %7s\n' target execs run_s execs/s crashes hangs
for t in "${targets[@]}"; do
  s="out/$t/default/fuzzer_stats"
  [ -f "$s" ] || { echo "$t: no stats (see out/$t.log)"; continue; }
  get() { awk -F': *' -v k="$1" '$1 ~ "^"k" *$" {print $2}' "$s"; }
  printf '%-11s %12s %9s %8s %6s %7s\n' "$t" "$(get execs_done)" "$(get run_time)" "$(get execs_per_sec)" \
    "$(get saved_crashes)" "$(get saved_hangs)"
done
