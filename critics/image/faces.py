"""Face cues of an image for the image critic, measured by the face critic (people's expressions carry much of
what a photo of people evokes). Images without a face get zeros, so the features are defined everywhere.
"""
from __future__ import annotations

import numpy as np

FACE_FEATURES = ("face_count", "face_share", "face_valence", "face_arousal")


class FaceCues:
    """Finds faces once and reads the largest one's expression; safe to reuse across images."""

    def __init__(self) -> None:
        from critics.face.classifier import FaceExpressionCritic

        self._critic = FaceExpressionCritic()

    def __call__(self, pixels: np.ndarray) -> dict[str, float]:
        from conditioning import label_set
        from critics.face.landmarks import align_face

        from critics.image.features import _resize

        pixels = _resize(pixels)  # the image critic's working size: fast, and no tiled search for tiny faces
        faces = self._critic.finder.find(pixels)
        if not faces:
            return dict.fromkeys(FACE_FEATURES, 0.0)
        h, w = pixels.shape[:2]
        p = self._critic.predict_crops(align_face(pixels, faces[0]))[0]
        e = label_set("fer2013").to_emotion(dict(zip(self._critic.classes, p.tolist())))
        return {"face_count": float(min(len(faces), 4)), "face_share": float(sum(f.area for f in faces) / (h * w)),
                "face_valence": float(e.valence), "face_arousal": float(e.arousal)}
