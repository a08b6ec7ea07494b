"""Speed of a music-therapy session (issue target: a 15-minute session renders in <= 30 s on 2 cores).

Times the session builder's compose + chunked render of a 15-minute iso-principle session (anxiety -> calm,
30-s clips) with ``--workers`` render processes, and in the same run a baseline: the same MIDI rendered in
one piece by bare FluidSynth (the `fluidsynth` command's fast file renderer when installed, else
`conditioning.render.render_midi` in-process). Prints seconds and x real time. Scoring the clips with the
music critic is timed separately (``--measure``), since the target is about rendering.

    python bench/music_speed.py [--minutes 15] [--clip 30] [--from anxiety] [--to calm] [--workers 1] [--measure]
        [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=15.0)
    p.add_argument("--clip", type=float, default=30.0)
    p.add_argument("--workers", type=int, default=1, help="render processes (2 splits the session at a clip boundary)")
    p.add_argument("--from", dest="from_", default="anxiety")
    p.add_argument("--to", default="calm")
    p.add_argument("--measure", action="store_true", help="also time the music critic over every clip")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from conditioning import plan_iso
    from conditioning.render import find_soundfont, render_midi
    from generators.base import GenerationRequest
    from generators.music.composer import ComposerMusic
    from studio.session import _cuts, render_chunked

    total = args.minutes * 60
    plan = plan_iso(args.from_, args.to, args.minutes, args.clip)
    gen = ComposerMusic()
    find_soundfont()  # resolve once outside the timings
    t0 = time.perf_counter()
    score = gen.compose(GenerationRequest(plan.current, plan.trajectory(), seed=0, duration_s=total))
    t1 = time.perf_counter()
    y = render_chunked(score.midi, total, _cuts(plan, args.workers), workers=args.workers)
    t2 = time.perf_counter()
    notes = sum(len(i.notes) for i in score.midi.instruments)
    out = {"minutes": args.minutes, "workers": args.workers, "cpus": os.cpu_count(), "notes": notes,
           "compose_s": round(t1 - t0, 2), "render_s": round(t2 - t1, 2), "session_s": round(t2 - t0, 2),
           "x_real_time": round(total / (t2 - t0), 1), "load_avg": round(os.getloadavg()[0], 2)}
    # baseline: the same MIDI in one piece, bare FluidSynth
    exe = shutil.which("fluidsynth")
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "s.mid"
        score.midi.write(str(mid))
        t3 = time.perf_counter()
        if exe:
            subprocess.run([exe, "-ni", "-q", "-g", "0.2", "-r", "22050", "-F", str(Path(tmp) / "s.wav"),
                            str(find_soundfont()), str(mid)], check=True, capture_output=True)
            out["baseline"] = "fluidsynth CLI -F (one process)"
        else:
            render_midi(score.midi, gain_db=0.0)
            out["baseline"] = "render_midi in-process (one piece)"
        out["baseline_s"] = round(time.perf_counter() - t3, 2)
        out["baseline_x_real_time"] = round(total / out["baseline_s"], 1)
    if args.measure:
        from conditioning.media import Audio
        from critics.registry import load_critic

        critic = load_critic("music", "embedded")
        t4 = time.perf_counter()
        for c in plan.clips:
            critic.score(Audio(y[int(c.start_s * 22050): int(c.end_s * 22050)].astype("float32"), 22050))
        out["measure_s"] = round(time.perf_counter() - t4, 2)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{args.minutes:g}-min session, {len(plan.clips)} clips, {notes} notes, {args.workers} worker(s) on "
              f"{out['cpus']} cpus (load {out['load_avg']}): compose {out['compose_s']} s + render {out['render_s']} s "
              f"= {out['session_s']} s ({out['x_real_time']}x real time; target <= 30 s)")
        print(f"  baseline {out['baseline']}: {out['baseline_s']} s ({out['baseline_x_real_time']}x real time)")
        if "measure_s" in out:
            print(f"  music critic over {len(plan.clips)} clips: {out['measure_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
