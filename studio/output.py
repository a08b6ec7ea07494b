"""What the studio writes out besides media: where the commands' ``--json`` documents go, and the text every
saved file carries about itself (`file_metadata`).

While a ``--json`` command runs, everything else that prints to stdout (a library's diagnostic line, e.g.
pyfluidsynth's "'fluidsynth' was found at ..." whenever ``$CI`` is set) is sent to stderr, so stdout stays a
stream of parseable JSON documents. A module of its own, so ``python -m studio.cli`` and the sub-command modules
share one context variable (``studio.cli`` run as ``__main__`` is a second copy of that module).
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import os
import sys
from pathlib import Path
from typing import Iterator

_JSON_OUT: contextvars.ContextVar = contextvars.ContextVar("json_out", default=None)


def ordinal(n: int) -> str:
    """2 -> '2nd', 4 -> '4th', 11 -> '11th', 32 -> '32nd' (a thinned video's stride, in words)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def print_json(obj) -> None:
    """One JSON document on one line of the command's real stdout."""
    print(json.dumps(obj, ensure_ascii=False), file=_JSON_OUT.get() or sys.stdout, flush=True)


@contextlib.contextmanager
def json_stdout() -> Iterator[None]:
    """Inside the block `print_json` writes to the current stdout and every other print goes to stderr."""
    token = _JSON_OUT.set(sys.stdout)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _JSON_OUT.reset(token)


def quiet_fluidsynth() -> None:
    """Import pyfluidsynth once with its import-time line dropped. With ``$CI`` set (as CI services set it) the
    binding prints "'fluidsynth' was found at ..." on import, which landed in a command's text output (and, sent
    to stderr, would look like a warning); a no-op otherwise, or when the binding is missing or already imported.
    Called by the command line's `main` and by `Studio`, before anything imports pretty_midi (which imports the
    binding)."""
    if not os.getenv("CI") or "fluidsynth" in sys.modules:
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        try:
            import fluidsynth  # noqa: F401
        except (ImportError, OSError):
            pass


def file_metadata(target, provenance, **extra) -> dict[str, str]:
    """The text a saved file carries (PNG text chunks): the target emotion (`Emotion.to_json`) and the
    provenance (backend, model, licence, seed), plus ``extra`` fields (strings as they are, else JSON)."""
    meta = {"emotion": json.dumps(target.to_json()), "Software": "Emotion Studio",
            "provenance": json.dumps(provenance.to_json())}
    meta.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in extra.items()})
    return meta


def writable_folder(out: str | os.PathLike) -> None:
    """An `OSError` naming ``out`` when it cannot be an output folder (a file is there, or no folder can be made
    or written where it would go), so a bad ``--out`` fails before any work. Creates nothing."""
    import errno
    import tempfile

    if not str(out).strip():  # Path("") is the current folder: a session would write over what is there
        raise FileNotFoundError(errno.ENOENT, "an empty name; give a folder's name ('.' for the current folder)",
                                repr(str(out)))
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "a file is there, not a folder", str(out))
        probe = out
    else:
        probe = next((p for p in out.parents if p.exists()), Path("."))
        if not probe.is_dir():  # (said as `conditioning.media.atomic_path` says it when it meets one while writing)
            raise NotADirectoryError(errno.ENOTDIR, "a file is there, not a folder", str(probe))
    try:  # a real try, not os.access: root "may write" /proc, where mkdir still fails
        os.rmdir(tempfile.mkdtemp(prefix=".emostudio-probe-", dir=probe))
    except OSError as exc:
        why = exc.strerror or "cannot create a folder there"
        if probe != out:  # "cannot write /proc/nope: No such file or directory" read as "make it" (a re-audit)
            why = f"no folder can be made in {probe} ({why})"
        raise PermissionError(exc.errno or errno.EACCES, why, str(out)) from None
