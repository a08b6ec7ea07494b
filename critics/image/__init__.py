"""Image critics: the emotion an image evokes (valence, arousal), from colour, form and composition."""
from __future__ import annotations

from typing import Any

MIN_SIDE = 16  #: pixels: below this an image has no composition or texture to read, only a colour or two


def still(media: Any, judge: str):
    """The `Image` an image critic reads: an image, or a video's middle frame; a `CriticError` for anything
    else and for images smaller than `MIN_SIDE` on a side (a 1x1 "image" would be read as a confident mood)."""
    from conditioning.media import Image, Video
    from critics.base import CriticError

    if isinstance(media, Video):
        media = Image(media.frames[len(media.frames) // 2])
    if not isinstance(media, Image):
        raise CriticError(f"{judge} takes an image, got {type(media).__name__}")
    if min(media.pixels.shape[:2]) < MIN_SIDE:
        raise CriticError(f"{judge}: an image of {media.size[0]}x{media.size[1]} px is too small to judge; "
                          f"give at least {MIN_SIDE}x{MIN_SIDE}")
    return media


__all__ = ["MIN_SIDE", "still"]
