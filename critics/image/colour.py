"""The colour-only image judge, ``image/colour``: Valdez & Mehrabian's (1994) equations, nothing learned.

Why: a second image judge that shares no training with `image/embedded` (a regressor over 107 features fitted to
OASIS ratings). Valdez & Mehrabian measured how brightness B and saturation S of colours evoke pleasure and
arousal: P = 0.69 B + 0.22 S, A = -0.31 B + 0.60 S, D = -0.76 B + 0.32 S. Here B and S are the image's mean HSV
value and saturation, and P, A, D are placed on the studio's [-1, 1] scale as z-scores against the 450 OASIS
images in ../shared/data (P mean 0.4284, sd 0.1122; A 0.0354, 0.1307; D -0.2886, 0.134; `oasis_stats`),
halved and clipped: +-2 sd of natural photographs spans the scale.

What it is valid for: the mood of colour and light (palettes, abstract pictures, grading). It cannot see
content: a bright photo of something awful reads as pleasant. Note for the studio's own pictures: the
procedural generator sets brightness and saturation with the same equations inverted, so this judge confirms
that the colours came out as intended; it cannot certify the picture's emotion alone (nor can `image/embedded`,
whose features were probed when the generator's complexity cue was chosen: generators/cards/image-procedural.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from conditioning import Emotion, label_set
from conditioning.registry import configure
from conditioning.media import Image, Video
from critics.base import Reading
from critics.image import still

#: Valdez & Mehrabian (1994), standardised brightness and saturation -> pleasure, arousal, dominance
VM = {"P": (0.69, 0.22), "A": (-0.31, 0.60), "D": (-0.76, 0.32)}
#: mean and sd of P, A and D over the 450 OASIS images in ../shared/data (`oasis_stats`)
OASIS = {"P": (0.4284, 0.1122), "A": (0.0354, 0.1307), "D": (-0.2886, 0.134)}


def brightness_saturation(pixels: np.ndarray) -> tuple[float, float]:
    """Mean HSV value and saturation in [0, 1] (at 256 px on the longest side, like the other image critic)."""
    from PIL import Image as PILImage

    im = PILImage.fromarray(np.asarray(pixels, dtype=np.uint8)[:, :, :3])
    im.thumbnail((256, 256))
    hsv = np.asarray(im.convert("HSV"), dtype=np.float64) / 255.0
    return float(hsv[..., 2].mean()), float(hsv[..., 1].mean())


def oasis_stats(folder) -> dict[str, tuple[float, float]]:
    """The OASIS figures in `OASIS`, measured again from the images in ``folder`` (e.g. ../shared/data/images/oasis/images)."""
    from pathlib import Path

    from conditioning.media import load_image

    rows = []
    for f in sorted(Path(folder).glob("*.jpg")):
        b, s = brightness_saturation(load_image(f).pixels)
        rows.append([VM[k][0] * b + VM[k][1] * s for k in ("P", "A", "D")])
    a = np.array(rows)
    return {k: (round(float(a[:, i].mean()), 4), round(float(a[:, i].std()), 4)) for i, k in enumerate(("P", "A", "D"))}


@dataclass(frozen=True)
class ColourCriticConfig:
    """The colour judge has nothing to set (its equations are Valdez & Mehrabian's, its scale OASIS's); the empty
    config keeps the judges' constructor contract, so a misspelt option is named rather than a TypeError."""


class ColourImageCritic:
    modality = "image"
    name = "colour"

    def __init__(self, config: ColourCriticConfig | None = None, **overrides: Any) -> None:
        self.config = configure(ColourCriticConfig, config, overrides, "image/colour")

    def score(self, media: Image | Video) -> Reading:
        media = still(media, "the colour judge")
        b, s = brightness_saturation(media.pixels)
        z = {k: ((VM[k][0] * b + VM[k][1] * s) - OASIS[k][0]) / OASIS[k][1] for k in VM}
        v, a, d = (float(np.clip(z[k] / 2, -1, 1)) for k in ("P", "A", "D"))
        emotion = Emotion.from_vad(v, a, d)
        native = label_set("mikels").project(emotion, dims=2)
        return Reading(f"{self.modality}/{self.name}", v, a, d, dict(emotion.mix), native, 0.5,
                       details={"brightness": round(b, 4), "saturation": round(s, 4)}, categorical=False)


__all__ = ["ColourCriticConfig", "ColourImageCritic", "brightness_saturation", "oasis_stats"]
