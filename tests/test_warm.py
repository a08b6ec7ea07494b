"""`studio.warm`: librosa's numba kernels compiled once, and a broken cache repaired rather than crashing every run."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

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


def _said():
    said = []
    return said, lambda *a, **k: said.append(a[0])


def test_a_warm_up_that_crashes_clears_librosas_cache_and_warms_again(tmp_path):
    files = _cache(tmp_path / "librosa")
    marker = tmp_path / "broken"
    marker.touch()
    said, log = _said()
    assert warm.ensure(_crash_once(marker), files=lambda: files, log=log) == 0
    assert not any(f.exists() for f in files)
    assert (tmp_path / "librosa" / "util" / "utils.py").exists()
    assert len(said) == 1 and "SIGSEGV" in said[0] and "removed 2 of librosa's cache files" in said[0]


def test_a_cache_numba_cannot_read_is_cleared_too(tmp_path):
    """A truncated cache file is no crash: numba raised "pickle data was truncated" from its caching module, and
    every later speech command failed with a traceback while the repair said nothing (a re-audit)."""
    files = _cache(tmp_path / "librosa")
    marker = tmp_path / "broken"
    marker.touch()
    unreadable = [sys.executable, "-c", f"import pathlib, sys; p = pathlib.Path({str(marker)!r})\n"
                  "if p.exists(): p.unlink(); sys.stderr.write('  File \"/x/numba/core/caching.py\", line 1\\n"
                  "_pickle.UnpicklingError: pickle data was truncated\\n'); sys.exit(1)"]
    said, log = _said()
    assert warm.ensure(unreadable, files=lambda: files, log=log) == 0
    assert not any(f.exists() for f in files) and "could not read its cache" in said[0]


def test_a_warm_up_that_crashes_again_with_a_fresh_cache_fails(tmp_path):
    _cache(tmp_path / "librosa")
    always = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    said, log = _said()
    assert warm.ensure(always, files=lambda: [], log=log) == 128 + signal.SIGSEGV
    assert "again" in said[1]


@pytest.mark.parametrize("how", ["SystemExit(3)", "os.kill(os.getpid(), signal.SIGKILL)"])
def test_a_warm_up_that_fails_otherwise_leaves_the_cache_alone(tmp_path, how):
    """A plain failure, or a warm-up killed from outside (the OOM killer's SIGKILL), says nothing about the
    cache: a healthy cache had been wiped on that false diagnosis (a re-audit)."""
    files = _cache(tmp_path / "librosa")
    said, log = _said()
    code = warm.ensure([sys.executable, "-c", f"import os, signal; raise {how}" if "Exit" in how else
                        f"import os, signal; {how}"], files=lambda: files, log=log)
    assert code == (3 if "Exit" in how else 128 + signal.SIGKILL)
    assert all(f.exists() for f in files) and not any("broken" in line for line in said)


def test_only_librosas_kernels_are_found_in_a_shared_numba_cache(tmp_path, monkeypatch):
    """With ``NUMBA_CACHE_DIR`` set, numba keeps every project's kernels side by side: the repair had removed
    another project's too (a re-audit)."""
    import importlib.util

    from numba.core.caching import _CacheLocator

    pitch = Path(importlib.util.find_spec("librosa").origin).parent / "core" / "pitch.py"
    ours = tmp_path / _CacheLocator.get_suitable_cache_subpath(str(pitch))
    theirs = tmp_path / "myproject_abc123"
    for folder, name in ((ours, "guf-pitch._pi_wrapper-430.py311.1.nbc"), (ours, "pitch._pi_wrapper-430.py311.nbi"),
                         (theirs, "pitch.x-1.py311.nbi")):
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(b"\0")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    found = [p for p in warm.cache_files() if tmp_path in p.parents]
    assert sorted(p.name for p in found) == ["guf-pitch._pi_wrapper-430.py311.1.nbc", "pitch._pi_wrapper-430.py311.nbi"]


def test_once_warmed_the_products_kernels_are_read_from_the_cache_not_compiled_again():
    """The point of warming: after it, running the product's numba paths writes no cache file (so processes side
    by side only read). Runs the warm-up twice in fresh processes and compares the cache files."""
    def snapshot():
        return {p: p.stat().st_mtime_ns for p in warm.cache_files()}

    run = [sys.executable, "-c", "from studio.warm import warm_up; warm_up()"]
    subprocess.run(run, cwd=ROOT, check=True, timeout=900)
    before = snapshot()
    assert any(p.suffix == ".nbi" and "localmin" in p.name for p in before)  # pYIN's kernel, the slowest to compile
    subprocess.run(run, cwd=ROOT, check=True, timeout=300)
    assert snapshot() == before


def test_a_ray_cluster_is_warmed_on_every_node_and_a_nodes_broken_cache_repaired(tmp_path):
    """`emostudio dataset --ray` warmed only its own environment: each node's workers compiled the kernels side by
    side, and a node whose cache broke so crashed every task sent to it. Now each node runs `ensure` once, pinned
    to it, and a warm-up that crashes there (as a broken cache makes it) is repaired there."""
    ray = pytest.importorskip("ray")
    import tempfile

    marker = tmp_path / "broken"
    marker.touch()
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # a short path: Ray's sockets live under it
    try:
        ray.init(num_cpus=1, _temp_dir=ray_tmp, include_dashboard=False, log_to_driver=False)
        nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        done = warm.on_every_node(_crash_once(marker), files=tuple)  # (tuple() lists no cache file to remove)
        marker.touch()  # a task that fails on the node (here its cache listing raises) is its last line, not Ray's
        failed = warm.on_every_node(_crash_once(marker), files=float)  # traceback (float() lists no files: 0.0)
    finally:
        ray.shutdown()
        subprocess.run(["rm", "-rf", ray_tmp])
    assert {node for node, _, _ in done} == nodes and len(done) == len(nodes) == 1
    (_, code, said), = done
    assert code == 0 and not marker.exists()
    assert "the numba cache was broken (the warm-up died by SIGSEGV); removed 0 of librosa's cache files" in said
    assert [(node, code) for node, code, _ in failed] == [(n, 1) for n in nodes]
    assert failed[0][2] == "TypeError: 'float' object is not iterable"


def test_a_dataset_whose_kernels_cannot_be_compiled_stops_before_any_item(tmp_path, monkeypatch):
    """Workers that start on kernels that would not compile crash item after item; the build says so once."""
    from conditioning.registry import BackendUnavailable
    from studio.dataset import build, load_spec

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: tiny-music\nseed: 1\nmodalities:\n  music:\n    count: 2\n    duration_s: 4\n"
                    "emotions:\n  list: [joy, sadness]\nfilter:\n  recognised_by: none\n")
    monkeypatch.setattr(warm, "ensure", lambda *a, **k: 1)
    with pytest.raises(BackendUnavailable, match=r"kernels could not be compiled here \(python -m studio.warm "
                                                 r"exited 1\)"):
        build(load_spec(spec), tmp_path / "out", workers=2, progress=False)
    journal = tmp_path / "out" / "manifest.jsonl"
    assert not (journal.exists() and journal.read_text().strip())  # no item journaled
    assert not [f for f in (tmp_path / "out").rglob("*") if f.suffix in (".wav", ".flac", ".mid")]  # nor made
