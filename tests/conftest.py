"""Shared fixtures. The labelled corpora live in ../shared/data beside the checkout (never in the repo);
tests that need them skip with a reason where they are absent. EMOSTUDIO_DATA overrides the location."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"labelled data not found at {path} (set EMOSTUDIO_DATA or place ../shared/data beside the checkout)")
    return path


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
