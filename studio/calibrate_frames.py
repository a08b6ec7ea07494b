"""Build the frame-level spectral conversion table (`generators/speech/conversion.py`) from RAVDESS actors.

    python -m studio.calibrate_frames --data ../shared/data [--out generators/speech/_conversion.npz]

What it measures: for every actor, statement and repetition, the neutral clip and each emotional clip of the
same sentence are analysed as the renderer analyses a voice (WORLD, 10 ms frames, 16 kHz) and aligned by DTW
on their MFCCs. Each voiced emotional frame whose aligned neutral frame is voiced gives one pair: the neutral
frame's key (`conversion.keys`) and the change of mel-cepstrum c1-c23 from it. The keys of all neutral frames
are clustered (k-means, ``--clusters``); each emotion and intensity then gets, per cluster, the mean change of
the pairs whose neutral frame falls in it, shrunk towards the emotion's mean change by ``SHRINK`` pseudo-frames
(a cluster with few pairs says little). Stored as float16: about 200 kB.

Why in `studio/`: like `studio.calibrate` (which writes the long-term spectra), it reads the shared human
corpora to build a generator's table; the generator only reads the result.
"""
from __future__ import annotations

import argparse
import csv
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from studio.calibrate import RAVDESS_TO_TERM

RATE, FRAME_MS = 16000, 10.0
SHRINK = 5.0  #: pseudo-frames of the emotion's mean change added to every cluster's mean
OUT = Path(__file__).resolve().parents[1] / "generators" / "speech" / "_conversion.npz"


def _analyse(path: str, ceil: float):
    """(mel-cepstrum c0..c23, f0, MFCC for the alignment) of one clip, analysed as the renderer does."""
    import librosa

    from conditioning.media import load_audio
    from conditioning.vocoder import analyse
    from generators.speech.conversion import cepstrum

    y = load_audio(path, rate=RATE).samples
    feat = analyse(y.astype(np.float64), RATE, frame_period=FRAME_MS, f0_ceil=ceil, speed=2, bin_step=2)
    mfcc = librosa.feature.mfcc(y=y.astype(np.float32), sr=RATE, n_mfcc=20, hop_length=int(RATE * FRAME_MS / 1000),
                                n_fft=512)[1:]
    return cepstrum(feat.sp, feat.freqs), feat.f0, mfcc


def align(mfcc_emotional: np.ndarray, mfcc_neutral: np.ndarray, n_emotional: int, n_neutral: int) -> np.ndarray:
    """For each of the emotional clip's ``n_emotional`` WORLD frames, the index of its DTW-aligned neutral frame
    (DTW on the clips' MFCCs, (coefficients, frames), taken at the WORLD frame hop)."""
    import librosa

    _, path = librosa.sequence.dtw(X=mfcc_emotional, Y=mfcc_neutral)
    m = np.zeros(mfcc_emotional.shape[1], int)
    for i, j in path[::-1]:
        m[i] = j
    return np.clip(np.interp(np.arange(n_emotional), np.arange(len(m)), m).astype(int), 0, n_neutral - 1)


def _clips(data: Path, actors: set[str] | None):
    """{(actor, statement, repetition): {('neutral', 'normal') or (label, intensity): path}}."""
    root = data / "speech" / "ravdess"
    if not (root / "labels.csv").is_file():
        raise FileNotFoundError(f"{root / 'labels.csv'} not found; --data must point at the shared data folder")
    groups: dict[tuple, dict] = {}
    with open(root / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            if actors and row["actor"] not in actors:
                continue
            key = (row["actor"], row["statement"], row["repetition"])
            groups.setdefault(key, {})[(row["emotion"], row["intensity"])] = str(root / row["path"])
    return groups


def build(data: Path, clusters: int = 256, actors: set[str] | None = None, workers: int = 1,
          max_groups: int | None = None, log=print) -> dict:
    """The table's arrays (see the module docstring); ``max_groups``: only the first (actor, statement,
    repetition) groups, for tests."""
    from sklearn.cluster import MiniBatchKMeans

    from generators.speech.conversion import keys

    groups = _clips(data, actors)
    if max_groups:
        groups = dict(list(groups.items())[:max_groups])
    paths = [p for g in groups.values() for p in g.values()]
    ceilings = [500.0 if lab == "neutral" else 650.0 for g in groups.values() for lab, _ in g]  # screams go high
    if workers > 1:
        with ProcessPoolExecutor(workers) as ex:
            analysed = dict(zip(paths, ex.map(_analyse, paths, ceilings)))
    else:
        analysed = dict(zip(paths, map(_analyse, paths, ceilings)))
    log(f"  analysed {len(analysed)} RAVDESS clips of {len({a for a, _, _ in groups})} actors")
    neutral_keys, voiced, pairs = [], [], {}  # pairs: (term, level) -> [(neutral clip no., frames, changes)]
    for g in groups.values():
        if ("neutral", "normal") not in g:
            continue
        n = analysed[g[("neutral", "normal")]]
        neutral_keys.append(keys(n[0], n[1] > 0, FRAME_MS))
        voiced.append(neutral_keys[-1][n[1] > 0])
        for (lab, level), p in g.items():
            if lab == "neutral":
                continue
            e = analysed[p]
            m = align(e[2], n[2], len(e[1]), len(n[1]))
            v = (e[1] > 0) & (n[1][m] > 0)
            pairs.setdefault((RAVDESS_TO_TERM[lab], level), []).append(
                (len(neutral_keys) - 1, m[v], (e[0] - n[0][m])[v, 1:]))
    km = MiniBatchKMeans(clusters, random_state=0, n_init=3, batch_size=2048).fit(np.concatenate(voiced))
    cluster_of = [km.predict(k) for k in neutral_keys]  # every neutral frame's centroid, once
    out = {"centroids": km.cluster_centers_.astype(np.float16)}
    for (term, level), ps in sorted(pairs.items()):
        ids = np.concatenate([cluster_of[i][frames] for i, frames, _ in ps])
        d = np.concatenate([x for _, _, x in ps])
        table = np.zeros((clusters, d.shape[1]))
        np.add.at(table, ids, d)
        counts = np.bincount(ids, minlength=clusters)[:, None]
        out[f"{level}_{term}"] = ((table + SHRINK * d.mean(axis=0)) / (counts + SHRINK)).astype(np.float16)
    log(f"  {clusters} clusters over {sum(len(k) for k in voiced)} voiced neutral frames; "
        f"{len(pairs)} emotion x intensity tables")
    return out


def main(argv: list[str] | None = None) -> Path:
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--clusters", type=int, default=256)
    ap.add_argument("--actors", default="", help="comma-separated RAVDESS actor ids (default: all)")
    ap.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    args = ap.parse_args(argv)
    tables = build(args.data, args.clusters, set(args.actors.split(",")) - {""} or None, args.workers)
    tmp = args.out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **tables)
    tmp.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")
    return args.out


if __name__ == "__main__":
    main()
