"""How often the animator's upside-down check (`FaceFinder.upside_down`) fires on upright and on inverted faces.

    OMP_NUM_THREADS=1 .venv/bin/python bench/face_upside_down.py [--fer 300]

Faces: OASIS's "Person" pictures (500x400 photos) and every 97th FER2013 training face (48 px, upscaled to 256),
each as it is and turned 180 degrees; only pictures where the face mesh finds a face count (the animator refuses
the rest as "no face found"). For each threshold: the share of upright faces it would refuse (false refusals)
and of inverted ones it catches. The animator refuses from 0.75 (`generators.face.mesh.UPSIDE_DOWN`; chosen on
these pictures: a boy's face cut by the edge of OASIS's School_2 scores 0.70 upright) and notes from 0.5. Data:
../shared/data (see its README).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def main() -> None:
    import cv2

    from conditioning.faces import FaceFinder
    from generators.face.mesh import largest_mesh, mesh_area
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fer", type=int, default=300, help="FER2013 faces to use (every 97th)")
    args = ap.parse_args()
    data = default_data()
    finder = FaceFinder()
    scores: dict[str, list[float]] = {}

    def score(name: str, pic: np.ndarray) -> None:
        for turned, p in ((False, pic), (True, np.ascontiguousarray(pic[::-1, ::-1]))):
            faces = finder.find(p)
            if largest_mesh(faces) is None:
                continue
            face = max((f for f in faces if f.landmarks is not None), key=lambda f: mesh_area(f.landmarks[:, :2]))
            scores.setdefault(f"{name} {'inverted' if turned else 'upright'}", []).append(finder.upside_down(p, face))

    with open(data / "images" / "oasis" / "labels.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["category"].lower() == "person":
                bgr = cv2.imread(str(data / "images" / "oasis" / row["path"]))
                score("OASIS person", cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    fer = np.load(data / "faces" / "fer2013_train.npz")["images"][::97][: args.fer]
    for im in fer:
        score("FER2013", np.repeat(cv2.resize(im, (256, 256), interpolation=cv2.INTER_CUBIC)[:, :, None], 3, 2))
    print("faces the mesh finds, and the share scored at or over each threshold (upright: false refusals)")
    print(f"  {'set':26s} {'faces':>5s}  {'>= 0.5':>7s}  {'>= 0.75':>7s}")
    for name, s in sorted(scores.items()):
        a = np.asarray(s)
        print(f"  {name:26s} {a.size:5d}  {np.mean(a >= 0.5):7.1%}  {np.mean(a >= 0.75):7.1%}")


if __name__ == "__main__":
    main()
