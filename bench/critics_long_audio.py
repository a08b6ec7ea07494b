"""Peak memory and time of the audio judges on long recordings (a lecture or podcast; a 15- or 30-minute
therapy session's music), each against the same judge reading the whole file in one pass, in the same run.

    python bench/critics_long_audio.py [--minutes 1 5 20] [--judges speech/encoder speech/embedded music/embedded]

Speech is real: RAVDESS clips from ../shared/data laid end to end (a synthetic vowel train when the data is
absent), a 16 kHz WAV. Music is the studio's own: `music/composer` writing one piece of that length (calm,
seed 0), 22.05 kHz. Each reading runs in a fresh process, so its peak resident memory (ru_maxrss) is its own:
interpreter, libraries and models included (its VmHWM: Linux-only). ``one pass`` is the same judge with its batch of encoder partials
and its blocks of analysis frames made larger than any file (`BATCH`, `CHUNK_FRAMES`, `BLOCK_FRAMES`), which
is how it read long files before they were batched; the reading is printed for both, and they must agree.
``baseline`` is reading the file (and for speech preparing it: resample, trim, non-speech checks): the least
any judge of that modality must do.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
path, judge, one_pass = sys.argv[2], sys.argv[3], sys.argv[4] == "1"
import critics.speech.encoder as encoder, critics.speech.features as features, critics.music.features as music
if one_pass:
    encoder.BATCH = features.CHUNK_FRAMES = music.BLOCK_FRAMES = 10**12
from conditioning.media import load_audio
t0 = time.perf_counter()
audio = load_audio(path)
modality, name = judge.split("/")
if name == "baseline":
    if modality == "speech":
        features.prepare(audio.samples, audio.rate)
    out = {}
else:
    from critics.registry import load_critic
    r = load_critic(modality, name).score(audio)
    out = {"top": max(r.native, key=r.native.get), "valence": round(r.valence, 4), "arousal": round(r.arousal, 4)}
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report this bench's own peak
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out.update(seconds=time.perf_counter() - t0, peak_mb=int(hwm.split()[1]) / 1024)
print(json.dumps(out))
"""


def speech(minutes: float) -> np.ndarray:
    """``minutes`` of real speech at 16 kHz: RAVDESS clips in a fixed order, end to end."""
    from conditioning.media import load_audio

    clips = sorted((DATA / "speech" / "ravdess").rglob("*.flac"))
    need = int(minutes * 60 * 16000)
    if not clips:  # no data: a vowel train with syllables and pauses
        t = np.arange(need) / 16000
        voice = np.sign(np.sin(2 * np.pi * (120 + 10 * np.sin(2 * np.pi * 0.5 * t)) * t)) * 0.1
        return (voice * (np.sin(2 * np.pi * 3 * t) > -0.3)).astype(np.float32)
    out, n, i = [], 0, 0
    while n < need:
        y = load_audio(clips[i % len(clips)], rate=16000).samples
        out.append(y)
        n += len(y)
        i += 1
    return np.concatenate(out)[:need]


def music(minutes: float) -> np.ndarray:
    """One piece of ``minutes`` by the studio's composer (calm, seed 0), at its 22.05 kHz."""
    from conditioning import Emotion
    from generators.base import GenerationRequest
    from generators.registry import load_generator

    take = load_generator("music", "composer").generate(GenerationRequest(Emotion.parse("calm"), duration_s=minutes * 60))
    return take.media


def run(path: Path, judge: str, one_pass: bool) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(path), judge, "1" if one_pass else "0"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 5, 20])
    ap.add_argument("--judges", nargs="+", default=["speech/encoder", "speech/embedded", "music/embedded"])
    args = ap.parse_args()
    from conditioning.media import Audio, save_audio

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            for modality in sorted({j.split("/")[0] for j in args.judges}, reverse=True):
                audio = Audio(speech(minutes), 16000) if modality == "speech" else music(minutes)
                path = save_audio(Path(tmp) / f"{modality}_{minutes:g}min.wav", audio)
                base = run(path, f"{modality}/baseline", False)
                print(f"{minutes:5g} min  {modality} baseline (read{' + prepare' if modality == 'speech' else ''})"
                      f"{'':>13} {base['peak_mb']:7.0f} MB {base['seconds']:6.1f} s", flush=True)
                for judge in (j for j in args.judges if j.startswith(modality + "/")):
                    now, before = run(path, judge, False), run(path, judge, True)
                    same = now["top"] == before["top"] and abs(now["arousal"] - before["arousal"]) < 1e-3
                    print(f"{minutes:5g} min  {judge:16s} batched {now['peak_mb']:7.0f} MB {now['seconds']:6.1f} s"
                          f"   one pass {before['peak_mb']:7.0f} MB {before['seconds']:6.1f} s   reading "
                          f"{now['top']} a={now['arousal']:+.3f} ({'the same' if same else 'DIFFERENT'})", flush=True)
                    rows.append({"minutes": minutes, "judge": judge, "batched": now, "one_pass": before, "baseline": base})
    for judge in args.judges:
        r = sorted((x for x in rows if x["judge"] == judge), key=lambda x: x["minutes"])
        if len(r) > 1:
            span = r[-1]["minutes"] - r[0]["minutes"]
            slope = {k: (r[-1][k]["peak_mb"] - r[0][k]["peak_mb"]) / span for k in ("batched", "one_pass", "baseline")}
            print(f"{judge}: peak memory grows {slope['batched']:.0f} MB per minute of audio batched, "
                  f"{slope['one_pass']:.0f} in one pass (reading the file alone: {slope['baseline']:.0f})")


if __name__ == "__main__":
    main()
