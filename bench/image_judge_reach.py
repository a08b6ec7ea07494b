"""How far do the image judge's readings reach on pictures it was not trained on, and what CCC does that allow?

    OMP_NUM_THREADS=1 .venv/bin/python bench/image_judge_reach.py [--data ../shared/data] [--seed 0] [--range -0.82,0.23]
        [--json [PATH]]

Why: `bench/image_fidelity.py` asks `image/embedded` for CCC >= 0.7 with targets spread over -0.8..0.8, so its
readings must reach well into both halves of each scale. This bench measures how far they can. It re-runs the
shipped protocol out of fold (GroupKFold by OASIS concept, 10 folds, the shipped model family per target:
random forest for valence, extra trees for arousal; critics/cards/image-embedded.md), maps every out-of-fold
prediction through the shipped concordance map and reports the readings as the critic gives them (`(rating - 4)
/ 3`, clipped to -1..1): their percentiles, the human ratings' for comparison, and the highest-read photographs.

It then gives two ceilings for the 5x5 grid of `bench/image_fidelity.py`: the CCC of readings that are perfectly
ordered and linear in the target but confined to a range, (a) the 1st..99th percentile of the out-of-fold
readings (what the judge gives unseen photographs) and (b) ``--range``, the span the judge gave the procedural
pictures (default: the arousal span in generators/cards/image-procedural.md, -0.82..+0.23 with the bright dramatic
light; -0.82..+0.09 before any light). A ceiling under 0.7
means no generator can pass that judge on that scale while staying inside that range.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import data_parser, emit_json  # noqa: E402

import numpy as np  # noqa: E402

GRID = np.repeat(np.linspace(-0.8, 0.8, 5), 5)  # one scale of the 5x5 grid: each level 5 times


def ceiling(lo: float, hi: float) -> float:
    """CCC of the grid's targets with perfectly ordered, linear readings spanning lo..hi."""
    from conditioning.metrics import ccc

    t = GRID
    return float(ccc(t, lo + (t - t.min()) / (t.max() - t.min()) * (hi - lo)))


def run(data: Path, seed: int, span: tuple[float, float]) -> dict:
    import csv

    from critics.image.embedded import apply_concordance_map
    from critics.training.image import SEED, TARGETS, models, oasis_features, out_of_fold, read_as_shipped

    X, Y, groups, _ = oasis_features(data)  # the training command's feature cache
    mirrored = read_as_shipped(data)  # each picture averaged with its mirror image, as the critic reads
    with open(data / "images" / "oasis" / "labels.csv", newline="") as f:  # the features' row order (load_oasis)
        themes = [row["theme"] for row in csv.DictReader(f)]
    meta = json.loads((Path(__file__).resolve().parents[1] / "critics" / "weights" / "image_embedded.json").read_text())
    out = {}
    for j, target in enumerate(TARGETS):  # the shipped model family per target, the training's folds
        pred = out_of_fold(X, Y[:, [j]], groups, models(SEED)[meta["model"][target]], seed, 10,
                           mirrored)[0][:, 0]
        reading = np.clip((apply_concordance_map(pred, meta["concordance_map"][target]) - 4) / 3, -1, 1)  # as score()
        human = (Y[:, j] - 4) / 3
        p = np.percentile(reading, [1, 5, 50, 95, 99])
        top = np.argsort(-reading)[:5]
        out[target.split("_")[0]] = {
            "model": meta["model"][target], "readings_percentiles_1_5_50_95_99": [round(float(x), 3) for x in p],
            "readings_min_max": [round(float(reading.min()), 3), round(float(reading.max()), 3)],
            "human_percentiles_1_5_50_95_99": [round(float(x), 3) for x in np.percentile(human, [1, 5, 50, 95, 99])],
            "share_read_above_0.2": round(float(np.mean(reading > 0.2)), 3),
            "percentile_of_span_top": round(float(np.mean(reading < span[1]) * 100), 1),
            "highest_read": [[themes[i], round(float(reading[i]), 2), round(float(human[i]), 2)] for i in top],
            "ccc_ceiling_unseen_photos_p1_p99": round(ceiling(p[0], p[4]), 3)}
    out["arousal"]["ccc_ceiling_procedural_range"] = {"range": list(span), "ccc": round(ceiling(*span), 3)}
    return out


def main() -> int:
    ap = data_parser(__doc__)
    ap.add_argument("--seed", type=int, default=0, help="which concept-to-fold shuffle (the training uses 0, 1, 2)")
    ap.add_argument("--range", default="-0.82,0.23", help="reading span for the second ceiling: LO,HI")
    args = ap.parse_args()
    span = tuple(float(x) for x in args.range.split(","))
    res = run(args.data, args.seed, span)
    if emit_json(res, args.json):
        return 0
    print("image/embedded, out-of-fold readings of OASIS photographs (GroupKFold by concept, 10 folds), -1..1 scale")
    for dim, r in res.items():
        if not isinstance(r, dict) or "model" not in r:
            continue
        p, h = r["readings_percentiles_1_5_50_95_99"], r["human_percentiles_1_5_50_95_99"]
        print(f"  {dim:8s} ({r['model']}): readings p1 {p[0]:+.2f} p5 {p[1]:+.2f} p50 {p[2]:+.2f} p95 {p[3]:+.2f} "
              f"p99 {p[4]:+.2f} (max {r['readings_min_max'][1]:+.2f}); human ratings p1 {h[0]:+.2f} p99 {h[4]:+.2f}; "
              f"{r['share_read_above_0.2']:.0%} read above +0.2")
        print("           highest read: " + ", ".join(f"{n} {a:+.2f} (human {b:+.2f})" for n, a, b in r["highest_read"]))
        print(f"           CCC ceiling on the 5x5 grid within p1..p99 of these readings: {r['ccc_ceiling_unseen_photos_p1_p99']:.3f}")
    c = res["arousal"]["ccc_ceiling_procedural_range"]
    print(f"  arousal CCC ceiling within the procedural pictures' span {c['range'][0]:+.2f}..{c['range'][1]:+.2f}: "
          f"{c['ccc']:.3f} (target 0.7); their top, {c['range'][1]:+.2f}, is above "
          f"{res['arousal']['percentile_of_span_top']:.0f} % of the judge's readings of unseen photographs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
