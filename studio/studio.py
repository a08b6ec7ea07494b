"""`Studio`: the one facade the CLI, the web UI, sessions and dataset builders call.

It resolves backends, generates, scores and runs the closed loop (generate -> measure -> correct -> keep the
best). The loop is generic: any modality with a generator and a critic uses it. A generator may offer
``correct(request, target, reading) -> GenerationRequest`` to move its controls against the measured error;
one that does not is retried with a new seed (best of N).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from conditioning import Emotion, Trajectory, plan_iso
from conditioning.metrics import category_agrees, fidelity
from critics.base import Reading
from conditioning.registry import BackendUnavailable
from critics.registry import load_critic
from generators.base import GenerationRequest, GenerationResult
from generators.registry import load_generator


@dataclass(frozen=True)
class Round:
    """One take of the closed loop: what was asked, what came out, what the critic measured."""

    index: int
    request: GenerationRequest
    result: GenerationResult
    reading: Reading | None
    fidelity: float | None
    agrees: bool | None = None  #: the critic's main label is the target's (None: not judged by label)

    @property
    def rank(self) -> tuple[bool, float]:
        """How the loop orders takes: a take heard as the asked-for label first, then by fidelity."""
        return (self.agrees is not False, -1.0 if self.fidelity is None else self.fidelity)

    def to_json(self) -> dict:
        return {"index": self.index, "seed": self.request.seed, "controls": dict(self.result.controls),
                "reading": self.reading.to_json() if self.reading else None,
                "fidelity": None if self.fidelity is None else round(self.fidelity, 4), "agrees": self.agrees}


@dataclass(frozen=True)
class StudioResult:
    target: Emotion
    best: Round
    rounds: tuple[Round, ...]
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def media(self):
        return self.best.result.media

    def to_json(self) -> dict:
        res = self.best.result
        return {"backend": res.provenance.backend, "target": self.target.to_json(),
                "reading": self.best.reading.to_json() if self.best.reading else None,
                "fidelity": None if self.best.fidelity is None else round(self.best.fidelity, 4),
                "rounds": [r.to_json() for r in self.rounds],
                "provenance": {"model": res.provenance.model, "licence": res.provenance.licence,
                               "seed": res.provenance.seed},
                "timings": {k: round(v, 4) for k, v in self.timings.items()}}


class Studio:
    """Keyword-only facade over generators, critics and the loop. Backends are created once and reused;
    they hold no per-request state, so one Studio can serve many requests."""

    def __init__(self, *, threshold: float = 0.85) -> None:
        self.threshold = threshold  #: fidelity at which the loop stops early
        self._generators: dict[tuple[str, str | None], Any] = {}
        self._critics: dict[tuple[str, str | None], Any] = {}

    # ---- conditioning ---------------------------------------------------------------------------------
    @staticmethod
    def emotion(spec: "str | Emotion") -> Emotion:
        return Emotion.parse(spec)

    @staticmethod
    def plan(current: "str | Emotion", target: "str | Emotion", *, minutes: float, clip_s: float,
             max_step: float | None = None):
        return plan_iso(current, target, minutes, clip_s, max_step=max_step)

    # ---- backends ---------------------------------------------------------------------------------------
    def generator(self, modality: str, backend: str | None = None):
        key = (modality, backend)
        if key not in self._generators:
            self._generators[key] = load_generator(modality, backend)
        return self._generators[key]

    def critic(self, modality: str, name: str | None = None):
        key = (modality, name)
        if key not in self._critics:
            self._critics[key] = load_critic(modality, name)
        return self._critics[key]

    def text_conflict(self, text: str | None, target: "str | Emotion", margin: float = 0.35) -> str | None:
        """A warning when the words pull against the requested emotion (e.g. a cheerful lyric sung sadly),
        or None. Only clear disagreements are reported: opposite valence signs, both beyond ``margin``."""
        if not text or not text.strip():
            return None
        words = self.critique("text", text)
        goal = Emotion.parse(target)
        if words.valence * goal.valence < 0 and min(abs(words.valence), abs(goal.valence)) >= margin:
            tone = "positive" if words.valence > 0 else "negative"
            return (f"the words read as {tone} (valence {words.valence:+.2f}, from: "
                    f"{', '.join(words.details.get('affect_words', [])[:4]) or 'overall tone'}) but the requested "
                    f"emotion {goal.top} has valence {goal.valence:+.2f}; listeners may hear a mixed message")
        return None

    # ---- measuring and generating ---------------------------------------------------------------------
    def critique(self, modality: str, media: Any, *, critic: str | None = None) -> Reading:
        return self.critic(modality, critic).score(media)

    def generate(self, modality: str, emotion: "str | Emotion", *, backend: str | None = None,
                 critic: str | None = None, loop: int = 0, seed: int = 0, text: str | None = None,
                 prompt: str | None = None, duration_s: float | None = None, trajectory: Trajectory | None = None,
                 options: Mapping[str, Any] | None = None, score: bool = True) -> StudioResult:
        """Generate, measure and (with ``loop`` > 0) correct for up to ``loop`` extra rounds, keeping the best."""
        target = Emotion.parse(emotion)
        request = GenerationRequest(target, trajectory, text, prompt, seed, duration_s, dict(options or {}))
        generator = self.generator(modality, backend)
        judge = None
        if score or loop > 0:
            try:
                judge = self.critic(modality, critic)
            except BackendUnavailable:
                if loop > 0 or critic is not None:  # asked for measuring explicitly: say why it cannot
                    raise
        return self.run_loop(generator, judge, request, loop)

    @staticmethod
    def _scorer(generator, critic, request: GenerationRequest):
        """The critic's scoring function for this request. Where the generator can render a neutral take of
        the same content and the critic can normalise against a reference (speech: the same voice and words),
        the reference is made once and passed along, so the critic measures the emotion, not the voice."""
        if critic is None:
            return None
        import inspect

        if hasattr(generator, "neutral_reference") and "speaker_reference" in inspect.signature(critic.score).parameters:
            reference = [generator.neutral_reference(request)]
            return lambda media: critic.score(media, speaker_reference=reference)
        return critic.score

    def run_loop(self, generator, critic, request: GenerationRequest, loop: int = 0) -> StudioResult:
        """The closed loop over any generator/critic pair (public so tests and sessions can drive it)."""
        t0 = time.perf_counter()
        rounds: list[Round] = []
        score = self._scorer(generator, critic, request)
        for i in range(loop + 1):
            result = generator.generate(request)
            reading = score(result.media) if score is not None else None
            fid = fidelity(request.emotion, reading.emotion) if reading is not None else None
            agrees = category_agrees(request.emotion, reading.emotion) if reading is not None else None
            rounds.append(Round(i, request, result, reading, fid, agrees))
            if fid is None or (fid >= self.threshold and agrees is not False) or i == loop:
                break
            if hasattr(generator, "correct"):
                request = generator.correct(request, request.emotion, reading)
            else:
                request = replace(request, seed=request.seed + 1)
        best = max(rounds, key=lambda r: r.rank)
        return StudioResult(request.emotion, best, tuple(rounds), {"total_s": time.perf_counter() - t0})
