"""Expression ratio images: the shading an expression puts on a face, learned from labelled photographs.

Why: a mesh warp moves skin but cannot change how it is lit. Real expressions also fold and shade it: a frown
darkens the brow's root, a smile bunches the cheeks and shows teeth, surprise whitens the eyes. Liu, Shan &
Zhang (2001, "Expressive expression mapping with ratio images", SIGGRAPH) showed that these changes transfer
between faces as a *ratio*: per point of the face, the expressive face's brightness over the neutral face's,
once both are aligned. We learn one ratio per basic emotion from human-labelled faces and multiply it into the
portrait, aligned by the face mesh, with an exponent that follows the emotion's weight in each frame.

What is stored (``expression_ratios.npz``, built by ``python -m studio.face_textures``): for each of six
emotions, the mean mesh shape S_e of FER2013 faces with that label (face units: `mesh.FaceFrame`) and the log
ratio log(T_e / T_n) on a grid over the face frame, where T_e is the mean of those faces warped to S_e and T_n
the mean of the neutral faces warped to the same S_e (piecewise-affine over the mesh). The ratio's overall
level is taken out (only local shading is kept: the corpus's brighter surprise photos are not a cue of the
face), the mouth opening is left out (the renderer draws the mouth's interior itself) and the ratio fades out
at the face's oval.

The data keep this generator apart from the judge that checks it: the faces are FER2013's held-out 10 % (the
stratified, seed-0 split `critics.training.face.stratified_split`), which the `face/classifier` judge was never
trained on. Its readings were not used to build or tune anything here.

Applying (`PortraitTextures`): the portrait's mesh point i corresponds to S_e's point i, so a per-portrait
map (computed once, through the warper's own triangulation) carries each emotion's log ratio onto the
portrait's pixels; a frame multiplies the source by exp(sum_e w_e log R_e) before the warp, which moves the
shading with the skin.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import mesh as M

PATH = Path(__file__).with_name("expression_ratios.npz")
#: the canonical grid, in face units (origin between the eyes, 1 = inter-ocular distance)
X0, X1, Y0, Y1, RES = -1.5, 1.5, -1.2, 2.0, 0.04
#: FER2013 label -> the studio's emotion term (the prototypes of `actions.PROTOTYPES`)
EMOTIONS = {"happy": "joy", "sad": "sadness", "angry": "anger", "surprise": "surprise", "fear": "fear",
            "disgust": "disgust"}
LOG_RANGE = (-0.5, 0.4)  #: a stored ratio never darkens below 0.61x or brightens beyond 1.49x
#: the skin "around" a pixel, which the rest's removal brings a fold back to: a Gaussian of this many inter-ocular
#: distances (a nasolabial fold is about 0.1 wide; at 0.15 the fold's own shade pulled the level down, and the
#: classifier read the astronaut's angry and fearful takes as happy from the folds left: 4 of 18 full-intensity
#: takes lost against 2 at 0.3, bench/face_fidelity.py)
REST_SIGMA = 0.3
#: the exponent of a full (intensity 1) expression. A class mean is a face of middling intensity: FER2013's
#: labels cover faint to extreme expressions. A posed apex sits near the top of that range: projected on the
#: direction from the neutral mean shape to the class's mean shape, the held-out faces' 90th percentile is
#: 1.75 class means for happy and 2.2 for surprise (median 1.1 and 0.95), the two classes whose direction
#: stands clear of the neutral faces' spread (for the others it does not, so they take joy's figure).
APEX = 1.75


@dataclass(frozen=True)
class ExpressionRatios:
    """The learned ratios: ``log_ratio[e]`` on the canonical grid, in the geometry of ``shapes[e]``."""

    emotions: tuple[str, ...]
    shapes: np.ndarray  #: (E, 478, 2) mean mesh per emotion, face units
    log_ratio: np.ndarray  #: (E, H, W) float32
    neutral: np.ndarray  #: (478, 2) mean mesh of the neutral faces
    meta: dict

    def degree(self, face_points: np.ndarray, emotion: str) -> float:
        """How far a face's shape goes towards an emotion's mean shape, in units of the mean expression: the
        projection of (face - neutral mean) on (emotion mean - neutral mean), centred. A smiling portrait's
        texture already carries about this much of the emotion's shading (`PortraitTextures`' rest)."""
        d = self.shapes[self.emotions.index(emotion)] - self.neutral
        x = np.asarray(face_points)[:, :2] - self.neutral
        d, x = d - d.mean(0), x - x.mean(0)
        return float((x * d).sum() / (d * d).sum())


@functools.lru_cache(maxsize=1)
def load(path: str | None = None) -> ExpressionRatios:
    z = np.load(path or PATH, allow_pickle=False)
    return ExpressionRatios(tuple(str(e) for e in z["emotions"]), z["shapes"].astype(np.float64),
                            z["log_ratio"].astype(np.float32), z["neutral"].astype(np.float64), json.loads(str(z["meta"])))


class PortraitTextures:
    """The ratios carried onto one portrait's working region (`warp.Warper.box`), computed once per portrait.

    ``rest``: shading weights applied in every frame, as the rig's rest displacement is: a smiling portrait's
    skin keeps the smile's folds and bunched cheeks after the rig relaxes its shape, so the rest removes as
    much of joy's shading as the portrait's shape shows of joy (`ExpressionRatios.degree`). The removal lightens
    only shade the portrait has: a pixel at most to the level of the skin around it (`REST_SIGMA`). A mean ratio of
    FER2013's faces is not this face's shading: taken out at full strength from the default portrait's folds, it
    lit them up to 1.8x, orange and clipped, in every frame. (Bounding its darkening too, to skin brighter than
    around it, weakened the surprised brows the mesh finds on the rendered frames: 0.054 -> 0.018 face units in a
    trial at 0.15 eye distances.)"""

    def __init__(self, warper, ratios: ExpressionRatios | None = None, rest: dict[str, float] | None = None):
        import cv2

        ratios = ratios or load()
        self.rest = dict(rest or {})
        frame = warper.portrait.frame
        bx0, by0, bx1, by1 = warper.box
        size = (bx1 - bx0, by1 - by0)
        extra = frame.to_face(warper.points[warper.n_mesh:])  # the ring and corners: where they are on the face
        self.maps: dict[str, np.ndarray] = {}
        for k, emotion in enumerate(ratios.emotions):
            ctrl = np.concatenate([ratios.shapes[k], extra])  # mesh point i of the portrait <-> S_e's point i
            canon = (ctrl[warper.vertices] * warper.weights[..., None]).sum(2).astype(np.float32)
            if canon.shape[:2] != (size[1], size[0]):
                canon = cv2.resize(canon, size, interpolation=cv2.INTER_LINEAR)
            self.maps[emotion] = cv2.remap(ratios.log_ratio[k], (canon[..., 0] - X0) / RES, (canon[..., 1] - Y0) / RES,
                                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        # the ratios fade out at the face's oval: keep only the rows and columns where any of them acts
        ys, xs = np.nonzero(np.any([np.abs(m) > 1e-4 for m in self.maps.values()], axis=0))
        if ys.size:
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        else:
            y0 = y1 = x0 = x1 = 0
        self.window = (bx0 + x0, by0 + y0, bx0 + x1, by0 + y1)  #: x0, y0, x1, y1 in the portrait's pixels
        self.maps = {e: np.ascontiguousarray(m[y0:y1, x0:x1]) for e, m in self.maps.items()}
        self.rest_log = self._rest_log(warper.portrait.pixels, frame.iod)

    def _rest_log(self, pixels: np.ndarray, iod: float) -> np.ndarray | None:
        """The rest's log gain over `window`: the removal, its lightening bounded by the portrait's own shade there
        (its log-luminance under a blur of `REST_SIGMA` face units)."""
        import cv2

        total = None
        for emotion, w in self.rest.items():
            if abs(w) > 1e-3 and emotion in self.maps:
                total = self.maps[emotion] * w if total is None else total + self.maps[emotion] * w
        if total is None or total.size == 0:
            return None
        wx0, wy0, wx1, wy1 = self.window
        luma = np.log1p(pixels[wy0:wy1, wx0:wx1].astype(np.float32) @ np.float32([0.299, 0.587, 0.114]))
        dev = luma - cv2.GaussianBlur(luma, (0, 0), max(1.0, REST_SIGMA * iod))  # < 0: darker than around it
        return np.minimum(total, np.maximum(-dev, 0.0)).astype(np.float32)

    def gain(self, weights: dict[str, float]) -> np.ndarray | None:
        """exp(rest + sum_e w_e log R_e) over `window`, or None when there is neither a rest nor a weight."""
        total = self.rest_log
        for emotion, w in weights.items():
            if abs(w) > 1e-3 and emotion in self.maps:
                total = self.maps[emotion] * w if total is None else total + self.maps[emotion] * w
        return None if total is None else np.exp(total)


# ------------------------------------------------------------------------------------------------- building
def _canonical_grid() -> tuple[np.ndarray, tuple[int, int]]:
    gx, gy = np.meshgrid(np.arange(X0, X1, RES), np.arange(Y0, Y1, RES))
    return np.stack([gx.ravel(), gy.ravel()], 1), gx.shape


def grid_ring(shape: np.ndarray) -> np.ndarray:
    """Fixed points around a mean face (`mesh.oval_ring`, as the renderer's) and just beyond the grid's corners,
    face units."""
    corners = np.array([[X0, Y0], [X1, Y0], [X0, Y1], [X1, Y1]]) + np.array([[-1, -1], [1, -1], [-1, 1], [1, 1]]) * 0.2
    return np.concatenate([M.oval_ring(shape), corners])


def warp_maps(shape: np.ndarray, ring: np.ndarray):
    """For every grid point: its triangle's control points and barycentric weights over ``shape`` + ``ring``."""
    return M.barycentric(np.concatenate([shape, ring]), _canonical_grid()[0])


def to_canonical(image: np.ndarray, landmarks: np.ndarray, maps, ring: np.ndarray) -> np.ndarray:
    """One face warped onto the canonical grid in the geometry the maps were made for."""
    import cv2

    verts, w = maps
    _, shape = _canonical_grid()
    frame = M.FaceFrame.of(landmarks)
    ctrl = np.concatenate([landmarks, frame.origin + frame.vectors_to_image(ring)])
    src = (ctrl[verts] * w[..., None]).sum(1).reshape(*shape, 2).astype(np.float32)
    return cv2.remap(image.astype(np.float32), src[..., 0], src[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def face_mask(shape: np.ndarray) -> np.ndarray:
    """1 inside the face oval, 0 over the lips and mouth and outside the oval, feathered.

    Why the whole mouth: the renderer draws the mouth's interior itself, and the mean faces' teeth and dark
    corners spill past the mean mesh's lip contours (the mesh follows open mouths loosely on 48 px faces), so a
    ratio there would paint grey teeth-shadows onto the portrait's own lips and chin."""
    import cv2

    _, size = _canonical_grid()

    def poly(points):
        return np.round((points - (X0, Y0)) / RES * 4).astype(np.int32)  # 2 bits of sub-pixel precision

    m = np.zeros(size, np.float32)
    cv2.fillPoly(m, [poly(shape[list(M.FACE_OVAL)])], 1.0, lineType=cv2.LINE_AA, shift=2)
    m = cv2.erode(m, np.ones((3, 3), np.uint8))
    mouth = np.zeros(size, np.float32)
    outer = np.concatenate([shape[list(M.LIPS_UPPER_OUTER)], shape[list(M.LIPS_LOWER_OUTER)][::-1]])
    cv2.fillPoly(mouth, [poly(outer)], 1.0, lineType=cv2.LINE_AA, shift=2)
    mouth = cv2.dilate(mouth, np.ones((3, 3), np.uint8))  # one grid step (0.04 IOD) beyond the lips
    return cv2.GaussianBlur(m * (1 - mouth), (0, 0), 1.5)
