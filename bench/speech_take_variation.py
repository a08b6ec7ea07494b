"""How much does a seed change a take, beside how much two takes of an actor differ?

    python bench/speech_take_variation.py [--seeds 4] [--sentences 3] [--json [PATH]]

1. Actors: RAVDESS gives every actor each sentence, emotion and intensity twice (repetitions 01 and 02). The
   per-take spread of the median F0 (semitones), the duration (log2) and the level (dB) is the robust sd of the
   two takes' difference (1.4826 x its median absolute deviation) / sqrt 2, over the 480 pairs of actors 01-16
   (pitch-tracking and trimming noise included). `generators.speech.prosody.TAKE_SPREAD` holds these figures.
2. Voices: each shipped voice's takes of ``--sentences`` sentences x 3 emotions x ``--seeds`` seeds, measured with
   the same functions: the mean over (sentence, emotion) of the sd across seeds, and how many takes are the same
   audio as another seed's. Festival's ``slt`` without `take_variation` (its behaviour before 2026-12-05: every
   seed the same audio) is the baseline, in the same run.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))
SENTENCES = ("Kids are talking by the door.", "The train leaves at noon.", "I put the letter on the table.")
EMOTIONS = ("neutral", "anger", "sadness")


def measures(y: np.ndarray, rate: int) -> dict[str, float]:
    """Median F0 (semitones, as `critics.speech.features` gives it), duration (log2 s) and level (dB RMS)."""
    from critics.speech.features import functionals_dict, prepare

    y = prepare(y, rate)
    return {"f0_st": functionals_dict(y)["f0_p50"], "log2_duration": float(np.log2(len(y) / 16000)),
            "level_db": float(10 * np.log10(np.mean(np.square(y)) + 1e-12))}


def actors() -> dict[str, float]:
    """Per-take spread of each measure between RAVDESS's two repetitions."""
    import soundfile as sf

    takes = defaultdict(dict)
    for f in sorted((DATA / "speech" / "ravdess").glob("Actor_*/*.flac")):
        parts = re.findall(r"\d\d", f.stem)  # modality, channel, emotion, intensity, statement, repetition, actor
        takes[(parts[6], parts[2], parts[3], parts[4])][parts[5]] = f
    diffs = defaultdict(list)
    for pair in (v for v in takes.values() if len(v) == 2):
        a, b = (measures(*sf.read(str(pair[r]), dtype="float32")) for r in ("01", "02"))
        for k in a:
            diffs[k].append(a[k] - b[k])
    out = {k: float(1.4826 * np.median(np.abs(np.array(v) - np.median(v))) / np.sqrt(2)) for k, v in diffs.items()}
    return {"pairs": len(diffs["f0_st"]), **out}


def voices(seeds: int, sentences: int) -> dict[str, dict]:
    """Per voice: the mean over (sentence, emotion) of each measure's sd across seeds, and the repeated takes."""
    import hashlib

    from conditioning import Emotion
    from conditioning.registry import BackendUnavailable
    from generators.base import GenerationRequest
    from generators.registry import load_generator

    out = {}
    for name, backend, overrides in (("joe (piper)", "piper", {}), ("slt (festival)", "festival", {}),
                                     ("slt, no take variation (before)", "festival", {"take_variation": False})):
        try:
            gen = load_generator("speech", backend, **overrides)
        except BackendUnavailable as exc:
            print(f"  {name}: not available here ({exc})", file=sys.stderr)
            continue
        sds, repeats = defaultdict(list), 0
        for text in SENTENCES[:sentences]:
            for emo in EMOTIONS:
                rows, seen = defaultdict(list), set()
                for seed in range(seeds):
                    media = gen.generate(GenerationRequest(Emotion.parse(emo), text=text, seed=seed)).media
                    digest = hashlib.sha1(media.samples.tobytes()).hexdigest()
                    repeats += digest in seen
                    seen.add(digest)
                    for k, v in measures(media.samples, media.rate).items():
                        rows[k].append(v)
                for k, v in rows.items():
                    sds[k].append(float(np.std(v, ddof=1)))
        out[name] = {"takes": seeds * len(EMOTIONS) * min(sentences, len(SENTENCES)), "same_as_another_seed": repeats,
                     **{k: float(np.mean(v)) for k, v in sds.items()}}
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--sentences", type=int, default=3)
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    result = {"actors": actors(), "voices": voices(args.seeds, args.sentences)}
    result["seconds"] = round(time.time() - t0)
    if emit_json(result, args.json):
        return result
    a = result["actors"]
    print("spread of one take (sd): median F0 (st) / duration (log2) / level (dB)")
    print(f"  RAVDESS actors, two repetitions ({a['pairs']} pairs): {a['f0_st']:.2f} / {a['log2_duration']:.3f} / "
          f"{a['level_db']:.2f}")
    for name, v in result["voices"].items():
        print(f"  {name:34s} across seeds: {v['f0_st']:.2f} / {v['log2_duration']:.3f} / {v['level_db']:.2f}; "
              f"{v['same_as_another_seed']} of {v['takes']} takes the same audio as another seed's")
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
