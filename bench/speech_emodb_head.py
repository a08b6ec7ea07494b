"""The speech judges' EmoDB-7 head (``details["emodb"]``) on English acted speech: how often is its top label right?

    python bench/speech_emodb_head.py [--actors 8] [--json [PATH]]    (about 20 s)

Each RAVDESS actor's strong takes of the five emotions EmoDB shares (angry, disgust, fearful, happy, sad;
statement 1, first repetition) are read by both judges single-file and against the actor's neutral take, and the
EmoDB head's top label is compared with the take's, beside the main (RAVDESS-8) reading's against the neutral
take. Why: an audit found the head contradicting the main reading (a sad take's main reading sadness 0.99, its
EmoDB head happiness 0.94); the cards say what the head is for. The actors are in both judges' training data.
"""
from __future__ import annotations

import csv
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
EMODB = {"angry": "anger", "disgust": "disgust", "fearful": "fear", "happy": "happiness", "sad": "sadness"}


def main(argv: list[str] | None = None) -> dict:
    import argparse

    from conditioning.media import load_audio
    from critics.registry import load_critic

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--actors", type=int, default=8)
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    folder = DATA / "speech" / "ravdess"
    rows = [r for r in csv.DictReader(open(folder / "labels.csv"))
            if r["statement"] == "01" and r["repetition"] == "01" and int(r["actor"]) <= args.actors]
    result = {}
    for name in ("encoder", "embedded"):
        judge = load_critic("speech", name)
        right = {"EmoDB head, single-file": [], "EmoDB head, against the neutral take": [],
                 "main reading, against the neutral take": []}
        for actor in sorted({r["actor"] for r in rows}):
            mine = [r for r in rows if r["actor"] == actor]
            neutral = next(r for r in mine if r["emotion"] == "neutral")
            ref = judge.reference([load_audio(folder / neutral["path"])], "neutral")
            for r in mine:
                if r["emotion"] not in EMODB or r["intensity"] != "strong":
                    continue
                take = load_audio(folder / r["path"])
                alone, against = judge.score(take), judge.score(take, speaker_reference=ref)
                top = lambda d: max(d, key=d.get)  # noqa: E731
                right["EmoDB head, single-file"].append(top(alone.details["emodb"]) == EMODB[r["emotion"]])
                right["EmoDB head, against the neutral take"].append(top(against.details["emodb"]) == EMODB[r["emotion"]])
                right["main reading, against the neutral take"].append(top(against.native) == r["emotion"])
        result[f"speech/{name}"] = {k: round(float(np.mean(v)), 3) for k, v in right.items()}
        result["takes"] = len(right["EmoDB head, single-file"])
    result["seconds"] = round(time.time() - t0)
    if emit_json(result, args.json):
        return result
    print(f"{result['takes']} strong RAVDESS takes ({args.actors} actors x 5 emotions EmoDB shares): share right")
    for judge in ("speech/encoder", "speech/embedded"):
        print(f"  {judge}: " + "; ".join(f"{k} {100 * v:.0f} %" for k, v in result[judge].items()))
    print(f"  {result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
