"""Throughput of the visual critics on one core (issue targets: >= 200 aligned face crops/s, >= 20 images/s at
512 px), each against a reference measured in the same run on the same inputs.

    python bench/critics_visual.py [--n 60]

The image reference is the unavoidable part of any image critic (decode a 512 px JPEG and resize it to the
working size); the critic's overhead is reported relative to it.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def _rate(fn, items, repeat=1) -> float:
    fn(items[0])  # warm-up (model load, caches)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for it in items:
            fn(it)
    return repeat * len(items) / (time.perf_counter() - t0)


def bench_images(n: int) -> dict:
    from PIL import Image as PILImage

    from conditioning.media import Image
    from critics.image.embedded import EmbeddedImageCritic
    from critics.image.features import WORK_PX

    rng = np.random.default_rng(0)
    data_dir = Path(os.environ.get("EMOSTUDIO_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    files = sorted((data_dir / "images" / "oasis" / "images").glob("*.jpg"))[:n]
    jpegs = []
    for i in range(n):  # 512 px on the long side: real OASIS photos when present, else textured noise
        im = PILImage.open(files[i]).convert("RGB") if i < len(files) else PILImage.fromarray(
            rng.integers(0, 255, (400, 500, 3), dtype=np.uint8))
        im = im.resize((512, round(512 * im.height / im.width)))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=90)
        jpegs.append(buf.getvalue())
    critic = EmbeddedImageCritic()

    def decode(b):
        im = PILImage.open(io.BytesIO(b)).convert("RGB")
        return np.asarray(im.resize((WORK_PX, round(WORK_PX * im.height / im.width))))

    ref = _rate(decode, jpegs)
    full = _rate(lambda b: critic.score(Image(np.asarray(PILImage.open(io.BytesIO(b)).convert("RGB")))), jpegs)
    return {"images_per_s": full, "reference_decode_resize_per_s": ref, "target": 20.0,
            "source": "OASIS" if files else "noise"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60)
    args = ap.parse_args()
    img = bench_images(args.n)
    print(f"image critic (embedded) at 512 px: {img['images_per_s']:.1f} images/s on one core "
          f"(target >= {img['target']:.0f}; reference decode+resize {img['reference_decode_resize_per_s']:.0f}/s; "
          f"{img['source']} images) -> {'PASS' if img['images_per_s'] >= img['target'] else 'FAIL'}")
    from bench.critics_faces import bench_faces

    bench_faces()


if __name__ == "__main__":
    main()
