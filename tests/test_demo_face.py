"""The demo page's talking-face section: six spoken videos, a strip of the expressions and a fragment that links
them (the first take of each; Piper, the face mesh and the ffmpeg program needed)."""
from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.slow
def test_demo_face_writes_videos_strip_and_links(tmp_path):
    pytest.importorskip("piper")
    pytest.importorskip("mediapipe")
    if shutil.which("ffmpeg") is None:
        pytest.skip("the ffmpeg program is not installed")
    from PIL import Image as PILImage

    from studio.demo import MODALITY_SECTIONS
    from studio.demo_face import CLIPS, demo_face

    assert MODALITY_SECTIONS["face"] == "studio.demo_face:demo_face"
    fragment = demo_face(tmp_path, loop=0)
    emotions = [emo for emo, _ in CLIPS]
    assert emotions == ["joy", "sadness", "anger", "surprise", "fear", "disgust"]
    for emo in emotions:
        mp4 = tmp_path / "face" / f"{emo}.mp4"
        assert mp4.is_file() and mp4.stat().st_size > 1000, emo
        assert f'src="face/{emo}.mp4"' in fragment
    assert fragment.count("<video controls") == 6
    strip = tmp_path / "face" / "strip.png"
    with PILImage.open(strip) as im:
        assert im.format == "PNG" and im.width > im.height
    assert 'src="face/strip.png"' in fragment
    assert "public domain" in fragment and "phoneme timings" in fragment and "The voice is joe (Piper)" in " ".join(fragment.split())
    # each video has its report, naming files from the demo's folder: `critique FILE` reads it as the loop did
    import json

    report = json.loads((tmp_path / "face" / "joy.mp4.json").read_text())
    assert report["file"] == "face/joy.mp4" and report["neutral_reference"]["backend"] == "face/animator"
    assert str(tmp_path) not in (tmp_path / "face" / "joy.mp4.json").read_text()
