"""The cleaned text cut into flat segments for highlighting (no nested markup).

Each segment carries the entity label that covers it (the earliest-starting,
longest entity wins where entities overlap), the number of the evidence span that
covers it (if any), and the anchors that start at it (sections, evidence). The
template wraps each segment in at most one ``<mark>`` and one ``<span>``, and
Jinja2 escapes the text, so any text is safe to show.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Segment:
    text: str
    label: str | None = None  # ORG, PER, LOC (or whatever the record says)
    evidence: int | None = None  # 1-based number of the evidence span covering it
    anchors: list[str] = field(default_factory=list)  # element ids that start here


def segments(
    text: str,
    entities: Iterable[tuple[int, int, str]] = (),
    evidence: Iterable[tuple[int, int]] = (),
    anchors: Iterable[tuple[int, str]] = (),
) -> list[Segment]:
    """``text`` cut at every entity, evidence and anchor boundary.

    ``entities``: (start, end, label); ``evidence``: (start, end), numbered from 1 in
    the order given; ``anchors``: (position, id). Offsets outside the text are
    clipped; empty or inverted spans are ignored.
    """
    n = len(text)

    def clip(i: int) -> int:
        return max(0, min(n, int(i)))

    ents = sorted(
        ((clip(s), clip(e), str(lab)) for s, e, lab in entities if clip(s) < clip(e)),
        key=lambda x: (x[0], -x[1]),
    )
    evs = [(clip(s), clip(e), i) for i, (s, e) in enumerate(evidence, 1) if clip(s) < clip(e)]
    points = {0, n}
    opens: dict[int, list] = defaultdict(list)
    closes: dict[int, list] = defaultdict(list)
    for rank, (s, e, lab) in enumerate(ents):
        points.update((s, e))
        opens[s].append(("ent", rank, lab))
        closes[e].append(("ent", rank, lab))
    for s, e, i in evs:
        points.update((s, e))
        opens[s].append(("ev", i, None))
        closes[e].append(("ev", i, None))
    at: dict[int, list[str]] = defaultdict(list)
    for pos, ident in anchors:
        p = clip(pos)
        points.add(p)
        at[p].append(str(ident))
    for s, _, i in evs:
        at[s].append(f"belagg-{i}")
    cuts = sorted(points)
    active_ent: dict[int, str] = {}
    active_ev: set[int] = set()
    out: list[Segment] = []
    for a, b in itertools.pairwise(cuts):
        for kind, key, _ in closes.get(a, ()):
            (active_ent.pop(key, None) if kind == "ent" else active_ev.discard(key))
        for kind, key, lab in opens.get(a, ()):
            if kind == "ent":
                active_ent[key] = lab
            else:
                active_ev.add(key)
        label = active_ent[min(active_ent)] if active_ent else None
        ev = min(active_ev) if active_ev else None
        out.append(Segment(text[a:b], label, ev, at.pop(a, [])))
    if at:  # anchors at the very end of the text
        out.append(Segment("", anchors=[x for v in at.values() for x in v]))
    return out
