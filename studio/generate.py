"""``emostudio generate``: one closed-loop generation written to a file, with a JSON report beside it."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def save_media(path: Path, media) -> Path:
    from conditioning.media import Audio, Image, MediaError, save_audio, save_image

    if isinstance(media, Audio):
        return save_audio(path, media)
    if isinstance(media, Image):
        return save_image(path, media)
    raise MediaError(f"{path}: cannot save {type(media).__name__} media yet")


def generate_file(args: argparse.Namespace) -> int:
    from studio.studio import Studio

    options = {"voice": args.voice} if getattr(args, "voice", None) else None
    result = Studio().generate(args.modality, args.emotion, backend=args.backend, loop=args.loop, seed=args.seed,
                               text=args.text, prompt=args.prompt, duration_s=args.duration, options=options)
    out = save_media(Path(args.out), result.media)
    extras = dict(result.best.result.extras)
    midi_bytes = extras.pop("midi_bytes", None)
    if midi_bytes is not None:  # symbolic backends: the score goes beside the audio
        from conditioning.media import atomic_path

        midi_path = out.with_suffix(".mid")
        with atomic_path(midi_path) as tmp:
            tmp.write_bytes(midi_bytes)
        extras["midi"] = str(midi_path)
    report = {"file": str(out), **result.to_json(),
              **{k: v for k, v in extras.items() if isinstance(v, (str, int, float, list, dict))}}
    Path(str(out) + ".json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        fid = report["fidelity"]
        print(f"wrote {out} ({report['backend']}" + (f", fidelity {fid:.2f})" if fid is not None else ")"))
    return 0
