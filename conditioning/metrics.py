"""Metrics every side needs: distances in VA(D), divergence of mixes, concordance correlation."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from .emotion import Emotion


def va_distance(a: Emotion, b: Emotion, dominance: bool = False) -> float:
    """Euclidean distance in valence-arousal (or VAD with ``dominance=True``)."""
    return math.dist(a.vad, b.vad) if dominance else math.dist(a.va, b.va)


def js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence of two label distributions, base 2, in [0, 1] (0 = identical)."""
    keys = set(p) | set(q)
    zp, zq = sum(p.values()) or 1.0, sum(q.values()) or 1.0
    total = 0.0
    for k in keys:
        pk, qk = p.get(k, 0.0) / zp, q.get(k, 0.0) / zq
        m = 0.5 * (pk + qk)
        if pk > 0:
            total += 0.5 * pk * math.log2(pk / m)
        if qk > 0:
            total += 0.5 * qk * math.log2(qk / m)
    return max(0.0, min(1.0, total))


def ccc(x: Sequence[float], y: Sequence[float]) -> float:
    """Lin's concordance correlation coefficient (1989): agreement, not just correlation, in [-1, 1]."""
    n = len(x)
    if n != len(y) or n < 2:
        raise ValueError(f"ccc needs two sequences of the same length >= 2, got {len(x)} and {len(y)}")
    mx, my = sum(x) / n, sum(y) / n
    vx = sum((a - mx) ** 2 for a in x) / n
    vy = sum((b - my) ** 2 for b in y) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(x, y)) / n
    denom = vx + vy + (mx - my) ** 2
    return 2 * cov / denom if denom > 0 else 1.0


def fidelity(target: Emotion, measured: Emotion) -> float:
    """One number in [0, 1] for how well a measured emotion matches a target: 1 - VA distance / max distance
    (2*sqrt(2), opposite corners of the plane). Used by the closed loop to rank takes."""
    return max(0.0, 1.0 - va_distance(target, measured) / (2 * math.sqrt(2)))


def trajectory_fidelity(trajectory, points: Sequence[tuple[float, float, float]]) -> float:
    """`fidelity` for a take that follows a trajectory: the mean over ``points`` (time in seconds, valence,
    arousal: a judge's time series, or its one reading repeated along the take) of the fidelity to the
    trajectory's emotion at that time. A take that stays put scores well only if the trajectory does."""
    if not points:
        raise ValueError("trajectory_fidelity needs at least one (time, valence, arousal) point")
    worst = 2 * math.sqrt(2)
    return sum(max(0.0, 1.0 - math.dist(trajectory.at(t).va, (v, a)) / worst) for t, v, a in points) / len(points)


def top_terms(emotion: Emotion) -> list[str]:
    """The labels of the emotion's mix that share its largest weight, by name (none for an empty mix)."""
    top = max(emotion.mix.values(), default=0.0)
    return sorted(k for k, w in emotion.mix.items() if top - w < 1e-9)


def main_term(emotion: Emotion) -> str | None:
    """The label with the largest weight in the emotion's mix: None for a point given as coordinates
    (`Emotion.point`: its mix is a likelihood, whose top term can hang on a near tie), and for a mix whose
    largest weights tie ('joy:0.5+sadness:0.5', bittersweet), which has no main label: it is judged by its
    coordinates, whichever way it was written (a sad reading of it had agreed or not by the order of its terms)."""
    if emotion.point:
        return None
    terms = top_terms(emotion)
    return terms[0] if len(terms) == 1 else None


def target_term(target: Emotion) -> str | None:
    """The label a take of ``target`` should be heard as: its main term, and neutral for a mix at intensity 0
    ('joy@0', the web's intensity slider at 0), which is the neutral point and which the generators render as a
    neutral take: judges that heard it as neutral at fidelity 0.98 used to count as a 'no', and the loop spent
    its rounds on a take it could not improve."""
    return "neutral" if target.mix and target.intensity == 0 else main_term(target)


def target_label(target: Emotion) -> str:
    """The label a take of ``target`` carries (a dataset row's ``label``, the web's target line): its
    `target_term`; for a mix whose largest weights tie, those terms joined ('joy+sadness' for bittersweet, which
    had been labelled joy by the order of its terms, then by their names); else its nearest vocabulary term (a
    valence-arousal point has no main term)."""
    term = target_term(target)
    if term is None and not target.point:
        return "+".join(top_terms(target))
    return term or target.top


def category_agrees(target: Emotion, measured: Emotion, voted: "frozenset[str] | None" = None) -> bool | None:
    """Whether the measured emotion's main label is the target's (`target_term`): None when the target has no
    main label or the critic cannot name it (its label set maps to other terms), so that only coordinates can be
    judged. ``voted``: the terms the judge's top class stands for (`critics.base.Reading.voted_terms`), which
    decide instead where a class stands for several (a quadrant: Q1 is joy and excitement alike)."""
    want = target_term(target)
    if want is None or want not in measured.mix:
        return None
    return want in voted if voted else main_term(measured) == want
