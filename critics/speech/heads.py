"""What both speech critics share: linear heads in ONNX over an utterance vector, measured against the speaker.

Each critic turns speech into one vector per utterance in its own way (`speech/embedded`: acoustic
functionals; `speech/encoder`: a pretrained speaker encoder's hidden states). Everything after that is the same
and lives here, so the two judges differ only where they should (their representation):

- three heads exported by `critics.training.speech.export_onnx`: RAVDESS-8 softmax, EmoDB-7 softmax and a VAD
  regression, one graph per normalisation condition (file names in the weights' JSON, ``models``);
- speaker normalisation: the vector is measured against recordings of the same voice, either a neutral take
  (``"neutral"``: minus its mean; model ``speaker``) or many varied clips (``"mixed"``: z-normalised; model
  ``speaker_z``); without a reference the ``population`` model reads the raw vector;
- valence/arousal/dominance per dimension from the head that validated best (JSON ``vad_source``).
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from conditioning.media import Audio, as_audio
from conditioning.registry import BackendUnavailable
from critics.base import CriticError, onnx_session
from critics.speech import RAVDESS_LABELS

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
MIN_MIXED_REFERENCE = 8  #: clips needed for a per-speaker standard deviation worth dividing by
REFERENCE_KINDS = ("neutral", "mixed")
HEADS_FOR_KIND = {"neutral": "speaker", "mixed": "speaker_z"}  #: the heads that read a vector measured so
HIGH_AROUSAL = ("happy", "angry", "fearful", "surprised", "disgust")  #: RAVDESS labels with arousal > 0


@dataclass(frozen=True)
class SpeakerReference:
    """A voice's reference statistics in one critic's features, computed once (`SpeechHeadsCritic.reference`)
    and passed as ``speaker_reference`` for every take of that voice, so a loop's rounds or a speaker group's
    files do not measure the same reference recordings again and again."""

    critic: str  #: "speech/<name>": the features are that critic's
    kind: str  #: "neutral" (mean shift) or "mixed" (z-normalisation)
    mean: np.ndarray
    std: np.ndarray


class SpeechHeadsCritic:
    """Base of the speech critics: subclasses set `name`, `WEIGHTS` (population ONNX file name), `TRAIN_COMMAND`
    and implement `vector(y)` (one prepared 16 kHz signal -> float32 vector) and `feature_names()`."""

    modality = "speech"
    name = ""
    WEIGHTS = ""
    TRAIN_COMMAND = ""

    def _init_heads(self) -> None:
        cfg = self.config
        if cfg.vad_source not in ("auto", "head", "expectation", "blend"):
            raise ValueError(f"vad_source must be 'auto', 'head', 'expectation' or 'blend', got {cfg.vad_source!r}")
        if cfg.speaker_reference_kind not in REFERENCE_KINDS:
            raise ValueError("speaker_reference_kind must be 'neutral' (a neutral take of the voice) or 'mixed' "
                             f"(>= {MIN_MIXED_REFERENCE} varied clips), got {cfg.speaker_reference_kind!r}")
        self._sessions: dict[str, Any] = {}
        self._meta: dict | None = None
        self._lock = threading.Lock()
        self._reference = self.reference_features(cfg.speaker_reference) if cfg.speaker_reference else None

    # ---- to implement ----
    def vector(self, y: np.ndarray, which: str = "population") -> np.ndarray:  # pragma: no cover - abstract
        """The utterance vector for the heads ``which`` ("population", "speaker" or "speaker_z"; a critic may
        compute it differently per condition, as `speech/encoder` sets the level)."""
        raise NotImplementedError

    def feature_names(self) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def feature_settings(self) -> dict[str, Any]:
        """Settings of the feature computation, beside the names, that the heads' JSON must record with the same
        values (the training writes them): heads read vectors computed another way would be silently wrong."""
        return {}

    def prepare(self, media: Any, return_times: bool = False):
        """Any speech input -> mono 16 kHz float32 with the silence at the ends trimmed and long pauses shortened
        (a `CriticError` for audio that cannot be judged: empty, silent, too short); with ``return_times`` also the
        map from its times to the recording's (`critics.speech.features.prepare`)."""
        from critics.speech.features import FeatureError, prepare

        audio = as_audio(media, "the speech critic")
        try:
            return prepare(audio.samples, audio.rate, return_times=return_times)
        except FeatureError as exc:
            raise CriticError(f"speech/{self.name} cannot judge this audio: {exc}") from None

    # ---- model ----
    @property
    def weights_path(self) -> Path:
        return Path(self.config.weights) if self.config.weights else WEIGHTS_DIR / self.WEIGHTS

    def _load(self, which: str):
        """The ONNX session for "population", "speaker" or "speaker_z", and the JSON metadata (loaded once,
        thread-safe)."""
        with self._lock:
            if which in self._sessions:
                return self._sessions[which], self._meta
            path = self.weights_path
            sidecar = path.with_suffix(".json")
            if not path.is_file() or not sidecar.is_file():
                raise BackendUnavailable(f"speech/{self.name} weights not found ({path} and {sidecar.name}); "
                                         f"produce them with `{self.TRAIN_COMMAND}`")
            meta = json.loads(sidecar.read_text())
            if meta.get("feature_names") != self.feature_names():
                raise BackendUnavailable(f"{path.name} was trained on other features than this code computes; "
                                         f"retrain with `{self.TRAIN_COMMAND}`")
            for key, value in self.feature_settings().items():
                if meta.get(key) != value:
                    raise BackendUnavailable(f"{path.name} was trained with {key}={meta.get(key)} but this code "
                                             f"computes {key}={value}; retrain with `{self.TRAIN_COMMAND}`")
            model_file = path if which == "population" else path.with_name(meta["models"][which])
            self._sessions[which] = onnx_session(model_file, self.config.threads)
            self._meta = meta
            return self._sessions[which], meta

    def predict(self, features: np.ndarray, which: str = "population") -> dict[str, np.ndarray]:
        """Head outputs for vectors (n, d): "ravdess" (n, 8), "emodb" (n, 7), "vad" (n, 3). ``which`` names the
        model: "population" (raw vectors), "speaker" or "speaker_z" (vectors already passed through `normalise`)."""
        session, _ = self._load(which)
        x = np.nan_to_num(np.atleast_2d(np.asarray(features, dtype=np.float32)), posinf=0.0, neginf=0.0)
        names = [o.name for o in session.get_outputs()]
        out = dict(zip(names, session.run(names, {session.get_inputs()[0].name: x})))
        return {k: np.asarray(out[k], dtype=np.float64) for k in ("ravdess", "emodb", "vad")}

    # ---- the speaker ----
    def reference_features(self, reference: Sequence[Any], kind: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) of the vectors of a speaker's reference recordings: the point (and, for a "mixed"
        reference, the spread) the input is measured against. ``kind``: as `speaker_reference_kind`."""
        if isinstance(reference, (Audio, str, os.PathLike)):
            reference = [reference]
        kind = kind or self.config.speaker_reference_kind
        which = HEADS_FOR_KIND[kind]
        rows = []
        for i, r in enumerate(reference):
            try:
                rows.append(self.vector(self.prepare(r), which))
            except CriticError as exc:
                raise CriticError(f"speaker_reference[{i}]: {exc}" if len(reference) > 1 else str(exc)) from None
        if not rows:
            raise CriticError("speaker_reference is empty; give at least one recording of the same voice")
        if kind == "mixed" and len(rows) < MIN_MIXED_REFERENCE:
            raise CriticError(f"a 'mixed' speaker_reference needs at least {MIN_MIXED_REFERENCE} clips of the voice, "
                              f"got {len(rows)}; give more, or use speaker_reference_kind='neutral' with a neutral take")
        x = np.stack(rows).astype(np.float64)
        return x.mean(0).astype(np.float32), (x.std(0) + 1e-6).astype(np.float32)

    def condition(self, reference, kind: str | None = None) -> str:
        """The heads that read a vector measured against ``reference`` (None: none) of ``kind``."""
        return "population" if reference is None else HEADS_FOR_KIND[kind or self.config.speaker_reference_kind]

    def normalise(self, features: np.ndarray, reference: tuple[np.ndarray, np.ndarray] | None,
                  kind: str | None = None) -> tuple[np.ndarray, str]:
        """Vectors measured against a speaker reference (or unchanged), and the model that expects them."""
        which = self.condition(reference, kind)
        if which == "population":
            return features, which
        mean, std = reference
        return ((features - mean) / std if which == "speaker_z" else features - mean), which

    def reference(self, recordings: Sequence[Any], kind: str | None = None) -> SpeakerReference:
        """The statistics of a voice's reference recordings, to pass as ``speaker_reference`` to many `score`
        calls (``kind``: "neutral" or "mixed", default the configured one)."""
        kind = kind or self.config.speaker_reference_kind
        if kind not in REFERENCE_KINDS:
            raise ValueError(f"reference_kind must be 'neutral' or 'mixed', got {kind!r}")
        mean, std = self.reference_features(recordings, kind)
        return SpeakerReference(f"speech/{self.name}", kind, mean, std)

    def reference_for(self, speaker_reference, reference_kind) -> tuple[tuple | None, str | None]:
        """The per-call reference (its statistics and kind), else the configured one. ``speaker_reference`` is
        recordings of the voice or a `SpeakerReference` made by this critic."""
        if reference_kind not in (None, *REFERENCE_KINDS):
            raise ValueError(f"reference_kind must be 'neutral' or 'mixed', got {reference_kind!r}")
        if isinstance(speaker_reference, SpeakerReference):
            if speaker_reference.critic != f"speech/{self.name}":
                raise ValueError(f"this SpeakerReference was made by {speaker_reference.critic}; speech/{self.name} "
                                 "needs its own (its features differ): call its reference(...)")
            return (speaker_reference.mean, speaker_reference.std), speaker_reference.kind
        if speaker_reference:
            return self.reference_features(speaker_reference, reference_kind), reference_kind
        return self._reference, None

    @staticmethod
    def head_details(out: dict[str, np.ndarray], native: dict[str, float], meta: dict, which: str,
                     y: np.ndarray) -> dict:
        """What every speech reading reports beside its own measurements: the model used, the EmoDB-7 head,
        the probability of a high-arousal RAVDESS label and, for a clipped recording (``y``, as recorded), the
        share of its samples at the ceiling (``clipped``; `features.CLIPPED_SHARE` says why) and, for a recording
        with a telephone's band whatever its rate, ``narrow_band``, or with nothing above about 6 kHz, ``low_band``
        (`critics.speech.channel`)."""
        from critics.speech.channel import band_limit
        from critics.speech.features import CLIPPED_SHARE, clipped_share

        # "heads": population, speaker or speaker_z (what `critique` rows call normalisation none, reference, group)
        clipped = clipped_share(y)
        return {"heads": which,
                "emodb": {k: round(float(x), 4) for k, x in zip(meta["emodb_labels"], out["emodb"][0])},
                "p_high_arousal": float(sum(native[k] for k in HIGH_AROUSAL)),
                **({"clipped": round(clipped, 3)} if clipped >= CLIPPED_SHARE else {}),
                **({f"{limit}_band": True} if (limit := band_limit(y)) else {})}  # narrow_band or low_band

    def vad(self, out: dict[str, np.ndarray], i: int, meta: dict, which: str) -> tuple[float, float, float]:
        """Valence, arousal, dominance from the source that validated best per dimension (or the configured one)."""
        from conditioning import label_set

        dims = ("valence", "arousal", "dominance")
        auto = self.config.vad_source == "auto"
        chosen = meta.get("vad_source", {}).get(which, {}) if auto else {}
        expect = np.array(label_set("ravdess").to_emotion(dict(zip(RAVDESS_LABELS, map(float, out["ravdess"][i])))).vad)
        head = np.clip(out["vad"][i], -1, 1)
        values = {"expectation": expect, "head": head, "blend": 0.5 * (expect + head)}
        src = [chosen.get(d, "expectation") if auto else self.config.vad_source for d in dims]
        return tuple(float(np.clip(values[s][j], -1, 1)) for j, s in enumerate(src))  # type: ignore[return-value]


__all__ = ["MIN_MIXED_REFERENCE", "REFERENCE_KINDS", "SpeakerReference", "SpeechHeadsCritic", "WEIGHTS_DIR"]
