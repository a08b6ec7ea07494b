"""``emostudio critique``: score files one by one; one JSON line (or text line) per file, errors per file."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def critique_files(args: argparse.Namespace) -> int:
    from conditioning.media import MediaError
    from critics.base import CriticError
    from studio.studio import Studio

    from studio.cli import UserError

    inline = getattr(args, "text", None)
    if inline is not None and args.modality != "text":
        raise UserError("--text is for --modality text; give media files for other modalities")
    if not args.files and inline is None:
        raise UserError("give at least one FILE" + (" or --text" if args.modality == "text" else ""))
    studio = Studio()
    critic = studio.critic(args.modality, args.critic)  # fails once, before any file, if unavailable
    import inspect

    extra = {}
    if args.aligned:
        if "aligned" not in inspect.signature(critic.score).parameters:
            raise UserError(f"--aligned is for face critics (already-cropped faces); {args.modality} critics take no such option")
        extra["aligned"] = True
    items = [(name, None) for name in args.files] + ([("<text>", inline)] if inline is not None else [])
    failed = 0
    for name, text in items:
        try:
            media = text if text is not None else load_media(args.modality, Path(name))
            row = {"file": name, **critic.score(media, **extra).to_json()}
        except (MediaError, CriticError, ValueError) as exc:
            failed += 1
            row = {"file": name, "error": str(exc)}
        if args.json:
            print(json.dumps(row, ensure_ascii=False), flush=True)
        elif "error" in row:
            print(f"{name}: error: {row['error']}", file=sys.stderr)
        else:
            top = max(row["native"], key=row["native"].get)
            print(f"{name}: {top} ({row['native'][top]:.2f})  v={row['valence']:+.2f} a={row['arousal']:+.2f} "
                  f"d={row['dominance']:+.2f}")
    return 1 if failed else 0


def load_media(modality: str, path: Path):
    """Read a file as the media type the modality's critics take."""
    from conditioning.media import VIDEO_SUFFIXES, load_audio, load_image, load_video

    if modality in ("speech", "music"):
        if modality == "music" and path.suffix.lower() in (".mid", ".midi"):
            from conditioning.render import render_midi

            return render_midi(path)
        return load_audio(path)
    if modality in ("face", "image"):
        return load_video(path) if path.suffix.lower() in VIDEO_SUFFIXES else load_image(path)
    return path.read_text(encoding="utf-8")
