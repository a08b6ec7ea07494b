"""Explicit registry of critics: ``"modality/name" -> "module:Class"``, imported only when asked for.

Each modality's ``default`` names the critic used when none is given. A missing optional dependency becomes
a `BackendUnavailable` that names the extra to install.
"""
from __future__ import annotations

from conditioning.registry import BackendUnavailable, load_class, resolve_key

CRITICS: dict[str, str] = {
    "text/lexicon": "critics.text.lexicon:LexiconTextCritic",
    "image/embedded": "critics.image.embedded:EmbeddedImageCritic",
    "image/clip": "critics.image.clip:ClipImageCritic",
    "image/colour": "critics.image.colour:ColourImageCritic",
    "music/embedded": "critics.music.embedded:EmbeddedMusicCritic",
    "music/clap": "critics.music.clap:ClapMusicCritic",
    "music/symbolic": "critics.music.symbolic:SymbolicMusicCritic",
    "speech/embedded": "critics.speech.embedded:EmbeddedSpeechCritic",
    "speech/encoder": "critics.speech.encoder:SpeechEncoderCritic",
    "speech/transformers": "critics.speech.transformers_critic:TransformersSpeechCritic",
    "face/classifier": "critics.face.classifier:FaceExpressionCritic",
    "face/geometric": "critics.face.geometric:GeometricFaceCritic",
}

#: extra that provides each critic's dependencies, for error messages
EXTRAS: dict[str, str] = {"image/clip": "neural", "music/clap": "neural", "speech/embedded": "speech",
                          "speech/transformers": "neural"}

#: Speech: `speech/encoder`, the judge that reads unseen actors best (nested speaker-grouped CV, single file:
#: 0.649 RAVDESS UAR against `speech/embedded`'s 0.560; critics/cards/speech-encoder.md), and it needs no GPL part.
DEFAULTS: dict[str, str] = {"text": "lexicon", "image": "embedded", "music": "embedded", "speech": "encoder",
                           "face": "classifier"}

#: Each modality's judges for the closed loop: two independent critics (different features and model families)
#: where two exist, so the loop cannot learn to please one of them (DESIGN.md section 4). The first is the
#: modality's default critic, except for speech (`DEFAULTS` says why); the first speech judge, `embedded`, is the
#: one the speech profiles are fitted in. Images: the OASIS-trained regressor and Valdez & Mehrabian's colour
#: equations (nothing learned); the colour judge is independent of the diffusion backend, not of the procedural
#: one, which inverts its equations (generators/cards/image-procedural.md).
JUDGES: dict[str, tuple[str, ...]] = {"speech": ("embedded", "encoder"), "music": ("embedded", "symbolic"),
                                      "face": ("classifier", "geometric"), "image": ("embedded", "colour"),
                                      "text": ("lexicon",)}

MODALITIES = ("speech", "music", "face", "image", "text")


def available(modality: str | None = None) -> list[str]:
    return [k for k in CRITICS if modality is None or k.startswith(modality + "/")]


def load_critic(modality: str, name: str | None = None, **config):
    """Instantiate a critic by modality and name (``None``: the modality's default)."""
    key = resolve_key(CRITICS, DEFAULTS, modality, name, MODALITIES, "critic")
    cls = load_class(CRITICS[key], key, EXTRAS.get(key))
    return cls(**config)


__all__ = ["BackendUnavailable", "CRITICS", "DEFAULTS", "JUDGES", "available", "load_critic"]
