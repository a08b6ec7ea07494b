"""Train and validate the embedded music emotion critic (`critics.music.embedded`).

    python -m critics.training.music --data ../shared/data --out critics/weights

Data: EMOPIA (Hung et al. 2021) piano MIDI clips from ``<data>/music/emopia``; labels are Russell quadrants
Q1..Q4. Clip ids are Q<k>_<youtubeid>_<n>: the YouTube id names the source piece.

Why several soundfonts: the critic hears audio, and a model trained on one piano sample set can learn
"this piano sounds like FluidR3" instead of "this music is calm". Every clip is rendered as piano through
each of `PIANO_FONTS` (FluidR3_GM, TimGM6mb, MuseScore_General) with the project's renderer
(`conditioning.render`), and optionally (``--augment K``) K more times with a seeded random General MIDI
program (electric piano, organ, guitar, strings, choir...) from FluidR3 or TimGM6mb. Val clips are also
rendered once as TimGM6mb with a seeded random non-piano program (`val_other`, an instrument shift that
is only reported).

Model selection: song-grouped cross-validation on train+val together (StratifiedGroupKFold by source
piece; every render of a clip and every clip of a piece fall in one fold; asserted), repeated over
``--repeats`` seeds. Each fold trains on all renders of its training pieces and is scored on the piano
renders of its held-out pieces. Eligible models must read the synthetic cue probes the right way
(`cue_probes`); the best mean grouped-CV accuracy among them wins. For the winner the script reports, out
of fold: accuracy per soundfont, the soundfont shift (how far the reading of one clip moves between its
renders: mean |delta V|, |delta A| in the critic's units, top-quadrant agreement), accuracy of the
per-clip average of the renders' probabilities, and the expected calibration error before and after
temperature scaling (the temperature cross-fitted over folds for the "after" figure). The final model is
refit on all renders of train+val, the temperature fitted on all out-of-fold probabilities is baked into
the ONNX graph (output `probabilities_calibrated`), and onnxruntime must reproduce scikit-learn. For
comparison only, the official split figure (fit on train, score on val) is reported too.

Rendering is the slow part (FluidSynth runs ~44x real time; loading MuseScore_General's compressed sf3
takes ~11 s), so clips are rendered in batches (one synthesiser per batch: clips laid end to end on the
time line, each followed by its 1 s tail, an all-sound-off/reset-controllers event and a gap, then cut
apart; `render_batch`) by ``--workers`` processes. Rendered audio (FLAC) is cached under
``~/.cache/emostudio/music/audio`` keyed by the renderer's code hash, descriptors under
``~/.cache/emostudio/music`` keyed by the renderer and feature code hash: a feature change re-analyses
without re-rendering, and a rerun only retrains. Everything is seeded; one thread per process.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from itertools import combinations  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from critics.music import QUADRANTS  # noqa: E402

#: Piano renders of every clip: one per soundfont (Debian fluid-soundfont-gm, timgm6mb-soundfont,
#: musescore-general-soundfont)
PIANO_FONTS = ("FluidR3_GM", "TimGM6mb", "MuseScore_General")
#: General MIDI programs for the timbre augmentation: keyboards, organs, plucked, bowed, voices, mallets
AUGMENT_PROGRAMS = (0, 4, 5, 6, 11, 16, 19, 24, 25, 46, 48, 49, 52, 68, 73)
AUGMENT_FONTS = ("FluidR3_GM", "TimGM6mb")
RATE = 22050
TAIL_S = 1.0  #: render_midi's default tail: each clip's audio lasts end of last event + 1 s
GAP_S = 3.0  #: silence between clips of one batch, for the global reverb/chorus to die away
BATCH_VERSION = 1  #: bump when `render_batch` changes what it produces
MIXED_BATCH = 15  #: clips per batch when programs differ (one MIDI channel each: 16 minus drums)
PIANO_BATCH = 40  #: clips per batch when all play the file's own program (channels reused after a reset)


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


def _module_hash(h, mod) -> None:
    """Feed a module's syntax tree without docstrings and comments into `h`."""
    import ast

    tree = ast.parse(Path(mod.__file__).read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            body[0] = ast.Pass()
    h.update(ast.dump(tree).encode())


def render_hash() -> str:
    """Hash of the renderer code and the batching scheme: keys the audio cache."""
    import conditioning.render as render

    h = hashlib.sha256()
    _module_hash(h, render)
    h.update(f"batch{BATCH_VERSION}:tail{TAIL_S}:gap{GAP_S}".encode())
    return h.hexdigest()[:16]


def code_hash() -> str:
    """Hash of the renderer and feature code (syntax trees without docstrings and comments) and the
    batching scheme: a change to what the code does invalidates the descriptor cache, a change to its
    documentation does not."""
    import conditioning.render as render
    import critics.music.features as features

    h = hashlib.sha256()
    for mod in (render, features):
        _module_hash(h, mod)
    h.update(f"batch{BATCH_VERSION}:tail{TAIL_S}:gap{GAP_S}".encode())
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


# ----------------------------------------------------------------------------------- rendering


def render_batch(midis: list, font: str, programs: list[int | None], rate: int = RATE) -> list[np.ndarray]:
    """Render several PrettyMIDIs through ONE synthesiser and return each one's audio.

    Why: a synthesiser per clip reloads the soundfont (MuseScore_General's sf3 takes ~11 s to load,
    longer than rendering a 40 s clip). The clips are laid end to end, starting on whole seconds; each
    clip's segment lasts `end + TAIL_S` (what `render_midi` gives for the clip alone), after which every
    channel it used gets all-sound-off and reset-all-controllers (so a held sustain pedal or a ringing
    note never reaches the next clip), then `GAP_S` of silence lets the global reverb die away. Clips
    whose programs differ must each get their own channel (at most `MIXED_BATCH`). The level of each
    segment is arbitrary (the batch is loudness-normalised as a whole); the descriptors normalise it.
    """
    import copy

    import pretty_midi

    from conditioning.render import render_midi

    if len({p for p in programs}) > 1 and len(midis) > MIXED_BATCH:
        raise ValueError(f"clips with different programs need one channel each: at most {MIXED_BATCH}")
    whole = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    spans, offset = [], 0
    for pm, program in zip(midis, programs):
        end = pm.get_end_time()
        for inst in pm.instruments:
            inst = copy.deepcopy(inst)
            if program is not None and not inst.is_drum:
                inst.program = int(program)
            for n in inst.notes:
                n.start += offset
                n.end += offset
            for c in inst.control_changes:
                c.time += offset
            for b in inst.pitch_bends:
                b.time += offset
            stop = offset + end + TAIL_S
            inst.control_changes += [pretty_midi.ControlChange(64, 0, stop), pretty_midi.ControlChange(120, 0, stop),
                                     pretty_midi.ControlChange(121, 0, stop)]
            whole.instruments.append(inst)
        spans.append((offset * rate, int(math.ceil((end + TAIL_S) * rate))))
        offset = int(math.ceil(offset + end + TAIL_S + GAP_S))
    audio = render_midi(whole, rate=rate, soundfont=font, tail_s=GAP_S)
    y = audio.samples
    return [y[s : s + n] for s, n in spans]


def _to_int16(y: np.ndarray) -> np.ndarray:
    return np.clip(np.round(y * 32767.0), -32768, 32767).astype(np.int16)


def _render_job(job: dict) -> dict:
    """One batch: for each (clip, voice) without cached descriptors, analyse the cached audio or render it."""
    import pretty_midi
    import soundfile

    from critics.music.features import extract

    todo, rendered, audio_s, t0 = [], 0, 0.0, time.perf_counter()
    for item in job["items"]:
        if Path(item["features"]).is_file():
            continue
        if Path(item["audio"]).is_file():
            q, _ = soundfile.read(item["audio"], dtype="int16")
            _save_npy(Path(item["features"]), extract(q.astype(np.float32) / 32767.0, RATE))
            audio_s += q.size / RATE
        else:
            todo.append(item)
    if todo:
        midis = [_crop(pretty_midi.PrettyMIDI(it["path"]), job["max_seconds"]) for it in todo]
        segments = render_batch(midis, job["font"], [it["program"] for it in todo])
        for it, seg in zip(todo, segments):
            q = _to_int16(seg)
            apath = Path(it["audio"])
            apath.parent.mkdir(parents=True, exist_ok=True)
            tmp = apath.with_suffix(".tmp.flac")
            soundfile.write(str(tmp), q, RATE, subtype="PCM_16", format="FLAC")
            os.replace(tmp, apath)
            _save_npy(Path(it["features"]), extract(q.astype(np.float32) / 32767.0, RATE))
            audio_s += q.size / RATE
            rendered += 1
    return {"items": len(job["items"]), "rendered": rendered, "audio_s": audio_s,
            "seconds": time.perf_counter() - t0}


def _save_npy(target: Path, vec: np.ndarray) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.npy")
    np.save(tmp, vec)
    os.replace(tmp, target)


def voices_for(clip: Clip, seed: int, fonts=PIANO_FONTS, augment: int = 0) -> list[tuple[str, Voice]]:
    """Seeded (kind, voice) renders of one clip: piano in each font, `augment` random programs, and for
    val clips one TimGM6mb render with a random non-piano program ("other", reported only). The seed
    mixes in the clip's name, so a clip's voices do not depend on which other clips are loaded."""
    key = zlib.crc32(clip.path.stem.encode())
    out = [("piano", Voice(f, None)) for f in fonts]
    rng = np.random.default_rng([seed, key, 0])
    for _ in range(augment):
        out.append(("augment", Voice(str(rng.choice(AUGMENT_FONTS)), int(rng.choice(AUGMENT_PROGRAMS[1:])))))
    if clip.split == "val":
        rng = np.random.default_rng([seed, key, 1])
        out.append(("other", Voice("TimGM6mb", int(rng.choice(AUGMENT_PROGRAMS[1:])))))
    return out


def _warm_up() -> None:
    """Compile librosa's numba kernels once in the parent, so forked workers never compile concurrently
    (concurrent compiles can corrupt numba's on-disk cache)."""
    from critics.music.features import extract

    t = np.arange(3 * RATE) / RATE
    extract((0.1 * np.sin(2 * np.pi * 440 * t) * (t % 0.5 < 0.25)).astype(np.float32), RATE)


def build_features(clips: list[Clip], cache: Path, seed: int, fonts=PIANO_FONTS, augment: int = 0,
                   max_seconds: float | None = None, workers: int = 2, log=print) -> dict[str, np.ndarray]:
    """Render (batched, `workers` processes, cached) and analyse every (clip, voice); one row per render."""
    key, rkey = code_hash(), render_hash()
    rows, jobs = [], {}
    for clip in clips:
        for kind, voice in voices_for(clip, seed, fonts, augment):
            stem = f"{clip.path.stem}_{voice.font}_{voice.program}_{max_seconds}"
            item = {"path": str(clip.path), "program": voice.program,
                    "features": str(cache / f"{stem}_{key}.npy"), "audio": str(cache / "audio" / f"{stem}_{rkey}.flac")}
            rows.append((clip, kind, voice, item["features"]))
            jobs.setdefault((voice.font, voice.program is None), []).append(item)
    batches = []
    for (font, piano), items in jobs.items():
        size = PIANO_BATCH if piano else MIXED_BATCH
        batches += [{"font": font, "max_seconds": max_seconds, "items": items[i : i + size]}
                    for i in range(0, len(items), size)]
    batches = [b for b in batches if not all(Path(it["features"]).is_file() for it in b["items"])]
    total = sum(len(b["items"]) for b in batches)
    log(f"  renders: {len(rows)} ({len(rows) - total} cached), {len(batches)} batches on {workers} worker(s)")
    if batches:
        _warm_up()
        t0, done, audio_s = time.time(), 0, 0.0

        def report(res):
            nonlocal done, audio_s
            done += res["items"]
            audio_s += res["audio_s"]
            el = time.time() - t0
            log(f"  rendered+analysed {done}/{total} ({audio_s / 3600:.2f} h of audio)  {el:.0f}s elapsed, "
                f"~{el / max(done, 1) * (total - done):.0f}s left")

        batches.sort(key=lambda b: (b["font"] != "MuseScore_General", -len(b["items"])))  # slow loads first
        if workers <= 1:
            for b in batches:
                report(_render_job(b))
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
                for fut in as_completed([pool.submit(_render_job, b) for b in batches]):
                    report(fut.result())
    return {
        "X": np.stack([np.load(f) for *_, f in rows]),
        "y": np.array([QUADRANTS.index(c.quadrant) for c, *_ in rows]),
        "group": np.array([c.piece for c, *_ in rows]),
        "clip": np.array([c.path.stem for c, *_ in rows]),
        "split": np.array([c.split for c, *_ in rows]),
        "kind": np.array([k for _, k, *_ in rows]),
        "font": np.array([v.font for _, _, v, _ in rows]),
        "voice": np.array([v.tag() for _, _, v, _ in rows]),
    }


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
    from sklearn.base import clone
    from sklearn.ensemble import GradientBoostingClassifier, VotingClassifier
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
    for c in (1.0, 3.0):
        models[f"svm_rbf_C{c}"] = make_pipeline(
            StandardScaler(), SVC(C=c, kernel="rbf", gamma="scale", probability=True, random_state=seed))
    models["gboost"] = make_pipeline(StandardScaler(), GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=seed))
    for alpha in (1e-1, 1.0):
        models[f"mlp64_a{alpha}"] = make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(64,), alpha=alpha, max_iter=600, early_stopping=True, validation_fraction=0.15,
            n_iter_no_change=30, random_state=seed))
    # Soft voting of three model families with different errors (a linear boundary, axis-aligned trees, a
    # smooth non-linear one): averaging their probabilities cuts the variance each has on 353 pieces.
    models["vote_lr_gb_mlp"] = VotingClassifier(
        [("lr", clone(models["logreg_C0.03"])), ("gb", clone(models["gboost"])), ("mlp", clone(models["mlp64_a1.0"]))],
        voting="soft", flatten_transform=False)
    return models


def nested_accuracy(cv: dict, eligible: list[str], folds: int) -> dict:
    """The selection's own out-of-fold accuracy: for each fold of each seed, the candidate with the best mean
    accuracy on that seed's OTHER folds is picked and scored on this fold. Choosing the best of many
    candidates on the same folds that report its accuracy flatters it; this figure does not."""
    acc = {k: np.asarray(cv[k]["folds"]).reshape(-1, folds) for k in eligible}  # (seeds, folds): cross_validate's order
    seeds = acc[eligible[0]].shape[0]
    picks = [max(eligible, key=lambda k: np.delete(acc[k][s], f).mean()) for s in range(seeds) for f in range(folds)]
    accs = [acc[k][i // folds, i % folds] for i, k in enumerate(picks)]
    return {"accuracy_mean": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
            "picked": {k: picks.count(k) for k in sorted(set(picks))}}


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



def _fold_task(model, X, y, tr, te):
    from sklearn.base import clone

    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
    return clone(model).fit(X[tr], y[tr]).predict_proba(X[te])


def grouped_splits(y, groups, seed: int, folds: int, clips=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """StratifiedGroupKFold by source piece; asserts that no piece (hence no clip, no render) is split."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_folds = min(folds, len(np.unique(groups)))
    split = list(StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(y, y, groups))
    for tr, te in split:  # the promise the whole validation rests on
        assert not set(groups[tr]) & set(groups[te]), "a piece is on both sides of a fold"
        if clips is not None:
            assert not set(clips[tr]) & set(clips[te]), "a clip is on both sides of a fold"
    assert np.array_equal(np.sort(np.concatenate([te for _, te in split])), np.arange(len(y)))
    return split


def cross_validate(models: dict, X, y, groups, seed: int, folds: int, log=print, *, repeats: int = 1,
                   clips=None, eval_mask=None, workers: int = 1) -> dict:
    """Repeated song-grouped CV: seeds seed..seed+repeats-1 x `folds` folds. Every fold trains on all rows of
    its training pieces and is scored on the rows of `eval_mask` (all rows if None) of its held-out pieces.
    Returns per model: fold accuracies, mean and sd, and the out-of-fold probabilities (repeats, n, 4)."""
    from joblib import Parallel, delayed

    eval_mask = np.ones(len(y), bool) if eval_mask is None else np.asarray(eval_mask, bool)
    splits = {s: grouped_splits(y, groups, s, folds, clips) for s in range(seed, seed + repeats)}
    tasks = [(name, s, k) for name in models for s in splits for k in range(len(splits[s]))]
    t0 = time.time()
    probas = Parallel(n_jobs=workers)(delayed(_fold_task)(models[name], X, y, *splits[s][k]) for name, s, k in tasks)
    results = {}
    for name in models:
        oof = np.full((repeats, len(y), 4), np.nan)
        accs = []
        for (n, s, k), p in zip(tasks, probas):
            if n != name:
                continue
            tr, te = splits[s][k]
            oof[s - seed, te] = p
            m = eval_mask[te]
            accs.append(float(np.mean(p[m].argmax(axis=1) == y[te][m])))
        results[name] = {"cv_accuracy_mean": float(np.mean(accs)), "cv_accuracy_std": float(np.std(accs)),
                         "folds": accs, "oof": oof}
        log(f"  {name:16s} grouped cv acc {np.mean(accs):.3f} +- {np.std(accs):.3f} ({len(accs)} folds)")
    log(f"  cross-validation: {time.time() - t0:.0f}s")
    results["_splits"] = splits
    return results


# ----------------------------------------------------------------------------------- calibration


def apply_temperature(p: np.ndarray, t: float) -> np.ndarray:
    """softmax(log p / t): the same computation the ONNX graph appends (`export_onnx`)."""
    z = np.log(np.maximum(np.asarray(p, np.float64), 1e-7)) / t
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(p: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of `y` (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t):
        q = apply_temperature(p, float(np.exp(log_t)))
        return -float(np.mean(np.log(q[np.arange(len(y)), y] + 1e-12)))

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top label, equal-width confidence bins."""
    conf, pred = p.max(axis=1), p.argmax(axis=1)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            err += m.mean() * abs(np.mean(pred[m] == y[m]) - conf[m].mean())
    return float(err)


def calibration_report(oof: np.ndarray, y: np.ndarray, mask: np.ndarray, splits: dict, seed: int) -> dict:
    """ECE out of fold before and after temperature scaling; the 'after' temperature of each fold is fitted
    on the other folds' out-of-fold probabilities (cross-fitted), the shipped one on all of them."""
    before, after, temps = [], [], []
    for r, (s, split) in enumerate(sorted(splits.items())):
        p = oof[r]
        cal = np.array(p)
        for tr, te in split:
            tr, te = tr[mask[tr]], te[mask[te]]
            t = fit_temperature(p[tr], y[tr])
            temps.append(t)
            cal[te] = apply_temperature(p[te], t)
        before.append(ece(p[mask], y[mask]))
        after.append(ece(cal[mask], y[mask]))
    pooled = oof[:, mask].reshape(-1, 4)
    t_all = fit_temperature(pooled, np.tile(y[mask], oof.shape[0]))
    return {"temperature": t_all, "ece_before_mean": float(np.mean(before)), "ece_before_sd": float(np.std(before)),
            "ece_after_mean": float(np.mean(after)), "ece_after_sd": float(np.std(after)),
            "cross_fitted_temperatures": [round(t, 3) for t in temps], "bins": 15,
            "ece_after_shipped_temperature_in_sample": ece(apply_temperature(pooled, t_all), np.tile(y[mask], oof.shape[0]))}


# ----------------------------------------------------------------------------------- soundfont shift


def font_sets(fonts) -> list[tuple[str, ...]]:
    """Every set of two or more fonts, all of them last: the renders a MIDI reading may average."""
    return [c for n in range(2, len(fonts) + 1) for c in combinations(fonts, n)] or [tuple(fonts)]


def clip_average_accuracy(p: np.ndarray, rows: dict, y: np.ndarray, fonts) -> float:
    """Accuracy of each clip's mean probability over its renders through ``fonts`` (``rows[f]``: the rows of
    the clips' renders through font f, in one clip order; ``y``: the clips' labels in that order)."""
    return float(np.mean(np.mean([p[rows[f]] for f in fonts], axis=0).argmax(1) == y))


def soundfont_report(oof: np.ndarray, data: dict, fonts, splits: dict, seed: int) -> dict:
    """Out-of-fold accuracy per soundfont, accuracy of the per-clip average over fonts, and how far one
    clip's reading moves between its renders (critic units: `critics.music.quadrant_vad`)."""
    from critics.music import quadrant_vad

    y, clip, font, kind = data["y"], data["clip"], data["font"], data["kind"]
    piano = kind == "piano"
    names = sorted(set(clip[piano]))
    idx = {f: {c: i for i, c in enumerate(clip) if piano[i] and font[i] == f} for f in fonts}
    full = [c for c in names if all(c in idx[f] for f in fonts)]
    rows = {f: np.array([idx[f][c] for c in full]) for f in fonts}
    yc = y[rows[fonts[0]]]
    per_font = {f: [] for f in fonts}
    per_font_folds = {f: [] for f in fonts}
    pooled_acc, dv, da, agree, agree_all = [], {}, {}, {}, []
    set_acc: dict[str, list[float]] = {"+".join(sub): [] for sub in font_sets(fonts)}
    for r, (s, split) in enumerate(sorted(splits.items())):
        p = oof[r]
        for sub in font_sets(fonts):
            set_acc["+".join(sub)].append(clip_average_accuracy(p, rows, yc, sub))
        for f in fonts:
            per_font[f].append(float(np.mean(p[rows[f]].argmax(1) == yc)))
            for _, te in split:
                m = piano[te] & (font[te] == f)
                per_font_folds[f].append(float(np.mean(p[te][m].argmax(1) == y[te][m])))
        pooled_acc.append(float(np.mean(np.concatenate([p[rows[f]].argmax(1) == yc for f in fonts]))))
        va = {f: np.array([quadrant_vad(q)[:2] for q in p[rows[f]]]) for f in fonts}
        top = {f: p[rows[f]].argmax(1) for f in fonts}
        for i, f in enumerate(fonts):
            for g in fonts[i + 1:]:
                k = f"{f}|{g}"
                dv.setdefault(k, []).append(float(np.mean(np.abs(va[f][:, 0] - va[g][:, 0]))))
                da.setdefault(k, []).append(float(np.mean(np.abs(va[f][:, 1] - va[g][:, 1]))))
                agree.setdefault(k, []).append(float(np.mean(top[f] == top[g])))
        agree_all.append(float(np.mean(np.all([top[f] == top[fonts[0]] for f in fonts], axis=0))))
    acc = {f: {"mean_over_seeds": float(np.mean(v)), "sd_over_seeds": float(np.std(v)),
               "sd_over_folds": float(np.std(per_font_folds[f]))} for f, v in per_font.items()}
    means = [a["mean_over_seeds"] for a in acc.values()]
    avg_acc = set_acc["+".join(fonts)]  # every font averaged
    return {
        "clips": len(full), "accuracy_by_font": acc,
        "max_font_gap_points": round(100 * (max(means) - min(means)), 2),
        "accuracy_pooled_renders": float(np.mean(pooled_acc)),
        "accuracy_clip_average_of_fonts": float(np.mean(avg_acc)), "accuracy_clip_average_sd": float(np.std(avg_acc)),
        "accuracy_clip_average_by_font_set": {k: float(np.mean(v)) for k, v in set_acc.items()},
        "mean_abs_delta_valence": {k: float(np.mean(v)) for k, v in dv.items()},
        "mean_abs_delta_arousal": {k: float(np.mean(v)) for k, v in da.items()},
        "top_quadrant_agreement": {k: float(np.mean(v)) for k, v in agree.items()},
        "top_quadrant_agreement_all_fonts": float(np.mean(agree_all)),
        "units": "valence/arousal as the critic reports them (quadrant_vad), range [-1, 1]",
    }


# ----------------------------------------------------------------------------------- export


def prune_initializers(onx) -> None:
    """Drop initializers no node reads (skl2onnx's VotingClassifier leaves `classes_ind`): onnxruntime would
    otherwise print a warning on every load, on the user's terminal."""
    used = {name for node in onx.graph.node for name in node.input}
    keep = [t for t in onx.graph.initializer if t.name in used]
    del onx.graph.initializer[:]
    onx.graph.initializer.extend(keep)


def export_onnx(model, n_features: int, path: Path, X_check: np.ndarray, temperature: float = 1.0) -> float:
    """Write the fitted pipeline as ONNX with the temperature appended (output `probabilities_calibrated` =
    softmax(log(max(p, 1e-7)) / T); the raw `probabilities` stay as an output) and return the larger of
    max |onnxruntime - scikit-learn| over the raw and the calibrated probabilities."""
    import onnxruntime as ort
    from onnx import TensorProto, helper
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    clf = model.steps[-1][1] if hasattr(model, "steps") else model  # a pipeline or a VotingClassifier
    onx = convert_sklearn(model, initial_types=[("features", FloatTensorType([None, n_features]))],
                          options={id(clf): {"zipmap": False}}, target_opset=17)
    g = onx.graph
    raw = g.output[1].name
    g.initializer.extend([helper.make_tensor("cal_eps", TensorProto.FLOAT, [], [1e-7]),
                          helper.make_tensor("cal_inv_t", TensorProto.FLOAT, [], [1.0 / float(temperature)])])
    g.node.extend([helper.make_node("Max", [raw, "cal_eps"], ["cal_clipped"], name="cal_max"),
                   helper.make_node("Log", ["cal_clipped"], ["cal_log"], name="cal_log"),
                   helper.make_node("Mul", ["cal_log", "cal_inv_t"], ["cal_logits"], name="cal_scale"),
                   helper.make_node("Softmax", ["cal_logits"], ["probabilities_calibrated"], axis=1, name="cal_softmax")])
    g.output.append(helper.make_tensor_value_info("probabilities_calibrated", TensorProto.FLOAT, [None, 4]))
    prune_initializers(onx)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onx.SerializeToString())
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    got_raw, got_cal = sess.run([raw, "probabilities_calibrated"], {"features": X_check.astype(np.float32)})
    want = model.predict_proba(X_check.astype(np.float32))
    return float(max(np.max(np.abs(got_raw - want)), np.max(np.abs(got_cal - apply_temperature(want, temperature)))))


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


def _clean(obj):
    """JSON-ready copy: numpy scalars to floats, rounded; drops arrays (out-of-fold probabilities)."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if not isinstance(v, np.ndarray) and not k.startswith("_")}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(f"{float(obj):.6g}")
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def main(argv: list[str] | None = None) -> int:
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=Path("critics/weights"))
    ap.add_argument("--cache", type=Path, default=Path("~/.cache/emostudio/music").expanduser())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fonts", nargs="+", default=list(PIANO_FONTS), help="soundfonts of the piano renders")
    ap.add_argument("--augment", type=int, default=1, help="extra renders per clip with a random GM program")
    ap.add_argument("--workers", type=int, default=2, help="processes for rendering and cross-validation")
    ap.add_argument("--per-quadrant", type=int, default=None, help="train clips per quadrant (a quick slice)")
    ap.add_argument("--max-seconds", type=float, default=None, help="crop every clip (quick runs)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3, help="seeds of the repeated grouped cross-validation")
    ap.add_argument("--quick", action="store_true", help="one model only (tests)")
    ap.add_argument("--throughput-clips", type=int, default=10)
    ap.add_argument("--name", default="music_embedded", help="output file stem")
    args = ap.parse_args(argv)

    log = lambda *a: print(*a, flush=True)  # noqa: E731
    t_start = time.time()
    np.random.seed(args.seed)
    fonts = tuple(args.fonts)
    clips = load_clips(args.data, args.per_quadrant, args.seed)
    n_train, n_val = sum(c.split == "train" for c in clips), sum(c.split == "val" for c in clips)
    log(f"EMOPIA: {n_train} train clips, {n_val} val clips, {len({c.piece for c in clips})} pieces; "
        f"fonts {', '.join(fonts)}, augment {args.augment}")
    data = build_features(clips, args.cache.expanduser(), args.seed, fonts, args.augment, args.max_seconds,
                          args.workers, log)
    t_features = time.time() - t_start
    log(f"features: {data['X'].shape}, {t_features:.0f}s")

    # ---- 1. repeated song-grouped CV on train+val (the "other" renders of val clips stay out of it)
    cvmask = data["kind"] != "other"
    d = {k: v[cvmask] for k, v in data.items()}
    eval_mask = d["kind"] == "piano"
    models = candidates(args.seed, args.quick)
    cv = cross_validate(models, d["X"], d["y"], d["group"], args.seed, args.folds, log, repeats=args.repeats,
                        clips=d["clip"], eval_mask=eval_mask, workers=args.workers)
    splits = cv.pop("_splits")

    # ---- 2. eligibility (cue probes, fitted on everything) and selection by grouped CV
    from sklearn.base import clone

    from conditioning.render import render_midi
    from critics.music.features import extract

    probes = np.stack([extract(a.samples, a.rate) for a in (render_midi(pm, rate=RATE) for pm in cue_probes())])
    fitted = {}
    for name in models:
        fitted[name] = clone(models[name]).fit(d["X"], d["y"])
        cv[name]["probe"] = probe_check(fitted[name], probes)
        log(f"  {name:16s} probes {'pass' if cv[name]['probe']['passed'] else 'FAIL'} {cv[name]['probe']}")
    eligible = [k for k in cv if cv[k]["probe"]["passed"]] or list(cv)
    best = max(eligible, key=lambda k: cv[k]["cv_accuracy_mean"])
    model = fitted[best]
    oof = cv[best]["oof"]
    nested = nested_accuracy(cv, eligible, len(splits[args.seed]))
    log(f"best by grouped CV among models passing the probes: {best} "
        f"({cv[best]['cv_accuracy_mean']:.3f} +- {cv[best]['cv_accuracy_std']:.3f}); the selection itself, nested: "
        f"{nested['accuracy_mean']:.3f} +- {nested['accuracy_std']:.3f} (picked {nested['picked']})")

    # ---- 3. the winner out of fold: soundfont shift, scores, calibration
    shift = soundfont_report(oof, d, fonts, splits, args.seed)
    log("  accuracy by font: " + ", ".join(f"{f} {a['mean_over_seeds']:.3f}" for f, a in shift["accuracy_by_font"].items())
        + f"; gap {shift['max_font_gap_points']:.1f} points; clip average of fonts {shift['accuracy_clip_average_of_fonts']:.3f}")
    log("  clip average by font set: " + ", ".join(f"{k} {v:.3f}" for k, v in shift["accuracy_clip_average_by_font_set"].items()))
    log(f"  |dV| {shift['mean_abs_delta_valence']}  |dA| {shift['mean_abs_delta_arousal']}")
    log(f"  top-quadrant agreement {shift['top_quadrant_agreement']}, all fonts {shift['top_quadrant_agreement_all_fonts']:.3f}")
    oof_scores = scores(d["y"][eval_mask], oof[0][eval_mask])
    calib = calibration_report(oof, d["y"], eval_mask, splits, args.seed)
    temperature = calib["temperature"]
    log(f"  calibration: T = {temperature:.3f}; ECE {calib['ece_before_mean']:.3f} -> {calib['ece_after_mean']:.3f} "
        f"(cross-fitted, out of fold)")
    if args.augment:
        aug = d["kind"] == "augment"
        shift["accuracy_augment_renders"] = float(np.mean(oof[:, aug].argmax(-1) == d["y"][aug]))

    # ---- 4. the official split, for comparison only: fit on train, score on val
    tr = data["split"] == "train"
    tr &= data["kind"] != "other"
    official = clone(models[best]).fit(data["X"][tr], data["y"][tr])
    val = {}
    vmask = (data["split"] == "val") & (data["kind"] == "piano")
    if vmask.any():
        pv = apply_temperature(official.predict_proba(data["X"][vmask]), temperature)
        val["val_piano"] = scores(data["y"][vmask], pv)
        val["val_piano"]["by_font"] = {f: scores(data["y"][vmask][data["font"][vmask] == f],
                                                 pv[data["font"][vmask] == f])["accuracy_4q"] for f in fonts}
        vc, vf, yv = data["clip"][vmask], data["font"][vmask], data["y"][vmask]
        names = sorted(set(vc))
        vrows = {f: np.array([np.flatnonzero((vc == c) & (vf == f))[0] for c in names]) for f in fonts}
        by_set = {"+".join(sub): clip_average_accuracy(pv, vrows, yv[vrows[fonts[0]]], sub) for sub in font_sets(fonts)}
        val["val_piano"]["clip_average_of_fonts"] = by_set["+".join(fonts)]
        val["val_piano"]["clip_average_by_font_set"] = by_set
        val["val_piano"]["ece"] = ece(pv, data["y"][vmask])
    omask = data["kind"] == "other"
    if omask.any():
        val["val_other"] = scores(data["y"][omask], apply_temperature(official.predict_proba(data["X"][omask]), temperature))
    for part, v in val.items():
        log(f"  official split {part:10s} 4Q acc {v['accuracy_4q']:.3f}  valence-sign {v['valence_sign_accuracy']:.3f}  "
            f"arousal-sign {v['arousal_sign_accuracy']:.3f}  (n={v['n']}) {v.get('by_font', '')}")

    # ---- 5. export the model fitted on all of train+val, temperature baked in
    onnx_path = args.out / f"{args.name}.onnx"
    diff = export_onnx(model, d["X"].shape[1], onnx_path, data["X"], temperature)
    log(f"ONNX written to {onnx_path} ({onnx_path.stat().st_size} bytes); max |onnxruntime - sklearn| = {diff:.2e}")
    if diff > 1e-4:
        log("ERROR: ONNX export does not reproduce scikit-learn")
        return 1
    final_probe = probe_check(model, probes)
    val_clips = [c for c in clips if c.split == "val"]
    throughput = measure_throughput(val_clips, onnx_path, args.throughput_clips, log) if args.throughput_clips else {}

    from critics.music.features import FEATURE_VERSION, feature_names

    meta = {
        "model": best, "labels": list(QUADRANTS), "feature_names": feature_names(),
        "feature_version": FEATURE_VERSION, "code_hash": code_hash(), "render_hash": render_hash(), "rate": RATE,
        "input": "features", "output_probabilities": "probabilities_calibrated", "output_raw": "probabilities",
        "temperature": round(temperature, 6),
        "feature_mean": d["X"].mean(axis=0).round(6).tolist(),
        "feature_std": d["X"].std(axis=0).round(6).tolist(),
        "data": {"corpus": "EMOPIA (Hung et al. 2021), piano MIDI, train+val (official split kept for comparison)",
                 "licence": "EMOPIA: CC BY-NC-SA 4.0 (research); the weights are derived from it",
                 "soundfonts": {"FluidR3_GM": "MIT (Debian fluid-soundfont-gm)",
                                "TimGM6mb": "GPL-2 (Debian timgm6mb-soundfont)",
                                "MuseScore_General": "MIT (Debian musescore-general-soundfont)"},
                 "train_clips": n_train, "val_clips": n_val, "pieces": len({c.piece for c in clips}),
                 "piano_fonts": list(fonts), "augment_renders_per_clip": args.augment,
                 "augment_programs": list(AUGMENT_PROGRAMS), "augment_fonts": list(AUGMENT_FONTS),
                 "rows_for_fit": int(len(d["y"])),
                 "val_other": "TimGM6mb, a seeded random non-piano program per val clip (reported only)",
                 "per_quadrant": args.per_quadrant, "max_seconds": args.max_seconds},
        "seed": args.seed,
        "cv": {"scheme": f"StratifiedGroupKFold({args.folds}) by source piece on train+val, seeds "
                         f"{args.seed}..{args.seed + args.repeats - 1}; trained on all renders of the training "
                         f"pieces, scored on the piano renders of the held-out pieces",
               "results": {k: {kk: vv for kk, vv in v.items() if kk != "oof"} for k, v in cv.items()}},
        "selection": "best repeated grouped-CV accuracy among models whose fit on all renders reads the bright "
                     "cue probe (major, 140 BPM, loud, staccato) as V > 0, A > 0, the dark one (minor, 60 BPM, "
                     "soft, legato) as A < 0, and the bright one higher in both; see cue_probes()",
        "nested_selection": nested,
        "out_of_fold": {"scores_seed0": oof_scores, "soundfont_shift": shift, "calibration": calib},
        "validation": val, "official_split_note": "fit on the train split only, scored on val: for comparison, "
                                                  "not used for selection",
        "final_probe": final_probe, "onnx_max_abs_diff": diff, "throughput": throughput,
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "command": "python -m critics.training.music " + " ".join(sys.argv[1:] if argv is None else argv),
        "feature_seconds": round(t_features, 1), "train_seconds": round(time.time() - t_start, 1),
    }
    (args.out / f"{args.name}.json").write_text(json.dumps(_clean(meta), indent=1) + "\n")
    log(f"metadata written to {args.out / (args.name + '.json')}; total {time.time() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
