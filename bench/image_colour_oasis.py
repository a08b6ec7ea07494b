"""How well does the colour judge (`image/colour`: Valdez & Mehrabian's equations, nothing learned) follow human
ratings of photographs? Its figures on OASIS, beside the embedded judge's out-of-fold ones (read from the shipped
weights' JSON, `critics/weights/image_embedded.json`, the figures of critics/cards/image-embedded.md).

    OMP_NUM_THREADS=1 .venv/bin/python bench/image_colour_oasis.py [--data ../shared/data] [--json [PATH]]

Reads all 450 OASIS images in ../shared/data and reports Pearson r and Lin's CCC of the judge's valence and
arousal with the raters' means (placed on the studio's -1..1 scale as ``(rating - 4) / 3``). Nothing is fitted to
the ratings; the judge's only constants from these images are the mean and sd of its P and A over them
(`critics.image.colour.OASIS`), which set its zero and scale, so r is out of sample and CCC nearly so.
"""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import data_bench  # noqa: E402

import numpy as np  # noqa: E402


def run(data: Path) -> dict:
    from conditioning.media import load_image
    from conditioning.metrics import ccc
    from critics.image.colour import ColourImageCritic

    root = data / "images" / "oasis"
    rows = list(csv.DictReader(open(root / "labels.csv", newline="")))
    judge = ColourImageCritic()
    reads = np.array([[r.valence, r.arousal] for r in (judge.score(load_image(root / row["path"])) for row in rows)])
    human = (np.array([[float(r["valence_mean"]), float(r["arousal_mean"])] for r in rows]) - 4) / 3
    out = {"n": len(rows)}
    for j, dim in enumerate(("valence", "arousal")):
        out[dim] = {"r": round(float(np.corrcoef(reads[:, j], human[:, j])[0, 1]), 3),
                    "ccc": round(float(ccc(human[:, j], reads[:, j])), 3),
                    "readings_p5_p95": [round(float(x), 2) for x in np.percentile(reads[:, j], [5, 95])]}
    return out


def embedded_reference() -> str:
    """The shipped `image/embedded` models' out-of-fold r (valence / arousal), as its training recorded them."""
    import json

    path = Path(__file__).resolve().parents[1] / "critics" / "weights" / "image_embedded.json"
    try:
        doc = json.loads(path.read_text())
        models = doc["validation"]["models"]
        r = [models[doc["model"][t]][t]["r"] for t in ("valence_mean", "arousal_mean")]
    except (OSError, KeyError, ValueError) as exc:
        return f"not read from {path.name}: {exc!r}"
    return f"r {r[0]:.3f} / {r[1]:.3f}"


def show(res: dict) -> None:
    print(f"image/colour on {res['n']} OASIS photographs (human means, -1..1 scale)")
    for dim in ("valence", "arousal"):
        r = res[dim]
        print(f"  {dim:8s} r {r['r']:+.3f}  CCC {r['ccc']:+.3f}  readings p5..p95 {r['readings_p5_p95'][0]:+.2f}.."
              f"{r['readings_p5_p95'][1]:+.2f}")
    print(f"  (image/embedded, out of fold: {embedded_reference()}; critics/weights/image_embedded.json, "
          "critics/cards/image-embedded.md)")


def main() -> int:
    return data_bench(__doc__, run, show)


if __name__ == "__main__":
    sys.exit(main())
