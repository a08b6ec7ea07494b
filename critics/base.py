"""The critic contract: media in, a `Reading` (measured emotion) out.

A critic never sees the generator's controls; it measures the media alone (DESIGN.md section 4). Critics that
classify into their own label set (RAVDESS-8 for speech, FER2013-7 for faces, EMOPIA quadrants for music)
report that distribution as ``native`` and its translation into the shared space as ``mix``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from conditioning import Emotion, label_set
from conditioning.errors import EmotionStudioError
from conditioning.media import Audio, Image, MediaError, Video  # noqa: F401  (re-exported media types)


class CriticError(EmotionStudioError, ValueError):
    """Media a critic cannot judge (silent audio, no face, too short): says what is wrong and what works."""


@dataclass(frozen=True)
class TimedReading:
    """One point of a reading's time series (per window of audio, per video frame)."""

    time_s: float
    valence: float
    arousal: float
    dominance: float = 0.0
    top: str = ""


@dataclass(frozen=True)
class Reading:
    critic: str
    valence: float
    arousal: float
    dominance: float
    mix: Mapping[str, float]  #: shared-vocabulary label -> weight
    native: Mapping[str, float]  #: the critic's own label -> probability
    confidence: float
    series: tuple[TimedReading, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)  #: measured features worth reporting
    #: False when the critic measures only coordinates (valence, arousal) and its mix is just the vocabulary near
    #: them (the image and text judges): its top label is then not a vote for or against a named target
    categorical: bool = True
    #: the label set ``native`` is over (`from_native`): its classes say which terms a vote is for (`voted_terms`)
    label_set: str = ""

    @classmethod
    def from_native(cls, critic: str, native: Mapping[str, float], label_set_name: str, *,
                    vad: tuple[float, float, float] | None = None, confidence: float | None = None,
                    series: tuple[TimedReading, ...] = (), details: Mapping[str, Any] | None = None) -> "Reading":
        """Build a reading from a distribution over a known label set.

        ``vad`` overrides the coordinates (e.g. from a dedicated regressor); by default they are the expected
        point of the distribution. ``confidence`` defaults to the top probability.
        """
        emotion = label_set(label_set_name).to_emotion(dict(native))
        v, a, d = vad if vad is not None else emotion.vad
        conf = max(native.values()) if confidence is None else confidence
        return cls(critic, float(v), float(a), float(d), dict(emotion.mix), dict(native), float(conf), tuple(series),
                   dict(details or {}), label_set=label_set_name)

    def voted_terms(self) -> frozenset[str] | None:
        """The vocabulary terms the judge's top class stands for (EMOPIA's Q1: joy and excitement; RAVDESS's
        happy: joy), or None for a reading not made from a label set. Why: a quadrant stands for several terms at
        once, and its mix's largest term alone (joy, of joy and excitement at 0.5 each) made a judge that placed
        an excitement take in Q1 vote against it, so such takes were never recognised and the loop spent its
        rounds on them."""
        if not (self.label_set and self.native):
            return None
        top = max(self.native, key=self.native.get)
        terms = label_set(self.label_set).mapping.get(top)
        return frozenset(t for t, w in terms.items() if w > 0) if terms else None

    @property
    def emotion(self) -> Emotion:
        """The reading as an `Emotion` (its coordinates and mix), for comparison with a target."""
        vad = tuple(max(-1.0, min(1.0, x)) for x in (self.valence, self.arousal, self.dominance))  # a head may overshoot
        return Emotion(*vad, dict(self.mix), Emotion.from_vad(*vad).intensity)

    def to_json(self, digits: int = 4) -> dict:
        r = lambda x: round(float(x), digits)  # noqa: E731
        out = {"critic": self.critic, "valence": r(self.valence), "arousal": r(self.arousal),
               "dominance": r(self.dominance), "mix": {k: r(v) for k, v in self.mix.items()},
               "native": {k: r(v) for k, v in self.native.items()}, "confidence": r(self.confidence)}
        if self.series:
            out["series"] = [{"time_s": r(s.time_s), "valence": r(s.valence), "arousal": r(s.arousal),
                              "dominance": r(s.dominance), "top": s.top} for s in self.series]
        if self.details:
            out["details"] = {k: (r(v) if isinstance(v, float) else v) for k, v in self.details.items()}
        if not self.categorical:
            out["categorical"] = False
        return out


@runtime_checkable
class Critic(Protocol):
    """A judge: ``score`` is all the studio requires. Optional attributes it looks for:

    - ``reference([media, ...]) -> stats`` and ``score(media, speaker_reference=stats)``: reads a take against
      neutral takes of the same voice or face (`studio.studio.Studio._scorer`, ``critique --reference``);
    - ``reads = "midi"``: is given the take's MIDI bytes instead of its audio (the symbolic music judge);
    - ``reads_crops = True``: reads an aligned face crop whole, so the web's analysis passes it crops;
    - ``reach = (valence, arousal)``: the largest magnitudes its readings reach (`studio.studio.readable`);
      without it, the whole plane.
    """

    modality: str
    name: str

    def score(self, media: Any) -> Reading:
        """Measure the emotion the media expresses."""
        ...


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities from logits along ``axis`` (shifted by the maximum, so large logits do not overflow)."""
    z = np.exp(z - z.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def onnx_session(path, threads: int = 1):
    """A CPU onnxruntime session for an embedded critic's weights, on ``threads`` threads (onnxruntime is
    imported here, so importing a critic stays light)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = max(1, int(threads))
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def local_checkpoint(key: str, model: str | None, env: str, kind: str, example: str):
    """The folder of a neural critic's ``save_pretrained`` checkpoint: ``model`` or ``$env``, never a download.
    ``kind`` names the checkpoint in messages ("CLAP", "" for any), ``example`` says what to save."""
    import os
    from pathlib import Path

    from conditioning.registry import BackendUnavailable

    path = model or os.environ.get(env)
    if not path:
        raise BackendUnavailable(f"{key} needs a local {kind + ' ' if kind else ''}checkpoint: set ${env} to a "
                                 f"save_pretrained copy of {example}, which every command reads (`critique` also "
                                 "takes --model DIR; in Python, model=DIR or Studio(critic_models=...)); "
                                 "nothing is downloaded")
    return Path(path).expanduser()


def require_saved(path, kind: str, model_types: tuple[str, ...] = (), tokenizer: bool = False) -> None:
    """A checkpoint folder must hold save_pretrained's config.json, of one of ``model_types`` where given (a
    CLIP folder given to the CLAP critic would otherwise load with newly initialised weights), and with
    ``tokenizer`` a tokenizer vocabulary (checked before transformers reads it: `conditioning.weights`)."""
    from conditioning.registry import BackendUnavailable, NoSuchFolder, WrongModel
    from conditioning.weights import has_tokenizer, read_json

    # the caller's mistakes (no such folder, a file, another model's folder) are user errors, as `generate` says
    # them (exit 2); an incomplete checkpoint is the machine's (it had been exit 1 for all of them)
    if not path.exists():
        raise NoSuchFolder(f"no {kind} checkpoint at {path}: there is no such folder")
    if path.is_file():
        raise WrongModel(f"{path} is a file; give the {kind} checkpoint's folder (the one holding config.json)")
    if not (path / "config.json").is_file():
        raise WrongModel(f"no {kind} checkpoint at {path} (expected config.json from save_pretrained)")
    found = read_json(path / "config.json", kind).get("model_type")
    if model_types and found not in model_types:
        held = f"a {found} model" if found else "a model of no stated type"
        raise WrongModel(f"{path} holds {held}, not a {kind} checkpoint "
                         f"(config.json model_type {' or '.join(map(repr, model_types))})")
    if tokenizer and not has_tokenizer(path):
        raise BackendUnavailable(f"{path} has no tokenizer vocabulary (vocab.json + merges.txt or tokenizer.json): "
                                 f"the {kind} checkpoint is incomplete; save its processor with save_pretrained too")


def neural_missing(key: str, exc: ImportError):
    """The error for a neural critic whose torch/transformers stack is not installed."""
    from conditioning.registry import BackendUnavailable

    return BackendUnavailable(f"{key} needs torch and transformers (missing {getattr(exc, 'name', None) or exc}): "
                              "pip install 'emotion-studio[neural]'")
