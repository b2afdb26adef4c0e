"""Fields stated in prose: news items, reports, evaluations, municipality pages.

Only what a reader would take as stated: "Projektet drivs av Hylte kommun" (owner),
"ESF-rådet har beviljat 25 miljoner kronor" (ESF support), "med en total budget på 7,4 mkr"
(total budget), "pågår från 1 augusti 2016 till 31 december 2017" (period), "340 deltagare ska
delta" (planned participants), "i kommunerna Simrishamn, Sjöbo och Ystad" (municipalities),
a contact block or "kontakta Anna Berg, 070-123 45 67" (contact). Hedged figures ("omkring sex
miljoner", "ungefär 70") are not stated values; bare years and months are no dates; a funder,
a partner or a person is not the owner; amounts applied for are not amounts granted.
Precision comes first: each pattern needs an explicit cue, and a doubtful value is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..paths import repo_path
from ..text import split_sentences
from . import normalise as n

MAX_CHARS = 40_000  # prose statements about a project come early; bound the work per document

WORDNUM = {
    "en": 1,
    "ett": 1,
    "två": 2,
    "tre": 3,
    "fyra": 4,
    "fem": 5,
    "sex": 6,
    "sju": 7,
    "åtta": 8,
    "nio": 9,
    "tio": 10,
    "elva": 11,
    "tolv": 12,
    "tretton": 13,
    "fjorton": 14,
    "femton": 15,
    "sexton": 16,
    "sjutton": 17,
    "arton": 18,
    "nitton": 19,
    "tjugo": 20,
    "trettio": 30,
    "fyrtio": 40,
    "femtio": 50,
}
_WORDNUM = "|".join(sorted(WORDNUM, key=len, reverse=True))
_NUM = r"\d{1,3}(?:[ \u00a0.]\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_SCALE = r"miljarder|miljard|miljoner|miljon|mnkr|mkr|msek|mdkr|milj\.?|tkr|tusen"
# An amount: a figure with a scale or a currency ("25 miljoner kronor", "7,4 mkr", "500 000 kr",
# "sju miljoner", "en halv miljon").
AMT = (
    rf"(?P<num>{_NUM}|{_WORDNUM}|(?:en\s+)?halv)\s*(?:(?P<scale>{_SCALE})(?:\s+(?:kronor|kr|sek)\b)?"
    rf"|(?P<cur>kronor|kr\b|sek\b|:-))"
)
HEDGE = re.compile(
    r"(?:omkring|ungefär|cirka|ca|c:a|drygt|nästan|knappt|runt|närmare|över|uppemot|upp\s+till|"
    r"mer\s+än|mindre\s+än|strax\s+(?:under|över)|minst|högst|maximalt|max|bortåt|kring|dryga|"
    r"uppskattningsvis|omkr)\.?\s+(?:\w+\s+)?$",
    re.I,
)
ESF = (
    r"(?:Svenska\s+)?(?:ESF\+?(?:-rådet|\s+Rådet|-rådets)?|Europeiska\s+socialfonden\+?|[Ss]ocialfonden\+?|"
    r"EU:s\s+socialfond(?:en)?)"
)
ESF_RE = re.compile(ESF, re.I)

_ESF_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        # "27 miljoner kronor från Europeiska socialfonden", "7,4 miljoner som har beviljats från ESF"
        rf"{AMT}\s+(?:(?:i|som)\s+)?(?:(?:EU-|ESF-)?(?:stöd|bidrag|medel|finansiering|pengar)\s+)?(?:(?:har|hade)\s+)?"
        rf"(?:(?:beviljats|beviljades|tilldelats|betalats\s+ut)\s+)?(?:från|av|ur|via)\s+{ESF}",
        # "ESF-rådet har beviljat 25 miljoner kronor", "Europeiska socialfonden delar ut sju miljoner kronor"
        rf"{ESF}\s+(?:som\s+)?(?:har\s+|hade\s+)?(?:nu\s+)?(?:beviljat|beviljar|beviljade|ger|gav|bidrar\s+med|satsar|delar\s+ut|"
        rf"tilldelat|tilldelar|står\s+för)\s+(?:projektet\s+|satsningen\s+|oss\s+|(?:ett\s+)?(?:stöd|bidrag)\s+(?:på|om)\s+)?"
        rf"(?:de\s+)?{AMT}",
        # "ESF-stöd på 4,2 miljoner", "stöd från ESF om 43,1 miljoner kronor"
        rf"ESF\+?-(?:stöd|medel|bidrag)(?:et)?\s+(?:på|om|är|var|uppgår\s+till|uppgick\s+till)\s+{AMT}",
        # "3,2 miljoner kronor i ESF-stöd", "fem miljoner i socialfondsmedel"
        rf"{AMT}\s+(?:kronor\s+)?i\s+(?:ESF\+?-(?:stöd|medel|bidrag)|socialfondsmedel|socialfondsstöd)\b",
        rf"(?:stöd|bidrag|medel|finansiering)(?:et)?\s+(?:från|genom|via)\s+{ESF}(?:\s+(?:på|om|med|uppgår\s+till|uppgick\s+till)|"
        rf"\s*[,:])\s+{AMT}",
    )
]
# A grant verb and an amount, in a sentence that names the fund.
_GRANT_AMT = re.compile(
    rf"(?:beviljades|beviljats|beviljat|tilldelats|tilldelades|blivit\s+beviljade?)\s+"
    rf"(?:\w+\s+){{0,2}}?{AMT}",
    re.I,
)
_TOTAL_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        rf"(?:total(?:a)?\s+budget(?:en)?|totalbudget(?:en)?|budget(?:en)?|projektets\s+(?:totala\s+)?kostnad(?:er)?|"
        rf"(?:den\s+)?totala\s+kostnaden|totalkostnad(?:en)?|omslutning(?:en)?)\s+(?:för\s+(?:hela\s+)?(?:projektet|satsningen)\s+)?"
        rf"(?:är|var|blir|uppgår\s+till|uppgick\s+till|landar\s+på|beräknas\s+till|på|om)\s+(?:totalt\s+|sammanlagt\s+)?{AMT}",
        rf"(?:(?:projektet|satsningen)\s+(?:omsluter|kostar)\s+(?:totalt\s+|sammanlagt\s+)?|"
        rf"\b(?:omsluter|kostar)\s+(?:totalt|sammanlagt)\s+){AMT}",
        rf"{AMT}\s+i\s+total(?:\s+|a\s+)?budget",
        # "de 23 miljoner projektet kostat"
        rf"{AMT}\s+(?:som\s+)?(?:projektet|satsningen)\s+(?:har\s+)?(?:kostat|kostade|totalt\s+kostat)\b",
    )
]
_NOT_GRANT_BEFORE = re.compile(r"\b(?:sök|ansök)\w*\b[^.]{0,40}$", re.I)  # an amount applied for
_NOT_PROJECT_AFTER = re.compile(
    r"^\s*(?:\S+\s+){0,3}?(?:per|i\s+månaden|om\s+året|/år|/månad|till\s+(?:(?!ett\b|en\b|det\b|detta\b)(?:\d+|\w+)\s+)?"
    r"(?:olika\s+)?(?:projekt|satsningar|kommuner|organisationer|insatser)\b)",
    re.I,
)
_AMT_RE = re.compile(AMT, re.I)
# Cheap filters: a sentence without them cannot match the (costlier) patterns below.
_DIGIT = re.compile(r"\d")
_YEAR_HINT = re.compile(r"(?:19|20)\d\d")
_MUNI_HINT = re.compile(r"kommun|fanns|finns|pågå|bedriv|genomför|verka|tillsammans", re.I)
_FUND_HINT = re.compile(r"ESF|socialfond", re.I)
_MONEY_HINT = re.compile(r"\d|miljon|miljard|halv", re.I)
_OWNER_HINT = re.compile(r"projektägar|huvudman|drivs|ägs|leds|driver|äger|står|regi\b", re.I)
_COFIN = re.compile(
    rf"{ESF}\s+(?:bidrar|står\s+för|finansierar|täcker|medfinansierar)\s+(?:med\s+)?"
    rf"(?P<pct>\d+(?:,\d+)?)\s?(?:%|procent)",
    re.I,
)

# "ESF diarienummer 2015/00142", "Dnr: 2009-3010067"
_NUMBER = re.compile(
    r"\b(?:[Dd]iarienummer|[Pp]rojektnummer|[Dd]nr)\s*:?\s*(?P<num>(?:19|20)\d{2}/\d{3,5}|(?:19|20)\d{2}-\d{7}|"
    r"\d{2}-\d{3}-S\d{2})\b"
)

# -- owner ------------------------------------------------------------------------------------
_ORG_NOUN = (
    r"(?:kommun|stad|stift|läns?|region|landsting|kommunalförbund|samordningsförbund|förbund|förening|"
    r"folkhögskola|högskola|universitet|församling|pastorat|stiftelse|AB|HB|ek\.\s?för\.)"
)
_CAP = r"[A-ZÅÄÖ][\w&.'’-]*"
ORG = (
    rf"(?P<org>{_CAP}(?:\s+[\wåäö-]+){{1,5}}?\s+\([A-ZÅÄÖ]{{2,8}}\)|{_CAP}(?:\s+(?:{_CAP}|{_ORG_NOUN}\b|(?:och|i|för)\s+(?={_CAP}){_CAP}))*"
    rf"(?:\s+\([A-ZÅÄÖ][\w-]{{1,12}}\))?(?:,\s+[a-zåäö]+(?:förvaltningen|nämnden|enheten|avdelningen|kontoret|sektionen))?)"
)
_OWNER_STRONG = [
    re.compile(p)
    for p in (
        rf"(?i:projektägare(?:n)?|huvudman(?:nen)?)\s+(?:för\s+(?:projektet|satsningen)\s+)?(?:är|var|blir|blev)\s+{ORG}",
        rf"{ORG}\s+(?:som\s+)?(?:också\s+)?(?:är|var|blir|blev|står\s+som)\s+(?:också\s+)?(?:projektägare|huvudman)\b",
        rf"(?:[Mm]ed|[Dd]är)\s+{ORG}\s+som\s+(?:projektägare|huvudman)\b",
        rf"{ORG}\s+(?:fick|har|hade)\s+rollen\s+som\s+projektägare",
        rf"(?:projektägaren|huvudmannen)\s+{ORG}",
        rf"(?:[Pp]rojekt\w*|[Ss]atsning\w*|[Ff]örstudie\w*)\b[^.]{{0,80}}?\b(?:drivs|ägs|leds)\s+"
        rf"(?:(?:nu|också|även|sedan|fortsatt)\s+)?av\s+{ORG}",
        rf"{ORG}\s+(?:som\s+)?(?:driver|äger|står\s+bakom)\s+(?:projektet|satsningen|förstudien)\b",
        rf"[Bb]akom\s+(?:projektet|satsningen|förstudien)\s+står\s+{ORG}",
        rf"\bi\s+(?:\w+\s+)?regi\s+av\s+{ORG}",
    )
]
_OWNER_GRANT = re.compile(
    rf"(?:^|\batt\s+){ORG}\s+(?:har\s+|hade\s+)?(?:nu\s+)?(?:(?:tillsammans\s+med|i\s+samverkan\s+(?:med|mellan))\s+[^.]{{0,200}}?\s+)?"
    rf"(?:ansökt\s+om\s+och\s+)?(?:blivit\s+)?"
    rf"(?:får|fått|fick|tilldelats|tilldelades|beviljats|beviljades|beviljas|beviljade)\b"
)
# "Det är Växjö kommuns projekt ...": a named municipality or region's project
_OWNER_GENITIVE = re.compile(
    r"(?P<org>(?:[A-ZÅÄÖ][\wåäö-]+\s+(?:kommun|stad)|Region\s+[A-ZÅÄÖ][\wåäö-]+))s\s+(?:projekt|ESF-projekt)\b"
)
# Section headings that PDF transcripts run into the next sentence ("Inledning Falkenbergs kommun har ...").
_HEADING_WORD = re.compile(
    r"^(?:Inledning|Sammanfattning|Bakgrund|Syfte|Förord|Beskrivning|Resultat|Slutsatser|"
    r"Projektbeskrivning|Om projektet)\s+(?=[A-ZÅÄÖ])"
)


def _unhead(text: str) -> str:
    return _HEADING_WORD.sub("", text, count=1)


_STOP_FIRST = {
    "projektet",
    "projekt",
    "det",
    "den",
    "de",
    "dessa",
    "detta",
    "denna",
    "vi",
    "man",
    "hon",
    "han",
    "nu",
    "här",
    "även",
    "i",
    "under",
    "sedan",
    "efter",
    "inom",
    "genom",
    "med",
    "för",
    "alla",
    "flera",
    "många",
    "kommunen",
    "kommunerna",
    "staden",
    "regionen",
    "satsningen",
    "förstudien",
    "arbetet",
    "målet",
    "syftet",
    "som",
    "om",
    "då",
    "när",
    "både",
    "tillsammans",
    "totalt",
    "samtidigt",
    "dessutom",
    "eu",
    "esf",
    "europeiska",
    "svenska",
    "ett",
    "en",
    "två",
    "tre",
    "fyra",
    "fem",
    "sex",
    "sju",
    "åtta",
    "nio",
    "tio",
    "och",
    "men",
    "att",
    "där",
    "vilket",
    "projektägare",
    "projektägaren",
    "verksamheten",
    "utbildningen",
    "insatsen",
    "förvaltningen",
    "föreningen",
}
# Organisation types of which there are many: alone they name no one.
_GENERIC_ORG = {
    "länsstyrelsen",
    "kommunförbundet",
    "samordningsförbundet",
    "landstinget",
    "regionen",
    "kommunen",
    "stiftet",
    "församlingen",
    "högskolan",
    "universitetet",
    "folkhögskolan",
    "föreningen",
    "stiftelsen",
    "förbundet",
    "kooperativet",
    "företaget",
    "bolaget",
    "skolan",
    "stadsdelen",
    "förvaltningen",
}
_FUNDER = re.compile(r"ESF|[Ss]ocialfond|\bEU\b|EU-|Europeiska\s+unionen|Tillväxtverket", re.I)
_ORG_SUFFIX = re.compile(
    r"(?:förbundet|förvaltningen|kassan|förmedlingen|verket|stiftelsen|skolan|centrum|mission|"
    r"kyrkan|stift|kommun|regionen|institutet|universitetet|högskolan|föreningen|rådet|bolaget|"
    r"nämnden|styrelsen|landstinget)$",
    re.I,
)

# -- period -----------------------------------------------------------------------------------
_DATE = r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\s+(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december)\s+\d{4})"
_NOT_PROJECT_EVENT = re.compile(
    r"utlysning|ansökningsomgång|ansökan|ansöka|anmälan|anmäl|sista\s+dag|seminari|"
    r"konferens|webbinari|mötet|möte\s",
    re.I,
)
_PERIOD_CUE = re.compile(
    r"\b(?:pågår|pågick|pågått|pågå|löper|löpte|varar|varade|projektperiod(?:en)?|projekttid(?:en)?|"
    r"genomförandeperiod(?:en)?|perioden)\b",
    re.I,
)
_RANGE = re.compile(
    rf"(?:från\s+(?:och\s+med\s+)?(?:den\s+)?)?(?P<a>{_DATE})\s*(?:till(?:\s+och\s+med)?|t\.o\.m\.?|–|-|—)\s*"
    rf"(?:den\s+)?(?P<b>{_DATE})",
    re.I,
)
_BETWEEN = re.compile(rf"\bmellan\s+(?:den\s+)?(?P<a>{_DATE})\s+och\s+(?:den\s+)?(?P<b>{_DATE})", re.I)
_FROM = re.compile(rf"\bfrån\s+(?:och\s+med\s+)?(?:den\s+)?(?P<a>{_DATE})", re.I)
_UNTIL = re.compile(rf"\b(?:till(?:\s+och\s+med)?|t\.o\.m\.?|fram\s+till)\s+(?:den\s+)?(?P<b>{_DATE})", re.I)
_START = re.compile(
    rf"\b(?:startar|startade|inleds|inleddes|påbörjas|påbörjades|drog\s+igång|drar\s+igång|"
    rf"startdatum\s+(?:är|var))\s+(?:\w+\s+){{0,2}}?(?:den\s+)?(?P<a>{_DATE})",
    re.I,
)
_END = re.compile(
    rf"\b(?:avslutas|avslutades|slutar|slutade|upphör|upphörde|slutdatum\s+(?:är|var))\s+(?:\w+\s+){{0,2}}?"
    rf"(?:den\s+)?(?P<b>{_DATE})",
    re.I,
)

# -- participants -----------------------------------------------------------------------------
_PEOPLE = (
    r"(?:deltagare|personer|ungdomar|unga|kvinnor|män|elever|individer|nyanlända|arbetssökande|"
    r"medarbetare|anställda|långtidsarbetslösa|sjukskrivna|invånare)"
)
_PART = [
    re.compile(p, re.I)
    for p in (
        rf"(?P<n>\d{{1,3}}(?:[ \u00a0]\d{{3}})*)\s+{_PEOPLE}\s+(?:\w+\s+){{0,2}}?(?:ska|skall|kommer\s+att|planeras|beräknas)\s+"
        rf"(?:att\s+)?(?:\w+\s+){{0,3}}?(?:delta|ingå|medverka|deltaga|omfattas|skrivas\s+in)\b",
        rf"(?:ska|skall|skulle|kommer\s+att|planeras|beräknas|var\s+tänkt\s+att|är\s+tänkt\s+att)\s+(?:att\s+)?"
        rf"(?:omfatta|nå|involvera|rekrytera|skriva\s+in)\s+(?:\w+\s+){{0,2}}?(?P<n>\d{{1,3}}(?:[ \u00a0]\d{{3}})*)\s+{_PEOPLE}",
        rf"(?:riktar|vänder)\s+sig\s+till\s+(?P<n>\d{{1,3}}(?:[ \u00a0]\d{{3}})*)\s+{_PEOPLE}",
        r"planerat\s+antal\s+deltagare\s+(?:är|var)\s+(?P<n>\d{1,3}(?:[ \u00a0]\d{3})*)",
    )
]

# -- municipalities -----------------------------------------------------------------------------
_NAME = r"[A-ZÅÄÖ][\wåäöé-]+(?:\s[A-ZÅÄÖ][\wåäöé-]+)?(?:\s(?:stad|kommun))?"
_LIST = rf"(?P<list>{_NAME}(?:\s*,\s*{_NAME})*\s*,?\s+(?:och|samt)\s+{_NAME})"
_MUNI = [
    re.compile(p)
    for p in (
        rf"\b[Kk]ommunerna\s+(?:i\s+)?{_LIST}",
        rf"\b(?:i|inom)\s+{_LIST}\s+kommuner\b",
        # where the project runs, or with whom: "fanns i Boden, Kalix och Luleå", "tillsammans med Boden, Kalix och Luleå"
        rf"\b(?:finns|fanns|pågår|pågick|bedrivs|bedrevs|genomförs|genomfördes|verkar|verkade)\s+i\s+{_LIST}(?=[\s.,;]|$)",
        rf"\btillsammans\s+med\s+{_LIST}(?=[\s.,;]|$)",
        # "I Boden, Kalix och Luleå arbetar kommunerna tillsammans ..."
        rf"^I\s+{_LIST}\s+\w+\s+kommunerna\b",
        # "Åtta kommuner har deltagit i projektet: A, B och C", "i fyra medlemskommuner: A, B och C"
        rf"\w*kommuner(?:na)?\b[^:.]{{0,60}}:\s*{_LIST}",
        rf"\b(?:[Dd]eltagande|[Mm]edverkande|[Bb]erörda|[Ss]amverkande|[Ii]ngående)\s+kommuner\s*(?:är|var|:)\s*{_LIST}",
    )
]

_PROJECT_CUE = re.compile(r"\b(?:[Pp]rojekt\w*|[Ss]atsning\w*|[Ff]örstudie\w*|ESF|[Ss]ocialfond\w*)")

# -- contact -------------------------------------------------------------------------------------
# The project's contact block (a press contact under "För mer information" is not the project's contact).
_CONTACT_HEAD = re.compile(r"^(?:kontakt|kontaktperson(?:er)?|kontaktuppgifter)\s*:?$", re.I)
_PERSON = r"(?P<name>[A-ZÅÄÖ][a-zåäöéü-]+(?:\s+[A-ZÅÄÖ]\.?)?(?:\s+[A-ZÅÄÖ][a-zåäöéü-]+){1,2})"
_CONTACT_PROSE = re.compile(
    rf"\b(?:[Kk]ontakta(?:\s+gärna)?(?:\s+(?:projektledare|projektledaren|samordnaren|"
    rf"samordnare|projektsamordnaren))?|[Kk]ontaktperson\s+(?:är|för\s+projektet\s+är))\s+{_PERSON}"
)


def _amount(m: re.Match) -> Optional[int]:
    num, scale = m.group("num").lower(), (m.group("scale") or "").lower()
    if num in ("halv", "en halv"):
        value = 0.5
    elif num in WORDNUM:
        value = float(WORDNUM[num])
    else:
        whole, _, frac = num.partition(",")
        whole = re.sub(r"[ \u00a0.]", "", whole)
        if frac and not scale and len(frac) != 2:
            return None
        value = float(f"{whole}.{frac or 0}")
    if scale.startswith("miljard") or scale == "mdkr":
        value *= 1e9
    elif scale.startswith("milj") or scale in ("mnkr", "mkr", "msek"):
        value *= 1e6
    elif scale in ("tkr", "tusen"):
        value *= 1e3
    elif num in WORDNUM or num.endswith("halv"):
        return None  # "sju kronor" is no grant
    return round(value)


def _load_names(path: Optional[str | Path]) -> frozenset[str]:
    """One name a line ('#' comments); an absent list leaves the checks that use it off."""
    p = repo_path(path) if path else None
    if p is None or not p.exists():
        return frozenset()
    return frozenset(
        ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
    )


@dataclass(frozen=True)
class ProseExtractor:
    municipalities: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    first_names: frozenset[str] = frozenset()

    @classmethod
    def from_files(
        cls,
        municipalities: Optional[str | Path] = "configs/gazetteers/municipalities.txt",
        organisations: Optional[str | Path] = "configs/gazetteers/organisations.txt",
        first_names: Optional[str | Path] = "data/ner/gazetteers/per_first.txt",
    ) -> ProseExtractor:
        return cls(_load_names(municipalities), _load_names(organisations), _load_names(first_names))

    # -- entry point --------------------------------------------------------------------------
    def extract(self, text: str, known: dict, title: Optional[str] = None) -> dict[str, object]:
        """Fields stated in prose that ``known`` (the labelled fields) does not have yet;
        ``title`` (the project's name) is never taken for its owner."""
        text = text[:MAX_CHARS]
        sentences = [s.text for s in split_sentences(text)]
        out: dict[str, object] = {}
        want = lambda k: k not in known and k not in out  # noqa: E731
        if want("project_number"):
            m = _NUMBER.search(text)
            if m:
                out["project_number"] = m.group("num")
        if want("owner"):
            owner = self._owner(sentences, title)
            if owner:
                out["owner"] = owner
        if want("esf_support_sek"):
            v = self._esf(sentences)
            if v:
                out["esf_support_sek"] = v
        if want("total_budget_sek"):
            # the budget of the project, not of a festival: the sentence names the project or the fund
            v = self._first_amount(
                [s for s in sentences if _PROJECT_CUE.search(s) or ESF_RE.search(s)], _TOTAL_PATTERNS
            )
            if v:
                out["total_budget_sek"] = v
        if want("cofinancing_rate"):
            for s in sentences:
                m = _COFIN.search(s) if ("%" in s or "procent" in s) and _FUND_HINT.search(s) else None
                if m:
                    out["cofinancing_rate"] = round(float(m.group("pct").replace(",", ".")) / 100, 4)
                    break
        if want("period_start") and want("period_end"):
            out.update(self._period(sentences))
        if want("planned_participants"):
            v = self._participants(sentences)
            if v is not None:
                out["planned_participants"] = v
        if want("municipalities") and self.municipalities:
            v = self._municipalities(sentences)
            if v:
                out["municipalities"] = v
        if want("contact_person"):
            out.update({k: v for k, v in self._contact(text).items() if want(k)})
        return out

    # -- owner --------------------------------------------------------------------------------
    def _org_ok(self, cand: str, strong: bool, title: Optional[str] = None) -> bool:
        words = cand.split()
        if not words or len(cand) > 120 or len(words) > 10:
            return False
        if title and title.casefold().startswith(cand.casefold()) and len(title.split()) <= len(words) + 2:
            return False  # "Ung Arena får 27 miljoner" under the title "Ung Arena 9.0": the project, not its owner
        if words[0].lower().strip(",.") in _STOP_FIRST or _FUNDER.search(cand):
            return False
        if " och " in cand and "(" not in cand and cand not in self.organisations:
            return False  # "Eon och Fortum": two organisations, no single owner
        cue = bool(
            re.search(rf"\b{_ORG_NOUN}\b", cand)
            or _ORG_SUFFIX.search(words[0])
            or _ORG_SUFFIX.search(words[-1])
            or any(w in self.organisations for w in (cand, words[0]))
            or cand.split(" (")[0] in self.organisations
        )
        if not strong and not cue:
            return False  # a grant's recipient must read as an organisation ("Hylte kommun", "Lunds stift")
        if len(words) == 1:
            if cand.lower() in _GENERIC_ORG:
                return False  # "Länsstyrelsen" alone: one of many, no name
            return cue or (strong and bool(re.fullmatch(r"[A-ZÅÄÖ]{2,6}", cand)))
        if not cue and words[0] in self.first_names and len(words) <= 3:
            return False  # "Anna Berg" is a person, not the owner
        return True

    def _owner(self, sentences: list[str], title: Optional[str] = None) -> Optional[str]:
        found: list[str] = []
        for s in sentences:
            if not _OWNER_HINT.search(s):
                continue
            for pat in _OWNER_STRONG:
                for m in pat.finditer(s):
                    cand = _unhead(m.group("org").strip(" ,."))
                    if self._org_ok(cand, strong=True, title=title):
                        found.append(cand)
        if found:
            first = found[0]
            # "med SKR som projektägare" ... "Sveriges Kommuner och Regioner (SKR) som var projektägare"
            for other in found[1:]:
                if f"({first})" in other:
                    return other
            return first
        for s in sentences:
            m = _OWNER_GENITIVE.search(s)
            if m and _PROJECT_CUE.search(s) and self._org_ok(m.group("org"), strong=False, title=title):
                return m.group("org")
        for s in sentences:
            m = _OWNER_GRANT.search(_unhead(s))
            # a grant from the fund (or the EU), of money: "har fått 500 000 kronor i EU-bidrag"
            if (
                m
                and (ESF_RE.search(s) or re.search(r"\bEU[-:]|\bEU\b", s))
                and (_AMT_RE.search(s) or re.search(r"(?i)bidrag|stöd|medel|pengar", s))
            ):
                cand = m.group("org").strip(" ,.")
                if self._org_ok(cand, strong=False, title=title):
                    return cand
        return None

    # -- money --------------------------------------------------------------------------------
    @staticmethod
    def _ok_amount(s: str, m: re.Match) -> Optional[int]:
        start = m.start("num")
        if HEDGE.search(s[max(0, start - 30) : start]) or _NOT_GRANT_BEFORE.search(s[max(0, start - 60) : start]):
            return None
        if _NOT_PROJECT_AFTER.search(s[m.end() : m.end() + 60]):
            return None
        return _amount(m)

    def _esf(self, sentences: list[str]) -> Optional[int]:
        for s in sentences:
            if not (_MONEY_HINT.search(s) and _FUND_HINT.search(s)):
                continue
            for pat in _ESF_PATTERNS:
                for m in pat.finditer(s):
                    v = self._ok_amount(s, m)
                    if v:
                        return v
            if ESF_RE.search(s):
                for m in _GRANT_AMT.finditer(s):
                    v = self._ok_amount(s, m)
                    if v:
                        return v
        return None

    def _first_amount(self, sentences: list[str], patterns: list[re.Pattern]) -> Optional[int]:
        for s in sentences:
            if not _MONEY_HINT.search(s):
                continue
            for pat in patterns:
                for m in pat.finditer(s):
                    v = self._ok_amount(s, m)
                    if v:
                        return v
        return None

    # -- period -------------------------------------------------------------------------------
    @staticmethod
    def _period(sentences: list[str]) -> dict[str, object]:
        out: dict[str, object] = {}
        for s in sentences[:12]:
            # a lead that is only the period: "2021-01-01 till 2021-06-30."
            m = _RANGE.fullmatch(s.strip().rstrip("."))
            if m:
                a, b = n.parse_date(m.group("a")), n.parse_date(m.group("b"))
                if a and b and a <= b:
                    return {"period_start": a, "period_end": b}
        for s in sentences:
            if not _YEAR_HINT.search(s):
                continue  # no full date without a year
            if not _PROJECT_CUE.search(s) or _NOT_PROJECT_EVENT.search(s):
                continue  # the dates of a call, an application or a meeting are not the project's
            cue = _PERIOD_CUE.search(s)
            if cue:
                m = _RANGE.search(s, cue.start()) or _BETWEEN.search(s, cue.start())
                if m:
                    a, b = n.parse_date(m.group("a")), n.parse_date(m.group("b"))
                    if a and b and a <= b:
                        return {"period_start": a, "period_end": b}
                m = _FROM.search(s, cue.start())
                if m and "period_start" not in out:
                    out["period_start"] = n.parse_date(m.group("a"))
                m = _UNTIL.search(s, cue.start())
                if m and "period_end" not in out:
                    out["period_end"] = n.parse_date(m.group("b"))
            m = _START.search(s)
            if m and "period_start" not in out:
                out["period_start"] = n.parse_date(m.group("a"))
            m = _END.search(s)
            if m and "period_end" not in out:
                out["period_end"] = n.parse_date(m.group("b"))
        out = {k: v for k, v in out.items() if v}
        if len(out) == 2 and out["period_start"] > out["period_end"]:
            return {}
        return out

    # -- participants ---------------------------------------------------------------------------
    @staticmethod
    def _participants(sentences: list[str]) -> Optional[int]:
        for s in sentences:
            if not _DIGIT.search(s) or not _PROJECT_CUE.search(s):
                continue  # "300 personer ska delta i konferensen" is not the project's count
            for pat in _PART:
                m = pat.search(s)
                if m and not HEDGE.search(s[max(0, m.start("n") - 30) : m.start("n")]):
                    return int(re.sub(r"\D", "", m.group("n")))
        return None

    # -- municipalities ---------------------------------------------------------------------------
    def _municipalities(self, sentences: list[str]) -> Optional[list[str]]:
        for s in sentences:
            if not _MUNI_HINT.search(s):
                continue
            cue = bool(_PROJECT_CUE.search(s))
            for k, pat in enumerate(_MUNI):
                m = pat.search(s)
                # A list about something else (a steering group, the applicants) is not the
                # project's coverage: the sentence must be about the project (only "fanns i
                # A, B och C" may go without), and a list of places or partners needs three names.
                if not m or (not cue and k not in (2, 4, 5)):
                    continue
                if m:
                    items = [
                        re.sub(r"\s+(?:stad|kommun)$", "", x.strip())
                        for x in re.split(r"\s*,\s*|\s+och\s+|\s+samt\s+", m.group("list"))
                        if x.strip()
                    ]
                    items = [x[:-1] if x not in self.municipalities and x.endswith("s") else x for x in items]
                    if len(items) >= (3 if k in (2, 3, 5) else 2) and all(x in self.municipalities for x in items):
                        return items
        return None

    # -- contact ------------------------------------------------------------------------------------
    def _is_person(self, name: str) -> bool:
        return name.split()[0] in self.first_names if self.first_names else True

    def _contact(self, text: str) -> dict[str, object]:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if not _CONTACT_HEAD.match(line.strip()):
                continue
            out: dict[str, object] = {}
            seen = 0
            for nxt in lines[i + 1 : i + 12]:
                s = nxt.strip()
                if not s:
                    continue
                seen += 1
                if seen > 6 or len(s) > 100:
                    break
                email, phone = n.parse_email(s), n.parse_phone(s)
                if email and "email" not in out:
                    out["email"] = email
                elif phone and "phone" not in out and len(re.sub(r"\D", "", phone)) >= 8:
                    out["phone"] = phone
                elif "contact_person" not in out and re.fullmatch(_PERSON, s) and self._is_person(s):
                    out["contact_person"] = s
            if "contact_person" in out:
                return out
        for s in (x.text for line in lines if "ontakt" in line for x in split_sentences(line)):
            m = _CONTACT_PROSE.search(s)
            tail = s[m.end() : m.end() + 160] if m else ""
            # the project's contact (a role or sentence about the project), not a press officer
            if m and self._is_person(m.group("name")) and re.search(r"(?i)projekt", s[: m.end()] + tail[:60]):
                out = {"contact_person": m.group("name")}
                email, phone = n.parse_email(tail), n.parse_phone(tail)
                if email:
                    out["email"] = email
                if phone and len(re.sub(r"\D", "", phone)) >= 8:
                    out["phone"] = phone
                return out
        return {}
