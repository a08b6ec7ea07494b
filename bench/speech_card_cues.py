"""The speech card's "measured behaviour" on more than the tests' one sentence: joy against sadness, and arousal.

    OMP_NUM_THREADS=1 python bench/speech_card_cues.py [--voices joe,slt]

The unit tests check each cue on one sentence with a margin (`tests/test_speech_generator.py`); the card
(`generators/cards/speech-piper.md`) states the figures, which an audit on 2026-12-06 found overstated ("sadness
> 4 semitones lower than joy": 2.0-3.2 on joe). Here, on five sentences per voice, seed 0, full intensity:
joy's F0 median over sadness's (semitones), sadness's speaking span over joy's (the inverse of the rate ratio),
sadness's F0 over neutral's, and whether F0, level and rate rise from a = -0.6 to 0 to 0.8 (valence 0).
F0 by Praat's autocorrelation (60-400 Hz); level and span from 10-ms frames within 35 dB of the loudest.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES = ("Please put the books back on the shelf when you are done.",
             "I have to tell you something about the meeting tomorrow morning.",
             "The train leaves from the other platform at seven.",
             "We walked along the river until it was dark.",
             "Could you bring the blue folder to my office later?")
EMOTIONS = ("sadness", "joy", "neutral", "v=0,a=-0.6", "v=0,a=0", "v=0,a=0.8")


def measure(audio) -> dict:
    """F0 median (Hz), level (dB) and speaking span (s) of a take."""
    import parselmouth

    x = audio.samples.astype(np.float64)
    f0 = parselmouth.Sound(x, audio.rate).to_pitch_ac(time_step=0.01, pitch_floor=60,
                                                      pitch_ceiling=400).selected_array["frequency"]
    hop = int(0.01 * audio.rate)
    e = np.array([np.mean(x[i:i + hop] ** 2) for i in range(0, len(x) - hop, hop)])
    loud = np.flatnonzero(e > e.max() * 10 ** -3.5)
    return {"f0": float(np.median(f0[f0 > 0])), "db": float(10 * np.log10(np.mean(e[loud]))),
            "span": (loud[-1] - loud[0] + 1) * 0.01}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--voices", default="joe,slt")
    args = ap.parse_args()
    from conditioning import Emotion
    from generators.base import GenerationRequest
    from generators.registry import VOICE_BACKENDS, load_generator

    st = lambda a, b: 12 * np.log2(a / b)  # noqa: E731
    for voice in args.voices.split(","):
        gen = load_generator("speech", VOICE_BACKENDS[voice])
        gaps, rates, tearful, rising = [], [], [], []
        for text in SENTENCES:
            m = {e: measure(gen.generate(GenerationRequest(Emotion.parse(e), text=text, seed=0,
                                                           options={"voice": voice})).media) for e in EMOTIONS}
            gaps.append(st(m["joy"]["f0"], m["sadness"]["f0"]))
            rates.append(m["joy"]["span"] / m["sadness"]["span"])
            tearful.append(st(m["sadness"]["f0"], m["neutral"]["f0"]))
            low, mid, high = (m[k] for k in ("v=0,a=-0.6", "v=0,a=0", "v=0,a=0.8"))
            rising.append(low["f0"] < mid["f0"] < high["f0"] and low["db"] < mid["db"] < high["db"]
                          and low["span"] > mid["span"] > high["span"])
        span = lambda xs, f: f"{f.format(min(xs))} to {f.format(max(xs))}"  # noqa: E731
        print(f"{voice}: joy over sadness {span(gaps, '{:+.1f}')} st; sadness's rate {span(rates, '{:.2f}')}x joy's; "
              f"sadness over neutral {span(tearful, '{:+.1f}')} st; F0, level and rate rise with arousal on "
              f"{sum(rising)} of {len(rising)} sentences", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
