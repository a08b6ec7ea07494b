"""Clipped speech: how often `critics.speech.features.clipped_share` flags it, how often it flags clean speech,
and how much clipping costs the speech judges, against the same takes unclipped in the same run.

    python bench/speech_clipping.py [--actors 3] [--codecs wav m4a opus mp3 ogg]

1. Clean speech must not be flagged: every RAVDESS and EmoDB clip in ../shared/data, as recorded and scaled
   to a 0.95 peak (a normalised file is the hard case: its ceiling is near full scale), and the studio's
   loudest takes (Piper and Festival, five emotions at intensity 1).
2. Clipping is what costs the judges: the first ``--actors`` RAVDESS actors' takes, scaled to a 0.9 peak and
   driven 6 to 20 dB past it into a hard clip, are read by `speech/encoder` and `speech/embedded` (single
   file, as `critique` reads a file) and their accuracy is given by measured clipped share, beside the same
   takes unclipped (the baseline). These actors are in both judges' training data, so the accuracies are high;
   the drop between the rows is the figure.
3. Codecs: the same takes (every 4th), coded with ffmpeg and read as `critique` reads them, are flagged how
   often at 10, 15 and 25 dB past the peak, and at 0 dB (not clipped, a 0.9 peak: must not be flagged),
   beside the rule before 2026-12-05 (the baseline: a ceiling above full scale, where lossy decoders put it).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))
BINS = [(0.0, 0.01), (0.01, 0.02), (0.02, 0.05), (0.05, 0.1), (0.1, 1.01)]


def _bin(lo: float, hi: float) -> str:
    return f"{lo:.0%}-{hi:.0%}" if hi <= 1 else f">= {lo:.0%}"


def clean_shares() -> None:
    import soundfile as sf

    from critics.speech.features import CLIPPED_SHARE, FeatureError, clipped_share, prepare

    from critics.training.speech import load_items

    recorded, scaled = [], []
    for item in load_items(DATA):  # every RAVDESS and EmoDB clip, from the corpora's label files
        y, rate = sf.read(item.path, dtype="float32")
        try:
            recorded.append(clipped_share(prepare(y, rate)))
            scaled.append(clipped_share(prepare(y / np.max(np.abs(y)) * 0.95, rate)))
        except FeatureError:
            continue
    for name, v in (("as recorded", recorded), ("scaled to a 0.95 peak", scaled)):
        print(f"clean corpus clips ({len(v)}), {name}: clipped share median {np.median(v):.4f}, max {max(v):.4f}; "
              f"flagged (>= {CLIPPED_SHARE:.0%}): {sum(s >= CLIPPED_SHARE for s in v)}")
    from studio.studio import Studio

    studio, takes = Studio(), []
    for backend in ("piper", "festival"):
        for emotion in ("anger", "joy", "surprise", "fear", "sadness"):
            try:
                audio = studio.generate("speech", f"{emotion}@1", backend=backend, score=False,
                                        text="I told you this would happen, and now look at it.").media
            except Exception as exc:  # a backend missing here: say so, keep going
                print(f"  {backend}: not measured ({exc})")
                break
            takes.append((f"{backend} {emotion}", clipped_share(prepare(audio.samples, audio.rate))))
    if takes:
        worst = max(takes, key=lambda t: t[1])
        print(f"studio takes ({len(takes)}): clipped share max {worst[1]:.4f} ({worst[0]}); "
              f"flagged: {sum(s >= CLIPPED_SHARE for _, s in takes)}")


def judge_accuracy(actors: int) -> list[tuple[np.ndarray, int, str]]:
    import soundfile as sf

    from critics.speech.embedded import EmbeddedSpeechCritic
    from critics.speech.encoder import SpeechEncoderCritic
    from critics.speech.features import clipped_share, driven_into_clipping, prepare

    from critics.training.speech import load_items

    speakers = {f"ravdess/{a:02d}" for a in range(1, actors + 1)}
    takes = [(*sf.read(it.path, dtype="float32"), it.label) for it in load_items(DATA, emodb=False)
             if it.speaker in speakers]
    judges = {"speech/encoder": SpeechEncoderCritic(), "speech/embedded": EmbeddedSpeechCritic()}
    rows = {}  # bin or "unclipped" -> [n, right per judge]
    for gain in (None, 6, 10, 15, 20):
        for y, rate, label in takes:
            z = y if gain is None else driven_into_clipping(y, gain)
            share = clipped_share(prepare(z, rate))
            key = "unclipped (baseline)" if gain is None else next(_bin(lo, hi) for lo, hi in BINS if lo <= share < hi)
            row = rows.setdefault(key, [0] + [0] * len(judges))
            row[0] += 1
            for i, judge in enumerate(judges.values(), 1):
                native = judge.score((z, rate)).native
                row[i] += max(native, key=native.get) == label
    print(f"\nRAVDESS actors 1-{actors} ({len(takes)} takes), read correctly (8 classes, single file), by clipped share:")
    print(f"{'clipped share':<22} {'takes':>5} " + " ".join(f"{j:>16}" for j in judges))
    order = ["unclipped (baseline)"] + [_bin(lo, hi) for lo, hi in BINS]
    for key in order:
        if key in rows:
            n, *right = rows[key]
            print(f"{key:<22} {n:>5} " + " ".join(f"{r / n:>16.3f}" for r in right))
    return takes


def before_share(y: np.ndarray) -> float:
    """The baseline: `clipped_share` as it was before 2026-12-05, its ceiling the 99.5th-percentile level even
    above full scale, where an MP3's or Ogg Vorbis' overshoot of flat tops put it."""
    from critics.speech.features import CEILING_DBFS

    a = np.abs(np.asarray(y, dtype=np.float32))
    ceiling = float(np.percentile(a, 99.5))
    return 0.0 if ceiling < 10 ** (CEILING_DBFS / 20) else float(np.mean(a >= 0.9 * ceiling))


def codecs(takes: list, names: list[str]) -> None:
    import soundfile as sf

    from conditioning.media import load_audio
    from critics.speech.features import CLIPPED_SHARE, clipped_share, driven_into_clipping, prepare

    print(f"\nflagged (clipped share >= {CLIPPED_SHARE:.0%}), every 4th take, by how it was stored, as `critique` "
          "reads it; in brackets the rule before 2026-12-05 (ceiling above full scale)")
    print(f"{'driven past a 0.9 peak':<24}" + " ".join(f"{c:>12}" for c in names))
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "take.wav"
        for gain in (0, 10, 15, 25):
            flagged, before = dict.fromkeys(names, 0), dict.fromkeys(names, 0)
            subset = takes[::4]
            for y, rate, _ in subset:
                sf.write(wav, driven_into_clipping(y, gain), rate)  # 0 dB: the take at a 0.9 peak, not clipped
                for codec in names:
                    coded = wav
                    if codec != "wav":
                        coded = wav.with_suffix("." + codec)
                        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav),
                                        *(["-c:a", "libopus"] if codec == "opus" else []),
                                        *(["-c:a", "libvorbis"] if codec == "ogg" else []), str(coded)], check=True)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        audio = load_audio(coded)
                    z = prepare(audio.mono().samples, audio.rate)
                    flagged[codec] += clipped_share(z) >= CLIPPED_SHARE
                    before[codec] += before_share(z) >= CLIPPED_SHARE
            print(f"{f'{gain} dB ({len(subset)} takes)':<24}"
                  + " ".join(f"{flagged[c] / len(subset):>5.2f} ({before[c] / len(subset):.2f})" for c in names))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actors", type=int, default=3, help="RAVDESS actors for the judges' accuracy (60 takes each)")
    ap.add_argument("--codecs", nargs="+", default=["wav", "m4a", "opus", "mp3", "ogg"])
    args = ap.parse_args()
    if not (DATA / "speech" / "ravdess").is_dir():
        sys.exit(f"no RAVDESS under {DATA}; set EMOSTUDIO_DATA to ../shared/data")
    clean_shares()
    takes = judge_accuracy(args.actors)
    codecs(takes, args.codecs)


if __name__ == "__main__":
    main()
