"""The neural music generator: MusicGen (Copet et al. 2023) through transformers, local weights only.

Why through transformers: audiocraft pins torch 2.1 and cannot install beside torch 2.13 here (DESIGN.md
section 6); transformers ships the same models (``MusicgenForConditionalGeneration``, and
``MusicgenMelodyForConditionalGeneration`` for the melody variant). Nothing is downloaded: ``model`` is a local
folder (a snapshot of e.g. facebook/musicgen-small) or `$EMOSTUDIO_MUSICGEN`. The MusicGen weights are
licensed CC-BY-NC 4.0 (non-commercial); the provenance of every result says so.

Steps of `generate` (each a public method):
1. `check` the request (duration range, options);
2. `prompt_for`: the text prompt from the emotion - mood words, tempo, mode, dynamics and instruments, this
   backend's own emotion mapping (cue directions after Gabrielsson & Lindstroem 2010 and Eerola, Friberg &
   Bresin 2013, written as the words MusicGen's training captions use), plus the request's own prompt;
3. `melody_chroma` (melody weights only): the chroma of a melody - the request's ``options["melody"]``
   (audio or MIDI) or, by default, the embedded composer's melody for the same emotion and seed, rendered
   and analysed with librosa (transformers' MusicgenMelodyFeatureExtractor needs torchaudio, which does not
   work here; this reproduces its STFT -> chroma filter bank -> one-hot argmax);
4. windows: one generation per window of at most ``window_s`` (30 s, MusicGen's training length); longer
   pieces continue from the last ``context_s`` of audio as an audio prompt (the plain model), or, for the
   melody model (which takes no audio prompt), as separate windows joined by crossfades. A trajectory gives
   each window the prompt of the emotion at its centre;
5. post-process: mono, loudness-normalised to -16 LUFS, trimmed to the duration.
"""
from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from conditioning.media import Audio
from conditioning.registry import BackendUnavailable, NoSuchFolder, WrongModel, check_ranges, configure
from generators.base import (GenerationError, GenerationRequest, GenerationResult, Provenance, check_duration,
                             check_duration_config, check_options, package_version)
from generators.music.theory import MUSICGEN_ENV as MODEL_ENV
from generators.music.theory import MUSICGEN_LICENCE as LICENCE
from generators.music.theory import chroma_one_hot, describe, prompt_text

NEEDS = "a MusicGen snapshot: config.json, the weights (model.safetensors) and the T5 tokenizer (spiece.model or tokenizer.json)"


@dataclass(frozen=True)
class MusicGenConfig:
    """Settings of the MusicGen backend.

    - `model`: a local folder with config, weights and tokenizer (None: `$EMOSTUDIO_MUSICGEN`);
    - sampling: `guidance_scale` (classifier-free guidance, 3.0 as in the paper), `top_k` 250, `temperature`;
    - `window_s`: longest single generation; `context_s`: audio carried into the next window;
      `crossfade_s`: join of independent windows (melody model);
    - `melody`: "auto" conditions a melody model on the composer's melody; "off" never does;
    - hardware: `device` "auto" (CUDA when a GPU is visible) or a torch device; `dtype` "auto" (fp16 on CUDA, fp32
      elsewhere) or "float16"/"bfloat16"/"float32"; `threads` on the CPU;
    - `licence`: recorded in the provenance (the weights' licence).
    """

    model: str | None = None
    guidance_scale: float = 3.0
    top_k: int = 250
    temperature: float = 1.0
    window_s: float = 30.0
    context_s: float = 10.0
    crossfade_s: float = 1.0
    min_duration_s: float = 1.0
    max_duration_s: float = 600.0
    default_duration_s: float = 10.0
    melody: str = "auto"
    device: str = "auto"
    dtype: str = "auto"
    threads: int = 1
    target_lufs: float = -16.0
    licence: str = LICENCE

    def __post_init__(self) -> None:
        """Values in range, or a `GenerationError` naming the field (guidance_scale=-1 was an IndexError inside
        transformers, temperature=0 its ValueError)."""
        check_ranges("music/musicgen", self,
                     (("guidance_scale", 0, 50), ("top_k", 1, 100_000), ("temperature", 0.01, 10), ("window_s", 0.5, 30),
                      ("context_s", 0, 30), ("crossfade_s", 0, 10), ("threads", 0, 256), ("target_lufs", -70, 0)),
                     whole=("top_k", "threads"), error=GenerationError)
        check_duration_config("music/musicgen", self, 3600)
        if self.melody not in ("auto", "off"):  # anything else acted as "auto": a mistyped "of" conditioned on it
            raise GenerationError(f"music/musicgen: melody must be 'auto' or 'off', got {self.melody!r}")


OPTIONS = {"melody": "an Audio, an audio/MIDI file path or a PrettyMIDI whose melody conditions a melody model",
           "prompt_extra": "words appended to the generated prompt"}

# ------------------------------------------------------------------------------------------ the backend


def _melody_source(src) -> str:
    """How a take's report names its conditioning melody: "composer" (the default), the file's name, or the kind
    of object a Python caller gave."""
    import os

    if src is None:
        return "composer"
    if isinstance(src, (str, os.PathLike)):
        return os.path.basename(os.fspath(src))
    return type(src).__name__


class MusicGenMusic:
    """MusicGen / MusicGen-melody (registry key ``music/musicgen``, extra ``neural``)."""

    modality = "music"
    name = "musicgen"

    def __init__(self, config: MusicGenConfig | None = None, *, model: Any = None, tokenizer: Any = None,
                 **overrides: Any) -> None:
        """``model``: a local folder, or an in-memory model (then ``tokenizer`` too), e.g. a tiny test model."""
        if isinstance(model, (str, os.PathLike)):  # a folder: load lazily from local files
            overrides["model"], model = str(model), None
        self.config = configure(MusicGenConfig, config, overrides, "music/musicgen", GenerationError)
        self._model, self._tokenizer = model, tokenizer
        self.weights = ""  #: the loaded folder's `conditioning.weights.fingerprint` (none for an in-memory model)
        self._lock = threading.Lock()
        if model is None and self.model_path:  # a wrong folder is said now, as the diffusers backends say it
            self.model_folder()

    # ---- model ---------------------------------------------------------------------------------------------
    @staticmethod
    def can_run() -> bool:
        """Whether `auto` may pick this backend: torch and transformers import and ``$EMOSTUDIO_MUSICGEN`` names a
        folder whose config.json is a MusicGen's (checked without importing torch)."""
        import importlib.util

        from conditioning.weights import asked_folder, held_model

        path = asked_folder(None, MODEL_ENV)  # a MusicGen's own config (another model's folder, or an empty one,
        held = held_model(path) if path else None  # had passed: a re-audit)
        return bool(held and held[0].startswith("musicgen") and importlib.util.find_spec("torch")
                    and importlib.util.find_spec("transformers"))

    @property
    def model_path(self) -> str | None:
        from conditioning.weights import asked_folder

        return asked_folder(self.config.model, MODEL_ENV)

    def model_folder(self) -> tuple[Path, str]:
        """(folder, model type) of the configured weights, checked without torch: a folder holding a MusicGen
        config and a tokenizer vocabulary; `BackendUnavailable` naming the path (or what to set) otherwise."""
        from conditioning.weights import has_tokenizer, read_json

        path = self.model_path
        if path and Path(path).is_file():
            raise WrongModel(f"music/musicgen: {path} is a file, not a snapshot folder ({NEEDS})")
        if not path or not Path(path).is_dir():
            where = (f"model={path!r} (--model)" if self.config.model else f"${MODEL_ENV}={path!r}") if path else None
            raise (NoSuchFolder if path and not Path(path).exists() else BackendUnavailable)(
                "music/musicgen needs local MusicGen weights: "
                + (f"{where} is not a folder; " if where else f"pass --model FOLDER (Python: model=FOLDER) or set "
                                                               f"${MODEL_ENV}; ")
                + f"point it at a downloaded snapshot (e.g. facebook/musicgen-small or facebook/musicgen-melody; "
                f"{LICENCE}); nothing is downloaded at run time")
        if not (Path(path) / "config.json").is_file():
            raise WrongModel(f"music/musicgen: {path} has no config.json, so it is not a transformers model folder "
                             f"({NEEDS})")  # another model's folder (a diffusers pipeline's): the caller's mistake
        kind = read_json(Path(path) / "config.json", "music/musicgen").get("model_type")
        if kind not in ("musicgen", "musicgen_melody"):
            held = f"a {kind} model" if kind else "a model of no stated type"
            raise WrongModel(f"music/musicgen: {path} holds {held}, not MusicGen ({NEEDS})")
        if self._tokenizer is None and not has_tokenizer(path):
            raise BackendUnavailable(f"music/musicgen: {path} has no tokenizer vocabulary (without it every prompt "
                                     f"word would be <unk> and the emotion prompt lost; {NEEDS})")
        return Path(path), kind

    def load(self):
        """The model and tokenizer (loaded once, from local files only, on the configured device)."""
        with self._lock:
            if self._model is not None and self._tokenizer is not None:
                return self._model, self._tokenizer
            try:
                import torch  # noqa: F401
                import transformers
            except ImportError as exc:
                raise BackendUnavailable(f"music/musicgen needs {exc.name!r}: pip install 'emotion-studio[neural]'") from None
            from conditioning.weights import fingerprint, loading, torch_device

            path, kind = self.model_folder()
            _, device, dtype = torch_device("music/musicgen", self.config.device, self.config.dtype,
                                            error=GenerationError)
            cls = (transformers.MusicgenMelodyForConditionalGeneration if kind == "musicgen_melody"
                   else transformers.MusicgenForConditionalGeneration)
            with loading("music/musicgen", path, NEEDS):
                if self._model is None:
                    self._model = cls.from_pretrained(str(path), local_files_only=True, dtype=dtype).to(device).eval()
                if self._tokenizer is None:
                    self._tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            self.weights = fingerprint(path)
            return self._model, self._tokenizer

    @staticmethod
    def is_melody_model(model) -> bool:
        return getattr(model.config, "model_type", "") == "musicgen_melody"

    # ---- 1. check ------------------------------------------------------------------------------------------
    def check(self, request: GenerationRequest) -> float:
        opts = check_options(request, OPTIONS, "music/musicgen")
        extra = opts.get("prompt_extra")
        if extra is not None and not isinstance(extra, str):  # a number was a TypeError traceback
            raise GenerationError(f"prompt_extra {extra!r} must be text (words appended to the prompt)")
        return check_duration(request, self.config, "music/musicgen")

    # ---- 2. prompt -----------------------------------------------------------------------------------------
    def prompt_for(self, request: GenerationRequest, t: float) -> str:
        extra = " ".join(x for x in (request.prompt, (request.options or {}).get("prompt_extra")) if x)
        return prompt_text(request.emotion_at(t), extra or None)

    # ---- 3. melody -----------------------------------------------------------------------------------------
    def melody_chroma(self, request: GenerationRequest, duration: float, rate: int) -> np.ndarray | None:
        """(frames, 12) chroma of the conditioning melody at the model's rate, or None."""
        if self.config.melody == "off":
            return None
        src = (request.options or {}).get("melody")
        if src is None:  # the embedded composer's melody for this emotion and seed (lazy: only here)
            # (the one place a backend calls another: the composer's tune is this backend's melody conditioning,
            # a take of its own, not a helper the two share, which DESIGN 3 sends to a module of the modality)
            from generators.music.composer import ComposerMusic

            score = ComposerMusic().compose(replace(request, options={}, duration_s=max(duration, 2.0)))
            import pretty_midi

            pm = pretty_midi.PrettyMIDI()
            inst = pretty_midi.Instrument(program=0, name="melody")
            seen = set()
            for track in score.midi.instruments:
                if track.name.startswith("melody"):
                    for n in track.notes:
                        if (n.start, n.pitch) not in seen:
                            seen.add((n.start, n.pitch))
                            inst.notes.append(pretty_midi.Note(100, n.pitch, n.start, n.end))
            pm.instruments.append(inst)
            src = pm
        from conditioning.media import load_audio
        from conditioning.render import render_midi

        if isinstance(src, Audio):
            audio = src.mono()
        elif type(src).__name__ == "PrettyMIDI":
            audio = render_midi(src, rate=rate)
        elif isinstance(src, (str, os.PathLike)):
            audio = render_midi(src, rate=rate) if Path(src).suffix.lower() in (".mid", ".midi") else load_audio(src)
        else:
            raise GenerationError(f"options['melody'] must be Audio, a file path or a PrettyMIDI, got {type(src).__name__}")
        return chroma_one_hot(audio.resample(rate).samples, rate)

    # ---- 4. windows ----------------------------------------------------------------------------------------
    def _generate_window(self, model, tokenizer, text: str, n_frames: int, seed: int, *, prompt_audio=None,
                         chroma: np.ndarray | None = None) -> np.ndarray:
        """One generation: audio (samples,) at the model's rate with ``n_frames`` new codec frames."""
        import torch

        cfg = self.config
        device, dtype = model.device, model.dtype
        inputs = tokenizer([text], return_tensors="pt", padding=True)
        kwargs: dict[str, Any] = {"input_ids": inputs["input_ids"].to(device),
                                  "attention_mask": inputs["attention_mask"].to(device)}
        n_cb = model.decoder.config.num_codebooks
        if prompt_audio is not None:
            x = torch.from_numpy(np.asarray(prompt_audio, dtype=np.float32))[None, None, :]  # (1, 1, T)
            kwargs.update(input_values=x.to(device, dtype), padding_mask=torch.ones_like(x, dtype=torch.long).to(device))
        if chroma is not None:
            kwargs["input_features"] = torch.from_numpy(chroma)[None].to(device, dtype)  # (1, frames, 12)
        from conditioning.weights import seeded, torch_threads

        with seeded(seed), torch_threads(cfg.threads if str(device) == "cpu" else None), torch.no_grad():
            out = model.generate(**kwargs, max_new_tokens=int(n_frames) + n_cb, do_sample=True,
                                 guidance_scale=cfg.guidance_scale, top_k=cfg.top_k, temperature=cfg.temperature)
        return out[0].float().mean(dim=0).cpu().numpy()  # (B=1, C, T) -> mono (T,)

    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        duration = self.check(request)
        model, tokenizer = self.load()
        cfg = self.config
        rate = int(model.config.audio_encoder.sampling_rate)
        frame_rate = float(model.config.audio_encoder.frame_rate)
        melody = self.is_melody_model(model)
        if not melody and (request.options or {}).get("melody") is not None:  # it was dropped without a word
            raise GenerationError("music/musicgen: a melody conditions only a melody model (e.g. facebook/"
                                  "musicgen-melody); this folder holds a plain MusicGen, which reads the prompt alone")
        if not melody and duration > cfg.window_s and not 0 < cfg.context_s < cfg.window_s:
            raise GenerationError(f"context_s ({cfg.context_s:g}) must be > 0 and shorter than window_s ({cfg.window_s:g}) "
                                  "to continue a piece longer than one window")
        chroma = self.melody_chroma(request, duration, rate) if melody else None
        t1 = time.perf_counter()
        n = int(round(duration * rate))
        window = min(cfg.window_s, duration)
        prompts, y = [], np.zeros(0, dtype=np.float32)
        k, first_at = 0, 0.0
        chroma_rate = rate / 4096.0
        while y.size < n:
            start = y.size / rate
            if melody or k == 0:  # a fresh window (melody models take no audio prompt)
                span = min(window, (n - y.size) / rate + (cfg.crossfade_s if k else 0.0))
                w_start = max(0.0, start - (cfg.crossfade_s if k else 0.0))
                text = self.prompt_for(request, w_start + span / 2)
                first_at = w_start + span / 2 if k == 0 else first_at
                seg_chroma = None
                if chroma is not None:
                    a, b = int(w_start * chroma_rate), max(int(w_start * chroma_rate) + 1, int((w_start + span) * chroma_rate))
                    seg_chroma = chroma[a:b] if a < len(chroma) else chroma[-1:]
                part = self._generate_window(model, tokenizer, text, math.ceil(span * frame_rate), request.seed + k,
                                             chroma=seg_chroma)
                if k == 0:
                    y = part
                else:  # equal-power crossfade over the overlap
                    ov = min(int(cfg.crossfade_s * rate), y.size, part.size)
                    u = np.linspace(0, 1, ov, dtype=np.float32)
                    head = y[: y.size - ov]
                    mix = y[y.size - ov:] * np.cos(0.5 * np.pi * u) + part[:ov] * np.sin(0.5 * np.pi * u)
                    y = np.concatenate([head, mix, part[ov:]])
            else:  # continue from the last context_s of audio
                hop = int(round(rate / frame_rate))
                ctx = y[-max(1, int(cfg.context_s * frame_rate)) * hop:]  # whole codec frames
                new = max(1.0 / frame_rate, min(window - cfg.context_s, (n - y.size) / rate))
                text = self.prompt_for(request, start + new / 2)
                part = self._generate_window(model, tokenizer, text, math.ceil(new * frame_rate), request.seed + k,
                                             prompt_audio=ctx)
                if part.size <= ctx.size:
                    raise GenerationError("MusicGen returned no new audio after the audio prompt")
                y = np.concatenate([y, part[ctx.size:]])
            prompts.append({"start_s": round(start, 2), "prompt": text})
            k += 1
            if k > 10000:  # pragma: no cover - a model that returns no audio
                raise GenerationError("MusicGen returned no audio")
        y = y[:n]
        from conditioning.render import normalise_loudness

        y = normalise_loudness(y, rate, cfg.target_lufs, 0.99)
        t2 = time.perf_counter()
        d = describe(request.emotion_at(first_at))  # the first prompt's, which it reports (at 0 s, a sadness -> joy
        # path's 77 BPM beside a prompt of 88: an audit)
        controls = {"prompt": prompts[0]["prompt"], "tempo_bpm": d["tempo_bpm"], "mode": d["mode"],
                    "quadrant": d["quadrant"], "windows": len(prompts), "melody_conditioned": chroma is not None,
                    # which melody: the composer's for this emotion and seed, or the caller's (a take conditioned on a
                    # user's file and one on the composer's tune had reported alike)
                    **({"melody_from": _melody_source((request.options or {}).get("melody"))} if chroma is not None
                       else {}),
                    "guidance_scale": cfg.guidance_scale}
        # the folder's full path, as the diffusers backends record theirs (it was the path as typed: '../../m')
        model_id = (str(Path(self.model_path).resolve()) if self.model_path
                    else str(getattr(model.config, "_name_or_path", "") or "in-memory MusicGen"))
        prov = Provenance("music/musicgen", model_id, cfg.licence, request.seed, package_version("transformers"),
                          self.weights)
        return GenerationResult(Audio(y.astype(np.float32), rate), controls, prov,
                                {"prepare_s": t1 - t0, "generate_s": t2 - t1}, {"prompts": prompts})


__all__ = ["MusicGenConfig", "MusicGenMusic", "chroma_one_hot", "describe", "prompt_text"]
