"""What every diffusers backend of the studio shares, whatever its modality (`image/diffusion`, `speech/diffusion`).

Both mix emotions the same way (one condition per term, noise predictions combined in one sampling pass: Liu
et al. 2022's composable diffusion, which EmoMix applies to speech) and handle their weights the same way (a
local folder only, checked at construction; torch device and dtype; the licence from the checkpoint's name).
A backend subclasses `DiffusersBackend` and sets the class attributes that name it; nothing here imports torch
or diffusers at import time.
"""
from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

from conditioning import Emotion
from conditioning.registry import BackendUnavailable, NoSuchFolder, WrongModel, configure
from conditioning.vocabulary import NEUTRAL, resolve
from conditioning.weights import asked_folder, fingerprint, has_tokenizer, loading, read_json
from generators.base import GenerationError, Provenance, package_version

EXTRA = "pip install 'emotion-studio[neural]'"
# How diffusers and transformers say a weight file is absent (then an fp16-only snapshot is a likely cause);
# a file that is there but torn says something else ("Error while deserializing header", "invalid load key")
MISSING_WEIGHTS = re.compile(r"no file named|does not appear to have (a )?files? named", re.IGNORECASE)


def va_cell(x: float) -> int:
    """Which third of [-1, 1] a valence or arousal falls in (split at +-0.25): 0 low, 1 middle, 2 high."""
    return 0 if x < -0.25 else 2 if x > 0.25 else 1


def combine_noise(eps_uncond, eps_conds, weights: Sequence[float], guidance: float):
    """Composable classifier-free guidance: eps = eps_u + g * sum_i w_i (eps_i - eps_u).

    ``eps_uncond``: the unconditional prediction, any shape S (e.g. (1, C, H, W)), or None when guidance is
    off: then the result is the weighted sum of the conditional predictions. ``eps_conds``: (k, *S) tensor or a
    sequence of k tensors of shape S; ``weights``: k numbers (summing to 1; a negative neutral weight
    extrapolates away from neutral). With one weight 1 this is plain guidance eps_u + g (eps_c - eps_u), the
    pipelines' own."""
    import torch

    conds = eps_conds if torch.is_tensor(eps_conds) else torch.stack(list(eps_conds))  # (k, *S)
    if len(weights) != conds.shape[0]:
        raise ValueError(f"{len(weights)} weights for {conds.shape[0]} conditional predictions")
    w = torch.as_tensor([float(x) for x in weights], dtype=conds.dtype, device=conds.device)
    w = w.view(-1, *([1] * (conds.ndim - 1)))  # (k, 1, ...)
    mixed = (w * conds).sum(dim=0)  # S
    if eps_uncond is None:
        return mixed
    return eps_uncond + guidance * (mixed - w.sum() * eps_uncond)


def checkpoint_names(folder: str | os.PathLike, index: Mapping[str, Any] | None = None) -> str:
    """What a checkpoint is called, lower case, for recognising it: its folder's name, the repository a Hugging Face
    cache snapshot belongs to (``models--stabilityai--sd-turbo/snapshots/HASH``: the folder's own name is a hash, and
    an index saved by ``save_pretrained`` names no repository), and the index's ``_name_or_path``."""
    names = [str((index or {}).get("_name_or_path", ""))]
    for path in dict.fromkeys((Path(folder), Path(folder).resolve())):  # (a link's name and its target's)
        names.append(path.name)
        if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
            names.append(path.parent.parent.name.removeprefix("models--").replace("--", "/"))
    return " ".join(names).lower().replace("_", "-")


def licence_for(folder: str | os.PathLike, index: Mapping[str, Any] | None,
                table: Sequence[tuple[str, str]]) -> str:
    """A checkpoint's licence from its name (`checkpoint_names`; first matching fragment of ``table``), else a
    pointer to its model card."""
    names = checkpoint_names(folder, index)
    for fragment, licence in table:
        if fragment in names:
            return licence
    return f"unknown: see the model card at {folder}"


class DiffusersBackend:
    """Weights, device and mixing shared by the diffusers backends. Subclasses set: ``KEY``, ``MODEL_ENV``,
    ``CONFIG`` (their config dataclass, with ``model``, ``dtype``, ``device``, ``variant``, ``offload``, ``top_k``,
    ``licence``),
    ``LICENCES`` (name fragment -> licence), ``WEIGHTS`` (what folder is needed, for messages), ``REQUIRES``
    (the Python packages to import)."""

    KEY = ""
    MODEL_ENV = ""
    CONFIG: type = object
    LICENCES: Sequence[tuple[str, str]] = ()
    WEIGHTS = "local diffusers weights"
    REQUIRES: tuple[str, ...] = ("torch", "diffusers")

    def __init__(self, config=None, *, pipeline: Any = None, **overrides: Any) -> None:
        """``model`` (keyword or in ``config``): a local pipeline folder, checked now (loaded on first use);
        ``pipeline``: an in-memory diffusers pipeline instead (e.g. a tiny test pipeline)."""
        if isinstance(overrides.get("model"), os.PathLike):
            overrides["model"] = str(overrides["model"])
        self.config = configure(self.CONFIG, config, overrides, self.KEY, GenerationError)
        self._pipe = pipeline
        self._index: dict = {}
        self._folder: Path | None = None
        self.weights = ""  #: the loaded folder's `conditioning.weights.fingerprint` (none for an in-memory pipeline)
        self._lock = threading.Lock()  # loading
        self._run_lock = threading.Lock()  # sampling: offload hooks and the shared modules move between devices
        #: a fast tokenizer's padding and truncation are settings on the one object, set by each call: a prompt's
        #: token count (truncating, no padding) beside another request's encoding (padding to the maximum) failed
        #: one Image-tab pair in four ("Unable to create tensor, ... activate truncation and/or padding")
        self._tokenizer_lock = threading.Lock()
        if pipeline is None:
            self._folder = self.model_folder()

    # ---- weights -------------------------------------------------------------------------------------------
    @classmethod
    def weights_folder(cls, model: str | os.PathLike | None = None) -> Path | None:
        """``model`` or the environment variable's folder, if it holds a diffusers pipeline (no torch import)."""
        import importlib.util

        path = asked_folder(model, cls.MODEL_ENV)
        if not path or not (Path(path) / "model_index.json").is_file():
            return None
        if any(importlib.util.find_spec(m) is None for m in cls.REQUIRES):
            return None
        return Path(path)

    @property
    def model_path(self) -> str | None:
        return asked_folder(self.config.model, self.MODEL_ENV)

    def named(self, folder) -> str:
        """How a message names the weights folder: with the variable that chose it where the caller gave no model
        (a wrong kind of pipeline chosen by $EMOSTUDIO_TTS_MODEL had been named by its path alone)."""
        return repr(str(folder)) if self.config.model else f"${self.MODEL_ENV}={str(folder)!r}"

    def model_folder(self) -> Path:
        """The checked weights folder; `BackendUnavailable` naming the path (or the variable to set) otherwise."""
        path = self.model_path
        where = f"model={path!r}" if self.config.model else (f"${self.MODEL_ENV}={path!r}" if path else None)
        if path and Path(path).is_file():
            raise WrongModel(f"{self.KEY}: {where} is a file, not a snapshot folder; single-file checkpoints: convert "
                             f"them to a diffusers folder first ({self.WEIGHTS} are needed)")
        if not path or not Path(path).is_dir():
            raise (NoSuchFolder if path and not Path(path).exists() else BackendUnavailable)(
                f"{self.KEY} needs {self.WEIGHTS}: "
                + (f"{where} is not a folder; " if where else f"set model=FOLDER (--model PATH) or ${self.MODEL_ENV}; ")
                + f"point it at a downloaded diffusers snapshot and install the extra: {EXTRA}; "
                "nothing is downloaded at run time")
        if not (Path(path) / "model_index.json").is_file():
            # a folder of the caller's that is another model's (MusicGen's): their mistake (exit 2), nothing to install
            raise WrongModel(f"{self.KEY}: {self.named(path)} has no model_index.json, so it is not a diffusers "
                             f"pipeline folder ({self.WEIGHTS} are needed; single-file checkpoints: convert them to a "
                             "diffusers folder first)")
        # a damaged index, another kind of pipeline or a tokenizer left out of the download is said now, with no
        # torch: it had passed a dataset's check and failed at its first item, after spec.json (an audit)
        index = read_json(Path(path) / "model_index.json", self.KEY)
        self.check_index(Path(path), index)
        self.check_tokenizers(Path(path), index)
        return Path(path)

    def check_index(self, folder: Path, index: Mapping[str, Any]) -> None:
        """A `WrongModel` where the folder's pipeline (its parsed ``model_index.json``) is not one this backend
        runs; checked before anything is loaded."""

    def check_tokenizers(self, folder: Path, index: Mapping[str, Any]) -> None:
        """Every tokenizer the pipeline names must have its vocabulary on disk: without it diffusers and
        transformers build an empty tokenizer (every prompt word becomes <unk>, or the text length overflows)."""
        for name, spec in index.items():
            if isinstance(spec, (list, tuple)) and len(spec) == 2 and "Tokenizer" in str(spec[1] or ""):
                if not has_tokenizer(folder / name):
                    raise BackendUnavailable(f"{self.KEY}: {folder / name} holds no tokenizer vocabulary (the "
                                             f"pipeline's {spec[1]} needs e.g. vocab.json + merges.txt or "
                                             "tokenizer.json); the snapshot is incomplete: download it again")

    def _torch_setup(self):
        """(torch, device, dtype): fp16 on CUDA, fp32 on the CPU, unless the config says otherwise."""
        import importlib

        try:
            for m in self.REQUIRES:
                importlib.import_module(m)
        except ImportError as exc:
            raise BackendUnavailable(f"{self.KEY} needs the Python package {exc.name!r}: {EXTRA}") from None
        from diffusers.utils import logging as diffusers_logging

        from conditioning.weights import torch_device

        if os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS"):  # ("Loading pipeline components" on every load: the
            diffusers_logging.disable_progress_bar()  # hub's variable, set by `offline`, does not reach diffusers')
        cfg = self.config
        torch, device, dtype = torch_device(self.KEY, cfg.device, cfg.dtype, cfg.offload, GenerationError)
        return torch, device, dtype

    def _pretrained_kwargs(self, dtype) -> dict[str, Any]:
        """``from_pretrained`` arguments every backend passes: the dtype, local files only, the variant."""
        kwargs: dict[str, Any] = {"dtype": dtype, "local_files_only": True}
        if self.config.variant:
            kwargs["variant"] = self.config.variant
        return kwargs

    def _load_failed(self, folder: Path, exc: Exception) -> BackendUnavailable:
        """Why ``folder`` did not load: a component folder its model_index.json names and the snapshot lacks (a
        missing ``unet/`` was said as "no file named config.json found in directory <root>", with advice about
        fp16 variants), else the library's reason and what a complete snapshot needs."""
        from conditioning.weights import reason

        try:
            index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
        for name, spec in index.items() if isinstance(index, dict) else ():
            if (isinstance(spec, (list, tuple)) and len(spec) == 2 and None not in spec
                    and not (folder / name).is_dir()):
                return BackendUnavailable(f"{self.KEY}: {folder} has no {name}/ folder, which its model_index.json "
                                          f"names ({spec[1]}); the snapshot is incomplete: download it again")

        if self.config.variant:
            hint = (f"variant={self.config.variant!r} needs the snapshot's *.{self.config.variant}.* weight files; "
                    "leave variant unset for full-precision files")
        elif MISSING_WEIGHTS.search(str(exc)):
            hint = ("for an fp16-only snapshot, give variant fp16: --config variant=fp16, or in Python "
                    "Studio.generate(..., settings={'variant': 'fp16'})")
        elif re.search(r"config\.json|JSONDecodeError|Expecting (value|property name)", str(exc)):
            # a component's config that is not JSON was called a damaged weight file
            hint = "a component's config.json that does not parse is damaged: download the snapshot again"
        else:  # the files are there but do not load: a torn download, not a missing variant
            hint = "a weight file that is there but does not load is damaged: download the snapshot again"
        return BackendUnavailable(f"{self.KEY} could not load {folder}: {reason(exc)} (a complete local snapshot is "
                                  f"needed; {hint})")

    def _place(self, pipe, device) -> None:
        """On CUDA: accelerate's model offload (each model moved in when it runs) if configured, and xformers
        attention where it is installed and built for the GPU (else torch SDPA stays); elsewhere: ``.to``."""
        cuda = str(device).startswith("cuda")
        if cuda and self.config.offload:
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe.to(device)
        if cuda:
            try:
                import xformers  # noqa: F401

                pipe.enable_xformers_memory_efficient_attention()
            except Exception:  # noqa: BLE001 - not installed or not built for this GPU: keep torch SDPA
                pass

    def _from_folder(self, folder: Path, index: dict, torch, dtype):  # pragma: no cover - abstract
        """The backend's pipeline loaded from ``folder`` (its parsed ``model_index.json``: ``index``)."""
        raise NotImplementedError

    def load(self):
        """The pipeline (loaded once, from local files only: `_from_folder`), placed on its device."""
        with self._lock:
            if self._pipe is not None:
                return self._pipe
            torch, device, dtype = self._torch_setup()
            folder = self.model_folder()  # (its pipeline and tokenizers checked)
            index = read_json(folder / "model_index.json", self.KEY)
            with loading(self.KEY, folder, f"{self.WEIGHTS} are needed"):
                pipe = self._from_folder(folder, index, torch, dtype)
            self._place(pipe, device)
            pipe.set_progress_bar_config(disable=True)
            self._index, self.weights, self._pipe = index, fingerprint(folder), pipe
            return pipe

    @property
    def pipeline(self):
        return self.load()

    def provenance(self, pipe, seed: int) -> Provenance:
        """A take's provenance: the folder (`model_id`), its licence, the diffusers release that sampled it and the
        loaded weights' fingerprint."""
        return Provenance(self.KEY, self.model_id(pipe), self.licence, seed, package_version("diffusers"),
                          self.weights)

    def _device(self, pipe):
        return getattr(pipe, "_execution_device", None) or pipe.unet.device

    def fresh_scheduler(self):
        """A new scheduler of the pipeline's kind for one call (schedulers keep per-call state)."""
        pipe = self.load()
        return type(pipe.scheduler).from_config(pipe.scheduler.config)

    def model_id(self, pipe=None) -> str:
        """The folder's full path (as the other neural backends record theirs: a name alone can be any of several
        snapshots), with the pipeline's ``_name_or_path`` where it says more."""
        folder = self._folder or (Path(self.model_path) if self.model_path else None)
        name = str(self._index.get("_name_or_path") or "")
        if folder is None:
            return name or f"in-memory {type(pipe or self._pipe).__name__}"
        path = str(folder.resolve())
        if path != os.path.abspath(folder):  # a link: the name given too, which the licence may come from (an audit)
            path = f"{path} (via {folder})"
        return f"{path} ({name})" if name and name != str(folder) and Path(name).name != folder.name else path

    @property
    def licence(self) -> str:
        if self.config.licence:
            return self.config.licence
        if self._folder is None:
            return "unknown: an in-memory pipeline (set licence=...)"
        return licence_for(self._folder, self._index, self.LICENCES)

    # ---- mixing ----------------------------------------------------------------------------------------------
    def mix_weights(self, emotion: "Emotion | Mapping[str, float]", intensity: float | None = None,
                    top_k: int | None = None, scale: float = 1.0) -> dict[str, float]:
        """Weight of each condition: the top-k non-neutral terms of the mix renormalised, times the intensity
        (times ``scale``, the closed loop's push), and the rest, ``1 - scale * intensity``, for the neutral
        condition (negative beyond the full emotion: away from neutral). Zero weights are dropped.
        ``emotion``: an `Emotion`, or a label -> weight mapping (intensity 1 unless given)."""
        if isinstance(emotion, Emotion):
            mix, inten = dict(emotion.mix), emotion.intensity
        else:
            mix, inten = {}, 1.0
            for label, w in emotion.items():
                term = resolve(label)
                if term is None:
                    raise GenerationError(f"unknown emotion label {label!r} in a mix for {self.KEY}")
                mix[term] = mix.get(term, 0.0) + float(w)
        inten = min(1.0, max(0.0, float(inten if intensity is None else intensity)))
        k = self.config.top_k if top_k is None else top_k
        terms = sorted(((lab, w) for lab, w in mix.items() if lab != NEUTRAL and w > 0),
                       key=lambda lw: (-lw[1], lw[0]))[:k]
        total = sum(w for _, w in terms)
        if total <= 0 or inten <= 0:
            return {NEUTRAL: 1.0}
        amount = inten * float(scale)
        out = {label: amount * w / total for label, w in terms}
        if abs(1.0 - amount) > 1e-9:
            out[NEUTRAL] = 1.0 - amount
        return out
