"""Rendering a frame: a piecewise-affine warp of the portrait over its triangulated mesh, and a mouth interior.

Why piecewise affine: every mesh triangle moves as one affine patch, so the skin's texture is carried along
with the landmarks (the classic AAM / morphing warp). The mesh's 478 points are joined by a ring of fixed
points around the face (the face oval pushed out by `mesh.RING_SCALE`) and the corners of the working region, all
Delaunay-triangulated once per portrait. Points on the ring never move, so the displacement fades linearly to
zero between the face's edge and the ring: hair and background stay still and nothing tears at the border.

Per portrait (`Warper.__init__`): the triangulation and, for every pixel of the working region, its triangle's
three vertices and barycentric weights (the precomputed maps). Per frame (`Warper.render`): the pixels'
displacements are one weighted sum of the vertices' displacements; the backward map of the warp is the
displacement inverted by fixed-point steps, and exactly, triangle by triangle, where those do not converge
(`Warper._inverse`); then one ``cv2.remap``. Where the jaw opens past the portrait's own opening, a mouth
interior (dark cavity, upper and lower teeth, tongue) is drawn inside the warped inner-lip contour and feathered
into it; the eyeballs are drawn behind the moved lids (`eyes.Eyeballs`).
"""
from __future__ import annotations

import numpy as np

from . import mesh as M
from .eyes import Eyeballs

SHADOW_TINT = np.array([0.75, 1.0, 1.1], np.float32)  #: per RGB channel, how much of a shadow's darkening it takes


class Warper:
    def __init__(self, portrait: M.Portrait, rest_px: np.ndarray | None = None,
                 shading: dict[str, float] | None = None, eyeballs: bool = True):
        """``rest_px``: the displacement of the face at rest (the portrait's smile relaxed, its lips closed),
        from which the mouth's opening is measured. ``shading``: when given, carry the learned expression ratio
        images onto this portrait (`texture.PortraitTextures`), so `render` can shade the skin as expressions
        do; its weights are the rest's shading (e.g. ``{"joy": -1.2}`` takes a smiling portrait's folds out).
        ``eyeballs``: draw the eyeballs behind the lids (`eyes.Eyeballs`) instead of warping them with the lids."""
        self.portrait = portrait
        lm = portrait.landmarks
        h, w = portrait.pixels.shape[:2]
        ring = portrait.frame.origin + portrait.frame.vectors_to_image(M.oval_ring(portrait.face_points))
        x0, y0 = np.floor(ring.min(0)).astype(int) - 2
        x1, y1 = np.ceil(ring.max(0)).astype(int) + 2
        self.box = (max(x0, 0), max(y0, 0), min(x1, w), min(y1, h))  #: working region x0, y0, x1, y1
        bx0, by0, bx1, by1 = self.box
        corners = np.array([[bx0, by0], [bx1, by0], [bx0, by1], [bx1, by1],
                            [(bx0 + bx1) / 2, by0], [(bx0 + bx1) / 2, by1], [bx0, (by0 + by1) / 2], [bx1, (by0 + by1) / 2]],
                           dtype=np.float64)
        self.points = np.concatenate([lm[:, :2], ring, corners])  # (478 + ring + 8, 2) control points
        self.n_mesh = len(lm)
        # the displacement field is piecewise linear and smooth: on faces over ~160 px it is computed and
        # inverted on every second pixel and interpolated (the final remap of the image stays full-resolution)
        self.step = 2 if (bx1 - bx0) * (by1 - by0) > 160 * 160 else 1
        self.full_grid = np.stack(np.meshgrid(np.arange(bx0, bx1, dtype=np.float32),
                                              np.arange(by0, by1, dtype=np.float32)), -1)
        gx, gy = np.meshgrid(np.arange(bx0, bx1, self.step, dtype=np.float64),
                             np.arange(by0, by1, self.step, dtype=np.float64))
        vertices, bary, self.simplices = M.barycentric(self.points, np.stack([gx.ravel(), gy.ravel()], 1),
                                                       simplices=True)
        self.shape = gy.shape
        self.vertices = vertices.reshape(*self.shape, 3)  # (h, w, 3) control-point indices
        self.weights = bary.reshape(*self.shape, 3).astype(np.float32)
        self.grid = np.stack([gx, gy], -1).astype(np.float32)  # (h, w, 2) sample points of the field
        self.lips = self._lip_mask(lm[:, :2]) > 0  #: the portrait's lips as the mesh places them
        self.lip_colour = self._lip_colour()
        #: how colourful the portrait is, from its lips' saturation against ordinary lips' (about 0.3): 0 for a
        #: black-and-white photo, whose drawn mouth and warm shadows (`SHADOW_TINT`) then stay grey too (they
        #: put 1,346 coloured pixels a frame into a greyscale portrait's surprised face)
        lips = self.lip_colour
        self.chroma = float(np.clip((lips.max() - lips.min()) / max(lips.max(), 1.0) / 0.3, 0.0, 1.0))
        self.shadow_tint = (1 + self.chroma * (SHADOW_TINT - 1)).astype(np.float32)
        self.mouth_painted = self._gap(lm[:, :2]) > 0.03  #: the portrait shows its teeth: painted out (`_close_mouth`)
        self.source = self._close_mouth(portrait.pixels, lm[:, :2]) if self.mouth_painted else portrait.pixels
        self.mouth_gap0 = self._gap(lm[:, :2] + (0 if rest_px is None else rest_px))
        self.eyes = Eyeballs(portrait.pixels, lm[:, :2], portrait.frame.iod) if eyeballs else None
        self.textures = None
        if shading is not None:
            from .texture import PortraitTextures

            self.textures = PortraitTextures(self, rest=shading)

    def _inverse(self, d_all: np.ndarray) -> np.ndarray:
        """The backward map of the warp on the sample grid: for each output point, the displacement of the
        source point that lands there, (h, w, 2).

        First five fixed-point steps (source = output - d(source)): cheap, and smooth even where the motion
        folds a thin triangle over (tightened lips). They diverge where the skin stretches more than twofold,
        as between a lid and a raised brow, and leave ghost copies of the eyes there; where they have not
        converged (the last step still moved the source by half a sample or more), the exact
        inverse of the piecewise-affine warp is used instead: each triangle drawn at its moved place (an
        index image, one `cv2.fillConvexPoly` per triangle), the output point's barycentric weights in its
        moved triangle giving its source point."""
        import cv2

        bx0, by0 = self.box[:2]
        k = self.step
        d = (d_all[self.vertices] * self.weights[..., None]).sum(2)  # forward displacement at each source point
        d_at = d
        for _ in range(5):
            src = self.grid - d_at
            d_prev, d_at = d_at, cv2.remap(d, (src[..., 0] - bx0) / k, (src[..., 1] - by0) / k, cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_REPLICATE)
        bad = np.hypot(*(d_at - d_prev).transpose(2, 0, 1)) > 0.5 * k  # the last step still moved: no fixed point
        if not bad.any():
            return d_at
        moved = self.points + d_all
        index = np.full(self.shape, -1, np.int32)
        corners = np.round((moved - (bx0, by0)) / k * 16).astype(np.int32)  # 4 bits of sub-pixel precision
        ys, xs = np.nonzero(bad)
        lo, hi = np.array([xs.min(), ys.min()]) * 16, np.array([xs.max(), ys.max()]) * 16
        spans = corners[self.simplices]  # (T, 3, 2): only the triangles over the unconverged points are drawn
        near = np.flatnonzero(np.all(spans.max(1) >= lo, 1) & np.all(spans.min(1) <= hi, 1))
        for t in near:
            cv2.fillConvexPoly(index, corners[self.simplices[t]], int(t), lineType=cv2.LINE_8, shift=4)
        ys, xs = np.nonzero(bad & (index >= 0))
        tri = self.simplices[index[ys, xs]]  # (n, 3)
        a, b, c = moved[tri[:, 0]], moved[tri[:, 1]], moved[tri[:, 2]]
        v0, v1, v2 = b - a, c - a, self.grid[ys, xs] - a
        den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
        ok = np.abs(den) > 1e-6
        den = np.where(ok, den, 1.0)
        wb = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
        wc = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
        src = ((1 - wb - wc)[:, None] * self.points[tri[:, 0]] + wb[:, None] * self.points[tri[:, 1]]
               + wc[:, None] * self.points[tri[:, 2]])
        d_at = d_at.copy()
        d_at[ys[ok], xs[ok]] = (self.grid[ys, xs] - src)[ok]
        return d_at

    def _gap(self, lm: np.ndarray) -> float:
        """Inner-lip opening at the centre (13-14), in face units."""
        return float(np.hypot(*(lm[14] - lm[13])) / self.portrait.frame.iod)

    def render(self, displacement_px: np.ndarray, actions: dict[str, float] | None = None,
               shading: dict[str, float] | None = None) -> np.ndarray:
        """The portrait with the mesh moved by ``displacement_px`` (478, 2) pixels: a new (H, W, 3) frame.
        ``actions`` (action-unit intensities) deepen the creases those muscles make (`_creases`); ``shading``
        (basic emotion -> weight) multiplies each emotion's expression ratio image into the skin before the
        warp, so the shading moves with it, on top of the rest's shading (given at construction), which every
        frame has, the rest face itself included."""
        import cv2

        d_all = np.zeros((len(self.points), 2), dtype=np.float32)
        d_all[: self.n_mesh] = displacement_px
        if self.eyes is not None:
            self.eyes.pin_irises(d_all, displacement_px)
        bx0, by0, bx1, by1 = self.box
        k = self.step
        d_at = self._inverse(d_all)
        if k > 1:
            d_at = cv2.resize(d_at, (bx1 - bx0, by1 - by0), interpolation=cv2.INTER_LINEAR)
        src = self.full_grid - d_at
        source = self.source
        gain = self.textures.gain(shading or {}) if self.textures is not None else None  # the rest's always
        if gain is not None:
            source = source.copy()
            wx0, wy0, wx1, wy1 = self.textures.window
            # shade darkens skin warmly (it loses less red than green and blue, as in `_creases`); light adds the same
            # to every channel (the luminance a gain above 1 asks for), so lit skin grows paler, not orange: scaled
            # alike, the default portrait's lit folds clipped red first and were an orange streak in every frame
            region = source[wy0:wy1, wx0:wx1].astype(np.float32)
            luma = region @ np.float32([0.299, 0.587, 0.114])
            region = region * (1 - (1 - np.minimum(gain, 1))[..., None] * self.shadow_tint)
            region = region + (luma * (np.maximum(gain, 1) - 1))[..., None]
            source[wy0:wy1, wx0:wx1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
        out = self.portrait.pixels.copy()
        out[by0:by1, bx0:bx1] = cv2.remap(source, src[..., 0], src[..., 1], cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_REFLECT)
        moved = self.portrait.landmarks[:, :2] + displacement_px
        if self.eyes is not None:
            self.eyes.draw(out, source, moved)
        if actions:
            self._creases(out, moved, actions)
        self._mouth(out, moved)
        return out

    def _creases(self, img: np.ndarray, lm: np.ndarray, actions: dict[str, float]) -> None:
        """Darken the skin folds a contracting muscle makes (a warp moves texture but cannot fold it): brow
        furrows (AU4, corrugator), forehead lines (AU1/AU2, frontalis), nose-bridge wrinkles (AU9), the
        nasolabial fold (AU10, AU9, AU12), the chin crease (AU17) and crow's feet (AU6). Each crease is a
        curve anchored to the moved mesh, drawn anti-aliased, blurred and multiplied into the frame, so it
        keeps the skin's own colour and texture."""
        import cv2

        frame = self.portrait.frame
        iod = frame.iod
        ex, ey = frame.axes  # unit vectors along the eyes and down the face, in pixels
        lines: list[tuple[np.ndarray, float]] = []  # (polyline px, darkness)

        def pt(i, dx=0.0, dy=0.0):
            return lm[i] + (dx * ex + dy * ey) * iod

        a = lambda k: float(np.clip(actions.get(k, 0.0), 0.0, 1.5))  # noqa: E731
        if a("AU4") > 0.05:
            mid = (lm[107] + lm[336]) / 2
            for side in (-1, 1):
                top = mid + (side * 0.05 * ex + 0.02 * ey) * iod
                lines.append((np.array([top, top + (side * 0.015 * ex + 0.14 * ey) * iod]), 0.3 * a("AU4")))
        frontalis = max(a("AU1"), a("AU2"))
        if frontalis > 0.05:
            brow = [pt(i) for i in (105, 66, 107)] + [pt(i) for i in (336, 296, 334)]
            for lift in (0.3, 0.42):
                lines.append((np.array([b - lift * ey * iod for b in brow]), 0.12 * frontalis))
        if a("AU9") > 0.05:
            for dy in (0.1, 0.16):
                c = pt(168, 0, dy)
                lines.append((np.array([c - 0.06 * ex * iod, c + 0.01 * ey * iod, c + 0.06 * ex * iod]), 0.16 * a("AU9")))
        fold = a("AU10") + 0.7 * a("AU9") + 0.35 * a("AU12")
        if fold > 0.05:
            for wing, corner, sgn in ((129, 61, -1), (358, 291, 1)):
                w = pt(wing, sgn * 0.04, -0.02)
                c = pt(corner, sgn * 0.07, 0.02)
                t = np.linspace(0, 1, 9)[:, None]  # a gentle outward bow from the nose wing to beside the corner
                curve = w * (1 - t) + c * t + (sgn * 0.05 * np.sin(np.pi * t)) * ex * iod
                lines.append((curve, 0.25 * min(fold, 1.2)))
        if a("AU17") > 0.05:
            c = pt(17, 0, 0.1)
            lines.append((np.array([c - 0.14 * ex * iod - 0.02 * ey * iod, c, c + 0.14 * ex * iod - 0.02 * ey * iod]),
                          0.25 * a("AU17")))
        if a("AU6") > 0.05:
            for corner, sgn in ((33, -1), (263, 1)):
                o = pt(corner, sgn * 0.06, 0)
                for dy in (-0.05, 0.0, 0.05):
                    lines.append((np.array([o, o + (sgn * 0.1 * ex + dy * ey) * iod]), 0.18 * a("AU6")))
        if not lines:
            return
        x0, y0, x1, y1 = self.box
        shade = np.zeros((y1 - y0, x1 - x0), np.float32)
        width = max(1, int(round(0.035 * iod)))
        for poly, dark in lines:
            q = np.round((poly - (x0, y0)) * 4).astype(np.int32)  # 2 bits of sub-pixel precision
            layer = np.zeros_like(shade)
            cv2.polylines(layer, [q], False, 1.0, thickness=width, lineType=cv2.LINE_AA, shift=2)
            shade = np.maximum(shade, layer * min(0.85 * dark, 0.32))
        shade = cv2.GaussianBlur(shade, (0, 0), max(1.0, 0.035 * iod))
        region = img[y0:y1, x0:x1].astype(np.float32)  # a fold's shadow on skin is warm: less red is lost
        img[y0:y1, x0:x1] = np.clip(region * (1 - shade[..., None] * self.shadow_tint), 0, 255).astype(np.uint8)

    def _close_mouth(self, pixels: np.ndarray, lm: np.ndarray) -> np.ndarray:
        """The portrait with its own mouth interior (teeth, tongue, the dark corners beside the teeth) painted
        over from the surrounding lips, so the warp has only lips and skin to move.

        Why: a smiling portrait shows its teeth; relaxing the smile presses the lips together, and the warp
        then squeezes the teeth and the dark buccal corners into slivers and specks along the closed lips
        (worst at the corners, which move most). Painting the interior out once, at load, leaves nothing to
        squeeze; `_mouth` draws an interior only where the lips part beyond their rest (speech, surprise).
        Telea inpainting (cv2.INPAINT_TELEA) fills the region inwards from its border, i.e. from the lips.

        The region: the inner-lip contour, and within the outer one every pixel that is no lip: brighter and
        greyer than the lips (teeth) or much darker (the cavity, the corners). On a broad laugh the mesh's
        inner contour runs over the teeth, and teeth left outside it come back as zigzags along the closed
        lips."""
        import cv2

        iod = self.portrait.frame.iod
        inner = np.concatenate([lm[list(M.LIPS_UPPER_INNER)], lm[list(M.LIPS_LOWER_INNER)][::-1]])
        mask = np.zeros(pixels.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 255, lineType=cv2.LINE_8)
        mask |= self._not_lips(pixels, lm)
        for corner, inward in ((78, 308), (308, 78)):  # the interior reaches past the inner corners' landmarks
            c, d = lm[corner], lm[inward] - lm[corner]
            tip = c - 0.06 * d
            cv2.line(mask, tuple(np.round(c).astype(int)), tuple(np.round(tip).astype(int)), 255,
                     max(1, int(round(0.03 * iod))))
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=max(1, int(round(0.012 * iod))))
        return cv2.inpaint(pixels, mask, max(2.0, 0.04 * iod), cv2.INPAINT_TELEA)

    def _not_lips(self, pixels: np.ndarray, lm: np.ndarray) -> np.ndarray:
        """255 where a pixel inside the outer lip contour is not lip: teeth (brighter than the lips' median by
        a fifth, and less saturated than half of it, or grey where the lips are) or the dark cavity (under half
        the lips' brightness)."""
        import cv2

        outer = np.concatenate([lm[list(M.LIPS_UPPER_OUTER)], lm[list(M.LIPS_LOWER_OUTER)][::-1]])
        region = np.zeros(pixels.shape[:2], np.uint8)
        cv2.fillPoly(region, [np.round(outer).astype(np.int32)], 255, lineType=cv2.LINE_8)
        lips = self.lips
        if not lips.any():
            return np.zeros_like(region)
        hsv = cv2.cvtColor(pixels, cv2.COLOR_RGB2HSV).astype(np.float32)
        lip_s, lip_v = np.median(hsv[lips, 1]), np.median(hsv[lips, 2])
        teeth = (hsv[..., 2] > 1.2 * lip_v) & (hsv[..., 1] < max(0.5 * lip_s, 20.0))
        cavity = hsv[..., 2] < 0.5 * lip_v
        out = np.where((region > 0) & (teeth | cavity), 255, 0).astype(np.uint8)
        return cv2.morphologyEx(out, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))  # no single stray pixels

    def _seam(self, img: np.ndarray, lm: np.ndarray, strength: float) -> None:
        """The dark line where closed lips meet, along the mouth line from corner to corner."""
        import cv2

        iod = self.portrait.frame.iod
        line = M.mouth_line(lm)
        x0, y0 = np.floor(line.min(0) - 0.05 * iod).astype(int)
        x1, y1 = np.ceil(line.max(0) + 0.05 * iod).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, img.shape[1]), min(y1, img.shape[0])
        if x1 - x0 < 3 or y1 - y0 < 3:
            return
        layer = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.polylines(layer, [np.round((line - (x0, y0)) * 4).astype(np.int32)], False, 1.0,
                      thickness=max(1, int(round(0.012 * iod))), lineType=cv2.LINE_AA, shift=2)
        layer = cv2.GaussianBlur(layer, (0, 0), max(0.6, 0.006 * iod)) * (0.6 * strength)
        region = img[y0:y1, x0:x1].astype(np.float32)
        seam = (0.45 * self.lip_colour).astype(np.float32)
        img[y0:y1, x0:x1] = np.clip(region * (1 - layer[..., None]) + seam * layer[..., None], 0, 255).astype(np.uint8)

    def _lip_mask(self, lm: np.ndarray) -> np.ndarray:
        """1 on the lips as the mesh places them: between the outer and inner contours, upper and lower."""
        import cv2

        mask = np.zeros(self.portrait.pixels.shape[:2], np.uint8)
        for outer, inner in ((M.LIPS_UPPER_OUTER, M.LIPS_UPPER_INNER), ((61,) + M.LIPS_LOWER_OUTER + (291,),
                                                                       (78,) + M.LIPS_LOWER_INNER + (308,))):
            cv2.fillPoly(mask, [np.concatenate([lm[list(outer)], lm[list(inner)][::-1]]).astype(np.int32)], 1)
        return mask

    def _lip_colour(self) -> np.ndarray:
        """The red of the portrait's lips: the median colour between the outer and inner lip contours."""
        px = self.portrait.pixels[self.lips]
        return np.median(px, axis=0).astype(np.float64) if len(px) else np.array([170.0, 90.0, 90.0])

    def _mouth(self, img: np.ndarray, lm: np.ndarray) -> None:
        """Draw the mouth's interior where the lips have parted beyond their rest (and, on a portrait whose
        teeth were painted out, the seam of the closed lips)."""
        import cv2

        iod = self.portrait.frame.iod
        gap = self._gap(lm)
        # the interior fades in as the lips part beyond their rest (a portrait's own teeth were painted out:
        # `_close_mouth`)
        alpha = float(np.clip((gap - self.mouth_gap0 - 0.01) / 0.04, 0.0, 1.0))
        if self.mouth_painted and alpha < 1 / 3:
            self._seam(img, lm, 1.0 - 3 * alpha)  # painted-out teeth left no line between closed lips: draw one
        if alpha <= 0:
            return
        upper = lm[list(M.LIPS_UPPER_INNER)]
        lower = lm[list(M.LIPS_LOWER_INNER)][::-1].copy()
        # lips pressed past each other (AU17 pushing the lower lip up) close the mouth: never a crossed polygon
        order_u = np.argsort(upper[:, 0])
        lower[:, 1] = np.maximum(lower[:, 1], np.interp(lower[:, 0], upper[order_u, 0], upper[order_u, 1]))
        poly = np.concatenate([upper, lower])
        x0, y0 = np.floor(poly.min(0)).astype(int) - 3
        x1, y1 = np.ceil(poly.max(0)).astype(int) + 4
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, img.shape[1]), min(y1, img.shape[0])
        if x1 - x0 < 3 or y1 - y0 < 3:
            return
        mask = cv2.GaussianBlur(M.soft_polygon(poly, (x0, y0, x1, y1)), (0, 0), max(0.6, iod * 0.008))
        # interior layers, drawn in face-frame distances below the upper lip and above the lower lip
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        top = np.interp(xx, upper[:, 0], upper[:, 1])
        order = np.argsort(lower[:, 0])
        bottom = np.interp(xx, lower[order, 0], lower[order, 1])
        depth = (yy - top) / iod  # below the upper inner lip, face units
        height = (bottom - yy) / iod  # above the lower inner lip
        cx = (upper[0, 0] + upper[-1, 0]) / 2
        half = max(abs(upper[-1, 0] - upper[0, 0]) / 2, 1.0)
        across = np.clip(np.abs(xx - cx) / half, 0, 1)
        shut = np.clip((gap - 0.02) / 0.04, 0, 1)  # lips nearly together: a seam in the lips' own dark red
        cavity = (np.array([62, 22, 24], np.float64) * shut + 0.5 * self.lip_colour * (1 - shut)) \
            * (1 - 0.55 * across[..., None])
        layer = cavity.copy()
        tongue = np.clip(1 - height / 0.05, 0, 1) * np.clip((gap - 0.1) / 0.1, 0, 1) * (1 - across**2)
        layer = layer * (1 - tongue[..., None]) + np.array([150, 70, 72]) * tongue[..., None]
        # teeth: ivory, darker towards the corners, in the upper lip's shadow and at the gaps between teeth
        # (tooth edges at typical widths in IOD units: central incisors ~0.135, laterals ~0.10, canines ~0.08)
        teeth_shade = (1 - 0.25 * across**2)[..., None]
        off = np.abs(xx - cx) / iod
        edges = np.array([0.0, 0.135, 0.235, 0.315])
        gaps = 1 - 0.08 * np.exp(-(np.min(np.abs(off[..., None] - edges), axis=-1) / 0.006) ** 2)
        upper_teeth = np.clip(1 - (depth - 0.085) / 0.02, 0, 1) * (depth > -0.02)
        lower_teeth = np.clip(1 - (height - 0.045) / 0.02, 0, 1) * np.clip((gap - 0.14) / 0.06, 0, 1)
        for t, edge in ((upper_teeth * shut, depth), (lower_teeth * shut, height)):
            grad = np.clip(1.0 - 0.8 * np.clip(edge, 0, None), 0.9, 1.0)  # darker towards the cavity
            lip_shadow = np.clip(0.72 + 0.28 * np.clip(edge, 0, None) / 0.02, 0.72, 1.0)  # next to the lip
            col = np.array([232, 224, 208], np.float64) * teeth_shade * (grad * lip_shadow * gaps)[..., None]
            layer = layer * (1 - t[..., None]) + col * t[..., None]
        if self.chroma < 1.0:  # as colourful as the portrait (a grey photo had a red tongue drawn into it)
            grey = (layer @ np.array([0.299, 0.587, 0.114]))[..., None]
            layer = grey + self.chroma * (layer - grey)
        region = img[y0:y1, x0:x1].astype(np.float64)
        a = (mask * alpha)[..., None]
        img[y0:y1, x0:x1] = np.clip(region * (1 - a) + layer * a, 0, 255).astype(np.uint8)
