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

Per portrait (`Eyeballs.__init__`): each eye's lid contours, iris circle (MediaPipe's refined iris: centre and
four rim points), and the colours of its visible white and iris. Per frame (`Eyeballs.draw`): two small
remaps, one per eye.
"""
from __future__ import annotations

from dataclasses import dataclass

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
    centre: np.ndarray  #: iris centre in the portrait, pixels
    radius: float  #: iris radius, pixels
    white: np.ndarray  #: RGB of the visible white
    iris_colour: np.ndarray  #: mean RGB of the visible iris


def _line(points: np.ndarray):
    """y of a lid contour at x (linear between its points, sorted by x)."""
    order = np.argsort(points[:, 0])
    xs, ys = points[order, 0], points[order, 1]
    return lambda x: np.interp(x, xs, ys)


class Eyeballs:
    """Both eyes of one portrait. ``eyes`` is empty when neither eye is open enough to sample its white."""

    def __init__(self, pixels: np.ndarray, landmarks: np.ndarray, iod: float):
        self.iod = float(iod)
        self.eyes: list[_Eye] = []
        lm = np.asarray(landmarks)[:, :2]
        if len(lm) < 478:  # no refined iris points (a FAN refit keeps them, the 468-point mesh has none)
            return
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
            yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
            top, bottom = _line(lm[list(upper)])(xx), _line(lm[list(lower)])(xx)
            inside = (yy > top + 1) & (yy < bottom - 1)
            r = np.hypot(xx - centre[0], yy - centre[1])
            px = pixels[y0:y1, x0:x1].astype(np.float64)
            white_px, iris_px = px[inside & (r > 1.2 * radius)], px[inside & (r < 0.9 * radius)]
            if len(white_px) < 4 or len(iris_px) < 4:
                continue  # too little of the eye shows to know its colours: the warp alone draws it
            lum = white_px.mean(1)
            white = np.median(white_px[lum >= np.median(lum)], axis=0)
            self.eyes.append(_Eye(upper, lower, iris, centre, radius, white, iris_px.mean(0)))

    def draw(self, img: np.ndarray, source: np.ndarray, rest: np.ndarray, moved: np.ndarray) -> None:
        """Redraw each eye's opening in ``img`` (the warped frame): ``source`` is the (shaded) image the warp
        sampled, ``rest`` the portrait's landmarks, ``moved`` this frame's."""
        for eye in self.eyes:
            self._draw_eye(img, source, rest, moved, eye)

    def _draw_eye(self, img, source, rest, moved, eye: _Eye) -> None:
        import cv2

        shift = moved[list(eye.iris)].mean(0) - rest[list(eye.iris)].mean(0)  # head motion and gaze
        poly = np.concatenate([moved[list(eye.upper)], moved[list(eye.lower[1:-1])][::-1]])
        x0, y0 = np.floor(poly.min(0)).astype(int) - 2
        x1, y1 = np.ceil(poly.max(0)).astype(int) + 3
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, img.shape[1]), min(y1, img.shape[0])
        if x1 - x0 < 3 or y1 - y0 < 3:
            return
        ss = 4  # supersampled mask for smooth lid edges
        mask = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
        cv2.fillPoly(mask, [((poly - (x0, y0)) * ss).astype(np.int32)], 255, lineType=cv2.LINE_AA)
        mask = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        if mask.max() <= 0:
            return  # closed (a blink)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        sx, sy = xx - shift[0], yy - shift[1]  # where on the portrait's eyeball each pixel is
        top0, bottom0 = _line(rest[list(eye.upper)]), _line(rest[list(eye.lower)])
        top1 = _line(moved[list(eye.upper)] - shift)  # this frame's upper lid on the portrait's eyeball
        band = np.clip(top0(sx) - top1(sx), 0.0, SHADOW_BAND * self.iod)  # a raised lid takes its shadow along
        xr = rest[[eye.upper[0], eye.upper[-1]], 0]
        # seen in the portrait: between its lids (a pixel's tolerance, so an unmoved lid's own margin counts)
        seen = (np.clip(sy - (top0(sx) + band) + 1.5, 0, 1) * np.clip(bottom0(sx) - sy + 1.5, 0, 1)
                * np.clip(np.minimum(sx - xr.min(), xr.max() - sx) + 1.5, 0, 1))
        eyeball = cv2.remap(source, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE).astype(np.float64)
        # what the lids hid: the iris as its mirror image about the centre line, the white in the lid's shadow
        my = 2 * eye.centre[1] - sy
        mirrored = cv2.remap(source, sx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE).astype(np.float64)
        mirror_seen = (np.clip(my - top0(sx) - 1.5, 0, 1) * np.clip(bottom0(sx) - my - 1.5, 0, 1))[..., None]
        iris = mirrored * mirror_seen + eye.iris_colour * (1 - mirror_seen)
        r = np.hypot(sx - eye.centre[0], sy - eye.centre[1])
        in_iris = np.clip(eye.radius - r + 0.5, 0, 1)[..., None]
        depth = (yy - _line(moved[list(eye.upper)])(xx)) / (SHADOW_DEPTH * self.iod)
        half = max(abs(xr[1] - xr[0]) / 2, 1.0)
        across = np.clip(np.abs(sx - xr.mean()) / half, 0, 1)  # a ball: its white darkens towards the corners
        white = eye.white * ((LID_SHADOW + (1 - LID_SHADOW) * np.clip(depth, 0, 1)) * (1 - 0.2 * across**2))[..., None]
        hidden = iris * in_iris + white * (1 - in_iris)
        seen = cv2.GaussianBlur(seen, (0, 0), 0.7)  # no hard edge between the portrait's eyeball and the filled part
        layer = eyeball * seen[..., None] + hidden * (1 - seen[..., None])
        a = mask[..., None]
        region = img[y0:y1, x0:x1].astype(np.float64)
        img[y0:y1, x0:x1] = np.clip(region * (1 - a) + layer * a + 0.5, 0, 255).astype(np.uint8)
