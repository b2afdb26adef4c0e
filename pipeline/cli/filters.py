"""Filter values of ``export`` and ``similar`` checked against what exists, so that a typo is not
mistaken for an empty answer.

- ``--theme`` names a closed set: a value that is no theme id or label of the configured taxonomy,
  nor of a theme the queried data carries (a store or an index built with another taxonomy), is a
  usage error with a suggestion ("did you mean 'unga'?").
- ``--region`` and ``--programme-area`` are stored as the documents state them: when a run finds
  nothing and such a value matches no stored one, a note lists the stored values.
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


def unmatched_note(what: str, value: str | None, stored: Iterable[str], *, substring: bool = False) -> str | None:
    """A note for stderr when ``value`` (of the field ``what``) matches none of the ``stored``
    values (case-insensitive; ``substring``: a part of one is enough), else None."""
    if not value:
        return None
    v, stored = _norm(value), sorted(set(stored))
    if any(v == _norm(x) or (substring and v in _norm(x)) for x in stored):
        return None
    listed = "; ".join(stored) if stored else "none"
    return f"note: no project has the {what} {value!r} (stored: {listed})"
