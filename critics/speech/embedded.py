"""Embedded speech emotion critic: eGeMAPS-like acoustic features + a small ONNX model (no torch).

Why this design: the studio scores every take it generates, on CPU, offline, so the critic must be fast
(far above real time on one core) and ship with small weights its own script reproduces
(`python -m critics.training.speech`). Utterance-level functionals of pitch, energy, rate, voice quality
and spectral tilt (Eyben et al. 2016, eGeMAPS; see `critics.speech.features`) carry most of what acted
speech corpora reward in speaker-independent tests, at a fraction of a neural encoder's cost.

What it returns: `native` over the RAVDESS-8 labels, its translation into the shared vocabulary (`mix`),
valence/arousal/dominance (from the regression head or the expected label point, whichever validated
better: recorded in the weights' JSON), the EmoDB-7 head's distribution in ``details["emodb"]`` and a few
readable measurements (median F0, level, voiced segments per second...). Audio longer than
`series_min_s` also gets a time series (one reading per window).

Speaker normalisation: how a voice sounds at rest (its pitch, level, timbre) is the largest nuisance in
speaker-independent emotion recognition. Give ``speaker_reference`` (a list of `Audio` or file paths from
the same voice) and the critic measures the input relative to it, with a model trained that way:

- ``speaker_reference_kind="neutral"`` (default): the reference is neutral speech of the voice (one take is
  enough); features are shifted by its mean.
- ``speaker_reference_kind="mixed"``: the reference is many varied clips of the voice (at least
  `MIN_MIXED_REFERENCE`, e.g. the whole batch of takes being scored); features are z-normalised by its
  mean and standard deviation, the protocol of most published RAVDESS/EmoDB figures.

Without a reference, population statistics are used. The card (critics/cards/speech-embedded.md) reports
validation figures for all three conditions; they differ a lot, and the population one is what a voice
the critic knows nothing about gets.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from conditioning.media import Audio, MediaError, as_audio
from conditioning.registry import BackendUnavailable, configure
from critics.base import CriticError, Reading, TimedReading, onnx_session
from critics.speech import RAVDESS_LABELS

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
TRAIN_COMMAND = "python -m critics.training.speech --data ../shared/data --out critics/weights"
MIN_MIXED_REFERENCE = 8  #: clips needed for a per-speaker standard deviation worth dividing by


@dataclass(frozen=True)
class EmbeddedSpeechConfig:
    """Settings of the embedded speech critic.

    - `weights`: the population-model ONNX file (its JSON sidecar beside it names the speaker model);
      None = the shipped ``critics/weights/speech_embedded.onnx``.
    - `speaker_reference`: recordings of the same voice (`Audio` or paths); when given, features are
      measured relative to them and the matching speaker-normalised model is used.
    - `speaker_reference_kind`: "neutral" (neutral take(s): mean shift) or "mixed" (>= 8 varied clips:
      z-normalisation); see the module docstring.
    - `window_s`/`hop_s`/`series_min_s`: the time series for audio longer than `series_min_s`.
    - `vad_source`: "auto" (per dimension, what validated best: recorded in the JSON), "head" (regression
      head), "expectation" (expected point of the RAVDESS distribution in the shared space) or "blend"
      (their mean).
    """

    weights: str | os.PathLike | None = None
    speaker_reference: Sequence[Any] | None = None
    speaker_reference_kind: str = "neutral"
    window_s: float = 3.0
    hop_s: float = 1.5
    series_min_s: float = 6.0
    vad_source: str = "auto"
    threads: int = 1


def _require_praat() -> None:
    """Pitch, jitter and shimmer come from Praat (parselmouth, GPL-3): it lives in the `speech` extra."""
    try:
        import parselmouth  # noqa: F401
    except ImportError:
        raise BackendUnavailable("speech/embedded needs the Python package 'praat-parselmouth' (Praat pitch and "
                                 "voice quality): pip install 'emotion-studio[speech]'") from None




class EmbeddedSpeechCritic:
    """Speech emotion (RAVDESS-8 + VAD) from acoustic functionals and a small ONNX model."""

    modality = "speech"
    name = "embedded"

    def __init__(self, config: EmbeddedSpeechConfig | None = None, **overrides: Any) -> None:
        self.config = configure(EmbeddedSpeechConfig, config, overrides, "speech/embedded")
        if self.config.vad_source not in ("auto", "head", "expectation", "blend"):
            raise ValueError(f"vad_source must be 'auto', 'head', 'expectation' or 'blend', got {self.config.vad_source!r}")
        if self.config.speaker_reference_kind not in ("neutral", "mixed"):
            raise ValueError("speaker_reference_kind must be 'neutral' (a neutral take of the voice) or 'mixed' "
                             f"(>= {MIN_MIXED_REFERENCE} varied clips), got {self.config.speaker_reference_kind!r}")
        self._sessions: dict[str, Any] = {}
        self._meta: dict | None = None
        self._lock = threading.Lock()
        self._reference: tuple[np.ndarray, np.ndarray] | None = None
        if self.config.speaker_reference:
            self._reference = self.reference_features(self.config.speaker_reference)

    # ----------------------------------------------------------------------------- model

    @property
    def weights_path(self) -> Path:
        return Path(self.config.weights) if self.config.weights else WEIGHTS_DIR / "speech_embedded.onnx"

    def _load(self, which: str):
        """The ONNX session for "population", "speaker" or "speaker_z", and the JSON metadata (loaded once,
        thread-safe)."""
        with self._lock:
            if which in self._sessions:
                return self._sessions[which], self._meta
            from critics.speech.features import feature_names

            path = self.weights_path
            sidecar = path.with_suffix(".json")
            if not path.is_file() or not sidecar.is_file():
                raise BackendUnavailable(
                    f"speech/embedded weights not found ({path} and {sidecar.name}); produce them with `{TRAIN_COMMAND}`")
            meta = json.loads(sidecar.read_text())
            if meta.get("feature_names") != feature_names():
                raise BackendUnavailable(
                    f"{path.name} was trained on other speech features than this code computes; "
                    f"retrain with `{TRAIN_COMMAND}`")
            model_file = path if which == "population" else path.with_name(meta["models"][which])
            self._sessions[which] = onnx_session(model_file, self.config.threads)
            self._meta = meta
            return self._sessions[which], meta

    def reference_features(self, reference: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) of the functionals of a speaker's reference recordings: the point (and, for a
        "mixed" reference, the spread) the input is measured against."""
        from critics.speech.features import FeatureError, functionals, prepare

        _require_praat()
        if isinstance(reference, (Audio, str, os.PathLike)):
            reference = [reference]
        rows = []
        for i, r in enumerate(reference):
            a = as_audio(r, "the speech critic")
            try:
                rows.append(functionals(prepare(a.samples, a.rate)))
            except FeatureError as exc:
                raise CriticError(f"speaker_reference[{i}]: {exc}") from None
        if not rows:
            raise CriticError("speaker_reference is empty; give at least one recording of the same voice")
        if self.config.speaker_reference_kind == "mixed" and len(rows) < MIN_MIXED_REFERENCE:
            raise CriticError(f"a 'mixed' speaker_reference needs at least {MIN_MIXED_REFERENCE} clips of the voice, "
                              f"got {len(rows)}; give more, or use speaker_reference_kind='neutral' with a neutral take")
        x = np.stack(rows).astype(np.float64)
        return x.mean(0).astype(np.float32), (x.std(0) + 1e-6).astype(np.float32)

    def normalise(self, features: np.ndarray, reference: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, str]:
        """Features measured against a speaker reference (or unchanged), and the model that expects them."""
        if reference is None:
            return features, "population"
        mean, std = reference
        if self.config.speaker_reference_kind == "mixed":
            return (features - mean) / std, "speaker_z"
        return features - mean, "speaker"

    def predict(self, features: np.ndarray, which: str = "population") -> dict[str, np.ndarray]:
        """Model outputs for functionals (n, d): "ravdess" (n, 8), "emodb" (n, 7), "vad" (n, 3).

        ``which`` names the model: "population" (raw features), "speaker" or "speaker_z" (features already
        normalised with `normalise`).
        """
        session, meta = self._load(which)
        x = np.atleast_2d(np.asarray(features, dtype=np.float32))
        names = [o.name for o in session.get_outputs()]
        out = dict(zip(names, session.run(names, {session.get_inputs()[0].name: x})))
        return {k: np.asarray(out[k], dtype=np.float64) for k in ("ravdess", "emodb", "vad")}

    # ----------------------------------------------------------------------------- scoring

    def score(self, media: Any, speaker_reference: Sequence[Any] | None = None) -> Reading:
        """Read the emotion of speech: `Audio` (any rate, mono or stereo), an audio file, or (samples, rate).

        ``speaker_reference`` overrides the configured reference for this call (per-request, so one critic
        can serve many voices at once).
        """
        from critics.speech.features import SAMPLE_RATE, FeatureError, feature_names, functionals_dict, prepare

        _require_praat()
        audio = as_audio(media, "the speech critic")
        if audio.samples.size == 0:
            raise MediaError("the audio has no samples; the speech critic needs at least 0.25 s of speech")
        try:
            y, offset_s = prepare(audio.samples, audio.rate, return_offset=True)
            feats = functionals_dict(y)
        except FeatureError as exc:
            raise CriticError(f"speech/embedded cannot judge this audio: {exc}") from None
        names = feature_names()
        whole = np.array([feats[k] for k in names], dtype=np.float32)
        ref = self.reference_features(speaker_reference) if speaker_reference else self._reference
        spans = self._windows(len(y))
        rows = [whole]
        for s, e in spans:
            try:
                d = functionals_dict(y[s:e])
                rows.append(np.array([d[k] for k in names], dtype=np.float32))
            except Exception:  # a window of near-silence: skip it in the series
                rows.append(None)
        batch = np.nan_to_num(np.stack([r for r in rows if r is not None]), posinf=0.0, neginf=0.0)
        batch, which = self.normalise(batch, ref)
        out = self.predict(batch, which)
        _, meta = self._load(which)
        p = out["ravdess"][0]
        native = dict(zip(RAVDESS_LABELS, (float(x) for x in p)))
        vad = self._vad(out, 0, meta, which)
        series, j = [], 1
        for (s, e), r in zip(spans, rows[1:]):
            if r is None:
                continue
            v, a, dd = self._vad(out, j, meta, which)
            series.append(TimedReading(round(offset_s + 0.5 * (s + e) / SAMPLE_RATE, 3), v, a, dd,
                                       RAVDESS_LABELS[int(np.argmax(out["ravdess"][j]))]))
            j += 1
        details = {
            "normalisation": which,
            "emodb": {k: round(float(x), 4) for k, x in zip(meta["emodb_labels"], out["emodb"][0])},
            "p_high_arousal": float(sum(native[k] for k in ("happy", "angry", "fearful", "surprised", "disgust"))),
            "speech_s": round(len(y) / SAMPLE_RATE, 3),
            "f0_median_hz": round(27.5 * 2 ** (feats["f0_p50"] / 12), 1) if feats["f0_p50"] > 0 else 0.0,
            "f0_range_st": round(feats["f0_range"], 2),
            "level_dbfs": round(feats["energy_mean"], 1),
            "voiced_segments_per_s": round(feats["voiced_segments_per_s"], 2),
            "hnr_db": round(feats["hnr_mean"], 2),
            "alpha_ratio_db": round(feats["alpha_v_mean"], 2),
        }
        return Reading.from_native(f"speech/{self.name}", native, "ravdess", vad=vad, series=tuple(series),
                                   details=details)

    def _vad(self, out: dict[str, np.ndarray], i: int, meta: dict, which: str) -> tuple[float, float, float]:
        """Valence, arousal, dominance from the source that validated best per dimension (or the configured one)."""
        from conditioning import label_set

        dims = ("valence", "arousal", "dominance")
        chosen = meta.get("vad_source", {}).get(which, {}) if self.config.vad_source == "auto" else {}
        expect = np.array(label_set("ravdess").to_emotion(dict(zip(RAVDESS_LABELS, map(float, out["ravdess"][i])))).vad)
        head = np.clip(out["vad"][i], -1, 1)
        values = {"expectation": expect, "head": head, "blend": 0.5 * (expect + head)}
        src = [chosen.get(d, "expectation") if self.config.vad_source == "auto" else self.config.vad_source for d in dims]
        return tuple(float(np.clip(values[s][j], -1, 1)) for j, s in enumerate(src))  # type: ignore[return-value]

    def _windows(self, n: int) -> list[tuple[int, int]]:
        from critics.speech.features import SAMPLE_RATE

        cfg = self.config
        if n < cfg.series_min_s * SAMPLE_RATE or cfg.window_s <= 0:
            return []
        win, hop = int(cfg.window_s * SAMPLE_RATE), max(1, int(cfg.hop_s * SAMPLE_RATE))
        return [(s, min(n, s + win)) for s in range(0, max(1, n - win + 1), hop)]


__all__ = ["EmbeddedSpeechConfig", "EmbeddedSpeechCritic", "RAVDESS_LABELS"]
