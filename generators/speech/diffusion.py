"""Emotional speech from AudioLDM 2 in its text-to-speech configuration: ``speech/diffusion`` (extra ``neural``).

The model (Liu et al. 2023, "AudioLDM 2"; diffusers' `AudioLDM2Pipeline`): a description prompt ("A female
reporter is speaking") goes through the CLAP text branch, the words to say (``transcription=``) through the
text encoder of a `VitsModel`; a projection and a GPT-2 language model turn both into a sequence of
conditioning states ("language of audio"); a latent-diffusion UNet attends to those states and to the VITS
states while it denoises a mel-spectrogram latent; a VAE decodes the mel spectrogram and a HiFi-GAN vocoder
(`SpeechT5HifiGan`) turns it into a 16 kHz waveform. The published speech checkpoints
(``anhnct/audioldm2_gigaspeech``, ``anhnct/audioldm2_ljspeech``; see the GigaSpeech example in the pipeline's
docstring) have that layout. Nothing is downloaded: ``model`` is a local snapshot folder (``model_index.json``
beside the component folders) or `$EMOSTUDIO_TTS_MODEL`, loaded with ``local_files_only``.

Emotion, as EmoMix mixes emotions (Tang et al. 2023, "EmoMix: Emotion Mixing via Diffusion Models for
Emotional Speech Synthesis"): every emotion of the mix gets its own condition and the denoiser's noise
predictions are combined with the mix's weights inside ONE sampling pass, on top of classifier-free guidance;
intensity is the combination with the neutral condition. Here a condition is a description that names the
emotion and the manner of speaking ("A man speaking in a trembling, fearful voice"), the manner chosen from the
emotion's valence-arousal (VA) coordinates. The sampling loop is written as numbered public steps over the
pipeline's own components and scheduler, not as a copy of the pipeline's ``__call__``:

1. `mix_weights` + `conditions`: the top-k terms of the mix (renormalised) times the intensity, plus
   ``1 - intensity`` for the neutral description; `describe` writes each term's description.
2. `encode`: each description with the transcription through the pipeline's own `encode_prompt` (CLAP, VITS
   encoder, projection, GPT-2 `generate_language_model`), plus the unconditional row (empty description,
   zeroed transcription states) for classifier-free guidance.
3. `prepare_latents`: Gaussian noise of the mel-latent shape from a per-call ``torch.Generator`` seeded with the
   request's seed (drawn on the CPU: the same seed gives the same speech on any device), scaled for a fresh
   copy of the pipeline's scheduler (schedulers keep per-call state; requests never share one).
4. `predict_noise`: one UNet call per step on the batch ``[uncond, cond_1..cond_k]`` (1 + k rows, so the cost
   grows about linearly with the number of emotions, see bench/speech_diffusion.py), then `combine_noise`:
   eps = eps_u + g * sum_i w_i (eps_i - eps_u); the scheduler steps with it.
5. `decode`: the VAE turns the latent into a mel spectrogram.
6. `vocode`: the pipeline's `mel_spectrogram_to_waveform` (the vocoder), cut to the requested length.

With one condition of weight 1 this is exactly the pipeline's own sampling (same seed, same audio: tested).
The published speech checkpoints ship their language model as a bare `GPT2Model`, which diffusers 0.42 cannot
drive under transformers 5 (no ``_update_model_kwargs_for_generation``; diffusers issue 12630): `load` reads
those weights into a `GPT2LMHeadModel` (same weights, tied head) and hands it to the pipeline.

Speech judges: the backend gives no phoneme timings; word timings are estimated from character counts over the
voiced span (``extras["timings_estimated"] = True``), and `neutral_reference` renders the same text, voice and
seed with the neutral description, so a speaker-normalised critic measures the emotion, not the voice.

GPU: fp16 on CUDA (fp32 on CPU), accelerate's ``enable_model_cpu_offload()`` with ``offload``, xformers attention
where it imports, else torch's scaled-dot-product attention (diffusers' default processor).

Licences: the AudioLDM 2 family on the Hub (cvssp/audioldm2, -large, -music) is CC BY-NC-SA 4.0, non-commercial;
the speech checkpoints' own cards, and the data they learnt from, are in `LICENCES` and
generators/cards/speech-diffusion.md. Provenance records the model and its licence (config ``licence``
overrides the table).
"""
from __future__ import annotations

import inspect
import json
import math
import os
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np

from conditioning import Emotion
from conditioning.media import Audio
from conditioning.registry import BackendUnavailable, WrongModel, check_ranges
from conditioning.weights import torch_threads
from conditioning.vocabulary import NEUTRAL, VOCABULARY
from generators.base import GenerationError, GenerationRequest, GenerationResult, check_options, next_seed, option_number
from generators.diffusers_common import DiffusersBackend, combine_noise, va_cell
from generators.diffusers_common import licence_for as _licence_for

from .reading import spoken
from .text import check_text, estimate_word_timings, language_note, text_note

MODEL_ENV = "EMOSTUDIO_TTS_MODEL"
KEY = "speech/diffusion"
#: GPT-2 steps for the text-to-speech checkpoints (the pipeline's docstring: "Must set max_new_tokens equal to
#: 512 for TTS"); the sound/music checkpoints use 8.
TTS_NEW_TOKENS = 512

NON_COMMERCIAL = "CC BY-NC-SA 4.0: non-commercial use only (the cvssp/audioldm2 family's card; check your copy's card)"
GIGASPEECH = ("Hub card (anhnct/audioldm2_gigaspeech): CreativeML OpenRAIL-M, use restrictions apply; trained on "
              "GigaSpeech, whose audio SpeechColab grants for non-commercial research and education only: treat the "
              "output as non-commercial (check your copy's card)")
LJSPEECH = ("Hub card (anhnct/audioldm2_ljspeech): CreativeML OpenRAIL-M, use restrictions apply (earlier revisions "
            "said Apache-2.0); trained on LJ Speech (public domain); check your copy's card")
#: Checkpoint licences by a name fragment of the folder or its ``_name_or_path`` (first match wins).
LICENCES: tuple[tuple[str, str], ...] = (
    ("gigaspeech", GIGASPEECH), ("ljspeech", LJSPEECH),
    ("audioldm2-large", NON_COMMERCIAL), ("audioldm2-music", NON_COMMERCIAL), ("audioldm2", NON_COMMERCIAL),
)


@dataclass(frozen=True)
class DiffusionSpeechConfig:
    """Settings of the diffusion speech backend.

    - `model`: a local AudioLDM 2 text-to-speech folder (None: `$EMOSTUDIO_TTS_MODEL`); `variant`: weight-file
      variant to load (e.g. "fp16");
    - sampling: `steps` (200, the pipeline's default), `guidance_scale` (3.5, the pipeline's; <= 1 turns
      classifier-free guidance off), `max_new_tokens` (GPT-2 steps; None: 512, as the TTS checkpoints need),
      `negative_prompt` (the unconditional description; None: empty, as the pipeline does);
    - voice: `speaker` opens every description ("A man" -> "A man speaking in a trembling, fearful voice");
    - emotion: `top_k` terms of a mix get their own condition;
    - length: a request's ``duration_s``, else an estimate from the words (`estimate_duration`), at most
      `max_duration_s`; `max_chars` of text per request;
    - hardware: `dtype` "auto" (fp16 on CUDA, fp32 on CPU) or "float16"/"bfloat16"/"float32"; `device` "auto"
      (CUDA when available) or a torch device; `offload`: accelerate's model CPU offload on a GPU; `threads` on
      the CPU;
    - `licence`: overrides the licence recorded in the provenance (else from the checkpoint table).
    """

    model: str | None = None
    variant: str | None = None
    steps: int = 200
    guidance_scale: float = 3.5
    max_new_tokens: int | None = None
    negative_prompt: str | None = None
    speaker: str = "A man"
    top_k: int = 3
    max_duration_s: float = 30.0
    max_chars: int = 400
    dtype: str = "auto"
    device: str = "auto"
    offload: bool = False
    threads: int = 1
    licence: str | None = None

    def __post_init__(self) -> None:
        """Values in range, or a `GenerationError` naming the field (max_duration_s=0 was a RuntimeError from a
        convolution; top_k=0 dropped the emotion and spoke neutral)."""
        check_ranges(KEY, self, (("steps", 1, 1000), ("guidance_scale", 0, 50), ("top_k", 1, 41),
                                 ("max_duration_s", 0.5, 600), ("max_chars", 1, 100_000), ("threads", 0, 256),
                                 *((("max_new_tokens", 1, 2048),) if self.max_new_tokens is not None else ())),
                     whole=("steps", "top_k", "max_chars", "threads", "max_new_tokens"), error=GenerationError)


OPTIONS = {"voice": "who speaks: the start of each description, e.g. 'A woman' or 'A female reporter'",
           "steps": "denoising steps (default: the config's)",
           "guidance_scale": "classifier-free guidance scale; <= 1 turns guidance off",
           "negative_prompt": "description to steer away from (the unconditional prompt)",
           "max_new_tokens": "GPT-2 steps of the language model (text-to-speech checkpoints: 512)"}

# ----------------------------------------------------------------------------------- emotion -> description
#: The adjective that names each vocabulary term in a description of a voice.
ADJECTIVE = {"neutral": "neutral", "joy": "joyful", "sadness": "sad", "anger": "angry", "fear": "fearful",
             "disgust": "disgusted", "surprise": "surprised", "contempt": "contemptuous", "calm": "calm",
             "contentment": "contented", "tenderness": "tender", "excitement": "excited", "boredom": "bored",
             "anxiety": "anxious", "nostalgia": "nostalgic", "awe": "awed", "serenity": "serene", "love": "loving",
             "pride": "proud", "shame": "ashamed", "guilt": "guilty", "frustration": "frustrated", "hope": "hopeful",
             "amusement": "amused", "melancholy": "melancholic", "grief": "grieving", "rage": "furious",
             "terror": "terrified", "triumph": "triumphant", "relief": "relieved", "loneliness": "lonely",
             "tension": "tense", "enthusiasm": "enthusiastic", "despair": "despairing", "elation": "elated",
             "irritation": "irritated", "gratitude": "grateful", "longing": "wistful", "confusion": "confused",
             "interest": "interested", "fatigue": "tired"}
#: The manner of speaking, on a 3 x 3 valence x arousal grid (split at +-0.25), after the vocal profiles of
#: Scherer (2003) and Juslin & Laukka (2003): arousal raises loudness, rate and pitch (high: loud, fast;
#: low: soft, slow); at high arousal negative valence sounds harsh or tense, positive valence lively.
#: Grid index: [arousal row: -, 0, +][valence column: -, 0, +].
MANNER_GRID = (("slow", "soft", "gentle"),
               ("tense", "steady", "warm"),
               ("harsh", "fast", "lively"))
#: The basic emotions' own manners (Scherer 2003: anger loud; fear trembling, high; sadness slow and quiet;
#: joy bright; disgust low; surprise rising; boredom monotone), which the grid would blur.
MANNER = {"joy": "bright", "sadness": "quiet", "anger": "loud", "fear": "trembling", "disgust": "low",
          "surprise": "rising", "contempt": "sneering", "boredom": "monotone", "anxiety": "hurried",
          "rage": "shouting", "terror": "shaking", "grief": "breaking", "excitement": "fast", "calm": "soft"}
SPEAKER_RE = re.compile(r"^[A-Za-z][A-Za-z '\-]{0,59}$")


def manner_of(label: str) -> str:
    """The manner of speaking for a vocabulary term: its own (basic emotions), else its VA cell's."""
    if label in MANNER:
        return MANNER[label]
    if label == NEUTRAL or label not in VOCABULARY:
        return MANNER_GRID[1][1]
    v, a, _ = VOCABULARY[label].mean
    return MANNER_GRID[va_cell(a)][va_cell(v)]


def describe(label: str, speaker: str = "A man") -> str:
    """The description of one condition: "{speaker} speaking in a {manner}, {adjective} voice"."""
    manner, adjective = manner_of(label), ADJECTIVE.get(label, label)
    quality = adjective if manner == adjective else f"{manner}, {adjective}"
    return f"{speaker} speaking in a {quality} voice"


def estimate_duration(text: str) -> float:
    """Seconds to leave for ``text``: 0.4 s per word (150 words a minute) plus 0.8 s of margin."""
    return 0.8 + 0.4 * len(re.findall(r"\S+", text))


@dataclass(frozen=True)
class Condition:
    """One condition of the mixed sampling pass: its term, description, weight and VA coordinates."""

    label: str
    description: str
    weight: float
    valence: float
    arousal: float


@dataclass(frozen=True)
class Encoded:
    """Conditioning for the UNet, one row per condition: ``generated`` (k, L, D) the language model's states
    (cross-attention 1), ``hidden`` (k, T, H) the VITS encoder's states of the transcription (cross-attention
    2) and their ``mask`` (k, T); the ``negative_*`` rows (1, ...) are the unconditional condition (None when
    guidance is off)."""

    generated: Any
    hidden: Any
    mask: Any
    negative_generated: Any = None
    negative_hidden: Any = None
    negative_mask: Any = None


def licence_for(folder: str | os.PathLike, index: Mapping[str, Any] | None = None) -> str:
    """The checkpoint's licence from its name (`LICENCES`), else a pointer to its model card."""
    return _licence_for(folder, index, LICENCES)


def _component(index: Mapping[str, Any], name: str) -> str:
    entry = index.get(name) or [None, None]
    return str(entry[1]) if isinstance(entry, (list, tuple)) and len(entry) == 2 else ""


# ------------------------------------------------------------------------------------------ the backend


class DiffusionSpeech(DiffusersBackend):
    """AudioLDM 2 text-to-speech with EmoMix-style emotion mixing (registry key ``speech/diffusion``)."""

    modality = "speech"
    name = "diffusion"
    #: the request fields it reads beyond speech's text and trajectory (`studio.studio.READS`): the take's length,
    #: which the pipeline samples to (the WORLD voices speak their words at their own pace)
    extra_reads = frozenset({"duration_s"})
    KEY, MODEL_ENV, CONFIG, LICENCES = KEY, MODEL_ENV, DiffusionSpeechConfig, LICENCES
    #: another seed draws another voice: the loop reads a take of a new seed against that seed's neutral take
    seed_changes_voice = True
    WEIGHTS = ("local AudioLDM 2 text-to-speech weights (a diffusers snapshot, e.g. anhnct/audioldm2_gigaspeech or "
               "anhnct/audioldm2_ljspeech)")
    REQUIRES = ("torch", "diffusers", "transformers")

    @classmethod
    def can_run(cls, model: str | os.PathLike | None = None) -> bool:
        """Whether `auto` may pick this backend: torch, diffusers and transformers are installed and ``model``
        (else ``$EMOSTUDIO_TTS_MODEL``) is a diffusers folder whose ``model_index.json`` names an AudioLDM 2
        pipeline with a VITS text encoder; checked without importing torch."""
        folder = cls.weights_folder(model)
        if folder is None:
            return False
        try:
            index = json.loads((folder / "model_index.json").read_text())
        except (OSError, ValueError):
            return False
        return index.get("_class_name") == "AudioLDM2Pipeline" and _component(index, "text_encoder_2") == "VitsModel"

    def check_index(self, folder, index) -> None:
        """An AudioLDM 2 text-to-speech pipeline: a VITS second text encoder (the sound and music checkpoints have
        another)."""
        if index.get("_class_name") != "AudioLDM2Pipeline":
            raise WrongModel(f"{KEY} runs AudioLDM 2 text-to-speech pipelines; {self.named(folder)} holds a "
                             f"{index.get('_class_name') or 'unknown'} pipeline")
        if _component(index, "text_encoder_2") != "VitsModel":
            raise WrongModel(
                f"{KEY}: {folder} is an AudioLDM 2 sound/music checkpoint (second text encoder "
                f"{_component(index, 'text_encoder_2') or 'missing'}); speech needs the text-to-speech layout "
                "with a VitsModel as text_encoder_2 (e.g. anhnct/audioldm2_gigaspeech)")

    def _from_folder(self, folder, index: dict, torch, dtype):
        """Step 0: an AudioLDM 2 text-to-speech pipeline (a VITS second encoder), loaded."""
        import diffusers
        import transformers

        kwargs = self._pretrained_kwargs(dtype)  # (`check_index` refused any other layout)
        try:
            if _component(index, "language_model") != "GPT2LMHeadModel":  # the published layout: a bare GPT2Model
                lm_kwargs = {k: v for k, v in kwargs.items() if k != "variant"}
                kwargs["language_model"] = transformers.GPT2LMHeadModel.from_pretrained(
                    str(folder / "language_model"), **lm_kwargs)
            return diffusers.AudioLDM2Pipeline.from_pretrained(str(folder), **kwargs)
        except (OSError, ValueError) as exc:
            raise self._load_failed(folder, exc) from None

    # ---- 1. conditions -------------------------------------------------------------------------------------
    def conditions(self, weights: Mapping[str, float], speaker: str | None = None) -> list[Condition]:
        """Step 1b: one `Condition` per weighted term, with its description and VA coordinates."""
        speaker = self.check_speaker(speaker or self.config.speaker)
        out = []
        for label, w in weights.items():
            v, a = (0.0, 0.0) if label == NEUTRAL else VOCABULARY[label].mean[:2]
            out.append(Condition(label, describe(label, speaker), float(w), float(v), float(a)))
        return out

    @staticmethod
    def check_speaker(speaker: str) -> str:
        from generators.registry import VOICE_BACKENDS

        text = " ".join(str(speaker).split())
        if text.lower() in VOICE_BACKENDS:  # "joe speaking in a bright, joyful voice" was the description
            raise GenerationError(f"voice {speaker!r} is the {VOICE_BACKENDS[text.lower()]} backend's built-in voice; "
                                  f"{KEY}'s voice is a short description of who speaks, e.g. 'A man' or 'A woman' "
                                  f"(or leave --backend on auto for {text.lower()})")
        if not SPEAKER_RE.match(text):
            raise GenerationError(f"voice {speaker!r} must be a short description of who speaks (letters, spaces, "
                                  "hyphens; up to 60 characters), e.g. 'A woman' or 'A female reporter'")
        return text

    def check_text_fits(self, text: str, descriptions: Sequence[str] = ()) -> None:
        """The transcription must fit the VITS tokenizer (with room for the end token the pipeline writes) and
        each description the CLAP tokenizer, or words would be cut silently."""
        pipe = self.load()
        try:
            with self._run_lock:  # the tokenizers' settings are shared with a request being encoded (`render`)
                n = len(pipe.tokenizer_2(text).input_ids)
        except ImportError as exc:  # VitsTokenizer(phonemize=True) needs phonemizer and espeak-ng
            raise BackendUnavailable(f"{KEY}: this checkpoint's transcription tokenizer phonemises text and needs "
                                     f"{exc}; install the Python package 'phonemizer' and espeak-ng") from None
        limit = int(pipe.tokenizer_2.model_max_length)
        if n >= limit:
            raise GenerationError(f"the text is {n} tokens for this model's transcription encoder, which reads "
                                  f"fewer than {limit}: split it into several requests")
        for d in descriptions:
            with self._run_lock:
                m, lim = len(pipe.tokenizer(d).input_ids), int(pipe.tokenizer.model_max_length)
            if m > lim:
                raise GenerationError(f"the description {d!r} is {m} tokens; the description encoder reads "
                                      f"{lim}: shorten the voice")

    # ---- 2. encode -----------------------------------------------------------------------------------------
    def language_steps(self, max_new_tokens: int | None = None) -> int:
        """GPT-2 steps: the argument, else the config's, else 512 (the text-to-speech checkpoints' value); refused
        where they would run past the language model's position embeddings."""
        n = max_new_tokens if max_new_tokens is not None else self.config.max_new_tokens
        n = int(TTS_NEW_TOKENS if n is None else n)
        pipe = self.load()
        lm = pipe.language_model.config
        positions = getattr(lm, "n_positions", None) or getattr(lm, "max_position_embeddings", None)
        taken = 5 + int(pipe.tokenizer_2.model_max_length)  # CLAP feature + VITS states, each with SOS/EOS
        if positions and taken + n - 1 > int(positions):
            raise GenerationError(f"max_new_tokens {n} is more than this language model allows: {positions} "
                                  f"positions, {taken} taken by the description and the transcription, so at most "
                                  f"{int(positions) - taken + 1}")
        return n

    def encode(self, descriptions: Sequence[str], transcription: str, *, guidance: bool = True,
               negative_prompt: str | None = None, max_new_tokens: int | None = None) -> Encoded:
        """Step 2: each description with the transcription through the pipeline's `encode_prompt` (CLAP text
        features, VITS encoder states, projection, `generate_language_model`); with ``guidance`` also the
        unconditional row, as the pipeline builds it (empty or negative description, zero VITS states under a
        zero mask). ``encode_prompt`` returns the unconditional rows first, one per condition, all alike: the
        first is kept."""
        import torch

        pipe = self.load()
        k = len(descriptions)
        neg = [negative_prompt] * k if negative_prompt else None
        with torch.no_grad():
            hidden, mask, generated = pipe.encode_prompt(
                list(descriptions), self._device(pipe), 1, guidance, transcription=[transcription] * k,
                negative_prompt=neg, max_new_tokens=self.language_steps(max_new_tokens))
        if not guidance:
            return Encoded(generated, hidden, mask)  # (k, L, D), (k, T, H), (k, T)
        return Encoded(generated[k:], hidden[k:], mask[k:], generated[:1], hidden[:1], mask[:1])

    # ---- 3. latents ----------------------------------------------------------------------------------------
    def frames(self, duration_s: float) -> tuple[int, int]:
        """(mel frames, waveform samples) for ``duration_s``, as the pipeline computes them: frames rounded up
        to a multiple of the VAE factor, the waveform cut back to the requested length afterwards."""
        pipe = self.load()
        voc = pipe.vocoder.config
        per_frame = float(np.prod(voc.upsample_rates)) / voc.sampling_rate  # seconds per mel frame
        height = int(duration_s / per_frame)
        f = int(pipe.vae_scale_factor)
        if height % f:
            height = int(math.ceil(height / f)) * f
        return height, int(duration_s * voc.sampling_rate)

    def duration_range(self) -> tuple[float, float]:
        pipe = self.load()
        voc = pipe.vocoder.config
        shortest = float(np.prod(voc.upsample_rates)) / voc.sampling_rate * int(pipe.vae_scale_factor)
        return shortest, float(self.config.max_duration_s)

    def prepare_latents(self, generator, height: int, scheduler):
        """Step 3: noise (1, C, frames / f, mel bins / f) drawn from ``generator`` (a CPU ``torch.Generator``)
        as the pipeline's `prepare_latents` draws it, scaled by ``scheduler``'s initial sigma. (The pipeline's
        own method scales by the shared scheduler, which per-request sampling never touches.)"""
        from diffusers.utils.torch_utils import randn_tensor

        pipe = self.load()
        f = int(pipe.vae_scale_factor)
        shape = (1, int(pipe.unet.config.in_channels), height // f, int(pipe.vocoder.config.model_in_dim) // f)
        latents = randn_tensor(shape, generator=generator, device=self._device(pipe), dtype=pipe.unet.dtype)
        return latents * scheduler.init_noise_sigma

    # ---- 4. denoise ----------------------------------------------------------------------------------------
    def predict_noise(self, latents, t, encoded: Encoded, weights: Sequence[float], guidance: float,
                      scheduler=None):
        """Step 4: one UNet call on the batch [uncond, cond_1..cond_k] (uncond only when guidance > 1), then
        `combine_noise`. ``latents`` (1, C, h, w); returns the combined noise (1, C, h, w)."""
        import torch

        pipe = self.load()
        cfg = guidance > 1.0
        gen, hid, mask = encoded.generated, encoded.hidden, encoded.mask
        if cfg:
            if encoded.negative_generated is None:
                raise ValueError("guidance > 1 needs the unconditional row: encode with guidance=True")
            gen = torch.cat([encoded.negative_generated, gen])  # (n, L, D)
            hid = torch.cat([encoded.negative_hidden, hid])  # (n, T, H)
            mask = torch.cat([encoded.negative_mask, mask])  # (n, T)
        n = gen.shape[0]
        x = latents.repeat(n, 1, 1, 1)  # (n, C, h, w)
        if scheduler is not None:
            x = scheduler.scale_model_input(x, t)
        eps = pipe.unet(x, t, encoder_hidden_states=gen, encoder_hidden_states_1=hid, encoder_attention_mask_1=mask,
                        return_dict=False)[0]  # (n, C, h, w)
        if cfg:
            return combine_noise(eps[:1], eps[1:].unsqueeze(1), weights, guidance)
        return combine_noise(None, eps.unsqueeze(1), weights, 1.0)

    # ---- 5. decode, 6. vocode ------------------------------------------------------------------------------
    def decode(self, latents):
        """Step 5: the VAE decodes the latent (divided by its scaling factor) to a mel spectrogram (1, 1, T, M)."""
        vae = self.load().vae
        return vae.decode(1 / vae.config.scaling_factor * latents).sample

    def vocode(self, mel, samples: int | None = None) -> np.ndarray:
        """Step 6: the pipeline's vocoder (`mel_spectrogram_to_waveform`), float32 on the CPU, cut to
        ``samples``."""
        wave = self.load().mel_spectrogram_to_waveform(mel)  # (1, n)
        return wave[0, :samples].numpy().astype(np.float32)

    def render(self, conditions: Sequence[Condition], text: str, *, seed: int = 0, steps: int | None = None,
               guidance_scale: float | None = None, duration_s: float | None = None,
               negative_prompt: str | None = None, max_new_tokens: int | None = None) -> tuple[Audio, dict]:
        """Steps 2-6 for given conditions and words: encode, one mixed sampling pass, decode, vocode. Returns the
        audio and what was used (the extras of a result)."""
        import torch

        cfg = self.config
        if not conditions:
            raise GenerationError("no conditions to render")
        steps = int(cfg.steps if steps is None else steps)
        guidance = float(cfg.guidance_scale if guidance_scale is None else guidance_scale)
        negative = cfg.negative_prompt if negative_prompt is None else negative_prompt
        tokens = self.language_steps(max_new_tokens)
        duration = float(estimate_duration(text) if duration_s is None else duration_s)
        shortest, longest = self.duration_range()
        duration = min(longest, max(shortest, duration))
        pipe = self.load()
        height, samples = self.frames(duration)
        weights = [c.weight for c in conditions]
        device = self._device(pipe)
        with self._run_lock, torch.no_grad(), torch_threads(cfg.threads if str(device) == "cpu" else None):
            t0 = time.perf_counter()
            enc = self.encode([c.description for c in conditions], text, guidance=guidance > 1.0,
                              negative_prompt=negative or None, max_new_tokens=tokens)
            t1 = time.perf_counter()
            scheduler = self.fresh_scheduler()
            scheduler.set_timesteps(steps, device=device)
            gen = torch.Generator(device="cpu").manual_seed(int(seed) & 0x7FFFFFFFFFFFFFFF)
            latents = self.prepare_latents(gen, height, scheduler)
            params = set(inspect.signature(scheduler.step).parameters)
            extra = {k: v for k, v in (("eta", 0.0), ("generator", gen)) if k in params}
            for t in scheduler.timesteps:
                eps = self.predict_noise(latents, t, enc, weights, guidance, scheduler)
                latents = scheduler.step(eps, t, latents, **extra, return_dict=False)[0]
            t2 = time.perf_counter()
            wave = self.vocode(self.decode(latents), samples)
            if hasattr(pipe, "maybe_free_model_hooks"):
                pipe.maybe_free_model_hooks()
            t3 = time.perf_counter()
        audio = Audio(np.clip(wave, -1.0, 1.0), int(pipe.vocoder.config.sampling_rate))
        info = {"descriptions": [{"label": c.label, "description": c.description, "weight": round(c.weight, 6)}
                                 for c in conditions],
                "mix_weights": {c.label: c.weight for c in conditions}, "steps": steps, "guidance_scale": guidance,
                "max_new_tokens": tokens, "duration_s": round(duration, 4), "negative_prompt": negative or "",
                "timings": {"encode_s": t1 - t0, "denoise_s": t2 - t1, "decode_s": t3 - t2}}
        return audio, info

    # ---- generate ------------------------------------------------------------------------------------------
    def check(self, request: GenerationRequest) -> dict:
        """The request's settings: options (see ``OPTIONS``) over the config."""
        opts = check_options(request, OPTIONS, KEY, self.config)
        cfg = self.config
        steps = option_number(opts.get("steps", cfg.steps), "steps", 1, 1000, integer=True)
        tokens = opts.get("max_new_tokens", cfg.max_new_tokens)
        if tokens is not None:
            tokens = option_number(tokens, "max_new_tokens", 1, 2048, integer=True)
        guidance = option_number(opts.get("guidance_scale", cfg.guidance_scale), "guidance_scale", 0, 50)
        negative = opts.get("negative_prompt")
        if negative is not None and not isinstance(negative, str):
            raise GenerationError("negative_prompt must be text")
        out = {"steps": int(steps), "guidance_scale": guidance, "negative_prompt": negative,
               "max_new_tokens": None if tokens is None else int(tokens), "duration_s": None}
        if request.duration_s is not None:
            d = float(request.duration_s)
            shortest, longest = self.duration_range()
            if not (math.isfinite(d) and shortest <= d <= longest):
                raise GenerationError(f"speech duration {d:g} s is out of range: {KEY} writes {shortest:g} to "
                                      f"{longest:g} s with this model")
            out["duration_s"] = d
        return out

    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        settings = self.check(request)
        text = check_text(request.text, max_chars=self.config.max_chars)
        speaker = self.check_speaker((request.options or {}).get("voice") or self.config.speaker)
        pipe = self.load()
        scale = float(request.controls.get("emotion_scale", 1.0))
        if not (math.isfinite(scale) and 0.0 <= scale <= 3.0):
            raise GenerationError(f"emotion_scale {scale:g} must be in [0, 3]")
        weights = self.mix_weights(request.emotion, scale=scale)
        conds = self.conditions(weights, speaker)
        said = spoken(text)  # its English phonemizer is espeak's, as Piper's: money, times, dates as a reader says
        self.check_text_fits(said, [c.description for c in conds])  # them (`reading.spoken`)
        t1 = time.perf_counter()
        audio, info = self.render(conds, said, seed=request.seed, **settings)
        timings = {"load_s": t1 - t0, **info.pop("timings")}
        timings["total_s"] = time.perf_counter() - t0
        controls = {"descriptions": [c.description for c in conds], "mix": info["mix_weights"], "voice": speaker,
                    "emotion_scale": scale, "steps": info["steps"], "guidance_scale": info["guidance_scale"],
                    "max_new_tokens": info["max_new_tokens"], "duration_s": info["duration_s"]}
        extras = {**info, "phonemes": [], "timings_estimated": True,
                  "words": estimate_word_timings(text, audio.samples, audio.rate), "text": text, "voice": speaker,
                  "trajectory": "utterance-level only" if request.trajectory is not None else None}
        # the published speech checkpoints (GigaSpeech, LJSpeech) are English, and their VITS text encoder reads
        # English phonemes: a text in another language comes out with English sounds, as from the Piper voices
        note = language_note(text, "en", "for another language use XTTS (emostudio generate speech --backend coqui; it reads 17 "
                                                   "languages)")
        notes = [n for n in (text_note(request.text), note) if n]
        if notes:
            extras["notes"] = notes
        prov = self.provenance(pipe, request.seed)
        return GenerationResult(audio, controls, prov, timings, extras)

    def neutral_reference(self, request: GenerationRequest) -> Audio:
        """The same text, voice, seed and settings with the neutral description alone: what the speech judges
        measure a take against (the same voice, no emotion)."""
        return self.generate(replace(request, emotion=Emotion.neutral(), trajectory=None, controls={})).media

    # ---- closed loop ---------------------------------------------------------------------------------------
    def correct(self, request: GenerationRequest, target: Emotion, reading) -> GenerationRequest:
        """The next take: where the judges heard less emotion than asked for (a shorter VA vector), push the
        emotion's weights beyond the mix (``emotion_scale``, up to 2.5: the neutral weight turns negative,
        steering away from neutral); from the second correction on also take the next seed, since the draw
        matters as much as the weights and the loop keeps the best take."""
        c = dict(request.controls)
        take = int(c.get("take", 0)) + 1
        shortfall = math.hypot(*target.va) - math.hypot(float(reading.valence), float(reading.arousal))
        scale = float(c.get("emotion_scale", 1.0)) + max(0.0, shortfall)
        new = request.with_controls(emotion_scale=round(min(2.5, max(1.0, scale)), 4), take=take)
        return replace(new, seed=next_seed(request.seed)) if take >= 2 else new


__all__ = ["Condition", "DiffusionSpeech", "DiffusionSpeechConfig", "Encoded", "combine_noise", "describe",
           "estimate_duration", "licence_for"]
