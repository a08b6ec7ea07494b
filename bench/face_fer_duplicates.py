"""How much of `face/classifier`'s held-out figure is faces it was trained on? FER2013 holds exact copies of some
pictures: the held-out 10 % (the stratified, seed-0 split the card's figure comes from) shares some with the
training 90 %, and the shipped ONNX is scored on the held-out faces with and without them.

    OMP_NUM_THREADS=1 .venv/bin/python bench/face_fer_duplicates.py [--data ../shared/data] [--json [PATH]]

Flip-averaged, as the critic reads (`critics.training.face.onnx_probs`); about 20 s. The figure without the copies
is the one for unseen faces (critics/cards/face-classifier.md).
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import data_bench  # noqa: E402

import numpy as np  # noqa: E402


def run(data: Path) -> dict:
    from critics.face.classifier import FaceExpressionCritic
    from critics.training.face import load_fer, onnx_probs, stratified_split

    images, labels, _ = load_fer(data)
    train, held = stratified_split(labels, 0.1, 0)
    digest = np.array([hashlib.sha1(np.ascontiguousarray(im).tobytes()).hexdigest() for im in images])
    seen = set(digest[train])
    copy = np.array([digest[i] in seen for i in held])
    right = onnx_probs(FaceExpressionCritic().weights_path, images[held]).argmax(1) == labels[held]
    unseen = float(right[~copy].mean())
    return {"held_out": int(len(held)), "copies_of_training_faces": int(copy.sum()),
            "accuracy_all": round(float(right.mean()), 4), "accuracy_copies": round(float(right[copy].mean()), 4),
            "accuracy_without_copies": round(unseen, 4),
            "standard_error_without_copies": round(float(np.sqrt(unseen * (1 - unseen) / (~copy).sum())), 4)}


def show(res: dict) -> None:
    print(f"face/classifier on FER2013's held-out 10 % ({res['held_out']} faces, flip-averaged):")
    print(f"  all of them            {res['accuracy_all']:.4f}   (the card's figure until 2026-12-06)")
    print(f"  {res['copies_of_training_faces']} exact copies of training faces  {res['accuracy_copies']:.4f}")
    print(f"  without the copies     {res['accuracy_without_copies']:.4f}   (+- {res['standard_error_without_copies']:.4f} "
          "standard error): the figure for unseen faces")


def main() -> int:
    return data_bench(__doc__, run, show)


if __name__ == "__main__":
    sys.exit(main())
