"""Explicit registry of generators: ``"modality/backend" -> "module:Class"``, imported only when asked for.

``auto`` picks the first backend in ``AUTO_ORDER`` that can run here (neural where its weights are on disk,
else the embedded default): a backend class may define ``can_run()`` to say so without loading anything. A
neural backend whose variable (``MODEL_ENVS``) the user has set is taken at its word: if its folder is missing
or damaged, or its extra is not installed, ``auto`` says so instead of quietly using the embedded default.
"""
from __future__ import annotations

import os

from conditioning.registry import BackendUnavailable, UnknownBackend, load_class, resolve_key

GENERATORS: dict[str, str] = {
    "speech/piper": "generators.speech.piper:PiperSpeech",
    "speech/festival": "generators.speech.festival:FestivalSpeech",
    "speech/coqui": "generators.speech.coqui:CoquiSpeech",
    "speech/diffusion": "generators.speech.diffusion:DiffusionSpeech",
    "music/composer": "generators.music.composer:ComposerMusic",
    "music/musicgen": "generators.music.musicgen:MusicGenMusic",
    "music/audiocraft": "generators.music.audiocraft_backend:AudiocraftMusic",
    "face/animator": "generators.face.animator:FaceAnimator",
    "image/procedural": "generators.image.procedural:ProceduralImage",
    "image/diffusion": "generators.image.diffusion:DiffusionImage",
}

#: extra that provides each backend's dependencies, for error messages
EXTRAS: dict[str, str] = {"speech/piper": "speech", "speech/coqui": "coqui", "music/musicgen": "neural",
                          "speech/diffusion": "neural",
                          "image/diffusion": "neural"}

#: what ``auto`` tries, in order: the first whose module imports and whose ``can_run()`` (if any) says yes
AUTO_ORDER: dict[str, tuple[str, ...]] = {"speech": ("diffusion", "piper", "festival"), "music": ("musicgen", "composer"),
                                          "face": ("animator",), "image": ("diffusion", "procedural")}

#: the backends that load local weights given as ``model`` (the CLI's ``--model``); ``auto`` never guesses one
MODEL_BACKENDS: dict[str, tuple[str, ...]] = {"speech": ("coqui", "diffusion"), "music": ("musicgen", "audiocraft"),
                                              "image": ("diffusion",)}

#: the variable that points each neural backend at its weights (the backends' own ``MODEL_ENV``)
MODEL_ENVS: dict[str, str] = {"speech/diffusion": "EMOSTUDIO_TTS_MODEL", "music/musicgen": "EMOSTUDIO_MUSICGEN",
                              "image/diffusion": "EMOSTUDIO_SD_MODEL"}

#: the built-in speech voices and the one backend that speaks each: with the backend left on auto, a voice
#: picks its own (``--voice slt`` used to fail with "add --backend festival")
VOICE_BACKENDS: dict[str, str] = {"joe": "piper", "slt": "festival"}
DEFAULTS: dict[str, str] = {"speech": "piper", "music": "composer", "face": "animator", "image": "procedural"}

MODALITIES = ("speech", "music", "face", "image")


def available(modality: str | None = None) -> list[str]:
    return [k for k in GENERATORS if modality is None or k.startswith(modality + "/")]


def extra_reads(modality: str, name: str | None) -> frozenset[str]:
    """The request fields a named backend reads beyond its modality's (its class's ``extra_reads``: speech/diffusion
    reads ``duration_s``), without creating it; none for auto, an unknown name or a backend that cannot load."""
    key = f"{modality}/{name}"
    if key not in GENERATORS:
        return frozenset()
    try:
        return frozenset(getattr(load_class(GENERATORS[key], key, EXTRAS.get(key)), "extra_reads", ()))
    except BackendUnavailable:
        return frozenset()


def load_generator(modality: str, name: str | None = None, **config):
    """Instantiate a generator by modality and backend name (``None`` or "auto": the first that can run)."""
    if name in (None, "auto") and "model" in config:  # auto would hand the weights to the embedded default
        raise UnknownBackend(f"a model folder is a neural backend's local weights; name that backend with --backend "
                             f"(Python: backend=...): {modality}: {', '.join(MODEL_BACKENDS.get(modality, ())) or 'none'}")
    if name in (None, "auto") and modality in AUTO_ORDER:
        missing = []
        for candidate in AUTO_ORDER[modality]:
            key = f"{modality}/{candidate}"
            env = MODEL_ENVS.get(key)
            if env and os.environ.get(env):  # the user chose these weights: use them or say why not
                try:
                    return load_class(GENERATORS[key], key, EXTRAS.get(key))(**config)
                except BackendUnavailable as exc:  # (of its kind: a folder that is not there is the user's typo)
                    raise type(exc)(f"${env} is set, so auto uses {key}, which cannot run: {exc} (unset "
                                             f"{env} to use the embedded {DEFAULTS[modality]} backend)") from None
            try:
                cls = load_class(GENERATORS[key], key, EXTRAS.get(key))
                if hasattr(cls, "can_run") and not cls.can_run():  # e.g. neural weights not on this machine
                    missing.append(f"{key}: not set up here")
                    continue
                return cls(**config)
            except BackendUnavailable as exc:
                missing.append(str(exc))
        raise BackendUnavailable(f"no {modality} backend can run here: " + "; ".join(missing))
    key = resolve_key(GENERATORS, DEFAULTS, modality, None if name == "auto" else name, MODALITIES, "generator")
    cls = load_class(GENERATORS[key], key, EXTRAS.get(key))
    return cls(**config)


__all__ = ["BackendUnavailable", "GENERATORS", "available", "load_generator"]
