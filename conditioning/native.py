"""Silencing native libraries that log straight to the process's stderr.

Why: MediaPipe's C++ graph and its TFLite runtime write "Created TensorFlow Lite XNNPACK delegate",
"inference_feedback_manager" and "landmark_projection_calculator" lines to file descriptor 2 whatever
``GLOG_minloglevel`` or ``TF_CPP_MIN_LOG_LEVEL`` say (checked with mediapipe 0.10.21), FFmpeg its complaints about
a damaged video, libmpg123 its notes about an MP3's header, so every command that touched them left noise on the
terminal. Redirecting the descriptor around the native calls is the only switch that works. It lives in
`conditioning` because the face generator and the face critics both need it and may not import each other.

The redirect is process-wide for its duration, so it does not throw away what it catches: the block's output goes
to a temporary file, and afterwards every line that is not one of these libraries' own (`NATIVE_NOISE`) is written
to the real stderr. Another thread's log lines written meanwhile (a web server's) arrive late rather than never;
to /dev/null, 92 % of a logging thread's lines were lost while a face video was read. A lock serialises the
redirects, and Python's own ``sys.stderr`` is flushed before and after so no message of ours is reordered.

The same libraries' Python warnings about themselves (`LIBRARY_WARNINGS`) are filtered once, by their messages,
when this module is imported. They had been silenced by ``warnings.catch_warnings()`` around each read, which
swaps the process's one filter list and is not thread-safe: four threads reading pictures left Pillow's filter in
the list for good, and one reading an M4A beside them could leave "ignore every warning" behind.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
import warnings
from contextlib import contextmanager
from typing import Iterator

_LOCK = threading.RLock()

#: Python warnings the studio's media libraries give about themselves, not about the user's file or request:
#: Pillow's above 89 megapixels (the studio reads to twice that and refuses past it in its own words), librosa's
#: when it hands a format libsndfile lacks (M4A, AAC) to audioread, and that fallback's deprecation, pyworld's
#: import of pkg_resources, and audioread's import of modules Python 3.13 drops. (message regex, category)
LIBRARY_WARNINGS = (
    (r"Image size \(\d+ pixels\) exceeds limit", Warning),
    (r"PySoundFile failed", Warning),
    (r"librosa\.core\.audio\.__audioread_load", FutureWarning),
    (r"pkg_resources is deprecated", UserWarning),
    (r"'(aifc|audioop|sunau)' is deprecated", DeprecationWarning),
)


def filter_library_warnings() -> None:
    """Put `LIBRARY_WARNINGS`' filters in the process's warning filters, once each (at import; again after a
    caller's ``warnings.resetwarnings()``): a filter only ever added, never swapped in and out per call."""
    for message, category in LIBRARY_WARNINGS:
        if not any(f[0] == "ignore" and f[1] is not None and f[1].pattern == message for f in warnings.filters):
            warnings.filterwarnings("ignore", message=message, category=category)


filter_library_warnings()

#: A line the native libraries write on their own: glog's ("W0000 00:00:1796.. 226 file.cc:114] ..."), absl's and
#: TFLite's start-up lines, FFmpeg's ("[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d...] moov atom not found"), libmpg123's
NATIVE_NOISE = re.compile(
    rb"^(?:[IWEF]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog\(\)"
    rb"|INFO: (?:Created TensorFlow Lite|Initialized TensorFlow Lite)"
    rb"|\[[^\]\n]* @ 0x[0-9a-f]+\]"
    rb"|(?:Note|Warning|Error): .*(?:MPEG|Xing|mpg123|frame|stream|resync)"
    rb"|\[src/libmpg123/)")


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Inside the block, file descriptor 2 goes to a temporary file; afterwards its lines that are not native
    libraries' noise (`NATIVE_NOISE`), another thread's among them, are written to the real stderr."""
    with _LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no real descriptor (e.g. captured in a notebook)
            yield
            return
        try:
            caught = tempfile.TemporaryFile()
        except OSError:  # no room for a temporary file: keep the terminal as it is
            os.close(saved)
            yield
            return
        try:
            os.dup2(caught.fileno(), 2)
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            _pass_on(caught)


def _pass_on(caught) -> None:
    """Write the caught lines that are not native noise to stderr, and close the file."""
    try:
        caught.seek(0)
        kept = b"".join(line for line in caught if not NATIVE_NOISE.match(line))
        view = memoryview(kept)
        while view:
            view = view[os.write(2, view):]
    except OSError:
        pass
    finally:
        caught.close()
