"""Pauses of room tone inside a recording: how often do the speech judges still hear an angry take as angry?

    python bench/speech_pauses.py [--takes 16] [--json [PATH]]

RAVDESS's strong angry takes (the first ``--takes`` of actors 1-9), read single file as `critique` reads a file,
as recorded (the baseline, in the same run) and with pink room tone at 20 or 30 dB under the speech's RMS: 2 s
after the take, or split into three pauses (before, inside, after it). These actors are in both judges' training
data, so the baseline is high; how many stay angry is the figure. Why: a user's recording has pauses that the
corpus clips, trimmed to the utterance, do not.
"""
from __future__ import annotations

import argparse
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


def with_room_tone(y: np.ndarray, below_db: float, where: str, rng: np.random.Generator) -> np.ndarray:
    """``y`` (prepared, 16 kHz) with 2 s of pink room tone ``below_db`` under its RMS, after it or in three
    pauses (0.5 s before, 1 s in the middle, 0.5 s after)."""
    from critics.training.recording import pink

    room = pink(32000, rng).astype(np.float32)
    room *= np.sqrt(np.mean(y ** 2)) * 10 ** (-below_db / 20) / np.sqrt(np.mean(room ** 2))
    if where == "after":
        return np.concatenate([y, room])
    half = len(y) // 2
    return np.concatenate([room[:8000], y[:half], room[8000:24000], y[half:], room[24000:]])


def main(argv: list[str] | None = None) -> dict:
    import soundfile as sf

    from critics.registry import load_critic
    from critics.speech.features import prepare

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--takes", type=int, default=16)
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    files = sorted((DATA / "speech" / "ravdess").glob("Actor_0[1-9]/*-01-05-02-*.flac"))[:args.takes]
    judges = {n: load_critic("speech", n) for n in ("embedded", "encoder")}
    top = lambda r: max(r.native, key=r.native.get)  # noqa: E731
    rng = np.random.default_rng(1)
    takes = [prepare(*sf.read(str(f), dtype="float32")) for f in files]
    conditions = {"as recorded": lambda y: y}
    for below in (30, 20):
        for where in ("after", "in three pauses"):
            conditions[f"room tone {below} dB down, {where}"] = \
                lambda y, b=below, w=where: with_room_tone(y, b, "after" if w == "after" else "pauses", rng)
    out = {}
    for name, make in conditions.items():
        audio = [make(y) for y in takes]
        out[name] = {n: sum(top(j.score((a, 16000))) == "angry" for a in audio) for n, j in judges.items()}
    result = {"takes": len(takes), "angry": out, "seconds": round(time.time() - t0)}
    if emit_json(result, args.json):
        return result
    judge_table(f"strong angry RAVDESS takes read angry, single file, of {len(takes)}", out)
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
