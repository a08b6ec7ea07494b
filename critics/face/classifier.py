"""The embedded face expression critic: MediaPipe face finding + a small CNN trained on FER2013, in ONNX.

Why this design: FER2013 (Goodfellow et al. 2013) is the largest public in-the-wild expression set with
Ekman's six + neutral, and a compact VGG-style CNN on its 48x48 greyscale crops is the best-performing
single-network family on it (Khaireddin & Chen 2021). `critics.training.face` trains the network here (seeded,
one CPU core) and exports it to ONNX, so inference needs onnxruntime only, no torch. To give the network
what it was trained on, a face is found and measured with MediaPipe (`conditioning.faces`), rotated so
the eyes are level, and cropped so the eyes land where FER2013's crops put them (a layout measured on
FER2013 itself). Test-time flip averaging (the mean over the face and its mirror image) is on by default.

Output: ``native`` over FER2013-7 (angry, disgust, fear, happy, neutral, sad, surprise); the shared-space
mix and valence/arousal/dominance through `Reading.from_native(..., "fer2013")` (the expected point of the
distribution in the shared VAD space: there are no valence/arousal labels for FER2013 here to fit a better
regression on). ``aligned=True`` skips detection for inputs that are already face crops (48x48 FER crops
included). A `Video` gives one `TimedReading` per scored frame (every ``every``-th) and the mean over frames.
See `critics/cards/face-classifier.md` for the data, split, seed and validation figures.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conditioning.registry import configure
from critics.base import CriticError, Reading, TimedReading, onnx_session, softmax
from critics.face import FER_CLASSES, NO_FACE, as_frames, scan_frames

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
TRAIN_COMMAND = "python -m critics.training.face --data ../shared/data --out critics/weights"
#: an "aligned" picture in which the finder sees a face filling less than this share of it is noted as a whole
#: photo: 13 of 2,655 FER2013 training crops (0.5 %, upscaled to 192 px) fall under it, and 77 % of the OASIS
#: photographs of people in which it finds a face (median share 0.033)
WHOLE_PHOTO_SHARE = 0.15


@dataclass(frozen=True)
class FaceClassifierConfig:
    """Settings of the FER2013 expression classifier.

    - `weights`: the ONNX file (its JSON sidecar beside it); None = the shipped critics/weights/face_fer.onnx.
    - `aligned`: inputs are already face crops (any size; 48x48 grey FER crops included): no detection.
    - `flip_tta`: average the probabilities of the face and its mirror image (2x the work; +0.9 points of
      accuracy with the shipped weights).
    - `every`: score every k-th frame of a video.
    - `max_faces`, `min_confidence`: passed to MediaPipe's detector and mesh.
    - `threads`: onnxruntime intra-op threads (1: the machine is shared).
    """

    weights: str | None = None
    aligned: bool = False
    flip_tta: bool = True
    every: int = 1
    max_faces: int = 4
    min_confidence: float = 0.5
    threads: int = 1


class FaceExpressionCritic:
    modality = "face"
    name = "classifier"
    reads_crops = True  #: reads an already-cropped face whole (``aligned``); the geometric judge needs a photo

    def __init__(self, config: FaceClassifierConfig | None = None, **overrides: Any):
        self.config = configure(FaceClassifierConfig, config, overrides, "face/classifier")
        self._session = None
        self._meta: dict | None = None
        self._finder = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ loading
    @property
    def weights_path(self) -> Path:
        return Path(self.config.weights) if self.config.weights else WEIGHTS_DIR / "face_fer.onnx"

    def _load(self):
        with self._lock:
            if self._session is None:
                path = self.weights_path
                meta_path = path.with_suffix(".json")
                if not path.is_file() or not meta_path.is_file():
                    raise CriticError(f"face classifier weights not found at {path} (+ .json); "
                                      f"train them with: {TRAIN_COMMAND}")
                self._meta = json.loads(meta_path.read_text())
                self._session = onnx_session(path, self.config.threads)
        return self._session, self._meta

    @property
    def finder(self):
        if self._finder is None:
            from conditioning.faces import FaceFinder

            self._finder = FaceFinder(max_faces=self.config.max_faces, min_confidence=self.config.min_confidence)
        return self._finder

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self._load()[1]["classes"])

    # -------------------------------------------------------------------------------------- the network
    def predict_crops(self, crops: np.ndarray, flip_tta: bool | None = None) -> np.ndarray:
        """Probabilities (N, 7) for aligned grey crops (N, 48, 48) uint8 (or one (48, 48) crop -> (1, 7))."""
        session, _ = self._load()
        x = np.asarray(crops, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        x = (x / 255.0)[:, None]  # (N, 1, 48, 48)
        if self.config.flip_tta if flip_tta is None else flip_tta:  # one run over the faces and their mirrors
            logits = session.run(None, {"input": np.concatenate([x, x[:, :, :, ::-1]])})[0]
            p = softmax(logits)
            return (p[: len(x)] + p[len(x):]) / 2
        return softmax(session.run(None, {"input": x})[0])

    def crop(self, pixels: np.ndarray, aligned: bool, what: str) -> tuple[np.ndarray, dict]:
        """One aligned 48x48 crop from an image (the largest face) and details about the faces found."""
        from critics.face.landmarks import align_face, to_grey48

        if aligned:
            return to_grey48(pixels), {"aligned": True}
        faces = self.finder.find(pixels)
        if not faces:
            raise CriticError(NO_FACE.format(what=what))
        details: dict = {"faces": len(faces)}
        if len(faces) > 1:
            details["note"] = f"scored the largest of {len(faces)} faces"
        if faces[0].landmarks is None:  # a detector's box the mesh did not fit: it may be no face (a hat's sunglasses)
            details["note"] = ((details["note"] + "; ") if "note" in details else "") + (
                "the face was found by the detector alone (no face mesh fitted to it), so it may be no face: check "
                f"the box {[round(v) for v in faces[0].box]}")
        x0, y0, x1, y1 = faces[0].box
        details["box"] = [round(v, 1) for v in (x0, y0, x1, y1)]
        return align_face(pixels, faces[0]), details

    def whole_photo_note(self, pixels: np.ndarray) -> str | None:
        """A note when a picture given as already cropped (``aligned``) holds a face that fills little of it: the
        network then reads the whole photo as one face (a person in a landscape read as neutral), silently."""
        faces = self.finder.find(pixels)
        if not faces:
            return None
        x0, y0, x1, y1 = faces[0].box
        share = (x1 - x0) * (y1 - y0) / (pixels.shape[0] * pixels.shape[1])
        if share >= WHOLE_PHOTO_SHARE:
            return None
        return (f"read as an already-cropped face, but the face found in it fills {share:.0%} of the picture: "
                "for a whole photo leave aligned off, so the face is found and cropped")

    # -------------------------------------------------------------------------------------------- score
    def score(self, media: Any, *, aligned: bool | None = None) -> Reading:
        """Measure the expression of the (largest) face in an image, or per frame of a video."""
        aligned = self.config.aligned if aligned is None else aligned
        frames, fps, what = as_frames(media)
        classes = self.classes
        whole = self.whole_photo_note(frames[0]) if aligned else None
        if fps is None:
            crop, details = self.crop(frames[0], aligned, what)
            if whole:
                details["note"] = whole
            p = self.predict_crops(crop)[0]
            return Reading.from_native(f"face/{self.name}", dict(zip(classes, p.tolist())), "fer2013", details=details)

        def measure(frame, description):
            crop, d = self.crop(frame, aligned, description)
            return self.predict_crops(crop)[0], d.get("faces", 1)

        scored, details = scan_frames(frames, self.config.every, what, measure)
        series = []
        for i, p in scored:
            r = Reading.from_native(f"face/{self.name}", dict(zip(classes, p.tolist())), "fer2013")
            series.append(TimedReading(i / fps, r.valence, r.arousal, r.dominance, classes[int(p.argmax())]))
        if aligned:
            details["aligned"] = True
        if whole:  # judged on the first frame: a video is one shot of one framing
            details["note"] = whole
        mean = np.mean([p for _, p in scored], axis=0)
        return Reading.from_native(f"face/{self.name}", dict(zip(classes, mean.tolist())), "fer2013", series=tuple(series),
                                   details=details)


__all__ = ["FaceClassifierConfig", "FaceExpressionCritic", "FER_CLASSES"]
