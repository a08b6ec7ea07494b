"""Music critics: measure the emotion (EMOPIA quadrants, valence, arousal) of audio or rendered MIDI.

- `embedded`: descriptors of perceived musical emotion + a small ONNX classifier (no torch).
- `clap`: zero-shot CLAP (transformers, local weights only; the `neural` extra).

The helpers below are shared by both backends (DESIGN.md: shared helpers live in the modality's package,
never in a sibling backend). Light imports only.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import label_set

QUADRANTS = label_set("emopia").labels  #: Russell quadrants: Q1 +V+A, Q2 -V+A, Q3 -V-A, Q4 +V-A
MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".rmi")  #: (.rmi: a MIDI file wrapped as RIFF, `conditioning.render.read_smf`)
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"


def load_music(media: Any, soundfont: str | None = None):
    """Mono `Audio` from an `Audio`, an audio or MIDI file path, or a pretty_midi.PrettyMIDI.

    MIDI is rendered with the project's renderer (`conditioning.render`, loudness-normalised).
    """
    from conditioning.media import Audio, MediaError, load_audio
    from conditioning.render import render_midi

    if isinstance(media, Audio):
        return media.mono()
    if is_midi(media):
        return render_midi(media, soundfont=soundfont)
    if isinstance(media, (str, os.PathLike)):
        return load_audio(media, mono=True)
    raise MediaError(
        f"the music critic takes Audio, an audio/MIDI file path or a PrettyMIDI, got {type(media).__name__}"
    )


def is_midi(media: Any) -> bool:
    """A MIDI file path or a pretty_midi.PrettyMIDI (what `load_music` renders)."""
    if isinstance(media, (str, os.PathLike)):
        return Path(media).suffix.lower() in MIDI_SUFFIXES
    return type(media).__name__ == "PrettyMIDI"


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


@functools.lru_cache(maxsize=1)
def quadrant_reach() -> tuple[float, float]:
    """How far from the centre a quadrant judge's readings can go: (s_v, s_a) of `quadrant_vad`, about (0.74,
    0.45). A certain Q4 reads arousal -0.45, so calm's -0.72 is beyond what any music judge can report: a
    sadness -> calm session was noted as moving 'under half the planned -0.50' however calm it became
    (`studio.studio.readable`, `studio.session.movement_warnings`)."""
    ls = label_set("emopia")
    s_v, s_a = np.abs(np.array([ls.point(q) for q in QUADRANTS])[:, :2]).mean(axis=0)
    return float(s_v), float(s_a)


class QuadrantCritic:
    """What both music judges share: a quadrant classifier in ONNX, loaded once (thread-safe) with the JSON
    sidecar that names the features it was trained on, so weights and feature code cannot drift apart.

    Subclasses set `name`, `WEIGHTS` (file name under critics/weights), `TRAIN_COMMAND` and `FEATURES` (the
    feature module's dotted path: it defines FEATURE_VERSION and feature_names()), and call `_init_model()`."""

    modality = "music"
    name = ""
    WEIGHTS = ""
    TRAIN_COMMAND = ""
    FEATURES = ""

    @property
    def reach(self) -> tuple[float, float]:
        """The largest |valence| and |arousal| this judge can read (`quadrant_reach`; `studio.studio.readable`)."""
        return quadrant_reach()

    def _init_model(self) -> None:
        import threading

        self._session = None
        self._meta: dict | None = None
        self._lock = threading.Lock()

    @property
    def weights_path(self) -> Path:
        return Path(self.config.weights) if self.config.weights else WEIGHTS_DIR / self.WEIGHTS

    def _load(self):
        import importlib
        import json

        from conditioning.registry import BackendUnavailable
        from critics.base import onnx_session

        with self._lock:
            if self._session is not None:
                return self._session, self._meta
            features = importlib.import_module(self.FEATURES)
            path = self.weights_path
            sidecar = path.with_suffix(".json")
            key = f"music/{self.name}"
            if not path.is_file() or not sidecar.is_file():
                raise BackendUnavailable(f"{key} weights not found ({path} and {sidecar.name}); produce them with "
                                         f"`{self.TRAIN_COMMAND}`")
            meta = json.loads(sidecar.read_text())
            if meta.get("feature_version") != features.FEATURE_VERSION or meta.get("feature_names") != features.feature_names():
                raise BackendUnavailable(f"{path.name} was trained on other {key} features (version "
                                         f"{meta.get('feature_version')}, code has {features.FEATURE_VERSION}); retrain "
                                         f"with `{self.TRAIN_COMMAND}`")
            self._session = onnx_session(path, self.config.threads)
            self._meta = meta
            return self._session, meta

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Quadrant probabilities (n, 4) for descriptor vectors (n, d) (the calibrated output where the JSON
        names one)."""
        session, meta = self._load()
        x = np.atleast_2d(np.asarray(features, dtype=np.float32))
        out = session.run([meta.get("output_probabilities", "probabilities")], {meta.get("input", "features"): x})[0]
        p = np.clip(np.asarray(out, dtype=np.float64), 0.0, None)
        return p / p.sum(axis=1, keepdims=True)


__all__ = ["MIDI_SUFFIXES", "QUADRANTS", "WEIGHTS_DIR", "QuadrantCritic", "is_midi", "load_music", "quadrant_reach",
           "quadrant_vad"]
