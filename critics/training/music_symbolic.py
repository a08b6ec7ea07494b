"""Train and validate the symbolic music emotion critic (`critics.music.symbolic`).

    python -m critics.training.music_symbolic --data ../shared/data --out critics/weights

Data: EMOPIA (Hung et al. 2021) piano MIDI clips from ``<data>/music/emopia``, ALL clips (the corpus's
train and val splits together), labelled with Russell quadrants Q1..Q4. Only the notes are read
(`critics.music.symbolic_features`); nothing is rendered.

Protocol (DESIGN.md section 4: selection by grouped cross-validation, not one validation split):

1. Model selection: 5-fold StratifiedGroupKFold grouped by SOURCE PIECE (clip ids are
   Q<k>_<youtubeid>_<n>; all clips of a piece fall in one fold, asserted) over a handful of candidates
   (logistic regression at a few C, histogram and classic gradient boosting, RBF SVM, small MLPs), some
   also with training folds augmented by transposition (-3..+3 semitones) and tempo scaling (0.9, 1.1):
   held-out folds are never augmented. A candidate is eligible only if, fitted on all clips, it reads
   the synthetic cue probes of `critics.training.music.cue_probes` the right way (bright: V > 0, A > 0;
   dark: A < 0, lower in both). The eligible candidate with the best grouped-CV accuracy wins.
2. Figures for the winner: repeated grouped CV (3 seeds x 5 folds), mean +- sd over folds of 4-quadrant
   accuracy, macro-F1, valence-sign and arousal-sign accuracy, and the pooled confusion matrix.
3. Calibration: temperature scaling of the log-probabilities. Out of fold, the temperature applied to a
   fold is fitted on the out-of-fold predictions of the other folds (cross-fitting), so the expected
   calibration error (top label, 10 bins) before and after is an honest held-out figure. The shipped
   temperature is fitted on all out-of-fold predictions.
4. For comparison only (not used for any choice): the winner trained on the official train split and
   scored on the official val split.
5. Refit on all clips, export to ONNX (skl2onnx) with the temperature appended to the graph, check
   onnxruntime against scikit-learn (max |diff|), write ``music_symbolic.onnx`` and ``music_symbolic.json``.

Descriptors are cached under ``~/.cache/emostudio/music_symbolic`` keyed by a hash of the feature code.
Everything is seeded; one core is used.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from critics.music import QUADRANTS  # noqa: E402
from critics.training.music import Clip, _module_hash, cue_probes, load_clips, probe_check, scores  # noqa: E402

#: augmentation variants of a training clip: (name, transposition in semitones, tempo factor)
VARIANTS = (("orig", 0, 1.0),) + tuple((f"t{k:+d}", k, 1.0) for k in (-3, -2, -1, 1, 2, 3)) + \
    (("s0.9", 0, 0.9), ("s1.1", 0, 1.1))
ONNX_NAME = "music_symbolic"


def code_hash() -> str:
    """Hash of the feature code (its syntax tree without docstrings): a change to what it computes
    invalidates the cache, a change to its documentation does not."""
    import critics.music.symbolic_features as features

    h = hashlib.sha256()
    _module_hash(h, features)
    h.update(repr(VARIANTS).encode())
    return h.hexdigest()[:16]


def clip_features(clip: Clip, cache: Path, key: str, augment: bool) -> np.ndarray:
    """(variants, d) descriptors of one clip: row 0 the clip itself, then VARIANTS[1:] if `augment`."""
    import pretty_midi

    from critics.music.symbolic_features import extract, notes_of

    target = cache / f"{clip.path.stem}_{key}.npy"
    if target.is_file():
        vec = np.load(target)
        return vec if augment else vec[:1]
    notes = notes_of(pretty_midi.PrettyMIDI(str(clip.path)))
    rows = [extract(notes.transposed(k).stretched(s)) for _, k, s in (VARIANTS if augment else VARIANTS[:1])]
    vec = np.stack(rows)
    if augment:  # only complete rows are cached
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp.npy")
        np.save(tmp, vec)
        os.replace(tmp, target)
    return vec


def build_features(clips: list[Clip], cache: Path, augment: bool, log=print) -> np.ndarray:
    """(clips, variants, d) descriptors, from the cache where present."""
    key = code_hash()
    t0, out = time.time(), []
    for i, clip in enumerate(clips):
        out.append(clip_features(clip, cache, key, augment))
        if (i + 1) % 200 == 0:
            el = time.time() - t0
            log(f"  features {i + 1}/{len(clips)}  {el:.0f}s elapsed, ~{el / (i + 1) * (len(clips) - i - 1):.0f}s left")
    return np.stack(out)


# ------------------------------------------------------------------------------------------ models


def candidates(seed: int, quick: bool) -> dict[str, tuple[object, bool]]:
    """The models compared by grouped cross-validation: name -> (unfitted model, augment training folds)."""
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    # SVC(probability=True) (Platt scaling, which skl2onnx exports) is deprecated from scikit-learn 1.9.
    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")

    def logreg(c):
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))

    models = {f"logreg_C{c}": (logreg(c), False) for c in ((0.03,) if quick else (0.01, 0.03, 0.1, 0.3))}
    if quick:
        return models

    def hgb():
        return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_depth=3, l2_regularization=1.0,
                                              random_state=seed)

    models["hgb"] = (hgb(), False)
    models["gboost"] = (make_pipeline(StandardScaler(), GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=seed)), False)
    for c in (1.0, 3.0):
        models[f"svm_rbf_C{c}"] = (make_pipeline(
            StandardScaler(), SVC(C=c, kernel="rbf", gamma="scale", probability=True, random_state=seed)), False)
    for alpha in (0.1, 1.0):
        models[f"mlp64_a{alpha}"] = (make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(64,), alpha=alpha, max_iter=600, early_stopping=True, validation_fraction=0.15,
            n_iter_no_change=30, random_state=seed)), False)
    models["logreg_C0.03+aug"] = (logreg(0.03), True)
    models["hgb+aug"] = (hgb(), True)
    return models


def fit(model, F: np.ndarray, y: np.ndarray, idx: np.ndarray, augment: bool):
    """Fit a clone of `model` on clips `idx` (and their augmented variants if `augment`)."""
    from sklearn.base import clone

    rows = F[idx] if augment else F[idx, :1]  # (n, variants, d)
    X = rows.reshape(-1, F.shape[2])
    return clone(model).fit(X, np.repeat(y[idx], rows.shape[1]))


def grouped_splits(y: np.ndarray, groups: np.ndarray, seed: int, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedGroupKFold

    n_folds = min(folds, len(np.unique(groups)))
    split = list(StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(y, y, groups))
    for tr, te in split:  # the promise the whole validation rests on: no piece in two folds
        assert not set(groups[tr]) & set(groups[te]), "a piece fell in two folds"
    seen = np.concatenate([te for _, te in split])
    assert np.array_equal(np.sort(seen), np.arange(len(y)))
    return split


def oof_proba(model, augment: bool, F, y, split) -> np.ndarray:
    """Out-of-fold probabilities (n, 4) of the un-augmented clips."""
    p = np.zeros((len(y), len(QUADRANTS)))
    for tr, te in split:
        p[te] = fit(model, F, y, tr, augment).predict_proba(F[te, 0])
    return p


def fold_scores(y, p, split) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for _, te in split:
        s = scores(y[te], p[te])
        for k in ("accuracy_4q", "macro_f1", "valence_sign_accuracy", "arousal_sign_accuracy"):
            out.setdefault(k, []).append(s[k])
    return out


# ------------------------------------------------------------------------------------------ calibration


def apply_temperature(p: np.ndarray, t: float) -> np.ndarray:
    z = np.log(np.clip(p, 1e-7, 1.0)) / t
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def fit_temperature(p: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of softmax(log p / T)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t):
        q = apply_temperature(p, float(np.exp(log_t)))
        return -float(np.mean(np.log(np.clip(q[np.arange(len(y)), y], 1e-12, None))))

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top label (equal-width confidence bins)."""
    conf, hit = p.max(axis=1), (p.argmax(axis=1) == y).astype(float)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    return float(sum(abs(hit[which == b].mean() - conf[which == b].mean()) * np.mean(which == b)
                     for b in range(bins) if np.any(which == b)))


def cross_fitted(p: np.ndarray, y: np.ndarray, split) -> np.ndarray:
    """Out-of-fold probabilities calibrated fold by fold with a temperature fitted on the other folds."""
    q = np.zeros_like(p)
    for _, te in split:
        rest = np.setdiff1d(np.arange(len(y)), te)
        q[te] = apply_temperature(p[te], fit_temperature(p[rest], y[rest]))
    return q


# ------------------------------------------------------------------------------------------ export


def export_onnx(model, n_features: int, temperature: float, path: Path, X_check: np.ndarray) -> float:
    """Write the fitted model as ONNX with `softmax(log p / T)` appended (output "probabilities") and
    return max |onnxruntime - scikit-learn| on `X_check`."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    clf = model.steps[-1][1] if hasattr(model, "steps") else model
    onx = convert_sklearn(model, initial_types=[("features", FloatTensorType([None, n_features]))],
                          options={id(clf): {"zipmap": False}}, target_opset=17)
    graph = onx.graph
    prob = graph.output[1]  # skl2onnx: [label, probabilities]
    raw = prob.name
    for node in graph.node:  # rename the model's output so the calibrated one can take its name
        node.output[:] = ["raw_probabilities" if o == raw else o for o in node.output]
    graph.initializer.extend([helper.make_tensor("calib_eps", TensorProto.FLOAT, [], [1e-7]),
                              helper.make_tensor("calib_inv_t", TensorProto.FLOAT, [], [1.0 / temperature])])
    graph.node.extend([
        helper.make_node("Max", ["raw_probabilities", "calib_eps"], ["calib_clipped"]),
        helper.make_node("Log", ["calib_clipped"], ["calib_log"]),
        helper.make_node("Mul", ["calib_log", "calib_inv_t"], ["calib_logits"]),
        helper.make_node("Softmax", ["calib_logits"], ["probabilities"], axis=1),
    ])
    del graph.output[:]
    graph.output.extend([helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(QUADRANTS)])])
    onnx.checker.check_model(onx)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    got = sess.run(["probabilities"], {"features": X_check.astype(np.float32)})[0]
    want = apply_temperature(model.predict_proba(X_check.astype(np.float32)), temperature)
    return float(np.max(np.abs(got - want)))


def _ms(values) -> dict:
    return {"mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values)), 4)}


def main(argv: list[str] | None = None) -> int:
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=Path("critics/weights"))
    ap.add_argument("--cache", type=Path, default=Path("~/.cache/emostudio/music_symbolic").expanduser())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-quadrant", type=int, default=None, help="train clips per quadrant (a quick slice)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3, help="seeds of the winner's repeated grouped CV")
    ap.add_argument("--quick", action="store_true", help="one model, no augmentation (tests)")
    ap.add_argument("--name", default=ONNX_NAME, help="output file stem")
    args = ap.parse_args(argv)

    from critics.music.symbolic_features import FEATURE_VERSION, extract, feature_names

    log = lambda *a: print(*a, flush=True)  # noqa: E731
    t_start = time.time()
    np.random.seed(args.seed)
    clips = load_clips(args.data, args.per_quadrant, args.seed)
    y = np.array([QUADRANTS.index(c.quadrant) for c in clips])
    groups = np.array([c.piece for c in clips])
    official = np.array([c.split for c in clips])
    log(f"EMOPIA: {len(clips)} clips ({np.sum(official == 'train')} train + {np.sum(official == 'val')} val), "
        f"{len(np.unique(groups))} pieces")
    models = candidates(args.seed, args.quick)
    augment = any(a for _, a in models.values())
    F = build_features(clips, args.cache.expanduser(), augment, log)  # (clips, variants, d)
    log(f"features: {F.shape}, {time.time() - t_start:.0f}s")

    # 1. selection by song-grouped CV, among models that pass the cue probes
    split = grouped_splits(y, groups, args.seed, args.folds)
    probes = np.stack([extract(pm) for pm in cue_probes()])
    cv: dict[str, dict] = {}
    fitted = {}
    for name, (model, aug) in models.items():
        t0 = time.time()
        p = oof_proba(model, aug, F, y, split)
        accs = fold_scores(y, p, split)["accuracy_4q"]
        fitted[name] = fit(model, F, y, np.arange(len(y)), aug)
        probe = probe_check(fitted[name], probes)
        cv[name] = {"cv_accuracy_mean": float(np.mean(accs)), "cv_accuracy_sd": float(np.std(accs)),
                    "folds": [round(a, 4) for a in accs], "augmented": aug, "probe": probe,
                    "seconds": round(time.time() - t0, 1)}
        log(f"  {name:18s} cv acc {np.mean(accs):.3f} +- {np.std(accs):.3f}  probes "
            f"{'pass' if probe['passed'] else 'FAIL'} {probe['bright_va']} {probe['dark_va']}  ({time.time() - t0:.0f}s)")
    eligible = [k for k in cv if cv[k]["probe"]["passed"]] or list(cv)
    best = max(eligible, key=lambda k: cv[k]["cv_accuracy_mean"])
    model, aug = models[best]
    log(f"best by grouped CV among models passing the probes: {best}")

    # 2-3. repeated grouped CV of the winner, calibration out of fold
    reps, raw_ece, cal_ece, raw_nll, cal_nll = {}, [], [], [], []
    confusion = np.zeros((4, 4), dtype=int)
    all_p, all_y = [], []
    for r in range(args.repeats):
        sp = split if r == 0 else grouped_splits(y, groups, args.seed + r, args.folds)
        p = oof_proba(model, aug, F, y, sp)
        q = cross_fitted(p, y, sp)
        for k, v in fold_scores(y, q, sp).items():
            reps.setdefault(k, []).extend(v)
        confusion += np.array(scores(y, q)["confusion"])
        raw_ece.append(ece(p, y))
        cal_ece.append(ece(q, y))
        raw_nll.append(-float(np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)))))
        cal_nll.append(-float(np.mean(np.log(np.clip(q[np.arange(len(y)), y], 1e-12, None)))))
        all_p.append(p)
        all_y.append(y)
    temperature = fit_temperature(np.concatenate(all_p), np.concatenate(all_y))
    figures = {k: _ms(v) for k, v in reps.items()}
    calibration = {"method": "temperature scaling of log-probabilities; out of fold each fold's temperature is "
                             "fitted on the other folds' out-of-fold predictions",
                   "temperature": round(temperature, 4), "ece_before": _ms(raw_ece), "ece_after": _ms(cal_ece),
                   "nll_before": _ms(raw_nll), "nll_after": _ms(cal_nll), "bins": 10}
    log(f"  {best}: repeated grouped CV ({args.repeats} x {len(split)} folds): "
        + ", ".join(f"{k} {v['mean']:.3f} +- {v['sd']:.3f}" for k, v in figures.items()))
    log(f"  calibration: T = {temperature:.3f}; ECE {np.mean(raw_ece):.3f} -> {np.mean(cal_ece):.3f}, "
        f"NLL {np.mean(raw_nll):.3f} -> {np.mean(cal_nll):.3f} (out of fold)")
    log(f"  confusion (rows true Q1..Q4, summed over repeats): {confusion.tolist()}")

    # 4. official split, for comparison only
    tr, va = np.flatnonzero(official == "train"), np.flatnonzero(official == "val")
    val = {}
    if len(tr) and len(va):
        pv = fit(model, F, y, tr, aug).predict_proba(F[va, 0])
        val = scores(y[va], apply_temperature(pv, temperature))
        val["ece_before"], val["ece_after"] = ece(pv, y[va]), ece(apply_temperature(pv, temperature), y[va])
        log(f"  official split (train -> val, n={val['n']}): 4Q acc {val['accuracy_4q']:.3f}  macro-F1 "
            f"{val['macro_f1']:.3f}  valence-sign {val['valence_sign_accuracy']:.3f}  arousal-sign "
            f"{val['arousal_sign_accuracy']:.3f}")

    # 5. refit on everything, export, check
    final = fitted[best]
    onnx_path = args.out / f"{args.name}.onnx"
    check = np.concatenate([F[:, 0], probes])
    diff = export_onnx(final, F.shape[2], temperature, onnx_path, check)
    size = onnx_path.stat().st_size
    log(f"ONNX written to {onnx_path} ({size} bytes); max |onnxruntime - sklearn| = {diff:.2e}")
    if diff > 1e-4:
        log("ERROR: ONNX export does not reproduce scikit-learn")
        return 1

    meta = {
        "model": best, "augmented": aug, "labels": list(QUADRANTS), "feature_names": feature_names(),
        "feature_version": FEATURE_VERSION, "code_hash": code_hash(),
        "input": "features", "output_probabilities": "probabilities", "temperature": round(temperature, 6),
        "feature_mean": F[:, 0].mean(axis=0).round(6).tolist(), "feature_std": F[:, 0].std(axis=0).round(6).tolist(),
        "data": {"corpus": "EMOPIA (Hung et al. 2021), piano pop MIDI transcriptions, train + val clips together",
                 "licence": "EMOPIA: CC BY-NC-SA 4.0 (research); the weights are derived from it",
                 "clips": len(clips), "pieces": int(len(np.unique(groups))),
                 "official_train_clips": int(len(tr)), "official_val_clips": int(len(va)),
                 "per_quadrant": args.per_quadrant,
                 "augmentation": "training folds only, when the model name ends in +aug: " +
                                 ", ".join(n for n, _, _ in VARIANTS[1:])},
        "seed": args.seed,
        "selection": {"scheme": f"StratifiedGroupKFold({len(split)}) by source piece, seed {args.seed}",
                      "rule": "best grouped-CV accuracy among models whose fit on all clips reads the bright cue "
                              "probe (major, 140 BPM, loud, staccato) as V > 0, A > 0, the dark one (minor, 60 BPM, "
                              "soft, legato) as A < 0, and the bright one higher in both "
                              "(critics.training.music.cue_probes)",
                      "results": cv},
        "cv": {"scheme": f"{args.repeats} seeds x StratifiedGroupKFold({len(split)}) by source piece, calibrated "
                         "out of fold; mean +- sd over folds", "figures": figures,
               "confusion_rows_true_cols_pred": confusion.tolist()},
        "calibration": calibration,
        "official_split_val": val,
        "onnx_max_abs_diff": diff, "onnx_bytes": size,
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "command": "python -m critics.training.music_symbolic " + " ".join(sys.argv[1:] if argv is None else argv),
        "train_seconds": round(time.time() - t_start, 1),
    }
    (args.out / f"{args.name}.json").write_text(json.dumps(meta, indent=1) + "\n")
    log(f"metadata written to {args.out / (args.name + '.json')}; total {time.time() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
