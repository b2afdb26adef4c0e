"""pipeline.text: the one Swedish text toolkit (sentences, tokens, stems, stop words, cues)."""

from __future__ import annotations

import re

from pipeline.text import (
    AIM,
    STOPWORDS,
    Sentence,
    content_words,
    lines,
    paragraphs,
    split_sentences,
    stem,
    stem_word,
    stemmer,
    words,
)

TEXT = (
    "Projektet startar hösten 2019. Det riktar sig bl.a. till unga, t.ex. elever som Sara K. Lindgren möter.\n"
    "\n"
    "Syfte\n"
    "- Deltagarna får praktik. De får också handledning!\n"
    "  «Det här var bra.» Vad händer sedan? 12 deltagare fick jobb.\n"
)


def test_sentences_have_offsets_into_the_text():
    sents = split_sentences(TEXT)
    assert all(TEXT[s.start : s.end] == s.text for s in sents)
    assert [s.text for s in sents] == [
        "Projektet startar hösten 2019.",
        "Det riktar sig bl.a. till unga, t.ex. elever som Sara K. Lindgren möter.",
        "Syfte",
        "Deltagarna får praktik.",
        "De får också handledning!",
        "«Det här var bra.»",
        "Vad händer sedan?",
        "12 deltagare fick jobb.",
    ]


def test_base_shifts_offsets():
    part = TEXT[TEXT.index("Syfte") :]
    base = TEXT.index("Syfte")
    assert split_sentences(part, base) == [s for s in split_sentences(TEXT) if s.start >= base]


def test_no_cut_after_abbreviation_or_initial_but_after_lowercase_word():
    assert len(split_sentences("Vi träffas kl. 10 på kontoret.")) == 1
    assert len(split_sentences("Kontakta A. Berg på kommunen.")) == 1
    assert len(split_sentences("Vi träffas i maj. Alla är välkomna.")) == 2


def test_every_line_is_a_unit_and_blank_lines_are_skipped():
    sents = split_sentences("Rubrik utan punkt\n\n   \nText här")
    assert [s.text for s in sents] == ["Rubrik utan punkt", "Text här"]
    assert split_sentences("") == [] and split_sentences("\n \n") == []


def test_sentence_is_a_small_frozen_value():
    s = Sentence(0, 3, "Hej")
    assert (s.start, s.end, s.text) == (0, 3, "Hej")


def test_lines_and_paragraphs_keep_offsets():
    text = "Första raden\nandra raden\n\n  Nytt stycke\n"
    assert list(lines(text)) == [(0, "Första raden"), (13, "andra raden"), (26, "  Nytt stycke")]
    paras = list(paragraphs(text, base=100))
    assert paras == [(100, "Första raden\nandra raden"), (128, "Nytt stycke")]
    assert text[28:39] == "Nytt stycke"


def test_tokens_and_stop_words():
    assert words("ESF-rådet stödjer 12 unga") == ["esf-rådet", "stödjer", "unga"]
    assert content_words("Projektet och kommunen i samverkan") == ["projektet", "kommunen", "samverkan"]
    assert {"och", "att", "projektägare"} <= STOPWORDS


def test_one_stemmer_singleton():
    assert stemmer() is stemmer()
    assert stem(["kvinnorna", "utbildningar"]) == ["kvinn", "utbildning"]
    assert stem_word("kommunerna") == stem(["kommunerna"])[0]


def test_cue_phrases_are_plain_patterns():
    aim = re.compile(rf"\b(?:{AIM})\b", re.I)
    assert aim.search("Syftet är att fler unga ska få arbete.")
    assert not aim.search("Vi träffades på torget.")


def test_segment_stage_writes_sentence_spans_once():
    from pipeline.record import Record
    from pipeline.stages import create

    rec = Record(id="x", source="x.txt", sha256="0", format="txt", text=TEXT)
    out = create("segment")(rec)
    assert [(s.start, s.end) for s in out.sentences] == [(s.start, s.end) for s in split_sentences(TEXT)]
    assert out.sentence_texts()[1].startswith("Det riktar sig bl.a.")
    assert rec.sentences == []  # the input record is not changed


def test_records_of_schema_1_1_without_sentences_still_load():
    from pipeline.record import SCHEMA_VERSION, Record

    old = {"schema_version": "1.1.0", "id": "x", "source": "x.txt", "sha256": "0", "format": "txt", "text": "Hej."}
    rec = Record.from_json(old)
    assert rec.schema_version == SCHEMA_VERSION != "1.1.0" and rec.sentences == []
