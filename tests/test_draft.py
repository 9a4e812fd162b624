"""`phraser draft`: the prompt driven key by key through prompt_toolkit's pipe input, and the
real command in a tmux pane. Suggestions come from a real bank built from the small corpus."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from cli import cli
from phraser import draft
from phraser.bank import Bank
from phraser.index import Index
from phraser.match import Suggestion
from phraser.suggest import Suggester

TAB, ENTER, DOWN, UP, CTRL_C, CTRL_D = "\t", "\r", "\x1b[B", "\x1b[A", "\x03", "\x04"


@pytest.fixture(scope="module")
def suggester(small_bank) -> Suggester:
    return Suggester(Index.load(Bank(small_bank)))


def wait_for(condition, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for the prompt")
        time.sleep(0.02)


def menu(session) -> list[str]:
    """The entries shown in the completion menu under the line."""
    state = session.default_buffer.complete_state
    return [c.display_text for c in state.completions] if state else []


def drive(session, steps) -> list[str]:
    """Run the prompt loop here while another thread types: each step is keys to send, or
    a callable that must become true (the menu shown, the line changed) before going on."""
    errors: list[BaseException] = []

    def typist() -> None:
        try:
            wait_for(lambda: session.app.is_running)
            for step in steps:
                if callable(step):
                    wait_for(lambda step=step: step(session))
                else:
                    session.input.send_text(step)
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
            session.input.send_text(CTRL_D)

    thread = threading.Thread(target=typist)
    thread.start()
    got: list[str] = []
    lines = draft.run(session, got.append)
    thread.join()
    if errors:
        raise errors[0]
    assert lines == got
    return lines


def session_with(suggester, pipe, history: Path | None = None):
    return draft.make_session(suggester, history=history, input=pipe, output=DummyOutput())


def line_is(text: str):
    return lambda session: session.default_buffer.text == text


# -- the pieces -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "before, sentence",
    [
        ("", ""),
        ("狠抓落失", "狠抓落失"),
        ("各级要高度重视。狠抓落", "狠抓落"),
        ("第一句！第二句？\n第三", "第三"),
        ("结尾。", ""),
    ],
)
def test_current_sentence_is_what_follows_the_last_sentence_end(before, sentence):
    assert draft.current_sentence(before) == sentence


@pytest.mark.parametrize(
    "sentence, rewrite, spliced",
    [
        ("狠抓落失", "狠抓落实", "狠抓落实"),
        (
            "要高度重视安全生产，狠抓落失",
            "要高度重视安全生产,狠抓落实",
            "要高度重视安全生产，狠抓落实",
        ),
        ("统一思想，提高认", "统一思想,提高认识", "统一思想，提高认识"),
        ("以项目建设作为抓手", "以项目建设为抓手", "以项目建设为抓手"),
        ("Ａ组要狠抓落失", "a组要狠抓落实", "Ａ组要狠抓落实"),
        ("狠抓落失" + "。" * 500, "狠抓落实" + "。" * 396, "狠抓落实" + "。" * 500),
    ],
)
def test_a_rewrite_keeps_what_the_writer_typed_around_the_change(sentence, rewrite, spliced):
    assert draft.splice(sentence, rewrite) == spliced


def test_a_rewrite_replaces_the_sentence_a_contained_entry_changes_nothing():
    fix = Suggestion("狠抓落实", "phrase", "typo", 0.9, "失→实", rewrite="狠抓落实")
    assert draft.insertion("狠抓落失", fix) == ("狠抓落实", -4)
    whole = Suggestion("狠抓落实", "phrase", "typo", 0.9, "失→实", rewrite="各级,狠抓落实")
    assert draft.insertion("各级，狠抓落失", whole) == ("各级，狠抓落实", -7)
    found = Suggestion("高度重视", "phrase", "exact", 0.9, "contains")
    assert draft.insertion("要高度重视", found) == ("", 0)
    companion = Suggestion("提高认识", "phrase", "companion", 0.8, "stands beside")
    assert draft.insertion("统一思想、", companion) == ("提高认识", 0)


# -- the prompt, key by key -------------------------------------------------------------


def test_suggestions_follow_the_typing_and_tab_enter_insert_the_fix(suggester):
    with create_pipe_input() as pipe:
        session = session_with(suggester, pipe)
        lines = drive(
            session,
            [
                "狠抓落失",
                lambda s: "狠抓落实" in menu(s),
                TAB,
                line_is("狠抓落实"),
                ENTER,  # keeps the pick, closes the menu
                lambda s: s.default_buffer.complete_state is None,
                ENTER,  # finishes the line
                CTRL_D,
            ],
        )
    assert lines == ["狠抓落实"]


def test_the_menu_changes_with_the_sentence_under_the_cursor(suggester):
    seen: dict[str, list[str]] = {}

    def shows(key: str, entry: str):
        def check(session) -> bool:
            seen[key] = menu(session)
            return entry in seen[key]

        return check

    with create_pipe_input() as pipe:
        session = session_with(suggester, pipe)
        drive(
            session,
            [
                "狠抓落失",
                shows("typo", "狠抓落实"),
                "。以科学发展观作为指导",
                shows("template", "以……为指导"),
                CTRL_C,
            ],
        )
    assert "以……为指导" not in seen["typo"]
    assert "狠抓落实" not in seen["template"]


def test_arrow_keys_walk_the_menu_and_enter_inserts_at_the_cursor(suggester):
    with create_pipe_input() as pipe:
        session = session_with(suggester, pipe)
        shown: list[str] = []

        def menu_open(session) -> bool:
            shown[:] = menu(session)
            return len(shown) >= 2

        def second_picked(session) -> bool:
            state = session.default_buffer.complete_state
            return state is not None and state.complete_index == 1

        lines = drive(
            session,
            ["统一思想、", menu_open, DOWN, DOWN, second_picked, ENTER, ENTER, CTRL_D],
        )
    second = next(s for s in suggester.suggest("统一思想、", top=5) if s.text == shown[1])
    text, start = draft.insertion("统一思想、", second)
    assert lines == ["统一思想、"[: len("统一思想、") + start] + text]
    assert lines[0] != "统一思想、"


def test_history_is_kept_across_sessions(suggester, tmp_path):
    history = tmp_path / "data" / "draft_history"
    with create_pipe_input() as pipe:
        drive(session_with(suggester, pipe, history), ["高度重视安全生产", ENTER, CTRL_D])
    assert "高度重视安全生产" in history.read_text(encoding="utf-8")
    with create_pipe_input() as pipe:
        lines = drive(
            session_with(suggester, pipe, history),
            [UP, line_is("高度重视安全生产"), ENTER, CTRL_D],
        )
    assert lines == ["高度重视安全生产"]


def test_ctrl_c_leaves_cleanly_mid_line(suggester):
    with create_pipe_input() as pipe:
        lines = drive(
            session_with(suggester, pipe),
            ["真抓实干", ENTER, "没写完", line_is("没写完"), CTRL_C],
        )
    assert lines == ["真抓实干"]


def test_ctrl_d_on_an_empty_line_leaves_cleanly(suggester):
    with create_pipe_input() as pipe:
        lines = drive(session_with(suggester, pipe), ["真抓实干", ENTER, CTRL_D])
    assert lines == ["真抓实干"]


# -- the command ------------------------------------------------------------------------


def test_draft_without_a_terminal_is_a_one_line_usage_error(runner, small_bank):
    result = runner.invoke(cli, ["draft", "--db", str(small_bank)], input="狠抓落失\n")
    assert result.exit_code == 2
    assert "needs a terminal" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_real_command_in_a_terminal(small_bank, tmp_path):
    """`phraser draft` in a tmux pane: the menu is drawn under the line, Tab and Enter fix
    the typo, the line lands in the output file and the history, Ctrl-D leaves."""
    socket = f"phraser-test-{uuid.uuid4().hex[:8]}"
    out, history = tmp_path / "out.txt", tmp_path / "history"
    phraser = Path(sys.executable).with_name("phraser")
    command = (
        f"{phraser} draft --db {small_bank} --history {history} -o {out}; "
        f"echo exit=$? >> {tmp_path / 'status'}"
    )

    def tmux(*args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", socket, *args], capture_output=True, text=True, check=True
        ).stdout

    def screen_shows(needle: str) -> str:
        wait_for(lambda: needle in tmux("capture-pane", "-p"), timeout=20)
        return tmux("capture-pane", "-p")

    tmux("new-session", "-d", "-x", "100", "-y", "20", command)
    try:
        screen_shows("Ctrl-D quit")
        tmux("send-keys", "-l", "狠抓落失")
        screen = screen_shows("失→实")
        rows = screen.splitlines()
        typed = next(i for i, row in enumerate(rows) if "✎ 狠抓落失" in row)
        assert "狠抓落实" in rows[typed + 1] and "typo" in rows[typed + 1]
        tmux("send-keys", "Tab")
        screen_shows("✎ 狠抓落实")
        tmux("send-keys", "Enter", "Enter", "C-d")
        wait_for(lambda: (tmp_path / "status").exists(), timeout=20)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    assert (tmp_path / "status").read_text().strip() == "exit=0"
    assert out.read_text(encoding="utf-8") == "狠抓落实\n"
    assert "+狠抓落实" in history.read_text(encoding="utf-8")
