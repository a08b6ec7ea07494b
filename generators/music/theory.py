"""Music theory the music backends share: modes, diatonic chords, progressions, voice leading, GM tables.

Pure Python + numpy, no MIDI library: the composer turns these into notes, the MusicGen backend uses the
mode and instrument names for its text prompt. Everything random takes an explicit `numpy.random.Generator`
so the same seed always gives the same choice.

Sources for the choices below:
- Modes ordered by brightness (number of raised scale degrees), Persichetti, *Twentieth-Century Harmony*
  (1961), ch. 2; the brighter the mode, the happier it is judged (Temperley & Tan 2013, *Music Perception*
  30(3): Ionian > Mixolydian > Dorian > Aeolian > Phrygian in happiness ratings).
- Functional harmony (tonic -> predominant -> dominant -> tonic) and the cadence types: Aldwell & Schachter,
  *Harmony and Voice Leading* (4th ed.), ch. 5-8; the transition weights approximate the root-motion
  statistics of the Bach chorales and pop corpora (Tymoczko 2011 *A Geometry of Music* ch. 7; de Clercq &
  Temperley 2011 *Popular Music* 30(1): I, IV, V, vi dominate, V -> I and IV -> I most common).
- Voice leading as the smallest total movement between chord voicings (Tymoczko 2011, ch. 2; the
  "law of the shortest way").
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: Scales (semitones above the tonic), brightest first (Persichetti 1961).
MODES: dict[str, tuple[int, ...]] = {
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "ionian": (0, 2, 4, 5, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "aeolian": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
}
MAJOR_MODES = ("lydian", "ionian", "mixolydian")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII")


#: Semitones from the major scale a mode's notes are drawn from (its "parent") up to the mode's tonic
#: (the harmonic minor is written with the natural minor's signature, as scores write it)
PARENT_OFFSET = {"lydian": 5, "ionian": 0, "mixolydian": 7, "dorian": 2, "aeolian": 9, "harmonic_minor": 9,
                 "phrygian": 4}


def key_signature(tonic: int, mode: str) -> int:
    """The MIDI key signature (pretty_midi's key number: 0-11 major, 12-23 minor) whose sharps or flats are the
    mode's: its parent major key for a mode with a major third, that key's relative minor otherwise. Why: MIDI
    names only major and minor keys, and tonic plus major or minor wrote G Phrygian as G minor (2 flats where the
    mode has 3) and G Mixolydian as G major (F sharp where the mode has F natural)."""
    parent = (tonic - PARENT_OFFSET[mode]) % 12
    return parent if is_major(mode) else (parent + 9) % 12 + 12


def is_major(mode: str) -> bool:
    """Whether the mode's third is major (the cue listeners hear as major/minor)."""
    return MODES[mode][2] == 4


def mode_for(brightness: float, tension: float, dominance: float = 0.0) -> str:
    """A mode from a brightness in [-1, 1] (mostly valence), a tension in [0, 1] (negative valence at high
    arousal) and dominance. The major/minor switch sits at brightness 0: mode is the strongest musical cue of
    valence (Eerola, Friberg & Bresin 2013). Tense negative music takes the harmonic minor (augmented second,
    diminished chords: fear) or, when dominant, the Phrygian's flat second (anger, menace). Lydian is kept in
    `MODES` for explicit use but never chosen here: its raised fourth turns the common IV into a diminished
    chord, and the plain major scale carries happiness more clearly (Temperley & Tan 2013)."""
    if brightness >= 0.12:
        return "ionian"
    if brightness >= 0.0:
        return "mixolydian"
    if brightness >= -0.12:
        return "dorian"
    if tension >= 0.55 and brightness < -0.45 and dominance >= -0.2:
        return "phrygian"
    if tension >= 0.3:
        return "harmonic_minor"
    return "aeolian"


# ---------------------------------------------------------------------------------------------- chords


@dataclass(frozen=True)
class Chord:
    """A chord as pitch classes with its root and the scale degree it stands on (for display)."""

    root: int  #: pitch class 0..11
    pcs: tuple[int, ...]  #: pitch classes, root first, then third, fifth, (seventh, extensions)
    degree: int  #: 0..6 within the key
    quality: str  #: "maj", "min", "dim", "aug"

    @property
    def name(self) -> str:
        suffix = {"maj": "", "min": "m", "dim": "dim", "aug": "+"}[self.quality]
        ext, extra = "", self.pcs[3:]
        if extra and (extra[0] - self.root) % 12 in (9, 10, 11):  # a seventh (9 = diminished seventh)
            seventh = (extra[0] - self.root) % 12
            ext = {11: "maj7", 10: "7", 9: "7"}[seventh]
            if self.quality == "dim" and seventh == 10:
                suffix, ext = "m7b5", ""
            elif self.quality == "min" and seventh == 11:
                ext = "(maj7)"
            extra = extra[1:]
        ext += "".join("(" + {1: "b9", 2: "add9", 6: "#11"}.get((pc - self.root) % 12, "add") + ")" for pc in extra)
        return f"{NOTE_NAMES[self.root]}{suffix}{ext}"


def _quality(third: int, fifth: int) -> str:
    return {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}.get((third, fifth), "maj")


def diatonic_chord(tonic: int, mode: str, degree: int, seventh: bool = False, cadential: bool = False) -> Chord:
    """The triad (or seventh chord) on ``degree`` of ``mode`` above ``tonic``.

    ``cadential``: a dominant (degree 4) in a minor-third mode takes the raised leading tone (major V, the
    harmonic-minor dominant of common-practice cadences, Aldwell & Schachter ch. 4). Chords stacked past the
    scale's seventh keep their pitch classes (the seventh of a chord on degree 6 wraps around)."""
    scale = list(MODES[mode])
    if cadential and degree == 4 and scale[2] == 3:
        scale[6] = 11
    steps = (0, 2, 4, 6) if seventh else (0, 2, 4)
    rel = [scale[(degree + s) % 7] + 12 * ((degree + s) // 7) for s in steps]
    root = rel[0]
    q = _quality((rel[1] - root) % 12, (rel[2] - root) % 12)
    return Chord((tonic + root) % 12, tuple((tonic + r) % 12 for r in rel), degree, q)


def add_tone(chord: Chord, interval: int) -> Chord:
    """The chord with an added tone ``interval`` semitones above its root (9th = 2, b9 = 1, #11 = 6)."""
    pc = (chord.root + interval) % 12
    if pc in chord.pcs:
        return chord
    return Chord(chord.root, chord.pcs + (pc,), chord.degree, chord.quality)


# ------------------------------------------------------------------------------------------ progressions

#: Root-motion weights between scale degrees (0 = I ... 6 = VII), functional order T -> S -> D -> T.
TRANSITIONS: dict[int, dict[int, float]] = {
    0: {3: 0.30, 4: 0.20, 5: 0.25, 1: 0.15, 2: 0.10},
    1: {4: 0.65, 6: 0.10, 3: 0.25},
    2: {5: 0.50, 3: 0.50},
    3: {4: 0.45, 0: 0.25, 1: 0.30},
    4: {0: 0.60, 5: 0.30, 3: 0.10},
    5: {3: 0.40, 1: 0.35, 4: 0.25},
    6: {0: 0.80, 5: 0.20},
}
#: Minor keys: the relative-major chords (III, VI, VII) are used sparingly so the key keeps its minor tonic
#: (listeners and key-finding both hear a minor piece that dwells on III/VI as its relative major;
#: Krumhansl 1990, ch. 4); i, iv and the harmonic-minor V carry the key.
TRANSITIONS_MINOR: dict[int, dict[int, float]] = {
    0: {3: 0.40, 4: 0.25, 5: 0.15, 1: 0.10, 6: 0.10},
    1: {4: 0.80, 0: 0.20},
    2: {5: 0.50, 3: 0.50},
    3: {4: 0.45, 0: 0.35, 1: 0.20},
    4: {0: 0.75, 5: 0.20, 3: 0.05},
    5: {3: 0.45, 1: 0.25, 4: 0.30},
    6: {0: 0.50, 2: 0.20, 5: 0.30},
}
CADENCES = ("authentic", "half", "plagal", "phrygian", "deceptive")


def progression(rng: np.random.Generator, slots: int, cadence: str, start: int | None = 0,
                minor: bool = False, bias: dict[int, float] | None = None) -> list[int]:
    """Scale degrees for ``slots`` chords ending in ``cadence``; ``start`` fixes the first chord (None: free).

    authentic: (predominant) V I; half: ... V; plagal: IV I; phrygian: ... iv(6) V in minor, here the bII -> i
    of the Phrygian mode; deceptive: V vi. ``bias`` multiplies the weight of moving to a degree (e.g. fewer
    minor-quality chords in a very happy major piece).
    """
    if cadence not in CADENCES:
        raise ValueError(f"unknown cadence {cadence!r}; known: {', '.join(CADENCES)}")
    ending = {"authentic": [4, 0], "half": [4], "plagal": [3, 0], "phrygian": [1, 0], "deceptive": [4, 5]}[cadence]
    if slots <= len(ending):
        return ending[-slots:] if slots > 0 else []
    first = int(rng.choice([0, 5, 3], p=[0.7, 0.15, 0.15])) if start is None else start
    degrees = [first]
    while len(degrees) < slots - len(ending):
        options = (TRANSITIONS_MINOR if minor else TRANSITIONS)[degrees[-1]]
        keys = list(options)
        # avoid landing on the cadence's first chord just before it (a redundant repeat)
        w = np.array([options[k] * (bias or {}).get(k, 1.0)
                      * (0.0 if (len(degrees) == slots - len(ending) - 1 and k == ending[0]) else 1.0) for k in keys])
        if w.sum() <= 0:
            w = np.array([options[k] for k in keys])
        degrees.append(int(rng.choice(keys, p=w / w.sum())))
    if cadence in ("authentic", "half") and slots - len(ending) >= 2 and degrees[-1] not in (1, 3, 5):
        degrees[-1] = int(rng.choice([1, 3]))  # a predominant before the dominant
    return degrees + ending


# ------------------------------------------------------------------------------------------ voice leading


def voicings(pcs: tuple[int, ...], low: int, high: int, voices: int) -> list[tuple[int, ...]]:
    """Every voicing of ``voices`` distinct pitches in [low, high] that contains each pitch class of the
    chord at least once (extensions beyond the number of voices are optional, the root never is)."""
    must = set(pcs[: min(len(pcs), voices)]) | {pcs[0]}
    pool = [p for p in range(low, high + 1) if p % 12 in pcs]
    out = []
    for combo in itertools.combinations(pool, voices):
        if must <= {p % 12 for p in combo} and combo[-1] - combo[0] <= 19:
            out.append(combo)
    return out


def lead_voices(previous: tuple[int, ...] | None, chord: Chord, low: int, high: int, voices: int,
                centre: float, double: int | None = None) -> tuple[int, ...]:
    """The voicing of ``chord`` closest to ``previous`` (smallest total movement), kept near ``centre``.

    Cost = total semitone movement of the sorted voices + 0.3 x distance of the voicing's mean from the
    centre (so a long piece does not drift out of register) + a penalty for parallel octaves/fifths
    between outer voices; ``double`` (a pitch class) is rewarded when it sounds twice (minor keys double the
    minor third of their tonic so the mode is heard, Aldwell & Schachter ch. 9)."""
    options = voicings(chord.pcs, low, high, voices)
    if not options:  # a range too narrow for this chord: widen it
        options = voicings(chord.pcs, low - 6, high + 6, voices) or [tuple(sorted(low + (pc - low) % 12
                                                                                   for pc in chord.pcs[:voices]))]
    best, best_cost = options[0], float("inf")
    for v in options:
        cost = 0.3 * abs(float(np.mean(v)) - centre)
        if double is not None and sum(1 for p in v if p % 12 == double) >= 2:
            cost -= 2.0
        if previous is not None and len(previous) == len(v):
            moves = [b - a for a, b in zip(previous, v)]
            cost += sum(abs(m) for m in moves)
            outer_prev, outer = (previous[-1] - previous[0]) % 12, (v[-1] - v[0]) % 12
            if outer_prev == outer and outer in (0, 7) and moves[0] != 0 and np.sign(moves[0]) == np.sign(moves[-1]):
                cost += 4.0
        if cost < best_cost:
            best, best_cost = v, cost
    return tuple(best)


def nearest_pitch(pcs, target: float, low: int, high: int) -> int:
    """The pitch in [low, high] whose class is in ``pcs`` closest to ``target``."""
    cands = [p for p in range(low, high + 1) if p % 12 in pcs]
    if not cands:
        return int(round(min(max(target, low), high)))
    return min(cands, key=lambda p: (abs(p - target), p))


def scale_pitches(tonic: int, mode: str, low: int, high: int) -> list[int]:
    """All pitches of the mode in [low, high], ascending."""
    pcs = {(tonic + s) % 12 for s in MODES[mode]}
    return [p for p in range(low, high + 1) if p % 12 in pcs]


# ------------------------------------------------------------------------------------- General MIDI tables

#: GM program names (0-based) used by the music backends and their prompts.
GM_NAMES: dict[int, str] = {
    0: "acoustic grand piano", 4: "electric piano", 11: "vibraphone", 12: "marimba", 19: "church organ",
    24: "nylon guitar", 25: "steel guitar", 29: "overdriven guitar", 30: "distortion guitar",
    32: "acoustic bass", 33: "electric bass", 34: "picked bass", 38: "synth bass", 40: "violin",
    42: "cello", 43: "contrabass", 44: "tremolo strings", 45: "pizzicato strings", 46: "harp",
    48: "string ensemble", 52: "choir", 56: "trumpet", 57: "trombone", 60: "french horn", 61: "brass section",
    68: "oboe", 70: "bassoon", 71: "clarinet", 73: "flute", 80: "square lead", 81: "sawtooth lead",
    89: "warm pad", 91: "choir pad", 95: "sweep pad",
}

#: GM percussion keys (channel 10).
DRUMS = {"kick": 36, "snare": 38, "side_stick": 37, "clap": 39, "closed_hat": 42, "pedal_hat": 44,
         "open_hat": 46, "low_tom": 45, "mid_tom": 47, "high_tom": 50, "crash": 49, "ride": 51,
         "tambourine": 54, "shaker": 70}


def program_number(name_or_number) -> int:
    """A GM program from a number 0..127 or a name in `GM_NAMES` (case-insensitive, prefix allowed)."""
    if isinstance(name_or_number, bool):  # (True played program 1)
        raise ValueError(f"a GM program is a number 0..127 or a name, got {name_or_number!r}")
    if isinstance(name_or_number, (int, np.integer)) or (isinstance(name_or_number, str) and name_or_number.strip().isdigit()):
        n = int(name_or_number)
        if 0 <= n <= 127:
            return n
        raise ValueError(f"GM program {n} is outside 0..127")
    key = str(name_or_number).strip().lower().replace("_", " ")
    for n, name in GM_NAMES.items():
        if name == key:
            return n
    matches = [n for n, name in GM_NAMES.items() if name.startswith(key) or key in name.split()]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(sorted(GM_NAMES.values()))
    raise ValueError(f"unknown instrument {name_or_number!r}; give a GM program 0..127 or one of: {known}")


# ----------------------------------------------------------------- text prompts and chroma (MusicGen family)


def _clip(x: float, lo: float, hi: float) -> float:
    return float(min(hi, max(lo, x)))


#: Mood words per quadrant, strongest cue words first (G&L 2010 table 14.2 expressive terms).
MOODS = {
    "Q1": ("happy", "joyful", "uplifting", "energetic"),
    "Q2": ("tense", "angry", "aggressive", "dark"),
    "Q3": ("sad", "melancholic", "sorrowful", "somber"),
    "Q4": ("calm", "peaceful", "gentle", "serene"),
}
#: Instrumentation per quadrant (timbre: the weakest cue, but the one captions name most).
INSTRUMENTS = {
    "Q1": "bright piano, acoustic guitar, handclaps and light drums",
    "Q2": "distorted electric guitars, heavy drums and brass stabs",
    "Q3": "solo cello, soft piano and strings",
    "Q4": "soft piano, warm pads, harp and flute",
}
#: ... for an emotion near the plane's centre (`MILD`), where the quadrant's own would flip with a hundredth of
#: valence: "v=-0.02,a=0.02" had asked for distorted guitars and heavy drums, "v=0.02,a=-0.02" for harp and flute
#: (an audit: the iso planner's neutral midpoint of anxiety -> calm was prompted as angry metal)
MILD_INSTRUMENTS = {
    "Q1": "piano, acoustic guitar and light percussion",
    "Q2": "piano, low strings and muted drums",
    "Q3": "piano, cello and soft strings",
    "Q4": "piano, soft pads and flute",
}
NEUTRAL_INSTRUMENTS = "piano, soft strings and acoustic guitar"
MILD = 0.35  #: the strength (distance from the centre) under which a prompt says "slightly" with mild instruments
NEUTRAL_RADIUS = 0.12  #: ... and under which it asks for an even, neutral piece: no quadrant's mood at all


#: What both MusicGen backends (transformers `musicgen`, `audiocraft`) load and carry: the variable naming the
#: local snapshot, and the weights' licence. Here, not in one backend, so neither imports the other (DESIGN 3).
MUSICGEN_ENV = "EMOSTUDIO_MUSICGEN"
MUSICGEN_LICENCE = "MusicGen weights (Meta): CC-BY-NC-4.0, non-commercial use only"


def tempo_bpm(valence: float, arousal: float) -> float:
    """The emotion's tempo: 92 BPM at rest, doubling over +1.18 of arousal (valence adds a little), within 46-184
    (Gabrielsson & Lindstroem 2010: happy ~150, sad ~65). The composer plays it and MusicGen's prompt asks for it:
    one rule, so the two backends' takes of one emotion are asked for the same pace."""
    return _clip(92.0 * 2.0 ** (0.85 * arousal + 0.12 * valence), 46, 184)


def tension(valence: float, arousal: float) -> float:
    """How tense (unpleasant and not at rest) the emotion is, 0..1: sadness ~0.1, fear and anger ~0.8-0.95. It
    picks dissonance and the minor modes (`mode_for`)."""
    return _clip(1.6 * max(0.0, -valence) * max(0.0, arousal + 0.3) / 1.3, 0, 1)


def describe(emotion) -> dict:
    """The MusicGen backends' emotion mapping (an `Emotion` -> the musical description a text prompt is written
    from): quadrant mood words, tempo, mode, dynamics, articulation and instruments; near the plane's centre an
    even, neutral piece, then a mild one ("slightly", `MILD_INSTRUMENTS`), so the prompt moves smoothly with the
    emotion where the quadrant would flip."""
    v, a = emotion.valence, emotion.arousal
    q = "Q1" if v >= 0 and a >= 0 else "Q2" if a >= 0 else "Q3" if v < 0 else "Q4"
    strength = _clip(math.hypot(v, a), 0, 1)
    bpm = int(round(tempo_bpm(v, a)))
    mode = mode_for(v, tension(v, a), emotion.dominance)
    neutral = strength < NEUTRAL_RADIUS
    words = ("neutral", "even") if neutral else MOODS[q][: 2 if strength < 0.5 else 3]
    return {"quadrant": "neutral" if neutral else q, "moods": list(words),
            "labels": [] if neutral else [k for k in list(emotion.mix)[:2] if k != "neutral"],
            "tempo_bpm": bpm, "mode": "major" if is_major(mode) else "minor",
            "dynamics": "loud" if a > 0.4 else "soft" if a < -0.3 else "moderate",
            "articulation": ("legato" if neutral else "staccato" if a > 0.3 and v > 0 else "legato" if a < 0
                             else "accented"),
            "instruments": NEUTRAL_INSTRUMENTS if neutral else (MILD_INSTRUMENTS if strength < MILD else INSTRUMENTS)[q],
            "slightly": NEUTRAL_RADIUS <= strength < MILD}


def prompt_text(emotion, extra: str | None = None) -> str:
    """A MusicGen-style caption for ``emotion`` (plus the user's own words)."""
    d = describe(emotion)
    mood = ", ".join(d["moods"] + [w for w in d["labels"] if w not in d["moods"]])
    speed = "slow" if d["tempo_bpm"] < 80 else "fast" if d["tempo_bpm"] > 125 else "moderate tempo"
    text = (f"{'a slightly ' if d['slightly'] else 'a '}{mood} instrumental piece in a {d['mode']} key, {speed}, "
            f"{d['tempo_bpm']} bpm, {d['dynamics']} and {d['articulation']}, with {d['instruments']}")
    return f"{text}. {extra.strip()}" if extra and extra.strip() else text


# ------------------------------------------------------------------------------------------ chroma


def chroma_one_hot(samples: np.ndarray, rate: int, *, n_fft: int = 16384, hop: int = 4096) -> np.ndarray:
    """(frames, 12) one-hot chroma as MusicGen-melody was trained with (audiocraft's ChromaExtractor and
    transformers' MusicgenMelodyFeatureExtractor): power STFT -> librosa chroma filter bank -> the strongest
    pitch class per frame. ``rate`` must already be the model's sampling rate."""
    import librosa

    y = np.asarray(samples, dtype=np.float32)
    if y.size < n_fft:
        pad = n_fft - y.size
        y = np.pad(y, (pad // 2, pad - pad // 2))
    spec = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop, win_length=n_fft, center=True)) ** 2  # (F, T)
    fb = librosa.filters.chroma(sr=rate, n_fft=n_fft, tuning=0.0, n_chroma=12)  # (12, F)
    chroma = fb @ spec  # (12, T)
    out = np.zeros((chroma.shape[1], 12), dtype=np.float32)
    out[np.arange(chroma.shape[1]), chroma.argmax(axis=0)] = 1.0
    return out


__all__ = [
    "CADENCES", "Chord", "DRUMS", "GM_NAMES", "MAJOR_MODES", "MODES", "NOTE_NAMES", "ROMAN", "TRANSITIONS", "TRANSITIONS_MINOR",
    "INSTRUMENTS", "MOODS", "add_tone", "chroma_one_hot", "describe", "diatonic_chord", "prompt_text", "is_major", "lead_voices", "mode_for", "nearest_pitch", "program_number",
    "progression", "scale_pitches", "voicings",
]
