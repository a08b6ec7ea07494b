"""The eyeballs: drawn as rigid balls behind the lids, so a widened eye shows more white instead of a stretched iris.

Why: the piecewise-affine warp carries whatever lies between the lids along with them. When the upper lid rises
(AU5: surprise, fear, anger) the warp stretches the iris and the lid's own shadow upwards, where a real eye
uncovers the top of the iris and the white above it, the cue that tells a wide-eyed face (Ekman & Friesen 1975,
"Unmasking the Face": in surprise and fear "the white of the eye shows above the iris"). Here the lids still
move with the warp, but inside their opening each frame shows the eyeball as it is in the portrait, moved only
with the iris (head motion and gaze); what the portrait's lids covered is filled in: the iris by its own lower
half mirrored (irises are round), the white by the portrait's visible sclera colour, shaded under the upper lid.
The warp itself moves the iris points with the lids (`warp.Warper.render`), so it never folds skin over the
iris; the eyeball, gaze included, is this layer's.

Per portrait (`Eyeballs.__init__`): each eye's lid lines at rest, iris circle (MediaPipe's refined iris: centre
and four rim points), and the colours of its visible white and iris. Per frame (`Eyeballs.draw`): two small
remaps per eye.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import mesh as M

#: a lid rising above the portrait's lid line takes its shadow (the lashes' band below it) along, up to this
#: much (face units) of the portrait's eyeball just below the old lid line is treated as covered
SHADOW_BAND = 0.03
#: the white is darker in the upper lid's shadow: this factor at the lid, 1 at `SHADOW_DEPTH` below it
LID_SHADOW, SHADOW_DEPTH = 0.8, 0.06


@dataclass
class _Eye:
    upper: tuple[int, ...]  #: corner, upper lid, corner (mesh indices, outer -> inner)
    lower: tuple[int, ...]  #: corner, lower lid, corner
    iris: tuple[int, ...]  #: centre, then four rim points
    top: Callable[[np.ndarray], np.ndarray]  #: the portrait's upper lid line, y at x (pixels)
    bottom: Callable[[np.ndarray], np.ndarray]  #: the portrait's lower lid line
    corners_x: tuple[float, float]  #: x of the outer and inner corner in the portrait
    iris_at_rest: np.ndarray  #: mean of the iris points in the portrait (the eyeball's own motion is theirs)
    centre: np.ndarray  #: iris centre in the portrait, pixels
    radius: float  #: iris radius, pixels
    white: np.ndarray  #: RGB of the visible white
    iris_colour: np.ndarray  #: mean RGB of the visible iris


def _line(points: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """y of a lid contour at x (linear between its points, sorted by x)."""
    order = np.argsort(points[:, 0])
    xs, ys = points[order, 0], points[order, 1]
    return lambda x: np.interp(x, xs, ys)


class Eyeballs:
    """Both eyes of one portrait. ``eyes`` is empty when neither eye is open enough to sample its white (the
    warp alone then draws them)."""

    def __init__(self, pixels: np.ndarray, landmarks: np.ndarray, iod: float):
        self.iod = float(iod)
        self.eyes: list[_Eye] = []
        lm = np.asarray(landmarks)[:, :2]
        for (outer, inner), up, lo, iris in ((M.RIGHT_EYE_CORNERS, M.RIGHT_EYE_UPPER, M.RIGHT_EYE_LOWER, M.RIGHT_IRIS),
                                             (M.LEFT_EYE_CORNERS, M.LEFT_EYE_UPPER, M.LEFT_EYE_LOWER, M.LEFT_IRIS)):
            upper, lower = (outer, *up, inner), (outer, *lo, inner)
            centre = lm[iris[0]]
            radius = float(np.mean(np.hypot(*(lm[list(iris[1:])] - centre).T)))
            x0, y0 = np.floor(lm[list(upper + lower)].min(0)).astype(int)
            x1, y1 = np.ceil(lm[list(upper + lower)].max(0)).astype(int) + 1
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, pixels.shape[1]), min(y1, pixels.shape[0])
            if x1 - x0 < 4 or y1 - y0 < 2 or radius < 1.0:
                continue
            top, bottom = _line(lm[list(upper)]), _line(lm[list(lower)])
            yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
            inside = (yy > top(xx) + 1) & (yy < bottom(xx) - 1)
            r = np.hypot(xx - centre[0], yy - centre[1])
            px = pixels[y0:y1, x0:x1].astype(np.float64)
            white_px, iris_px = px[inside & (r > 1.2 * radius)], px[inside & (r < 0.9 * radius)]
            if len(white_px) < 4 or len(iris_px) < 4:
                continue  # too little of the eye shows to know its colours: the warp alone draws it
            lum = white_px.mean(1)
            white = np.median(white_px[lum >= np.median(lum)], axis=0)
            self.eyes.append(_Eye(upper, lower, iris, top, bottom, (float(lm[outer, 0]), float(lm[inner, 0])),
                                  lm[list(iris)].mean(0), centre, radius, white, iris_px.mean(0)))

    def pin_irises(self, d_all: np.ndarray, displacement: np.ndarray) -> None:
        """Move the warp's iris points (in ``d_all``, the warp's control-point displacements) with their lids:
        the eyeball is this layer's, and a lid moving past the iris's rim must not fold the skin over it."""
        for eye in self.eyes:
            d_all[list(eye.iris)] = displacement[list(eye.upper + eye.lower)].mean(0)

    def draw(self, img: np.ndarray, source: np.ndarray, moved: np.ndarray) -> None:
        """Redraw each eye's opening in ``img`` (the warped frame): ``source`` is the (shaded) image the warp
        sampled, ``moved`` this frame's landmarks."""
        for eye in self.eyes:
            self._draw_eye(img, source, moved, eye)

    def _draw_eye(self, img, source, moved, eye: _Eye) -> None:
        import cv2

        shift = moved[list(eye.iris)].mean(0) - eye.iris_at_rest  # head motion and gaze
        poly = np.concatenate([moved[list(eye.upper)], moved[list(eye.lower[1:-1])][::-1]])
        x0, y0 = np.floor(poly.min(0)).astype(int) - 2
        x1, y1 = np.ceil(poly.max(0)).astype(int) + 3
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, img.shape[1]), min(y1, img.shape[0])
        if x1 - x0 < 3 or y1 - y0 < 3:
            return
        mask = M.soft_polygon(poly, (x0, y0, x1, y1))
        if mask.max() <= 0:
            return  # closed (a blink)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        sx, sy = xx - shift[0], yy - shift[1]  # where on the portrait's eyeball each pixel is
        top0, bottom0 = eye.top(sx), eye.bottom(sx)
        top1 = _line(moved[list(eye.upper)] - shift)(sx)  # this frame's upper lid, on the portrait's eyeball
        band = np.clip(top0 - top1, 0.0, SHADOW_BAND * self.iod)  # a raised lid takes its shadow along
        xa, xb = min(eye.corners_x), max(eye.corners_x)
        # seen in the portrait: between its lids (a pixel's tolerance, so an unmoved lid's own margin counts)
        seen = (np.clip(sy - (top0 + band) + 1.5, 0, 1) * np.clip(bottom0 - sy + 1.5, 0, 1)
                * np.clip(np.minimum(sx - xa, xb - sx) + 1.5, 0, 1))
        eyeball = cv2.remap(source, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE).astype(np.float64)
        # what the lids hid: the iris as its mirror image about the centre line, the white in the lid's shadow
        my = 2 * eye.centre[1] - sy
        mirrored = cv2.remap(source, sx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE).astype(np.float64)
        mirror_seen = (np.clip(my - top0 - 1.5, 0, 1) * np.clip(bottom0 - my - 1.5, 0, 1))[..., None]
        iris = mirrored * mirror_seen + eye.iris_colour * (1 - mirror_seen)
        in_iris = np.clip(eye.radius - np.hypot(sx - eye.centre[0], sy - eye.centre[1]) + 0.5, 0, 1)[..., None]
        depth = np.clip((sy - top1) / (SHADOW_DEPTH * self.iod), 0, 1)  # below this frame's upper lid
        across = np.clip(np.abs(sx - (xa + xb) / 2) / max((xb - xa) / 2, 1.0), 0, 1)  # a ball: darker to the corners
        white = eye.white * ((LID_SHADOW + (1 - LID_SHADOW) * depth) * (1 - 0.2 * across**2))[..., None]
        hidden = iris * in_iris + white * (1 - in_iris)
        seen = cv2.GaussianBlur(seen, (0, 0), 0.7)  # no hard edge between the portrait's eyeball and the filled part
        layer = eyeball * seen[..., None] + hidden * (1 - seen[..., None])
        a = mask[..., None]
        region = img[y0:y1, x0:x1].astype(np.float64)
        img[y0:y1, x0:x1] = np.clip(region * (1 - a) + layer * a + 0.5, 0, 255).astype(np.uint8)
