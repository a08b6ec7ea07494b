"""Do the shipped music judges still read as they did when their weights were trained? (code drift)

    OMP_NUM_THREADS=1 python bench/critics_code_drift.py [--data ../shared/data] [--every 32]

A weights file records the hash of the feature code it was trained with (``code_hash`` in
`critics/weights/music_*.json`); the feature and render code has changed since (a DC-offset filter, blocked
analysis of long audio, the unison rule), each change said to leave the descriptors as they were. This checks it:
each judge reads every ``--every``-th EMOPIA clip with today's code and with the code of the commit that last
wrote its weights (a `git worktree` of it in a temporary folder, the same weights), and prints the largest
difference of the quadrant probabilities and how many readings change quadrant. Needs git and the checkout's
history.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROBE = """
import csv, json, sys
from pathlib import Path
from critics.registry import load_critic
root, every, name = Path(sys.argv[1]) / "music" / "emopia", int(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(root / "labels.csv")))[::every]
critic = load_critic("music", name)
print(json.dumps([list(critic.score(str(root / r["path"])).native.values()) for r in rows]))
"""


def readings(tree: Path, data: Path, every: int, judge: str) -> list[list[float]]:
    """The judge's quadrant probabilities of the clips, with the code in ``tree``."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(data), str(every), judge], cwd=tree, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(out.stdout.splitlines()[-1])  # its last line: pyfluidsynth prints where it found the library
    # on stdout when $CI is set, which broke the bench in CI's environment


def main() -> int:
    from bench.report import data_parser, emit_json

    ap = data_parser(__doc__)
    ap.add_argument("--every", type=int, default=32, help="read every N-th clip of EMOPIA (default 32: 31 clips)")
    args = ap.parse_args()
    data = Path(args.data).resolve()
    doc = {}
    for judge in ("embedded", "symbolic"):
        weights = f"critics/weights/music_{judge}.json"
        rev = subprocess.run(["git", "log", "-1", "--format=%h", "--", weights], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
        trained = json.loads((ROOT / weights).read_text())["code_hash"]
        with tempfile.TemporaryDirectory() as tmp:
            old = Path(tmp) / "tree"
            subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), rev], cwd=ROOT, check=True)
            try:
                then, now = readings(old, data, args.every, judge), readings(ROOT, data, args.every, judge)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=True)
        diff = max(abs(a - b) for p, q in zip(then, now) for a, b in zip(p, q))
        moved = sum(p.index(max(p)) != q.index(max(q)) for p, q in zip(then, now))
        doc[f"music/{judge}"] = {"weights_commit": rev, "code_hash": trained, "clips": len(now),
                                 "max_probability_difference": diff, "quadrant_changes": moved}
        if args.json != "-":
            print(f"music/{judge}: weights written at {rev} (feature code {trained}); {len(now)} EMOPIA clips: largest "
                  f"probability difference {diff:.2e}, {moved} change quadrant", flush=True)
    emit_json(doc, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
