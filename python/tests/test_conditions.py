"""Licence conditions from Python: the documented example file validates against the JSON Schema
and is read by trailfence; curfew rows split authorised and suspended time; a monitor applies an
absence authorised after the event as amendments and ends with batch's episodes."""

import datetime as dt
import json
import pathlib

import numpy as np
import pandas as pd
import pytest

import trailfence as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "conditions.geojson"
SCHEMA = ROOT / "docs" / "schema" / "zones.schema.json"
UTC = dt.timezone.utc


def test_schema_and_reader_agree_on_the_examples():
    import jsonschema
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for path in (EXAMPLE, ROOT / "data" / "zones.geojson"):
        doc = json.loads(path.read_text())
        assert not list(v.iter_errors(doc)), path
        tf.Zones.from_geojson(path)
    # Entries both refuse: a misspelt member, a missing reason.
    doc = json.loads(EXAMPLE.read_text())
    bad = json.loads(json.dumps(doc))
    bad["conditions"]["absences"][0]["zone"] = bad["conditions"]["absences"][0].pop("zones")
    worse = json.loads(json.dumps(doc))
    del worse["conditions"]["suspensions"][0]["reason"]
    for d, field in ((bad, "zone"), (worse, "reason")):
        assert list(v.iter_errors(d))
        with pytest.raises(tf.ValidationError, match=f"field `{field}`"):
            tf.Zones.from_geojson(json.dumps(d))


def test_curfew_rows_under_the_example_conditions():
    store = tf.TrailStore.from_csv(ROOT / "data" / "fixes.csv")
    plain = store.curfew(tf.Zones.from_geojson(ROOT / "data" / "zones.geojson"))
    df = store.curfew(tf.Zones.from_geojson(EXAMPLE))
    total = df["inside_s"] + df["outside_s"] + df["unknown_s"] + df["authorised_s"] + df["suspended_s"]
    assert np.allclose(total, df["scheduled_s"])
    night = pd.Timestamp("2024-10-27T19:00:00Z")
    s1 = df[(df["subject"] == "S0001") & (df["window_start"] == night)].iloc[0]
    p1 = plain[(plain["subject"] == "S0001") & (plain["window_start"] == night)].iloc[0]
    assert p1["violations"] == 1 and s1["violations"] == 0
    # Authorised 18:30 (GMT) to 03:00: the curfew's 19:00-03:00 part of the night.
    assert s1["authorised_s"] == 8 * 3600
    custody = df[(df["subject"] == "S0002") & (df["window_start"] == pd.Timestamp("2024-10-25T18:00:00Z"))]
    assert custody["suspended_s"].iloc[0] == custody["scheduled_s"].iloc[0] == 12 * 3600
    versions = df[df["subject"] == "S0003"]["zone_version"]
    assert set(versions) == {"licence 2024-09", "variation 2024-10-28"}
    assert df[df["subject"] == "S0004"].empty  # S0004's zones are not in the example
    eps = store.breaches(tf.Zones.from_geojson(EXAMPLE))
    assert "zone_version" in eps.columns


HOME = (-0.1276, 51.5072)


def _zones(conditions: str = "") -> tf.Zones:
    return tf.Zones.from_geojson(
        '{"type":"FeatureCollection","tz":"Europe/London","conditions":{' + conditions + '},"features":['
        '{"type":"Feature","id":"home","properties":{"kind":"inclusion","radius_m":100,"subjects":["S"],'
        '"schedule":{"tz":"Europe/London","windows":[{"days":["mon","tue","wed","thu","fri","sat","sun"],'
        '"start":"19:00","end":"07:00"}]}},"geometry":{"type":"Point","coordinates":[%f,%f]}}]}' % HOME
    )


def test_monitor_applies_a_retroactive_absence():
    t0 = dt.datetime(2024, 11, 12, 20, tzinfo=UTC)
    times = [t0 + dt.timedelta(minutes=k) for k in range(300)]
    away = [120 <= k <= 210 for k in range(300)]  # 1 km east, 21:59:30 to 23:30:30
    lon = [HOME[0] + (0.0145 if a else 0.0) for a in away]
    frame = pd.DataFrame({"subject": "S", "time": times, "lon": lon, "lat": HOME[1], "accuracy_m": 5.0})
    plain = _zones()
    authorised = _zones('"absences":[{"subject":"S","from":"2024-11-12T21:30","until":"2024-11-12T23:45",'
                        '"zones":["home"],"reason":"hospital","reference":"phoned in"}]')
    m = tf.Monitor(plain, history_s=6 * 3600)
    first = m.push_many(frame.iloc[:250], processing_time=times[249])
    assert (first["kind"] == "curfew_violation_started").sum() == 1
    update = m.update_conditions(authorised, processing_time=times[249])
    assert list(update["kind"]) == ["amended"]
    assert update["start"].isna().all(), "withdrawn: the whole time away was authorised"
    assert update.dtypes.equals(first.dtypes)
    assert update["zone_version"].isna().all(), "home has one version"

    rest = m.push_many(frame.iloc[250:], processing_time=times[-1])
    end = m.finish()
    events = pd.concat([first, update, rest, end], ignore_index=True)
    assert events["id"].is_unique
    store = tf.TrailStore.from_arrays(["S"] * 300, times, lon, [HOME[1]] * 300, [5.0] * 300)
    assert store.breaches(authorised).empty
    assert not store.breaches(plain).empty
    held = set()
    for e in events.itertuples():
        if e.kind in ("breach_ended", "curfew_violation_ended"):
            held.add(e.start)
        elif e.kind == "amended":
            held.discard(e.old_start)
            if not pd.isna(e.start):
                held.add(e.start)
    assert held == set()


def test_covers_refuses_a_zone_with_several_versions():
    zones = tf.Zones.from_geojson(EXAMPLE)
    with pytest.raises(tf.ValidationError, match="several versions"):
        zones.covers("home-S0003", [-0.079873], [51.528456])
    assert zones.covers("home-S0001", [-0.131261], [51.464130]).all()
