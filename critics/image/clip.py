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


@dataclass(frozen=True)
class ClipCriticConfig:
    model: str = "openai/clip-vit-base-patch32"  #: local path or a model id already in the local cache
    template: str = "a {} photo"
    device: str = "cpu"


class ClipImageCritic:
    modality = "image"
    name = "clip"

    def __init__(self, config: ClipCriticConfig | None = None, **overrides) -> None:
        self.config = configure(ClipCriticConfig, config, overrides, "image/clip")

    @cached_property
    def _model(self):
        try:
            import torch  # noqa: F401
            from transformers import CLIPModel, CLIPProcessor
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(f"image/clip needs {exc.name!r}: pip install 'emotion-studio[neural]'") from None
        try:
            model = CLIPModel.from_pretrained(self.config.model, local_files_only=True).eval().to(self.config.device)
            processor = CLIPProcessor.from_pretrained(self.config.model, local_files_only=True)
        except OSError as exc:
            raise BackendUnavailable(f"image/clip: no CLIP weights at {self.config.model!r} on this machine "
                                     f"(give a local folder with config.json and weights): {exc}") from None
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
        import torch

        media = still(media, "the CLIP critic")
        model, processor = self._model
        pix = processor.image_processor(images=[media.pixels], return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            img = model.get_image_features(pixel_values=pix)  # (1, D)
            img = img if isinstance(img, torch.Tensor) else img.pooler_output
            img = img / img.norm(dim=-1, keepdim=True)
            logits = model.logit_scale.exp() * img @ self._text.T  # (1, 8)
            probs = torch.softmax(logits, dim=-1)[0].numpy().astype(np.float64)
        native = dict(zip(label_set("mikels").labels, probs.tolist()))
        return Reading.from_native(f"{self.modality}/{self.name}", native, "mikels",
                                   details={"model": self.config.model})
