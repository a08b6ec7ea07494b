"""``emostudio generate``: one closed-loop generation written to a file, with a JSON report beside it."""
from __future__ import annotations

import argparse
import ast
import glob
import json
import os
import sys
from pathlib import Path

from studio.errors import UserError
from studio.output import file_metadata, print_json


def save_media(path: Path, media, metadata: dict[str, str] | None = None) -> Path:
    from conditioning.media import Audio, Image, MediaError, Video, save_audio, save_image, save_video

    if isinstance(media, Video):
        return save_video(path, media, metadata=metadata)
    if isinstance(media, Audio):
        return save_audio(path, media)
    if isinstance(media, Image):
        return save_image(path, media, metadata)
    raise MediaError(f"{path}: cannot save {type(media).__name__} media yet")


def midi_companion(out: Path) -> Path:
    """Where a symbolic backend's score goes beside the audio ``out``: ``calm.wav`` -> ``calm.mid``, unless that is
    already the score of another take of the same name (``calm.flac``, per its sidecar), which then keeps its
    score: ``calm.wav.mid``. Writing ``calm.flac`` after ``calm.wav`` used to overwrite the first take's score
    silently, and its sidecar then named another piece's MIDI."""
    plain = out.with_suffix(".mid")
    for sidecar in out.parent.glob(glob.escape(out.stem) + ".*.json"):
        if sidecar.name == out.name + ".json":
            continue
        try:
            other = json.loads(sidecar.read_text(encoding="utf-8")).get("midi")
        except (OSError, ValueError, AttributeError):  # not one of the studio's sidecars
            continue
        if other and Path(other).resolve() == plain.resolve():
            return out.with_name(out.name + ".mid")
    return plain


def save_score(out: Path, midi_bytes: bytes) -> Path:
    """Write a symbolic backend's score beside the audio ``out`` (`midi_companion`), atomically; returns its path."""
    from conditioning.media import atomic_path

    path = midi_companion(out)
    with atomic_path(path) as tmp:
        tmp.write_bytes(midi_bytes)
    return path


def face_options(args: argparse.Namespace) -> dict:
    """The face's portrait and (a user's) speech audio, checked before any work starts."""
    from conditioning.media import load_audio

    if args.text is not None and not args.text.strip():  # "   " used to make a silent clip without a word
        raise UserError("--text is empty: give the words the face says, or leave --text out and give --audio "
                        "A.wav or --duration S for a silent clip")
    if not (args.text or args.audio or args.duration is not None):  # (--duration 0 is the animator's to refuse)
        raise UserError("generate face needs --text \"...\" (the studio speaks it) or --audio A.wav "
                        "(a recording to lip-sync), or --duration S for a silent clip")
    if args.text and args.audio:
        raise UserError("give --text or --audio, not both")
    out = {}
    if args.portrait:
        out["portrait"] = args.portrait
    if args.audio:
        out["audio"] = load_audio(args.audio, mono=False)  # the soundtrack keeps its channels (the mouth reads the mix)
    return out


def judge_names(modality: str, spec: str | None) -> list[str] | None:
    """``--judges a,b`` as critic names (None: the modality's judges). An unknown name fails where every backend
    name is resolved (`conditioning.registry.UnknownBackend`, a user error), before anything is written."""
    if spec is None:
        return None
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        from critics.registry import available

        known = ", ".join(k.split("/", 1)[1] for k in available(modality))
        raise UserError(f"--judges names no critic; known: {known} (comma-separated)")
    return names


def voice_clips(specs: list[str], backend: str, voice: str | None = None) -> dict[str, list[str]]:
    """``--voice-clip LABEL=WAV`` (repeated) as speech/coqui's ``references`` {label: [paths]}, every label and
    file checked before the model loads (XTTS would fail on a bad file minutes later, with its own traceback)."""
    from conditioning.media import load_audio
    from conditioning.vocabulary import VOCABULARY
    from critics.speech.features import FeatureError, prepare

    if backend != "coqui":
        raise UserError("--voice-clip is for --backend coqui (XTTS clones the voice of your recordings); the "
                        f"'{backend}' backend speaks with its own voices (--voice)")
    if voice:
        raise UserError("--voice names a built-in voice; --backend coqui speaks with the voice of your "
                        "--voice-clip recordings, so leave --voice out")
    refs: dict[str, list[str]] = {}
    for spec in specs:
        label, sep, path = spec.partition("=")
        label = label.strip().lower()
        if not sep or not label or not path:
            raise UserError(f"--voice-clip {spec!r}: expected LABEL=WAV, e.g. neutral=me.wav or anger=me_angry.wav")
        if label not in VOCABULARY:
            raise UserError(f"--voice-clip {spec!r}: unknown emotion label {label!r}; use a vocabulary label "
                            "(`emostudio emotion --list`), e.g. neutral, anger, joy, sadness, fear")
        audio = load_audio(path)  # a MediaError names the file and what is wrong with it
        try:
            prepare(audio.samples, audio.rate)  # silence, tones and hums clone nothing (the judges' own check)
        except FeatureError as exc:
            raise UserError(f"--voice-clip {spec!r}: {exc}") from None
        refs.setdefault(label, []).append(path)
    if "neutral" not in refs:
        raise UserError(f"--voice-clip needs a neutral recording of the voice (neutral=WAV), for intensity and for "
                        f"the judges' reference; got {', '.join(sorted(refs))}")
    return refs


#: the request options each modality's generators read; any other given is refused rather than silently ignored
TAKES = {"speech": ("text", "voice", "voice_clip"), "music": ("prompt", "duration"), "image": ("prompt",),
         "face": ("text", "audio", "portrait", "voice", "duration")}


#: Options with a flag of their own, or that the studio passes a backend itself (a talking face's voice: its audio,
#: phoneme timings and provenance); given as --option they bypassed the flag's checks ("--option audio=x.wav" with
#: --text made a video of the recording and dropped the text, which --audio with --text refuses).
OWN_FLAGS = {"voice": "--voice NAME", "audio": "--audio FILE", "portrait": "--portrait FILE",
             "references": "--voice-clip LABEL=FILE", "phonemes": None, "speech": None}


def backend_options(pairs: list[str] | None) -> dict:
    """``--option KEY=VALUE`` pairs as backend options: a value is read as JSON where it is JSON (``steps=4``,
    ``guidance_scale=0``, ``size=[768,512]``, ``drums=false``), else as a Python literal (``drums=True``,
    ``instruments={'melody': 'flute'}``: the spellings the backends' docs use; "False" kept as text was true),
    else kept as text (``style=field``). The backend checks them (an unknown key is refused with the list it
    takes); a key with a flag of its own, or one the studio sets, is refused here (`OWN_FLAGS`)."""
    return _key_values(pairs, "--option", "steps=4", OWN_FLAGS)


def backend_settings(pairs: list[str] | None) -> dict:
    """``--config KEY=VALUE`` pairs as the backend's settings (its config's fields, `Studio.generator`), read as
    `backend_options` reads values; the backend refuses a field it does not have, naming those it has."""
    return _key_values(pairs, "--config", "offload=true", {"model": "--model DIR", "model_dir": "--model DIR",
                                                           "references": "--voice-clip LABEL=FILE"})


def _key_values(pairs: list[str] | None, flag: str, example: str, own: dict) -> dict:
    """KEY=VALUE pairs of ``flag`` as a dict (`backend_options`); a key in ``own`` is refused with its own flag."""
    out: dict = {}
    for pair in pairs or ():
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise UserError(f"{flag} {pair!r}: write KEY=VALUE, e.g. {flag} {example}")
        if key in own:
            raise UserError(f"{flag} {key}: " + (f"give it with its own flag, {own[key]}" if own[key] else
                            "the studio sets it from the take's voice; it is not an option to give"))
        if key in out:
            raise UserError(f"{flag} {key} is given twice")
        try:
            out[key] = json.loads(value)
        except ValueError:
            try:
                out[key] = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                out[key] = value
    return out


def refuse_ignored_options(args: argparse.Namespace) -> None:
    """Refuse options the modality would ignore (``generate speech --duration 5`` made a take of the text's own
    length, ``generate face --text ... --duration 3`` a 0.6 s video), before any work."""
    from generators.registry import extra_reads

    takes = TAKES[args.modality]
    if "duration_s" in extra_reads(args.modality, getattr(args, "backend", None)):  # (speech/diffusion's length)
        takes = (*takes, "duration")
    given = [n for n in ("text", "prompt", "voice", "voice_clip", "portrait", "audio", "duration")
             if getattr(args, n, None) is not None]
    flag = lambda n: "--" + n.replace("_", "-")  # noqa: E731
    for name in given:
        if name not in takes:
            raise UserError(f"{flag(name)} is not an option of 'generate {args.modality}' (it takes "
                            f"{', '.join(flag(n) for n in takes)})")
    if args.modality == "face" and args.duration is not None and (args.text or args.audio):
        raise UserError("--duration is for a silent face clip; with --text or --audio the video lasts as long as "
                        "the speech")


def file_sha256(path: Path) -> str:
    """The written file's SHA-256, recorded in its report so a later reader can tell the report still describes
    the file (``critique`` trusts a report's ``neutral_reference`` only then)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def neutral_reference_recipe(result, model: str | None) -> dict | None:
    """How to make again the neutral take a take's judges read it against, written into the take's report so that
    ``critique`` reads the file later as the loop did. Speech: the loop's speaker reference (the same backend,
    voice, words and first seed, at rest); read alone instead, both judges hear the Piper voice as one emotion
    whatever it expresses. Face: the same portrait at rest, which the geometric judge measures each frame
    against (alone, against the population's faces, a portrait's own thin lips or wide eyes read as expression).
    None for other modalities, and where the request cannot be written down as JSON (a voice cloned from
    recordings, a portrait given as pixels)."""
    from generators.registry import MODEL_ENVS

    first = result.rounds[0].request
    backend = result.best.result.provenance.backend
    if model is None and backend in MODEL_ENVS:  # weights found by their variable: written down all the same, or a
        model = os.environ.get(MODEL_ENVS[backend]) or None  # later critique made the neutral take with whatever
        # model the variable named then (another model's neutral take read this take as calm, not neutral)
    if backend.startswith("speech/") and first.text:
        weights = result.best.result.provenance.weights  # the folder's weights: it may hold others when read again
        recipe = {"backend": backend, "text": first.text, "seed": first.seed, "options": dict(first.options),
                  **({"model": str(Path(model).expanduser().resolve())} if model else {}),
                  **({"model_fingerprint": weights} if model and weights else {})}
    elif backend.startswith("face/"):
        portrait = first.options.get("portrait")
        if portrait is not None and not isinstance(portrait, (str, Path)):
            return None
        recipe = {"backend": backend, "text": None, "seed": first.seed,
                  "options": {"portrait": str(Path(portrait).resolve())} if portrait is not None else {}}
        if portrait is not None:  # the portrait's own bytes: a photo replaced at the same path is another face at rest
            recipe["portrait_sha256"] = file_sha256(Path(portrait))
    else:
        return None
    if getattr(result, "settings", None):  # the backend's settings make its neutral take too (a face's shading)
        recipe["settings"] = dict(result.settings)
    try:
        json.dumps(recipe)
    except (TypeError, ValueError):
        return None
    return recipe


#: What `critique` follows in a take's record, which its seal covers: the file's SHA-256, its neutral takes'
#: recipes, its score
SEALED = ("sha256", "neutral_reference", "voice_reference", "midi", "midi_sha256")


def record_seal(record: dict) -> str:
    """SHA-256 of the fields of a take's record that `critique` follows (`SEALED`, as canonical JSON), written
    into the record as ``record_sha256``: the file's own SHA-256 told an edited file from the take, but not an
    edited recipe (a report whose seed, words or voice were changed was still read 'as the loop read it')."""
    import hashlib

    doc = {k: record[k] for k in SEALED if k in record}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def take_record(out: Path, result, model: str | None = None) -> dict:
    """What `critique` needs to read a written take later as the loop read it, for a take's report and a
    dataset's manifest row alike: the file's SHA-256 (the record is trusted only while it matches) and, where
    there is one, the recipe of its neutral take (`neutral_reference_recipe`); for a talking face, also its
    voice's (``voice_reference``), which the speech judges read the voice against."""
    recipe = neutral_reference_recipe(result, model)
    voice = neutral_reference_recipe(result.speech, None) if getattr(result, "speech", None) is not None else None
    return {"sha256": file_sha256(out), **({"neutral_reference": recipe} if recipe is not None else {}),
            **({"voice_reference": voice} if voice is not None else {})}


#: The note of a music take written through a lossy coder: the judges read it before the coding (an audit: a sad
#: take's arousal -0.294 in its report, -0.230 read back from its MP3, -0.254 from Ogg; a re-audit over 12 takes of
#: 20 s: music/embedded's valence up to 0.136 from Ogg, 0.074 from MP3; a 10-s sad MP3's arousal 0.13)
LOSSY_MUSIC = ("the judges read the music before it was coded as {fmt}; read from the file (critique) its readings "
               "can move by up to about 0.15; a WAV or FLAC reads exactly as reported")


#: A picture written as JPEG or WebP is judged before it is compressed: read back from the file, image/embedded's
#: valence or arousal moves by up to 0.096 at quality 95 and 0.099 at Pillow's defaults (JPEG 75, WebP 80) over 4
#: emotions x 2 formats (2026-12-06; WebP's mean 0.07 -> 0.03 at 95, JPEG's 0.044 -> 0.047), which its report must
#: say, since `critique` reads the file. With the judge reading each picture averaged with its mirror image (the
#: same day): up to 0.064 (WebP, mean 0.035; JPEG 0.024, mean 0.018; `python bench/image_lossy.py`, 40 s, horizon at
#: 1024 px); over 3 styles x 6 emotions x 256/512/1024 px an audit measured up to 0.102 (JPEG, horizon sadness at
#: 256 px; mean 0.021) and 0.073 (WebP): the note's "about 0.1"
LOSSY_PICTURE = ("the judges read the picture before it was compressed into the {fmt}; read from the file (critique) "
                 "its readings can move by up to about 0.1; a PNG reads exactly as reported")
#: ... and a talking face's frames before their H.264 coding (an audit: the demo's sadness face read "sad 0.23" on
#: the page and "surprise" from the MP4 by face/geometric; valence moved up to 0.105 in the dataset audits)
LOSSY_VIDEO = ("the face judges read the frames before their H.264 coding into the MP4; read from the file (critique) "
               "their readings can move by up to about 0.1, and a close label can change")


def write_report(out: Path, result, extras: dict, model: str | None = None, hide=None) -> dict:
    """Write a take's JSON report beside it (``FILE.json``: the target, each judge's reading, every round, the
    provenance and licence, and `take_record`: the file's SHA-256 and, for speech and faces, how to remake its
    neutral take) and return it.
    ``extras``: the generator's extras that belong in it (timings, words, the MIDI's path); ``hide``: a function
    every string of it but the user's words (`USER_WORDS`) goes through before it is written (the web app's takes
    name files, not the server's folders)."""
    from conditioning.media import atomic_path

    base = result.to_json()  # the generator's extras never overwrite it (a face's voice summary hid the voice's readings)
    report = {"file": str(out), "media": media_facts(result.media), **base,
              **{k: v for k, v in extras.items() if k not in base and isinstance(v, (str, int, float, list, dict))},
              **take_record(out, result, model)}
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WebP"}.get(out.suffix.lower())
    backend = str(base.get("backend", ""))
    if fmt and backend.startswith("image/"):
        report["notes"] = [*report.get("notes", []), LOSSY_PICTURE.format(fmt=fmt)]
    if backend.startswith("face/") and report.get("judges"):
        report["notes"] = [*report.get("notes", []), LOSSY_VIDEO]
    coded = {".mp3": "MP3", ".ogg": "Ogg Vorbis"}.get(out.suffix.lower())
    if coded and backend.startswith("music/"):  # (speech takes are read against a neutral take coded alike)
        report["notes"] = [*report.get("notes", []), LOSSY_MUSIC.format(fmt=coded)]
    if backend.startswith("music/"):
        from studio.critique import MUSIC_LOW_RATE, music_low_rate

        if music_low_rate(result.media):  # a calm take at 8 kHz was written at fidelity 0.76 and read back as Q1
            report["notes"] = [*report.get("notes", []), f"saved at {result.media.rate / 1000:g} kHz: "
                                                          f"{MUSIC_LOW_RATE}"]
    written = _hidden(report, hide) if hide else report
    report["record_sha256"] = written["record_sha256"] = record_seal(written)  # of the record as it is written
    text = json.dumps(written, indent=1)
    with atomic_path(Path(str(out) + ".json")) as tmp:  # a report is never left half-written
        tmp.write_text(text, encoding="utf-8")
    return report


def media_facts(media) -> dict:
    """What a take's file holds, as its report says it (a user had to open the file to learn a speech take is
    16 kHz): a sound's length, rate and channels; a video's length, frame rate, frames and size, and its sound
    track's rate and channels; a picture's size."""
    from conditioning.media import Audio, Image, Video

    if isinstance(media, Audio):
        return {"duration_s": round(media.duration_s, 3), "rate": media.rate, "channels": media.channels}
    if isinstance(media, Video):
        t, h, w = media.frames.shape[:3]
        return {"duration_s": round(media.duration_s, 3), "fps": media.fps, "frames": t, "size": [w, h],
                **({"audio_rate": media.audio.rate, "audio_channels": media.audio.channels}
                   if media.audio is not None else {})}  # (its channels too: a stereo recording's were not said)
    if isinstance(media, Image):
        h, w = media.pixels.shape[:2]
        return {"size": [w, h]}
    return {}


#: A report's fields that hold the user's own words, which `write_report`'s ``hide`` leaves as they are (a prompt
#: "... shot on film /tmp/roll 12/frame 3" was written "... roll 12/frame 3", unlike the picture's own text)
USER_WORDS = frozenset({"text", "prompt", "words"})


def _hidden(value, hide):
    """``value`` (a report, or part of one) with ``hide`` applied to its every string but the user's words."""
    if isinstance(value, dict):
        return {k: (v if k in USER_WORDS else _hidden(v, hide)) for k, v in value.items()}
    if isinstance(value, list):
        return [_hidden(v, hide) for v in value]
    return hide(value) if isinstance(value, str) else value


def save_take(path: Path, result, *, prompt: str | None = None, model: str | None = None, hide=None) -> tuple[Path, dict]:
    """Write a take the way every take the studio makes is written, from the command line or the web app: the
    media (a picture with its emotion and provenance in its text chunks), a symbolic backend's score beside it
    (`save_score`) and its JSON report (`write_report`). Returns (the media's path, the report)."""
    meta = file_metadata(result.target, result.best.result.provenance, **({"prompt": prompt} if prompt else {}))
    out = save_media(Path(path), result.media, meta)
    extras = dict(result.best.result.extras)
    midi_bytes = extras.pop("midi_bytes", None)
    written = [out]
    try:
        if midi_bytes is not None:  # symbolic backends: the score goes beside the audio
            written.append(save_score(out, midi_bytes))
            # the score's own bytes too: `critique` reads it as the take's notes, and another file saved at that path
            # was read as them
            extras["midi"], extras["midi_sha256"] = str(written[-1]), file_sha256(written[-1])
        return out, write_report(out, result, extras, model, hide)
    except BaseException:  # no take without its report (or score): a half-written take is not left behind
        for p in written:
            p.unlink(missing_ok=True)
        raise


#: What each modality's take is written as (`conditioning.media.WRITES`)
WRITES_KIND = {"speech": "audio", "music": "audio", "image": "an image", "face": "video"}


def check_out(out: Path, modality: str) -> None:
    """Before the work: ``out`` takes the modality's media by its suffix and is no folder, and neither is its report
    beside it (``OUT.json``), nor a music take's score (``OUT.mid``); and its folder is one, or can be made, and
    can be written (`studio.output.writable_folder`, which creates nothing). A music or face take's suffix was
    checked when it was written, minutes later; a folder named like the report failed after the media was
    written, leaving a take without its report; a file standing where a folder of the path should be
    (``in/plain.png/x.mp4``), or a folder that cannot be made (``/proc/nope/x.mp4``), failed only when the take
    was written, after 32 s of a face's work (an audit)."""
    from conditioning.media import MediaError, check_writable
    from studio.output import writable_folder

    check_writable(out, WRITES_KIND[modality])
    writable_folder(out.parent)
    for beside in (Path(str(out) + ".json"), *([midi_companion(out)] if modality == "music" else [])):
        if beside.is_dir():
            raise MediaError(f"{beside}: a folder is there, where the take's {'report' if beside.suffix == '.json' else 'score'} "
                             "goes; move it or write the take under another name")


def generate_file(args: argparse.Namespace) -> int:
    from studio.studio import Studio

    refuse_ignored_options(args)
    check_out(Path(args.out), args.modality)
    for flag in ("audio", "portrait", "voice"):  # an input the take would overwrite (a user's clip given for its sound
        given = getattr(args, flag, None)  # track, as --out too, was replaced with exit 0: an audit)
        if given and Path(given).exists() and Path(args.out).exists() and Path(given).samefile(args.out):
            raise UserError(f"--out {args.out} is the file given to --{flag}: the take would overwrite it; write the "
                            "take to another file")
    options = {"voice": args.voice} if getattr(args, "voice", None) else {}
    options.update(backend_options(getattr(args, "option", None)))
    if getattr(args, "voice_clip", None):
        options["references"] = voice_clips(args.voice_clip, args.backend, args.voice)
    if args.modality == "face":
        options.update(face_options(args))
    if args.modality == "image" and args.prompt is not None and not args.prompt.strip():
        raise UserError("--prompt is empty: describe the picture, or leave --prompt out for an abstract one")
    judges = judge_names(args.modality, getattr(args, "judges", None))
    result = Studio().generate(args.modality, args.emotion, backend=args.backend, loop=args.loop, seed=args.seed,
                               text=args.text, prompt=args.prompt, duration_s=args.duration, options=options,
                               model=getattr(args, "model", None), judges=judges,
                               settings=backend_settings(getattr(args, "config", None)) or None)
    out, report = save_take(Path(args.out), result, prompt=args.prompt, model=getattr(args, "model", None))
    for u in result.best.unread:
        print(f"emostudio generate: warning: {u.critic} could not judge the take: {u.error}", file=sys.stderr)
    for note in report.get("notes", []):  # the take's notes, and the file's (a lossy picture's)
        print(f"emostudio generate: note: {note}", file=sys.stderr)
    voice = result.speech  # a talking face's voice, judged on its own: a joy face whose voice both speech judges
    if voice is not None:  # heard as anger or fear was "wrote joy.mp4 (..., fidelity 0.83)", said only in the JSON
        # (an audit), while the same voice made by `generate speech` was "not recognised"; said as its other notes are
        heard = unrecognised(voice.best.judgements, voice.best.unread, voice.threshold)
        if heard:
            print(f"emostudio generate: note: its voice: {heard.removeprefix('; ')}", file=sys.stderr)
    if args.json:
        print_json(report)
    else:
        fid = report["fidelity"]
        print(f"wrote {out} ({report['backend']}" + (f", fidelity {fid:.2f}" if fid is not None else "")
              + unrecognised(result.best.judgements, result.best.unread, result.threshold) + ")")
    return 0


def unrecognised(judgements, unread, threshold: float) -> str:
    """The summary line's word that the judges did not all hear the target, and what those that voted no read
    ("; not recognised: face/classifier read disgust"), or "": a take read as another emotion had been said
    only in the JSON (an audit). Each judge's vote is `studio.studio.Judgement.recognises` at ``threshold``, the
    loop's; a judge that could not read the take (``unread``) votes no."""
    noes = [j for j in judgements if not j.recognises(threshold)]
    if not (noes or unread):
        return ""
    heard = [f"{j.critic} read {max(j.reading.mix, key=j.reading.mix.get)}" if j.agrees is False and j.reading.mix
             else f"{j.critic} fidelity {j.fidelity:.2f}" for j in noes] + [f"{u.critic} could not read it"
                                                                             for u in unread]
    return "; not recognised: " + ", ".join(heard)
