"""Silencing native libraries that log straight to the process's stderr.

Why: MediaPipe's C++ graph and its TFLite runtime write "Created TensorFlow Lite XNNPACK delegate",
"inference_feedback_manager" and "landmark_projection_calculator" lines to file descriptor 2 whatever
``GLOG_minloglevel`` or ``TF_CPP_MIN_LOG_LEVEL`` say (checked with mediapipe 0.10.21), FFmpeg its complaints about
a damaged video, libmpg123 its notes about an MP3's header, so every command that touched them left noise on the
terminal. Redirecting the descriptor around the native calls is the only switch that works. It lives in
`conditioning` because the face generator and the face critics both need it and may not import each other.

The redirect is process-wide for its duration, so it does not throw away what it catches: the block's output goes
into a pipe, and a reader thread writes every line that is not one of these libraries' own (`NATIVE_NOISE`) to the
real stderr as it comes. Another thread's log lines written meanwhile (a web server's) arrive; to /dev/null, 92 % of
a logging thread's lines were lost while a face video was read. A pipe, not a temporary file read back afterwards:
a write that another thread had begun into the file just as the block ended could land after the file was read
(or at its start, after the rewind), and was lost (1 line in 1,649 in a CI run; 0.3 % of three threads' lines in a
stress test). A pipe says end-of-file only when no write into it is left, so the reader gets them all; it writes
them on in whole lines, at most ``PIPE_BUF`` bytes at a time, so that no other writer's line lands inside one, and
takes other threads' lines back out of a TFLite line they landed in (`_Untangle`: TFLite writes its lines in three
pieces, and the face test lost a logging thread's line that way in 1 run in 6 on a loaded machine). A lock
serialises the redirects, and Python's own ``sys.stderr`` is flushed before and after so no message of ours is
reordered.

The same libraries' Python warnings about themselves (`LIBRARY_WARNINGS`) are filtered once, by their messages,
when this module is imported. They had been silenced by ``warnings.catch_warnings()`` around each read, which
swaps the process's one filter list and is not thread-safe: four threads reading pictures left Pillow's filter in
the list for good, and one reading an M4A beside them could leave "ignore every warning" behind.
"""
from __future__ import annotations

import os
import re
import select
import sys
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
#: TFLite's own lines, as its minimal logger writes them: in three writes, its severity ("INFO: "), the message and
#: the newline, so another thread's line can land inside one (`_Untangle`)
TFLITE_SEVERITY = re.compile(rb"^(?:VERBOSE|INFO|WARNING|ERROR): ")
TFLITE_MESSAGE = re.compile(rb"Created TensorFlow Lite XNNPACK delegate for CPU\.|Initialized TensorFlow Lite runtime\.")


#: The pipe's room (bytes) asked for, so that a native library writing while it holds the GIL (which the reader
#: needs) is not stopped by a full pipe; Linux grants up to /proc/sys/fs/pipe-max-size (1 MiB by default)
PIPE_ROOM = 1 << 20
#: How long the block's end waits for the reader (s). It ends as soon as the last write into the pipe has
#: arrived, within milliseconds; only a process started while the block was open (by any thread) and still running
#: holds the pipe open past it. That process's lines are passed on when they come, by the reader left running.
READER_WAIT = 1.0


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Inside the block, file descriptor 2 goes into a pipe whose lines that are not native libraries' noise
    (`NATIVE_NOISE`), another thread's among them, a reader thread writes to the real stderr."""
    with _LOCK:
        fds: list[int] = []
        try:
            sys.stderr.flush()
            fds.append(os.dup(2))  # fd 2 to restore
            fds.append(os.dup(fds[0]))  # the reader's way out
            fds.extend(os.pipe())
        except (OSError, ValueError, AttributeError):  # no real descriptor (a notebook's capture), or out of
            for fd in fds:  # descriptors: keep the terminal as it is
                os.close(fd)
            yield
            return
        saved, out, read_end, write_end = fds
        try:
            import fcntl

            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_ROOM)
        except (OSError, AttributeError, ImportError):  # a smaller limit, or not Linux: the default room
            pass
        reader = threading.Thread(target=_pass_on, args=(read_end, out), name="quiet_stderr", daemon=True)
        reader.start()
        try:
            os.dup2(write_end, 2)
            os.close(write_end)  # fd 2 is now the pipe's only way in: restoring it lets the reader reach the end
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            reader.join(READER_WAIT)


def _pass_on(read_end: int, out: int) -> None:
    """Read the pipe to its end, writing each line that is not native noise to ``out``; then close both. It reads
    on when ``out`` fails (a closed terminal), so that no writer waits on a full pipe."""
    pending, failed, untangle = b"", False, _Untangle()
    try:
        while chunk := os.read(read_end, PIPE_ROOM):
            *lines, pending = (pending + chunk).split(b"\n")
            failed = failed or not _write_lines(out, [line + b"\n" for line in untangle(lines)])
        last = [line + b"\n" for line in untangle([pending] if pending else [], end=True)]
        if pending and last and last[-1] == pending + b"\n":  # a last line without its newline stays so
            last[-1] = pending
        if not failed:
            _write_lines(out, last)
    except OSError:
        pass
    finally:
        os.close(read_end)
        os.close(out)


class _Untangle:
    """The lines to pass on, from whole lines read from the pipe, in order: each one that is not native noise
    (`NATIVE_NOISE`), with other threads' lines taken back out of a TFLite line they landed in. TFLite writes a line
    in three pieces (`TFLITE_SEVERITY`, the message, the newline), so a logging thread's line arrived as
    "INFO: app-line 821" followed by "Created TensorFlow Lite XNNPACK delegate for CPU.": the thread's line was lost
    and TFLite's shown (1 run in 6 of `tests/test_critics_face.py`'s under load). A line that starts with a severity
    is held, with up to `HOLD` lines after it, until TFLite's bare message says it was torn; a TFLite message with
    another's line at its end ("...for CPU.app-line 7") gives that line back, and drops the empty line TFLite's
    newline then makes."""

    HOLD = 16

    def __init__(self) -> None:
        self.held: list[bytes] = []  #: a line starting with a TFLite severity, and the lines that came after it
        self.drop_empty = False  #: the next line, if empty, is a torn TFLite line's own newline

    def __call__(self, lines: list[bytes], end: bool = False) -> list[bytes]:
        out: list[bytes] = []
        for line in lines:
            if self.drop_empty:
                self.drop_empty = False
                if not line:
                    continue
            severity = TFLITE_SEVERITY.match(line)
            message = TFLITE_MESSAGE.match(line, severity.end() if severity else 0)
            if message:  # TFLite's own line, whole or its torn message: dropped, and whatever landed in it kept
                if self.held and not severity:  # the held line's severity was this message's
                    first, *rest = self.held
                    out += [first[TFLITE_SEVERITY.match(first).end():], *rest]
                else:
                    out += self.held
                self.held = []
                if tail := line[message.end():]:
                    out.append(tail)
                    self.drop_empty = True
            elif NATIVE_NOISE.match(line):
                continue
            elif severity:
                out += self.held
                self.held = [line]
            elif self.held:
                self.held.append(line)
                if len(self.held) > self.HOLD:
                    out += self.held
                    self.held = []
            else:
                out.append(line)
        if end:
            out += self.held
            self.held = []
        return out


def _write_lines(fd: int, lines: list[bytes]) -> bool:
    """Write ``lines`` to ``fd``, False where it cannot be written. Each write is of whole lines and at most
    ``PIPE_BUF`` bytes, which a pipe keeps whole: when stderr is a pipe, a larger write was torn by another
    thread's line landing inside it ("app-liapp-line 2 726787")."""
    try:
        for piece in _pieces(lines, select.PIPE_BUF):
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view):]
    except OSError:
        return False
    return True


def _pieces(lines: list[bytes], limit: int) -> Iterator[bytes]:
    """Consecutive lines joined into pieces of at most ``limit`` bytes (a longer line alone)."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if batch and size + len(line) > limit:
            yield b"".join(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield b"".join(batch)
