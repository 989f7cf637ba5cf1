"""Issue 14 from Python: answers that used to be silently wrong.

Dask calls that got each other's rows, naive times read as UTC (an hour off in
summer), option values that changed verdicts, and defaults that differed
between surfaces.
"""

import math
import pathlib
import subprocess
import threading

import numpy as np
import pandas as pd
import pytest

import trailfence as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


# ------------------------------------------------------------ naive times (item 2)


def summer_frame(naive: bool) -> pd.DataFrame:
    """Two fixes a minute apart at 19:00 London summer time (18:00 UTC)."""
    local = pd.to_datetime(["2024-07-01 19:00:00", "2024-07-01 19:01:00"])
    time = local if naive else local.tz_localize("Europe/London")
    return pd.DataFrame({"subject": ["A", "A"], "time": time, "lon": [-0.1, -0.1], "lat": [51.5, 51.5001],
                         "accuracy_m": [5.0, 5.0]})


def test_a_naive_time_column_is_localised_with_tz():
    store = tf.TrailStore.from_frame(summer_frame(naive=True), tz="Europe/London")
    got = store.trail("A")["time"]
    assert list(got) == [pd.Timestamp("2024-07-01T18:00:00Z"), pd.Timestamp("2024-07-01T18:01:00Z")]
    aware = tf.TrailStore.from_frame(summer_frame(naive=False)).trail("A")
    pd.testing.assert_frame_equal(store.trail("A"), aware)
    # Arrays too: numpy datetime64 is wall-clock time in tz.
    df = summer_frame(naive=True)
    arr = tf.TrailStore.from_arrays(df["subject"], df["time"].to_numpy(), df["lon"], df["lat"], tz="Europe/London")
    assert arr.trail("A")["time"].iloc[0] == pd.Timestamp("2024-07-01T18:00:00Z")


def test_a_naive_time_column_without_tz_is_refused():
    for call in (lambda: tf.TrailStore.from_frame(summer_frame(naive=True)),
                 lambda: tf.TrailStore.from_arrays(["A"], np.array(["2024-07-01T19:00"], dtype="datetime64[us]"),
                                                   [-0.1], [51.5])):
        with pytest.raises(ValueError, match="tz"):
            call()


def test_dst_gap_and_fold_in_a_naive_column_are_refused_with_the_row():
    df = pd.DataFrame({"subject": ["A", "A", "A"],
                       "time": pd.to_datetime(["2024-03-31 00:30", "2024-03-31 01:30", "2024-10-27 01:30"]),
                       "lon": [-0.1] * 3, "lat": [51.5] * 3})
    with pytest.raises(ValueError, match=r"row 1.*daylight-saving"):
        tf.TrailStore.from_frame(df, tz="Europe/London")
    lenient = tf.TrailStore.from_frame(df, tz="Europe/London", strict=False)
    assert len(lenient) == 1
    assert lenient.report()["skipped"] == 2


def test_monitor_push_many_localises_naive_times_with_tz():
    zones = tf.Zones.from_geojson(DATA / "zones.geojson")
    df = summer_frame(naive=True)
    with pytest.raises(ValueError, match="tz"):
        tf.Monitor(zones).push_many(df)
    aware = summer_frame(naive=False)
    a, b = tf.Monitor(zones), tf.Monitor(zones)
    a.push_many(df, tz="Europe/London", processing_time="2024-07-01T18:05:00Z")
    b.push_many(aware, processing_time="2024-07-01T18:05:00Z")
    assert a.checkpoint() == b.checkpoint()


def test_near_many_localises_naive_incident_times_with_tz():
    store = tf.TrailStore.from_frame(summer_frame(naive=False))
    inc = pd.DataFrame({"id": ["C1"], "lon": [-0.1], "lat": [51.5], "radius_m": [20.0],
                        "start": pd.to_datetime(["2024-07-01 18:59"]), "end": pd.to_datetime(["2024-07-01 19:02"])})
    with pytest.raises(ValueError, match="tz"):
        store.near_many(inc)
    hits = store.near_many(inc, tz="Europe/London")
    assert list(hits["verdict"]) == ["hit"]
    # The same wall-clock window read as UTC would be an hour after the fixes.
    assert store.near_many(inc, tz="UTC").empty


# ------------------------------------------------------ option values (item 4)


@pytest.fixture(scope="module")
def store():
    return tf.TrailStore.from_csv(DATA / "fixes.csv")


@pytest.fixture(scope="module")
def zones():
    return tf.Zones.from_geojson(DATA / "zones.geojson")


@pytest.mark.parametrize("call, name", [
    (lambda s, z: s.breaches(z, min_duration_s=math.nan), "min_duration_s"),
    (lambda s, z: s.breaches(z, merge_gap_s=-1.0), "merge_gap_s"),
    (lambda s, z: s.breaches(z, assumed_accuracy_m=-5.0), "assumed_accuracy_m"),
    (lambda s, z: s.curfew(z, grace_s=math.nan), "grace_s"),
    (lambda s, z: s.proximity("S0001", "S0002", math.nan), "distance_m"),
    (lambda s, z: s.near(-0.1, 51.5, math.inf), "radius_m"),
    (lambda s, z: s.stops("S0001", radius_m=-1.0), "radius_m"),
    (lambda s, z: tf.Monitor(z, assumed_accuracy_m=-1.0), "assumed_accuracy_m"),
    (lambda s, z: tf.Monitor(z, history_s=math.nan), "history_s"),
    (lambda s, z: tf.TrailStore.from_csv(DATA / "fixes.csv", max_gap_s=math.nan), "max_gap_s"),
])
def test_option_values_that_would_change_verdicts_are_refused(store, zones, call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call(store, zones)


def test_a_bad_incident_is_named_by_row_and_field(store):
    inc = pd.read_csv(DATA / "incidents.csv").head(3)
    inc.loc[2, "radius_m"] = math.nan
    with pytest.raises(ValueError, match=r"row 2: field `radius_m`"):
        store.near_many(inc)


# ------------------------------------------------------------- defaults (item 7)


def test_defaults_are_the_cores_on_every_surface(store):
    assert tf.DEFAULTS["min_subjects"] == 5
    assert tf.DEFAULTS["max_gap_s"] == 600.0
    default = store.heatmap(6)
    explicit = store.heatmap(6, min_subjects=tf.DEFAULTS["min_subjects"])
    pd.testing.assert_frame_equal(default, explicit)
    assert default.attrs == explicit.attrs and default.attrs["suppressed_cells"] > 0 and len(default) > 0
    # The CLI's default publishes exactly the same cells.
    exe = ROOT / "target" / "debug" / "trailfence"
    if exe.exists():
        out = subprocess.run([str(exe), "heatmap", "-i", str(DATA / "fixes.csv"), "--resolution", "6"],
                             capture_output=True, text=True, check=True)
        assert len(out.stdout.strip().splitlines()) - 1 == len(default)


# ---------------------------------------------------------------- Dask (item 1)

distributed = pytest.importorskip("distributed")
tfd = pytest.importorskip("trailfence.dask")

WINDOWS = [(f"2024-10-{d:02d}T{h:02d}:00:00Z", f"2024-10-{d:02d}T{h + 3:02d}:00:00Z")
           for d in (24, 25, 26, 27, 28) for h in (0, 6, 12, 18)]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """Six subjects of the sample week, in a store of a few buckets."""
    df = pd.read_csv(DATA / "fixes.csv")
    df = df[df["subject"].isin(["S0001", "S0002", "S0003", "S0004", "S0005", "S0006"])]
    st = tf.ParquetStore.open(tmp_path_factory.mktemp("dask14") / "store", create=True)
    st.import_trails(tf.TrailStore.from_frame(df))
    return st


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as c:
        yield c


def one_machine(st, kind, window, zones):
    trails = st.load(*window)
    if kind == "trails":
        frames = [f for f in (trails.trail(s, *window) for s in trails.subjects()) if len(f)]
        return pd.concat(frames, ignore_index=True) \
            .sort_values(["subject", "time"], kind="stable").reset_index(drop=True)
    return trails.breaches(zones, *window).sort_values(["subject", "zone", "start", "end"], kind="stable") \
        .reset_index(drop=True)


def call(st, kind, window, zones, client):
    if kind == "trails":
        return tfd.trails(st, *window, client=client)
    return tfd.breaches(st, zones, *window, client=client)


@pytest.mark.parametrize("kind", ["trails", "breaches"])
def test_concurrent_dask_calls_get_their_own_answers(small_store, cluster, zones, kind):
    """Two threads on one client, and two clients on one scheduler, each calling with a different
    window: every call returns exactly its single-machine answer (they used to share task keys)."""
    a, b = WINDOWS[1], WINDOWS[6]
    want = {w: one_machine(small_store, kind, w, zones) for w in (a, b)}
    assert len(want[a]) and len(want[b]) and not want[a].equals(want[b])
    with distributed.Client(cluster) as c1, distributed.Client(cluster.scheduler_address) as c2:
        for clients in ((c1, c1), (c1, c2)):
            for _ in range(3):
                got = {}
                errors = []

                def run(w, client):
                    try:
                        got[w] = call(small_store, kind, w, zones, client)
                    except Exception as e:  # pragma: no cover - reported below
                        errors.append(e)

                threads = [threading.Thread(target=run, args=(w, cl)) for w, cl in zip((a, b), clients)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                assert not errors, errors
                for w in (a, b):
                    pd.testing.assert_frame_equal(got[w], want[w], check_exact=True)


def test_twenty_sequential_dask_calls_with_live_futures_get_their_own_answers(small_store, cluster, zones):
    with distributed.Client(cluster) as c:
        kept = []
        for w in WINDOWS:
            got = tfd.trails(small_store, *w, client=c)
            pd.testing.assert_frame_equal(got, one_machine(small_store, "trails", w, zones), check_exact=True)
            kept.append(got)
        assert len({len(k) for k in kept}) > 1
