"""Errors the command line reports as one line (exit 2), and its Ctrl-C: kept apart from `studio.cli` so that
modules it calls raise the same class, and see the same Ctrl-C, whether the CLI runs as ``emostudio`` or
``python -m studio.cli``."""
from __future__ import annotations

import contextlib
import sys
from contextvars import ContextVar

from conditioning.errors import EmotionStudioError

EXIT_USER = 2  #: a user error: one line on stderr
EXIT_UNAVAILABLE = 1  #: a backend or extra that is not installed


class UserError(EmotionStudioError):
    """Raised by sub-commands for bad arguments; printed as one line, exit 2."""


_presses: ContextVar[list | None] = ContextVar("ctrl_c_presses", default=None)


class WorkerDied(EmotionStudioError):
    """A job's worker process died under it (killed: the OOM killer, a user): said in one line with how to go on,
    exit 1 (it had been a 20-line traceback of BrokenProcessPool: an audit)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (what `timeout`, CI runners, systemd and `docker stop` send), stopping a job as Ctrl-C does: by
    default Python died at once, and a face video's hidden partial MP4 and temporary folder were left beside the
    output (an audit); as an interrupt, every file being written is removed on the way out."""


def _interrupt(signum: int) -> KeyboardInterrupt:
    import signal

    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


@contextlib.contextmanager
def ctrl_c_noted():
    """Note every Ctrl-C pressed while the block runs, so that `checkpoint` can stop a long job after it.

    Why: Python raises Ctrl-C's KeyboardInterrupt wherever the main thread happens to be; when that is a finaliser
    (a ``__del__`` or a weakref callback, which the garbage collector may run at any moment), Python prints
    "Exception ignored" and goes on, and a job ran to its end and exited 0 as if never stopped. The handler here
    still raises at once, and also notes the press. Off the main thread (the web studio's jobs), or where Ctrl-C
    is ignored (a job started in the background) or already handled (an enclosing block), signals are not this
    block's to handle and it installs nothing; `checkpoint` then reads the enclosing block's presses, if any.
    The presses live in a context variable, so another thread's jobs never see them."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # SIGTERM too, unless someone else handles it (and even where Ctrl-C is ignored: a job started in the background)
    ours = [sig for sig, default in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL))
            if signal.getsignal(sig) is default]
    if not ours:
        yield
        return
    pressed: list[int] = []

    def on_ctrl_c(signum, frame):
        pressed.append(signum)
        raise _interrupt(signum)

    unraisable = sys.unraisablehook

    def quiet(info):  # the interrupt raised inside a callback (numba's ctypes one) cannot stop it there: Python
        # printed "Exception ignored ..." and a 7-line traceback before the one-line "terminated" (an audit); the
        # press is noted, and `checkpoint` stops the job after its step
        if not (isinstance(info.exc_value, KeyboardInterrupt) and pressed):
            unraisable(info)

    previous = {sig: signal.signal(sig, on_ctrl_c) for sig in ours}
    sys.unraisablehook = quiet
    token = _presses.set(pressed)
    try:
        yield
    except KeyboardInterrupt as exc:  # a library that re-raises the interrupt as its own plain KeyboardInterrupt
        # (Ray's waits) turned a SIGTERM into "interrupted", exit 130 (a re-audit): the noted signal decides
        if signal.SIGTERM in pressed and not isinstance(exc, Terminated):
            raise Terminated() from None
        raise
    except Exception:  # a library that turns the interrupt into an error of its own: a SIGTERM that landed while
        # onnxruntime was being imported came out as "ImportError: initialization failed" and a traceback after
        # the one-line "terminated" (an audit). Once a stop is noted, the stop is what the user is told
        if pressed:
            raise _interrupt(pressed[-1]) from None
        raise
    finally:
        _presses.reset(token)
        sys.unraisablehook = unraisable
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def ctrl_c_held(after: str = ""):
    """Hold a Ctrl-C pressed while the block runs until the block ends, then raise it: for a step that must not
    stop half done (a finished session's files moved into place: stopped between two renames, a folder held one
    session's first clips beside another's plan). On the main thread only (signals are its alone). ``after``: what
    the block has done, which the raised interrupt carries (``.after``) for the command's last line ("terminated
    after writing the session to DIR": it had said "terminated" alone, where the new session had replaced the
    earlier one: an audit)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # each signal that is not ignored (in a job started in the background Ctrl-C is, and SIGTERM was then not held
    # either: a re-audit)
    held = [sig for sig in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(sig) not in (signal.SIG_IGN, None)]
    pressed: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: pressed.append(signum)) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if pressed:
        noted = _presses.get()
        if noted is not None:
            noted.append(pressed[0])
        exc = _interrupt(pressed[0])
        exc.after = after
        raise exc


def checkpoint() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed inside the enclosing `ctrl_c_noted` block (a press Python
    swallowed); a no-op outside one, and off the main thread (a thread that inherited the block's context, e.g. a
    web server's worker, is not the job Ctrl-C stops). Long jobs call it at the end of each step (a loop round in
    `Studio.run_loop`, a session round, a dataset item, a critiqued file), so a swallowed Ctrl-C stops them there,
    before they write their files, instead of at the end, exit 0."""
    import threading

    if _presses.get() and threading.current_thread() is threading.main_thread():
        raise _interrupt(_presses.get()[0])
