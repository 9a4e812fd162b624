// phraser's drafting page. Every string from the bank or the user reaches the DOM as
// text (textContent, text nodes), never as markup.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const draft = $("draft");
  const backdrop = $("backdrop");
  const fixBox = $("fix");
  const fixApply = $("fix-apply");
  const fixWhy = $("fix-why");
  const statusLine = $("status");
  const suggestionList = $("suggestions");
  const sentenceLabel = $("sentence");
  const pattern = $("pattern");
  const results = $("results");
  const resultsTitle = $("results-title");
  const tip = $("examples");

  // The same sentence ends as phraser.text.SENTENCE_END.
  const SENTENCE_END = /[。！？!?；;\n]+/g;
  // phraser.suggest.MAX_QUERY_CHARS: a rewrite covers at most this much of a sentence.
  const MAX_QUERY_CHARS = 400;

  let findings = []; // {start, end} in UTF-16 units of draft.value, plus the finding
  let lastText = "";
  let shown = null; // {start, end, sentence} the suggestion list is for
  let suggestSeq = 0;
  let checkSeq = 0;

  function debounce(fn, ms) {
    let timer;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(message) {
    statusLine.textContent = message;
  }

  async function api(path, options) {
    const response = await fetch(path, options);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : response.statusText;
      throw new Error(`${response.status} ${detail}`);
    }
    return body;
  }

  // Python counts code points, JavaScript strings UTF-16 units: convert at the border.
  function unitOffset(text, codePoints) {
    let units = 0;
    let seen = 0;
    for (const ch of text) {
      if (seen === codePoints) break;
      units += ch.length;
      seen += 1;
    }
    return units;
  }

  // -- the sentence under the cursor -------------------------------------------------

  // The last non-blank sentence that starts at or before the caret: the one being
  // written, or the one just ended when the caret sits after its 。.
  function sentenceAt(text, caret) {
    const ranges = [];
    let start = 0;
    for (const m of text.matchAll(SENTENCE_END)) {
      ranges.push([start, m.index]);
      start = m.index + m[0].length;
    }
    ranges.push([start, text.length]);
    let pick = null;
    for (const [s, e] of ranges) {
      if (s > caret) break;
      if (text.slice(s, e).trim()) pick = { start: s, end: e, sentence: text.slice(s, e) };
    }
    return pick;
  }

  const fold = (ch) => ch.normalize("NFKC").toLowerCase();

  // phraser.draft.splice: replace only what a rewrite changes, keeping the writer's
  // punctuation (rewrites are made on the normalised sentence, ，→,).
  function splice(sentence, rewrite) {
    const chars = Array.from(sentence);
    const head = chars.slice(0, MAX_QUERY_CHARS);
    const tail = chars.slice(MAX_QUERY_CHARS).join("");
    const r = Array.from(rewrite);
    const n = Math.min(head.length, r.length);
    let p = 0;
    while (p < n && fold(head[p]) === fold(r[p])) p += 1;
    let s = 0;
    while (s < n - p && fold(head[head.length - 1 - s]) === fold(r[r.length - 1 - s])) s += 1;
    return (
      head.slice(0, p).join("") +
      r.slice(p, r.length - s).join("") +
      head.slice(head.length - s).join("") +
      tail
    );
  }

  function replaceRange(start, end, text) {
    draft.focus();
    draft.setSelectionRange(start, end);
    // insertText keeps the browser's undo history; setRangeText is the fallback.
    if (!document.execCommand("insertText", false, text)) {
      draft.setRangeText(text, start, end, "end");
      draft.dispatchEvent(new Event("input"));
    }
  }

  // -- suggestions ---------------------------------------------------------------------

  async function updateSuggestions() {
    const text = draft.value;
    const range = sentenceAt(text, draft.selectionStart);
    if (!range) {
      shown = null;
      sentenceLabel.textContent = "";
      suggestionList.replaceChildren();
      return;
    }
    if (shown && shown.sentence === range.sentence && shown.start === range.start) return;
    const seq = ++suggestSeq;
    let answer;
    try {
      const query = new URLSearchParams({ q: range.sentence.slice(0, 1000), top: "8" });
      answer = await api(`/api/suggest?${query}`);
    } catch (err) {
      say(`suggestions failed: ${err.message}`);
      return;
    }
    if (seq !== suggestSeq) return;
    shown = range;
    const label = range.sentence.trim();
    sentenceLabel.textContent = label.length > 24 ? `${label.slice(0, 24)}…` : label;
    renderSuggestions(answer.suggestions);
  }

  function renderSuggestions(suggestions) {
    const items = suggestions.map((s) => {
      const li = el("li");
      const pick = el("button", "pick", s.text);
      pick.type = "button";
      let why = s.why;
      if (s.rewrite) {
        why += ` → ${splice(shown.sentence, s.rewrite)}`;
        pick.title = "replace the sentence";
      } else if (s.match === "exact") {
        pick.disabled = true;
        pick.title = "the sentence contains it";
      } else {
        pick.title = "insert at the cursor";
      }
      pick.addEventListener("click", () => apply(s));
      li.append(pick, el("span", "tag", `${s.match} ${s.score.toFixed(2)}`), el("div", "why", why));
      hoverExamples(li, s.text);
      return li;
    });
    if (!items.length) items.push(el("li", "empty", "no suggestions for this sentence"));
    suggestionList.replaceChildren(...items);
  }

  function apply(s) {
    const range = shown;
    if (!range || draft.value.slice(range.start, range.end) !== range.sentence) return;
    if (s.rewrite) {
      replaceRange(range.start, range.end, splice(range.sentence, s.rewrite));
    } else {
      const at = draft.selectionStart;
      replaceRange(at, draft.selectionEnd, s.text);
    }
  }

  // -- typos -------------------------------------------------------------------------

  async function updateCheck() {
    const text = draft.value;
    const seq = ++checkSeq;
    if (!text.trim()) {
      findings = [];
      renderBackdrop();
      return;
    }
    let answer;
    try {
      answer = await api("/api/check", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
    } catch (err) {
      say(`check failed: ${err.message}`);
      return;
    }
    if (seq !== checkSeq || draft.value !== text) return;
    findings = answer.findings.map((f) => {
      const start = unitOffset(text, f.offset);
      return { start, end: start + unitOffset(text.slice(start), f.length), finding: f };
    });
    renderBackdrop();
  }

  // Underlines live in a copy of the text behind the transparent textarea.
  function renderBackdrop() {
    const text = draft.value;
    const nodes = [];
    let at = 0;
    findings.forEach((f, i) => {
      if (f.start < at) return;
      nodes.push(text.slice(at, f.start));
      const mark = el("mark", f.finding.level, text.slice(f.start, f.end));
      mark.dataset.i = String(i);
      nodes.push(mark);
      at = f.end;
    });
    nodes.push(`${text.slice(at)}\n`);
    backdrop.replaceChildren(...nodes);
    backdrop.scrollTop = draft.scrollTop;
    const count = (level) => findings.filter((f) => f.finding.level === level).length;
    const plural = (n, word) => `${n} ${word}${n > 1 ? "s" : ""}`;
    const [typos, hints] = [count("typo"), count("hint")];
    const parts = [typos && plural(typos, "typo"), hints && plural(hints, "hint")];
    say(typos || hints ? `${parts.filter(Boolean).join(", ")}: click the underlined words` : "");
  }

  // Keep underlines in place while the text around them changes.
  function shiftFindings(before, after) {
    let p = 0;
    while (p < before.length && p < after.length && before[p] === after[p]) p += 1;
    let s = 0;
    while (
      s < before.length - p &&
      s < after.length - p &&
      before[before.length - 1 - s] === after[after.length - 1 - s]
    ) {
      s += 1;
    }
    const oldEnd = before.length - s;
    const delta = after.length - before.length;
    findings = findings
      .filter((f) => f.end <= p || f.start >= oldEnd)
      .map((f) => (f.start >= oldEnd ? { ...f, start: f.start + delta, end: f.end + delta } : f));
  }

  let offered = null;

  function offerFix() {
    const caret = draft.selectionStart;
    const i = draft.selectionEnd === caret
      ? findings.findIndex((f) => f.start <= caret && caret <= f.end)
      : -1;
    if (i < 0) {
      hideFix();
      return;
    }
    const f = findings[i];
    const mark = backdrop.querySelector(`mark[data-i="${i}"]`);
    if (!mark) return;
    offered = f;
    fixApply.textContent = f.finding.right;
    fixApply.title = `replace ${f.finding.wrong} with ${f.finding.right}`;
    fixWhy.textContent = `${f.finding.level}: ${f.finding.why}`;
    const box = $("editor").getBoundingClientRect();
    const rect = mark.getClientRects()[0] || mark.getBoundingClientRect();
    fixBox.style.left = `${Math.max(0, rect.left - box.left)}px`;
    fixBox.style.top = `${rect.bottom - box.top + 6}px`;
    fixBox.hidden = false;
  }

  function hideFix() {
    offered = null;
    fixBox.hidden = true;
  }

  fixApply.addEventListener("click", () => {
    const f = offered;
    hideFix();
    // A finding whose span no longer holds its wrong text is not forced (as apply_fixes).
    if (!f || draft.value.slice(f.start, f.end) !== f.finding.wrong) return;
    findings = findings.filter((g) => g !== f);
    replaceRange(f.start, f.end, f.finding.right);
  });

  // -- examples on hover -----------------------------------------------------------------

  const cards = new Map();
  let hovered = null;

  function card(text) {
    if (!cards.has(text)) {
      cards.set(text, api(`/api/phrases/${encodeURIComponent(text)}`).catch(() => null));
    }
    return cards.get(text);
  }

  function hoverExamples(li, text) {
    li.addEventListener("mouseenter", async () => {
      hovered = li;
      const entry = await card(text);
      if (hovered === li) showExamples(li, entry);
    });
    li.addEventListener("mouseleave", () => {
      hovered = null;
      tip.hidden = true;
    });
  }

  function showExamples(anchor, entry) {
    const paragraphs = [];
    for (const ex of entry ? entry.examples.slice(0, 3) : []) {
      const p = el("p");
      p.append(el("span", "where", `${ex.document}:${ex.line}:${ex.col}`));
      if (ex.start >= 0) {
        const start = unitOffset(ex.sentence, ex.start);
        const end = start + unitOffset(ex.sentence.slice(start), ex.highlight);
        p.append(
          ex.sentence.slice(0, start),
          el("mark", "", ex.sentence.slice(start, end)),
          ex.sentence.slice(end),
        );
      } else {
        p.append(ex.sentence);
      }
      paragraphs.push(p);
    }
    if (!paragraphs.length) paragraphs.push(el("p", "", "no examples in the corpus"));
    tip.replaceChildren(...paragraphs);
    tip.hidden = false;
    // Under the entry, so that it never covers the draft; above it near the bottom.
    const rect = anchor.getBoundingClientRect();
    tip.style.width = `${Math.max(rect.width, 320)}px`;
    const below = rect.bottom + 4;
    const top = below + tip.offsetHeight <= window.innerHeight - 8
      ? below
      : rect.top - tip.offsetHeight - 4;
    tip.style.left = `${Math.max(8, Math.min(rect.left, window.innerWidth - tip.offsetWidth - 8))}px`;
    tip.style.top = `${Math.max(8, top)}px`;
  }

  // -- search ------------------------------------------------------------------------

  async function search() {
    const text = pattern.value.trim();
    if (!text) {
      resultsTitle.hidden = true;
      results.replaceChildren();
      return;
    }
    let rows;
    try {
      rows = await api(`/api/search?${new URLSearchParams({ pattern: text, limit: "30" })}`);
    } catch (err) {
      rows = null;
      results.replaceChildren(el("li", "empty", err.message));
    }
    if (pattern.value.trim() !== text) return;
    resultsTitle.hidden = false;
    resultsTitle.textContent = `Search ${text}`;
    if (!rows) return;
    const items = rows.map((row) => {
      const li = el("li");
      li.append(el("span", "entry", row.text), el("span", "tag", `${row.kind} ×${row.count}`));
      if (row.kind !== "filled") hoverExamples(li, row.text);
      return li;
    });
    if (!items.length) items.push(el("li", "empty", "nothing matches"));
    results.replaceChildren(...items);
  }

  // -- wiring ------------------------------------------------------------------------

  const suggestSoon = debounce(updateSuggestions, 250);
  const checkSoon = debounce(updateCheck, 400);

  draft.addEventListener("input", () => {
    shiftFindings(lastText, draft.value);
    lastText = draft.value;
    hideFix();
    renderBackdrop();
    suggestSoon();
    checkSoon();
  });
  draft.addEventListener("scroll", () => {
    backdrop.scrollTop = draft.scrollTop;
    hideFix();
  });
  for (const type of ["click", "keyup"]) {
    draft.addEventListener(type, (event) => {
      if (event.key === "Escape") {
        hideFix();
        return;
      }
      suggestSoon();
      offerFix();
    });
  }
  document.getElementById("search").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  pattern.addEventListener("input", debounce(search, 300));

  lastText = draft.value;
  renderBackdrop();
  if (draft.value) {
    updateSuggestions();
    updateCheck();
  }
})();
