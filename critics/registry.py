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

#: The critics that read weights the user gives (`model=`, `--model`, their variable), not shipped ones
NEURAL: tuple[str, ...] = tuple(k for k, extra in EXTRAS.items() if extra == "neural")

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

#: What each judge was made from, and those sources' terms (each weight file's record, ``data.licence``, and the
#: cards in critics/cards/ give them in full): a dataset's card names its own judges' (a fixed paragraph had named
#: every corpus, and none of the speech encoder's base weights). A neural judge's model is the user's.
TERMS: dict[str, str] = {
    "speech/embedded": "heads trained on RAVDESS actors 01-16 (CC BY-NC-SA 4.0) and EmoDB (free for research)",
    "speech/encoder": "Resemblyzer's GE2E encoder (Apache-2.0; trained on LibriSpeech, CC BY 4.0, which asks for "
                      "attribution, and VoxCeleb 1/2) with heads trained on RAVDESS actors 01-16 (CC BY-NC-SA 4.0) "
                      "and EmoDB (free for research)",
    "speech/transformers": "the model you supplied, under its own terms",
    "music/embedded": "trained on EMOPIA's MIDI (CC BY-NC-SA 4.0), rendered through soundfonts",
    "music/symbolic": "trained on EMOPIA's MIDI (CC BY-NC-SA 4.0)",
    "music/clap": "the model you supplied, under its own terms",
    "face/classifier": "trained on FER2013 (research use); MediaPipe's face detector (Apache-2.0)",
    "face/geometric": "constants measured on FER2013 training faces (research use); MediaPipe's face mesh (Apache-2.0)",
    "image/embedded": "trained on OASIS's ratings and images (free for research, its authors' terms)",
    "image/colour": "Valdez & Mehrabian's colour equations, standardised by six statistics of OASIS's ratings (free "
                    "for research, its authors' terms)",
    "image/clip": "the model you supplied, under its own terms",
    "text/lexicon": "VADER (MIT) and NRC EmoLex (free for research; commercial use needs NRC's licence)",
}

MODALITIES = ("speech", "music", "face", "image", "text")


def available(modality: str | None = None) -> list[str]:
    return [k for k in CRITICS if modality is None or k.startswith(modality + "/")]


def load_critic(modality: str, name: str | None = None, **config):
    """Instantiate a critic by modality and name (``None``: the modality's default)."""
    key = resolve_key(CRITICS, DEFAULTS, modality, name, MODALITIES, "critic")
    cls = load_class(CRITICS[key], key, EXTRAS.get(key))
    return cls(**config)


__all__ = ["BackendUnavailable", "CRITICS", "DEFAULTS", "JUDGES", "NEURAL", "available", "load_critic"]
