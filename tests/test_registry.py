from __future__ import annotations

import json

import pytest

from models.registry import ArtifactError, atomic_folder, read_meta


def test_atomic_folder_replaces_on_success(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_folder(target) as staging:
        (staging / "new.txt").write_text("new")
        assert not (target / "new.txt").exists()  # nothing visible until the rename
    assert (target / "new.txt").read_text() == "new"
    assert not (target / "old.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_atomic_folder_leaves_target_untouched_on_error(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    with pytest.raises(RuntimeError), atomic_folder(target) as staging:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("crash mid-write")
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_read_meta_refuses_other_format_version(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"format_version": 99}))
    with pytest.raises(ArtifactError, match="format version 99"):
        read_meta(tmp_path, format_version=1)
    assert read_meta(tmp_path)["format_version"] == 99
    with pytest.raises(ArtifactError, match="no meta.json"):
        read_meta(tmp_path / "missing")
