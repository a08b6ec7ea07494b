"""Compile librosa's numba kernels once, in one process, before anything runs them side by side.

    python -m studio.warm          # `make demo` and `make test` run it after installing

Why: librosa caches its numba kernels on disk (``cache=True``, in ``__pycache__`` beside its sources). Two
processes that compile the same kernel at the same moment can leave a cache whose two halves (a gufunc and
its wrapper) do not match (numba issue #10128), and from then on *every* process that loads it dies with a
segmentation fault. A fresh install met exactly this (2026-12-06): `make test` and a second process reading
speech compiled `librosa.pyin`'s kernels together (about 200 s of compiling on a loaded 2-core machine, a wide
window), the suite died in `conditioning.held_notes`, and every later `pyin` call in that environment crashed
until the cache files were removed. `emostudio dataset --workers N` starts N such processes at once.

So the kernels the product runs are compiled here, once: by ``make`` after it installs, and by `emostudio dataset`
in its parent before it starts workers (`studio.dataset.build`). Once compiled, the cache is only read. What
is warmed is what the product calls, with the dtypes it passes (numba compiles one kernel per type):

- `conditioning.held_notes.held_notes` (`critique`'s music-or-speech note): pYIN, the slowest to compile;
- `critics.music.features.extract` (the music judge): onset peak picking;
- `generators.speech.spectrum.equalise` (every emotional take of Piper and Festival): the inverse STFT.

``python -m studio.warm`` also repairs an environment whose cache is already broken: it warms in a child
process, and when the child dies by a signal it removes librosa's numba cache files (`clear`) and warms again.
Ray workers on other machines compile in their own environments: run it there once after installing.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: the cache files numba writes: an index per kernel and one file per compiled signature
CACHE_SUFFIXES = (".nbi", ".nbc")


def warm_up() -> None:
    """Run each numba-compiled path of the product once on a short synthetic signal (seconds once cached)."""
    import numpy as np

    from conditioning.held_notes import held_notes
    from critics.music.features import extract
    from generators.speech.spectrum import BANDS, equalise

    rate = 16000
    t = np.arange(rate) / rate
    tone = (0.1 * np.sin(2 * np.pi * 220 * t) * (t % 0.5 < 0.25)).astype(np.float32)
    held_notes(tone, rate)
    extract(tone, rate)
    equalise(tone, rate, np.zeros(BANDS))


def cache_roots() -> list[Path]:
    """Where librosa's kernels are cached: beside its sources, and under ``NUMBA_CACHE_DIR`` when it is set."""
    import importlib.util

    spec = importlib.util.find_spec("librosa")
    roots = [Path(spec.origin).parent] if spec and spec.origin else []
    if os.environ.get("NUMBA_CACHE_DIR"):
        roots.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    return roots


def clear(roots) -> int:
    """Remove numba's cache files under ``roots``; returns how many. Nothing else is touched."""
    removed = 0
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.suffix in CACHE_SUFFIXES and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def ensure(command=None, roots=None, log=print) -> int:
    """Warm in a child process; when it dies by a signal (a broken cache), clear the cache and warm once more.
    Returns the exit status to give (0: warmed)."""
    command = command or [sys.executable, "-c", "from studio.warm import warm_up; warm_up()"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                                      os.environ.get("PYTHONPATH")]))}
    code = subprocess.run(command, env=env).returncode
    if code >= 0:
        return code
    n = clear(cache_roots() if roots is None else roots)
    log(f"studio.warm: the numba cache was broken (the warm-up died by signal {-code}); removed {n} cache files "
        "and compiling again", file=sys.stderr)
    code = subprocess.run(command, env=env).returncode
    if code < 0:
        log(f"studio.warm: the warm-up died by signal {-code} again, with a fresh cache", file=sys.stderr)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(ensure())
