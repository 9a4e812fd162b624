"""`phraser draft`: a terminal prompt that suggests while you write.

The suggestions for the sentence being typed are prompt_toolkit completions, so the menu
under the line, arrow keys and Tab come from a well-kept library instead of our own
terminal code. Only what picking a suggestion does to the line is decided here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import completion_is_selected, has_completions
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings

from .match import Suggestion
from .suggest import MAX_QUERY_CHARS, Suggester, has_han, prepare
from .text import SENTENCE_END

TOOLBAR = " Tab/↑↓ pick · Enter insert, then Enter to finish the line · Ctrl-D quit "


def default_history() -> Path:
    """Where the prompt's history lives between sessions: the per-user data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("phraser", appauthor=False)) / "draft_history"


def current_sentence(before_cursor: str) -> str:
    """The sentence being written: what follows the last sentence end before the cursor."""
    start = 0
    for m in SENTENCE_END.finditer(before_cursor):
        start = m.end()
    return before_cursor[start:]


def _fold(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def splice(sentence: str, rewrite: str) -> str:
    """`sentence` with only the part that `rewrite` changes replaced.

    Rewrites are made on the normalised query (，→, and the like): copied whole they would
    change the writer's punctuation, so what folds alike at both ends is kept as typed.
    Past the length a query is cut to, the sentence is kept as it is.
    """
    head, tail = sentence[:MAX_QUERY_CHARS], sentence[MAX_QUERY_CHARS:]
    p = 0
    while p < min(len(head), len(rewrite)) and _fold(head[p]) == _fold(rewrite[p]):
        p += 1
    s = 0
    while s < min(len(head), len(rewrite)) - p and _fold(head[-1 - s]) == _fold(rewrite[-1 - s]):
        s += 1
    return head[:p] + rewrite[p : len(rewrite) - s] + head[len(head) - s :] + tail


def insertion(sentence: str, s: Suggestion) -> tuple[str, int]:
    """What picking `s` does, as (text, start position relative to the cursor).

    A rewrite replaces the sentence; an entry the sentence already contains changes
    nothing; anything else (a companion, a plainer wording's stock phrase) is inserted at
    the cursor, where the writer is about to continue.
    """
    if s.rewrite:
        return splice(sentence, s.rewrite), -len(sentence)
    if s.match == "exact":
        return "", 0
    return s.text, 0


class SuggestionCompleter(Completer):
    """Suggestions for the current sentence as completions: the entry, then how and why."""

    def __init__(self, suggester: Suggester, *, top: int = 5):
        self.suggester = suggester
        self.top = top
        self._last: tuple[str, list[Suggestion]] = ("", [])

    def suggestions(self, sentence: str) -> list[Suggestion]:
        """Suggestions for `sentence`, remembered while the cursor only moves."""
        if not has_han(prepare(sentence)):
            return []
        if self._last[0] != sentence:
            self._last = (sentence, self.suggester.suggest(sentence, top=self.top))
        return self._last[1]

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        sentence = current_sentence(document.text_before_cursor)
        # What picking can change comes first; what the sentence already contains, last.
        found = sorted(self.suggestions(sentence), key=lambda s: s.match == "exact")
        for s in found:
            text, start = insertion(sentence, s)
            meta = f"{s.match} {s.score:.2f} · {s.why}" + (f" → {text}" if s.rewrite else "")
            yield Completion(text, start_position=start, display=s.text, display_meta=meta)


def _bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter", filter=has_completions & completion_is_selected)
    def _insert(event) -> None:
        """Enter on a picked suggestion keeps it in the line instead of finishing the line."""
        event.current_buffer.complete_state = None

    return kb


def make_session(
    suggester: Suggester,
    *,
    top: int = 5,
    history: Path | None = None,
    input=None,
    output=None,
) -> PromptSession:
    """A prompt whose completion menu holds the suggestions, updated as the user types.

    `input`/`output` let tests drive it through a pipe; `history=None` keeps it in memory.
    """
    if history is not None:
        history.parent.mkdir(parents=True, exist_ok=True)
    return PromptSession(
        completer=SuggestionCompleter(suggester, top=top),
        complete_while_typing=True,
        history=FileHistory(str(history)) if history is not None else InMemoryHistory(),
        key_bindings=_bindings(),
        bottom_toolbar=TOOLBAR,
        input=input,
        output=output,
    )


def run(session: PromptSession, sink: Callable[[str], None] | None = None) -> list[str]:
    """Prompt line after line until Ctrl-C or Ctrl-D; each finished line goes to `sink`."""
    lines: list[str] = []
    while True:
        try:
            line = session.prompt("✎ ")
        except (KeyboardInterrupt, EOFError):
            return lines
        lines.append(line)
        if sink is not None:
            sink(line)
