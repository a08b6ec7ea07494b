"""Train and validate the embedded image critic on OASIS (valence and arousal means, 1-7 scale).

    python -m critics.training.image --data ../shared/data --out critics/weights

Validation is grouped by concept (OASIS themes such as "Baby 2" and "Baby 4" share a concept; no concept is
split across folds), 10 folds, repeated with 3 seeds. Each image is read averaged with its mirror image, as the
critic reads it (`MIRROR_AVERAGE`; the models are fitted on the images as they are). Several regressors are
compared on the same folds; the best for each target by Pearson r is refit on all images, and both are exported
in one ONNX graph.
Figures: Pearson r and Lin's CCC of out-of-fold predictions. Seeded; about a minute on one core.

Concordance calibration. A regressor fitted for squared error shrinks its predictions towards the mean by about
its correlation r (here 0.24-0.38), so its readings span a third of the scale and its concordance (CCC) with
the ratings is far below r. The CCC-optimal linear map of a predictor stretches it until its spread matches the
ratings' (then CCC = r): ``reading = rating_mean + scale * (prediction - prediction_mean)``, ``scale = sd(ratings)
/ sd(prediction)``, both estimated from the out-of-fold predictions of the chosen model. It leaves the order of
the readings, and so r, unchanged, and is the usual remedy when CCC is the figure of merit (e.g. the AVEC
challenges' post-hoc scaling). The figures report it cross-fitted: each fold's predictions are mapped with the
parameters estimated on the other folds.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import time
from pathlib import Path

import numpy as np

from conditioning.media import load_image
from critics.image.embedded import apply_concordance_map
from critics.image.features import VERSION, extract, feature_names
from critics.image.faces import FACE_FEATURES, FaceCues

SEED = 20261129
#: recorded with the weights: the data they are derived from and its terms
CORPUS = "OASIS (Kurdi, Lozano & Banaji 2017), odd ids, mean valence and arousal ratings"
LICENCE = "OASIS: free for research (its authors' terms); the weights are derived from its ratings and images"
TARGETS = ("valence_mean", "arousal_mean")
#: The key in image_embedded.json saying the critic averages an image's prediction with its mirror image's.
#: Why: the GIST envelope's quadrants and diagonal orientations and the face detector are not mirror-symmetric,
#: and a mirrored OASIS photo read up to 0.77 apart in valence (mean 0.25, on -1..1; the concordance map
#: stretches the regressors' differences threefold). Averaged (`mirror_view`: the mirror's GIST exchanged and its
#: face cues read again), a picture and its mirror read within 0.108 in valence on all 450 (mean 0.021), and the
#: out-of-fold r did not drop (best of four 0.236 -> 0.245 and 0.378 -> 0.379; nested 0.217 -> 0.212, 0.369)
MIRROR_AVERAGE = "mirror_average"


def load_oasis(data: Path, limit: int | None = None, mirrored: bool = False):
    """Features, targets (valence, arousal means) and concept groups of the OASIS images (``mirrored``: of each
    image's left-right mirror image)."""
    root = data / "images" / "oasis"
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if limit:
        rows = rows[:limit]
    names = feature_names() + list(FACE_FEATURES)
    cues = FaceCues()

    def one(path: Path) -> dict[str, float]:
        pixels = load_image(path).pixels
        if mirrored:
            pixels = np.ascontiguousarray(pixels[:, ::-1])
        return {**extract(pixels), **cues(pixels)}

    feats = (one(root / r["path"]) for r in rows)
    X = np.array([[f[n] for n in names] for f in feats])
    Y = np.array([[float(r[t]) for t in TARGETS] for r in rows])
    groups = np.array([re.sub(r"\s*\d+$", "", r["theme"]).strip().lower() for r in rows])
    return X, Y, groups, names


def models(seed: int):
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    return {
        "ridge": lambda: make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 3, 12))),
        "svr": lambda: make_pipeline(StandardScaler(), SVR(C=1.0, epsilon=0.1, gamma="scale")),
        "random_forest": lambda: RandomForestRegressor(200, min_samples_leaf=4, max_features=0.33, random_state=seed),
        "extra_trees": lambda: ExtraTreesRegressor(200, min_samples_leaf=4, max_features=0.5, random_state=seed),
    }


def ccc(x, y) -> float:
    mx, my = x.mean(), y.mean()
    return float(2 * np.mean((x - mx) * (y - my)) / (x.var() + y.var() + (mx - my) ** 2))


def concordance_map(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The CCC-optimal linear map of predictions onto the ratings' scale (module docstring)."""
    return {"prediction_mean": float(pred.mean()), "rating_mean": float(y.mean()),
            "scale": float(y.std() / max(pred.std(), 1e-9))}


def out_of_fold(X, Y, groups, make, seed: int = 0, folds: int = 10, mirrored=None):
    """Out-of-fold predictions (N, targets) of ``make()`` per target column, GroupKFold by concept with the
    concepts shuffled across folds by ``seed``, and each image's fold. ``mirrored``: the features of each image's
    mirror image, whose prediction is averaged with the image's, as the critic reads (`MIRROR_AVERAGE`)."""
    from sklearn.model_selection import GroupKFold

    rng = np.random.default_rng(SEED + seed)
    uniq = np.unique(groups)
    perm = dict(zip(uniq, rng.permutation(len(uniq))))  # shuffle groups across folds per seed
    g = np.array([perm[x] for x in groups])
    pred = np.zeros_like(Y, dtype=np.float64)
    fold_of = np.zeros(len(Y), dtype=int)
    for k, (tr, te) in enumerate(GroupKFold(n_splits=folds).split(X, Y, g)):
        fold_of[te] = k
        for j in range(Y.shape[1]):
            m = make()
            m.fit(X[tr], Y[tr, j])
            pred[te, j] = m.predict(X[te]) if mirrored is None else (m.predict(X[te]) + m.predict(mirrored[te])) / 2
    return pred, fold_of


def oasis_features(data: Path, limit: int | None = None, mirrored: bool = False):
    """(X, Y, groups, names) of OASIS (``mirrored``: of the mirror images), cached under ~/.cache/emostudio by data
    path, limit and feature version."""
    import hashlib

    key = hashlib.sha1(f"{Path(data).resolve()}:{limit}:{VERSION}{':mirrored' if mirrored else ''}".encode()
                       ).hexdigest()[:12]
    cache = Path.home() / ".cache" / "emostudio" / f"oasis_features_{key}.npz"
    names = feature_names() + list(FACE_FEATURES)
    if cache.is_file():
        z = np.load(cache)
        if list(z["names"]) == names:
            return z["X"], z["Y"], z["groups"], names
    X, Y, groups, names = load_oasis(Path(data), limit, mirrored)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, X=X, Y=Y, groups=groups, names=np.array(names))
    return X, Y, groups, names


def mirror_view(data: Path, limit: int | None = None) -> np.ndarray:
    """The mirror images' features as the critic makes them (`critics.image.embedded.EmbeddedImageCritic.
    mirror_features`): the images' own, with the GIST cells exchanged and the face cues of the mirrored images."""
    from critics.image.features import mirror_gist

    X, _, _, names = oasis_features(data, limit)
    faces = oasis_features(data, limit, mirrored=True)[0]
    out = np.array([[mirror_gist(dict(zip(names, row)))[n] for n in names] for row in X])
    cols = [names.index(n) for n in FACE_FEATURES]
    out[:, cols] = faces[:, cols]
    return out


def read_as_shipped(data: Path, weights: Path | None = None):
    """The mirror images' features (`mirror_view`) where the shipped critic averages each picture with its
    mirror image (`MIRROR_AVERAGE` in ``weights``' image_embedded.json), else None: what `out_of_fold` takes as
    ``mirrored`` for out-of-fold readings made as the critic makes them (the benches')."""
    weights = weights or Path(__file__).resolve().parents[1] / "weights"
    meta = json.loads((weights / "image_embedded.json").read_text())
    return mirror_view(data) if meta.get(MIRROR_AVERAGE) else None


def cross_validate(X, Y, groups, make, seeds=(0, 1, 2), folds=10, mirrored=None):
    """Mean r and CCC over seeds, raw and concordance-calibrated (cross-fitted), and the calibration map
    estimated on all out-of-fold predictions pooled over seeds (``mirrored``: `out_of_fold`'s)."""
    out = {t: {"r": [], "ccc": [], "ccc_calibrated": []} for t in TARGETS}
    pooled = {t: ([], []) for t in TARGETS}
    for s in seeds:
        pred, fold_of = out_of_fold(X, Y, groups, make, s, folds, mirrored)
        for j, t in enumerate(TARGETS):
            cal = np.zeros(len(Y))
            for k in np.unique(fold_of):  # cross-fitted: fold k mapped with the other folds' parameters
                rest = fold_of != k
                cal[~rest] = apply_concordance_map(pred[~rest, j], concordance_map(pred[rest, j], Y[rest, j]))
            out[t]["r"].append(float(np.corrcoef(pred[:, j], Y[:, j])[0, 1]))
            out[t]["ccc"].append(ccc(pred[:, j], Y[:, j]))
            out[t]["ccc_calibrated"].append(ccc(cal, Y[:, j]))
            pooled[t][0].append(pred[:, j])
            pooled[t][1].append(Y[:, j])
    res = {t: {k: round(float(np.mean(v)), 4) for k, v in d.items()} for t, d in out.items()}
    for t in TARGETS:
        res[t]["map"] = {k: round(v, 5) for k, v in concordance_map(np.concatenate(pooled[t][0]),
                                                                    np.concatenate(pooled[t][1])).items()}
    return res


def export(model, n_features: int, path: Path, X: np.ndarray) -> None:
    """ONNX regressor (features -> one value on the 1-7 scale), checked against scikit-learn's output."""
    import onnxruntime as ort
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    g = convert_sklearn(model, path.stem, [("features", FloatTensorType([None, n_features]))],
                        target_opset={"": 17, "ai.onnx.ml": 3})
    path.write_bytes(g.SerializeToString())
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"features": X[:20]})[0]
    assert np.allclose(np.ravel(got), model.predict(X[:20]), atol=1e-3), "ONNX export disagrees with scikit-learn"


def main(argv=None) -> None:
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "weights")
    ap.add_argument("--limit", type=int, help="use only the first N images (to test the script)")
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--no-mirror", action="store_true",
                    help="read each image alone, not averaged with its mirror image (the weights before 2026-12-06)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    X, Y, groups, names = oasis_features(args.data, args.limit)
    mirrored = None if args.no_mirror else mirror_view(args.data, args.limit)
    print(f"features: {X.shape} from {len(np.unique(groups))} concepts in {time.perf_counter() - t0:.1f}s")
    folds = min(args.folds, len(np.unique(groups)))
    results = {}
    for name, make in models(SEED).items():
        results[name] = cross_validate(X, Y, groups, make, seeds=tuple(range(args.seeds)), folds=folds,
                                       mirrored=mirrored)
        r = results[name]
        print(f"{name:14s} " + "  ".join(f"{t.split('_')[0]} r={r[t]['r']:.3f} ccc={r[t]['ccc']:.3f} "
                                         f"calibrated ccc={r[t]['ccc_calibrated']:.3f}" for t in TARGETS))
    best = {t: max(results, key=lambda k: results[k][t]["r"]) for t in TARGETS}
    mv, ma = models(SEED)[best["valence_mean"]](), models(SEED)[best["arousal_mean"]]()
    mv.fit(X.astype(np.float32), Y[:, 0])
    ma.fit(X.astype(np.float32), Y[:, 1])
    args.out.mkdir(parents=True, exist_ok=True)
    Xf = X.astype(np.float32)
    export(mv, X.shape[1], args.out / "image_embedded_valence.onnx", Xf)
    export(ma, X.shape[1], args.out / "image_embedded_arousal.onnx", Xf)
    meta = {"features": names, "model": best, "targets": list(TARGETS), "scale": [1, 7], "seed": SEED,
            MIRROR_AVERAGE: not args.no_mirror,
            "concordance_map": {t: results[best[t]][t]["map"] for t in TARGETS},
            "n_images": int(len(X)), "n_concepts": int(len(np.unique(groups))),
            "data": {"corpus": CORPUS, "licence": LICENCE},
            "validation": {"protocol": f"GroupKFold by concept, {folds} folds x {args.seeds} seeds, out-of-fold"
                                       + ("" if args.no_mirror else ", each image read averaged with its mirror"),
                           "models": results, "best": best,
                           "figures": {t: results[best[t]][t] for t in TARGETS}}}
    (args.out / "image_embedded.json").write_text(json.dumps(meta, indent=1))
    print(f"best: {best}; wrote {args.out}/image_embedded_*.onnx in {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
