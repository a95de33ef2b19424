from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from claims.cli import app
from synth.generate import generate, load_manifest


def test_small_dataset_has_every_part(small_dataset):
    manifest = load_manifest(small_dataset)
    assert set(manifest["counts"]) >= {"appeals", "decisions", "search_queries", "refund_cases", "packages"}
    for name in ("appeals", "decisions", "search_queries", "refund_cases", "packages"):
        lines = (small_dataset / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == manifest["counts"][name] > 0
        json.loads(lines[0])


def test_generation_is_deterministic_without_packages(tmp_path, monkeypatch):
    """Same seed, same bytes (packages are skipped here for speed; their text is seeded the same way)."""
    import synth.generate as g

    monkeypatch.setitem(
        g.SIZES,
        "tiny",
        {
            "appeals_per_family": 1,
            "decisions": 20,
            "queries": 5,
            "refund_per_scenario": 1,
            "packages_per_process": 0,
        },
    )
    generate(tmp_path / "a", seed=4, size="tiny")
    generate(tmp_path / "b", seed=4, size="tiny")
    for name in ("appeals", "decisions", "search_queries", "refund_cases"):
        assert (tmp_path / "a" / f"{name}.jsonl").read_bytes() == (tmp_path / "b" / f"{name}.jsonl").read_bytes()


def test_unknown_size_is_refused_and_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="unknown size"):
        generate(tmp_path / "x", size="huge")
    assert not (tmp_path / "x").exists()
    result = CliRunner().invoke(app, ["data", "generate", "--size", "huge", "--out", str(tmp_path / "y")])
    assert result.exit_code == 1 and "unknown size" in result.output
