"""Explicit registry of generators: ``"modality/backend" -> "module:Class"``, imported only when asked for.

``auto`` picks the first backend in ``AUTO_ORDER`` that can run here (neural where its weights are on disk,
else the embedded default).
"""
from __future__ import annotations

from conditioning.registry import BackendUnavailable, load_class, resolve_key

GENERATORS: dict[str, str] = {
    # Entries are added as each backend lands.
}

EXTRAS: dict[str, str] = {}

DEFAULTS: dict[str, str] = {}

MODALITIES = ("speech", "music", "face", "image")


def available(modality: str | None = None) -> list[str]:
    return [k for k in GENERATORS if modality is None or k.startswith(modality + "/")]


def load_generator(modality: str, name: str | None = None, **config):
    """Instantiate a generator by modality and backend name (``None`` or "auto": the default)."""
    key = resolve_key(GENERATORS, DEFAULTS, modality, None if name == "auto" else name, MODALITIES, "generator")
    cls = load_class(GENERATORS[key], key, EXTRAS.get(key))
    return cls(**config)


__all__ = ["BackendUnavailable", "GENERATORS", "available", "load_generator"]
