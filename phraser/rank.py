"""Ranking: one list across matchers, best first, with no near-duplicates crowding the top."""

from __future__ import annotations

from .match import Suggestion

#: At most this share of the list are phrases the sentence already contains while other
#: matchers have something: a sentence full of ordinary phrases should not hide the one
#: fix or paraphrase it needs.
MAX_SHARE = 0.6
CAPPED = {"exact"}


def rank(candidates: list[Suggestion], *, top: int = 5) -> list[Suggestion]:
    """Keep each text once (its best score), then push near-duplicates below the rest.

    Two entries of one kind are near-duplicates when one text contains the other
    (统一思想 / 统一思想认识): the second waits until every distinct one has been shown.
    A template is never a near-duplicate of a phrase (开创……新局面 / 新局面). No matcher
    fills more than MAX_SHARE of the list with exact hits while another has a candidate.
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
    return _share((shown + later), top)


def _share(ordered: list[Suggestion], top: int) -> list[Suggestion]:
    cap = max(1, int(top * MAX_SHARE))
    picked: list[Suggestion] = []
    deferred: list[Suggestion] = []
    counts: dict[str, int] = {}
    for s in ordered:
        if s.match in CAPPED and counts.get(s.match, 0) >= cap:
            deferred.append(s)
            continue
        counts[s.match] = counts.get(s.match, 0) + 1
        picked.append(s)
        if len(picked) == top:
            return picked
    return (picked + deferred)[:top]
