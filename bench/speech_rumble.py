"""A rumble below hearing (wind, handling, a microphone without its own high-pass) under speech: how often does it
change the speech judges' top label?

    python bench/speech_rumble.py [--clips 40] [--below 10]

Every 24th RAVDESS clip, prepared, with Gaussian noise low-passed at 15 Hz (4th order) added ``--below`` dB under
the speech's RMS, read single file by both judges as shipped, and again with `critics.speech.features.high_pass`
bypassed (the same heads, in the same run: the baseline without the filter).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from unittest import mock

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import judge_table  # noqa: E402

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))


def main(argv: list[str] | None = None) -> dict:
    import soundfile as sf
    from scipy.signal import butter, sosfilt

    from critics.registry import load_critic
    from critics.speech import features

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--below", type=float, default=10.0)
    args = ap.parse_args(argv)
    judges = {n: load_critic("speech", n) for n in ("embedded", "encoder")}
    top = lambda r: max(r.native, key=r.native.get)  # noqa: E731
    low = butter(4, 15, "lowpass", fs=16000, output="sos")
    rng = np.random.default_rng(0)
    pairs = []
    for f in sorted((DATA / "speech" / "ravdess").glob("Actor_*/*.flac"))[::24][:args.clips]:
        y = features.prepare(*sf.read(str(f), dtype="float32"))
        n = sosfilt(low, rng.standard_normal(len(y)))
        pairs.append((y, (y + n * np.sqrt(np.mean(y ** 2)) * 10 ** (-args.below / 20) / np.sqrt(np.mean(n ** 2)))
                      .astype(np.float32)))
    def changed() -> dict[str, int]:
        return {j: sum(top(c.score((a, 16000))) != top(c.score((b, 16000))) for a, b in pairs)
                for j, c in judges.items()}

    out = {"with the 50 Hz high-pass (shipped)": changed()}
    with mock.patch.object(features, "high_pass", lambda y: y):  # the baseline: the same heads, no filter
        out["high-pass bypassed"] = changed()
    judge_table(f"rumble under 15 Hz, {args.below:g} dB under the speech, {len(pairs)} clips: top labels changed",
                out)
    return out


if __name__ == "__main__":
    main()
