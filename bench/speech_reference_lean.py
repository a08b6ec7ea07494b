"""Could `critique --reference` warn of a sad or disgusted take given as the neutral one, as it warns of an aroused
one? Only if the speech judges never read a true neutral take that way on its own.

    python bench/speech_reference_lean.py [--json [PATH]]    (about 2 minutes)

Each judge reads on its own (single-file) RAVDESS actors' neutral takes and strong sad and disgusted takes
(actors 01-16, both statements, both repetitions), and the studio's own neutral takes (Piper joe, and Festival slt
where installed, the six sentences of `bench/critics_agreement.py`). The figure is the share of sadness and
disgust in each reading: a rule "0.8 or more is no neutral take" would catch the actors' sad and disgusted takes
that pass it, and would wrongly warn on every neutral take that does. Why: an audit gave an actor's sad take as
the reference and his happy take read as angry, with no word (`studio.critique.AROUSED_REFERENCE` covers anger,
fear, joy and surprise only). The actors are in both judges' training data, which flatters their figures.
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
BAR = 0.8  #: the rule tried: sadness and disgust together this share or more


def main(argv: list[str] | None = None) -> dict:
    import argparse

    from bench.critics_agreement import SENTENCES
    from conditioning.media import load_audio
    from conditioning.registry import BackendUnavailable
    from critics.registry import load_critic
    from critics.training.speech import load_items
    from studio.calibrate import ravdess_intensities
    from studio import Studio

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.time()
    judges = {n: load_critic("speech", n) for n in ("encoder", "embedded")}
    intensity = ravdess_intensities(DATA)
    sets: dict[str, list] = {"RAVDESS neutral": [], "RAVDESS strong sad": [], "RAVDESS strong disgust": []}
    for it in load_items(DATA, emodb=False):  # the corpus as the judges' training reads it
        key = {"neutral": "RAVDESS neutral", "sad": "RAVDESS strong sad", "disgust": "RAVDESS strong disgust"}.get(
            it.label)
        if key and (it.label == "neutral" or intensity[it.path.name] == "strong"):
            sets[key].append(load_audio(it.path))
    studio = Studio()
    for voice in ("joe", "slt"):
        try:
            sets[f"studio neutral ({voice})"] = [
                studio.generate("speech", "neutral", text=text, options={"voice": voice}, score=False).media
                for text in SENTENCES[:6]]
        except BackendUnavailable:  # Festival not installed: Piper alone
            continue
    result: dict = {"bar": BAR}
    for n, judge in judges.items():
        def lean(audio) -> float:
            mix = judge.score(audio).emotion.mix
            return float(mix.get("sadness", 0.0) + mix.get("disgust", 0.0))

        shares = {name: [lean(a) for a in items] for name, items in sets.items()}
        result[f"speech/{n}"] = {name: {"takes": len(v), "most": round(max(v), 2),
                                        f"at {BAR:g} or more": round(float(np.mean(np.array(v) >= BAR)), 3)}
                                 for name, v in shares.items()}
    result["seconds"] = round(time.time() - t0)
    if emit_json(result, args.json):
        return result
    print(f"sadness + disgust in each judge's single-file reading; a rule would warn at {BAR:g} or more")
    for judge in ("speech/encoder", "speech/embedded"):
        print(f"  {judge}:")
        for name, row in result[judge].items():
            print(f"    {name:28s} {row['takes']:4d} takes: most {row['most']:.2f}, "
                  f"{100 * row[f'at {BAR:g} or more']:.0f} % at {BAR:g} or more")
    print(f"  {result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
