"""Aligning a found face for the FER2013 classifier (shared by the face critics; finding faces and the mesh
indices are in `conditioning.faces`, which the face animator uses too).

`align_face` rotates and scales the image so that the eyes are level and land where FER2013's crops put them
(measured on FER2013 crops by `critics.training.face.calibrate_geometric`; the figures are kept in `FER_LAYOUT`),
then crops a greyscale square.
"""
from __future__ import annotations

import numpy as np

from conditioning.faces import Face, as_rgb

#: where FER2013 puts the eyes: (x, y) of the centre between the eyes and the inter-ocular distance, in
#: pixels of the 48x48 crop (medians over the FER2013 training images the mesh could fit, each padded by 16 px
#: so that the detector sees a margin: `critics.training.face.calibrate_geometric`'s "layout"; see
#: critics/cards/face-classifier.md)
FER_LAYOUT = {"eyes_x": 23.88, "eyes_y": 18.8, "iod": 17.4}


def similarity_to(face: Face, size: int = 48, eyes_x: float | None = None, eyes_y: float | None = None,
                  iod: float | None = None) -> np.ndarray:
    """2x3 matrix mapping image pixels to a ``size``-square crop with level eyes at the FER2013 layout."""
    r, l_ = face.eyes()
    k = size / 48.0
    ex = (FER_LAYOUT["eyes_x"] if eyes_x is None else eyes_x) * k
    ey = (FER_LAYOUT["eyes_y"] if eyes_y is None else eyes_y) * k
    d = (FER_LAYOUT["iod"] if iod is None else iod) * k
    v = l_ - r
    angle = np.arctan2(v[1], v[0])  # rotate by -angle to level the eyes
    s = d / max(np.hypot(*v), 1e-6)
    c, sn = np.cos(-angle) * s, np.sin(-angle) * s
    mid = (r + l_) / 2
    m = np.array([[c, -sn, 0.0], [sn, c, 0.0]])
    m[:, 2] = np.array([ex, ey]) - m[:, :2] @ mid
    return m


def align_face(pixels: np.ndarray, face: Face, size: int = 48) -> np.ndarray:
    """Greyscale (size, size) uint8 crop of ``face``, eyes level, laid out like FER2013's crops."""
    import cv2

    rgb = as_rgb(pixels)
    m = similarity_to(face, size)
    scale = float(np.hypot(m[0, 0], m[0, 1]))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 0.5:  # strong reduction: blur first (INTER_AREA is not available for general warps)
        sigma = 0.5 / scale * 0.6
        grey = cv2.GaussianBlur(grey, (0, 0), sigma)
    return cv2.warpAffine(grey, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def to_grey48(pixels: np.ndarray) -> np.ndarray:
    """An already-cropped face (any size, grey or RGB) as a 48x48 uint8 grey image, no detection."""
    import cv2

    x = np.asarray(pixels)
    if x.ndim == 3:
        x = cv2.cvtColor(as_rgb(x), cv2.COLOR_RGB2GRAY)
    elif x.dtype != np.uint8:
        x = as_rgb(x)[:, :, 0]
    if x.shape != (48, 48):
        interp = cv2.INTER_AREA if min(x.shape) > 48 else cv2.INTER_CUBIC
        x = cv2.resize(x, (48, 48), interpolation=interp)
    return np.ascontiguousarray(x, dtype=np.uint8)
