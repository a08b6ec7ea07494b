"""What every diffusers backend shares (`generators.diffusers_common.DiffusersBackend`): its weights come from a
local folder only, and a missing or wrong folder is a message that names the path or the variable to set and
the extra to install. Checked once for each backend; the backends' own tests cover what differs."""
from __future__ import annotations

import pytest

from conditioning.registry import BackendUnavailable, NoSuchFolder
from generators.image.diffusion import DiffusionImage
from generators.speech.diffusion import DiffusionSpeech


@pytest.mark.parametrize("backend", [DiffusionImage, DiffusionSpeech], ids=lambda b: b.KEY)
def test_missing_weights_name_the_path_the_variable_and_the_extra(backend, tmp_path, monkeypatch):
    missing = tmp_path / "none"
    with pytest.raises(NoSuchFolder) as exc:  # a typo is the caller's mistake: the CLI's user-error exit (was 1)
        backend(model=str(missing))
    assert str(missing) in str(exc.value) and "emotion-studio[neural]" in str(exc.value)
    monkeypatch.delenv(backend.MODEL_ENV, raising=False)
    assert backend.can_run() is False
    with pytest.raises(BackendUnavailable, match=backend.MODEL_ENV):
        backend()
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendUnavailable, match="model_index.json"):
        backend(model=str(tmp_path / "empty"))


def test_the_weights_fingerprint_follows_the_bytes_not_the_path(tmp_path):
    """`conditioning.weights.fingerprint`, which a neural take's provenance records beside the folder's path: the
    same files elsewhere give the same fingerprint; a byte changed near a large file's end (where a torch pickle
    keeps its index), a file added or renamed gives another; the hub cache's hidden files do not count."""
    import shutil

    from conditioning.weights import FINGERPRINT_SPAN, fingerprint

    a = tmp_path / "a"
    (a / "unet").mkdir(parents=True)
    (a / "model_index.json").write_text("{}")
    big = bytearray(range(256)) * ((3 * FINGERPRINT_SPAN) // 256)
    (a / "unet" / "weights.bin").write_bytes(bytes(big))
    first = fingerprint(a)
    shutil.copytree(a, tmp_path / "b")
    assert fingerprint(tmp_path / "b") == first and len(first) == 64
    (a / ".cache").mkdir()
    (a / ".cache" / "lock").write_text("x")
    assert fingerprint(a) == first
    big[-10] ^= 0xFF
    (a / "unet" / "weights.bin").write_bytes(bytes(big))
    assert fingerprint(a) != first
    (tmp_path / "b" / "unet" / "weights.bin").rename(tmp_path / "b" / "unet" / "other.bin")
    assert fingerprint(tmp_path / "b") != first
    # a document added is no weights; a component folder linked in is followed (rglob passed it by)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "model_index.json").write_text("{}")
    (tmp_path / "c" / "unet").symlink_to(a / "unet", target_is_directory=True)
    linked = fingerprint(tmp_path / "c")
    (tmp_path / "c" / "README.md").write_text("# a model card")
    assert fingerprint(tmp_path / "c") == linked == fingerprint(a)
    for doc in ("LICENSE", "README.txt", "NOTICE"):  # (documents without a document's ending changed it)
        (tmp_path / "c" / doc).write_text("terms")
    assert fingerprint(tmp_path / "c") == linked
    (tmp_path / "c" / "license_plate_detector.onnx").write_bytes(b"weights")  # a weight file, though it starts so
    assert fingerprint(tmp_path / "c") != linked
    (tmp_path / "c" / "license_plate_detector.onnx").unlink()
    # a link to a blob that is gone (a torn hub cache) counts as missing, where it was a FileNotFoundError
    (tmp_path / "c" / "extra.bin").symlink_to(tmp_path / "nowhere.bin")
    torn = fingerprint(tmp_path / "c")
    assert torn != linked and len(torn) == 64


def test_device_and_dtype_spellings():
    """'bf16' was refused though 'fp16' and 'fp32' were aliases and the cards said bf16 was accepted; 'cpu:1' was
    taken and recorded as written, as if the CPU had devices."""
    pytest.importorskip("torch")
    import torch

    from conditioning.weights import torch_device

    assert torch_device("test", "cpu", "bf16")[2] == torch.bfloat16
    with pytest.raises(ValueError, match="the CPU takes no index; give 'cpu'"):
        torch_device("test", "cpu:1")
