"""Face critics: facial expression -> emotion.

- `classifier` (`critics.face.classifier.FaceExpressionCritic`): a small CNN trained on FER2013, run with
  onnxruntime on a face found, levelled and cropped with MediaPipe.
- `geometric` (`critics.face.geometric.GeometricFaceCritic`): action-unit intensities measured on the
  478-point MediaPipe face mesh, mapped to emotions by EMFACS rules; an independent judge with no training.

Both take an `Image`, a `Video` (per-frame series + mean), an RGB/grey array or an image file path.
Shared code: finding faces in `conditioning.faces` (the face animator uses it too), alignment in
`critics.face.landmarks`, media coercion here.
Nothing heavy is imported at package import.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from conditioning import label_set

FER_CLASSES = label_set("fer2013").labels

#: (the CLI's flag and the web's checkbox for crops are both called "aligned", so the advice names neither interface)
#: The size: `FaceFinder` found the astronaut's face wherever it was put when 3 % of the picture's width or more,
#: in 4000, 1920 and 1000 px wide pictures, and only by chance when smaller (critics/cards/face-classifier.md).
NO_FACE = ("no face found in {what}; give a photo with a visible frontal face (one narrower than about 3 % of the "
           "picture can be missed: crop closer), or mark a tight face crop as already cropped (aligned), which the "
           "classifier judge reads whole")


def as_frames(media: Any) -> tuple[list[np.ndarray], float | None, str]:
    """Media -> (frames as arrays, fps or None for a still, a short description for messages).

    Accepts `Image`, `Video`, a numpy array (H, W), (H, W, 3) or (T, H, W, 3) with ``fps`` unknown (a 4-D
    array is treated as frames at 25 fps), or an image file path.
    """
    from conditioning.media import Image, MediaError, Video

    if isinstance(media, Video):
        return list(media.frames), float(media.fps), f"video ({media.frames.shape[0]} frames)"
    if isinstance(media, Image):
        return [media.pixels], None, f"image {media.size[0]}x{media.size[1]}"
    if isinstance(media, (str, Path)):
        from conditioning.media import load_visual

        loaded = load_visual(media)
        if isinstance(loaded, Video):
            return list(loaded.frames), float(loaded.fps), f"{Path(media).name} ({loaded.frames.shape[0]} frames)"
        return [loaded.pixels], None, f"{Path(media).name}"
    if isinstance(media, np.ndarray):
        if media.ndim == 4:
            return list(media), 25.0, f"array of {media.shape[0]} frames"
        if media.ndim in (2, 3):
            return [media], None, f"image {media.shape[1]}x{media.shape[0]}"
        raise MediaError(f"a face image must be (H, W), (H, W, 3) or frames (T, H, W, 3), got {media.shape}")
    raise MediaError(f"the face critics take an Image, a Video, an array or a picture or video path, "
                     f"got {type(media).__name__}")


def scan_frames(frames: list[np.ndarray], every: int, what: str, measure) -> tuple[list[tuple[int, Any]], dict]:
    """The video loop both face critics share: ``measure(frame, description) -> (value, faces found)`` on every
    k-th frame. A frame without a face is counted, not fatal (a head turns away for a moment); a video with no
    face at all is a `CriticError`. Returns ``[(frame index, value)]`` and the details every video reading
    carries (frames scored and missed, the stride, and a note when some frame had several faces)."""
    from critics.base import CriticError

    out, faces_max, missed = [], 0, 0
    for i in range(0, len(frames), max(1, int(every))):  # every k-th frame, the first always
        try:
            value, faces = measure(frames[i], f"frame {i} of the {what}")
        except CriticError:
            missed += 1
            continue
        faces_max = max(faces_max, faces)
        out.append((i, value))
    if not out:
        raise CriticError(NO_FACE.format(what=f"any frame of the {what}"))
    details: dict[str, Any] = {"frames_scored": len(out), "frames_without_face": missed, "every": every}
    if faces_max > 1:
        details.update(faces=faces_max, note=f"scored the largest of {faces_max} faces")
    return out, details
