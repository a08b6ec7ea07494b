"""Very quiet 16-bit recordings: from what level do the speech judges' readings move?

    python bench/speech_quiet.py [--actors 16] [--json [PATH]]    (about 5 minutes)

Each RAVDESS actor's neutral take and strong takes of the seven other emotions (statement 1, first repetition) are
scaled so that their peak lies at each level below, stored in 16-bit samples (as a WAV or FLAC holds them) and
read single-file by both judges. The figure is the share of readings whose label differs from the same take's
at -1 dBFS, and the mean change of valence. Both judges read speech at a fixed level (a file's gain alone does
not change their reading), so what moves them is the 16-bit floor: a take turned down far enough loses its
quietest sounds (consonants, breath, the ends of words) under the last bit. Why: an audit found a take at -48
dBFS read with valence +0.25 instead of +0.68 by `speech/embedded`, with no word (`critique`'s `quiet` note,
`studio.critique.QUIET_DBFS`, comes from this table). The actors are in both judges' training data; the change
between levels is the figure, not the accuracy.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))
LEVELS = (-1.0, -20.0, -30.0, -40.0, -45.0, -50.0, -55.0)  #: peak, dBFS
CODES = ("02", "03", "04", "05", "06", "07", "08")  #: RAVDESS emotions with strong takes (calm ... surprised)


def main(argv: list[str] | None = None) -> dict:
    import argparse

    import soundfile as sf

    from critics.registry import load_critic

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--actors", type=int, default=16)
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    judges = {n: load_critic("speech", n) for n in ("encoder", "embedded")}
    takes = []
    for a in range(1, args.actors + 1):
        folder = DATA / "speech" / "ravdess" / f"Actor_{a:02d}"
        names = [f"03-01-01-01-01-01-{a:02d}.flac"] + [f"03-01-{c}-02-01-01-{a:02d}.flac" for c in CODES]
        takes += [sf.read(str(folder / n), dtype="float64") for n in names]
    readings: dict[str, dict[float, list]] = {n: {} for n in judges}
    for level in LEVELS:
        for y, rate in takes:
            quiet = np.round(y / np.abs(y).max() * 10 ** (level / 20) * 32767) / 32767  # 16-bit samples
            for n, judge in judges.items():
                r = judge.score((quiet.astype(np.float32), rate))
                readings[n].setdefault(level, []).append((max(r.native, key=r.native.get), r.valence))
    table = {}
    for n, by_level in readings.items():
        loud = by_level[LEVELS[0]]
        table[n] = {f"{level:g}": {"label changed": round(float(np.mean([a[0] != b[0] for a, b in zip(rs, loud)])), 3),
                                   "mean |valence change|": round(float(np.mean([abs(a[1] - b[1])
                                                                                 for a, b in zip(rs, loud)])), 3)}
                    for level, rs in by_level.items() if level != LEVELS[0]}
    result = {"takes": len(takes), "levels dBFS": table, "seconds": round(time.time() - t0)}
    if emit_json(result, args.json):
        return result
    print(f"{len(takes)} RAVDESS takes in 16-bit samples, read single-file; against the same take at -1 dBFS:")
    print(f"  {'peak dBFS':>10s} " + " ".join(f"{n:>28s}" for n in table))
    for level in LEVELS[1:]:
        cells = [table[n][f"{level:g}"] for n in table]
        print(f"  {level:10g} " + " ".join(f"{100 * c['label changed']:12.1f} % labels, v {c['mean |valence change|']:.3f}"
                                           for c in cells))
    print(f"  {result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
