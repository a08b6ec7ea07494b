"""Does `critique --reference` notice a reference recorded in another room, and keep quiet when it was not?

    python bench/speech_reference_room.py [--json [PATH]]

`critics.speech.channel.decay_s` times how fast a recording's sound dies away; `rooms_differ` compares the
takes' median with the reference's (`ROOM_MISMATCH`). Each voice's neutral take is the reference of its
emotional takes, each read alone ("one take") and all together ("all takes", as `critique` compares them):
- recorded alike (the studio as recorded, or dry): a warning here is a false alarm;
- the reference in a synthetic room (`critics.training.recording.room_response`; RT60 0.3 / 0.7 / 1.0 s at DRR
  +5 and -5 dB), or the takes in it: a warning is right (the encoder's reading of 80 strong RAVDESS takes falls
  from 95 % to 54-69 % so, `bench/speech_reference_mismatch.py`);
- both in the same room: alike again, so a warning is a false alarm;
- the takes with pink noise at 30 or 20 dB SNR over the speech (`critics.training.recording.mix`), the reference
  clean: recorded differently too (noise moves the readings as well), so a warning is right, though the note
  is about the room; both with such noise: a false alarm.
Voices: RAVDESS actors 01-16 (strong takes of happy, sad, angry, fearful, surprised, sentence 1), on which the
threshold was chosen; EmoDB's 10 speakers (each emotional take against a neutral take of the same text where the
speaker has one), which did not choose it; the studio's Piper joe and Festival slt (7 emotions x 3 sentences).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402
from critics.training import default_data  # noqa: E402

import numpy as np  # noqa: E402

DATA = default_data()  # $EMOSTUDIO_DATA, else shared/data beside the checkout
ROOMS = [(rt60, drr) for rt60 in (0.3, 0.7, 1.0) for drr in (5.0, -5.0)]
NOISE_SNR_DB = (30.0, 20.0)
SENTENCES = ("Kids are talking by the door.", "The train leaves at noon.", "I put the letter on the table.")
TERMS = ("joy", "sadness", "anger", "fear", "surprise", "disgust", "calm")


def ravdess() -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """Per actor: the neutral take of sentence 1, and the strong takes of five emotions (prepared, 16 kHz)."""
    import soundfile as sf

    from critics.speech.features import prepare

    voices = []
    for a in range(1, 17):
        folder = DATA / "speech" / "ravdess" / f"Actor_{a:02d}"
        read = lambda name: prepare(*sf.read(str(folder / name), dtype="float32"))  # noqa: E731
        voices.append((read(f"03-01-01-01-01-01-{a:02d}.flac"),
                       [read(f"03-01-{code}-02-01-01-{a:02d}.flac") for code in ("03", "04", "05", "06", "08")]))
    return voices


def emodb() -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """Per speaker and text with a neutral take: that take, and the speaker's emotional takes of the text."""
    import soundfile as sf

    from critics.speech.features import prepare

    files = defaultdict(dict)  # (speaker, text) -> emotion letter -> file
    for f in sorted((DATA / "speech" / "emodb").glob("*.flac")):
        files[(f.stem[:2], f.stem[2:5])].setdefault(f.stem[5], f)
    read = lambda f: prepare(*sf.read(str(f), dtype="float32"))  # noqa: E731
    return [(read(takes["N"]), [read(f) for e, f in takes.items() if e != "N"])
            for takes in files.values() if "N" in takes and len(takes) > 1]


def studio() -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """Per shipped voice and sentence: the neutral take, and the takes of seven emotions (seed 0, full intensity)."""
    from conditioning import Emotion
    from critics.speech.features import prepare
    from generators.base import GenerationRequest
    from generators.registry import load_generator

    voices = []
    for backend in ("piper", "festival"):
        gen = load_generator("speech", backend)
        take = lambda term, text: prepare(*(lambda m: (m.samples, m.rate))(  # noqa: E731
            gen.generate(GenerationRequest(Emotion.parse(term), text=text, seed=0)).media))
        voices += [(take("neutral", text), [take(term, text) for term in TERMS]) for text in SENTENCES]
    return voices


def rates(voices, seed: int = 7) -> dict[str, dict[str, float]]:
    """Share of single takes, and of voices' take sets, that `rooms_differ` warns about, per condition."""
    from critics.speech.channel import decay_s, rooms_differ
    from critics.training.recording import mix, reverberate

    def room(y, rt60, drr, k):
        return reverberate(y, rt60, drr, np.random.default_rng([seed, k])).astype(np.float32)

    dry = [(decay_s(ref), [decay_s(t) for t in takes]) for ref, takes in voices]
    out = defaultdict(lambda: {"one take": [], "all takes": []})

    def count(name, pairs):
        for ref, takes in pairs:
            out[name]["one take"] += [rooms_differ(ref, [t]) for t in takes if t is not None]
            out[name]["all takes"].append(rooms_differ(ref, takes))

    count("recorded alike", dry)
    for rt60, drr in ROOMS:
        wet = [(decay_s(room(ref, rt60, drr, k)), [decay_s(room(t, rt60, drr, k)) for t in takes])
               for k, (ref, takes) in enumerate(voices)]
        tag = f"RT60 {rt60:.1f} s, DRR {drr:+.0f} dB"
        count(f"reference in a room ({tag})", [(w[0], d[1]) for w, d in zip(wet, dry)])
        count(f"takes in a room ({tag})", [(d[0], w[1]) for w, d in zip(wet, dry)])
        count(f"both in the same room ({tag})", wet)
    for snr in NOISE_SNR_DB:  # background noise differs, or is the same on both sides (another draw of it)
        def noisy(y, k, j):
            return mix(y, "pink", snr, np.random.default_rng([seed, k, j])).astype(np.float32)

        loud = [(decay_s(noisy(ref, k, 99)), [decay_s(noisy(t, k, j)) for j, t in enumerate(takes)])
                for k, (ref, takes) in enumerate(voices)]
        count(f"takes with pink noise at {snr:g} dB SNR", [(d[0], n[1]) for n, d in zip(loud, dry)])
        count(f"both with pink noise at {snr:g} dB SNR", loud)
    return {k: {how: float(np.mean(v)) for how, v in d.items()} for k, d in out.items()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    sets = {"RAVDESS 01-16 (chose the threshold)": ravdess(), "EmoDB (held out)": emodb(),
            "studio voices (joe, slt)": studio()}
    result = {"sets": {name: {"voices": len(v), "takes": sum(len(t) for _, t in v), "warned": rates(v)}
                       for name, v in sets.items()}}
    result["seconds"] = round(time.time() - t0)
    if emit_json(result, args.json):
        return result
    for name, s in result["sets"].items():
        print(f"{name}: {s['voices']} references, {s['takes']} takes; share warned (one take / all takes)")
        for cond, r in s["warned"].items():
            right = "reference in" in cond or "takes in" in cond or "takes with" in cond
            print(f"  {cond:52s} {100 * r['one take']:5.1f} % / {100 * r['all takes']:5.1f} %  "
                  f"({'caught' if right else 'false alarms'})")
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
