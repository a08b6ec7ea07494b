"""Another speaker's neutral take as `critique --reference`: how often does the pitch rule catch it, and how often
does it fire on the speaker's own?

    python bench/speech_reference_pitch.py [--json [PATH]]    (about 3 minutes)

Every RAVDESS take in ../shared/data (actors 01-16) is pitched as `critique` pitches it (the median of pYIN's
pitched frames, `conditioning.held_notes.pitch_profile`), and each emotional take is compared with neutral takes
(of both statements and repetitions): the actor's own, and every actor's of the other sex. The rule
(`studio.critique.PITCH_BELOW_REFERENCE`) warns when half or more of a run's files are pitched that many
semitones below the reference; a run here is all 56 emotional takes of one actor against one neutral take. Why:
a reference of another voice turns every reading into the difference between two people (a male actor's happy
take read against an actress's neutral one as disgust by both judges: an audit), and a speaker embedding could
not tell another voice of the same sex from emotion (critics/cards/speech-encoder.md). Pitch does only the easy
half: a higher voice's reference, not a lower one's.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))
THRESHOLDS = (4.0, 5.0, 6.0, 7.0)  #: semitones below the reference


def main(argv: list[str] | None = None) -> dict:
    import argparse

    from conditioning.held_notes import pitch_profile
    from conditioning.media import load_audio
    from critics.training.speech import load_items
    from studio.critique import PITCH_BELOW_REFERENCE as K

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    takes = []
    for it in load_items(DATA, emodb=False):  # the corpus as the judges' training reads it
        a = load_audio(it.path)
        pitch = pitch_profile(a.samples, a.rate)[1]
        if pitch > 0:
            takes.append({"actor": it.speaker, "sex": it.sex, "emotion": it.label, "pitch": pitch})
    sex = {t["actor"]: t["sex"] for t in takes}
    neutral: dict[str, list[float]] = {}
    emotional: dict[str, list[tuple[str, float]]] = {}
    for t in takes:
        if t["emotion"] == "neutral":
            neutral.setdefault(t["actor"], []).append(t["pitch"])
        else:
            emotional.setdefault(t["actor"], []).append((t["emotion"], t["pitch"]))

    def st(take: float, ref: float) -> float:
        return float(12 * np.log2(take / ref))

    own = np.array([st(p, r) for a, ts in emotional.items() for _, p in ts for r in neutral[a]])
    male_on_female = [(e, st(p, r)) for a, ts in emotional.items() for b, rs in neutral.items()
                      if sex[a] == "m" and sex[b] == "f" for e, p in ts for r in rs]
    kinds = {"own": lambda a, b: a == b, "male takes, actress's reference": lambda a, b: sex[a] == "m" != sex[b]}
    rules = {}
    for k in THRESHOLDS:  # the shipped one and its neighbours, to show the choice
        runs = {name: [0, 0] for name in kinds}
        for a, ts in emotional.items():
            for b, rs in neutral.items():
                for name, is_kind in kinds.items():
                    for r in rs if is_kind(a, b) else ():
                        below = np.array([st(p, r) for _, p in ts]) < -k
                        runs[name][0] += bool(2 * below.sum() >= len(below))
                        runs[name][1] += 1
        rules[f"{k:g}"] = {
            "own takes below own neutral": round(float(np.mean(own < -k)), 4),
            "own takes above own neutral": round(float(np.mean(own > k)), 4),
            "male takes below an actress's neutral": round(float(np.mean([d < -k for _, d in male_on_female])), 4),
            "by emotion": {e: round(float(np.mean([d < -k for f, d in male_on_female if f == e])), 3)
                           for e in sorted({e for e, _ in male_on_female})},
            "runs warned about": {name: f"{v[0]} of {v[1]}" for name, v in runs.items()}}
    rng = np.random.default_rng(0)  # small runs at the shipped threshold: a user's few takes and one reference
    small = {}
    for n in (2, 4, 8):
        warned = {name: [0, 0] for name in kinds}
        for a, ts in emotional.items():
            pitches = np.array([p for _, p in ts])
            for b, rs in neutral.items():
                for name, is_kind in kinds.items():
                    for r in rs if is_kind(a, b) else ():
                        for _ in range(200 if name == "own" else 50):
                            below = np.array([st(p, r) for p in rng.choice(pitches, n, replace=False)]) < -K
                            warned[name][0] += bool(2 * below.sum() >= n)
                            warned[name][1] += 1
        small[f"{n} takes"] = {name: round(v[0] / v[1], 4) for name, v in warned.items()}
    result = {"shipped": f"{K:g}", "pitched takes": len(takes), "own pairs": len(own), "rules": rules,
              "small runs": small,
              "seconds": round(time.time() - t0)}
    if emit_json(result, args.json):
        return result
    print(f"RAVDESS actors 01-16, {len(takes)} pitched takes, {len(own)} pairs of a take and its actor's neutral take")
    for k, rule in rules.items():
        print(f"{k} semitones below the reference{' (shipped)' if k == result['shipped'] else ''}:")
        print(f"  an actor's own takes: {100 * rule['own takes below own neutral']:.2f} % (above it by as much: "
              f"{100 * rule['own takes above own neutral']:.1f} %)")
        caught = rule["male takes below an actress's neutral"]
        print(f"  a male actor's takes against an actress's neutral take: {100 * caught:.1f} % ("
              + ", ".join(f"{e} {100 * v:.0f} %" for e, v in rule["by emotion"].items()) + ")")
        print("  runs (one actor's 56 takes, one neutral take) warned about: "
              + "; ".join(f"{name} {v}" for name, v in rule["runs warned about"].items()))
    for n, shares in small.items():
        print(f"runs of {n} drawn from one actor's, {K:g} semitones: "
              + "; ".join(f"{name} {100 * v:.1f} % warned about" for name, v in shares.items()))
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
