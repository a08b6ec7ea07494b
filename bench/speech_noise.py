"""How far do background noise and a room's reverberation move the speech judges' readings, and how much does
training with noisy copies (`critics.training.speech_encoder --noise`) help?

    OMP_NUM_THREADS=1 python bench/speech_noise.py [--data ../shared/data] [--workers 2] [--snr 30 20 10]
                                                   [--rt60 0.4 0.7 1.0] [--drr 0 -5] [--room-pink 15]
                                                   [--every 10] [--end-to-end-only] [--json [PATH]]

Noise is white, pink or babble (four other voices of the same validation fold), mixed in at a set SNR over the
speech (`critics.training.recording.mix`); rooms are synthetic (`critics.training.recording.room_response`) with
the direct sound as strong as the reverberation, and no noise; all with draws the training never used. Two
tables:

1. **speech/encoder, out of fold** (the honest comparison, baseline in the same run): its single-file heads
   refitted at the shipped configuration on 8 speaker folds, once without and once with the noisy
   pseudo-speakers, and read on noisy copies of the held-out voices' clips: RAVDESS UAR, binary arousal, and
   how often the top label stays what the clean clip gets from the same heads.
2. **Both shipped judges, end to end** (`score`, what `critique` does) on every ``--every``-th clip: how often
   the top label stays the clean reading's. The clips' voices are in both judges' training, so this measures
   how far noise moves a reading, not accuracy.

Needs the 'train' extra and the shared data. Vectors are cached under ~/.cache/emostudio (the shipped ones:
about 10 min on two workers the first time; each noisy test condition about 1 min).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import emit_json  # noqa: E402

import numpy as np  # noqa: E402

NOISES = ("white", "pink", "babble")
TEST_SEED = 1_000_003  #: no training draw uses it


def conditions(snrs, rt60s, drrs=(0.0,), room_pink=()) -> dict[str, dict]:
    """The test conditions by name, as fixed recording conditions (`critics.training.recording.noise_jobs`):
    each noise at each SNR; rooms of each RT60 at each direct-to-reverberant ratio, without noise; and each room
    (DRR 0 dB) with pink noise at each of ``room_pink``'s SNRs, as a room's own noise reaches the microphone."""
    out = {f"{n} {s:g} dB": {"noise": n, "snr_db": float(s)} for s in snrs for n in NOISES}
    room = lambda r, d: {"rt60_s": float(r), "drr_db": float(d)}  # noqa: E731
    out |= {f"room {r:g} s" + (f", DRR {d:g} dB" if d else ""): {"noise": "none", "snr_db": 0.0, **room(r, d)}
            for r in rt60s for d in drrs}
    return out | {f"room {r:g} s + pink {s:g} dB": {"noise": "pink", "snr_db": float(s), **room(r, 0)}
                  for r in rt60s for s in room_pink}


def test_vectors(items, fold_of, fixed: dict, workers: int, log) -> np.ndarray:
    """Encoder vectors (single-file level) of every clip in the recording condition ``fixed`` (cached)."""
    from concurrent.futures import ProcessPoolExecutor

    from critics.speech.encoder import ENCODER_FILE
    from critics.training import recording as R
    from critics.training import speech_encoder as E

    encoder = E.WEIGHTS / ENCODER_FILE
    what = "|".join(f"{k}={v}" for k, v in sorted(fixed.items()))  # (the noises alone: the keys they had)
    what = what if "rt60_s" in fixed else f"{fixed['noise']}|{fixed['snr_db']}"
    key = hashlib.sha1(f"{hashlib.sha1(encoder.read_bytes()).hexdigest()}|{E._code_hash()}|{what}|{TEST_SEED}|"
                       f"{len(items)}|{items[0].path}|{items[-1].path}".encode()).hexdigest()[:16]
    fn = E.CACHE / "noise_bench" / f"{key}.npy"
    if fn.is_file():
        return np.load(fn)
    jobs = R.noise_jobs(items, 0, TEST_SEED, fold_of, fixed=fixed)
    t0 = time.time()
    with ProcessPoolExecutor(workers) if workers > 1 else E._Inline() as pool:
        X = np.stack(list(pool.map(_vector_or_nan, [(it.path, p, encoder, "population") for it, p in zip(items, jobs)],
                                   chunksize=16)))
    fn.parent.mkdir(parents=True, exist_ok=True)
    np.save(fn, X)
    log(f"  {what}: {len(items)} vectors in {time.time() - t0:.0f} s")
    return X


def _vector_or_nan(job) -> np.ndarray:
    """A clip's vector, or NaNs where the judges refuse it (no voice's pitch left): `encoder_out_of_fold` leaves
    those clips' outputs at zero, which reads as neutral, and counts them."""
    from critics.speech.features import FeatureError
    from critics.training import speech_encoder as E

    try:
        return E._vector_job(job)
    except FeatureError:
        return np.full(2 * 256, np.nan, dtype=np.float32)


def encoder_out_of_fold(data: Path, tested: dict[str, dict], workers: int, log) -> dict:
    """Table 1: {heads: {condition: figures}} for heads trained without and with the noisy pseudo-speakers."""
    from critics.training import speech as T
    from critics.training import speech_encoder as E

    meta, items, X, all_items = E.shipped_vectors(data, workers, log, which="population")
    if not meta.get("noise"):
        raise SystemExit("the shipped speech/encoder has no noisy pseudo-speakers; retrain it with --noise 1")
    real, fold, _ = E.speaker_folds(items, all_items, E.FOLDS)
    noisy_rows = np.array(["~n" in it.speaker for it in all_items])
    fold_of = {it.speaker: int(f) for it, f in zip(items, fold[real])}
    C, w = meta["figures"]["population"]["C"], meta["figures"]["population"]["emodb_weight"]
    tests = {"clean": X[real]} | {name: test_vectors(items, fold_of, fixed, workers, log)
                                  for name, fixed in tested.items()}
    out = {}
    for heads, keep in (("without noisy copies", ~noisy_rows), ("with noisy copies (shipped)", np.ones(len(X), bool))):
        preds = {name: {"ravdess": np.zeros((len(items), 8)), "emodb": np.zeros((len(items), 7)),
                        "vad": np.zeros((len(items), 3))} for name in tests}
        for k in np.unique(fold[real]):
            tr = np.flatnonzero((fold != k) & keep)
            te = np.flatnonzero(fold[real] == k)
            h = T.fit_heads(X[tr], [all_items[i] for i in tr], C, w, meta["seed"])
            for name, Xt in tests.items():
                ok = te[np.isfinite(Xt[te]).all(axis=1)]  # a refused clip keeps all-zero outputs (neutral)
                for key, v in h.predict(Xt[ok]).items():
                    preds[name][key][ok] = v
        clean_top = preds["clean"]["ravdess"].argmax(1)
        out[heads] = {}
        for name, p in preds.items():
            m = T.metrics(items, p)
            out[heads][name] = {"ravdess_uar": round(m["ravdess_uar"], 3),
                                "arousal_binary": round(m["ravdess_arousal_binary_accuracy"], 3),
                                "emodb_uar": round(m.get("emodb_uar", 0.0), 3),
                                "same_top_as_clean": round(float(np.mean(p["ravdess"].argmax(1) == clean_top)), 3),
                                "refused": int((~np.isfinite(tests[name]).all(axis=1)).sum())}
    return out


def shipped_end_to_end(data: Path, tested: dict[str, dict], every: int, log) -> dict:
    """Table 2: {judge: {condition: share of clips whose top label stays the clean reading's}}."""
    import soundfile as sf

    from critics.base import CriticError
    from critics.registry import load_critic
    from critics.training import recording as R
    from critics.training import speech as T
    from critics.training import speech_encoder as E

    items = T.load_items(data)
    fold_of = dict(zip((it.speaker for it in items), T.make_folds(items, E.FOLDS)))
    sub = items[::every]
    judges = {n: load_critic("speech", n) for n in ("embedded", "encoder")}
    top = lambda r: max(r.native, key=r.native.get)  # noqa: E731
    audio = [sf.read(str(it.path), dtype="float32") for it in sub]  # read once, mixed with every condition
    clean = [{n: top(c.score(a)) for n, c in judges.items()} for a in audio]
    out = {n: {} for n in judges}
    for name, fixed in tested.items():
        jobs = R.noise_jobs(sub, 0, TEST_SEED, fold_of, fixed=fixed)
        same = {n: [] for n in judges}
        refused = {n: 0 for n in judges}
        for i, ((y, sr), p) in enumerate(zip(audio, jobs)):
            z = R.noisy(y, sr, p)
            for n, c in judges.items():
                try:
                    same[n].append(top(c.score((z, sr))) == clean[i][n])
                except CriticError:  # refused as no voice: counts as changed
                    refused[n] += 1
                    same[n].append(False)
        for n in judges:
            out[n][name] = {"same_top_as_clean": round(float(np.mean(same[n])), 3), "refused": refused[n]}
        log(f"  end to end {name}: " + ", ".join(f"{n} {np.mean(v):.2f}" for n, v in same.items()))
    return {"clips": len(sub), "judges": out}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--snr", type=float, nargs="+", default=[30.0, 20.0, 10.0])
    ap.add_argument("--rt60", type=float, nargs="*", default=[0.4, 0.7, 1.0],
                    help="rooms tested (reverberation time, s; no noise)")
    ap.add_argument("--drr", type=float, nargs="+", default=[0.0],
                    help="direct-to-reverberant ratios of the rooms (dB; 0 is a microphone about at the room's "
                         "critical distance, -5 farther off)")
    ap.add_argument("--room-pink", type=float, nargs="*", default=[],
                    help="also each room (DRR 0 dB) with pink noise at these SNRs (dB)")
    ap.add_argument("--every", type=int, default=10, help="end-to-end table: every N-th clip")
    ap.add_argument("--end-to-end-only", action="store_true",
                    help="table 2 alone (the shipped judges, with how many clips each refuses), no refitting")
    ap.add_argument("--json", nargs="?", const="-", default=None)
    args = ap.parse_args(argv)
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.time()
    tested = conditions(args.snr, args.rt60, args.drr, args.room_pink)
    oof = {} if args.end_to_end_only else encoder_out_of_fold(args.data, tested, args.workers, log)
    e2e = shipped_end_to_end(args.data, tested, args.every, log)
    result = {"encoder_out_of_fold": oof, "end_to_end": e2e, "snr_db": args.snr, "rt60_s": args.rt60,
              "seconds": round(time.time() - t0)}
    if emit_json(result, args.json):
        return result
    if oof:
        print("speech/encoder, single file, out of fold (8 speaker folds): RAVDESS UAR / binary arousal / EmoDB UAR / "
              "top label as on the clean clip")
    for heads, rows in oof.items():
        print(f"  heads {heads}")
        for name, f in rows.items():
            print(f"    {name:26s} {f['ravdess_uar']:.3f} / {f['arousal_binary']:.3f} / {f['emodb_uar']:.3f} / "
                  f"{f['same_top_as_clean']:.3f}" + (f" ({f['refused']} refused)" if f["refused"] else ""))
    print(f"shipped judges end to end on {e2e['clips']} clips (their voices are in training): top label as on the "
          "clean clip (refused)")
    for name in next(iter(e2e["judges"].values())):
        print(f"  {name:26s} " + "   ".join(f"{n} {v[name]['same_top_as_clean']:.3f} ({v[name]['refused']})"
                                           for n, v in e2e["judges"].items()))
    print(f"{result['seconds']} s")
    return result


if __name__ == "__main__":
    main()
