"""Image critics: the emotion an image evokes (valence, arousal), from colour, form and composition."""
from __future__ import annotations

from typing import Any

MIN_SIDE = 16  #: pixels: below this an image has no composition or texture to read, only a colour or two
#: The longest side over the shortest an image judge reads: image/embedded works at 256 px on the longest side, and a
#: strip of 30000x20 px came down to one pixel high, where its texture measure failed with the library's own error
#: ("must be a 2-or-3-or-4-or-5-dimensional array"); a panorama is 10:1 at most
MAX_ASPECT = 64


def still(media: Any, judge: str):
    """The `Image` an image critic reads: an image, an (H, W[, 3]) array, a picture or video file, or a video's
    middle frame. Anything else is a `MediaError` (what it takes, as the other modalities' critics say), and
    an image smaller than `MIN_SIDE` on a side a `CriticError` (a 1x1 "image" would be read as a confident
    mood)."""
    import os

    import numpy as np

    from conditioning.media import Image, MediaError, Video, load_still
    from critics.base import CriticError

    if isinstance(media, (str, os.PathLike)):
        media = load_still(media)  # (a video's middle frame sought, not every frame decoded)
    elif isinstance(media, np.ndarray) and media.ndim in (2, 3):
        media = Image(media)
    if isinstance(media, Video):
        n = len(media.frames)
        media = Image(media.frames[n // 2], frame_of=(n // 2, n) if n > 1 else None)
    if not isinstance(media, Image):
        raise MediaError(f"{judge} takes an Image, a Video, an (H, W[, 3]) array or a picture or video path, "
                         f"got {type(media).__name__}")
    if min(media.pixels.shape[:2]) < MIN_SIDE:
        raise CriticError(f"{judge}: an image of {media.size[0]}x{media.size[1]} px is too small to judge; "
                          f"give at least {MIN_SIDE}x{MIN_SIDE}")
    if max(media.size) > MAX_ASPECT * min(media.size):
        raise CriticError(f"{judge}: an image of {media.size[0]}x{media.size[1]} px is a strip, "
                          f"{max(media.size) / min(media.size):.0f} times as long as it is wide; the image judges read "
                          f"pictures up to {MAX_ASPECT}:1: crop it")
    return media


__all__ = ["MAX_ASPECT", "MIN_SIDE", "still"]
