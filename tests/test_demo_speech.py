"""The demo page's speech section where the `speech` extra is missing, and Festival without its voice."""
from __future__ import annotations

import shutil

import pytest

from conftest import run_python

pytestmark = pytest.mark.skipif(shutil.which("festival") is None, reason="needs the festival program")

#: a process without the `speech` extra: Piper and Praat cannot be imported
WITHOUT_EXTRA = """
import sys
sys.modules['piper'] = sys.modules['parselmouth'] = None  # (import fails, find_spec gives None: as uninstalled)
"""


@pytest.mark.slow
def test_without_the_speech_extra_festival_speaks_every_row(tmp_path):
    """Without the extra the section said only "Not shown: speech/piper needs ... piper-tts", though Festival, the
    voice a plain install speaks with, was there, and its plot needed Praat."""
    code = WITHOUT_EXTRA + """
import re, sys
from studio.demo_speech import demo_speech
html = demo_speech(sys.argv[1])
rows = re.findall(r"<tr><td>([^<]*)</td>", html)
print(len(rows), rows[0], "Piper" in html)
"""
    r = run_python(code, str(tmp_path))
    assert r.returncode == 0, r.stderr[-2000:]
    n, first, *rest = r.stdout.split("\n")[-2].split(" ", 2)
    assert int(n) == 7 and r.stdout.split("\n")[-2].endswith("False"), r.stdout
    assert "slt (Festival HTS), neutral" in r.stdout
    assert (tmp_path / "speech" / "festival_joy.wav").is_file() and (tmp_path / "speech" / "speech.png").is_file()


def test_festival_without_its_voice_is_unavailable_not_a_failure(tmp_path):
    """Debian's festival without festvox-us-slt-hts prints "SIOD ERROR: unbound variable" and exits 0 with no take:
    the demo stopped at "festival failed (exit 0)"; it is now BackendUnavailable naming the package."""
    from conditioning import Emotion
    from conditioning.registry import BackendUnavailable
    from generators.base import GenerationRequest
    from generators.speech.festival import FestivalSpeech

    fake = tmp_path / "festival"
    fake.write_text("#!/bin/sh\necho 'SIOD ERROR: unbound variable : voice_cmu_us_slt_arctic_hts' >&2\nexit 0\n")
    fake.chmod(0o755)
    with pytest.raises(BackendUnavailable, match="apt-get install festvox-us-slt-hts"):
        FestivalSpeech(binary=str(fake)).generate(GenerationRequest(Emotion.parse("joy"), text="Hello there."))
