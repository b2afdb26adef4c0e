"""One parser for the period bounds users type (CLI export, HTTP API).

A bound is a year (``2019``), a year and month (``2019-05``) or a date
(``2019-05-17``). A lower bound (``period_from``) means the first day of what was
given, an upper bound (``period_to``) its last day, so ``period_from=2019
period_to=2019`` is the whole of 2019.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Optional

PERIOD_BOUND_PATTERN = r"^\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?$"
PERIOD_BOUND_HELP = "a year (2019), a year-month (2019-05) or a date (2019-05-17)"
_BOUND_RE = re.compile(PERIOD_BOUND_PATTERN)


def parse_period_bound(value: Optional[str | date], *, end: bool = False) -> Optional[date]:
    """``value`` as a date: the first day of the year/month given, or the last day when
    ``end`` is true. ``None`` and ``""`` give ``None``; anything else that is not
    :data:`PERIOD_BOUND_HELP` raises ``ValueError`` with a message that says so."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    s = str(value).strip()
    if not s:
        return None
    m = _BOUND_RE.match(s) if len(s) <= 10 else None
    if not m:
        raise ValueError(f"{_show(s)} is not {PERIOD_BOUND_HELP}")
    parts = [int(x) for x in s.split("-")]
    year = parts[0]
    try:
        if len(parts) == 1:
            if year < 1:
                raise ValueError
            return date(year, 12, 31) if end else date(year, 1, 1)
        month = parts[1]
        if len(parts) == 2:
            last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
            return date(year, month, last) if end else date(year, month, 1)
        return date(year, month, parts[2])
    except (ValueError, calendar.IllegalMonthError):
        raise ValueError(f"{_show(s)} is not a valid calendar date ({PERIOD_BOUND_HELP})") from None


def _show(s: str) -> str:
    return repr(s if len(s) <= 40 else s[:40] + "…")
