"""Lazy registries shared by generators and critics: a plain dict of dotted paths, imported on demand.

Why lazy: importing the studio must never import torch, transformers, diffusers or gradio; a backend's
module (and its heavy imports) loads only when that backend is asked for.
"""
from __future__ import annotations

import importlib
import math
import numbers
import os
from typing import Mapping

from conditioning.errors import EmotionStudioError

#: The studio never downloads (neural weights come from local folders), but huggingface_hub still looks up the
#: hub's address on some loads even with local_files_only (its agent registry); offline mode stops that.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "TRANSFORMERS_OFFLINE": "1",
               "HF_HUB_DISABLE_PROGRESS_BARS": "1"}  # (and no loading bars in a one-line-per-file output)


def offline() -> None:
    """Hugging Face's libraries offline for this process (a user's own setting wins). Called whenever a backend or
    critic is loaded (`load_class`, which the studio's Python API goes through), before every neural load
    (`conditioning.weights.loading`, `torch_device`), and by the command line before anything (the web's gradio
    imports huggingface_hub itself), so before those libraries are imported: they read the variables once, at
    import. The Python API set nothing, so a CLIP critic named by its hub id looked up huggingface.co."""
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)


class BackendUnavailable(EmotionStudioError, RuntimeError):
    """A backend that exists but cannot run here (a missing optional dependency, missing weights)."""


class UnknownBackend(BackendUnavailable):
    """A modality or backend name that does not exist: the caller's mistake, not the machine's (the CLI
    exits with its user-error code). A `BackendUnavailable`, so code that skips backends it cannot use
    skips it too."""


#: the project's own packages: a module of theirs that does not import is a bug, never a missing dependency
PROJECT_PACKAGES = ("conditioning", "generators", "critics", "studio")


class NoSuchFolder(UnknownBackend):
    """A weights folder the caller named (``--model``, ``model=``, a variable) that is not there: a typo is the
    caller's mistake (the CLI's user-error exit, 2), where a folder that is there but incomplete is the machine's
    (`BackendUnavailable`, 1)."""


class WrongModel(UnknownBackend):
    """Weights the caller named that are not what the backend loads: a file where a snapshot folder is asked for
    (a single-file checkpoint), or another model's folder (MusicGen's given to the image backend). The caller's
    mistake, as a typo is (exit 2): nothing on the machine is missing."""


def resolve_key(table: Mapping[str, str], defaults: Mapping[str, str], modality: str, name: str | None,
                modalities: tuple[str, ...], kind: str) -> str:
    if not isinstance(modality, str) or modality not in modalities:  # ([] was "unhashable type: 'list'")
        raise UnknownBackend(f"unknown modality {modality!r}; known: {', '.join(modalities)}")
    if name is not None and not isinstance(name, str):  # (3 was "'int' object has no attribute 'removeprefix'")
        known = [k.split("/", 1)[1] for k in table if k.startswith(modality + "/")]
        raise UnknownBackend(f"a {kind} is named by a word, got {name!r}; known: {', '.join(known)}")
    name = (name or defaults.get(modality) or "").removeprefix(f"{modality}/") or None  # 'speech/encoder', as
    # reports and the web page name backends and judges, is the same as 'encoder'
    if name is None:
        raise BackendUnavailable(f"no {kind} for {modality} is available yet in this version")
    key = f"{modality}/{name}"
    if key not in table:
        known = [k.split("/", 1)[1] for k in table if k.startswith(modality + "/")]
        raise UnknownBackend(f"unknown {modality} {kind} {name!r}; known: {', '.join(known) or 'none yet'}")
    return key


def load_class(path: str, key: str, extra: str | None = None):
    """Import ``"package.module:Class"``; a missing dependency names the extra that brings it."""
    offline()
    module_name, _, cls_name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in PROJECT_PACKAGES:  # a bug in the project, not a missing package:
            raise  # said as "reinstall", it also let `auto` pass over the backend without a word
        hint = f"pip install 'emotion-studio[{extra}]'" if extra else "reinstall emotion-studio"
        raise BackendUnavailable(f"{key} needs the Python package {exc.name!r}: {hint}") from None
    return getattr(module, cls_name)


def configure(config_cls, config, overrides: dict, key: str, error: type[Exception] = ValueError):
    """A backend's config: ``config`` (or the defaults) with keyword ``overrides``; an unknown option raises
    ``error`` naming the known ones, so a typo in a UI or spec file never passes silently."""
    from dataclasses import MISSING, fields, replace

    known = {f.name for f in fields(config_cls)}
    unknown = set(overrides) - known
    if unknown:
        raise error(f"unknown option(s) {sorted(unknown)} for {key}; known: {sorted(known)}")
    if config is not None and not isinstance(config, config_cls):  # a dict given as config failed inside replace()
        raise error(f"{key}: config must be a {config_cls.__name__} (or give the options as keywords), got "
                    f"{type(config).__name__}")
    overrides = dict(overrides)
    for f in fields(config_cls):  # of the kind its default is: work_px="512" failed deep inside the backend
        if f.name in overrides and f.default is MISSING and f.default_factory is not MISSING:
            overrides[f.name] = _made_field(f, overrides[f.name], key, error)
        elif f.name in overrides and f.default is None and overrides[f.name] is not None:
            if str(f.type).startswith("str") and not isinstance(overrides[f.name], (str, os.PathLike)):
                # (variant=5 was "startswith first arg must be str" from diffusers, called a weights problem)
                raise error(f"{key}: option {f.name} must be text, got {overrides[f.name]!r}")
        if f.name in overrides and f.default is not MISSING and f.default is not None:
            value, kind = overrides[f.name], type(f.default)
            if value is None and "None" in str(f.type):  # an optional setting left unset (`max_range_lu: float | None`)
                continue
            flag = isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b"  # np.bool_
            whole = isinstance(value, numbers.Real) and not flag and float(value).is_integer()
            ok = (flag if kind is bool else
                  whole if kind is int else
                  isinstance(value, numbers.Real) and not flag if kind is float else
                  isinstance(value, (str, os.PathLike)) if kind is str else True)  # a Path for a file's name
            if not ok:
                raise error(f"{key}: option {f.name} must be {_KINDS.get(kind, kind.__name__)}, got {value!r}")
            if kind in (bool, int, float):  # NumPy's numbers as Python's (an int option given 256.0 is 256)
                overrides[f.name] = kind(value)
            elif kind is tuple and isinstance(value, (tuple, list)):  # and inside a pair: size=(np.int64(512), ...)
                overrides[f.name] = tuple(v.item() if hasattr(v, "item") else v for v in value)  # was refused
    return replace(config or config_cls(), **overrides)


def _made_field(f, value, key: str, error: type[Exception]):
    """A config field whose default is made by a factory, given ``value``: a nested config (a speech backend's
    `render`) given as a mapping of its own fields is that config, built on the field's default and checked as
    `configure` checks any (``--config 'render={"f0_method": "dio"}'`` was an AttributeError traceback); a
    mapping field must be given a mapping."""
    from collections.abc import Mapping
    from dataclasses import is_dataclass

    default = f.default_factory()
    if is_dataclass(default) and not isinstance(value, type(default)):
        if not isinstance(value, Mapping):
            raise error(f"{key}: option {f.name} must be a mapping of {type(default).__name__}'s fields, e.g. "
                        f"{{\"{next(iter(default.__dataclass_fields__))}\": ...}}, got {value!r}")
        return configure(type(default), default, dict(value), f"{key} {f.name}", error)
    if isinstance(default, Mapping) and not isinstance(value, Mapping):
        raise error(f"{key}: option {f.name} must be a mapping, got {value!r}")
    return value


def finite_number(value) -> bool:
    """A finite real number, NumPy's included, and not a bool (True is 1 to Python, never a setting's number)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def check_ranges(key: str, config, ranges, whole: tuple[str, ...] = (), error: type[Exception] = ValueError) -> None:
    """Each ``(field, lo, hi)`` of a config a real number in range (a whole one for the fields in ``whole``), or
    ``error`` naming the field. Why in the config itself (its ``__post_init__``), and by kind too: a config built
    directly (``ProceduralConfig(work_px="512")``) bypasses `configure`, and failed with a TypeError from the
    comparison; ``work_px=300.5`` was taken."""
    for name, lo, hi in ranges:
        value = getattr(config, name)
        is_whole = name in whole
        ok = finite_number(value) and (not is_whole or float(value).is_integer()) and lo <= value <= hi
        if not ok:
            raise error(f"{key}: {name} must be {'a whole number' if is_whole else 'a number'} from {lo:g} to {hi:g}, "
                        f"got {value!r}")


#: how `configure`'s messages name a default's kind
_KINDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
