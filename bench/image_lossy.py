"""How far a picture's readings move when the studio writes it as JPEG or WebP, which `critique` then reads from
the file: per emotion and format, `image/embedded`'s largest change in valence or arousal between the take's
report (the judges read the picture before it was compressed) and the file read back. The PNG beside them is
the baseline, read in the same run (it must read exactly as reported).

    python bench/image_lossy.py [--emotions joy,sadness,anger,calm]

Why: the report's note on lossy pictures (`studio.generate.LOSSY_PICTURE`) gives these figures. About 40 s.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gap(path: Path) -> float:
    """The largest valence or arousal change of image/embedded between the take's report and the file read back."""
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "studio.cli", *args], capture_output=True, text=True, cwd=ROOT,
                              check=True).stdout

    report = json.loads(cli("generate", "image", "--emotion", path.stem, "--out", str(path), "--json"))
    loop = {j["critic"]: j["reading"] for j in report["judges"]}["image/embedded"]
    row = json.loads(cli("critique", "--modality", "image", "--critic", "embedded", "--json", str(path)).splitlines()[0])
    return max(abs(row[k] - loop[k]) for k in ("valence", "arousal"))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--emotions", default="joy,sadness,anger,calm")
    args = ap.parse_args(argv)
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".png", ".jpg", ".webp"):
            out[suffix] = {e: round(gap(Path(tmp) / f"{e}{suffix}"), 4) for e in args.emotions.split(",")}
            gaps = list(out[suffix].values())
            print(f"{suffix:6s} largest change {max(gaps):.3f}, mean {sum(gaps) / len(gaps):.3f}  "
                  + "  ".join(f"{e} {g:.3f}" for e, g in out[suffix].items()))
    ok = max(out[".png"].values()) < 1e-3
    print(f"{'PASS' if ok else 'FAIL'}  the PNG baseline reads as reported (largest change {max(out['.png'].values()):.4f})")
    return out


if __name__ == "__main__":
    main()
