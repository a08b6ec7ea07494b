"""Image critics: the embedded affective-feature regressor and the CLIP zero-shot critic."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conditioning.media import Image
from critics.base import CriticError
from critics.image.embedded import EmbeddedImageCritic
from critics.image.features import extract


def _scene(seed=0):
    """A landscape-like picture: sky gradient, hills, sun disc, some texture."""
    rng = np.random.default_rng(seed)
    h, w = 240, 320
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3))
    img[...] = np.array([0.4, 0.6, 0.9]) * (1 - y[..., None] / h * 0.5)
    hills = h * 0.6 + 20 * np.sin(x / 40.0)
    img[y > hills] = [0.3, 0.55, 0.25]
    img[(x - 240) ** 2 + (y - 60) ** 2 < 30 ** 2] = [1.0, 0.9, 0.5]
    img += rng.normal(0, 0.03, img.shape)
    return np.clip(img, 0, 1)


def _grade(img, brightness, saturation, warmth):
    grey = img.mean(axis=2, keepdims=True)
    out = grey + saturation * (img - grey)
    out = out * brightness
    out[..., 0] *= 1 + warmth
    out[..., 2] *= 1 - warmth
    return Image((np.clip(out, 0, 1) * 255).astype(np.uint8))


def test_features_follow_valdez_mehrabian():
    base = _scene()
    bright, dark = extract(_grade(base, 1.2, 1.5, 0.2).pixels), extract(_grade(base, 0.35, 0.2, -0.1).pixels)
    assert bright["vm_pleasure"] > dark["vm_pleasure"]
    assert bright["warmth"] > dark["warmth"] and bright["colourfulness"] > dark["colourfulness"]


def test_bright_saturated_warm_ranks_above_dark_desaturated_in_valence():
    critic = EmbeddedImageCritic()
    for seed in range(3):
        base = _scene(seed)
        bright = critic.score(_grade(base, 1.2, 1.5, 0.2))
        dark = critic.score(_grade(base, 0.35, 0.2, -0.1))
        assert bright.valence > dark.valence, seed
        assert set(bright.native) == {"amusement", "awe", "contentment", "excitement", "anger", "disgust", "fear",
                                      "sadness"}


@pytest.mark.parametrize("shape", [(8, 8, 3), (1, 1, 3), (1, 400, 3)])
def test_tiny_image_is_a_clear_error_for_both_offline_judges(shape):
    from critics.image.colour import ColourImageCritic

    for critic in (EmbeddedImageCritic(), ColourImageCritic()):
        with pytest.raises(CriticError, match="too small to judge; give at least 16x16"):
            critic.score(Image(np.full(shape, 200, np.uint8)))
    assert 0 < ColourImageCritic().score(Image(np.full((16, 16, 3), 200, np.uint8))).confidence  # the limit is fine


def test_a_strip_is_a_clear_error_not_a_librarys():
    """30000x20 px came down to one pixel high at image/embedded's working size, and its texture measure failed
    with "must be a 2-or-3-or-4-or-5-dimensional array"; a 10:1 panorama is read."""
    from critics.image.colour import ColourImageCritic

    rng = np.random.default_rng(0)
    for critic in (EmbeddedImageCritic(), ColourImageCritic()):
        for shape in ((20, 3000, 3), (5000, 16, 3)):
            with pytest.raises(CriticError, match="is a strip.*up to 64:1: crop it"):
                critic.score(Image(rng.integers(0, 255, shape, dtype=np.uint8)))
        assert critic.score(Image(rng.integers(0, 255, (100, 1000, 3), dtype=np.uint8))).confidence > 0


def test_training_code_on_a_small_slice(shared_data, tmp_path):
    from critics.training import image as train

    train.main(["--data", str(shared_data), "--out", str(tmp_path), "--limit", "40", "--folds", "3", "--seeds", "1"])
    meta = json.loads((tmp_path / "image_embedded.json").read_text())
    assert meta["n_images"] == 40
    assert set(meta["validation"]["best"].values()) <= set(meta["validation"]["models"])
    from critics.image.embedded import ImageCriticConfig

    critic = EmbeddedImageCritic(ImageCriticConfig(tmp_path))
    r = critic.score(_grade(_scene(), 1.0, 1.0, 0.0))
    assert -1 <= r.valence <= 1 and -1 <= r.arousal <= 1
    for t in ("valence_mean", "arousal_mean"):  # squared-error trees shrink: the concordance map stretches
        assert meta["concordance_map"][t]["scale"] > 1
        assert "ccc_calibrated" in meta["validation"]["figures"][t]
    assert meta["mirror_average"] is True and "mirror" in meta["validation"]["protocol"]


def test_a_picture_and_its_mirror_image_read_the_same():
    """image/embedded's GIST quadrants and diagonal orientations and its face detector are not mirror-symmetric: a
    mirrored photo read up to 0.77 apart in valence (the astronaut 0.20, the coffee cup 0.30 in arousal, the cat
    0.20). It now averages a picture's prediction with its mirror image's, whose GIST cells are exchanged exactly
    and whose face cues are read again; its texture statistics are kept, so a little is left (0.003-0.023 here).
    image/colour never depended on the side."""
    from skimage import data

    from critics.image.colour import ColourImageCritic
    from critics.image.features import extract, mirror_gist

    for x in (data.astronaut(), data.coffee(), data.chelsea()):
        mirror = np.ascontiguousarray(x[:, ::-1])
        a, b = EmbeddedImageCritic().score(Image(x)), EmbeddedImageCritic().score(Image(mirror))
        assert abs(a.valence - b.valence) < 0.05 and abs(a.arousal - b.arousal) < 0.05
        a, b = ColourImageCritic().score(Image(x)), ColourImageCritic().score(Image(mirror))
        assert (a.valence, a.arousal) == pytest.approx((b.valence, b.arousal), abs=1e-6)
        own, flipped = extract(x), extract(mirror)  # the exchanged cells are the mirror image's own GIST
        gist = [n for n in own if n.startswith("gist_")]
        assert [mirror_gist(own)[n] for n in gist] == pytest.approx([flipped[n] for n in gist], abs=1e-3)


def test_concordance_map_restores_the_ratings_spread_and_keeps_the_order(shared_data):
    """On the OASIS images themselves the shipped critic's readings spread like the human ratings (the map's
    purpose) and keep the regressor's order; without the map they span a fraction of it."""
    import csv

    from conditioning.media import load_image

    root = shared_data / "images" / "oasis"
    rows = list(csv.DictReader(open(root / "labels.csv", newline="")))[::15]  # 30 images, every theme mix
    critic = EmbeddedImageCritic()
    read = [critic.score(load_image(root / r["path"])) for r in rows]
    raw = np.array([[x.details["regressor_valence"], x.details["regressor_arousal"]] for x in read])
    cal = np.array([[x.details["oasis_valence"], x.details["oasis_arousal"]] for x in read])
    human = np.array([[float(r["valence_mean"]), float(r["arousal_mean"])] for r in rows])
    for j in range(2):
        assert np.corrcoef(raw[:, j], cal[:, j])[0, 1] > 0.999  # a linear map: the order is kept
        assert cal[:, j].std() > 2 * raw[:, j].std()
        assert 0.5 * human[:, j].std() < cal[:, j].std() < 2.5 * human[:, j].std()


def test_cli_scores_a_real_image_and_reports_bad_files(tmp_path):
    from PIL import Image as PILImage

    good = tmp_path / "scene.png"
    PILImage.fromarray(_grade(_scene(), 1.0, 1.0, 0.0).pixels).save(good)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    out = subprocess.run([sys.executable, "-m", "studio.cli", "critique", "--modality", "image", "--json", str(good),
                          str(bad)], capture_output=True, text=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1 and rows[0]["critic"] == "image/embedded" and "error" in rows[1]
    assert "contents are not a picture" in rows[1]["error"]


# ---- CLIP zero-shot with a tiny random model built from configs (no download) ----------------------------


def _tiny_clip(path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    chars = list("abcdefghijklmnopqrstuvwxyz-")
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2}
    for c in chars:
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab))
    (path / "merges.txt").write_text("#version: 0.2\n")
    tok = CLIPTokenizer(str(path / "vocab.json"), str(path / "merges.txt"), pad_token="!")
    proc = CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                                            crop_size={"height": 32, "width": 32}), tokenizer=tok)
    # the end-of-text token is the vocabulary's: CLIP pools each prompt at it, and the config's default (49407, past
    # this vocabulary) gave every prompt the same embedding, so every picture read 1/8 for every label
    cfg = CLIPConfig(text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                                      num_attention_heads=4, max_position_embeddings=64, bos_token_id=0,
                                      eos_token_id=1, pad_token_id=2),
                     vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=37,
                                        num_hidden_layers=2, num_attention_heads=4),
                     projection_dim=16)
    torch.manual_seed(0)
    CLIPModel(cfg).save_pretrained(path)
    proc.save_pretrained(path)
    return path


def test_clip_critic_with_a_tiny_random_model(tmp_path):
    from critics.image.clip import ClipImageCritic

    critic = ClipImageCritic(model=str(_tiny_clip(tmp_path)))
    a = critic.score(_grade(_scene(), 1.2, 1.5, 0.2))
    b = critic.score(_grade(_scene(), 1.2, 1.5, 0.2))
    assert a.native == b.native  # deterministic
    assert sum(a.native.values()) == pytest.approx(1.0) and len(a.native) == 8
    assert a.critic == "image/clip" and -1 <= a.valence <= 1
    # the labels' prompts differ, and so do the readings of two different pictures (random weights: not which way)
    assert max(a.native.values()) - min(a.native.values()) > 1e-3
    dark = critic.score(_grade(_scene(), 0.3, 0.2, 0.0))
    assert max(abs(dark.native[k] - a.native[k]) for k in a.native) > 1e-3


def test_clip_critic_without_weights_says_what_to_give(tmp_path):
    pytest.importorskip("transformers")
    from conditioning.registry import BackendUnavailable
    from critics.image.clip import ClipImageCritic

    from conditioning.registry import NoSuchFolder

    with pytest.raises(BackendUnavailable, match="no CLIP weights") as info:  # a model id not in this machine's cache
        ClipImageCritic(model="someone/clip-model").score(Image(np.zeros((64, 64, 3), np.uint8)))
    # transformers' own text spoke of connecting to huggingface.co, which is never tried
    assert "$EMOSTUDIO_CLIP_MODEL" in str(info.value) and "huggingface.co" not in str(info.value)
    # a folder that is not there is the caller's typo (critique exits 2, as generate does; it was 1)
    with pytest.raises(NoSuchFolder, match="there is no such folder"):
        ClipImageCritic(model=str(tmp_path / "nothing")).score(Image(np.zeros((64, 64, 3), np.uint8)))


def test_clip_critic_names_what_is_wrong_with_a_folder(tmp_path):
    """Another model's folder, a file for a folder and a copy without its tokenizer were tracebacks ("Multiple
    valid text configs", torch.load) or "no CLIP weights" although the weights were there."""
    pytest.importorskip("transformers")
    import shutil

    from conditioning.registry import BackendUnavailable
    from critics.image.clip import ClipImageCritic

    (tmp_path / "clip").mkdir()
    good = _tiny_clip(tmp_path / "clip")
    picture = Image(np.zeros((64, 64, 3), np.uint8))
    other = tmp_path / "musicgen"
    other.mkdir()
    (other / "config.json").write_text('{"model_type": "musicgen"}')
    no_tok = tmp_path / "no-tokenizer"
    shutil.copytree(good, no_tok)
    for name in ("vocab.json", "merges.txt", "tokenizer.json"):
        (no_tok / name).unlink(missing_ok=True)
    torn = tmp_path / "torn"  # a download cut short: transformers' "Error while deserializing header" alone
    shutil.copytree(good, torn)
    (weights,) = torn.glob("*.safetensors")
    weights.write_bytes(weights.read_bytes()[:40])
    for folder, message in ((other, "holds a musicgen model, not a CLIP"), (good / "config.json", "is a file"),
                            (no_tok, "no tokenizer vocabulary"), (torn, "damaged or cut off: download the snapshot")):
        with pytest.raises(BackendUnavailable, match=message):
            ClipImageCritic(model=str(folder)).score(picture)


def test_critique_reads_with_a_neural_critics_local_weights(tmp_path, capsys):
    """`critique --model PATH` gives a neural critic its weights (before, only an environment variable could)."""
    import json

    from conditioning.media import save_image
    from studio.cli import main

    picture = save_image(tmp_path / "scene.png", _grade(_scene(), 1.2, 1.5, 0.2))
    (tmp_path / "clip").mkdir()
    code = main(["critique", "--modality", "image", "--critic", "clip", "--model", str(_tiny_clip(tmp_path / "clip")),
                 "--json", str(picture)])
    out, err = capsys.readouterr()
    assert code == 0, err
    row = json.loads(out)
    assert row["critic"] == "image/clip" and row["details"]["model"] == str(tmp_path / "clip")
    # several critics: the folder is the neural one's (it had been given to each, and the embedded one refused it)
    assert main(["critique", "--modality", "image", "--critic", "embedded,clip", "--model", str(tmp_path / "clip"),
                 "--json", str(picture)]) == 0
    assert [json.loads(line)["critic"] for line in capsys.readouterr().out.splitlines()] == ["image/embedded",
                                                                                             "image/clip"]
    assert main(["critique", "--modality", "image", "--model", "x", str(picture)]) == 2
    assert "name it with --critic" in capsys.readouterr().err
    assert main(["critique", "--modality", "image", "--critic", "colour", "--model", "x", str(picture)]) == 2
    assert "image/colour reads its shipped weights" in capsys.readouterr().err


def test_a_python_caller_gives_a_neural_judge_its_weights(tmp_path):
    """`Studio(critic_models=...)` gives the loop's judges, `critic` and `critique` a neural critic's weights (a
    Python caller had only the environment variable, though the error said "model=DIR in Python": an audit)."""
    from studio import EmotionStudioError, Studio

    folder = _tiny_clip(tmp_path)
    studio = Studio(critic_models={"image/clip": folder})
    take = studio.generate("image", "calm", judges=["embedded", "clip"], options={"size": 256}, seed=1)
    clip = [j for j in take.judgements if j.critic == "image/clip"]
    assert len(clip) == 1 and clip[0].reading.details["model"] == str(folder)
    assert studio.critique("image", take.media, critic="clip").native == clip[0].reading.native
    # a one-off folder for `critique`, and the critics that take none or a key without its modality refused
    assert Studio().critique("image", take.media, critic="clip", model=folder).native == clip[0].reading.native
    with pytest.raises(EmotionStudioError, match="image/colour reads its shipped weights"):
        Studio(critic_models={"image/colour": folder})
    with pytest.raises(EmotionStudioError, match=r"keyed by critic, modality and name \('image/clip'\)"):
        Studio(critic_models={"clip": folder})
