"""Silencing native libraries that log straight to the process's stderr.

Why: MediaPipe's C++ graph and its TFLite runtime write "Created TensorFlow Lite XNNPACK delegate",
"inference_feedback_manager" and "landmark_projection_calculator" lines to file descriptor 2 whatever
``GLOG_minloglevel`` or ``TF_CPP_MIN_LOG_LEVEL`` say (checked with mediapipe 0.10.21), so every command that
touched a face mesh left noise on the terminal. Redirecting the descriptor around the native calls is the only
switch that works. It lives in `conditioning` because the face generator and the face critics both need it and
may not import each other.

The redirect is process-wide for its duration (a few milliseconds per mesh call): a lock serialises it, and
Python's own ``sys.stderr`` is flushed before and after so no message of ours is lost or reordered.
"""
from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

_LOCK = threading.RLock()


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null inside the block (native log lines), then restore it."""
    with _LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no real descriptor (e.g. captured in a notebook)
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
