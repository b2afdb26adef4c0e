"""The cleaning rules as pure functions of text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..common import load_yaml

BULLET_RE = re.compile(r"^\s*(?:[•●▪◦·∙‣■□➢►\u2022\uf0b7*]|-(?=\S)|- )\s*")
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u2002\u2003\t"), " ")


@dataclass(frozen=True)
class CleanRules:
    furniture_lines: re.Pattern
    wrapper_lines: tuple[re.Pattern, ...]
    furniture_paragraphs: tuple[re.Pattern, ...]
    file_title_line: re.Pattern
    read_more_line: re.Pattern
    glue_labels: tuple[str, ...]
    missing_values: frozenset[str]
    dedupe_min_words: int
    toc_heading: re.Pattern
    repeated_line_min: int
    toc_headings: bool = True  # put a transcript's lost page headings back from its table of contents
    toc_min_following: int = 3000  # a one-line table of contents goes only when this much text follows

    @classmethod
    def from_files(cls, rules_path: str | Path, labels_path: str | Path) -> CleanRules:
        rules = load_yaml(rules_path)
        labels = load_yaml(labels_path)
        glue = sorted(
            {lab for spec in labels["fields"].values() if spec.get("glue") for lab in spec["labels"]},
            key=len,
            reverse=True,
        )
        return cls(
            furniture_lines=re.compile("^(?:" + "|".join(f"(?:{p})" for p in rules["furniture_lines"]) + r")$", re.I),
            wrapper_lines=tuple(re.compile(p, re.I) for p in rules.get("wrapper_lines", [])),
            furniture_paragraphs=tuple(re.compile(p, re.I) for p in rules.get("furniture_paragraphs", [])),
            file_title_line=re.compile(rules["file_title_line"], re.I),
            read_more_line=re.compile("^(?:" + rules["read_more_line"] + r")$", re.I),
            glue_labels=tuple(glue),
            missing_values=frozenset(v.lower() for v in labels.get("missing_values", [])),
            dedupe_min_words=int(rules.get("dedupe_min_words", 8)),
            toc_heading=re.compile("^(?:" + rules.get("toc_heading", "innehåll") + r")\b", re.I),
            repeated_line_min=int(rules.get("repeated_line_min", 3)),
            toc_headings=bool(rules.get("toc_headings", True)),
            toc_min_following=int(rules.get("toc_min_following_chars", 3000)),
        )


def clean_text(text: str, rules: CleanRules) -> str:
    text = normalise(text)
    lines = text.split("\n")
    lines = _drop_file_title(lines, rules)
    lines = _drop_read_more_blocks(lines, rules)
    lines = _drop_repeated_lines(lines, rules.repeated_line_min)
    lines = _drop_toc(lines, rules.toc_heading)
    lines = [_repair_glued(line, rules) for line in lines]
    lines = _unwrap(lines)
    lines = _drop_furniture_lines(lines, rules)
    paragraphs = _paragraphs(lines)
    paragraphs = [p for p in paragraphs if not any(r.search(p) for r in rules.furniture_paragraphs)]
    paragraphs = _drop_toc_paragraphs(paragraphs, rules.toc_heading, rules.toc_headings, rules.toc_min_following)
    paragraphs = _strip_page_numbers(paragraphs)
    paragraphs = [p for p in paragraphs if not _DROPPED_RE.match(p)]
    paragraphs = _dedupe(paragraphs, rules.dedupe_min_words)
    return "\n\n".join(paragraphs).strip()


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.translate(INVISIBLE).translate(SPACES)
    out = []
    for line in text.split("\n"):
        line = re.sub(r" {2,}", " ", line).strip()
        m = BULLET_RE.match(line)
        if m and line[m.end() :]:
            line = "• " + line[m.end() :]
        out.append(line)
    return "\n".join(out)


def _drop_file_title(lines: list[str], rules: CleanRules) -> list[str]:
    for i, line in enumerate(lines):
        if line:
            if rules.file_title_line.match(line):
                return lines[:i] + lines[i + 1 :]
            break
    return lines


def _drop_read_more_blocks(lines: list[str], rules: CleanRules) -> list[str]:
    """Cut the trailing list of unrelated documents that hosting sites append:
    blocks of (title, title repeated + snippet, "Läs mer") at the very end.
    A "Läs mer" link line anywhere else is dropped on its own."""
    marks = [i for i, line in enumerate(lines) if rules.read_more_line.match(line)]
    if not marks:
        return lines
    tail = [ln for ln in lines[marks[-1] + 1 :] if ln]
    cut = None
    if len(tail) <= 1 and sum(map(len, tail)) < 120:
        bounds = [-1] + marks
        for k in range(len(marks) - 1, -1, -1):  # walk back block by block
            start = _related_block_start(lines, bounds[k] + 1, marks[k])
            if start is None:
                break
            cut = start
    if cut is not None:
        return lines[:cut]
    drop = set(marks)
    return [ln for i, ln in enumerate(lines) if i not in drop]


def _related_block_start(lines: list[str], lo: int, mark: int) -> int | None:
    """Start of a (title, title + snippet) block just before ``mark``, if any."""
    paras = _para_spans(lines[lo:mark])
    if len(paras) < 2:
        return None
    (t0, t1), (s0, s1) = paras[-2], paras[-1]
    title = " ".join(lines[lo + t0 : lo + t1]).strip()
    snippet = " ".join(lines[lo + s0 : lo + s1]).strip()
    if title and len(title) < 250 and snippet.startswith(title[: max(12, len(title) // 2)]):
        return lo + t0
    return None


def _para_spans(lines: list[str]) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, line in enumerate(lines + [""]):
        if line and start is None:
            start = i
        elif not line and start is not None:
            spans.append((start, i))
            start = None
    return spans


def _drop_repeated_lines(lines: list[str], min_count: int) -> list[str]:
    """Running headers/footers of PDFs: the same short line on many pages."""
    counts: dict[str, int] = {}
    for line in lines:
        if 4 <= len(line) <= 80 and not line.startswith("•") and re.search(r"[^\W\d_]{3}", line):
            counts[line] = counts.get(line, 0) + 1
    repeated = {line for line, c in counts.items() if c >= min_count}
    if not repeated:
        return lines
    first = next((ln for ln in lines if ln), None)
    return [ln for i, ln in enumerate(lines) if ln not in repeated or (ln == first and i == lines.index(first))]


_TOC_ENTRY = re.compile(r"(\.{2,}|…)\s*\d+\s*$|\s\d{1,3}$")
_LEAD_PAGE = re.compile(r"^\d{1,3} (?=\S)")
_LEADER_ENTRY = re.compile(r"(?:\.{3,}|…)\s*\d{1,3}\b")
# a page number in a one-paragraph table of contents: "Inledning 5", "Genomförande 4-6"
_TOC_NUM = re.compile(r"(?<![\d.,/:-])(\d{1,3})(?:-\d{1,3})?(?![\d%/]|[.,]\d)")


def _toc_like(body: str, min_entries: int = 3) -> bool:
    """A run of entries with page numbers: dot leaders, or numbers every few words
    that mostly go up ("Inledning 5 Metod 7 Resultat 11 ...")."""
    if len(_LEADER_ENTRY.findall(body)) >= 2:
        return True
    nums = [int(n) for n in _TOC_NUM.findall(body)]
    words = len(body.split())
    if len(nums) < min_entries or words > 12 * len(nums):
        return False
    rising = sum(1 for a, b in zip(nums, nums[1:]) if b >= a)
    sentences = len(re.findall(r"[a-zåäö]{2}[.!?] [A-ZÅÄÖ]", body))
    return rising >= 0.6 * (len(nums) - 1) and sentences <= max(1, len(nums) // 4)


def _drop_toc(lines: list[str], heading: re.Pattern) -> list[str]:
    """A table of contents laid out as a heading line followed by entry lines."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = heading.match(line)
        if m and not line[m.end() :].strip():
            j = i + 1
            while j < len(lines) and lines[j] and _TOC_ENTRY.search(lines[j]):
                j += 1
            if j - i > 2:
                i = j
                continue
        out.append(line)
        i += 1
    return out


def _drop_toc_paragraphs(
    paragraphs: list[str], heading: re.Pattern, restore: bool = True, min_following: int = 0
) -> list[str]:
    """Tables of contents of PDF transcripts (one line per page): a line
    "[page] Innehåll entry... 4 entry 5 ..." and the entry lines that continue it
    on the next page. Entries without such a heading are kept: in a short excerpt
    they may be all there is of the report's content; for the same reason a table of
    contents goes only when at least ``min_following`` characters of text follow it
    (the chapters it lists), unless it is a line "Innehåll A... 3 B... 4" with dot leaders.

    A dropped page keeps its bare page number (the page sequence stays whole for
    :func:`_strip_page_numbers`). With ``restore``, a heading the transcript lost is
    put back from the table of contents: see :func:`_restore_headings`."""
    out: list[str] = []
    entries: list[tuple[str, int]] = []
    in_toc = False  # the previous line was a dropped table of contents
    following = [0] * (len(paragraphs) + 1)
    for i in range(len(paragraphs) - 1, -1, -1):
        following[i] = following[i + 1] + len(paragraphs[i])
    for i, p in enumerate(paragraphs):
        kept = []
        for line in p.split("\n"):
            bare = _LEAD_PAGE.sub("", line, count=1)
            m = heading.match(bare)
            if (
                m
                and bare[m.end() :].strip()
                and (
                    (
                        not _LEAD_PAGE.match(line) and len(re.findall(r"\.{3,}|…", bare[m.end() :])) >= 2
                    )  # "Innehåll A... 3 B... 4"
                    or (following[i + 1] >= min_following and _toc_like(bare[m.end() :]))
                )
            ):
                entries += _toc_entries(bare[m.end() :])
            elif in_toc and _toc_like(bare, min_entries=4):
                entries += _toc_entries(bare)
            else:
                in_toc = False
                kept.append(line)
                continue
            in_toc = True
        if kept:
            out.append("\n".join(kept))
        elif _LEAD_PAGE.match(p):
            out.append(p.split(" ", 1)[0] + " " + _DROPPED)
    if restore and entries:
        out = _restore_headings(out, entries)
    return out


_ENTRY = re.compile(r"(\S.*?)\s*(?:\.{2,}|…)?\s*(\d{1,3})(?:-\d{1,3})?(?=\s|$)")
_DROPPED = "\x00"  # stands in for a dropped page until its page number is stripped
_DROPPED_RE = re.compile(r"^(\d{1,3} )?\x00$")


def _toc_entries(body: str) -> list[tuple[str, int]]:
    return [(m.group(1).strip(" .…"), int(m.group(2))) for m in _ENTRY.finditer(body)]


def _restore_headings(paragraphs: list[str], entries: list[tuple[str, int]]) -> list[str]:
    """A transcript page ("7 Johan Borggren, projektledare, Härnösands kommun, ...") whose
    heading was lost gets the heading its table of contents gives for that page
    ("Kommunerna har ordet Härnösand... 7") as a line of its own. Only a short entry
    without digits, when the page does not already start with it and names one of
    its words near the start (a check that the page numbers agree)."""
    by_page: dict[int, str] = {}
    for title, page in entries:
        words = title.split()
        if (
            page not in by_page
            and 1 <= len(words) <= 6
            and len(title) <= 60
            and title[0].isupper()
            and not any(ch.isdigit() for ch in title)
        ):
            by_page[page] = title
    out = []
    for p in paragraphs:
        m = _LEAD_PAGE.match(p)
        title = by_page.get(int(m.group(0))) if m else None
        if title:
            body = p[m.end() :]
            first = title.split()[0].lower()
            head = body[:300].lower()
            named = any(
                re.search(rf"(?<!\w){re.escape(w.lower().strip(',.:;'))}", head)
                for w in title.split()
                if len(w.strip(",.:;")) >= 4
            )
            if named and not body.lower().startswith(first):
                p = f"{m.group(0)}{title}\n{body}"
        out.append(p)
    return out


def _repair_glued(line: str, rules: CleanRules) -> str:
    if not line or len(line) > 160:
        return line
    lower = line.lower()
    for label in rules.glue_labels:
        if lower.startswith(label.lower()) and len(line) > len(label):
            rest = line[len(label) :]
            first = rest[0]
            if first in " :\t":
                return line
            if first.isupper() or first.isdigit() or "@" in rest or rest.strip().lower() in rules.missing_values:
                return f"{line[: len(label)]}: {rest.strip()}"
            return line
    return line


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines (PDF text): a long line without final punctuation
    followed by a line that starts in lower case continues the same sentence."""
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        if len(prev) >= 50 and line[:1].islower() and prev[-1:] not in ".!?:;" and not prev.startswith("•"):
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return out


def _drop_furniture_lines(lines: list[str], rules: CleanRules) -> list[str]:
    out: list[str] = []
    prev = ""
    labels = {lab.lower() for lab in rules.glue_labels}
    for line in lines:
        for wrapper in rules.wrapper_lines:
            m = wrapper.fullmatch(line)
            if m:
                line = m.group(1).strip()
                break
        if line and rules.furniture_lines.match(line):
            # Right after a "Label:" line, or a bare "Label" line of the print layout, it is
            # the label's value (e.g. "1", "30"), not furniture.
            if not (prev.endswith(":") or prev.lower() in labels):
                continue
        out.append(line)
        if line:
            prev = line
    return out


def _paragraphs(lines: list[str]) -> list[str]:
    return ["\n".join(lines[a:b]) for a, b in _para_spans(lines)]


_LEAD_NUM = re.compile(r"^(\d{1,3}) (?=\S)")


def _strip_page_numbers(paragraphs: list[str]) -> list[str]:
    """PDF transcripts glue page numbers to page text: "4 Bakgrund ... 4"."""
    nums = [(_LEAD_NUM.match(p), p) for p in paragraphs]
    seq = [int(m.group(1)) for m, _ in nums if m]
    increasing = sum(1 for a, b in zip(seq, seq[1:]) if b == a + 1)
    if increasing < 2:
        return paragraphs
    out, expected = [], None
    for m, p in nums:
        if m:
            n = int(m.group(1))
            if expected is None or n == expected or n == expected + 1:
                p = p[m.end() :]
                p = re.sub(rf"\s+{n}$", "", p)
                expected = n + 1
        out.append(p)
    return [p for p in out if p.strip()]


def _dedupe(paragraphs: list[str], min_words: int) -> list[str]:
    seen: set[str] = set()
    out = []
    for p in paragraphs:
        key = re.sub(r"\s+", " ", p).strip().lower()
        if len(key.split()) >= min_words:
            if key in seen:
                continue
            seen.add(key)
        out.append(p)
    return out
