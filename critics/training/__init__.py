"""Training code of the shipped critics' weights (one module per critic) and what they share."""
from __future__ import annotations

import os
from pathlib import Path


def default_data() -> Path:
    """Where the shared corpora are read from when ``--data`` is not given: ``$EMOSTUDIO_DATA``, else ``shared/data``
    beside the checkout, as the README says. Not ``../shared/data`` from wherever the command runs: a script run
    from another folder looked there and failed with a traceback."""
    return Path(os.environ.get("EMOSTUDIO_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data")
