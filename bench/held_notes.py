"""Held notes in speech and in music (`conditioning.held_notes`), on which `critique` says that a file given as
speech sounds like music, or one given as music holds no notes.

    python bench/held_notes.py [--data ../shared/data]

Speech: 40 RAVDESS and 20 EmoDB recordings (drawn with seed 0) and the studio's takes (Piper's joe and Festival's
slt, 8 emotions each, one sentence). Music: 16 EMOPIA pieces (seed 0) rendered through the default soundfont, the
first 20 s of each, and 6 of the composer's 15-s takes. Prints each set's smallest, median and largest share of
pitched frames in held notes, and how many cross the notes' thresholds (`SPEECH_HELD_LIMIT`, `MUSIC_HELD_FLOOR`).
About 30 s. (2026-12-06: human speech 0.000 / 0.111 / 0.542 min / median / max, the studio's 0.000 / 0.000 /
0.220, EMOPIA renders 0.878 / 0.958 / 0.990, the composer's 0.908 / 0.955 / 0.982; none crosses.)
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCE = "The weather today is bright and the streets are full of people."
EMOTIONS = ("neutral", "joy", "sadness", "anger", "fear", "surprise", "disgust", "calm")


def main() -> None:
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data())
    args = ap.parse_args()

    from conditioning.held_notes import MUSIC_HELD_FLOOR, SPEECH_HELD_LIMIT, held_notes
    from conditioning.media import load_audio
    from conditioning.render import render_midi
    from studio.studio import Studio

    rng = random.Random(0)
    human = (rng.sample(sorted((args.data / "speech" / "ravdess").glob("Actor_*/*.flac")), 40)
             + rng.sample(sorted((args.data / "speech" / "emodb").glob("*.flac")), 20))
    pieces = rng.sample(sorted((args.data / "music" / "emopia" / "midis").glob("*.mid")), 16)
    studio = Studio()
    sets: dict[str, list[float]] = {"speech, RAVDESS + EmoDB": [], "speech, studio (joe, slt)": [],
                                    "music, EMOPIA renders": [], "music, composer": []}
    for f in human:
        a = load_audio(f)
        sets["speech, RAVDESS + EmoDB"].append(held_notes(a.samples, a.rate))
    for voice in ("joe", "slt"):
        for e in EMOTIONS:
            a = studio.generate("speech", e, text=SENTENCE, options={"voice": voice}, score=False).media
            sets["speech, studio (joe, slt)"].append(held_notes(a.samples, a.rate))
    for f in pieces:
        a = render_midi(f)
        sets["music, EMOPIA renders"].append(held_notes(a.samples[: int(20 * a.rate)], a.rate))
    for e in EMOTIONS[1:7]:
        a = studio.generate("music", e, duration_s=15, score=False).media
        sets["music, composer"].append(held_notes(a.samples, a.rate))
    print(f"{'set':28s} {'n':>3s} {'min':>6s} {'median':>7s} {'max':>6s}  crossing")
    for name, shares in sets.items():
        s = sorted(shares)
        speech = name.startswith("speech")
        crossing = sum(x >= SPEECH_HELD_LIMIT for x in s) if speech else sum(x <= MUSIC_HELD_FLOOR for x in s)
        print(f"{name:28s} {len(s):3d} {s[0]:6.3f} {s[len(s) // 2]:7.3f} {s[-1]:6.3f}  {crossing} "
              f"{'at or over ' + str(SPEECH_HELD_LIMIT) if speech else 'at or under ' + str(MUSIC_HELD_FLOOR)}")


if __name__ == "__main__":
    main()
