"""The Python API on the sample data and generated data: every function, every
input type, errors, and differential checks against shapely and h3-py."""

import datetime as dt
import pathlib
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import trailfence as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def store():
    return tf.TrailStore.from_csv(DATA / "fixes.csv")


@pytest.fixture(scope="module")
def zones():
    return tf.Zones.from_geojson(DATA / "zones.geojson")


def cli():
    exe = ROOT / "target" / "debug" / "trailfence"
    if not exe.exists():
        pytest.skip("the CLI is not built (run `make rust-test` first)")
    return str(exe)


def test_trail_frame(store):
    df = store.trail("S0003", "2024-10-26T19:00:00+01:00", "2024-10-27T07:00:00Z")
    assert list(df.columns) == ["subject", "time", "lon", "lat", "accuracy_m"]
    assert str(df["time"].dt.tz) == "UTC"
    assert df["time"].is_monotonic_increasing
    assert 13 * 50 < len(df) <= 13 * 61
    assert df["time"].iloc[0] >= pd.Timestamp("2024-10-26T18:00:00Z")
    assert df["time"].iloc[-1] < pd.Timestamp("2024-10-27T07:00:00Z")
    # Accuracy reads back as written in the CSV.
    raw = pd.read_csv(DATA / "fixes.csv", nrows=5)
    first = store.trail("S0001", raw["time"][0], "2030-01-01T00:00:00Z").head(5)
    assert list(first["accuracy_m"]) == list(raw["accuracy_m"])


def test_breaches_equal_the_cli(store, zones):
    df = store.breaches(zones, min_duration_s=60)
    out = subprocess.run(
        [cli(), "breaches", "-i", str(DATA / "fixes.csv"), "-z", str(DATA / "zones.geojson"), "--min-duration-s", "60"],
        capture_output=True, text=True, check=True,
    ).stdout
    from io import StringIO
    ref = pd.read_csv(StringIO(out))
    assert len(df) == len(ref) > 0
    assert list(df["subject"]) == list(ref["subject"])
    assert list(df["kind"]) == list(ref["kind"])
    assert (df["start"] == pd.to_datetime(ref["start"], utc=True, format="ISO8601")).all()
    assert np.allclose(df["duration_s"], ref["duration_s"])
    assert list(df["confidence"]) == list(ref["confidence"])


def test_curfew_adds_up(store, zones):
    df = store.curfew(zones, "2024-10-24T00:00:00Z", "2024-10-31T00:00:00Z", grace_s=300)
    # Nights overlapping the week: the 23rd's (clipped at 00:00) to the 30th's (clipped).
    assert len(df) == 20 * 8
    total = df["inside_s"] + df["outside_s"] + df["unknown_s"]
    assert np.allclose(total, df["scheduled_s"])
    hours = sorted(set((df["scheduled_s"] / 3600).round(3)))
    assert 13.0 in hours, "the night the clocks go back is 13 hours"
    assert (df["violations"] >= 0).all()


def test_near_and_near_many(store):
    t = store.trail("S0005", "2024-10-26T12:00:00Z", "2024-10-26T12:01:00Z")
    lon, lat = float(t["lon"].iloc[0]), float(t["lat"].iloc[0])
    near = store.near(lon, lat, 100, "2024-10-26T11:00:00Z", "2024-10-26T13:00:00Z")
    assert "S0005" in set(near["subject"])
    row = near[near["subject"] == "S0005"].iloc[0]
    assert row["verdict"] == "hit" and row["min_distance_m"] < 1.0
    incidents = pd.read_csv(DATA / "incidents.csv")
    many = store.near_many(incidents, rule_outs=True)
    assert len(many) == len(incidents) * 20
    assert set(many["verdict"]) <= {"hit", "possible", "ruled_out", "no_data"}
    assert (many["verdict"] == "hit").sum() >= len(incidents) // 2 - 2


def test_proximity_stops_heatmap(store):
    subjects = store.subjects()
    p = store.proximity(subjects[0], subjects[1], 1000.0)
    assert list(p.columns) == ["start", "end", "duration_s", "min_distance_m", "closest_time"]
    st = store.stops("S0001", radius_m=50, min_duration_s=600)
    assert len(st) > 7 and (st["duration_s"] >= 600).all()
    h = store.heatmap(9, min_subjects=1)
    h2 = store.heatmap(9, min_subjects=2)
    assert h["seconds"].sum() == pytest.approx(h2["seconds"].sum() + h2.attrs["suppressed_seconds"])
    assert len(h) == len(h2) + h2.attrs["suppressed_cells"]
    assert h["cell"].str.len().eq(15).all()


def test_every_input_type_gives_the_same_store():
    rng = np.random.default_rng(1)
    n = 200
    t0 = pd.Timestamp("2024-03-31T00:00:00Z")
    times = t0 + pd.to_timedelta(np.arange(n) * 60, unit="s")
    lon = -0.1 + rng.normal(0, 1e-3, n)
    lat = 51.5 + rng.normal(0, 1e-3, n)
    acc = rng.uniform(3, 30, n).round(1)
    subj = np.where(np.arange(n) % 2 == 0, "A", "B")
    frame = pd.DataFrame({"subject": subj, "time": times, "lon": lon, "lat": lat, "accuracy_m": acc})
    variants = {
        "pandas tz-aware": tf.TrailStore.from_frame(frame),
        "numpy datetime64": tf.TrailStore.from_arrays(subj, times.tz_localize(None).to_numpy(), lon, lat, acc, tz="UTC"),
        "strings": tf.TrailStore.from_arrays(subj, [t.isoformat() for t in times], lon, lat, acc),
        "datetimes": tf.TrailStore.from_arrays(subj, [t.to_pydatetime() for t in times], lon, lat, acc),
        "local strings": tf.TrailStore.from_arrays(
            subj, [t.tz_convert("Europe/London").strftime("%Y-%m-%dT%H:%M:%S") for t in times], lon, lat, acc,
            tz="Europe/London"),
    }
    pa = pytest.importorskip("pyarrow")
    variants["pyarrow"] = tf.TrailStore.from_frame(pa.Table.from_pandas(frame))
    ref = variants["pandas tz-aware"].trail("A")
    for name, s in variants.items():
        got = s.trail("A")
        assert len(s) == n, name
        pd.testing.assert_frame_equal(got, ref, check_exact=True, obj=name)


def test_naive_and_bad_input_errors(tmp_path, store):
    with pytest.raises(ValueError, match="naive"):
        store.trail("S0001", dt.datetime(2024, 10, 26), "2024-10-27T00:00:00Z")
    with pytest.raises(ValueError, match="offset"):
        store.trail("S0001", "2024-10-26T00:00:00", "2024-10-27T00:00:00Z")
    with pytest.raises(tf.TrailfenceError, match="unknown subject"):
        store.trail("nobody")
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,time,lon,lat\nA,2024-01-01T00:00:00Z,0,95\nA,nonsense,0,51\nA,2024-01-01T00:01:00Z,0,51\n")
    with pytest.raises(ValueError, match=r"bad.csv: line 2: field `lat`"):
        tf.TrailStore.from_csv(bad)
    lenient = tf.TrailStore.from_csv(bad, strict=False)
    assert len(lenient) == 1
    assert lenient.report()["skipped_by_reason"] == {"LatitudeOutOfRange": 1, "UnparseableTime": 1}
    with pytest.raises(ValueError, match=r"row 1: field `time`"):
        tf.TrailStore.from_arrays(["A", "A"], ["2024-01-01T00:00:00Z", "soon"], [0.0, 0.0], [51.0, 51.0])
    with pytest.raises(ValueError, match="feature 0"):
        tf.Zones.from_geojson('{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","properties":{"kind":"nope"},"geometry":null}]}')


def test_zone_covers_matches_shapely(zones):
    shapely = pytest.importorskip("shapely")
    import json
    fc = json.loads((DATA / "zones.geojson").read_text())
    rng = np.random.default_rng(7)
    checked = 0
    for f in fc["features"]:
        if f["geometry"]["type"] != "Polygon":
            continue  # circles are metric on the ellipsoid; shapely has no such shape
        poly = shapely.geometry.shape(f["geometry"])
        x0, y0, x1, y1 = poly.bounds
        lon = rng.uniform(x0 - 2e-4, x1 + 2e-4, 2000)
        lat = rng.uniform(y0 - 2e-4, y1 + 2e-4, 2000)
        # add the vertices: boundary points are inside (covers)
        vx, vy = np.array(poly.exterior.coords).T
        lon, lat = np.concatenate([lon, vx]), np.concatenate([lat, vy])
        want = shapely.covers(poly, shapely.points(lon, lat))
        got = zones.covers(f["id"], lon, lat)
        assert (got == want).all(), f["id"]
        checked += 1
    assert checked >= 5


def test_h3_cells_match_h3py():
    h3 = pytest.importorskip("h3")
    rng = np.random.default_rng(3)
    for _ in range(2000):
        lon, lat, res = rng.uniform(-180, 180), rng.uniform(-89, 89), int(rng.integers(0, 16))
        assert tf.h3_cell(lon, lat, res) == h3.latlng_to_cell(lat, lon, res)


def test_reprs(store, zones):
    assert repr(store).startswith("TrailStore(subjects=20")
    assert repr(zones).startswith("Zones(30 zones")


def test_monitor_stream_equals_batch_and_restores(store, zones):
    fixes = pd.concat([store.trail(s, "2024-10-25T12:00:00Z", "2024-10-26T12:00:00Z") for s in ["S0001", "S0004"]])
    fixes = fixes.sort_values("time", kind="stable").reset_index(drop=True)
    m = tf.Monitor(zones, allowed_lateness_s=120)
    half = len(fixes) // 2
    ev1 = m.push_many(fixes.iloc[:half])
    saved = m.checkpoint()
    m2 = tf.Monitor.restore(zones, saved)
    ev2 = m2.push_many(fixes.iloc[half:])
    end = m2.finish()
    ended = pd.concat([ev1, ev2])
    ended = ended[ended["kind"].isin(["breach_ended", "curfew_violation_ended"])]
    ended_ids = set(ended["id"]) | set(end.get("id", []))
    assert len(ended_ids) > 0
    # Batch over the same fixes gives the same number of episodes.
    batch_store = tf.TrailStore.from_frame(fixes)
    batch = batch_store.breaches(zones)
    n_stream = len(ended) + (end["kind"].isin(["breach_ended", "curfew_violation_ended"]).sum() if len(end) else 0)
    assert n_stream == len(batch)
    with pytest.raises(ValueError):
        tf.Monitor.restore(zones, b"not a checkpoint")


def test_store_files_read_by_pyarrow_and_duckdb(tmp_path):
    exe = cli()
    store = tmp_path / "store"
    subprocess.run([exe, "import", "--input", str(DATA / "fixes.csv"), "--store", str(store)], check=True,
                   capture_output=True)
    files = sorted(store.glob("day=*/bucket=*/*.parquet"))
    assert files
    import pyarrow.parquet as pq
    import json
    table = pq.read_table(files)
    assert table.num_rows == 199982
    meta = pq.read_metadata(files[0]).metadata
    geo = json.loads(meta[b"geo"])
    assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"] == "WKB"
    ref = tf.TrailStore.from_csv(DATA / "fixes.csv").trail("S0003")
    got = table.to_pandas()
    got = got[got["subject"] == "S0003"].sort_values("time").reset_index(drop=True)
    assert (got["lon"].to_numpy() == ref["lon"].to_numpy()).all()
    assert (got["time"].to_numpy() == ref["time"].to_numpy()).all()
    duckdb = pytest.importorskip("duckdb")
    n, subjects = duckdb.sql(
        f"select count(*), count(distinct subject) from read_parquet('{store}/day=*/bucket=*/*.parquet')").fetchall()[0]
    assert (n, subjects) == (199982, 20)


def test_parquet_written_by_pandas_and_shapely_imports_like_the_csv(tmp_path):
    """Parquet from other tools (categorical subjects, nanosecond zoned
    timestamps, float32 accuracy; or only a WKB geometry column) imports to
    the same fixes as the CSV."""
    exe = cli()
    shapely = pytest.importorskip("shapely")
    df = pd.read_csv(DATA / "fixes.csv")
    df = df[df["subject"].isin(["S0001", "S0002"])].reset_index(drop=True)
    df["time"] = pd.to_datetime(df["time"], utc=True).dt.tz_convert("Europe/London")
    df["subject"] = df["subject"].astype("category")
    df["accuracy_m"] = df["accuracy_m"].astype("float32")
    df.to_parquet(tmp_path / "pandas.parquet")
    geo = df[["subject", "time"]].copy()
    geo["geometry"] = shapely.to_wkb(shapely.points(df["lon"].to_numpy(), df["lat"].to_numpy()))
    geo.to_parquet(tmp_path / "wkb.parquet")
    ref = tf.TrailStore.from_csv(DATA / "fixes.csv")
    for name in ["pandas.parquet", "wkb.parquet"]:
        store = tmp_path / ("store-" + name)
        out = subprocess.run([exe, "import", "--input", str(tmp_path / name), "--store", str(store)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert f"{len(df)} added" in out.stderr, out.stderr
        got = subprocess.run([exe, "trail", "--store", str(store), "-s", "S0002", "--from", "2024-10-24T00:00:00Z",
                              "--to", "2024-11-01T00:00:00Z"], capture_output=True, text=True, check=True).stdout
        want = ref.trail("S0002", "2024-10-24T00:00:00Z", "2024-11-01T00:00:00Z")
        lines = got.strip().splitlines()[1:]
        assert len(lines) == len(want)
        lon = np.array([float(line.split(",")[2]) for line in lines])
        assert (lon == want["lon"].to_numpy()).all()


def test_zone_hits_equal_covers_per_subject_and_zone(store, zones):
    """Fix-in-zone flags against Zones.covers, zone by zone, honouring subject lists."""
    hits = store.zone_hits(zones)
    assert len(hits) > 1000
    got = set(zip(hits["subject"].astype(str), hits["time"], hits["zone"].astype(str)))
    want = set()
    import json
    spec = {f["id"]: f["properties"].get("subjects") for f in json.loads((DATA / "zones.geojson").read_text())["features"]}
    for subject in store.subjects():
        tr = store.trail(subject)
        for zid in zones.ids():
            if spec[zid] is not None and subject not in spec[zid]:
                continue
            inside = zones.covers(zid, tr["lon"], tr["lat"])
            want |= {(subject, t, zid) for t in tr["time"][inside]}
    assert got == want
