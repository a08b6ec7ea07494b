"""Calibrate the speech prosody profiles on human acted speech: make the synthetic voice change, from its own
neutral take, the way the RAVDESS actors change from theirs.

    python -m studio.calibrate --data ../shared/data [--backend piper] [--out generators/speech/_calibrated.py]

Why: the literature (Murray & Arnott 1993, Scherer 2003, Schroeder 2004; see `prosody.py`) gives the
*direction* of each emotion's prosodic change and rough sizes; a listener (or a recogniser) also needs the
*proportions* right (how much higher, how much faster, how much more effort, relative to one another).
Those are measured here on real speech instead of guessed.

How:
0. The actors' spectral change. Per label and intensity, the mean over actors of the change of their long-term
   spectral shape from their own neutral clips (`generators.speech.spectrum`: 40 mel bands), written to
   ``generators/speech/_spectra.py`` (beside ``--out`` as ``<stem>_spectra.py`` for another table). The
   backends equalise every emotional take to it, so the fit below works with the spectrum already matched
   (each fitted take is rendered with its label's emotion and all controls set explicitly).
1. Human targets. For each RAVDESS label and each of its two intensities (strong, normal), the mean over
   that intensity's clips of all 16 actors of the acoustic functionals (the speech critic's 91 eGeMAPS-style features: F0 level/range/slopes, energy,
   rate and pauses, voice quality, spectral tilt, MFCC statistics) *minus the actor's own neutral mean*,
   in units of the within-speaker standard deviation. This is the "delta from neutral" a voice must show.
2. The generator's response. For a few calibration sentences (none of them in `bench/speech_fidelity.py`)
   the same deltas are measured for a small step of each control around neutral: a Jacobian J (features x
   controls) of the real Piper + WORLD pipeline, measured around neutral once (default) or, with ``--jacobian
   label``, around each label's starting profile with its own rendering (its spectral processing changes what some
   controls do; tried on 2026-12-07, not adopted yet: generators/cards/speech-piper-history.md).
3. Fit. Per label and intensity (strong at full intensity, normal at `prosody.NORMAL_INTENSITY`: actors do not
   simply do less of the same at normal intensity; RAVDESS's strong sadness is tearful, its normal sadness is
   not), starting from the literature profile c0, Gauss-Newton steps solve the bounded,
   regularised least squares ``min |M (J d - r)|^2 + lam |(c + d - c0) / span|^2`` with every control inside
   its artefact-free limits (`prosody.LIMITS`; the formant shift within the actors' own, `FIT_LIMITS`), r the
   residual between the human target and what the current controls produce (re-measured after each damped step;
   J is updated by Broyden's rule). M is the metric: ``lda+prosody`` (default) stacks the 7 linear discriminants
   of the human deltas (LDA: the Mahalanobis distance to the label's centroid in the directions that tell
   emotions apart) and the readable measures in `PROSODIC` (F0 level and range, level, syllable rate, HNR, alpha
   ratio) one by one;
   ``lda`` is the discriminants alone, ``z`` weighs all 91 features alike, ``prosody`` the readable measures
   alone (with jitter and the Hammarberg index); ``+dynamics`` adds the actors' spectral and loudness
   movement (`DYNAMICS`; tried, not adopted).
The regulariser keeps the fit near the cited profile where the data do not decide (lam, ``--prior``).

Why it lives in `studio/`: it joins a generator and the critics' feature space (DESIGN.md section 1: only the
studio imports both sides); the table it writes is the generator's (``generators/speech/_calibrated.py``).

Output: ``_calibrated.py``, a generated table of full-intensity controls per label (do not edit by hand),
plus the fit's figures (feature-space distance before/after, and both speech judges' agreement on the
calibration sentences, with the neutral take as speaker reference). The independent check is
`bench/speech_fidelity.py`, on other sentences.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

#: RAVDESS label -> the shared vocabulary's term rendered for it
RAVDESS_TO_TERM = {"neutral": "neutral", "calm": "calm", "happy": "joy", "sad": "sadness", "angry": "anger",
                   "fearful": "fear", "disgust": "disgust", "surprised": "surprise"}

#: Calibration sentences: the two RAVDESS statements and four of our own; none is a benchmark sentence.
CALIBRATION_TEXTS = (
    "Kids are talking by the door.",
    "Dogs are sitting by the door.",
    "The meeting has been moved to Thursday afternoon.",
    "I left my keys on the kitchen table this morning, and nobody noticed.",
    "They painted the fence green before the summer rain.",
    "My brother is coming home on the early bus tomorrow.",
)


#: Readable prosodic measures that the fit matches individually as well as through the discriminants: the
#: discriminants only care about what separates the labels (fear and joy share their high F0, so an LDA-only
#: fit may leave anger's F0 where it was); a listener hears the level of each of these.
PROSODIC = ("f0_p50", "f0_range", "energy_mean", "voiced_segments_per_s", "hnr_mean", "alpha_v_mean")

#: Readable measures of how much the speech *moves*, matched one by one under ``--metric lda+prosody+dynamics``:
#: the spread of the spectral shape over the utterance (mean over MFCCs 2-13 of their standard deviation), how
#: fast it changes (mean of their frame-to-frame deltas' sd), spectral flux, and the loudness range. The actors'
#: strong anger, joy and fear move their spectra 1.5-2 within-speaker sd more than their neutral takes (stronger,
#: more precise articulation; Kienast & Sendlmeier 2000), calm less; the discriminants weigh these measures
#: little because they vary a lot within each label, so the shipped fit leaves them unmatched (strong anger: MFCC
#: spread +0.14 sd where the actors show +1.89). Tried and not adopted (generators/cards/speech-piper-history.md):
#: matching them as well lowered both judges' joint agreement on the benchmark takes.
DYNAMICS = {"mfcc_std": [f"mfcc{k}_std" for k in range(2, 14)], "mfcc_dstd": [f"mfcc{k}_dstd" for k in range(2, 14)],
            "flux": ["flux_v_mean"], "energy_range": ["energy_range"]}


#: Bounds of the fit where they are narrower than the renderer's artefact-free `prosody.LIMITS`. The actors' own formant
#: shift, fitted on RAVDESS's paired frames as a frequency warp of the neutral envelope, is within +-0.025 log2 for
#: every emotion (generators/cards/speech-piper-history.md); the long-term spectral target and the frame conversion
#: already carry their spectral change. Given the renderer's +-0.09, a fit with each label's own Jacobian took -0.09
#: for five labels, and pocketsphinx's word error rate on surprise rose from 15 % to 52 % (14 % with the shipped
#: shift and everything else as fitted).
FIT_LIMITS: dict[str, tuple[float, float]] = {"formant": (-0.025, 0.025)}

#: Controls the fit leaves at their literature value (see ``--fixed``): tempo and pausing, which RAVDESS's two
#: four-word sentences say little about, and jitter (0 in every literature profile but fear's 1.6 %), whose fitted
#: values cost fear's intelligibility (pocketsphinx on the bench's sentences, history card).
DEFAULT_FIXED = "rate,pause,jitter"


def readable_rows(metric: str) -> np.ndarray:
    """The metric's rows for the readable measures, each matched one by one: the PROSODIC features (with the
    judge-free ``prosody`` metrics also jitter and the Hammarberg index), and with ``+dynamics`` one row per
    DYNAMICS measure (the mean of its features, in within-speaker sd units)."""
    from critics.speech.features import feature_names

    names = feature_names()
    single = PROSODIC + (("jitter", "hammarberg_v_mean") if metric.startswith("prosody") else ())
    rows = list(np.eye(len(names))[[names.index(k) for k in single]])
    if metric.endswith("+dynamics"):
        for feats in DYNAMICS.values():
            r = np.zeros(len(names))
            r[[names.index(k) for k in feats]] = 1.0 / len(feats)
            rows.append(r)
    return np.stack(rows)


def ravdess_intensities(data: Path) -> dict[str, str]:
    """RAVDESS file name -> its intensity ("normal" or "strong"; neutral clips are all "normal")."""
    with open(Path(data) / "speech" / "ravdess" / "labels.csv", newline="") as f:
        return {row["path"].split("/")[-1]: row["intensity"] for row in csv.DictReader(f)}


def human_targets(data: Path, cache: Path, log=print, per_speaker: int | None = None, intensity: str = "strong"
                  ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Per RAVDESS label: mean delta-from-own-neutral of the clips of one intensity ("strong" or "normal"), in
    within-speaker sd units.

    Returns (targets, scale, discriminant) where ``scale`` is the within-speaker sd per feature and
    ``discriminant`` (7 x F) the linear discriminants of the eight labels in the scaled deltas (LDA with
    Ledoit-Wolf shrinkage): the directions that tell the emotions apart in human speech, scaled so that the
    within-label spread is 1 in each."""
    from critics.training.speech import extract, load_items, speaker_shift

    items = load_items(data, emodb=False, per_speaker=per_speaker)
    if intensity not in ("strong", "normal"):
        raise ValueError(f"intensity must be 'strong' or 'normal' (RAVDESS's two), got {intensity!r}")
    chosen = {name: level == intensity for name, level in ravdess_intensities(data).items()}
    X, _ = extract(items, cache, log)
    D = speaker_shift(X.astype(np.float64), items)
    spk = np.array([it.speaker for it in items])
    lab = np.array([it.label for it in items])
    within = np.concatenate([X[spk == s] - X[spk == s].mean(0) for s in np.unique(spk)])
    scale = within.std(0) + 1e-6
    Z = D / scale
    is_chosen = np.array([chosen.get(it.path.name, False) for it in items])
    missing = sorted(set(RAVDESS_TO_TERM) - set(lab))
    if missing:
        raise ValueError(f"no RAVDESS clips of {', '.join(missing)} in the data (or the slice); the calibration "
                         "needs all eight labels")
    targets = {}
    for label in RAVDESS_TO_TERM:
        m = (lab == label) & is_chosen
        if not m.any():  # a thin slice without clips of the label at this intensity: all of its clips
            m = lab == label
        targets[label] = np.zeros(X.shape[1]) if label == "neutral" else Z[m].mean(0)
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto").fit(Z, lab)
    discriminant = lda.scalings_[:, :len(RAVDESS_TO_TERM) - 1].T  # (7, F): within-label covariance = identity
    return targets, scale, discriminant


def actor_spectra(data: Path, per_speaker: int | None = None, log=print) -> tuple[dict[str, dict[str, list[float]]], int]:
    """The RAVDESS actors' change of long-term spectral shape from their own neutral clips, per label and
    intensity (`generators.speech.spectrum.shape`, dB per band): ({"STRONG": {term: 40 values}, "NORMAL": ...},
    number of actors), each the mean over actors of (mean shape of the label's clips - mean shape of the
    neutral clips). The clips are `load_items`' (its slice with ``per_speaker``)."""
    import soundfile as sf

    from critics.training.speech import load_items
    from generators.speech.spectrum import shape

    items = load_items(data, emodb=False, per_speaker=per_speaker)
    intensity = ravdess_intensities(data)
    shapes: dict[tuple[str, str, str], list[np.ndarray]] = {}
    for it in items:
        y, rate = sf.read(str(it.path), dtype="float32")
        level = "neutral" if it.label == "neutral" else intensity[it.path.name]
        shapes.setdefault((it.speaker, it.label, level), []).append(shape(y, rate))
    log(f"  spectra of {len(items)} RAVDESS clips")
    actors = sorted({it.speaker for it in items})
    out: dict[str, dict[str, list[float]]] = {"STRONG": {}, "NORMAL": {}}
    for name, level in (("STRONG", "strong"), ("NORMAL", "normal")):
        for label, term in RAVDESS_TO_TERM.items():
            diffs = [np.mean(shapes[(a, label, level)], axis=0) - np.mean(shapes[(a, "neutral", "neutral")], axis=0)
                     for a in actors if (a, label, level) in shapes and (a, "neutral", "neutral") in shapes]
            if label != "neutral" and diffs:
                out[name][term] = [float(x) for x in np.mean(diffs, axis=0)]
    return out, len(actors)


def write_spectra(path: Path, tables: dict[str, dict[str, list[float]]], actors: int) -> None:
    """``_spectra.py``: STRONG and NORMAL, one line per term, 0.01 dB."""
    lines = ['"""Generated by ``python -m studio.calibrate``: do not edit by hand.\n',
             "The RAVDESS actors' mean change of long-term spectral shape from their own neutral clips, in dB per mel",
             "band (generators/speech/spectrum.py: 40 bands, 50 Hz - 8 kHz, band mean removed), per vocabulary term:",
             f"STRONG from their strong takes, NORMAL from their normal ones; {actors} actors.",
             'RAVDESS: Livingstone & Russo 2018, CC BY-NC-SA 4.0 (only these numbers derive from it).\n"""\n']
    for name in ("STRONG", "NORMAL"):
        lines.append(f"{name} = {{")
        lines += [f"    {term!r}: [{', '.join(f'{x:.2f}' for x in v)}]," for term, v in tables[name].items()]
        lines.append("}\n")
    path.write_text("\n".join(lines), encoding="utf-8")


class Probe:
    """Measures the generator's delta-from-neutral in the critic's feature space for given controls."""

    def __init__(self, generator, texts, scale: np.ndarray):
        from conditioning import Emotion
        from generators.base import GenerationRequest

        self.gen, self.texts, self.scale = generator, list(texts), scale
        # the label's emotion rides along for the backend's spectral matching (generators.speech.spectrum); the
        # fitted controls, all given, override the prosody it would otherwise imply
        self._req = lambda text, i, controls, emotion: GenerationRequest(emotion=emotion or Emotion.neutral(),
                                                                         text=text, seed=i, controls=dict(controls))
        self.neutral_takes = self.takes({})  #: the reference takes (the critic's speaker_reference too)
        self.neutral = np.stack([self._features(a) for a in self.neutral_takes])
        self.calls = 0

    @staticmethod
    def _features(audio) -> np.ndarray:
        from critics.speech.features import functionals, prepare

        return functionals(prepare(audio.samples, audio.rate)).astype(np.float64)

    def takes(self, controls: dict[str, float], emotion=None):
        return [self.gen.generate(self._req(t, i, controls, emotion)).media for i, t in enumerate(self.texts)]

    def delta(self, controls: dict[str, float], emotion=None) -> np.ndarray:
        """Mean over the texts of (features(controls) - features(neutral)) / scale; ``emotion``: the label whose
        spectral target the backend matches (None: none)."""
        self.calls += len(self.texts)
        f = np.stack([self._features(a) for a in self.takes(controls, emotion)])
        return ((f - self.neutral) / self.scale).mean(0)


def jacobian(probe: Probe, names, limits, fixed=(), at: dict[str, float] | None = None, emotion=None,
             base: np.ndarray | None = None) -> np.ndarray:
    """Finite differences around neutral: a central step of 40 % of the smaller side's limit where the control
    can go both ways, a forward step of 40 % of the upper limit where it cannot (jitter, breath, emphasis).
    ``fixed`` controls are never moved by the fit, so their columns are not measured (zeros).

    With ``at`` (a label's starting controls) and ``emotion`` (its rendering), the same steps are taken around
    that point, one-sided towards the inside of the limits: the label's own spectral processing changes what a
    control does (strong sadness's breath and tilt make it flatter, where around neutral they make it less flat),
    so a Jacobian from neutral points the fit the wrong way for some controls. ``base``: the delta at ``at``, when
    the caller has measured it already."""
    cols = []
    if at is not None and base is None:
        base = probe.delta(at, emotion)
    for k in names:
        lo, hi = limits[k]
        h = 0.4 * min(-lo, hi) if lo < 0 < hi else 0.4 * hi
        if k in fixed:
            col = np.zeros_like(probe.scale)
        elif at is not None:
            x = at.get(k, 0.0)
            step = h if x + h <= hi else -h  # towards the inside of the limits
            col = (probe.delta({**at, k: x + step}, emotion) - base) / step
        elif lo < 0 < hi:
            col = (probe.delta({k: h}) - probe.delta({k: -h})) / (2 * h)
        else:
            col = probe.delta({k: h}) / h
        cols.append(col)
    return np.stack(cols, 1)


def fit_label(probe, J, target, c0, names, limits, metric, lam, steps=8, log=print, label="", fixed=(), emotion=None):
    """Gauss-Newton with bounds from the literature profile ``c0`` (dict); ``fixed`` controls keep their
    literature value; ``emotion`` is passed to the takes (the backend's spectral target). ``J`` None: the label's
    own Jacobian, measured where the fit starts (``c0`` inside the bounds) with its rendering. Returns (controls,
    history)."""
    from scipy.optimize import lsq_linear

    lo = np.array([limits[k][0] if k not in fixed else c0.get(k, 0.0) - 1e-6 for k in names])
    hi = np.array([limits[k][1] if k not in fixed else c0.get(k, 0.0) + 1e-6 for k in names])
    span = hi - lo
    c = np.clip(np.array([c0.get(k, 0.0) for k in names]), lo, hi)
    prior = c.copy()
    reg = np.sqrt(lam) * np.diag(1.0 / span)
    hist = []

    def evaluate(c):
        d = probe.delta(dict(zip(names, c)), emotion)
        return d, float(np.linalg.norm(metric @ (target - d)))

    d, dist = evaluate(c)
    if J is None:
        J = jacobian(probe, names, limits, fixed, dict(zip(names, (float(v) for v in c))), emotion, base=d)
    hist.append({"step": 0, "distance": round(dist, 3)})
    log(f"  {label:9s} start: distance {dist:.3f} (neutral: {np.linalg.norm(metric @ target):.3f})")
    for step in range(1, steps + 1):
        A = np.vstack([metric @ J, reg])
        b = np.concatenate([metric @ (target - d), reg @ (prior - c)])
        sol = lsq_linear(A, b, bounds=(lo - c, hi - c), method="bvls")
        accepted = False
        for alpha in (1.0, 0.5, 0.25):  # damped: accept the first step length that brings the take closer
            c_new = np.clip(c + alpha * sol.x, lo, hi)
            d_new, dist_new = evaluate(c_new)
            dc = c_new - c
            if dc @ dc > 1e-12:  # Broyden: make J agree with the change just observed
                J = J + np.outer((d_new - d) - J @ dc, dc) / (dc @ dc)
            if dist_new < dist:
                c, d, dist, accepted = c_new, d_new, dist_new, True
                break
        hist.append({"step": step, "distance": round(dist, 3), "accepted": accepted})
        log(f"  {label:9s} step {step}: distance {dist:.3f}" + ("" if accepted else " (no improving step)"))
    return dict(zip(names, (float(v) for v in c))), hist


def critic_agreement(probe, controls_by_label, critic, emotions=None) -> dict[str, float]:
    """Share of calibration takes whose critic label is the target (neutral take of the text as reference)."""
    refs = probe.neutral_takes
    out = {}
    for label, c in controls_by_label.items():
        hits = []
        for a, ref in zip(probe.takes(c, (emotions or {}).get(label)), refs):
            rd = critic.score(a, speaker_reference=[ref])
            hits.append(max(rd.native, key=rd.native.get) == label)
        out[label] = float(np.mean(hits))
    return out


def _load_table(path: Path):
    import importlib.util

    if not Path(path).is_file():
        raise SystemExit(f"--normal-only keeps the full-intensity profiles of {path}, which does not exist")
    spec = importlib.util.spec_from_file_location("_calibrated_table", path)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    return table


def _strong_table(path: Path) -> dict[str, dict[str, float]]:
    """The full-intensity profiles of an existing table (for ``--normal-only``)."""
    return dict(_load_table(path).CONTROLS)


def _strong_meta(path: Path) -> dict:
    return dict(getattr(_load_table(path), "META", {})) if Path(path).is_file() else {}


def write_table(path: Path, controls: dict[str, dict[str, float]], meta: dict,
                controls_normal: dict[str, dict[str, float]] | None = None) -> None:
    lines = ['"""Generated by ``python -m studio.calibrate``: do not edit by hand.', "",
             "Prosody controls per vocabulary term, fitted so the synthetic voice's change from its neutral take",
             "matches the RAVDESS actors' mean change from theirs (actors 01-16): CONTROLS at full intensity from their",
             "strong takes, CONTROLS_NORMAL at the normal intensity (prosody.NORMAL_INTENSITY) from their normal ones.",
             "RAVDESS: Livingstone & Russo 2018, CC BY-NC-SA 4.0 (only these numbers derive from it).",
             '"""', "", f"META = {json.dumps(meta, indent=1)}", ""]
    for name, table in (("CONTROLS", controls), ("CONTROLS_NORMAL", controls_normal or {})):
        lines.append(f"{name} = {{")
        for term, c in table.items():
            body = ", ".join(f'"{k}": {v:.4f}' for k, v in c.items())
            lines.append(f'    "{term}": {{{body}}},')
        lines += ["}", ""]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> dict:
    from critics.training import default_data

    ap = argparse.ArgumentParser(prog="python -m studio.calibrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data())
    from critics.training.speech import CACHE

    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--backend", default="piper")
    ap.add_argument("--out", type=Path, default=None,
                    help="the table to write (default, for --backend piper only: generators/speech/_calibrated.py)")
    ap.add_argument("--metric", choices=("lda+prosody", "lda+prosody+dynamics", "lda", "z", "prosody",
                                        "prosody+dynamics"),
                    default="lda+prosody",
                    help="prosody: the readable measures alone (F0 level and range, level, rate, HNR, alpha ratio, "
                         "jitter, Hammarberg index), no judge's discriminants; +dynamics: also the spectral and "
                         "loudness movement (DYNAMICS)")
    ap.add_argument("--prior", type=float, default=1.0, help="weight of the literature profile (lam)")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--texts", type=int, default=len(CALIBRATION_TEXTS))
    ap.add_argument("--labels", default=",".join(RAVDESS_TO_TERM))
    ap.add_argument("--fixed", default=DEFAULT_FIXED,
                    help="controls that keep the literature value (default: the durational ones, since RAVDESS's two "
                         "fixed four-word statements say little about tempo and pausing, and jitter, whose fitted "
                         "values cost fear's words: pocketsphinx read 30 %% of them wrong with the fitted 1.44 %%, "
                         "23.3 %% with jitter at 0)")
    ap.add_argument("--jacobian", choices=("neutral", "label"), default="label",
                    help="where the generator's response is measured: around each label's starting profile with its "
                         "own rendering (default: one Jacobian per label and intensity, since an emotion's spectral "
                         "rendering can turn a control's effect around, as a steeper tilt makes the sad voice "
                         "breathier), or around neutral, once (the table until 2026-12-07)")
    ap.add_argument("--per-speaker", type=int, default=0, help="at most this many clips per actor (quick runs, tests)")
    ap.add_argument("--strong-only", action="store_true", help="fit the full intensity only (the normal-intensity "
                    "profiles then follow linearly)")
    ap.add_argument("--normal-only", action="store_true", help="fit the normal intensity only and keep the full-"
                    "intensity profiles of the table at --out (each label's two fits are independent)")
    args = ap.parse_args(argv)
    if args.out is None:
        if args.backend != "piper":  # every prosody backend reads the one table, fitted on Piper's response
            ap.error(f"--backend {args.backend} needs --out: the speech backends read only "
                     "generators/speech/_calibrated.py, the fit on Piper, which this run would overwrite")
        args.out = Path(__file__).resolve().parents[1] / "generators" / "speech" / "_calibrated.py"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from conditioning import parse_emotion
    from conditioning.registry import BackendUnavailable
    from critics.registry import JUDGES, load_critic
    from generators.registry import load_generator

    from generators.speech import prosody as P

    t0 = time.time()
    names = list(P.CONTROL_NAMES)
    fixed = tuple(k.strip() for k in args.fixed.split(",") if k.strip())
    if set(fixed) - set(names):
        raise SystemExit(f"--fixed: unknown control(s) {sorted(set(fixed) - set(names))}; known: {', '.join(names)}")
    targets, scale, discriminant = human_targets(args.data, args.cache, per_speaker=args.per_speaker or None)
    targets_normal, _, _ = human_targets(args.data, args.cache, log=lambda *a: None,
                                         per_speaker=args.per_speaker or None, intensity="normal")
    if args.metric == "z":
        metric = np.eye(len(scale))
    elif args.metric == "lda":
        metric = discriminant
    elif args.metric.startswith("prosody"):  # no judge's discriminants: the readable measures alone
        metric = readable_rows(args.metric)
    else:  # the discriminants, plus the readable measures matched one by one (PROSODIC, and DYNAMICS)
        metric = np.vstack([discriminant, readable_rows(args.metric)])
    # the actors' spectral change, which the backend matches in every take (the fit below sees it matched)
    from generators.speech import spectrum

    spectra, n_actors = actor_spectra(args.data, args.per_speaker or None)
    default_out = args.out == Path(__file__).resolve().parents[1] / "generators" / "speech" / "_calibrated.py"
    spectra_path = args.out.with_name("_spectra.py") if default_out else args.out.with_name(args.out.stem + "_spectra.py")
    write_spectra(spectra_path, spectra, n_actors)
    spectrum._tables.cache_clear()  # a run on the full data has just rewritten the table the backend reads
    gen = load_generator("speech", args.backend)
    probe = Probe(gen, CALIBRATION_TEXTS[:args.texts], scale)
    limits = {**P.LIMITS, **FIT_LIMITS}
    J = None  # --jacobian label: each fit measures its own where it starts
    if args.jacobian == "neutral":
        J = jacobian(probe, names, limits, fixed)
        print(f"Jacobian from {probe.calls} takes ({time.time() - t0:.0f} s)", flush=True)
    labels = [l.strip() for l in args.labels.split(",") if l.strip()]

    half = P.NORMAL_INTENSITY
    prior = {l: P.literature_controls(parse_emotion(RAVDESS_TO_TERM[l])).to_json() for l in labels}
    prior_normal = {l: P.literature_controls(parse_emotion(f"{RAVDESS_TO_TERM[l]}@{half}")).to_json() for l in labels}
    fitted, history, fitted_normal, history_normal = {}, {}, {}, {}
    kept = _strong_table(args.out) if args.normal_only else {}
    for label in labels:
        if label == "neutral":
            fitted[label] = fitted_normal[label] = {k: 0.0 for k in names}
            continue
        if args.normal_only:
            fitted[label] = kept[RAVDESS_TO_TERM[label]]
        else:
            emotion = parse_emotion(RAVDESS_TO_TERM[label])
            fitted[label], history[label] = fit_label(probe, J, targets[label], prior[label],
                                                      names, limits, metric, args.prior, args.steps, label=label,
                                                      fixed=fixed, emotion=emotion)
        if not args.strong_only:  # the actors' normal intensity, rendered at NORMAL_INTENSITY
            emotion = parse_emotion(f"{RAVDESS_TO_TERM[label]}@{half}")
            fitted_normal[label], history_normal[label] = fit_label(
                probe, J, targets_normal[label], prior_normal[label], names, limits,
                metric, args.prior, args.steps, label=label + "@n", fixed=fixed, emotion=emotion)
    # both judges check the fit; neither was used to make it (the fit matches the actors' deltas)
    agreement = {}
    for name in JUDGES["speech"]:
        try:
            critic = load_critic("speech", name)
        except BackendUnavailable as exc:
            print(f"  speech/{name} not checked: {exc}")
            continue
        emotions = {l: parse_emotion(RAVDESS_TO_TERM[l]) for l in labels}
        before = critic_agreement(probe, prior, critic, emotions)
        after = critic_agreement(probe, fitted, critic, emotions)
        agreement[f"speech/{name}"] = {"literature": before, "calibrated": after}
        print(f"speech/{name} agreement on the calibration sentences (literature -> calibrated):")
        for l in labels:
            print(f"  {l:9s} {before[l]:.2f} -> {after[l]:.2f}")
        print(f"  mean      {np.mean(list(before.values())):.3f} -> {np.mean(list(after.values())):.3f}")
    options = "".join(f" --{k} {getattr(args, k)}" for k in ("metric", "prior", "steps", "fixed", "jacobian")
                      if getattr(args, k) != ap.get_default(k))  # what differs from the defaults, read from `ap`
    meta = {"command": "python -m studio.calibrate --data ../shared/data" + options
                       + (" --strong-only" if args.strong_only else "")
                       + (" --normal-only" if args.normal_only else ""),
            "backend": f"speech/{args.backend}", "texts": list(probe.texts), "metric": args.metric, "fixed": list(fixed),
            "jacobian": args.jacobian,
            "prior": args.prior, "takes": probe.calls, "seconds": round(time.time() - t0, 1),
            "distance": ({l: [h[0]["distance"], h[-1]["distance"]] for l, h in history.items()} if history
                         else _strong_meta(args.out).get("distance", {})),
            "distance_normal": {l: [h[0]["distance"], h[-1]["distance"]] for l, h in history_normal.items()},
            "normal_intensity": half,
            "critic_agreement_calibration_texts": agreement}
    controls = {RAVDESS_TO_TERM[l]: fitted[l] for l in labels if l != "neutral"}
    controls_normal = {RAVDESS_TO_TERM[l]: fitted_normal[l] for l in labels if l in fitted_normal and l != "neutral"}
    write_table(args.out, controls, meta, controls_normal)
    print(f"wrote {args.out} ({time.time() - t0:.0f} s)")
    return meta


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
