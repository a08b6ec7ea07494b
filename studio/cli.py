"""The ``emostudio`` command: a thin layer over `Studio` (DESIGN.md section 8 is its contract).

User errors print one line on stderr and exit 2; a backend or extra that is not installed says which and exits 1.
Heavy modules are imported inside the sub-command that needs them so ``--help`` stays instant.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Sequence

from studio.errors import EXIT_UNAVAILABLE, EXIT_USER, Terminated, UserError, WorkerDied, ctrl_c_noted  # noqa: E402  (one class, however started)
from studio.output import json_stdout, print_json, quiet_fluidsynth  # noqa: E402  (likewise)

MAX_LOOP = 10  #: correction rounds the CLI accepts; each round is a whole generation, and 2-3 is the useful range


def bounded_int(lo: int, hi: int):
    """An argparse type: an integer in [lo, hi], else argparse's one-line usage error (exit 2) saying the range."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer from {lo} to {hi}, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer from {lo} to {hi}, got {value}")
        return value
    return parse


LOOP = bounded_int(0, MAX_LOOP)


def loudness_range(text: str) -> float | None:
    """An argparse type: a loudness range in LU within `studio.session.LIMITS` (3 to 40), or 0 for the whole
    range (None)."""
    from studio.session import LIMITS

    lo, hi = LIMITS["max_range_lu"]
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LU: 0 or a number from {lo:g} to {hi:g}, got {text!r}") from None
    if not (value == 0 or lo <= value <= hi):
        raise argparse.ArgumentTypeError(f"expected LU: 0 (the whole range) or a number from {lo:g} to {hi:g}, "
                                         f"got {text}")
    return value or None


def named_path(text: str) -> str:
    """An argparse type for ``--out``: a name, not an empty one. ``--out ""`` (an unset shell variable) was the
    current folder, and a session wrote its session.wav, plan.json and clips over whatever was there."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty: give a file or folder name (use . for the current folder)")
    return text


SEED = bounded_int(0, 2**63 - 1)  # generators.base.MAX_SEED, which every request checks (not imported here: that
# module loads NumPy, and `emostudio --help` loads none of the heavy libraries)
WORKERS = bounded_int(1, 64)


# ---- emotion ------------------------------------------------------------------------------------------


def cmd_emotion(args: argparse.Namespace) -> int:
    from conditioning import VOCABULARY, Emotion, plan_iso

    modes = [m for m, on in (("SPEC", args.spec is not None), ("--list", args.list), ("--plan", args.plan)) if on]
    if len(modes) > 1:
        raise UserError(f"give one of SPEC, --list or --plan FROM TO, not {' and '.join(modes)}")
    plan_only = [o for o, v in (("--minutes", args.minutes), ("--clip", args.clip), ("--max-step", args.max_step))
                 if v is not None]
    if plan_only and not args.plan:
        raise UserError(f"{', '.join(plan_only)}: only with --plan FROM TO, e.g. --plan anxiety calm --minutes 15 --clip 30")
    if args.list:
        rows = [{"label": t.label, "valence": t.mean[0], "arousal": t.mean[1], "dominance": t.mean[2]}
                for t in VOCABULARY.values()]
        if args.json:
            print_json(rows)
        else:
            print(f"{'label':<13} {'valence':>8} {'arousal':>8} {'dominance':>9}")
            for r in rows:
                print(f"{r['label']:<13} {r['valence']:>+8.2f} {r['arousal']:>+8.2f} {r['dominance']:>+9.2f}")
        return 0
    if args.plan:
        if args.minutes is None or args.clip is None:
            raise UserError("--plan FROM TO needs --minutes M and --clip S, e.g. --plan anxiety calm --minutes 15 --clip 30")
        from conditioning.trajectory import clip_lengths, clip_note

        plan = plan_iso(args.plan[0], args.plan[1], args.minutes, args.clip, max_step=args.max_step)
        largest = max(plan.steps(), default=0.0)
        from conditioning.trajectory import MIN_CLIP_S
        from generators.music.composer import ComposerConfig

        longest = ComposerConfig().max_duration_s / 60  # what `session` (the composer) plays in one piece
        if min(c.end_s - c.start_s for c in plan.clips) < MIN_CLIP_S - 1e-9 or args.minutes > longest:
            # a plan the session command would refuse: said here, where it is previewed
            print(f"emostudio emotion: note: emostudio session plays clips of at least {MIN_CLIP_S:g} s and at most "
                  f"{longest:g} min in all, so it would refuse this plan", file=sys.stderr)
        from studio.session import jump_warning

        jump = jump_warning(largest, args.max_step)  # as `session` reports it
        if jump:
            print(f"emostudio emotion: {jump}", file=sys.stderr)
        halves = clip_note(plan, args.clip)
        if halves:
            print(f"emostudio emotion: note: {halves}", file=sys.stderr)
        if args.json:
            played = plan.clips[0].end_s - plan.clips[0].start_s  # the clip length played ("clip_s_asked" beside)
            print_json({"from": plan.current.to_json(), "to": plan.target.to_json(), "from_spec": args.plan[0],
                        "to_spec": args.plan[1], "minutes": args.minutes,  # (as typed, as plan.json keeps them)
                        "clip_s": round(played, 6), **({"clip_s_asked": args.clip} if halves else {}),
                        "easing": plan.easing, "largest_step": round(largest, 4),
                        "jumps": jump is not None,
                        "clips": [c.to_json() for c in plan.clips]})
        else:
            from conditioning.metrics import target_label  # (a tie has no main label: 'joy+sadness')

            print(f"iso plan {target_label(plan.current)} -> {target_label(plan.target)}: {clip_lengths(plan.clips)}, "
                  f"largest step {largest:.3f} ({plan.easing} easing)")
            for c in plan.clips:
                e = c.emotion
                print(f"  {c.index:3d} {c.start_s:7.1f}-{c.end_s:7.1f}s  v={e.valence:+.2f} a={e.arousal:+.2f} "
                      f"d={e.dominance:+.2f}  {target_label(e)}")
        return 0
    if args.spec is None:
        raise UserError("give an emotion SPEC, --list or --plan FROM TO; e.g. emostudio emotion 'joy:0.6+surprise:0.4'")
    e = Emotion.parse(args.spec)
    if args.json:
        print_json(e.to_json())
    else:
        print(args.spec)
        print(f"  valence    {e.valence:+.3f}\n  arousal    {e.arousal:+.3f}\n  dominance  {e.dominance:+.3f}\n"
              f"  intensity  {e.intensity:.3f}")
        print("  mix        " + ", ".join(f"{k} {v:.2f}" for k, v in list(e.mix.items())[:6]))
    return 0


# ---- critique / generate (filled by the critic and generator backends) ----------------------------------


def cmd_critique(args: argparse.Namespace) -> int:
    from studio.critique import critique_files

    return critique_files(args)


def cmd_generate(args: argparse.Namespace) -> int:
    from studio.generate import generate_file

    return generate_file(args)


def cmd_session(args: argparse.Namespace) -> int:
    from studio.session import run_session_cli

    return run_session_cli(args)


def cmd_dataset(args: argparse.Namespace) -> int:
    from studio.dataset import run_dataset_cli

    return run_dataset_cli(args)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from studio.web import serve
        import gradio  # noqa: F401
    except ModuleNotFoundError:
        print("emostudio serve: the web studio needs Gradio: pip install 'emotion-studio[ui]'", file=sys.stderr)
        return EXIT_UNAVAILABLE
    import socket

    try:  # before the server starts: uvicorn would print its own "ERROR: [Errno -2]" line above ours
        socket.getaddrinfo(args.host, args.port)
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(f"cannot serve on {args.host}: no such address ({getattr(exc, 'strerror', None) or exc}); "
                        "give this machine's name or an address such as 127.0.0.1 or 0.0.0.0") from None
    try:
        serve(args.host, args.port, getattr(args, "out", None))
    except KeyboardInterrupt:  # Ctrl-C is how a user stops the server, not an error
        print("emostudio serve: stopped", file=sys.stderr)
    except OSError as exc:
        if getattr(exc, "filename", None):  # the output folder: main() says which file could not be written
            raise
        raise UserError(f"cannot serve on {args.host}:{args.port}: the port is in use or the address is not this "
                        "machine's; choose another --port or --host") from None  # (Gradio's text names launch())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from studio.demo import build_demo

    notes: list[str] = []
    path = build_demo(args.out, notes)
    for line in notes:
        print(f"emostudio demo: note: {line}", file=sys.stderr)
    print(f"demo written to {path}")
    return 0


# ---- parser -------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that keeps the command's contract for user errors: one line on stderr, exit 2 (argparse's own
    printed the whole usage block first: seven lines for `session --loop 11`)."""

    def error(self, message: str):
        if "unrecognized arguments: --modality" in message:  # critique's flag given to generate: say its form
            message += "; generate names the modality as its first word (emostudio generate music --emotion joy ...)"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Once(argparse.Action):
    """An option that names one thing, refused when given twice or empty: a second --reference had silently
    replaced the first, and an empty one (an unset shell variable) read every file alone (an audit)."""

    def __call__(self, parser, namespace, value, option_string=None):
        before = getattr(namespace, self.dest, None)
        if before is not None:
            raise argparse.ArgumentError(self, f"given twice ({before!r} and {value!r}); give one")
        if not value.strip():
            raise argparse.ArgumentError(self, "is empty; give " + (self.metavar or "a value"))
        setattr(namespace, self.dest, value)


def _examples(*lines: str) -> dict:
    """A command's help text ends with examples of its use (a new user copies one and changes it)."""
    return {"epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
            "formatter_class": argparse.RawDescriptionHelpFormatter}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="emostudio", description="Emotion Studio: generate and measure emotional "
                                "speech, music, faces and images from one emotion space.")
    from studio import __version__

    p.add_argument("--version", action="version", version=f"emostudio {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    e = sub.add_parser("emotion", help="parse an emotion spec, list the vocabulary, or plan an iso-principle path",
                       **_examples("emostudio emotion 'joy:0.6+surprise:0.4'", "emostudio emotion --list",
                                   "emostudio emotion --plan sadness calm --minutes 15 --clip 30"))
    e.add_argument("spec", nargs="?", help="e.g. 'joy:0.6+surprise:0.4', 'anger@0.3', 'v=0.7,a=0.5', 'quietly hopeful'")
    e.add_argument("--list", action="store_true", help="list the vocabulary with its VAD coordinates")
    e.add_argument("--plan", nargs=2, metavar=("FROM", "TO"), help="plan clip targets from FROM to TO")
    e.add_argument("--minutes", type=float, help="session length for --plan")
    e.add_argument("--clip", type=float, help="clip length in seconds for --plan")
    e.add_argument("--max-step", type=float, help="largest valence-arousal step between clips for --plan")
    e.add_argument("--json", action="store_true", help="machine-readable output only")
    e.set_defaults(func=cmd_emotion)

    c = sub.add_parser("critique", help="measure the emotion of media files",
                       **_examples("emostudio critique --modality speech --reference neutral.wav take1.wav take2.wav",
                                   "emostudio critique --modality face photo.jpg clip.mp4",
                                   "emostudio critique --modality music piece.mid recording.wav",
                                   "emostudio critique --modality text --text 'what a lovely surprise'"))
    c.add_argument("files", nargs="*", metavar="FILE",
                   help="audio, MIDI, pictures or videos to read; a quoted pattern such as 'takes/*.wav' is expanded here")
    c.add_argument("--text", help="text to score directly (text modality)")
    c.add_argument("--modality", required=True, choices=["speech", "music", "face", "image", "text"],
                   help="what the files hold (a video's sound track is read as speech or music, its frames as face)")
    c.add_argument("--critic", help="critic name (default: the modality's default); several, comma-separated, or "
                   "'judges' for the modality's two loop judges, read one after the other")
    c.add_argument("--model", metavar="PATH", help="neural critics (speech transformers, music clap, image clip): "
                   "a local folder of weights (never downloaded)")
    c.add_argument("--aligned", action="store_true", help="face inputs are already cropped faces")
    c.add_argument("--reference", metavar="NEUTRAL.wav", action=_Once, help="speech: a neutral take of the same "
                   "speaker, recorded the same way (room, microphone, channel), to measure against (another speaker's "
                   "take makes the readings wrong: a higher voice's is warned, when half the files are pitched more "
                   "than 6 semitones below it, a lower one's is not; a telephone band on one side only, or takes "
                   "that sound more or less reverberant or noisy than the reference, are warned)")
    c.add_argument("--group-by", metavar="REGEX", action=_Once, help="speech: normalise within speaker groups named by "
                   "the regex's first group, e.g. 'Actor_(\\d+)'")
    c.add_argument("--single-file", action="store_true", help="speech and face: read a take the studio wrote "
                   "alone, not against the neutral take (a face: the portrait at rest) its report (FILE.json) or "
                   "dataset manifest names")
    c.add_argument("--json", action="store_true", help="one JSON line per file")
    c.set_defaults(func=cmd_critique)

    g = sub.add_parser("generate", help="generate emotional media",
                       **_examples("emostudio generate speech --emotion joy --text 'We won the match!' --out joy.wav",
                                   "emostudio generate music --emotion 'v=-0.5,a=-0.3' --duration 30 --out wistful.wav",
                                   "emostudio generate face --emotion surprise --text 'Is that for me?' --out face.mp4",
                                   "emostudio generate image --emotion 'quietly hopeful' --loop 2 --out hope.png"))
    g.add_argument("modality", choices=["speech", "music", "face", "image"], help="what to make (a face is a "
                   "talking-face video: the portrait says --text in the studio's voice)")
    g.add_argument("--emotion", required=True, metavar="SPEC", help="what to express: a category ('joy'), a mix "
                   "('joy:0.6+surprise:0.4'), an intensity ('anger@0.3'), coordinates ('v=0.7,a=0.5') or words "
                   "('quietly hopeful'); 'emostudio emotion --list' gives the vocabulary")
    g.add_argument("--text", help="speech and face: the words to say (joe and slt speak English; a Piper voice of "
                   "another language or --backend coqui reads that language)")
    g.add_argument("--prompt", help="music and image: words a neural backend adds to what the emotion asks for "
                   "(the embedded backends record them in the report)")
    from generators.registry import GENERATORS, MODALITIES  # (names only: no backend is imported)

    backends = "; ".join(f"{m}: " + ", ".join(k.split("/", 1)[1] for k in GENERATORS if k.startswith(m + "/"))
                         for m in MODALITIES)  # from the registry, so a new backend is listed (it was written out)
    g.add_argument("--backend", default="auto", help=f"{backends} (default auto: a neural backend whose weights are "
                   "set up here, else the embedded one)")
    g.add_argument("--model", metavar="PATH", help="neural backends: a local folder of weights (never downloaded)")
    g.add_argument("--voice", help="speech voice: joe (Piper), slt (Festival), a path to a Piper .onnx voice, or for "
                   "--backend diffusion a description of the speaker (\"A woman\")")
    g.add_argument("--voice-clip", action="append", metavar="LABEL=WAV", help="speech --backend coqui: a recording "
                   "of the voice to clone and the emotion it carries (repeat: neutral=me.wav anger=me_angry.wav ...; "
                   "neutral is required)")
    g.add_argument("--portrait", metavar="IMG", help="face: the portrait to animate (default: the astronaut)")
    g.add_argument("--audio", metavar="A.wav", help="face: lip-sync this recording instead of speaking --text")
    g.add_argument("--seed", type=SEED, default=0, help="the same seed and options give the same take (default 0)")
    g.add_argument("--loop", type=LOOP, default=0, help=f"closed-loop correction rounds: score the take, correct "
                   f"the controls where the judges miss the target, make it again (0-{MAX_LOOP}, default 0)")
    g.add_argument("--judges", metavar="NAMES", help="the critics that score and steer the take, comma-separated "
                   "(default: the modality's two judges, e.g. speech: embedded,encoder)")
    g.add_argument("--duration", type=float, metavar="S", help="music: seconds (composer 2-1800, default 30; "
                   "musicgen default 10); face: a silent clip of S seconds (with --text or --audio the video lasts "
                   "as long as the speech); speech --backend diffusion: the take's length (default: from the words)")
    g.add_argument("--option", action="append", metavar="KEY=VALUE", help="a backend option (repeat), e.g. image: "
                   "style=field, size=512, steps=4, guidance_scale=0 (Stable Diffusion Turbo); speech --backend "
                   "diffusion: steps=50; speech --backend coqui: language=de (default auto: the text's); a backend "
                   "names the options it takes when given one it does not")
    g.add_argument("--config", action="append", metavar="KEY=VALUE", help="a setting of the backend itself (repeat): "
                   "a field of its config, e.g. offload=true, dtype=float16, variant=fp16, device=cuda:1 for a neural "
                   "backend; face: shading=0 leaves out the expression shading derived from FER2013 (research use); "
                   "a backend names the settings it has when given one it does not")
    g.add_argument("--out", type=named_path, required=True,
                   help="the file to write, its kind from the suffix: speech and music .wav, "
                   ".flac, .ogg or .mp3; image .png, .jpg or .webp; face .mp4, .m4v or .mov (a JSON report is written beside it, "
                   "OUT.json, and a music take's score, OUT with .mid, or OUT.mid where another take of that name has that one: "
                   "both replace files of those names)")
    g.add_argument("--json", action="store_true", help="print the report as JSON")
    g.set_defaults(func=cmd_generate)

    s = sub.add_parser("session", help="music-therapy session (iso principle)",
                       **_examples("emostudio session --from sadness --to calm --minutes 15 --clip 30 --out session"))
    s.add_argument("--from", dest="from_", required=True, metavar="SPEC", help="the listener's state now, as an "
                   "emotion spec ('sadness', 'v=-0.6,a=0.2'): the session starts there (iso principle)")
    s.add_argument("--to", required=True, metavar="SPEC", help="the state to lead them to ('calm')")
    s.add_argument("--minutes", type=float, default=15, help="session length (default 15)")
    s.add_argument("--clip", type=float, default=30, metavar="SECONDS", help="length of each clip (default 30)")
    s.add_argument("--out", type=named_path, required=True, metavar="DIR",
                   help="folder for the session's audio (session.wav, one "
                   "file), its MIDI, plan.json (per clip: target, reading, fidelity) and plot.png")
    s.add_argument("--max-step", type=float, help="largest valence-arousal step between clips")
    s.add_argument("--seed", type=SEED, default=0, help="the same seed, plan and settings give the same session, "
                   "byte for byte (default 0; plan.json records the settings)")
    s.add_argument("--loop", type=LOOP, default=0, help=f"re-compose the piece with corrected keyframes while clips miss their "
                   f"target, up to N times, and keep the best whole round (0-{MAX_LOOP})")
    s.add_argument("--workers", type=WORKERS, default=1, help="render processes (the same notes; the soundfont's "
                   "chorus restarts where the piece is cut between them, so the samples differ from another count's)")
    s.add_argument("--backend", help="music backend (default: composer)")
    s.add_argument("--critic", help="one music critic instead of both judges (default: embedded and symbolic; "
                   "the headline's quadrant agreement counts a clip when every judge places it in the planned quadrant; "
                   "fidelity and movement are of their mean reading)")
    s.add_argument("--soundfont", help="General MIDI soundfont: a .sf2 path or a name (FluidR3_GM, TimGM6mb, "
                   "musescore; default $EMOSTUDIO_SOUNDFONT, else FluidR3_GM)")
    s.add_argument("--clip-files", action="store_true", help="also write each clip as its own file into "
                   "OUT/clips (clip_000.wav, its notes clip_000.mid and its report clip_000.wav.json ...), cut from the "
                   "session so that played back to back they are the session (files of those names in OUT/clips and "
                   "OUT/visuals belong to the session: an earlier session's are replaced or removed, others left)")
    s.add_argument("--visuals", action="store_true", help="also draw one abstract picture per clip (image/procedural, "
                   "768x432) into OUT/visuals/clip_000.png ...")
    s.add_argument("--visual-style", choices=["horizon", "field", "pattern"], help="style of --visuals (default horizon)")
    s.add_argument("--loudness-range", type=loudness_range, default=10.0, metavar="LU",
                   help="the widest spread of the clips' loudness the session keeps (default 10 LU; 0 keeps the "
                   "composer's whole range, where a calm passage can sit 20-29 LU under an excited one)")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=cmd_session)

    d = sub.add_parser("dataset", help="build a labelled synthetic dataset from a spec file",
                       **_examples("emostudio dataset examples/dataset_speech.yaml --out out/speech-ds --workers 2"))
    d.add_argument("spec", metavar="SPEC.yaml", help="what to make: modalities, counts, emotions, texts, voices, "
                   "portraits and the fidelity filter (e.g. examples/dataset_speech.yaml)")
    d.add_argument("--out", type=named_path, required=True, metavar="DIR",
                   help="the dataset's folder: empty, or a dataset of "
                   "this spec (run the same command again to finish an interrupted job)")
    d.add_argument("--workers", type=WORKERS, default=1, help="local worker processes")
    d.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster: 'auto', an address, or 'local' (needs the scale extra)")
    d.add_argument("--json", action="store_true", help="print the summary as JSON")
    d.set_defaults(func=cmd_dataset)

    v = sub.add_parser("serve", help="the Gradio web studio")
    v.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1, this machine "
                   "only; 0.0.0.0 for every network)")
    v.add_argument("--port", type=bounded_int(1, 65535), default=7860, help="default 7860")
    v.add_argument("--out", type=named_path, help="folder for the app's outputs (default: a new temporary folder)")
    v.set_defaults(func=cmd_serve)

    m = sub.add_parser("demo", help="write the demo page (the README's main job)")
    m.add_argument("--out", type=named_path, default="out/demo", metavar="DIR",
                   help="folder for the page and its media "
                   "(default out/demo)")
    m.set_defaults(func=cmd_demo)
    return p


@contextlib.contextmanager
def held_warnings(held: list[str]):
    """Hold the Python warnings a command raises (a library's: float16 on the CPU, a deprecation) in ``held``, one
    line each and each once, for `main` to print after the command ends as it should. Printed as they came, they
    stood above the one-line error a user error ends with, so the error was no longer one line; an error drops
    them. The command line owns its process, so it may replace ``warnings.showwarning`` (the library never does);
    `serve` runs on and prints them as they come."""
    import warnings

    def hold(message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        if text not in held:
            held.append(text)

    shown = warnings.showwarning
    warnings.showwarning = hold
    try:
        yield
    finally:
        warnings.showwarning = shown


def main(argv: Sequence[str] | None = None) -> int:
    """The ``emostudio`` command: its exit code. Run as the command itself (``argv`` None), a SIGTERM that comes
    once the command has ended, while Python shuts down, is ignored: the job is done and said (it had ended a
    finished session with 143 and no line, the default action being back: a re-audit)."""
    code = _main(argv)
    if argv is None:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return code


def _main(argv: Sequence[str] | None) -> int:
    from conditioning.registry import offline

    offline()
    # the neural libraries' own log lines (a truncated prompt, a deprecated argument) on the terminal: the studio
    # says what matters itself; a user who wants them sets the variable. diffusers logs a component it cannot
    # load at error level ("An error occurred while trying to fetch ...") and then raises, which the studio says
    # in one line: its log is quiet up to critical
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "critical")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER
    from conditioning.errors import EmotionStudioError
    from conditioning.registry import BackendUnavailable, UnknownBackend

    quiet_fluidsynth()
    held: list[str] = []
    try:  # Ctrl-C noted so that a press Python swallowed still stops a long job (`studio.errors.checkpoint`)
        with ctrl_c_noted(), json_stdout() if getattr(args, "json", False) else contextlib.nullcontext(), \
                contextlib.nullcontext() if args.command == "serve" else held_warnings(held):
            code = args.func(args)
        for line in held:  # the command ended as it should: what the libraries warned of, once each, one line each
            print(f"emostudio {args.command}: warning: {line}", file=sys.stderr)
        return code
    except WorkerDied as exc:
        print(f"emostudio {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BackendUnavailable as exc:
        if isinstance(exc, UnknownBackend):  # an unknown backend name is the user's error
            print(f"emostudio {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USER
        print(f"emostudio {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except EmotionStudioError as exc:  # everything else the studio refuses (`conditioning.errors`)
        print(f"emostudio {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USER
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt as exc:  # Ctrl-C: what a user does to stop a long job, not a crash (130: 128 + SIGINT;
        # 143 for SIGTERM, `Terminated`)
        again = {"dataset": "; finished items are kept: rerun the same command to resume"}.get(args.command, "")
        stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
        done = getattr(exc, "after", "")  # a step that finished before it stopped (`ctrl_c_held`)
        print(f"\nemostudio {args.command}: {stopped}{f' after {done}' if done else again}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except OSError as exc:  # an unwritable output folder, a full disk: say which file and why, leave no partial file
        if getattr(exc, "filename", None):
            # a file given to be read (critique's, a --reference) is not written ("cannot write" a 300-letter name)
            read = {str(f) for f in (getattr(args, "files", None) or [])} | {str(getattr(args, "reference", None))}
            verb = "read" if str(exc.filename) in read else "write"
            print(f"emostudio {args.command}: error: cannot {verb} {exc.filename}: {exc.strerror or exc}",
                  file=sys.stderr)
        else:  # not a write (e.g. a library reading files): its own words, without advice about the hub
            from conditioning.weights import reason

            print(f"emostudio {args.command}: error: {reason(exc)}", file=sys.stderr)
        return EXIT_USER


if __name__ == "__main__":
    sys.exit(main())
