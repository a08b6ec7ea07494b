"""Build the face animator's expression ratio images (`generators/face/expression_ratios.npz`).

    python -m studio.face_textures --data ../shared/data [--out PATH] [--limit N]

What is built and how it is applied: `generators.face.texture`. Why the builder lives in `studio/`: it joins
the generator's side (its mesh geometry and stored format) with the judges' side (the face critic's landmark
finder, and FER2013's stratified split from `critics.training.face`, so that the faces are the 10 % the
`face/classifier` judge was never trained on). Generators never import critics (DESIGN.md section 1); only
the studio joins both, as it does for the speech calibration (`studio.calibrate`).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from generators.face import mesh as M
from generators.face.texture import (EMOTIONS, LOG_RANGE, PATH, RES, X0, X1, Y0, Y1, face_mask, grid_ring, load,
                                     to_canonical, warp_maps)


def fit_meshes(images: np.ndarray, pad: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The 478-point mesh of each 48x48 face (enlarged, with a replicated border the detector needs), and
    which faces it was found on."""
    import cv2

    from conditioning.faces import FaceFinder

    finder = FaceFinder(max_faces=1)
    found, lms = [], []
    for k, img in enumerate(images):
        faces = finder.find(cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE))
        if faces and faces[0].landmarks is not None:
            found.append(k)
            lms.append(faces[0].landmarks[:, :2] - pad)
    return np.array(found, np.int64), np.array(lms, np.float64)


def build(data: Path, out: Path = PATH, split_seed: int = 0, limit: int | None = None) -> dict:
    """Fit the meshes on FER2013's held-out faces, average each emotion in its own mean shape, write the file.
    ``limit``: draw the split from that many images only (a quick build for tests; the shipped file uses all)."""
    from critics.training.face import load_fer, stratified_split

    t0 = time.time()
    images, labels, classes = load_fer(data, limit)
    _, held_out = stratified_split(labels, 0.1, split_seed)
    found, lms = fit_meshes(images[held_out])
    idx, y = held_out[found], labels[held_out[found]]
    faces = np.array([M.FaceFrame.of(lm).to_face(lm) for lm in lms])
    cls = {c: k for k, c in enumerate(classes)}
    neutral = y == cls["neutral"]
    missing = [c for c in ("neutral", *EMOTIONS) if not (y == cls[c]).any()]
    if missing:
        raise SystemExit(f"no {', '.join(missing)} face in the held-out part: use more images")
    neutral_shape = faces[neutral].mean(0)
    ring = grid_ring(neutral_shape)
    shapes, logs, counts = [], [], {}
    for label in EMOTIONS:
        sel = y == cls[label]
        shape = faces[sel].mean(0)
        maps = warp_maps(shape, ring)
        mean_e = np.mean([to_canonical(images[i], lm, maps, ring) for i, lm in zip(idx[sel], lms[sel])], 0)
        mean_n = np.mean([to_canonical(images[i], lm, maps, ring) for i, lm in zip(idx[neutral], lms[neutral])], 0)
        log_r = np.log((mean_e + 8.0) / (mean_n + 8.0))
        mask = face_mask(shape)
        log_r -= np.median(log_r[mask > 0.5])  # local shading only: not the photos' overall exposure
        shapes.append(shape)
        logs.append(np.clip(log_r, *LOG_RANGE) * mask)
        counts[EMOTIONS[label]] = int(sel.sum())
    meta = {"data": "FER2013 training split (Goodfellow et al. 2013), faces/fer2013_train.npz; research use only",
            "faces": f"the held-out stratified 10 % (critics.training.face.stratified_split, seed {split_seed}), "
                     "never seen by the face/classifier judge", "meshes_found": int(len(found)),
            "held_out": int(len(held_out)), "per_emotion": counts, "neutral": int(neutral.sum()),
            "grid": {"x": [X0, X1], "y": [Y0, Y1], "res": RES},
            "command": "python -m studio.face_textures --data ../shared/data" + (f" --limit {limit}" if limit else ""),
            "seconds": round(time.time() - t0, 1)}
    out = Path(out)
    tmp = out.with_name(out.name + ".part.npz")
    np.savez_compressed(tmp, emotions=np.array(list(EMOTIONS.values())), shapes=np.array(shapes, np.float32),
                        log_ratio=np.array(logs, np.float16), neutral=neutral_shape.astype(np.float32),
                        meta=json.dumps(meta))
    tmp.replace(out)
    load.cache_clear()
    return meta


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder (faces/fer2013_train.npz)")
    ap.add_argument("--out", type=Path, default=PATH)
    ap.add_argument("--limit", type=int, default=None, help="use only this many FER2013 images (a quick check)")
    args = ap.parse_args(argv)
    meta = build(args.data, args.out, limit=args.limit)
    print(json.dumps(meta, indent=1))
    return meta


if __name__ == "__main__":
    main()
