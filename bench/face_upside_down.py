"""How often the animator's upside-down check (`FaceFinder.orientation`) fires on upright and on inverted faces.

    OMP_NUM_THREADS=1 .venv/bin/python bench/face_upside_down.py [--fer 300]

Faces: OASIS's "Person" pictures (500x400 photos) and every 97th FER2013 training face (48 px, upscaled to 256),
each as it is and turned 180 degrees; only pictures where the face mesh finds a face count (the animator refuses
the rest as "no face found"), and OASIS's turned 20 degrees. For each set: the share the animator refuses as upside
down (`generators.face.mesh.UPSIDE_DOWN`: not found upright on the whole picture, and found turned 0.7 or more and
0.05 more than upright, on the picture or a crop around the face) and the share it notes may be; on upright faces,
both are wrong. Both by the detector alone (`FaceFinder.orientation`) and by the animator's rule, which also
compares where the mesh fitted on the picture and on the picture turned 180 degrees finds the eyes darker than the
cheeks (`generators.face.mesh.EYES_TURNED`); ``--sweep`` shows that signal at other thresholds. The thresholds were
chosen on these very pictures: the figures are in-sample.
Data: ../shared/data (see its README).
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
    from critics.training import default_data
    from generators.face.mesh import MeshFitter, largest_face, upside_down_verdict

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fer", type=int, default=300, help="FER2013 faces to use (every 97th)")
    ap.add_argument("--sweep", action="store_true", help="also the eyes' figures at other thresholds")
    args = ap.parse_args()
    data = default_data()
    fitter = MeshFitter()
    finder: FaceFinder = fitter.finder
    scores: dict[str, list[tuple[float, float, float, float]]] = {}

    def score(name: str, pic: np.ndarray) -> None:  # (only pictures where the mesh finds a face: as the animator)
        face = largest_face(finder.find(pic))
        if face is not None:
            scores.setdefault(name, []).append(fitter.orientation(pic, face))

    from PIL import Image as PILImage

    with open(data / "images" / "oasis" / "labels.csv", encoding="utf-8") as fh:
        people = [r["path"] for r in csv.DictReader(fh) if r["category"].lower() == "person"]
    for path in people:
        pic = cv2.cvtColor(cv2.imread(str(data / "images" / "oasis" / path)), cv2.COLOR_BGR2RGB)
        score("OASIS person upright", pic)
        score("OASIS person inverted", np.ascontiguousarray(pic[::-1, ::-1]))
        slant = PILImage.fromarray(pic).rotate(20, expand=True, fillcolor=(128, 128, 128))
        score("OASIS person turned 20 degrees upright", np.asarray(slant))  # (none should be refused)
    for im in np.load(data / "faces" / "fer2013_train.npz")["images"][::97][: args.fer]:
        pic = np.repeat(cv2.resize(im, (256, 256), interpolation=cv2.INTER_CUBIC)[:, :, None], 3, 2)
        score("FER2013 upright", pic)
        score("FER2013 inverted", np.ascontiguousarray(pic[::-1, ::-1]))
    print("faces the mesh finds; the share the animator refuses as upside down, and notes (upright: wrongly):")
    print("the detector alone (the rule before the eyes' shading), then the animator's rule (`upside_down_verdict`)")
    print(f"  {'set':40s} {'faces':>5s}  {'refused':>8s}  {'noted':>7s}  {'refused':>8s}  {'noted':>7s}")
    for name, s in sorted(scores.items()):
        before = [upside_down_verdict(whole, up, inv, 0.0) for whole, up, inv, _ in s]  # (no eyes' signal)
        verdict = [upside_down_verdict(*x) for x in s]
        share = lambda vs, v: np.mean([x == v for x in vs])  # noqa: E731
        print(f"  {name:40s} {len(s):5d}  {share(before, 'refuse'):8.1%}  {share(before, 'note'):7.1%}  "
              f"{share(verdict, 'refuse'):8.1%}  {share(verdict, 'note'):7.1%}"
              f"  ({sum(v == 'refuse' for v in verdict)} and {sum(v == 'note' for v in verdict)})")
    if args.sweep:  # the eyes' thresholds: refused where the detector also scores it more turned; noted otherwise
        print("eyes_turned threshold: refused (with inverted > upright) / noted (any), counts per set")
        for t in (10, 20, 30, 40, 50, 60, 80):
            row = []
            for name, s in sorted(scores.items()):
                whole, up, inv, eyes = np.asarray(s).T
                row.append(f"{((eyes >= t) & (inv > up)).sum()}/{(eyes >= t).sum()}")
            print(f"  {t:3d}: " + "  ".join(row))

if __name__ == "__main__":
    main()
