"""Train and validate the embedded speech emotion critic (`critics.speech.embedded`).

    python -m critics.training.speech --data ../shared/data --out critics/weights

Data: RAVDESS speech (actors 01-16, 8 labels) and Berlin EmoDB (10 speakers, 7 labels) from
``<data>/speech``. Features (`critics.speech.features`) are cached under ``~/.cache/emostudio/speech``
(keyed by the feature code's hash), never in the repository.

Validation is speaker-independent: K folds that each hold out a quarter of the RAVDESS actors and of the
EmoDB speakers, so no voice is ever both trained and tested on. Two input conditions are reported,
because the gap between them is large and users must know which one they are in:

- ``population``: features standardised with statistics of the training population only (what the critic
  does by default, on a voice it knows nothing about);
- ``speaker``: features of each speaker shifted by the mean of that speaker's *neutral* recordings (what the
  critic does when given ``speaker_reference`` audio, e.g. a neutral take of the same voice); a test clip
  that is itself neutral is never part of its own reference (leave-one-out).
- ``speaker_z``: features z-normalised by the mean and std of *all* of a speaker's clips (the protocol most
  published RAVDESS/EmoDB figures use; the critic does it with ``speaker_reference_kind="mixed"``, given
  many varied clips of the voice, e.g. the whole batch being scored).

The model is three linear heads over the standardised features: a RAVDESS-8 softmax (multinomial
logistic regression, optionally also trained on EmoDB clips mapped onto RAVDESS labels, which makes it
generalise beyond one corpus), an EmoDB-7 softmax (EmoDB clips only) and a valence/arousal/dominance ridge
regression on the labels' coordinates in the shared space (`conditioning.label_set(...).point`). The
critic's VAD per dimension is the regression head, the expected point of the RAVDESS distribution, or
their mean, whichever has the best out-of-fold CCC. Logistic regression beat an RBF SVM, extra trees, a
multi-task MLP and (``--cnn``) a log-mel CNN and its late fusion in these folds: see the card
(critics/cards/speech-embedded.md). The chosen configuration per condition is refit on all data and
exported as ONNX graphs (standardisation inside), with a JSON beside them (feature names, labels,
figures, command).
Everything is seeded; one core is used (``torch.set_num_threads(1)``), as the machine is shared.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from critics.base import softmax
from critics.training.recording import conditions_record, noise_jobs

RAVDESS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
#: Where the functionals are cached (outside the repository; `extract` adds the feature code's hash)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "emostudio" / "speech"
EMODB = ("anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral")
#: recorded with the weights: the terms of the data they are derived from
LICENCE = ("RAVDESS (Livingstone & Russo 2018): CC BY-NC-SA 4.0; EmoDB (Burkhardt et al. 2005): free for research; "
           "the weights are derived from them (research use)")
#: RAVDESS label -> EmoDB label for cross-corpus scoring of the RAVDESS head (boredom has no RAVDESS label;
#: calm, the low-arousal non-neutral state, is the nearest)
RAV_TO_EMODB = {"neutral": "neutral", "calm": "boredom", "happy": "happiness", "sad": "sadness",
                "angry": "anger", "fearful": "fear", "disgust": "disgust", "surprised": None}


@dataclass
class Item:
    path: Path
    corpus: str  #: "ravdess" | "emodb"
    speaker: str  #: corpus-prefixed, e.g. "ravdess/01"
    label: str
    sex: str


def load_items(data: Path, per_speaker: int | None = None, emodb: bool = True) -> list[Item]:
    """The labelled clips of both corpora (optionally a slice for quick runs and tests)."""
    items: list[Item] = []
    root = Path(data) / "speech"
    if not (root / "ravdess" / "labels.csv").is_file():
        raise FileNotFoundError(f"{root / 'ravdess' / 'labels.csv'} not found; --data must point at the shared "
                                "data folder (the one holding speech/ravdess and speech/emodb)")
    with open(root / "ravdess" / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            items.append(Item(root / "ravdess" / row["path"], "ravdess", f"ravdess/{row['actor']}",
                              row["emotion"], row["sex"]))
    if emodb and (root / "emodb" / "labels.csv").is_file():
        with open(root / "emodb" / "labels.csv", newline="") as f:
            for row in csv.DictReader(f):
                items.append(Item(root / "emodb" / row["path"], "emodb", f"emodb/{row['speaker']}",
                                  row["emotion"], row["sex"]))
    if per_speaker:  # stride through each speaker's files so every label keeps some clips
        by_speaker: dict[str, list[Item]] = {}
        for it in items:
            by_speaker.setdefault(it.speaker, []).append(it)
        items = [it for clips in by_speaker.values() for it in clips[::max(1, len(clips) // per_speaker)][:per_speaker]]
    return items


def _code_hash() -> str:
    from critics.speech import features

    return hashlib.sha1(Path(features.__file__).read_bytes()).hexdigest()[:10]


def extract(items: list[Item], cache_dir: Path, log=print, level: str = "recorded", jobs: list | None = None,
            workers: int = 1) -> tuple[np.ndarray, list[np.ndarray]]:
    """Functionals (N, F) and log-mels [(64, T_i)] for the items at an input ``level`` (`features.set_level`:
    "recorded", or "fixed" for the single-file heads), cached per file, recording condition, feature-code version
    and level. ``jobs``: per item a recording condition (`critics.training.recording.noise_jobs`) or None (the
    clip as recorded); computed on ``workers`` processes."""
    from concurrent.futures import ProcessPoolExecutor

    from critics.training.recording import noise_key

    cache_dir = Path(cache_dir) / (_code_hash() + ("" if level == "recorded" else f"_{level}"))
    cache_dir.mkdir(parents=True, exist_ok=True)
    jobs = jobs or [None] * len(items)
    files = [cache_dir / (hashlib.sha1(f"{it.path.resolve()}{noise_key(p)}".encode()).hexdigest()[:16] + ".npz")
             for it, p in zip(items, jobs)]  # (no condition: the keys the clean clips always had)
    todo = [i for i, fn in enumerate(files) if not fn.is_file()]
    t0 = time.time()
    with ProcessPoolExecutor(workers) if workers > 1 and len(todo) > 1 else _Inline() as pool:
        for n, (i, (x, m)) in enumerate(zip(todo, pool.map(_features_job, [(items[i].path, jobs[i], level)
                                                                           for i in todo], chunksize=8))):
            np.savez(files[i], x=x, m=m.astype(np.float16))
            if (n + 1) % 250 == 0:
                log(f"  features {n + 1}/{len(todo)} computed ({time.time() - t0:.0f} s)")
    X, mels = [], []
    for fn in files:
        z = np.load(fn)
        X.append(z["x"])
        mels.append(z["m"].astype(np.float32))
    return np.stack(X).astype(np.float32), mels


def _features_job(job) -> tuple[np.ndarray, np.ndarray]:
    """(functionals, log-mel) of one clip, as recorded or in its recording condition (`extract`)."""
    import soundfile as sf

    from critics.speech import features as F
    from critics.training.recording import noisy

    path, p, level = job
    y, sr = sf.read(str(path), dtype="float32", always_2d=False)
    if p is not None:  # noise over the whole recording, then trimmed, as a user's file would be
        y = noisy(y, sr, p)
    y = F.set_level(F.prepare(y, sr), level)
    return F.functionals(y), F.log_mel(y)


class _Inline:
    """A one-process stand-in for the executor (no pool start-up for a few clips)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def map(fn, jobs, chunksize=1):
        return map(fn, jobs)


# ----------------------------------------------------------------------------------------- splits, norms

def make_folds(items: list[Item], k: int) -> np.ndarray:
    """Speaker-independent fold of every item: RAVDESS actors in contiguous blocks (odd actors are male,
    even female, so each block mixes both), EmoDB speakers round-robin in sorted order."""
    fold = np.zeros(len(items), dtype=int)
    for corpus in ("ravdess", "emodb"):
        spk = sorted({it.speaker for it in items if it.corpus == corpus})
        if not spk:
            continue
        if corpus == "ravdess":
            size = int(np.ceil(len(spk) / k))
            where = {s: min(i // size, k - 1) for i, s in enumerate(spk)}
        else:
            where = {s: i % k for i, s in enumerate(spk)}
        for i, it in enumerate(items):
            if it.corpus == corpus:
                fold[i] = where[it.speaker]
    return fold


def speaker_shift(X: np.ndarray, items: list[Item]) -> np.ndarray:
    """Each clip minus the mean of its speaker's neutral clips (not counting itself), as the critic does with
    a `speaker_reference`; a speaker with no other neutral clip falls back to the mean of all its clips."""
    spk = np.array([it.speaker for it in items])
    lab = np.array([it.label for it in items])
    out = X.copy()
    for s in np.unique(spk):
        idx = np.flatnonzero(spk == s)
        neu = idx[lab[idx] == "neutral"]
        for i in idx:
            ref = neu[neu != i]
            out[i] = X[i] - (X[ref].mean(0) if ref.size else X[idx].mean(0))
    return out


def speaker_z(X: np.ndarray, items: list[Item]) -> np.ndarray:
    """Per-speaker z-normalisation over all of a speaker's clips (the usual protocol in the literature;
    needs many unlabelled clips of the voice; reported for comparison only)."""
    spk = np.array([it.speaker for it in items])
    out = X.copy()
    for s in np.unique(spk):
        m = spk == s
        out[m] = (X[m] - X[m].mean(0)) / (X[m].std(0) + 1e-6)
    return out


# ----------------------------------------------------------------------------------------- the model

#: EmoDB label -> RAVDESS label, used when EmoDB clips also train the RAVDESS head (boredom has no
#: counterpart and is left out of that head)
EMODB_TO_RAV = {"anger": "angry", "disgust": "disgust", "fear": "fearful", "happiness": "happy",
                "sadness": "sad", "neutral": "neutral"}
from critics.speech.heads import HIGH_AROUSAL  # noqa: E402  (RAVDESS labels with arousal > 0, as the critics use them)


@dataclass
class LinearHeads:
    """Standardisation + three linear heads (RAVDESS-8 softmax, EmoDB-7 softmax, VAD ridge), the exported
    model. Plain numpy here so training, validation and the ONNX graph share one definition."""

    mean: np.ndarray
    std: np.ndarray
    w_rav: np.ndarray  #: (8, F)
    b_rav: np.ndarray
    w_emo: np.ndarray  #: (7, F)
    b_emo: np.ndarray
    w_vad: np.ndarray  #: (3, F)
    b_vad: np.ndarray

    def predict(self, X: np.ndarray) -> dict[str, np.ndarray]:
        z = (X - self.mean) / self.std
        return {"ravdess": softmax(z @ self.w_rav.T + self.b_rav), "emodb": softmax(z @ self.w_emo.T + self.b_emo),
                "vad": np.clip(z @ self.w_vad.T + self.b_vad, -1, 1)}


def _lr_weights(Z, y, labels, C, sample_weight=None, seed=0):
    """Multinomial logistic regression in the given label order; absent labels get a -30 bias."""
    from sklearn.linear_model import LogisticRegression

    W = np.zeros((len(labels), Z.shape[1]), dtype=np.float64)
    b = np.full(len(labels), -30.0)
    present = sorted(set(y))
    if len(present) == 1:
        b[labels.index(present[0])] = 0.0
        return W, b
    m = LogisticRegression(C=C, max_iter=5000, random_state=seed).fit(Z, y, sample_weight=sample_weight)
    for j, c in enumerate(m.classes_):
        W[labels.index(c)] = m.coef_[j]
        b[labels.index(c)] = m.intercept_[j]
    return W, b


def fit_heads(X: np.ndarray, items: list[Item], C: float, emodb_weight: float, seed: int = 0) -> LinearHeads:
    """Fit the three heads on the given clips. ``emodb_weight`` > 0 adds EmoDB clips (mapped labels, that
    weight) to the RAVDESS head's training, which helps it generalise beyond one corpus's voices."""
    from sklearn.linear_model import Ridge

    from conditioning import label_set

    mean, std = X.mean(0), X.std(0) + 1e-6
    Z = (X - mean) / std
    corp = np.array([it.corpus for it in items])
    lab = np.array([it.label for it in items])
    r = corp == "ravdess"
    yr = np.array([l if c == "ravdess" else EMODB_TO_RAV.get(l, "") for l, c in zip(lab, corp)])
    use = r | ((corp == "emodb") & (yr != "") & (emodb_weight > 0))
    sw = np.where(r, 1.0, emodb_weight)[use]
    w_rav, b_rav = _lr_weights(Z[use], yr[use], list(RAVDESS), C, sw, seed)
    e = corp == "emodb"
    if e.any():
        w_emo, b_emo = _lr_weights(Z[e], lab[e], list(EMODB), C, None, seed)
    else:  # no EmoDB clips (a quick slice): a uniform head
        w_emo, b_emo = np.zeros((len(EMODB), X.shape[1])), np.zeros(len(EMODB))
    vad = np.array([label_set(it.corpus).point(it.label) for it in items])
    ridge = Ridge(alpha=30.0).fit(Z, vad)
    return LinearHeads(mean, std, w_rav, b_rav, w_emo, b_emo, ridge.coef_, ridge.intercept_)


# ----------------------------------------------------------------------------------------- validation

def _ccc(x, y) -> float:
    from conditioning.metrics import ccc

    return float(ccc([float(a) for a in x], [float(b) for b in y]))


def _uar(y_true, y_pred) -> float:
    from sklearn.metrics import recall_score

    return float(recall_score(y_true, y_pred, average="macro", labels=sorted(set(y_true)), zero_division=0))


def metrics(items: list[Item], out: dict[str, np.ndarray]) -> dict[str, float]:
    """Validation figures from out-of-fold outputs (every clip predicted by a model that never heard its
    speaker)."""
    from conditioning import label_set

    corp = np.array([it.corpus for it in items])
    lab = np.array([it.label for it in items])
    R, E = corp == "ravdess", corp == "emodb"
    rav_pts = np.array([label_set("ravdess").point(l) for l in RAVDESS])
    truth = np.array([label_set(it.corpus).point(it.label) for it in items])
    expect = out["ravdess"] @ rav_pts  # expected point of the critic's native distribution
    sources = {"expectation": expect, "head": out["vad"], "blend": 0.5 * (expect + out["vad"])}
    f: dict[str, float] = {}
    if R.any():
        pred = np.array(RAVDESS)[out["ravdess"][R].argmax(1)]
        f["ravdess_uar"] = _uar(lab[R], pred)
        f["ravdess_accuracy"] = float(np.mean(pred == lab[R]))
        p_high = out["ravdess"][:, [RAVDESS.index(l) for l in HIGH_AROUSAL]].sum(1)
        high = np.isin(lab, HIGH_AROUSAL)
        f["ravdess_arousal_binary_accuracy"] = float(np.mean((p_high[R] > 0.5) == high[R]))
        nd = R & (lab != "disgust")
        f["ravdess_arousal_binary_accuracy_without_disgust"] = float(np.mean((p_high[nd] > 0.5) == high[nd]))
        for i, dim in enumerate(("valence", "arousal", "dominance")):
            for src, v in sources.items():
                f[f"ravdess_ccc_{dim}_{src}"] = _ccc(v[R, i], truth[R, i])
    if E.any():
        f["emodb_uar"] = _uar(lab[E], np.array(EMODB)[out["emodb"][E].argmax(1)])
        to_emo = {"neutral": "neutral", "calm": "boredom", "happy": "happiness", "sad": "sadness", "angry": "anger",
                  "fearful": "fear", "disgust": "disgust"}  # surprised: no EmoDB label, its mass is dropped
        cols = [RAVDESS.index(k) for k in to_emo]
        f["emodb_uar_via_ravdess_head"] = _uar(lab[E], np.array(list(to_emo.values()))[out["ravdess"][E][:, cols].argmax(1)])
        for i, dim in enumerate(("valence", "arousal")):
            for src, v in sources.items():
                f[f"emodb_ccc_{dim}_{src}"] = _ccc(v[E, i], truth[E, i])
    for i, dim in enumerate(("valence", "arousal", "dominance")):
        for src, v in sources.items():
            f[f"all_ccc_{dim}_{src}"] = _ccc(v[:, i], truth[:, i])
    return {k: round(v, 4) for k, v in f.items()}


def cross_validate(X: np.ndarray, items: list[Item], fold: np.ndarray, C: float, emodb_weight: float,
                   seed: int = 0, real: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Out-of-fold outputs of `fit_heads` (standardisation fitted on the training folds only). ``real``: the rows
    validated on, whose outputs are returned (the others, noisy pseudo-speakers, only train); default all."""
    real = np.ones(len(items), bool) if real is None else real
    rows = np.flatnonzero(real)
    out = {"ravdess": np.zeros((len(rows), len(RAVDESS))), "emodb": np.zeros((len(rows), len(EMODB))),
           "vad": np.zeros((len(rows), 3))}
    for k in np.unique(fold[real]):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold[real] == k)
        heads = fit_heads(X[tr], [items[i] for i in tr], C, emodb_weight, seed)
        for key, v in heads.predict(X[rows[te]]).items():
            out[key][te] = v
    return out


#: the figures kept from the nested run (the selection-on-all-folds figures stay the headline ones of the JSON)
NESTED_KEYS = ("ravdess_uar", "ravdess_accuracy", "ravdess_arousal_binary_accuracy", "emodb_uar",
               "all_ccc_valence_expectation", "all_ccc_arousal_expectation")

#: The issue's targets for the RAVDESS figures: 8-class UAR and binary arousal accuracy.
TARGETS = {"ravdess_uar": 0.60, "ravdess_arousal_binary_accuracy": 0.90}


def targets_met(f: dict[str, float]) -> int:
    """How many of `TARGETS` the figures reach (selection prefers more, then the score)."""
    return sum(f.get(k, 0.0) >= v for k, v in TARGETS.items())


def selection_score(f: dict[str, float]) -> float:
    """One number to pick hyper-parameters by: RAVDESS UAR, binary arousal accuracy and the CCC of valence
    and arousal over both corpora (critic-style: expected point of the native distribution)."""
    return (f.get("ravdess_uar", 0) + f.get("ravdess_arousal_binary_accuracy", 0)
            + 0.5 * (f.get("all_ccc_valence_expectation", 0) + f.get("all_ccc_arousal_expectation", 0)))


def selection_key(f: dict[str, float]) -> tuple[int, float]:
    """This critic's selection rule: more of `TARGETS` met first, then `selection_score`."""
    return targets_met(f), selection_score(f)


def nested(results: dict, fold: np.ndarray, items: list[Item], key=selection_score) -> tuple[dict, list]:
    """Figures where each fold's out-of-fold outputs come from the configuration that ``key`` (higher is better,
    on `metrics` of the *other* folds) prefers: the fold's own labels never choose its model. ``results``:
    configuration -> out-of-fold outputs over ``items``."""
    out = {k: np.zeros_like(v) for k, v in next(iter(results.values())).items()}
    picks = []
    for k in np.unique(fold):
        rest = fold != k
        sub = [it for it, r in zip(items, rest) if r]
        best = max(results, key=lambda cfg: key(metrics(sub, {n: v[rest] for n, v in results[cfg].items()})))
        picks.append(best)
        for n in out:
            out[n][~rest] = results[best][n][~rest]
    return metrics(items, out), picks


# ----------------------------------------------------------------------------------------- export

def export_onnx(heads: LinearHeads, path: Path, n_features: int) -> None:
    """Write the heads as an ONNX graph: features (N, F) -> ravdess (N, 8), emodb (N, 7), vad (N, 3)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(f32(heads.mean), "mean"), numpy_helper.from_array(f32(heads.std), "std"),
             numpy_helper.from_array(f32(heads.w_rav.T), "w_rav"), numpy_helper.from_array(f32(heads.b_rav), "b_rav"),
             numpy_helper.from_array(f32(heads.w_emo.T), "w_emo"), numpy_helper.from_array(f32(heads.b_emo), "b_emo"),
             numpy_helper.from_array(f32(heads.w_vad.T), "w_vad"), numpy_helper.from_array(f32(heads.b_vad), "b_vad"),
             numpy_helper.from_array(f32(-1.0), "lo"), numpy_helper.from_array(f32(1.0), "hi")]
    nodes = [helper.make_node("Sub", ["features", "mean"], ["centred"]),
             helper.make_node("Div", ["centred", "std"], ["z"]),
             helper.make_node("Gemm", ["z", "w_rav", "b_rav"], ["rav_logits"]),
             helper.make_node("Softmax", ["rav_logits"], ["ravdess"], axis=1),
             helper.make_node("Gemm", ["z", "w_emo", "b_emo"], ["emo_logits"]),
             helper.make_node("Softmax", ["emo_logits"], ["emodb"], axis=1),
             helper.make_node("Gemm", ["z", "w_vad", "b_vad"], ["vad_raw"]),
             helper.make_node("Clip", ["vad_raw", "lo", "hi"], ["vad"])]
    graph = helper.make_graph(
        nodes, "speech_emotion_heads",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", n_features])],
        [helper.make_tensor_value_info("ravdess", TensorProto.FLOAT, ["N", len(RAVDESS)]),
         helper.make_tensor_value_info("emodb", TensorProto.FLOAT, ["N", len(EMODB)]),
         helper.make_tensor_value_info("vad", TensorProto.FLOAT, ["N", 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="emostudio")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def best_vad_sources(figures: dict[str, dict[str, float]]) -> dict[str, dict[str, str]]:
    """Per condition and dimension, the VAD source (regression head, expected point of the native distribution,
    or their mean) with the best out-of-fold CCC over both corpora (``figures``: condition -> metrics)."""
    return {cond: {dim: max(("expectation", "head", "blend"), key=lambda s: f[f"all_ccc_{dim}_{s}"])
                   for dim in ("valence", "arousal", "dominance")} for cond, f in figures.items()}


def export_conditions(conditions: dict[str, np.ndarray], items: list[Item], chosen: dict[str, tuple[float, float]],
                      files: dict[str, str], out: Path, seed: int = 0) -> None:
    """Refit each condition's heads on all clips with its chosen (C, EmoDB weight), write them as ONNX and check
    the graph against the numpy model."""
    out.mkdir(parents=True, exist_ok=True)
    for cond, Xc in conditions.items():
        heads = fit_heads(Xc, items, *chosen[cond], seed)
        export_onnx(heads, out / files[cond], Xc.shape[1])
        err = _check_onnx(out / files[cond], heads, Xc[:50])
        assert err < 1e-4, f"ONNX graph differs from the numpy model by {err}"


def _check_onnx(path: Path, heads: LinearHeads, X: np.ndarray) -> float:
    """Largest difference between the ONNX graph and the numpy model on some rows (must be ~1e-6)."""
    import onnxruntime as ort

    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = dict(zip(["ravdess", "emodb", "vad"], s.run(["ravdess", "emodb", "vad"], {"features": X.astype(np.float32)})))
    ref = heads.predict(X.astype(np.float64))
    return float(max(np.abs(got[k] - ref[k]).max() for k in got))


def throughput(paths: list[Path], weights: Path, n: int = 20) -> dict[str, float]:
    """Speed of the critic (features + ONNX, audio already in memory) on one thread, as x real time: by wall
    clock and by the process's CPU time (the fair figure on a shared machine)."""
    from critics.speech.embedded import EmbeddedSpeechCritic

    from conditioning.media import load_audio

    critic = EmbeddedSpeechCritic(weights=weights, threads=1)
    audios = [load_audio(p) for p in paths[:n]]
    critic.score(audios[0])  # warm-up (imports, session)
    t, c = time.perf_counter(), time.process_time()
    for a in audios:
        critic.score(a)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    dur = sum(a.duration_s for a in audios)
    return {"files": len(audios), "audio_s": round(dur, 2), "wall_s": round(dt, 3), "cpu_s": round(dc, 3),
            "x_real_time_wall": round(dur / dt, 1), "x_real_time_cpu": round(dur / dc, 1)}


# ----------------------------------------------------------------------------------------- main

GRID_C = (0.02, 0.05, 0.1, 0.2)
FOLDS = 4  #: speaker folds (RAVDESS actors in blocks, EmoDB speakers round-robin)
GRID_EMODB_WEIGHT = (0.0, 0.5, 1.0)


def main(argv: list[str] | None = None) -> dict:
    from critics.training import default_data

    ap = argparse.ArgumentParser(prog="python -m critics.training.speech", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data(), help="shared data folder (holds speech/)")
    ap.add_argument("--out", type=Path, default=Path("critics/weights"), help="where the ONNX + JSON go")
    ap.add_argument("--cache", type=Path, default=CACHE, help="feature cache (outside the repository)")
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--speakers", default="", help="comma-separated subset, e.g. ravdess/01,emodb/03 (quick runs)")
    ap.add_argument("--per-speaker", type=int, default=0, help="at most this many clips per speaker (quick runs)")
    ap.add_argument("--no-emodb", action="store_true", help="RAVDESS only")
    ap.add_argument("--C", type=float, default=None, help="fix the regularisation instead of selecting it")
    ap.add_argument("--emodb-weight", type=float, default=None, help="fix the EmoDB weight in the RAVDESS head")
    ap.add_argument("--cnn", action="store_true", help="also cross-validate the log-mel CNN and its fusion "
                    "(an experiment: reported, not shipped unless it wins)")
    ap.add_argument("--epochs", type=int, default=30, help="CNN epochs per fold")
    ap.add_argument("--noise", type=int, default=0,
                    help="noisy pseudo-speakers per speaker, one recording condition each (a room for most, then "
                         "noise; critics.training.recording; training only)")
    ap.add_argument("--workers", type=int, default=1, help="processes for the features")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    try:  # one core: the machine is shared (BLAS pools are already loaded, so limit them at run time)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    np.random.seed(args.seed)
    t_start = time.time()

    wanted = [s.strip() for s in args.speakers.split(",") if s.strip()]
    items = load_items(args.data, emodb=not args.no_emodb, per_speaker=args.per_speaker or None)
    if wanted:
        items = [it for it in items if it.speaker in wanted]
        if not items:
            raise SystemExit(f"no clips for speakers {wanted}")
    n_spk = {c: len({it.speaker for it in items if it.corpus == c}) for c in ("ravdess", "emodb")}
    k = min([args.folds] + [n for n in n_spk.values() if n > 0])
    if k < 2:
        raise SystemExit("speaker-independent validation needs at least 2 speakers per corpus")
    log(f"{len(items)} clips ({n_spk['ravdess']} RAVDESS actors, {n_spk['emodb']} EmoDB speakers), {k} folds")
    from critics.speech.embedded import LEVELS

    fold = make_folds(items, k)
    # the noisy pseudo-speakers (``--noise``): each voice's clips again in one recording condition, in its fold,
    # only ever training; their rows follow the real clips'
    all_items, jobs = list(items), [None] * len(items)
    group = dict(zip((it.speaker for it in items), fold))
    for j in range(args.noise):
        all_items += [replace(it, speaker=f"{it.speaker}~n{j + 1}") for it in items]
        jobs += noise_jobs(items, j, args.seed, group)
    real = np.arange(len(all_items)) < len(items)
    fold_all = np.concatenate([fold] * (1 + args.noise))
    X, mels = extract(all_items, args.cache, log, LEVELS["speaker"], jobs, args.workers)  # the referenced heads'
    X_pop = extract(all_items, args.cache, log, LEVELS["population"], jobs, args.workers)[0]  # the single-file's
    mels = mels[:len(items)]

    conditions = {"population": X_pop, "speaker": speaker_shift(X, all_items),
                  "speaker_z": speaker_z(X, all_items)}
    grid = [(c, w) for c in ((args.C,) if args.C else GRID_C)
            for w in ((args.emodb_weight,) if args.emodb_weight is not None else GRID_EMODB_WEIGHT)
            if w == 0 or n_spk["emodb"]]
    figures: dict[str, dict] = {}
    chosen: dict[str, tuple[float, float]] = {}
    for cond, Xn in conditions.items():
        outs, per_cfg = {}, {}  # configuration -> out-of-fold outputs, and their figures
        for C, w in grid:
            outs[(C, w)] = cross_validate(Xn, all_items, fold_all, C, w, args.seed, real)
            f = per_cfg[(C, w)] = metrics(items, outs[(C, w)])
            log(f"[{cond}] C={C} emodb_weight={w}: RAVDESS UAR {f.get('ravdess_uar', 0):.3f}, arousal "
                f"{f.get('ravdess_arousal_binary_accuracy', 0):.3f}, EmoDB UAR {f.get('emodb_uar', 0):.3f}, CCC V/A "
                f"{f['all_ccc_valence_expectation']:.3f}/{f['all_ccc_arousal_expectation']:.3f} "
                f"(score {selection_score(f):.3f})")
        C, w = chosen[cond] = max(per_cfg, key=lambda cfg: selection_key(per_cfg[cfg]))
        f = per_cfg[(C, w)]
        honest, picks = nested(outs, fold, items, key=selection_key)
        log(f"[{cond}] nested (each fold predicted by the configuration the same rule picks on the other folds): "
            f"RAVDESS UAR {honest.get('ravdess_uar', 0):.3f}, arousal {honest.get('ravdess_arousal_binary_accuracy', 0):.3f}")
        figures[cond] = {"C": C, "emodb_weight": w, "configurations": len(per_cfg),
                         "configurations_meeting_targets": sum(targets_met(g) == len(TARGETS) for g in per_cfg.values()),
                         **f,
                         "nested": {k_: honest[k_] for k_ in NESTED_KEYS if k_ in honest},
                         "nested_picks": [list(p) for p in picks]}
    # VAD source per dimension: the regression head, the expected point of the native distribution, or
    # their mean, whichever has the best CCC over both corpora
    vad_source = best_vad_sources({cond: figures[cond] for cond in conditions})
    for cond in conditions:
        for dim, src in vad_source[cond].items():
            figures[cond][f"all_ccc_{dim}"] = figures[cond][f"all_ccc_{dim}_{src}"]
            if f"ravdess_ccc_{dim}_{src}" in figures[cond]:
                figures[cond][f"ravdess_ccc_{dim}"] = figures[cond][f"ravdess_ccc_{dim}_{src}"]
            if f"emodb_ccc_{dim}_{src}" in figures[cond]:
                figures[cond][f"emodb_ccc_{dim}"] = figures[cond][f"emodb_ccc_{dim}_{src}"]
    if args.cnn:
        figures["cnn"] = cnn_experiment(items, mels, X_pop[real], fold, chosen["population"], args, log)
    figures["ablation"] = ablation(X_pop[real], items, fold, chosen["population"], args.seed, log)

    # final models on all data
    files = {"population": "speech_embedded.onnx", "speaker": "speech_embedded_speaker.onnx",
             "speaker_z": "speech_embedded_speaker_z.onnx"}
    export_conditions(conditions, all_items, chosen, files, args.out, args.seed)
    from critics.speech.embedded import EmbeddedSpeechCritic
    from critics.speech.features import feature_names

    meta = {
        "format": 1,
        "what": "speech emotion heads over acoustic functionals (critics.speech.features)",
        "feature_names": feature_names(), **EmbeddedSpeechCritic().feature_settings(),
        "labels": list(RAVDESS), "emodb_labels": list(EMODB),
        "models": files,
        "vad_source": vad_source,
        "noise": args.noise,
        **({"noise_conditions": conditions_record()} if args.noise else {}),
        "conditions": {"population": "raw features (population statistics)",
                       "speaker": "features minus the mean of the speaker's neutral clips",
                       "speaker_z": "features z-normalised by the mean and std of all the speaker's clips"},
        "data": {"corpus": "RAVDESS speech actors 01-16 and EmoDB (../shared/data/speech)",
                 "licence": LICENCE,
                 "ravdess_clips": int(sum(it.corpus == "ravdess" for it in items)),
                 "emodb_clips": int(sum(it.corpus == "emodb" for it in items)),
                 "ravdess_actors": sorted({it.speaker for it in items if it.corpus == "ravdess"}),
                 "emodb_speakers": sorted({it.speaker for it in items if it.corpus == "emodb"})},
        "validation": f"{k}-fold speaker-independent (RAVDESS actors in blocks, EmoDB speakers round-robin); "
                      "hyper-parameters (C x EmoDB weight) picked on the same folds: configurations that reach more "
                      "of the targets (RAVDESS UAR >= 0.60, binary arousal >= 0.90) first, then the selection score",
        "seed": args.seed,
        "command": "python -m critics.training.speech " + " ".join(argv if argv is not None else sys.argv[1:]),
        "licences": {"ravdess": "CC BY-NC-SA 4.0 (Livingstone & Russo 2018)",
                     "emodb": "free for research (Burkhardt et al. 2005)",
                     "weights": "derived from research data; non-commercial use"},
        "figures": figures,
    }
    (args.out / "speech_embedded.json").write_text(json.dumps(meta, indent=1))
    rav_paths = [it.path for it in items if it.corpus == "ravdess"][::7]
    meta["throughput"] = throughput(rav_paths, args.out / files["population"], n=min(20, len(rav_paths)))
    meta["train_time_s"] = round(time.time() - t_start, 1)
    (args.out / "speech_embedded.json").write_text(json.dumps(meta, indent=1))
    log(report(meta))
    return meta


def report(meta: dict) -> str:
    """The headline figures as text."""
    lines = ["", "speech/embedded validation (speaker-independent):"]
    keys = ("ravdess_uar", "ravdess_arousal_binary_accuracy", "ravdess_arousal_binary_accuracy_without_disgust",
            "emodb_uar", "emodb_uar_via_ravdess_head", "ravdess_ccc_valence", "ravdess_ccc_arousal",
            "emodb_ccc_valence", "emodb_ccc_arousal", "all_ccc_valence", "all_ccc_arousal", "all_ccc_dominance")
    for cond in ("population", "speaker", "speaker_z"):
        f = meta["figures"][cond]
        lines.append(f"  {cond} (C={f['C']}, emodb_weight={f['emodb_weight']}): "
                     + ", ".join(f"{k}={f[k]}" for k in keys if k in f))
    for name, f in meta["figures"].get("cnn", {}).items():
        lines.append(f"  {name}: " + ", ".join(f"{k}={f[k]}" for k in keys[:5] if k in f))
    for name, f in meta["figures"]["ablation"].items():
        lines.append(f"  ablation {name}: " + ", ".join(f"{k}={v}" for k, v in f.items()))
    lines.append("  (all figures in speech_embedded.json)")
    lines.append(f"  vad_source: {meta['vad_source']}")
    lines.append(f"  throughput: {meta['throughput']}")
    lines.append(f"  total time: {meta['train_time_s']} s")
    return "\n".join(lines)


FEATURE_GROUPS = {
    "f0": ("f0",), "voice_quality": ("hnr", "jitter", "shimmer"), "energy": ("energy",),
    "rate_pauses": ("voiced", "unvoiced", "pause", "active"),
    "spectral_tilt_shape": ("alpha", "hammarberg", "slope", "centroid", "flux", "flatness"),
    "mfcc_mean": ("mfcc",), "mfcc_std": ("mfcc",), "mfcc_delta_std": ("mfcc",),
}


def ablation(X, items, fold, config, seed, log) -> dict:
    """Population-condition figures with each feature group left out (what each group is worth)."""
    from critics.speech.features import feature_names

    names = feature_names()

    def in_group(n: str, g: str) -> bool:
        if g.startswith("mfcc"):
            suffix = {"mfcc_mean": "_mean", "mfcc_std": "_std", "mfcc_delta_std": "_dstd"}[g]
            return n.startswith("mfcc") and n.endswith(suffix)
        return n.startswith(FEATURE_GROUPS[g])

    res = {}
    for g in FEATURE_GROUPS:
        cols = [i for i, n in enumerate(names) if not in_group(n, g)]
        f = metrics(items, cross_validate(X[:, cols], items, fold, *config, seed))
        res[f"without_{g}"] = {"features": len(cols), "ravdess_uar": f.get("ravdess_uar"),
                               "ravdess_arousal_binary_accuracy": f.get("ravdess_arousal_binary_accuracy"),
                               "emodb_uar": f.get("emodb_uar")}
        log(f"[ablation] without {g}: {res[f'without_{g}']}")
    return res


# ----------------------------------------------------------------------------------------- CNN experiment

def cnn_experiment(items, mels, X, fold, lr_config, args, log) -> dict:
    """Cross-validate a small CNN over log-mel spectrograms (4 conv blocks, attention pooling over time,
    the same three heads; SpecAugment-style masking, random 2 s crops) and its late fusion with the
    linear heads (population condition). Needs torch; one thread. An experiment: its figures go in the
    JSON, the critic ships it only if it wins (it did not: see the card)."""
    import torch
    import torch.nn as nn

    from conditioning import label_set

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    crop = 200
    yr = np.array([RAVDESS.index(it.label) if it.corpus == "ravdess" else -1 for it in items])
    ye = np.array([EMODB.index(it.label) if it.corpus == "emodb" else -1 for it in items])
    vad = np.array([label_set(it.corpus).point(it.label) for it in items], dtype=np.float32)

    class Net(nn.Module):
        def __init__(self, ch=(16, 32, 64, 64)):
            super().__init__()
            layers, c0 = [], 1
            for c in ch:
                layers += [nn.Conv2d(c0, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2)]
                c0 = c
            self.conv = nn.Sequential(*layers)
            d = c0 * 4  # 64 mel bands / 2**4
            self.att, self.drop = nn.Linear(d, 1), nn.Dropout(0.3)
            self.heads = nn.Linear(d, len(RAVDESS) + len(EMODB) + 3)

        def forward(self, x):  # x: (B, 64, T)
            h = self.conv(x[:, None])  # (B, C, 4, T/16)
            b, c, f, t = h.shape
            h = h.reshape(b, c * f, t).transpose(1, 2)  # (B, T', C*F)
            w = torch.softmax(self.att(h), dim=1)  # (B, T', 1)
            return self.heads(self.drop((w * h).sum(1)))  # (B, 18)

    def batch(idx, mu, sd, train):
        out = []
        for i in idx:
            m = (mels[i] - mu) / sd
            t = m.shape[1]
            if t >= crop:
                s = int(rng.integers(0, t - crop + 1)) if train else (t - crop) // 2
                m = m[:, s:s + crop]
            else:
                m = np.pad(m, ((0, 0), (0, crop - t)))
            if train:
                m = m.copy()
                f0 = int(rng.integers(0, 56))
                m[f0:f0 + int(rng.integers(0, 8))] = 0
                t0 = int(rng.integers(0, crop - 20))
                m[:, t0:t0 + int(rng.integers(0, 20))] = 0
            out.append(m)
        return torch.tensor(np.stack(out), dtype=torch.float32)

    out = {"ravdess": np.zeros((len(items), 8)), "emodb": np.zeros((len(items), 7)), "vad": np.zeros((len(items), 3))}
    ce = nn.CrossEntropyLoss(ignore_index=-1)
    for k in np.unique(fold):
        t0 = time.time()
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        allm = np.concatenate([mels[i] for i in tr], 1)
        mu, sd = allm.mean(1, keepdims=True), allm.std(1, keepdims=True) + 1e-6
        net = Net()
        opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=args.epochs * ((len(tr) + 31) // 32))
        for _ in range(args.epochs):
            net.train()
            perm = rng.permutation(tr)
            for s in range(0, len(perm), 32):
                idx = perm[s:s + 32]
                o = net(batch(idx, mu, sd, True))
                loss = ((o[:, 15:].tanh() - torch.tensor(vad[idx])) ** 2).mean()
                if (yr[idx] >= 0).any():
                    loss = loss + ce(o[:, :8], torch.tensor(yr[idx]))
                if (ye[idx] >= 0).any():
                    loss = loss + ce(o[:, 8:15], torch.tensor(ye[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        net.eval()
        with torch.no_grad():
            for i in te:  # whole utterance, any length
                o = net(torch.tensor(((mels[i] - mu) / sd)[None], dtype=torch.float32))[0]
                out["ravdess"][i] = torch.softmax(o[:8], 0).numpy()
                out["emodb"][i] = torch.softmax(o[8:15], 0).numpy()
                out["vad"][i] = o[15:].tanh().numpy()
        log(f"  CNN fold {k}: {time.time() - t0:.0f} s")
    res = {"cnn_alone": metrics(items, out)}
    lin = cross_validate(X, items, fold, *lr_config, args.seed)
    for w in (0.3, 0.5):
        fused = {key: (1 - w) * lin[key] + w * out[key] for key in lin}
        res[f"fusion_w{w}"] = metrics(items, fused)
    for name, f in res.items():
        log(f"[cnn] {name}: RAVDESS UAR {f.get('ravdess_uar', 0):.3f}, arousal {f.get('ravdess_arousal_binary_accuracy', 0):.3f}, "
            f"EmoDB UAR {f.get('emodb_uar', 0):.3f}")
    return {name: {k: v for k, v in f.items() if "dominance" not in k} for name, f in res.items()}


if __name__ == "__main__":
    main()
