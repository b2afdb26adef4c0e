"""The five seed documents' NER annotation and its scorer (used by tests/test_ner.py and
``scripts/eval_ner.py --seeds``).

The seeds themselves live in the shared data folder (``../shared/seeds``), passed in as
``seeds_dir``; their text is never copied here. ``GOLD`` lists, per seed, the unique
(entity, label) pairs a careful annotator marks, following the conventions in
``models/ner/README.md`` (bare place -> LOC; "X kommun", "Region X",
"Länsstyrelsen X" -> ORG). Names of projects, programmes and strategies
(Kompetenslyftet, Framsteget, RUS ...) are MISC in our scheme and are listed
under ``ignore``: predicting them is neither rewarded nor penalised. For the long
conference report (002) only the first 14,000 characters are annotated.

Score: F1 over unique (text, label) pairs per document; a trailing genitive -s is
removed before comparing when the bare form is also an entity of the document
("Kramfors kommuns" = "Kramfors kommun").
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pipeline.record import Metadata, Record

GOLD: dict[str, dict] = {
    "000_771f8de7f0500332.txt": {
        "ORG": ["Alingsås Futurum", "Teknikföretagen"],
        "PER": ["Lennart Anderberg"],
        "LOC": [
            "Alingsås",
            "Sverige",
            "Västsverige",
            # the "Kommun" list
            "Ale",
            "Bengtsfors",
            "Bollebygd",
            "Borås",
            "Dals-Ed",
            "Essunga",
            "Falkenberg",
            "Falköping",
            "Färgelanda",
            "Grästorp",
            "Gullspång",
            "Göteborg",
            "Götene",
            "Halmstad",
            "Herrljunga",
            "Hjo",
            "Hylte",
            "Härryda",
            "Karlsborg",
            "Kungsbacka",
            "Kungälv",
            "Laholm",
            "Lerum",
            "Lidköping",
            "Lilla-Edet",
            "Lysekil",
            "Mariestad",
            "Marks",
            "Mellerud",
            "Munkedal",
            "Mölndal",
            "Orust",
            "Partille",
            "Skara",
            "Skövde",
            "Sotenäs",
            "Stenungsund",
            "Strömstad",
            "Svenljunga",
            "Tanum",
            "Tibro",
            "Tidaholm",
            "Tjörn",
            "Tranemo",
            "Trollhättan",
            "Töreboda",
            "Uddevalla",
            "Ulricehamn",
            "Vara",
            "Varberg",
            "Vårgårda",
            "Vänersborg",
            "Åmål",
            "Öckerö",
        ],
        "ignore": ["Vision 2010", "Alingsås Vision 2010", "Alingsås Vision", "Stadskärnan"],
    },
    "001_d9d2908fd1222df0.txt": {
        "ORG": [
            "Hallstahammars Promotion",
            "HP",
            "Hallstahammars kommun",
            "Företagarna",
            "Hallstahammars Centrumförening",
            "Hästkraft Strömsholm",
            "Kanalhuset",
            "Kanalnätet",
            "LRF",
            "A.G Johanson Metallfabrik AB",
            "Finnveden Bulten Hallstahammar",
            "Hammarhälsan AB",
            "IDÈ-bild i Hallstahammar AB",
            "TPC Components AB",
        ],
        "PER": ["Håkan Freijd"],
        "LOC": ["Hallstahammar", "Östra Mellansverige"],
        "ignore": ["En väg In", "Mål2-norra", "ESF Östra Mellansverige", "HP3", "Socialfondsprogrammet"],
    },
    "002_3ebf27351074b3d0.txt": {
        "region_end": 14000,
        "ORG": [
            "Örnsköldsviks kommun",
            "Arbetsförmedlingen",
            "Annorlunda Konsult",
            "Företagarna",
            "Företagarna Västernorrland",
            "Kommunförbundet Västernorrland",
            "Kommunförbundet",
            "Länsstyrelsen Västernorrland",
            "Länsstyrelsen",
            "Härnösands kommun",
            "Mittuniversitetet",
            "Kramfors kommun",
            "Sollefteå kommun",
            "Reveljen Centrum för vuxnas lärande och utveckling",
            "Sundsvalls kommun",
            "Timrå kommun",
            "Försäkringskassan",
            "Ånge kommun",
            "Lärcentrum",
        ],
        "PER": [
            "Margareta Lindgren",
            "Cecilia Lideskog",
            "Gun-Britt Hägglund",
            "Monica Sjöblom",
            "Anna Jakobsson Lund",
            "Ralf Bergman",
            "Sten-Olov Altin",
            "Sten Olov Altin",
            "Solveig Hellquist",
            "Johan Borggren",
            "Bill Ring",
            "Maria Modin",
            "Anders Sjölander",
            "Marie Fältstam",
            "Maria Nygren",
            "Lena Gustafsson",
        ],
        "LOC": [
            "Hornöberget",
            "Örnsköldsvik",
            "Härnösand",
            "Kramfors",
            "Sollefteå",
            "Sundsvall",
            "Timrå",
            "Ånge",
            "Västernorrlands län",
        ],
        "ignore": [
            "Kompetenslyftet",
            "Konkurrenslyftet",
            "Kunskapslyftet",
            "RUS",
            "Framsteget",
            "Hotell Höga Kusten",
            "Höga Kusten",
            "Arbetsförmedlingen Örnsköldsvik",
            "SYV",
            "Växa-kurser",
            "Reveljen",
            "Härnösandsföretagen",
            "Kompetenslyftet Strategisk",
            "Kompetenslyftet strategisk kompetensförsörjning för tillväxt",
        ],
    },
    "003_096d8767d8e76f8c.txt": {
        "ORG": [
            "Avesta kommun",
            "Orsa kommun",
            "Gamla Byn",
            "Avesta Vatten & Avfall",
            "Orsa Lokaler",
            "Orsa Bostäder",
            "Södra Dalarnas Räddningstjänstförbund",
            "Stiftelsen Sjöviks folkhögskola",
            "Europiska Socialfonden",
            "Kommunkansliet",
            "Avesta kommunkoncern",
        ],
        "PER": ["Birgitta Hägg"],
        "LOC": ["Avesta", "Orsa", "Norra Mellansverige"],
        "ignore": ["Vilka är vi?", "Sjöviks folkhögskola", "Avesta Vatten", "Dalarnas Räddningstjänstförbund"],
    },
    "004_ddce377725351c1f.txt": {
        "ORG": [
            "ESF-rådet",
            "Business Region Göteborg",
            "Göteborgsregionens Kommunalförbund",
            "Arbetsförmedlingen",
            "IF Metall",
            "LO",
            "Sveriges Ingenjörer",
            "Teknikföretagen",
            "Trygghetsrådet",
            "Unionen",
            "Facebook",
        ],
        "PER": ["Magnus Kallenberg", "C. Ulind"],
        "LOC": ["Sverige", "Göteborgsregionen", "Västsverige"],
        "ignore": ["VästKraft", "Västkraft", "Projektbank", "Socialfondens", "Socialfonden"],
    },
}


def _norm(text: str) -> str:
    return " ".join(text.split())


def pairs_score(pred: set[tuple[str, str]], gold: set[tuple[str, str]], ignore: set[str] = frozenset()):
    """(tp, fp, fn) per label over unique pairs, with genitive folding and ignores."""
    known = {t for t, _ in gold} | {t for t, _ in pred}

    def fold(t: str) -> str:
        return t[:-1] if t.endswith("s") and t[:-1] in known else t

    g = {(fold(_norm(t)), lab) for t, lab in gold}
    p = {(fold(_norm(t)), lab) for t, lab in pred if fold(_norm(t)) not in ignore and _norm(t) not in ignore}
    out = {}
    for lab in ("ORG", "PER", "LOC"):
        gl = {x for x in g if x[1] == lab}
        pl = {x for x in p if x[1] == lab}
        out[lab] = (len(pl & gl), len(pl - gl), len(gl - pl))
    return out, sorted(p - g), sorted(g - p)


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def seed_record(seeds_dir: str | Path, name: str, metadata: Metadata | None = None) -> Record:
    """The seed as the NER stage sees it in the pipeline: cleaned, segmented, with its metadata and sections."""
    from pipeline.config import load_config
    from pipeline.pipeline import Pipeline

    cfg = load_config()
    cfg["pipeline"]["stages"] = ["clean", "segment", "metadata", "sections"]
    rec = Pipeline(cfg).process_file(Path(seeds_dir) / name)
    return rec if metadata is None else rec.model_copy(update={"metadata": metadata})


def score_seeds(stage, seeds_dir: str | Path) -> dict:
    """Per-document and micro scores of ``stage`` on the annotated seeds in ``seeds_dir``."""
    total: Counter = Counter()
    docs = {}
    for name, gold in GOLD.items():
        rec = stage(seed_record(seeds_dir, name))
        end = gold.get("region_end", len(rec.text))
        pred = {(e.text, e.label) for e in rec.entities if e.end <= end}
        gold_pairs = {(t, lab) for lab in ("ORG", "PER", "LOC") for t in gold[lab]}
        per_label, fps, fns = pairs_score(pred, gold_pairs, set(gold.get("ignore", [])))
        tp = sum(v[0] for v in per_label.values())
        fp = sum(v[1] for v in per_label.values())
        fn = sum(v[2] for v in per_label.values())
        docs[name] = {"f1": f1(tp, fp, fn), "per_label": per_label, "false_pos": fps, "false_neg": fns}
        for lab, (a, b, c) in per_label.items():
            total[(lab, "tp")] += a
            total[(lab, "fp")] += b
            total[(lab, "fn")] += c
    micro = {lab: f1(total[(lab, "tp")], total[(lab, "fp")], total[(lab, "fn")]) for lab in ("ORG", "PER", "LOC")}
    all_tp = sum(total[(lab, "tp")] for lab in ("ORG", "PER", "LOC"))
    all_fp = sum(total[(lab, "fp")] for lab in ("ORG", "PER", "LOC"))
    all_fn = sum(total[(lab, "fn")] for lab in ("ORG", "PER", "LOC"))
    micro["ALL"] = f1(all_tp, all_fp, all_fn)
    return {"docs": docs, "micro": micro}
