"""The geometric face critic: action units measured on the face mesh, mapped to emotions by EMFACS rules.

Why: an independent judge that shares nothing learned with the FER2013 classifier (DESIGN.md section 4: several
critics per modality, so a loop cannot learn to please one network). It measures the face's geometry with
MediaPipe's 478-point mesh (``refine_landmarks=True``; Kartynnik et al. 2019) and reads Facial Action Coding
System action units (Ekman & Friesen 1978) from displacements relative to a neutral face, then applies the
EMFACS emotion prototypes (Friesen & Ekman 1983, as tabulated e.g. in Ekman, Friesen & Hager 2002 and
Lucey et al. 2010, CK+):

    happiness  AU6 + AU12                      sadness   AU1 + AU4 + AU15 (+ AU41)
    surprise   AU1 + AU2 + AU5 + AU26          fear      AU1 + AU2 + AU4 + AU5 + AU7 + AU20 + AU26
    anger      AU4 + AU5 + AU7 + AU23          disgust   AU9 (+AU10) + AU15 + AU16

Measures (`measure`): landmarks are rotated so the eyes are level, centred between the eyes and divided by
the inter-ocular distance (IOD, between the eye centres), so they do not depend on image size or roll:

- ``corner_raise``  height of the lip corners (61, 291) above the mouth's centre (between 13 and 14): AU12 up,
                    AU15 down
- ``mouth_width``   distance between the lip corners: AU12 (with the raise), AU20 (lip stretch) without it
- ``lip_thickness`` red-lip height, upper (0-13) + lower (14-17): AU23/AU24 (tighten/press) when it shrinks
- ``lip_gap``       inner-lip opening (13-14): AU25 (lips part), AU27 (mouth stretch) at large openings
- ``jaw``           nose tip (1) to chin (152): AU26 jaw drop (with ``lip_gap``: the mesh often keeps the jaw)
- ``inner_brow``    inner brow (107, 336) above the inner eye corners (133, 362): AU1 up, AU4 down
- ``outer_brow``    outer brow (70, 300) above the outer eye corners (33, 263): AU2
- ``brow_gap``      distance between the inner brow heads (55, 285): AU4 knit when it shrinks
- ``upper_lid``     upper lids (159, 386) above the line through the eye corners: AU5 up, AU41 (lid droop) down
- ``lower_lid``     lower lids (145, 374) below that line: AU7 (lid tightener) and AU6 when they rise
- ``cheek``         cheek points (205, 425) below the eye line: AU6 (with the lower lid) when they rise
- ``nose_ala``      nose wings (129, 358) below the eye line: AU9 when they rise
- ``nose_lip``      nose base (2) to upper lip (0): AU10 when it shrinks
- ``lip_chin``      lower lip (17) to chin (152): AU16 when it shrinks

Each AU intensity is a ramp of the signed displacement from the neutral reference: 0 inside a dead zone (the
spread of the measure over neutral faces: person-to-person and mesh noise), 1 at the apex (the displacement
that the 90th percentile of faces showing the emotion whose prototype holds the AU reach). The neutral
reference is, in order of preference: the landmarks or image of a neutral face of the *same* person
(`neutral` config option; dead zones shrink to a quarter), else population medians measured on FER2013
"neutral" faces (MediaPipe 0.10.21 ships no canonical face model file, so the canonical mesh is not an option).
`POPULATION` holds those figures, measured by ``python -m critics.training.face --geometric``.

Emotion scores: the mean intensity of each prototype's AUs; neutral scores a constant ``tau``; ``native`` is
a softmax with temperature 1/``beta`` over FER2013-7. ``tau`` and ``beta`` were chosen on the FER2013 training
part; accuracy on the held-out part is in critics/cards/face-geometric.md. The AU intensities are in
``Reading.details["au"]``, the raw measures in ``details["measures"]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from conditioning.registry import configure
from critics.base import CriticError, Reading, TimedReading, softmax
from critics.face import FER_CLASSES, NO_FACE, as_frames, scan_frames
from conditioning.faces import CHEEK, CHIN, LEFT_BROW, LEFT_EYE, MOUTH, NOSE, RIGHT_BROW, RIGHT_EYE

MEASURES = ("corner_raise", "mouth_width", "lip_thickness", "lip_gap", "jaw", "inner_brow", "outer_brow",
            "brow_gap", "upper_lid", "lower_lid", "cheek", "nose_ala", "nose_lip", "lip_chin")

#: neutral medians (``m0``), neutral robust spread (``sd``) and apex displacements (``up``: the 90th percentile
#: of ``m - m0`` over FER2013 training faces of the emotion class named in `APEX_CLASS`; ``down``: the 10th),
#: in IOD units. Measured by ``python -m critics.training.face --geometric`` (see critics/cards/face-geometric.md).
POPULATION: dict[str, dict[str, float]] = {
    "corner_raise": {"m0": 0.0069, "sd": 0.0433, "up": 0.1699, "down": -0.065},
    "mouth_width": {"m0": 0.7559, "sd": 0.0969, "up": 0.3573, "down": -0.1453},
    "lip_thickness": {"m0": 0.236, "sd": 0.0582, "up": 0.0873, "down": -0.0873},
    "lip_gap": {"m0": 0.0124, "sd": 0.0184, "up": 0.449, "down": -0.0276},
    "jaw": {"m0": 1.0454, "sd": 0.1809, "up": 0.2714, "down": -0.2714},
    "inner_brow": {"m0": 0.3553, "sd": 0.0691, "up": 0.148, "down": -0.1184},
    "outer_brow": {"m0": 0.2466, "sd": 0.0445, "up": 0.1002, "down": -0.0668},
    "brow_gap": {"m0": 0.4167, "sd": 0.0261, "up": 0.045, "down": -0.0442},
    "upper_lid": {"m0": 0.0895, "sd": 0.0193, "up": 0.0405, "down": -0.0805},
    "lower_lid": {"m0": 0.0564, "sd": 0.0152, "up": 0.0227, "down": -0.0375},
    "cheek": {"m0": 0.6424, "sd": 0.0782, "up": 0.1173, "down": -0.1173},
    "nose_ala": {"m0": 0.5924, "sd": 0.0777, "up": 0.1165, "down": -0.1165},
    "nose_lip": {"m0": 0.2507, "sd": 0.0586, "up": 0.0878, "down": -0.1081},
    "lip_chin": {"m0": 0.4464, "sd": 0.1185, "up": 0.1777, "down": -0.2215},
}

#: action unit -> (measure, direction): the AU rises as the measure moves in that direction from neutral
AU_RULES: dict[str, tuple[str, int]] = {
    "AU1": ("inner_brow", +1), "AU2": ("outer_brow", +1), "AU4_lower": ("inner_brow", -1),
    "AU4_knit": ("brow_gap", -1), "AU5": ("upper_lid", +1), "AU41": ("upper_lid", -1),
    "AU6_cheek": ("cheek", -1), "AU7": ("lower_lid", -1), "AU9": ("nose_ala", -1), "AU10": ("nose_lip", -1),
    "AU12_raise": ("corner_raise", +1), "AU12_pull": ("mouth_width", +1), "AU15": ("corner_raise", -1),
    "AU16": ("lip_chin", -1), "AU23": ("lip_thickness", -1), "AU25": ("lip_gap", +1), "AU26_jaw": ("jaw", +1),
}

#: which FER2013 class's faces set the apex of each measure and direction (its EMFACS prototype has the AU)
APEX_CLASS: dict[tuple[str, int], str] = {
    ("inner_brow", +1): "surprise", ("outer_brow", +1): "surprise", ("inner_brow", -1): "angry",
    ("brow_gap", -1): "angry", ("upper_lid", +1): "surprise", ("upper_lid", -1): "sad", ("cheek", -1): "happy",
    ("lower_lid", -1): "happy",
    ("nose_ala", -1): "disgust", ("nose_lip", -1): "disgust", ("corner_raise", +1): "happy",
    ("corner_raise", -1): "sad", ("lip_chin", -1): "disgust", ("mouth_width", +1): "happy",
    ("lip_thickness", -1): "angry", ("lip_gap", +1): "surprise", ("jaw", +1): "surprise",
}

#: EMFACS prototypes (Friesen & Ekman 1983) over the AUs measured here
PROTOTYPES: dict[str, tuple[str, ...]] = {
    "happy": ("AU6", "AU12"),
    "sad": ("AU1", "AU4", "AU15", "AU41"),
    "surprise": ("AU1", "AU2", "AU5", "AU26"),
    "fear": ("AU1", "AU2", "AU4", "AU5", "AU7", "AU20", "AU26"),
    "angry": ("AU4", "AU5", "AU7", "AU23"),
    "disgust": ("AU9", "AU10", "AU15", "AU16"),
}

#: emotion-score temperature and the neutral score (chosen on the FER2013 training part, see the card)
BETA, TAU, DEAD = 4.0, 0.2, 0.5


def normalised(landmarks: np.ndarray) -> np.ndarray:
    """(478, 2+) landmarks -> (478, 2): eyes level, origin between the eyes, unit inter-ocular distance."""
    p = np.asarray(landmarks, dtype=np.float64)[:, :2]
    r = p[[RIGHT_EYE["outer"], RIGHT_EYE["inner"]]].mean(0)
    l_ = p[[LEFT_EYE["outer"], LEFT_EYE["inner"]]].mean(0)
    v = l_ - r
    iod = float(np.hypot(*v))
    if iod <= 1e-6:
        raise CriticError("the face mesh is degenerate (the eyes coincide); give a clearer frontal face")
    c, s = v / iod
    rot = np.array([[c, s], [-s, c]])  # rotates v onto +x
    return ((p - (r + l_) / 2) @ rot.T) / iod


def measure(landmarks: np.ndarray) -> dict[str, float]:
    """The geometric measures (IOD units, y downwards) of one face mesh."""
    q = normalised(landmarks)
    x, y = q[:, 0], q[:, 1]
    R, L, RB, LB, M, N = RIGHT_EYE, LEFT_EYE, RIGHT_BROW, LEFT_BROW, MOUTH, NOSE
    return {
        "corner_raise": float((y[M["upper_inner"]] + y[M["lower_inner"]]) / 2 - (y[M["right"]] + y[M["left"]]) / 2),
        "mouth_width": float(np.hypot(*(q[M["left"]] - q[M["right"]]))),
        "lip_thickness": float((y[M["upper_inner"]] - y[M["upper_outer"]]) + (y[M["lower_outer"]] - y[M["lower_inner"]])),
        "lip_gap": float(max(0.0, y[M["lower_inner"]] - y[M["upper_inner"]])),
        "jaw": float(y[CHIN] - y[N["tip"]]),
        "inner_brow": float(((y[R["inner"]] - y[RB["inner"]]) + (y[L["inner"]] - y[LB["inner"]])) / 2),
        "outer_brow": float(((y[R["outer"]] - y[RB["outer"]]) + (y[L["outer"]] - y[LB["outer"]])) / 2),
        "brow_gap": float(x[LB["inner_low"]] - x[RB["inner_low"]]),
        "upper_lid": float(-(y[R["upper"]] + y[L["upper"]]) / 2),
        "lower_lid": float((y[R["lower"]] + y[L["lower"]]) / 2),
        "cheek": float((y[CHEEK["right"]] + y[CHEEK["left"]]) / 2),
        "nose_ala": float((y[N["right_ala"]] + y[N["left_ala"]]) / 2),
        "nose_lip": float(y[M["upper_outer"]] - y[N["base"]]),
        "lip_chin": float(y[CHIN] - y[M["lower_outer"]]),
    }


def au_intensities(m: Mapping[str, float], reference: Mapping[str, float] | None = None,
                   table: Mapping[str, Mapping[str, float]] = POPULATION, dead: float | None = None) -> dict[str, float]:
    """AU intensities in [0, 1] from measures ``m`` relative to a neutral reference.

    ``reference``: measures of a neutral face of the same person (dead zone a quarter of the population
    spread: only mesh noise is left), or None for the population medians in ``table`` (dead zone ``DEAD``
    spreads: person-to-person differences as well).
    """
    if dead is None:
        dead = 0.25 if reference is not None else DEAD
    out: dict[str, float] = {}
    for au, (name, sign) in AU_RULES.items():
        row = table[name]
        m0 = reference[name] if reference is not None else row["m0"]
        d = sign * (m[name] - m0)
        apex = abs(row["up"] if sign > 0 else row["down"])
        lo = dead * row["sd"]
        out[au] = float(np.clip((d - lo) / max(apex - lo, 1e-6), 0.0, 1.0))
    out["AU4"] = max(out.pop("AU4_lower"), out.pop("AU4_knit"))
    raise_, pull = out.pop("AU12_raise"), out.pop("AU12_pull")
    out["AU12"] = (raise_ + pull) / 2  # the corner puller raises and widens (oblique pull)
    out["AU20"] = pull * (1.0 - raise_)  # a stretch with level corners is AU20, not a smile
    out["AU6"] = (out.pop("AU6_cheek") + out["AU7"]) / 2  # the cheek raiser shows as cheeks and lower lids rising
    out["AU26"] = max(out.pop("AU26_jaw"), out["AU25"])  # jaw drop: the mesh shows it mostly as parted lips
    out["AU23"] *= 1.0 - out["AU25"]  # tightened/pressed lips are closed
    out["AU27"] = float(np.clip((out["AU25"] - 0.5) * 2, 0.0, 1.0))  # wide-open mouth
    return dict(sorted(out.items(), key=lambda kv: int("".join(ch for ch in kv[0] if ch.isdigit()))))


def emotion_scores(au: Mapping[str, float], beta: float = BETA, tau: float = TAU) -> dict[str, float]:
    """EMFACS prototype scores -> a distribution over FER2013-7."""
    s = {e: float(np.mean([au[a] for a in aus])) for e, aus in PROTOTYPES.items()}
    s["neutral"] = tau
    z = np.array([s[c] for c in FER_CLASSES]) * beta
    return dict(zip(FER_CLASSES, softmax(z).tolist()))


@dataclass(frozen=True)
class GeometricFaceConfig:
    """Settings of the geometric (action-unit) face critic.

    - `neutral`: a neutral face of the same person: an image (array/`Image`/path), (478, 3) landmarks, or a
      dict of measures; None = population medians measured on FER2013 neutral faces.
    - `beta`, `tau`: emotion-score temperature and the neutral score.
    - `every`: score every k-th frame of a video.
    - `max_faces`, `min_confidence`: passed to MediaPipe.
    """

    neutral: Any = None
    beta: float = BETA
    tau: float = TAU
    every: int = 1
    max_faces: int = 4
    min_confidence: float = 0.5


class GeometricFaceCritic:
    modality = "face"
    name = "geometric"

    def __init__(self, config: GeometricFaceConfig | None = None, **overrides: Any):
        if overrides.pop("aligned", False):
            raise ValueError("the geometric face critic needs a face mesh and cannot take aligned crops; "
                             "use the classifier critic for --aligned inputs")
        self.config = configure(GeometricFaceConfig, config, overrides, "face/geometric")
        self._finder = None
        self._reference: dict[str, float] | None = None
        if self.config.neutral is not None:
            self._reference = self._reference_from(self.config.neutral)

    @property
    def finder(self):
        if self._finder is None:
            from conditioning.faces import FaceFinder

            self._finder = FaceFinder(max_faces=self.config.max_faces, min_confidence=self.config.min_confidence)
        return self._finder

    def _reference_from(self, neutral: Any) -> dict[str, float]:
        if isinstance(neutral, Mapping):
            missing = set(MEASURES) - set(neutral)
            if missing:
                raise ValueError(f"the neutral reference lacks measures {sorted(missing)}; give all of {MEASURES}")
            return {k: float(neutral[k]) for k in MEASURES}
        arr = np.asarray(neutral) if isinstance(neutral, np.ndarray) else None
        if arr is not None and arr.ndim == 2 and arr.shape[0] == 478 and arr.shape[1] in (2, 3):
            return measure(arr)
        frames, _, what = as_frames(neutral)
        return measure(self.landmarks(frames[0], f"the neutral reference ({what})")[0])

    def landmarks(self, pixels: np.ndarray, what: str) -> tuple[np.ndarray, int]:
        """Mesh landmarks of the largest face and the number of faces found."""
        faces = self.finder.find(pixels)
        if not faces:
            raise CriticError(NO_FACE.format(what=what))
        if faces[0].landmarks is None:
            raise CriticError(f"a face was found in {what} but the face mesh could not be fitted to it; "
                              "give a larger, frontal view of the face")
        return faces[0].landmarks, len(faces)

    def measure_image(self, pixels: np.ndarray, what: str = "the image",
                      reference: Mapping[str, float] | None = None) -> tuple[dict[str, float], dict[str, float], int]:
        """(measures, AU intensities, number of faces) for the largest face of one image, against ``reference``
        (a neutral face's measures; default: the configured one, else the population)."""
        lm, n = self.landmarks(pixels, what)
        m = measure(lm)
        return m, au_intensities(m, self._reference if reference is None else reference), n

    def reference(self, faces: Sequence[Any]) -> dict[str, float]:
        """The same person's neutral measures: the median over neutral images or frames of that face. What
        ``score(..., speaker_reference=)`` measures against; the studio's loop passes a talking face's rest
        frame, so a portrait's own features (thin lips, wide eyes) are not read as expressions."""
        rows = [self._reference_from(f) for f in faces]
        if not rows:
            raise CriticError("a neutral reference needs at least one image of the same face")
        return {k: float(np.median([r[k] for r in rows])) for k in MEASURES}

    def score(self, media: Any, *, aligned: bool | None = None,
              speaker_reference: Mapping[str, float] | None = None) -> Reading:
        """Measure AUs on the (largest) face of an image, or per frame of a video; ``speaker_reference``: the
        same person's neutral measures (`reference`)."""
        if aligned:
            raise CriticError("the geometric face critic needs a face mesh and cannot take aligned crops; "
                              "use the classifier critic for --aligned inputs")
        frames, fps, what = as_frames(media)
        ref = speaker_reference if speaker_reference is not None else self._reference
        reference = "same person" if ref is not None else "population (FER2013 neutral medians)"
        if fps is None:
            m, au, n = self.measure_image(frames[0], what, ref)
            native = emotion_scores(au, self.config.beta, self.config.tau)
            details: dict[str, Any] = {"au": _r(au), "measures": _r(m), "reference": reference, "faces": n}
            if n > 1:
                details["note"] = f"scored the largest of {n} faces"
            return Reading.from_native(f"face/{self.name}", native, "fer2013", details=details)

        def measure(frame, description):
            _, au, n = self.measure_image(frame, description, ref)
            return au, n

        scored, counts = scan_frames(frames, self.config.every, what, measure)
        natives, series = [], []
        for i, au in scored:
            p = emotion_scores(au, self.config.beta, self.config.tau)
            natives.append(p)
            r = Reading.from_native(f"face/{self.name}", p, "fer2013")
            series.append(TimedReading(i / fps, r.valence, r.arousal, r.dominance, max(p, key=p.get)))
        aus = [au for _, au in scored]
        mean_au = {k: float(np.mean([a[k] for a in aus])) for k in aus[0]}
        native = {c: float(np.mean([p[c] for p in natives])) for c in FER_CLASSES}
        details = {"au": _r(mean_au), "reference": reference, **counts}
        return Reading.from_native(f"face/{self.name}", native, "fer2013", series=tuple(series), details=details)


def _r(d: Mapping[str, float]) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in d.items()}


__all__ = ["GeometricFaceConfig", "GeometricFaceCritic", "au_intensities", "emotion_scores", "measure"]
