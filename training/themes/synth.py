"""Labelled training data: hand-written sentence banks → synthetic ESF documents.

The banks (``data/themes/sentences_*.txt``) hold hand-written Swedish sentences:
substantive sentences per theme, passing mentions (hard negatives),
boilerplate horizontal-principle promises and neutral filler. Documents are
composed from them in four styles seen in the ESF material (old project-bank
page, new-format page, final report, news article). A document's labels are
the themes it was given *substantive* content for; mentions, boilerplate
sections and a stray single sentence about another theme do not count.

Sentences are split into train folds and a dev part *before* documents are
composed, so dev documents contain only sentences the model never saw.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.paths import repo_path

BANK_GLOB = "data/themes/sentences_*.txt"


@dataclass
class BankSentence:
    text: str
    kind: str  # sub | mention | boiler | neutral
    group: str  # theme id, boilerplate id or neutral kind
    themes: list[str] = field(default_factory=list)  # for kind == "sub"
    uid: str = ""


_HDR = re.compile(r"^##\s*(theme|boilerplate|neutral)\s*:\s*(\S+)\s*$")
_SEC = re.compile(r"^\[([a-z_,\s]+)\]\s*")


def load_banks(pattern: str = BANK_GLOB) -> list[BankSentence]:
    root = repo_path(".")
    out: list[BankSentence] = []
    for path in sorted(Path(root).glob(pattern)):
        block, group = None, None
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.rstrip()
            if not line or (line.startswith("#") and not line.startswith("##")):
                continue
            m = _HDR.match(line)
            if m:
                block, group = m.group(1), m.group(2)
                continue
            if block is None or len(line) < 3 or line[1] != " ":
                continue
            mark, text = line[0], line[2:].strip()
            if block == "theme" and mark == "+":
                themes = [group]
                ms = _SEC.match(text)
                if ms:
                    themes += [t.strip() for t in ms.group(1).split(",") if t.strip()]
                    text = text[ms.end() :]
                out.append(BankSentence(text, "sub", group, themes))
            elif block == "theme" and mark == "~":
                out.append(BankSentence(text, "mention", group))
            elif block == "boilerplate" and mark == "-":
                out.append(BankSentence(text, "boiler", group))
            elif block == "neutral" and mark == "-":
                out.append(BankSentence(text, "neutral", group))
    for s in out:
        s.uid = hashlib.sha1(f"{s.kind}|{s.group}|{s.text}".encode()).hexdigest()[:12]
    return out


def assign_folds(sents: list[BankSentence], n_folds: int = 3, dev_frac: float = 0.3, seed: int = 13) -> dict[str, str]:
    """uid → 'dev' or 'f0'..'f{n-1}', stratified by (kind, group)."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[BankSentence]] = {}
    for s in sents:
        groups.setdefault((s.kind, s.group), []).append(s)
    folds: dict[str, str] = {}
    for key in sorted(groups):
        items = sorted(groups[key], key=lambda s: s.uid)
        rng.shuffle(items)
        n_dev = max(1, round(len(items) * dev_frac))
        for s in items[:n_dev]:
            folds[s.uid] = "dev"
        for i, s in enumerate(items[n_dev:]):
            folds[s.uid] = f"f{i % n_folds}"
    return folds


# ---------------------------------------------------------------- slot filling
KOMMUNER = [
    "Avesta",
    "Borlänge",
    "Gävle",
    "Umeå",
    "Skellefteå",
    "Kalmar",
    "Växjö",
    "Malmö",
    "Landskrona",
    "Trollhättan",
    "Uddevalla",
    "Karlstad",
    "Örebro",
    "Västerås",
    "Norrköping",
    "Eskilstuna",
    "Sundsvall",
    "Östersund",
    "Luleå",
    "Kiruna",
    "Hässleholm",
    "Halmstad",
    "Jönköping",
    "Gislaved",
    "Botkyrka",
    "Södertälje",
    "Haninge",
    "Nacka",
    "Göteborg",
    "Lidköping",
    "Ljusdal",
    "Sollefteå",
    "Arvika",
    "Ludvika",
]
ORGS = [
    "Arbetsmarknadsförvaltningen",
    "Samordningsförbundet Södra Dalarna",
    "Länsstyrelsen",
    "Region Kronoberg",
    "Folkuniversitetet",
    "Stiftelsen Activa",
    "Företagarna",
    "Vuxenutbildningen",
    "IF Metall",
    "Kommunförbundet",
    "Coompanion",
    "Stadsmissionen",
    "Volvo Cars",
    "Stora Enso",
    "Sveriges Ingenjörer",
    "Hushållningssällskapet",
    "Nyföretagarcentrum",
    "Arbetsförmedlingen",
    "Socialförvaltningen",
    "Utbildningsförvaltningen",
]
TITLES = [
    "Vägen vidare",
    "Steget in",
    "Nya spår",
    "Broar",
    "Framtidsvägen",
    "Växtkraft",
    "Nästa steg",
    "Hela vägen",
    "Kliv",
    "Mosaik",
    "Fokus framåt",
    "Navet",
    "Startpunkt",
    "Kraftsamling",
    "Nya möjligheter",
    "Lyftet",
    "Vändpunkt",
    "Trappsteget",
    "Plattformen",
    "Resurs i tiden",
    "Rätt väg",
    "Språnget",
    "Brygga",
    "Ankaret",
]


def fill(text: str, rng: random.Random) -> str:
    kommun = rng.choice(KOMMUNER)
    year = rng.randint(2008, 2021)
    vals = {
        "kommun": kommun,
        "ort": rng.choice(KOMMUNER),
        "org": rng.choice(ORGS),
        "n": str(rng.choice([12, 18, 25, 40, 60, 85, 120, 250, 400])),
        "n2": str(rng.choice([3, 5, 8, 11, 16, 22])),
        "pct": str(rng.choice([10, 15, 20, 25, 30, 35, 40, 50, 60])),
        "ar": str(year),
        "ar2": str(year + rng.randint(1, 3)),
    }
    return re.sub(r"\{(\w+)\}", lambda m: vals.get(m.group(1), m.group(0)), text)


# ---------------------------------------------------------------- documents
THEME_WEIGHTS = {
    "arbetsmarknad": 10,
    "kompetensutveckling": 9,
    "samverkan": 6,
    "unga": 7,
    "integration": 7,
    "utbildning": 6,
    "halsa": 5,
    "jamstalldhet": 4,
    "tillganglighet": 4,
    "icke_diskriminering": 3,
    "entreprenorskap": 4,
    "social_inkludering": 3,
    "omstallning": 3,
    "digitalisering": 3,
    "miljo": 2,
    "landsbygd": 2,
    "transnationellt": 2,
    "innovation": 2,
}


class Pool:
    def __init__(self, sents: list[BankSentence]):
        self.sub: dict[str, list[BankSentence]] = {}
        self.mention: dict[str, list[BankSentence]] = {}
        self.boiler: dict[str, list[BankSentence]] = {}
        self.neutral: dict[str, list[BankSentence]] = {}
        for s in sents:
            getattr(self, s.kind if s.kind != "sub" else "sub").setdefault(s.group, []).append(s)

    def take(self, rng, table: dict, key: str, k: int, tags: list | None = None) -> list[str]:
        items = table.get(key) or []
        if not items:
            return []
        k = min(k, len(items))
        picked = rng.sample(items, k)
        if tags is not None:
            tags.extend(s.themes for s in picked)
        return [fill(s.text, rng) for s in picked]


def _para(sents: list[str]) -> str:
    return " ".join(s for s in sents if s)


def make_document(rng: random.Random, pool: Pool, style: str, theme_ids: list[str]) -> dict:
    themes_avail = [t for t in theme_ids if pool.sub.get(t)]
    k = rng.choices([1, 2, 3, 4], weights=[25, 40, 25, 10])[0]
    weights = [THEME_WEIGHTS.get(t, 2) for t in themes_avail]
    labels: list[str] = []
    while len(labels) < k:
        t = rng.choices(themes_avail, weights=weights)[0]
        if t not in labels:
            labels.append(t)

    long_doc = rng.random() < 0.35
    content: dict[str, list[str]] = {}  # theme -> sentences
    tags: list[list[str]] = []  # themes of every substantive sentence placed in the document
    for t in labels:
        n = rng.randint(3, 6) if long_doc else rng.randint(2, 4)
        if style == "old" and t in ("tillganglighet", "jamstalldhet", "transnationellt"):
            n += 2  # the dedicated section takes most of them
        content[t] = pool.take(rng, pool.sub, t, n, tags)

    # hard negatives: passing mentions and one stray substantive sentence
    others = [t for t in themes_avail if t not in labels]
    mentions = []
    for t in rng.sample(others, min(len(others), rng.randint(1, 5 if long_doc else 3))):
        mentions += pool.take(rng, pool.mention, t, 1)
    # a background paragraph about the local situation of another group: context, not a label
    if others and rng.random() < 0.35:
        mentions += pool.take(rng, pool.mention, rng.choice(others), rng.randint(2, 4))
    stray = []
    if others and rng.random() < 0.3:
        stray = pool.take(rng, pool.sub, rng.choice(others), 1, tags)
    neutral = []
    for kind in ("background", "admin", "organisation", "evaluation"):
        neutral += pool.take(rng, pool.neutral, kind, rng.randint(0, 3 if long_doc else 2))
    generic = pool.take(rng, pool.boiler, "generic", 1) if rng.random() < 0.45 else []

    def pop(t: str, n: int = 1) -> list[str]:
        got, content[t] = content[t][:n], content[t][n:]
        return got

    main = labels[0]

    def programme_area() -> str:
        r = rng.random()
        if "kompetensutveckling" in labels and r < 0.8:
            return "1"
        if "unga" in labels and style == "new" and r < 0.5:
            return "3"
        if ("arbetsmarknad" in labels or "unga" in labels) and r < 0.8:
            return "2"
        return rng.choice(["1", "2"])

    title = rng.choice(TITLES) + ("" if rng.random() < 0.5 else f" {rng.choice(KOMMUNER)}")
    lines: list[str] = []
    dedicated = {"tillganglighet": "acc", "jamstalldhet": "gen", "transnationellt": "trans"}

    def special(t: str) -> list[str]:
        """Concrete or boilerplate body for a horizontal-principle section."""
        if t in labels and content.get(t):
            body = pop(t, rng.randint(2, 5))
            if rng.random() < 0.4:  # real concrete sections often open or close with a generic promise
                bp = pool.take(rng, pool.boiler, t, rng.randint(1, 2))
                body = bp + body if rng.random() < 0.5 else body + bp
            return body
        r = rng.random()
        if t == "transnationellt":
            return ["-"] if r < 0.7 else pool.take(rng, pool.mention, t, 1)
        if r < 0.65:
            return pool.take(rng, pool.boiler, t, rng.randint(1, 3))
        if r < 0.85:
            return ["-"]
        return pool.take(rng, pool.mention, t, 1)

    def rest_of_content() -> list[str]:
        out = []
        for t in labels:
            if style == "old" and t in dedicated:
                continue
            out += content[t]
            content[t] = []
        return out

    if style == "old":
        po = {"1": "Programområde 1 Kompetensförsörjning", "2": "Programområde 2 Ökat arbetskraftsutbud"}.get(
            programme_area(), "Programområde 2 Ökat arbetskraftsutbud"
        )
        lines += [
            "Logotyp på utskrifter",
            "",
            title,
            "",
            f"ProgramområdeProgramområde {po[13:]}",
            "ProjektfasGenomförande",
            f"Projektägare{rng.choice(ORGS)}",
            "Kontaktperson Anna Berg",
            "RegionNorra Mellansverige",
            "In English",
            "",
        ]
        summ = pop(main, 1) + (
            [pop(labels[1], 1)[0]] if len(labels) > 1 and content[labels[1]] and rng.random() < 0.5 else []
        )
        lines += ["Sammanfattning", "", _para(summ), ""]
        bg = neutral[:2] + mentions + stray + generic
        bg_content = []
        for t in labels:
            if t in dedicated:
                continue
            # the background describes the problem: at most one substantive sentence per theme
            bg_content += pop(t, rng.randint(0, 1))
        bg += bg_content
        rng.shuffle(bg)
        lines += ["Bakgrund", "", _para(bg[: len(bg) // 2 + 1]), "", _para(bg[len(bg) // 2 + 1 :]), ""]
        syfte = rest_of_content()
        rng.shuffle(syfte)
        lines += ["Syfte", "", _para(syfte[:2] or neutral[2:3]), ""]
        lines += ["Målsättning", "", _para(syfte[2:4] or pool.take(rng, pool.neutral, "evaluation", 1)), ""]
        if syfte[4:]:
            lines += [rng.choice(["Genomförande", "Aktiviteter", "Metod"]), "", _para(syfte[4:]), ""]
        lines += ["Tillgänglighet för personer med funktionsnedsättning", "", _para(special("tillganglighet")), ""]
        lines += ["Jämställdhetsintegrering", "", _para(special("jamstalldhet")), ""]
        lines += ["Transnationellt samarbete", "", _para(special("transnationellt")), ""]
        lines += ["Kommun", ""] + [f" • {m}" for m in rng.sample(KOMMUNER, rng.randint(1, 6))]
        # leftovers of dedicated themes (if their sections got fewer sentences)
        left = [s for t in labels for s in content[t]]
        if left:
            lines.insert(lines.index("Målsättning") + 2, _para(left))
    elif style == "new":
        num = f"20{rng.randint(15, 21)}/00{rng.randint(100, 999)}"
        lines += [
            "Cookies",
            "",
            "Den här hemsidan använder cookies för att säkerställa bästa möjliga upplevelse.",
            "",
            f"{num} - {title}",
            "",
            "Projektnummer:",
            num,
            "Projektägare:",
            rng.choice(ORGS),
            "Planerat antal deltagare:",
            str(rng.randint(20, 900)),
            "Programområde:",
            programme_area(),
            "Specifikt mål:",
            rng.choice(["1.1", "2.1", "2.2", "2.3", "3.1"]),
            "",
        ]
        lines += ["Syfte:", _para(pop(main, 1)), "", "Mål"]
        goals = [pop(t, 1)[0] for t in labels[1:] if content[t]]
        lines += [_para(goals or neutral[:1]), "", "Bakgrund"]
        bg = mentions + stray + neutral[1:3] + generic
        for t in labels:
            bg += pop(t, rng.randint(0, 1))
        rng.shuffle(bg)
        lines += [_para(bg), ""]
        impl = rest_of_content()
        if impl:
            lines += [rng.choice(["Genomförande", "Projektets genomförande", "Metod", "Aktiviteter"]), _para(impl), ""]
        lines += ["Projektets organisering", _para(pool.take(rng, pool.neutral, "organisation", 2)), ""]
        lines += ["Uppföljning och utvärdering", _para(pool.take(rng, pool.neutral, "evaluation", 2)), ""]
    elif style == "report":
        lines += [
            f"Slutrapport {title}",
            "",
            "Sammanfattning",
            _para(pop(main, 1) + neutral[:1]),
            "",
            "Bakgrund",
            _para(mentions + neutral[1:3]),
            "",
            "Genomförande",
        ]
        body = rest_of_content() + stray
        rng.shuffle(body)
        lines += [_para(body[: len(body) // 2 + 1]), "", _para(body[len(body) // 2 + 1 :]), ""]
        hp = []
        for t in ("jamstalldhet", "tillganglighet"):
            if t in labels:
                continue
            if rng.random() < 0.6:
                hp += pool.take(rng, pool.boiler, t, 1)
        lines += [
            "Jämställdhet, tillgänglighet och icke-diskriminering",
            _para(hp + generic or ["-"]),
            "",
            "Lärdomar",
            _para(pool.take(rng, pool.neutral, "evaluation", 2)),
            "",
        ]
    else:  # news
        lines += [title, "", _para(pop(main, 1)), ""]
        body = rest_of_content() + mentions + stray + pool.take(rng, pool.neutral, "news", rng.randint(1, 3))
        rng.shuffle(body)
        for i in range(0, len(body), 3):
            lines += [_para(body[i : i + 3]), ""]
        lines += [f"Läs mer om {title} i vår projektbank."]
    text = "\n".join(lines).strip() + "\n"
    # Labelling rule: the chosen themes, plus any theme that >= 2 placed substantive sentences
    # are also about (secondary tags in the banks). One stray sentence is a passing mention.
    counts: dict[str, int] = {}
    for ts in tags:
        for t in set(ts):
            counts[t] = counts.get(t, 0) + 1
    final = set(labels) | {t for t, c in counts.items() if c >= 2 and t in theme_ids}
    return {"text": text, "labels": sorted(final), "style": style}


def generate(sents: list[BankSentence], n_docs: int, seed: int, theme_ids: list[str], prefix: str) -> list[dict]:
    rng = random.Random(seed)
    pool = Pool(sents)
    styles = ["old", "new", "report", "news"]
    docs = []
    for i in range(n_docs):
        style = rng.choices(styles, weights=[40, 30, 15, 15])[0]
        d = make_document(rng, pool, style, theme_ids)
        d["id"] = f"{prefix}-{i:04d}"
        docs.append(d)
    return docs
