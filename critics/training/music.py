"""Train and validate the embedded music emotion critic (`critics.music.embedded`).

    python -m critics.training.music --data ../shared/data --out critics/weights

Data: EMOPIA (Hung et al. 2021) piano MIDI clips from ``<data>/music/emopia`` with the corpus's own
train/val split (piece-disjoint: no YouTube piece has clips in both). Labels are Russell quadrants Q1..Q4.

Why render with varied timbres: the critic hears audio from any generator (piano, strings, organ,
synthesisers), but EMOPIA is piano only. A model trained on piano audio alone can learn "this piano
sounds soft" instead of "this music is calm". So every training clip is rendered twice, with the
project's renderer (`conditioning.render`): once as FluidR3 piano, once with a seeded random GM program
(electric piano, organ, guitar, harp, strings, choir, vibraphone...) from FluidR3 or TimGM6mb. The val
split is rendered as FluidR3 piano (the corpus's own condition) and as TimGM6mb with a seeded random
non-piano program (a soundfont *and* instrument shift), and both figures are reported.

Model selection: a few scikit-learn models over the descriptors of `critics.music.features`, compared by
5-fold cross-validation on the train split grouped by SOURCE PIECE (clip ids are Q<k>_<youtubeid>_<n>;
the two renders of a clip and all clips of a piece always fall in the same fold). The best is refit on the
whole train split, validated once on the val split, exported to ONNX with skl2onnx, and checked: the
onnxruntime probabilities must equal scikit-learn's. Throughput (features + ONNX model, one core) is
measured on rendered val clips.

Rendered descriptors are cached under ``~/.cache/emostudio/music`` keyed by the hash of the feature and
renderer code, so a rerun only retrains. Everything is seeded; one core is used.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from critics.music import QUADRANTS  # noqa: E402

#: General MIDI programs for the timbre augmentation: keyboards, organs, plucked, bowed, voices, mallets
AUGMENT_PROGRAMS = (0, 4, 5, 6, 11, 16, 19, 24, 25, 46, 48, 49, 52, 68, 73)
AUGMENT_FONTS = ("FluidR3_GM", "TimGM6mb")
RATE = 22050


@dataclass(frozen=True)
class Clip:
    path: Path
    quadrant: str
    piece: str  #: YouTube id: clips of one piece share it
    split: str


@dataclass(frozen=True)
class Voice:
    """How one rendering sounds: soundfont name and GM program (None = the file's own, piano)."""

    font: str
    program: int | None

    def tag(self) -> str:
        return f"{self.font}:{'orig' if self.program is None else self.program}"


def load_clips(data: Path, per_quadrant: int | None = None, seed: int = 0) -> list[Clip]:
    root = Path(data) / "music" / "emopia"
    table = root / "labels.csv"
    if not table.is_file():
        raise SystemExit(f"EMOPIA labels not found at {table}; pass --data pointing at shared/data")
    clips = []
    with open(table, newline="") as fh:
        for row in csv.DictReader(fh):
            name = Path(row["path"]).stem  # Q1_<youtubeid>_<n>; youtube ids may contain '_'
            piece = name[3:].rsplit("_", 1)[0]
            clips.append(Clip(root / row["path"], row["quadrant"], piece, row["split"]))
    if per_quadrant is not None:  # a small slice for tests and quick runs, same for every seed
        rng = np.random.default_rng(seed)
        picked = []
        for split in ("train", "val"):
            for q in QUADRANTS:
                pool = [c for c in clips if c.split == split and c.quadrant == q]
                n = per_quadrant if split == "train" else max(1, per_quadrant // 4)
                picked += [pool[i] for i in sorted(rng.choice(len(pool), min(n, len(pool)), replace=False))]
        clips = picked
    return clips


def code_hash() -> str:
    """Hash of the renderer and feature code (its syntax tree without docstrings and comments): a change
    to what the code does invalidates the cache, a change to its documentation does not."""
    import ast

    import conditioning.render as render
    import critics.music.features as features

    h = hashlib.sha256()
    for mod in (render, features):
        tree = ast.parse(Path(mod.__file__).read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                body[0] = ast.Pass()
        h.update(ast.dump(tree).encode())
    return h.hexdigest()[:16]


def _crop(pm, max_seconds: float | None):
    if max_seconds is None:
        return pm
    for inst in pm.instruments:
        inst.notes = [n for n in inst.notes if n.start < max_seconds]
        for n in inst.notes:
            n.end = min(n.end, max_seconds)
        inst.control_changes = [c for c in inst.control_changes if c.time < max_seconds]
        inst.pitch_bends = [b for b in inst.pitch_bends if b.time < max_seconds]
    return pm


def clip_features(clip: Clip, voice: Voice, cache: Path, key: str, max_seconds: float | None) -> np.ndarray:
    """Render one clip with one voice and summarise it (cached)."""
    import pretty_midi

    from conditioning.render import render_midi
    from critics.music.features import extract

    name = f"{clip.path.stem}_{voice.font}_{voice.program}_{max_seconds}_{key}.npy"
    target = cache / name
    if target.is_file():
        return np.load(target)
    pm = _crop(pretty_midi.PrettyMIDI(str(clip.path)), max_seconds)
    audio = render_midi(pm, rate=RATE, soundfont=voice.font, programs=voice.program)
    vec = extract(audio.samples, audio.rate)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.npy")
    np.save(tmp, vec)
    os.replace(tmp, target)
    return vec


def voices_for(clip_index: int, split: str, seed: int, renders: int) -> list[Voice]:
    """Seeded voices of one clip: piano first, then augmentations (train) or one shifted voice (val)."""
    rng = np.random.default_rng([seed, clip_index, 0 if split == "train" else 1])
    voices = [Voice("FluidR3_GM", None)]
    if split == "train":
        for _ in range(renders - 1):
            voices.append(Voice(str(rng.choice(AUGMENT_FONTS)), int(rng.choice(AUGMENT_PROGRAMS[1:]))))
    else:
        voices.append(Voice("TimGM6mb", int(rng.choice(AUGMENT_PROGRAMS[1:]))))
    return voices


def build_features(clips: list[Clip], cache: Path, seed: int, renders: int, max_seconds: float | None,
                   log=print) -> dict[str, dict[str, np.ndarray]]:
    key = code_hash()
    out: dict[str, dict[str, list]] = {}
    t0, done = time.time(), 0
    total = sum(len(voices_for(i, c.split, seed, renders)) for i, c in enumerate(clips))
    for i, clip in enumerate(clips):
        for j, voice in enumerate(voices_for(i, clip.split, seed, renders)):
            if clip.split == "train":
                part = "train"
            else:
                part = "val_piano" if j == 0 else "val_other"
            d = out.setdefault(part, {"X": [], "y": [], "group": [], "clip": [], "voice": []})
            d["X"].append(clip_features(clip, voice, cache, key, max_seconds))
            d["y"].append(QUADRANTS.index(clip.quadrant))
            d["group"].append(clip.piece)
            d["clip"].append(clip.path.stem)
            d["voice"].append(voice.tag())
            done += 1
            if done % 100 == 0:
                el = time.time() - t0
                log(f"  features {done}/{total}  {el:.0f}s elapsed, ~{el / done * (total - done):.0f}s left")
    return {p: {k: np.asarray(v) for k, v in d.items()} for p, d in out.items()}


def cue_probes():
    """Two synthetic pieces at the ends of the cue space (Gabrielsson & Lindstroem 2010; Eerola et al. 2013).

    "bright": major I-IV-V-I, 140 BPM, loud (velocity 110), staccato; "dark": minor i-VI-iv-v, 60 BPM,
    soft (velocity 40), legato. Both are block chords plus an eighth-note arpeggio, piano.
    """
    import pretty_midi

    def piece(chords, bpm, velocity, articulation, bars):
        beat = 60.0 / bpm
        pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
        inst = pretty_midi.Instrument(program=0)
        t = 0.0
        for _ in range(bars):
            for chord in chords:
                for p in chord:
                    inst.notes.append(pretty_midi.Note(velocity, p - 12, t, t + 4 * beat * articulation))
                for i in range(8):
                    p, start = chord[i % 3] + 12 * (i // 3) + 12, t + i * beat / 2
                    inst.notes.append(pretty_midi.Note(velocity, p, start, start + beat / 2 * articulation))
                t += 4 * beat
        pm.instruments.append(inst)
        return pm

    major = [(60, 64, 67), (53, 57, 60), (55, 59, 62), (60, 64, 67)]
    minor = [(60, 63, 67), (56, 60, 63), (53, 56, 60), (55, 58, 62)]
    return piece(major, 140, 110, 0.3, 3), piece(minor, 60, 40, 1.0, 1)


def probe_check(model, probes: np.ndarray) -> dict:
    """Does the model read the bright probe in Q1 (V > 0, A > 0), the dark one as low arousal (A < 0), and
    the bright one as higher in valence and arousal than the dark one?

    Why a model must pass: the critic judges generated music, which is out of EMOPIA's distribution; a
    model that fits EMOPIA but does not extrapolate along the cues' known directions (an RBF SVM falls back
    to its prior far from its support vectors) would mislead the studio loop.
    """
    p = model.predict_proba(probes)
    v = p[:, 0] + p[:, 3] - p[:, 1] - p[:, 2]
    a = p[:, 0] + p[:, 1] - p[:, 2] - p[:, 3]
    passed = v[0] > 0 and a[0] > 0 and a[1] < 0 and v[0] > v[1] and a[0] > a[1]
    return {"passed": bool(passed), "bright_va": [round(float(v[0]), 3), round(float(a[0]), 3)],
            "dark_va": [round(float(v[1]), 3), round(float(a[1]), 3)]}


def candidates(seed: int, quick: bool):
    """The models compared by grouped cross-validation (name -> unfitted pipeline)."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    # SVC(probability=True) (Platt scaling, exported by skl2onnx) is deprecated from scikit-learn 1.9 and
    # goes in 1.11; until then it is the SVM variant skl2onnx converts with probabilities.
    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
    models = {f"logreg_C{c}": make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
              for c in ((0.1,) if quick else (0.03, 0.1, 0.3, 1.0))}
    if quick:
        return models
    for c in (0.3, 1.0, 3.0):
        models[f"svm_rbf_C{c}"] = make_pipeline(
            StandardScaler(), SVC(C=c, kernel="rbf", gamma="scale", probability=True, random_state=seed))
    models["gboost"] = make_pipeline(StandardScaler(), GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=seed))
    for alpha in (1e-2, 1e-1, 1.0):
        models[f"mlp64_a{alpha}"] = make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(64,), alpha=alpha, max_iter=600, early_stopping=True, validation_fraction=0.15,
            n_iter_no_change=30, random_state=seed))
    return models


def scores(y: np.ndarray, proba: np.ndarray) -> dict:
    """4-quadrant accuracy, valence/arousal sign accuracy (from the quadrant probabilities), macro F1."""
    from sklearn.metrics import confusion_matrix, f1_score

    pred = proba.argmax(axis=1)
    v_true, a_true = np.isin(y, (0, 3)), np.isin(y, (0, 1))
    v_pred = (proba[:, 0] + proba[:, 3]) > 0.5
    a_pred = (proba[:, 0] + proba[:, 1]) > 0.5
    return {"n": int(y.size), "accuracy_4q": float(np.mean(pred == y)),
            "valence_sign_accuracy": float(np.mean(v_pred == v_true)),
            "arousal_sign_accuracy": float(np.mean(a_pred == a_true)),
            "macro_f1": float(f1_score(y, pred, average="macro")),
            "confusion": confusion_matrix(y, pred, labels=range(4)).tolist()}


def cross_validate(models: dict, X, y, groups, seed: int, folds: int, log=print) -> dict:
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedGroupKFold

    n_folds = min(folds, len(np.unique(groups)))
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    split = list(splitter.split(X, y, groups))
    for tr, te in split:  # the promise the whole validation rests on
        assert not set(groups[tr]) & set(groups[te])
    results = {}
    for name, model in models.items():
        t0 = time.time()
        accs = []
        for tr, te in split:
            m = clone(model).fit(X[tr], y[tr])
            accs.append(float(np.mean(m.predict(X[te]) == y[te])))
        results[name] = {"cv_accuracy_mean": float(np.mean(accs)), "cv_accuracy_std": float(np.std(accs)),
                         "folds": accs, "seconds": round(time.time() - t0, 1)}
        log(f"  {name:16s} cv acc {np.mean(accs):.3f} +- {np.std(accs):.3f}  ({time.time() - t0:.0f}s)")
    return results


def export_onnx(model, n_features: int, path: Path, X_check: np.ndarray) -> float:
    """Write the fitted pipeline as ONNX (probabilities as a plain tensor) and return max |ort - sklearn|."""
    import onnxruntime as ort
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    clf = model.steps[-1][1]
    onx = convert_sklearn(model, initial_types=[("features", FloatTensorType([None, n_features]))],
                          options={id(clf): {"zipmap": False}}, target_opset=17)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    got = sess.run([names[1]], {"features": X_check.astype(np.float32)})[0]
    want = model.predict_proba(X_check.astype(np.float32))
    return float(np.max(np.abs(got - want)))


def measure_throughput(clips: list[Clip], onnx_path: Path, n: int, log=print) -> dict:
    """Real-time factor of the critic's own path (analysis + summary + ONNX) on rendered clips, one core."""
    import onnxruntime as ort
    import pretty_midi

    from conditioning.render import render_midi
    from critics.music.features import extract

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    audio_s = compute_s = render_s = 0.0
    for clip in clips[:n]:
        t0 = time.perf_counter()
        audio = render_midi(pretty_midi.PrettyMIDI(str(clip.path)), rate=RATE)
        t1 = time.perf_counter()
        x = extract(audio.samples, audio.rate)[None]
        sess.run(None, {"features": x})
        t2 = time.perf_counter()
        audio_s += audio.duration_s
        render_s += t1 - t0
        compute_s += t2 - t1
    out = {"clips": min(n, len(clips)), "audio_seconds": round(audio_s, 1),
           "critic_seconds": round(compute_s, 2), "critic_x_realtime": round(audio_s / compute_s, 1),
           "render_x_realtime": round(audio_s / render_s, 1)}
    log(f"  throughput: critic {out['critic_x_realtime']}x real time, renderer {out['render_x_realtime']}x "
        f"({out['audio_seconds']} s of audio)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path("critics/weights"))
    ap.add_argument("--cache", type=Path, default=Path("~/.cache/emostudio/music").expanduser())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--renders", type=int, default=2, help="renders per training clip (1 = piano only)")
    ap.add_argument("--per-quadrant", type=int, default=None, help="train clips per quadrant (a quick slice)")
    ap.add_argument("--max-seconds", type=float, default=None, help="crop every clip (quick runs)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one model only (tests)")
    ap.add_argument("--throughput-clips", type=int, default=20)
    ap.add_argument("--name", default="music_embedded", help="output file stem")
    args = ap.parse_args(argv)

    log = lambda *a: print(*a, flush=True)  # noqa: E731
    t_start = time.time()
    np.random.seed(args.seed)
    clips = load_clips(args.data, args.per_quadrant, args.seed)
    log(f"EMOPIA: {sum(c.split == 'train' for c in clips)} train clips, {sum(c.split == 'val' for c in clips)} val")
    data = build_features(clips, args.cache.expanduser(), args.seed, args.renders, args.max_seconds, log)
    tr = data["train"]
    log(f"features: train {tr['X'].shape}, {time.time() - t_start:.0f}s")

    models = candidates(args.seed, args.quick)
    cv = cross_validate(models, tr["X"], tr["y"], tr["group"], args.seed, args.folds, log)

    # Selection: among the models that pass the cue-direction probes (fitted on the whole train split),
    # the best grouped-CV accuracy. The val split plays no part in it.
    from sklearn.base import clone

    from conditioning.render import render_midi
    from critics.music.features import extract

    probes = np.stack([extract(a.samples, a.rate) for a in (render_midi(pm, rate=RATE) for pm in cue_probes())])
    fitted = {}
    for name in models:
        fitted[name] = clone(models[name]).fit(tr["X"], tr["y"])
        cv[name]["probe"] = probe_check(fitted[name], probes)
        log(f"  {name:16s} probes {'pass' if cv[name]['probe']['passed'] else 'FAIL'} {cv[name]['probe']}")
    eligible = [k for k in cv if cv[k]["probe"]["passed"]] or list(cv)
    best = max(eligible, key=lambda k: cv[k]["cv_accuracy_mean"])
    log(f"best by grouped CV among models passing the probes: {best}")
    model = fitted[best]
    val = {}
    for part in ("val_piano", "val_other"):
        if part in data:
            val[part] = scores(data[part]["y"], model.predict_proba(data[part]["X"]))
            v = val[part]
            log(f"  {part:10s} 4Q acc {v['accuracy_4q']:.3f}  valence-sign {v['valence_sign_accuracy']:.3f}  "
                f"arousal-sign {v['arousal_sign_accuracy']:.3f}  (n={v['n']})")

    onnx_path = args.out / f"{args.name}.onnx"
    check = np.concatenate([data[p]["X"] for p in data])
    diff = export_onnx(model, tr["X"].shape[1], onnx_path, check)
    log(f"ONNX written to {onnx_path} ({onnx_path.stat().st_size} bytes); max |onnxruntime - sklearn| = {diff:.2e}")
    if diff > 1e-4:
        log("ERROR: ONNX export does not reproduce scikit-learn")
        return 1

    val_clips = [c for c in clips if c.split == "val"]
    throughput = measure_throughput(val_clips, onnx_path, args.throughput_clips, log) if args.throughput_clips else {}

    from critics.music.features import FEATURE_VERSION, feature_names

    meta = {
        "model": best, "labels": list(QUADRANTS), "feature_names": feature_names(),
        "feature_version": FEATURE_VERSION, "code_hash": code_hash(), "rate": RATE,
        "input": "features", "output_probabilities": "probabilities",
        "feature_mean": tr["X"].mean(axis=0).round(6).tolist(),
        "feature_std": tr["X"].std(axis=0).round(6).tolist(),
        "data": {"corpus": "EMOPIA (Hung et al. 2021), piano MIDI, official piece-disjoint train/val split",
                 "licence": "EMOPIA: CC BY-NC-SA 4.0 (research); the weights are derived from it",
                 "train_clips": int(sum(c.split == "train" for c in clips)),
                 "val_clips": int(len(val_clips)), "renders_per_train_clip": args.renders,
                 "augment_programs": list(AUGMENT_PROGRAMS), "augment_fonts": list(AUGMENT_FONTS),
                 "val_piano": "FluidR3_GM, the MIDI's own program (acoustic grand piano)",
                 "val_other": "TimGM6mb, a seeded random non-piano program per clip",
                 "per_quadrant": args.per_quadrant, "max_seconds": args.max_seconds},
        "seed": args.seed, "cv": {"scheme": f"StratifiedGroupKFold({args.folds}) by source piece", "results": cv},
        "selection": "best grouped-CV accuracy among models whose fit on the train split reads the bright "
                     "cue probe (major, 140 BPM, loud, staccato) as V > 0, A > 0, the dark one (minor, 60 BPM, "
                     "soft, legato) as A < 0, and the bright one higher in both; see cue_probes()",
        "validation": val, "onnx_max_abs_diff": diff, "throughput": throughput,
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "command": "python -m critics.training.music " + " ".join(sys.argv[1:] if argv is None else argv),
        "train_seconds": round(time.time() - t_start, 1),
    }
    (args.out / f"{args.name}.json").write_text(json.dumps(meta, indent=1) + "\n")
    log(f"metadata written to {args.out / (args.name + '.json')}; total {time.time() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
