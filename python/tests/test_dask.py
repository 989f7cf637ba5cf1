"""trailfence.dask on a 2-worker LocalCluster (processes) gives exactly the single-machine answers."""

import pathlib
import subprocess

import pandas as pd
import pytest

import trailfence as tf

distributed = pytest.importorskip("distributed")
tfd = pytest.importorskip("trailfence.dask")

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
START, END = "2024-10-26T12:00:00Z", "2024-11-02T12:00:00Z"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    """The sample week plus two larger generated days (60 subjects) after it."""
    exe = ROOT / "target" / "debug" / "trailfence"
    if not exe.exists():
        pytest.skip("the CLI is not built (run `make rust-test` first)")
    tmp = tmp_path_factory.mktemp("dask")
    more = tmp / "more"
    subprocess.run([str(exe), "generate", "--seed", "7", "--subjects", "60", "--days", "2", "--start",
                    "2024-11-01", "--out-dir", str(more)], check=True, capture_output=True)
    st = tf.ParquetStore.open(tmp / "store", create=True)
    for path in (DATA / "fixes.csv", more / "fixes.csv"):
        summary = st.import_trails(tf.TrailStore.from_csv(path))
        assert summary["added"] == summary["offered"]
    return tmp / "store"


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def same(got, want, keys):
    want = want.sort_values(keys, kind="stable").reset_index(drop=True)
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_every_operation_equals_one_machine(store_dir, client):
    zones = tf.Zones.from_geojson(DATA / "zones.geojson")
    incidents = pd.read_csv(DATA / "incidents.csv")
    st = tf.ParquetStore.open(store_dir)
    one = st.load(START, END)
    assert len(one.subjects()) == 60

    got = tfd.breaches(store_dir, zones, START, END, min_duration_s=60, client=client)
    same(got, one.breaches(zones, START, END, min_duration_s=60), ["subject", "zone", "start", "end"])
    # Episodes that cross midnight are whole, not cut at partition boundaries.
    midnight = got["start"].dt.normalize() != (got["end"] - pd.Timedelta(microseconds=1)).dt.normalize()
    assert midnight.any()

    got = tfd.curfew(st, zones, START, END, grace_s=300, client=client)
    same(got, one.curfew(zones, START, END, grace_s=300), ["subject", "zone", "window_start"])

    lo, hi = pd.to_datetime(incidents["start"], utc=True).min(), pd.to_datetime(incidents["end"], utc=True).max()
    got = tfd.near_many(store_dir, incidents, rule_outs=True, client=client)
    same(got, st.load(lo, hi).near_many(incidents, rule_outs=True), ["incident", "subject"])
    assert set(got["verdict"]) >= {"hit", "ruled_out"}

    got = tfd.heatmap(store_dir, 9, START, END, min_subjects=3, client=client)
    want = one.heatmap(9, START, END, min_subjects=3)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs == want.attrs and want.attrs["suppressed_cells"] > 0

    subjects = ["S0003", "S0042", "S0017"]
    got = tfd.trails(store_dir, START, END, subjects=subjects, client=client)
    want = pd.concat([one.trail(s, START, END) for s in subjects], ignore_index=True)
    same(got, want, ["subject", "time"])


def test_without_a_cluster_the_threaded_scheduler_gives_the_same(store_dir):
    zones = tf.Zones.from_geojson(DATA / "zones.geojson")
    one = tf.ParquetStore.open(store_dir).load(START, END)
    got = tfd.breaches(store_dir, zones, START, END, buckets_per_task=5)
    same(got, one.breaches(zones, START, END), ["subject", "zone", "start", "end"])
    assert tfd.tasks(store_dir, 5) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15]]
    with pytest.raises(ValueError):
        tfd.tasks(store_dir, 0)


def test_benchmark_script_smoke(tmp_path):
    """benches/dask/run.py in smoke mode (tiny store, equality only) so the script cannot rot."""
    exe = ROOT / "target" / "debug" / "trailfence"
    if not exe.exists():
        pytest.skip("the CLI is not built (run `make rust-test` first)")
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "benches" / "dask" / "run.py"), "--smoke", "--store",
                          str(tmp_path / "store")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "answers identical" in out.stdout
