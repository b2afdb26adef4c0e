"""The `summary` stage: 2-4 readable Swedish sentences."""

from __future__ import annotations

import re
import time

import pytest

from pipeline import stages
from pipeline.record import Metadata, Record, Section
from pipeline.sections import split_sections
from pipeline.summary import Summarizer, SummaryStage, metadata_sentence
from pipeline.summary.sentences import is_good_sentence, prose_sentences, strip_lead_label
from pipeline.summary.summarizer import _tidy
from training.similarity.samples import load_samples, load_seed_texts

LABELS = (
    "Projektägare",
    "Kontaktperson",
    "E-post",
    "Telefonnummer",
    "Programområde",
    "Projektperiod",
    "Beviljat ESF-stöd",
    "Sammanfattning",
    "Bakgrund",
    "Syfte:",
    "Logotyp",
    "Cookies",
)


def _rec(rid: str, **fields) -> Record:
    """A plain-text record with the given fields (id and source = ``rid``)."""
    return Record(id=rid, source=rid, sha256="-", format="txt", **fields)


def _seed_records() -> list[Record]:
    seeds = load_seed_texts()
    assert len(seeds) == 5, "the seed documents are expected in ../shared/seeds"
    return [_rec(k, text=t) for k, t in seeds.items()]


def _n_sentences(summary: str) -> int:
    return len(prose_sentences(summary))


def _assert_readable(summary: str) -> None:
    assert summary and "\n" not in summary
    n = _n_sentences(summary)
    assert 2 <= n <= 4, summary
    for s in prose_sentences(summary):
        assert s.text[0].isupper() and s.text[-1] in ".!", s.text
        assert not s.text.startswith(("-", "•", "*", "–")), s.text
    for label in LABELS:
        assert label not in summary, (label, summary)
    assert "@" not in summary and "http" not in summary


@pytest.mark.shared
def test_stage_is_registered_and_fills_summary():
    stage = stages.create("summary", {})
    rec = _seed_records()[3]
    out = stage(rec)
    assert out is not rec and rec.summary is None
    _assert_readable(out.summary)


@pytest.mark.shared
@pytest.mark.parametrize("i", range(5))
def test_seed_documents_get_readable_summaries(i):
    rec = _seed_records()[i]
    rec = rec.model_copy(update={"sections": split_sections(rec.text)})
    _assert_readable(SummaryStage({})(rec).summary)


def test_uses_own_sammanfattning_when_present():
    s = next(x for x in load_samples() if x.id == "uvas-1")
    rec = s.to_record()
    rec = rec.model_copy(update={"sections": split_sections(rec.text)})
    out = Summarizer({}).summarise(rec)
    assert out.startswith("Vägen vidare ska hjälpa unga mellan 16 och 24 år")


def test_without_sammanfattning_picks_purpose_and_names_project():
    s = next(x for x in load_samples() if x.id == "funk-1")
    text = s.text.replace("Sammanfattning\n", "Inledning\n")  # no summary section any more
    body = text.split("Bakgrund", 1)[1]
    rec = _rec("x", title=s.title, text="Bakgrund" + body)
    rec = rec.model_copy(update={"sections": split_sections(rec.text)})
    out = Summarizer({}).summarise(rec)
    _assert_readable(out)
    assert "Arbete för alla" in out and "arbetsspecialist" in out


@pytest.mark.shared
def test_news_without_sections():
    seeds = {r.id: r for r in _seed_records()}
    rec = seeds["004_ddce377725351c1f"].model_copy(update={"title": "Västkraft"})
    assert rec.sections == []
    out = Summarizer({"metadata_sentence": False}).summarise(rec)
    _assert_readable(out)
    assert "säger" not in out  # no quotes


def test_metadata_sentence_says_who_and_where():
    md = Metadata(
        owner="Alingsås kommun", region="Västsverige", participating_organisations=["Arbetsförmedlingen", "Företagarna"]
    )
    rec = _rec(
        "m",
        title="Test",
        metadata=md,
        text="Projektet ska ge unga arbetslösa praktik och coachning i kommunen.\nDeltagarna får stöd av en coach under hela året.\n",
    )
    out = Summarizer({}).summarise(rec)
    assert out.endswith(
        "Projektet drivs av Alingsås kommun i Västsverige tillsammans med Arbetsförmedlingen och Företagarna."
    )
    assert metadata_sentence(rec.model_copy(update={"metadata": Metadata(owner="saknas")}), "") is None
    assert metadata_sentence(rec, "Alingsås kommun i Västsverige och Arbetsförmedlingen och Företagarna") is None


def test_given_sections_are_used():
    text = "Rubrik\n\nBakgrund\nMånga unga saknar arbete i kommunen och behöver stöd.\n\nSyfte\nProjektet ska ge unga arbetslösa praktik hos lokala företag.\nDeltagarna får också en personlig coach under ett år.\n"
    b = text.index("Många")
    p = text.index("Projektet")
    secs = [
        Section(key="background", heading="Bakgrund", start=b, end=text.index("\n\nSyfte")),
        Section(key="purpose", heading="Syfte", start=p, end=len(text)),
    ]
    rec = _rec("s", text=text, sections=secs)
    out = Summarizer({"metadata_sentence": False}).summarise(rec)
    assert out.startswith("Projektet ska ge unga arbetslösa praktik")


def test_sentence_splitting_and_filter():
    sents = [
        s.text for s in prose_sentences("Projektet ska bl.a. utbilda personal, t.ex. undersköterskor. Det sker i Umeå.")
    ]
    assert sents == ["Projektet ska bl.a. utbilda personal, t.ex. undersköterskor.", "Det sker i Umeå."]
    assert not is_good_sentence("ProjektägareAlingsås Futurum har ansvar för hela projektet.")
    assert not is_good_sentence("- Deltagarna får praktik hos lokala arbetsgivare i kommunen.")
    assert not is_good_sentence("Bakgrund")
    assert not is_good_sentence("– Det viktigaste är att någon tror på dem, säger projektledaren.")
    assert is_good_sentence("Deltagarna får praktik hos lokala arbetsgivare i kommunen.")


@pytest.mark.shared
def test_speed_at_least_100_docs_per_second():
    recs = [r.model_copy(update={"sections": split_sections(r.text)}) for r in _seed_records()]
    recs += [s.to_record() for s in load_samples()]
    stage = SummaryStage({})
    stage(recs[0])
    t0 = time.perf_counter()
    for r in recs * 2:
        stage(r)
    dps = 2 * len(recs) / (time.perf_counter() - t0)
    assert dps >= 100, dps


def test_summaries_contain_no_broken_fragments_on_samples():
    stage = SummaryStage({})
    for s in load_samples():
        out = stage(s.to_record()).summary
        _assert_readable(out)
        assert not re.search(r"\b(och|att|som|med|för)\.$", out)


def test_lists_of_organisations_are_not_summary_sentences():
    assert not is_good_sentence(
        "I styrgruppen sitter Arbetsförmedlingen, Försäkringskassan, Region Norrbotten, Luleå kommun och Piteå kommun."
    )
    assert not is_good_sentence(
        "Projektet omfattar kommunerna Alvesta, Ljungby, Markaryd, Tingsryd och Växjö samt regionen."
    )
    assert is_good_sentence("Projektet ska ge unga, nyanlända och långtidsarbetslösa stöd i Luleå, Piteå och Boden.")
    text = (
        "Projektet Nya steg ska ge långtidsarbetslösa vuxna praktik och handledning hos lokala arbetsgivare.\n"
        "Deltagarna får en personlig coach och en plan för vägen till arbete.\n"
        "I partnerskapet ingår Arbetsförmedlingen, Försäkringskassan, Region Gotland, Gotlands kommun och Företagarna.\n"
    )
    out = Summarizer({"metadata_sentence": False}).summarise(_rec("n", text=text))
    assert "Försäkringskassan" not in out and "praktik" in out


def test_sentence_weights_come_from_the_config():
    text = (
        "Projektet Gröna jobb ska ge unga arbetslösa praktik inom skog och lantbruk i kommunen.\n"
        "Projektet startade 2019 och bygger på en förstudie som kommunen gjorde året innan.\n"
        "Deltagarna får handledning, körkortsteori och en yrkesutbildning som leder till arbete.\n"
    )
    rec = _rec("w", title="Gröna jobb", text=text)
    plain = Summarizer({"metadata_sentence": False, "max_sentences": 2, "model": ""}).summarise(rec)
    assert "startade 2019" in plain  # early, names the project
    tuned = Summarizer(
        {"metadata_sentence": False, "max_sentences": 2, "weights": {"history": -2.0}, "model": ""}
    ).summarise(rec)
    assert "startade 2019" not in tuned and "handledning" in tuned  # the project's history is penalised


def test_summary_does_not_depend_on_the_hash_seed():
    """Sets of words iterate in an order that depends on PYTHONHASHSEED; the words that count as central must not."""
    import subprocess
    import sys

    from pipeline.paths import ROOT

    prog = (
        "from pipeline.summary.summarizer import top_words\n"
        "words = [f'ord{i:02d}' for i in range(40)]\n"
        "sents = [set(words[i:i + 20]) for i in range(0, 40, 20)] * 2\n"
        "print(sorted(top_words(sents, 25)))\n"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", prog],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in range(6)
    }
    assert len(outs) == 1 and outs.pop().strip()


def test_att_clause_is_rewritten_only_under_a_purpose_label():
    text = (
        "Att kommunerna samarbetar kring vuxenutbildningen visar att frågan anses viktig i regionen.\n"
        "Projektet ska ge arbetslösa vuxna en yrkesutbildning inom vård och omsorg.\n"
    )
    out = Summarizer({"metadata_sentence": False}).summarise(_rec("a", text=text))
    assert "Syftet är att kommunerna" not in out and "Att kommunerna samarbetar" in out
    text = (
        "Syfte: Att ge arbetslösa vuxna en yrkesutbildning inom vård och omsorg i kommunen.\n"
        "Deltagarna får praktik på ett äldreboende och handledning av erfarna undersköterskor.\n"
    )
    out = Summarizer({"metadata_sentence": False}).summarise(_rec("b", text=text))
    assert "Syftet är att ge arbetslösa vuxna" in out


def test_headings_run_into_a_sentence_are_stripped():
    from pipeline.summary.sentences import strip_lead_label

    assert strip_lead_label("Övergripande syfte och problembeskrivning Projektet riktar sig till unga i Ankeby.") == (
        "Projektet riktar sig till unga i Ankeby."
    )
    assert (
        strip_lead_label("BakgrundArbetslösheten bland unga är hög i Ankeby.")
        == "Arbetslösheten bland unga är hög i Ankeby."
    )
    assert strip_lead_label("Sammanfattning EU-projektet Ankeby ville nå unga i kommunen.") == (
        "EU-projektet Ankeby ville nå unga i kommunen."
    )
    assert strip_lead_label("Problem och utgångslägen Projektet AB7 når unga i Ankeby.") == (
        "Projektet AB7 når unga i Ankeby."
    )
    assert strip_lead_label("Bakgrund till projektet AKB Ankebys företag behöver fler tekniker.") == (
        "AKB Ankebys företag behöver fler tekniker."
    )
    s = "Bakgrund till projektet är att många unga i Ankeby saknar arbete."  # a sentence, not a heading
    assert strip_lead_label(s) == s
    # a name after "Projekt" mid-sentence is no heading
    s = "Ankeby kommun driver Projekt Framtiden tillsammans med föreningarna."
    assert strip_lead_label(s) == s


def test_tables_of_contents_and_reference_entries_are_no_sentences():
    assert not is_good_sentence("Bakgrund och syfte 4 Målgrupp och deltagare 7 Genomförande 12 Resultat och lärdomar.")
    assert not is_good_sentence("Andersson, K. (2014) Unga i Ankeby – en utvärdering av ett kommunalt projekt.")
    # a report's title block in capitals run into the text
    assert not is_good_sentence(
        "UNGA VUXNA I ANKEBY en utvärdering av ett projekt Rapport 2012:3 Detta verk är skyddat."
    )
    assert is_good_sentence("Projektet har 120 deltagare och 15 Arbetsförmedlingar samverkar i länet.")
    # a page number and the next chapter's number: the end of a flattened table of contents
    assert not is_good_sentence("Inledning Uppdragets syfte Metod och material Rapportens upplägg 3 3.")
    assert not is_good_sentence("Rapportens upplägg 3 4. Om projektet Ankeby och dess bakgrund i länet.")


def test_sentences_run_together_are_no_sentences():
    # a full stop lost in a PDF transcript: a sentence opener after a lower-case word
    assert not is_good_sentence(
        "Arbetet pågår med stöd av socialfonden Ett begrepp som används alltmer är lärande utvärdering."
    )
    assert not is_good_sentence("Ankeby kommun har beviljats stöd för tre år Det ska ge fler unga arbete.")
    # a name that opens with such a word, after a word that introduces it
    assert is_good_sentence("Ankeby kommun driver tillväxtprojektet En väg in tillsammans med Arbetsförmedlingen.")
    assert is_good_sentence("Projektet Det goda arbetet riktar sig till långtidsarbetslösa i Ankeby kommun.")
    assert is_good_sentence("Det är viktigt att unga i Ankeby får stöd tidigt, och det har projektet visat.")


def test_a_capitalised_heading_before_a_sentence_and_emptied_brackets_are_dropped():
    assert strip_lead_label("SAMMANFATTNING Ankeby Konsult AB har utvärderat projektet Vägen.") == (
        "Ankeby Konsult AB har utvärderat projektet Vägen."
    )
    assert strip_lead_label("SKANSKA Ankeby har anställt fler unga.") == "SKANSKA Ankeby har anställt fler unga."
    assert _tidy("Projektet Vägens ( ) mål var att stärka unga [ ] i Ankeby.") == (
        "Projektet Vägens mål var att stärka unga i Ankeby."
    )


def test_report_template_instructions_and_captions_of_people_are_no_sentences():
    for s in (
        "Beskriv kortfattat projektidén och de framsteg som gjordes under året.",
        "Rapporten ska skrivas i den bifogade mallen och skickas till samordnaren.",
        "I rapporten ska ni redogöra för hur tidplanen följdes under projektet.",
        "Det är viktigt att slutrapporten bygger på en diskuterande redogörelse.",
        "Anna Berg, projektledare på Ankeby kommun, och Per Ek, vd på Ankeby AB, vid invigningen.",
    ):
        assert not is_good_sentence(s), s
    # an organisation named first is no caption
    assert is_good_sentence("Europeiska Socialfonden, via ESF-rådet, finansierade projektet i Ankeby kommun.")
    assert is_good_sentence("Projektledaren Anna Berg har arbetat med unga i Ankeby i tio år.")


def test_an_owner_in_capitals_is_written_as_a_name():
    rec = _rec(
        "o",
        text="-",
        metadata=Metadata(owner="ANKEBY KOMMUNALFÖRBUND", region="REGION ANKEBY"),
    )
    assert metadata_sentence(rec, "") == "Projektet drivs av Ankeby kommunalförbund i Region Ankeby."
    rec2 = rec.model_copy(update={"metadata": Metadata(owner="IUC Ankeby AB")})
    assert metadata_sentence(rec2, "") == "Projektet drivs av IUC Ankeby AB."
    rec3 = rec.model_copy(update={"metadata": Metadata(owner="Ankeby universitet", region="ESF Nationellt")})
    assert metadata_sentence(rec3, "") == "Projektet drivs av Ankeby universitet och är nationellt."


def test_the_metadata_sentence_names_the_project_once():
    md = Metadata(owner="Ankeby kommun", region="Västsverige", project_name="Vägen vidare")
    rec = _rec("n", text="-", metadata=md)
    assert metadata_sentence(rec, "") == "Projektet Vägen vidare drivs av Ankeby kommun i Västsverige."
    # already named by the sentences before it: not again
    said = "Projektet Vägen vidare ger unga stöd."
    assert metadata_sentence(rec, said) == "Projektet drivs av Ankeby kommun i Västsverige."
    # a name that cannot stand in the sentence (a slogan with '!', a long headline) is left out
    for name in ("Romsk kraft!", "Ett projekt om unga vuxna som varken arbetar eller studerar i kommunen"):
        other = rec.model_copy(update={"metadata": md.model_copy(update={"project_name": name})})
        assert metadata_sentence(other, "") == "Projektet drivs av Ankeby kommun i Västsverige."
    # a spelled-out acronym too long for the sentence: its short form
    long_name = "ANK – Ankeby nya kompetens för vård och omsorg i länet"
    other = rec.model_copy(update={"metadata": md.model_copy(update={"project_name": long_name})})
    assert metadata_sentence(other, "") == "Projektet ANK drivs av Ankeby kommun i Västsverige."
    # a file number is no part of the name; a headline with a comma or a colon is no name to repeat
    for name, said in (
        ("Vägen vidare Dnr 123-4567-89", "Projektet Vägen vidare drivs av"),
        ("Ung Arena 9.0", "Projektet Ung Arena 9.0 drivs av"),  # a version number is part of a name
        ("Temagrupp Unga, Ankeby kommun", "Projektet drivs av"),
        ("STEG - EU: ANKA", "Projektet drivs av"),
    ):
        other = rec.model_copy(update={"metadata": md.model_copy(update={"project_name": name})})
        assert metadata_sentence(other, "") == said + " Ankeby kommun i Västsverige."


def test_the_lead_before_the_first_heading_is_a_candidate_and_captions_are_not():
    lead = (
        "Många hantverkare i skärgården har saknat tid och vägar att lära sig sälja sina varor på nätet. "
        "Nu har ett hundratal företagare på öarna gått projektets korta kvällskurser i webbhandel och marknadsföring."
    )
    caption = "Deltagare vid en av kvällskurserna i bygdegården i våras. Foto: A. Berg."
    body = (
        "Kurserna hålls i bygdegårdar och på biblioteket en kväll i veckan under hela året.\n"
        "Varje kurs tar upp ett eget ämne som priser, bilder eller frakt av varor.\n\n"
        "Efter kurserna\n"
        "Flera av deltagarna säljer nu en stor del av sina varor via egna webbutiker.\n"
        "Några har också börjat samarbeta om gemensamma leveranser till fastlandet.\n"
    )
    text = f"Handel från öarna\n\n{lead}\n\n{caption}\n\nKurser på kvällstid\n{body}"
    first = text.index("Kurserna hålls")
    after = text.index("Flera av")
    secs = [
        Section(key="other", heading="Kurser på kvällstid", start=first, end=text.index("\n\nEfter")),
        Section(key="other", heading="Efter kurserna", start=after, end=len(text)),
    ]
    rec = _rec("lead", title="Handel från öarna", text=text, sections=secs)
    sm = Summarizer({"metadata_sentence": False})
    pool = sm.pool(rec)
    assert [s.section for s in pool[:2]] == ["lead", "lead"]  # the ingress of a news item
    assert not any(s.text.startswith("Deltagare vid") for s in pool)  # an image caption is no prose
    assert sm.summarise(rec).startswith("Många hantverkare i skärgården")
    # the document's own Sammanfattning, first of the sections, is not read again as the lead
    own = "Sammanfattning\nProjektet lär hantverkare på öarna att sälja på nätet."
    text2 = f"Handel från öarna\n\n{own}\n\nKurser på kvällstid\n{body}"
    s0, f2 = text2.index("Projektet lär"), text2.index("Kurserna hålls")
    secs2 = [
        Section(key="summary", heading="Sammanfattning", start=s0, end=text2.index("\n\nKurser")),
        Section(key="other", heading="Kurser på kvällstid", start=f2, end=len(text2)),
    ]
    rec2 = _rec("lead2", title="Handel från öarna", text=text2, sections=secs2)
    assert not any(s.section == "lead" for s in sm.pool(rec2))


def test_an_excerpt_whose_only_prose_sentence_is_long_is_summarised_by_it():
    long = (
        "Ankeby kommun har i samverkan mellan kommunens arbetsmarknadsenhet, socialförvaltningen, "
        "Arbetsförmedlingen och Försäkringskassan beviljats medel från Europeiska socialfonden för att under "
        "tre år driva ett gemensamt utvecklingsprojekt, Trappan, med syfte att utveckla kunskaper kring en "
        "målgrupp med långvarigt försörjningsstöd för vilka de offentliga organisationerna inte tidigare har "
        "lyckats bidra till etablering av en fungerande arbets- och försörjningsplattform i kommunen och i de "
        "närliggande kommunerna i länet."
    )
    assert 60 < len(long.split()) <= 90
    text = "Slutrapport Trappan\n\nInnehåll Inledning 5 Uppdraget 7 Resultat 11 Slutsatser 19\n\n" + long + "\n"
    summary = Summarizer().summarise(_rec("x", text=text, metadata=Metadata(owner="Ankeby kommun")))
    assert summary and "långvarigt försörjningsstöd" in summary
    # a longer one is still no summary sentence
    too_long = long[:-1] + ", och " + " ".join(["fler"] * 30) + " ord."
    text = "Slutrapport Trappan\n\n" + too_long + "\n"
    summary = Summarizer().summarise(_rec("y", text=text, metadata=Metadata(owner="Ankeby kommun")))
    assert "fler fler" not in (summary or "")
