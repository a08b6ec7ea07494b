"""Where do the speech judges hear an emotion, and does the studio's rendering put it there? (#12's diagnosis)

    OMP_NUM_THREADS=1 python bench/speech_cues.py [--data ../shared/data] [--workers 2] [--actors 01,02,...]
        [--json [PATH]]

`bench/critics_agreement.py` shows the independent judge (`speech/encoder`) hearing the studio's joy, anger and
surprise as fear. Is that the voice (Piper, Festival) or the rendering (the prosody controls and the spectrum
match)? Two experiments on RAVDESS actors' paired takes (same actor, same sentence: the neutral take and the
strong emotional one; actors 01-16, statements 1 and 2, first repetition) answer it without a synthetic voice:

1. **transfer**: the studio's rendering of each of the 7 emotions (the shipped controls through WORLD with the
   frame-level conversion, then the actors' long-term spectrum match: what the backends do to a Piper take,
   except that the conversion's table is built without the actor, as in ``shape+frames`` below) applied to
   the actor's *neutral* clip (``studio``; ``no frames``: the same without the conversion, the rendering
   before it); scored by both judges with the same clip rendered with zero controls as the speaker
   reference (the loop's condition). Beside it, the actor's own emotional clip against their own neutral one;
   and the largest share one label takes of each judge's single-file readings of the rendered takes (the
   studio's voices collapse onto disgust there: is that the rendering too?).
2. **swap**: each strong emotional clip of 5 emotions resynthesised by WORLD with one group of its parameters
   taken from the same actor's neutral clip (DTW-aligned on MFCCs): the F0 contour (``f0``), the spectral
   shape of every frame with the frame energy kept (``shape``), the frame energy with the shape kept
   (``energy``), the aperiodicity (``aperiodicity``); and ``shape+ltas``: the neutral shape plus the emotional
   clip's *own* mean change of shape (voiced and unvoiced frames apart), the best any long-term spectrum match
   can do. ``none`` is the clip vocoded unchanged. A group whose swap loses the label is where the judge
   hears the emotion; the reference is the neutral clip vocoded. ``shape+frames``: the neutral shape through
   the studio's frame-level conversion (`generators.speech.conversion`), its table built by
   `studio.calibrate_frames` from the *other* half of the actors (odd / even ids: the actor under test is
   never in it): how much of what ``shape`` loses the conversion gives back on voices it has not seen.
   On what time scale is the shape's emotion? ``own``: the neutral shape plus the take's *own* change of shape
   in every voiced frame (mel-cepstrum c1-c23, the conversion's resolution: how much a perfect frame-level
   conversion could give back); ``own 40 ms`` / ``own 100 ms``: that change smoothed over 40 / 100 ms (a
   conversion that gets each syllable's change right but not each frame's); ``own scrambled``: the same change
   with its Fourier phases randomised over the clip (the same size and tempo of movement, not tied to what is
   being said).

Caveat: both judges were trained on these 16 actors' clips, so the unmodified readings (``actors``, ``none``)
are in-sample and optimistic; the rendered and swapped signals are new to them. Hence a third reader,
``encoder-ho``: `speech/encoder`'s own vectors through a speaker-referenced head refitted at its shipped
configuration without the actors of the tested actor's parity (as the conversion's tables; with EmoDB and the
pseudo-speakers, as its training), so it has never heard the actor under test. It is not in the ``both``
figures. This is a diagnosis, not a
validation figure (the ``shape+frames`` row's conversion is held out; the judges are not). About 8 min on two
workers (3 of them building the two held-out tables).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402

import numpy as np  # noqa: E402

RATE = 16000
#: RAVDESS label -> (file code, the vocabulary term the studio renders for it)
LABELS = {"calm": ("02", "calm"), "happy": ("03", "joy"), "sad": ("04", "sadness"), "angry": ("05", "anger"),
          "fearful": ("06", "fear"), "disgust": ("07", "disgust"), "surprised": ("08", "surprise")}
SWAP_LABELS = ("happy", "sad", "angry", "fearful", "surprised")
SWAPS = ("none", "f0", "shape", "shape+ltas", "shape+frames", "own", "own 40 ms", "own 100 ms", "own scrambled",
         "energy", "aperiodicity")
ACTORS = [f"{a:02d}" for a in range(1, 17)]
STATEMENTS = ("01", "02")


def _clip(data: Path, actor: str, code: str, intensity: str, statement: str):
    from conditioning.media import load_audio

    return load_audio(data / "speech" / "ravdess" / f"Actor_{actor}" /
                      f"03-01-{code}-{intensity}-{statement}-01-{actor}.flac", rate=RATE)


def _top(reading) -> str:
    return max(reading.native, key=reading.native.get)


def _judges():
    from studio.studio import Studio

    return Studio().judges("speech")


def transfer(data: Path, actors: list[str], tables: dict[str, dict], held: dict) -> list[dict]:
    """The studio's rendering of each emotion applied to the actors' neutral clips (module docstring, 1)."""
    from conditioning import Emotion
    from conditioning.media import Audio
    from generators.speech import prosody as P
    from generators.speech import spectrum
    from generators.speech.conversion import envelope, table_from
    from generators.speech.world import Utterance, WordSpan, render

    judges, rows = _judges(), []
    for actor in actors:
        for st in STATEMENTS:
            neutral = _clip(data, actor, "01", "01", st)
            y = neutral.samples
            e = np.convolve(y.astype(np.float64) ** 2, np.ones(320) / 320, "same")
            on = np.flatnonzero(e > e.max() * 1e-3)
            t0, t1 = on[0] / RATE, on[-1] / RATE
            # one "word" over the speech and a sentence end at its offset: no stressed syllables are known, so
            # the emphasis control has nothing to act on (Piper's takes get it); everything else applies
            utt = Utterance(y, RATE, (), (WordSpan("-", t0, t1),), (t1,), ())
            ref = Audio(render(utt, [P.ProsodyControls()], seed=0)[0], RATE)
            held_out = table_from(tables[actor])
            for label, (code, term) in LABELS.items():
                em = Emotion.parse(term)
                takes = {}
                for cond, frames in (("studio", envelope([em], held_out)), ("no frames", None)):
                    yt, rt, _, _ = render(utt, [P.emotion_controls(em, None)], seed=0, envelope=frames)
                    takes[cond] = Audio(spectrum.match(yt, rt, y, RATE, em), rt)
                actor_take = _clip(data, actor, code, "02", st)
                row = {"actor": actor, "statement": st, "target": label}
                for j in judges + [held[int(actor) % 2]]:
                    for cond, take in takes.items():
                        row[f"{j.name}_{cond}"] = _top(j.score(take, speaker_reference=[ref]))
                    row[f"{j.name}_actors"] = _top(j.score(actor_take, speaker_reference=[neutral]))
                for j in judges:
                    row[f"{j.name}_single"] = _top(j.score(takes["studio"]))
                rows.append(row)
    return rows


def _aligned(fe, fn, ye, yn) -> np.ndarray:
    """For each frame of the emotional clip, the DTW-matched frame of the neutral one (MFCC 1-19, 5 ms hop)."""
    import librosa

    from studio.calibrate_frames import align

    def mfcc(y):
        return librosa.feature.mfcc(y=y, sr=RATE, n_mfcc=20, hop_length=80, n_fft=512)[1:]

    return align(mfcc(ye), mfcc(yn), fe.n_frames, fn.n_frames)


def swap(data: Path, actors: list[str], tables: dict[str, dict], held: dict) -> list[dict]:
    """Actors' emotional clips with one WORLD parameter group from their neutral clip (module docstring, 2).
    ``tables``: actor -> the arrays of a conversion table built without that actor; ``held``: parity -> the
    `HeldOutEncoder` that never heard actors of that parity."""
    from dataclasses import replace

    from conditioning import Emotion
    from conditioning.media import Audio
    from conditioning.vocoder import analyse, synthesise
    from generators.speech.conversion import cepstrum, convert, reshape, table_from

    judges, rows = _judges(), []
    rng = np.random.default_rng(0)
    for actor in actors:
        for st in STATEMENTS:
            yn = _clip(data, actor, "01", "01", st).samples
            fn = analyse(yn, RATE, frame_period=5.0, f0_ceil=650.0)
            ref = Audio(synthesise(fn).astype(np.float32), RATE)
            held_out = table_from(tables[actor])
            for label in SWAP_LABELS:
                ye = _clip(data, actor, LABELS[label][0], "02", st).samples
                fe = analyse(ye, RATE, frame_period=5.0, f0_ceil=650.0)
                m = _aligned(fe, fn, ye, yn)
                voiced = fn.f0 > 0
                f0n = np.interp(np.arange(fn.n_frames), np.flatnonzero(voiced), fn.f0[voiced])
                energy_e, sp_n = fe.sp.sum(1), fn.sp[m]
                shape = sp_n * (energy_e / sp_n.sum(1))[:, None]
                # the emotional clip's own mean shape change, voiced and unvoiced frames apart
                level = 10 * np.log10(energy_e + 1e-12)
                active = level > level.max() - 35
                ce, cn = cepstrum(fe.sp, fe.freqs), cepstrum(shape, fe.freqs)
                d = np.zeros_like(cn)
                for part in ((fe.f0 > 0) & (fn.f0[m] > 0) & active, (fe.f0 == 0) & (fn.f0[m] == 0) & active):
                    if part.any():
                        d[part, 1:] = (ce[part, 1:] - cn[part, 1:]).mean(0)
                ltas = reshape(shape, d, fe.freqs)
                both_voiced = np.where((fe.f0 > 0) & (fn.f0[m] > 0), fn.f0[m], 0.0)
                framed = convert(shape, both_voiced, RATE, 5.0, [Emotion.parse(LABELS[label][1])],
                                 np.zeros(fe.n_frames, int), held_out)
                own = _own(shape, ce - cn, both_voiced > 0, fe.freqs, rng)
                variants = {**{name: replace(fe, sp=sp) for name, sp in own.items()},
                    "none": fe,
                    "f0": replace(fe, f0=np.where(fe.f0 > 0, f0n[m], 0.0)),
                    "shape": replace(fe, sp=shape),
                    "shape+ltas": replace(fe, sp=ltas),
                    "shape+frames": replace(fe, sp=framed),
                    "energy": replace(fe, sp=fe.sp * (sp_n.sum(1) / energy_e)[:, None]),
                    "aperiodicity": replace(fe, ap=fn.ap[m]),
                }
                row = {"actor": actor, "statement": st, "target": label}
                for name, feat in variants.items():
                    audio = Audio(synthesise(feat).astype(np.float32), RATE)
                    for j in judges + [held[int(actor) % 2]]:
                        row[f"{j.name}_{name}"] = _top(j.score(audio, speaker_reference=[ref]))
                rows.append(row)
    return rows


def _own(shape: np.ndarray, diff: np.ndarray, voiced: np.ndarray, freqs: np.ndarray, rng) -> dict[str, np.ndarray]:
    """The ``own*`` swaps (module docstring, 2): the neutral ``shape`` (frames, bins) given the emotional take's
    own change of mel-cepstrum (``diff``: its c0-c23 minus the shape's) in its ``voiced`` frames, as is,
    smoothed, or with its Fourier phases scrambled; each frame keeps its power. At 5 ms frames."""
    from scipy.ndimage import uniform_filter1d

    from generators.speech.conversion import reshape

    change = np.zeros_like(diff)
    change[voiced, 1:] = diff[voiced, 1:]
    idx = np.flatnonzero(voiced)
    spectrum = np.fft.rfft(change[idx], axis=0)
    phases = np.exp(2j * np.pi * rng.uniform(size=(len(spectrum), 1)))
    phases[0] = 1.0  # the mean change stays
    scrambled = np.zeros_like(change)
    scrambled[idx] = np.fft.irfft(spectrum * phases, n=len(idx), axis=0)
    changes = {"own": change, "own scrambled": scrambled}
    for ms in (40, 100):
        smooth = np.zeros_like(change)
        smooth[idx] = uniform_filter1d(change[idx], size=ms // 5, axis=0, mode="nearest")
        changes[f"own {ms} ms"] = smooth
    return {name: reshape(shape, d, freqs) for name, d in changes.items()}


def _run(part: str, data: Path, actors: list[str], tables: dict[str, dict], held: dict) -> list[dict]:
    return (transfer if part == "transfer" else swap)(data, actors, tables, held)


class HeldOutEncoder:
    """`speech/encoder`'s vectors read by a speaker-referenced head that never heard the actor (module
    docstring, caveat): ``heads`` from `held_out_heads`. Referenced readings only."""

    name = "encoder-ho"

    def __init__(self, heads):
        self.heads, self._critic = heads, None  # the encoder session opens in the worker that scores

    def score(self, audio, speaker_reference):
        from types import SimpleNamespace

        from critics.speech.encoder import SpeechEncoderCritic
        from critics.training.speech import RAVDESS

        if self._critic is None:
            self._critic = SpeechEncoderCritic()
        c = self._critic
        v = c.vector(c.prepare(audio), "speaker") - c.reference_features(speaker_reference, "neutral")[0]  # as trained
        return SimpleNamespace(native=dict(zip(RAVDESS, self.heads.predict(v[None])["ravdess"][0])))


def held_out_heads(data: Path, parities, workers: int) -> dict[int, "HeldOutEncoder"]:
    """parity -> a `HeldOutEncoder` whose head is fitted at `speech/encoder`'s shipped speaker-referenced
    configuration on its training vectors (cached under ~/.cache/emostudio) without the RAVDESS actors of
    that parity."""
    from critics.training.speech import fit_heads, speaker_shift
    from critics.training.speech_encoder import shipped_vectors

    meta, _, X, all_items = shipped_vectors(data, workers, log=lambda *a: None, which="speaker")
    cfg = meta["figures"]["speaker"]
    X = speaker_shift(X, all_items)

    def parity(it) -> int | None:
        return int(it.speaker.split("~")[0].split("/")[-1]) % 2 if it.corpus == "ravdess" else None

    out = {}
    for p in parities:
        keep = [i for i, it in enumerate(all_items) if parity(it) != p]
        out[p] = HeldOutEncoder(fit_heads(X[keep], [all_items[i] for i in keep], cfg["C"], cfg["emodb_weight"],
                                          meta["seed"]))
    return out


def held_out_tables(data: Path, actors: list[str], workers: int) -> dict[str, dict]:
    """actor -> conversion table arrays built from the RAVDESS actors of the other parity (odd / even ids)."""
    from studio.calibrate_frames import build

    all_actors = {f"{a:02d}" for a in range(1, 25)}
    built = {p: build(data, actors={a for a in all_actors if int(a) % 2 != p}, workers=workers,
                      log=lambda *a: None) for p in sorted({int(a) % 2 for a in actors})}
    return {a: built[int(a) % 2] for a in actors}


def summarise(rows: list[dict], judges: list[str], conditions, labels, extra=()) -> dict:
    """Per condition and judge (``judges`` and ``extra``): agreement with the target, and per target how often
    it was heard as itself and as fear; per condition, both ``judges`` agreeing with the target."""
    out = {}
    for cond in conditions:
        doc = {"both": round(float(np.mean([all(r[f"{j}_{cond}"] == r["target"] for j in judges) for r in rows])), 3)}
        for j in (*judges, *extra):
            per = {}
            for lab in labels:
                heard = Counter(r[f"{j}_{cond}"] for r in rows if r["target"] == lab)
                per[lab] = {"n": sum(heard.values()), "as_target": heard[lab], "as_fearful": heard["fearful"],
                            "most": heard.most_common(1)[0][0]}
            doc[j] = {"agreement": round(float(np.mean([r[f"{j}_{cond}"] == r["target"] for r in rows])), 3),
                      "per_target": per}
        out[cond] = doc
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--actors", default=",".join(ACTORS), help="comma-separated RAVDESS actors (default 01-16)")
    add_json_option(ap)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    actors = args.actors.split(",")
    chunks = [actors[i::args.workers] for i in range(args.workers) if actors[i::args.workers]]
    tables = held_out_tables(args.data, actors, args.workers)
    held = held_out_heads(args.data, sorted({int(a) % 2 for a in actors}), args.workers)
    rows = {}
    with ProcessPoolExecutor(len(chunks)) as pool:
        for part in ("transfer", "swap"):
            rows[part] = sum(pool.map(_run, [part] * len(chunks), [args.data] * len(chunks), chunks,
                                      [tables] * len(chunks), [held] * len(chunks)), [])
    judges, extra = [j.name for j in _judges()], [HeldOutEncoder.name]
    doc = {"judges": judges, "held_out_judge": extra[0], "actors": actors,
           "transfer": summarise(rows["transfer"], judges, ("studio", "no frames", "actors"), list(LABELS), extra),
           "transfer_single_largest_share": {
               j: (lambda c: [c[0][0], round(c[0][1] / len(rows["transfer"]), 3)])(
                   Counter(r[f"{j}_single"] for r in rows["transfer"]).most_common(1)) for j in judges},
           "swap": summarise(rows["swap"], judges, SWAPS, SWAP_LABELS, extra),
           "rows": rows, "seconds": round(time.perf_counter() - t0, 1)}
    if emit_json(doc, args.json):
        return doc
    for part, labels in (("transfer", list(LABELS)), ("swap", list(SWAP_LABELS))):
        print(f"\n{part}: clips heard as the target (as fearful), per judge; speaker reference: the neutral clip"
              + (" rendered with zero controls" if part == "transfer" else " vocoded"))
        print(f"{'condition':13s} {'judge':10s} {'all':>5s} " + " ".join(f"{lab[:9]:>9s}" for lab in labels))
        for cond, d in doc[part].items():
            for j in (*judges, *extra):
                cells = " ".join(f"{p['as_target']:3d} ({p['as_fearful']:2d})" for p in d[j]["per_target"].values())
                print(f"{cond:13s} {j:10s} {d[j]['agreement']:5.2f} {cells}")
            print(f"{'':13s} {'both':10s} {d['both']:5.2f}  (speech/embedded and speech/encoder)")
        if part == "transfer":
            print("single file, the rendered takes: largest label share "
                  + ", ".join(f"{j} {lab} {v:.0%}" for j, (lab, v) in doc["transfer_single_largest_share"].items()))
    print(f"({doc['seconds']:.0f} s; {len(actors)} actors x {len(STATEMENTS)} statements per emotion)")
    return doc


if __name__ == "__main__":
    main()
