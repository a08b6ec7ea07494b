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
process, and when the child crashes (`CRASH_SIGNALS`) or numba cannot read its cache it removes librosa's numba
cache files (`cache_files`, nobody else's) and warms again.
A Ray cluster's nodes compile in their own environments, so `emostudio dataset --ray` runs the same repairing
warm-up once on every node before its items run there side by side (`on_every_node`).
"""
from __future__ import annotations

import os
import signal
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


#: the signals a process dies by when it runs broken machine code: a cache whose halves do not match (others, such
#: as SIGKILL from the OOM killer or a user's SIGTERM, say nothing about the cache, which is then left alone)
CRASH_SIGNALS = tuple(int(getattr(signal, n)) for n in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGTRAP", "SIGABRT", "SIGFPE")
                      if hasattr(signal, n))
#: what a cache that numba cannot read says on its way out (a truncated file: "pickle data was truncated")
CACHE_TRACE = "numba/core/caching.py"


def cache_files() -> list[Path]:
    """librosa's numba cache files, wherever numba keeps them: in ``__pycache__`` beside its sources, or under
    ``NUMBA_CACHE_DIR`` or the user-wide numba cache (where librosa's folder cannot be written), in the folders
    numba names after librosa's source folders, by the names numba gives a module's kernels. Nothing else: another
    project's kernels in a shared cache folder are not librosa's to remove (a re-audit)."""
    import importlib.util

    from numba.core.caching import _CacheLocator
    from numba.misc.appdirs import AppDirs

    spec = importlib.util.find_spec("librosa")
    if spec is None or not spec.origin:
        return []
    package = Path(spec.origin).parent
    files = {p for p in package.rglob("*") if p.suffix in CACHE_SUFFIXES}
    roots = [Path(os.environ["NUMBA_CACHE_DIR"])] if os.environ.get("NUMBA_CACHE_DIR") else []
    roots.append(Path(AppDirs(appname="numba", appauthor=False).user_cache_dir))
    for source in package.rglob("*.py"):
        sub = _CacheLocator.get_suitable_cache_subpath(str(source))
        for root in roots:
            if (root / sub).is_dir():
                files |= {p for p in (root / sub).iterdir() if p.suffix in CACHE_SUFFIXES
                          and p.name.startswith((f"{source.stem}.", f"guf-{source.stem}."))}
    return sorted(files)


def clear(files) -> int:
    """Remove the given cache files; returns how many were there."""
    removed = 0
    for path in files:
        if Path(path).is_file():
            Path(path).unlink(missing_ok=True)
            removed += 1
    return removed


def _broken(code: int, err: str) -> str:
    """Why a warm-up's end says the cache is broken ("" when it does not)."""
    if code < 0 and -code in CRASH_SIGNALS:
        return f"the warm-up died by {signal.Signals(-code).name}"
    if code > 0 and CACHE_TRACE in err.replace("\\", "/"):
        return "numba could not read its cache"
    return ""


def ensure(command=None, files=cache_files, log=print) -> int:
    """Warm in a child process. When it crashes (`CRASH_SIGNALS`) or numba cannot read its cache, remove librosa's
    cache files (``files()``) and warm once more. Returns the exit status to give (0: warmed). A warm-up stopped
    by another signal (the OOM killer's SIGKILL, a SIGTERM) leaves the cache as it is."""
    command = command or [sys.executable, "-c", "from studio.warm import warm_up; warm_up()"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                                      os.environ.get("PYTHONPATH")]))}

    def run() -> tuple[int, str]:
        done = subprocess.run(command, env=env, stderr=subprocess.PIPE, text=True, errors="replace")
        return done.returncode, done.stderr

    code, err = run()
    why = _broken(code, err)
    if why:
        n = clear(files())
        log(f"studio.warm: the numba cache was broken ({why}); removed {n} of librosa's cache files and compiling "
            "again", file=sys.stderr)
        code, err = run()
        if _broken(code, err):
            log(f"studio.warm: {_broken(code, err)} again, with a fresh cache", file=sys.stderr)
    if code == 0:
        return 0
    if err.strip():
        log(err.rstrip(), file=sys.stderr)
    if code < 0:
        log(f"studio.warm: the warm-up was stopped by {signal.Signals(-code).name}", file=sys.stderr)
        return 128 - code
    return code


def _warm_here(command=None, files=cache_files) -> tuple[str, int, str]:
    """(this node's Ray id, `ensure`'s exit status, what it said): run as one Ray task per node."""
    import ray

    said: list[str] = []
    code = ensure(command, files, log=lambda *a, **k: said.append(" ".join(map(str, a))))
    return ray.get_runtime_context().get_node_id(), code, "\n".join(said)


def on_every_node(command=None, files=cache_files) -> list[tuple[str, int, str]]:
    """Warm (`ensure`: repairing a broken cache) once on every node of the Ray cluster this process has joined,
    one task pinned to each, and wait for all. Returns (node id, exit status, what it said) per node.

    Why: the parent's warm-up compiles only its own environment's cache. A node's workers that meet a cold cache
    compile the kernels side by side, as `emostudio dataset --workers N` would without its warm-up, and a node
    whose cache that breaks crashes every task sent to it from then on. Nodes that join later are not warmed."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    task = ray.remote(num_cpus=0, max_retries=0)(_warm_here)
    refs = {node["NodeID"]: task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False))
            .remote(command, files) for node in ray.nodes() if node.get("Alive")}
    done = []
    for node, ref in refs.items():
        try:
            done.append(ray.get(ref))
        except ray.exceptions.RayError as exc:  # the task itself failed there (the studio not installed, the node
            done.append((node, 1, str(exc).strip().splitlines()[-1]))  # lost): its last line, not Ray's traceback
    return done


def main() -> int:
    try:
        return ensure()
    except KeyboardInterrupt:  # (the child is killed by subprocess.run): one line, not two tracebacks (a re-audit)
        print("\nstudio.warm: interrupted; run it again to compile the rest", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
