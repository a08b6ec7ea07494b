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
