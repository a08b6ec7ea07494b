"""Nested estimates of two critics whose shipped figure is the best model's on the folds that chose it.

    OMP_NUM_THREADS=1 .venv/bin/python bench/critics_nested.py [--only symbolic|image] [--data ../shared/data]
                                                               [--json [PATH]]

- `music/symbolic` (critics/cards/music-symbolic.md): its 0.698 is the winner's song-grouped accuracy over 3 seeds x
  5 folds, and the winner was picked among the probe-eligible candidates on seed 0's folds. Here each fold is scored
  with the candidate that is best on the other four folds of its seed (as music/embedded's card estimates its own).
- `image/embedded` (critics/cards/image-embedded.md): its r is the best of four regressors by pooled r over the
  same 10 folds x 3 seeds; here each fold's predictions come from the regressor best on the other nine folds.

The features come from the training scripts' own caches (built on first use: a few minutes each); about 4 min in
all with the caches (2026-12-06, an outside review's method, now in the repository).
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

def symbolic(data: Path) -> dict:
    """The winner's mean accuracy over the 15 folds beside the nested one, and which candidate each fold picked."""
    import critics.training.music_symbolic as MS
    from critics.music import QUADRANTS, WEIGHTS_DIR
    from critics.training.music import load_clips

    meta = json.loads((WEIGHTS_DIR / "music_symbolic.json").read_text())
    eligible = [k for k, v in meta["selection"]["results"].items() if v["probe"]["passed"]]
    clips = load_clips(data, None, 0)
    y = np.array([QUADRANTS.index(c.quadrant) for c in clips])
    groups = np.array([c.piece for c in clips])
    features = MS.build_features(clips, Path("~/.cache/emostudio/music_symbolic").expanduser(), True, lambda *a: None)
    models = MS.candidates(0, False)
    acc = {}
    for seed in (0, 1, 2):
        split = MS.grouped_splits(y, groups, seed, 5)
        for name in eligible:
            model, augment = models[name]
            p = MS.oof_proba(model, augment, features, y, split)
            acc[name, seed] = [float((p[te].argmax(1) == y[te]).mean()) for _, te in split]
    nested, winner, picks = [], [], []
    for seed in (0, 1, 2):
        for k in range(5):
            best = max(eligible, key=lambda n: np.mean([a for j, a in enumerate(acc[n, seed]) if j != k]))
            picks.append(best)
            nested.append(acc[best, seed][k])
            winner.append(acc[meta["model"], seed][k])
    return {"winner": meta["model"], "winner_accuracy": [round(float(np.mean(winner)), 4), round(float(np.std(winner)), 4)],
            "nested_accuracy": [round(float(np.mean(nested)), 4), round(float(np.std(nested)), 4)],
            "picks": {p: picks.count(p) for p in sorted(set(picks))}}


def image(data: Path) -> dict:
    """Per target, the best-of-four pooled r (the card's) beside the nested r, means over 3 seeds."""
    import critics.training.image as I

    X, Y, groups, _ = I.oasis_features(data)
    mirrored = I.read_as_shipped(data)  # each picture averaged with its mirror image, as the critic reads
    makers = I.models(I.SEED)
    out = {t: {"best_of_four_r": [], "nested_r": []} for t in I.TARGETS}
    for seed in range(3):
        preds = {}
        for name, make in makers.items():
            preds[name], fold_of = I.out_of_fold(X, Y, groups, make, seed, 10, mirrored)
        for j, t in enumerate(I.TARGETS):
            r = lambda p, m: float(np.corrcoef(p[m], Y[m, j])[0, 1])  # noqa: E731
            everything = np.ones(len(Y), bool)
            out[t]["best_of_four_r"].append(max(r(preds[n][:, j], everything) for n in makers))
            nested = np.zeros(len(Y))
            for k in np.unique(fold_of):
                rest = fold_of != k
                pick = max(makers, key=lambda n: r(preds[n][:, j], rest))
                nested[~rest] = preds[pick][~rest, j]
            out[t]["nested_r"].append(float(np.corrcoef(nested, Y[:, j])[0, 1]))
    return {t: {k: round(float(np.mean(v)), 4) for k, v in d.items()} for t, d in out.items()}


def main() -> int:
    ap = data_parser(__doc__)
    ap.add_argument("--only", choices=("symbolic", "image"))
    args = ap.parse_args()
    res = {}
    if args.only in (None, "symbolic"):
        res["music/symbolic"] = symbolic(args.data)
    if args.only in (None, "image"):
        res["image/embedded"] = image(args.data)
    if emit_json(res, args.json):
        return 0
    if "music/symbolic" in res:
        s = res["music/symbolic"]
        print(f"music/symbolic, song-grouped 3 seeds x 5 folds: winner {s['winner']} {s['winner_accuracy'][0]:.3f} "
              f"+- {s['winner_accuracy'][1]:.3f} (the card's); nested {s['nested_accuracy'][0]:.3f} +- "
              f"{s['nested_accuracy'][1]:.3f}; picks {s['picks']}")
    if "image/embedded" in res:
        for t, d in res["image/embedded"].items():
            print(f"image/embedded {t}: best of four r {d['best_of_four_r']:.3f} (the card's); nested r "
                  f"{d['nested_r']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
