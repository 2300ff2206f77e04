"""The redacting tracker store reads a conversation incrementally and gets exactly what Rasa's own
SQL store reads: on SQLite (the embedded default) and on PostgreSQL (the scaled configuration)."""

from __future__ import annotations

import subprocess

from harness.stack import RASA_PY, ROOT, base_env
from tests.services import require_postgresql


def run_check(url: str) -> None:
    result = subprocess.run(
        [str(RASA_PY), "-m", "tests.bot.tracker.store_check", url],
        cwd=ROOT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "same events as Rasa's store" in result.stdout


def test_sqlite_reads_match_rasas_store(tmp_path) -> None:
    run_check(f"sqlite:///{tmp_path}/tracker.db")


def test_postgresql_reads_match_rasas_store() -> None:
    run_check(require_postgresql())
