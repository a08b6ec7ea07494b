"""Several sentences in one recording: `speech/embedded` reading each utterance and pooling, against reading the
recording whole, in the same run.

For each RAVDESS actor in ../shared/data and each of the 8 emotions, the actor's two sentences (strong takes,
repetition 1; neutral's normal ones) are trimmed and joined by a pause of digital silence; the judge's top label is
compared with the emotion, for the pair and for the first sentence alone; `speech/encoder`, the independent judge
(it reads a recording in windows, not utterances), beside it. These are both judges' own training actors, so the
figures are in-sample; the point is the gap between a pair and a single take.

    python bench/speech_utterances.py [--pause 0.8] [--data ../shared/data]

Measured 2026-12-06 (pause 0.8 s): single takes 109/128; pairs pooled by utterance 118/128, read whole 61/128;
speech/encoder single takes 121/128, pairs 120/128.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LABELS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful", "07": "disgust",
          "08": "surprised"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pause", type=float, default=0.8, help="seconds of silence between the two sentences")
    ap.add_argument("--data", default=os.environ.get("EMOSTUDIO_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data")))
    args = ap.parse_args()
    import soundfile as sf

    from conditioning.media import Audio
    from critics.speech import embedded as E
    from critics.speech.encoder import SpeechEncoderCritic
    from critics.speech.features import prepare

    critic, encoder = E.EmbeddedSpeechCritic(), SpeechEncoderCritic()
    top = lambda r: max(r.native, key=r.native.get)  # noqa: E731
    hits = {"single": 0, "pooled": 0, "whole": 0, "encoder single": 0, "encoder pair": 0}
    n, t0 = 0, time.perf_counter()
    for actor in sorted(Path(args.data, "speech", "ravdess").glob("Actor_*")):
        a_id = actor.name.split("_")[1]
        for code, label in LABELS.items():
            inten = "01" if code == "01" else "02"
            files = [actor / f"03-01-{code}-{inten}-0{k}-01-{a_id}.flac" for k in (1, 2)]
            if not all(f.is_file() for f in files):
                continue
            a, b = (prepare(*sf.read(str(f), dtype="float32")) for f in files)
            pair = Audio(np.concatenate([a, np.zeros(int(args.pause * 16000), np.float32), b]), 16000)
            n += 1
            hits["single"] += top(critic.score(Audio(a, 16000))) == label
            hits["pooled"] += top(critic.score(pair)) == label
            with mock.patch("critics.speech.features.utterances", lambda y: [(0, len(y))]):  # the baseline: whole
                hits["whole"] += top(critic.score(pair)) == label
            hits["encoder single"] += top(encoder.score(Audio(a, 16000))) == label
            hits["encoder pair"] += top(encoder.score(pair)) == label
    print(f"{n} pairs, pause {args.pause:g} s ({time.perf_counter() - t0:.0f} s): single takes {hits['single']}/{n}, "
          f"pairs pooled by utterance {hits['pooled']}/{n}, read whole {hits['whole']}/{n}; speech/encoder: single "
          f"takes {hits['encoder single']}/{n}, pairs {hits['encoder pair']}/{n}")


if __name__ == "__main__":
    main()
