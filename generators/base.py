"""The generator contract: a `GenerationRequest` in, a `GenerationResult` out.

Per-request parameters live in the request, never as state set on a shared model: the web UI serves many
users from one process (DESIGN.md section 3). The same request and seed give the same output.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Protocol, runtime_checkable

from conditioning import Emotion, Trajectory
from conditioning.errors import EmotionStudioError
from conditioning.media import Audio, Image, MediaError, Video  # noqa: F401  (re-exported media types)

Media = Audio | Video | Image


class GenerationError(EmotionStudioError, ValueError):
    """A request a generator cannot serve (empty or overlong text, duration out of range, unknown voice)."""


#: The largest seed: every backend reads all 63 bits (`seed_words`); the command line's, the web's and a request's
MAX_SEED = 2**63 - 1


def next_seed(seed: int) -> int:
    """The seed after ``seed``, as the closed loop tries it: after `MAX_SEED`, 0 (the largest seed the command line
    accepts had failed a loop's third round, after the work, with a seed the user never gave; an audit)."""
    return (seed + 1) % (MAX_SEED + 1)


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate. ``trajectory`` (emotion over time) takes precedence over ``emotion`` where a backend
    can follow one; ``controls`` overrides individual controls, which is how the closed loop corrects a take."""

    emotion: Emotion
    trajectory: Trajectory | None = None
    text: str | None = None  #: words to speak (speech, talking face)
    prompt: str | None = None  #: free description (music, images)
    seed: int = 0
    duration_s: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  #: modality options: voice, portrait, size...
    controls: Mapping[str, float] = field(default_factory=dict)  #: explicit control overrides/offsets

    def __post_init__(self) -> None:
        """Arguments of the wrong kind are refused here with what is accepted (they used to surface as an
        AttributeError or TypeError deep in a backend); NumPy integers are whole numbers too."""
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) or not 0 <= self.seed <= MAX_SEED:
            raise GenerationError(f"seed must be a whole number >= 0 and at most {MAX_SEED} (the backends' random "
                                  f"generators take no negative seeds, and read 63 bits), got {self.seed!r}")
        object.__setattr__(self, "seed", int(self.seed))
        if not isinstance(self.emotion, Emotion):
            raise GenerationError(f"emotion must be an Emotion (Emotion.parse('joy')), got {type(self.emotion).__name__}")
        if self.trajectory is not None and not isinstance(self.trajectory, Trajectory):
            raise GenerationError(f"trajectory must be a Trajectory (Trajectory.of([(0, 'sadness'), (5, 'joy')])), "
                                  f"got {type(self.trajectory).__name__}")
        for name in ("text", "prompt"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise GenerationError(f"{name} must be a string, got {type(getattr(self, name)).__name__}")
        if self.duration_s is not None and (isinstance(self.duration_s, bool)
                                            or not isinstance(self.duration_s, numbers.Real)):
            raise GenerationError(f"duration_s must be a number of seconds, got {self.duration_s!r}")
        for name in ("options", "controls"):
            if not isinstance(getattr(self, name), Mapping):
                raise GenerationError(f"{name} must be a mapping (a dict such as {{'size': 512}}), got "
                                      f"{type(getattr(self, name)).__name__}")

    def with_controls(self, **controls: float) -> "GenerationRequest":
        return replace(self, controls={**self.controls, **controls})

    def emotion_at(self, t: float) -> Emotion:
        return self.trajectory.at(t) if self.trajectory is not None else self.emotion


def package_version(distribution: str) -> str:
    """"NAME VERSION" of an installed distribution, for `Provenance.version`, or "" where it is not installed.
    Why: the same weights sample differently under another release of the library that runs them (diffusers'
    schedulers, transformers' MusicGen sampling), so a take is reproducible only with both named."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{distribution} {version(distribution)}"
    except PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class Provenance:
    backend: str  #: "modality/name"
    model: str  #: model or voice id, or "procedural"
    licence: str  #: of the model/voice/data that shaped the output
    seed: int
    version: str = ""  #: of the software that made it (e.g. "diffusers 0.35.1"), where it matters
    #: of the weights a neural backend loaded from a folder (`conditioning.weights.fingerprint`): ``model`` is a
    #: path, and the folder may hold other weights tomorrow
    weights: str = ""

    def to_json(self) -> dict:
        """What every output records (the JSON report, sidecars, PNG text, dataset rows): backend, model,
        licence and seed, and the version and the weights' fingerprint where the backend gives them."""
        out = {"backend": self.backend, "model": self.model, "licence": self.licence, "seed": self.seed}
        return {**out, **({"version": self.version} if self.version else {}),
                **({"weights_fingerprint": self.weights} if self.weights else {})}


@dataclass(frozen=True)
class GenerationResult:
    media: Media
    controls: Mapping[str, Any]  #: the controls the backend actually applied
    provenance: Provenance
    timings: Mapping[str, float] = field(default_factory=dict)  #: seconds per stage
    extras: Mapping[str, Any] = field(default_factory=dict)  #: e.g. "phonemes" (speech), "midi" (music)


@runtime_checkable
class Generator(Protocol):
    """A backend: ``generate`` is all the studio requires. Optional hooks it looks for (``hasattr``), so a new
    backend can offer them when it can:

    - ``correct(request, target, reading) -> request``: the loop's next request, moved against the judges'
      error (`studio.studio.Studio.run_loop`; without it the loop only tries the next seed);
    - ``neutral_reference(request) -> media``: a neutral take of the same content (speech: voice and words;
      face: the portrait at rest), which judges with a ``reference`` read the take against; with
      ``seed_changes_voice = True`` (a diffusion voice) a round of another seed is read against that seed's;
    - ``compose(request) -> Score`` (music): the score before rendering, which a session follows clip by clip
      and the symbolic judge reads (`studio.session`; a backend without it writes no session);
    - ``can_run() -> bool`` (called on the class): whether ``auto`` may pick it here without loading anything
      (`generators.registry.load_generator`), e.g. False when its weights are not on this machine.
    """

    modality: str
    name: str

    def generate(self, request: GenerationRequest) -> GenerationResult:
        ...


def seed_words(seed: int) -> list[int]:
    """A seed as 32-bit words, low first, for NumPy's seed sequences where a backend mixes it with stream keys:
    ``[seed]`` below 2**32 (so every take made so far keeps its draws), more words above. The composer and the
    voices' take spread kept ``seed & 0xFFFFFFFF``, so 3 and 3 + 2**32 made one take, and a dataset's item seeds
    (63 bits) could meet."""
    seed, words = int(seed), []
    while True:
        words.append(seed & 0xFFFFFFFF)
        seed >>= 32
        if not seed:
            return words


def check_options(request: GenerationRequest, known: Mapping[str, str], key: str, config: Any = None) -> dict:
    """The request's options, after refusing any the backend ``key`` does not know (each known one explained). One
    that is a field of the backend's ``config`` is a setting of the backend, not of a request, and is said so
    (``--option shading=0`` was answered with options the command line itself refuses)."""
    from dataclasses import fields, is_dataclass

    opts = dict(request.options or {})
    unknown = set(opts) - set(known)
    settings = sorted(unknown & {f.name for f in fields(config)}) if is_dataclass(config) else []
    if settings:
        raise GenerationError(f"{', '.join(settings)}: a setting of {key} itself, not of one take: give it as "
                              f"--config {settings[0]}=... (Python: Studio.generate(..., settings={{...}}))")
    if unknown:
        raise GenerationError(f"unknown {key.split('/')[0]} option(s) {sorted(unknown)} for {key}; known: "
                              + "; ".join(f"{k} ({v})" for k, v in known.items()))
    return opts


def option_number(value: Any, name: str, lo: float, hi: float, integer: bool = False) -> float | int:
    """An option's number, checked: a whole number when ``integer``, from ``lo`` to ``hi``; a `GenerationError`
    naming the option otherwise. True and False are not numbers here (``steps=true`` ran one step, and
    ``guidance_scale=true`` turned guidance off), nor is text ('abc' was a traceback)."""
    import numbers

    kinds = numbers.Integral if integer else numbers.Real
    what = f"an integer from {lo:g} to {hi:g}" if integer else f"a number from {lo:g} to {hi:g}"
    if isinstance(value, bool) or not isinstance(value, kinds) or not (math.isfinite(value) and lo <= value <= hi):
        raise GenerationError(f"{name} {value!r} must be {what}")
    return int(value) if integer else float(value)


def check_duration_config(key: str, config: Any, longest: float) -> None:
    """A config's ``min_duration_s``, ``default_duration_s`` and ``max_duration_s`` (what `check_duration` reads):
    each from 0.5 s to ``longest``, the default between the two, or a `GenerationError` naming the field."""
    from conditioning.registry import check_ranges

    check_ranges(key, config, [(f"{k}_duration_s", 0.5, longest) for k in ("min", "max", "default")],
                 error=GenerationError)
    if not config.min_duration_s <= config.default_duration_s <= config.max_duration_s:
        raise GenerationError(f"{key}: default_duration_s must lie between min_duration_s and max_duration_s")


def check_duration(request: GenerationRequest, config: Any, key: str) -> float:
    """The requested duration (or ``config.default_duration_s``), inside the backend's min/max duration."""
    d = config.default_duration_s if request.duration_s is None else float(request.duration_s)
    if not (math.isfinite(d) and config.min_duration_s <= d <= config.max_duration_s):
        raise GenerationError(f"{key.split('/')[0]} duration {d:g} s is out of range: {key} writes "
                              f"{config.min_duration_s:g} to {config.max_duration_s:g} s")
    return d
