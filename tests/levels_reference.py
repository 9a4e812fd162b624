"""The levels as they were counted before runs of chunks (issue 7), kept only to check the
library against: every position of the corpus in numpy arrays at once, each n-gram a
dense id (its head's id × the alphabet size + its last character) counted by np.unique.
Exact, without hashes, but ≈ 125 bytes a character of the corpus."""

from __future__ import annotations

import numpy as np

from phraser import text as textmod
from phraser.corpus import Spool
from phraser.mine import HEAD_ENTROPY, TAIL_ENTROPY, MineParams


def reference_levels(spool: Spool, p: MineParams):
    """(counts, left, right, han_chars), as `Miner.count_levels` must leave them."""
    counts_out: dict[str, int] = {}
    left_out: dict[str, float] = {}
    right_out: dict[str, float] = {}
    clauses = [c for _info, body in spool.texts() for c in textmod.HAN_RUN.findall(body)]
    text = "\x00".join(clauses)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    alphabet, chars = np.unique(codes, return_inverse=True)
    chars = chars.reshape(-1).astype(np.int32)
    ok = codes != 0
    size = len(chars)
    ids = np.where(ok, chars, -1).astype(np.int32)
    counts = np.bincount(chars[ok], minlength=len(alphabet))
    first = np.full(len(alphabet), size, dtype=np.int64)
    np.minimum.at(first, chars[ok], np.flatnonzero(ok))
    han_chars = int(ok.sum())
    seen = counts > 0
    for i, c in zip(first[seen], counts[seen], strict=True):
        counts_out[text[i]] = int(c)
    frequent = counts >= p.min_count
    prev_counts, prev_pos = counts, first
    for n in range(2, p.max_len + 2):
        if not frequent.any():
            break
        m = max(0, size - n + 1)
        at = np.flatnonzero((ids[:m] >= 0) & ok[n - 1 :]).astype(np.int32)
        keys = ids[at].astype(np.int64) * len(alphabet) + chars[at + n - 1]
        uniq, where, inverse, cnt = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        pos = at[where]
        head = uniq // len(alphabet)
        tail = ids[pos + 1]
        clogc = cnt * np.log(cnt)
        right = np.bincount(head, weights=clogc, minlength=len(frequent))
        left = np.bincount(tail, weights=clogc, minlength=len(frequent))
        _keep(p, text, n - 1, frequent, prev_counts, prev_pos, left, right, left_out, right_out)
        nxt = (cnt >= p.min_count) & frequent[head] & frequent[tail] & (n <= p.max_len)
        for i, c in zip(pos[nxt], cnt[nxt], strict=True):
            counts_out[text[i : i + n]] = int(c)
        ids = np.full(m, -1, dtype=np.int32)
        ids[at] = inverse.reshape(-1)
        prev_counts, prev_pos, frequent = cnt, pos, nxt
    return counts_out, left_out, right_out, han_chars


def _keep(p, text, size, frequent, counts, pos, left, right, left_out, right_out) -> None:
    c = counts.astype(np.float64)
    logc = np.log(np.maximum(c, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        le = np.where(c > 1, np.maximum(0.0, logc - left / c), 0.0)
        ri = np.where(c > 1, np.maximum(0.0, logc - right / c), 0.0)
    norm = np.where(c > 1, logc, 1.0)
    candidate = (p.min_len <= size <= p.max_len) & (np.minimum(le, ri) >= p.min_entropy)
    keep_left = frequent & (candidate | ((2 <= size <= 6) & (le / norm >= TAIL_ENTROPY)))
    keep_right = frequent & (candidate | ((size <= 2) & (ri / norm >= HEAD_ENTROPY)))
    for k in np.nonzero(keep_left | keep_right)[0]:
        g = text[pos[k] : pos[k] + size]
        if keep_left[k]:
            left_out[g] = float(le[k])
        if keep_right[k]:
            right_out[g] = float(ri[k])
