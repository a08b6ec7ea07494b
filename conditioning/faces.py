"""Finding faces and fitting MediaPipe's 478-point mesh to them: shared by the face critics, the face animator
(which fits its portrait) and the studio's shading builder, so it lives here, below both.

Why MediaPipe 0.10.21: it is the last release that ships its face models inside the wheel (BlazeFace
short/full-range detection, Bazarevsky et al. 2019, and the 468-point face mesh with 10 iris points,
Kartynnik et al. 2019 / Ablavatski et al. 2020), so the legacy ``mediapipe.solutions`` API runs offline
with no download. Licence: Apache-2.0.

Pipeline (`FaceFinder.find`):
1. the face mesh (``static_image_mode=True, refine_landmarks=True``) on the image: its own short-range
   detector finds faces that fill a fair part of the frame and gives 478 landmarks per face;
2. where it finds none (small or distant faces), the full-range BlazeFace detector (on the whole image,
   then on 3x3 overlapping half-size tiles for faces under ~8% of the frame), then the mesh again on an
   enlarged crop around each detection; a face the mesh still cannot fit keeps the detector's six
   keypoints (eyes, nose, mouth, ears), enough to align it for the classifier but not to measure it (the face
   critic notes such a face: the box may be no face);
3. small images (a side under 192 px, e.g. a 48x48 face) are enlarged first, because both models expect
   faces of at least ~100 px.

Landmarks are returned in the original image's pixel coordinates. MediaPipe graphs are not thread-safe: a
lock serialises calls on one `FaceFinder`.
"""
from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

from conditioning.native import quiet_stderr

# ---------------------------------------------------------------------------------------- mesh indices
# MediaPipe face-mesh topology (canonical_face_model_uv_visualization.png in the MediaPipe repository).
# "right"/"left" are the subject's: the subject's right eye appears on the image's left.
RIGHT_EYE = {"outer": 33, "inner": 133, "upper": 159, "lower": 145, "upper2": 158, "lower2": 153,
             "upper3": 160, "lower3": 144, "iris": 468}
LEFT_EYE = {"outer": 263, "inner": 362, "upper": 386, "lower": 374, "upper2": 385, "lower2": 380,
            "upper3": 387, "lower3": 373, "iris": 473}
RIGHT_BROW = {"inner": 107, "mid": 105, "outer": 70, "inner_low": 55, "mid_low": 52, "outer_low": 46}
LEFT_BROW = {"inner": 336, "mid": 334, "outer": 300, "inner_low": 285, "mid_low": 282, "outer_low": 276}
MOUTH = {"right": 61, "left": 291, "upper_outer": 0, "upper_inner": 13, "lower_inner": 14, "lower_outer": 17,
         "right_inner": 78, "left_inner": 308}
NOSE = {"tip": 1, "base": 2, "bridge": 168, "right_ala": 129, "left_ala": 358, "right_ala_low": 64,
        "left_ala_low": 294}
CHEEK = {"right": 205, "left": 425, "right_high": 117, "left_high": 346}
CHIN = 152

MIN_FACE_PX = 16  #: an image narrower than this holds no face to find (FER2013's faces are 48 px)
MAX_SIDE_PX = 8192  #: small images are upscaled for the mesh, but never beyond this long side


@dataclass
class Face:
    """One face found in an image (pixel coordinates of that image)."""

    box: tuple[float, float, float, float]  #: x0, y0, x1, y1
    score: float
    landmarks: np.ndarray | None = field(default=None, repr=False)  #: (478, 3) x, y px; z in px (x scale)
    keypoints: np.ndarray | None = field(default=None, repr=False)  #: (6, 2) detector keypoints, or None

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    def eyes(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres of the subject's right eye (image left) and left eye (image right), (x, y) px."""
        if self.landmarks is not None:
            lm = self.landmarks[:, :2]
            r = lm[[RIGHT_EYE["outer"], RIGHT_EYE["inner"]]].mean(0)
            l_ = lm[[LEFT_EYE["outer"], LEFT_EYE["inner"]]].mean(0)
            return r, l_
        kp = self.keypoints  # BlazeFace order: right eye, left eye, nose tip, mouth, right ear, left ear
        return kp[0].astype(float), kp[1].astype(float)


def as_rgb(pixels: np.ndarray) -> np.ndarray:
    """Grey, RGBA or float pixels as the contiguous uint8 RGB MediaPipe takes."""
    x = np.asarray(pixels)
    if x.ndim == 2:
        x = np.repeat(x[:, :, None], 3, axis=2)
    if x.dtype != np.uint8:
        x = np.clip(np.round(x * 255 if x.max() <= 1.0 else x), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(x[:, :, :3])


#: The detector's score under which a face counts as not found upright when the mesh's face is checked for being
#: upside down (`FaceFinder.orientation`); faces are otherwise found from ``min_confidence`` (0.5)
WEAK_DETECTION = 0.2


class FaceFinder:
    """MediaPipe face detection + mesh, created once and reused (loading takes ~50 ms)."""

    def __init__(self, max_faces: int = 4, min_confidence: float = 0.5, min_side: int = 192):
        self.max_faces = max_faces
        self.min_confidence = min_confidence
        self.min_side = min_side
        self._lock = threading.Lock()
        self._mesh = None
        self._det = None
        self._mesh_settled = False  #: the mesh has found a face: its graph has said all it says on its own

    # MediaPipe's graphs log their start-up from worker threads (when created, and the mesh's landmark
    # projection on its first face), and then nothing: only those calls go through `quiet_stderr`, whose redirect
    # of the process's stderr held back every other thread's output while a whole face video was read.

    def _mesh_on(self, rgb: np.ndarray) -> list[np.ndarray]:
        """(478, 3) landmark arrays in rgb's pixel coordinates."""
        h, w = rgb.shape[:2]
        with nullcontext() if self._mesh_settled else quiet_stderr():
            if self._mesh is None:
                import mediapipe as mp

                self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=self.max_faces,
                                                             refine_landmarks=True,
                                                             min_detection_confidence=self.min_confidence)
            res = self._mesh.process(rgb)
        self._mesh_settled = self._mesh_settled or bool(res.multi_face_landmarks)
        out = []
        for f in res.multi_face_landmarks or []:
            a = np.array([(p.x * w, p.y * h, p.z * w) for p in f.landmark], dtype=np.float64)
            out.append(a)
        return out

    def find(self, pixels: np.ndarray) -> list[Face]:
        """All faces in an RGB (or grey) image, largest first."""
        import cv2

        rgb = as_rgb(pixels)
        h, w = rgb.shape[:2]
        if min(h, w) < MIN_FACE_PX:  # no face fits; and MediaPipe aborts the process on a 192x76800 upscale
            return []
        scale = 1.0
        if min(h, w) < self.min_side:
            scale = min(self.min_side / min(h, w), MAX_SIDE_PX / max(h, w))
            rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
        with self._lock:
            faces = [_face_from_mesh(lm) for lm in self._mesh_on(rgb)]
            if not faces:
                faces = self._detect_then_mesh(rgb)
        for f in faces:  # back to the caller's pixel coordinates
            f.box = tuple(v / scale for v in f.box)
            if f.landmarks is not None:
                f.landmarks = f.landmarks / scale
            if f.keypoints is not None:
                f.keypoints = f.keypoints / scale
        return sorted(faces, key=lambda f: -f.area)

    def orientation(self, pixels: np.ndarray, face: "Face") -> tuple[float, float, float]:
        """How surely ``face`` (found by the mesh) is upright and how surely upside down: the detector's best score
        for it on the whole picture as it stands, and on the whole picture or a crop around the face (twice its box,
        at 256 px) as it stands and turned 180 degrees: ``(whole, upright, inverted)``. Why: the mesh alone fits an
        upright face to an inverted one (its mouth on the forehead: an audit), and the detector, trained on upright
        faces, finds an inverted one best turned back. Only detections of that face count (two upright OASIS photos
        had one elsewhere only when turned); the crop finds upright a face the whole picture misses (a boy cut by
        the edge of OASIS's School_2 scored 0.78 turned and nothing upright on the whole photo, 0.76 in the crop).
        `python bench/face_upside_down.py`."""
        import cv2

        rgb = as_rgb(pixels)
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = face.box
        box = np.array([x0, y0, x1 - x0, y1 - y0])
        cx, cy, side = (x0 + x1) / 2, (y0 + y1) / 2, 2.0 * max(x1 - x0, y1 - y0, 1.0)
        s = 256 / side
        m = np.array([[s, 0, -(cx - side / 2) * s], [0, s, -(cy - side / 2) * s]])
        crop = cv2.warpAffine(rgb, m, (256, 256), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=(128, 128, 128))
        in_crop = np.array([(x0 - cx) * s + 128, (y0 - cy) * s + 128, (x1 - x0) * s, (y1 - y0) * s])
        scores = []
        for turned in (False, True):
            views = [(rgb, box, (w, h)), (crop, in_crop, (256, 256))]
            for view, target, (vw, vh) in views:
                found = self._found(np.ascontiguousarray(view[::-1, ::-1]) if turned else view)
                if turned:  # back to the view's own coordinates
                    found = [(np.array([vw - b[0] - b[2], vh - b[1] - b[3], b[2], b[3]]), sc) for b, sc in found]
                scores.append(max((sc for b, sc in found if _iou(b, target) > 0.2), default=0.0))
        return scores[0], max(scores[:2]), max(scores[2:])

    def _found(self, rgb: np.ndarray) -> list[tuple[np.ndarray, float]]:
        with self._lock:
            return [(b, sc) for b, _, sc in self._detections(rgb, WEAK_DETECTION / 4)]

    def _detections(self, rgb: np.ndarray, floor: float | None = None) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Full-range BlazeFace on the image, then, if it finds nothing, on 3x3 overlapping half-size tiles
        (the detector sees a 192 px image, so faces under ~8% of the frame need the tiles).
        Returns (box x0, y0, w, h), (6, 2) keypoints and the score, in ``rgb``'s pixels."""
        if self._det is None:  # created and run once where its start-up lines are caught
            import mediapipe as mp

            with quiet_stderr():
                det = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=min(
                    WEAK_DETECTION, self.min_confidence))  # (weak ones only for `orientation`; `floor`)
                det.process(np.zeros((128, 128, 3), np.uint8))
            self._det = det
        det = self._det
        h, w = rgb.shape[:2]

        def run(img, ox, oy):
            ih, iw = img.shape[:2]
            out = []
            for d in det.process(np.ascontiguousarray(img)).detections or []:
                bb = d.location_data.relative_bounding_box
                box = np.array([bb.xmin * iw + ox, bb.ymin * ih + oy, bb.width * iw, bb.height * ih])
                kp = np.array([(k.x * iw + ox, k.y * ih + oy) for k in d.location_data.relative_keypoints])
                if d.score[0] >= (self.min_confidence if floor is None else floor):
                    out.append((box, kp, float(d.score[0])))
            return out

        found = run(rgb, 0, 0)
        if not found and min(h, w) >= 2 * self.min_side:
            th, tw = h // 2, w // 2
            for oy in (0, h // 4, h - th):
                for ox in (0, w // 4, w - tw):
                    found += run(rgb[oy:oy + th, ox:ox + tw], ox, oy)
        kept: list = []  # non-maximum suppression across tiles
        for f in sorted(found, key=lambda t: -t[2]):
            if all(_iou(f[0], k[0]) < 0.3 for k in kept):
                kept.append(f)
        return kept[: self.max_faces]

    def _detect_then_mesh(self, rgb: np.ndarray) -> list[Face]:
        import cv2

        faces = []
        for (x0, y0, bw, bh), kp, score in self._detections(rgb):
            # enlarged square crop (2x the box) resized to 256 px, then the mesh again
            cx, cy, side = x0 + bw / 2, y0 + bh / 2, 2.0 * max(bw, bh)
            cx0, cy0 = cx - side / 2, cy - side / 2
            s = 256 / side
            m = np.array([[s, 0, -cx0 * s], [0, s, -cy0 * s]])
            crop = cv2.warpAffine(rgb, m, (256, 256), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            meshes = self._mesh_on(crop)
            if meshes:
                lm = min(meshes, key=lambda a: np.linalg.norm(a[:, :2].mean(0) - 128)).copy()
                lm[:, :2] = lm[:, :2] / s + (cx0, cy0)
                lm[:, 2] = lm[:, 2] / s
                f = _face_from_mesh(lm)
                f.score, f.keypoints = score, kp
            else:
                f = Face((x0, y0, x0 + bw, y0 + bh), score, None, kp)
            faces.append(f)
        return faces


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def _face_from_mesh(lm: np.ndarray) -> Face:
    x0, y0 = lm[:, :2].min(0)
    x1, y1 = lm[:, :2].max(0)
    return Face((float(x0), float(y0), float(x1), float(y1)), 1.0, lm, None)
