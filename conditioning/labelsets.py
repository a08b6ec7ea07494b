"""Adapters between the shared space and the label sets of other systems and corpora.

Every foreign label is defined by a mix of vocabulary terms, so it has a point in VAD space; conversions in
both directions go through that space:
- ``to_emotion(dist)``: a distribution over foreign labels (e.g. a classifier's softmax) -> an `Emotion`
  (the mapped terms' mix; foreign "neutral" mass dilutes intensity towards the origin);
- ``project(emotion)``: an `Emotion` -> a distribution over the foreign labels (normalised likelihoods of the
  labels' points under the space's tied covariance), e.g. to compare a target with a critic's native output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from .emotion import Emotion
from .errors import EmotionSpecError
from .vocabulary import POOLED_SD, mix_to_vad


@dataclass(frozen=True)
class LabelSet:
    name: str
    description: str
    mapping: Mapping[str, Mapping[str, float]]  #: foreign label -> vocabulary mix

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.mapping)

    def point(self, label: str) -> tuple[float, float, float]:
        return mix_to_vad(self._mix(label))

    def _mix(self, label: str) -> Mapping[str, float]:
        try:
            return self.mapping[label]
        except KeyError:
            raise EmotionSpecError(f"{label!r} is not a {self.name} label; known: {', '.join(self.labels)}") from None

    def to_emotion(self, dist: Mapping[str, float] | str) -> Emotion:
        """A foreign label, or a distribution over foreign labels, as an `Emotion`."""
        if isinstance(dist, str):
            dist = {dist: 1.0}
        mix: dict[str, float] = {}
        for label, p in dist.items():
            for term, w in self._mix(label).items():
                mix[term] = mix.get(term, 0.0) + float(p) * w
        return Emotion.from_mix(mix)

    def project(self, emotion: Emotion, dims: int = 3) -> dict[str, float]:
        """Distribution over this set's labels for an emotion (dims=2 ignores dominance)."""
        x = emotion.vad[:dims]
        ll = {lab: -0.5 * sum(((x[i] - self.point(lab)[i]) / POOLED_SD[i]) ** 2 for i in range(dims))
              for lab in self.labels}
        peak = max(ll.values())
        p = {k: math.exp(v - peak) for k, v in ll.items()}
        z = sum(p.values())
        return {k: v / z for k, v in p.items()}


def _one(**pairs: str) -> dict[str, dict[str, float]]:
    return {label: {term: 1.0} for label, term in pairs.items()}


LABEL_SETS: dict[str, LabelSet] = {
    s.name: s
    for s in (
        LabelSet("fer2013", "FER2013 faces (Goodfellow et al. 2013), Ekman's six + neutral",
                 _one(angry="anger", disgust="disgust", fear="fear", happy="joy", neutral="neutral",
                      sad="sadness", surprise="surprise")),
        LabelSet("ravdess", "RAVDESS speech/song (Livingstone & Russo 2018), 8 labels",
                 _one(neutral="neutral", calm="calm", happy="joy", sad="sadness", angry="anger", fearful="fear",
                      disgust="disgust", surprised="surprise")),
        LabelSet("emodb", "Berlin EmoDB (Burkhardt et al. 2005), 7 labels",
                 _one(anger="anger", boredom="boredom", disgust="disgust", fear="fear", happiness="joy",
                      sadness="sadness", neutral="neutral")),
        LabelSet("emopia", "EMOPIA piano (Hung et al. 2021), Russell quadrants",
                 {"Q1": {"joy": 0.5, "excitement": 0.5},            # +valence +arousal
                  "Q2": {"anger": 0.34, "tension": 0.33, "fear": 0.33},  # -valence +arousal
                  "Q3": {"sadness": 0.5, "melancholy": 0.5},        # -valence -arousal
                  "Q4": {"calm": 0.5, "contentment": 0.5}}),        # +valence -arousal
        LabelSet("mikels", "Mikels et al. (2005) image emotions, 8 labels",
                 _one(amusement="amusement", awe="awe", contentment="contentment", excitement="excitement",
                      anger="anger", disgust="disgust", fear="fear", sadness="sadness")),
        LabelSet("mead", "MEAD talking faces (Wang et al. 2020), 8 labels",
                 _one(angry="anger", disgusted="disgust", contempt="contempt", fear="fear", happy="joy",
                      neutral="neutral", sad="sadness", surprised="surprise")),
    )
}


def label_set(name: str) -> LabelSet:
    """Look up a label set by name; 'FER2013-7', 'ravdess8' and 'RAVDESS-8' all work."""
    key = name.lower().replace("_", "-").split("-")[0].rstrip("0123456789") if name else ""
    key = {"fer": "fer2013", "ekman": "fer2013"}.get(key, key)  # ('ferplus', 'ferret': unknown; FER+ has 8 classes)
    if key not in LABEL_SETS:
        raise EmotionSpecError(f"unknown label set {name!r}; known: {', '.join(LABEL_SETS)}")
    return LABEL_SETS[key]
