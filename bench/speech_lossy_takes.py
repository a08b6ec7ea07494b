"""How far a lossy copy of a studio take (MP3, Ogg Vorbis, a video's AAC) moves the speech judges' readings from the loop's.

    python bench/speech_lossy_takes.py [--emotions joy anger ...]

The loop reads each take as made, against the neutral take of the same words and voice. `critique` reads the
file the studio wrote, against the same neutral take made again. For WAV and FLAC these are the same samples
(to 16 bits); an MP3 or Ogg file holds the take after a lossy coder. For each Piper take of one sentence, this
prints how far each judge's valence and arousal moved from the loop's reading (the largest shift over the takes)
and how often the top label stayed the same. Two ways of reading are compared in the same run: the coded take
against the plain neutral take (the baseline: what `critique` did until 2026-12-05), and against a neutral take
coded the same way (what `critique` and the Analyse tab do now: `Studio.reference_for(..., coded_as=)`).
A talking face's soundtrack (AAC at 128 kbit/s in the MP4 `save_video` writes) is read against the plain neutral
take only: that is what `critique` does with it, and this row measures what that costs (2026-12-05: at most 0.02
valence for `speech/encoder`, 0.05 for `speech/embedded`; coding the neutral take too gained 0.00 and 0.01, so
it is not done).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TEXT = "Nobody told me the house was sold."


def soundtrack_copy(take):
    """``take`` as it reads back from the sound track of an MP4 that `save_video` writes (AAC, 128 kbit/s)."""
    import tempfile

    from conditioning.media import Video, load_audio, save_video

    with tempfile.TemporaryDirectory(prefix="emostudio-aac-") as tmp:
        frames = np.zeros((max(1, int(take.duration_s * 25)), 16, 16, 3), np.uint8)  # the pictures do not matter
        return load_audio(save_video(Path(tmp) / "face.mp4", Video(frames, 25.0, take)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emotions", nargs="+", default=["joy", "anger", "sadness", "fear", "surprise", "disgust", "calm"])
    args = ap.parse_args()
    from conditioning import Emotion
    from conditioning.media import coded_copy
    from critics.registry import load_critic
    from generators.base import GenerationRequest
    from studio.studio import Studio

    studio = Studio()
    piper = studio.generator("speech", "piper")
    judges = {f"speech/{n}": load_critic("speech", n) for n in ("encoder", "embedded")}
    neutral = piper.neutral_reference(GenerationRequest(Emotion.neutral(), None, TEXT, None, 0, None, {}))
    coded_neutral = {ext: coded_copy(neutral, ext) for ext in (".mp3", ".ogg")}  # as `Studio.reference_for` codes it
    rows: dict[tuple[str, str, str], list] = {}
    for emotion in args.emotions:
        take = studio.generate("speech", emotion, backend="piper", text=TEXT, score=False).media
        for ext, neutral_coded in (*coded_neutral.items(), (".mp4", None)):
            coded = soundtrack_copy(take) if ext == ".mp4" else coded_copy(take, ext)  # as its file reads back
            for name, judge in judges.items():
                loop = judge.score(take, speaker_reference=[neutral])
                top = max(loop.native, key=loop.native.get)
                for how, ref in (("plain neutral take", neutral), ("neutral take coded too", neutral_coded)):
                    if ref is None:
                        continue
                    r = judge.score(coded, speaker_reference=[ref])
                    rows.setdefault((ext, name, how), []).append(
                        (abs(r.valence - loop.valence), abs(r.arousal - loop.arousal),
                         max(r.native, key=r.native.get) == top))
    n = len(args.emotions)
    print(f"{n} Piper takes of {TEXT!r}; shift from the loop's reading (largest over the takes), same top label")
    print(f"{'file':<6} {'judge':<16} {'read against':<24} {'valence':>8} {'arousal':>8} {'same label':>11}")
    for (ext, name, how), r in rows.items():
        a = np.array(r, dtype=float)
        print(f"{ext:<6} {name:<16} {how:<24} {a[:, 0].max():>8.3f} {a[:, 1].max():>8.3f} {int(a[:, 2].sum()):>8}/{n}")


if __name__ == "__main__":
    main()
