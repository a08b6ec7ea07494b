"""``emostudio session --visuals``: one procedural picture per clip from the clip's planned emotion, all with the
session's seed (one composition), 768x432, the emotion and provenance as PNG text, named in the JSON."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pretty_midi")
pytest.importorskip("cv2")

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["session", "--from", "sadness", "--to", "joy", "--minutes", "1", "--clip", "20"]

pytestmark = pytest.mark.usefixtures("synth")


def _run(out: Path) -> dict:
    """The real command in a fresh process (the music judges included where they run here). With ``CI`` set, as
    on the project's CI, where pyfluidsynth prints a line to stdout on import: stdout must still be one JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"}
    proc = subprocess.run([sys.executable, "-m", "studio.cli", *ARGS, "--out", str(out), "--visuals", "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def cli_run(synth, tmp_path_factory):
    out = tmp_path_factory.mktemp("session")
    return out, _run(out)


def _pixels(path) -> np.ndarray:
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _value(path) -> float:
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        return float(np.asarray(im.convert("HSV"))[..., 2].mean())


@pytest.mark.slow
def test_one_picture_per_clip_with_metadata(cli_run):
    from PIL import Image as PILImage

    out, doc = cli_run
    pngs = sorted((out / "visuals").glob("*.png"))
    assert [p.name for p in pngs] == ["clip_000.png", "clip_001.png", "clip_002.png"]
    assert [Path(c["visual"]) for c in doc["clips"]] == pngs
    plan = json.loads((out / "plan.json").read_text())
    # plan.json names them from the session's folder (it named the maker's full path: a moved folder lost them)
    assert [c["visual"] for c in plan["clips"]] == [f"visuals/{p.name}" for p in pngs]
    assert doc["summary"]["visuals"]["style"] == "horizon"
    for clip, png in zip(doc["clips"], pngs):
        with PILImage.open(png) as im:
            assert im.size == (768, 432)
            meta = dict(im.text)
        emotion = json.loads(meta["emotion"])
        assert emotion["valence"] == pytest.approx(clip["target"]["valence"], abs=1e-3)
        prov = json.loads(meta["provenance"])
        assert prov["backend"] == "image/procedural" and prov["seed"] == 0
        assert json.loads(meta["session"])["clip"] == clip["index"]
    # sadness -> joy: the last picture is brighter than the first
    assert _value(pngs[-1]) > _value(pngs[0]) + 30


@pytest.mark.slow
def test_same_command_same_pixels(cli_run, tmp_path):
    out, doc = cli_run
    again = _run(tmp_path)
    assert len(again["clips"]) == len(doc["clips"]) == 3
    for first, second in zip(doc["clips"], again["clips"]):
        assert Path(second["visual"]).parent == tmp_path / "visuals"
        assert np.array_equal(_pixels(first["visual"]), _pixels(second["visual"]))


def test_style_and_no_visuals(tmp_path, monkeypatch, capsys):
    """--visual-style picks the style; without --visuals nothing is drawn and the JSON is as before;
    --visual-style alone is a user error."""
    from studio.cli import main
    from studio.studio import Studio

    monkeypatch.setattr(Studio, "judges", lambda self, *a, **k: [])
    short = ["session", "--from", "calm", "--to", "joy", "--minutes", "0.25", "--clip", "5"]
    assert main([*short, "--out", str(tmp_path / "a"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert not (tmp_path / "a" / "visuals").exists()
    assert all("visual" not in c for c in doc["clips"]) and "visuals" not in doc["summary"]
    assert main([*short, "--out", str(tmp_path / "b"), "--visuals", "--visual-style", "pattern", "--clip-files",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    report = json.loads((tmp_path / "b" / "clips" / "clip_001.wav.json").read_text())
    assert report["visual"] == "../visuals/clip_001.png"  # from the clip's own folder, as its "file" is
    assert len(list((tmp_path / "b" / "visuals").glob("clip_*.png"))) == len(doc["clips"]) == 3
    from PIL import Image as PILImage

    with PILImage.open(doc["clips"][0]["visual"]) as im:
        assert json.loads(im.text["provenance"])["model"] == "procedural (pattern)"
    code = main([*short, "--out", str(tmp_path / "c"), "--visual-style", "field"])
    err = capsys.readouterr().err
    assert code == 2 and "--visuals" in err and not (tmp_path / "c").exists()


def test_a_shorter_session_into_the_same_folder_leaves_no_pictures_of_the_longer(tmp_path):
    from conditioning import plan_iso
    from studio.session import ClipReport, write_visuals

    def clips(n):
        plan = plan_iso("sadness", "joy", n * 10 / 60, 10)
        return plan, [ClipReport(c.index, c.start_s, c.end_s, c.emotion) for c in plan.clips]

    write_visuals(*clips(5), tmp_path, size=(256, 256))
    write_visuals(*clips(2), tmp_path, size=(256, 256))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip_000.png", "clip_001.png"]


def test_a_session_without_visuals_or_clip_files_drops_an_earlier_sessions(tmp_path):
    """Re-running a session into the same folder without --visuals / --clip-files left the earlier session's
    pictures and clip reports (another path's: 'from: joy, to: sadness') beside the new session.wav."""
    from studio.session import build_session

    build_session("joy", "sadness", tmp_path, minutes=0.5, clip_s=15, visuals=True, clip_files=True, measure=False,
                  visual_size=(256, 256))
    assert len(list((tmp_path / "visuals").glob("clip_*.png"))) == 2 and (tmp_path / "clips" / "clip_000.wav.json").exists()
    (tmp_path / "clips" / "notes.txt").write_text("mine")  # not the studio's: kept
    build_session("calm", "joy", tmp_path, minutes=0.5, clip_s=15, measure=False)
    assert not (tmp_path / "visuals").exists()
    assert [p.name for p in (tmp_path / "clips").iterdir()] == ["notes.txt"]


def test_the_session_plot_leaves_the_callers_matplotlib_backend_alone(tmp_path):
    """`plot_session` (reached from `build_session`) called matplotlib.use("Agg") on every session: a notebook's
    inline backend, or an application's own, was replaced for the whole process."""
    import matplotlib
    from PIL import Image as PILImage

    from conditioning import plan_iso
    from studio.session import ClipReport, plot_session

    plan = plan_iso("sadness", "joy", 40 / 60, 10)
    before = matplotlib.get_backend()
    try:
        matplotlib.use("svg")
        out = plot_session(plan, [ClipReport(c.index, c.start_s, c.end_s, c.emotion) for c in plan.clips],
                           tmp_path / "path.png")
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    with PILImage.open(out) as im:
        assert im.format == "PNG" and im.size[0] > 300


def test_the_session_plots_end_labels_cover_neither_the_path_nor_the_readings():
    """An audit found "target: joy" on the last clips' readings and "start: sadness" on the planned path: each label
    takes the place around its point whose box covers the fewest marks, inside the plane."""
    from studio.session import _label_place

    path = [(-0.8 + 0.35 * k, -0.2 + 0.14 * k) for k in range(6)]  # sadness -> joy, as a session plans it
    readings = [(-0.38, -0.26), (-0.45, -0.12), (0.05, -0.04), (0.55, 0.14), (0.4, 0.38), (0.37, 0.39)]
    marks = path + readings + [(a + (c - a) * t / 8, b + (d - b) * t / 8)
                               for (a, b), (c, d) in zip(path, path[1:]) for t in range(9)]
    for text, (x, y) in (("start: sadness", path[0]), ("target: joy", path[-1])):
        place = _label_place(text, x, y, marks)
        x0, y0 = place["xytext"]
        w, h = 0.038 * len(text), 0.075
        assert -1.05 <= x0 and x0 + w <= 1.05 and -1.05 <= y0 and y0 + h <= 1.05, text
        assert not [m for m in marks if x0 <= m[0] <= x0 + w and y0 <= m[1] <= y0 + h], text
        assert abs(x0 - x) < 0.7 and abs(y0 - y) < 0.25, text  # beside its point


def test_a_session_that_stays_in_one_place_has_one_end_label():
    """From calm to calm, "start: calm" lay hidden under "target: calm" (an audit)."""
    from studio.session import end_labels

    assert end_labels("calm", "calm", (0.4, -0.5), (0.4, -0.5)) == [("start and target: calm", -1)]
    assert end_labels("anxiety", "fear", (-0.6, 0.6), (-0.62, 0.6)) == [("start: anxiety, target: fear", -1)]
    assert end_labels("sadness", "joy", (-0.8, -0.2), (0.8, 0.5)) == [("start: sadness", 0), ("target: joy", -1)]
