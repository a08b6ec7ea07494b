"""`Studio`: the one facade the CLI, the web UI, sessions and dataset builders call.

It resolves backends, generates, scores and runs the closed loop (generate -> measure -> correct -> keep the
best). The loop is generic: any modality with a generator and critics uses it. A generator may offer
``correct(request, target, reading) -> GenerationRequest`` to move its controls against the measured error;
one that does not is retried with a new seed (best of N).

Two judges, not one (DESIGN.md section 4): a loop that optimises against a single recogniser learns to please
that recogniser. Every take is scored by each of the modality's judges (`critics.registry.JUDGES`, or the
caller's choice); a take counts as recognised only when every judge that can name a label hears the target's,
its fidelity is the judges' mean, and the correction step moves against their consensus.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from conditioning import Emotion, Trajectory, plan_iso
from conditioning.metrics import category_agrees, fidelity, trajectory_fidelity
from conditioning.media import MediaError
from critics.base import CriticError, Reading
from conditioning.registry import BackendUnavailable, UnknownBackend, resolve_key
from critics import registry as critics_registry
from critics.registry import JUDGES, load_critic
from critics.speech import SHORT_SPEECH, SHORT_SPEECH_S
from generators import registry as generators_registry
from generators.base import GenerationError, GenerationRequest, GenerationResult, next_seed
from generators.registry import VOICE_BACKENDS, load_generator
from studio.errors import checkpoint


def _names(names: "str | Sequence[str] | None") -> list[str]:
    """Critic names as a list: a string is one name or a comma-separated list (not its letters one by one), and a
    name given twice counts once (so a judge never scores a take twice)."""
    if isinstance(names, str):
        names = names.split(",")
    elif names is not None and not isinstance(names, (list, tuple)):
        raise UnknownBackend(f"judges are named by a word or a list of words ('embedded,encoder', ['embedded']), "
                             f"got {names!r}")
    if any(not isinstance(n, str) for n in names or ()):
        raise UnknownBackend(f"judges are named by words, got {list(names)!r}")
    return list(dict.fromkeys(n.strip() for n in (names or ()) if n and n.strip()))


def _fingerprint(value: Any) -> str:
    """A short, content-based key for an option value (arrays and media by their bytes, not their repr)."""
    import numpy as np

    from conditioning.media import content_key

    arr = getattr(value, "pixels", None)
    arr = getattr(value, "samples", arr)
    if arr is None and isinstance(value, np.ndarray):
        arr = value
    return repr(value) if arr is None else content_key(arr)


def _critic_id(critic) -> str:
    """"modality/name" of a critic (a stand-in without them: its class name)."""
    modality, name = getattr(critic, "modality", None), getattr(critic, "name", None)
    return f"{modality}/{name}" if modality and name else type(critic).__name__


#: held while a bounded cache is changed: the web serves requests from several threads on one Studio, and two
#: evicting the same oldest entry at once made one of them a KeyError
_CACHES = threading.Lock()


def _remember(cache: dict, key, value, limit: int = 256):
    """Store ``value`` under ``key`` in a bounded cache (the oldest entries go first) and return it."""
    with _CACHES:
        cache[key] = value
        while len(cache) > limit:
            cache.pop(next(iter(cache)))
    return value


@dataclass(frozen=True)
class Judgement:
    """One judge's verdict on one take."""

    critic: str
    reading: Reading
    fidelity: float
    agrees: bool | None  #: the judge's main label is the target's (None: it cannot name one)

    @classmethod
    def of(cls, target: Emotion, reading: Reading, trajectory: Trajectory | None = None,
           duration_s: float | None = None) -> "Judgement":
        """The verdict against ``target``, or, for a take asked to follow ``trajectory``, against the trajectory
        along the take (`trajectory_fidelity`: the judge's time series point by point, or its one reading held
        along the ``duration_s``); a moving target has no one label, so then ``agrees`` is None and the judge
        votes by fidelity (`recognises`). So does a judge that measures only coordinates (``reading.categorical``
        False: the image and text judges): its top label is whichever vocabulary term lies nearest its point, so
        an image read at fidelity 0.90 as 'rage' for 'anger' used to count as a 'no'."""
        if trajectory is None:
            votes = category_agrees(target, reading.emotion, reading.voted_terms()) if reading.categorical else None
            return cls(reading.critic, reading, fidelity(target, reading.emotion), votes)
        points = [(p.time_s, p.valence, p.arousal) for p in reading.series]
        if not points:
            end = duration_s or trajectory.end_s or 1.0
            points = [(end * (i + 0.5) / 16, reading.valence, reading.arousal) for i in range(16)]
        return cls(reading.critic, reading, trajectory_fidelity(trajectory, points), None)

    def recognises(self, threshold: float) -> bool:
        """This judge's yes or no: its label when it can name the target's; a judge that reads only coordinates
        for this target (the image judges: valence and arousal, so 'joy' is not among their nearby terms) says
        yes when its fidelity reaches ``threshold`` (the loop's stop point, `Studio.threshold`)."""
        return self.agrees if self.agrees is not None else self.fidelity >= threshold

    def to_json(self) -> dict:
        return {"critic": self.critic, "reading": self.reading.to_json(), "fidelity": round(self.fidelity, 4),
                "agrees": self.agrees}


@dataclass(frozen=True)
class Unread:
    """A judge that could not read a take (e.g. a speech judge given sound that is not speech): the take is kept
    and reported, but this judge's vote is missing, so it cannot count as recognised by every judge."""

    critic: str
    error: str

    def to_json(self) -> dict:
        return {"critic": self.critic, "error": self.error}


def consensus(readings: Sequence[Reading]) -> Reading:
    """The judges' mean reading (coordinates and mixes averaged): what the loop corrects against, so no single
    judge's quirks steer the generator. One reading is returned as it is."""
    if len(readings) == 1:
        return readings[0]
    n = len(readings)
    mix: dict[str, float] = {}
    for r in readings:
        for k, w in r.mix.items():
            mix[k] = mix.get(k, 0.0) + w / n
    mean = lambda attr: sum(getattr(r, attr) for r in readings) / n  # noqa: E731
    return Reading("+".join(r.critic for r in readings), mean("valence"), mean("arousal"), mean("dominance"),
                   dict(sorted(mix.items(), key=lambda kv: -kv[1])), {}, mean("confidence"),
                   details={"judges": [r.critic for r in readings]})


def judges_reach(critics: Sequence[Any]) -> tuple[float, float]:
    """The largest |valence| and |arousal| the judges' consensus can read: the mean of their ``reach`` (a critic
    without one reads the whole plane, (1, 1))."""
    reaches = [getattr(c, "reach", None) or (1.0, 1.0) for c in critics] or [(1.0, 1.0)]
    return tuple(sum(r[i] for r in reaches) / len(reaches) for i in (0, 1))


def readable(target: Emotion, critics: Sequence[Any]) -> Emotion:
    """``target`` as far out as the judges can read it: valence and arousal clipped to the mean of the judges'
    ``reach`` (a critic without one reads the whole plane). A judge whose readings stop at arousal -0.45 (the
    music judges, `critics.music.quadrant_reach`) cannot hear a session move all the way to calm's -0.72, so a
    session's movement is weighed against this (`studio.session.movement_warnings`). Fidelity is still measured
    against the target itself, and the loop corrects towards it: correcting towards this instead was tried on
    six two-round sessions and lost mean fidelity on three (calm -> joy 0.837 -> 0.808, fear -> contentment
    0.906 -> 0.898 and its quadrant agreement 90 % -> 55 %), gained 0.002 on one and changed nothing on two:
    a reading reaches the edge only at certainty, so the full error's push is what gets it near."""
    r_v, r_a = judges_reach(critics)
    v, a = max(-r_v, min(r_v, target.valence)), max(-r_a, min(r_a, target.arousal))
    return target if (v, a) == (target.valence, target.arousal) else Emotion.from_vad(v, a, target.dominance)


@dataclass(frozen=True)
class Round:
    """One take of the closed loop: what was asked, what came out, what each judge measured."""

    index: int
    request: GenerationRequest
    result: GenerationResult
    judgements: tuple[Judgement, ...] = ()
    unread: tuple[Unread, ...] = ()  #: judges that could not read this take, and why

    @property
    def reading(self) -> Reading | None:
        """The judges' consensus (the only judge's reading when there is one; None when unjudged)."""
        return consensus([j.reading for j in self.judgements]) if self.judgements else None

    @property
    def fidelity(self) -> float | None:
        """Mean of the judges' fidelities (1 - VA distance / max distance each)."""
        return sum(j.fidelity for j in self.judgements) / len(self.judgements) if self.judgements else None

    @property
    def agrees(self) -> bool | None:
        """Recognised only when every judge that names a label names the target's; None when none can (or a
        judge could not read the take and no other said no)."""
        votes = [j.agrees for j in self.judgements if j.agrees is not None]
        if False in votes:
            return False
        return None if self.unread or not votes else True

    def votes(self, threshold: float) -> list[bool]:
        """Each judge's yes or no at ``threshold`` (`Judgement.recognises`); a judge that could not read the take
        votes no."""
        return [j.recognises(threshold) for j in self.judgements] + [False] * len(self.unread)

    def recognised(self, threshold: float) -> bool:
        """Every judge says yes (what the report, the web page and the dataset filter's 'both' call recognised)."""
        votes = self.votes(threshold)
        return bool(votes) and all(votes)

    def rank(self, threshold: float) -> tuple[bool, bool, float]:
        """How the loop orders takes: a take every judge says yes to (`recognised`, the loop's stop rule) first,
        then one every judge heard as the asked-for label, then by fidelity. Ranked by labels alone, a loop
        stopped on a take both image judges accepted (0.86 and 0.86) but kept an earlier one the second judge
        rejected (0.99 and 0.80): image judges name no label, so neither had one. A take the judges could not
        name (None) does not outrank one a judge named otherwise (False): an image read as 'rage' for 'anger' at
        fidelity 0.76 used to lose to a later round read as 'neutral' at 0.68."""
        return (self.recognised(threshold), self.agrees is True, -1.0 if self.fidelity is None else self.fidelity)

    def to_json(self) -> dict:
        return {"index": self.index, "seed": self.request.seed, "controls": dict(self.result.controls),
                "reading": self.reading.to_json() if self.reading else None,
                "judges": [j.to_json() for j in self.judgements],
                "fidelity": None if self.fidelity is None else round(self.fidelity, 4), "agrees": self.agrees,
                **({"unread": [u.to_json() for u in self.unread]} if self.unread else {})}


@dataclass(frozen=True)
class StudioResult:
    """What `Studio.generate` returns: the take it kept (``best``, also ``media``), every round the loop made
    (``rounds``, the first take first), what was asked (``target``), and each judge's reading of the kept take
    (``judgements``, their mean ``fidelity``, ``recognised`` when every judge heard the target). ``to_json`` is
    the report `emostudio generate` writes beside the file; ``save`` writes both."""

    target: Emotion  #: the emotion asked for (a trajectory's first moment when the take follows one)
    best: Round  #: the kept round: recognised rounds first, then by fidelity (`Round.rank`)
    rounds: tuple[Round, ...]  #: every round made, in order
    timings: Mapping[str, float] = field(default_factory=dict)
    speech: "StudioResult | None" = None  #: a talking face's voice, made and judged by the studio
    threshold: float = 0.85  #: the fidelity at which the judges that read coordinates vote yes (`Studio.threshold`)
    notes: tuple[str, ...] = ()  #: what the studio wants the user to know about the request (`Studio.text_conflict`)
    settings: Mapping[str, Any] = field(default_factory=dict)  #: the backend's settings it was made with

    @property
    def all_notes(self) -> list[str]:
        """What the generator (e.g. about a portrait) and the studio (words against the emotion) want the user to
        know, as the command line and the web page say it."""
        return [*(self.best.result.extras.get("notes") or ()), *self.notes]

    @property
    def recognised(self) -> bool:
        """Whether every judge heard the target in the kept take (`Judgement.recognises` at `threshold`)."""
        return self.best.recognised(self.threshold)

    @property
    def media(self):
        """The kept take's `Audio`, `Video` or `Image`."""
        return self.best.result.media

    @property
    def fidelity(self) -> float | None:
        """The kept take's fidelity: the mean over its judges (None when no judge read it)."""
        return self.best.fidelity

    @property
    def reading(self) -> Reading | None:
        """The judges' consensus reading of the kept take (`consensus`)."""
        return self.best.reading

    @property
    def judgements(self) -> tuple[Judgement, ...]:
        """Each judge's reading of the kept take, its fidelity and whether it agrees with the target."""
        return self.best.judgements

    def save(self, path: "str | os.PathLike", *, model: str | None = None) -> Path:
        """Write the kept take as ``emostudio generate --out`` does: the file (its kind from the suffix), a
        symbolic backend's score beside it and its JSON report (``PATH.json``: target, each judge's reading,
        provenance, licence, and how to remake the neutral take), so ``emostudio critique`` reads the file as
        the loop read it. ``model``: the local weights folder a neural backend was given. Returns the path."""
        from studio.generate import save_take

        return save_take(Path(path), self, prompt=self.best.request.prompt, model=model)[0]

    def to_json(self) -> dict:
        """The take's report as plain JSON values: backend, target (and trajectory), each judge's reading and vote,
        every round and which of them was kept (``kept_round``), provenance and licence, timings, settings, a face's
        voice and the notes."""
        res = self.best.result
        trajectory = self.best.request.trajectory
        return {"backend": res.provenance.backend, "target": self.target.to_json(),
                **({"trajectory": trajectory.to_json()} if trajectory is not None else {}),
                "reading": self.best.reading.to_json() if self.best.reading else None,
                "judges": [j.to_json() for j in self.best.judgements],
                "fidelity": None if self.best.fidelity is None else round(self.best.fidelity, 4),
                "recognised": self.recognised,
                **({"unread": [u.to_json() for u in self.best.unread]} if self.best.unread else {}),
                "rounds": [r.to_json() for r in self.rounds],
                # which of them is the take (0-based, its "index"): with --loop 2 the top-level readings matched
                # one round and no field named it (an audit); older reports lack it, and no reader of reports needs it
                "kept_round": self.best.index,
                "provenance": {k: v for k, v in res.provenance.to_json().items() if k != "backend"},
                "timings": {k: round(v, 4) for k, v in self.timings.items()},
                **({"settings": dict(self.settings)} if self.settings else {}),
                # a talking face's voice: its readings (its rounds and its notes, which are the face's, are not repeated)
                **({"speech": {k: v for k, v in self.speech.to_json().items()
                               if k not in ("rounds", "kept_round", "notes")}} if self.speech else {}),
                **({"notes": self.all_notes} if self.all_notes else {})}  # the generator's and the studio's


def settings_key(settings: Mapping[str, Any] | None) -> str:
    """A backend's settings as one hashable key (canonical JSON), after checking them: a mapping of field names to
    JSON values; ``model`` has its own argument. A `GenerationError` otherwise, before anything is made."""
    if settings is None:
        return ""
    if not isinstance(settings, Mapping) or not all(isinstance(k, str) for k in settings):
        raise GenerationError(f"settings must map a backend's config fields to values, got {settings!r}")
    weights = {"model", "model_dir"} & set(settings)  # (coqui's field is model_dir: it got round the rule, and the
    if weights:  # report named a folder the take was not made with)
        raise GenerationError(f"give the weights as model=..., not as the setting {sorted(weights)[0]}")
    def plain(v):  # NumPy's numbers as Python's: np.int64(256) was "must be plain values, got {'work_px': 256}"
        if getattr(v, "ndim", None) == 0 and hasattr(v, "item"):
            return v.item()
        raise TypeError(type(v).__name__)

    try:
        return json.dumps(dict(settings), sort_keys=True, default=plain)
    except (TypeError, ValueError):
        raise GenerationError(f"settings must be plain values (numbers, text, true/false, lists), got {settings!r}") \
            from None


#: The arguments of `Studio.generate` each modality reads; the others were dropped without a word (speech given
#: ``duration_s=10`` made a 0.7 s take, a face given text and a recording showed the recording), which the command
#: line refuses (`studio.generate.refuse_ignored_options`)
READS = {"speech": {"text", "trajectory"}, "music": {"prompt", "duration_s", "trajectory"}, "image": {"prompt"},
         "face": {"text", "duration_s", "trajectory"}}


def _refuse_unused(modality: str, extra: frozenset = frozenset(), **given: Any) -> None:
    """A `GenerationError` for an argument ``modality`` would ignore (`READS`, and ``extra``: what its backend reads
    besides, a generator's ``extra_reads``), before any work."""
    reads = READS.get(modality)
    if reads is None:  # an unknown modality: the registry names the known ones
        return
    reads = reads | extra
    for name, value in given.items():
        if value is None or name == "audio" or (isinstance(value, str) and value == ""):  # (a form's empty box
            # is "": unset, as None is; a NumPy array compared with "" had been "truth value ... is ambiguous")
            continue
        if name not in reads:
            why = {"trajectory": "a picture is one moment: give the emotion it should show"}.get(name, "")
            raise GenerationError(f"{modality} takes no {name} ({why or 'it reads ' + ', '.join(sorted(reads))})")
    if modality == "face" and given.get("audio") is not None and given.get("text"):
        raise GenerationError("a face speaks either its text or the recording in options['audio'], not both")
    if modality == "face" and given.get("duration_s") is not None and (given.get("text") or given.get("audio") is not None):
        raise GenerationError("duration_s is for a silent face clip; with text or a recording the video lasts as long "
                              "as the speech")


#: How far (in each of valence, arousal and dominance) an emotion given beside a trajectory may lie from the
#: trajectory's start (a plan's state is rounded to 4 places in its JSON)
TRAJECTORY_START_TOLERANCE = 0.05


def _trajectory_start(emotion: "str | Emotion | None", trajectory: Trajectory) -> Emotion:
    """The emotion of a take that follows ``trajectory``: where the trajectory starts (a session passes its plan's
    first state), which the report gives as the target. ``None`` takes the start. An emotion elsewhere is refused:
    it was followed by nothing and yet reported as the target ('anger' beside a sadness-to-joy trajectory made the
    sadness-to-joy piece, labelled anger)."""
    start = trajectory.at(trajectory.start_s)
    if emotion is None:
        return start
    given = Emotion.parse(emotion)
    if max(abs(x - y) for x, y in zip(given.vad, start.vad)) > TRAJECTORY_START_TOLERANCE:
        where = lambda e: f"{e.top} (v={e.valence:+.2f}, a={e.arousal:+.2f}, d={e.dominance:+.2f})"  # noqa: E731
        raise GenerationError(f"a take that follows a trajectory starts where it starts, {where(start)}, not at "
                              f"{where(given)}; give the trajectory's first emotion, or none")
    return given


def _critic_model(key: str, folder: "str | os.PathLike") -> str:
    """A neural critic's weights' folder as text, refused for a critic that reads shipped weights (it had been a
    TypeError from inside the critic's constructor)."""
    if key not in critics_registry.NEURAL:
        raise GenerationError(f"{key} reads its shipped weights and takes no model folder; the critics that take "
                              f"one: {', '.join(critics_registry.NEURAL)}")
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise GenerationError(f"{key}'s model is its weights' folder (a path), got {folder!r}")
    return os.fspath(folder)


class Studio:
    """Keyword-only facade over generators, critics and the loop. Backends are created once and reused;
    they hold no per-request state, so one Studio can serve many requests."""

    THRESHOLD = 0.85  #: the default `threshold`

    def __init__(self, *, threshold: float = THRESHOLD, critic_models: Mapping[str, "str | os.PathLike"] | None = None
                 ) -> None:
        """``critic_models``: the local weights of the neural judges this studio loads, by critic
        (``{"image/clip": "~/models/clip"}``; the loop's judges, `critic` and `critique` alike): a Python caller
        had only the judges' environment variables, though their errors said "model=DIR in Python"."""
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0.0 <= threshold < math.inf:
            raise GenerationError(f"threshold must be a fidelity from 0 to 1 (above 1: the loop never stops early), "
                                  f"got {threshold!r}")
        self.threshold = float(threshold)  #: fidelity at which the loop stops early
        c = critics_registry
        if critic_models is not None and not isinstance(critic_models, Mapping):
            raise GenerationError(f"critic_models maps critics to their weights' folders, e.g. "
                                  f"{{'image/clip': '~/models/clip'}}, got {critic_models!r}")
        self.critic_models = {}  #: critic key ('image/clip') -> its weights' folder
        for name, folder in (critic_models or {}).items():
            if not isinstance(name, str) or "/" not in name:
                raise GenerationError(f"critic_models are keyed by critic, modality and name ('image/clip'), got "
                                      f"{name!r}")
            key = resolve_key(c.CRITICS, c.DEFAULTS, *name.split("/", 1), c.MODALITIES, "critic")
            self.critic_models[key] = _critic_model(key, folder)
        from studio.output import quiet_fluidsynth

        quiet_fluidsynth()  # the facade of every API path, as `main` is the command line's: with $CI set the MIDI
        # binding's import line had landed in a Python program's output (pretty_midi imports it on its own import)
        self._generators: dict[tuple[str, str, str | None], Any] = {}  #: (modality, resolved name, model)
        self._critics: dict[tuple[str, str | None], Any] = {}  #: by resolved key ('speech/encoder') and weights
        self._creating = threading.RLock()  #: two threads asking for one backend at once make it once
        self._neutral_takes: dict[tuple, Any] = {}  #: (generator, content, coder) -> its neutral take
        self._references: dict[tuple, Any] = {}  #: (generator, critic, content) -> the critic's reference

    # ---- conditioning ---------------------------------------------------------------------------------
    @staticmethod
    def emotion(spec: "str | Emotion") -> Emotion:
        return Emotion.parse(spec)

    @staticmethod
    def plan(current: "str | Emotion", target: "str | Emotion", *, minutes: float, clip_s: float,
             max_step: float | None = None):
        return plan_iso(current, target, minutes, clip_s, max_step=max_step)

    # ---- backends ---------------------------------------------------------------------------------------
    def generator(self, modality: str, backend: str | None = None, *, model: str | None = None,
                  settings: Mapping[str, Any] | None = None):
        """A backend, created once per (modality, backend, model, settings); ``model`` is a neural backend's local
        weights, ``settings`` its config's fields (`settings_key`: device, dtype, offload, variant for the neural
        backends; shading for the face animator), which the command line gives as ``--config KEY=VALUE``."""
        g = generators_registry
        if not isinstance(modality, str) or modality not in g.MODALITIES:  # (["image"] was "unhashable type")
            raise UnknownBackend(f"unknown modality {modality!r}; known: {', '.join(g.MODALITIES)}")
        # one instance per backend however it is named ('procedural', 'image/procedural', auto's choice): each
        # holds its loaded models and caches (a face's neutral take is remembered per generator instance)
        auto = backend in (None, "auto")
        name = "auto" if auto else resolve_key(g.GENERATORS, g.DEFAULTS, modality, backend, g.MODALITIES, "generator")
        if model and not auto and name.split("/", 1)[1] not in g.MODEL_BACKENDS.get(modality, ()):
            voice = " (its voice is given with --voice, voice=)" if name in ("speech/piper", "speech/festival") else ""
            raise GenerationError(f"{name} takes no model folder (--model, model=){voice}; the backends that do: "
                                  f"{', '.join(g.MODEL_BACKENDS.get(modality, ())) or 'none'}")
        fixed = settings_key(settings)
        key = (modality, name, model, fixed)
        with self._creating:
            if key not in self._generators:
                # a setting a backend's config has no field for is refused by name ("unknown option(s) [...]")
                gen = load_generator(modality, backend, **({"model": model} if model else {}), **dict(settings or {}))
                if auto:  # the backend auto chose, under its own name too
                    gen = self._generators.setdefault((modality, f"{modality}/{gen.name}", model, fixed), gen)
                self._generators[key] = gen
            return self._generators[key]

    def critic(self, modality: str, name: str | None = None, *, model: "str | os.PathLike | None" = None):
        """A critic, created once per (critic, weights); ``model``: a neural critic's local weights (default: this
        studio's `critic_models`, else the critic's environment variable)."""
        c = critics_registry
        key = resolve_key(c.CRITICS, c.DEFAULTS, modality, name, c.MODALITIES, "critic")  # 'encoder' = 'speech/encoder'
        model = _critic_model(key, model) if model is not None else self.critic_models.get(key)
        with self._creating:
            if (key, model) not in self._critics:
                self._critics[key, model] = load_critic(modality, name, **({"model": model} if model else {}))
            return self._critics[key, model]

    def text_conflict(self, text: str | None, target: "str | Emotion", margin: float = 0.35) -> str | None:
        """A warning when the words pull against the requested emotion (e.g. a cheerful lyric sung sadly),
        or None. Only clear disagreements are reported: opposite valence signs, both beyond ``margin``, the words'
        borne out by VADER's sentence score (its sign)."""
        return self.text_conflicts(text, [target], margin).get(target)

    def text_conflicts(self, text: str | None, targets: Sequence["str | Emotion"],
                       margin: float = 0.35) -> dict:
        """`text_conflict` for each of ``targets`` it has a warning for, the text read once (a dataset's text is
        spoken with several labels)."""
        if not text or not text.strip():
            return {}
        try:
            words = self.critique("text", text)
        except (BackendUnavailable, ValueError):  # no text critic here, or words it cannot read: nothing to say
            return {}
        if words.details.get("vader_compound", 0.0) * words.valence <= 0:  # word associations alone are no tone:
            # "The garden is behind the house." read +0.48 through EmoLex's garden (joy), "The teacher left the bank."
            # +0.42 (trust), and takes of them were noted as mixed messages; VADER's sentence score must bear it out
            return {}
        # the words that pull the way the text reads, strongest first ("positive, from: storm, ..." had named the
        # first four affect words whatever their sign: an audit)
        said = zip(words.details.get("affect_words", []), words.details.get("affect_valence", []))
        pulling = list(dict.fromkeys(w for w, v in sorted(said, key=lambda wv: -abs(wv[1])) if v * words.valence > 0))
        out = {}
        for target in targets:
            goal = Emotion.parse(target)
            if words.valence * goal.valence < 0 and min(abs(words.valence), abs(goal.valence)) >= margin:
                tone = "positive" if words.valence > 0 else "negative"
                out[target] = (f"the words read as {tone} (valence {words.valence:+.2f}, from: "
                               f"{', '.join(pulling[:4]) or 'overall tone'}) but the "
                               f"requested emotion {goal.top} has valence {goal.valence:+.2f}; listeners may hear a "
                               "mixed message")
        return out

    # ---- measuring and generating ---------------------------------------------------------------------
    def critique(self, modality: str, media: Any, *, critic: str | None = None,
                 model: "str | os.PathLike | None" = None) -> Reading:
        """One critic's reading of ``media`` (a file or media object) alone: no speaker reference and no take
        report followed, so a studio speech take reads as `emostudio critique --single-file` reads it (the
        command line reads it against the neutral take its report names: an angry take's arousal +0.64 there,
        +0.40 here). For that reading, score with a reference: ``critic.score(media,
        speaker_reference=critic.reference([neutral], "neutral"))``. ``model``: a neural critic's weights (`critic`)."""
        return self.critic(modality, critic, model=model).score(media)

    def judges(self, modality: str, names: Sequence[str] | None = None, *, required: bool = False) -> list:
        """The critics that judge a modality's takes: ``names`` (each must load), or the modality's pair from
        `critics.registry.JUDGES` (those that cannot run here are left out; none at all: an empty list, or
        with ``required`` the reason the first could not load)."""
        return self._judges(modality, names, required)[0]

    def _judges(self, modality: str, names: Sequence[str] | None, required: bool) -> tuple[list, str | None]:
        """`judges`, and what to tell a user whose loop has fewer judges than the modality's pair (an extra not
        installed: the loop then pleases one judge, the thing two judges are there to prevent), or None."""
        names = _names(names)
        if names:  # one judge named two ways ('encoder', 'speech/encoder') is one instance (`critic`), counted
            # once: it had scored each take twice and counted double in the fidelity and the loop's correction
            return list(dict.fromkeys(self.critic(modality, n) for n in names)), None
        out, missing = [], []
        for n in JUDGES.get(modality, (None,)):
            try:
                out.append(self.critic(modality, n))
            except BackendUnavailable as exc:
                missing.append(exc)
        if required and not out and missing:
            raise missing[0]
        note = (f"judged by {', '.join(f'{modality}/{c.name}' for c in out)} alone: "
                + "; ".join(str(m) for m in missing)) if out and missing else None
        return out, note

    def generate(self, modality: str, emotion: "str | Emotion | None", *, backend: str | None = None,
                 critic: str | None = None, judges: Sequence[str] | None = None, loop: int = 0, seed: int = 0,
                 text: str | None = None, prompt: str | None = None, duration_s: float | None = None,
                 trajectory: Trajectory | None = None, options: Mapping[str, Any] | None = None,
                 score: bool = True, model: str | None = None,
                 settings: Mapping[str, Any] | None = None,
                 progress: "Callable[[int, int], None] | None" = None) -> StudioResult:
        """Generate, measure and (with ``loop`` > 0) correct for up to ``loop`` extra rounds, keeping the best.

        ``emotion``: a spec, mapping or `Emotion`; ``seed``: 0 to 2**63-1, the same seed giving the same take (the
        loop's later rounds take the next seeds); ``text`` the words of speech and a face, ``prompt`` an image's
        or a MusicGen piece's words, ``duration_s`` music's length; ``options`` the backend's per-take options
        (a voice, a portrait, a style: each backend's card lists them); ``model`` a neural backend's local
        weights. ``score=False`` skips the judges when there is no loop (a loop always scores). Raises
        `EmotionStudioError` (`conditioning.errors`) for anything it refuses, before anything is made where it
        can tell. ``settings``: the backend's config fields (`generator`), e.g. ``{"offload": True, "dtype": "float16"}``
        for a neural backend on a GPU, ``{"shading": 0}`` for a face without the FER2013-derived shading.

        ``progress(round, rounds)`` is told as each round of the loop starts (0-based, of at most ``rounds``): the web
        app's bar had stood at one figure through a four-round take (an audit).

        ``judges`` names the critics (default, also for an empty list: the modality's two judges); ``critic`` adds one (alone, without
        ``judges``: the command line's ``--critic``). With a ``trajectory`` the take follows it and ``emotion`` is
        where it starts (None: its first keyframe's)."""
        if isinstance(loop, bool) or not isinstance(loop, numbers.Integral) or loop < 0:
            raise GenerationError(f"loop must be a whole number of correction rounds >= 0, got {loop!r}")
        loop = int(loop)
        # the request checks every argument's kind (before a face's voice reads the text)
        if isinstance(trajectory, Trajectory) and "trajectory" in READS.get(modality, ()):  # (another kind, or a
            # modality that takes none, is refused below)
            emotion = _trajectory_start(emotion, trajectory)
        request = GenerationRequest(Emotion.parse(emotion), trajectory, text, prompt, seed, duration_s,
                                    {} if options is None else options)
        voice = request.options.get("voice")
        if voice is not None and not isinstance(voice, (str, os.PathLike)):  # (['joe'] was "unhashable type")
            raise GenerationError(f"a voice is a built-in voice's name or a voice file's path, got {voice!r}")
        if modality == "speech" and backend in (None, "auto") and model is None:
            backend = VOICE_BACKENDS.get(voice, backend)  # a built-in voice picks its backend
        generator = self.generator(modality, backend, model=model, settings=settings)  # (created, not loaded)
        _refuse_unused(modality, getattr(generator, "extra_reads", frozenset()), text=text, prompt=prompt,
                       duration_s=duration_s, trajectory=trajectory, audio=request.options.get("audio"))
        speech = None
        if modality == "face":
            speech, options = self.voice_for_face(request.emotion, trajectory, text, request.options, request.seed,
                                                  score=score)
            request = replace(request, text=None if speech else text, options=options)
        else:
            request = replace(request, options=dict(request.options))
        names = _names([*_names(judges), *([critic] if critic else [])])
        critics, judges_note = (self._judges(modality, names, required=loop > 0) if (score or loop > 0 or names)
                                else ([], None))
        result = self.run_loop(generator, critics, request, loop, progress=progress)
        if speech is not None:  # a talking face says what its voice was told (measured once, there): the words
            # against the emotion, and what the voice's backend noted (a language), as its voice's (an audit read
            # "the take holds 0.84 s of speech ... its reading is unreliable" as said of the face)
            notes = tuple(f"its voice: {n}" for n in speech.all_notes)
        else:
            conflict = (self.text_conflict(text, request.emotion)
                        if modality in ("speech", "face") and trajectory is None else None)
            notes = (conflict,) if conflict else ()
        if judges_note:
            notes = (*notes, judges_note)
        notes = (*notes, *result.notes)  # (the loop's own: where it stopped early)
        heard = [s for j in result.best.judgements if (s := j.reading.details.get("speech_s")) is not None]
        if modality == "speech" and heard and min(heard) < SHORT_SPEECH_S:  # ("Hi." is 0.28 s: only critique said so)
            notes = (*notes, f"the take holds {min(heard):.2f} s of speech: {SHORT_SPEECH}")
        made = result.best.result.media  # without a duration, the music backend's default length: a 60-s trajectory
        # over the composer's 30-s default take was cut at 30 s without a word, its report carrying the whole path;
        # a spoken take (a face's too) lasts as long as its words: 1.6 s of a 10-s path, without a word (an audit)
        lasts = duration_s if duration_s is not None else getattr(made, "duration_s", None)
        if trajectory is not None and speech is None and lasts is not None and lasts < trajectory.end_s - 1e-6:
            said = f"{round(lasts, 1):g} s"  # (a face with a voice lasts as long as it, which has said so)
            notes = (*notes, f"the take lasts {said}, so it follows the trajectory's first {said} of "
                             f"{trajectory.end_s:g}")
        # as plain JSON values (NumPy's numbers as Python's), which the report writes
        return replace(result, speech=speech, notes=notes, settings=json.loads(settings_key(settings) or "{}"))

    def voice_for_face(self, target: Emotion, trajectory: Trajectory | None, text: str | None,
                       options: Mapping[str, Any], seed: int, *, score: bool = True) -> "tuple[StudioResult | None, dict]":
        """The speech a talking face says, made here so a face backend never calls a speech backend: the same
        emotion (or trajectory) and seed, scored by the speech judges; its audio and phoneme timings become
        the face's options. ``options["audio"]`` (a path or `Audio`, the user's recording) is used as it is;
        ``voice`` and ``speech_backend`` choose the speaker."""
        from conditioning.media import Audio, load_audio

        opts = dict(options)
        voice, speech_backend = opts.pop("voice", None), opts.pop("speech_backend", None)
        audio = opts.get("audio")
        if text and not text.strip():  # "   " made a silent clip without a word ("" is unset, as a form's empty box)
            raise GenerationError("the face's text is empty; give the words it should say, or leave text out for a "
                                  "silent clip")
        if (voice or speech_backend) and (audio is not None or not text):  # it was dropped without a word
            raise GenerationError(f"a face's {'voice' if voice else 'speech_backend'} chooses who speaks its text; "
                                  + ("with a recording (audio) the recording speaks" if audio is not None else
                                     "without text the clip is silent"))
        if audio is not None:
            if not isinstance(audio, (Audio, str, Path)):
                raise GenerationError(f"face option 'audio' must be a recording's path or Audio, got {audio!r}")
            if not isinstance(audio, Audio):
                opts["audio"] = load_audio(audio, mono=False)  # the soundtrack keeps its channels
            return None, opts
        if not text:
            return None, opts  # a silent clip (the backend says how long)
        speech = self.generate("speech", target, backend=speech_backend, text=text, trajectory=trajectory, seed=seed,
                               options={"voice": voice} if voice else None, score=score)
        res = speech.best.result
        opts.update(audio=res.media, phonemes=list(res.extras.get("phonemes") or []),
                    speech={"backend": res.provenance.backend, "model": res.provenance.model,
                            "licence": res.provenance.licence, "fidelity": speech.best.fidelity,
                            "recognised": speech.recognised})
        return speech, opts

    def reference_for(self, generator, critic, request: GenerationRequest, coded_as: str | None = None):
        """A critic's reference statistics for this content, voice and seed (speech: the same words and voice at
        rest, from the same seed, since a seed changes a take's timing and, in a diffusion model, the voice), made
        once per Studio and reused by every round of the loop. The seed is part of the key so that a reading
        depends only on its own request, never on which request came first in the process: a dataset's item is
        then the same on one process, many, or a Ray cluster, and after a resume. Public for `critique` and the
        web's Analyse tab, which read a take the studio wrote against the same neutral take (`studio.critique.reference_source`);
        ``coded_as`` (a take stored as ``.mp3`` or ``.ogg``): the neutral take goes through the same lossy coder
        (`conditioning.media.coded_copy`), so the coder's changes are not read as emotion."""
        content = (id(generator), request.text, request.prompt, request.seed,
                   tuple(sorted((k, _fingerprint(v)) for k, v in (request.options or {}).items())))
        key = (id(critic), *content, coded_as)
        ref = self._references.get(key)
        if ref is None:
            ref = _remember(self._references, key, critic.reference([self._neutral_take(generator, request, content,
                                                                                        coded_as)]))
        return ref

    def _neutral_take(self, generator, request: GenerationRequest, content: tuple, coded_as: str | None):
        """The neutral take of ``content``, made once for every judge; sent through ``coded_as``'s coder once too."""
        take = self._neutral_takes.get((*content, coded_as))
        if take is None:
            if coded_as is None:
                take = generator.neutral_reference(request)
            else:
                from conditioning.media import coded_copy

                take = coded_copy(self._neutral_take(generator, request, content, None), coded_as)
            _remember(self._neutral_takes, (*content, coded_as), take)
        return take

    def _scorers(self, generator, critics: Sequence[Any], request: GenerationRequest) -> list:
        """Per critic, a function from a `GenerationResult` to its `Reading`, None (the take offers nothing
        this critic reads, e.g. no MIDI for a symbolic music judge) or `Unread` (the critic refused the take or
        its reference with a `CriticError` or `MediaError`, e.g. a speech judge given noise by an untrained model
        or MIDI bytes it cannot parse: the take is kept and the refusal reported, rather than the whole
        generation failing)."""
        return [self._guarded(critic, self._scorer(generator, critic, request)) for critic in critics]

    @staticmethod
    def _guarded(critic, score):
        def guarded(res):
            try:
                return score(res)
            except (CriticError, MediaError) as exc:
                return Unread(_critic_id(critic), str(exc))
        return guarded

    def _scorer(self, generator, critic, request: GenerationRequest):
        """One critic's scoring function. Where the generator can render a neutral take of the same content and
        the critic can normalise against a reference (speech: the same voice and words), the reference is made
        once and passed along, so the critic measures the emotion, not the voice. A critic with
        ``reads = "midi"`` gets the take's score."""
        if getattr(critic, "reads", "media") == "midi":
            return lambda res: critic.score(res.extras["midi_bytes"]) if res.extras.get("midi_bytes") else None
        if hasattr(generator, "neutral_reference") and hasattr(critic, "reference"):
            try:
                ref = self.reference_for(generator, critic, request)  # the voice's statistics, measured once
            except (CriticError, MediaError) as exc:  # then no take of this content can be read by this judge
                unread = Unread(_critic_id(critic), f"its reference (a neutral take of the same content) could not "
                                f"be read: {exc}")
                return lambda res: unread
            return lambda res: critic.score(res.media, speaker_reference=ref)
        return lambda res: critic.score(res.media)

    def run_loop(self, generator, critics: "Any | Sequence[Any]", request: GenerationRequest,
                 loop: int = 0, progress: "Callable[[int, int], None] | None" = None) -> StudioResult:
        """The closed loop over a generator and one critic or a list of judges (public so tests, benches and
        sessions can drive it); ``progress`` as `generate` tells it."""
        t0 = time.perf_counter()
        if critics is None:
            critics = []
        elif not isinstance(critics, (list, tuple)):
            critics = [critics]
        rounds: list[Round] = []
        notes: tuple[str, ...] = ()
        scorers = self._scorers(generator, critics, request)
        trajectory = request.trajectory  # a take asked to follow it is judged along it, not against `emotion`
        for i in range(loop + 1):
            if progress is not None:
                progress(i, loop + 1)
            result = generator.generate(request)
            readings = [r for r in (score(result) for score in scorers) if r is not None]
            duration = getattr(result.media, "duration_s", None)
            rnd = Round(i, request, result, tuple(Judgement.of(request.emotion, r, trajectory, duration)
                                                  for r in readings if isinstance(r, Reading)),
                        tuple(r for r in readings if isinstance(r, Unread)))
            rounds.append(rnd)
            checkpoint()  # a Ctrl-C Python swallowed during the round (see `studio.errors.ctrl_c_noted`)
            # stop once the take is close enough and every judge votes yes (`Round.recognised`: a label for the
            # judges that name one, fidelity for those that read coordinates, and a judge that could not read the
            # take is a no; an image at mean fidelity 0.85 with one judge at 0.76, or a take one judge raised on,
            # used to stop the loop while the report marked it ✗)
            if (rnd.fidelity is None or i == loop or (rnd.fidelity >= self.threshold
                                                      and rnd.recognised(self.threshold))):
                break
            asked = request
            if hasattr(generator, "correct"):  # a correction moves the whole take: aim at the trajectory's mean
                target = request.emotion if trajectory is None else trajectory.mean(0.0, duration or trajectory.end_s)
                request = generator.correct(request, target, rnd.reading)
            else:
                request = replace(request, seed=next_seed(request.seed))
            if request == asked:  # the correction asks for the same take (its controls at their limits): a round
                notes = (f"the loop stopped after round {i}: its correction asked for the same take again (its "
                         "controls are at their limits), which would only repeat it",)
                break  # would draw and judge it again (an audit: an image's rounds 4-9 were one picture, twice the time)
            if request.seed != asked.seed and getattr(generator, "seed_changes_voice", False):  # a new voice: read it
                scorers = self._scorers(generator, critics, request)  # against its own neutral take, not round 0's
        best = max(rounds, key=lambda r: r.rank(self.threshold))
        return StudioResult(request.emotion, best, tuple(rounds), {"total_s": time.perf_counter() - t0},
                            notes=notes, threshold=self.threshold)
