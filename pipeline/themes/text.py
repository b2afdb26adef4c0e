"""Sentence splitting with character offsets, and text normalisation.

Lines, bullets, headings, tables of contents and teaser paragraphs are handled here; sentence
boundaries within a line come from the shared Swedish splitter (:func:`pipeline.text.split_sentences`). Every :class:`Sent` keeps
``start``/``end`` offsets into the text it was split from, so evidence can
point back into ``Record.text``.
"""

from __future__ import annotations

import bisect
import heapq
import re
from dataclasses import dataclass

from ..text import split_sentences as split_text

_BULLET = re.compile(r"^[\s\-–—•*·▪●◦]+")
_WORD = re.compile(r"\w+", re.UNICODE)
_END_PUNCT = re.compile(r"[.!?:;…]\s*$")
_PARA_SPLIT = re.compile(r"\n[ \t\u00a0]*\n")
# A table-of-contents run flattened into one line: "Sammanfattning...3 Bakgrund 5 Syfte och mål 7".
_TOC_ENTRY = re.compile(r"(?:[^\W\d_)]\s+|\.{2,}\s*)\d{1,3}(?=\s+[A-ZÅÄÖ0-9]|\s*$)")
TOC_MIN_ENTRIES = 3


def is_toc(text: str) -> bool:
    """Does the text look like (part of) a table of contents: >= 3 "heading page-number" entries?"""
    return len(_TOC_ENTRY.findall(text)) >= TOC_MIN_ENTRIES


@dataclass
class Sent:
    start: int
    end: int
    text: str
    heading: bool = False  # heading-like line (short, no final punctuation): not scored
    section: str | None = None


def _is_heading_like(line: str) -> bool:
    words = _WORD.findall(line)
    if len(words) <= 1:
        return True
    return len(words) <= 8 and not _END_PUNCT.search(line)


def _noise_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs that are teasers for *other* documents ("... Läs mer" link lists)."""
    spans: list[tuple[int, int]] = []
    paras: list[tuple[int, int]] = []
    pos = 0
    for m in _PARA_SPLIT.finditer(text):
        paras.append((pos, m.start()))
        pos = m.end()
    paras.append((pos, len(text)))
    for i, (s, e) in enumerate(paras):
        chunk = text[s:e].strip().lower()
        if chunk in ("läs mer", "läs mer »", "läs mer >>", "read more") and i > 0:
            ps, pe = paras[i - 1]
            spans.append((ps, pe))
            if i > 1:  # teaser title paragraph above the teaser text
                qs, qe = paras[i - 2]
                if len(text[qs:qe]) < 300:
                    spans.append((qs, qe))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def text_units(text: str) -> list[Sent]:
    """The units the stage scores: the shared splitter's sentences (each line is at least one
    unit), with each line's heading and teaser flags."""
    return units_from_spans(text, split_text(text))


def units_from_spans(text: str, spans) -> list[Sent]:
    """Units from sentence spans already computed (the segment stage's ``record.sentences``,
    sorted): each line's heading and teaser flags are added (a bulleted item is content unless
    it is a bare one- or two-word entry, e.g. a municipality list); spans past the end of
    ``text`` are left out."""
    sents: list[Sent] = []
    noise = _noise_spans(text)
    noise_starts = [a for a, _ in noise]
    spans = [(sp.start, sp.end) for sp in spans if sp.end <= len(text)]
    i, pos = 0, 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        first = i
        while i < len(spans) and spans[i][0] < pos:
            i += 1
        if first == i or not line.strip():
            continue
        m = _BULLET.match(line)
        offset = m.end() if m else 0
        body = line[offset:]
        if not body.strip():
            continue
        k = bisect.bisect_right(noise_starts, line_start) - 1
        in_noise = k >= 0 and line_start < noise[k][1]
        heading_line = len(_WORD.findall(body)) <= 2 if offset else _is_heading_like(body)
        for start, end in spans[first:i]:
            start = max(start, line_start + offset)
            if start < end:
                _emit(sents, text[start:end], start, heading_line, in_noise)
    return sents


def _emit(out: list[Sent], piece: str, start: int, heading: bool, noise: bool) -> None:
    lstrip = len(piece) - len(piece.lstrip())
    piece_s = piece.strip()
    if not piece_s:
        return
    s = start + lstrip
    out.append(Sent(start=s, end=s + len(piece_s), text=piece_s, heading=heading or noise or is_toc(piece_s)))


def assign_sections(sents: list[Sent], sections) -> None:
    """Set ``Sent.section`` to the canonical key of the innermost section containing it.

    One sweep over sentences and sections in start order with a heap of open sections
    keyed by length: O((n + m) log m), so a page with thousands of headings stays cheap.
    """
    if not sections:
        return
    heads = {(s.heading or "").strip().lower() for s in sections}
    secs = sorted(sections, key=lambda s: s.start)
    order = sorted(range(len(sents)), key=lambda i: sents[i].start)
    heap: list[tuple[int, int, int]] = []  # (length, index, end)
    k = 0
    for i in order:
        st = sents[i]
        while k < len(secs) and secs[k].start <= st.start:
            heapq.heappush(heap, (secs[k].end - secs[k].start, k, secs[k].end))
            k += 1
        # drop sections that ended before this sentence (sentences come in start order, so for good);
        # the smallest open one is the innermost
        while heap and heap[0][2] <= st.start:
            heapq.heappop(heap)
        st.section = secs[heap[0][1]].key if heap else None
        if st.text.strip().lower() in heads:
            st.heading = True


_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-case, digits → 0, whitespace collapsed (input to the vectoriser)."""
    return _SPACES.sub(" ", _DIGITS.sub("0", text.lower())).strip()
