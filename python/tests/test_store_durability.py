"""ParquetStore.verify from Python: a clean store, a deleted file, a repair."""

import os
import pathlib
import stat

import pandas as pd
import pytest

import trailfence as tf

DATA = pathlib.Path(__file__).resolve().parents[2] / "data"


@pytest.fixture()
def store(tmp_path):
    df = pd.read_csv(DATA / "fixes.csv")
    df = df[df["subject"].isin(["S0001", "S0002"]) & (df["time"] < "2024-10-26")]
    st = tf.ParquetStore.open(tmp_path / "store", create=True)
    st.import_trails(tf.TrailStore.from_frame(df))
    return st, len(df)


def test_verify_and_repair(store):
    st, n = store
    clean = st.verify()
    assert clean.empty and clean.attrs["fixes_verified"] == n and not clean.attrs["repaired"]
    files = st.files()
    victim = pathlib.Path(st.dir) / files["path"][0]
    victim.unlink()
    found = st.verify()
    assert list(found["kind"]) == ["missing"] and found["fixes"][0] == files["rows"][0]
    with pytest.raises(tf.TrailfenceError):
        st.load()
    fixed = st.verify(repair=True)
    assert fixed.attrs["repaired"] and list(fixed["kind"]) == ["missing"]
    assert tf.ParquetStore.open(st.dir).verify().empty
    assert len(tf.ParquetStore.open(st.dir).load()) == n - files["rows"][0]


def test_store_files_are_owner_only(store):
    st, _ = store
    if os.name != "posix":
        pytest.skip("no Unix modes")
    root = pathlib.Path(st.dir)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "manifest.json").stat().st_mode) == 0o600
    for p in st.files()["path"]:
        assert stat.S_IMODE((root / p).stat().st_mode) == 0o600
