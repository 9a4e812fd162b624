"""An entry's card: everything the bank knows about one phrase or template."""

from __future__ import annotations

from .bank import Bank
from .text import slot_marks


def card(bank: Bank, text: str) -> dict | None:
    """The card of `text` (a phrase, or a template written with …… as its slot), or None.

    The user's curation (pinned, banned, added, note) is on the card when there is any."""
    entry = _card(bank, text)
    if entry is not None:
        mark = bank.curation(entry["text"])
        if mark is not None:
            for flag in ("pinned", "banned", "added"):
                if mark[flag]:
                    entry[flag] = True
            if mark["note"]:
                entry["note"] = mark["note"]
    return entry


def _card(bank: Bank, text: str) -> dict | None:
    phrase = bank.phrase(text)
    if phrase is not None:
        examples = bank.examples("phrase", phrase["id"])
        return {
            "text": phrase["text"],
            "kind": "phrase",
            "count": phrase["count"],
            "documents": phrase["doc_count"],
            "score": phrase["score"],
            "pmi": phrase["pmi"],
            "left_entropy": phrase["left_entropy"],
            "right_entropy": phrase["right_entropy"],
            "dispersion": phrase["dispersion"],
            "examples": [dict(e, highlight=len(text)) for e in examples],
            "companions": bank.companions(phrase["id"]),
            "templates": bank.templates_filled_by(text),
            "sources": bank.entry_documents("phrase", phrase["id"]),
        }
    template = bank.template(slot_marks(text))
    if template is not None:
        examples = bank.examples("template", template["id"])
        return {
            "text": template["text"],
            "kind": "template",
            "count": template["count"],
            "documents": template["doc_count"],
            "fillers_seen": template["filler_count"],
            "score": template["score"],
            "examples": [dict(e, highlight=len(template["prefix"])) for e in examples],
            "fillers": bank.fillers(template["id"]),
            "sources": bank.entry_documents("template", template["id"]),
        }
    return None
