"""Python API tests: the façade converts and delegates; answers come from the core."""

import datetime as dt
import pathlib

import pytest

import trailfence as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "fixes.csv"


def write(tmp_path, text):
    p = tmp_path / "fixes.csv"
    p.write_text(text)
    return p


def test_trail_request_on_sample():
    store = tf.TrailStore.from_csv(SAMPLE)
    assert len(store.subjects()) == 20
    rows = store.trail("S0003", "2024-10-26T23:55:00Z", dt.datetime(2024, 10, 27, 0, 5, tzinfo=dt.timezone.utc))
    assert 8 <= len(rows) <= 11
    assert all(r.time.tzinfo is not None for r in rows)
    assert rows == sorted(rows, key=lambda r: r.time)
    assert rows[0].time >= dt.datetime(2024, 10, 26, 23, 55, tzinfo=dt.timezone.utc)


def test_out_of_order_and_duplicates(tmp_path):
    p = write(tmp_path, "subject,time,lon,lat,accuracy_m\n"
                        "A,2024-01-01T00:02:00Z,0.2,51,5\n"
                        "A,2024-01-01T00:00:00Z,0.0,51,\n"
                        "A,2024-01-01T00:00:00Z,0.0,51,\n"
                        "A,2024-01-01T00:01:00Z,0.1,51,5\n")
    store = tf.TrailStore.from_csv(p)
    rows = store.trail("A", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    assert [r.lon for r in rows] == [0.0, 0.1, 0.2]
    assert rows[0].accuracy_m is None and rows[1].accuracy_m == 5.0


def test_errors_are_value_errors(tmp_path):
    p = write(tmp_path, "subject,time,lon,lat\nA,2024-01-01T00:00:00Z,0,95\n")
    with pytest.raises(ValueError, match=r"line 2: field `lat`"):
        tf.TrailStore.from_csv(p)
    lenient = tf.TrailStore.from_csv(p, strict=False)
    assert lenient.report()["skipped_by_reason"] == {"LatitudeOutOfRange": 1}
    store = tf.TrailStore.from_csv(SAMPLE)
    with pytest.raises(tf.TrailfenceError, match="unknown subject"):
        store.trail("nobody", "2024-10-26T00:00:00Z", "2024-10-27T00:00:00Z")
    with pytest.raises(ValueError, match="naive"):
        store.trail("S0001", dt.datetime(2024, 10, 26), "2024-10-27T00:00:00Z")
