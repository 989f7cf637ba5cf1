"""Issue 18's reproductions from Python: a monitor under late fixes gives the
batch engine's final episodes, and never sends an event twice."""
import datetime as dt

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
    events = []
    for k in range(1, 134):
        events += push(m, k)
    late = push(m, 64 + 40 / 60)  # inside the strip, 4,100 s late
    assert [e["kind"] for e in late] == ["amended"], late
    events += late + m.finish()
    held = {}
    for e in events:  # what a consumer holds
        if e["kind"] == "breach_ended":
            held[e["start_us"]] = e["end_us"]
        elif e["kind"] == "amended":
            held.pop(e["old_start_us"], None)
            if e["end_us"] is not None:
                held[e["start_us"]] = e["end_us"]
    ks = [k for k in range(1, 134)] + [64 + 40 / 60]
    store = tf.TrailStore.from_arrays(
        ["S"] * len(ks), [fix(k)[0] for k in ks], [fix(k)[1] for k in ks], [fix(k)[2] for k in ks],
        [5.0] * len(ks))
    batch = store.breaches(zones)
    assert len(batch) == 1 and len(held) == 1
    assert list(held.values())[0] == int(batch["end"].iloc[0].value // 1000)
    assert len({e["id"] for e in events}) == len(events)


def test_late_fix_that_changes_nothing_emits_nothing():
    zones = tf.Zones.from_geojson(STRIP)
    m = tf.Monitor(zones, allowed_lateness_s=300, history_s=600)
    for k in range(1, 141):
        push(m, k)
    assert push(m, 133.5) == []
