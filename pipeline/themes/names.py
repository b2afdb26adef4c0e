"""Theme names as a user types them in a filter: an id or a label of the configured taxonomy, or
of a theme the queried data carries (a store or an index built with another taxonomy).

A theme filter names a closed set, so a value that names no theme is an error with a suggestion
("did you mean 'unga'?"), not an empty answer; the command line and the API say it alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Optional


def fold(value: str) -> str:
    """A name compared case- and space-insensitively."""
    return " ".join(value.split()).casefold()


def configured_themes() -> dict[str, str]:
    """Theme id → label of the configured taxonomy (empty when it cannot be read)."""
    from ..config import load_config
    from .taxonomy import load_taxonomy

    try:
        tax = load_taxonomy(load_config()["themes"]["taxonomy"])
    except (OSError, KeyError, ValueError):
        return {}
    return {t.id: t.label for t in tax.themes}


def _names(known: Mapping[str, str]) -> dict[str, str]:
    """Folded name → the id or label it folds from (an id wins over a label spelt the same)."""
    names = {fold(label): label for label in known.values() if label}
    names.update({fold(i): i for i in known})
    return names


def theme_id(value: str, known: Mapping[str, str]) -> Optional[str]:
    """The id of the theme ``value`` names (its id or label, case-insensitively), else None."""
    v = fold(value)
    by_id = next((i for i in known if fold(i) == v), None)
    return by_id or next((i for i, label in known.items() if label and fold(label) == v), None)


def closest_theme(value: str, known: Mapping[str, str]) -> Optional[str]:
    """The id or label in ``known`` nearest to ``value`` (a likely misspelling), else None."""
    names = _names(known)
    close = difflib.get_close_matches(fold(value), list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


def unknown_theme(values: Iterable[str], known: Mapping[str, str], *, substring: bool = False) -> Optional[str]:
    """The message for the first value that is neither an id nor a label in ``known`` (id → label),
    compared case-insensitively (``substring``: a part of one is enough), else None."""
    names = _names(known)
    for value in values:
        v = fold(value)
        if v in names or (substring and v and any(v in n for n in names)):
            continue
        close = closest_theme(value, known)
        hint = f" (did you mean {close!r}?)" if close else ""
        return f"no theme {value!r}{hint}; theme ids: {', '.join(sorted(known)) or 'none'}"
    return None
