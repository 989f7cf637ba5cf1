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
    assert mod.main(["--smoke", "--out", str(out), "--work", str(tmp_path / "work")]) == 0
    text = out.read_text()
    for task in ("T1", "T2", "T3", "T4", "T5", "T6"):
        assert f"| {task} " in text, task
