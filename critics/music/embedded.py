"""The embedded music critic: emotion descriptors + a small classifier over EMOPIA quadrants, in ONNX.

Why this design: the emotion a listener perceives in music is carried by a handful of well-studied
cues (mode, tempo, register, dynamics, articulation, timbre; Gabrielsson & Lindstroem 2010, Eerola et al.
2013), which `critics.music.features` measures from audio. A small scikit-learn model trained by
`critics.training.music` on EMOPIA (every clip rendered as piano through three soundfonts, selected by
song-grouped cross-validation) maps them to Russell quadrants Q1..Q4; it ships as ONNX and runs with
onnxruntime, so no torch is needed. The ONNX graph ends with the temperature fitted out of fold, so the
probabilities it returns (the output the JSON sidecar names) are calibrated. See
`critics/cards/music-embedded.md` for the data, protocol, seed and validation figures.

Output: `native` over Q1 (+V+A), Q2 (-V+A), Q3 (-V-A), Q4 (+V-A); valence and arousal from the quadrant
probabilities, V = s_v (P(Q1) + P(Q4) - P(Q2) - P(Q3)) and A = s_a (P(Q1) + P(Q2) - P(Q3) - P(Q4)), so
their signs agree with the classifier's (P(V>0) > 0.5 exactly when V > 0); s_v, s_a are the mean
absolute coordinates of the quadrants' points in the shared space. Dominance is the expected point's.
MIDI input is rendered with the project's renderer (`conditioning.render`) first, through each of `MIDI_FONTS`
that is installed, and the renders' probabilities are averaged (the model was trained on renders through several
piano sample sets; one clip read through two of them is read better than through either alone).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from conditioning.media import MediaError
from conditioning.registry import configure
from critics.base import CriticError, Reading, TimedReading
from critics.music import QUADRANTS, WEIGHTS_DIR, QuadrantCritic, is_midi, load_music, quadrant_vad  # noqa: F401  (WEIGHTS_DIR re-exported)

TRAIN_COMMAND = "python -m critics.training.music --data ../shared/data --out critics/weights"

#: The soundfonts MIDI input is rendered through (those installed), the renders' quadrant probabilities averaged.
#: Out of fold on EMOPIA (song-grouped CV, 3 seeds x 5 folds, the shipped model's protocol), 4-quadrant accuracy
#: 0.672 with FluidR3_GM alone (the renderer's default), 0.705 with these two averaged, 0.709 with all three
#: training fonts (critics/cards/music-embedded.md). MuseScore_General, the third, is left out for its cost:
#: about 13 s to load per render.
MIDI_FONTS = ("FluidR3_GM", "TimGM6mb")


@dataclass(frozen=True)
class EmbeddedMusicConfig:
    """Settings of the embedded music critic.

    - `weights`: the ONNX file (its JSON sidecar must sit beside it); None = the shipped one.
    - `window_s`/`hop_s`: the time series (one reading per window) for audio longer than `series_min_s`;
      the whole-clip reading is always computed on the whole signal, less the silence at its ends
      (`sounding_span`); a silent window is left out of the series.
    - `soundfont`: render MIDI input through this one soundfont (a name or path) instead of averaging the
      readings of `MIDI_FONTS`' renders.
    """

    weights: str | os.PathLike | None = None
    window_s: float = 10.0
    hop_s: float = 5.0
    series_min_s: float = 15.0
    min_duration_s: float = 1.0
    soundfont: str | None = None
    threads: int = 1


#: Silence at a recording's ends is no music: a frame this far under the loudest one is silent. 4 s of rest before
#: an EMOPIA clip's first note turned its reading from Q1 (v +0.00) to Q2 (v -0.34), and a fully silent window of the
#: time series was given a confident quadrant (an audit). What is kept around the sound is what the judge was
#: trained on: EMOPIA's clips start with their first note within 0.17 s (median; 1 s for 99 %, 1.9 s at most), and
#: a render's release and reverb fade under this level within about a second (`bench/critics_code_drift.py`: the
#: shipped weights read EMOPIA's clips as before).
SILENCE_DB = 60.0
#: ... or within `FLOOR_DB` of the recording's noise floor (its 5th-percentile frame), when that is at least
#: `FLOOR_UNDER_DB` under the loudest frame: a recording's hiss 65 dB under its peak was sound to the rule above,
#: and 4 s of it before the first note moved a Q1 clip's valence from -0.05 to -0.39 (a re-audit). The bound keeps
#: a piece's own soft opening: its quietest passage is not trimmed unless it lies 50 dB under the loudest.
FLOOR_DB = 6.0
FLOOR_UNDER_DB = 50.0
LEAD_KEEP_S = 1.0
TAIL_KEEP_S = 2.0


def sounding_span(samples: np.ndarray, rate: int) -> tuple[int, int]:
    """The samples ``[a, b)`` between the recording's first and last sounding frames (`SILENCE_DB`, `FLOOR_DB`),
    with `LEAD_KEEP_S` before and `TAIL_KEEP_S` after, as the judge's training clips have them."""
    y = samples if samples.ndim == 1 else samples.mean(axis=1)
    hop = max(1, rate // 100)
    n = len(y) // hop
    if n == 0:
        return 0, len(y)
    rms = np.sqrt(np.mean(y[:n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1))
    top, floor = rms.max(), np.percentile(rms, 5) * 10 ** (FLOOR_DB / 20)
    quiet = min(top * 10 ** (-FLOOR_UNDER_DB / 20), max(top * 10 ** (-SILENCE_DB / 20), floor))
    loud = np.flatnonzero(rms > quiet)
    if loud.size == 0:
        return 0, len(y)
    return (max(0, loud[0] * hop - int(LEAD_KEEP_S * rate)),
            min(len(y), (loud[-1] + 1) * hop + int(TAIL_KEEP_S * rate)))


class _Read(NamedTuple):
    audio: Any
    frames: Any  #: the frame-level descriptors (`critics.music.features.analyse`)
    spans: list  #: the time series' windows, in frames
    whole: np.ndarray  #: the whole-clip descriptors
    probs: np.ndarray  #: quadrant probabilities: the whole clip, then each window
    offset_s: float  #: where the sounding part read starts in the recording (`sounding_span`)
    trimmed_s: float  #: the silence left out at the ends, in seconds


class EmbeddedMusicCritic(QuadrantCritic):
    """Music emotion from audio descriptors and a small ONNX classifier (no torch)."""

    name = "embedded"
    WEIGHTS = "music_embedded.onnx"
    TRAIN_COMMAND = TRAIN_COMMAND
    FEATURES = "critics.music.features"

    def __init__(self, config: EmbeddedMusicConfig | None = None, **overrides: Any) -> None:
        self.config = configure(EmbeddedMusicConfig, config, overrides, "music/embedded")
        self._init_model()

    # ----------------------------------------------------------------------------- scoring

    def score(self, media: Any) -> Reading:
        """Read the emotion of music: `Audio`, an audio or MIDI file, or a PrettyMIDI (MIDI: the mean reading of
        its renders through `MIDI_FONTS`, or through `soundfont` alone when one is set)."""
        from critics.music.features import feature_names

        midi = is_midi(media)
        if midi and self.config.soundfont is None:
            renders = {font.stem: load_music(media, font) for font in midi_fonts()}
        else:
            renders = {self.config.soundfont: load_music(media, self.config.soundfont)}
        reads = [self._read(audio) for audio in renders.values()]
        n = min(len(r.probs) for r in reads)  # renders of one MIDI last equally long, so their windows coincide
        audio, frames, spans = reads[0].audio, reads[0].frames, reads[0].spans[:n - 1]
        probs = np.mean([r.probs[:n] for r in reads], axis=0)
        whole = np.mean([r.whole for r in reads], axis=0)
        p = probs[0]
        native = dict(zip(QUADRANTS, (float(x) for x in p)))
        series = []
        for (s, e), pw in zip(spans, probs[1:]):
            v, a, d = quadrant_vad(pw)
            series.append(TimedReading(round(0.5 * (s + e) / frames.frame_rate + reads[0].offset_s, 3), v, a, d,
                                       QUADRANTS[int(np.argmax(pw))]))  # (times in the recording's own clock)
        names = feature_names()
        f = dict(zip(names, (float(x) for x in whole)))
        details = {
            "duration_s": round(audio.duration_s, 3),
            "p_valence_positive": float(p[0] + p[3]),
            "p_arousal_positive": float(p[0] + p[1]),
            "tempo_bpm": round(120.0 * 2.0 ** f["tempo_log2"], 1),
            "mode": f["mode_global"],  # > 0: major-like, < 0: minor-like (Krumhansl-Kessler)
            "key_clarity": f["key_clarity_global"],
            "pulse_clarity": f["pulse_clarity"],
            "onset_density_per_s": f["onset_density"],
            "brightness_centroid_hz": round(2.0 ** f["centroid_log_mean"] - 1.0, 1),
            "roughness": f["roughness_mean"],
            "pitch_centroid_midi": f["pitch_centroid_mean"],
        }
        if reads[0].trimmed_s >= 0.5:  # silence at the ends, left out of the reading (`sounding_span`)
            details["silence_left_out_s"] = round(reads[0].trimmed_s, 2)
        if midi:
            details["rendered_with"] = [str(k) for k in renders]
        return Reading.from_native(f"music/{self.name}", native, "emopia", vad=quadrant_vad(p),
                                   series=tuple(series), details=details)

    def _read(self, audio) -> "_Read":
        """One audio signal read: its descriptors and the probabilities of the whole clip and of each window."""
        from critics.music.features import FeatureConfig, analyse, summarise

        cfg = self.config
        if audio.duration_s < cfg.min_duration_s:
            raise CriticError(f"music must last at least {cfg.min_duration_s:g} s to be judged, got {audio.duration_s:.2f} s")
        if not np.any(np.abs(audio.samples - audio.samples.mean(axis=0)) > 1e-5):  # (an offset alone is silence)
            raise CriticError("the audio is silent: nothing to judge")
        a, b = sounding_span(audio.samples, audio.rate)
        kept = audio.samples[a:b]
        if len(kept) < cfg.min_duration_s * audio.rate:
            raise CriticError(f"music must last at least {cfg.min_duration_s:g} s to be judged, and this recording "
                              f"sounds for {len(kept) / audio.rate:.2f} s of its {audio.duration_s:.2f} s")
        frames = analyse(kept, audio.rate, FeatureConfig())
        whole = summarise(frames)
        spans = self._windows(frames.n_frames, frames.frame_rate, len(kept) / audio.rate)
        floor = float(np.abs(kept).max()) * 10 ** (-SILENCE_DB / 20)  # a silent window is no reading
        spans = [(s, e) for s, e in spans
                 if np.abs(kept[int(s / frames.frame_rate * audio.rate):int(e / frames.frame_rate * audio.rate)])
                 .max(initial=0.0) > floor]
        probs = self.predict_proba(np.stack([whole] + [summarise(frames, s, e) for s, e in spans]))
        return _Read(audio, frames, spans, whole, probs, a / audio.rate, (len(audio.samples) - len(kept)) / audio.rate)

    def _windows(self, n_frames: int, frame_rate: float, duration_s: float) -> list[tuple[int, int]]:
        cfg = self.config
        if duration_s < cfg.series_min_s or cfg.window_s <= 0:
            return []
        win, hop = int(round(cfg.window_s * frame_rate)), max(1, int(round(cfg.hop_s * frame_rate)))
        starts = list(range(0, max(1, n_frames - win + 1), hop))
        return [(s, min(n_frames, s + win)) for s in starts]


def midi_fonts(names=MIDI_FONTS) -> list:
    """The installed soundfonts among ``names`` (paths); the renderer's default when none of them is installed."""
    from conditioning.render import SoundfontNotFoundError, find_soundfont

    found = []
    for name in names:
        try:
            found.append(find_soundfont(name))
        except SoundfontNotFoundError:
            continue
    return found or [find_soundfont(None)]


__all__ = ["EmbeddedMusicCritic", "EmbeddedMusicConfig", "MIDI_FONTS", "MediaError", "midi_fonts"]
