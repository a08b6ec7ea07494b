"""Seconds per 1024x1024 picture of ``image/procedural`` on one core (target <= 0.3 s), per style.

    OMP_NUM_THREADS=1 .venv/bin/python bench/image_speed.py [--repeats 5] [--json [PATH]]

Baseline in the same run: writing the same picture as a PNG (``conditioning.media.save_image``), the cost any
generator pays to deliver it, and the embedded critic's scoring time, the cost of the loop's judgement.
Median of ``--repeats`` draws per style over three emotions (joy, anger, calm), after one warm-up.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import add_json_option, emit_json  # noqa: E402

import numpy as np  # noqa: E402


def main() -> int:
    import cv2

    cv2.setNumThreads(1)
    from conditioning import Emotion
    from conditioning.media import save_image
    from critics.registry import load_critic
    from generators.base import GenerationRequest
    from generators.image.procedural import STYLES, ProceduralImage

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    add_json_option(ap)
    args = ap.parse_args()
    gen, critic = ProceduralImage(), load_critic("image", "embedded")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for style in STYLES:
            times, save_t, judge_t = [], [], []
            for emo in ("joy", "anger", "calm"):
                req = GenerationRequest(Emotion.parse(emo), options={"style": style, "size": 1024})
                gen.generate(req)  # warm-up
                for k in range(args.repeats):
                    t0 = time.perf_counter()
                    res = gen.generate(GenerationRequest(Emotion.parse(emo), seed=k, options={"style": style, "size": 1024}))
                    times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                save_image(Path(tmp) / f"{style}_{emo}.png", res.media)
                save_t.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                critic.score(res.media)
                judge_t.append(time.perf_counter() - t0)
            rows.append({"style": style, "median_s": float(np.median(times)), "max_s": float(np.max(times)),
                         "png_write_s": float(np.median(save_t)), "judge_s": float(np.median(judge_t))})
    if emit_json(rows, args.json):
        return 0
    print("image/procedural, 1024x1024, one thread (median over 3 emotions x repeats)")
    print(f"  {'style':9s} {'draw s':>8s} {'max s':>7s} {'PNG write s':>12s} {'judge s':>8s}")
    for r in rows:
        print(f"  {r['style']:9s} {r['median_s']:8.3f} {r['max_s']:7.3f} {r['png_write_s']:12.3f} {r['judge_s']:8.3f}")
    worst = max(r["median_s"] for r in rows)
    print(f"summary\n  {'PASS' if worst <= 0.3 else 'MISS'}  slowest style's median {worst:.3f} s per 1024x1024 picture (target <= 0.3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
