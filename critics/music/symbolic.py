"""The symbolic music critic: emotion read from the NOTES of MIDI (no audio), EMOPIA quadrants, in ONNX.

Why a second music judge: DESIGN.md asks for two independent judges per modality, because a loop that
optimises against one judge learns to please that judge. `music/embedded` hears a render (spectra, onsets,
timbre); this one never renders: it reads pitches, onsets, durations, velocities and the sustain pedal, so
its errors come from different places (a soundfont, a mix or loudness normalisation cannot fool it, and a
wrong note or a dull chord progression cannot hide behind a bright timbre).

Why these descriptors: the emotion listeners perceive in music follows a few well-studied cues, mode and
harmony for valence, tempo/density, dynamics, articulation and register for arousal (Gabrielsson &
Lindstroem 2010, "The role of structure in the musical expression of emotions"; Eerola, Friberg & Bresin
2013, "Emotional expression in music: contribution, linearity, and additivity of primary musical cues").
From MIDI they are measured exactly (`critics.music.symbolic_features`). A small scikit-learn model trained
by `critics.training.music_symbolic` on EMOPIA (Hung et al. 2021, piano pop transcriptions; the corpus
paper reports about 68% four-quadrant accuracy from MIDI), chosen by song-grouped cross-validation and
temperature-calibrated, maps them to Russell quadrants; it ships as ONNX and runs with onnxruntime. See
`critics/cards/music-symbolic.md` for the data, protocol and figures.

Output: `native` over Q1 (+V+A), Q2 (-V+A), Q3 (-V-A), Q4 (+V-A); valence and arousal from the quadrant
probabilities (`critics.music.quadrant_vad`: their signs agree with P(V>0) > 0.5 and P(A>0) > 0.5).
Input: a MIDI file path (.mid/.midi/.kar), a pretty_midi.PrettyMIDI or raw MIDI bytes. Audio is refused
(`music/embedded` judges audio).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conditioning.registry import configure
from critics.base import CriticError, Reading, TimedReading
from critics.music import MIDI_SUFFIXES, QUADRANTS, WEIGHTS_DIR, QuadrantCritic, quadrant_vad  # noqa: F401

TRAIN_COMMAND = "python -m critics.training.music_symbolic --data ../shared/data --out critics/weights"
NOT_MIDI = ("music/symbolic reads MIDI notes (a .mid/.midi/.kar/.rmi path, a PrettyMIDI or MIDI bytes), got {what}; "
            "use music/embedded to judge audio")


@dataclass(frozen=True)
class SymbolicMusicConfig:
    """Settings of the symbolic music critic.

    - `weights`: the ONNX file (its JSON sidecar must sit beside it); None = the shipped one.
    - `min_duration_s`: shortest span of notes judged (first onset to last release).
    - `window_s`/`hop_s`: the time series (one reading per window of notes) for music longer than
      `series_min_s`; the whole-piece reading always uses every note.
    """

    weights: str | os.PathLike | None = None
    threads: int = 1
    min_duration_s: float = 2.0
    min_notes: int = 4
    window_s: float = 10.0
    hop_s: float = 5.0
    series_min_s: float = 15.0


def load_midi(media: Any):
    """A pretty_midi.PrettyMIDI from a MIDI path, PrettyMIDI or MIDI bytes; anything else, and a MIDI file or bytes
    that cannot be read, is a `MediaError` (as for the other critics: the media, not the music, is wrong)."""
    from conditioning.media import Audio, MediaError
    from conditioning.render import SmfProblem, file_head, midi_read_error, read_smf

    if type(media).__name__ == "PrettyMIDI":
        return media
    if isinstance(media, Audio):
        raise MediaError(NOT_MIDI.format(what="Audio (a waveform has no notes)"))
    if isinstance(media, (bytes, bytearray, memoryview)):
        data = bytes(media)
        if not data.startswith(b"MThd") and data[8:12] != b"RMID":  # (a WAV starts with RIFF too)
            raise MediaError(NOT_MIDI.format(what=f"{len(data)} bytes that are not a MIDI file (no MThd header)"))
        try:
            return read_smf(data)
        except SmfProblem as exc:
            raise MediaError(f"could not read the MIDI bytes as one piece ({exc})") from None
        except Exception as exc:  # mido / pretty_midi raise many kinds
            raise MediaError(f"could not read the MIDI bytes ({midi_read_error(exc)})") from exc
    if isinstance(media, (str, os.PathLike)):
        path = Path(media)
        if path.suffix.lower() not in MIDI_SUFFIXES:
            raise MediaError(NOT_MIDI.format(what=f"the file {path.name!r} ({path.suffix or 'no suffix'}, not MIDI)"))
        if path.is_dir():
            raise MediaError(f"{path} is a folder, not a MIDI file")
        if not path.is_file():
            raise MediaError(f"{path}: no such file")
        try:
            return read_smf(path.read_bytes())
        except SmfProblem as exc:
            raise MediaError(f"could not read the MIDI file {path.name} as one piece ({exc})") from None
        except Exception as exc:
            raise MediaError(f"could not read the MIDI file {path.name} ({midi_read_error(exc, file_head(path))})") \
                from exc
    raise MediaError(NOT_MIDI.format(what=type(media).__name__))


class SymbolicMusicCritic(QuadrantCritic):
    """Music emotion from the notes of MIDI (symbolic descriptors) and a small ONNX classifier."""

    name = "symbolic"
    WEIGHTS = "music_symbolic.onnx"
    TRAIN_COMMAND = TRAIN_COMMAND
    FEATURES = "critics.music.symbolic_features"
    reads = "midi"  #: the studio loop hands this critic the take's MIDI (bytes), not its audio

    def __init__(self, config: SymbolicMusicConfig | None = None, **overrides: Any) -> None:
        self.config = configure(SymbolicMusicConfig, config, overrides, "music/symbolic")
        self._init_model()

    # ----------------------------------------------------------------------------- scoring

    def notes(self, media: Any):
        """The `Notes` of the media, checked: a CriticError says why they cannot be judged."""
        from critics.music.symbolic_features import notes_of

        pm = load_midi(media)
        notes = notes_of(pm)
        cfg = self.config
        if notes.n == 0:
            drums = any(i.is_drum and i.notes for i in pm.instruments)
            raise CriticError("the MIDI has no pitched notes" + (" (only drum tracks, which are ignored)" if drums else "")
                              + ": nothing to judge")
        if notes.n < cfg.min_notes:
            raise CriticError(f"the MIDI has only {notes.n} note{'' if notes.n == 1 else 's'}; at least {cfg.min_notes} "
                              "are needed to judge it")
        if notes.span_s < cfg.min_duration_s - 0.01:  # (MIDI ticks: the composer's 2-s takes last 1.9993 s)
            raise CriticError(f"the notes last {notes.span_s:.2f} s; music must last at least "
                              f"{cfg.min_duration_s:g} s to be judged")
        return notes

    def score(self, media: Any) -> Reading:
        """Read the emotion of MIDI: a .mid/.midi/.kar/.rmi path, a PrettyMIDI or MIDI bytes."""
        from critics.music.symbolic_features import KEY_NAMES, _key, _pc_hist, describe, feature_names

        notes = self.notes(media)
        names = feature_names()
        f = describe(notes)
        spans = self._windows(notes)
        rows = [np.array([f[k] for k in names], dtype=np.float32)]
        for a, b in spans:
            fw = describe(notes.window(a, b))
            rows.append(np.array([fw[k] for k in names], dtype=np.float32))
        probs = self.predict_proba(np.stack(rows))
        p = probs[0]
        native = dict(zip(QUADRANTS, (float(x) for x in p)))
        series = []
        for (a, b), pw in zip(spans, probs[1:]):
            v, ar, d = quadrant_vad(pw)
            series.append(TimedReading(round(0.5 * (a + b), 3), v, ar, d, QUADRANTS[int(np.argmax(pw))]))
        tonic, major, _, _ = _key(_pc_hist(notes))
        details = {
            "duration_s": round(notes.span_s, 3),
            "notes": notes.n,
            "p_valence_positive": float(p[0] + p[3]),
            "p_arousal_positive": float(p[0] + p[1]),
            "tempo_bpm": round(120.0 * 2.0 ** f["tempo_onset_log2"], 1),  # from the onsets
            "tempo_event_bpm": round(notes.tempo_bpm, 1),  # the file's own tempo events
            "key": f"{KEY_NAMES[tonic]} {'major' if major else 'minor'}",
            "mode": f["mode"],  # > 0: major-like, < 0: minor-like (Krumhansl-Kessler)
            "key_clarity": f["key_clarity"],
            "note_density_per_s": f["note_density"],
            "onset_density_per_s": f["onset_density"],
            "pitch_mean_midi": f["pitch_mean"],
            "velocity_mean": f["velocity_mean"],
            "articulation": f["articulation_median"],  # sounding share of the melody's inter-onset interval
            "dissonance_share": f["dissonance_share"],
        }
        return Reading.from_native(f"music/{self.name}", native, "emopia", vad=quadrant_vad(p),
                                   series=tuple(series), details=details)

    def _windows(self, notes) -> list[tuple[float, float]]:
        cfg = self.config
        if notes.span_s < cfg.series_min_s or cfg.window_s <= 0:
            return []
        t0, t1 = float(notes.start.min()), float(notes.end.max())
        spans = []
        for a in np.arange(t0, max(t0 + 1e-3, t1 - cfg.window_s + 1e-6), cfg.hop_s):
            sel = (notes.start >= a) & (notes.start < a + cfg.window_s)
            if sel.sum() >= cfg.min_notes:
                spans.append((float(a), float(a + cfg.window_s)))
        return spans


__all__ = ["SymbolicMusicCritic", "SymbolicMusicConfig", "load_midi"]
