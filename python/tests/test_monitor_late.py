"""Issue 18's reproductions from Python: a monitor under late fixes gives the
batch engine's final episodes, and never sends an event twice."""
import datetime as dt

import pandas as pd
import pytest
import trailfence as tf

STRIP = """{"type":"FeatureCollection","features":[{"type":"Feature","id":"strip",
"properties":{"kind":"exclusion"},"geometry":{"type":"Polygon","coordinates":
[[[-1.11785,52.949],[-1.11765,52.949],[-1.11765,52.951],[-1.11785,52.951],[-1.11785,52.949]]]}}]}"""
T0 = dt.datetime(2024, 4, 1, tzinfo=dt.timezone.utc)


def fix(k: float):
    return T0 + dt.timedelta(seconds=60 * k), -1.15 + 0.0005 * k, 52.95


def push(m, k):
    t, lon, lat = fix(k)
    return m.push("S", t, lon, lat, 5.0, processing_time=t)


def test_late_fix_amends_instead_of_a_second_episode():
    zones = tf.Zones.from_geojson(STRIP)
    m = tf.Monitor(zones, allowed_lateness_s=300, history_s=4110)
    frames = [push(m, k) for k in range(1, 134)]
    late = push(m, 64 + 40 / 60)  # inside the strip, 4,100 s late
    assert list(late["kind"]) == ["amended"], late
    events = pd.concat(frames + [late, m.finish()], ignore_index=True)
    held = {}
    for e in events.itertuples():  # what a consumer holds
        if e.kind == "breach_ended":
            held[e.start] = e.end
        elif e.kind == "amended":
            held.pop(e.old_start, None)
            if not pd.isna(e.end):
                held[e.start] = e.end
    ks = [k for k in range(1, 134)] + [64 + 40 / 60]
    store = tf.TrailStore.from_arrays(
        ["S"] * len(ks), [fix(k)[0] for k in ks], [fix(k)[1] for k in ks], [fix(k)[2] for k in ks],
        [5.0] * len(ks))
    batch = store.breaches(zones)
    assert len(batch) == 1 and len(held) == 1
    assert list(held.values())[0] == batch["end"].iloc[0]
    assert events["id"].is_unique


def test_late_fix_that_changes_nothing_emits_nothing():
    zones = tf.Zones.from_geojson(STRIP)
    m = tf.Monitor(zones, allowed_lateness_s=300, history_s=600)
    for k in range(1, 141):
        push(m, k)
    assert push(m, 133.5).empty


def test_every_monitor_method_returns_one_schema():
    """push, push_many, tick and finish: the same columns and dtypes, UTC-aware times."""
    zones = tf.Zones.from_geojson(STRIP)
    m = tf.Monitor(zones, signal_loss_s=600)
    t, lon, lat = fix(64)
    a = m.push("S", t, lon, lat, 5.0, processing_time=t)
    b = m.push_many(pd.DataFrame({"subject": ["S", "S"], "time": [fix(65)[0], fix(66)[0]],
                                  "lon": [fix(65)[1], fix(66)[1]], "lat": [52.95, 52.95]}))
    c = m.tick(fix(200)[0])
    d = m.finish()
    assert list(c["kind"]) == ["signal_lost"]
    assert (d["kind"] == "breach_ended").any()
    for f in (a, b, c, d):
        assert list(f.columns) == list(d.columns)
        assert list(f.dtypes) == list(d.dtypes)
        assert str(f["start"].dtype) == "datetime64[us, UTC]"
    row = d[d["kind"] == "breach_ended"].iloc[0]
    assert row["zone"] == "strip" and row["fixes"] >= 0 and row["confidence"] in ("confirmed", "possible")
    assert all(len(i) == 16 and i == i.lower() and int(i, 16) >= 0 for i in d["id"])
    lost = c.iloc[0]
    assert lost["zone"] is None and pd.isna(lost["start"]) and pd.isna(lost["fixes"])


def test_restore_with_other_zones_is_refused_or_migrated():
    zones = tf.Zones.from_geojson(STRIP)
    m = tf.Monitor(zones, allowed_lateness_s=120, history_s=4 * 3600)
    for k in range(1, 101):
        push(m, k)
    saved = m.checkpoint()
    moved = tf.Zones.from_geojson(STRIP.replace("-1.11785", "-1.10985").replace("-1.11765", "-1.10965"))
    with pytest.raises(ValueError, match="zones"):
        tf.Monitor.restore(moved, saved)
    m2 = tf.Monitor.restore(moved, saved, migrate=True)
    kinds = list(m2.migration_events["kind"])
    assert "amended" in kinds, m2.migration_events
    assert tf.Monitor.restore(zones, saved, migrate=True).migration_events.empty
