"""Value normalisers: Swedish money, dates, percentages, counts, regions."""

from __future__ import annotations

import re
from datetime import date
from typing import Optional

MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "mars": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "maj": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augusti": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_SCALE = [
    (re.compile(r"^(miljarder|miljard|mdkr|mdr)\b", re.I), 1_000_000_000),
    (re.compile(r"^(miljoner|miljon|mnkr|mkr|msek|mn|milj\.?)\b", re.I), 1_000_000),
    (re.compile(r"^(tusen|tkr|ksek)\b", re.I), 1_000),
]
_NUM = re.compile(r"(\d{1,3}(?:[ .\u00a0]\d{3})+|\d+)(?:,(\d+))?")


def parse_money(value: str) -> Optional[int]:
    """'4 374 500 kr' -> 4374500; '12,3 miljoner kronor' -> 12300000; '9 142 455' -> 9142455."""
    m = _NUM.search(value)
    if not m:
        return None
    whole = re.sub(r"[ .\u00a0]", "", m.group(1))
    frac = m.group(2) or ""
    rest = value[m.end() :].strip()
    for pattern, factor in _SCALE:
        if pattern.match(rest):
            return round(float(f"{whole}.{frac or 0}") * factor)
    if frac and len(frac) != 2:  # "1,5" without a scale is not an amount in kronor
        return None
    return int(whole)


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_LONG = re.compile(r"(\d{1,2})\s+([a-zåäö]+)\.?\s+(\d{4})", re.I)
_MONTH_YEAR = re.compile(r"\b([a-zåäö]+)\s+(\d{4})\b", re.I)


def _dates_in(value: str) -> list[date]:
    found: list[tuple[int, date]] = []
    for m in _ISO.finditer(value):
        try:
            found.append((m.start(), date(int(m.group(1)), int(m.group(2)), int(m.group(3)))))
        except ValueError:
            pass
    for m in _LONG.finditer(value):
        month = MONTHS.get(m.group(2).lower())
        if month:
            try:
                found.append((m.start(), date(int(m.group(3)), month, int(m.group(1)))))
            except ValueError:
                pass
    return [d for _, d in sorted(found)]


def parse_date(value: str) -> Optional[date]:
    """One full date: '2023-09-30', '1 augusti 2016'. A bare month or year is no date."""
    dates = _dates_in(value)
    return dates[0] if len(dates) == 1 else None


def parse_period(value: str) -> tuple[Optional[date], Optional[date]]:
    """'2008-06-19 till 2010-02-05', '2018-02-01 - 2021-02-28', '1 januari 2016 – 31 december 2018'."""
    dates = _dates_in(value)
    if len(dates) >= 2 and dates[0] <= dates[1]:
        return dates[0], dates[1]
    if len(dates) == 1:
        return dates[0], None
    return None, None


def parse_percent(value: str) -> Optional[float]:
    m = re.search(r"(\d+(?:[.,]\d+)?)\s*(%|procent)", value)
    if not m:
        return None
    return round(float(m.group(1).replace(",", ".")) / 100, 4)


def parse_int(value: str) -> Optional[int]:
    m = re.search(r"\d{1,3}(?:[ \u00a0]\d{3})+|\d+", value)
    return int(re.sub(r"\D", "", m.group(0))) if m else None


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+46|0)[\d\s-]{6,16}\d")


def parse_email(value: str) -> Optional[str]:
    m = EMAIL.search(value)
    return m.group(0).lower().rstrip(".") if m else None


def parse_phone(value: str) -> Optional[str]:
    m = PHONE.search(value)
    return re.sub(r"\s+", " ", m.group(0)).strip() if m else None


PROJECT_NUMBER = re.compile(r"\b(?:19|20)\d{2}/\d{3,5}\b")
# Every form a project number takes: 2014-2020 "2018/00517", 2007-2013 "2009-3010067",
# ESF+ 2021-2027 "23-012-S01".
ANY_PROJECT_NUMBER = re.compile(r"\b(?:(?:19|20)\d{2}/\d{3,5}|(?:19|20)\d{2}-\d{7}|\d{2}-\d{3}-S\d{2})\b")


def parse_project_number(value: str) -> Optional[str]:
    m = ANY_PROJECT_NUMBER.search(value)
    if m:
        return m.group(0)
    value = value.strip()
    # A stated number of another form is kept as written, if it looks like one.
    return value if value and len(value) <= 40 and re.search(r"\d", value) and len(value.split()) <= 3 else None


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def parse_organisation_number(value: str) -> Optional[str]:
    """Swedish organisationsnummer -> 'NNNNNN-NNNN': '2120000175', '212000-0175', '16212000-0175'.
    The check digit must hold (Luhn), else the value is not an organisation number."""
    m = re.search(r"(?<!\d)(?:16)?(\d{6})[- ]?(\d{4})(?!\d)", value)
    if not m or not _luhn(m.group(1) + m.group(2)):
        return None
    return f"{m.group(1)}-{m.group(2)}"


def parse_fund(value: str) -> Optional[str]:
    """'ESF+' / 'Europeiska socialfonden+' -> 'ESF+'; 'ESF' / 'Europeiska socialfonden' -> 'ESF'."""
    v = re.sub(r"\s+", " ", value).strip().casefold()
    if re.fullmatch(r"(?:esf|europeiska socialfonden)\s?(?:\+|plus)", v):
        return "ESF+"
    if re.fullmatch(r"esf|europeiska socialfonden", v):
        return "ESF"
    return None


def parse_nuts2(value: str) -> Optional[str]:
    """NUTS code as stated: 'SE11', 'SE0' (ESF+ pages write SE0 for national projects)."""
    v = value.strip().upper()
    return v if re.fullmatch(r"[A-Z]{2}[0-9A-Z]{0,3}", v) else None


def parse_cci(value: str) -> Optional[str]:
    """Programme CCI: '2021SE05SFPR', '2014SE05M9OP001'."""
    v = value.strip().upper()
    return v if re.fullmatch(r"(?:19|20)\d{2}[A-Z]{2}\d{2}[A-Z0-9]{2,10}", v) else None
