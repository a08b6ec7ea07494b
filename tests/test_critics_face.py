"""Face critics: the FER2013 classifier and the geometric (action-unit) judge.

Real faces come from `skimage.data.astronaut()` (a public-domain NASA portrait of Eileen Collins, smiling);
expressions are changed by a smooth mesh warp (a Gaussian displacement field) that moves the lip corners.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe")
skimage_data = pytest.importorskip("skimage.data")

from conditioning.media import Image, Video  # noqa: E402
from critics.base import CriticError  # noqa: E402
from critics.face import FER_CLASSES  # noqa: E402
from critics.face.classifier import WEIGHTS_DIR, FaceExpressionCritic  # noqa: E402
from critics.face.geometric import GeometricFaceCritic, measure  # noqa: E402

HAVE_WEIGHTS = (WEIGHTS_DIR / "face_fer.onnx").is_file() and (WEIGHTS_DIR / "face_fer.json").is_file()
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason="critics/weights/face_fer.onnx not built "
                                   "(python -m critics.training.face --data ../shared/data --out critics/weights)")


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skimage_data.astronaut()  # (512, 512, 3) uint8


@pytest.fixture(scope="module")
def face_crop(astronaut) -> np.ndarray:
    return astronaut[10:250, 100:340].copy()  # the head with some margin, 240x240


@pytest.fixture(scope="module")
def classifier():
    return FaceExpressionCritic()


@pytest.fixture(scope="module")
def geometric():
    return GeometricFaceCritic()


def _warp_mouth(image: np.ndarray, landmarks: np.ndarray, dy: float, sigma: float) -> np.ndarray:
    """Move the skin around the mesh's lip corners (61, 291) by ``dy`` px (negative = up).

    A smooth mesh warp: a Gaussian displacement field (width ``sigma`` px) centred on each corner, applied
    with `cv2.remap` (a piecewise-affine warp of the mesh does the same but takes ~20 s on one core)."""
    import cv2

    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    disp = np.zeros((h, w), np.float32)
    for i in (61, 291):
        cx, cy = landmarks[i, :2]
        disp += dy * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma ** 2))
    return cv2.remap(image, xx, yy - disp, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


# ------------------------------------------------------------------------------------------------ classifier
@needs_weights
def test_classifier_says_happy_on_astronaut(classifier, astronaut):
    r = classifier.score(Image(astronaut))
    assert set(r.native) == set(FER_CLASSES)
    assert abs(sum(r.native.values()) - 1) < 1e-4
    assert max(r.native, key=r.native.get) == "happy"
    assert r.valence > 0
    assert r.details["faces"] == 1


@needs_weights
def test_no_face_is_a_clear_error(classifier, geometric):
    grey = Image(np.full((256, 256, 3), 128, np.uint8))
    # a 1 px wide strip used to be upscaled to 192x76800 px, where MediaPipe aborts the whole process
    strips = [Image(np.full(shape, 128, np.uint8)) for shape in ((400, 1, 3), (1, 400, 3), (8, 8, 3))]
    for critic in (classifier, geometric):
        for image in (grey, *strips):
            with pytest.raises(CriticError, match="no face found in .*frontal face .*crop closer.*, or mark a tight face crop as already cropped"):
                critic.score(image)


@needs_weights
def test_a_small_face_in_a_large_photo_is_found_down_to_the_size_the_error_names(classifier, astronaut):
    """The no-face error's "about 3 % of the picture" is what the finder reaches: the astronaut pasted into a
    1920x1080 frame (the largest side a video is read at) with her face 3 or 4 % of its width, in the middle or
    near a corner, is found and read as happy (smaller faces are missed or found by chance)."""
    import cv2

    face_share = 92 / 512  # her face's width in the portrait
    for share in (0.03, 0.04):
        side = round(share * 1920 / face_share)
        for y, x in ((400, 700), (100, 150)):
            frame = np.full((1080, 1920, 3), 128, np.uint8)
            frame[y:y + side, x:x + side] = cv2.resize(astronaut, (side, side), interpolation=cv2.INTER_AREA)
            r = classifier.score(Image(frame))
            assert max(r.native, key=r.native.get) == "happy", (share, y, x)


@needs_weights
def test_a_face_the_mesh_does_not_fit_is_noted(classifier, shared_data):
    """OASIS's Angry_face_1 beside white space: the detector's only box is on the sunglasses on his hat, which the
    classifier read as a happy face with no word; such a box is now noted."""
    from PIL import Image as PILImage

    photos = shared_data / "images" / "oasis" / "images"
    photo = np.asarray(PILImage.open(photos / "Angry_face_1.jpg").convert("RGB"))
    padded = np.full((photo.shape[0], 2 * photo.shape[1], 3), 255, np.uint8)
    padded[:, :photo.shape[1]] = photo
    assert "found by the detector alone" in classifier.score(Image(padded)).details["note"]
    assert "note" not in classifier.score(Image(photo)).details


@needs_weights
def test_two_faces_scores_the_largest(classifier, geometric, face_crop):
    import cv2

    small = cv2.resize(face_crop, (120, 120), interpolation=cv2.INTER_AREA)
    canvas = np.full((260, 420, 3), 128, np.uint8)
    canvas[10:250, 0:240] = face_crop
    canvas[70:190, 280:400] = small
    for critic in (classifier, geometric):
        r = critic.score(Image(canvas))
        assert r.details["faces"] == 2
        assert r.details["note"] == "scored the largest of 2 faces"
    box = classifier.score(Image(canvas)).details["box"]
    assert box[2] < 240  # the big face, on the left


@needs_weights
def test_aligned_fer_crops(classifier, shared_data):
    z = np.load(shared_data / "faces" / "fer2013_train.npz")
    images, labels = z["images"], z["labels"]
    happy = images[labels == list(z["classes"]).index("happy")][:20]
    tops = [max((r := classifier.score(img, aligned=True)).native, key=r.native.get) for img in happy]
    assert sum(t == "happy" for t in tops) >= 12
    r = FaceExpressionCritic(aligned=True).score(Image(happy[0]))  # RGB Image of a 48x48 crop works too
    assert r.details["aligned"] is True
    assert "note" not in r.details


@needs_weights
def test_a_whole_photo_given_as_aligned_is_noted(classifier, astronaut, face_crop):
    """--aligned on a whole portrait read the photo as one face without a word; a tight crop stays unnoted."""
    whole = classifier.score(Image(astronaut), aligned=True)
    assert "leave aligned off" in whole.details["note"] and "fills 4%" in whole.details["note"]
    assert "note" not in classifier.score(Image(face_crop), aligned=True).details
    video = classifier.score(Video(np.stack([astronaut, astronaut]), fps=5), aligned=True)
    assert "leave aligned off" in video.details["note"]


@needs_weights
def test_video_series_and_summary(classifier, face_crop):
    frames = np.stack([face_crop, face_crop[:, ::-1], face_crop])
    r = FaceExpressionCritic(every=2).score(Video(frames, fps=10))
    assert [round(s.time_s, 3) for s in r.series] == [0.0, 0.2]
    assert r.details["frames_scored"] == 2
    assert max(r.native, key=r.native.get) == "happy"


# ------------------------------------------------------------------------------------------------- geometric
def test_geometric_lip_corners_follow_a_warped_smile_and_frown(geometric, face_crop):
    lm, _ = geometric.landmarks(face_crop, "test")
    iod = np.hypot(*(lm[[263, 362], :2].mean(0) - lm[[33, 133], :2].mean(0)))
    shift, sigma = 0.15 * iod, 0.2 * iod  # ~6 px and ~8 px here (IOD ~42 px)
    smile_img = _warp_mouth(face_crop, lm, -shift, sigma)
    frown_img = _warp_mouth(face_crop, lm, +shift, sigma)
    base = measure(lm)["corner_raise"]
    smile = measure(geometric.landmarks(smile_img, "smile")[0])["corner_raise"]
    frown = measure(geometric.landmarks(frown_img, "frown")[0])["corner_raise"]
    assert smile > base + 0.04
    assert frown < base - 0.04
    # against the population reference the smile scores more AU12 and happiness than the frown
    r_smile, r_frown = geometric.score(smile_img), geometric.score(frown_img)
    assert r_smile.details["au"]["AU12"] > r_frown.details["au"]["AU12"]
    assert r_smile.native["happy"] > r_frown.native["happy"]
    # against her own face as the reference, the frown is AU15 (lip corner depressor) and the smile AU12
    own = GeometricFaceCritic(neutral=lm)
    au_smile, au_frown = own.score(smile_img).details["au"], own.score(frown_img).details["au"]
    assert au_frown["AU15"] > 0.2 and au_frown["AU12"] == 0.0
    assert au_smile["AU12"] > 0.1 and au_smile["AU15"] == 0.0


def test_geometric_reading_on_astronaut(geometric, astronaut):
    r = geometric.score(Image(astronaut))
    assert set(r.native) == set(FER_CLASSES)
    assert max(r.native, key=r.native.get) == "happy"
    assert r.details["au"]["AU12"] > 0.3
    assert r.details["reference"].startswith("population")


def test_geometric_same_person_reference_is_zero_on_itself(face_crop):
    critic = GeometricFaceCritic(neutral=face_crop)
    r = critic.score(face_crop)
    assert max(r.details["au"].values()) == 0.0
    assert max(r.native, key=r.native.get) == "neutral"
    assert r.details["reference"] == "same person"


def test_geometric_video_and_aligned_refusal(geometric, face_crop):
    r = geometric.score(Video(np.stack([face_crop] * 3), fps=5))
    assert len(r.series) == 3 and r.details["frames_scored"] == 3
    with pytest.raises(CriticError, match="aligned"):
        geometric.score(face_crop, aligned=True)


# -------------------------------------------------------------------------------------------------- training
def test_training_on_a_slice_writes_a_loadable_onnx(shared_data, tmp_path):
    pytest.importorskip("torch")
    import json

    from critics.training.face import main

    meta = main(["--data", str(shared_data), "--out", str(tmp_path), "--limit", "300", "--epochs", "1",
                 "--batch", "64", "--no-bf16"])
    onnx_path = tmp_path / "face_fer.onnx"
    assert onnx_path.stat().st_size < 5e6
    saved = json.loads((tmp_path / "face_fer.json").read_text())
    assert saved["classes"] == list(FER_CLASSES) and saved["split"]["validation_n"] == meta["split"]["validation_n"]
    critic = FaceExpressionCritic(weights=str(onnx_path), aligned=True)
    p = critic.predict_crops(np.zeros((3, 48, 48), np.uint8))
    assert p.shape == (3, 7) and np.allclose(p.sum(1), 1, atol=1e-5)

    # an ensemble graph returns the mean of its members' probabilities: the member with itself is the member
    import onnx

    from critics.training.face import ensemble_graph

    ens = tmp_path / "ensemble" / "face_fer.onnx"
    ens.parent.mkdir()
    onnx.save(ensemble_graph([onnx_path, onnx_path]), str(ens))
    ens.with_suffix(".json").write_text(json.dumps(saved))
    crops = np.random.default_rng(0).integers(0, 256, (4, 48, 48), dtype=np.uint8)
    # the member's flip-averaged and single-view readings differ, so matching both below says something
    gap = np.abs(critic.predict_crops(crops) - critic.predict_crops(crops, flip_tta=False)).max()
    assert gap > 1e-5
    both = FaceExpressionCritic(weights=str(ens), aligned=True)
    for flip in (True, False):
        off = np.abs(both.predict_crops(crops, flip_tta=flip) - critic.predict_crops(crops, flip_tta=flip)).max()
        assert off < 1e-6 and off < gap / 10


def test_a_phone_photo_is_read_upright(geometric, astronaut, tmp_path):
    """A JPEG stored sideways with EXIF Orientation 6 (a phone held upright) is measured as the upright face:
    read as stored, the geometric judge measured a tilted mesh (valence +0.20 upright, -0.09 sideways)."""
    from PIL import Image as PILImage

    upright, phone = tmp_path / "upright.jpg", tmp_path / "phone.jpg"
    PILImage.fromarray(astronaut).save(upright, quality=92)
    exif = PILImage.Exif()
    exif[0x0112] = 6
    PILImage.fromarray(np.ascontiguousarray(np.rot90(astronaut))).save(phone, quality=92, exif=exif)
    a, b = geometric.score(str(upright)), geometric.score(str(phone))
    assert abs(a.valence - b.valence) < 0.03 and abs(a.arousal - b.arousal) < 0.03
    assert max(a.native, key=a.native.get) == max(b.native, key=b.native.get) == "happy"


def test_face_reading_keeps_other_threads_stderr_and_hides_mediapipes_own_lines(tmp_path):
    """MediaPipe's start-up lines are hidden by redirecting the process's stderr, which also took every other
    thread's output while a face was read (a web app's log: 236 of 3,000 lines arrived while `face/geometric`
    read a picture). Now the redirect covers only a graph's start-up, and what it catches that is not native noise
    is written out afterwards: every line of a logging thread arrives, and no MediaPipe or FFmpeg line does."""
    import subprocess
    import sys

    script = tmp_path / "log_while_reading.py"
    script.write_text(
        "import os, sys, threading, time\n"
        "import numpy as np\n"
        "from skimage import data\n"
        "from conditioning.faces import FaceFinder\n"
        "from conditioning.native import quiet_stderr\n"
        "done = threading.Event()\n"
        "def log():\n"
        "    i = 0\n"
        "    while not done.is_set():\n"
        "        sys.stderr.write(f'app-line {i}\\n'); sys.stderr.flush(); i += 1; time.sleep(0.0002)\n"
        "    sys.stderr.write(f'app-total {i}\\n')\n"
        "t = threading.Thread(target=log); t.start()\n"
        "faces = FaceFinder()\n"
        "for _ in range(3):\n"
        "    assert faces.find(data.astronaut())\n"
        "assert not FaceFinder().find(np.full((300, 300, 3), 128, np.uint8))  # no face: the detector starts up\n"
        "with quiet_stderr():\n"
        "    os.write(2, b'[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d1c0] moov atom not found\\n')\n"
        "    os.write(2, b'a line of ours\\n')\n"
        "done.set(); t.join()\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                       cwd=Path(__file__).resolve().parents[1],
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert r.returncode == 0, r.stderr[-2000:]
    total = int(r.stderr.split("app-total ")[1].split()[0])
    seen = {int(line.split()[1]) for line in r.stderr.splitlines() if line.startswith("app-line ")}
    assert total > 100 and seen == set(range(total)), f"{total - len(seen)} of {total} lines lost"
    assert "a line of ours" in r.stderr
    for noise in ("XNNPACK", "W0000", "inference_feedback", "absl::InitializeLog", "moov atom"):
        assert noise not in r.stderr, noise
