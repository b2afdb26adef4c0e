"""Candidate sentences and a quality filter for extractive summaries.

Prose runs (lines joined within a paragraph: PDF and web text wraps sentences over lines) are cut
into sentences by the pipeline's Swedish sentence splitter (``pipeline.text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import split_sentences as _split

_TERMINAL_RE = re.compile(r"[.!?][\"”»)]?$")
_LABEL_RE = re.compile(r"^[\wÅÄÖåäö ./-]{1,40}:\s")
_BULLET_RE = re.compile(r"^\s*(?:[-–—•*·▪►o]|\d+[.)]|[a-z][.)])\s+")
_BAD_RE = re.compile(r"@|https?:|www\.|\.se\b|\.pdf\b|\.\.\.|…|\b(?:tel|fax|e-post|telefon)\b", re.I)
_WS_RE = re.compile(r"\s+")
# a photo credit: the paragraph it ends is an image caption, not prose
_PHOTO_CREDIT_RE = re.compile(r"(?:^|[.!?]\s)(?:Foto|Fotograf|Bild|Illustration)\s*:\s*\S")
# a web address in brackets after a statement, "(regeringen.se)": dropped so that the statement can be used
_WEB_REF_RE = re.compile(
    r"\s*\((?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:se|nu|org|com|eu|net|fi|dk|no)(?:/[^\s)]*)?\s*\)"
)


@dataclass
class Sentence:
    text: str
    start: int  # offset in the source text
    section: str | None = None
    index_in_section: int = 0
    label: str | None = None  # a lead label stripped from the sentence ("Syfte: Att ..." -> "syfte")


def _blocks(text: str, base: int = 0) -> list[tuple[str, int]]:
    """Runs of prose: lines joined within a paragraph; short unpunctuated lines and bullets break runs."""
    out: list[tuple[str, int]] = []
    cur: list[str] = []
    cur_start = base
    pos = base
    for line in text.split("\n"):
        stripped = line.strip()
        line_start = pos + (len(line) - len(line.lstrip()))
        pos += len(line) + 1
        is_break = (
            not stripped
            or _BULLET_RE.match(line) is not None
            or (len(stripped.split()) < 8 and not _TERMINAL_RE.search(stripped))
        )
        if is_break:
            if cur:
                out.append((" ".join(cur), cur_start))
                cur = []
            if stripped and _BULLET_RE.match(line):
                out.append(("\u2022 " + stripped, line_start))  # kept but marked as a bullet
            continue
        if not cur:
            cur_start = line_start
        cur.append(stripped)
    if cur:
        out.append((" ".join(cur), cur_start))
    return out


def prose_sentences(text: str, base: int = 0) -> list[Sentence]:
    """Sentences of the prose runs of ``text`` (lines joined within a paragraph), cut by the pipeline's
    one Swedish sentence splitter (:func:`pipeline.text.split_sentences`); a bullet line is one unit.
    A lead label is stripped ("Syfte: Att ..." -> "Att ...", label "syfte"). A paragraph with a photo credit
    ("Foto: N. N.") is an image caption: none of its sentences is returned."""
    sents: list[Sentence] = []
    for block, bstart in _blocks(text, base):
        if block.startswith("\u2022 "):
            sents.append(Sentence(block, bstart))
            continue
        if _PHOTO_CREDIT_RE.search(block):
            continue  # an image caption ("... under en workshop. Foto: N. N.")
        for piece in _split(_WEB_REF_RE.sub("", block)):
            m = _WS_RE.sub(" ", piece.text).strip()
            if not m:
                continue
            stripped = strip_lead_label(m)
            label = m[: len(m) - len(stripped)].strip(" :.–-").split()[-1].lower() if stripped != m else None
            sents.append(Sentence(stripped, bstart + piece.start + (len(m) - len(stripped)), label=label))
    return sents


_LEAD_LABEL_RE = re.compile(
    r"^(?:Nyhet|Nyheter|Pressmeddelande|Uppdatering|Reportage|Krönika|Slutrapport|Lägesrapport|Sammanfattning|Syfte|Mål|Bakgrund)\s*[:.–-]\s+(?=[A-ZÅÄÖ])"
)


_RUN_IN_LEAD_RE = re.compile(
    r"^(?:\d{1,3}\s+)?(?:Bakgrund|Syfte|Sammanfattning|Inledning|Målgrupp|Mål|Resultat|Genomförande|Aktiviteter)"
    r"(?:\s*(?=[A-ZÅÄÖ](?:[a-zåäö]|[A-ZÅÄÖ]+-[a-zåäö]))|\s+(?:till|med|för|i)\s+projektet\s+(?=[A-ZÅÄÖ]))"
    r"|^(?:\d{1,3}\s+)?(?:BAKGRUND|SYFTE|SAMMANFATTNING|INLEDNING|MÅLGRUPP|MÅL|RESULTAT|GENOMFÖRANDE|AKTIVITETER)"
    r"\s+(?=[A-ZÅÄÖ][a-zåäö])"
)
# a heading of a few words run into the sentence that follows it: "Övergripande syfte och problembeskrivning
# Projektet riktar sig ..." (a capitalised sentence opener mid-sentence marks where the sentence begins)
_RUN_IN_HEADING_LEAD_RE = re.compile(
    r"^[A-ZÅÄÖ][\wåäöÅÄÖ-]*(?: [\wåäöÅÄÖ-]+){0,5} "
    r"(?=(?:Projektet|Projekt|Syftet|Målet|Förstudien|Det|Detta|Denna) [a-zåäö\d]|Projektet [A-ZÅÄÖ])"
)


def strip_lead_label(s: str) -> str:
    """'Nyhet: I Uppsala har ...' -> 'I Uppsala har ...'; '4 Bakgrund Projektet ...' -> 'Projektet ...';
    'BakgrundDigitaliseringen går ...' -> 'Digitaliseringen går ...'; 'Problem och utgångslägen Projektet ska ...'
    -> 'Projektet ska ...'; 'Bakgrund till projektet IUC Norrbottens ...' -> 'IUC Norrbottens ...';
    'Sammanfattning EU-projektet X ...' -> 'EU-projektet X ...'; 'SAMMANFATTNING Ankeby AB har ...' -> 'Ankeby AB
    har ...'; 'Problem och utgångslägen
    Projektet HP5 ...' -> 'Projektet HP5 ...' (a capitalised "Projektet" mid-sentence starts one)."""
    s = _LEAD_LABEL_RE.sub("", s, count=1)
    s = _RUN_IN_LEAD_RE.sub("", s, count=1)
    return _RUN_IN_HEADING_LEAD_RE.sub("", s, count=1)


def is_good_sentence(s: str, min_words: int = 6, max_words: int = 45) -> bool:
    """Readable prose sentence: no heading, label, bullet, contact detail, fragment or quote line."""
    if s.startswith("\u2022") or _BULLET_RE.match(s):
        return False
    n = len(s.split())
    if n < min_words or n > max_words:
        return False
    if not _TERMINAL_RE.search(s) or s.endswith("?"):
        return False
    first = s[0]
    if not (first.isupper() and first.isalpha()):
        return False  # lower-case start (fragment), digit (page number), dash (quote), quote mark
    if _LABEL_RE.match(s) or _BAD_RE.search(s):
        return False
    letters = [c for c in s if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.25:
        return False  # SHOUTING or run-together labels
    if _CAPS_TITLE_RE.match(s):
        return False  # a title block in capitals run into the text ("UNGDOMARS ANDRA CHANS en syntes av ...")
    if s.count("(") != s.count(")") or s.count('"') % 2 or s.count("”") % 2 == 1 and "“" not in s:
        return False
    if _GLUED_LABEL_RE.search(s) or re.search(r":\s+[A-ZÅÄÖ”\"“]", s):
        return False  # glued label+value such as "ProjektägareAlingsås"
    if _RUN_IN_HEADING_RE.search(s):
        return False  # a heading run into the text (PDF transcripts)
    if _QUOTE_RE.search(s):
        return False  # quote attributed to a speaker (news)
    if len(_TOC_RE.findall(s)) >= 2 or _TOC_PAIR_RE.search(s) or _REFERENCE_RE.match(s):
        return False  # a table of contents ("Bakgrund 10 Ekonomi 15 ...") or an entry of a reference list
    if _lost_boundary(s):
        return False  # two sentences or a heading and a sentence run together (a full stop lost in a PDF)
    if is_name_list(s):
        return False  # a list of organisations, municipalities or people
    if _FORM_RE.search(s):
        return False  # a report template's instruction ("Beskriv kortfattat …", "ska göras i bifogad mall")
    if _PERSON_CAPTION_RE.match(s):
        return False  # people and their roles ("Anna Berg, vd på X, och …"): a caption or a quote's speaker
    return True


def is_name_list(s: str) -> bool:
    """'..., Ale, Alingsås, Göteborg, Härryda och Tjörn ...': four or more comma-separated capitalised names."""
    items = [x.strip() for x in re.split(r",|\boch\b|\bsamt\b", s)]
    names = sum(1 for x in items[1:] if x[:1].isupper())
    return names >= 4 and names >= 0.5 * (len(items) - 1)


# a report template's instructions: imperatives to the applicant, the template itself, the reader addressed
_FORM_RE = re.compile(
    r"^(?:Beskriv|Redogör|Ange|Ge en|Fyll i|Bifoga|Vänligen|Observera)\b|"
    r"\b(?:mall|mallen|mallens|mallar|mallarna|vänligen|fylls i|A4-sid\w*|varje rubrik)\b|\b(?:ni|er|era|du|dig)\b|"
    r"\bslutrapporten\b",
    re.IGNORECASE,
)
_PERSON_CAPTION_RE = re.compile(
    r"^[A-ZÅÄÖ][a-zåäöé]+ [A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?, (?:\w+ )?"
    r"(?:vd|ordförande|rektor|kommunalråd|\w*(?:chef|ledare|samordnare|administratör|handläggare|strateg|ansvarig|"
    r"koordinator|utvecklare|konsult|coach|lärare|forskare|direktör|sekreterare))\b"
)
_CAPS_TITLE_RE = re.compile(r"^(?:[A-ZÅÄÖ]{4,}\s+){2,}")
_GLUED_LABEL_RE = re.compile(
    r"(?:Projektägare|Kontaktperson|Region|Projektperiod|Telefonnummer|Programområde|Projektfas|E-post|ESF-stöd|projektbudget|Projektnummer)[A-ZÅÄÖ0-9]"
)
_RUN_IN_HEADING_RE = re.compile(
    r"[a-zåäö,] (?:Syfte|Bakgrund|Sammanfattning|Innehåll|Målgrupp|Mål|Aktiviteter|Resultat|Kontakt)(?: med| och)? [A-ZÅÄÖa-zåäö]"
)
_TOC_RE = re.compile(r"[\wåäö)] \d{1,3}\.? (?=[A-ZÅÄÖ])")
# a page number and the next chapter's number: "Rapportens disposition 3 3. Om projektet"
_TOC_PAIR_RE = re.compile(r"[a-zåäö] \d{1,3} \d{1,2}\.?(?: [A-ZÅÄÖ]|$)")
# a word that only opens a sentence, capitalised after a lower-case word: "... strukturfonderna Ett svenskt
# begrepp ..." (a heading run in before a noun, "Vår roll Följeforskningen har ...", is not caught: a noun
# can be a name); after a word that introduces a name ("tillväxtprojektet En väg in") it is a name
_OPENER_AFTER_WORD_RE = re.compile(r"(\w+) (?:Ett|En|Det|Den|De|Dessa|Detta|Denna|Vi|Han|Hon|Man) (?=[a-zåäö])")
_NAMING_WORD_RE = re.compile(
    r"(?:projekt|projektet|kallas|kallat|heter|namnet|satsningen|metoden|modellen|rapporten)$", re.I
)


def _lost_boundary(s: str) -> bool:
    """Two sentences or a heading and a sentence run together (a full stop lost in a PDF transcript)."""
    return any(
        m.group(1)[-1].islower() and not _NAMING_WORD_RE.search(m.group(1)) for m in _OPENER_AFTER_WORD_RE.finditer(s)
    )


_REFERENCE_RE = re.compile(r"^[A-ZÅÄÖ][\wåäö-]+, (?:[A-ZÅÄÖ]\. ?)+(?:(?:&|och) [^()]{1,60})?\((?:19|20)\d\d\w?\)")
_QUOTE_RE = re.compile(
    r"[,!–-]\s*(?:säger|sade|sa|berättar|menar|konstaterar|förklarar|understryker|påpekar|tycker)\s+[A-ZÅÄÖ]", re.U
)
