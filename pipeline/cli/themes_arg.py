"""The ``--theme`` filter of ``export`` and ``similar``: a value that names no theme is a usage
error with a suggestion ("did you mean 'unga'?"), not an empty result that looks like an answer.

A value is known when it is a theme id or label of the configured taxonomy, or of a theme the
queried data already carries (a store or an index built with another taxonomy).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

import typer


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def taxonomy_themes() -> dict[str, str]:
    """Theme id → label of the configured taxonomy (empty when it cannot be read)."""
    from ..config import load_config
    from ..themes.taxonomy import load_taxonomy

    try:
        tax = load_taxonomy(load_config()["themes"]["taxonomy"])
    except (OSError, KeyError, ValueError):
        return {}
    return {t.id: t.label for t in tax.themes}


def check_themes(
    values: Iterable[str], known: Mapping[str, str], *, substring: bool = False, param_hint: str = "--theme"
) -> None:
    """Raise ``typer.BadParameter`` for the first value that is neither an id nor a label in
    ``known`` (id → label), compared case-insensitively; ``substring``: a part of one is enough
    (``similar`` filters that way)."""
    names = {_norm(label): label for label in known.values() if label}
    names.update({_norm(i): i for i in known})  # an id wins over a label spelt the same
    for value in values:
        v = _norm(value)
        if v in names or (substring and v and any(v in n for n in names)):
            continue
        close = difflib.get_close_matches(v, list(names), n=1, cutoff=0.6)
        hint = f" (did you mean {names[close[0]]!r}?)" if close else ""
        listed = ", ".join(sorted(known)) or "none"
        raise typer.BadParameter(f"no theme {value!r}{hint}; theme ids: {listed}", param_hint=param_hint)
