"""Ranking: one list across matchers, best first, with no near-duplicates crowding the top."""

from __future__ import annotations

from .match import Suggestion


def rank(candidates: list[Suggestion], *, top: int = 5) -> list[Suggestion]:
    """Keep each text once (its best score), then push near-duplicates below the rest.

    Two entries of one kind are near-duplicates when one text contains the other
    (统一思想 / 统一思想认识): the second waits until every distinct one has been shown.
    A template is never a near-duplicate of a phrase (开创……新局面 / 新局面).
    """
    best: dict[str, Suggestion] = {}
    for s in candidates:
        if s.text not in best or s.score > best[s.text].score:
            best[s.text] = s
    ordered = sorted(best.values(), key=lambda s: (-s.score, len(s.text), s.text))
    shown: list[Suggestion] = []
    later: list[Suggestion] = []
    for s in ordered:
        if any(s.kind == o.kind and (s.text in o.text or o.text in s.text) for o in shown):
            later.append(s)
        else:
            shown.append(s)
    return (shown + later)[:top]
