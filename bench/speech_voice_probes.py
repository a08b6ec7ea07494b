"""Is the single-file collapse the synthetic voices' timbre, pitch or breathiness, or where they sit for the judge?

    OMP_NUM_THREADS=1 python bench/speech_voice_probes.py [--probe eq|f0|breath|typicality ...] [--sentences 6]
        [--data ../shared/data] [--json [PATH]]

Both speech judges read Piper's *unprocessed* neutral voice single-file as disgust (`bench/critics_agreement.py`),
and the studio's takes of it collapse onto that label (#12, deliverable 4). Four probes, none fitted to a judge,
each asking whether one property of the voice is what the judges hear (2026-12-03, thirteenth session; the
figures are in generators/cards/speech-piper-history.md and critics/cards/speech-encoder-history.md):

- ``eq``: the voice's long-term spectral shape (`generators.speech.spectrum.shape`) equalised to the mean
  shape of the same-sex RAVDESS actors' neutral clips (the gap measured on the bare synthesis of the
  calibration texts, none of them a benchmark sentence), applied to every benchmark take and its neutral
  reference. Reported as `critics_agreement` reports: referenced agreement per judge and both, the largest
  single-file label share, and the bare neutral voice's single-file readings.
- ``f0``: Piper's bare neutral takes resynthesised by WORLD with their F0 raised by 0/2/4/6 semitones (as the
  encoder's pseudo-speakers are made), read single-file; beside the RAVDESS actors' neutral F0 medians.
- ``breath``: the studio's joy, anger, fear and sadness takes with the `breath` control as the table has it
  (0.6 for these four, its limit), 0.3 and 0, read with the neutral reference.
- ``typicality``: is the synthetic voice out of the human voices' distribution in `speech/encoder`'s space?
  Mahalanobis distance (top k principal components, Ledoit-Wolf covariance) of the studio's takes, against
  the same distance of the training clips read out of fold on the training's 8 speaker folds.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.critics_agreement import SENTENCES, SPEECH_TARGETS, top  # noqa: E402
from bench.report import add_json_option, emit_json  # noqa: E402

VOICE_SEX = {"piper": "m", "festival": "f"}  #: joe is a male voice, slt a female one
PROBES = ("eq", "f0", "breath", "typicality")


def _request(term: str, text: str, seed: int, controls=None):
    from conditioning import Emotion
    from generators.base import GenerationRequest

    return GenerationRequest(Emotion.parse(term), text=text, seed=seed, controls=controls or {})


@dataclass
class Voice:
    """A shipped voice as the studio renders it (``gen``) and unprocessed (``bare``), with its benchmark takes
    rendered once and shared by the probes."""

    backend: str
    gen: Any
    bare: Any
    sentences: tuple

    @cached_property
    def takes(self) -> list[tuple]:
        """[(term, target label, take, neutral reference)] for every sentence x RAVDESS emotion."""
        out = []
        for i, text in enumerate(self.sentences):
            ref = self.gen.neutral_reference(_request("neutral", text, i))
            out += [(term, label, self.gen.generate(_request(term, text, i)).media, ref)
                    for term, label in SPEECH_TARGETS.items()]
        return out

    @cached_property
    def bare_takes(self) -> list:
        """The unprocessed neutral synthesis of every sentence."""
        return [self.bare.generate(_request("neutral", t, i)).media for i, t in enumerate(self.sentences)]


def _voices(sentences) -> list[Voice]:
    from conditioning.registry import BackendUnavailable
    from generators.registry import load_generator
    from generators.speech.world import RenderConfig

    out = []
    for backend in VOICE_SEX:
        try:
            out.append(Voice(backend, load_generator("speech", backend),
                             load_generator("speech", backend, render=replace(RenderConfig(), bypass_neutral=True)),
                             tuple(sentences)))
        except BackendUnavailable as exc:
            print(f"  (speech/{backend} left out: {exc})", file=sys.stderr)
    return out


def _neutral_actors(data: Path):
    """RAVDESS's neutral clips (`critics.training.speech.Item`: path, speaker, sex)."""
    from critics.training.speech import load_items

    return [it for it in load_items(data, emodb=False) if it.label == "neutral"]


def _read(judges, takes, change=lambda m: m) -> dict:
    """Referenced agreement per judge and both (neutral takes left out) and single-file label counts."""
    agree, single, both, n = Counter(), {j.name: Counter() for j in judges}, 0, 0
    for term, label, take, ref in takes:
        take, ref = change(take), change(ref)
        hits = []
        for j in judges:
            single[j.name][top(j.score(take))] += 1
            if term != "neutral":
                hits.append(top(j.score(take, speaker_reference=[ref])) == label)
                agree[j.name] += hits[-1]
        if term != "neutral":
            n, both = n + 1, both + all(hits)
    return {"referenced": {**agree, "both": both, "n": n},
            "single_largest": {k: [*c.most_common(1)[0], sum(c.values())] for k, c in single.items()}}


def probe_eq(judges, voices: list[Voice], data: Path) -> dict:
    from conditioning.media import load_audio
    from generators.speech import spectrum
    from studio.calibrate import CALIBRATION_TEXTS

    per_actor: dict[tuple, list] = {}
    for it in _neutral_actors(data):
        a = load_audio(it.path)
        per_actor.setdefault((it.speaker, it.sex), []).append(spectrum.shape(a.samples, a.rate))
    human = {s: np.mean([np.mean(v, 0) for (_, sx), v in per_actor.items() if sx == s], 0) for s in "mf"}
    out = {}
    for v in voices:
        cal = [v.bare.generate(_request("neutral", t, i)).media for i, t in enumerate(CALIBRATION_TEXTS)]
        gap = human[VOICE_SEX[v.backend]] - np.mean([spectrum.shape(m.samples, m.rate) for m in cal], 0)
        eq = lambda m: replace(m, samples=spectrum.equalise(m.samples, m.rate, gap))  # noqa: E731
        out[v.backend] = {"gap_db_rms": round(float(np.sqrt(np.mean(gap ** 2))), 2)}
        for name, change in (("as shipped", lambda m: m), ("equalised", eq)):
            out[v.backend][name] = {**_read(judges, v.takes, change), "bare_neutral_single": {
                j.name: dict(Counter(top(j.score(change(m))) for m in v.bare_takes)) for j in judges}}
        print(f"  eq: speech/{v.backend} read", file=sys.stderr, flush=True)
    return out


def probe_f0(judges, voices: list[Voice], data: Path) -> dict:
    """F0 medians as the first judge measures them (Praat, its reading's ``f0_median_hz``); the raised takes are
    WORLD-resynthesised as the encoder's pseudo-speakers are (`critics.training.speech_encoder.perturb`)."""
    from conditioning.media import Audio
    from critics.training.speech_encoder import perturb

    embedded = next(j for j in judges if j.name == "embedded")
    median_f0 = lambda media: embedded.score(media).details["f0_median_hz"]  # noqa: E731
    meds: dict[tuple, list] = {}
    for it in _neutral_actors(data):
        meds.setdefault((it.sex, it.speaker), []).append(median_f0(it.path))
    out = {"actors_neutral_f0_hz": {s: sorted(round(float(np.median(v))) for (sx, _), v in meds.items() if sx == s)
                                    for s in "mf"}}
    piper = next(v for v in voices if v.backend == "piper")
    out["piper_neutral_f0_hz"] = [round(median_f0(m)) for m in piper.bare_takes]
    clips = [embedded.prepare(m) for m in piper.bare_takes]  # 16 kHz, as perturb takes them
    for st in (0, 2, 4, 6):
        heard = Counter()
        for y in clips:
            raised = Audio(perturb(y, {"f0_st": st, "formant": 1.0, "tilt_db_oct": 0.0}), 16000)
            heard.update(f"{j.name}:{top(j.score(raised))}" for j in judges)
        out[f"piper_plus_{st}_semitones_single"] = dict(sorted(heard.items()))
    return out


def probe_breath(judges, voices: list[Voice], data: Path) -> dict:
    terms = ("joy", "anger", "fear", "sadness")
    out = {}
    for v in voices:
        for breath in (None, 0.3, 0.0):
            counts = {t: Counter() for t in terms}
            for i, (term, label, take, ref) in enumerate(v.takes):
                if term not in terms:
                    continue
                if breath is not None:
                    text, seed = v.sentences[i // len(SPEECH_TARGETS)], i // len(SPEECH_TARGETS)
                    take = v.gen.generate(_request(term, text, seed, {"breath": breath})).media
                heard = [top(j.score(take, speaker_reference=[ref])) for j in judges]
                counts[term]["both"] += all(h == label for h in heard)
                counts[term].update(f"{j.name}:{h}" for j, h in zip(judges, heard))
            out[f"{v.backend}, breath {'as in the table' if breath is None else breath}"] = {
                t: dict(c.most_common()) for t, c in counts.items()}
    return out


def probe_typicality(judges, voices: list[Voice], data: Path) -> dict:
    from sklearn.covariance import LedoitWolf
    from sklearn.decomposition import PCA

    from critics.training.speech_encoder import FOLDS, shipped_vectors, speaker_folds

    encoder = next(j for j in judges if j.name == "encoder")
    _, items, X, all_items = shipped_vectors(data, log=lambda *a: None)
    real, fold, _ = speaker_folds(items, all_items, FOLDS)
    Xr, fr = X[real], fold[real]
    synth = {v.backend: np.stack([encoder.vector(encoder.prepare(take)) for _, _, take, _ in v.takes]) for v in voices}

    def distance(train, k):
        pca = PCA(k, random_state=0).fit(train)
        cov = LedoitWolf().fit(pca.transform(train))
        return lambda V: np.sqrt(np.einsum("ij,jk,ik->i", d := pca.transform(V) - cov.location_, cov.precision_, d))

    out = {}
    for k in (8, 16, 32, 64):
        oof = np.zeros(len(Xr))
        for f in np.unique(fr):
            oof[fr == f] = distance(Xr[fr != f], k)(Xr[fr == f])
        dist = distance(Xr, k)
        p99 = float(np.percentile(oof, 99))
        out[f"k={k}"] = {"humans_unseen_median_p99": [round(float(np.median(oof)), 2), round(p99, 2)],
                         **{b: {"median": round(float(np.median(dist(v))), 2),
                                "share_beyond_human_p99": round(float(np.mean(dist(v) > p99)), 3)}
                            for b, v in synth.items()}}
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--probe", action="append", choices=PROBES, help="repeatable; default: all four")
    ap.add_argument("--sentences", type=int, default=6)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    add_json_option(ap)
    args = ap.parse_args(argv)
    if not (args.data / "speech" / "ravdess").is_dir():
        ap.error(f"the probes compare the voices with RAVDESS; no speech/ravdess under {args.data} (give --data DIR)")
    from studio.studio import Studio

    judges = Studio().judges("speech")
    voices = _voices(SENTENCES[:args.sentences])
    result, t0 = {}, time.time()
    for name in args.probe or PROBES:
        result[name] = globals()[f"probe_{name}"](judges, voices, args.data)
    result["seconds"] = round(time.time() - t0, 1)
    if emit_json(result, args.json):
        return result
    for name in args.probe or PROBES:
        print(f"{name}:")
        for key, value in result[name].items():
            print(f"  {key}: {value}")
    print(f"({result['seconds']} s)")
    return result


if __name__ == "__main__":
    main()
