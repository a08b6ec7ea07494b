"""CLIP zero-shot image critic (transformers, local checkpoint): how well an image matches emotion prompts.

Radford et al. (2021) zero-shot classification over Mikels et al.'s eight image emotions with a prompt
template; the probabilities become a `Reading` through the shared space. Weights come from a local path (or the
user's Hugging Face cache, with ``local_files_only``): nothing is downloaded. Needs the ``neural`` extra.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from conditioning import label_set
from conditioning.media import Image, Video
from conditioning.registry import BackendUnavailable, configure
from critics.base import Reading
from critics.image import still

MIKELS_WORDS = {"amusement": "amusing", "awe": "awe-inspiring", "contentment": "content", "excitement": "exciting",
                "anger": "angering", "disgust": "disgusting", "fear": "frightening", "sadness": "sad"}


MODEL_ENV = "EMOSTUDIO_CLIP_MODEL"
DEFAULT_MODEL = "openai/clip-vit-base-patch32"  #: read from the Hugging Face cache if it is there


@dataclass(frozen=True)
class ClipCriticConfig:
    #: a local folder, or a model id already in this machine's Hugging Face cache (None: ``$EMOSTUDIO_CLIP_MODEL``,
    #: else openai/clip-vit-base-patch32 from the cache)
    model: str | None = None
    template: str = "a {} photo"
    device: str = "cpu"


class ClipImageCritic:
    modality = "image"
    name = "clip"

    def __init__(self, config: ClipCriticConfig | None = None, **overrides) -> None:
        self.config = configure(ClipCriticConfig, config, overrides, "image/clip")

    @property
    def where(self) -> str:
        """The weights' folder or cached model id."""
        import os

        return self.config.model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL

    @cached_property
    def _model(self):
        try:
            import torch  # noqa: F401
            from transformers import CLIPModel, CLIPProcessor
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(f"image/clip needs {exc.name!r}: pip install 'emotion-studio[neural]'") from None
        from pathlib import Path

        from conditioning.weights import loading

        where = self.where
        local = Path(where).expanduser()
        if local.exists() or where.startswith(("/", ".", "~")):  # a folder (a path, not a hub id): checked (there,
            # its type, its tokenizer) before transformers reads it
            from critics.base import require_saved

            require_saved(local, "CLIP", ("clip",), tokenizer=True)
            with loading("image/clip", local, "a save_pretrained CLIP model with its processor"):
                model = CLIPModel.from_pretrained(str(local), local_files_only=True).eval().to(self.config.device)
                processor = CLIPProcessor.from_pretrained(str(local), local_files_only=True)
            return model, processor
        try:  # a model id: this machine's Hugging Face cache only
            model = CLIPModel.from_pretrained(where, local_files_only=True).eval().to(self.config.device)
            processor = CLIPProcessor.from_pretrained(where, local_files_only=True)
        except OSError:  # transformers' text here speaks of connecting to the Hub, which is never tried
            raise BackendUnavailable(f"image/clip: no CLIP weights at {where!r} in a local folder or in this machine's "
                                     f"Hugging Face cache; give a folder saved with save_pretrained (`critique --model "
                                     f"DIR`, model=DIR in Python, or ${MODEL_ENV}); nothing is downloaded") from None
        return model, processor

    @cached_property
    def _text(self):
        """Normalised prompt embeddings, computed once per critic."""
        import torch

        model, processor = self._model
        prompts = [self.config.template.format(MIKELS_WORDS[k]) for k in label_set("mikels").labels]
        tok = processor.tokenizer(prompts, padding=True, return_tensors="pt")
        with torch.no_grad():
            emb = model.get_text_features(**tok)  # (8, D)
            emb = emb if isinstance(emb, torch.Tensor) else emb.pooler_output
        return emb / emb.norm(dim=-1, keepdim=True)

    def score(self, media: Image | Video) -> Reading:
        media = still(media, "the CLIP critic")
        model, processor = self._model  # first: without torch and transformers it says so in one line
        import torch

        pix = processor.image_processor(images=[media.pixels], return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            img = model.get_image_features(pixel_values=pix)  # (1, D)
            img = img if isinstance(img, torch.Tensor) else img.pooler_output
            img = img / img.norm(dim=-1, keepdim=True)
            logits = model.logit_scale.exp() * img @ self._text.T  # (1, 8)
            probs = torch.softmax(logits, dim=-1)[0].numpy().astype(np.float64)
        native = dict(zip(label_set("mikels").labels, probs.tolist()))
        return Reading.from_native(f"{self.modality}/{self.name}", native, "mikels",
                                   details={"model": self.where})
