"""Ranking: one list across matchers, best first, with no near-duplicates crowding the top."""

from __future__ import annotations

from .match import Suggestion


def rank(candidates: list[Suggestion], *, top: int = 5) -> list[Suggestion]:
    """Keep each text once (its best score), then push near-duplicates below the rest.

    Two suggestions are near-duplicates when one text contains the other (统一思想 /
    统一思想认识): the second of them waits until every distinct one has been shown.
    """
    best: dict[str, Suggestion] = {}
    for s in candidates:
        if s.text not in best or s.score > best[s.text].score:
            best[s.text] = s
    ordered = sorted(best.values(), key=lambda s: (-s.score, len(s.text), s.text))
    shown: list[Suggestion] = []
    later: list[Suggestion] = []
    for s in ordered:
        if any(s.text in o.text or o.text in s.text for o in shown):
            later.append(s)
        else:
            shown.append(s)
    return (shown + later)[:top]
