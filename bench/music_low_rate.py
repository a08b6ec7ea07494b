"""Does the audio music judge read a recording saved at a low sample rate as it reads the same music at 22.05 kHz?

    python bench/music_low_rate.py [--clips 16] [--json [PATH]]

`music/embedded` reads spectral descriptors up to 10 kHz (`critics.music.features.SPECTRAL_FMAX`), so audio
saved at 44.1 or 48 kHz reads like its 22.05 kHz render, but audio saved at 16 kHz (a phone's or a video call's
recording) or 11.025 kHz lacks part of that band. EMOPIA clips (``--clips``, the first of each quadrant in the
labels' order, through FluidR3) are rendered at 22.05 kHz and resampled to each rate; per rate, how many change
quadrant against the 22.05 kHz reading and by how much valence and arousal move. `critique` notes music audio
saved below `studio.critique.MUSIC_LOW_RATE_HZ` for this.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402
from critics.training import default_data  # noqa: E402

import numpy as np  # noqa: E402

DATA = default_data()  # $EMOSTUDIO_DATA, else shared/data beside the checkout
RATES = (48000, 44100, 16000, 11025)


def main(argv: list[str] | None = None) -> dict:
    import librosa

    from conditioning.media import Audio
    from conditioning.render import render_midi
    from critics.registry import load_critic

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=16)
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = list(csv.DictReader(open(DATA / "music" / "emopia" / "labels.csv", encoding="utf-8")))
    per_q = max(1, args.clips // 4)
    chosen = [r for q in ("Q1", "Q2", "Q3", "Q4") for r in [r for r in rows if r["quadrant"] == q][:per_q]]
    judge = load_critic("music", "embedded")
    top = lambda r: max(r.native, key=r.native.get)  # noqa: E731
    base, moved = [], {rate: [] for rate in RATES}
    for r in chosen:
        y = render_midi(DATA / "music" / "emopia" / r["path"], rate=22050).samples
        ref = judge.score(Audio(y, 22050))
        base.append(ref)
        for rate in RATES:
            got = judge.score(Audio(librosa.resample(y, orig_sr=22050, target_sr=rate).astype(np.float32), rate))
            moved[rate].append((top(got) != top(ref), abs(got.valence - ref.valence), abs(got.arousal - ref.arousal)))
    result = {"clips": len(chosen), "rates": {str(rate): {
        "quadrant_changed": int(sum(m[0] for m in v)), "mean_abs_valence": round(float(np.mean([m[1] for m in v])), 3),
        "mean_abs_arousal": round(float(np.mean([m[2] for m in v])), 3),
        "max_abs_move": round(float(max(max(m[1], m[2]) for m in v)), 3)} for rate, v in moved.items()},
        "seconds": round(time.time() - t0)}
    if emit_json(result, args.json):
        return result
    print(f"music/embedded on {result['clips']} EMOPIA clips rendered at 22.05 kHz, resampled: against the 22.05 kHz "
          "reading")
    print(f"  {'rate':>8}  {'quadrant changed':>16}  {'mean |dV|':>9}  {'mean |dA|':>9}  {'largest move':>12}")
    for rate, v in result["rates"].items():
        print(f"  {int(rate):>8}  {v['quadrant_changed']:>10} of {result['clips']:<3}  {v['mean_abs_valence']:>9.3f}  "
              f"{v['mean_abs_arousal']:>9.3f}  {v['max_abs_move']:>12.3f}")
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
