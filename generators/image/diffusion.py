"""The neural image generator: the Stable Diffusion family through diffusers, local weights only.

Nothing is downloaded: ``model`` is a local diffusers pipeline folder (a snapshot with ``model_index.json``)
or `$EMOSTUDIO_SD_MODEL`. Supported: SD 1.x and 2.x (``StableDiffusionPipeline``; SD-Turbo is an SD 2.1
distillation: use steps 1-4 and guidance 0), SDXL and SDXL-Turbo (``StableDiffusionXLPipeline``: two text
encoders, pooled text embeddings and size/crop "time ids"). Other pipelines (SD 3, Flux, inpainting or
refiner checkpoints) are refused with a message saying so.

The emotion is applied over the pipeline's own components (tokenizer(s), text encoder(s), UNet, VAE,
scheduler) in numbered public steps, not by forking the pipeline's ``__call__``:

1. `enrich_prompt`: the user's prompt plus cue phrases chosen from the emotion's valence-arousal (VA)
   coordinates - mood, facial expression (only where people appear), lighting, palette, weather,
   composition, in that order of importance - within the tokenizer's 77-token budget: the least important
   cues are dropped first; the user's own words are never cut (a prompt that alone exceeds the budget raises
   `GenerationError`).
2. `encode`: prompt embeddings from the text encoder(s), and the unconditional (negative) embedding for
   classifier-free guidance.
3. Mixed emotions by composable diffusion (Liu, Li, Du, Torralba & Tenenbaum 2022, "Compositional Visual
   Generation with Composable Diffusion Models"): `mix_weights` keeps the top-k terms of the mix
   (renormalised) times the intensity, plus ``1 - intensity`` for the neutral condition (the plain prompt);
   `conditions` gives each its own enriched prompt; in ONE sampling loop the UNet runs on
   ``[uncond, cond_1..cond_k]`` and `combine_noise` forms eps = eps_u + g * sum_i w_i (eps_i - eps_u).
4. Continuous VA steering, in the spirit of EmotiCrafter (Dang et al. 2025, which *learns* a mapping from VA
   to text-embedding offsets) but without its training: `directions` are differences of paired emotion
   prompts' embeddings ("joyful" minus "sad", "excited" minus "calm", ...) averaged over templates, and
   `steer` adds strength * (v * dir_v + a * dir_a) to the conditional embeddings only.
5. Sampling: `prepare_latents` (a per-call ``torch.Generator`` seeded from the request's seed: the same seed
   gives the same image), a fresh scheduler per call, `predict_noise` per step, `decode` with the VAE to an
   RGB `conditioning.media.Image`.
6. `correct`: the closed loop's next take moves the steering coordinates against the measured VA error.

GPU: fp16 on CUDA (fp32 on CPU), ``enable_model_cpu_offload()`` (accelerate) when ``offload`` is set, xformers
attention where it imports, else torch's scaled-dot-product attention (diffusers' default processor).
"""
from __future__ import annotations

import inspect
import os
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np

from conditioning import Emotion
from conditioning.media import Image
from conditioning.registry import BackendUnavailable, WrongModel, check_ranges
from conditioning.weights import torch_threads
from conditioning.vocabulary import NEUTRAL, VOCABULARY
from generators.base import GenerationError, GenerationRequest, GenerationResult, check_options, next_seed, option_number
from generators.diffusers_common import DiffusersBackend, checkpoint_names, combine_noise, va_cell
from generators.diffusers_common import licence_for as _licence_for

MODEL_ENV = "EMOSTUDIO_SD_MODEL"
KEY = "image/diffusion"
DEFAULT_SUBJECT = "an abstract scene"

SD_PIPELINES = ("StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline")
SDXL_PIPELINES = ("StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline")

RAIL_M = "CreativeML OpenRAIL-M (use restrictions in its Attachment A apply)"
RAIL_PP = "CreativeML Open RAIL++-M (use restrictions in its Attachment A apply)"
TURBO = ("Stability AI Non-Commercial Research Community License: non-commercial use only "
         "(check the model card of your copy)")
#: Checkpoint licences by a name fragment of the folder or its ``_name_or_path`` (first match wins). "turbo" first
#: and alone, by the rule `DiffusionImage.is_turbo` samples by: a checkpoint sampled as Turbo is licensed as one
#: ("sd21-turbo" and "stable-diffusion-xl-turbo" were sampled as Turbo and recorded under RAIL++-M, which allows
#: commercial use).
LICENCES: tuple[tuple[str, str], ...] = (
    ("turbo", TURBO),
    ("stable-diffusion-xl", RAIL_PP), ("sdxl", RAIL_PP),
    ("stable-diffusion-2", RAIL_PP), ("sd2", RAIL_PP), ("sd-2", RAIL_PP),
    ("stable-diffusion-v1", RAIL_M), ("sd-v1", RAIL_M), ("sd1", RAIL_M), ("v1-5", RAIL_M), ("v1-4", RAIL_M),
)


@dataclass(frozen=True)
class DiffusionConfig:
    """Settings of the diffusion backend.

    - `model`: a local diffusers pipeline folder (None: `$EMOSTUDIO_SD_MODEL`); `variant`: weight-file variant
      to load (e.g. "fp16" for snapshots holding only ``*.fp16.safetensors``);
    - sampling: `steps` and `guidance_scale` (None: the checkpoint's own, 30 and 7.5, or 1 and 0 for a Turbo
      checkpoint, which is distilled for 1-4 steps without classifier-free guidance: `sampling_defaults`;
      a guidance scale <= 1 turns guidance off), `size` (None: the model's own, e.g. 512 for SD 1.5, 1024 for
      SDXL; an int or (width, height));
    - emotion: `top_k` terms of a mix get their own condition; `steering` strength along the VA directions
      (0 turns steering off);
    - hardware: `dtype` "auto" (fp16 on CUDA, fp32 on CPU) or "float16"/"bfloat16"/"float32"; `device` "auto"
      (CUDA when available) or a torch device; `offload`: accelerate's model CPU offload on a GPU; `threads`
      on the CPU;
    - `safety_checker`: run the checkpoint's safety checker where the snapshot ships one (SD 1.x);
    - `licence`: overrides the licence recorded in the provenance (else from the checkpoint table);
    - `max_prompt_chars`: longest prompt accepted before tokenising.
    """

    model: str | None = None
    variant: str | None = None
    steps: int | None = None
    guidance_scale: float | None = None
    size: int | tuple[int, int] | None = None
    top_k: int = 3
    steering: float = 0.5
    dtype: str = "auto"
    device: str = "auto"
    offload: bool = False
    threads: int = 1
    safety_checker: bool = True
    licence: str | None = None
    max_prompt_chars: int = 1000

    def __post_init__(self) -> None:
        """Values in range, or a `GenerationError` naming the field (top_k=0 dropped the emotion, threads=-3 was
        taken)."""
        check_ranges(KEY, self, (("top_k", 1, 41), ("steering", 0, 10), ("threads", 0, 256),
                                 ("max_prompt_chars", 1, 100_000),
                                 *((("steps", 1, 1000),) if self.steps is not None else ()),
                                 *((("guidance_scale", 0, 50),) if self.guidance_scale is not None else ())),
                     whole=("top_k", "threads", "max_prompt_chars", "steps"), error=GenerationError)


OPTIONS = {"size": "image size in pixels: an int (square) or (width, height), multiples of the VAE factor (8)",
           "steps": "denoising steps (default: the config's, else 30; Turbo checkpoints 1)",
           "guidance_scale": "classifier-free guidance scale; <= 1 turns guidance off (default 7.5; Turbo 0)",
           "negative_prompt": "text to steer away from (the unconditional prompt)",
           "steering": "valence-arousal steering strength (0 turns it off)"}

# ----------------------------------------------------------------------------------- emotion -> prompt cues
# The cue tables are chosen by hand on a 3 x 3 valence x arousal grid (negative / middle / positive, split at
# +-0.25), following photographic and painterly conventions: high-key light for pleasant scenes, low-key for
# unpleasant ones; colour after Valdez & Mehrabian (1994): brightness raises pleasure (P = 0.69B + 0.22S) and
# saturation raises arousal (A = -0.31B + 0.60S); diagonals and tilted frames for arousal, open symmetrical
# space for calm; weather as pathetic fallacy. Grid index: [arousal row: -, 0, +][valence column: -, 0, +].
LIGHTING = (("dim cold light", "soft diffuse light", "soft golden-hour glow"),
            ("low-key lighting with heavy shadows", "even natural light", "warm bright daylight"),
            ("harsh red-tinted light and deep shadows", "dramatic spotlighting", "brilliant sunlight with sparkling highlights"))
PALETTE = (("dark muted blue-grey tones", "muted soft tones", "light pastel colours"),
           ("dark desaturated colours", "natural colours", "bright warm colours"),
           ("dark saturated reds and blacks", "high-contrast saturated colours", "bright vivid saturated colours"))
WEATHER = (("cold rain and fog", "still misty air", "calm clear evening"),
           ("overcast sky", "", "sunny day"),
           ("stormy sky with lightning", "windswept sky", "clear blue sky"))
COMPOSITION = (("empty space around a lone subject", "still symmetrical composition", "wide open tranquil composition"),
               ("heavy low horizon", "", "open balanced composition"),
               ("tilted claustrophobic framing", "dynamic diagonal composition", "dynamic energetic composition"))
#: Mood adjective of each vocabulary term.
MOOD = {"joy": "joyful", "sadness": "sad", "anger": "angry", "fear": "fearful", "disgust": "repulsive",
        "surprise": "surprising", "contempt": "contemptuous", "calm": "calm", "contentment": "contented",
        "tenderness": "tender", "excitement": "exciting", "boredom": "boring", "anxiety": "anxious",
        "nostalgia": "nostalgic", "awe": "awe-inspiring", "serenity": "serene", "love": "loving", "pride": "proud",
        "shame": "shameful", "guilt": "guilty", "frustration": "frustrating", "hope": "hopeful",
        "amusement": "playful", "melancholy": "melancholic", "grief": "grieving", "rage": "furious",
        "terror": "terrifying", "triumph": "triumphant", "relief": "relieved", "loneliness": "lonely",
        "tension": "tense", "enthusiasm": "enthusiastic", "despair": "despairing", "elation": "elated",
        "irritation": "irritated", "gratitude": "grateful", "longing": "wistful", "confusion": "confusing",
        "interest": "curious", "fatigue": "weary"}
#: Facial expressions (action units after Ekman & Friesen's FACS: AU6+12 smile, AU1+4+15 sadness, AU4+5+7+23
#: anger, AU1+2+4+5+20 fear, AU9+10 disgust, AU1+2+5+26 surprise, AU14 unilateral contempt), used only where
#: the prompt names people; other terms fall back to their VA quadrant.
FACE = {"joy": "beaming smile", "sadness": "tearful downcast eyes", "anger": "furrowed brow and clenched jaw",
        "fear": "wide frightened eyes", "disgust": "wrinkled nose in a disgusted grimace",
        "surprise": "raised eyebrows and open mouth", "contempt": "one-sided smirk", "calm": "relaxed face with a soft gaze",
        "serenity": "relaxed face with a soft gaze", "rage": "snarling furious face", "terror": "screaming terrified face",
        "grief": "weeping face", "amusement": "laughing face", "love": "tender smile", "tenderness": "tender smile",
        "boredom": "bored blank stare", "fatigue": "tired drooping eyes", "anxiety": "worried tense face"}
FACE_QUADRANT = (("downcast eyes", "neutral expression", "gentle smile"),
                 ("frowning face", "neutral expression", "smiling face"),
                 ("tense frowning face", "alert wide eyes", "excited open smile"))
PEOPLE = re.compile(r"\b(person|people|persons|man|men|woman|women|girl|girls|boy|boys|child|children|kid|kids|"
                    r"baby|face|faces|portrait|selfie|crowd|family|couple|friend|friends|human|humans|figure|"
                    r"dancer|singer|he|she|they|someone|somebody|lady|gentleman|teenager|mother|father)\b", re.I)

#: Paired prompts for the steering directions: (positive, negative) adjectives per axis, over templates.
VALENCE_PAIRS = (("joyful", "sad"), ("happy", "miserable"), ("pleasant", "unpleasant"))
AROUSAL_PAIRS = (("excited", "calm"), ("agitated", "serene"), ("frantic", "relaxed"))
TEMPLATES = ("a photo, {} mood", "a painting, {} atmosphere", "a portrait of a person, {} expression",
             "a landscape, {} feeling")


@dataclass(frozen=True)
class Condition:
    """One condition of the composable sampling loop: its term, enriched prompt, weight and VA coordinates."""

    label: str
    prompt: str
    weight: float
    valence: float
    arousal: float


@dataclass(frozen=True)
class Encoded:
    """Text conditioning for the UNet: ``prompt_embeds`` (k, T, D) one row per condition, ``negative_embeds``
    (1, T, D) unconditional; SDXL adds the pooled embeddings (k, P) and (1, P) of its second encoder."""

    prompt_embeds: Any
    negative_embeds: Any
    pooled: Any = None
    negative_pooled: Any = None


def licence_for(folder: str | os.PathLike, index: Mapping[str, Any] | None = None) -> str:
    """The checkpoint's licence from its name (`LICENCES`), else a pointer to its model card."""
    return _licence_for(folder, index, LICENCES)


# ------------------------------------------------------------------------------------------ the backend


class DiffusionImage(DiffusersBackend):
    """Stable Diffusion 1.x/2.x/Turbo and SDXL (registry key ``image/diffusion``, extra ``neural``)."""

    modality = "image"
    name = "diffusion"
    KEY, MODEL_ENV, CONFIG, LICENCES = KEY, MODEL_ENV, DiffusionConfig, LICENCES
    WEIGHTS = ("local Stable Diffusion weights (a diffusers snapshot, e.g. stable-diffusion-v1-5, stabilityai/sd-turbo, "
               "stable-diffusion-xl-base-1.0)")

    def __init__(self, config: DiffusionConfig | None = None, *, pipeline: Any = None, **overrides: Any) -> None:
        super().__init__(config, pipeline=pipeline, **overrides)
        self._directions = None

    @classmethod
    def can_run(cls, model: str | os.PathLike | None = None) -> bool:
        """Whether `auto` may pick this backend: torch and diffusers are installed and ``model`` (else
        ``$EMOSTUDIO_SD_MODEL``) is a diffusers pipeline folder; checked without importing torch."""
        return cls.weights_folder(model) is not None

    def check_index(self, folder, index) -> None:
        """Stable Diffusion 1.x/2.x/Turbo or an SDXL base (a refiner takes a picture, not a prompt)."""
        cls_name = index.get("_class_name", "")
        if cls_name in SDXL_PIPELINES:
            if not index.get("text_encoder") or index.get("text_encoder") == [None, None]:
                raise BackendUnavailable(f"{KEY}: {folder} is an SDXL refiner (one text encoder, image-to-image); "
                                         "use a base or Turbo checkpoint")
        elif cls_name not in SD_PIPELINES:
            raise WrongModel(
                f"{KEY} supports Stable Diffusion 1.x/2.x/Turbo and SDXL pipeline folders; {self.named(folder)} holds a "
                f"{cls_name or 'unknown'} pipeline")

    def _from_folder(self, folder, index: dict, torch, dtype):
        """Step 0: the SD 1.x/2.x/Turbo or SDXL pipeline class the folder names, loaded and checked."""
        import diffusers

        cls = (diffusers.StableDiffusionXLPipeline if index.get("_class_name", "") in SDXL_PIPELINES
               else diffusers.StableDiffusionPipeline)  # (`check_index` refused any other)
        kwargs = self._pretrained_kwargs(dtype)
        if cls is diffusers.StableDiffusionPipeline and not self.config.safety_checker:
            kwargs.update(safety_checker=None, requires_safety_checker=False)
        try:
            pipe = cls.from_pretrained(str(folder), **kwargs)
        except (OSError, ValueError) as exc:
            raise self._load_failed(folder, exc) from None
        self._check_pipeline(pipe, folder)
        if getattr(pipe.vae.config, "force_upcast", False) and dtype == torch.float16:
            pipe.vae.to(dtype=torch.float32)  # the SDXL VAE overflows in fp16
        return pipe

    def _check_pipeline(self, pipe, where) -> None:
        if pipe.unet.config.in_channels != pipe.vae.config.latent_channels:
            raise BackendUnavailable(f"{KEY}: {where} is an inpainting/conditioned checkpoint (UNet takes "
                                     f"{pipe.unet.config.in_channels} channels); use a text-to-image checkpoint")
        if getattr(pipe.unet.config, "time_cond_proj_dim", None) is not None:
            raise BackendUnavailable(f"{KEY}: {where} is a guidance-distilled (LCM-style) UNet, not supported")

    def is_xl(self, pipe=None) -> bool:
        pipe = pipe if pipe is not None else self.load()
        return getattr(pipe, "text_encoder_2", None) is not None

    def _tokenizers(self, pipe) -> list:
        return [t for t in (pipe.tokenizer, getattr(pipe, "tokenizer_2", None)) if t is not None]

    # ---- 1. prompt -----------------------------------------------------------------------------------------
    def token_count(self, text: str, limit: int | None = None) -> int:
        """Tokens the text encoder(s) read for ``text``, start and end tokens included (the largest count);
        with ``limit``, counting stops at ``limit + 1`` (enough to tell whether it fits, and quiet)."""
        counts = []
        for t in self._tokenizers(self.load()):
            with self._tokenizer_lock:
                if limit is None:
                    counts.append(len(t.tokenize(text)) + t.num_special_tokens_to_add(pair=False))
                else:
                    counts.append(len(t(text, truncation=True, max_length=limit + 1)["input_ids"]))
        return max(counts)

    @property
    def token_budget(self) -> int:
        return min(int(t.model_max_length) for t in self._tokenizers(self.load()))

    def check_prompt(self, prompt: str | None, what: str = "prompt") -> str:
        """The prompt stripped (empty: the default subject); `GenerationError` where it cannot be read whole."""
        text = " ".join((prompt or "").split())
        if len(text) > self.config.max_prompt_chars:
            raise GenerationError(f"{what} is {len(text)} characters; {KEY} accepts at most "
                                  f"{self.config.max_prompt_chars} (max_prompt_chars)")
        if not text:
            return DEFAULT_SUBJECT if what == "prompt" else ""
        budget = self.token_budget
        if self.token_count(text, budget) > budget:
            raise GenerationError(f"{what} is {self.token_count(text)} tokens; the text encoder reads at most "
                                  f"{budget} (start and end tokens included), and the user's words are never cut: "
                                  "shorten it")
        return text

    @staticmethod
    def cues(subject: str, emotion: Emotion) -> list[str]:
        """Cue phrases for an emotion, most important first: mood word, facial expression (people only),
        lighting, palette, weather, composition. Chosen from the emotion's VA coordinates and top term; no cue
        contains a comma, so the cues of an enriched prompt read back by splitting on ", "."""
        v, a = emotion.valence, emotion.arousal
        row, col = va_cell(a), va_cell(v)
        top = emotion.top
        out = []
        if top != NEUTRAL and emotion.intensity > 0:
            out.append(f"{MOOD.get(top, top)} atmosphere")
        if PEOPLE.search(subject):
            out.append(FACE.get(top) or FACE_QUADRANT[row][col])
        out += [LIGHTING[row][col], PALETTE[row][col], WEATHER[row][col], COMPOSITION[row][col]]
        return [c for c in out if c]

    def enrich_prompt(self, prompt: str | None, emotion: Emotion) -> str:
        """Step 1: ``prompt`` (or the default subject) followed by the emotion's cues, dropping the least
        important cues until the whole fits the tokenizer's budget; raises if the prompt alone does not fit."""
        subject = self.check_prompt(prompt)
        cues = self.cues(subject, emotion)
        budget = self.token_budget
        while cues and self.token_count(", ".join([subject, *cues]), budget) > budget:
            cues.pop()
        return ", ".join([subject, *cues])

    # ---- 2. encode -----------------------------------------------------------------------------------------
    def encode(self, prompts: Sequence[str], negative_prompt: str | None = None) -> Encoded:
        """Step 2: embeddings of ``prompts`` (k, T, D) and of the unconditional prompt (1, T, D), as the
        pipelines compute them (SD: the last hidden state; SDXL: both encoders' penultimate hidden states
        concatenated, pooled embeddings from the second, zeros for an empty negative prompt)."""
        import torch

        pipe = self.load()
        device = self._device(pipe)
        prompts = list(prompts)
        neg = negative_prompt or ""
        with torch.no_grad():
            if not self.is_xl(pipe):
                te = pipe.text_encoder
                embeds = self._encode_one(pipe.tokenizer, te, prompts + [neg], device, xl=False)[0]
                return Encoded(embeds[:-1], embeds[-1:])
            parts, pooled = [], None
            for tok, te in ((pipe.tokenizer, pipe.text_encoder), (pipe.tokenizer_2, pipe.text_encoder_2)):
                hidden, pooled = self._encode_one(tok, te, prompts + [neg], device, xl=True)
                parts.append(hidden)
            embeds = torch.cat(parts, dim=-1)  # (k+1, T, D1 + D2)
            cond, uncond, p_cond, p_uncond = embeds[:-1], embeds[-1:], pooled[:-1], pooled[-1:]
            if not neg and pipe.config.get("force_zeros_for_empty_prompt", True):
                uncond, p_uncond = torch.zeros_like(uncond), torch.zeros_like(p_uncond)
            return Encoded(cond, uncond, p_cond, p_uncond)

    def _encode_one(self, tokenizer, text_encoder, texts: list[str], device, xl: bool):
        with self._tokenizer_lock:
            ids = tokenizer(texts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                            return_tensors="pt")
        mask = ids.attention_mask.to(device) if getattr(text_encoder.config, "use_attention_mask", False) else None
        out = text_encoder(ids.input_ids.to(device), attention_mask=mask, output_hidden_states=xl)
        if not xl:
            return out[0].to(text_encoder.dtype), None  # (n, T, D) last hidden state
        pooled = getattr(out, "text_embeds", None)
        return out.hidden_states[-2], pooled  # (n, T, D), (n, P) for the projection model

    # ---- 3. mixed emotions ---------------------------------------------------------------------------------
    def conditions(self, prompt: str | None, weights: Mapping[str, float]) -> list[Condition]:
        """Step 3b: one `Condition` per weighted term: the prompt enriched for that term alone (the neutral
        condition is the plain prompt), with the term's VA coordinates for steering."""
        subject = self.check_prompt(prompt)
        out = []
        for label, w in weights.items():
            if label == NEUTRAL:
                out.append(Condition(NEUTRAL, subject, float(w), 0.0, 0.0))
            else:
                v, a, _ = VOCABULARY[label].mean
                out.append(Condition(label, self.enrich_prompt(subject, Emotion.from_mix({label: 1.0})), float(w), v, a))
        return out

    # ---- 4. steering ---------------------------------------------------------------------------------------
    def directions(self):
        """Step 4a: the valence and arousal directions (T, D) in the conditional embedding space: half the
        mean difference between the embeddings of paired prompts (positive minus negative adjective) over the
        templates, so that +1 moves from their midpoint to the positive side."""
        if self._directions is None:
            out = []
            for pairs in (VALENCE_PAIRS, AROUSAL_PAIRS):
                pos = [t.format(p) for t in TEMPLATES for p, _ in pairs]
                neg = [t.format(n) for t in TEMPLATES for _, n in pairs]
                enc = self.encode(pos + neg)
                e = enc.prompt_embeds.float()  # (2m, T, D)
                m = len(pos)
                out.append(((e[:m] - e[m:]).mean(dim=0) / 2).to(enc.prompt_embeds.dtype))  # (T, D)
            self._directions = (out[0], out[1])
        return self._directions

    def steer(self, embeds, emotion: "Emotion | tuple[float, float] | Sequence[tuple[float, float]]",
              strength: float):
        """Step 4b: conditional ``embeds`` (k, T, D) + strength * (v * dir_v + a * dir_a). ``emotion``: an
        `Emotion` (its coordinates already carry its intensity), a (v, a) pair, or one pair per row. The
        unconditional embedding is never passed here: steering moves the condition, not the baseline."""
        import torch

        if not strength:
            return embeds
        dir_v, dir_a = self.directions()
        if isinstance(emotion, Emotion):
            coords = [emotion.va] * embeds.shape[0]
        elif len(emotion) == 2 and all(isinstance(x, (int, float)) for x in emotion):
            coords = [tuple(emotion)] * embeds.shape[0]
        else:
            coords = [tuple(c) for c in emotion]
        if len(coords) != embeds.shape[0]:
            raise ValueError(f"{len(coords)} coordinate pairs for {embeds.shape[0]} embeddings")
        c = torch.tensor(coords, dtype=embeds.dtype, device=embeds.device)  # (k, 2)
        offset = c[:, 0, None, None] * dir_v.to(embeds.device) + c[:, 1, None, None] * dir_a.to(embeds.device)
        return embeds + strength * offset  # (k, T, D)

    def embed_conditions(self, conditions: Sequence[Condition], negative_prompt: str | None = None,
                         steering: float | None = None, offsets: tuple[float, float] = (0.0, 0.0)) -> Encoded:
        """Steps 2 + 4: the conditions' prompts encoded, each conditional row steered by its own term's VA
        coordinates (plus the closed loop's ``offsets``); the unconditional embedding is left as encoded."""
        strength = float(self.config.steering if steering is None else steering)
        enc = self.encode([c.prompt for c in conditions], negative_prompt)
        coords = [(c.valence + offsets[0], c.arousal + offsets[1]) for c in conditions]
        return replace(enc, prompt_embeds=self.steer(enc.prompt_embeds, coords, strength))

    # ---- 5. sampling ---------------------------------------------------------------------------------------
    def is_turbo(self) -> bool:
        """A Turbo checkpoint (SD-Turbo, SDXL-Turbo: adversarially distilled for 1-4 steps, no guidance), known by
        its folder or ``_name_or_path`` as the licence is."""
        if self._folder is None:
            return False
        self.load()  # the index (its _name_or_path) is read with the pipeline
        return "turbo" in checkpoint_names(self._folder, self._index)

    def sampling_defaults(self) -> tuple[int, float]:
        """(steps, guidance scale) when neither the config nor the request sets them: 1 and 0 for Turbo (30 steps
        with guidance 7.5 over-sharpen it into noise), else 30 and 7.5 (the SD 1.x/2.x/SDXL pipelines' usual)."""
        cfg = self.config
        turbo = (cfg.steps is None or cfg.guidance_scale is None) and self.is_turbo()
        steps = cfg.steps if cfg.steps is not None else (1 if turbo else 30)
        guidance = cfg.guidance_scale if cfg.guidance_scale is not None else (0.0 if turbo else 7.5)
        return steps, guidance

    def default_size(self) -> tuple[int, int]:
        pipe = self.load()
        s = int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
        return s, s

    def resolve_size(self, size) -> tuple[int, int]:
        """(width, height) from an int, a pair or None (the model's default); multiples of the VAE factor."""
        if size is None:
            return self.default_size()
        f = int(self.load().vae_scale_factor)
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            w, h = size, size
        elif isinstance(size, (list, tuple)) and len(size) == 2:
            w, h = size
        else:
            raise GenerationError(f"image size {size!r} must be an int (square) or a (width, height) pair of "
                                  f"positive multiples of {f} pixels up to 4096, e.g. 512 or (768, 512)")
        if not all(isinstance(x, (int, np.integer)) and 0 < x <= 4096 and x % f == 0 for x in (w, h)):
            raise GenerationError(f"image size {size!r} must be positive multiples of {f} pixels up to 4096")
        return int(w), int(h)

    def prepare_latents(self, seed: int, width: int, height: int):
        """Initial noise (1, C, h, w) from a per-call CPU generator seeded with ``seed`` (the same on any device),
        not yet scaled by the scheduler's initial sigma."""
        import torch

        pipe = self.load()
        f = int(pipe.vae_scale_factor)
        g = torch.Generator(device="cpu").manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF)
        shape = (1, int(pipe.unet.config.in_channels), height // f, width // f)
        return torch.randn(shape, generator=g, dtype=torch.float32).to(self._device(pipe), pipe.unet.dtype)

    def _time_ids(self, pipe, width: int, height: int, n: int, dtype):
        import torch

        ids = [height, width, 0, 0, height, width]  # original size, crop top-left, target size
        proj = int(pipe.text_encoder_2.config.projection_dim)
        expected = pipe.unet.add_embedding.linear_1.in_features
        if pipe.unet.config.addition_time_embed_dim * len(ids) + proj != expected:
            raise BackendUnavailable(f"{KEY}: this SDXL UNet expects {expected} added-embedding features "
                                     "(a refiner needs an aesthetic score, which is not supported)")
        return torch.tensor([ids], dtype=dtype, device=self._device(pipe)).repeat(n, 1)

    def predict_noise(self, latents, t, encoded: Encoded, weights: Sequence[float], guidance: float,
                      scheduler=None):
        """Step 5a: one UNet call on the batch [uncond, cond_1..cond_k] (uncond only when guidance > 1), then
        `combine_noise`. ``latents`` (1, C, h, w); returns the guided noise (1, C, h, w)."""
        import torch

        pipe = self.load()
        cfg = guidance > 1.0
        cond = encoded.prompt_embeds
        embeds = torch.cat([encoded.negative_embeds, cond]) if cfg else cond  # (n, T, D)
        n = embeds.shape[0]
        x = latents.repeat(n, 1, 1, 1)  # (n, C, h, w)
        if scheduler is not None:
            x = scheduler.scale_model_input(x, t)
        added = None
        if encoded.pooled is not None:
            f = int(pipe.vae_scale_factor)
            pooled = torch.cat([encoded.negative_pooled, encoded.pooled]) if cfg else encoded.pooled  # (n, P)
            added = {"text_embeds": pooled,
                     "time_ids": self._time_ids(pipe, latents.shape[-1] * f, latents.shape[-2] * f, n, pooled.dtype)}
        eps = pipe.unet(x, t, encoder_hidden_states=embeds.to(pipe.unet.dtype), added_cond_kwargs=added,
                        return_dict=False)[0]  # (n, C, h, w)
        if cfg:
            return combine_noise(eps[:1], eps[1:].unsqueeze(1), weights, guidance)
        return combine_noise(None, eps.unsqueeze(1), weights, 1.0)

    def decode(self, latents) -> Image:
        """Step 5b: VAE decode (latents / scaling_factor) to an 8-bit RGB image."""
        pipe = self.load()
        vae = pipe.vae
        z = latents.to(vae.dtype) / vae.config.scaling_factor
        if getattr(vae.config, "shift_factor", None):
            z = z + vae.config.shift_factor
        x = vae.decode(z, return_dict=False)[0]  # (1, 3, H, W) in [-1, 1]
        x = (x.float() / 2 + 0.5).clamp(0, 1)[0].permute(1, 2, 0).cpu().numpy()  # (H, W, 3)
        return Image((x * 255).round().astype(np.uint8))

    def render(self, conditions: Sequence[Condition], *, seed: int = 0, steps: int | None = None,
               guidance_scale: float | None = None, size=None, negative_prompt: str | None = None,
               steering: float | None = None, offsets: tuple[float, float] = (0.0, 0.0)) -> tuple[Image, dict]:
        """Steps 2-5 for given conditions: encode, steer, one composable sampling loop, decode. Returns the
        image and what was used (the extras of a result)."""
        import torch

        cfg = self.config
        default_steps, default_guidance = self.sampling_defaults()
        steps = int(default_steps if steps is None else steps)
        guidance = float(default_guidance if guidance_scale is None else guidance_scale)
        strength = float(cfg.steering if steering is None else steering)
        if not conditions:
            raise GenerationError("no conditions to render")
        pipe = self.load()
        width, height = self.resolve_size(size)
        weights = [c.weight for c in conditions]
        with self._run_lock, torch.no_grad(), torch_threads(cfg.threads if str(self._device(pipe)) == "cpu" else None):
            t0 = time.perf_counter()
            enc = self.embed_conditions(conditions, negative_prompt, strength, offsets)
            t1 = time.perf_counter()
            scheduler = self.fresh_scheduler()
            scheduler.set_timesteps(steps, device=self._device(pipe))
            gen = torch.Generator(device="cpu").manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF)
            params = set(inspect.signature(scheduler.step).parameters)
            extra = {"generator": gen} if "generator" in params else {}
            latents = self.prepare_latents(seed, width, height) * scheduler.init_noise_sigma
            for t in scheduler.timesteps:
                eps = self.predict_noise(latents, t, enc, weights, guidance, scheduler)
                latents = scheduler.step(eps, t, latents, **extra, return_dict=False)[0]
            t2 = time.perf_counter()
            image = self.decode(latents)
            nsfw = self._safety(pipe, image)
            if hasattr(pipe, "maybe_free_model_hooks"):
                pipe.maybe_free_model_hooks()
            t3 = time.perf_counter()
        if nsfw:
            image = Image(np.zeros_like(image.pixels))
        info = {"prompts": [{"label": c.label, "prompt": c.prompt, "weight": round(c.weight, 6)} for c in conditions],
                "mix_weights": {c.label: c.weight for c in conditions}, "steering": strength,
                "steering_offsets": list(offsets), "steps": steps, "guidance_scale": guidance,
                "size": [width, height], "negative_prompt": negative_prompt or "", "nsfw": bool(nsfw),
                "timings": {"encode_s": t1 - t0, "denoise_s": t2 - t1, "decode_s": t3 - t2}}
        return image, info

    def _safety(self, pipe, image: Image) -> bool:
        checker = getattr(pipe, "safety_checker", None)
        if checker is None or not self.config.safety_checker:
            return False
        x = image.pixels[None].astype(np.float32) / 255.0  # (1, H, W, 3)
        _, flagged = pipe.run_safety_checker(x, self._device(pipe), pipe.unet.dtype)
        return bool(flagged and flagged[0])

    # ---- generate ------------------------------------------------------------------------------------------
    def check(self, request: GenerationRequest) -> dict:
        """The request's settings: options (see ``OPTIONS``) over the config, controls over both."""
        opts = check_options(request, OPTIONS, KEY, self.config)
        cfg = self.config
        default_steps, default_guidance = self.sampling_defaults()
        steps = option_number(opts.get("steps", default_steps), "steps", 1, 1000, integer=True)
        guidance = option_number(opts.get("guidance_scale", default_guidance), "guidance_scale", 0, 50)
        steering = option_number(request.controls.get("steering", opts.get("steering", cfg.steering)), "steering", 0, 10)
        negative = opts.get("negative_prompt")
        if negative is not None and not isinstance(negative, str):
            raise GenerationError("negative_prompt must be text")
        return {"steps": int(steps), "guidance_scale": guidance, "steering": steering,
                "size": opts.get("size", cfg.size), "negative_prompt": negative}

    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        settings = self.check(request)
        pipe = self.load()
        if settings["negative_prompt"]:
            settings["negative_prompt"] = self.check_prompt(settings["negative_prompt"], "negative_prompt")
        t1 = time.perf_counter()
        weights = self.mix_weights(request.emotion)
        conds = self.conditions(request.prompt, weights)
        offsets = (float(request.controls.get("valence_offset", 0.0)), float(request.controls.get("arousal_offset", 0.0)))
        image, info = self.render(conds, seed=request.seed, offsets=offsets, **settings)
        timings = {"load_s": t1 - t0, **info.pop("timings")}
        controls = {"prompt": conds[0].prompt, "mix": info["mix_weights"], "steering": info["steering"],
                    "valence_offset": offsets[0], "arousal_offset": offsets[1], "steps": info["steps"],
                    "guidance_scale": info["guidance_scale"], "size": info["size"]}
        prov = self.provenance(pipe, request.seed)
        return GenerationResult(image, controls, prov, timings, info)

    # ---- 6. closed loop ------------------------------------------------------------------------------------
    def correct(self, request: GenerationRequest, target: Emotion, reading) -> GenerationRequest:
        """The next take: move the steering coordinates against the measured VA error (proportional step,
        gain 0.8, offsets bounded to [-1, 1]); a take judged too sad is steered brighter. Steering must be on
        for this to act, so a zero strength is raised to 0.5. From the second correction on, also take the
        next seed: the composition matters as much as the steering, and the loop keeps the best take."""
        gain = 0.8
        c = dict(request.controls)
        take = int(c.get("take", 0)) + 1
        clip = lambda x: max(-1.0, min(1.0, x))  # noqa: E731
        strength = float(c.get("steering", (request.options or {}).get("steering", self.config.steering)))
        new = request.with_controls(
            valence_offset=clip(c.get("valence_offset", 0.0) + gain * (target.valence - reading.valence)),
            arousal_offset=clip(c.get("arousal_offset", 0.0) + gain * (target.arousal - reading.arousal)),
            steering=strength if strength > 0 else 0.5, take=take)
        return replace(new, seed=next_seed(request.seed)) if take >= 2 else new


__all__ = ["Condition", "DiffusionConfig", "DiffusionImage", "Encoded", "combine_noise", "licence_for"]
