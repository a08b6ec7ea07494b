"""Embedded image critic: valence and arousal an image evokes, from hand-made affective features.

A regressor trained on OASIS (Kurdi, Lozano & Banaji 2017; ~100 raters per image) over the features in
`critics.image.features`, shipped as ONNX (see critics/cards/image-embedded.md for data, protocol and figures).
``native`` is the projection onto Mikels et al.'s eight image emotions, the label set image-emotion corpora use.

The regressors' outputs are stretched by the concordance map fitted out of fold at training
(`critics.training.image`, module docstring): a squared-error regressor with r of 0.24-0.38 shrinks its
predictions to a third of the ratings' spread, which would make every picture read as nearly neutral and make
the loop overshoot; the map keeps the order (r) and restores the scale (CCC-optimal).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from conditioning import Emotion, label_set
from conditioning.media import Image, Video
from conditioning.registry import configure
from critics.base import Reading, onnx_session
from critics.image import still

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"


def apply_concordance_map(prediction, m: dict[str, float]):
    """A regressor's prediction on the ratings' scale: ``rating_mean + scale * (prediction - prediction_mean)``
    (the map `critics.training.image.concordance_map` fits out of fold; numbers or arrays)."""
    return m["rating_mean"] + m["scale"] * (prediction - m["prediction_mean"])


@dataclass(frozen=True)
class ImageCriticConfig:
    weights: Path = WEIGHTS  #: folder holding image_embedded_{valence,arousal}.onnx and image_embedded.json


class EmbeddedImageCritic:
    modality = "image"
    name = "embedded"

    def __init__(self, config: ImageCriticConfig | None = None, **overrides) -> None:
        self.config = configure(ImageCriticConfig, config, overrides, "image/embedded")

    @cached_property
    def _meta(self) -> dict:
        return json.loads((self.config.weights / "image_embedded.json").read_text())

    @cached_property
    def _sessions(self):
        return [onnx_session(self.config.weights / f"image_embedded_{t}.onnx") for t in ("valence", "arousal")]

    @cached_property
    def _face_cues(self):
        from critics.image.faces import FaceCues

        return FaceCues()

    def features(self, image: Image) -> dict[str, float]:
        from critics.image.faces import FACE_FEATURES
        from critics.image.features import extract

        feats = extract(image.pixels)
        if any(n in self._meta["features"] for n in FACE_FEATURES):  # models trained with the face critic's cues
            feats.update(self._face_cues(image.pixels))
        return feats

    def mirror_features(self, image: Image, feats: dict[str, float]) -> dict[str, float]:
        """The features of the picture's left-right mirror image, as far as they differ: the GIST envelope's cells
        exchanged (`features.mirror_gist`, exact) and the face cues read on the mirrored picture (the face
        detector is not symmetric); colour and texture statistics are kept, which move by a few per cent at most
        (LBP, corners). Half the cost of extracting them all again, which halved the judge's 34 pictures/s."""
        from critics.image.faces import FACE_FEATURES
        from critics.image.features import mirror_gist

        out = mirror_gist(feats)
        if any(n in self._meta["features"] for n in FACE_FEATURES):
            out.update(self._face_cues(np.ascontiguousarray(image.pixels[:, ::-1])))
        return out

    def predict(self, *feats: dict[str, float]) -> tuple[float, float]:
        """The regressors' valence and arousal on OASIS's 1-7 scale (before the concordance map), averaged over
        ``feats`` (a picture's features and its mirror image's: `critics.training.image.MIRROR_AVERAGE`)."""
        x = np.array([[f[n] for n in self._meta["features"]] for f in feats], dtype=np.float32)
        v, a = (float(np.mean(np.ravel(s.run(None, {"features": x})[0]))) for s in self._sessions)
        return v, a

    def calibrate(self, v7: float, a7: float) -> tuple[float, float]:
        """The concordance map of the shipped weights (identity for weights trained without one)."""
        maps = self._meta.get("concordance_map", {})
        v, a = ((apply_concordance_map(x, maps[t]) if t in maps else x)
                for x, t in ((v7, "valence_mean"), (a7, "arousal_mean")))
        return v, a

    def score(self, media: Image | Video) -> Reading:
        media = still(media, "the image critic")
        feats = self.features(media)
        # a picture and its mirror image read alike (`critics.training.image.MIRROR_AVERAGE`): a mirrored photo had
        # read up to 0.77 apart in valence
        raw = (self.predict(feats, self.mirror_features(media, feats)) if self._meta.get("mirror_average")
               else self.predict(feats))
        v7, a7 = self.calibrate(*raw)
        clip = lambda x: max(-1.0, min(1.0, x))  # noqa: E731
        emotion = Emotion.from_vad(clip((v7 - 4) / 3), clip((a7 - 4) / 3))
        fig = self._meta["validation"]["figures"]
        conf = (fig["valence_mean"]["r"] + fig["arousal_mean"]["r"]) / 2  # validated agreement, a global figure
        native = label_set("mikels").project(emotion, dims=2)
        keep = [k for k in ("vm_pleasure", "vm_arousal", "brightness", "saturation", "warmth", "colourfulness",
                            "angularity", "face_count", "face_valence") if k in feats]
        return Reading(f"{self.modality}/{self.name}", emotion.valence, emotion.arousal, emotion.dominance,
                       dict(emotion.mix), native, conf,
                       details={"oasis_valence": round(v7, 3), "oasis_arousal": round(a7, 3),
                                "regressor_valence": round(raw[0], 3), "regressor_arousal": round(raw[1], 3),
                                **{k: round(feats[k], 4) for k in keep}}, categorical=False)
