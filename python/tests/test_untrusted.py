"""Crafted files never surface as pyo3's PanicException (which `except Exception` does not catch)."""

import pathlib

import pytest

import trailfence as tf

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((ROOT / "fuzz" / "regressions" / "parquet").glob("*.parquet")),
                         ids=lambda p: p.name)
def test_parquet_decoder_panics_are_trailfence_errors(path):
    try:
        tf.TrailStore.from_file(path, strict=False)
    except tf.TrailfenceError as e:
        assert str(path) in str(e) and "malformed file" in str(e)
    except BaseException as e:  # pragma: no cover - the failure being pinned
        pytest.fail(f"{type(e).__name__} escaped: {e}")
    else:  # pragma: no cover
        pytest.fail("a crafted file was accepted")


def test_non_utf8_zones_are_a_validation_error(tmp_path):
    p = tmp_path / "z.geojson"
    p.write_bytes(b'{"type":"FeatureCollection",\n"features":[\xff]}')
    with pytest.raises(ValueError, match="line 2"):
        tf.Zones.from_geojson(p)


def test_io_failures_are_oserrors_and_bad_input_is_valueerror(tmp_path):
    """One error conversion: a file that cannot be read is a StorageError (an
    OSError), bad input a ValidationError (a ValueError); both are TrailfenceErrors."""
    with pytest.raises(OSError) as err:
        tf.ParquetStore.open(tmp_path / "no-such-store")
    assert isinstance(err.value, tf.StorageError) and isinstance(err.value, tf.TrailfenceError)
    with pytest.raises(OSError):
        tf.TrailStore.from_file(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,time,lon,lat\nA,2024-01-01T00:00:00Z,0,91\n")
    with pytest.raises(ValueError) as err:
        tf.TrailStore.from_file(bad)
    assert isinstance(err.value, tf.ValidationError) and not isinstance(err.value, OSError)
