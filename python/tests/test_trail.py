"""Trail requests through Python: ordering, duplicates, conflicts."""

import trailfence as tf


def test_out_of_order_duplicates_and_conflicts(tmp_path):
    p = tmp_path / "fixes.csv"
    p.write_text("subject,time,lon,lat,accuracy_m\n"
                 "A,2024-01-01T00:02:00Z,0.2,51,5\n"
                 "A,2024-01-01T00:00:00Z,0.0,51,\n"
                 "A,2024-01-01T00:00:00Z,0.0,51,\n"
                 "A,2024-01-01T00:01:00Z,0.1,51,5\n"
                 "A,2024-01-01T00:03:00Z,0.3,51,5\n"
                 "A,2024-01-01T00:03:00Z,0.4,51,5\n")
    store = tf.TrailStore.from_csv(p)
    df = store.trail("A", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    assert list(df["lon"]) == [0.0, 0.1, 0.2]
    assert df["accuracy_m"].isna().tolist() == [True, False, False]
    assert store.ingest_summary() == {"received": 6, "stored": 3, "duplicates_dropped": 1,
                                      "conflicting_fixes": 2, "out_of_order": 3}


def test_empty_window_is_an_empty_frame(tmp_path):
    p = tmp_path / "fixes.csv"
    p.write_text("subject,time,lon,lat\nA,2024-01-01T00:00:00Z,0,51\n")
    df = tf.TrailStore.from_csv(p).trail("A", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
    assert len(df) == 0 and list(df.columns) == ["subject", "time", "lon", "lat", "accuracy_m"]
