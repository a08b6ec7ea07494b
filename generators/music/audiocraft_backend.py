"""Optional adapter: MusicGen through Meta's audiocraft, used only where ``import audiocraft`` works.

Why optional: audiocraft 1.3.0 pins torch==2.1.0 and av==11.0.0 (no Python 3.11 wheel), so it cannot be
installed beside this project's torch 2.13 (DESIGN.md section 6). `music/musicgen` runs the same weights
through transformers and is the supported neural path; this adapter exists for an environment built around
audiocraft (e.g. a separate venv with torch 2.1). It shares the MusicGen prompt and chroma helpers
(`generators.music.theory`) so both backends read an emotion the same way. Weights load from a local folder
or a name audiocraft has cached; the MusicGen weights are CC-BY-NC 4.0 (recorded in the provenance).
Registry key: ``music/audiocraft``.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conditioning.media import Audio
from conditioning.registry import BackendUnavailable, check_ranges, configure
from generators.base import (GenerationError, GenerationRequest, GenerationResult, Provenance, check_duration,
                             check_duration_config, package_version)
from generators.music.theory import MUSICGEN_ENV as MODEL_ENV
from generators.music.theory import MUSICGEN_LICENCE as LICENCE
from generators.music.theory import prompt_text


@dataclass(frozen=True)
class AudiocraftConfig:
    """`model`: a local folder or a cached audiocraft name (facebook/musicgen-small, ...); sampling as in the
    MusicGen paper (top-k 250, classifier-free guidance 3.0); `max_duration_s` is audiocraft's own
    continuation limit for one call."""

    model: str | None = None
    top_k: int = 250
    cfg_coef: float = 3.0
    min_duration_s: float = 1.0
    max_duration_s: float = 120.0
    default_duration_s: float = 10.0
    licence: str = LICENCE

    def __post_init__(self) -> None:
        """Values in range, or a `GenerationError` naming the field (as `MusicGenConfig`)."""
        check_ranges("music/audiocraft", self, (("top_k", 1, 100_000), ("cfg_coef", 0, 50)), whole=("top_k",),
                     error=GenerationError)
        check_duration_config("music/audiocraft", self, 3600)


class AudiocraftMusic:
    """MusicGen via audiocraft (optional; raises `BackendUnavailable` where audiocraft does not import)."""

    modality = "music"
    name = "audiocraft"

    def __init__(self, config: AudiocraftConfig | None = None, **overrides: Any) -> None:
        self.config = configure(AudiocraftConfig, config, overrides, "music/audiocraft", GenerationError)
        self._model = None
        self.weights = ""  #: the folder's `conditioning.weights.fingerprint` where `model` is a folder
        self._lock = threading.Lock()

    def load(self):
        with self._lock:
            if self._model is not None:
                return self._model
            try:
                from audiocraft.models import MusicGen
            except ImportError:
                raise BackendUnavailable(
                    "music/audiocraft needs the 'audiocraft' package, which cannot be installed beside torch 2.13 "
                    "(it pins torch 2.1); use music/musicgen (the same weights through transformers)") from None
            name = self.config.model or os.environ.get(MODEL_ENV)
            if not name:
                raise BackendUnavailable("music/audiocraft needs model=FOLDER_OR_NAME (or $EMOSTUDIO_MUSICGEN)")
            self._model = MusicGen.get_pretrained(name)
            folder = Path(name).expanduser()
            if folder.is_dir():  # (a name audiocraft has cached is a name: none)
                from conditioning.weights import fingerprint

                self.weights = fingerprint(folder)
            return self._model

    def generate(self, request: GenerationRequest) -> GenerationResult:
        cfg = self.config
        d = check_duration(request, cfg, "music/audiocraft")
        t0 = time.perf_counter()
        model = self.load()  # first: without audiocraft (and torch) it says so in one line
        import torch

        text = prompt_text(request.emotion_at(d / 2), request.prompt)
        melody = (request.options or {}).get("melody")
        from conditioning.weights import seeded

        with seeded(request.seed):  # also holds the model's generation parameters, set per request on it
            model.set_generation_params(duration=d, use_sampling=True, top_k=cfg.top_k, cfg_coef=cfg.cfg_coef)
            if melody is not None and hasattr(model, "generate_with_chroma"):
                # audiocraft computes its own chroma from the waveform (its ChromaExtractor)
                wav = torch.from_numpy(np.asarray(melody.mono().samples, dtype=np.float32))[None, None]
                out = model.generate_with_chroma([text], wav, melody.rate)
            else:
                out = model.generate([text])
        y = out[0].mean(dim=0).cpu().numpy()[: int(round(d * model.sample_rate))]
        prov = Provenance("music/audiocraft", str(self.config.model), cfg.licence, request.seed,
                          package_version("audiocraft"), self.weights)
        return GenerationResult(Audio(y.astype(np.float32), int(model.sample_rate)), {"prompt": text}, prov,
                                {"total_s": time.perf_counter() - t0}, {})


__all__ = ["AudiocraftConfig", "AudiocraftMusic"]
