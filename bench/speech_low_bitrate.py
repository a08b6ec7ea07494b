"""What a low-bitrate MP3 does to the speech judges' single-file readings, and whether `low_band` flags it.

    python bench/speech_low_bitrate.py [--data ../shared/data]

ffmpeg's default MP3 for 16 kHz mono is 24 kbit/s, which ends the band near 5.5 kHz; `speech/embedded`'s spectral
features read up to 7 kHz. For 21 strong RAVDESS takes (actors 10-12, seven emotions, one sentence) this reads
each as FLAC (the baseline, in the same run) and as MP3 at 24, 32 and 64 kbit/s, and prints per judge how many top
labels changed from the FLAC's, with the index `critics.speech.channel.upper_band_db` gives over 6.2-7.5 kHz and
how many files `low_band` flags. ffmpeg must be on PATH. (2026-12-05: speech/embedded changed 11 of 21 at 24 kbit/s,
speech/encoder none, and one each at 32 and 64 kbit/s; the index is -32 dB at the lowest for the FLACs and
32-64 kbit/s, -98 dB at the highest at 24 kbit/s, where all 21 are flagged and none otherwise.)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

BITRATES = ("24k", "32k", "64k")


def main() -> None:
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data())
    args = ap.parse_args()

    from conditioning.media import load_audio
    from critics.registry import load_critic
    from critics.speech.channel import TOP_BAND_HZ, upper_band_db
    from critics.speech.features import prepare

    files = sorted((args.data / "speech" / "ravdess").glob("Actor_1[0-2]/03-01-0[2-8]-02-01-01-*.flac"))
    judges = {name: load_critic("speech", name) for name in ("embedded", "encoder")}

    def read(path: Path) -> tuple[dict[str, str], float, bool]:
        audio = load_audio(path)
        y = prepare(audio.samples, audio.rate)
        tops, flagged = {}, False
        for name, judge in judges.items():
            r = judge.score(audio)
            tops[name] = max(r.native, key=r.native.get)
            flagged = bool(r.details.get("low_band"))  # (every speech reading says it: `band_limit`)
        return tops, upper_band_db(y, 16000, TOP_BAND_HZ), flagged

    base = {f: read(f) for f in files}
    print(f"{len(files)} strong RAVDESS takes, single file; top labels changed from the FLAC's reading")
    print(f"{'copy':10s} {'embedded':>9s} {'encoder':>8s}  6.2-7.5 kHz index (dB)   flagged low_band")
    rows = [("FLAC", {n: 0 for n in judges}, [b[1] for b in base.values()], sum(b[2] for b in base.values()))]
    with tempfile.TemporaryDirectory() as tmp:
        for rate in BITRATES:
            changed, index, flagged = {n: 0 for n in judges}, [], 0
            for f in files:
                out = Path(tmp) / f"{f.stem}_{rate}.mp3"
                subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(f), "-ac", "1",
                                "-ar", "16000", "-b:a", rate, str(out)], check=True)
                tops, db, low = read(out)
                for n in judges:
                    changed[n] += tops[n] != base[f][0][n]
                index.append(db)
                flagged += low
            rows.append((f"MP3 {rate}", changed, index, flagged))
    for name, changed, index, flagged in rows:
        print(f"{name:10s} {changed['embedded']:>9d} {changed['encoder']:>8d}  {np.min(index):7.1f} .. "
              f"{np.max(index):6.1f}         {flagged} of {len(files)}")


if __name__ == "__main__":
    main()
