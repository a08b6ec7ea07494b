"""The second speech judge, ``speech/encoder``: a pretrained speaker encoder's hidden states + linear heads.

Why a second judge, and why this one: the closed loop must not learn to please one recogniser (DESIGN.md
section 4), so the second judge shares nothing with `speech/embedded` but the labels: no hand-made prosodic
features, no Praat, a different model family. It reads a 40-band mel spectrogram with the first two layers of
the GE2E speaker-verification LSTM (Wan et al. 2018, "Generalized end-to-end loss for speaker verification";
the Resemblyzer weights, trained on LibriSpeech, VoxCeleb 1 and 2: over 8,000 voices). A network trained to
tell 8,000 voices apart has learned, in its middle layer, what a voice does over time (pitch movement,
effort, timbre dynamics); emotion is such a change (speaker embeddings carry emotion: Pappagari et al. 2020,
"x-vectors meet emotions"). The encoder is frozen; only the heads are trained here, on RAVDESS + EmoDB, by
`python -m critics.training.speech_encoder`, which selects them by speaker-grouped cross-validation (figures
in critics/cards/speech-encoder.md). Its middle layer beat the final speaker embedding (trained to ignore
everything but identity) and the first and last layers in those folds.

Pipeline: speech -> mono 16 kHz, silence trimmed at the ends, level set (below) -> power mel (40 bands,
25 ms / 10 ms) -> partial utterances of 1.6 s (Resemblyzer's length), 2 per second (`PARTIALS_PER_S`) -> ONNX
encoder: mean and sd over time of the layer-2 states per partial -> their mean over partials: one 512-d vector
-> heads (shared with `speech/embedded`: `critics.speech.heads`). A speaker reference works as for the first
judge (neutral take: mean shift; many clips: z-normalisation).

The level depends on the heads that read the vector (`LEVELS`). Resemblyzer raises audio quieter than -30 dBFS
to it and leaves louder audio alone, so its states also carry the file's gain above -30 dBFS: one angry take read
anger 0.79, 3 dB quieter 0.59, 12 dB quieter joy. Without a reference the gain is an accident of the file, so
the single-file heads read every clip scaled to -30 dBFS ("fixed"). With a neutral reference of the same voice
the take's loudness relative to it is information (fixing both levels cost the referenced heads 2.4 points of
UAR), so those heads keep the encoder's own rule ("raise") for take and reference alike.

Needs only numpy, librosa and onnxruntime (no torch, no Praat): unlike `speech/embedded` it is not behind the
GPL boundary of the `speech` extra.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from conditioning.registry import BackendUnavailable, configure
from critics.base import Reading, TimedReading, onnx_session
from critics.speech import RAVDESS_LABELS
from critics.speech.heads import WEIGHTS_DIR, SpeechHeadsCritic

TRAIN_COMMAND = "python -m critics.training.speech_encoder --data ../shared/data --out critics/weights"
ENCODER_FILE = "speech_encoder_lstm.onnx"
N_MELS, WIN, HOP = 40, 400, 160  #: Resemblyzer's mel: 40 bands, 25 ms window, 10 ms hop at 16 kHz
PARTIAL = 160  #: frames per partial utterance (1.6 s)
#: Partial utterances per second. Resemblyzer slices at 1.3; denser partials average more views of a short clip,
#: and on the training's 8 speaker folds they read unseen actors about 2 points better (RAVDESS UAR, no
#: augmentation, population / speaker-referenced: 1.3 -> 0.64 / 0.69, 2 -> 0.67 / 0.72, 4 -> 0.66 / 0.71,
#: 8 -> 0.66 / 0.71; critics/cards/speech-encoder-history.md). 2 is the cheapest of the denser rates.
PARTIALS_PER_S = 2.0
MIN_COVERAGE = 0.75  #: a last partial shorter than this share of PARTIAL frames is dropped (if not the only one)
#: How each set of heads sets the input level before the encoder (module docstring; `features.set_level`):
#: "fixed" scales every clip to -30 dBFS RMS, "raise" only raises quieter ones (Resemblyzer's rule). The heads'
#: JSON records it.
LEVELS = {"population": "fixed", "speaker": "raise", "speaker_z": "raise"}
HIDDEN = 256
BATCH = 64  #: partials per encoder run (about 100 MB of LSTM states), so memory does not grow with the audio


def mel_partials(y: np.ndarray, level: str = "raise") -> np.ndarray:
    """Power mel partials of a prepared 16 kHz signal: (P, 160, 40), `PARTIALS_PER_S` per second."""
    import librosa

    from critics.speech.features import set_level

    mel = librosa.feature.melspectrogram(y=set_level(y, level), sr=16000, n_fft=WIN, hop_length=HOP, n_mels=N_MELS)
    mel = mel.astype(np.float32).T  # (T, 40)
    n = mel.shape[0]
    step = int(round(16000 / PARTIALS_PER_S / HOP))
    starts = list(range(0, max(1, n - PARTIAL + step + 1), step))
    if len(starts) > 1 and (n - starts[-1]) / PARTIAL < MIN_COVERAGE:
        starts = starts[:-1]
    out = np.zeros((len(starts), PARTIAL, N_MELS), dtype=np.float32)
    for i, s in enumerate(starts):
        part = mel[s:s + PARTIAL]
        out[i, :len(part)] = part
    return out


@dataclass(frozen=True)
class SpeechEncoderConfig:
    """Settings of the encoder speech critic.

    - `weights`: the population heads' ONNX file (JSON sidecar beside it); None = the shipped one.
    - `encoder`: the LSTM encoder's ONNX file; None = the shipped ``speech_encoder_lstm.onnx``.
    - `speaker_reference`, `speaker_reference_kind`, `vad_source`: as for `speech/embedded`.
    - `series_min_s`: audio at least this long also gets a time series, one reading per partial (1.6 s).
    """

    weights: str | os.PathLike | None = None
    encoder: str | os.PathLike | None = None
    speaker_reference: Sequence[Any] | None = None
    speaker_reference_kind: str = "neutral"
    series_min_s: float = 6.0
    vad_source: str = "auto"
    threads: int = 1


class SpeechEncoderCritic(SpeechHeadsCritic):
    """Speech emotion (RAVDESS-8 + VAD) from a frozen speaker encoder's hidden states and linear ONNX heads."""

    name = "encoder"
    WEIGHTS = "speech_encoder.onnx"
    TRAIN_COMMAND = TRAIN_COMMAND

    def __init__(self, config: SpeechEncoderConfig | None = None, **overrides: Any) -> None:
        self.config = configure(SpeechEncoderConfig, config, overrides, "speech/encoder")
        self._encoder = None
        self._encoder_lock = threading.Lock()
        self._init_heads()

    def feature_names(self) -> list[str]:
        return [f"h2_{stat}_{i}" for stat in ("mean", "std") for i in range(HIDDEN)]

    def feature_settings(self) -> dict[str, Any]:
        # the vector averages the partials, so their rate is part of it; the level is set per condition
        return {"partials_per_s": PARTIALS_PER_S, "levels": LEVELS}

    def encode(self, y: np.ndarray, which: str = "population") -> np.ndarray:
        """Per-partial vectors (P, 512) of a prepared signal for the heads ``which`` (its level: `LEVELS`):
        mean and sd over time of the layer-2 states."""
        with self._encoder_lock:
            if self._encoder is None:
                path = Path(self.config.encoder) if self.config.encoder else WEIGHTS_DIR / ENCODER_FILE
                if not path.is_file():
                    raise BackendUnavailable(f"speech/encoder's encoder not found at {path}; export it with "
                                             "`python -m critics.training.speech_encoder --export-encoder`")
                self._encoder = onnx_session(path, self.config.threads)
        mel = mel_partials(y, LEVELS[which])
        # in batches: the LSTM's states for all partials at once took 2.8 GB for 20 minutes of audio
        return np.concatenate([self._encoder.run(["features"], {"mel": mel[i:i + BATCH]})[0]
                               for i in range(0, len(mel), BATCH)])

    def vector(self, y: np.ndarray, which: str = "population") -> np.ndarray:
        return self.encode(y, which).mean(0).astype(np.float32)

    def score(self, media: Any, speaker_reference: Sequence[Any] | None = None,
              reference_kind: str | None = None) -> Reading:
        """Read the emotion of speech (`Audio`, an audio file, or (samples, rate)); ``speaker_reference`` and
        ``reference_kind`` as for `speech/embedded` (per call, so one critic serves many voices)."""
        y, source_s = self.prepare(media, return_times=True)
        ref, kind = self.reference_for(speaker_reference, reference_kind)
        parts = self.encode(y, self.condition(ref, kind))
        series_too = len(y) >= self.config.series_min_s * 16000 and len(parts) > 1
        batch = np.concatenate([parts.mean(0, keepdims=True), parts if series_too else parts[:0]])
        batch, which = self.normalise(batch, ref, kind)
        out = self.predict(batch, which)
        _, meta = self._load(which)
        native = dict(zip(RAVDESS_LABELS, (float(x) for x in out["ravdess"][0])))
        step = 1.0 / PARTIALS_PER_S
        # each partial's centre in the recording's time (the trimmed start and shortened pauses put back)
        series = tuple(TimedReading(round(source_s(0.8 + j * step), 3), *self.vad(out, j + 1, meta, which),
                                    RAVDESS_LABELS[int(np.argmax(out["ravdess"][j + 1]))])
                       for j in range(len(batch) - 1))
        details = {**self.head_details(out, native, meta, which, y), "partials": int(len(parts)),
                   "speech_s": round(len(y) / 16000, 3)}
        return Reading.from_native(f"speech/{self.name}", native, "ravdess", vad=self.vad(out, 0, meta, which),
                                   series=series, details=details)


__all__ = ["LEVELS", "SpeechEncoderConfig", "SpeechEncoderCritic", "mel_partials"]
