"""The peer benchmark script runs end to end on tiny data (no timing claims),
so it cannot rot; its agreement checks must pass."""

import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "benches" / "peers" / "run.py"


def test_peer_benchmark_smoke(tmp_path):
    for peer in ("duckdb", "shapely", "h3"):
        pytest.importorskip(peer)
    spec = importlib.util.spec_from_file_location("peers_run", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "table.md"
    assert mod.main(["--smoke", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| T1 " in text and "| T4 " in text and "| T5 " in text
