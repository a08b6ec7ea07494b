"""Dataset throughput: two-judge-scored speech items per minute with 1 and 2 local workers, and on Ray.

    OMP_NUM_THREADS=1 .venv/bin/python bench/dataset_throughput.py [--items 40] [--no-ray] [--json [PATH]]

Each item is one Piper take of a short sentence (8 emotions x 5 sentences, cycling), judged by both speech
judges against the voice's neutral take (made once per sentence per worker and reused, as the Studio does);
the fidelity filter is off (``recognised_by: none``) so every item costs one take. Reported per run: the wall
time, items per minute over the whole run, items per minute in the steady state (from the first finished item
to the last: worker start-up, i.e. importing the stack and loading the voice and judges, is paid once per
worker and excluded), and the scaling efficiency of 2 workers (rate with 2 / (2 x rate with 1)).
Targets: >= 150 items/min with 2 workers on 2 cores, scaling efficiency >= 0.8.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import add_json_option, emit_json  # noqa: E402

SPEC = """
name: throughput
seed: 1
modalities:
  speech:
    count: {n}
    texts:
      - The door is open.
      - We walked home slowly.
      - It starts at nine.
      - She kept the letter.
      - Bring the blue one.
emotions:
  sampling: list
  list: [neutral, calm, joy, sadness, anger, fear, disgust, surprise]
filter:
  recognised_by: none
"""


def one_run(spec_path: Path, out: Path, workers: int, ray: str | None) -> dict:
    from studio.dataset import Journal, build, load_spec

    spec = load_spec(spec_path)
    t0 = time.time()
    summary = build(spec, out, workers=workers, ray_address=ray, progress=False)
    wall = time.time() - t0
    rows = list(Journal(out).load().values())
    done_at = sorted(os.path.getmtime(out / r["file"]) for r in rows if r.get("file"))
    steady = (len(done_at) - 1) / (done_at[-1] - done_at[0]) * 60 if len(done_at) > 2 and done_at[-1] > done_at[0] else None
    return {"workers": workers, "ray": bool(ray), "items": summary["items"], "wall_s": round(wall, 2),
            "items_per_min": round(60 * summary["items"] / wall, 1),
            "steady_items_per_min": None if steady is None else round(steady, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--no-ray", action="store_true")
    add_json_option(ap)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ds_bench_"))
    spec = tmp / "spec.yaml"
    spec.write_text(SPEC.format(n=args.items), encoding="utf-8")
    rows = []
    try:
        for workers in (1, 2):
            rows.append(one_run(spec, tmp / f"w{workers}", workers, None))
        if not args.no_ray:
            try:
                import ray

                ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
                ray.init(num_cpus=2, _temp_dir=ray_tmp, include_dashboard=False, log_to_driver=False)
                try:
                    rows.append(one_run(spec, tmp / "ray", 2, "auto"))
                finally:
                    ray.shutdown()
                    subprocess.run(["rm", "-rf", ray_tmp])
            except ModuleNotFoundError:
                print("Ray not installed (pip install 'emotion-studio[scale]'): Ray run skipped", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    one = rows[0]["steady_items_per_min"] or rows[0]["items_per_min"]
    two = rows[1]["steady_items_per_min"] or rows[1]["items_per_min"]
    eff = two / (2 * one) if one else None
    result = {"rows": rows, "scaling_efficiency": None if eff is None else round(eff, 3), "cores": os.cpu_count(),
              "load_average": os.getloadavg()[0]}
    if emit_json(result, args.json):
        return 0
    print(f"dataset throughput: {args.items} speech items, 2 judges each, filter off ({os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f})")
    print(f"  {'run':14s} {'wall s':>8s} {'items/min':>10s} {'steady items/min':>17s}")
    for r in rows:
        name = "Ray, 2 CPUs" if r["ray"] else f"{r['workers']} worker(s)"
        st = "-" if r["steady_items_per_min"] is None else f"{r['steady_items_per_min']:.1f}"
        print(f"  {name:14s} {r['wall_s']:8.1f} {r['items_per_min']:10.1f} {st:>17s}")
    print("summary")
    print(f"  {'PASS' if two >= 150 else 'MISS'}  2 workers: {two:.1f} items/min steady (target >= 150)")
    if eff is not None:
        print(f"  {'PASS' if eff >= 0.8 else 'MISS'}  scaling efficiency {eff:.2f} (target >= 0.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
