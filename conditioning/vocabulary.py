"""The emotion vocabulary: named terms as Gaussians in valence-arousal-dominance (VAD) space.

Each term's mean comes from the NRC-VAD lexicon (Mohammad 2018), averaged over a small cluster of
near-synonyms (see ``derive_vocabulary.py``, which generated ``_vad_tables.py``). Neutral is the origin by
definition: intensity is measured as distance from it.

Mixes and coordinates convert both ways, as in Cardia Neto, Ferrari & Berretti, "Revisiting Emotions
Representation for Recognition in the Wild" (2026): a mix maps to the weighted mean of its terms' means, and a
point maps to the normalised likelihoods of the terms' Gaussians. The Gaussians share one diagonal covariance,
the pooled within-cluster spread (linear-discriminant style): with six words per cluster the per-term spreads
are too noisy to rank terms by (a wide cluster would swallow its neighbours, so "hope" would read back as
"love"); with a tied covariance every term's own centre reads back as that term. The per-term spreads are kept
(``Term.spread``) for sampling variety, e.g. when building datasets.
"""
from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass
from typing import Iterable, Mapping

from ._vad_tables import TERMS, WORDS

VAD = tuple[float, float, float]


@dataclass(frozen=True)
class Term:
    """One vocabulary entry: a Gaussian in VAD space."""

    label: str
    mean: VAD
    spread: VAD  #: per-term standard deviation over its synonym cluster (not used for likelihoods)
    words: tuple[str, ...] = ()


NEUTRAL = "neutral"
VOCABULARY: dict[str, Term] = {NEUTRAL: Term(NEUTRAL, (0.0, 0.0, 0.0), (0.18, 0.18, 0.18), ())}
VOCABULARY.update({label: Term(label, mean, sd, words) for label, (mean, sd, words) in TERMS.items()})

#: Tied per-dimension standard deviation: root-mean-square of the per-term spreads.
POOLED_SD: VAD = tuple(  # type: ignore[assignment]
    math.sqrt(sum(t.spread[i] ** 2 for t in VOCABULARY.values()) / len(VOCABULARY)) for i in range(3)
)

#: Words that name a term: its cluster words plus the label names used by other systems.
ALIASES: dict[str, str] = {}
for _term in VOCABULARY.values():
    for _w in _term.words:
        ALIASES.setdefault(_w, _term.label)
ALIASES.update({
    "happy": "joy", "happiness": "joy", "sad": "sadness", "angry": "anger", "fearful": "fear",
    "disgusted": "disgust", "surprised": "surprise", "calmness": "calm", "anxious": "anxiety",
    "bored": "boredom", "excited": "excitement", "tender": "tenderness", "content": "contentment",
    "peaceful": "serenity", "hopeful": "hope", "lonely": "loneliness", "tense": "tension",
    "proud": "pride", "ashamed": "shame", "tired": "fatigue",
})

#: Compound states that the lexicon cannot place as a single point: mixed emotions (Larsen & McGraw 2011).
COMPOUNDS: dict[str, dict[str, float]] = {
    "bittersweet": {"joy": 0.5, "sadness": 0.5},
}


def resolve(label: str) -> str | None:
    """Return the vocabulary term a label or alias names, or None."""
    key = label.strip().lower()
    if key in VOCABULARY:
        return key
    return ALIASES.get(key)


def closest_labels(word: str, n: int = 3) -> list[str]:
    """The known labels spelled most like ``word`` (for error messages), those that share its stem first: by
    spelling alone "energised" was offered "enraged" before "energetic"."""
    pool = list(dict.fromkeys([*VOCABULARY, *ALIASES, *WORDS]))
    key = word.lower()
    found = difflib.get_close_matches(key, pool, n=max(n, 10), cutoff=0.5)
    stem = lambda w: min(5, len(os.path.commonprefix([key, w])))  # noqa: E731  (5 letters: a shared stem)
    return sorted(found, key=lambda w: -stem(w))[:n] or sorted(VOCABULARY)[:n]


def mix_to_vad(mix: Mapping[str, float]) -> VAD:
    """Weighted mean of the terms' means. ``mix`` holds vocabulary labels with weights summing to 1."""
    total = sum(mix.values())
    return tuple(sum(w * VOCABULARY[t].mean[i] for t, w in mix.items()) / total for i in range(3))  # type: ignore[return-value]


def log_likelihoods(vad: Iterable[float], labels: Iterable[str] | None = None) -> dict[str, float]:
    """Log density (up to a shared constant) of ``vad`` under each term's Gaussian."""
    x = tuple(vad)
    out = {}
    for label in labels if labels is not None else VOCABULARY:
        mean = VOCABULARY[label].mean
        out[label] = -0.5 * sum(((x[i] - mean[i]) / POOLED_SD[i]) ** 2 for i in range(len(x)))
    return out


def vad_to_mix(vad: Iterable[float], labels: Iterable[str] | None = None, top: int | None = None,
               floor: float = 1e-3) -> dict[str, float]:
    """Normalised likelihoods of a VAD point under the terms (all, or ``labels``), largest first.

    Weights below ``floor`` are dropped and the rest renormalised, so mixes stay readable.
    Pass a 2-tuple (valence, arousal) to ignore dominance.
    """
    ll = log_likelihoods(vad, labels)
    peak = max(ll.values())
    p = {k: math.exp(v - peak) for k, v in ll.items()}
    z = sum(p.values())
    items = sorted(((k, v / z) for k, v in p.items()), key=lambda kv: -kv[1])
    items = [kv for kv in items if kv[1] >= floor][:top] or items[:1]
    z = sum(v for _, v in items)
    return {k: v / z for k, v in items}
