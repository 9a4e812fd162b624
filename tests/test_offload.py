"""Work handed to a second process: its value comes back, its failure is reported, a
failed build stops it, and a caller's script needs no `if __name__ == "__main__"`."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest
from conftest import REPO

from phraser.offload import Offload, OffloadError


def test_a_job_returns_its_value():
    assert Offload(math.comb, 10, 3).get() == 120


def test_a_failed_job_is_an_error_that_names_its_exception():
    with pytest.raises(OffloadError, match="TypeError"):
        Offload(math.comb, "ten", 3).get()


def test_close_stops_a_running_job():
    job = Offload(time.sleep, 60)
    started = time.perf_counter()
    job.close()
    assert time.perf_counter() - started < 10
    with pytest.raises(OffloadError):
        job.get()


def test_a_script_without_a_main_guard_builds_with_second_processes(small_corpus, tmp_path):
    script = tmp_path / "plain.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from phraser import bank\n"
        "from phraser.build import build\n"
        "bank.BACKGROUND_WORK = 1\n"
        "build([Path(sys.argv[1])], Path(sys.argv[2]))\n"
        "print('built')\n",
        encoding="utf-8",
    )
    out = tmp_path / "bank.sqlite"
    done = subprocess.run(
        [sys.executable, str(script), str(small_corpus), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("built") == 1 and out.exists()


def test_a_failed_second_process_is_a_one_line_build_error(
    monkeypatch, small_corpus, bank_copy, runner
):
    from cli import cli
    from phraser import bank, build

    before = bank_copy.read_bytes()
    monkeypatch.setattr(bank, "BACKGROUND_WORK", 1)
    monkeypatch.setattr(build, "sense_rows", math.comb)  # the child calls it wrongly
    result = runner.invoke(cli, ["build", str(small_corpus), "--db", str(bank_copy)])
    assert result.exit_code != 0
    assert "second process" in result.output and "takes no keyword arguments" in result.output
    assert "Traceback" not in result.output + result.stderr
    assert bank_copy.read_bytes() == before
