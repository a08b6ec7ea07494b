"""How much do human voices "collapse" in the speech judges' single-file readings? The yardstick for #12's limit.

    OMP_NUM_THREADS=1 python bench/speech_collapse_humans.py [--data ../shared/data] [--workers 2] [--json [PATH]]

`bench/critics_agreement.py` reports the largest share one label takes of a judge's single-file readings of
the studio's own voices (the issue's limit: 35 %; disgust takes 35 % / 30 % of them, `speech/embedded` /
`speech/encoder` (2026-12-05, the encoder's heads trained in rooms and both judges retrained after the 50 Hz
high-pass; 34 % / 45 % on 2026-12-03 with both judges' single-file heads at a fixed input level, 30 % / 43 %
before that), 74 % / 53 % before the takes' spectra were matched to the actors'). This
bench gives the same figure for human voices the judges have not heard: each RAVDESS actor's 60 clips (all
eight emotions, balanced but for neutral), read out of fold by each judge's single-file (population) head,
retrained at its shipped configuration (C and EmoDB weight from its JSON) on the same speaker folds as its
training (`speech/embedded`: its `FOLDS`, 4; `speech/encoder`: its `speaker_folds`, 8, with its 2 WORLD
pseudo-speakers per voice in training). Per judge: the median and largest share over the 16 actors and how many
exceed 35 % (2026-12-05: `speech/embedded` 24 % at the median, 48 % at most, actor 09 heard as sad;
`speech/encoder` 25 % and 37 %, actor 15 heard as happy; 1 of 16 actors above 35 % for each).

Needs the 'train' extra (scikit-learn) and the shared data; features and vectors are cached under
~/.cache/emostudio (the first run computes them: about 5 min for the functionals, 7 min on two workers for the
encoder's 4,485 vectors).
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit_json, human_voices_parser  # noqa: E402

import numpy as np  # noqa: E402

LIMIT = 0.35


def shares(pred: np.ndarray, speakers: np.ndarray) -> dict[str, tuple[float, str]]:
    """Speaker -> (largest share one label takes of that speaker's readings, that label)."""
    out = {}
    for s in sorted(set(speakers)):
        label, n = Counter(pred[speakers == s]).most_common(1)[0]
        out[s] = (n / int((speakers == s).sum()), label)
    return out


def embedded(data: Path) -> dict[str, tuple[float, str]]:
    from critics.training import speech as T

    cfg = json.loads((ROOT / "critics/weights/speech_embedded.json").read_text())["figures"]["population"]
    items = T.load_items(data)
    from critics.speech.embedded import LEVELS

    X, _ = T.extract(items, T.CACHE, log=lambda *a: None, level=LEVELS["population"])  # the single-file heads' level
    out = T.cross_validate(X, items, T.make_folds(items, T.FOLDS), cfg["C"], cfg["emodb_weight"], 0)
    rav = np.array([it.corpus == "ravdess" for it in items])
    pred = np.array(T.RAVDESS)[out["ravdess"].argmax(1)]
    return shares(pred[rav], np.array([it.speaker for it in items])[rav])


def encoder(data: Path, workers: int) -> dict[str, tuple[float, str]]:
    from critics.training import speech_encoder as E
    from critics.training.speech import RAVDESS

    meta, items, X, all_items = E.shipped_vectors(data, workers, log=lambda *a: None)
    cfg = meta["figures"]["population"]
    real, fold, items_real = E.speaker_folds(items, all_items, E.FOLDS)
    out = E.oof(X, all_items, fold, real, cfg["C"], cfg["emodb_weight"], meta["seed"])
    rav = np.array([it.corpus == "ravdess" for it in items_real])
    pred = np.array(RAVDESS)[out["ravdess"].argmax(1)]
    return shares(pred[rav], np.array([it.speaker for it in items_real])[rav])


def main() -> None:
    args = human_voices_parser(__doc__).parse_args()
    t0 = time.perf_counter()
    doc = {"limit": LIMIT, "judges": {}}
    for name, fn in (("embedded", lambda: embedded(args.data)), ("encoder", lambda: encoder(args.data, args.workers))):
        per = fn()
        vals = [v for v, _ in per.values()]
        doc["judges"][name] = {"median": round(float(np.median(vals)), 3), "max": round(max(vals), 3),
                               "above_limit": sum(v > LIMIT for v in vals), "actors": len(vals),
                               "per_actor": {s: [round(v, 3), lab] for s, (v, lab) in per.items()}}
    doc["seconds"] = round(time.perf_counter() - t0, 1)
    if emit_json(doc, args.json):
        return
    print("Largest share one label takes of a judge's single-file readings of one voice (RAVDESS actors, out of fold)")
    print(f"{'judge':10s} {'median':>7s} {'max':>7s} {'above 35 %':>11s}  worst actors")
    for name, j in doc["judges"].items():
        worst = sorted(j["per_actor"].items(), key=lambda kv: -kv[1][0])[:3]
        print(f"{name:10s} {j['median']:7.2f} {j['max']:7.2f} {j['above_limit']:>5d} of {j['actors']:<3d}  "
              + ", ".join(f"{s.split('/')[-1]} {v:.2f} {lab}" for s, (v, lab) in worst))
    print("  compare: the studio's voices, bench/critics_agreement.py (Piper + Festival: disgust 35 % / 30 %, "
          "embedded / encoder, 2026-12-05)")
    print(f"  ({doc['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
