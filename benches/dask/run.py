#!/usr/bin/env python3
"""One machine vs a local Dask cluster over the same Parquet store, same answers.

Usage (`make bench-dask` builds everything in release mode first):
    python benches/dask/run.py [--store DIR] [--subjects N] [--days D] [--workers W] [--smoke] [--out FILE]

The store is generated when DIR has none (`trailfence generate --store`, seed 42,
London, one fix a minute, from 2024-10-01) with its zones (exclusion zones and a
home inclusion zone with a 19:00-07:00 Europe/London curfew per subject).

Measured, each in a fresh process so peak memory is its own:
  one machine   ParquetStore.load(window) then breaches / heatmap (all cores, rayon)
  cluster       trailfence.dask.breaches / heatmap on LocalCluster(W workers x 1 thread)
Answers are compared for exact equality before any time is reported.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
START, END = "2024-10-01T00:00:00Z", "2024-11-01T00:00:00Z"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def single(store: str, zones_path: str, out: str) -> None:
    import trailfence as tf

    zones = tf.Zones.from_geojson(zones_path)
    res = {}
    t0 = time.perf_counter()
    trails = tf.ParquetStore.open(store).load(START, END)
    res["load_s"] = time.perf_counter() - t0
    res["fixes"] = len(trails)
    t0 = time.perf_counter()
    b = trails.breaches(zones, START, END, min_duration_s=60)
    res["breaches_s"] = time.perf_counter() - t0 + res["load_s"]
    t0 = time.perf_counter()
    h = trails.heatmap(9, START, END, min_subjects=5)
    res["heatmap_s"] = time.perf_counter() - t0 + res["load_s"]
    res["peak_rss_mb"] = peak_rss_mb()
    b.sort_values(["subject", "zone", "start", "end"], kind="stable").reset_index(drop=True).to_pickle(out + ".b.pkl")
    h.to_pickle(out + ".h.pkl")
    pathlib.Path(out).write_text(json.dumps(res))


def cluster(store: str, zones_path: str, workers: int, out: str) -> None:
    import distributed
    import trailfence as tf
    import trailfence.dask as tfd

    zones = tf.Zones.from_geojson(zones_path)
    res = {}
    t0 = time.perf_counter()
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, memory_limit=0) as c, distributed.Client(c) as client:
        client.wait_for_workers(workers)
        res["startup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        b = tfd.breaches(store, zones, START, END, min_duration_s=60, client=client)
        res["breaches_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        h = tfd.heatmap(store, 9, START, END, min_subjects=5, client=client)
        res["heatmap_s"] = time.perf_counter() - t0
        rss = client.run(peak_rss_mb)
        res["worker_peak_rss_mb"] = sorted(rss.values())
    b.to_pickle(out + ".b.pkl")
    h.to_pickle(out + ".h.pkl")
    pathlib.Path(out).write_text(json.dumps(res))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=pathlib.Path, default=pathlib.Path("/tmp/trailfence-dask-bench"))
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--smoke", action="store_true", help="tiny store, equality only, no timing claims")
    ap.add_argument("--out", type=pathlib.Path)
    ap.add_argument("--single", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--cluster", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.single:
        return single(*args.single)
    if args.cluster:
        s, z, w, o = args.cluster
        return cluster(s, z, int(w), o)
    if args.smoke:
        args.subjects, args.days = 30, 2
    store = args.store
    inputs = store.with_name(store.name + "-inputs")
    if not (store / "manifest.json").exists():
        exe = ROOT / "target" / ("debug" if args.smoke else "release") / "trailfence"
        subprocess.run([str(exe), "generate", "--subjects", str(args.subjects), "--days", str(args.days),
                        "--start", "2024-10-01", "--store", str(store), "--out-dir", str(inputs)], check=True)
    zones = str(inputs / "zones.geojson")
    me = [sys.executable, __file__]
    one = str(store) + ".single.json"
    many = str(store) + ".cluster.json"
    subprocess.run(me + ["--single", str(store), zones, one], check=True)
    subprocess.run(me + ["--cluster", str(store), zones, str(args.workers), many], check=True)
    import pandas as pd

    for suffix in (".b.pkl", ".h.pkl"):
        a, b = pd.read_pickle(one + suffix), pd.read_pickle(many + suffix)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.attrs == b.attrs
    r1 = json.loads(pathlib.Path(one).read_text())
    r2 = json.loads(pathlib.Path(many).read_text())
    n_b = len(pd.read_pickle(one + ".b.pkl"))
    print(f"answers identical: {n_b} breach episodes, heatmap cells and suppression")
    if args.smoke:
        return None
    lines = [
        f"{args.subjects} subjects x {args.days} days ({r1['fixes']:,} fixes), one store, one run; "
        f"cluster = LocalCluster({args.workers} workers x 1 thread, processes), startup {r2['startup_s']:.1f} s (not counted).",
        "",
        "| task | one machine (s) | cluster (s) | speed-up |",
        "|---|---:|---:|---:|",
        f"| breaches (load + episodes) | {r1['breaches_s']:.2f} | {r2['breaches_s']:.2f} | {r1['breaches_s'] / r2['breaches_s']:.2f}x |",
        f"| heatmap res 9 (load + dwell) | {r1['heatmap_s']:.2f} | {r2['heatmap_s']:.2f} | {r1['heatmap_s'] / r2['heatmap_s']:.2f}x |",
        "",
        f"Peak memory: one machine {r1['peak_rss_mb']:.0f} MB (whole window loaded); "
        f"per worker {', '.join(f'{m:.0f}' for m in r2['worker_peak_rss_mb'])} MB.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return None


if __name__ == "__main__":
    main()
