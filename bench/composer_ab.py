"""The composer's takes made two ways (two `ComposerConfig`s) and read by both music judges: what
`bench/music_drive.py`, `bench/music_flow.py` and `bench/music_top_voice.py` share."""
from __future__ import annotations

import argparse
from typing import Callable, Iterable, Mapping

import numpy as np


def ab_parser(doc: str, seeds: int = 12, first_seed: int | None = 6) -> argparse.ArgumentParser:
    """The options of such a bench (``doc``: its module docstring, whose first paragraph is the description):
    ``--seeds``, ``--first-seed`` (None: none; the bench starts at seed 0), ``--seconds`` and ``--json``."""
    from bench.report import add_json_option

    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=seeds)
    if first_seed is not None:
        ap.add_argument("--first-seed", type=int, default=first_seed)
    ap.add_argument("--seconds", type=float, default=30.0)
    add_json_option(ap)
    return ap


def judged_takes(composers: Mapping, labels: Iterable[str], seeds: Iterable[int], seconds: float, quadrant: str,
                 texture: Callable[[bytes], dict], average=np.mean) -> dict:
    """Per composer: how many takes, their texture (``texture(midi)``'s measures, averaged by ``average``) and each
    judge's mean valence and arousal and how many takes it hears in ``quadrant`` (``in_quadrant``; the audio judge
    on the FluidR3 render, the symbolic judge on the notes)."""
    from conditioning import Emotion
    from critics.registry import load_critic
    from generators.base import GenerationRequest

    judges = {"audio": load_critic("music", "embedded"), "symbolic": load_critic("music", "symbolic")}
    labels, seeds = list(labels), list(seeds)
    out = {}
    for name, gen in composers.items():
        rows = []
        for label in labels:
            for seed in seeds:
                res = gen.generate(GenerationRequest(Emotion.parse(label), seed=seed, duration_s=seconds))
                midi = res.extras["midi_bytes"]
                row = texture(midi)
                for j, critic in judges.items():
                    r = critic.score(res.media if j == "audio" else midi)
                    row[j] = (r.valence, r.arousal, max(r.native, key=r.native.get) == quadrant)
                rows.append(row)
        measures = [k for k in rows[0] if k not in judges]
        out[name] = {"takes": len(rows), **{k: round(float(average([r[k] for r in rows])), 4) for k in measures},
                     **{j: {"valence": round(float(np.mean([r[j][0] for r in rows])), 3),
                            "arousal": round(float(np.mean([r[j][1] for r in rows])), 3),
                            "in_quadrant": int(sum(r[j][2] for r in rows))} for j in judges}}
    return out


def judge_cells(piece: dict) -> list[str]:
    """The audio and symbolic judges' "valence / arousal / share in the quadrant" cells of one composer's row of
    `judged_takes`."""
    return [f"{piece[j]['valence']:+.2f} / {piece[j]['arousal']:+.2f} / {piece[j]['in_quadrant'] / piece['takes']:.0%}"
            for j in ("audio", "symbolic")]


def same_notes(composers: Mapping, labels: Iterable[str], seconds: float) -> str:
    """'N of M': of ``labels`` (seed 0), how many the composers write note for note alike."""
    from conditioning import Emotion
    from generators.base import GenerationRequest

    same = [len({gen.compose(GenerationRequest(Emotion.parse(label), seed=0, duration_s=seconds)).midi_bytes()
                 for gen in composers.values()}) == 1 for label in labels]
    return f"{sum(same)} of {len(same)}"
