"""Issue 21 from Python: the trail report (and how notebooks show it), evidence packs, the
access context on every read (ParquetStore, Dask), purge, and the audit log they all write."""

import hashlib
import json
import pathlib

import pandas as pd
import pytest

import trailfence as tf

DATA = pathlib.Path(__file__).resolve().parents[2] / "data"
WHO = tf.AccessContext("PP Jones", "trail request", "REQ-21")


def audit_records(store_dir):
    path = pathlib.Path(store_dir) / "audit" / "audit.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture()
def frame():
    df = pd.read_csv(DATA / "fixes.csv")
    return df[df["subject"].isin(["S0003", "S0004"]) & (df["time"] >= "2024-10-26") & (df["time"] < "2024-10-28")]


@pytest.fixture()
def store(tmp_path, frame):
    st = tf.ParquetStore.open(tmp_path / "store", create=True)
    st.import_trails(tf.TrailStore.from_frame(frame))
    return st


@pytest.fixture()
def zones():
    return tf.Zones.from_geojson(DATA / "zones.geojson")


def test_report_in_memory_and_in_a_notebook(frame, zones):
    trails = tf.TrailStore.from_frame(frame)
    r = trails.report("S0003", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z", zones=zones)
    assert isinstance(r, tf.TrailReport)
    assert r.summary["fixes"] == int(((frame["subject"] == "S0003") & (frame["time"] >= "2024-10-26T12")
                                       & (frame["time"] < "2024-10-27T12")).sum())
    assert r.summary["curfew_nights"] == 1
    assert r.html.startswith("<!DOCTYPE html>") and 'class="trail-part"' in r.html
    assert "Trail report: S0003" in r.html and "BST" in r.html
    # Notebooks: an isolated frame holding the whole page, escaped.
    cell = r._repr_html_()
    assert cell.startswith("<iframe") and "srcdoc=" in cell and "<!DOCTYPE" not in cell
    assert "TrailReport(" in repr(r)
    # The episodes in the report are the ones TrailStore.breaches finds.
    eps = trails.breaches(zones, "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z")
    assert r.summary["episodes"] == int((eps["subject"] == "S0003").sum())
    # Without a subject: the read report, as before.
    assert trails.report()["accepted"] == len(frame)
    with pytest.raises(tf.ValidationError, match="report option|tz"):
        trails.report("S0003", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z", tz="Nowhere/Special")


def test_reads_need_and_record_an_access_context(store, zones, tmp_path):
    (pathlib.Path(store.dir) / "access-policy.json").write_text('{"require_access_context": true}')
    with pytest.raises(tf.ValidationError, match="requires an access context"):
        store.load("2024-10-26T00:00:00Z", "2024-10-27T00:00:00Z")
    with pytest.raises(tf.ValidationError, match="requires an access context"):
        store.report("S0003", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z")
    with pytest.raises(tf.ValidationError, match="requested_by"):
        store.load(access={"requested_by": "", "purpose": "x"})
    trails = store.load("2024-10-26T00:00:00Z", "2024-10-27T00:00:00Z", subjects=["S0004"], access=WHO)
    assert trails.subjects() == ["S0004"]
    path = tmp_path / "report.html"
    r = store.report("S0003", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z", zones=zones, access=WHO, path=path)
    assert path.read_text() == r.html
    recs = audit_records(store.dir)
    assert [x["operation"] for x in recs] == ["load", "report"]
    assert recs[0]["subjects"] == ["S0004"] and recs[0]["context"]["case_reference"] == "REQ-21"
    assert recs[1]["outputs"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert recs[1]["window_start"] == "2024-10-26T12:00:00Z"


def test_dask_reads_carry_the_access_context(store, zones):
    pytest.importorskip("dask")
    import trailfence.dask as tfd

    (pathlib.Path(store.dir) / "access-policy.json").write_text('{"require_access_context": true}')
    with pytest.raises(tf.ValidationError, match="requires an access context"):
        tfd.breaches(store, zones, "2024-10-26T00:00:00Z", "2024-10-27T00:00:00Z")
    got = tfd.breaches(store, zones, "2024-10-26T00:00:00Z", "2024-10-27T00:00:00Z", access=WHO)
    want = store.load("2024-10-26T00:00:00Z", "2024-10-27T00:00:00Z", access=WHO).breaches(
        zones, "2024-10-26T00:00:00Z", "2024-10-27T00:00:00Z")
    assert len(got) == len(want)
    recs = [x for x in audit_records(store.dir) if x["operation"] == "dask.breaches"]
    # One record per task that read data; together they name every subject read.
    assert recs and {s for x in recs for s in x["subjects"]} == {"S0003", "S0004"}


def test_evidence_pack_round_trip_and_tampering(store, zones, tmp_path):
    out = store.evidence_pack("S0003", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z", tmp_path / "pack",
                              zones=zones, access=WHO)
    assert out["files"] == 11
    v = tf.verify_evidence_pack(tmp_path / "pack")
    assert v["manifest_sha256"] == out["manifest_sha256"] and v["subject"] == "S0003"
    again = store.evidence_pack("S0003", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z", tmp_path / "pack.zip",
                                zones=zones, access=WHO)
    assert again["manifest_sha256"] == out["manifest_sha256"], "same store and query: same manifest"
    assert tf.verify_evidence_pack(tmp_path / "pack.zip")["manifest_sha256"] == out["manifest_sha256"]
    ops = [x["operation"] for x in audit_records(store.dir)]
    assert ops == ["evidence-pack", "evidence-pack"]
    (tmp_path / "pack" / "stops.csv").write_text("subject\n")
    with pytest.raises(tf.ValidationError, match="stops.csv"):
        tf.verify_evidence_pack(tmp_path / "pack")


def test_purge_from_python_is_audited(store):
    with pytest.raises(tf.ValidationError, match="access"):
        store.purge(subject="S0004", access=None)
    s = store.purge(subject="S0004", access=WHO)
    assert s["fixes_removed"] > 0
    assert store.load().subjects() == ["S0003"]
    recs = audit_records(store.dir)
    assert recs[-1]["operation"] == "purge" and recs[-1]["subjects"] == ["S0004"]
