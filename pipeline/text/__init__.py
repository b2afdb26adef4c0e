"""One Swedish text toolkit: sentences, tokens, stemming, stop words and cue phrases.

Every stage that needs Swedish text handling imports it from here::

    from pipeline.text import split_sentences, words, stem, STOPWORDS

The modules are plain data and small functions (no models, no state beyond the
stemmer singleton), like spaCy's language data.
"""

from .cues import AIM, COOPERATION, PROJECT_SUBJECT, QUOTE_VERBS, TARGET_GROUP
from .sentences import ABBREVIATIONS, Sentence, lines, paragraphs, split_sentences
from .stem import stem, stem_word, stemmer
from .stopwords import STOPWORDS
from .tokens import WORD_RE, content_words, words

__all__ = [
    "ABBREVIATIONS",
    "AIM",
    "COOPERATION",
    "PROJECT_SUBJECT",
    "QUOTE_VERBS",
    "STOPWORDS",
    "Sentence",
    "TARGET_GROUP",
    "WORD_RE",
    "content_words",
    "lines",
    "paragraphs",
    "split_sentences",
    "stem",
    "stem_word",
    "stemmer",
    "words",
]
