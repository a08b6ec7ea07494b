"""Is happy active music heard as happier comped than driven by eighth-note stabs? (the composer's drive rule)

    python bench/music_drive.py [--seeds 4] [--seconds 30] [--json [PATH]]

Before 2026-12-07 the composer accompanied all music above arousal 0.4 with eighth-note chord stabs over an
eighth-note bass ("drive", the texture it writes for anger). Joy at arousal 0.5 then read valence +0.14 by the
symbolic judge, where the same joy at arousal 0.3 read +0.62, and the last clips of sessions into joy read less
joyful than the middle. Since then active music above `ComposerConfig.drive_max_valence` (0.2) is comped
(syncopated chords, walking bass) instead. Three parts, one run:

1. **Humans**: in EMOPIA's human-labelled piano pieces (``$EMOSTUDIO_DATA/music/emopia``), how often a bass note
   is repeated at the next onset within 0.35 s (driving repeated bass) and how often a chord of three or more
   notes is (stabs), per quadrant. Q2 (tense, angry) is the quadrant whose music does it.
2. **The composer's own texture**: the same two shares in its happy active pieces (joy, excitement, amusement,
   elation, triumph, surprise) with the drive (``drive_max_valence=1.0``, the texture before) and without (0.2).
3. **The judges**: both music judges on the same pieces (the audio judge on the FluidR3 render, the symbolic
   judge on the notes): mean valence and arousal and the share heard as Q1. The rule was chosen on the symbolic
   judge's readings, so the audio judge's change is the independent check.

Takes at valence 0.2 or below are the same notes with either setting: the run checks this on anger, fear,
sadness and calm. Runs on one core in about 5 minutes with the defaults.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit_json  # noqa: E402
from critics.training import default_data  # noqa: E402

import numpy as np  # noqa: E402

DATA = default_data()  # $EMOSTUDIO_DATA, else shared/data beside the checkout
HAPPY_ACTIVE = ("joy", "excitement", "amusement", "elation", "triumph", "surprise")
UNCHANGED = ("anger", "fear", "sadness", "calm")
REPEAT_S = 0.35  #: a note repeated within this (an eighth at 86 BPM or faster) counts as driving
BASS_BELOW = 55  #: MIDI pitch: the lowest note of an onset is a bass note under G3


def texture(pm) -> tuple[float, float]:
    """(repeated-bass share, repeated-chord share) over a piece's onsets (notes within 30 ms are one onset)."""
    notes = sorted((n for i in pm.instruments if not i.is_drum for n in i.notes), key=lambda n: n.start)
    if len(notes) < 2:
        return 0.0, 0.0
    groups, cur = [], [notes[0]]
    for n in notes[1:]:
        if n.start - cur[0].start < 0.03:
            cur.append(n)
        else:
            groups.append(cur)
            cur = [n]
    groups.append(cur)
    start = np.array([g[0].start for g in groups])
    low = np.array([min(n.pitch for n in g) for g in groups])
    chord = [frozenset(n.pitch for n in g) for g in groups]
    close = np.diff(start) < REPEAT_S
    bass = (low[:-1] < BASS_BELOW) & (low[1:] == low[:-1]) & close
    stab = np.array([len(a) >= 3 and a == b for a, b in zip(chord[:-1], chord[1:])]) & close
    return float(bass.mean()), float(stab.mean())


def humans() -> dict:
    from scipy.stats import mannwhitneyu

    from critics.music.symbolic import load_midi
    from critics.training.music import load_clips

    by_q: dict[str, list] = {}
    for clip in load_clips(DATA):
        by_q.setdefault(clip.quadrant, []).append(texture(load_midi(clip.path)))
    out = {q: {"pieces": len(v), "repeated_bass": round(float(np.mean([x[0] for x in v])), 4),
               "repeated_chord": round(float(np.mean([x[1] for x in v])), 4)} for q, v in sorted(by_q.items())}
    p = mannwhitneyu([x[0] for x in by_q["Q2"]], [x[0] for x in by_q["Q1"]], alternative="greater").pvalue
    out["q2_over_q1_repeated_bass_p"] = float(f"{p:.2g}")
    return out


def main(argv: list[str] | None = None) -> dict:
    from bench.composer_ab import ab_parser, judge_cells, judged_takes, same_notes
    from critics.music.symbolic import load_midi
    from generators.music.composer import ComposerConfig, ComposerMusic

    args = ab_parser(__doc__, 4, first_seed=None).parse_args(argv)
    t0 = time.time()
    result: dict = {"humans": humans()}
    composers = {"drive (before)": ComposerMusic(ComposerConfig(drive_max_valence=1.0)),
                 "comp (shipped)": ComposerMusic(ComposerConfig())}
    shares = lambda midi: dict(zip(("repeated_bass", "repeated_chord"), texture(load_midi(midi))))  # noqa: E731
    result["composer"] = pieces = judged_takes(composers, HAPPY_ACTIVE, range(args.seeds), args.seconds, "Q1", shares)
    result["unchanged_same_notes"] = same_notes(composers, UNCHANGED, args.seconds)
    result["seconds"] = round(time.time() - t0)
    if emit_json(result, args.json):
        return result
    h = result["humans"]
    print(f"1. EMOPIA, human-labelled piano pieces: onsets whose bass note (under MIDI {BASS_BELOW}) or chord (3+ notes) "
          f"repeats within {REPEAT_S} s")
    for q in ("Q1", "Q2", "Q3", "Q4"):
        print(f"  {q}  {h[q]['pieces']:>4} pieces  repeated bass {h[q]['repeated_bass']:.3f}  "
              f"repeated chord {h[q]['repeated_chord']:.4f}")
    print(f"  Q2 above Q1 (repeated bass, one-sided Mann-Whitney): p = {h['q2_over_q1_repeated_bass_p']}")
    print(f"2-3. the composer's happy active takes ({', '.join(HAPPY_ACTIVE)}; {args.seeds} seeds, "
          f"{args.seconds:g} s): texture and each judge's reading")
    print(f"  {'texture':<15} {'rep. bass':>9} {'rep. chord':>10}   {'audio judge v / a / Q1':>24}   "
          f"{'symbolic judge v / a / Q1':>27}")
    for name, p in pieces.items():
        cells = judge_cells(p)
        print(f"  {name:<15} {p['repeated_bass']:>9.3f} {p['repeated_chord']:>10.3f}   {cells[0]:>24}   {cells[1]:>27}")
    print(f"  anger, fear, sadness, calm: the same notes with either setting in {result['unchanged_same_notes']}")
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
