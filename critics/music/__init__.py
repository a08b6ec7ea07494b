"""Music critics: measure the emotion (EMOPIA quadrants, valence, arousal) of audio or rendered MIDI.

- `embedded`: descriptors of perceived musical emotion + a small ONNX classifier (no torch).
- `clap`: zero-shot CLAP (transformers, local weights only; the `neural` extra).

The helpers below are shared by both backends (DESIGN.md: shared helpers live in the modality's package,
never in a sibling backend). Light imports only.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import label_set

QUADRANTS = label_set("emopia").labels  #: Russell quadrants: Q1 +V+A, Q2 -V+A, Q3 -V-A, Q4 +V-A
MIDI_SUFFIXES = (".mid", ".midi", ".kar")


def load_music(media: Any, soundfont: str | None = None):
    """Mono `Audio` from an `Audio`, an audio or MIDI file path, or a pretty_midi.PrettyMIDI.

    MIDI is rendered with the project's renderer (`conditioning.render`, loudness-normalised).
    """
    from conditioning.media import Audio, load_audio
    from conditioning.render import render_midi
    from critics.base import CriticError

    if isinstance(media, Audio):
        return media.mono()
    if isinstance(media, (str, os.PathLike)):
        if Path(media).suffix.lower() in MIDI_SUFFIXES:
            return render_midi(media, soundfont=soundfont)
        return load_audio(media, mono=True)
    if type(media).__name__ == "PrettyMIDI":
        return render_midi(media, soundfont=soundfont)
    raise CriticError(
        f"the music critic takes Audio, an audio/MIDI file path or a PrettyMIDI, got {type(media).__name__}"
    )


def quadrant_vad(p) -> tuple[float, float, float]:
    """Valence, arousal, dominance from quadrant probabilities (Q1..Q4 order).

    V = s_v (P(Q1) + P(Q4) - P(Q2) - P(Q3)), A = s_a (P(Q1) + P(Q2) - P(Q3) - P(Q4)): their signs agree
    with the classifier's (V > 0 exactly when P(positive valence) > 0.5). s_v and s_a are the mean absolute
    coordinates of the quadrants' points in the shared space, so a certain Q1 lands where the label set
    puts a typical Q1. Dominance is the expected point's (the quadrants say nothing direct about it).
    """
    from conditioning import label_set

    p = np.asarray(p, dtype=np.float64)
    ls = label_set("emopia")
    points = np.array([ls.point(q) for q in QUADRANTS])
    s_v, s_a = np.abs(points[:, :2]).mean(axis=0)
    d = ls.to_emotion(dict(zip(QUADRANTS, map(float, p)))).vad[2]
    return float(s_v * (p[0] + p[3] - p[1] - p[2])), float(s_a * (p[0] + p[1] - p[2] - p[3])), float(d)


__all__ = ["MIDI_SUFFIXES", "QUADRANTS", "load_music", "quadrant_vad"]
