"""Make torchaudio importable beside a CPU-only torch 2.13 by setting aside compiled libraries that cannot load.

    python .ci/torchaudio_pure_python.py        (run by `make test` after installing the coqui extra)

Why: the only torchaudio wheels that install beside torch 2.13 (2.11.x) are CUDA builds; their `.so` files
need libc10_cuda.so and fail to load, and torchaudio then refuses to import. Without those files torchaudio's
pure-Python parts import (what coqui-tts's XTTS uses: mel transforms, resampling), while `torchaudio.load/save`
stay unavailable, which Emotion Studio never calls (DESIGN.md section 6). The files are renamed to
``*.so.unloadable``, not deleted, and only when loading them fails; on a machine where they load (a CUDA
torch) nothing is touched.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    spec = importlib.util.find_spec("torchaudio")
    if spec is None or not spec.submodule_search_locations:
        print("torchaudio is not installed; nothing to do")
        return 0
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib"
    import torch

    moved = []
    for so in sorted(lib.glob("*.so")):
        try:
            torch.ops.load_library(str(so))
        except OSError as exc:
            so.rename(so.with_name(so.name + ".unloadable"))
            moved.append(f"{so.name} ({str(exc.__cause__ or exc).splitlines()[0]})")
    if moved:
        print("torchaudio: set aside compiled libraries that cannot load here: " + "; ".join(moved))
    import torchaudio  # noqa: F401  (must import now)

    return 0


if __name__ == "__main__":
    sys.exit(main())
