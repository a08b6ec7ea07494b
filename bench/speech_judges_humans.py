"""How often do both speech judges hear the intended emotion in real acted speech of voices they have not heard?
The yardstick for #12's target on the studio's own takes (both judges >= 60 % open loop).

    OMP_NUM_THREADS=1 python bench/speech_judges_humans.py [--data ../shared/data] [--workers 2] [--json [PATH]]

`bench/critics_agreement.py` counts a studio take as recognised when both judges (`speech/embedded`, the
functionals, and `speech/encoder`, the speaker encoder's states) name its target. This bench asks the same of
the RAVDESS actors' own clips, read out of fold: both judges are retrained at their shipped configurations (C
and EmoDB weight from their JSONs; the encoder with its WORLD pseudo-speakers in training) on the *same* 8
speaker folds (`critics.training.speech_encoder.speaker_folds`: actors in pairs), so every clip gets two
readings from judges that never heard its voice. Two conditions: single file (the population heads) and
speaker-referenced (each clip minus the mean of the same actor's other neutral clips, the training's
`speaker_shift`; the loop uses one neutral take of the same sentence). The row to compare with the studio's
full-intensity takes is "strong": the actors' strong-intensity clips of the seven emotions.

Caveat: `speech/embedded` selects and reports on its own 4 folds; on these 8 it trains on 14 actors instead of
12, so its figures here are slightly higher than its card's. Needs the 'train' extra and the shared data;
features and vectors are cached under ~/.cache/emostudio (the first run computes them: about 5 min for the
functionals, 7 min on two workers for the encoder's 4,485 vectors).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit_json, human_voices_parser  # noqa: E402

import numpy as np  # noqa: E402

CONDITIONS = ("population", "speaker")


def readings(data: Path, workers: int) -> tuple[list, dict[str, dict[str, np.ndarray]]]:
    """(the real clips' items, {condition: {judge: each clip's out-of-fold RAVDESS label}}), both judges on the
    encoder's speaker folds (`speech_encoder.oof`: pseudo-speakers only train)."""
    from critics.training import speech as T
    from critics.training import speech_encoder as E

    meta_enc, items, X_enc, all_items = E.shipped_vectors(data, workers, log=lambda *a: None, which="population")
    X_ref = E.shipped_vectors(data, workers, log=lambda *a: None, which="speaker")[2]  # its own input level
    meta_emb = json.loads((ROOT / "critics/weights/speech_embedded.json").read_text())
    from critics.speech.embedded import LEVELS

    X_emb = T.extract(items, T.CACHE, log=lambda *a: None, level=LEVELS["population"])[0].astype(np.float64)
    X_emb_ref = T.extract(items, T.CACHE, log=lambda *a: None, level=LEVELS["speaker"])[0].astype(np.float64)
    real, fold, _ = E.speaker_folds(items, all_items, E.FOLDS)
    judges = {"embedded": (meta_emb, {"population": X_emb, "speaker": T.speaker_shift(X_emb_ref, items)}, items,
                           fold[real], np.ones(len(items), bool)),
              "encoder": (meta_enc, {"population": X_enc, "speaker": T.speaker_shift(X_ref, all_items)}, all_items,
                          fold, real)}
    out = {cond: {} for cond in CONDITIONS}
    for judge, (meta, by_cond, its, folds, is_real) in judges.items():
        for cond in CONDITIONS:
            cfg = meta["figures"][cond]
            p = E.oof(by_cond[cond], its, folds, is_real, cfg["C"], cfg["emodb_weight"], meta["seed"])["ravdess"]
            out[cond][judge] = np.array(T.RAVDESS)[p.argmax(1)]
    return items, out


def summary(data: Path, items, out) -> dict:
    from critics.training.speech import RAVDESS
    from studio.calibrate import ravdess_intensities

    intensity = ravdess_intensities(data)
    rav = np.array([it.corpus == "ravdess" for it in items])
    lab = np.array([it.label for it in items])
    strong = rav & np.array([intensity.get(it.path.name) == "strong" for it in items])
    subsets = {"strong": strong & (lab != "neutral"), "all emotional": rav & (lab != "neutral"), "all": rav}
    doc = {}
    for cond, by_judge in out.items():
        e, v = by_judge["embedded"] == lab, by_judge["encoder"] == lab
        doc[cond] = {name: {"n": int(m.sum()), "embedded": round(float(e[m].mean()), 3),
                            "encoder": round(float(v[m].mean()), 3), "both": round(float((e & v)[m].mean()), 3),
                            "judges_agree": round(float((by_judge["embedded"] == by_judge["encoder"])[m].mean()), 3)}
                     for name, m in subsets.items()}
        m = subsets["strong"]
        doc[cond]["strong_per_label_both"] = {l: [int((e & v & m & (lab == l)).sum()), int((m & (lab == l)).sum())]
                                              for l in RAVDESS if l != "neutral"}
    return doc


def main() -> None:
    args = human_voices_parser(__doc__).parse_args()
    t0 = time.perf_counter()
    items, out = readings(args.data, args.workers)
    doc = {"conditions": summary(args.data, items, out), "seconds": round(time.perf_counter() - t0, 1)}
    if emit_json(doc, args.json):
        return
    print("RAVDESS actors' own clips, read out of fold (8 speaker folds) by both speech judges at their shipped "
          "configurations")
    print(f"{'condition':11s} {'clips':15s} {'n':>4s} {'embedded':>9s} {'encoder':>8s} {'both':>6s} {'judges agree':>13s}")
    for cond, d in doc["conditions"].items():
        for name in ("strong", "all emotional", "all"):
            r = d[name]
            print(f"{cond:11s} {name:15s} {r['n']:4d} {r['embedded']:9.3f} {r['encoder']:8.3f} {r['both']:6.3f} "
                  f"{r['judges_agree']:13.3f}")
        print(f"{'':11s} strong, both, per label: " + ", ".join(f"{l} {a}/{n}" for l, (a, n) in
                                                              d["strong_per_label_both"].items()))
    print("  compare: the studio's full-intensity takes, both judges, speaker-referenced: `python "
          "bench/critics_agreement.py --only speech --loop 2`, column 'both agree', rows 'open, speaker ref.' and "
          "'--loop 2' (not run here; add --humans there to get both in one run)")
    print(f"  ({doc['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
