"""Emotion over time: keyframed `Trajectory` and the iso-principle session planner.

A trajectory is sampled wherever a generator needs it: per word (speech), per video frame (faces), per bar
(music). The iso principle (Altshuler 1948; Heiderscheit & Madson 2015) says a session should first match the
listener's current state, then lead gradually to the target; `plan_iso` turns that into one target per clip
with a bounded step between neighbouring clips.
"""
from __future__ import annotations

import bisect
import math
import numbers
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .emotion import Emotion
from .errors import PlanError
from .registry import finite_number


@dataclass(frozen=True)
class Keyframe:
    time_s: float
    emotion: Emotion


def _smoothstep(u: float) -> float:
    return u * u * (3.0 - 2.0 * u)


EASINGS = {"linear": lambda u: u, "smooth": _smoothstep, "step": lambda u: 0.0 if u < 1.0 else 1.0}


def blend(a: Emotion, b: Emotion, u: float) -> Emotion:
    """The emotion a fraction ``u`` of the way from ``a`` to ``b``: coordinates, mix and intensity blend."""
    if u <= 0.0:
        return a
    if u >= 1.0:
        return b
    mix = {k: (1 - u) * a.mix.get(k, 0.0) + u * b.mix.get(k, 0.0) for k in {*a.mix, *b.mix}}
    mix = dict(sorted(mix.items(), key=lambda kv: (-kv[1], kv[0])))  # (a tie by name, as `Emotion.from_mix`)
    lerp = lambda x, y: (1 - u) * x + u * y  # noqa: E731
    return Emotion(lerp(a.valence, b.valence), lerp(a.arousal, b.arousal), lerp(a.dominance, b.dominance), mix,
                   lerp(a.intensity, b.intensity), a.point and b.point)


#: The most samples `Trajectory.sample` gives: 48 kHz over 20 s, far more than any frame or bar rate needs
MAX_SAMPLES = 1_000_000


def _seconds(x, what: str) -> float:
    """``x`` if it is a finite real number (not a bool), else a `PlanError` naming ``what``."""
    if not finite_number(x):
        raise PlanError(f"{what} must be a finite number, got {x!r}")
    return float(x)


@dataclass(frozen=True)
class Trajectory:
    """Keyframes (time in seconds -> Emotion), interpolated between and held flat outside."""

    keyframes: tuple[Keyframe, ...]
    easing: str = "linear"

    def __post_init__(self) -> None:
        if not self.keyframes:
            raise PlanError("a trajectory needs at least one keyframe")
        times = [k.time_s for k in self.keyframes]
        if not all(isinstance(t, numbers.Real) and math.isfinite(t) for t in times):
            raise PlanError(f"keyframe times must be finite numbers of seconds, got {times}")
        if any(t1 <= t0 for t0, t1 in zip(times, times[1:])):
            raise PlanError(f"keyframe times must strictly increase, got {times}")
        if self.easing not in EASINGS:
            raise PlanError(f"unknown easing {self.easing!r}; known: {', '.join(EASINGS)}")

    def to_json(self) -> dict:
        """The trajectory as plain JSON values (a report's ``trajectory``); `from_json` reads it back."""
        return {"easing": self.easing, "keyframes": [{"time_s": round(k.time_s, 3), **k.emotion.to_json()}
                                                     for k in self.keyframes]}

    @classmethod
    def from_json(cls, doc: Mapping) -> "Trajectory":
        """The trajectory `to_json` wrote (a report's ``trajectory``), as `Emotion.from_json` reads a report's target:
        there was no way back (an API audit)."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("keyframes"), (list, tuple)):
            raise PlanError(f"a trajectory in JSON has keyframes (time_s and an emotion each) and an easing, as "
                            f"Trajectory.to_json writes it; got {doc!r:.120}")
        frames = []
        for k in doc["keyframes"]:
            if not isinstance(k, Mapping) or "time_s" not in k:
                raise PlanError(f"a keyframe in JSON has time_s and an emotion's valence, arousal ...; got {k!r:.120}")
            frames.append(Keyframe(k["time_s"], Emotion.from_json({n: v for n, v in k.items() if n != "time_s"})))
        return cls(tuple(frames), doc.get("easing", "linear"))

    def mean(self, start_s: float, end_s: float, n: int = 32) -> Emotion:
        """The emotion the trajectory holds on average over [start_s, end_s] (its VAD point at ``n`` evenly spaced
        times): where a correction that moves a whole take at once should aim."""
        if not end_s > start_s:
            return self.at(start_s)
        ts = [start_s + (end_s - start_s) * (i + 0.5) / n for i in range(n)]
        v, a, d = (sum(self.at(t).vad[i] for t in ts) / n for i in range(3))
        return Emotion.from_vad(max(-1.0, min(1.0, v)), max(-1.0, min(1.0, a)), max(-1.0, min(1.0, d)))

    @classmethod
    def of(cls, points: Iterable[tuple[float, "Emotion | str"]], easing: str = "linear") -> "Trajectory":
        """Build from (time_s, emotion or spec) pairs."""
        if isinstance(points, (str, bytes)) or not isinstance(points, Iterable):  # (None was a bare TypeError)
            raise PlanError(f"a trajectory is built from (time in seconds, emotion) pairs, got {points!r}")
        frames = []
        for pair in points:
            if not (isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2):
                raise PlanError(f"a keyframe is a (time in seconds, emotion) pair, got {pair!r}")
            t, e = pair  # ('a' as a time had been float()'s ValueError)
            frames.append(Keyframe(_seconds(t, f"the time of the keyframe of {e!r}"), Emotion.parse(e)))
        return cls(tuple(frames), easing)

    @classmethod
    def constant(cls, emotion: "Emotion | str") -> "Trajectory":
        return cls((Keyframe(0.0, Emotion.parse(emotion)),))

    @property
    def start_s(self) -> float:
        return self.keyframes[0].time_s

    @property
    def end_s(self) -> float:
        return self.keyframes[-1].time_s

    def at(self, t: float) -> Emotion:
        """The emotion at time ``t`` seconds."""
        _seconds(t, "a trajectory's time")
        times = [k.time_s for k in self.keyframes]
        i = bisect.bisect_right(times, t)
        if i == 0:
            return self.keyframes[0].emotion
        if i == len(times):
            return self.keyframes[-1].emotion
        k0, k1 = self.keyframes[i - 1], self.keyframes[i]
        u = (t - k0.time_s) / (k1.time_s - k0.time_s)
        return blend(k0.emotion, k1.emotion, EASINGS[self.easing](u))

    def sample(self, rate_hz: float, start_s: float | None = None, end_s: float | None = None) -> list[tuple[float, Emotion]]:
        """Samples at ``rate_hz`` from start to end inclusive (e.g. 25 Hz video frames, 0.5 Hz bars)."""
        if _seconds(rate_hz, "a sample rate in Hz") <= 0:  # (nan and inf had been ValueError and OverflowError)
            raise PlanError(f"sample rate must be > 0 Hz, got {rate_hz}")
        t0 = self.start_s if start_s is None else _seconds(start_s, "start_s")
        t1 = self.end_s if end_s is None else _seconds(end_s, "end_s")
        n = int(math.floor((t1 - t0) * rate_hz + 1e-9)) + 1
        if n > MAX_SAMPLES:  # (sample(1e9) over a minute ran until it was killed)
            raise PlanError(f"{n:,} samples asked for ({rate_hz:g} Hz over {t1 - t0:g} s); at most {MAX_SAMPLES:,}")
        return [(t0 + i / rate_hz, self.at(t0 + i / rate_hz)) for i in range(max(n, 1))]

    def at_times(self, times: Sequence[float]) -> list[Emotion]:
        """The emotion at each of ``times`` (e.g. word onsets)."""
        return [self.at(t) for t in times]


# ---- iso-principle planner --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedClip:
    index: int
    start_s: float
    end_s: float
    emotion: Emotion

    def to_json(self) -> dict:
        e = self.emotion.to_json()
        return {"index": self.index, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "valence": e["valence"], "arousal": e["arousal"], "dominance": e["dominance"], "mix": e["mix"]}


@dataclass(frozen=True)
class IsoPlan:
    current: Emotion
    target: Emotion
    clips: tuple[PlannedClip, ...]
    max_step: float | None
    easing: str

    def steps(self) -> list[float]:
        """Valence-arousal distance between neighbouring clips."""
        return [math.dist(a.emotion.va, b.emotion.va) for a, b in zip(self.clips, self.clips[1:])]

    def trajectory(self) -> Trajectory:
        """Keyframes at clip centres, for generators that follow the plan continuously."""
        return Trajectory(tuple(Keyframe((c.start_s + c.end_s) / 2, c.emotion) for c in self.clips))

    def to_json(self) -> dict:
        return {"from": self.current.to_json(), "to": self.target.to_json(), "max_step": self.max_step,
                "easing": self.easing, "clips": [c.to_json() for c in self.clips]}


def _profile(n: int, hold: int, easing: str) -> list[float]:
    """Fractions of the way to the target for n clips: ``hold`` clips at each end, eased in between."""
    steps = n - 2 * hold + 1  # transitions from the last start clip to the first end clip
    ease = EASINGS[easing]
    return [0.0] * (hold - 1) + [ease(k / steps) for k in range(steps + 1)] + [1.0] * (hold - 1)


MAX_CLIPS = 2000  #: a plan's clip count limit (over 8 h of 15 s clips): beyond it a plan is a typo, not a session
#: The shortest last clip, as a share of the clip length: 15 min in 40 s clips ends 22 full clips with a 20 s
#: one, but 10 min in 13 s clips would end on a 2 s stub (too short for a piece of music to say anything, or
#: for a listener to settle), so a shorter remainder lengthens the clip before it (at most 1.5 clip lengths).
SHORTEST_LAST = 0.5
#: The shortest clip a session plays (less than two bars of slow music: too short to judge or to lead). A
#: remainder shorter than this also joins the clip before it, whatever the clip length.
MIN_CLIP_S = 5.0


def clip_lengths(clips) -> str:
    """"30 clips of 30 s", "23 clips of 40 s, the last 20 s": what a plan's clips (anything with ``start_s``
    and ``end_s``) last, for people."""
    lengths = [c.end_s - c.start_s for c in clips]
    if not lengths:
        return "no clips"
    head = f"{len(lengths)} clip{'s' if len(lengths) > 1 else ''} of {lengths[0]:g} s"
    return head if abs(lengths[-1] - lengths[0]) < 1e-6 else f"{head}, the last {lengths[-1]:g} s"


def clip_note(plan: IsoPlan, clip_s: float) -> str | None:
    """What a plan did with the clip length asked for when it played another (None when it kept it): a plan that
    moves needs two clips, so a time under two clips' length is cut into two even halves (45 s clips in one
    minute were played as 30 s ones without a word, and the JSON said 45)."""
    played = plan.clips[0].end_s - plan.clips[0].start_s
    if len(plan.clips) == 2 and abs(played - clip_s) > 1e-6:
        return (f"2 clips of {played:g} s, not the {clip_s:g} s asked: a plan that moves needs two clips, so its "
                f"{plan.clips[-1].end_s:g} s are cut into even halves")
    return None


#: The largest step between neighbouring clips (valence-arousal distance) that still leads a listener rather than
#: jumps, when no --max-step is given: a quarter of the plane's width (2). The 15-minute demo (30-s clips, max
#: step 0.15) steps 0.11; anxiety -> calm in 3 min of 20-s clips 0.34; in 1 min of 30-s clips 1.86, the whole way
#: at once, which was reported as "quadrant agreement 100 %" with no word of it.
ISO_STEP = 0.5


def _minutes_up(seconds: float) -> str:
    """Seconds as minutes to one decimal, rounded up: a plan of that length holds them (17 clips of 5 s, 1.417
    min, were offered as "1.4 min", which gives 16)."""
    return f"{math.ceil(seconds / 6 - 1e-9) / 10:.1f}"


def plan_iso(current: "Emotion | str", target: "Emotion | str", minutes: float, clip_s: float,
             max_step: float | None = None, hold: float = 0.1) -> IsoPlan:
    """Clip targets from ``current`` to ``target`` over ``minutes`` in clips of ``clip_s`` seconds.

    Every clip is ``clip_s`` long except the last, which takes the remainder (at least half a clip,
    `SHORTEST_LAST`, and `MIN_CLIP_S`; a shorter remainder joins the clip before it); a two-clip plan that moves
    and whose remainder is shorter, and a moving plan shorter than one clip, are cut into two even halves.
    The first clip matches the current state and the last is the target. About ``hold`` of the clips at each
    end stay on the start/target (matching, then settling), and the path eases in between, as long as no
    step between neighbouring clips exceeds ``max_step`` (valence-arousal distance); otherwise the planner
    falls back to shorter holds and a linear path, and raises `PlanError` if even that is too steep. Without
    ``max_step`` the same shapes are tried against `ISO_STEP`, and where none keeps within it the gentlest is
    taken (a jump, which a session's report warns of).
    """
    a, b = Emotion.parse(current), Emotion.parse(target)
    # by kind as well as range: clip_s="30" was a TypeError, minutes=True a one-minute plan
    if not (finite_number(minutes) and minutes > 0):
        raise PlanError(f"minutes must be a number > 0, got {minutes!r}")
    if not (finite_number(clip_s) and clip_s > 0):
        raise PlanError(f"clip length must be a number of seconds > 0, got {clip_s!r}")
    if max_step is not None and not (finite_number(max_step) and max_step > 0):
        raise PlanError(f"max step must be a number > 0, got {max_step!r}")
    total = minutes * 60.0
    if not total / clip_s <= MAX_CLIPS + 1:  # (1e308 minutes, or clips of 1e-320 s: math.ceil of infinity)
        raise PlanError(f"{minutes:g} min in clips of {clip_s:g} s gives more than {MAX_CLIPS} clips; a plan has at "
                        f"most {MAX_CLIPS} (e.g. 8 hours of 15 s clips): use longer clips or fewer minutes")
    n = max(1, math.ceil(total / clip_s - 1e-9))  # (a clip longer than the plan: one clip, not none)
    step = clip_s
    remainder = total - (n - 1) * clip_s
    still = a.va == b.va and a.dominance == b.dominance  # a plan that holds one state needs no path
    if n >= 2 and remainder < clip_s - 1e-9 and remainder < max(SHORTEST_LAST * clip_s, MIN_CLIP_S):
        if n > 2 or still:
            n -= 1  # a remainder shorter than SHORTEST_LAST of a clip joins the last clip instead of standing alone
            step = clip_s if n > 1 else total  # (held in one place: one clip of the whole time, not two halves
            # under the session's shortest clip: calm to calm in 6 s was refused: an audit)
        else:
            step = total / 2  # two clips are the least a path needs: two even halves rather than 30 s + 3 s
    if n > MAX_CLIPS:
        raise PlanError(f"{minutes:g} min in clips of {clip_s:g} s gives {n} clips; a plan has at most {MAX_CLIPS} "
                        "(e.g. 8 hours of 15 s clips): use longer clips or fewer minutes")
    distance = math.dist(a.va, b.va)
    if n < 2 and distance > 0 and total >= 2 * MIN_CLIP_S:  # shorter than one clip: two even halves as well (48 s
        n, step = 2, total / 2  # in 45-s clips were cut so, and 42 s refused)
    if n < 2 and distance > 0:
        raise PlanError(f"{minutes:g} min in clips of {clip_s:g} s gives {n} clip{'' if n == 1 else 's'}; a plan "
                        "that moves needs at least 2 (one matching the current state, one at the target), each of "
                        f"at least {MIN_CLIP_S:g} s: give at least {2 * MIN_CLIP_S:g} s ({2 * MIN_CLIP_S / 60:.2f} min)")
    # the first shape whose steps stay within the max step; none asked for: within ISO_STEP, else the gentlest
    # shape (a jump, which the session's report warns about): the smooth shape, always taken, stepped 0.55 where
    # a linear one of the same clips stays at 0.37
    limit = ISO_STEP if max_step is None else max_step * (1 + 1e-9)
    preferred = max(1, round(hold * n))
    if n == 1:  # one clip, at the target: only when it is where the listener already is
        profile, easing = [1.0], "smooth"
    else:
        shapes = []
        for hold_n, easing in [(preferred, "smooth"), (preferred, "linear"), (1, "smooth"), (1, "linear")]:
            if 2 * hold_n <= n:
                p = _profile(n, hold_n, easing)
                shapes.append((max(((u1 - u0) * distance for u0, u1 in zip(p, p[1:])), default=0.0), p, easing))
        fits = [shape for shape in shapes if shape[0] <= limit]
        if fits or max_step is None:
            _, profile, easing = fits[0] if fits else min(shapes, key=lambda shape: shape[0])
        else:
            need = math.ceil(distance / max_step - 1e-9) + 1
            where = lambda e: f"{e.top} (v {e.valence:+.2f}, a {e.arousal:+.2f})"  # noqa: E731  (a mix or a point)
            raise PlanError(f"the path from {where(a)} to {where(b)} is {distance:.2f} in valence-arousal; at a max "
                            f"step of {max_step:g} per clip it needs at least {need} clips ({_minutes_up(need * clip_s)} "
                            f"min of {clip_s:g} s clips), but {minutes:g} min gives {n}; allow more minutes, shorter "
                            "clips or a larger max step")
    clips = []
    for i, u in enumerate(profile):
        v, ar, d = (ax + u * (bx - ax) for ax, bx in zip(a.vad, b.vad))
        emotion = a if u == 0.0 else b if u == 1.0 else Emotion.from_vad(v, ar, d)
        clips.append(PlannedClip(i, i * step, total if i == n - 1 else (i + 1) * step, emotion))
    return IsoPlan(a, b, tuple(clips), max_step, easing)
