"""The intelligibility check's yardstick: pocketsphinx's word error rate on RAVDESS actors' own speech.

    OMP_NUM_THREADS=1 python bench/speech_wer_humans.py [--data ../shared/data] [--json]

`bench/speech_fidelity.py` checks that the studio's emotional takes stay intelligible: pocketsphinx's WER on the
full-intensity takes of an emotion at most 15 points over the neutral takes'. This bench reads the same recogniser
on the 24 RAVDESS actors' neutral clips and their strong takes of the seven emotions (both statements, both
repetitions), by the actors' sex, so that a figure of the studio's voices can be read against what the recogniser
makes of real acted emotion. Why: on 2026-12-06 Festival's female voice measured 55 points over neutral, and the
question was whether its rendering had lost the words or pocketsphinx loses high, tense voices; actresses' strong
joy and fear measure far worse. Takes about 9 minutes on one core (1,056 clips).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speech_fidelity import recognise, wer, words  # noqa: E402

STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
EMOTIONS = {"01": "neutral", "02": "calm", "03": "joy", "04": "sadness", "05": "anger", "06": "fear",
            "07": "disgust", "08": "surprise"}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    import numpy as np
    from pocketsphinx import Decoder

    from conditioning.media import load_audio

    dec = Decoder(samprate=16000, loglevel="FATAL")
    errors: dict[tuple[str, str], list[float]] = {}
    for f in sorted((Path(args.data) / "speech" / "ravdess").glob("Actor_*/*.flac")):
        _, _, emotion, intensity, statement, _, actor = f.stem.split("-")
        if emotion != "01" and intensity != "02":  # neutral, and the strong takes of the others
            continue
        sex = "female" if int(actor) % 2 == 0 else "male"
        hyp = words(recognise(dec, load_audio(f)))
        errors.setdefault((sex, EMOTIONS[emotion]), []).append(wer(words(STATEMENTS[statement]), hyp))
    doc = {sex: {emo: round(100 * float(np.mean(errors[sex, emo])), 1) for emo in EMOTIONS.values()}
           for sex in ("female", "male")}
    if args.json:
        print(json.dumps(doc, indent=1))
        return doc
    print("pocketsphinx WER (%) on RAVDESS actors' neutral clips and strong takes (points over neutral)")
    for sex, row in doc.items():
        print(f"  {sex:<7}" + ", ".join(f"{emo} {v:.0f}" + (f" ({v - row['neutral']:+.0f})" if emo != "neutral" else "")
                                        for emo, v in row.items()))
    return doc


if __name__ == "__main__":
    main()
