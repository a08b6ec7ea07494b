"""Train and validate the second speech judge, `speech/encoder` (`critics.speech.encoder`).

    python -m critics.training.speech_encoder --export-encoder          # once: Resemblyzer's LSTM -> ONNX
    python -m critics.training.speech_encoder --data ../shared/data --out critics/weights [--augment 2] [--noise 1]

1. ``--export-encoder``: the first two LSTM layers of Resemblyzer's pretrained GE2E speaker encoder
   (``pretrained.pt`` inside the ``resemblyzer`` wheel: ``pip install --no-deps resemblyzer==0.1.4``; only
   this step needs it, and torch) become ``speech_encoder_lstm.onnx``: mel partials (P, 160, 40) -> the mean
   and sd over time of the layer-2 states (P, 512). Checked against torch.
2. Vectors: every RAVDESS and EmoDB clip through the shipped ONNX encoder (`SpeechEncoderCritic.vector`), once
   per input level (`critics.speech.encoder.LEVELS`: the single-file heads read clips scaled to -30 dBFS, the
   referenced ones Resemblyzer's raise-if-quieter level), cached under ``~/.cache/emostudio/speech_encoder``
   keyed by the encoder file's hash, the partial rate, the feature code's hash and the level.
3. Speaker-level augmentation (``--augment K``): K pseudo-speakers per real one. Each gets one fixed
   perturbation drawn per (speaker, k) and applied to all of that speaker's clips through WORLD
   analysis-resynthesis: F0 shifted by -4..+4 semitones, formants (spectral envelope) warped by 0.9..1.1,
   spectral tilt -3..+3 dB/octave. So the heads see more voices, and vocoded speech (the studio's Piper +
   WORLD takes) is not out of distribution. ``--noise K``: K more pseudo-speakers per real one, its clips with
   one recording condition (a room for 70 % of the speakers, RT60 0.2-1.0 s, then white, pink or babble noise
   at 10-40 dB SNR; `critics.training.recording`), so a user's recording in a room is not out of distribution
   either. A pseudo-speaker stays in its source speaker's
   fold and only ever trains: validation is on the real recordings.
4. Heads: the linear heads of `critics.training.speech` (RAVDESS-8 logistic regression, optionally with EmoDB
   clips mapped onto RAVDESS labels; EmoDB-7; VAD ridge) for three conditions: ``population`` (raw vectors),
   ``speaker`` (minus the mean of the speaker's other neutral clips) and ``speaker_z`` (z-normalised over all
   the speaker's clips).
5. Selection by speaker-grouped cross-validation, honestly reported: 8 folds, RAVDESS actors in pairs (one
   male, one female) and EmoDB speakers round-robin, so no voice is on both sides. For every configuration
   (C x EmoDB weight) the out-of-fold predictions are computed once. The reported figure for each condition
   is *nested*: each fold's predictions come from the configuration that scored best on the *other* folds,
   so no fold's own labels choose its model. The shipped configuration is the one best over all folds.
6. Export: one ONNX graph per condition (standardisation inside) and a JSON with every figure.

Seeded; one thread.
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
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from critics.training.recording import conditions_record, noise_jobs, noise_key, noisy  # noqa: E402
from critics.training.speech import LICENCE as SPEECH_LICENCE  # noqa: E402
from critics.training.speech import (EMODB, RAVDESS, Item, _code_hash, _Inline, best_vad_sources,  # noqa: E402
                                     export_conditions, fit_heads, load_items, make_folds, metrics, nested,
                                     selection_score, speaker_shift, speaker_z)

GRID_C = (0.005, 0.01, 0.02, 0.05)
GRID_EMODB_WEIGHT = (0.5, 1.0)
#: recorded with the weights: the encoder's own terms and those of the data the heads are derived from
LICENCE = ("the LSTM encoder: Resemblyzer's GE2E weights (Apache-2.0, Resemble AI; trained on LibriSpeech CC BY 4.0 "
           "and VoxCeleb 1/2); the heads: " + SPEECH_LICENCE)
FILES = {"population": "speech_encoder.onnx", "speaker": "speech_encoder_speaker.onnx",
         "speaker_z": "speech_encoder_speaker_z.onnx"}
TARGETS = {"population": 0.55, "speaker": 0.62}  #: the issue's RAVDESS UAR targets (binary arousal: 0.90)
FOLDS = 8  #: speaker folds (RAVDESS actors in pairs, EmoDB speakers round-robin)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "emostudio" / "speech_encoder"
WEIGHTS = Path(__file__).resolve().parents[1] / "weights"


# ----------------------------------------------------------------------------------------- the encoder

def export_encoder(pretrained: Path | None, out: Path, log=print) -> float:
    """Resemblyzer's first two LSTM layers -> ONNX (mel partials -> layer-2 mean and sd). Returns the largest
    difference from torch on random partials."""
    import torch
    import torch.nn as nn

    from critics.speech.encoder import HIDDEN, N_MELS, PARTIAL

    if pretrained is None:
        try:
            import importlib.util

            spec = importlib.util.find_spec("resemblyzer")
        except ImportError:
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("the encoder's weights come from the resemblyzer wheel: "
                             "pip install --no-deps resemblyzer==0.1.4 (or pass --pretrained PATH/pretrained.pt)")
        pretrained = Path(list(spec.submodule_search_locations)[0]) / "pretrained.pt"
    state = torch.load(pretrained, map_location="cpu")["model_state"]

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(N_MELS, HIDDEN, 2, batch_first=True)  # Resemblyzer's layers 0 and 1

        def forward(self, mel):  # mel: (P, 160, 40)
            h, _ = self.lstm(mel)  # (P, 160, 256): layer-2 states
            return torch.cat([h.mean(1), h.std(1)], 1)  # (P, 512)

    enc = Encoder().eval()
    enc.lstm.load_state_dict({k.replace("lstm.", ""): v for k, v in state.items()
                              if k.startswith("lstm.") and k[-1] in "01"})
    mel = torch.rand(3, PARTIAL, N_MELS) * 2
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(enc, (mel,), str(out), input_names=["mel"], output_names=["features"],
                      dynamic_axes={"mel": {0: "partials"}, "features": {0: "partials"}}, opset_version=17, dynamo=False)
    import onnxruntime as ort

    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"mel": mel.numpy()})[0]
    with torch.no_grad():
        err = float(np.abs(got - enc(mel).numpy()).max())
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) from {pretrained}; ONNX vs torch max |diff| {err:.2e}")
    assert err < 1e-4, err
    return err


# ----------------------------------------------------------------------------------------- augmentation

def perturbation(speaker: str, k: int, seed: int) -> dict[str, float]:
    """The fixed voice change of pseudo-speaker k of a speaker (same draw every run)."""
    h = int(hashlib.sha1(f"{speaker}~{k}~{seed}".encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(h)
    return {"f0_st": float(rng.uniform(-4, 4)), "formant": float(rng.uniform(0.9, 1.1)),
            "tilt_db_oct": float(rng.uniform(-3, 3))}


def perturb(y: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """WORLD analysis-resynthesis of a 16 kHz clip with a voice change (F0, formants, tilt)."""
    from conditioning import vocoder as W

    feat = W.analyse(y.astype(np.float64), 16000, ap_step=2, bin_step=2)
    frames = np.ones(feat.n_frames)
    sp = W.warp_formants(feat.sp, frames * p["formant"]) * W.tilt_gain(feat.freqs, frames * p["tilt_db_oct"])
    f0 = feat.f0 * 2 ** (p["f0_st"] / 12)
    out = W.synthesise(replace(feat, f0=f0, sp=sp))
    peak = float(np.max(np.abs(out))) + 1e-9
    return (out / peak * min(peak, 0.97)).astype(np.float32)


# ----------------------------------------------------------------------------------------- vectors

_WORKER: dict = {}


def _vector_job(job) -> np.ndarray:
    """One clip's vector (a worker process keeps its own critic, i.e. its own ONNX session)."""
    import soundfile as sf

    from critics.speech.encoder import SpeechEncoderCritic
    from critics.speech.features import prepare

    path, p, encoder, which = job
    if "critic" not in _WORKER:
        _WORKER["critic"] = SpeechEncoderCritic(encoder=encoder)
    y, sr = sf.read(str(path), dtype="float32", always_2d=False)
    if p is not None and "noise" in p:  # a recording condition: noise over the whole recording, then trimmed
        y = prepare(noisy(y, sr, p), sr)
    elif p is not None:
        y = prepare(perturb(prepare(y, sr), p), 16000)
    else:
        y = prepare(y, sr)
    return _WORKER["critic"].vector(y, which)


def vectors(items: list[Item], encoder: Path, cache: Path, augment: int = 0, seed: int = 0, workers: int = 1,
            log=print, which: str = "population", noise: int = 0, folds: int = FOLDS):
    """(X, items) for the real clips followed by the augmented pseudo-speakers' clips (``augment`` WORLD voice
    changes, then ``noise`` recording conditions, each per speaker), as the heads ``which`` read them (its input
    level: `LEVELS`), cached per file (the cache key holds the encoder file's hash, the partial rate and the
    level, so a new encoder, slicing or level never reuses old vectors). ``folds``: the validation folds, which
    the babble noise keeps to (at most the RAVDESS actors: `main` gives its own)."""
    from concurrent.futures import ProcessPoolExecutor

    from critics.speech.encoder import LEVELS, PARTIALS_PER_S

    level = LEVELS[which]
    # the input's preparation (`critics.speech.features`: channels, offset, trimming) is part of the key: vectors
    # cached before it changed would be served to heads trained after
    cache = Path(cache) / (f"{hashlib.sha1(Path(encoder).read_bytes()).hexdigest()[:10]}_p{PARTIALS_PER_S:g}"
                           + f"_f{_code_hash()}" + ("" if level == "raise" else f"_{level}"))
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [(it, None, 0) for it in items] + [(it, perturbation(it.speaker, k, seed), k + 1)
                                             for k in range(augment) for it in items]
    if noise:
        group = dict(zip((it.speaker for it in items), make_folds(items, folds)))
        jobs += [(it, p, f"n{k + 1}") for k in range(noise) for it, p in zip(items, noise_jobs(items, k, seed, group))]
    files = [cache / (hashlib.sha1(f"{it.path.resolve()}|{k}|{seed if p else ''}{noise_key(p)}".encode())
                      .hexdigest()[:16] + ".npy") for it, p, k in jobs]
    todo = [i for i, fn in enumerate(files) if not fn.is_file()]
    t0 = time.time()
    log(f"  vectors ({level} level): {len(jobs) - len(todo)} cached, {len(todo)} to compute on {workers} worker(s)")
    with ProcessPoolExecutor(workers) if workers > 1 else _Inline() as pool:
        for n, (i, x) in enumerate(zip(todo, pool.map(_vector_job, [(jobs[i][0].path, jobs[i][1], encoder, which)
                                                                    for i in todo], chunksize=8))):
            np.save(files[i], x)
            if (n + 1) % 500 == 0:
                log(f"  vectors {n + 1}/{len(todo)} ({time.time() - t0:.0f} s)")
    X = np.stack([np.load(fn) for fn in files]).astype(np.float32)
    out_items = [it if p is None else replace(it, speaker=f"{it.speaker}~{k}") for it, p, k in jobs]
    return X, out_items


def shipped_vectors(data: Path, workers: int = 1, log=print,
                    which: str = "population") -> tuple[dict, list[Item], np.ndarray, list[Item]]:
    """(the shipped JSON, the clips' items, X, X's items): the vectors the shipped heads ``which`` were trained
    on (before speaker normalisation; its augmentation and seed; real clips first, then the pseudo-speakers),
    from the cache when it has them. For benches that refit the heads out of fold
    (bench/speech_collapse_humans.py, bench/speech_judges_humans.py, bench/speech_cues.py)."""
    from critics.speech.encoder import ENCODER_FILE

    meta = json.loads((WEIGHTS / "speech_encoder.json").read_text())
    items = load_items(data)
    X, all_items = vectors(items, WEIGHTS / ENCODER_FILE, CACHE, meta["augment"], meta["seed"], workers, log,
                           which, meta.get("noise", 0))
    return meta, items, X, all_items


# ----------------------------------------------------------------------------------------- selection

def speaker_folds(items: list[Item], all_items: list[Item], k: int) -> tuple[np.ndarray, np.ndarray, list[Item]]:
    """(real, fold, items_real) for `vectors`' output: which rows are real clips, each row's speaker fold (a
    pseudo-speaker "ravdess/01~1" stays in its source voice's fold), and the real clips' items."""
    real = np.array(["~" not in it.speaker for it in all_items])
    base_fold = dict(zip((it.speaker for it in items), make_folds(items, k)))
    fold = np.array([base_fold[it.speaker.split("~")[0]] for it in all_items])
    return real, fold, [it for it, r in zip(all_items, real) if r]


def oof(X, items, fold, real, C, w, seed):
    """Out-of-fold outputs on the real clips (augmented pseudo-speakers only train)."""
    out = {"ravdess": np.zeros((len(items), len(RAVDESS))), "emodb": np.zeros((len(items), len(EMODB))),
           "vad": np.zeros((len(items), 3))}
    for k in np.unique(fold[real]):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero((fold == k) & real)
        heads = fit_heads(X[tr], [items[i] for i in tr], C, w, seed)
        for key, v in heads.predict(X[te]).items():
            out[key][te] = v
    return {k: v[real] for k, v in out.items()}


def confusion(items_real: list[Item], p: np.ndarray) -> list[list[int]]:
    """RAVDESS confusion (rows true, columns predicted, label order `RAVDESS`)."""
    m = np.zeros((len(RAVDESS), len(RAVDESS)), dtype=int)
    for it, row in zip(items_real, p):
        if it.corpus == "ravdess":
            m[RAVDESS.index(it.label), int(np.argmax(row))] += 1
    return m.tolist()


def main(argv: list[str] | None = None) -> dict:
    from critics.training import default_data

    ap = argparse.ArgumentParser(prog="python -m critics.training.speech_encoder", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=Path("critics/weights"))
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--export-encoder", action="store_true", help="write the ONNX encoder from Resemblyzer's weights")
    ap.add_argument("--pretrained", type=Path, help="Resemblyzer's pretrained.pt (default: the installed wheel's)")
    ap.add_argument("--encoder", type=Path, help="the ONNX encoder to use (default: the shipped one)")
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--augment", type=int, default=0, help="WORLD pseudo-speakers per speaker (training only)")
    ap.add_argument("--noise", type=int, default=0,
                    help="noisy copies of every speaker's clips, one recording condition each (training only)")
    ap.add_argument("--workers", type=int, default=1, help="processes for the vectors (WORLD augmentation is slow)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-speaker", type=int, default=0, help="at most this many clips per speaker (quick runs)")
    ap.add_argument("--C", type=float, default=None, help="fix C instead of selecting it")
    args = ap.parse_args(argv)
    log = lambda *a: print(*a, flush=True)  # noqa: E731
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    from critics.speech.encoder import ENCODER_FILE, LEVELS, SpeechEncoderCritic

    if args.export_encoder:
        export_encoder(args.pretrained, args.out / ENCODER_FILE, log)
        return {}
    t_start = time.time()
    encoder = args.encoder or args.out / ENCODER_FILE
    if not Path(encoder).is_file():
        encoder = Path(__file__).resolve().parents[1] / "weights" / ENCODER_FILE
    critic = SpeechEncoderCritic(encoder=encoder, weights=args.out / FILES["population"])  # names the features
    items = load_items(args.data, per_speaker=args.per_speaker or None)
    n_spk = len({it.speaker for it in items})
    k = min(args.folds, len({it.speaker for it in items if it.corpus == "ravdess"}))
    log(f"{len(items)} clips, {n_spk} speakers, {k} folds, {args.augment} WORLD and {args.noise} noisy "
        "pseudo-speaker(s) per speaker")
    raw = {}  # input level -> the vectors before speaker normalisation (each condition's level: LEVELS)
    for cond in FILES:
        if LEVELS[cond] not in raw:
            raw[LEVELS[cond]], all_items = vectors(items, encoder, args.cache, args.augment, args.seed, args.workers,
                                                   log, cond, args.noise, k)
    real, fold, items_real = speaker_folds(items, all_items, k)
    conditions = {"population": raw[LEVELS["population"]], "speaker": speaker_shift(raw[LEVELS["speaker"]], all_items),
                  "speaker_z": speaker_z(raw[LEVELS["speaker_z"]], all_items)}
    grid = [(c, w) for c in ((args.C,) if args.C else GRID_C) for w in GRID_EMODB_WEIGHT]
    figures, chosen = {}, {}
    for cond, Xc in conditions.items():
        results = {cfg: oof(Xc, all_items, fold, real, *cfg, args.seed) for cfg in grid}
        per_cfg = {cfg: metrics(items_real, r) for cfg, r in results.items()}
        for cfg, f in per_cfg.items():
            log(f"[{cond}] C={cfg[0]} emodb_weight={cfg[1]}: RAVDESS UAR {f['ravdess_uar']:.3f}, arousal "
                f"{f['ravdess_arousal_binary_accuracy']:.3f}, EmoDB UAR {f.get('emodb_uar', 0):.3f}, CCC V/A "
                f"{f['all_ccc_valence_expectation']:.3f}/{f['all_ccc_arousal_expectation']:.3f}")
        best = max(per_cfg, key=lambda cfg: selection_score(per_cfg[cfg]))
        honest, picks = nested(results, fold[real], items_real)
        chosen[cond] = best
        figures[cond] = {"C": best[0], "emodb_weight": best[1], "nested": honest,
                         "nested_picks": [list(p) for p in picks], "selected_on_all_folds": per_cfg[best],
                         "confusion_ravdess": confusion(items_real, results[best]["ravdess"])}
        log(f"[{cond}] nested: RAVDESS UAR {honest['ravdess_uar']:.3f}, binary arousal "
            f"{honest['ravdess_arousal_binary_accuracy']:.3f}, EmoDB UAR {honest.get('emodb_uar', 0):.3f}; shipped C={best[0]}, "
            f"EmoDB weight {best[1]}")
    vad_source = best_vad_sources({cond: figures[cond]["nested"] for cond in conditions})
    export_conditions(conditions, all_items, chosen, FILES, args.out, args.seed)
    meta = {
        "format": 1,
        "what": "speech emotion heads over the layer-2 states of Resemblyzer's GE2E speaker encoder (critics.speech.encoder)",
        "feature_names": critic.feature_names(),
        "labels": list(RAVDESS), "emodb_labels": list(EMODB), "models": FILES, "vad_source": vad_source,
        "augment": args.augment, "noise": args.noise,
        "noise_conditions": conditions_record(),
        **critic.feature_settings(),
        "data": {"corpus": "RAVDESS speech actors 01-16 and EmoDB (../shared/data/speech)",
                 "licence": LICENCE,
                 "ravdess_clips": int(sum(it.corpus == "ravdess" for it in items)),
                 "emodb_clips": int(sum(it.corpus == "emodb" for it in items)),
                 "speakers": sorted({it.speaker for it in items})},
        "validation": f"{k}-fold speaker-grouped CV (RAVDESS actors in male/female pairs, EmoDB round-robin); "
                      "'nested': each fold predicted by the configuration best on the other folds",
        "seed": args.seed,
        "command": "python -m critics.training.speech_encoder " + " ".join(argv if argv is not None else sys.argv[1:]),
        "licences": {"encoder": "Resemblyzer (Apache-2.0), GE2E weights trained on LibriSpeech (CC BY 4.0) and "
                                "VoxCeleb 1/2 (CC BY 4.0)",
                     "ravdess": "CC BY-NC-SA 4.0 (Livingstone & Russo 2018)",
                     "emodb": "free for research (Burkhardt et al. 2005)",
                     "weights": "heads derived from research data; non-commercial use"},
        "figures": figures,
        "train_time_s": round(time.time() - t_start, 1),
    }
    (args.out / "speech_encoder.json").write_text(json.dumps(meta, indent=1))
    for cond in conditions:
        f = figures[cond]["nested"]
        log(f"{cond:10s} RAVDESS UAR {f['ravdess_uar']:.3f}  binary arousal {f['ravdess_arousal_binary_accuracy']:.3f}  "
            f"EmoDB UAR {f.get('emodb_uar', 0):.3f}  CCC V/A {f['all_ccc_valence_expectation']:.3f}/"
            f"{f['all_ccc_arousal_expectation']:.3f}")
    return meta


if __name__ == "__main__":
    main()
