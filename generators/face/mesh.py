"""The portrait's face mesh and the face-centred frame every displacement is written in.

Why the 478-point MediaPipe mesh (Kartynnik et al. 2019, refined eyes and lips, Apache-2.0): mediapipe 0.10.21
ships it inside the wheel, so it runs offline, and it is dense where expressions happen (lips, lids, brows).
The generator fits it once per portrait; every frame is then a displacement of those 478 points.

`FaceFrame`: origin between the eye centres, x along the eyes (towards the subject's left, image right for an
upright face), y down the face, unit = the inter-ocular distance (IOD). Action units and visemes are written
in this frame, so they apply to any face size and roll.

Index sets are MediaPipe's mesh topology (the TF.js ``MESH_ANNOTATIONS``); "right"/"left" are the subject's.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from generators.base import GenerationError

LIPS_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_LOWER_OUTER = (146, 91, 181, 84, 17, 314, 405, 321, 375)
LIPS_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_LOWER_INNER = (95, 88, 178, 87, 14, 317, 402, 318, 324)
#: the rings between the outer and inner lip contours (upper, lower), same order as the contours
LIPS_UPPER_MID = (76, 184, 74, 73, 72, 11, 302, 303, 304, 408, 306, 62, 183, 42, 41, 38, 12, 268, 271, 272, 407, 292)
LIPS_LOWER_MID = (77, 90, 180, 85, 16, 315, 404, 320, 307, 96, 89, 179, 86, 15, 316, 403, 319, 325)
MOUTH_CORNERS = (61, 291, 78, 308, 76, 306, 62, 292)
RIGHT_EYE_UPPER = (246, 161, 160, 159, 158, 157, 173)
RIGHT_EYE_LOWER = (7, 163, 144, 145, 153, 154, 155)
LEFT_EYE_UPPER = (466, 388, 387, 386, 385, 384, 398)
LEFT_EYE_LOWER = (249, 390, 373, 374, 380, 381, 382)
RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS = (33, 133), (263, 362)
RIGHT_IRIS, LEFT_IRIS = tuple(range(468, 473)), tuple(range(473, 478))
RIGHT_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)  #: outer -> inner, upper then lower contour
LEFT_BROW = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
NOSE_WINGS = (129, 358, 64, 294, 98, 327, 48, 278, 49, 279, 102, 331)
CHEEKS = (205, 425, 50, 280, 117, 346, 118, 347, 101, 330, 36, 266)
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
             176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
CHIN, NOSE_TIP = 152, 1

MIN_IOD_PX = 24.0  #: a face whose eyes are closer than this (in pixels) is too small to animate legibly
RING_SCALE = 1.35  #: the fixed ring around a face: its distance from the face centre, relative to the face oval's
RING_POINTS = 40


@dataclass(frozen=True)
class FaceFrame:
    """Face-centred coordinates: ``to_face`` maps image pixels into it, ``vectors_to_image`` maps displacements
    back (rotation and scale only)."""

    origin: np.ndarray  #: (2,) px, between the eye centres
    axes: np.ndarray  #: (2, 2) rows: unit x (along the eyes) and unit y (down the face), in image px
    iod: float  #: inter-ocular distance in px

    @classmethod
    def of(cls, landmarks: np.ndarray) -> "FaceFrame":
        lm = landmarks[:, :2]
        right = lm[list(RIGHT_EYE_CORNERS)].mean(0)
        left = lm[list(LEFT_EYE_CORNERS)].mean(0)
        v = left - right
        iod = float(np.hypot(*v))
        ex = v / max(iod, 1e-9)
        ey = np.array([-ex[1], ex[0]])  # 90 degrees clockwise in image coordinates (y down): down the face
        return cls((right + left) / 2, np.stack([ex, ey]), iod)

    def to_face(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points)[..., :2] - self.origin) @ self.axes.T / self.iod

    def vectors_to_image(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray(vectors) @ self.axes * self.iod


@dataclass(frozen=True)
class Portrait:
    """A portrait with its fitted mesh: the still every frame is warped from."""

    pixels: np.ndarray = field(repr=False)  #: uint8 (H, W, 3)
    landmarks: np.ndarray = field(repr=False)  #: (478, 2) px
    frame: FaceFrame
    faces: int = 1  #: faces the mesh found (the largest is animated)
    source: str = "astronaut"
    #: (x, y, width, height) of the photo, in its own pixels, that ``pixels`` show: set when a face too small to
    #: animate in the photo scaled down whole was animated in a crop around it instead
    crop: tuple[int, int, int, int] | None = None
    maybe_upside_down: bool = False  #: the face may be upside down (`upside_down_verdict`: "note")

    @property
    def face_points(self) -> np.ndarray:
        """The mesh in face units (478, 2)."""
        return self.frame.to_face(self.landmarks)


def default_portrait() -> np.ndarray:
    """``skimage.data.astronaut()``: Eileen Collins, NASA, public domain (ships with scikit-image)."""
    from skimage import data

    return data.astronaut()


def mesh_area(mesh: np.ndarray) -> float:
    """The area of a face mesh's bounding box, in pixels (how the animator picks the face it animates)."""
    return float(np.ptp(mesh[:, 0]) * np.ptp(mesh[:, 1]))


def largest_face(faces):
    """The largest of ``faces`` (`conditioning.faces.Face`) that has a mesh, by its mesh's box, or None."""
    meshed = [f for f in faces if f.landmarks is not None]
    return max(meshed, key=lambda f: mesh_area(f.landmarks[:, :2])) if meshed else None


def largest_mesh(faces) -> "np.ndarray | None":
    """The (478, 2) mesh of the largest of ``faces`` (`conditioning.faces.Face`) that has one, or None."""
    face = largest_face(faces)
    return None if face is None else face.landmarks[:, :2]


#: The detector's score for a face with the photo turned 180 degrees (`FaceFinder.orientation`) from which a face
#: not found upright on the whole photo (under `WEAK_DETECTION`) is refused as upside down, where it also scores
#: `UPSIDE_DOWN_MARGIN` more turned than upright; and from which the take notes that it may be, where it scores
#: more turned than upright. Set on OASIS's and FER2013's faces and an audit's pictures: an upright boy cut by the
#: edge of OASIS's School_2 scores 0.78 turned and 0.76 upright, OASIS's Miserable_face_2 turned 0.79 and 0.72
UPSIDE_DOWN, UPSIDE_DOWN_MARGIN, MAYBE_UPSIDE_DOWN = 0.7, 0.05, 0.5
#: How much darker than its cheeks (grey levels, 0-255) the mesh fitted on the photo turned 180 degrees finds its
#: eyes than the mesh fitted on the photo as it stands (`eye_shading`), from which a face is refused as upside down
#: where the detector also scores it more turned than upright, and noted as maybe upside down otherwise. Why a
#: second signal: the detector alone let faces it found upright on the whole photo through (OASIS's Neutral_face_5
#: turned 180: 0.92 turned, 0.87 upright on the crop, 0.76 on the whole photo, animated with its mouth on the
#: forehead: an audit), and the mesh fits an upright face to an inverted one, its eyes then on the mouth and chin,
#: which are not darker than the cheeks as eyes, lashes and their sockets are (Neutral_face_5 turned: 27).
#: In-sample figures, chosen on the very pictures `python bench/face_upside_down.py --sweep` measures (OASIS person
#: photos, FER2013 faces; no held-out set): no upright face there had the detector scoring it more turned and the
#: eyes 10 or more, 3 of 280 FER2013 faces (none of OASIS's) had the eyes 30 or more, 2 had 40.
EYES_TURNED, EYES_MAYBE_TURNED = 20.0, 40.0
#: The eyes' shading is asked only of a mesh whose eye line is within this of level (degrees; the animator's
#: `SIDEWAYS_DEG`): the mesh fits a face on its side as it is, both ways up, and the astronaut turned 90 degrees
#: (eye line 87 degrees from level) scored 72 for turned and was refused where the animator notes a sideways face
EYES_LEVEL_DEG = 45.0


def eye_shading(pixels: np.ndarray, landmarks: np.ndarray) -> float:
    """How much darker than its cheeks (mean grey level, 0-255) a fitted mesh's eyes are in ``pixels``: eyes, lashes
    and their sockets are darker than the cheeks below them on an upright face; the mesh fitted upright to an
    inverted face puts its eyes on the mouth and chin, which are not (`MeshFitter.orientation`)."""
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(pixels[:, :, :3]), cv2.COLOR_RGB2GRAY)
    h, w = grey.shape
    lm = np.asarray(landmarks)[:, :2]
    eyes = np.zeros((h, w), np.uint8)
    for upper, lower in ((RIGHT_EYE_UPPER, RIGHT_EYE_LOWER), (LEFT_EYE_UPPER, LEFT_EYE_LOWER)):
        cv2.fillPoly(eyes, [np.round(lm[list(upper + lower[::-1])]).astype(np.int32)], 1)
    cheeks = np.round(lm[list(CHEEKS)]).astype(int)
    inside = (cheeks[:, 0] >= 0) & (cheeks[:, 0] < w) & (cheeks[:, 1] >= 0) & (cheeks[:, 1] < h)
    if not eyes.any() or not inside.any():
        return 0.0
    return float(grey[cheeks[inside, 1], cheeks[inside, 0]].mean() - grey[eyes > 0].mean())


def upside_down_verdict(whole: float, upright: float, inverted: float, eyes_turned: float) -> str | None:
    """"refuse", "note" or None, from `MeshFitter.orientation`'s figures (the animator's rule, and the bench's)."""
    from conditioning.faces import WEAK_DETECTION

    unfound = whole < WEAK_DETECTION  # (not found upright on the whole photo)
    if (unfound and inverted >= UPSIDE_DOWN and inverted - upright >= UPSIDE_DOWN_MARGIN
            or eyes_turned >= EYES_TURNED and inverted > upright):
        return "refuse"
    if unfound and inverted >= MAYBE_UPSIDE_DOWN and inverted > upright or eyes_turned >= EYES_MAYBE_TURNED:
        return "note"
    return None


class MeshFitter:
    """The portrait's face mesh, found the way the face judges find faces (`conditioning.faces.FaceFinder`):
    the mesh on the whole picture, then, for a face that fills little of it (a half-body photo: the astronaut's
    face at 10 % of a 4000 px picture's width was "no face found" with the mesh alone), the full-range detector
    and the mesh again on a crop around the face."""

    def __init__(self, max_faces: int = 4):
        from conditioning.faces import FaceFinder

        self.finder = FaceFinder(max_faces=max_faces)

    def orientation(self, rgb: np.ndarray, face) -> tuple[float, float, float, float]:
        """``(whole, upright, inverted, eyes_turned)``: the detector's scores (`FaceFinder.orientation`) and how much
        darker than its cheeks the mesh fitted on the picture turned 180 degrees finds the face's eyes than the
        ``face``'s own mesh does (`eye_shading`; 0 where the turned picture's mesh finds no face there, or the face's
        eye line is off level by more than `EYES_LEVEL_DEG`). Why both: the
        detector let an inverted face it found upright on the whole photo through (`EYES_TURNED`)."""
        from conditioning.faces import _iou

        whole, upright, inverted = self.finder.orientation(rgb, face)
        h, w = rgb.shape[:2]
        lm = face.landmarks[:, :2]
        ex = FaceFrame.of(lm).axes[0]
        if abs(np.degrees(np.arctan2(ex[1], ex[0]))) > EYES_LEVEL_DEG:
            return whole, upright, inverted, 0.0
        box = np.array([*lm.min(0), *np.ptp(lm, 0)])
        best, eyes_turned = 0.3, 0.0  # (the same face: its box overlaps the face's by more than this)
        for other in self.finder.find(np.ascontiguousarray(rgb[::-1, ::-1])):
            if other.landmarks is None:
                continue
            back = np.array([w, h]) - other.landmarks[:, :2]  # the turned picture's mesh, in this picture's pixels
            overlap = _iou(box, np.array([*back.min(0), *np.ptp(back, 0)]))
            if overlap > best:
                best, eyes_turned = overlap, eye_shading(rgb, back) - eye_shading(rgb, lm)
        return whole, upright, inverted, eyes_turned

    def fit(self, pixels: np.ndarray, what: str = "the portrait", source: str = "portrait", *,
            size: tuple[int, int] | None = None, min_iod: float = MIN_IOD_PX) -> Portrait:
        """The largest face's mesh, or a `GenerationError` that says what is wrong with the image (``size``: the
        picture's own width and height, for the message, where ``pixels`` are a copy trimmed to even sides)."""
        rgb = np.ascontiguousarray(np.asarray(pixels, dtype=np.uint8)[:, :, :3])
        h, w = rgb.shape[:2]
        if min(h, w) < 128:
            w, h = size or (w, h)
            raise GenerationError(f"{what} is {w}x{h} px: too small to animate; give at least 128x128 px "
                                  f"with the face at least {MIN_IOD_PX:.0f} px between the eyes")
        faces = self.finder.find(rgb)
        face = largest_face(faces)
        if face is None:
            found = "a face was found but its mesh could not be fitted" if faces else "no face found"
            raise GenerationError(f"{found} in {what}; give a photo with one clear, frontal face "
                                  "(eyes and mouth visible)")
        lm = face.landmarks[:, :2]
        verdict = upside_down_verdict(*self.orientation(rgb, face))
        if verdict == "refuse":  # animated as it stood, its mouth was drawn on the forehead (an audit); a photo
            # turned 90 degrees is refused too, and was told it was upside down, "found upright only with the picture
            # turned 180 degrees" (wrong advice for it: an audit)
            raise GenerationError(f"the face in {what} is not upright (upside down or on its side: it is found "
                                  "upright rather with the picture turned): turn the photo so the face is upright")
        frame = FaceFrame.of(lm)
        if frame.iod < min_iod:
            raise GenerationError(f"the face in {what} is too small ({frame.iod:.0f} px between the eyes; at least "
                                  f"{MIN_IOD_PX:.0f} needed): crop closer or give a larger image")
        return Portrait(rgb, lm, frame, len(faces), source,
                        maybe_upside_down=verdict == "note")


def oval_ring(face_points: np.ndarray) -> np.ndarray:
    """(RING_POINTS, 2) fixed points around a face, in face units: an ellipse about the face oval's centre with
    the oval's largest extents along the eyes and down the face, times `RING_SCALE`. Warps pin it, so the
    displacement fades to zero between the face's edge and the ring (the renderer and the shading's builder)."""
    oval = np.asarray(face_points)[list(FACE_OVAL), :2]
    c = oval.mean(0)
    rx, ry = np.abs(oval - c).max(0) * RING_SCALE
    a = np.linspace(0, 2 * np.pi, RING_POINTS, endpoint=False)
    return c + np.stack([rx * np.cos(a), ry * np.sin(a)], 1)


def barycentric(points: np.ndarray, queries: np.ndarray, simplices: bool = False):
    """For each query point: the three ``points`` of its Delaunay triangle and its barycentric weights in [0, 1]
    (a query outside every triangle gets the first triangle with clipped weights): the precomputed maps of a
    piecewise-affine warp, whose every per-frame step is then a weighted sum. ``simplices``: also return the
    triangulation itself, (T, 3) point indices."""
    from scipy.spatial import Delaunay

    tri = Delaunay(points)
    simplex = tri.find_simplex(queries)
    simplex = np.where(simplex < 0, 0, simplex)
    t = tri.transform[simplex]  # (n, 3, 2)
    b = np.einsum("nij,nj->ni", t[:, :2], queries - t[:, 2])
    out = tri.simplices[simplex], np.clip(np.concatenate([b, 1 - b.sum(1, keepdims=True)], 1), 0, 1)
    return (*out, tri.simplices) if simplices else out


def soft_polygon(poly: np.ndarray, box: tuple[int, int, int, int], ss: int = 4) -> np.ndarray:
    """A polygon's coverage of each pixel of ``box`` (x0, y0, x1, y1), float32 in [0, 1]: filled at ``ss``
    times the resolution and averaged down, so an edge through a pixel covers it partly (the drawn mouth
    interior and eyeballs meet the warped lips and lids without a jagged rim)."""
    import cv2

    x0, y0, x1, y1 = box
    mask = np.zeros(((y1 - y0) * ss, (x1 - x0) * ss), np.uint8)
    cv2.fillPoly(mask, [((np.asarray(poly) - (x0, y0)) * ss).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    return cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def mouth_line(points: np.ndarray) -> np.ndarray:
    """(n, 2) points of the line between the lips, left to right: the inner corner 78, the midpoints of the
    inner-lip pairs, the inner corner 308 (any 2-D frame: image pixels or face units)."""
    p = np.asarray(points)[:, :2]
    pts = [p[78]] + [(p[u] + p[lo]) / 2 for u, lo in zip(LIPS_UPPER_INNER[1:-1], LIPS_LOWER_INNER)] + [p[308]]
    return np.array(sorted(pts, key=lambda q: q[0]))


@functools.lru_cache(maxsize=1)
def mesh_edges() -> np.ndarray:
    """(E, 2) point pairs of MediaPipe's face tessellation (a constant of the mesh model, read once); the mouth
    and eyes are holes in it, so the lips can part without dragging each other."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    return np.array(sorted(FACEMESH_TESSELATION), dtype=np.int64)
