"""Shared fixtures. The labelled corpora live in ../shared/data beside the checkout (never in the repo);
tests that need them skip with a reason where they are absent. EMOSTUDIO_DATA overrides the location."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``code`` run by a fresh Python with the repository on its path, and ``args`` as its argv: for what a test
    must see in a process of its own (imports, warning filters, the C library's rand()), which pytest's holds
    already."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def shared_data_dir() -> Path:
    return Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"labelled data not found at {path} (set EMOSTUDIO_DATA or place ../shared/data beside the checkout)")
    return path


#: a RAVDESS actor's strong anger, clean: driven into clipping by `shout`
ANGRY_TAKE = "speech/ravdess/Actor_01/03-01-05-02-02-02-01.flac"


@pytest.fixture
def shout(shared_data, tmp_path) -> Path:
    """`ANGRY_TAKE` driven 19 dB past its peak into a hard clip (a shout into a phone), as a WAV: about a third of
    its samples at the ceiling, where the speech judges say the recording is clipped."""
    from conditioning.media import Audio, load_audio, save_audio
    from critics.speech.features import driven_into_clipping

    audio = load_audio(shared_data / ANGRY_TAKE)
    return save_audio(tmp_path / "shout.wav", Audio(driven_into_clipping(audio.samples, 20.0), audio.rate))


@pytest.fixture(scope="session")
def synth() -> None:
    """Skip where MIDI cannot be rendered: no General MIDI soundfont, or neither pyfluidsynth nor the
    fluidsynth command (Debian: fluidsynth fluid-soundfont-gm)."""
    import shutil

    from conditioning.render import SoundfontNotFoundError, find_soundfont

    try:
        find_soundfont()
    except SoundfontNotFoundError as exc:
        pytest.skip(f"no soundfont here ({exc})")
    try:
        import fluidsynth  # noqa: F401
    except (ImportError, OSError):
        if shutil.which("fluidsynth") is None:
            pytest.skip("neither pyfluidsynth nor the fluidsynth command is installed (Debian: fluidsynth)")


class PressesCtrlCWhileFinalised:
    """Ctrl-C landing inside a finaliser, where Python prints "Exception ignored" and goes on: create one and drop
    it, and its ``__del__`` swallows the press."""

    def __del__(self):
        import signal

        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10_000):  # the handler runs here, inside __del__
            pass


def sigint_as_in_a_terminal() -> None:
    """A child process's SIGINT as a terminal's job has it (``subprocess.Popen(preexec_fn=...)``). A suite
    started in the background (``make test &``) inherits SIGINT ignored, and so does every process it starts; a
    job then rightly leaves Ctrl-C alone, and the Ctrl-C tests would fail for that reason alone."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def ctrl_c_as_in_a_terminal():
    """The same for this process, for the test's duration (see `sigint_as_in_a_terminal`)."""
    import signal

    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)
