"""Is the melody the top voice? The composer's accompaniment under its tune (``melody_on_top``) against the old
voicing that crossed above it, read by both music judges.

    python bench/music_top_voice.py [--seeds 12] [--first-seed 6] [--seconds 30] [--json [PATH]]

Until 2026-12-07 the composer voiced its chords and arpeggios around the register before writing the melody,
and the melody wandered 10 semitones either side, so a chord note often sounded above the tune. Listeners follow
the highest voice best (the high-voice superiority effect, Trainor et al. 2014), and arrangements keep the tune
on top. Since then an accompaniment note that would sound above a melody note it overlaps is moved down by
octaves (`generators.music.composer._under_melody`). Two parts, one run:

1. **The texture**, three emotions per quadrant: the share of melody notes with a chord or arpeggio note sounding
   above them (``under``), with the old voicing (``melody_on_top=False``) and the new.
2. **The judges** on the same pieces (the audio judge on the FluidR3 render, the symbolic judge on the notes):
   mean valence and arousal and the share heard in the emotions' quadrant.

The rule comes from how listeners hear polyphony, not from the judges. Its check was written down before either
judge read a piece with the tune on top: on the held-out seeds 6-17 (seeds 0-5 were looked at first), neither
judge may lose more than 2 of the 144 takes' quadrants. About 5 minutes on one core with the defaults.
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

import numpy as np  # noqa: E402

GROUPS = {"Q1": ("joy", "excitement", "triumph"), "Q2": ("anger", "fear", "anxiety"),
          "Q3": ("sadness", "melancholy", "boredom"), "Q4": ("calm", "serenity", "tenderness")}


def under(midi) -> dict[str, float]:
    """The share of melody notes that a chord or arpeggio note sounds above (the composer's MIDI: the melody is its
    own instruments' tracks, named "melody ...")."""
    from critics.music.symbolic import load_midi

    pm = load_midi(midi)
    tracks = [i for i in pm.instruments if not i.is_drum]
    melody = [n for i in tracks if i.name.startswith("melody") for n in i.notes]
    chords = [n for i in tracks if i.name.startswith("harmony") for n in i.notes]
    covered = [any(h.start < m.end and h.end > m.start and h.pitch > m.pitch for h in chords) for m in melody]
    return {"under": float(np.mean(covered)) if covered else 0.0}


def main(argv: list[str] | None = None) -> dict:
    from bench.composer_ab import ab_parser, judge_cells, judged_takes
    from generators.music.composer import ComposerConfig, ComposerMusic

    args = ab_parser(__doc__, 12).parse_args(argv)
    t0 = time.time()
    result: dict = {}
    composers = {"crossing (before)": ComposerMusic(ComposerConfig(melody_on_top=False)),
                 "tune on top (shipped)": ComposerMusic(ComposerConfig())}
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    result["composer"] = {q: judged_takes(composers, labels, seeds, args.seconds, q, under, np.mean)
                          for q, labels in GROUPS.items()}
    by_q = result["composer"]
    result["in_quadrant"] = heard = {j: {name: sum(by_q[q][name][j]["in_quadrant"] for q in GROUPS)
                                         for name in composers} for j in ("audio", "symbolic")}
    result["takes"] = sum(by_q[q][next(iter(composers))]["takes"] for q in GROUPS)
    result["seconds"] = round(time.time() - t0)
    if emit_json(result, args.json):
        return result
    print(f"the composer's takes (seeds {seeds.start}-{seeds.stop - 1}, {args.seconds:g} s): melody notes under a chord "
          "note, and each judge's reading")
    print(f"  {'':<4} {'voicing':<22} {'under':>6}   {'audio judge v / a / in Q':>24}   "
          f"{'symbolic judge v / a / in Q':>27}")
    for q, labels in GROUPS.items():
        for name, p in result["composer"][q].items():
            cells = judge_cells(p)
            print(f"  {q:<4} {name:<22} {p['under']:>6.1%}   {cells[0]:>24}   {cells[1]:>27}")
    n = result["takes"]
    for j, by in heard.items():
        print(f"  {j} judge, takes heard in their quadrant: " + ", ".join(f"{k} {v} of {n}" for k, v in by.items()))
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
