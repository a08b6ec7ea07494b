"""Speed of the talking-face animator (``face/animator``) on one core: render frames per second at 512x512, the
cost of a talking face over its voice alone, and MP4 writing.

    OMP_NUM_THREADS=1 .venv/bin/python bench/face_speed.py [--repeats 3] [--seconds 4] [--json [PATH]]

Measured in one run, one thread (OMP_NUM_THREADS=1 and cv2.setNumThreads(1) are set here):
- render fps: a ``--seconds`` silent joy clip on two 512x512 portraits, the astronaut (skimage, 512x512 as it
  ships) and OASIS ``Neutral_face_5.jpg`` (500x400, centre-cropped to 400x400 and scaled to 512x512, written to a
  temporary PNG); ``timings["fps_rendered"]`` (frames over the per-frame warp loop) and the whole `generate`
  wall time, cold (first call: mesh fit and MediaPipe start-up) and warm (portrait cached; the median of
  ``--repeats``); frames per CPU second of the whole warm `generate` (what one dedicated core gives when the
  machine is shared) and the face's inter-ocular distance in pixels (the warp's work grows with the face's
  area, so a close-up renders slower than the astronaut's small face). Target: >= 25 fps (real time at the animator's 25 fps). Anchor: LivePortrait renders 78 fps
  on an RTX 4090 (a GPU, learned warping network); this is one CPU core.
- a talking face against its voice: ``Studio().generate("face", "joy", text=S, score=False)`` against
  ``Studio().generate("speech", "joy", text=S, score=False)`` (warm, median of ``--repeats``), so the face's
  cost over the voice shows. The face call's own split is given too: its speech step (the studio makes the
  voice for the face) and the face render. `Studio.voice_for_face` passes ``score`` on to the speech step, so
  with ``score=False`` the face's voice is not scored by the speech judges (the split's "judged by the speech
  judges" says which); ``generate("speech", ..., score=True)`` is timed as well, for the cost of scoring.
- MP4 writing: `conditioning.media.save_video` (ffmpeg, H.264 + AAC) of the silent clip and of the talking clip
  into a temporary folder.
Wall and CPU seconds are both given: on a shared machine wall time includes waiting for the core.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))
NEUTRAL_FACE_5 = DATA / "images" / "oasis" / "images" / "Neutral_face_5.jpg"
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."
TARGET_FPS = 25.0
ANCHOR = "LivePortrait 78 fps on an RTX 4090"


def timed(fn):
    """(result, wall s, CPU s of this process)."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def square_512(src: Path, dst: Path) -> Path:
    """Centre-crop to a square and scale to 512x512 (written as PNG)."""
    import cv2
    import numpy as np

    from conditioning.media import Image, load_image, save_image

    px = load_image(src).pixels
    h, w = px.shape[:2]
    s = min(h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    sq = cv2.resize(px[y0:y0 + s, x0:x0 + s], (512, 512), interpolation=cv2.INTER_CUBIC if s < 512 else cv2.INTER_AREA)
    save_image(dst, Image(np.ascontiguousarray(sq)))
    return dst


def med(xs) -> float:
    return round(statistics.median(xs), 3)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0, help="length of the silent clip")
    add_json_option(ap)
    args = ap.parse_args(argv)

    import cv2

    cv2.setNumThreads(1)
    from conditioning import Emotion
    from conditioning.media import save_video
    from generators.base import GenerationRequest
    from generators.face.animator import FaceAnimator
    from studio.studio import Studio

    t_start = time.perf_counter()
    tmp = tempfile.TemporaryDirectory(prefix="face_speed_")
    tdir = Path(tmp.name)
    notes = []
    portraits: dict[str, str | None] = {"astronaut 512x512": None}
    if NEUTRAL_FACE_5.exists():
        portraits["Neutral_face_5 512x512"] = str(square_512(NEUTRAL_FACE_5, tdir / "neutral_face_5_512.png"))
    else:
        notes.append(f"Neutral_face_5 left out: {NEUTRAL_FACE_5} not found (set EMOSTUDIO_DATA)")

    # ---- 1. the renderer: a silent clip per portrait ------------------------------------------------------
    animator = FaceAnimator()
    render: dict[str, dict] = {}
    clips = {}
    for name, path in portraits.items():
        req = GenerationRequest(Emotion.parse("joy"), duration_s=args.seconds, seed=0,
                                options={"portrait": path} if path else {})
        cold, cold_wall, cold_cpu = timed(lambda: animator.generate(req))
        warm = [timed(lambda: animator.generate(req)) for _ in range(args.repeats)]
        res = warm[-1][0]
        clips[name] = res.media
        h, w = res.media.frames.shape[1:3]
        render[name] = {
            "size": f"{w}x{h}", "frames": int(res.media.frames.shape[0]),
            "fps_rendered": med([r.timings["fps_rendered"] for r, _, _ in warm]),
            "fps_rendered_cold": round(cold.timings["fps_rendered"], 1),
            "render_s": med([r.timings["render_s"] for r, _, _ in warm]),
            "fit_s_cold": round(cold.timings["fit_s"], 3), "fit_s_warm": med([r.timings["fit_s"] for r, _, _ in warm]),
            "plan_s": med([r.timings["plan_s"] for r, _, _ in warm]),
            "generate_wall_s_cold": round(cold_wall, 3), "generate_cpu_s_cold": round(cold_cpu, 3),
            "generate_wall_s": med([x for _, x, _ in warm]), "generate_cpu_s": med([x for _, _, x in warm]),
            "fps_whole_generate": round(res.media.frames.shape[0] / med([x for _, x, _ in warm]), 1),
            "fps_per_cpu_s": round(res.media.frames.shape[0] / med([x for _, _, x in warm]), 1),
            "face_iod_px": res.extras["portrait"]["iod_px"]}
    print(f"  render done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr)

    # ---- 2. a talking face against its voice ------------------------------------------------------------
    studio = Studio()
    path = portraits.get("astronaut 512x512")
    face_opts = {"portrait": path} if path else {}
    face = lambda: studio.generate("face", "joy", text=SENTENCE, seed=0, options=face_opts, score=False)  # noqa: E731
    speech = lambda: studio.generate("speech", "joy", text=SENTENCE, seed=0, score=False)  # noqa: E731
    speech_scored = lambda: studio.generate("speech", "joy", text=SENTENCE, seed=0, score=True)  # noqa: E731
    first_face, first_face_wall, _ = timed(face)  # warm: loads the voice, the speech judges, the mesh
    speech()
    rows: dict[str, list] = {"face": [], "speech": [], "speech_scored": []}
    face_split: dict[str, list] = {"speech_step_s": [], "face_generate_s": [], "render_s": [], "fps_rendered": []}
    talking = None
    for _ in range(args.repeats):  # alternate so all three see the same machine load
        r, wall, cpu = timed(face)
        rows["face"].append((wall, cpu))
        talking = r
        face_split["speech_step_s"].append(r.speech.timings["total_s"] if r.speech else 0.0)
        face_split["face_generate_s"].append(r.timings["total_s"])
        face_split["render_s"].append(r.best.result.timings["render_s"])
        face_split["fps_rendered"].append(r.best.result.timings["fps_rendered"])
        for key, fn in (("speech", speech), ("speech_scored", speech_scored)):
            _, wall, cpu = timed(fn)
            rows[key].append((wall, cpu))
    audio_s = talking.media.audio.duration_s
    talk = {k: {"wall_s": med([w for w, _ in v]), "cpu_s": med([c for _, c in v])} for k, v in rows.items()}
    talk["audio_s"] = round(audio_s, 2)
    talk["frames"] = int(talking.media.frames.shape[0])
    talk["face_over_speech_wall_s"] = round(talk["face"]["wall_s"] - talk["speech"]["wall_s"], 3)
    talk["face_over_speech_ratio"] = round(talk["face"]["wall_s"] / talk["speech"]["wall_s"], 2)
    talk["face_split"] = {k: med(v) for k, v in face_split.items()}
    talk["first_face_call_wall_s"] = round(first_face_wall, 3)
    talk["speech_step_judged"] = bool(first_face.speech and first_face.speech.best.judgements)
    print(f"  talking face done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr)

    # ---- 3. MP4 writing -----------------------------------------------------------------------------------
    mp4 = {}
    for label, video in (("silent clip (astronaut)", clips.get("astronaut 512x512")), ("talking clip (+AAC)", talking.media)):
        if video is None:
            continue
        out = tdir / f"{len(mp4)}.mp4"
        times = [timed(lambda: save_video(out, video))[1] for _ in range(args.repeats)]
        mp4[label] = {"video_s": round(video.duration_s, 2), "frames": int(video.frames.shape[0]),
                      "write_wall_s": med(times), "x_real_time": round(video.duration_s / med(times), 1),
                      "bytes": out.stat().st_size}
    tmp.cleanup()

    checks = [(f"render fps, {name}", d["fps_rendered"], TARGET_FPS) for name, d in render.items()]
    summary = [{"check": c, "value": v, "target": t, "pass": v >= t} for c, v, t in checks]
    report = {"threads": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "cv2": cv2.getNumThreads()},
              "notes": notes, "anchor": ANCHOR, "target_fps": TARGET_FPS, "repeats": args.repeats,
              "render": render, "talking": talk, "mp4": mp4, "summary": summary,
              "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
              "seconds": round(time.perf_counter() - t_start, 1)}
    if emit_json(report, args.json):
        return report

    print(f"face/animator speed, one thread (OMP_NUM_THREADS={report['threads']['OMP_NUM_THREADS']}, "
          f"cv2 threads {report['threads']['cv2']}); warm figures are medians of {args.repeats}")
    for n in notes:
        print(f"note: {n}")
    print(f"\n1. render: {args.seconds:g} s silent joy clip (target >= {TARGET_FPS:g} fps; anchor: {ANCHOR})")
    print(f"  {'portrait':24s} {'frames':>6s} {'fps':>7s} {'fps cold':>9s} {'render s':>9s} {'fit s cold':>11s} "
          f"{'generate s':>11s} {'cold':>7s} {'cpu s':>7s} {'fps whole':>10s} {'fps/cpu s':>10s} {'IOD px':>7s}")
    for name, d in render.items():
        print(f"  {name:24s} {d['frames']:6d} {d['fps_rendered']:7.1f} {d['fps_rendered_cold']:9.1f} {d['render_s']:9.3f} "
              f"{d['fit_s_cold']:11.3f} {d['generate_wall_s']:11.3f} {d['generate_wall_s_cold']:7.3f} "
              f"{d['generate_cpu_s']:7.3f} {d['fps_whole_generate']:10.1f} {d['fps_per_cpu_s']:10.1f} {d['face_iod_px']:7.1f}")
    t = talk
    print(f"\n2. talking face vs its voice: '{SENTENCE}' ({t['audio_s']} s audio, {t['frames']} frames, joy, "
          f"score=False)")
    print(f"  {'':46s} {'wall s':>8s} {'cpu s':>8s} {'x real time':>12s}")
    for key, label in (("speech", "Studio.generate('speech')"), ("face", "Studio.generate('face') (speech + face)"),
                       ("speech_scored", "Studio.generate('speech', score=True)")):
        print(f"  {label:46s} {t[key]['wall_s']:8.3f} {t[key]['cpu_s']:8.3f} {t['audio_s'] / t[key]['wall_s']:12.1f}")
    s = t["face_split"]
    print(f"  face over speech: +{t['face_over_speech_wall_s']:.3f} s wall ({t['face_over_speech_ratio']:.2f}x); "
          f"the face call's split: speech step {s['speech_step_s']:.3f} s (judged by the speech judges: "
          f"{t['speech_step_judged']}), face generate {s['face_generate_s']:.3f} s (render {s['render_s']:.3f} s, "
          f"{s['fps_rendered']:.1f} fps); first face call {t['first_face_call_wall_s']:.3f} s")
    print("\n3. MP4 writing (conditioning.media.save_video: ffmpeg H.264 + AAC)")
    print(f"  {'clip':28s} {'video s':>8s} {'frames':>7s} {'write s':>8s} {'x real time':>12s} {'bytes':>9s}")
    for label, d in mp4.items():
        print(f"  {label:28s} {d['video_s']:8.2f} {d['frames']:7d} {d['write_wall_s']:8.3f} {d['x_real_time']:12.1f} "
              f"{d['bytes']:9d}")
    print("\nsummary")
    for (c, v, tg), sm in zip(checks, summary):
        print(f"  {'PASS' if sm['pass'] else 'MISS'}  {c:40s} {v:8.1f}  (target >= {tg:g})")
    print(f"(load average {report['load_average']:.1f}; {report['seconds']} s)")
    return report


if __name__ == "__main__":
    main()
