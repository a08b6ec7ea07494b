"""Emotion Studio: one emotion-conditioning space driving speech, talking faces, music and images, with
critics that measure every output. `Studio` is the facade; `studio.cli` is the ``emostudio`` command."""
__version__ = "0.1.0"


def __getattr__(name):  # lazy: `import studio` stays instant for the CLI's --help
    if name in ("Studio", "StudioResult", "Round"):
        from . import studio as _studio

        return getattr(_studio, name)
    if name == "EmotionStudioError":  # the one class to catch for everything the studio refuses
        from conditioning.errors import EmotionStudioError

        return EmotionStudioError
    raise AttributeError(name)
