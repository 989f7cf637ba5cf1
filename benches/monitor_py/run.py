"""Python `Monitor.push_many` against native `Monitor::push_many` on the same
data in one run (issue 18: the binding should keep >= 80 % of native
throughput). Generates 10,000 subjects x 1 day with 2,000 benchmark
exclusion zones plus the sample zones (release CLI), takes 2 M fixes from
07:00 in time order (the criterion monitor workload's window) and pushes
them in 100,000-row batches: DataFrame slices from Python, the same rows
from Rust (`examples/monitor_throughput.rs`). Only the push calls are timed.

    make bench-venv && .venv-bench/bin/python benches/monitor_py/run.py [--subjects N]
"""
import argparse
import pathlib
import re
import subprocess
import tempfile
import time

import pandas as pd
import trailfence as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=10_000)
    ap.add_argument("--count", type=int, default=2_000_000)
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([str(ROOT / "target/release/trailfence"), "generate", "--subjects", str(a.subjects),
                        "--days", "1", "--bench-zones", "2000", "--incidents", "0", "--out-dir", d], check=True)
        fixes, zones_path = pathlib.Path(d) / "fixes.csv", pathlib.Path(d) / "zones.geojson"
        df = pd.read_csv(fixes)
        df["time"] = pd.to_datetime(df["time"], utc=True)
        df = df.sort_values("time", kind="stable").reset_index(drop=True)
        start = len(df) * 7 // 24
        df = df.iloc[start:start + a.count].reset_index(drop=True)
        zones = tf.Zones.from_geojson(zones_path)
        ratios = []
        for r in range(a.rounds):  # alternating rounds: this machine is shared and noisy
            m = tf.Monitor(zones)
            events = 0
            t = time.perf_counter()
            for i in range(0, len(df), a.batch):
                events += len(m.push_many(df.iloc[i:i + a.batch], processing_time="2024-01-01T00:00:00Z"))
            py_s = time.perf_counter() - t
            py_rate = len(df) / py_s / 1e6
            print(f"round {r}: python push_many: {len(df)} fixes in {py_s:.3f} s = {py_rate:.3f} M fixes/s ({events} events)")
            out = subprocess.run([str(ROOT / "target/release/examples/monitor_throughput"), str(fixes), str(zones_path),
                                  str(a.count), str(a.batch)], check=True, capture_output=True, text=True).stdout
            print(f"round {r}: " + out.strip())
            native = float(re.search(r"= ([0-9.]+) M fixes/s", out).group(1))
            ratios.append(py_rate / native)
            print(f"round {r}: python / native = {ratios[-1]:.2f}")
        ratios.sort()
        print(f"python / native over {a.rounds} rounds: median {ratios[len(ratios) // 2]:.2f}, "
              f"range {ratios[0]:.2f}-{ratios[-1]:.2f}")

if __name__ == "__main__":
    main()
