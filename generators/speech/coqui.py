"""XTTS-v2 (coqui-tts) conditioned on emotional reference clips: ``speech/coqui`` (optional extra ``coqui``).

How the emotion gets in: XTTS clones a voice from reference audio through two conditioning signals, the GPT
conditioning latents (speaking style, prosody) and the speaker embedding (timbre) (Casanova et al. 2024). Given
reference clips of one speaker per emotion label (e.g. the same actor's RAVDESS or EmoDB takes), the adapter
computes each label's latents once, then mixes them by the requested emotion's weights, and blends with the
neutral clips' latents by intensity, as EmoMix (Tang et al. 2023) mixes emotion embeddings and blends with
neutral for intensity. Labels of the request that have no clips are mapped to the nearest label that has
clips, in VAD space. The prosody mapping's rate control becomes XTTS's ``speed``.

Not run here (stated in the card): the XTTS-v2 weights (about 1.8 GB, Coqui Public Model License,
non-commercial) are not on this machine and are never downloaded at run time. The adapter is tested with a
tiny, randomly initialised `Xtts` built from coqui-tts's own `XttsConfig`, saved as a checkpoint folder and
loaded by `_load_xtts` (tests/test_speech_coqui.py), and the mixing math on arrays.

Machine facts (DESIGN.md section 6): ``import TTS`` needs torchaudio, whose compiled libraries may fail to
load; this adapter therefore reads clips with soundfile, resamples with scipy and passes tensors, and never
calls torchaudio's I/O (`.ci/torchaudio_pure_python.py` sets aside the CUDA-only compiled parts that
cannot load beside a CPU torch). coqui-tts 0.28's XTTS decoding needs transformers < 5.24 (pinned in the
extra). Timings: XTTS gives none, so word timings are estimated from character counts over the
voiced span (``extras["timings_estimated"] = True``) and phonemes are not given.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from conditioning import VOCABULARY, Emotion
from conditioning.language import other_language, other_script
from conditioning.media import Audio, load_audio
from conditioning.registry import check_ranges, configure
from generators.base import (GenerationError, GenerationRequest, GenerationResult, Provenance, check_options,
                             package_version)

from . import prosody as P
from .text import check_text, estimate_word_timings, text_note  # noqa: F401  (estimate_word_timings: public here too)

LICENCE = "XTTS-v2 weights: Coqui Public Model License 1.0.0 (non-commercial); coqui-tts code MPL-2.0"
OPTIONS = {"references": "emotion label -> recordings of the voice to clone (--voice-clip LABEL=WAV)",
           "language": "the text's language, one XTTS-v2 speaks (en, de, fr, ...), or auto (the default: langid's)"}
#: The languages XTTS-v2 speaks (its `XttsConfig.languages`); a checkpoint's own config may list others.
XTTS_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "pl", "tr", "ru", "nl", "cs", "ar", "zh-cn", "hu", "ko", "ja", "hi")
GPT_RATE, SPEAKER_RATE, OUTPUT_RATE = 22050, 16000, 24000


@dataclass(frozen=True)
class CoquiSpeechConfig:
    """- `model_dir`: a local XTTS-v2 checkpoint folder (config.json, model.pth, vocab.json);
    - `references`: emotion label -> reference clips (paths) of one speaker; ``neutral`` is required for
      intensity blending (``options["references"]`` overrides per request);
    - `language`: the text's language, one XTTS-v2 speaks (`XTTS_LANGUAGES`), or "auto" (`language_for`);
      ``options["language"]`` overrides it per request;
    - `temperature`: XTTS's sampling temperature; `device`: "auto" (CUDA when a GPU is visible, as the other neural
      backends choose), "cpu" or "cuda[:N]"."""

    model_dir: str | None = None
    references: Mapping[str, Sequence[str]] = field(default_factory=dict)
    language: str = "auto"
    temperature: float = 0.65
    device: str = "auto"
    max_chars: int = 400

    def __post_init__(self) -> None:
        """Values in range, or a `GenerationError` naming the field (temperature=-1 was transformers' ValueError)."""
        check_ranges("speech/coqui", self, (("temperature", 0.01, 10), ("max_chars", 1, 100_000)), whole=("max_chars",),
                     error=GenerationError)


#: Languages XTTS-v2's tokenizer reads only through a module it imports then, and what installs it: Chinese
#: through pypinyin (in the `coqui` extra), Japanese through cutlet and its dictionary (about 250 MB; not in it)
NEEDS = {"ja": ("cutlet", "cutlet unidic-lite"), "zh-cn": ("pypinyin", "pypinyin")}


def _readable(language: str) -> str:
    """``language`` when XTTS's tokenizer can read it here, else a `GenerationError` naming what to install (the
    tokenizer's own ImportError came out of the middle of a take)."""
    import importlib.util

    module, install = NEEDS.get(language, (None, None))
    if module and importlib.util.find_spec(module) is None:
        raise GenerationError(f"XTTS reads {language} text through {module}, which is not installed: "
                              f"pip install {install}")
    return language


# ---- the mixing math (pure, tested without the model) ------------------------------------------------------


def nearest_with_clips(label: str, available: Sequence[str]) -> str:
    """The available label closest to ``label`` in VAD space (itself when available)."""
    if label in available:
        return label
    if not available:
        raise GenerationError("no reference clips given; pass references={label: [wav, ...]} with at least 'neutral'")
    p = np.array(VOCABULARY[label].mean) if label in VOCABULARY else np.zeros(3)
    return min(available, key=lambda a: float(np.linalg.norm(p - np.array(VOCABULARY[a].mean if a in VOCABULARY else (0, 0, 0)))))


def mix_weights(emotion: Emotion, available: Sequence[str]) -> dict[str, float]:
    """Weights over the labels that have clips: the emotion's mix (nearest available label for the others),
    blended with neutral by intensity: ``(1 - i) * neutral + i * mix`` (EmoMix)."""
    if "neutral" not in available:
        raise GenerationError(f"the references need a 'neutral' label (for intensity); got {', '.join(available) or 'none'}")
    non_neutral = {k: w for k, w in emotion.mix.items() if k != "neutral" and w > 0}
    z = sum(non_neutral.values())
    out: dict[str, float] = {"neutral": 1.0 - emotion.intensity if z > 0 else 1.0}
    if z > 0:
        for label, w in non_neutral.items():
            key = nearest_with_clips(label, available)
            out[key] = out.get(key, 0.0) + emotion.intensity * w / z
    total = sum(out.values())
    return {k: v / total for k, v in out.items() if v > 0}


def mix_latents(latents: Mapping[str, tuple[Any, Any]], weights: Mapping[str, float]) -> tuple[Any, Any]:
    """Weighted sum of (gpt_cond_latent, speaker_embedding) pairs; works on numpy arrays and torch tensors.
    The speaker embedding is re-normalised to the weighted mean of the parts' norms, because XTTS's
    speaker encoder emits unit-scale vectors and a convex mix of distinct directions is shorter.

    GPT latents of different lengths are cut to the shortest: XTTS-v2 resamples them to 32 tokens (its perceiver
    resampler), but a checkpoint without it keeps one latent per frame of the clip, and clips differ in length;
    the first frames of a clip's conditioning are a valid, shorter conditioning."""
    shortest = min(latents[label][0].shape[1] for label in weights)
    gpt = spk = None
    norm = 0.0
    for label, w in weights.items():
        g, s = latents[label]
        g = g[:, :shortest]
        gpt = g * w if gpt is None else gpt + g * w
        spk = s * w if spk is None else spk + s * w
        norm += w * float((s * s).sum() ** 0.5)
    length = float((spk * spk).sum() ** 0.5)
    if length > 0:
        spk = spk * (norm / length)
    return gpt, spk


# ---- the generator ------------------------------------------------------------------------------------------


def _check_folder(d: Path) -> None:
    """The caller's folder holds XTTS-v2's files, or the error saying what it holds: checked before torch and TTS
    import (a typo had taken 11 s to refuse; the other backends answer in 0.4 s: an audit)."""
    from conditioning.registry import BackendUnavailable, NoSuchFolder, WrongModel
    from conditioning.weights import held_model

    if d.is_file() or (d / "model_index.json").is_file():  # a file, or a diffusers pipeline: the caller's mix-up
        raise WrongModel(f"speech/coqui: {d} is {'a file' if d.is_file() else 'a diffusers pipeline folder'}, not an "
                         "XTTS-v2 checkpoint folder (config.json, model.pth, vocab.json)")
    missing = [f for f in ("config.json", "model.pth", "vocab.json") if not (d / f).is_file()]
    if not missing:
        return
    held = (held_model(d) or ("", ""))[0]  # another model's folder names its type ("musicgen"); XTTS's config says
    if held and held != "xtts":  # "model": "xtts"
        raise WrongModel(f"speech/coqui: {d} holds a {held} model, not an XTTS-v2 checkpoint folder (config.json, "
                         "model.pth, vocab.json)")
    # a typo, or a folder without XTTS's weights (empty, another model's) is the caller's mistake (exit 2, as the
    # other neural backends say it: it was 1); a checkpoint with its weights but not all its files, the machine's
    error = (NoSuchFolder if not d.exists() else WrongModel if "model.pth" in missing else BackendUnavailable)
    what = "there is no such folder" if not d.exists() else f"no {', '.join(missing)} in it"
    raise error(f"XTTS-v2 weights not found at {d}: {what} (need config.json, model.pth, "
                "vocab.json); Emotion Studio never downloads models: fetch coqui/XTTS-v2 yourself (Coqui Public "
                "Model License, non-commercial) and pass its folder (--model PATH, or model_dir=PATH in Python)")


def _load_xtts(model_dir: str, device: str):
    d = Path(model_dir).expanduser()
    _check_folder(d)
    try:
        import torch  # noqa: F401
        from TTS.tts.configs.xtts_config import XttsConfig
        from TTS.tts.models.xtts import Xtts
    except ModuleNotFoundError as exc:
        from conditioning.registry import BackendUnavailable

        raise BackendUnavailable(f"speech/coqui needs the Python package {exc.name!r}: "
                                 "pip install 'emotion-studio[coqui]'") from None
    except OSError as exc:  # torchaudio 2.11's compiled libraries beside torch 2.13 (the coqui extra's pins): its
        # import fails with "Could not load this library", which had reached the user bare, as a user error
        from conditioning.registry import BackendUnavailable

        raise BackendUnavailable(
            f"speech/coqui cannot import torchaudio here ({str(exc).splitlines()[0]}): the torchaudio that installs "
            "beside torch 2.13 is a build whose compiled libraries do not load with it; XTTS needs only its pure-"
            "Python parts, so run `python .ci/torchaudio_pure_python.py` in the repository (make test does), which "
            "sets those libraries aside") from None
    from conditioning.weights import loading, torch_device

    _, device, _ = torch_device("speech/coqui", device, error=GenerationError)
    with loading("speech/coqui", d, "an XTTS-v2 checkpoint: config.json, model.pth, vocab.json"):
        cfg = XttsConfig()
        cfg.load_json(str(d / "config.json"))
        model = Xtts(cfg)
        model.load_checkpoint(cfg, checkpoint_dir=str(d), use_deepspeed=False)
    model.to(device)
    model.eval()
    return model


class CoquiSpeech:
    """Emotional XTTS-v2 speech by mixing emotional reference clips' conditioning latents."""

    modality = "speech"
    name = "coqui"

    def __init__(self, config: CoquiSpeechConfig | None = None, *, model: Any = None, **overrides: Any) -> None:
        """``model``: a local XTTS-v2 folder (as `model_dir`; what `emostudio generate --model` passes) or a
        loaded `Xtts` (e.g. a tiny test model)."""
        if isinstance(model, (str, os.PathLike)):  # a folder: load lazily from local files
            overrides["model_dir"], model = str(model), None
        self.config = configure(CoquiSpeechConfig, config, overrides, "speech/coqui", GenerationError)
        self._model = model
        self.weights = ""  #: the loaded folder's `conditioning.weights.fingerprint` (none for an in-memory model)
        self._latents: dict[str, tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                if not self.config.model_dir:
                    from conditioning.registry import BackendUnavailable

                    raise BackendUnavailable("speech/coqui needs a local XTTS-v2 checkpoint folder (config.json, "
                                             "model.pth, vocab.json; never downloaded at run time): --model PATH "
                                             "on the command line, model_dir=PATH in Python")
                from conditioning.weights import fingerprint

                self._model = _load_xtts(self.config.model_dir, self.config.device)
                self.weights = fingerprint(Path(self.config.model_dir).expanduser())
            return self._model

    def clip_latents(self, path: str) -> tuple[Any, Any]:
        """(gpt_cond_latent, speaker_embedding) of one clip, cached. Audio via soundfile, tensors to XTTS."""
        key = str(Path(path).expanduser().resolve())
        if key in self._latents:
            return self._latents[key]
        import torch

        try:
            audio = load_audio(key)
        except ValueError as exc:
            raise GenerationError(f"reference clip {path}: {exc}") from None
        a22 = torch.from_numpy(audio.resample(GPT_RATE).samples.copy())[None]  # (1, T)
        a16 = torch.from_numpy(audio.resample(SPEAKER_RATE).samples.copy())[None]
        gpt = self.model.get_gpt_cond_latents(a22, GPT_RATE)
        spk = self.model.get_speaker_embedding(a16, SPEAKER_RATE)
        self._latents[key] = (gpt, spk)
        return gpt, spk

    def label_latents(self, references: Mapping[str, Sequence[str]]) -> dict[str, tuple[Any, Any]]:
        out = {}
        for label, clips in references.items():
            if not clips:
                raise GenerationError(f"reference label {label!r} has no clips")
            parts = [self.clip_latents(c) for c in clips]
            out[label] = mix_latents({str(i): p for i, p in enumerate(parts)}, {str(i): 1 / len(parts) for i in range(len(parts))})
        return out

    def correct(self, request: GenerationRequest, target: Emotion, reading) -> GenerationRequest:
        return replace(request, controls=P.correct_controls(request.controls, target, reading.emotion))

    def language_for(self, text: str, options: Mapping[str, Any] | None = None) -> tuple[str, str | None]:
        """XTTS's language for a text, and a note or None. XTTS must be told the language (it picks the text
        normaliser and the language token its GPT was trained with), and a German text read as English comes out
        with English sounds. ``options["language"]`` or the config's, checked against the checkpoint's languages;
        "auto": the one langid.py reads (`conditioning.language.other_language`: six words or more, or any text
        in another script), English when it finds none, with a note when it finds a Latin-script one XTTS does not
        speak; a text in another script XTTS does not speak (Greek) is refused, as is one it needs a package for
        that is not installed (`NEEDS`)."""
        spoken = tuple(getattr(self.model.config, "languages", None) or XTTS_LANGUAGES)  # the checkpoint's own
        asked = str((options or {}).get("language") or self.config.language)
        if asked != "auto":
            if asked not in spoken:
                raise GenerationError(f"language {asked!r} is not one XTTS-v2 speaks; give one of {', '.join(spoken)} "
                                      "or 'auto' (the text's, as langid reads it)")
            return _readable(asked), None
        found, foreign_letters = other_language(text), other_script(text)  # no English reading of such letters
        if found is None:
            if foreign_letters:
                raise GenerationError("the text's language could not be told (it is not in Latin script, and langid "
                                      f"is unsure); give it, e.g. --option language=ru (one of {', '.join(spoken)})")
            return "en", None
        code = {"zh": "zh-cn"}.get(found.code, found.code)
        if code in spoken:
            return _readable(code), None
        if foreign_letters:
            raise GenerationError(f"the text reads as {found}, which XTTS-v2 does not speak; its languages: "
                                  f"{', '.join(spoken)}")
        return "en", (f"the text reads as {found}, which XTTS-v2 does not speak, so it is read as English; its "
                      f"languages: {', '.join(spoken)}")

    def neutral_reference(self, request: GenerationRequest):
        """The neutral take of the same words in the same voice (the neutral clips' latents alone), which the speech
        judges read each take against, as they read the other voices' takes. Without it the loop read XTTS takes
        alone, where both judges hear a voice's own timbre as emotion, though the card said the neutral clip was
        their reference, and `critique` said this backend made no neutral take."""
        return self.generate(replace(request, emotion=Emotion.neutral(), trajectory=None, controls={})).media

    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        text = check_text(request.text, latin_only=False, max_chars=self.config.max_chars)  # XTTS reads 17 languages
        opts = check_options(request, OPTIONS, "speech/coqui")  # a misspelt option is refused, not ignored
        given = opts.get("references") or self.config.references
        if not isinstance(given, Mapping):  # a path alone was "dictionary update sequence element #0 has length 1"
            raise GenerationError(f"speech/coqui: references must map emotion labels to recordings, e.g. "
                                  f"{{'neutral': ['me.wav'], 'anger': ['me_angry.wav']}}, got {type(given).__name__} "
                                  f"{str(given)[:60]!r}")
        refs = {label: [clips] if isinstance(clips, (str, os.PathLike)) else clips for label, clips in given.items()}
        if not refs:
            raise GenerationError("speech/coqui needs recordings of the voice to clone, one speaker, at least a "
                                  "neutral one: --voice-clip neutral=me.wav [--voice-clip anger=me_angry.wav ...] on "
                                  "the command line, options['references'] = {'neutral': [wav...], ...} in Python")
        unknown = [k for k in refs if k not in VOCABULARY]
        if unknown:
            raise GenerationError(f"unknown reference label(s) {', '.join(unknown)}; use vocabulary labels "
                                  "(see `emostudio emotion --list`)")
        language, note = self.language_for(text, opts)
        notes = [n for n in (text_note(request.text), note) if n]
        emotion = request.emotion
        if request.controls.get("push_colour", 0.0) > 0:  # the loop exaggerates: intensity beyond the target
            emotion = emotion.scaled(min(1.0, emotion.intensity * (1 + request.controls["push_colour"])))
        weights = mix_weights(emotion, list(refs))
        latents = self.label_latents({k: refs[k] for k in weights})
        gpt, spk = mix_latents(latents, weights)
        controls = P.emotion_controls(request.emotion, request.controls)
        speed = float(min(1.5, max(0.7, controls.rate_factor)))
        from conditioning.weights import seeded

        t1 = time.perf_counter()
        with seeded(request.seed):
            out = self.model.inference(text, language, gpt, spk, temperature=self.config.temperature,
                                       speed=speed, enable_text_splitting=True)
        wav = np.asarray(out["wav"].cpu().numpy() if hasattr(out["wav"], "cpu") else out["wav"], dtype=np.float32).reshape(-1)
        t2 = time.perf_counter()
        return GenerationResult(
            Audio(wav, OUTPUT_RATE),
            {"weights": {k: round(v, 4) for k, v in weights.items()}, "speed": round(speed, 4),
             "temperature": self.config.temperature, "language": language},
            Provenance("speech/coqui", "xtts-v2:" + (str(Path(self.config.model_dir).expanduser().resolve())
                                                     if self.config.model_dir else "injected"), LICENCE, request.seed,
                       package_version("coqui-tts"), self.weights),
            {"conditioning_s": t1 - t0, "synthesis_s": t2 - t1, "total_s": t2 - t0},
            {"words": estimate_word_timings(text, wav, OUTPUT_RATE), "phonemes": [], "timings_estimated": True,
             "text": text, **({"notes": notes} if notes else {})})
