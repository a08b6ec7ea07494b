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

Without a reference, population statistics are used, and every clip is read at -30 dBFS (`LEVELS`): the
file's gain is then an accident of the file, and level features read at the recorded level turned the same
actor's neutral take calm and an angry one fearful 24 dB down. With a reference the level relative to the same
voice is information, so the referenced heads read the recorded level. The card (critics/cards/speech-embedded.md) reports
validation figures for all three conditions; they differ a lot, and the population one is what a voice
the critic knows nothing about gets.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from conditioning.media import MediaError, as_audio
from conditioning.registry import BackendUnavailable, configure
from critics.base import CriticError, Reading, TimedReading
from critics.speech import RAVDESS_LABELS
from critics.speech.heads import MIN_MIXED_REFERENCE, WEIGHTS_DIR, SpeechHeadsCritic  # noqa: F401  (re-exported)

TRAIN_COMMAND = "python -m critics.training.speech --data ../shared/data --out critics/weights"


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


#: The input level each set of heads reads (`critics.speech.features.set_level`); the heads' JSON records it.
LEVELS = {"population": "fixed", "speaker": "recorded", "speaker_z": "recorded"}


class EmbeddedSpeechCritic(SpeechHeadsCritic):
    """Speech emotion (RAVDESS-8 + VAD) from acoustic functionals and a small ONNX model."""

    name = "embedded"
    WEIGHTS = "speech_embedded.onnx"
    TRAIN_COMMAND = TRAIN_COMMAND

    def __init__(self, config: EmbeddedSpeechConfig | None = None, **overrides: Any) -> None:
        self.config = configure(EmbeddedSpeechConfig, config, overrides, "speech/embedded")
        _require_praat()  # said now, so the loop leaves this judge out instead of failing at the first take
        self._init_heads()

    def feature_names(self) -> list[str]:
        from critics.speech.features import feature_names

        return feature_names()

    def feature_settings(self) -> dict[str, Any]:
        from critics.speech.features import SPECTRAL_FMAX

        # the band of the spectral-shape features (flatness, flux), and the input level per condition
        return {"spectral_fmax_hz": SPECTRAL_FMAX, "levels": LEVELS}

    def vector(self, y: np.ndarray, which: str = "population") -> np.ndarray:
        from critics.speech.features import functionals, set_level

        return functionals(set_level(y, LEVELS[which]))

    # ----------------------------------------------------------------------------- scoring

    def score(self, media: Any, speaker_reference: Sequence[Any] | None = None,
              reference_kind: str | None = None) -> Reading:
        """Read the emotion of speech: `Audio` (any rate, mono or stereo), an audio file, or (samples, rate).

        ``speaker_reference`` (and ``reference_kind``, "neutral" or "mixed") override the configured reference
        for this call (per-request, so one critic can serve many voices at once).
        """
        from critics.speech.features import (SAMPLE_RATE, FeatureError, feature_names, functionals_dict, prepare,
                                             set_level, utterances)

        _require_praat()
        audio = as_audio(media, "the speech critic")
        if audio.samples.size == 0:
            raise MediaError("the audio has no samples; the speech critic needs at least 0.25 s of speech")
        ref, kind = self.reference_for(speaker_reference, reference_kind)
        try:
            recorded, source_s = prepare(audio.samples, audio.rate, return_times=True)
            level = LEVELS[self.condition(ref, kind)]
            y = set_level(recorded, level)
            feats = functionals_dict(y)
        except FeatureError as exc:
            raise CriticError(f"speech/embedded cannot judge this audio: {exc}") from None
        gain_db = 10 * np.log10(np.mean(np.square(y, dtype=np.float64)) / np.mean(np.square(recorded, dtype=np.float64)))
        names = feature_names()
        whole = np.array([feats[k] for k in names], dtype=np.float32)
        spans = self._windows(len(y))
        rows = [whole]
        for s, e in spans:
            try:
                d = functionals_dict(y[s:e])
                rows.append(np.array([d[k] for k in names], dtype=np.float32))
            except Exception:  # a window of near-silence: skip it in the series
                rows.append(None)
        parts = utterances(y) if len(y) >= 2 * 16000 else []  # several sentences: each read alone, then pooled
        pooled = []
        for s, e in parts if len(parts) > 1 else ():  # (each at the level its heads read, as a clip of its own)
            d = functionals_dict(set_level(recorded[s:e], level))
            pooled.append(np.array([d[k] for k in names], dtype=np.float32))
        batch = np.nan_to_num(np.stack([r for r in rows if r is not None] + pooled), posinf=0.0, neginf=0.0)
        batch, which = self.normalise(batch, ref, kind)
        out = self.predict(batch, which)
        if pooled:  # the whole reading is the utterances' outputs, weighed by their lengths
            w = np.array([e - s for s, e in parts], dtype=np.float64)
            w /= w.sum()
            for k, v in out.items():
                v[0] = (v[-len(pooled):] * w[:, None]).sum(0)
                out[k] = v[:-len(pooled)]
        _, meta = self._load(which)
        p = out["ravdess"][0]
        native = dict(zip(RAVDESS_LABELS, (float(x) for x in p)))
        vad = self.vad(out, 0, meta, which)
        series, j = [], 1
        for (s, e), r in zip(spans, rows[1:]):
            if r is None:
                continue
            v, a, dd = self.vad(out, j, meta, which)
            series.append(TimedReading(round(source_s(0.5 * (s + e) / SAMPLE_RATE), 3), v, a, dd,
                                       RAVDESS_LABELS[int(np.argmax(out["ravdess"][j]))]))
            j += 1
        details = {
            **self.head_details(out, native, meta, which, recorded),
            "speech_s": round(len(y) / SAMPLE_RATE, 3),
            **({"utterances": len(pooled)} if pooled else {}),
            "f0_median_hz": round(27.5 * 2 ** (feats["f0_p50"] / 12), 1) if feats["f0_p50"] > 0 else 0.0,
            "f0_range_st": round(feats["f0_range"], 2),
            "level_dbfs": round(feats["energy_mean"] - gain_db, 1),  # as recorded, whatever the heads read
            "voiced_segments_per_s": round(feats["voiced_segments_per_s"], 2),
            "hnr_db": round(feats["hnr_mean"], 2),
            "alpha_ratio_db": round(feats["alpha_v_mean"], 2),
        }
        return Reading.from_native(f"speech/{self.name}", native, "ravdess", vad=vad, series=tuple(series),
                                   details=details)

    def reference_features(self, reference, kind=None):
        _require_praat()
        return super().reference_features(reference, kind)

    def _windows(self, n: int) -> list[tuple[int, int]]:
        from critics.speech.features import SAMPLE_RATE

        cfg = self.config
        if n < cfg.series_min_s * SAMPLE_RATE or cfg.window_s <= 0:
            return []
        win, hop = int(cfg.window_s * SAMPLE_RATE), max(1, int(cfg.hop_s * SAMPLE_RATE))
        return [(s, min(n, s + win)) for s in range(0, max(1, n - win + 1), hop)]


__all__ = ["EmbeddedSpeechConfig", "EmbeddedSpeechCritic", "MIN_MIXED_REFERENCE", "RAVDESS_LABELS", "WEIGHTS_DIR"]
