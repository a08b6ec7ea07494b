"""`Emotion`: one immutable point of the shared conditioning space, and the parser of its text forms.

Accepted specs (see ``FORMS``):
- a mix of vocabulary labels: ``joy:0.6+surprise:0.4`` (weights >= 0, normalised to sum 1), ``anger``;
- an intensity after ``@``: ``anger@0.3`` (30 % of the way from neutral to full anger, EmoMix-style blend);
- coordinates: ``v=0.7,a=0.5`` or ``v=0.7,a=0.5,d=0.2`` (each in [-1, 1]);
- a free word or short phrase: ``bittersweet``, ``quietly hopeful``, ``very angry``.
"""
from __future__ import annotations

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping, Sequence

from ._vad_tables import WORDS
from .errors import EmotionSpecError
from .vocabulary import COMPOUNDS, NEUTRAL, VOCABULARY, closest_labels, mix_to_vad, resolve, vad_to_mix


def _shown(word: str, limit: int = 40) -> str:
    """A word as an error message quotes it: at most ``limit`` characters (an unknown 5,000-letter word was echoed
    back whole)."""
    return repr(word) if len(word) <= limit else f"{word[:limit]!r}... ({len(word):,} characters)"

FORMS = ("label mix 'joy:0.6+surprise:0.4', intensity 'anger@0.3', coordinates 'v=0.7,a=0.5[,d=0.2]', "
         "or an emotion word/phrase like 'quietly hopeful' (see `emostudio emotion --list`)")

#: Degree words scale the distance from neutral (Quirk et al.'s intensifiers and downtoners), each the affect word
#: after it; "so", "super" and the like are intensifiers too ("so sad" was refused)
DEGREE = {"slightly": 0.3, "little": 0.35, "bit": 0.4, "mildly": 0.4, "somewhat": 0.5, "kinda": 0.5, "sorta": 0.5,
          "moderately": 0.6, "fairly": 0.7, "rather": 0.7, "pretty": 0.7, "quite": 0.85, "really": 1.0, "very": 1.0,
          "so": 1.0, "super": 1.0, "truly": 1.0, "deeply": 1.0, "extremely": 1.0, "incredibly": 1.0,
          "terribly": 1.0, "intensely": 1.0, "utterly": 1.0, "totally": 1.0}
STOPWORDS = {"a", "an", "and", "the", "of", "feeling", "feel", "but", "yet", "with", "in", "mood", "tone", "kind", "sort"}
#: Hedges: "kind of" and "sort of" are downtoners ("kind of sad" was full sadness); "kind" alone is a word of its own
#: ("kind and loving")
HEDGES = {"kind": 0.5, "sort": 0.5}
#: Characters a pasted spec carries that are not what they look like: the minus sign and dashes before a number
#: ("v=−0.5" was "not a number"), and invisible joiners and spaces ("jo\u200by" was the word 'jo')
LOOKALIKES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\u200b": None, "\u200c": None,
                            "\u200d": None, "\u2060": None, "\ufeff": None, "\u00ad": None, "\u2014": "-"})
#: Weight of a modifier word against the head word (the last affect word) in a phrase.
MODIFIER_WEIGHT = 0.5


#: The keys of an emotion written as JSON (`Emotion.to_json`); a mapping with any of them is read as one
JSON_KEYS = frozenset({"valence", "arousal", "dominance", "intensity", "mix", "point"})


def _one_emotion(text: str) -> bool:
    """Whether ``text`` alone is an emotion spec (each side of "sad to happy", which is a path)."""
    try:
        Emotion.parse(text)
    except EmotionSpecError:
        return False
    return True


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, x))


@dataclass(frozen=True)
class Emotion:
    """A point in valence-arousal-dominance space with its categorical reading.

    ``valence``/``arousal``/``dominance`` are the coordinates to render (already scaled by intensity);
    ``mix`` is the categorical description (vocabulary label -> weight, sums to 1, largest first);
    ``intensity`` in [0, 1] is the distance travelled from neutral towards the full-blown emotion;
    ``point``: given as coordinates (`from_vad`: 'v=-0.8,a=0.6', a phrase, a trajectory's moment), so its mix is
    the likelihood reading of where it lies, not a label anyone chose: it has no main label
    (`conditioning.metrics.main_term`) and is judged by its coordinates. Its top term had been a label, taken
    from a near tie (anger 0.115, disgust 0.115, fear 0.114 at v=-0.8,a=0.6), so a take both judges heard as
    fear at fidelity 0.97 was "not recognised" and the loop pushed it towards anger (an audit).
    """

    valence: float
    arousal: float
    dominance: float
    mix: Mapping[str, float] = field(default_factory=lambda: {NEUTRAL: 1.0}, hash=False)
    intensity: float = 1.0
    point: bool = False

    def __post_init__(self) -> None:
        """Check a directly built point as the constructors check theirs, and freeze its mix: an `Emotion` is
        shared (requests, readings, trajectories), so a mix changed in place would change every holder's."""
        for name in ("valence", "arousal", "dominance", "intensity"):
            x = getattr(self, name)
            lo = 0.0 if name == "intensity" else -1.0
            if isinstance(x, bool) or not isinstance(x, numbers.Real) or math.isnan(x) or not lo - 1e-9 <= x <= 1 + 1e-9:
                raise EmotionSpecError(f"{name} must be a number from {lo:g} to 1, got {x!r}; build emotions with "
                                       f"Emotion.parse, from_mix or from_vad ({FORMS})")
        if not isinstance(self.point, bool):
            raise EmotionSpecError(f"point is True or False (given as coordinates or not), got {self.point!r}")
        if not isinstance(self.mix, Mapping) or not self.mix:
            raise EmotionSpecError(f"an emotion's mix is a non-empty mapping of vocabulary labels to weights, got "
                                   f"{self.mix!r}")
        for label, weight in self.mix.items():
            if label not in VOCABULARY:
                raise EmotionSpecError(f"{label!r} is not a vocabulary label (see `emostudio emotion --list`); "
                                       "Emotion.from_mix also takes aliases")
            if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not math.isfinite(weight) or weight < 0:
                raise EmotionSpecError(f"weight {weight!r} for {label!r} must be a finite number >= 0")
        total = sum(self.mix.values())
        if not total > 0:
            raise EmotionSpecError(f"an emotion's mix needs a positive weight, got {dict(self.mix)!r}")
        # the mix sums to 1 however it was built ({'joy': 5.0} is joy; a JSON mix's rounded weights stay as given)
        mix = dict(self.mix) if abs(total - 1.0) < 1e-3 else {k: w / total for k, w in self.mix.items()}
        object.__setattr__(self, "mix", MappingProxyType(mix))

    def __reduce__(self):
        # a read-only mapping cannot be pickled; workers and Ray receive emotions as plain values
        return (type(self), (self.valence, self.arousal, self.dominance, dict(self.mix), self.intensity, self.point))

    # ---- constructors -------------------------------------------------------------------------------
    @classmethod
    def from_mix(cls, mix: Mapping[str, float], intensity: float = 1.0) -> "Emotion":
        """From label weights (aliases accepted); neutral weight dilutes towards the origin."""
        if not isinstance(mix, Mapping) or not mix:
            raise EmotionSpecError(f"an emotion mix is a non-empty mapping of labels to weights, got {mix!r}; "
                                   f"accepted: {FORMS}")
        if isinstance(intensity, bool) or not isinstance(intensity, numbers.Real):
            raise EmotionSpecError(f"intensity must be a number from 0 to 1, got {intensity!r}")
        if not 0.0 <= intensity <= 1.0 or math.isnan(intensity):
            raise EmotionSpecError(f"intensity {intensity!r} is outside [0, 1]; e.g. 'anger@0.3'")
        merged: dict[str, float] = {}
        for label, weight in mix.items():
            if not isinstance(label, str):
                raise EmotionSpecError(f"emotion labels are words such as 'joy', got {label!r}")
            term = resolve(label)
            if term is None:
                raise _unknown("label", label)
            # any real number (NumPy's float32 and int64 too, as from_vad takes them), never a bool (True read as 1)
            if (isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not math.isfinite(weight)
                    or weight < 0):
                raise EmotionSpecError(f"weight {weight!r} for {label!r} must be a finite number >= 0")
            merged[term] = merged.get(term, 0.0) + float(weight)
        total = sum(merged.values())
        if not math.isfinite(total):  # e.g. 'joy:1e308+sadness:1e308': the weights only count relative to each other
            top = max(merged.values())
            merged = {k: w / top for k, w in merged.items()}
            total = sum(merged.values())
        if total <= 0:
            raise EmotionSpecError("all mix weights are zero; give at least one positive weight, e.g. 'joy:1'")
        # largest first, a tie by name: 'joy:0.5+sadness:0.5' and 'sadness:0.5+joy:0.5' are one emotion, one label
        norm = {k: v / total for k, v in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])) if v > 0}
        v, a, d = mix_to_vad(norm)
        effective = intensity * (1.0 - norm.get(NEUTRAL, 0.0))
        return cls(intensity * v, intensity * a, intensity * d, norm, effective)

    @classmethod
    def from_vad(cls, valence: float, arousal: float, dominance: float | None = None) -> "Emotion":
        """From coordinates; the mix is the likelihood reading, intensity the distance from neutral relative to
        the vocabulary's full-blown emotion in the same direction (`_distance_intensity`, capped at 1)."""
        for name, x in (("valence", valence), ("arousal", arousal), ("dominance", dominance)):
            if x is not None and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
                raise EmotionSpecError(f"{name} must be a number from -1 to 1, got {x!r}")
            if x is not None and (math.isnan(x) or not -1.0 <= x <= 1.0):  # (as given: 1.0000001 was said as "1")
                raise EmotionSpecError(f"{name} {x!r} is outside [-1, 1]; e.g. 'v=0.7,a=0.5'")
        point = (valence, arousal) if dominance is None else (valence, arousal, dominance)
        mix = vad_to_mix(point, floor=0.02)
        # intensity from what was given: a placed dominance (below) is not the user's distance from neutral
        intensity = _distance_intensity(point)
        if dominance is None:  # place dominance where the reading's terms put it
            dominance = mix_to_vad(mix)[2]
        return cls(valence, arousal, dominance, mix, intensity, point=True)

    @classmethod
    def from_json(cls, doc: Mapping) -> "Emotion":
        """The emotion `to_json` wrote (a report's ``target``, ``emostudio emotion --json``): its coordinates,
        intensity and mix as they are. Without a mix, the coordinates' reading (`from_vad`). Before, such a
        mapping was read as a label mix and refused as "unknown emotion label 'valence'"."""
        keys = set(doc)
        if keys - JSON_KEYS or not {"valence", "arousal"} <= keys or ("mix" in keys and "dominance" not in keys):
            raise EmotionSpecError(f"an emotion in JSON has valence, arousal and dominance, with its intensity and mix "
                                   f"(as `emostudio emotion --json` writes it), or valence and arousal alone; got keys "
                                   f"{', '.join(sorted(map(str, keys)))}")
        if "mix" in keys:
            point = doc.get("point")
            if point is None:  # (a report written before points were marked: a point's mix is its coordinates'
                point = _reads_as_point(doc)  # reading, which no label's mix is)
            return cls(doc["valence"], doc["arousal"], doc["dominance"], doc["mix"], doc.get("intensity", 1.0), point)
        point = cls.from_vad(doc["valence"], doc["arousal"], doc.get("dominance"))
        return point if "intensity" not in keys else replace(point, intensity=doc["intensity"])

    @classmethod
    def neutral(cls) -> "Emotion":
        return cls(0.0, 0.0, 0.0, {NEUTRAL: 1.0}, 0.0)

    @classmethod
    def parse(cls, spec: "str | Emotion | Mapping[str, float]") -> "Emotion":
        """Parse any accepted text form (see module docstring), or a mapping of labels to weights (`from_mix`:
        what a Python caller writes, ``{"joy": 0.6, "surprise": 0.4}``, was refused as an "empty emotion
        spec"); raise EmotionSpecError otherwise."""
        if isinstance(spec, Emotion):
            return spec
        if isinstance(spec, Mapping) and JSON_KEYS & set(spec):
            return cls.from_json(spec)
        if isinstance(spec, Mapping):
            return cls.from_mix(spec)
        if not isinstance(spec, str):
            raise EmotionSpecError(f"an emotion spec is text, a mapping of labels to weights or an Emotion, got "
                                   f"{type(spec).__name__}; accepted: {FORMS}")
        if not spec.strip():
            raise EmotionSpecError(f"empty emotion spec; accepted: {FORMS}")
        if spec.lstrip().startswith("{"):  # the JSON `emostudio emotion --json` prints, as text: read as JSON (it
            import json  # was taken for a mix, "weight for '{\"valence\"' ... is not a number")

            try:
                doc = json.loads(spec)
            except json.JSONDecodeError as exc:
                raise EmotionSpecError(f"{_shown(spec)} starts like JSON but is not JSON ({exc.msg}, character "
                                       f"{exc.pos + 1}); accepted: {FORMS}") from None
            if not isinstance(doc, Mapping):
                raise EmotionSpecError(f"{_shown(spec)} is JSON but not an object; accepted: {FORMS}")
            return cls.parse(doc)
        # one spelling per letter: full-width 'ｊｏｙ' is 'joy', and an accent typed as a combining mark stays on
        # its letter (it split 'jóy' into 'jo' and was refused as the word 'jo')
        text = unicodedata.normalize("NFKC", spec).translate(LOOKALIKES).strip().lower()
        halves = re.split(r"\s+(?:to|into|towards?)\s+", text)
        if re.search(r"->|→|=>|\bfrom\b.+\bto\b", text) or (len(halves) > 1 and all(map(_one_emotion, halves))):
            # ('anxiety->calm' was one blended picture; 'sad to happy' and 'sad to happy to calm' were refused for
            # their unknown word 'to')
            raise EmotionSpecError(f"{_shown(spec)} reads as a path from one emotion to another, and an emotion spec "
                                   "is one emotion; for a path give a trajectory (Python: Trajectory.of) or a session "
                                   "(emostudio session --from A --to B)")
        body, at, inten = text.partition("@")
        if at and not any(ch in body for ch in ":+") and resolve(body.strip()) is None and body.strip():
            # an intensity after a compound, a phrase or coordinates scales what they say ('bittersweet@0.5', a
            # dataset grid's 'quietly hopeful@0.5' and 'v=0.3,a=0.2@0.5' had been refused as unknown labels)
            inner, k = cls.parse(body), _intensity(inten)
            return inner.scaled(k * inner.intensity)
        if "=" in text:
            return _parse_coordinates(text)
        if any(ch in text for ch in ":+@"):
            return _parse_mix(text)
        if resolve(text) is not None:
            return cls.from_mix({text: 1.0})
        return _parse_phrase(text)

    # ---- views --------------------------------------------------------------------------------------
    @property
    def vad(self) -> tuple[float, float, float]:
        return (self.valence, self.arousal, self.dominance)

    @property
    def va(self) -> tuple[float, float]:
        return (self.valence, self.arousal)

    @property
    def top(self) -> str:
        """The label with the largest weight."""
        return max(self.mix, key=self.mix.__getitem__)

    def scaled(self, intensity: float) -> "Emotion":
        """The same kind of emotion at another intensity (neutral blend), ``intensity`` in [0, 1]: beyond 1 each
        axis would clip on its own and the emotion change direction, below 0 it would turn into its opposite."""
        if isinstance(intensity, bool) or not isinstance(intensity, numbers.Real) or not 0.0 <= intensity <= 1.0:
            raise EmotionSpecError(f"intensity must be a number from 0 to 1, got {intensity!r}")
        if self.intensity <= 0:  # a label at intensity 0 ('joy@0') grows again along its own direction (it stayed
            # at 0 whatever was asked); the origin as a point has no direction
            grown = self if self.point or not any(w for t, w in self.mix.items() if t != NEUTRAL) \
                else Emotion.from_mix(self.mix)
            return grown if grown.intensity <= 0 else grown.scaled(intensity)
        k = intensity / self.intensity
        if k == 1.0:  # (the same point: a point given without dominance keeps the reading of its two coordinates)
            return self
        if self.point:  # a point's reading is of where it now lies ('v=-0.8,a=0.6@0.3' had kept the full-strength
            # point's labels: anger); a dominance `from_vad` placed is placed again, so the point reads as its two
            # coordinates given as such ('v=-0.24,a=0.18': read in three, it had been neutral, not confusion; a
            # re-audit)
            v, a = _clip(self.valence * k), _clip(self.arousal * k)
            placed = abs(self.dominance - Emotion.from_vad(self.valence, self.arousal).dominance) < 1e-9
            moved = Emotion.from_vad(v, a) if placed else Emotion.from_vad(v, a, _clip(self.dominance * k))
            return replace(moved, intensity=max(0.0, min(1.0, intensity)))
        return Emotion(_clip(self.valence * k), _clip(self.arousal * k), _clip(self.dominance * k), dict(self.mix),
                       max(0.0, min(1.0, intensity)))

    def to_json(self, digits: int = 4) -> dict:
        r = lambda x: round(float(x), digits)  # noqa: E731
        return {"valence": r(self.valence), "arousal": r(self.arousal), "dominance": r(self.dominance),
                "intensity": r(self.intensity), "mix": {k: r(v) for k, v in self.mix.items()},
                **({"point": True} if self.point else {})}

    def __str__(self) -> str:
        mix = "+".join(f"{k}:{v:.2f}" for k, v in list(self.mix.items())[:3])
        return f"{mix} (v={self.valence:+.2f}, a={self.arousal:+.2f}, d={self.dominance:+.2f}, i={self.intensity:.2f})"


#: How sharply `_distance_intensity` prefers the terms that lie in the point's direction (weight
#: exp(kappa * (cos - 1)): a term 15 degrees off counts about a third as much as one straight ahead).
DIRECTION_KAPPA = 30.0


def _reads_as_point(doc: Mapping) -> bool:
    """Whether an emotion written as JSON without ``point`` is one: its mix is its coordinates' reading (`from_vad`,
    with dominance given or placed), to the 4 digits `Emotion.to_json` writes."""
    try:
        mix = {k: float(v) for k, v in doc["mix"].items()}
        v, a, d = (float(doc[k]) for k in ("valence", "arousal", "dominance"))
        readings = (vad_to_mix((v, a), floor=0.02), vad_to_mix((v, a, d), floor=0.02))
    except (TypeError, ValueError, AttributeError, KeyError):
        return False
    return any(set(r) == set(mix) and all(abs(r[k] - mix[k]) < 2e-4 for k in mix) for r in readings)


def _distance_intensity(vad: Sequence[float]) -> float:
    """How far a point has travelled from neutral towards the full-blown emotion in its direction: its distance
    over the vocabulary's extent along the same ray (the terms lying in that direction, weighted by how closely,
    each counted by its projection onto the ray), capped at 1. ``vad``: 3 numbers, or 2 (valence and arousal)
    when no dominance was given.

    Why by direction: reading the full-blown emotion off the point's *location* (its nearest terms) made weak
    points look strong, since the terms nearest a point close to neutral are the mild ones lying close to
    neutral: 'anger@0.1' read back at intensity 0.69, 'calm@0.3' at 1.0 (as nostalgia), and fear at 0.1 / 0.3 /
    0.5 as 0.74 / 0.47 / 0.77. Along a ray the extent is fixed, so the intensity grows in proportion to the
    distance, and 'X@k' reads back at about k (mean error 0.05 over 15 terms x 5 intensities)."""
    norm = math.sqrt(sum(x * x for x in vad))
    if norm == 0:
        return 0.0
    u = [x / norm for x in vad]
    weight = extent = 0.0
    for label, term in VOCABULARY.items():
        if label == NEUTRAL:
            continue
        mean = term.mean[:len(u)]
        length = math.sqrt(sum(x * x for x in mean))
        proj = sum(m * x for m, x in zip(mean, u))
        if length == 0 or proj <= 0:
            continue
        w = math.exp(DIRECTION_KAPPA * (proj / length - 1.0))
        weight, extent = weight + w, extent + w * proj
    return min(1.0, norm / (extent / weight)) if weight > 0 else 1.0


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise EmotionSpecError(f"{what} {text!r} is not a number; accepted: {FORMS}") from None


def _parse_coordinates(text: str) -> Emotion:
    keys = {"v": "valence", "valence": "valence", "a": "arousal", "arousal": "arousal",
            "d": "dominance", "dominance": "dominance"}
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        name = keys.get(key.strip())
        if not sep or name is None:
            raise EmotionSpecError(f"cannot read {part!r} as a coordinate; write 'v=0.7,a=0.5[,d=0.2]'")
        if name in values:
            raise EmotionSpecError(f"{name} is given twice in {text!r}")
        values[name] = _number(value.strip(), name)
    if "valence" not in values or "arousal" not in values:
        raise EmotionSpecError(f"coordinates need both v and a: 'v=0.7,a=0.5[,d=0.2]' (got {text!r})")
    return Emotion.from_vad(values["valence"], values["arousal"], values.get("dominance"))


def _intensity(text: str) -> float:
    """The number after '@', in [0, 1]."""
    intensity = _number(text.strip(), "intensity") + 0.0  # (+ 0.0: '@-0' is 0, not -0)
    if not 0.0 <= intensity <= 1.0:
        raise EmotionSpecError(f"intensity {intensity!r} is outside [0, 1]; e.g. 'anger@0.3'")
    return intensity


def _unknown(what: str, word: str) -> EmotionSpecError:
    """The error for an unknown label or word, with the closest known ones, and the letters that are not Latin
    where it holds some (a Cyrillic 'јоу' looks like 'joy': its closest known were 'amusement, anger, anxiety')."""
    other = [f"{ch!r} {unicodedata.name(ch, '?')}" for ch in dict.fromkeys(word)
             if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN")]
    hint = f" (it holds letters that are not Latin: {', '.join(other[:3])})" if other else ""
    return EmotionSpecError(f"unknown emotion {what} {_shown(word)}{hint}; closest known: "
                            f"{', '.join(closest_labels(word))}")


def _parse_mix(text: str) -> Emotion:
    body, at, inten = text.partition("@")
    intensity = _intensity(inten) if at else 1.0
    mix: dict[str, float] = {}
    for part in body.split("+"):
        label, colon, weight = (s.strip() for s in part.partition(":"))
        if not label:
            raise EmotionSpecError(f"empty label in {text!r}; write e.g. 'joy:0.6+surprise:0.4'")
        if colon and not weight:  # ('joy:+1': the '+' before the number is the mix's, which left no weight)
            raise EmotionSpecError(f"no weight after {label!r}: in {text!r}; '+' joins terms, so write weights "
                                   "without one, e.g. 'joy:0.6+surprise:0.4'")
        w = _number(weight, f"weight for {label!r}") if colon else 1.0
        if w < 0:
            raise EmotionSpecError(f"weight {w:g} for {label!r} is negative; weights must be >= 0")
        if resolve(label) is None:
            raise _unknown("label", label)
        mix[label] = mix.get(label, 0.0) + w
    weighted = [":" in part for part in body.split("+")]
    if any(weighted) and not all(weighted):  # 'joy:0.6+surprise' weighed surprise 1 and made it the larger part
        raise EmotionSpecError(f"{text!r} weighs some labels and not others; give every label a weight "
                               "('joy:0.6+surprise:0.4') or none ('joy+surprise': equal parts)")
    return Emotion.from_mix(mix, intensity)


#: Words that turn a phrase into its negation, which a point in the space cannot mean ("not happy" is not one
#: emotion: sad, calm, angry?), so they are refused by name rather than reported as unknown emotion words.
NEGATIONS = {"not", "no", "never", "without", "isn", "isnt", "don", "dont", "nothing", "neither", "nor"}
#: Words that join emotions felt together ("joy and sadness", "joy/sadness"): the phrase is then an equal mix.
CONJUNCTIONS = {"and", "&", ",", "/", ";", "plus"}


def _parse_phrase(text: str) -> Emotion:
    """A free word or phrase: the last affect word is the head, earlier ones modify it, degree words scale.

    The same meaning however it is written: punctuation and case are ignored ('angry!' is 'angry'), a single
    vocabulary term keeps its own mix at the degree's intensity ('very angry' is anger, 'slightly angry'
    anger@0.3), a compound written in two words is the compound ('bitter sweet', 'bitter-sweet'), and
    vocabulary terms joined by 'and' or a separator are felt together, an equal mix ('joy and sadness' is
    'joy:0.5+sadness:0.5'). Negation is refused by name."""
    if re.search(r"\d", text):  # (the words were read and the number dropped: 'anger 0.3' was full anger)
        raise EmotionSpecError(f"{text!r}: a number in a phrase is not read; give an intensity after '@' "
                               "('anger@0.3', 'bittersweet@0.5') or weights ('joy:0.6+surprise:0.4')")
    tokens = [t for t in re.findall(r"[^\W\d_]+|[,/;&]", text)]
    words = [t for t in tokens if t.isalpha()]
    for i in range(len(words) - 1):  # 'bitter sweet' -> 'bittersweet'
        if words[i] + words[i + 1] in COMPOUNDS:
            words[i:i + 2] = [words[i] + words[i + 1], ""]
    words = [w for w in words if w]
    negated = re.findall(r"[^\W\d_]+n['’]t\b|\bcannot\b", text) + [w for w in words if w in NEGATIONS]
    if negated:  # (a contraction's stem had been an unknown word: "wasn't happy" was "unknown emotion word 'wasn'")
        raise EmotionSpecError(f"{text!r}: negation ({negated[0]!r}) is not an emotion the space can place; name "
                               "the emotion you mean instead, e.g. 'sadness', 'calm' or 'boredom'")
    pending = 1.0  # a degree word's scale, for the next affect word
    points: list[tuple[float, float, float]] = []
    degrees: list[float] = []  # each point's degree
    terms: list[tuple[str, float]] = []  # the affect words that are vocabulary terms or compounds, with their degree
    for i, w in enumerate(words):
        if w in DEGREE or (w in HEDGES and words[i + 1:i + 2] == ["of"]):
            pending = DEGREE.get(w) or HEDGES[w]
            continue
        if w in COMPOUNDS or resolve(w) is not None:
            points.append(mix_to_vad(COMPOUNDS[w]) if w in COMPOUNDS else VOCABULARY[resolve(w)].mean)
            terms.append((w, pending))
        elif w in WORDS:
            points.append(WORDS[w])
        elif w not in STOPWORDS:
            raise _unknown("word", w)
        else:
            continue
        degrees.append(pending)
        pending = 1.0
    if not points:
        raise EmotionSpecError(f"no emotion word in {text!r}; accepted: {FORMS}")
    degree = min(degrees)
    if len(points) == 1 and terms:  # one vocabulary term or compound: its own mix, not a reading of its point
        w = terms[0][0]
        return Emotion.from_mix(COMPOUNDS[w] if w in COMPOUNDS else {resolve(w): 1.0}, degree)
    joined = any(t in CONJUNCTIONS for t in tokens) or "and" in words or "plus" in words
    if joined and len(terms) == len(points) >= 2:  # emotions felt together, each as strongly as its degree says
        mix: dict[str, float] = {}  # ('very happy and slightly sad' is more joy than sadness, at joy's intensity;
        for w, k in terms:  # the last degree word had set both, as 'slightly happy and very sad' did)
            for label, weight in (COMPOUNDS[w] if w in COMPOUNDS else {resolve(w): 1.0}).items():
                mix[label] = mix.get(label, 0.0) + weight * k
        return Emotion.from_mix(mix, max(k for _, k in terms))
    if joined:  # feelings joined by 'and' that are free words, not terms: each as strong as its degree
        weights, degree = degrees, max(degrees)
    else:  # a head word and its modifiers ('quietly hopeful'), as strong as the head's degree says
        weights, degree = [MODIFIER_WEIGHT] * (len(points) - 1) + [1.0], degrees[-1]
    z = sum(weights)
    emotion = Emotion.from_vad(*(_clip(sum(w * p[i] for w, p in zip(weights, points)) / z) for i in range(3)))
    return emotion.scaled(degree * emotion.intensity) if degree < 1.0 else emotion


def parse_emotion(spec: "str | Emotion") -> Emotion:
    """Module-level alias of `Emotion.parse`."""
    return Emotion.parse(spec)
