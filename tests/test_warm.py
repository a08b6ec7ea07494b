"""`studio.warm`: librosa's numba kernels compiled once, and a broken cache repaired rather than crashing every run."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from studio import warm

ROOT = Path(__file__).resolve().parents[1]


def _crash_once(marker: Path) -> list[str]:
    """A warm-up command that dies by SIGSEGV while ``marker`` exists (removing it), as a broken cache makes it."""
    return [sys.executable, "-c", f"import os, pathlib, signal; p = pathlib.Path({str(marker)!r})\n"
            "if p.exists(): p.unlink(); os.kill(os.getpid(), signal.SIGSEGV)"]


def _cache(root: Path) -> list[Path]:
    (root / "util" / "__pycache__").mkdir(parents=True)
    files = [root / "util" / "__pycache__" / "utils._localmin-1052.py311.nbi",
             root / "util" / "__pycache__" / "utils._localmin-1052.py311.1.nbc"]
    for f in files:
        f.write_bytes(b"\0")
    (root / "util" / "utils.py").write_text("# a source file: never touched\n")
    return files


def test_a_warm_up_that_dies_by_a_signal_clears_the_numba_cache_and_warms_again(tmp_path):
    files = _cache(tmp_path / "librosa")
    marker = tmp_path / "broken"
    marker.touch()
    said = []
    code = warm.ensure(_crash_once(marker), roots=[tmp_path / "librosa"], log=lambda *a, **k: said.append(a[0]))
    assert code == 0
    assert not any(f.exists() for f in files)
    assert (tmp_path / "librosa" / "util" / "utils.py").exists()
    assert len(said) == 1 and "broken" in said[0] and "removed 2 cache files" in said[0]


def test_a_warm_up_that_dies_again_with_a_fresh_cache_fails(tmp_path):
    _cache(tmp_path / "librosa")
    always = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    said = []
    assert warm.ensure(always, roots=[tmp_path / "librosa"], log=lambda *a, **k: said.append(a[0])) == 1
    assert "again" in said[-1]


def test_a_warm_up_that_fails_without_a_signal_is_not_taken_for_a_broken_cache(tmp_path):
    files = _cache(tmp_path / "librosa")
    said = []
    assert warm.ensure([sys.executable, "-c", "raise SystemExit(3)"], roots=[tmp_path / "librosa"],
                       log=lambda *a, **k: said.append(a[0])) == 3
    assert all(f.exists() for f in files) and not said


def test_once_warmed_the_products_kernels_are_read_from_the_cache_not_compiled_again():
    """The point of warming: after it, running the product's numba paths writes no cache file (so processes side
    by side only read). Runs the warm-up twice in fresh processes and compares the cache files."""
    def snapshot():
        return {p: p.stat().st_mtime_ns for root in warm.cache_roots() for p in root.rglob("*")
                if p.suffix in warm.CACHE_SUFFIXES}

    run = [sys.executable, "-c", "from studio.warm import warm_up; warm_up()"]
    subprocess.run(run, cwd=ROOT, check=True, timeout=900)
    before = snapshot()
    assert any(p.suffix == ".nbi" and "localmin" in p.name for p in before)  # pYIN's kernel, the slowest to compile
    subprocess.run(run, cwd=ROOT, check=True, timeout=300)
    assert snapshot() == before
