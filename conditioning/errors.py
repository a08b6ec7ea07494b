"""User-facing errors of the conditioning space: each says what is wrong and what would be accepted."""


class EmotionSpecError(ValueError):
    """An emotion specification that cannot be parsed or is out of range."""


class PlanError(ValueError):
    """A trajectory or session plan that cannot be built as asked."""
