"""Filter values of ``export`` and ``similar`` checked against what exists, so that a typo is not
mistaken for an empty answer.

- ``--theme`` names a closed set (:mod:`pipeline.themes.names`): a value that names no theme is a
  usage error with a suggestion ("did you mean 'unga'?").
- ``--region`` and ``--programme-area`` are stored as the documents state them: when a run finds
  nothing and such a value matches no stored one, a note lists the stored values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import typer

from ..themes.names import fold, unknown_theme


def check_themes(
    values: Iterable[str], known: Mapping[str, str], *, substring: bool = False, param_hint: str = "--theme"
) -> None:
    """Raise ``typer.BadParameter`` for the first value that is neither an id nor a label in
    ``known`` (id → label), compared case-insensitively; ``substring``: a part of one is enough
    (``similar`` filters that way)."""
    message = unknown_theme(values, known, substring=substring)
    if message:
        raise typer.BadParameter(message, param_hint=param_hint)


def unmatched_note(what: str, value: str | None, stored: Iterable[str], *, substring: bool = False) -> str | None:
    """A note for stderr when ``value`` (of the field ``what``) matches none of the ``stored``
    values (case-insensitive; ``substring``: a part of one is enough), else None."""
    if not value:
        return None
    v, stored = fold(value), sorted(set(stored))
    if any(v == fold(x) or (substring and v in fold(x)) for x in stored):
        return None
    listed = "; ".join(stored) if stored else "none"
    return f"note: no project has the {what} {value!r} (stored: {listed})"
