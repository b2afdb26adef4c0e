"""Text helpers shared by the encoders, the lexical index and the summariser.

Tokenisation is deliberately simple (lower-cased letter runs) so that it is
fast (~1 ms for a 350-word document) and identical at index and query time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..text import stem

WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)

# Swedish function words plus ESF page boilerplate that carries no topic.
STOPWORDS = frozenset(
    """
    och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi så kan
    man när år säger hon under också efter eller nu sin där vid mot ska skall skulle kommer ut får finns
    vara vad fick två än andra ha alla andra dem då sedan över bara även vilket dess oss detta dessa deras
    denna sitt sina sitt hur hade blev bli blir samt inom utan genom hos mellan mer mycket många dock
    eftersom både hela ny nya nytt annat olika vilka vilken vilket varje någon några något ingen inga
    inget sådan sådana själv själva redan ännu också här just ju nog väl t ex bl a m m dvs osv ca
    vår våra vårt er ert era din dina ditt min mina mitt oss dig mig honom henne hans hennes dom ni du
    kr sek procent st fler flera mest minst ska samma egen eget egna del delar sätt genom vilket
    logotyp utskrifter english cookies kontaktperson telefonnummer e-post epost projektägare
    projektperiod projektfas region beviljat esf-stöd total projektbudget programområde
    """.split()  # noqa: SIM905 - a word list is easier to read and edit as text
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and inner hyphens)."""
    return WORD_RE.findall(text.lower())


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if len(w) > 1 and w not in STOPWORDS]


def stems(text: str) -> list[str]:
    """Snowball-stemmed content words (the pipeline's one Swedish stemmer, ``pipeline.text``)."""
    return stem(content_words(text))


def stem_words(ws: Iterable[str]) -> list[str]:
    return stem(ws)


def truncate_words(text: str, n: int) -> str:
    if n <= 0:
        return text
    parts = text.split()
    return text if len(parts) <= n else " ".join(parts[:n])
