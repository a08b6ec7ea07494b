"""Talking-face fidelity of ``face/animator``: do both face judges read the asked-for expression, does the mouth
move with the voice, and does the face stay the portrait's?

    OMP_NUM_THREADS=1 .venv/bin/python bench/face_fidelity.py [--loop 2] [--loop-duration 0.4] [--duration 0.6]
        [--neutral-duration 2] [--intensities 0.33,0.67,1] [--portraits astronaut,Neutral_face_3,...]
        [--shading 1] [--eyeballs 0|1] [--json [PATH]]

1. Expression agreement (open loop). Six basic emotions (joy, sadness, anger, surprise, fear, disgust) x
   intensities x three portraits (the default astronaut, OASIS ``Neutral_face_3.jpg`` and ``Neutral_face_5.jpg``
   from ``$EMOSTUDIO_DATA`` or ../shared/data; a missing portrait is left out with a note). Each take is a
   silent clip (``--duration`` 0.6 s, seed 0); its apex (last) frame is judged by both face judges
   (`face/classifier`, a FER2013 CNN, and `face/geometric`, mesh action units) the way `Studio.run_loop` judges
   a take: the geometric judge against the same face at rest (`FaceAnimator.neutral_reference` ->
   `critic.reference`), where both sides offer it; the geometric judge's single-file reading (population
   reference, what ``emostudio critique`` gives) is shown beside it as ``geometric_single``. A judge agrees
   when its top FER2013-7 label is the target's (joy->happy, sadness->sad, anger->angry, surprise->surprise, fear->fear,
   disgust->disgust). Reported per judge, per intensity, per emotion, per portrait, and both judges agreeing
   (the studio loop's "recognised" criterion). Target: >= 70 % for each judge at full intensity. Anchor:
   C-MET reports 55.9 % emotion accuracy on MEAD (a learned emotion classifier on real talking-face video; a
   different judge and data set, so a scale, not a like-for-like comparison).
2. Closed loop (``--loop N`` > 0): the same grid through ``Studio().run_loop(animator, [classifier, geometric],
   request, loop=N)`` (the animator's `correct` moves its action units against the judges' consensus); the
   loop scores the whole Video, so for speed its clips last ``--loop-duration`` s. The best round's apex frame
   is then judged exactly as in 1, so the two figures are comparable.
3. Lip sync: per portrait, one spoken sentence (``Studio().generate("face", "neutral", text=..., score=False)``,
   Piper's voice and phoneme timings). The mouth opening is measured on every rendered frame with the face
   mesh (`generators.face.mesh.MeshFitter`: inner-lip gap between landmarks 13 and 14 over that frame's
   inter-ocular distance) and correlated (Pearson) with the audio's RMS envelope at the video frame rate (40 ms
   windows centred on each frame's time k/fps). Target: r >= 0.6. Also shown, to locate a miss: the
   correlation of the animator's own jaw track with the RMS and with the measured opening, and the best r over
   lags of +-3 frames (a positive lag: the mouth trails the voice).
4. Identity: mesh-shape distance between the portrait's mesh and the mesh measured on each frame of a neutral
   clip (``--neutral-duration`` s): the mean distance over the 478 landmarks, in inter-ocular distances (IOD)
   of the portrait, after a similarity Procrustes fit (translation, scale, rotation removed). Mean and max over
   frames (blinks and gaze shifts are in the clip, so the max includes a blink). For scale, the same distance
   for the full-intensity joy apex frame. The animator relaxes the portrait's own smile / open mouth before
   adding the emotion (``AnimatorConfig.relax``), so the neutral distance is not expected to be zero: the
   "relax off" column (the same neutral clip with ``relax=False``, mean) is the floor the warp, blinks, gaze
   and head sway alone give.

The default run (``--loop 2``) takes about two minutes on one core.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))
PORTRAITS = {"astronaut": None,
             "Neutral_face_3": DATA / "images" / "oasis" / "images" / "Neutral_face_3.jpg",
             "Neutral_face_5": DATA / "images" / "oasis" / "images" / "Neutral_face_5.jpg"}
#: vocabulary term -> FER2013-7 label
TARGETS = {"joy": "happy", "sadness": "sad", "anger": "angry", "surprise": "surprise", "fear": "fear",
           "disgust": "disgust"}
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."
TARGET_AGREEMENT = 0.70
TARGET_LIPSYNC = 0.6
ANCHOR = "C-MET 55.9 % emotion accuracy on MEAD"
UPPER_LIP, LOWER_LIP = 13, 14


def top(reading) -> str:
    return max(reading.native, key=reading.native.get)


def rate(xs) -> float | None:
    xs = list(xs)
    return round(float(np.mean(xs)), 3) if xs else None


def pct(x) -> str:
    return "-" if x is None else f"{100 * x:5.1f} %"


# ------------------------------------------------------------------------------------------------ 1, 2
def references(animator, judges, request) -> dict:
    """Per judge that can measure against the same person's neutral face (the geometric one), that reference
    made from the animator's rest face, as `Studio.run_loop` makes it."""
    if not hasattr(animator, "neutral_reference"):
        return {}
    rest = [animator.neutral_reference(request)]
    return {j.name: j.reference(rest) for j in judges if hasattr(j, "reference")}


def judge_apex(judges, frame, refs: dict) -> dict:
    """Each judge's top FER label on one frame (None where it found no face), judged as the studio's loop
    judges (with the rest-face reference where the judge takes one); ``<name>_single`` for those judges
    without the reference too (what `critique` on one file gives)."""
    from conditioning.media import Image
    from critics.base import CriticError

    out = {}
    for j in judges:
        for key, kw in ((j.name, {"speaker_reference": refs[j.name]} if j.name in refs else {}),
                        *(((f"{j.name}_single", {}),) if j.name in refs else ())):
            try:
                out[key] = top(j.score(Image(frame), **kw))
            except CriticError:
                out[key] = None
    return out


def agreement(rows: list[dict], names: list[str], key: str, extra: list[str] = ()) -> dict:
    """Agreement per judge and both judges, overall and broken down by intensity, emotion and portrait
    (``extra``: further columns, e.g. a judge without its reference, not part of "both")."""
    def block(sub):
        d = {n: rate(r[key].get(n) == r["target"] for r in sub) for n in [*names, *extra]}
        d["both"] = rate(all(r[key][n] == r["target"] for n in names) for r in sub)
        d["n"] = len(sub)
        return d

    out = {"all": block(rows)}
    for field in ("intensity", "term", "portrait"):
        out[f"by_{field}"] = {str(v): block([r for r in rows if r[field] == v])
                              for v in dict.fromkeys(r[field] for r in rows)}
    return out


def expressions(args, portraits, animator, judges, studio) -> dict:
    from conditioning import Emotion
    from generators.base import GenerationRequest

    intensities = [float(x) for x in args.intensities.split(",")]
    rows, apex_joy = [], {}
    t0 = time.perf_counter()
    for pname, path in portraits.items():
        opts = {"portrait": str(path)} if path else {}
        refs = references(animator, judges, GenerationRequest(Emotion.parse("neutral"), options=opts))
        for term, label in TARGETS.items():
            for inten in intensities:
                emo = Emotion.parse(f"{term}@{inten:g}")
                req = GenerationRequest(emo, duration_s=args.duration, seed=0, options=opts)
                res = animator.generate(req)
                apex = res.media.frames[-1]
                row = {"portrait": pname, "term": term, "intensity": inten, "target": label,
                       "open": judge_apex(judges, apex, refs)}
                if term == "joy" and inten == max(intensities):
                    apex_joy[pname] = apex
                if args.loop > 0:
                    lreq = GenerationRequest(emo, duration_s=args.loop_duration, seed=0, options=opts)
                    out = studio.run_loop(animator, judges, lreq, loop=args.loop)
                    row["loop"] = judge_apex(judges, out.best.result.media.frames[-1], refs)
                    row["loop_rounds"] = len(out.rounds)
                    row["loop_best_round"] = out.best.index
                    row["loop_recognised_by_studio"] = out.best.agrees
                rows.append(row)
        print(f"  expressions: {pname} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    names = [j.name for j in judges]
    extra = sorted({k for r in rows for k in r["open"] if k not in names})
    res = {"judges": names, "extra_columns": extra, "intensities": intensities, "duration_s": args.duration,
           "open": agreement(rows, names, "open", extra)}
    if args.loop > 0:
        res["loop"] = agreement(rows, names, "loop", extra)
        res["loop"]["rounds_mean"] = rate(r["loop_rounds"] for r in rows)
        res["loop"]["clip_s"] = args.loop_duration
    # a confusion table at full intensity, per judge (which label each target is read as)
    full = [r for r in rows if r["intensity"] == max(intensities)]
    res["confusion_full_open"] = {n: {t: dict(sorted(
        {lab: sum(1 for r in full if r["term"] == t and r["open"][n] == lab) for lab in
         {r["open"][n] for r in full if r["term"] == t}}.items(), key=lambda kv: -kv[1])) for t in TARGETS}
        for n in names}
    res["rows"] = rows
    res["seconds"] = round(time.perf_counter() - t0, 1)
    return res, apex_joy


# ---------------------------------------------------------------------------------------------------- 3
def mouth_opening(fitter, frames) -> np.ndarray:
    """Inner-lip gap (landmarks 13-14) over the inter-ocular distance, per frame (NaN where no face)."""
    from generators.base import GenerationError
    from generators.face.mesh import FaceFrame

    out = np.full(len(frames), np.nan)
    for k, f in enumerate(frames):
        try:
            lm = fitter.fit(f).landmarks
        except GenerationError:
            continue
        out[k] = np.hypot(*(lm[LOWER_LIP] - lm[UPPER_LIP])) / FaceFrame.of(lm).iod
    return out


def rms_envelope(samples: np.ndarray, rate_hz: int, n: int, fps: float, win_s: float = 0.040) -> np.ndarray:
    """RMS of ``win_s`` windows centred on each frame's time k / fps."""
    x = np.asarray(samples, dtype=np.float64)
    half = int(round(win_s * rate_hz / 2))
    out = np.zeros(n)
    for k in range(n):
        c = int(round(k / fps * rate_hz))
        seg = x[max(0, c - half): c + half]
        out[k] = np.sqrt(np.mean(seg ** 2)) if len(seg) else 0.0
    return out


def pearson(a, b) -> float | None:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return None
    return round(float(np.corrcoef(a[ok], b[ok])[0, 1]), 3)


def lagged(a, b, max_lag: int = 3) -> tuple[int, float | None]:
    """(lag, r) maximising Pearson r of a[k + lag] against b[k]: a positive lag means a trails b."""
    best = (0, pearson(a, b))
    for lag in range(-max_lag, max_lag + 1):
        if lag == 0:
            continue
        r = pearson(a[lag:], b[:len(b) - lag]) if lag > 0 else pearson(a[:lag], b[-lag:])
        if r is not None and (best[1] is None or r > best[1]):
            best = (lag, r)
    return best


def lipsync(portraits, studio, fitter) -> dict:
    out = {}
    for pname, path in portraits.items():
        t0 = time.perf_counter()
        r = studio.generate("face", "neutral", text=SENTENCE, seed=0,
                            options={"portrait": str(path)} if path else {}, score=False)
        v = r.media
        opening = mouth_opening(fitter, v.frames)
        mono = v.audio.mono()
        env = rms_envelope(mono.samples, mono.rate, len(v.frames), v.fps)
        jaw = np.asarray(r.best.result.extras["mouth_open"], float)
        lag, r_lag = lagged(opening, env)
        out[pname] = {"frames": int(len(v.frames)), "audio_s": round(v.audio.duration_s, 2),
                      "mouth_from": r.best.result.extras.get("mouth_from"),
                      "r_opening_rms": pearson(opening, env), "best_lag_frames": lag, "r_best_lag": r_lag,
                      "r_jaw_track_rms": pearson(jaw, env), "r_opening_jaw_track": pearson(opening, jaw),
                      "opening_iod_range": [round(float(np.nanmin(opening)), 3), round(float(np.nanmax(opening)), 3)],
                      "frames_without_mesh": int(np.isnan(opening).sum()),
                      "seconds": round(time.perf_counter() - t0, 1)}
    return out


# ---------------------------------------------------------------------------------------------------- 4
def procrustes_distance(reference: np.ndarray, points: np.ndarray, iod: float) -> float:
    """Mean landmark distance (in ``iod`` units of the reference) after a similarity fit of points onto it."""
    y = reference[:, :2] - reference[:, :2].mean(0)
    x = points[:, :2] - points[:, :2].mean(0)
    u, s, vt = np.linalg.svd(x.T @ y)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, d])
    rot = u @ fix @ vt
    scale = float((s * np.diag(fix)).sum() / (x ** 2).sum())
    return float(np.mean(np.linalg.norm(scale * x @ rot - y, axis=1)) / iod)


def _meshes(fitter, frames) -> list[np.ndarray]:
    from generators.base import GenerationError

    out = []
    for f in frames:
        try:
            out.append(fitter.fit(f).landmarks)
        except GenerationError:
            pass
    return out


def identity(args, portraits, animator, fitter, apex_joy) -> dict:
    from conditioning import Emotion
    from generators.base import GenerationError, GenerationRequest
    from generators.face.animator import FaceAnimator

    out = {}
    for pname, path in portraits.items():
        portrait, _, _ = animator.portrait(str(path) if path else None)
        ref, iod = portrait.landmarks, portrait.frame.iod
        req = GenerationRequest(Emotion.parse("neutral"), duration_s=args.neutral_duration, seed=0,
                                options={"portrait": str(path)} if path else {})
        frames = animator.generate(req).media.frames
        dists, missed = [], 0
        for f in frames:
            try:
                dists.append(procrustes_distance(ref, fitter.fit(f).landmarks, iod))
            except GenerationError:
                missed += 1
        row = {"frames": len(frames), "frames_without_mesh": missed,
               "neutral_mean_iod": round(float(np.mean(dists)), 4) if dists else None,
               "neutral_median_iod": round(float(np.median(dists)), 4) if dists else None,
               "neutral_max_iod": round(float(np.max(dists)), 4) if dists else None,
               "neutral_first_frame_iod": round(dists[0], 4) if dists else None}
        # the warp's own floor: the same clip with the portrait's smile / open mouth left as it is
        bare = FaceAnimator(relax=False).generate(req).media.frames
        floor = [procrustes_distance(ref, lm, iod) for lm in _meshes(fitter, bare)]
        row["neutral_relax_off_mean_iod"] = round(float(np.mean(floor)), 4) if floor else None
        if pname in apex_joy:
            try:
                row["joy_full_apex_iod"] = round(procrustes_distance(ref, fitter.fit(apex_joy[pname]).landmarks, iod), 4)
            except GenerationError:
                row["joy_full_apex_iod"] = None
        out[pname] = row
    return out


# ------------------------------------------------------------------------------------------------ report
def print_agreement(title: str, block: dict, names: list[str], extra: list[str]) -> None:
    head = " ".join(f"{n:>11s}" for n in names) + f" {'both':>11s} " + " ".join(f"{n:>17s}" for n in extra) + f" {'n':>4s}"
    print(f"\n{title}")
    print(f"  {'':22s} {head}")

    def line(label, d):
        print(f"  {label:22s} " + " ".join(f"{pct(d[n]):>11s}" for n in names) + f" {pct(d['both']):>11s} "
              + " ".join(f"{pct(d[n]):>17s}" for n in extra) + f" {d['n']:>4d}")

    line("all", block["all"])
    for field, prefix in (("by_intensity", "intensity "), ("by_term", ""), ("by_portrait", "")):
        for k, d in block[field].items():
            line(prefix + k, d)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loop", type=int, default=2, help="closed-loop rounds after the first (0: open loop only)")
    ap.add_argument("--loop-duration", type=float, default=0.4, help="seconds of each closed-loop clip")
    ap.add_argument("--duration", type=float, default=0.6, help="seconds of each open-loop expression clip")
    ap.add_argument("--neutral-duration", type=float, default=2.0, help="seconds of the identity clip")
    ap.add_argument("--intensities", default="0.33,0.67,1")
    ap.add_argument("--portraits", default=",".join(PORTRAITS),
                    help="comma-separated: astronaut, an OASIS image name (e.g. Neutral_face_1) or an image path")
    ap.add_argument("--shading", type=float, default=1.0,
                    help="AnimatorConfig.shading: the learned expression shading's strength (0: geometry only)")
    ap.add_argument("--eyeballs", type=int, default=1, choices=(0, 1),
                    help="AnimatorConfig.eyeballs: draw the eyeballs behind the lids (0: warp them with the lids)")
    add_json_option(ap)
    args = ap.parse_args(argv)

    import cv2

    cv2.setNumThreads(1)
    from critics.registry import load_critic
    from generators.face.animator import FaceAnimator
    from generators.face.mesh import MeshFitter
    from studio.studio import Studio

    t0 = time.perf_counter()
    notes = []
    portraits = {}
    for name in args.portraits.split(","):
        path = PORTRAITS.get(name, DATA / "images" / "oasis" / "images" / f"{name}.jpg")
        if name != "astronaut" and Path(name).suffix:  # an image path
            path, name = Path(name), Path(name).stem
        if path is not None and not path.exists():
            notes.append(f"portrait {name} left out: {path} not found (set EMOSTUDIO_DATA)")
            continue
        portraits[name] = path
    for n in notes:
        print("  " + n, file=sys.stderr)
    animator = FaceAnimator(shading=args.shading, eyeballs=bool(args.eyeballs))
    judges = [load_critic("face", "classifier"), load_critic("face", "geometric")]
    studio = Studio()
    fitter = MeshFitter()

    expr, apex_joy = expressions(args, portraits, animator, judges, studio)
    lips = lipsync(portraits, studio, fitter)
    print(f"  lip sync done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    ident = identity(args, portraits, animator, fitter, apex_joy)

    names = expr["judges"]
    full = str(max(expr["intensities"]))
    checks = []
    for cond in ("open", "loop"):
        if cond in expr:
            for n in names:
                v = expr[cond]["by_intensity"][full][n]
                checks.append((f"{cond}: {n} agreement at full intensity", v, TARGET_AGREEMENT, f"{pct(v)}"))
    for pname, d in lips.items():
        v = d["r_opening_rms"]
        checks.append((f"lip sync r (mouth opening vs RMS), {pname}", v, TARGET_LIPSYNC, "-" if v is None else f"{v:.3f}"))
    summary = [{"check": c, "value": v, "target": t, "pass": v is not None and v >= t} for c, v, t, _ in checks]
    report = {"portraits": {k: str(v) if v else "skimage.data.astronaut()" for k, v in portraits.items()},
              "shading": args.shading, "eyeballs": bool(args.eyeballs),
              "notes": notes, "anchor": ANCHOR, "expressions": expr, "lipsync": lips, "identity": ident,
              "summary": summary, "seconds": round(time.perf_counter() - t0, 1)}

    if emit_json(report, args.json):
        return report

    print(f"face/animator fidelity: {len(portraits)} portraits x {len(TARGETS)} emotions x "
          f"{len(expr['intensities'])} intensities; judges {', '.join(names)}; shading {args.shading:g}; "
          f"eyeballs {'on' if args.eyeballs else 'off'}")
    for n in notes:
        print(f"note: {n}")
    print_agreement(f"1. open loop: top FER label of the apex frame = target ({expr['duration_s']:g} s clips)",
                    expr["open"], names, expr["extra_columns"])
    print(f"  anchor: {ANCHOR}; target >= {100 * TARGET_AGREEMENT:.0f} % per judge at full intensity")
    print("  confusion at full intensity (target: labels read, over portraits):")
    for n in names:
        print(f"    {n}: " + "; ".join(f"{t} -> " + ", ".join(f"{lab} {c}" for lab, c in d.items())
                                   for t, d in expr["confusion_full_open"][n].items()))
    if "loop" in expr:
        print_agreement(f"2. closed loop --loop {args.loop} ({args.loop_duration:g} s clips, best round's apex frame; "
                        f"mean rounds {expr['loop']['rounds_mean']})", expr["loop"], names, expr["extra_columns"])
    print(f"\n3. lip sync: '{SENTENCE}' (neutral; Pearson r per frame; target r >= {TARGET_LIPSYNC})")
    print(f"  {'portrait':16s} {'frames':>6s} {'r(open,RMS)':>12s} {'best lag':>9s} {'r@lag':>7s} "
          f"{'r(jaw,RMS)':>11s} {'r(open,jaw)':>12s} {'opening IOD':>14s} {'no mesh':>8s}")
    for pname, d in lips.items():
        rng = f"{d['opening_iod_range'][0]:.3f}-{d['opening_iod_range'][1]:.3f}"
        print(f"  {pname:16s} {d['frames']:6d} {str(d['r_opening_rms']):>12s} {d['best_lag_frames']:>+9d} "
              f"{str(d['r_best_lag']):>7s} {str(d['r_jaw_track_rms']):>11s} {str(d['r_opening_jaw_track']):>12s} "
              f"{rng:>14s} {d['frames_without_mesh']:8d}")
    print(f"\n4. identity: mesh-shape distance to the portrait's mesh (IOD units, similarity Procrustes; "
          f"{args.neutral_duration:g} s neutral clip)")
    print(f"  {'portrait':16s} {'neutral mean':>13s} {'median':>8s} {'max':>8s} {'frame 0':>8s} {'relax off':>10s} "
          f"{'joy@1 apex':>11s} {'no mesh':>8s}")
    for pname, d in ident.items():
        f = lambda x: "-" if x is None else f"{x:.4f}"  # noqa: E731
        print(f"  {pname:16s} {f(d['neutral_mean_iod']):>13s} {f(d['neutral_median_iod']):>8s} "
              f"{f(d['neutral_max_iod']):>8s} {f(d['neutral_first_frame_iod']):>8s} "
              f"{f(d['neutral_relax_off_mean_iod']):>10s} "
              f"{f(d.get('joy_full_apex_iod')):>11s} {d['frames_without_mesh']:8d}")
    print("\nsummary")
    for (c, v, t, shown), s in zip(checks, summary):
        goal = f"{t:.0%}".replace("%", " %") if "agreement" in c else f"{t:g}"
        print(f"  {'PASS' if s['pass'] else 'MISS'}  {c:52s} {shown:>9s}  (target >= {goal})")
    print(f"({report['seconds']} s)")
    return report


if __name__ == "__main__":
    main()
