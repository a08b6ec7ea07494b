"""The demo page's image section: a valence-arousal grid of procedural pictures, the three styles for three
emotions, and the image judges' readings (offline and a few seconds on one core)."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from studio.demo_image import demo_image

    out = tmp_path_factory.mktemp("demo")
    return out, demo_image(out, seed=0)


def test_registered_after_face():
    from studio.demo import MODALITY_SECTIONS

    assert MODALITY_SECTIONS["image"] == "studio.demo_image:demo_image"
    names = list(MODALITY_SECTIONS)
    assert names.index("image") == names.index("face") + 1


def test_grid_and_styles_are_written_and_linked(demo):
    from PIL import Image as PILImage

    from studio.demo_image import GRID, STYLE_EMOTIONS, STYLES

    out, fragment = demo
    grid = out / "image" / "grid.png"
    with PILImage.open(grid) as im:
        assert im.format == "PNG" and min(im.size) > 600
    assert 'src="image/grid.png"' in fragment and "abstract" in fragment
    for emo, _ in STYLE_EMOTIONS:
        for style in STYLES:
            path = out / "image" / f"{emo}_{style}.png"
            assert f'src="image/{emo}_{style}.png"' in fragment
            with PILImage.open(path) as im:
                meta = dict(im.text)
            assert json.loads(meta["emotion"])["mix"] == {emo: 1.0}
            assert json.loads(meta["provenance"])["backend"] == "image/procedural"
            report = json.loads(path.with_name(path.name + ".json").read_text())  # as `generate` writes a take
            assert report["target"]["mix"] == {emo: 1.0} and len(report["sha256"]) == 64
    doc = json.loads((out / "image" / "results.json").read_text())
    assert len(doc["grid"]) == len(GRID) ** 2


def test_embedded_critic_reads_the_grid_valence_in_order(demo):
    """The OASIS-trained judge: its valence readings rise with the asked valence."""
    out, fragment = demo
    doc = json.loads((out / "image" / "results.json").read_text())
    rows = [r for r in doc["grid"] if "image/embedded" in r["readings"]]
    if not rows:
        pytest.skip("image/embedded is not available here")
    target = [r["valence"] for r in rows]
    read = [r["readings"]["image/embedded"]["valence"] for r in rows]
    assert np.corrcoef(target, read)[0, 1] > 0.4  # measured 0.66
    stats = doc["grid_agreement"]["image/embedded"]
    assert stats["r_valence"] > 0.4 and "CCC valence" in fragment
    if "image/colour" in doc["grid_agreement"]:  # the colour judge shares the generator's equations: near 1
        assert doc["grid_agreement"]["image/colour"]["ccc_valence"] > 0.8


def test_agreement_table_names_each_judge_once(demo):
    out, fragment = demo
    assert "image/image/" not in fragment
    for name in json.loads((out / "image" / "results.json").read_text())["grid_agreement"]:
        assert f"<td>{name}</td>" in fragment
