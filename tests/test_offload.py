"""Work handed to a second process: its value comes back, its failure is reported, a
failed build stops it, and a caller's script needs no `if __name__ == "__main__"`."""

from __future__ import annotations

import math
import subprocess
import sys
import time

import pytest
from conftest import REPO

from phraser.offload import Later, Offload, OffloadError


def test_a_job_returns_its_value():
    assert Offload(math.comb, 10, 3).get() == 120


def test_a_failed_job_is_an_error_that_names_its_exception():
    with pytest.raises(OffloadError, match="TypeError"):
        Offload(math.comb, "ten", 3).get()


@pytest.mark.parametrize("background", [True, False])
def test_a_later_value_is_the_same_from_either_process(background):
    later = Later(math.comb, 10, 3, background=background)
    assert (later.job is not None) == background
    assert later.get() == 120
    later.close()  # nothing left to stop


def test_a_nice_job_runs_at_a_lower_priority():
    """`nice` lowers the second process's priority by that much (never this one's)."""
    import os

    mine = os.nice(0)
    assert Offload(os.nice, 0).get() == mine
    assert Offload(os.nice, 0, nice=3).get() == min(19, mine + 3)
    assert os.nice(0) == mine


def test_side_files_are_made_at_a_lower_priority(monkeypatch, tmp_path):
    """The sense rows' and trigram index's processes yield to the build (`SIDE_NICE`):
    their tables are only copied in at the end."""
    import sqlite_utils

    import phraser.offload
    from phraser import bank

    asked = []

    class Recorded:
        def __init__(self, fn, *args, nice=0):
            asked.append(nice)

    monkeypatch.setattr(phraser.offload, "Offload", Recorded)
    db = sqlite_utils.Database(tmp_path / "b.sqlite")
    db["t"].create({"x": int})
    bank._SideFile(db, tmp_path / "side", print, (), needs=("t",), takes=(), background=True)
    assert asked == [bank.SIDE_NICE] and bank.SIDE_NICE > 0


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


def test_a_failed_word_cutting_process_is_a_one_line_build_error(
    monkeypatch, small_corpus, bank_copy, runner
):
    from cli import cli
    from phraser import mine

    before = bank_copy.read_bytes()
    monkeypatch.setattr(mine, "MIN_RUN_CHARS", 1)  # several runs: their words cut ahead
    monkeypatch.setattr(mine, "cut_runs", math.comb)  # the child calls it wrongly
    args = ["build", str(small_corpus), "--db", str(bank_copy), "--workers", "2"]
    result = runner.invoke(cli, args)
    assert result.exit_code != 0
    assert "second process" in result.output and "as an integer" in result.output
    assert "Traceback" not in result.output + result.stderr
    assert bank_copy.read_bytes() == before


def test_phrase_words_from_a_second_process_equal_inline(
    monkeypatch, small_corpus, small_bank, tmp_path
):
    """The miner cuts its phrases' words in a second process on a large corpus (with
    several workers): the bank's words are the ones cut here."""
    import sqlite3

    from phraser import mine
    from phraser.build import build

    monkeypatch.setattr(mine, "BACKGROUND_WORDS", 1)
    out = tmp_path / "bank.sqlite"
    build([small_corpus], out, workers=2)
    query = "select text, words from phrases order by id"
    with sqlite3.connect(small_bank) as a, sqlite3.connect(out) as b:
        inline = a.execute(query).fetchall()
        assert len(inline) > 10 and b.execute(query).fetchall() == inline


def test_a_failed_words_process_is_a_one_line_build_error(monkeypatch, small_corpus, tmp_path):
    from phraser import mine
    from phraser.build import BuildError, build

    monkeypatch.setattr(mine, "BACKGROUND_WORDS", 1)
    monkeypatch.setattr(mine, "words_of", math.comb)  # the child calls it wrongly
    with pytest.raises(BuildError, match="second process.*TypeError.*left as it was"):
        build([small_corpus], tmp_path / "bank.sqlite", workers=2)
    assert not list(tmp_path.glob("*.sqlite"))
