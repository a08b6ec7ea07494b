"""A neutral reference recorded differently from the takes: how far does it move the speech judges' readings?

    python bench/speech_reference_mismatch.py [--actors 16] [--json [PATH]]

Each RAVDESS actor's strong takes of five emotions (happy, sad, angry, fearful, surprised; statement 1, first
repetition) are read against the same actor's neutral take of that statement (`critique --reference`), with the
reference and the takes recorded alike (the baseline, in the same run) or not: one of them in a room (RT60 0.7 s,
DRR 0 dB, `critics.training.recording.room_response`), both in that room, or the reference through a telephone's
band. The actors are in both judges' training data, so the accuracies are high; the drop between the rows is the
figure. Why: `critique --reference` asks for "a neutral take of the same voice", and a user's neutral take is
often recorded on another day, in another room.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json, judge_table  # noqa: E402

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))
EMOTIONS = {"03": "happy", "04": "sad", "05": "angry", "06": "fearful", "08": "surprised"}


def main(argv: list[str] | None = None) -> dict:
    import argparse

    import librosa
    import soundfile as sf
    from scipy.signal import butter, sosfiltfilt

    from critics.registry import load_critic
    from critics.speech.features import prepare
    from critics.training.recording import reverberate

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--actors", type=int, default=16)
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    phone_band = butter(6, [300, 3400], "bandpass", fs=8000, output="sos")

    def room(y):
        return reverberate(y, 0.7, 0.0, np.random.default_rng(7)).astype(np.float32)

    def phone(y):
        y8 = sosfiltfilt(phone_band, librosa.resample(y, orig_sr=16000, target_sr=8000)).astype(np.float32)
        return librosa.resample(y8, orig_sr=8000, target_sr=16000)

    same = lambda y: y  # noqa: E731
    conditions = {"recorded alike": (same, same), "reference in a room": (room, same),
                  "takes in a room": (same, room), "both in the same room": (room, room),
                  "reference through a telephone band": (phone, same)}
    judges = {n: load_critic("speech", n) for n in ("encoder", "embedded")}
    read = lambda f: prepare(*sf.read(str(f), dtype="float32"))  # noqa: E731
    actors = [f"{a:02d}" for a in range(1, args.actors + 1)]
    voices = []
    for a in actors:
        folder = DATA / "speech" / "ravdess" / f"Actor_{a}"
        voices.append((read(folder / f"03-01-01-01-01-01-{a}.flac"),
                       [(label, read(folder / f"03-01-{code}-02-01-01-{a}.flac")) for code, label in EMOTIONS.items()]))
    out = {}
    for name, (make_ref, make_take) in conditions.items():
        right = {n: 0 for n in judges}
        for neutral, takes in voices:
            for n, judge in judges.items():
                ref = judge.reference([(make_ref(neutral), 16000)], "neutral")
                for label, y in takes:
                    r = judge.score((make_take(y), 16000), speaker_reference=ref)
                    right[n] += max(r.native, key=r.native.get) == label
        out[name] = {n: round(v / (len(voices) * len(EMOTIONS)), 3) for n, v in right.items()}
    result = {"takes": len(voices) * len(EMOTIONS), "accuracy": out, "seconds": round(time.time() - t0)}
    if emit_json(result, args.json):
        return result
    judge_table(f"strong takes of 5 emotions read against the actor's neutral take ({result['takes']} takes): "
                "accuracy", out, "{:>9.3f}")
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
