"""Ranking: one list across matchers, best first, with no near-duplicates crowding the top."""

from __future__ import annotations

from .match import Suggestion

#: At most this share of the list are phrases the sentence already contains while other
#: matchers have something: a sentence full of ordinary phrases should not hide the one
#: fix or paraphrase it needs.
MAX_SHARE = 0.6
CAPPED = {"exact"}
#: A suggestion of another kind strong enough to take an exact hit's place.
STRONG = 0.75


def rank(
    candidates: list[Suggestion], *, top: int = 5, pinned: frozenset[str] = frozenset()
) -> list[Suggestion]:
    """Keep each text once (its best score), then push near-duplicates below the rest.

    Entries the user pinned come first when they match at all, best first: the user
    said they are the formulation to use.

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
    first = [s for s in ordered if s.text in pinned][:top]
    for s in first:
        s.pinned = True
    ordered = [s for s in ordered if s.text not in pinned]
    shown: list[Suggestion] = []
    later: list[Suggestion] = []
    for s in ordered:
        if any(s.kind == o.kind and (s.text in o.text or o.text in s.text) for o in shown):
            later.append(s)
        else:
            shown.append(s)
    return first + _share((shown + later), top - len(first))


def _share(ordered: list[Suggestion], top: int) -> list[Suggestion]:
    """Past the cap, an exact hit gives way only to a strong suggestion of another kind."""
    cap = max(1, int(top * MAX_SHARE))
    strong = [s for s in ordered if s.match not in CAPPED and s.score >= STRONG]
    out: list[Suggestion] = []
    exact = 0
    for s in ordered:
        if len(out) == top:
            break
        if s in out:
            continue
        if s.match in CAPPED:
            if exact >= cap:
                waiting = [o for o in strong if o not in out]
                if waiting and len(out) + len(waiting) >= top:
                    continue
            exact += 1
        out.append(s)
    return out
