"""What 8-bit samples do to the speech judges' single-file readings (the note `critique` gives such files).

    python bench/speech_eight_bit.py [--data ../shared/data] [--json [PATH]]

An 8-bit WAV (PCM_U8, as old recorders, games and some converters write) holds 48 dB of range; its quantisation
noise fills the band where speech is quiet, which `speech/embedded`'s spectral and voice-quality features read.
For the 21 strong RAVDESS takes of `bench/speech_low_bitrate.py` (actors 10-12, seven emotions, one sentence) this
reads each as FLAC (the baseline, in the same run), as a 16-bit WAV (the control) and as an 8-bit WAV, and prints
per judge how many top labels changed from the FLAC's. ffmpeg must be on PATH. These actors are in both judges'
training data: the figure is of how far the file moves a reading, not of accuracy.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CODECS = (("16-bit WAV", "pcm_s16le"), ("8-bit WAV", "pcm_u8"))


def run(data: Path) -> dict:
    """{"takes": n, "changed": {copy: {judge: top labels changed from the FLAC's}}}."""
    from conditioning.media import load_audio
    from critics.registry import load_critic

    files = sorted((data / "speech" / "ravdess").glob("Actor_1[0-2]/03-01-0[2-8]-02-01-01-*.flac"))
    judges = {name: load_critic("speech", name) for name in ("embedded", "encoder")}

    def tops(path: Path) -> dict[str, str]:
        audio = load_audio(path)
        return {name: max(r.native, key=r.native.get) for name, r in ((n, j.score(audio)) for n, j in judges.items())}

    base = {f: tops(f) for f in files}
    changed: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, codec in CODECS:
            changed[label] = {n: 0 for n in judges}
            for f in files:
                out = Path(tmp) / f"{f.stem}_{codec}.wav"
                subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(f), "-c:a", codec,
                                str(out)], check=True)
                now = tops(out)
                for n in judges:
                    changed[label][n] += now[n] != base[f][n]
    return {"takes": len(files), "changed": changed}


def show(res: dict) -> None:
    print(f"{res['takes']} strong RAVDESS takes, single file; top labels changed from the FLAC's reading")
    print(f"{'copy':12s} {'embedded':>9s} {'encoder':>8s}")
    for label, changed in res["changed"].items():
        print(f"{label:12s} {changed['embedded']:>9d} {changed['encoder']:>8d}")


def main() -> int:
    from bench.report import data_bench

    return data_bench(__doc__, run, show)


if __name__ == "__main__":
    main()
