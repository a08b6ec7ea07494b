"""The benches' ``--json [PATH]`` option, in one place: no PATH prints only the JSON document on stdout (for
scripts); a PATH writes it there and the bench still prints its table."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_json_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                    help="write the figures as JSON to PATH (no PATH: print only the JSON on stdout)")


def emit_json(doc, where: str | None) -> bool:
    """Send ``doc`` where ``--json`` says; True when it went to stdout (the caller then prints nothing else)."""
    if where == "-":
        print(json.dumps(doc))
        return True
    if where:
        Path(where).write_text(json.dumps(doc, indent=1))
    return False
