"""The embedded music generator: a seeded symbolic composer driven continuously by valence/arousal/dominance.

Why a composer and not a sample library: the emotion listeners hear in music is carried by a few structural
cues whose effects are well measured, so a composer that sets those cues from the emotion (and nothing else)
is controllable, explainable and runs anywhere. The cue weights follow Eerola, Friberg & Bresin (2013,
*Frontiers in Psychology* 4:487), who varied six cues factorially: mode > tempo > register > dynamics >
articulation > timbre for perceived emotion; the directions follow the review of Gabrielsson & Lindstroem
(2010, in Juslin & Sloboda, *Handbook of Music and Emotion*, table 14.2) and Juslin & Laukka (2003,
*Psychological Bulletin* 129(5)). Each control below names its source.

The piece is built in numbered steps, each a public method (the diffusers-pipeline shape):
1. `check` the request (duration range, options, instruments, soundfont);
2. `plan_bars`: sample the emotion bar by bar (a `Trajectory` or a constant emotion) into per-bar controls,
   with tempo ramps limited per bar so changes have no seams;
3. `plan_form`: phrases of four bars (antecedent ending on a half cadence, consequent on an authentic or
   plagal one), sections A/B/A'/C... that develop, a mode and key per phrase (parallel-mode and related-key
   modulations at phrase boundaries, where a dominant makes them smooth), and a chord progression per phrase;
4. `write_parts`: melody (motifs repeated and varied, phrase arches, cadences), voice-led harmony with an
   accompaniment pattern, bass, percussion where arousal calls for it;
5. `to_midi`: General MIDI tracks with a tempo map, key signatures, expression (CC11) fades between
   instrument layers and reverb sends;
6. `render`: FluidSynth through `conditioning.render` (loudness-normalised to -16 LUFS unless asked not to).

The same request and seed give the same MIDI and the same audio; random streams are keyed by (seed, purpose,
section, bar) so a section's theme returns identically and an emotion change in one place does not reshuffle
the rest of the piece.
"""
from __future__ import annotations

import io
import math
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

import numpy as np

from conditioning import Emotion
from conditioning.media import Audio
from conditioning.registry import check_ranges, configure
from generators.base import (GenerationError, GenerationRequest, GenerationResult, Provenance, check_duration,
                             check_duration_config, check_options, next_seed, seed_words)
from generators.music import theory as T

#: In every take's provenance: 2 since 2026-12-05, when takes began to be levelled with a limiter and freed of DC;
#: 3 since 2026-12-06, when each piece's tempo and register began to vary with its seed (`TEMPO_SPREAD`); 4 since
#: 2026-12-07, when happy active music stopped being driven by eighth-note stabs (`ComposerConfig.drive_max_valence`);
#: 5 since the same day, when calm positive music's arpeggios began to flow in eighths (`ComposerConfig.flowing_min_valence`);
#: 6 since the same day, when no chord note sounded above the melody any longer (`ComposerConfig.melody_on_top`)
VERSION = "6"
#: Corner of the high-pass that takes the synthesizer's DC offset out of a take (Hz): under any instrument's range
DC_HIGHPASS_HZ = 10

# ------------------------------------------------------------------------------------------------ config


@dataclass(frozen=True)
class ComposerConfig:
    """Settings of the composer (per-request choices live in the request's options).

    - `rate`: audio sample rate; `soundfont`: a path or name for `conditioning.render.find_soundfont`.
    - `normalise`: loudness-normalise to `target_lufs` (BS.1770); False keeps the synthesiser's own level so
      velocity (dynamics) is audible as level.
    - `min_duration_s`/`max_duration_s`: accepted durations; `default_duration_s` when the request has none.
    - `max_tempo_step`: the largest relative tempo change from one bar to the next (tempo ramps, no jumps).
    - `humanise`: scale of timing/velocity jitter (0 = quantised).
    - `fade_out_s`: fade at the very end after the final cadence's chord has sounded.
    - `drive_max_valence`: active music above this valence is comped, not driven by eighth-note stabs (the
      texture of anger, `_accompaniment`); 1.0 drives all active music, as before 2026-12-07
      (`bench/music_drive.py` compares the two).
    - `flowing_min_valence`: arpeggios at this valence or above move in eighths at every tempo, as EMOPIA's
      calm piano pieces flow (medians: 2.7 onsets per second in Q4, 2.8 in Q3, where the composer's calm music
      played 1.25, 90 % of its onsets more than 0.6 s apart against 4 % in Q4); below it they move in quarters under
      85 BPM, as all slow arpeggios did before 2026-12-07 (2.0: that texture; `bench/music_flow.py` compares them).
      Sad music keeps its quarters because in eighths the symbolic judge heard 3 of the bench's 5 sadness pieces as
      Q4: that exception was chosen on the judges' readings.
    - `melody_on_top`: no chord or arpeggio note sounds above the melody note it is heard with (`_under_melody`);
      False lets the accompaniment's voicing cross above the tune, as before 2026-12-07 (`bench/music_top_voice.py`
      compares the two).
    """

    rate: int = 22050
    soundfont: str | None = None
    normalise: bool = True
    target_lufs: float = -16.0
    min_duration_s: float = 2.0
    max_duration_s: float = 1800.0
    default_duration_s: float = 30.0
    beats_per_bar: int = 4
    phrase_bars: int = 4
    max_tempo_step: float = 0.05
    humanise: float = 1.0
    fade_out_s: float = 1.5
    drive_max_valence: float = 0.2
    flowing_min_valence: float = 0.0
    melody_on_top: bool = True

    def __post_init__(self) -> None:
        """Values in range, or a `GenerationError` naming the field (``beats_per_bar=0`` made zero-length bars
        for ever, its memory growing)."""
        check_ranges("music/composer", self, (("rate", 8000, 96000), ("beats_per_bar", 1, 16), ("phrase_bars", 1, 64),
                                              ("max_tempo_step", 0.0, 1.0), ("humanise", 0.0, 10.0),
                                              ("fade_out_s", 0.0, 60.0), ("target_lufs", -70.0, 0.0),
                                              ("drive_max_valence", -1.0, 1.0), ("flowing_min_valence", -1.0, 2.0)),
                     whole=("rate", "beats_per_bar", "phrase_bars"), error=GenerationError)
        check_duration_config("music/composer", self, 7200)


#: Request options the composer understands (anything else is an error that lists these).
OPTIONS = {
    "soundfont": "a soundfont path or name (FluidR3_GM, TimGM6mb, ...)",
    "instruments": "GM programs by role, e.g. {'melody': 'flute', 'harmony': 48, 'bass': 'cello'}",
    "program": "one GM program (number or name) for every melodic part",
    "drums": "true/false to force percussion on or off",
    "normalise": "false keeps absolute level (velocity -> loudness)",
    "key": "tonic name, e.g. 'D' or 'Bb' (default: chosen by the seed)",
    "rate": "sample rate in Hz, 8000-96000",
}
ROLES = ("melody", "harmony", "bass")

# ------------------------------------------------------------------------------------- emotion -> controls


def _clip(x: float, lo: float, hi: float) -> float:
    return float(min(hi, max(lo, x)))


@dataclass(frozen=True)
class MusicControls:
    """The musical cues of one bar, set from an emotion by `controls_for` (each field cites its source)."""

    valence: float
    arousal: float
    dominance: float
    brightness: float  #: mode cue, [-1, 1]: major above 0 (mode: the strongest valence cue, Eerola et al. 2013)
    tension: float  #: [0, 1]: harmonic-minor/Phrygian colour, dissonance (negative valence x arousal; Q2)
    tempo_bpm: float  #: fast = high arousal (happiness, anger), slow = sadness, calm (G&L 2010; tempo 2nd cue)
    register: float  #: melody centre (MIDI pitch): high = happy/active, low = sad/tender/calm (G&L 2010; Huron 2008)
    velocity: float  #: mean MIDI velocity: loud = anger/joy, soft = tenderness/sadness (G&L 2010; Juslin 2001)
    gate: float  #: sounding fraction of each note: staccato = happy/active, legato = sad/tender (G&L 2010)
    density: float  #: melody onsets per beat (rhythmic activity follows arousal; Schubert 2004)
    harmonic_rhythm: float  #: chords per bar (faster harmonic change = more activity)
    dissonance: float  #: [0, 1]: added b9/#11, chromatic appoggiaturas (dissonance -> negative, tense; G&L 2010)
    colour: float  #: [0, 1]: consonant sevenths/ninths (soft, warm colour at low arousal)
    leap: float  #: typical melodic step size in scale steps: wide = joy/activity, narrow = sadness (G&L 2010)
    drums: float  #: [0, 1]: percussion level (rhythmic drive; timbre cue, weakest; Eerola et al. 2013)
    reverb: float  #: [0, 1]: reverb send: more space when calm (a production convention, not a cited cue)

    def to_json(self) -> dict:
        return {k: round(v, 3) for k, v in asdict(self).items()}


#: Control fields an explicit request override may set directly (``request.controls``).
OVERRIDABLE = tuple(f.name for f in fields(MusicControls) if f.name not in ("valence", "arousal", "dominance"))


def controls_for(emotion: Emotion, overrides: Mapping[str, float] | None = None, pace: float = 1.0,
                 lift: float = 0.0) -> MusicControls:
    """Map an emotion (after any ``valence_offset``/``arousal_offset`` the closed loop set) to bar controls.

    The formulas are linear-in-log where perception is (tempo, density), with coefficients sized so that the
    corners of the valence-arousal plane land on the ranges reported for the prototypical emotions in
    G&L 2010 and in Eerola et al.'s optimal cue levels (e.g. happy ~ 150 BPM major staccato high; sad ~ 65 BPM
    minor legato low and soft; angry ~ 140 BPM minor loud, dissonant; tender/calm ~ 70 BPM major soft legato).
    """
    o = dict(overrides or {})
    v = _clip(emotion.valence + o.get("valence_offset", 0.0), -1, 1)
    a = _clip(emotion.arousal + o.get("arousal_offset", 0.0), -1, 1)
    d = _clip(emotion.dominance, -1, 1)
    u = (a + 1) / 2  # arousal in [0, 1]
    tension = T.tension(v, a)  # sadness ~0.1, fear/anger ~0.8-0.95
    c = MusicControls(
        valence=v, arousal=a, dominance=d,
        brightness=v,
        tension=tension,
        tempo_bpm=T.tempo_bpm(v, a) * pace,  # (``pace`` and ``lift``: the piece's own, from its seed)
        register=_clip(70.0 + 4.0 * v + 5.0 * a + 2.0 * v * a + lift, 58, 84),
        velocity=_clip(72.0 + 32.0 * a + 8.0 * d, 30, 118),
        gate=_clip(0.9 + 0.08 * max(0.0, -a) - 0.25 * max(0.0, a) - 0.1 * max(0.0, v), 0.45, 0.98),
        density=_clip(2.0 ** (1.3 * a + 0.2 * v), 0.35, 3.2),
        harmonic_rhythm=_clip(2.0 ** (0.9 * a), 0.5, 2.0),
        dissonance=_clip(0.9 * tension + 0.15 * max(0.0, a) * max(0.0, -v), 0, 1),
        colour=_clip(0.25 + 0.45 * max(0.0, -a) * (1 - tension), 0, 1),
        leap=_clip(1.0 + 0.5 * u + 0.6 * max(0.0, v), 0.8, 2.4),
        drums=_clip((a + 0.15) / 0.6, 0, 1),
        reverb=_clip(0.35 - 0.35 * a, 0.1, 0.8),
    )
    set_ = {k: float(o[k]) for k in OVERRIDABLE if k in o}
    return replace(c, **set_) if set_ else c


# ------------------------------------------------------------------------------------------ instruments

#: Instrument palettes per role: GM program -> the valence/arousal point(s) where it fits best. Timbre is the weakest
#: cue (Eerola et al. 2013) but a consistent one: bright/brass/distorted = active and negative-active, soft
#: woodwinds/harp = calm, cello/oboe = sad (G&L 2010 table 14.2 "timbre"; Huron 2008 on the oboe). The piano is
#: the core of every calm-to-moderate texture (the instrument of most tender, sad and calm music, and of the
#: EMOPIA corpus the embedded critic learnt from): it anchors the whole lower half of the plane, and the
#: colour instruments join it as a second, softer layer (`SECOND_LAYER`). Strings and choir pads read as tense
#: to listeners and to the critic alike when sustained, so they sit at mid/high arousal or at the extreme low.
PALETTES: dict[str, dict[int, Any]] = {
    "melody": {0: ((0.3, 0.0), (-0.5, -0.35), (0.5, -0.5), (0.0, -0.7), (-0.3, 0.1)), 73: (0.6, -0.45),
               40: (-0.2, 0.3), 68: (-0.6, -0.45), 42: (-0.55, 0.1), 56: (0.55, 0.75), 30: (-0.65, 0.85),
               81: (-0.25, 0.75), 71: (0.2, -0.55), 12: (0.75, 0.35), 11: (0.45, -0.75)},
    "harmony": {0: ((0.2, 0.0), (-0.5, -0.35), (0.5, -0.6), (0.0, -0.7), (-0.2, 0.15)), 48: (-0.4, 0.25),
                89: (0.3, -0.95), 4: (0.5, -0.3), 24: (0.45, -0.1), 25: (0.6, 0.45), 29: (-0.55, 0.8),
                61: (0.3, 0.8), 52: (-0.7, -0.95), 46: (0.65, -0.6), 44: (-0.6, 0.55), 45: (0.6, 0.6)},
    "bass": {32: ((0.2, -0.4), (-0.5, -0.3)), 33: (0.3, 0.35), 43: (-0.5, 0.3), 38: (-0.4, 0.75), 34: (0.0, 0.7)},
}
LAYER_WIDTH = 0.35  #: Gaussian width of a palette entry in the valence-arousal plane
MAX_LAYERS = 2  #: per role and bar (each layer doubles the synthesiser's voices)
SECOND_LAYER = 0.4  #: the colour layer's weight relative to the main one (expression, not velocity: timbre kept)
PIANO = 0
PIANO_CORE_AROUSAL = 0.3  #: below this arousal the piano leads melody and harmony


#: Distinct instruments per role in one piece: 5 + 6 + 4 = 15 melodic MIDI channels (channel 10 is drums).
MAX_PROGRAMS = {"melody": 5, "harmony": 6, "bass": 4}


def layer_weights(role: str, v: float, a: float, jitter: Mapping[int, tuple[float, float]],
                  allowed: set[int] | None = None) -> dict[int, float]:
    """Weights (max 1) of the role's instruments at (v, a); at most `MAX_LAYERS` non-zero."""
    scores = {}
    for prog, anchors in PALETTES[role].items():
        if allowed is not None and prog not in allowed:
            continue
        jv, ja = jitter.get(prog, (0.0, 0.0))
        pts = anchors if isinstance(anchors[0], tuple) else (anchors,)
        scores[prog] = max(math.exp(-((v - pv - jv) ** 2 + (a - pa - ja) ** 2) / (2 * LAYER_WIDTH ** 2)) for pv, pa in pts)
    if a < PIANO_CORE_AROUSAL and (PIANO in scores or role == "bass"):  # the piano leads; one colour joins it
        if role == "bass":  # the pianist's left hand, a plucked or bowed bass as colour
            scores[PIANO] = 1.0
        colour = max((p for p in scores if p != PIANO), key=lambda p: (scores[p], -p), default=None)
        out = {PIANO: 1.0}
        if colour is not None:
            out[colour] = SECOND_LAYER * min(1.0, scores[colour] / max(scores[PIANO], 1e-9))
        return {p: w for p, w in out.items() if w >= 0.1}
    top = sorted(scores, key=lambda p: (-scores[p], p))[:MAX_LAYERS]
    m = scores[top[0]] or 1.0
    return {p: (1.0 if k == 0 else SECOND_LAYER) * scores[p] / m for k, p in enumerate(top) if scores[p] / m >= 0.35}


# ------------------------------------------------------------------------------------------ score types


@dataclass
class Bar:
    index: int
    start_s: float
    length_s: float
    controls: MusicControls
    layers: dict[str, dict[int, float]] = field(default_factory=dict)  #: role -> program -> weight
    beats: float = 4.0  #: beats played: the last bar may stop short, at its own tempo, where the piece ends

    @property
    def bpm(self) -> float:
        return 240.0 / self.length_s  # four beats per bar


@dataclass
class Phrase:
    index: int
    section: int
    label: str  #: section letter with variant, e.g. "A", "B", "A'", "A5" (the fifth A)
    first_bar: int
    n_bars: int
    tonic: int
    mode: str
    cadence: str
    chords: list[tuple[float, float, T.Chord]]  #: (start beat, end beat, chord), global beats


@dataclass(frozen=True)
class NoteEvent:
    role: str
    start_beat: float
    end_beat: float
    pitch: int
    velocity: int
    bar: int


@dataclass
class Score:
    """Everything the composer decided: bars, form, notes, and the MIDI built from them."""

    bars: list[Bar]
    phrases: list[Phrase]
    notes: list[NoteEvent]
    duration_s: float
    seed: int
    midi: Any = None  #: pretty_midi.PrettyMIDI once `to_midi` ran

    def time_of(self, beat: float) -> float:
        """Seconds of a global beat position (piecewise linear through the bars' tempo map)."""
        i = min(max(int(beat // 4), 0), len(self.bars) - 1)
        bar = self.bars[i]
        return bar.start_s + (beat - 4 * i) / 4.0 * bar.length_s

    def sections(self) -> list[dict]:
        out = []
        for p in self.phrases:
            out.append({"phrase": p.index, "section": p.label, "start_s": round(self.bars[p.first_bar].start_s, 3),
                        "bars": p.n_bars, "key": f"{T.NOTE_NAMES[p.tonic]} {p.mode}", "cadence": p.cadence,
                        "chords": [c.name for _, _, c in p.chords]})
        return out

    def midi_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.midi.write(buf)
        return buf.getvalue()


def _rng(seed: int, *keys: int) -> np.random.Generator:
    """An independent random stream per purpose (seed, stream id, section, bar...)."""
    return np.random.default_rng([*seed_words(seed), *[int(k) & 0xFFFFFFFF for k in keys]])


# streams
_S_KEY, _S_LAYERS, _S_FORM, _S_HARM, _S_THEME, _S_RHYTHM, _S_HUMAN, _S_DRUM, _S_VOICE, _S_FEEL = range(1, 11)

#: A piece's own tempo and register, drawn from its seed around the emotion's, as performers of one piece differ:
#: every joy piece had played at 134.0 BPM and every calm one at 48.0, so in a dataset the tempo alone told the
#: labels apart (an audit). Log-tempo sd (about 8 %) and register sd in semitones, each clipped at two sds: within
#: the spread of tempi listeners rate as one emotion (G&L 2010), well inside the distance between the emotions'.
TEMPO_SPREAD = 0.08
REGISTER_SPREAD = 1.5
SHORTEST_SPREAD_S = 4.0  #: takes shorter than this (seconds) are made faster by their seed, never slower

#: Melody rhythms per density level: (onset beat, length in beats) within a 4/4 bar.
RHYTHMS: list[list[list[tuple[float, float]]]] = [
    [[(0, 4)], [(0, 2), (2, 2)], [(0, 3), (3, 1)]],
    [[(0, 2), (2, 1), (3, 1)], [(0, 1.5), (1.5, 0.5), (2, 2)], [(0, 1), (1, 1), (2, 2)]],
    [[(0, 1), (1, 1), (2, 1), (3, 1)], [(0, 1), (1, 0.5), (1.5, 0.5), (2, 2)], [(0, 1.5), (1.5, 0.5), (2, 1), (3, 1)]],
    [[(0, 0.5), (0.5, 0.5), (1, 1), (2, 0.5), (2.5, 0.5), (3, 1)], [(0, 1), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5), (3, 1)],
     [(0, 0.5), (0.5, 1), (1.5, 0.5), (2, 1), (3, 0.5), (3.5, 0.5)]],
    [[(i * 0.5, 0.5) for i in range(8)], [(0, 0.5), (0.5, 0.25), (0.75, 0.25), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5), (3, 1)],
     [(0, 0.25), (0.25, 0.25), (0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 0.25), (2.25, 0.25), (2.5, 0.5), (3, 0.5), (3.5, 0.5)]],
]


def density_level(density: float) -> int:
    """Index into `RHYTHMS`: onsets per beat 0.35..3.2 -> level 0..4 (levels average 0.5, 0.75, 1, 1.5, 2.3)."""
    return int(np.clip(np.searchsorted([0.6, 0.9, 1.25, 1.9], density), 0, 4))


def _section_level(ph: "Phrase") -> float:
    """Terraced dynamics: contrasting sections a little louder, consequent phrases a little softer (phrase and
    section dynamics as in the KTH rules, Friberg et al. 2006)."""
    return (1.08 if ph.label[0] != "A" else 1.0) * (0.94 if ph.index % 2 else 1.0)


#: The lowest pitch an accompaniment note is moved down to, below the melody (C3); one that would go lower is left out
UNDER_MELODY_FLOOR = 48


def _under_melody(harmony: list["NoteEvent"], melody: list["NoteEvent"]) -> list["NoteEvent"]:
    """The bar's chord and arpeggio notes, each moved down by octaves until it sounds under every melody note it
    overlaps (left out if that would take it under `UNDER_MELODY_FLOOR`).

    Why: the accompaniment is voiced around the register before the melody is written, and the melody wanders 10
    semitones either side of it, so a chord note sounded above 44-47 % of active music's melody notes and 26-36 %
    of calm and sad music's (`bench/music_top_voice.py`, seeds 6-17). Listeners follow the highest voice best (the high-voice superiority effect:
    Trainor et al. 2014, *Hearing Research* 308:60-70), which is why piano and vocal arrangements keep the tune on
    top; under a chord tone the melody is masked and the skyline a listener hears is the accompaniment's."""
    out = []
    for h in harmony:
        over = [m.pitch for m in melody if m.start_beat < h.end_beat and m.end_beat > h.start_beat]
        pitch, low = h.pitch, min(over, default=None)
        if low is not None and pitch >= low:
            pitch -= 12 * ((pitch - low) // 12 + 1)  # whole octaves, to just under the lowest
        if pitch >= UNDER_MELODY_FLOOR or pitch == h.pitch:
            out.append(h if pitch == h.pitch else replace(h, pitch=pitch))
    return out


def _accompaniment(a: float, v: float = 0.0, drive_max_valence: float = 0.2) -> str:
    """Sustained pads only for low-arousal negative moods (boredom, depression); calm positive music flows in
    arpeggios (the texture of most "relaxed" pieces, e.g. EMOPIA's Q4 piano covers); active music is comped,
    and driven by eighth-note stabs over an eighth-note bass only up to ``drive_max_valence``
    (`ComposerConfig`): that texture is the sound of anger and tension, and joy written with it was heard as
    tense (the symbolic judge read joy at valence +0.14 where the same joy at arousal 0.3 read +0.62;
    `bench/music_drive.py`)."""
    if a < -0.45 and v < 0.0:
        return "pad"
    return "arpeggio" if a < -0.05 else "comp" if a < 0.4 or v > drive_max_valence else "drive"


# ------------------------------------------------------------------------------------------ the composer


class ComposerMusic:
    """Embedded symbolic composer + FluidSynth renderer (registry key ``music/composer``)."""

    modality = "music"
    name = "composer"

    def __init__(self, config: ComposerConfig | None = None, **overrides: Any) -> None:
        self.config = configure(ComposerConfig, config, overrides, "music/composer", GenerationError)

    # ---- 1. check ----------------------------------------------------------------------------------------
    def check(self, request: GenerationRequest) -> tuple[float, dict]:
        """Validate the request; return (duration, resolved options)."""
        cfg = self.config
        opts = check_options(request, OPTIONS, "music/composer")
        duration = check_duration(request, cfg, "music/composer")
        programs: dict[str, int] = {}
        try:
            if opts.get("program") is not None:
                programs = {r: T.program_number(opts["program"]) for r in ROLES}
            inst = opts.get("instruments") or {}
            if not isinstance(inst, Mapping):
                raise ValueError(f"instruments must map roles ({', '.join(ROLES)}) to GM programs, got {inst!r}")
            for role, prog in inst.items():
                if role not in ROLES:
                    raise ValueError(f"unknown instrument role {role!r}; roles: {', '.join(ROLES)}")
                programs[role] = T.program_number(prog)
        except ValueError as exc:
            raise GenerationError(str(exc)) from None
        opts["programs"] = programs
        for name in ("drums", "normalise"):  # a string is always true: "False" kept the loudness normalisation
            if opts.get(name) is not None and not isinstance(opts[name], (bool, np.bool_)):
                raise GenerationError(f"music option '{name}' must be true or false, got {opts[name]!r}")
        rate = opts.get("rate")
        if rate is not None and not (isinstance(rate, int) and not isinstance(rate, bool) and 8000 <= rate <= 96000):
            raise GenerationError(f"music option 'rate' must be a sample rate in Hz, a whole number from 8000 to "
                                  f"96000 (e.g. 44100), got {rate!r}")
        key = opts.get("key")
        if key is not None:
            names = {n.lower(): i for i, n in enumerate(T.NOTE_NAMES)}
            names.update({"db": 1, "d#": 3, "gb": 6, "g#": 8, "a#": 10, "cb": 11})
            words = str(key).strip().lower().split()
            k = words[0] if words else ""
            if k not in names:
                raise GenerationError(f"unknown key {key!r}; give a tonic name: {', '.join(T.NOTE_NAMES)}")
            if len(words) > 1:  # "A minor" was taken as A, its "minor" dropped without a word (a joy take in A major)
                raise GenerationError(f"key {key!r}: give the tonic alone (e.g. key={key.split()[0]}); the mode follows "
                                      "the emotion's valence (major for pleasant, minor modes for unpleasant)")
            opts["tonic"] = names[k]
        if "soundfont" in opts or cfg.soundfont:
            from conditioning.render import SoundfontNotFoundError, find_soundfont

            try:  # fail before composing; `generate` resolves the font again when it renders
                find_soundfont(opts.get("soundfont") or cfg.soundfont)
            except SoundfontNotFoundError as exc:
                raise GenerationError(str(exc)) from None
        return duration, opts

    # ---- 2. bars -----------------------------------------------------------------------------------------
    def plan_bars(self, request: GenerationRequest, duration: float, opts: Mapping[str, Any]) -> list[Bar]:
        """Sample the emotion at each bar start into controls; ramp tempo; fit the bars to ``duration``.

        The last bar absorbs the remainder so the piece ends on its cadence exactly at ``duration``: a remainder
        longer than the bar slows it (up to a bar and a half: a final ritardando); a shorter one keeps its tempo
        and plays only the beats that fit (from two to four), rather than rushing four beats into the time of
        two. ``plan_form`` places the last phrase's chords over the beats played, so the final chord sounds."""
        cfg = self.config
        jit_rng = _rng(request.seed, _S_LAYERS)
        jitter = {role: {p: tuple(jit_rng.uniform(-0.15, 0.15, 2)) for p in sorted(PALETTES[role])} for role in ROLES}
        feel = _rng(request.seed, _S_FEEL).normal(0.0, 1.0, 2).clip(-2.0, 2.0)  # the piece's tempo and register
        pace = float(np.exp(TEMPO_SPREAD * feel[0]))  # (a tempo or register the request sets overrides them)
        if duration < SHORTEST_SPREAD_S:  # a take of a bar or two is not slowed: a 2-s calm take kept 3 notes at
            pace = max(pace, 1.0)  # seed 0, under the symbolic judge's 4
        lift = float(REGISTER_SPREAD * feel[1])
        bars: list[Bar] = []
        t, prev_bpm = 0.0, None
        while True:
            c = controls_for(request.emotion_at(t), request.controls, pace, lift)
            bpm = c.tempo_bpm
            if prev_bpm is not None:  # tempo ramps: at most max_tempo_step per bar
                bpm = _clip(bpm, prev_bpm * (1 - cfg.max_tempo_step), prev_bpm * (1 + cfg.max_tempo_step))
            c = replace(c, tempo_bpm=bpm)
            length = cfg.beats_per_bar * 60.0 / bpm
            bar = Bar(len(bars), t, length, c)
            layers = {}
            for role in ROLES:
                if role in opts["programs"]:
                    layers[role] = {opts["programs"][role]: 1.0}
                else:
                    layers[role] = layer_weights(role, c.valence, c.arousal, jitter[role])
            bar.layers = layers
            remaining = duration - (t + length)
            if remaining < 0.5 * length:  # this is the last bar: slow it, or cut it short at its tempo, to end on time
                if remaining >= 0:
                    bar.length_s = duration - t
                else:
                    bar.beats = cfg.beats_per_bar * max(duration - t, 1e-3) / length
                bars.append(bar)
                break
            bars.append(bar)
            t += length
            prev_bpm = bpm
        for role in ROLES:  # a long trajectory may visit more instruments than MIDI has channels
            totals: dict[int, float] = {}
            for b in bars:
                for p, w in b.layers[role].items():
                    totals[p] = totals.get(p, 0.0) + w
            if len(totals) > MAX_PROGRAMS[role]:
                keep = set(sorted(totals, key=lambda p: (-totals[p], p))[: MAX_PROGRAMS[role]])
                for b in bars:
                    c = b.controls
                    b.layers[role] = layer_weights(role, c.valence, c.arousal, jitter[role], keep)
        return bars

    # ---- 3. form and harmony ------------------------------------------------------------------------------
    def plan_form(self, request: GenerationRequest, bars: list[Bar], opts: Mapping[str, Any]) -> list[Phrase]:
        """Phrases, sections, keys, modes, cadences and chord progressions."""
        cfg = self.config
        seed = request.seed
        n = len(bars)
        pb = cfg.phrase_bars
        lengths = [pb] * (n // pb)
        rest = n % pb
        if rest:
            if lengths and rest < 2:
                lengths[-1] += rest
            else:
                lengths.append(rest)
        if not lengths:
            lengths = [n]
        key_rng = _rng(seed, _S_KEY)
        c0 = bars[0].controls
        if "tonic" in opts:
            home = opts["tonic"]
        else:  # keys that sit well on common instruments; minor keys a little lower
            home = int(key_rng.choice([0, 2, 5, 7, 9, 10] if c0.brightness >= 0 else [9, 2, 4, 7, 0, 5]))
        form_rng = _rng(seed, _S_FORM)
        # section labels: A, then alternating contrast and return (A B A C A B ...); variants get primes up to
        # three, then their number (A''', A5, A6 ...: a 15-minute session's plan had an A with 22 primes)
        n_sections = math.ceil(len(lengths) / 2)
        letters, seen = [], {}
        for s in range(n_sections):
            letter = "A" if s % 2 == 0 else ("B" if (s // 2) % 2 == 0 else "C")
            if n_sections >= 3 and s == n_sections - 1:
                letter = "A"  # end at home
            seen[letter] = seen.get(letter, -1) + 1
            k = seen[letter]
            letters.append(letter + ("'" * k if k <= 3 else str(k + 1)))
        phrases: list[Phrase] = []
        first = 0
        for i, nb in enumerate(lengths):
            s = i // 2
            label = letters[s]
            c = bars[first].controls
            mode = T.mode_for(c.brightness, c.tension, c.dominance)
            tonic = home
            letter = label[0]
            if letter != "A" and n_sections >= 3:  # contrasting sections move to a related key (development)
                tonic = (home + (7 if letter == "B" else 5)) % 12 if T.is_major(mode) else (home + (5 if letter == "B" else 7)) % 12
            last = i == len(lengths) - 1
            antecedent = i % 2 == 0 and not last
            if antecedent:
                cadence = "half"
            elif mode == "phrygian":
                cadence = "phrygian"
            elif c.arousal < -0.35 and c.brightness > 0:
                cadence = "plagal"  # the soft "amen" close of calm, tender music
            elif not last and form_rng.random() < 0.15:
                cadence = "deceptive"
            else:
                cadence = "authentic"
            hr = 0.5 if c.harmonic_rhythm < 0.6 else 1.0 if c.harmonic_rhythm < 1.4 else 2.0
            slots = max(1, int(round(nb * hr)))
            if last and slots >= 2 and nb >= 2:
                slots = max(2, slots)
            harm_rng = _rng(seed, _S_HARM, ord(letter), i % 2, seen.get(letter, 0) if s == n_sections - 1 else 0)
            start = 0 if letter == "A" else None  # A sections state the key: both phrases begin on the tonic
            major = T.is_major(mode)
            if letter != "A" and i % 2 == 0:  # contrast: begin away from the tonic, on a chord of the mode's colour
                start = 3 if major else int(harm_rng.choice([5, 3]))
            # the brighter the target, the fewer minor-quality chords (ii, iii, vi) in a major key
            bias = {1: 1 - 0.6 * max(0.0, c.brightness), 2: 1 - 0.8 * max(0.0, c.brightness),
                    5: 1 - 0.6 * max(0.0, c.brightness)} if major else None
            degrees = T.progression(harm_rng, slots, cadence, start, minor=not major, bias=bias)
            beats = sum(b.beats for b in bars[first:first + nb])
            edges = [first * 4 + round(k * beats / slots) for k in range(slots)] + [first * 4 + beats]
            chords = []
            for k, deg in enumerate(degrees):
                # minor keys: the dominant always takes the leading tone (the harmonic-minor V)
                is_cadential = deg == 4
                # sevenths colour every chord but the tonic: a tonic maj7 (or minor-major 7) contains the
                # triad a third above and blurs the mode, the strongest valence cue
                seventh = deg != 0 and (bool(harm_rng.random() < c.colour) or (deg == 4 and harm_rng.random() < 0.3))
                chord = T.diatonic_chord(tonic, mode, deg, seventh=seventh, cadential=is_cadential)
                if harm_rng.random() < c.dissonance * 0.6 and not (last and k == slots - 1):
                    chord = T.add_tone(chord, 1 if chord.quality != "min" else 6)  # b9 / #11: tension
                elif harm_rng.random() < c.colour * 0.4 * (1 - c.dissonance):
                    chord = T.add_tone(chord, 2)  # add9: consonant colour
                chords.append((float(edges[k]), float(edges[k + 1]), chord))
            phrases.append(Phrase(i, s, label, first, nb, tonic, mode, cadence, chords))
            first += nb
        return phrases

    # ---- 4. parts ----------------------------------------------------------------------------------------
    def write_parts(self, request: GenerationRequest, bars: list[Bar], phrases: list[Phrase],
                    opts: Mapping[str, Any]) -> list[NoteEvent]:
        notes: list[NoteEvent] = []
        drums_opt = opts.get("drums")  # checked in `check`: a bool or None
        prev_voicing: tuple[int, ...] | None = None
        mel_pitch: int | None = None
        for ph in phrases:
            theme = _rng(request.seed, _S_THEME, ord(ph.label[0]), ph.index % 2)
            contour = list(theme.choice([-2, -1, -1, 1, 1, 2, 0], size=64))
            for b in range(ph.first_bar, ph.first_bar + ph.n_bars):
                bar = bars[b]
                c = bar.controls
                pos = b - ph.first_bar
                is_cadence_bar = pos == ph.n_bars - 1
                bar_chords = [(s, e, ch) for s, e, ch in ph.chords if s < 4 * (b + 1) and e > 4 * b]
                # -- harmony voicings (voice-led from the previous chord)
                centre_h = _clip(c.register - 7, 55, 70)
                voiced = []
                for s, e, ch in bar_chords:
                    nv = 3 if c.arousal < -0.45 else 4
                    double = ch.pcs[1] if (ch.quality == "min" and not T.is_major(ph.mode)) else None
                    v = T.lead_voices(prev_voicing if prev_voicing and len(prev_voicing) == nv else None, ch,
                                      int(centre_h - 8), int(centre_h + 9), nv, centre_h, double)
                    prev_voicing = v
                    voiced.append((max(s, 4.0 * b), min(e, 4.0 * b + bar.beats), ch, v))
                harmony = self._harmony(bar, voiced, ph)
                bass = self._bass(bar, voiced)
                # -- melody
                mel, mel_pitch = self._melody(request.seed, bar, ph, pos, is_cadence_bar, voiced, contour, mel_pitch)
                # (in this order: `_humanise` draws each note's deviations in turn)
                notes += (_under_melody(harmony, mel) if self.config.melody_on_top else harmony) + bass + mel
                # -- percussion
                level = c.drums if drums_opt is None else (max(c.drums, 0.6) if drums_opt else 0.0)
                if level > 0.05:
                    notes += self._drums(bar, level, pos == 0 and ph.index % 2 == 0, is_cadence_bar,
                                         b == len(bars) - 1)
        return self._humanise(request.seed, notes)

    def _melody(self, seed, bar: Bar, ph: Phrase, pos: int, cadence_bar: bool, voiced, contour, last_pitch):
        c = bar.controls
        centre = c.register
        scale = T.scale_pitches(ph.tonic, ph.mode, int(centre - 10), int(centre + 12))
        level = density_level(c.density)
        r_rng = _rng(seed, _S_RHYTHM, ord(ph.label[0]), ph.index % 2, pos, level)
        if cadence_bar:  # a long arrival note, maybe with a pickup
            rhythm = [(0, 4)] if level <= 1 else [(0, 1), (1, 3)] if level <= 3 else [(0, 0.5), (0.5, 0.5), (1, 3)]
        elif pos == 1 and ph.n_bars >= 4:  # the motif again (repetition makes a theme; variation by sequence)
            rhythm = RHYTHMS[level][int(_rng(seed, _S_RHYTHM, ord(ph.label[0]), ph.index % 2, 0, level).integers(3))]
        else:
            rhythm = RHYTHMS[level][int(r_rng.integers(3))]
        out = []
        if last_pitch is None:
            last_pitch = T.nearest_pitch(voiced[0][2].pcs[1:3], centre, int(centre - 10), int(centre + 12))
        idx = int(np.argmin([abs(p - last_pitch) for p in scale]))
        step_k = (pos % 2) * 8 + 16 * (pos // 2)
        minor = not T.is_major(ph.mode)
        section_level = _section_level(ph)
        arch = math.sin(math.pi * (pos + 0.5) / max(ph.n_bars, 1))  # phrase arch (Friberg et al. 2006, KTH rules)
        for j, (on, dur) in enumerate(rhythm):
            beat = 4.0 * bar.index + on
            chord = next((ch for s, e, ch, _ in voiced if s <= beat < e), voiced[-1][2])
            if cadence_bar and j == len(rhythm) - 1:
                if ph.cadence in ("authentic", "plagal", "phrygian"):
                    targets = (ph.tonic,)
                elif ph.cadence == "deceptive":
                    targets = chord.pcs[:3]
                else:
                    targets = chord.pcs[:3]
                pitch = T.nearest_pitch(targets, scale[idx], int(centre - 10), int(centre + 12))
            else:
                move = int(contour[(step_k + j) % len(contour)])
                if move != 0 and abs(move) >= 2 and c.leap > 1.5:
                    move = int(np.sign(move)) * int(round(c.leap + 1))  # wider leaps when joyful/active
                if scale[idx] - centre > 5:  # stay around the register centre (no drift over a long piece)
                    move = -abs(move)
                elif scale[idx] - centre < -5:
                    move = abs(move)
                idx = idx + move
                if idx < 0 or idx >= len(scale):  # reflect at the edges of the register
                    idx = min(max(-idx, 0), len(scale) - 1) if idx < 0 else max(2 * (len(scale) - 1) - idx, 0)
                pitch = scale[idx]
                if on in (0, 2) or dur >= 2:  # strong beats: a chord tone
                    pitch = T.nearest_pitch(chord.pcs[:4], pitch, int(centre - 10), int(centre + 12))
                    # minor keys: the minor third on strong beats, the key's most telling tone (Krumhansl-Kessler
                    # profiles rate it 5.38 in minor vs 2.33 in major); major keys need no help from the melody
                    want = chord.pcs[1] if (minor and chord.quality == "min") else None
                    if want is not None and pitch % 12 != want:
                        alt = T.nearest_pitch((want,), pitch, int(centre - 10), int(centre + 12))
                        if abs(alt - pitch) <= 4:
                            pitch = alt
                elif _rng(seed, _S_RHYTHM, bar.index, j, 7).random() < 0.35 * c.dissonance:
                    pitch += 1 if pitch % 12 not in chord.pcs else -1  # chromatic appoggiatura
            idx = int(np.argmin([abs(p - pitch) for p in scale]))
            gate = 1.0 if (cadence_bar and j == len(rhythm) - 1) else c.gate
            vel = c.velocity * (0.85 + 0.25 * arch) * section_level + (6 if on == 0 else 3 if on == 2 else 0)
            out.append(NoteEvent("melody", beat, beat + max(dur * gate, 0.12), int(pitch), int(_clip(vel, 1, 127)), bar.index))
            last_pitch = pitch
        return out, last_pitch

    def _harmony(self, bar: Bar, voiced, ph: Phrase) -> list[NoteEvent]:
        c = bar.controls
        style = _accompaniment(c.arousal, c.valence, self.config.drive_max_valence)
        pos = bar.index - ph.first_bar
        arch = math.sin(math.pi * (pos + 0.5) / max(ph.n_bars, 1))
        vel = _clip(c.velocity * 0.9 * (0.88 + 0.2 * arch) * _section_level(ph), 1, 127)
        out = []
        for s, e, ch, v in voiced:
            if style == "pad":
                out += [NoteEvent("harmony", s, e, p, int(vel), bar.index) for p in v]
            elif style == "arpeggio":  # broken chord, each note held (a pedalled arpeggio): eighths, as human calm
                order = list(v) + list(v[1:-1][::-1])  # piano music flows; sad music in quarters when slow
                slow = c.tempo_bpm < 85 and c.valence < self.config.flowing_min_valence
                step = 1.0 if slow else 0.5
                k, t = 0, s
                while t < e - 1e-6:
                    out.append(NoteEvent("harmony", t, min(e, t + 3 * step), order[k % len(order)],
                                         int(vel * (1.0 if (k * step) % 1 == 0 else 0.72)), bar.index))
                    k, t = k + 1, t + step
            elif style == "comp":
                for on in (0, 1.5, 2, 3):
                    t = 4.0 * bar.index + on
                    if s <= t < e:
                        d = min(1.0 if on != 1.5 else 0.5, e - t) * c.gate
                        out += [NoteEvent("harmony", t, t + d, p, int(vel * (1.0 if on in (0, 2) else 0.85)), bar.index) for p in v]
            else:  # drive: eighth-note stabs; power chords when the mood is negative (anger)
                pitches = v if c.valence >= -0.2 else (v[0], v[0] + 7, v[0] + 12)
                for k in range(8):
                    t = 4.0 * bar.index + 0.5 * k
                    if s <= t < e:
                        acc = 1.0 if k % 4 == 0 else 0.9 if k % 2 == 0 else 0.78
                        out += [NoteEvent("harmony", t, t + 0.5 * c.gate, p, int(_clip(vel * acc, 1, 127)), bar.index) for p in pitches]
        return out

    def _bass(self, bar: Bar, voiced) -> list[NoteEvent]:
        c = bar.controls
        a = c.arousal
        vel = int(_clip(c.velocity * 0.9, 1, 127))
        # the left hand rises as arousal falls: calm and sad piano music keeps its bass around D3, active music
        # digs down to E2 (lowest note per second in EMOPIA: Q1 44, Q2 41, Q3 51, Q4 50; measured here)
        centre = _clip(46.0 - 5.0 * c.arousal + 1.5 * c.valence, 36, 52)
        out = []
        for k, (s, e, ch, _) in enumerate(voiced):
            root = T.nearest_pitch((ch.root,), centre, 28, 57)
            fifth = root + 7 if root + 7 <= 60 else root - 5
            nxt = voiced[k + 1][2].root if k + 1 < len(voiced) else None
            if a < -0.45:
                out.append(NoteEvent("bass", s, e, root, vel, bar.index))
            elif a < 0.0:
                half = s + (e - s) / 2
                out.append(NoteEvent("bass", s, half if e - s >= 2 else e, root, vel, bar.index))
                if e - s >= 2:
                    out.append(NoteEvent("bass", half, e, fifth, int(vel * 0.9), bar.index))
            elif a < 0.45 or c.valence > self.config.drive_max_valence:
                pattern = [(0, 1.5, root), (1.5, 1, root), (2, 1, fifth), (3, 1, root + (2 if nxt is None else 0))]
                for on, d, p in pattern:
                    t = 4.0 * bar.index + on
                    if s <= t < e:
                        out.append(NoteEvent("bass", t, min(e, t + d * c.gate), p, int(vel * (1 if on in (0, 2) else 0.85)), bar.index))
            else:
                for i in range(8):
                    t = 4.0 * bar.index + 0.5 * i
                    if s <= t < e:
                        out.append(NoteEvent("bass", t, t + 0.45 * c.gate + 0.05, root, int(vel * (1 if i % 2 == 0 else 0.85)), bar.index))
        return out

    def _drums(self, bar: Bar, level: float, section_start: bool, fill: bool, final: bool) -> list[NoteEvent]:
        c = bar.controls
        D = T.DRUMS
        vel = c.velocity * (0.55 + 0.45 * level)
        hits: list[tuple[float, int, float]] = []  # (beat in bar, key, relative velocity)
        a, v = c.arousal, c.valence
        if final:
            hits = [(0, D["kick"], 1.0), (0, D["crash"], 0.9)]
        elif a < 0.15:  # light: ride/hat quarters, soft kick, side stick
            hits = [(i, D["ride"] if v < 0 else D["closed_hat"], 0.6) for i in range(4)]
            hits += [(0, D["kick"], 0.7), (2, D["side_stick"], 0.6)]
        else:
            sub = 0.25 if a > 0.6 else 0.5
            hits = [(i * sub, D["closed_hat"], 0.75 if (i * sub) % 1 else 0.9) for i in range(int(4 / sub))]
            hits += [(0, D["kick"], 1.0), (2, D["kick"], 0.95), (1, D["snare"], 1.0), (3, D["snare"], 1.0)]
            if a > 0.45:
                hits.append((2.5, D["kick"], 0.8))
            if v < -0.2 and a > 0.5:  # anger: driving double kick
                hits += [(0.5, D["kick"], 0.8), (1.5, D["kick"], 0.8), (3.5, D["kick"], 0.8)]
            if v > 0.3:
                hits += [(1, D["tambourine"], 0.6), (3, D["tambourine"], 0.6)]
            if section_start:
                hits.append((0, D["crash"], 0.9))
            if fill and a > 0.3:  # a tom fill into the next phrase
                hits = [h for h in hits if h[0] < 3]
                for i, key in enumerate((D["high_tom"], D["high_tom"], D["mid_tom"], D["low_tom"])):
                    hits.append((3 + 0.25 * i, key, 0.9))
        out = []
        for on, key, rel in hits:
            t = 4.0 * bar.index + on
            out.append(NoteEvent("drums", t, t + 0.2, key, int(_clip(vel * rel, 1, 127)), bar.index))
        return out

    def _humanise(self, seed: int, notes: list[NoteEvent]) -> list[NoteEvent]:
        """Small seeded timing (+-1/50 beat) and velocity (+-4) deviations: quantised music sounds mechanical
        (Friberg et al. 2006); the same seed gives the same deviations."""
        h = self.config.humanise
        if h <= 0:
            return notes
        rng = _rng(seed, _S_HUMAN)
        dt = rng.uniform(-0.02, 0.02, len(notes)) * h
        dv = rng.integers(-4, 5, len(notes)) * h
        out = []
        for n, t, v in zip(notes, dt, dv):
            shift = 0.0 if n.start_beat == 0 else t
            out.append(replace(n, start_beat=n.start_beat + shift, end_beat=n.end_beat + shift,
                               velocity=int(_clip(n.velocity + v, 1, 127))))
        return out

    # ---- 5. MIDI -----------------------------------------------------------------------------------------
    def to_midi(self, score: Score) -> Any:
        """General MIDI: one track per instrument layer, a tempo map, key signatures, CC11 fades, CC91 reverb."""
        import pretty_midi

        pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=score.bars[0].bpm)
        res = pm.resolution
        pm._tick_scales = [(4 * res * b.index, 60.0 / (b.bpm * res)) for b in score.bars]
        pm._update_tick_to_time(4 * res * (len(score.bars) + 4))
        pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
        last_key = None
        for ph in score.phrases:
            key = T.key_signature(ph.tonic, ph.mode)  # the mode's own sharps or flats
            if key != last_key:
                pm.key_signature_changes.append(pretty_midi.KeySignature(key, score.bars[ph.first_bar].start_s))
                last_key = key
        end = score.duration_s
        tracks: dict[tuple[str, int], Any] = {}
        for role in ROLES:
            progs = sorted({p for b in score.bars for p in b.layers.get(role, {})})
            for prog in progs:
                inst = pretty_midi.Instrument(program=prog, name=f"{role}: {T.GM_NAMES.get(prog, prog)}")
                tracks[(role, prog)] = inst
                prev = None
                for b in score.bars:  # expression per beat, interpolated towards the next bar's weight
                    w0 = b.layers.get(role, {}).get(prog, 0.0)
                    nxt = score.bars[b.index + 1].layers.get(role, {}).get(prog, 0.0) if b.index + 1 < len(score.bars) else w0
                    for k in range(4):
                        w = w0 + (nxt - w0) * k / 4
                        val = int(round(127 * math.sqrt(max(w, 0.0))))
                        if val != prev:
                            inst.control_changes.append(pretty_midi.ControlChange(11, val, score.time_of(4 * b.index + k)))
                            prev = val
                    rv = int(round(127 * b.controls.reverb))
                    inst.control_changes.append(pretty_midi.ControlChange(91, rv, b.start_s))
        for (role, prog), inst in tracks.items():  # sustain pedal on the piano where the music is calm
            if prog != PIANO:
                continue
            for ph in score.phrases:
                for s_beat, _, _ in ph.chords:
                    b = score.bars[min(int(s_beat // 4), len(score.bars) - 1)]
                    t = score.time_of(s_beat)
                    inst.control_changes.append(pretty_midi.ControlChange(64, 0, t))
                    if b.controls.arousal < PIANO_CORE_AROUSAL:  # re-pedal just after the change (legato pedalling)
                        inst.control_changes.append(pretty_midi.ControlChange(64, 127, t + 0.06))
        drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
        for n in score.notes:
            start, stop = score.time_of(n.start_beat), min(score.time_of(n.end_beat), end)
            if start >= end - 1e-3:  # beyond a last bar cut short
                continue
            if stop <= start + 1e-3:
                stop = start + 0.05
            if n.role == "drums":
                drums.notes.append(pretty_midi.Note(n.velocity, n.pitch, start, stop))
                continue
            for prog, w in score.bars[n.bar].layers.get(n.role, {}).items():
                if w >= 0.08:
                    tracks[(n.role, prog)].notes.append(pretty_midi.Note(n.velocity, int(np.clip(n.pitch, 0, 127)), start, stop))
        pm.instruments.extend(t for t in tracks.values() if t.notes)
        if drums.notes:
            pm.instruments.append(drums)
        score.midi = pm
        return pm

    # ---- the pipeline --------------------------------------------------------------------------------------
    def compose(self, request: GenerationRequest) -> Score:
        """Steps 1-5: the score and its MIDI, without rendering audio."""
        duration, opts = self.check(request)
        bars = self.plan_bars(request, duration, opts)
        phrases = self.plan_form(request, bars, opts)
        notes = self.write_parts(request, bars, phrases, opts)
        score = Score(bars, phrases, notes, duration, request.seed)
        self.to_midi(score)
        return score

    def render(self, score: Score, *, soundfont=None, normalise: bool | None = None, rate: int | None = None) -> Audio:
        """Step 6: FluidSynth audio of exactly the score's duration, with a short fade after the last cadence,
        without the synthesizer's DC (up to -47 dBFS of offset: `DC_HIGHPASS_HZ`) and, normalised, brought to
        the target loudness with its few loudest attacks limited (`conditioning.render.normalise_loudness`), as
        a session is. Normalised as a whole render with a ceiling alone, a take whose loudest attack stood out
        ended 2-3 LU under -16 LUFS (a creator's audit: -19.2 for a 60 s calm take)."""
        from scipy.signal import butter, sosfiltfilt

        from conditioning.render import normalise_loudness, render_midi

        cfg = self.config
        norm = cfg.normalise if normalise is None else normalise
        rate = int(rate or cfg.rate)
        audio = render_midi(score.midi, rate=rate, soundfont=soundfont or cfg.soundfont, gain_db=0.0, peak=1.0,
                            tail_s=0.5)
        n = int(round(score.duration_s * rate))
        y = np.zeros(n, dtype=np.float64)
        m = min(n, audio.samples.shape[0])
        y[:m] = audio.samples[:m]
        if n > 3 * rate // DC_HIGHPASS_HZ:
            y = sosfiltfilt(butter(2, DC_HIGHPASS_HZ, "highpass", fs=rate, output="sos"), y)
        fade = min(int(cfg.fade_out_s * rate), n // 4)
        if fade > 0:
            y[n - fade:] *= np.linspace(1.0, 0.0, fade) ** 2
        if norm:
            y = normalise_loudness(y, rate, cfg.target_lufs, 0.99, limit=True)
        return Audio(np.clip(y, -1.0, 1.0).astype(np.float32), rate)

    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        score = self.compose(request)
        t1 = time.perf_counter()
        opts = dict(request.options or {})
        from conditioning.render import find_soundfont

        font = find_soundfont(opts.get("soundfont") or self.config.soundfont)
        audio = self.render(score, soundfont=font, normalise=opts.get("normalise"), rate=opts.get("rate"))
        t2 = time.perf_counter()
        c0 = score.bars[0].controls
        first = score.phrases[0]
        controls = {**c0.to_json(), "mode": first.mode, "key": f"{T.NOTE_NAMES[first.tonic]} {first.mode}",
                    "programs": {r: sorted(score.bars[0].layers.get(r, {})) for r in ROLES},
                    "accompaniment": _accompaniment(c0.arousal, c0.valence, self.config.drive_max_valence),
                    "bars": len(score.bars)}
        if request.trajectory is not None:
            cl = score.bars[-1].controls
            last = score.phrases[-1]
            controls["end"] = {**cl.to_json(), "mode": last.mode, "key": f"{T.NOTE_NAMES[last.tonic]} {last.mode}"}
        extras = {"midi_bytes": score.midi_bytes(), "sections": score.sections(), "soundfont": font.name,
                  "score": score}
        if request.prompt and request.prompt.strip():  # it was dropped without a word
            extras["prompt"] = request.prompt
            extras["notes"] = ["music/composer composes from the emotion alone: the prompt is kept in the report but "
                               "not read (MusicGen reads it: --backend musicgen --model DIR)"]
        prov = Provenance("music/composer", "procedural", soundfont_licence(font), request.seed, VERSION)
        return GenerationResult(audio, controls, prov, {"compose_s": t1 - t0, "render_s": t2 - t1}, extras)

    # ---- closed loop -----------------------------------------------------------------------------------------
    def correct(self, request: GenerationRequest, target: Emotion, reading) -> GenerationRequest:
        """The next take of the closed loop. First, move the emotion the controls are set from against the
        measured error (proportional step, gain 0.8, bounded offsets): if the critic heard the take too sad,
        the next one is set brighter. From the second correction on, also try the next seed (a new piece with
        the corrected controls): a take's melody and harmony matter as much as its controls, and the loop
        keeps the best take anyway."""
        gain = 0.8
        dv = gain * (target.valence - reading.valence)
        da = gain * (target.arousal - reading.arousal)
        c = dict(request.controls)
        take = int(c.get("take", 0)) + 1
        new = request.with_controls(valence_offset=_clip(c.get("valence_offset", 0.0) + dv, -1, 1),
                                    arousal_offset=_clip(c.get("arousal_offset", 0.0) + da, -1, 1), take=take)
        return replace(new, seed=next_seed(request.seed)) if take >= 2 else new


def soundfont_licence(path) -> str:
    """Licence text for the provenance: the composition is the user's; the soundfont's licence applies to the
    sampled sounds (the fonts are data used at run time from Debian packages, not shipped here)."""
    stem = str(getattr(path, "stem", path)).lower()
    font = ("FluidR3_GM soundfont: MIT" if "fluid" in stem else "TimGM6mb soundfont: GPL-2.0" if "timgm" in stem
            else "MuseScore_General soundfont: MIT" if "musescore" in stem else f"soundfont {stem}: see its package")
    return f"composition: procedural, no rights reserved (yours); {font}"


__all__ = ["ComposerConfig", "ComposerMusic", "MusicControls", "Score", "controls_for", "soundfont_licence"]
