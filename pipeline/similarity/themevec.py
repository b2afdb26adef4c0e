"""Theme-lexicon profile of a text: how much it speaks of each theme of ``configs/themes.yaml``.

One number per theme: strong term hits count 1, weak ones 0.5 (the theme lexicon's own
notion of strength), summed over the text and damped with log1p. Used as one signal of
the similar-projects score (cosine of two profiles): it says *which target group and kind
of intervention* a text is about in the taxonomy's vocabulary, so a free-text query such as
"unga som varken arbetar eller studerar" is in effect expanded with that theme's lexicon.
The taxonomy file is read-only here; its terms are part of the index signature, so editing
it re-embeds the documents on the next run.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from .lexical import cap_text


@lru_cache(maxsize=4)
def _taxonomy(path: str):
    from ..themes.taxonomy import load_taxonomy

    return load_taxonomy(path)


class ThemeProfiler:
    def __init__(self, taxonomy_path: str = "configs/themes.yaml"):
        self.tax = _taxonomy(str(taxonomy_path))
        self.ids = list(self.tax.ids)
        self.dim = len(self.ids)
        h = hashlib.sha256()
        for t in self.tax.themes:
            h.update(repr((t.id, t.terms, t.weak_terms)).encode())
        self.signature = f"themes:{self.dim}:{h.hexdigest()[:12]}"

    def profile(self, texts: list[str]) -> np.ndarray:
        """(len(texts), n_themes) float32, log1p of weighted hit counts (not normalised)."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for r, t in enumerate(texts):
            for _s, _e, j, strong, _term in self.tax.matcher.find(cap_text(t).lower()):
                out[r, j] += 1.0 if strong else 0.5
        return np.log1p(out)
