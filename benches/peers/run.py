#!/usr/bin/env python3
"""Side-by-side benchmark: trailfence (Python API) against the peers users
would pick instead, on the same data, in one run, as ratios.

Usage:
    python benches/peers/run.py [--data DIR] [--smoke] [--repeat N] [--out FILE]

--data DIR   a directory with fixes.csv (subject,time,lon,lat,accuracy_m) made
             by the project's seeded generator, e.g.
             `cargo run --release --example export_bench -- DIR 10000`;
             default: the committed sample in data/.
--smoke      tiny run for the test suite: checks agreement, makes no timing claims.

Tasks so far (the rest of the issue's list is not written yet):
  T1  24-hour trail request        trailfence vs DuckDB (SQL on an in-memory table)
  T4  crime-scene near query       trailfence (interpolated) vs shapely STRtree (per fix)
  T5  H3 res-9 dwell heatmap       trailfence vs h3-py (per fix) + pandas

Every task checks that the answers agree (or explains the expected
difference, e.g. pass-bys between fixes that per-fix peers cannot see)
before times are compared; disagreements are printed, never hidden.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import numpy as np
import pandas as pd

import trailfence as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]


def median_time(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=pathlib.Path, default=ROOT / "data")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=pathlib.Path)
    args = ap.parse_args(argv)
    repeat = 1 if args.smoke else args.repeat
    fixes = pd.read_csv(args.data / "fixes.csv")
    if args.smoke:
        fixes = fixes[fixes["subject"].isin(sorted(fixes["subject"].unique())[:5])]
        fixes = fixes[fixes["time"] < "2024-10-26"]
    fixes["time"] = pd.to_datetime(fixes["time"], utc=True, format="ISO8601")
    rows, problems = [], []

    t0 = time.perf_counter()
    store = tf.TrailStore.from_frame(fixes)
    load_tf = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    subjects = store.subjects()
    day0 = fixes["time"].min().normalize()

    # ---- T1: 24-hour trail request
    import duckdb

    con = duckdb.connect()
    t0 = time.perf_counter()
    con.register("fixes_df", fixes)
    con.execute("create table fixes as select * from fixes_df")
    load_duck = time.perf_counter() - t0
    reqs = [(subjects[int(rng.integers(len(subjects)))], day0 + pd.Timedelta(days=int(rng.integers(2)))) for _ in range(20)]

    def tf_t1():
        return [len(store.trail(s, d, d + pd.Timedelta(days=1))) for s, d in reqs]

    def duck_t1():
        return [len(con.execute("select * from fixes where subject = ? and time >= ? and time < ? order by time",
                                [s, d, d + pd.Timedelta(days=1)]).df()) for s, d in reqs]

    a, ra = median_time(tf_t1, repeat)
    b, rb = median_time(duck_t1, repeat)
    if ra != rb:
        problems.append(f"T1: row counts differ: trailfence {ra[:5]}... duckdb {rb[:5]}...")
    rows.append(("T1 24 h trail request (per request)", a / len(reqs), "DuckDB", b / len(reqs)))

    # ---- T4: near query, 100 m, 2-hour window
    import shapely

    lat0 = float(fixes["lat"].mean())
    ky, kx = 111_132.0, 111_320.0 * np.cos(np.radians(lat0))
    pts = shapely.points((fixes["lon"].to_numpy() - fixes["lon"].mean()) * kx, (fixes["lat"].to_numpy() - lat0) * ky)
    tree = shapely.STRtree(pts)
    idx = rng.integers(len(fixes), size=10)
    queries = [(float(fixes["lon"].iloc[i]), float(fixes["lat"].iloc[i]), fixes["time"].iloc[i] - pd.Timedelta(hours=1))
               for i in idx]
    tnum = fixes["time"].dt.tz_convert(None).to_numpy()
    subj = fixes["subject"].to_numpy()

    def tf_t4():
        out = []
        for x, y, t in queries:
            df = store.near(x, y, 100.0, t, t + pd.Timedelta(hours=2))
            out.append(set(df["subject"][df["verdict"] == "hit"]))
        return out

    def shapely_t4():
        out = []
        for x, y, t in queries:
            p = shapely.points((x - fixes["lon"].mean()) * kx, (y - lat0) * ky)
            near_idx = tree.query(p, predicate="dwithin", distance=100.0)
            tt = tnum[near_idx]
            lo = t.tz_convert(None).to_datetime64()
            keep = near_idx[(tt >= lo) & (tt < lo + np.timedelta64(2, "h"))]
            out.append(set(subj[keep]))
        return out

    a, ra = median_time(tf_t4, repeat)
    b, rb = median_time(shapely_t4, repeat)
    for k, (x, y) in enumerate(zip(ra, rb)):
        if not y <= x:
            problems.append(f"T4 query {k}: shapely finds {sorted(y - x)} that trailfence does not")
        elif x - y:
            print(f"T4 query {k}: trailfence also finds {sorted(x - y)} (passing between fixes)", file=sys.stderr)
    rows.append(("T4 near query 100 m / 2 h (per query)", a / len(queries), "shapely STRtree (per fix)", b / len(queries)))

    # ---- T5: H3 resolution-9 dwell
    import h3

    def tf_t5():
        return store.heatmap(9, min_subjects=1)

    def h3_t5():
        f = fixes.sort_values(["subject", "time"])
        cells = [h3.latlng_to_cell(la, lo, 9) for la, lo in zip(f["lat"].to_numpy(), f["lon"].to_numpy())]
        f = f.assign(cell=cells)
        dt = f.groupby("subject")["time"].diff().dt.total_seconds()
        ok = dt <= 600
        half = np.where(ok, dt / 2, 0.0)
        prev_cell = f.groupby("subject")["cell"].shift()
        a = pd.DataFrame({"cell": f["cell"], "s": half})
        b = pd.DataFrame({"cell": prev_cell, "s": half}).dropna()
        return pd.concat([a, b]).groupby("cell")["s"].sum()

    a, ra = median_time(tf_t5, repeat)
    b, rb = median_time(h3_t5, repeat)
    ours = ra.set_index("cell")["seconds"]
    rb = rb[rb > 0]
    if set(ours.index) != set(rb.index) or not np.allclose(ours.sort_index(), rb.sort_index()):
        problems.append("T5: heatmaps differ")
    rows.append(("T5 H3 res-9 dwell heatmap", a, "h3-py + pandas", b))

    lines = [
        f"Fixes: {len(fixes):,} of {len(subjects)} subjects. Load: trailfence {load_tf:.2f} s, DuckDB {load_duck:.2f} s.",
        "",
        "| task | trailfence | peer | peer time | peer / trailfence |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, ours_s, peer, peer_s in rows:
        lines.append(f"| {name} | {ours_s * 1e3:.3f} ms | {peer} | {peer_s * 1e3:.3f} ms | {peer_s / ours_s:.1f}x |")
    if args.smoke:
        lines.append("")
        lines.append("(smoke run: tiny data, no timing claims)")
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n")
    for p in problems:
        print("DISAGREEMENT:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
