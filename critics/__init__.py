"""Critics: recognisers that measure the emotion of media (speech, music, faces, images, text).

Nothing heavy is imported here; see `critics.registry` for the lazy registry and `critics/cards/` for how
each shipped model was trained and validated.
"""
from .base import Critic, CriticError, Reading, TimedReading

__all__ = ["Critic", "CriticError", "Reading", "TimedReading"]
