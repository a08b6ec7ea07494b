"""Do calm pieces read calmer-and-happier when their arpeggios flow in eighths, as human calm piano music does?

    python bench/music_flow.py [--seeds 12] [--first-seed 6] [--seconds 30] [--json [PATH]]

Until 2026-12-07 the composer's arpeggios moved in quarter notes below 85 BPM, so its calm music (calm, serenity,
relief, ...) played about one onset a second with nearly every onset more than 0.6 s after the last, where
EMOPIA's human-labelled calm (Q4) piano pieces play about 2.7 a second and only a few per cent of their onsets
are that far apart. Since then arpeggios at valence `ComposerConfig.flowing_min_valence` (0) or above flow in
eighths at every tempo. Three parts, one run:

1. **Humans**: EMOPIA's pieces (``$EMOSTUDIO_DATA/music/emopia``) per quadrant: onsets per second and the share of
   inter-onset intervals over 0.6 s (the symbolic judge's ``onset_density`` and ``ioi_long_share`` descriptors).
2. **The composer's calm positive takes** (calm, tenderness, contentment, serenity, relief) with quarters when
   slow (``flowing_min_valence=2.0``, the texture before) and flowing (0.0): the same two measures.
3. **The judges** on the same pieces (the audio judge on the FluidR3 render, the symbolic judge on the notes):
   mean valence and arousal and the share heard as Q4. The default seeds (6-17) are not the ones the rule was
   first tried on (0-5); the exception for sad music (it keeps its quarters) was chosen on both judges' readings
   of seeds 0-5, where the symbolic judge heard sad pieces flowing in eighths as Q4.

Takes below valence 0 are the same notes with either setting: the run checks this on sadness, melancholy,
boredom and fear. About 2 minutes on one core with the defaults.
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
CALM_POSITIVE = ("calm", "tenderness", "contentment", "serenity", "relief")
UNCHANGED = ("sadness", "melancholy", "boredom", "fear")
MEASURES = ("onset_density", "ioi_long_share")


def texture(midi) -> dict[str, float]:
    """Onsets per second and the share of inter-onset intervals over 0.6 s, as the symbolic judge measures them."""
    from critics.music.symbolic import load_midi
    from critics.music.symbolic_features import extract, feature_names

    values = dict(zip(feature_names(), extract(load_midi(midi))))
    return {k: float(values[k]) for k in MEASURES}


def humans() -> dict:
    from critics.training.music import load_clips

    by_q: dict[str, list] = {}
    for clip in load_clips(DATA):
        by_q.setdefault(clip.quadrant, []).append(texture(clip.path))
    return {q: {"pieces": len(v), **{k: round(float(np.median([x[k] for x in v])), 3) for k in MEASURES}}
            for q, v in sorted(by_q.items())}


def main(argv: list[str] | None = None) -> dict:
    from bench.composer_ab import ab_parser, judge_cells, judged_takes, same_notes
    from generators.music.composer import ComposerConfig, ComposerMusic

    args = ab_parser(__doc__, 12).parse_args(argv)
    t0 = time.time()
    result: dict = {"humans": humans()}
    composers = {"quarters (before)": ComposerMusic(ComposerConfig(flowing_min_valence=2.0)),
                 "flowing (shipped)": ComposerMusic(ComposerConfig())}
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    result["composer"] = pieces = judged_takes(composers, CALM_POSITIVE, seeds, args.seconds, "Q4", texture, np.median)
    result["unchanged_same_notes"] = same_notes(composers, UNCHANGED, args.seconds)
    result["seconds"] = round(time.time() - t0)
    if emit_json(result, args.json):
        return result
    h = result["humans"]
    print("1. EMOPIA, human-labelled piano pieces (medians): onsets per second, share of onsets more than 0.6 s apart")
    for q in ("Q1", "Q2", "Q3", "Q4"):
        print(f"  {q}  {h[q]['pieces']:>4} pieces  {h[q]['onset_density']:.2f} onsets/s  {h[q]['ioi_long_share']:.3f}")
    print(f"2-3. the composer's calm positive takes ({', '.join(CALM_POSITIVE)}; seeds {seeds.start}-{seeds.stop - 1}, "
          f"{args.seconds:g} s): texture (medians) and each judge's reading")
    print(f"  {'arpeggios':<18} {'onsets/s':>8} {'>0.6 s':>7}   {'audio judge v / a / Q4':>24}   "
          f"{'symbolic judge v / a / Q4':>27}")
    for name, p in pieces.items():
        cells = judge_cells(p)
        print(f"  {name:<18} {p['onset_density']:>8.2f} {p['ioi_long_share']:>7.3f}   {cells[0]:>24}   {cells[1]:>27}")
    print(f"  {', '.join(UNCHANGED)}: the same notes with either setting in {result['unchanged_same_notes']}")
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
