"""Text in: read files into documents, normalise, and split into sentences and clauses.

Pure functions over strings and paths; nothing here knows about the bank. Offsets are
kept (line, column) so that examples can point back into the source document.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

TEXT_SUFFIXES = {".txt", ".text", ".md"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES

#: Han characters: the unified block, extension A and 〇.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\u3007"
HAN_RUN = re.compile(f"[{HAN}]+")
HAN_CHAR = re.compile(f"[{HAN}]")
#: Characters that end a sentence. A newline ends a paragraph and so a sentence too.
SENTENCE_ENDS = "。！？!?；;\n"
SENTENCE_END = re.compile(f"[{SENTENCE_ENDS}]+")
#: A sentence: a run of anything but sentence ends.
SENTENCE = re.compile(f"[^{SENTENCE_ENDS}]+")
#: Separators between parallel list items inside one sentence.
LIST_SEP = re.compile(r"[、，,；;：:]")


_SURROGATES = re.compile("[\ud800-\udfff]")


class ReadError(Exception):
    """A file that cannot be read as text; the message says why."""


@dataclass(frozen=True)
class Document:
    """One source document, already decoded and normalised."""

    path: str
    text: str
    encoding: str

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """Fold full-width ASCII to half-width and drop zero-width noise.

    NFKC does the width folding; Chinese punctuation such as 、。 is left alone
    because NFKC keeps it, while ，：；（） become their ASCII forms.
    """
    text = _SURROGATES.sub("", text)  # undecodable bytes from argv arrive as lone surrogates
    text = _nfkc(text)
    text = text.replace("\u200b", "").replace("\ufeff", "").replace("\u3000", " ")
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: Full-width forms of ASCII (！ to ～): NFKC maps each to its ASCII character.
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")


def _nfkc(text: str) -> str:
    """NFKC, the same string, ≈ 8 times faster on Chinese documents (3.3 → 0.4 s over the
    large corpus), where the full-width comma alone makes every line need it.

    A full-width character is replaced by the ASCII character NFKC decomposes it to:
    both decompose alike, so NFKC cannot tell them apart. What is left needs NFKC only
    in lines that hold some other character it changes (℃, ①, …): a newline neither
    decomposes nor composes, so NFKC of a text is NFKC of each of its lines."""
    for char in set(_FULL_WIDTH.findall(text)):
        text = text.replace(char, chr(ord(char) - 0xFEE0))
    is_normalized, normalize = unicodedata.is_normalized, unicodedata.normalize
    if is_normalized("NFKC", text):
        return text
    return "\n".join(
        line if is_normalized("NFKC", line) else normalize("NFKC", line)
        for line in text.split("\n")
    )


SLOT = re.compile(r"…+|\.{3,}|⋯+")


def slot_marks(text: str, mark: str = "……") -> str:
    """Write a template's slot (……, …, ..., ⋯) one way: 以...为指导 → 以……为指导."""
    return SLOT.sub(mark, text)


def simplified_forms(chars: list[str]) -> dict[str, str]:
    """Traditional → simplified for single characters, through OpenCC (build time only).

    The bank keeps this table so that a query in traditional characters is folded
    without loading OpenCC (≈0.3 s) on every command.
    """
    from opencc_purepy import OpenCC

    converted = OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):
        return {}
    return {c: s for c, s in zip(chars, converted, strict=True) if s != c and len(s) == 1}


def han_ratio(text: str) -> float:
    """Share of Han characters among the non-space characters."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if HAN_CHAR.match(c)) / len(chars)


def _plausible(text: str) -> bool:
    """Decoded text that a person wrote: few control characters, some Han or letters."""
    if not text:
        return True
    sample = text[:20000]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
    if controls > len(sample) * 0.01:
        return False
    private = sum(1 for c in sample if unicodedata.category(c) in ("Co", "Cn"))
    return private <= len(sample) * 0.01


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes of a text file: BOMs first, then UTF-8, then GB18030, then a guess.

    UTF-8 is tried strictly before GB18030 because valid UTF-8 Chinese almost never
    decodes as plausible GB18030 and vice versa. charset-normalizer handles the rest
    (UTF-16 without a BOM, Big5 …). Raises ReadError for binary or unknown data.
    """
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError:
        raise ReadError("has a Unicode byte-order mark but its text does not decode") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" not in data:
        try:
            text = data.decode("gb18030")
            if _plausible(text):
                return text, "gb18030"
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        text = str(best)
        if _plausible(text) and (han_ratio(text) > 0.05 or best.encoding.startswith("utf")):
            return text, best.encoding
    raise ReadError("not UTF-8, GBK/GB18030 or UTF-16 text")


def open_docx(path: Path):
    """The python-docx Document of a .docx, or ReadError saying why it cannot be read."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ReadError(f"not a readable .docx ({exc.__class__.__name__})") from None
    except Exception as exc:  # lxml parse errors inside a damaged package
        raise ReadError(f"not a readable .docx ({exc.__class__.__name__})") from None


def docx_paragraphs(document) -> Iterator:
    """Paragraphs of a .docx, table cells included, in document order.

    A merged cell spans several grid positions but is read once.
    """
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    def walk(container) -> Iterator:
        for block in container.iter_inner_content():
            if isinstance(block, Paragraph):
                yield block
            elif isinstance(block, Table):
                seen: list = []  # the cells' XML elements, kept alive so identity holds
                for row in block.rows:
                    for cell in row.cells:
                        if any(cell._tc is tc for tc in seen):
                            continue
                        seen.append(cell._tc)
                        yield from walk(cell)

    return walk(document)


def read_docx(path: Path) -> str:
    """Paragraphs and table cells of a .docx, one per line, in document order."""
    return "\n".join(p.text for p in docx_paragraphs(open_docx(path)))


def read_document(path: Path) -> Document:
    """Read one file into a normalised Document, or raise ReadError saying why."""
    suffix = path.suffix.lower()
    if suffix in DOCX_SUFFIXES:
        return Document(str(path), normalise(read_docx(path)), "docx")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(exc.strerror or str(exc)) from None
    text, encoding = decode(data)
    if suffix in HTML_SUFFIXES:
        text = html_text(text)
    return Document(str(path), normalise(text), encoding)


#: Elements whose end is a line break in the text of a page.
_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "header", "footer", "blockquote", "pre", "table", "ul", "ol",
    "dt", "dd", "title",
}  # fmt: skip
#: Elements whose content is not text a reader sees.
_SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg"}


class _TextOfPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The text a reader sees on a page: no tags, scripts or styles; a line per block.

    The standard library's tolerant parser is enough for saved pages and exported
    documents; the title is kept (it names the document, as a .txt's first line does)."""
    parser = _TextOfPage()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def find_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order.

    A file named directly is taken whatever its suffix; inside folders only the
    supported suffixes are taken, so a folder of mixed material just works.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                ):
                    yield child
        else:
            yield path


def sentences(text: str) -> Iterator[tuple[int, int, str]]:
    """Sentences as (line, column, sentence); line and column are 1-based."""
    for line_no, line in enumerate(text.split("\n"), start=1):
        start = 0
        for match in SENTENCE_END.finditer(line):
            if match.start() > start:
                yield line_no, start + 1, line[start : match.start()]
            start = match.end()
        if start < len(line):
            yield line_no, start + 1, line[start:]


def clauses(sentence: str) -> list[tuple[int, str]]:
    """Runs of Han characters inside a sentence, with their offsets.

    Anything that is not Han (punctuation, digits, Latin) is a boundary: stock
    phrases never straddle one.
    """
    return [(m.start(), m.group()) for m in HAN_RUN.finditer(sentence)]


def parallel_lists(text: str) -> Iterator[list[tuple[int, str]]]:
    """The list items of every sentence of `text` that has two or more, as (offset in
    `text`, item): its pieces between list separators (、，；：, one character each),
    stripped. One split per sentence: the stats pass reads every sentence this way."""
    split = LIST_SEP.split
    for match in SENTENCE.finditer(text):
        pieces = split(match.group())
        if len(pieces) < 2:
            continue
        at, items = match.start(), []
        for piece in pieces:
            item = piece.strip()
            if item:
                items.append((at + len(piece) - len(piece.lstrip()), item))
            at += len(piece) + 1
        if len(items) >= 2:
            yield items
