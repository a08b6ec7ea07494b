"""What ``emostudio critique`` says of the studio's own speech takes: read alone (``--single-file``) and against
the neutral take each take's report names (the default since 2026-12-04), both speech judges.

    OMP_NUM_THREADS=1 python bench/critique_studio_takes.py [--voice joe] [--out /tmp/takes]

Why: a user who critiques a take the studio wrote used to get the single-file reading, in which both judges hear
the Piper voice as one or two labels whatever it expresses, while the take's report showed the loop's readings
against its neutral take. This runs the commands a user would (``generate speech`` for 8 emotions x 2 sentences
that no other bench or test speaks, then ``critique --json`` with and without ``--single-file``) and prints, per
judge, how many of the 14 emotional takes it names as their target (neutral takes are left out of that count:
read against themselves they are neutral by construction) and the labels it gives all 16.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: vocabulary term -> the RAVDESS label both judges name
TERMS = {"neutral": "neutral", "calm": "calm", "joy": "happy", "sadness": "sad", "anger": "angry", "fear": "fearful",
         "disgust": "disgust", "surprise": "surprised"}
TEXTS = ("We are leaving for the coast early on Saturday.", "The parcel was left outside the neighbour's door.")


def cli(*argv: str) -> str:
    """One ``emostudio`` command in this process; its stdout (stderr is dropped: notes and warnings)."""
    from studio.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    if code != 0:
        raise SystemExit(f"emostudio {' '.join(argv)} exited {code}")
    return out.getvalue()


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voice", default="joe", help="a built-in voice (joe: Piper, slt: Festival)")
    ap.add_argument("--out", type=Path, help="where the takes go (default: a temporary folder)")
    args = ap.parse_args(argv)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for i, text in enumerate(TEXTS):
            for term, label in TERMS.items():
                path = folder / f"{term}_{i}.wav"
                cli("generate", "speech", "--emotion", term, "--text", text, "--voice", args.voice, "--seed", str(i),
                    "--out", str(path))
                files.append((str(path), label))
        out = {"voice": args.voice, "takes": len(files)}
        print(f"critique of {len(files)} studio takes ({args.voice}; 8 emotions x {len(TEXTS)} sentences, loop 0)")
        for critic in ("encoder", "embedded"):
            for how, extra in (("its own neutral take", []), ("alone (--single-file)", ["--single-file"])):
                rows = [json.loads(line) for line in cli("critique", "--modality", "speech", "--critic", critic,
                                                         "--json", *extra, *[f for f, _ in files]).splitlines()]
                tops = [max(r["native"], key=r["native"].get) for r in rows]
                named = sum(t == lab for t, (_, lab) in zip(tops, files) if lab != "neutral")
                norms = sorted({r["normalisation"] for r in rows})
                out[f"{critic} {how}"] = {"named": named, "of": len(files) - len(TEXTS), "normalisation": norms,
                                          "labels": dict(Counter(tops).most_common())}
                print(f"  speech/{critic:8s} {how:22s} names {named:2d} of {len(files) - len(TEXTS)} emotional takes; "
                      f"labels: {', '.join(f'{k} {v}' for k, v in Counter(tops).most_common())}  ({', '.join(norms)})")
    print(f"({time.time() - t0:.0f} s)")
    return out


if __name__ == "__main__":
    main()
