"""User-facing errors of Emotion Studio: each says what is wrong and what would be accepted.

`EmotionStudioError` is the one class a Python caller catches for everything the studio refuses (a bad emotion,
an unreadable file, an unknown option or backend, media a critic cannot judge, a backend not installed): every
error below and those of `conditioning.media`, `conditioning.registry`, `generators.base`, `critics.base` and
`studio.errors` derive from it. A caller had seven classes from five modules to catch, with no common base, and
the only full list was private to the command line (an audit)."""


class EmotionStudioError(Exception):
    """Anything Emotion Studio refuses: the message is one line that says what is wrong and what would be accepted.
    Its subclasses keep their older bases too (``ValueError`` for a bad value, ``RuntimeError`` for a backend that
    cannot run here), so code that caught those still does."""


class EmotionSpecError(EmotionStudioError, ValueError):
    """An emotion specification that cannot be parsed or is out of range."""


class PlanError(EmotionStudioError, ValueError):
    """A trajectory or session plan that cannot be built as asked."""
