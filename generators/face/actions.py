"""Facial actions as displacement fields on the portrait's mesh: FACS action units, visemes, blinks, gaze.

Why displacement fields: an action unit is a movement of the skin (Ekman & Friesen 1978), so each one is a
(478, 2) field of displacements of the mesh points, in face units (`mesh.FaceFrame`: 1 = the inter-ocular
distance), built once per portrait from its own geometry. A frame is the weighted sum of the fields
(intensities in [0, 1]), so expressions, speech and blinks compose linearly, as in blendshape rigs.

Magnitudes at intensity 1 are the apex displacements of posed expressions, in IOD units (about 6.3 cm in
adults): brows rise about 0.09 (AU1/AU2, ~6 mm), lip corners pull about 0.08 up and out (AU12), the jaw drops
about 0.22 (AU26, ~14 mm at the lower lip); the face critic's apex figures (90th percentile of FER2013 faces of
the AU's emotion, critics/face/geometric.py) are of the same order. Each field spreads from its anchor points
with a Gaussian falloff (``_spread``) and is confined to its region (brows above the eyes, the jaw below the
mouth line), so the lips part instead of stretching together.

Emotions map to action units by the EMFACS prototypes (Friesen & Ekman 1983; `PROTOTYPES`), with the
relative intensities of posed expressions in CK+ (Lucey et al. 2010).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from . import mesh as M

#: EMFACS prototypes: emotion -> {action: intensity at full expression}. ``jaw`` is AU26/27.
PROTOTYPES: dict[str, dict[str, float]] = {
    "joy": {"AU6": 1.0, "AU12": 1.0, "AU10": 0.3, "jaw": 0.15},
    "sadness": {"AU1": 1.0, "AU4": 0.3, "AU15": 1.0, "AU41": 0.6, "AU17": 0.6},
    "anger": {"AU4": 1.0, "AU5": 0.7, "AU7": 0.8, "AU23": 1.0, "AU10": 0.3},
    "surprise": {"AU1": 1.0, "AU2": 1.0, "AU5": 1.0, "jaw": 0.9},
    "fear": {"AU1": 1.0, "AU2": 0.6, "AU4": 0.8, "AU5": 1.0, "AU7": 0.6, "AU20": 1.0, "jaw": 0.55},
    "disgust": {"AU9": 1.0, "AU10": 1.0, "AU15": 0.6, "AU16": 0.8, "AU4": 0.4, "AU7": 0.3},
    "contempt": {"AU12R": 0.8, "AU14R": 0.6},
    "neutral": {},
}
#: neutral faces' mouth geometry (IOD units; medians over FER2013 neutral faces, see `Rig.relax`)
NEUTRAL = {"corner_raise": 0.007, "mouth_width": 0.756, "lip_gap": 0.012, "cheek": 0.642, "lower_lid": 0.056}
MOUTH_CORNERS = (61, 291, 78, 308, 76, 306, 62, 292)
ACTIONS = ("AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU12R", "AU14R", "AU15", "AU16",
           "AU17", "AU20", "AU23", "AU41", "jaw", "spread", "round", "press", "tuck", "blink_r", "blink_l",
           "gaze_x", "gaze_y")
EXPRESSION_ACTIONS = tuple(a for a in ACTIONS if a.startswith("AU")) + ("jaw",)


def basic_mix(mix: Mapping[str, float]) -> dict[str, float]:
    """The mix over the basic emotions of `PROTOTYPES`: terms outside the basic set take the basic emotions
    nearest them in VAD space (the MEAD label set's projection), e.g. contentment -> mostly joy, anxiety -> fear
    and sadness."""
    from conditioning import Emotion, label_set

    mead = label_set("mead")
    names = {"happy": "joy", "sad": "sadness", "angry": "anger", "surprised": "surprise", "fear": "fear",
             "disgusted": "disgust", "contempt": "contempt", "neutral": "neutral"}
    out: dict[str, float] = {}
    for term, w in mix.items():
        if term in PROTOTYPES:
            basis = {term: 1.0}
        else:
            basis = {names[k]: p for k, p in mead.project(Emotion.from_mix({term: 1.0})).items() if p > 0.05}
            z = sum(basis.values())
            basis = {k: p / z for k, p in basis.items()}
        for basic, p in basis.items():
            out[basic] = out.get(basic, 0.0) + w * p
    return out


def expression(mix: Mapping[str, float], intensity: float) -> dict[str, float]:
    """Action-unit intensities for an emotion's mix: each basic emotion's prototype (`basic_mix`), weighted by
    the mix, times the intensity."""
    out: dict[str, float] = {}
    for basic, w in basic_mix(mix).items():
        for au, a in PROTOTYPES[basic].items():
            out[au] = out.get(au, 0.0) + w * a
    return {k: float(np.clip(v * intensity, 0.0, 1.0)) for k, v in out.items()}


def _spread(points: np.ndarray, anchors: dict[int, tuple[float, float]], sigma: float) -> np.ndarray:
    """A smooth field: each anchor's displacement spreads to nearby points with a Gaussian falloff; where
    several anchors overlap their weights are normalised, so a point never moves more than its anchors."""
    idx = np.array(list(anchors))
    d = np.array(list(anchors.values()), dtype=np.float64)  # (k, 2)
    r2 = ((points[:, None, :] - points[idx][None, :, :]) ** 2).sum(-1)  # (478, k)
    g = np.exp(-r2 / (2 * sigma**2))
    return (g @ d) / np.maximum(g.sum(1, keepdims=True), 1.0)


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _contour_profile(points: np.ndarray, idx: tuple[int, ...]) -> np.ndarray:
    """1 at the middle of an eyelid contour, falling to ~0.3 at the corners (lids move most at the centre)."""
    x = points[list(idx), 0]
    u = (x - x.min()) / max(np.ptp(x), 1e-9)
    return 0.3 + 0.7 * np.sin(np.pi * u)


class Rig:
    """The action fields of one portrait: ``fields[action]`` is (478, 2) in face units at intensity 1."""

    def __init__(self, points: np.ndarray):
        self.points = np.asarray(points, dtype=np.float64)  # (478, 2) face units
        self.fields: dict[str, np.ndarray] = {}
        self._build()

    @property
    def lip_gap(self) -> float:
        """The portrait's inner-lip opening (landmarks 13 to 14), in eye distances (FER2013 neutral faces: 0.012)."""
        return float(self.points[14, 1] - self.points[13, 1])

    def displacement(self, actions: Mapping[str, float]) -> np.ndarray:
        """(478, 2) face-unit displacements for action intensities (unknown names are an error).

        The fields add, with one exception that FACS itself makes: in AU1+4 (the brows of sadness and fear)
        the inner brows are raised *and* drawn together (Ekman, Friesen & Hager 2002, the AU1+4 combination),
        so AU4 brings its knit but not its lowering, up to AU1's intensity."""
        d = np.zeros_like(self.points)
        for name, a in actions.items():
            if a:
                d += a * self.fields[name]
        both = min(actions.get("AU1", 0.0), actions.get("AU4", 0.0))
        if both > 0:
            d -= both * self._au4_lowering
        return d

    def lip_gaps(self) -> dict[str, float]:
        """Each action's change of the inner-lip opening (landmarks 13 to 14) at intensity 1, in face units: the
        jaw opens it, AU17 (the chin pushing the lower lip up) and AU15 close it (`speaking_closers`)."""
        return {a: float(f[14, 1] - f[13, 1]) for a, f in self.fields.items()}

    # --------------------------------------------------------------------------------------------- fields
    def _build(self) -> None:
        p = self.points
        n = len(p)
        f = self.fields
        x, y = p[:, 0], p[:, 1]
        eyes = set(M.RIGHT_EYE_UPPER + M.RIGHT_EYE_LOWER + M.LEFT_EYE_UPPER + M.LEFT_EYE_LOWER
                   + M.RIGHT_EYE_CORNERS + M.LEFT_EYE_CORNERS + M.RIGHT_IRIS + M.LEFT_IRIS)
        not_eye = np.array([i not in eyes for i in range(n)], dtype=float)[:, None]
        above_eyes = self._above_lids()[:, None] * not_eye  # brows and forehead
        below_nose = _ramp(y, 0.5, 0.95)[:, None]  # lips, mouth region, chin
        centre_x = p[[M.NOSE_TIP, M.CHIN], 0].mean()
        side = self._side = np.sign(x - centre_x)  # -1 subject's right (image left), +1 left
        # the mouth's corners by which of the two they are, not by the side of the nose they lie on: a head turned
        # far enough put both on one side, and a one-sided smile (AU12R) then had no corner to pull, a traceback
        # on OASIS's Bored_pose_4 (an audit)
        right, left = MOUTH_CORNERS[0::2], MOUTH_CORNERS[1::2]
        flipped = p[list(right), 0].mean() > p[list(left), 0].mean()
        self._corner_side = {**dict.fromkeys(right, 1.0 if flipped else -1.0),
                             **dict.fromkeys(left, -1.0 if flipped else 1.0)}
        self._below_nose = below_nose

        def brows(inner: float, mid: float, outer: float, inward: float = 0.0, sigma: float = 0.16) -> np.ndarray:
            anchors = {}
            for brow in (M.RIGHT_BROW, M.LEFT_BROW):
                upper, lower = brow[:5], brow[5:]
                for contour in (upper, lower):  # outer -> inner
                    for k, i in enumerate(contour):
                        t = k / 4  # 0 outer .. 1 inner
                        dy = outer * (1 - t) * (1 - t) + mid * 2 * t * (1 - t) + inner * t * t
                        anchors[i] = (-side[i] * inward * t, -dy)
            return _spread(p, anchors, sigma) * above_eyes

        f["AU1"] = brows(0.14, 0.08, 0.0)
        f["AU2"] = brows(0.0, 0.06, 0.11)
        f["AU4"] = brows(-0.10, -0.07, -0.03, inward=0.05)
        self._au4_lowering = f["AU4"] * np.array([0.0, 1.0])  # its vertical part (`displacement`: AU1+4)

        def lids(upper_dy: float, lower_dy: float) -> np.ndarray:
            out = np.zeros_like(p)
            for up, lo in ((M.RIGHT_EYE_UPPER, M.RIGHT_EYE_LOWER), (M.LEFT_EYE_UPPER, M.LEFT_EYE_LOWER)):
                out[list(up), 1] = upper_dy * _contour_profile(p, up)
                out[list(lo), 1] = lower_dy * _contour_profile(p, lo)
            return out

        f["AU5"] = lids(-0.045, 0.0)
        f["AU41"] = lids(0.03, 0.0)
        f["AU7"] = lids(0.01, -0.038)
        cheeks = {i: (0.0, -0.09) for i in M.CHEEKS}
        self._fields_cheeks = _spread(p, cheeks, 0.18) * not_eye * _ramp(y, 0.05, 0.2)[:, None]
        f["AU6"] = self._fields_cheeks + lids(0.0, -0.018)
        wing_c = [p[[129, 64, 98, 48]].mean(0), p[[358, 294, 327, 278]].mean(0)]
        wings = {int(i): (0.0, -0.1) for c in wing_c for i in np.flatnonzero(
            (np.abs(x - c[0]) < 0.14) & (np.abs(y - c[1]) < 0.1) & (np.abs(x - c[0]) < np.abs(x - centre_x) + 0.05))}
        midline = _ramp(np.abs(x - centre_x), 0.04, 0.1)[:, None]  # the columella and nose tip stay
        f["AU9"] = (_spread(p, wings, 0.12) * not_eye * midline * (1 - _ramp(y, 0.9, 1.0))[:, None]
                    + brows(-0.03, -0.015, 0.0, inward=0.02))
        upper_lip = {i: (0.0, -0.06 * (1 - 0.6 * abs(p[i, 0] - centre_x) / 0.6))
                     for i in M.LIPS_UPPER_OUTER + M.LIPS_UPPER_MID + M.LIPS_UPPER_INNER[1:-1]}
        f["AU10"] = _spread(p, upper_lip, 0.07) * _ramp(y, 0.7, 0.85)[:, None]

        corner_pull = self._corner_pull
        f["AU12"] = corner_pull(0.12, 0.15)
        f["AU12R"] = corner_pull(0.12, 0.15, only=-1.0)
        f["AU14R"] = corner_pull(0.03, 0.01, sigma=0.1, only=-1.0)  # dimpler: corner tightened inwards, deepened
        f["AU15"] = corner_pull(-0.015, -0.09)
        f["AU20"] = corner_pull(0.16, -0.02)
        f["spread"] = corner_pull(0.05, 0.005)
        f["round"] = corner_pull(-0.075, 0.0, sigma=0.16) + self._lips_apart(0.012)

        lower_lip = set(M.LIPS_LOWER_OUTER + M.LIPS_LOWER_MID + M.LIPS_LOWER_INNER)
        upper_lips = set(M.LIPS_UPPER_OUTER + M.LIPS_UPPER_MID + M.LIPS_UPPER_INNER)
        taper = np.clip(1 - (np.abs(x - centre_x) / 0.55) ** 2, 0.2, 1)  # lips move least at the corners
        f["AU16"] = np.stack([np.zeros(n), 0.06 * taper * np.array([i in lower_lip for i in range(n)])], 1)
        f["AU17"] = np.stack([np.zeros(n), -0.035 * taper * np.array([i in lower_lip or y[i] > y[M.CHIN] - 0.3
                                                                       for i in range(n)])], 1) * below_nose
        f["tuck"] = np.stack([np.zeros(n), -0.045 * taper * np.array([i in lower_lip for i in range(n)])], 1)
        f["AU23"] = self._thin_lips(0.5) + corner_pull(-0.02, 0.0, sigma=0.1)
        f["jaw"] = self._jaw(0.35, lower_lip, upper_lips)
        f["press"] = self._press()
        f["blink_r"], f["blink_l"] = self._blink(M.RIGHT_EYE_UPPER, M.RIGHT_EYE_LOWER), self._blink(M.LEFT_EYE_UPPER, M.LEFT_EYE_LOWER)
        gaze = np.zeros_like(p)
        gaze[list(M.RIGHT_IRIS + M.LEFT_IRIS), 0] = 0.07
        f["gaze_x"] = gaze
        gaze = np.zeros_like(p)
        gaze[list(M.RIGHT_IRIS + M.LEFT_IRIS), 1] = 0.035
        f["gaze_y"] = gaze

    def _above_lids(self) -> np.ndarray:
        """1 for points well above the upper eyelids (brows, forehead), 0 on and below the lids: the brows'
        fields must not drag the lids (faces differ in how close the brows sit to the eyes)."""
        p = self.points
        lid = np.full(len(p), np.inf)
        for upper in (M.RIGHT_EYE_UPPER, M.LEFT_EYE_UPPER):
            q = p[list(upper)]
            q = q[np.argsort(q[:, 0])]
            near = np.abs(p[:, 0] - q[:, 0].mean()) < 0.5
            lid = np.where(near, np.interp(p[:, 0], q[:, 0], q[:, 1]), lid)
        lid = np.where(np.isinf(lid), p[list(M.RIGHT_EYE_UPPER + M.LEFT_EYE_UPPER), 1].min(), lid)
        return _ramp(lid - p[:, 1], 0.03, 0.09)

    def _corner_pull(self, out: float, up: float, sigma: float = 0.2, only: float | None = None) -> np.ndarray:
        """The lip corners moved ``out`` (away from the midline) and ``up``; the lips, the skin around the mouth
        and the chin follow smoothly (`_harmonic`), the nose and upper face stay. ``sigma`` (face units) sets
        how far along the lips the pull is felt at full strength; ``only`` = -1 / +1 pulls one side."""
        p, side = self.points, self._corner_side
        pins = self._still()
        corner = {i: (side[i] * out, -up) for i in MOUTH_CORNERS if only is None or side[i] == only}
        for i, d in corner.items():
            pins[i] = d
        for i in M.LIPS_UPPER_OUTER[1:-1] + M.LIPS_UPPER_MID + M.LIPS_LOWER_OUTER + M.LIPS_LOWER_MID:
            if i in pins:
                continue
            r2 = min(((p[i] - p[j]) ** 2).sum() for j in corner)  # the lips follow their nearest corner
            j = min(corner, key=lambda c: ((p[i] - p[c]) ** 2).sum())
            g = np.exp(-r2 / (2 * sigma**2))
            pins[i] = (corner[j][0] * g, corner[j][1] * g)
        return self._harmonic(pins)

    def relax(self) -> np.ndarray:
        """The displacement that brings the portrait's own expression to rest: a smile's raised, widened lip
        corners back to the level and width of neutral faces, its raised cheeks and lower lids down, parted
        lips closed. Portraits are mostly smiling
        photos; an emotion drawn on top of a smile reads as happy whatever it is. Reference figures: medians
        of the same mesh's measures over FER2013's neutral faces (critics/cards/face-geometric.md), in IOD
        units: corner height above the mouth's centre 0.007, mouth width 0.756, inner-lip gap 0.012, cheeks (205,
        425) 0.642 and lower lids 0.056 below the eye line."""
        p = self.points
        centre_y = (p[13, 1] + p[14, 1]) / 2
        corner_raise = centre_y - (p[61, 1] + p[291, 1]) / 2
        width = float(np.hypot(*(p[291] - p[61])))
        excess = max(0.0, corner_raise - NEUTRAL["corner_raise"])
        wider = max(0.0, width - NEUTRAL["mouth_width"]) if excess > 0.02 else 0.0  # a smile's width only
        d = self._corner_pull(-wider / 2, -excess)
        if self.lip_gap > NEUTRAL["lip_gap"] + 0.01:
            d = d + self.fields["press"]
        if excess > 0.02:  # a Duchenne smile also raises the cheeks and lower lids (AU6): let them down
            cheek = NEUTRAL["cheek"] - float(np.mean(p[[205, 425], 1]))
            lids = NEUTRAL["lower_lid"] - float(np.mean(p[[145, 374], 1]))
            d = d - np.clip(cheek / 0.09, 0, 1) * self._fields_cheeks + np.clip(lids / 0.038, 0, 1) * self.fields["AU7"] * -1
        return d

    def _harmonic(self, pins: Mapping[int, tuple[float, float]]) -> np.ndarray:
        """The smoothest field over the mesh (a discrete Laplace equation on its tessellation) that takes the
        pinned points' displacements: skin between the pinned features stretches evenly, so no triangle
        folds. The mouth is a hole in the tessellation, so the lips can move apart."""
        from scipy.sparse import coo_matrix, diags, identity
        from scipy.sparse.linalg import spsolve

        n = len(self.points)
        e = M.mesh_edges()
        a = coo_matrix((np.ones(2 * len(e)), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n)).tocsr()
        a.data[:] = 1.0
        lap = diags(np.asarray(a.sum(1)).ravel()) - a
        pinned = np.array(sorted(pins))
        free = np.setdiff1d(np.arange(n), pinned)
        out = np.zeros((n, 2))
        out[pinned] = np.array([pins[i] for i in pinned])
        lap = lap.tocsr()
        lff = (lap[free][:, free] + 1e-9 * identity(len(free))).tocsc()  # a free island with no pin stays still
        rhs = -lap[free][:, pinned] @ out[pinned]
        for k in range(2):
            out[free, k] = spsolve(lff, rhs[:, k])
        return out

    def _still(self) -> dict[int, tuple[float, float]]:
        """Pins that keep the upper face (above the nose tip) and the head's outline still."""
        y = self.points[:, 1]
        still = {int(i): (0.0, 0.0) for i in np.flatnonzero(y < y[M.NOSE_TIP])}
        still.update({i: (0.0, 0.0) for i in M.FACE_OVAL})
        return still

    def _jaw(self, drop: float, lower_lip: set, upper_lip: set) -> np.ndarray:
        """Jaw drop (AU26): the lower lip and chin move down (the chin a little more: a rotation about the jaw
        joints, far behind and above), the upper lip stays, the jaw line follows, fading towards the ears."""
        p = self.points
        centre_x = p[[M.NOSE_TIP, M.CHIN], 0].mean()
        y_mouth = float(np.mean(M.mouth_line(self.points)[:, 1]))
        pins = self._still()
        for i in M.FACE_OVAL:
            reach = max(0.0, (p[i, 1] - y_mouth) / max(p[M.CHIN, 1] - y_mouth, 1e-6))
            fade = np.clip(1.2 - 0.9 * abs(p[i, 0] - centre_x), 0.0, 1.0)
            pins[i] = (0.0, drop * 1.15 * reach * fade)
        for i in upper_lip:
            pins[i] = (0.0, 0.0)
        for i in lower_lip:
            t = np.clip(1 - (abs(p[i, 0] - centre_x) / 0.5) ** 2, 0.0, 1.0)
            pins[i] = (0.0, drop * (0.45 + 0.55 * t))
        for i in MOUTH_CORNERS:
            pins[i] = (0.0, drop * 0.5)  # with the lip centre: an open jaw is not a smile
        return self._harmonic(pins)

    def _press(self) -> np.ndarray:
        """Lips pressed together (bilabials, AU24): the upper and lower lip each close half the portrait's
        opening at each point along the mouth; a closed mouth stays as it is."""
        p = self.points
        pins = self._still()
        ups = M.LIPS_UPPER_INNER[1:-1]
        gx = p[list(ups), 0]
        gaps = np.array([max(0.0, p[lo, 1] - p[u, 1]) for u, lo in zip(ups, M.LIPS_LOWER_INNER)])
        order = np.argsort(gx)
        gap_at = lambda i: float(np.interp(p[i, 0], gx[order], gaps[order]))  # noqa: E731
        for i in M.LIPS_UPPER_OUTER[1:-1] + M.LIPS_UPPER_MID + ups:
            pins[i] = (0.0, gap_at(i) / 2)
        for i in M.LIPS_LOWER_OUTER + M.LIPS_LOWER_MID + M.LIPS_LOWER_INNER:
            pins[i] = (0.0, -gap_at(i) / 2)
        return self._harmonic(pins)

    def _lips_apart(self, amount: float) -> np.ndarray:
        out = np.zeros_like(self.points)
        out[list(M.LIPS_UPPER_OUTER[1:-1] + M.LIPS_UPPER_MID), 1] = -amount
        out[list(M.LIPS_LOWER_OUTER + M.LIPS_LOWER_MID), 1] = amount
        return out

    def _thin_lips(self, fraction: float) -> np.ndarray:
        """AU23 (lip tightener): the red of the lips narrows, each outer contour moving towards the inner one."""
        p = self.points
        out = np.zeros_like(p)
        for outer, inner in ((M.LIPS_UPPER_OUTER[1:-1], M.LIPS_UPPER_INNER[1:-1]),
                             (M.LIPS_LOWER_OUTER, M.LIPS_LOWER_INNER)):
            for o in outer:
                j = min(inner, key=lambda k: abs(p[k, 0] - p[o, 0]))
                out[o, 1] = fraction * (p[j, 1] - p[o, 1])
        return out

    def _blink(self, upper: tuple[int, ...], lower: tuple[int, ...]) -> np.ndarray:
        """The upper lid closing onto the lower lid."""
        p = self.points
        out = np.zeros_like(p)
        lo = np.array(sorted(lower, key=lambda i: p[i, 0]))
        for i in upper:
            target = np.interp(p[i, 0], p[lo, 0], p[lo, 1])
            out[i, 1] = (target - p[i, 1]) * 0.95
        return out


#: While the face speaks, the expression's lip closers may take back at most this share of the opening the speech
#: gives (`speaking_closers`). Half: sad speech does open the mouth less (it is hypo-articulated), and a sad face
#: whose lips parted nearly as wide as a neutral one's read as happy to face/classifier (teeth showing): over six
#: sad sentences on the default portrait, open loop, the classifier heard sadness in 6 with the closers whole, 6
#: with half and 3 with a quarter (geometric: 6 in each)
CLOSERS_TAKE = 0.5


def speaking_closers(rig: Rig, tracks: Mapping[str, np.ndarray], speech_jaw: np.ndarray) -> dict[str, np.ndarray]:
    """The expression's lip-closing actions (those that narrow the lips' opening: AU17, AU15...) scaled down frame
    by frame so that they close at most `CLOSERS_TAKE` of the opening the speech's jaw gives there, and as they
    were in silence. Why: the fields add, so a sad face (AU17 0.6, AU15 1.0, raised to 1.3 by the loop) cancelled
    its speech; on the default portrait its lips barely parted on the loudest syllables (the rig's opening 0.089
    against a neutral face's 0.150; 0.099 now). The scale is smoothed
    over 5 frames, so the closers come back in pauses without a flick."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    gaps = rig.lip_gaps()
    closers = [a for a in EXPRESSION_ACTIONS if a != "jaw" and gaps.get(a, 0.0) < 0 and np.any(tracks[a] > 0)]
    if not closers or not np.any(speech_jaw > 0):
        return {}
    closing = -sum(tracks[a] * gaps[a] for a in closers)
    opening = speech_jaw * gaps["jaw"]
    allowed = CLOSERS_TAKE * opening
    scale = np.where((opening > 0) & (closing > allowed), allowed / np.maximum(closing, 1e-12), 1.0)
    scale = np.clip(uniform_filter1d(minimum_filter1d(scale, 5, mode="nearest"), 5, mode="nearest"), 0.0, 1.0)
    return {a: tracks[a] * scale for a in closers}
