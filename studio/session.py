"""Music-therapy sessions: from the listener's current state to a target state by the iso principle.

The iso principle (Altshuler 1948; Heiderscheit & Madson 2015) asks the music to meet the listener where they
are, then lead them step by step to where they want to be. `conditioning.plan_iso` turns that into one target
emotion per clip with bounded steps; this module turns the plan into music and checks it:

1. plan: `plan_iso(current, target, minutes, clip_s, max_step)` (PlanError for impossible plans);
2. compose: ONE continuous piece following the plan's trajectory bar by bar (the composer's tempo ramps,
   phrase-boundary modulations and instrument fades), so clip boundaries are not seams: tempo, key and
   voice leading carry across them;
3. render: the MIDI in chunks split at clip boundaries, each chunk holding the notes that start in it and
   rendered with its release tail, then overlap-added (chunks can render in parallel, ``workers``). The same
   notes at the same gain, but not the same waveform as one long render: effects with a running phase (the
   soundfont's chorus) restart at each cut, so long after a cut the samples drift from a single render (a
   12 s piece cut twice differs by 0.5 % RMS; in a 5-minute session, after its 150 s cut, the correlation was
   -0.3) while nothing is heard at the cut (largest sample step 0.006);
4. measure: every clip scored by the music judges (through `Studio`: by default both, the audio judge on the
   clip's audio and the symbolic judge on the clip's notes); per clip the target, each judge's reading and
   their consensus, which the loop corrects against;
5. write: session audio (one file: the clips' loudness spread kept within 10 LU, `level_clips`, then brought to
   -16 LUFS with the few loudest attacks limited, `conditioning.render.limit_peaks`),
   the MIDI, ``plan.json`` (per clip: target, reading, fidelity, controls; the settings and the warnings) and
   ``plot.png`` (planned vs measured path on the valence-arousal plane), all staged in a folder beside them and
   moved into place at the end, so an interrupted run leaves the folder's earlier session whole;
6. visuals (``visuals=True``, ``emostudio session --visuals``): one abstract picture per clip,
   ``visuals/clip_000.png`` ..., drawn by ``image/procedural`` from the clip's planned emotion with the session's
   seed (one composition, so the pictures change smoothly from clip to clip), 768x432 (16:9), the emotion and
   provenance as PNG text; each clip's JSON then names its picture (``"visual"``).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from conditioning import Emotion, plan_iso
from conditioning.errors import PlanError
from conditioning.registry import configure, finite_number
from conditioning.metrics import fidelity, target_label
from conditioning.media import Audio, atomic_path, save_audio
from conditioning.trajectory import ISO_STEP, MIN_CLIP_S, clip_note  # (MIN_CLIP_S: the shortest clip a session plays)
from studio.errors import checkpoint, ctrl_c_held
from studio.output import file_metadata, print_json

CRITIC_MIN_S = 2.0


@dataclass(frozen=True)
class SessionConfig:
    """How a session is built.

    - `backend`: the music generator (must produce a score with MIDI, i.e. ``composer``);
    - `critic`: one music critic's name (None: the modality's judges, `critics.registry.JUDGES`); `measure`:
      False skips scoring;
    - `workers`: processes rendering chunks in parallel (1 = in this process);
    - `loop`: correction rounds; each re-composes the whole piece with every measured clip's keyframe moved
      against its error, and the round with the best mean clip fidelity is kept whole (its audio, its MIDI,
      its readings): clips spliced from several rounds broke the one continuous piece and its score;
    - `audio_name`: file name of the session audio (.wav or .flac);
    - `visuals`: also write one picture per clip (`visual_style`: horizon, field or pattern; `visual_size`:
      (width, height));
    - `clip_files`: also write each clip as its own file (`write_clip_files`);
    - `max_range_lu`: the widest spread of the clips' loudness (LU) the session keeps (`_master`); None keeps the
      composer's whole range.
    """

    seed: int = 0
    max_step: float | None = None
    backend: str = "composer"
    critic: str | None = None
    measure: bool = True
    workers: int = 1
    loop: int = 0
    threshold: float = 0.85
    rate: int = 22050
    soundfont: str | None = None
    target_lufs: float = -16.0
    fade_out_s: float = 3.0
    max_range_lu: float | None = 10.0
    audio_name: str = "session.wav"
    visuals: bool = False
    visual_style: str = "horizon"
    visual_size: tuple[int, int] = (768, 432)
    clip_files: bool = False


@dataclass
class ClipReport:
    index: int
    start_s: float
    end_s: float
    target: Emotion
    reading: Any = None  #: critics.base.Reading (the judges' consensus) or None
    judges: dict = field(default_factory=dict)  #: critic name -> its Reading
    fidelity: float | None = None
    round: int = 0
    controls: dict = field(default_factory=dict)
    visual: Path | None = None  #: the clip's picture (sessions built with visuals)
    file: Path | None = None  #: the clip's own audio file (sessions built with clip files)

    def to_json(self, folder: Path | None = None) -> dict:
        """The clip as JSON; ``folder``: its picture and file named relative to it (plan.json names them from the
        session's folder, a clip file's report from the clips' folder), so the folder stays valid when moved or
        zipped and names none of its parents."""
        t = self.target.to_json()
        name = lambda p: str(p) if folder is None else Path(os.path.relpath(p, folder)).as_posix()  # noqa: E731
        return {"index": self.index, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "target": {k: t[k] for k in ("valence", "arousal", "dominance", "mix")},
                "reading": None if self.reading is None else self.reading.to_json(),
                "judges": {k: r.to_json() for k, r in self.judges.items()},
                "fidelity": None if self.fidelity is None else round(self.fidelity, 4),
                "round": self.round, "controls": self.controls,
                **({"visual": name(self.visual)} if self.visual is not None else {}),
                **({"file": name(self.file)} if self.file is not None else {})}


@dataclass
class SessionResult:
    audio: Path
    midi: Path
    plan: Path
    plot: Path
    clips: list[ClipReport]
    summary: dict
    timings: dict

    def to_json(self) -> dict:
        return {"audio": str(self.audio), "midi": str(self.midi), "plan": str(self.plan), "plot": str(self.plot),
                "clips": [c.to_json() for c in self.clips], "summary": self.summary,
                "timings": {k: round(v, 3) for k, v in self.timings.items()}}


# ------------------------------------------------------------------------------------------------ rendering


def _chunk_midi(pm, t0: float, t1: float, *, score: bool = False):
    """The notes of ``pm`` that start in [t0, t1), shifted to start at 0, with each part's controller state
    at t0 restated at time 0 (so expression fades and reverb sends continue across the cut).

    ``score``: for a file someone opens (a clip's ``.mid``, which the symbolic judge reads too), also the tempo,
    key and metre in force over the chunk, its ticks those of ``pm`` from the tick at t0 or just before it (so
    notes stay on the session's grid; times shift by under a tick): a clip file opened in a notation program or a DAW
    showed 120 BPM whatever the session's tempo. Not for rendering: there the chunks are cut on one fixed grid
    (120 BPM), on which a piece rendered in chunks and whole lie within 0.5 % RMS of each other; on each chunk's
    own grid, 29 %, as every note moved by a fraction of a millisecond."""
    import pretty_midi

    out = pretty_midi.PrettyMIDI(resolution=pm.resolution)
    origin = t0  # the chunk's time 0 in the piece
    if score:
        first = int(math.floor(pm.time_to_tick(t0) + 1e-6))  # at or before t0: no note starts before 0
        origin = float(pm.tick_to_time(first))
        scales = pm._tick_scales  # pretty_midi has no public tempo map (the composer sets it the same way)
        in_force = [sc for tick, sc in scales if tick <= first][-1:] or [60.0 / (120.0 * pm.resolution)]
        out._tick_scales = [(0, in_force[0])] + [(tick - first, sc) for tick, sc in scales
                                                  if tick > first and pm.tick_to_time(tick) < t1]
        out._update_tick_to_time(out._tick_scales[-1][0] + int(min(t1 - t0, 3600.0) / out._tick_scales[-1][1]) + 1)

        def moved(changes):  # the one in force at t0 restated at 0, and those within the chunk
            return [(c, 0.0) for c in changes if c.time <= t0][-1:] + [(c, c.time - origin) for c in changes
                                                                     if t0 < c.time < t1]

        out.key_signature_changes = [pretty_midi.KeySignature(c.key_number, t)
                                     for c, t in moved(pm.key_signature_changes)]
        out.time_signature_changes = [pretty_midi.TimeSignature(c.numerator, c.denominator, t)
                                      for c, t in moved(pm.time_signature_changes)]
    for inst in pm.instruments:
        notes = [pretty_midi.Note(n.velocity, n.pitch, n.start - origin, n.end - origin) for n in inst.notes
                 if t0 <= n.start < t1]
        if not notes:
            continue
        part = pretty_midi.Instrument(inst.program, inst.is_drum, inst.name)
        part.notes = notes
        last_end = max(n.end for n in notes) + origin
        state: dict[int, int] = {}
        for cc in sorted(inst.control_changes, key=lambda c: c.time):
            if cc.time < t0:
                state[cc.number] = cc.value
            elif cc.time <= last_end:
                part.control_changes.append(pretty_midi.ControlChange(cc.number, cc.value, max(0.0, cc.time - origin)))
        part.control_changes[:0] = [pretty_midi.ControlChange(k, v, 0.0) for k, v in state.items()]
        out.instruments.append(part)
    return out


def _chunk_bytes(pm, t0: float, t1: float) -> bytes:
    """`_chunk_midi` as Standard MIDI File bytes: what the symbolic judge reads of a clip, and what a clip file's
    ``.mid`` holds, so that reading the file gives the session's reading (the in-memory chunk, with its note
    times not yet rounded to MIDI ticks, read up to 0.03 off its own file)."""
    import io

    buf = io.BytesIO()
    _chunk_midi(pm, t0, t1, score=True).write(buf)
    return buf.getvalue()


def _render_chunk(payload: tuple) -> np.ndarray:
    """Worker: render MIDI bytes at a fixed gain (the session is normalised as a whole afterwards)."""
    import io

    import pretty_midi

    from conditioning.render import render_midi

    midi_bytes, rate, soundfont = payload
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes))
    return render_midi(pm, rate=rate, soundfont=soundfont, gain_db=0.0, tail_s=2.0, peak=1.0).samples


def render_chunked(pm, total_s: float, cuts: Sequence[float], *, rate: int = 22050, soundfont=None,
                   workers: int = 1) -> np.ndarray:
    """Render ``pm`` as chunks between ``cuts`` (seconds) and overlap-add them into ``total_s`` seconds of
    audio at a fixed gain (not normalised). Chunks render in ``workers`` processes."""
    import io

    edges = [0.0, *sorted(c for c in cuts if 0 < c < total_s), math.inf]
    payloads, offsets = [], []
    for t0, t1 in zip(edges, edges[1:]):
        sub = _chunk_midi(pm, t0, t1)
        if not sub.instruments:
            continue
        buf = io.BytesIO()
        sub.write(buf)
        payloads.append((buf.getvalue(), rate, None if soundfont is None else str(soundfont)))
        offsets.append(t0)
    if workers > 1 and len(payloads) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(workers, len(payloads))) as pool:
            parts = list(pool.map(_render_chunk, payloads))
    else:
        parts = [_render_chunk(p) for p in payloads]
    n = int(round(total_s * rate))
    y = np.zeros(n + 4 * rate, dtype=np.float64)
    for t0, part in zip(offsets, parts):
        i = int(round(t0 * rate))
        m = min(len(part), len(y) - i)
        y[i:i + m] += part[:m]
    return y[:n]


# ------------------------------------------------------------------------------------------------ builder


def build_session(current: "str | Emotion", target: "str | Emotion", out_dir: str | Path, *,
                  minutes: float = 15.0, clip_s: float = 30.0, config: SessionConfig | None = None,
                  studio=None, progress: "Callable[[float, str], None] | None" = None,
                  **overrides: Any) -> SessionResult:
    """Plan, compose, render, measure and write a session (see the module docstring for the steps).

    ``progress(fraction, step)`` is told each step as it starts, each clip's measuring too (the web's progress bar
    had stood at 5 % for minutes); an exception it raises stops the session there, and nothing is written (the
    web's Stop)."""
    from generators.base import GenerationRequest
    from studio.studio import consensus

    cfg = configure(SessionConfig, config, overrides, "session", PlanError)  # a misspelt option names the known ones
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if not finite_number(clip_s):
        raise PlanError(f"clip length must be a number of seconds (at least {MIN_CLIP_S:g}), got {clip_s!r}")
    clip_s = float(clip_s)  # (NumPy's numbers too: np.int64(30) was refused as "got 30")
    if clip_s < MIN_CLIP_S:
        raise PlanError(f"clip length {clip_s!r} s is too short: clips must last at least {MIN_CLIP_S:g} s "
                        "(the critic and a musical phrase both need a few bars)")
    for name, value, lo in (("loop", cfg.loop, 0), ("workers", cfg.workers, 1), ("seed", cfg.seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise PlanError(f"{name} must be a whole number >= {lo}, got {value!r}")
    _check_numbers(minutes, cfg)
    minutes = float(minutes)
    if cfg.visuals:  # before the long part: a wrong style or size fails at once
        from generators.base import GenerationError
        from generators.image.procedural import STYLES, image_size

        if cfg.visual_style not in STYLES:
            raise GenerationError(f"unknown visual style {cfg.visual_style!r}; known: {', '.join(STYLES)}")
        image_size(cfg.visual_size)
    name = Path(cfg.audio_name)  # a file name inside the session folder, in a format the session writes
    if name.name != cfg.audio_name or name.suffix.lower() not in (".wav", ".flac"):
        raise PlanError(f"audio_name must be a file name ending .wav or .flac (it goes inside the session "
                        f"folder), got {cfg.audio_name!r}")
    if studio is None:
        from studio.studio import Studio

        studio = Studio(threshold=cfg.threshold)
    gen = studio.generator("music", cfg.backend)
    if not hasattr(gen, "compose"):  # audio-only backends (MusicGen, audiocraft) write no score to follow the plan
        raise PlanError(f"a session is composed as one continuous score that follows the plan bar by bar, and "
                        f"music/{cfg.backend} writes audio, not a score; use the composer backend (the default)")
    total = float(minutes) * 60.0
    max_total = getattr(getattr(gen, "config", None), "max_duration_s", 1800.0)
    if not (math.isfinite(total) and 0 < total <= max_total):
        raise PlanError(f"a session of {minutes:g} min is out of range: give more than 0 and at most "
                        f"{max_total / 60:g} min (the music/{cfg.backend} generator writes at most that in one piece)")
    plan = plan_iso(current, target, minutes, clip_s, max_step=cfg.max_step)
    shortest = min(c.end_s - c.start_s for c in plan.clips)
    if shortest < MIN_CLIP_S - 1e-9:  # a plan whose clips (two halves, or one held state) are under 5 s
        need = len(plan.clips) * MIN_CLIP_S
        raise PlanError(f"{minutes:g} min gives clips of {shortest:g} s, and a session's clips last at least "
                        f"{MIN_CLIP_S:g} s: " + ("a path needs two clips, so " if len(plan.clips) > 1 else "")
                        + f"at least {math.ceil(need / 60 * 100 - 1e-9) / 100:.2f} min ({need:g} s)")  # (rounded
        # up: "at least 0.08 min (5 s)" gave 4.8-s clips)
    timings["plan_s"] = time.perf_counter() - t0
    from studio.output import writable_folder

    writable_folder(out_dir)  # before minutes of rendering, not after
    _check_targets(Path(out_dir), cfg, len(plan.clips))

    options = {"soundfont": cfg.soundfont} if cfg.soundfont else {}
    base = GenerationRequest(plan.current, plan.trajectory(), seed=cfg.seed, duration_s=total, options=options)
    critics: list = []
    critic_error = None
    if cfg.measure:
        from conditioning.registry import BackendUnavailable, UnknownBackend

        try:
            critics = studio.judges("music", [cfg.critic] if cfg.critic else None, required=True)
        except UnknownBackend:
            raise  # a misspelt critic is the caller's mistake: fail before any work, not "not measured"
        except BackendUnavailable as exc:
            critic_error = str(exc)

    clips = [ClipReport(c.index, c.start_s, c.end_s, c.emotion) for c in plan.clips]
    best = None  # (mean clip fidelity, round, audio, score, per-clip state) of the best whole round so far
    round_fidelity: list[float | None] = []
    judge_fidelity: list[dict[str, float]] = []  #: per round, each judge's own mean clip fidelity
    request = base
    cuts = _cuts(plan, cfg.workers)
    def step(rnd: int, part: float, what: str) -> None:  # a round's share of 0.05-0.95 (writing is the rest)
        if progress is not None:
            rounds = f" (round {rnd + 1} of at most {cfg.loop + 1})" if cfg.loop else ""
            progress(0.05 + 0.9 * (rnd + part) / (cfg.loop + 1), what + rounds)

    for rnd in range(cfg.loop + 1):
        t = time.perf_counter()
        step(rnd, 0.0, "composing")
        score = gen.compose(request)
        timings["compose_s"] = timings.get("compose_s", 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        step(rnd, 0.05, "rendering")
        y = _master(render_chunked(score.midi, total, cuts, rate=cfg.rate, soundfont=cfg.soundfont,
                                   workers=cfg.workers), cfg, clips)
        timings["render_s"] = timings.get("render_s", 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        readings = _measure(critics, y, cfg.rate, clips, score.midi,
                            lambda k: step(rnd, 0.4 + 0.6 * k / len(clips), f"measuring clip {k + 1} of {len(clips)}"))
        timings["measure_s"] = timings.get("measure_s", 0.0) + time.perf_counter() - t
        checkpoint()  # a Ctrl-C Python swallowed: stop after this round, and before writing any file
        state = []
        per_judge: dict[str, list[float]] = {}
        for clip, judged in zip(clips, readings):
            reading = consensus(list(judged.values())) if judged else None
            each = {name: fidelity(clip.target, r.emotion) for name, r in judged.items()}
            for name, f in each.items():
                per_judge.setdefault(name, []).append(f)
            state.append((reading, judged, float(np.mean(list(each.values()))) if each else None,
                          _clip_controls(score, clip)))
        fids = [s[2] for s in state if s[2] is not None]
        mean = float(np.mean(fids)) if fids else None
        round_fidelity.append(None if mean is None else round(mean, 4))
        judge_fidelity.append({name: round(float(np.mean(f)), 4) for name, f in sorted(per_judge.items())})
        # whole rounds only: one composition is one continuous piece whose MIDI is the audio's score (clips
        # spliced from several rounds broke both: the MIDI was the last round's, and a spliced clip could
        # jump 10 dB or fall off the plan's tempo path between its neighbours)
        if best is None or (mean is not None and (best[0] is None or mean > best[0])):
            best = (mean, rnd, y, score, state)
        off = [s for s in state if s[2] is not None and s[2] < cfg.threshold]
        if rnd == cfg.loop or not critics or not off:
            break
        request = replace(base, trajectory=_corrected(request.trajectory, clips, state))
    _, best_round, best_audio, score, state = best
    for clip, (reading, judged, fid, controls) in zip(clips, state):
        clip.reading, clip.judges, clip.fidelity, clip.round, clip.controls = reading, judged, fid, best_round, controls

    t = time.perf_counter()
    if progress is not None:
        progress(0.95, "writing")
    out = Path(out_dir)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    # every file is written into a folder beside them and moved into place at the end, so a Ctrl-C or a failure
    # leaves the folder's earlier session whole (an interrupted run left one session's audio beside another's plan)
    _remove_stale_stages(out)
    stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
    (stage / STAGE_OWNER).write_text(str(os.getpid()), encoding="utf-8")
    try:
        if cfg.visuals:
            write_visuals(plan, clips, stage / "visuals", seed=cfg.seed, style=cfg.visual_style, size=cfg.visual_size)
            for clip in clips:  # named where they will be (each clip file's report names its picture)
                clip.visual = out / "visuals" / clip.visual.name
            timings["visuals_s"] = time.perf_counter() - t
            t = time.perf_counter()
        y = best_audio  # mastered as the judges heard it (`_master`)
        save_audio(stage / cfg.audio_name, Audio(y, cfg.rate))
        with atomic_path(stage / "session.mid") as tmp:
            tmp.write_bytes(score.midi_bytes())
        if cfg.clip_files:
            t_clips = time.perf_counter()
            write_clip_files(stage / "clips", y, cfg.rate, clips, score.midi, plan, _provenance(gen, cfg),
                             final=out / "clips")
            for clip in clips:
                clip.file = out / "clips" / clip.file.name
            timings["clip_files_s"] = time.perf_counter() - t_clips
        summary = _summary(clips, critic_error, plan, critics)
        if cfg.loop > 0:  # the loop: each round's mean clip fidelity and the round kept (one round when none was off)
            # each judge's too: `music/symbolic` was adjusted on the composer's takes, so `music/embedded`'s figure
            # is the one to read (the loop corrects against both, so neither is independent of the loop itself)
            summary.update(rounds_mean_fidelity=round_fidelity, rounds_mean_fidelity_per_judge=judge_fidelity,
                           kept_round=best_round)
        if cfg.clip_files:
            # (folders named from the session's folder, as its clips are: plan.json stays valid when moved)
            summary["clip_files"] = {"folder": "clips", "count": len(clips)}
        if cfg.visuals:
            summary["visuals"] = {"folder": "visuals", "backend": "image/procedural",
                                  "style": cfg.visual_style, "size": list(cfg.visual_size), "seed": cfg.seed}
        halves = clip_note(plan, clip_s)  # a time under two clips: two even halves, said
        summary["warnings"] = [*([halves] if halves else []), *movement_warnings(summary)]  # what the command prints,
        played = plan.clips[0].end_s - plan.clips[0].start_s  # for plan.json and --json too
        asked = {f"{end}_spec": spec for end, spec in (("from", current), ("to", target)) if isinstance(spec, str)}
        doc = {"from": plan.current.to_json(), "to": plan.target.to_json(), **asked, "minutes": minutes,
               "clip_s": round(played, 6), **({"clip_s_asked": clip_s} if halves else {}),
               "max_step": cfg.max_step, "easing": plan.easing, "seed": cfg.seed, "backend": f"music/{cfg.backend}",
               "critic": f"music/{critics[0].name}" if critics else None,
               "judges": [f"music/{c.name}" for c in critics], "settings": _settings(cfg), "summary": summary,
               "provenance": _provenance(gen, cfg), "sections": score.sections(),
               "clips": [c.to_json(out) for c in clips]}  # (pictures and clip files named from the session's folder)
        with atomic_path(stage / "plan.json") as tmp:
            tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        from studio.studio import judges_reach

        plot_session(plan, clips, stage / "plot.png", reach=judges_reach(critics) if critics else None)
        checkpoint()  # a Ctrl-C swallowed while writing: the staged files go, the folder stays as it was
        with ctrl_c_held(after=f"writing the session to {out}"):  # all of the new session's files, or none: a
            # Ctrl-C now stops after the move, and says it was written
            _move_into_place(stage, out, cfg)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not any(out.iterdir()):  # interrupted before anything was moved in: no empty folder left
            out.rmdir()
    audio_path, midi_path, plot_path, plan_path = (out / name for name in _session_files(cfg))
    # (the parts are disjoint: write_s is the rest of the writing, so plan .. write add up to total_s; write_s had
    # held clip_files_s too, and visuals_s came on top: 99 s of parts in a 91-s session, an audit)
    timings["write_s"] = time.perf_counter() - t - timings.get("clip_files_s", 0.0)
    timings["total_s"] = time.perf_counter() - t0
    return SessionResult(audio_path, midi_path, plan_path, plot_path, clips, summary, timings)


#: A clip file is cut at the quietest sample within this many seconds of its planned start and end, shared with
#: its neighbour: cut at the planned sample, 20 of 30 clips of a session began and 19 ended on a sample above 0.1
#: of full scale (up to 0.89), a click in a player that pauses between clips or plays one alone (an audit).
QUIET_CUT_S = 0.01


def clip_bounds(y: np.ndarray, rate: int, clips: list[ClipReport]) -> list[tuple[int, int]]:
    """Each clip's first and past-last sample in ``y``: the session's start and end, and between two clips the
    quietest pair of samples (all channels) within `QUIET_CUT_S` of their planned boundary, so that the clip files
    played back to back are still the session, sample for sample, and none starts or stops with a step."""
    def quiet(at: int) -> int:  # the cut between samples i - 1 and i where the larger of the two is smallest
        lo, hi = max(1, at - int(QUIET_CUT_S * rate)), min(len(y), at + int(QUIET_CUT_S * rate) + 1)
        if hi <= lo:
            return min(at, len(y))
        level = np.abs(y[lo - 1:hi]) if y.ndim == 1 else np.abs(y[lo - 1:hi]).max(axis=1)
        return lo + int(np.argmin(np.maximum(level[:-1], level[1:])))

    cuts = [int(clips[0].start_s * rate), *(quiet(int(c.start_s * rate)) for c in clips[1:]),
            int(clips[-1].end_s * rate)]
    return list(zip(cuts[:-1], cuts[1:]))


def write_clip_files(folder: str | Path, y: np.ndarray, rate: int, clips: list[ClipReport], midi, plan,
                     provenance: dict | None = None, final: str | Path | None = None) -> list[Path]:
    """Each clip as its own file, for a player that plays clips (``folder/clip_000.wav`` ...): cut from the
    session's audio as written (so played back to back they are the session, sample for sample), with the notes
    that start in it (``clip_000.mid``, what the symbolic judge read) and a report beside it (``clip_000.wav.json``:
    the clip's place in the session, target, each judge's reading, the file's SHA-256, and the session's
    ``provenance``: backend, soundfont and licence, since a clip travels alone, zipped for a player, and a GPL
    soundfont's render said so only in plan.json), so ``emostudio critique`` reads a clip's notes as the session's
    judge did. Sets each clip's ``file``. ``final``: where ``folder`` will be once the session is moved into place
    (a report names the clip's picture from there: ``../visuals/clip_000.png``)."""
    from studio.generate import file_sha256, save_score

    folder = Path(folder)
    final = Path(final) if final is not None else folder
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for clip, (a, b) in zip(clips, clip_bounds(y, rate, clips)):  # as `_measure` cuts them
        notes = _chunk_bytes(midi, int(clip.start_s * rate) / rate, int(clip.end_s * rate) / rate)  # planned times
        if clip is clips[-1]:
            b = len(y)  # the fade-out's tail belongs to the last clip
        path = save_audio(folder / f"{clip_stem(clip.index)}.wav", Audio(y[a:b], rate))
        score = save_score(path, notes)
        clip.file = path
        # the file beside the report by name: the folder stays valid when moved or zipped, and a server's
        # zip of the clips names none of its folders
        report = {"file": path.name, "backend": "music/composer", "session": {
            "from": target_label(plan.current), "to": target_label(plan.target), "clip": clip.index,
            "start_s": round(clip.start_s, 3), "end_s": round(clip.end_s, 3),
            "cut_s": [round(a / rate, 4), round(b / rate, 4)]},  # (the samples the file holds)
            **{k: v for k, v in clip.to_json(final).items() if k != "file"},
            "midi": score.name, "sha256": file_sha256(path), **({"provenance": provenance} if provenance else {})}
        with atomic_path(Path(str(path) + ".json")) as tmp:
            tmp.write_text(json.dumps(report, indent=1), encoding="utf-8")
        paths.append(path)
    _drop_stale_clips(folder, paths)
    return paths


def write_visuals(plan, clips: list[ClipReport], folder: str | Path, *, seed: int = 0, style: str = "horizon",
                  size: tuple[int, int] = (768, 432)) -> list[Path]:
    """One picture per clip from its planned emotion (``folder/clip_000.png`` ...), all with one seed, so the
    composition stays and the colours, light, shapes and texture follow the plan; sets each clip's ``visual``."""
    from conditioning.media import save_image
    from generators.base import GenerationRequest
    from generators.image.procedural import ProceduralImage

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    gen = ProceduralImage()
    paths = []
    for clip in clips:
        res = gen.generate(GenerationRequest(clip.target, seed=seed, options={"style": style, "size": tuple(size)}))
        meta = file_metadata(clip.target, res.provenance,
                             session={"from": target_label(plan.current), "to": target_label(plan.target),
                                      "clip": clip.index,
                                      "start_s": round(clip.start_s, 3), "end_s": round(clip.end_s, 3)})
        clip.visual = save_image(folder / f"{clip_stem(clip.index)}.png", res.media, meta)
        paths.append(clip.visual)
    _drop_stale_clips(folder, paths)
    return paths


#: The names of the files a session writes in ``clips/`` and ``visuals/`` (`write_clip_files`, `write_visuals`):
#: the only ones it replaces or removes there (every ``clip_NNN*`` went, a therapist's ``clip_001_interview.wav`` too)
CLIP_FILE = re.compile(r"clip_\d{3,}\.(wav|mid|wav\.json|png)")


def clip_stem(index: int) -> str:
    """A clip's file name without its suffix (``clip_007``), as `CLIP_FILE` matches it."""
    return f"clip_{index:03d}"


def _drop_stale_clips(folder: Path, kept: list[Path]) -> None:
    """Remove a clip folder's clip files (`CLIP_FILE`) that this session did not write: a 30-clip session followed
    by a 4-clip one into the same folder left 26 clips of the first among the second's, and a session without clip
    files or visuals left an earlier session's (another path's reports and pictures) beside its own. Files of any
    other name are left alone."""
    mine = {p.name for p in kept} | {f"{p.name}.json" for p in kept} | {p.with_suffix(".mid").name for p in kept}
    for old in folder.iterdir():
        if old.is_file() and CLIP_FILE.fullmatch(old.name) and old.name not in mine:
            old.unlink()


#: What `SessionConfig`'s numbers may be, as the command line allows them (`studio.cli`): a loudness range of
#: 3-40 LU or None (the composer's whole range; ``--loudness-range 0``), a loudness target a limiter at 0.99 can
#: reach (+5 LUFS gave -8.8 without a word), and a rate FluidSynth renders (1000 Hz wrote a session of NaN loudness)
LIMITS = {"max_range_lu": (3.0, 40.0), "target_lufs": (-40.0, -10.0), "rate": (16000, 96000),
          "fade_out_s": (0.0, 60.0), "threshold": (0.0, 1.0)}


def _check_numbers(minutes: Any, cfg: SessionConfig) -> None:
    """A `PlanError` naming the first number of the call that is not one or is out of `LIMITS`, before any work
    (``minutes="2"`` and ``max_step="0.3"`` raised a bare TypeError; ``max_range_lu=-3`` was taken)."""
    if not finite_number(minutes):
        raise PlanError(f"minutes must be a number (more than 0), got {minutes!r}")
    if cfg.max_step is not None and not (finite_number(cfg.max_step) and cfg.max_step > 0):
        raise PlanError(f"max_step must be None or a valence-arousal distance above 0 (e.g. 0.3), got {cfg.max_step!r}")
    for name, (lo, hi) in LIMITS.items():
        value = getattr(cfg, name)
        if value is None and name == "max_range_lu":
            continue
        if not (finite_number(value) and lo <= value <= hi):
            extra = " or None (the composer's whole range)" if name == "max_range_lu" else ""
            raise PlanError(f"{name} must be a number from {lo:g} to {hi:g}{extra}, got {value!r}")


def _session_files(cfg: SessionConfig) -> tuple[str, ...]:
    """The files a session writes at the top of its folder, ``plan.json`` last (it describes the others)."""
    return cfg.audio_name, "session.mid", "plot.png", "plan.json"


def _check_targets(out: Path, cfg: SessionConfig, clips: int) -> None:
    """An `OSError` naming the path where a file the session writes has a folder in its way, or a folder it
    writes into a file: found before the rendering, not after it (``clips`` as a file failed once every clip
    was rendered, with "File exists"; a folder named as a clip's picture, after 13 s of work)."""
    import errno

    files = [out / name for name in _session_files(cfg)]
    for i in range(clips):
        if cfg.clip_files:
            files += [out / "clips" / f"{clip_stem(i)}{ext}" for ext in (".wav", ".wav.json", ".mid")]
        if cfg.visuals:
            files.append(out / "visuals" / f"{clip_stem(i)}.png")
    for path in files:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a folder is there, where the session writes a file", str(path))
    for wanted, sub in ((cfg.clip_files, "clips"), (cfg.visuals, "visuals")):
        if wanted and (out / sub).exists() and not (out / sub).is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "a file is there, where the session writes a folder",
                                     str(out / sub))


#: The hidden folder a session is written into before its files are moved into place, and the file in it that
#: names the process writing it
STAGE_PREFIX, STAGE_OWNER = ".session-", ".owner"


def _remove_stale_stages(out: Path) -> None:
    """Remove the staging folders of sessions whose process is gone (killed: SIGKILL, the OOM killer, a power cut,
    which no ``finally`` survives: each left a hidden folder of up to 80 MB that later runs kept, and a zipped
    session folder carried it: an audit). A folder whose process still runs (another session writing here) is
    left alone."""
    for stage in out.glob(STAGE_PREFIX + "*"):
        try:
            pid = int((stage / STAGE_OWNER).read_text(encoding="utf-8"))
            os.kill(pid, 0)  # raises if no such process
            continue
        except ProcessLookupError:
            pass  # its process is gone
        except PermissionError:
            continue  # another user's process: alive
        except (OSError, ValueError):
            pass  # no owner written (killed at once, or by an earlier version): stale
        if stage.is_dir():
            shutil.rmtree(stage, ignore_errors=True)


def _move_into_place(stage: Path, out: Path, cfg: SessionConfig) -> None:
    """The staged session's files into ``out`` (renames within one file system), whole or not at all: a file of an
    earlier session in the way is first set aside in the stage, and a rename that fails moves everything back (one
    had failed at a clip's picture after the clips were moved and the earlier ones deleted, leaving two sessions'
    parts mixed: an audit). Only then are the clip folders' stale clip files removed, and a clip folder the
    session no longer has emptied of clip files (and removed when nothing else is in it). ``plan.json`` goes last:
    it describes the rest. An earlier session's audio under another name (its plan's ``audio_name``) goes too: it
    had stayed beside the new session's plan."""
    import errno

    try:
        earlier = json.loads((out / "plan.json").read_text(encoding="utf-8"))["settings"]["audio_name"]
    except (OSError, ValueError, KeyError, TypeError):
        earlier = None
    made = {sub: sorted((stage / sub).iterdir()) if (stage / sub).is_dir() else [] for sub in ("clips", "visuals")}
    moves = [(f, out / sub / f.name) for sub, files in made.items() for f in files]
    moves += [(stage / name, out / name) for name in _session_files(cfg)]
    aside = stage / ".earlier"  # the earlier session's files this one replaces, until all of it is in place
    done: list[tuple[Path, Path, Path | None]] = []  # (staged, placed, set aside)
    created = [out / sub for sub, files in made.items() if files and not (out / sub).is_dir()]
    try:
        for folder in created:
            folder.mkdir()
        for src, dst in moves:
            if dst.is_dir() and not dst.is_symlink():  # (named as the user sees it, not the hidden stage)
                raise IsADirectoryError(errno.EISDIR, "a folder is there, where the session writes a file", str(dst))
            kept = None
            if dst.exists() or dst.is_symlink():
                kept = aside / dst.relative_to(out)
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(dst, kept)
            done.append((src, dst, kept))
            os.replace(src, dst)
    except BaseException as exc:
        for src, dst, kept in reversed(done):
            with contextlib.suppress(OSError):
                if not src.exists():
                    os.replace(dst, src)
                if kept is not None:
                    os.replace(kept, dst)
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError) and done and STAGE_PREFIX in str(exc.filename):  # the file where it failed, as
            # the user sees it, not the hidden stage ("cannot write .../.session-kl23r2vh/...": an audit)
            raise OSError(exc.errno, exc.strerror, str(done[-1][1])) from None
        raise
    for sub, files in made.items():
        if (out / sub).is_dir():  # an earlier session's clips beyond this one's, or all of them where it has none
            _drop_stale_clips(out / sub, [out / sub / f.name for f in files])
            if not files and not any((out / sub).iterdir()):
                (out / sub).rmdir()
    if isinstance(earlier, str) and earlier != cfg.audio_name and Path(earlier).name == earlier \
            and Path(earlier).suffix.lower() in (".wav", ".flac") and (out / earlier).is_file():
        (out / earlier).unlink()


def _settings(cfg: SessionConfig) -> dict:
    """Every setting that shapes the session's audio or its report, for plan.json: with the plan's own fields
    they remake it (the same ``workers`` included: chunks render the same notes, but the soundfont's chorus
    restarts at each chunk, so the samples differ)."""
    from dataclasses import asdict

    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()}


def _provenance(gen, cfg: SessionConfig) -> dict:
    """Backend, soundfont and licence of the session's audio (the composition itself is procedural)."""
    from conditioning.render import find_soundfont
    from generators.music.composer import VERSION, soundfont_licence

    font = find_soundfont(cfg.soundfont)
    return {"backend": f"music/{cfg.backend}", "version": VERSION, "seed": cfg.seed, "soundfont": font.name,
            "licence": soundfont_licence(font)}


def _cuts(plan, workers: int) -> list[float]:
    """Chunk boundaries at clip boundaries: one chunk per worker (loading a soundfont costs ~0.4 s a chunk)."""
    if workers <= 1:
        return []
    starts = [c.start_s for c in plan.clips[1:]]
    k = min(workers, len(plan.clips))
    return [starts[round(i * len(plan.clips) / k) - 1] for i in range(1, k)]


def _master(y: np.ndarray, cfg: SessionConfig, clips: Sequence["ClipReport"] = ()) -> np.ndarray:
    """The session's audio as the listener gets it: faded out at the very end, the clips' loudness spread (the
    faded last clip's included) brought within `max_range_lu` (`level_clips`), and loudness-normalised with its
    loudest attacks limited to 0.99. Done before the judges listen, so a clip's reading is of the file written
    (the last clip's was of the unfaded, unnormalised render)."""
    from conditioning.render import normalise_loudness

    y = np.array(y, dtype=np.float32)
    fade = min(int(cfg.fade_out_s * cfg.rate), len(y) // 4)
    if fade:  # first, so the last clip is levelled as it is heard (faded after, it sat 10.2 LU under the loudest)
        y[-fade:] *= np.linspace(1, 0, fade) ** 2
    if clips and cfg.max_range_lu is not None:
        y = level_clips(y, cfg.rate, clips, cfg.max_range_lu, faded_last=bool(fade))
    y = normalise_loudness(y, cfg.rate, cfg.target_lufs, 0.99, limit=True)  # the few loudest attacks limited
    return as_written(y.astype(np.float32), cfg.rate)


def as_written(y: np.ndarray, rate: int) -> np.ndarray:
    """``y`` as the session's 16-bit files hold it (WAV and FLAC alike; written again, it stays the same): the
    judges hear the samples the listener gets. A clip file read back (the faded last clip most) read 0.007 away
    from the session's reading of the float render."""
    import io

    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(y, -1.0, 1.0), rate, format="WAV", subtype="PCM_16")
    buf.seek(0)
    return sf.read(buf, dtype="float32")[0]


#: how far inside `max_range_lu` `level_clips` aims: the limiter after it moved a 12-s session's two clips from 10.06
#: to 10.14 LU apart, over the range the session promises
LEVEL_MARGIN_LU = 0.2


#: How much louder than the clip before it a clip of a calming session may be (an energising one's, quieter), where
#: the plan's arousal only falls (rises): a fear+sadness -> contentment session's eleventh clip was 3.3 LU louder
#: than its tenth, just before the goal (an audit; the composer's sections, not its tempo or velocity)
PLAN_ORDER_LU = 1.0


def _in_plan_order(wanted: np.ndarray, heard: np.ndarray, clips: Sequence["ClipReport"]) -> np.ndarray:
    """``wanted`` clip levels (LUFS) with none louder than the one before it by more than `PLAN_ORDER_LU` where the
    plan's arousal over ``clips`` only falls, none quieter by more where it only rises; unchanged for a plan that
    turns, and for clips past ``clips`` (the faded last one: its fade is the session's end, not a reversal)."""
    arousal = np.array([c.target.arousal for c in clips])
    steps = np.diff(arousal)
    out = wanted.copy()
    if np.all(steps <= 1e-9) and steps.sum() < 0:
        direction = -1
    elif np.all(steps >= -1e-9) and steps.sum() > 0:
        direction = 1
    else:  # a plan that turns (or stays)
        return out
    last = None
    for i in range(len(clips)):
        if not heard[i]:
            continue
        if last is not None:
            out[i] = min(out[i], last + PLAN_ORDER_LU) if direction < 0 else max(out[i], last - PLAN_ORDER_LU)
        last = out[i]
    return out


def level_clips(y: np.ndarray, rate: int, clips: Sequence["ClipReport"], max_range_lu: float,
                faded_last: bool = False) -> np.ndarray:
    """The clips' loudness (BS.1770, each clip's own) scaled about their median into ``max_range_lu``, by a gain
    that moves linearly from clip centre to clip centre (no step at a cut), so loud stays louder than soft and the
    path's order is kept. Why: the composer plays arousal as velocity (30-118), so a calm passage sat 20-29 LU
    under an excited one (calm -> joy, 5 min: -38 LUFS at the start against -18 at the end), and no playback
    volume served both ends; the peak ceiling of the whole then left sessions 2-4 LU under their -16 LUFS target.
    10 LU is the loudness range of most popular music (EBU Tech 3342's LRA). The music judges read each clip at
    any gain (a clip 20 dB down reads the same), so their readings stay. Where the plan's arousal only falls or
    only rises, the levels also keep to its direction (`PLAN_ORDER_LU`; ``faded_last``: the last clip's fade-out
    is left out of that)."""
    from conditioning.render import integrated_loudness

    spans = [(int(c.start_s * rate), min(len(y), int(c.end_s * rate))) for c in clips]
    centres = np.array([(a + b) / 2 for a, b in spans])
    max_range_lu -= LEVEL_MARGIN_LU  # room for the limiter after it (`_master`)
    for _ in range(8):  # a gain that moves within a clip lands near its aim, not on it (10.2 LU for 10): again
        levels = np.array([integrated_loudness(y[a:b], rate) if b > a else -np.inf for a, b in spans])
        heard = np.isfinite(levels)
        if heard.sum() < 2:
            return y
        median = float(np.median(levels[heard]))
        spread = float(levels[heard].max() - levels[heard].min())
        wanted = median + (levels - median) * min(1.0, max_range_lu / spread) if spread > 0 else levels.copy()
        wanted = _in_plan_order(wanted, heard, clips[:len(clips) - faded_last])
        if np.max(np.abs(wanted - levels)[heard]) <= 0.05:
            return y
        gains_db = np.where(heard, wanted - levels, 0.0)
        curve = np.interp(np.arange(len(y)), centres, gains_db)  # held flat before the first and after the last centre
        y = (y * 10.0 ** (curve / 20.0)).astype(np.float32)
    return y


def _measure(critics: list, y: np.ndarray, rate: int, clips: list[ClipReport], midi,
             told: "Callable[[int], None] | None" = None) -> list[dict]:
    """Per clip, each judge's reading: audio judges hear the clip's audio, symbolic ones (``reads = "midi"``)
    read the notes that start in it. A judge that cannot judge a clip (silent, too short) leaves it out.
    ``told(k)`` is called before clip ``k`` is measured."""
    out = []
    bounds = clip_bounds(y, rate, clips)  # the audio of each clip file, as `write_clip_files` cuts it
    for k, c in enumerate(clips):
        if told is not None and critics:
            told(k)
        (a, b), (na, nb) = bounds[k], (int(c.start_s * rate), int(c.end_s * rate))  # (the notes: planned times)
        if (b - a) / rate < CRITIC_MIN_S:  # a very short last clip: judge the last CRITIC_MIN_S seconds
            a = na = max(0, b - int(CRITIC_MIN_S * rate))
        judged = {}
        for critic in critics:
            media = (_chunk_bytes(midi, na / rate, nb / rate) if getattr(critic, "reads", "media") == "midi"
                     else Audio(y[a:b].astype(np.float32), rate))
            try:
                judged[f"music/{critic.name}"] = critic.score(media)
            except ValueError:  # CriticError (silent, too short, no notes): this judge leaves the clip out
                continue
        out.append(judged)
    return out


def _clip_controls(score, clip: ClipReport) -> dict:
    """Mean tempo and the modes/keys heard in the clip (what the composer set)."""
    bars = [b for b in score.bars if clip.start_s <= b.start_s < clip.end_s] or score.bars[-1:]
    phrases = [p for p in score.phrases if any(p.first_bar <= b.index < p.first_bar + p.n_bars for b in bars)]
    from generators.music.theory import NOTE_NAMES

    keys = list(dict.fromkeys(f"{NOTE_NAMES[p.tonic]} {p.mode}" for p in phrases))
    return {"tempo_bpm": round(float(np.mean([b.bpm for b in bars])), 1), "keys": keys,
            "velocity": round(float(np.mean([b.controls.velocity for b in bars])), 1)}


def _corrected(trajectory, clips: list[ClipReport], state: list) -> "Any":
    """The next round's trajectory: at each clip's centre, the keyframe this round composed to, moved against the
    clip's measured error (gain 0.8; an integral step, so a clip still off after one correction is pushed
    further rather than back to the same place). ``state``: this round's (reading, ...) per clip."""
    from conditioning.trajectory import Keyframe, Trajectory

    keys = []
    for c, (reading, *_rest) in zip(clips, state):
        mid = (c.start_s + c.end_s) / 2
        e = trajectory.at(mid)
        if reading is not None:
            v = max(-1.0, min(1.0, e.valence + 0.8 * (c.target.valence - reading.valence)))
            a = max(-1.0, min(1.0, e.arousal + 0.8 * (c.target.arousal - reading.arousal)))
            e = Emotion.from_vad(v, a, c.target.dominance)
        keys.append(Keyframe(mid, e))
    return Trajectory(tuple(keys))


def _moved(xs: list[float]) -> float:
    """End minus start: the mean of the last quarter of the clips minus the mean of the first quarter."""
    q = max(1, len(xs) // 4)
    return round(float(np.mean(xs[-q:]) - np.mean(xs[:q])), 4)


def _readable_part(summary: dict, axis: str) -> float | None:
    """How far the plan moves ``axis`` as far as the judges can read it (``readable_<axis>``), or None where that
    is the whole planned movement (every target inside their reach)."""
    planned, reach = summary.get(f"planned_{axis}"), summary.get(f"readable_{axis}")
    return None if reach is None or planned is None or abs(reach - planned) < 0.005 else reach


#: How far (on valence or arousal) the judges may hear the first or last clip from its target before the report
#: says so: the iso principle rests on the first clip meeting the listener and the last being the goal, and a
#: sadness start heard at valence -0.28 for -0.81, or a calm goal heard sad, hid behind a session that moved.
END_MISS = 0.4


#: The end of `jump_warning`, which the web's Therapy tab leaves out: it has no max-step control
MAX_STEP_ADVICE = ", or give --max-step (e.g. 0.3) to have a steeper plan refused"


def jump_warning(step: float, max_step: float | None) -> str | None:
    """The warning for a plan whose largest step between clips is over `ISO_STEP` where no max step was asked
    for (`session`'s report and `emotion --plan`'s preview say it alike), or None."""
    if max_step is not None or step <= ISO_STEP:
        return None
    return (f"warning: the plan moves {step:.2f} in valence-arousal between two clips (over {ISO_STEP:g}, a quarter "
            "of the plane's width), so the music jumps to the goal rather than leading the listener there; allow "
            f"more minutes or shorter clips{MAX_STEP_ADVICE}")


def movement_warnings(summary: dict) -> list[str]:
    """What the headline figures can hide: a plan that jumps (a step between clips over `ISO_STEP` where no max
    step was asked for), and a session the judges hear moving the other way from the plan, or under half as far
    ('quadrant agreement 100 %' was printed for a calm -> joy session whose valence did not move). "As far" is
    what the judges can read (``readable_<axis>``): calm's arousal lies beyond the music judges' reach, so every
    sadness -> calm session was noted as moving 'under half the planned -0.50' however calm it became. Lines for
    the report, empty when the plan is gradual and the movement follows it."""
    jump = jump_warning(summary.get("largest_planned_step", 0.0), summary.get("max_step"))
    out = [jump] if jump else []
    for end, what in (("first", "meets the listener"), ("last", "is the goal")):
        e = summary.get("ends", {}).get(end)
        if e and max(abs(p - h) for p, h in zip(e["planned"], e["heard"])) > END_MISS:
            (pv, pa), (hv, ha) = e["planned"], e["heard"]
            out.append(f"note: the {end} clip, which {what} at valence {pv:+.2f}, arousal {pa:+.2f} (as far as the "
                       f"judges can read), is heard at {hv:+.2f}, {ha:+.2f}; listen to it before using this session")
    for axis in ("valence", "arousal"):
        planned, moved = summary.get(f"planned_{axis}"), summary.get(f"direction_{axis}")
        if planned is None or moved is None or abs(planned) < 0.1:
            continue
        reach = _readable_part(summary, axis)
        if moved * planned <= 0:
            out.append(f"warning: the judges hear {axis} move {moved:+.2f} where the plan moves it {planned:+.2f}; "
                       "listen before using this session (the clips' readings are in plan.json)")
        elif abs(moved) < 0.5 * abs(planned if reach is None else reach):
            of = (f"the planned {planned:+.2f}" if reach is None else
                  f"the {reach:+.2f} they can read of the planned {planned:+.2f}")
            out.append(f"note: the judges hear {axis} move {moved:+.2f}, under half {of}")
    return out


def _summary(clips: list[ClipReport], critic_error, plan, critics: Sequence = ()) -> dict:
    measured = [c for c in clips if c.reading is not None]
    out: dict[str, Any] = {"clips": len(clips), "measured": len(measured),
                           "largest_planned_step": round(max(plan.steps(), default=0.0), 4), "max_step": plan.max_step}
    if critic_error:
        out["critic_error"] = critic_error
    if measured:
        from conditioning.metrics import ccc

        tv = [c.target.valence for c in measured]
        ta = [c.target.arousal for c in measured]
        mv = [c.reading.valence for c in measured]
        ma = [c.reading.arousal for c in measured]
        out.update({
            "mean_fidelity": round(float(np.mean([c.fidelity for c in measured])), 4),
            "quadrant_agreement": round(float(np.mean([in_quadrant(*t, *m) for t, m in zip(zip(tv, ta), zip(mv, ma))])), 4),
            # (a target that holds still has no variance to agree with: CCC is undefined there, not 0)
            "ccc_valence": round(ccc(tv, mv), 4) if len(measured) >= 2 and np.ptp(tv) > 1e-9 else None,
            "ccc_arousal": round(ccc(ta, ma), 4) if len(measured) >= 2 and np.ptp(ta) > 1e-9 else None,
            "direction_valence": _moved(mv), "direction_arousal": _moved(ma),
            # the same for the plan's targets: a session that holds one state plans no movement, so the
            # measured one is the judges' noise (calm -> calm read "valence moved +0.85" with nothing beside it)
            "planned_valence": _moved(tv), "planned_arousal": _moved(ta),
        })
        from studio.studio import readable

        near = [readable(c.target, critics) for c in measured]  # as far as the judges can read (`readable`)
        out.update(readable_valence=_moved([e.valence for e in near]), readable_arousal=_moved([e.arousal for e in near]))
        # the two clips the iso principle rests on: the first meets the listener, the last is the goal
        out["ends"] = {end: {"clip": c.index, "planned": [round(e.valence, 4), round(e.arousal, 4)],
                             "heard": [round(c.reading.valence, 4), round(c.reading.arousal, 4)]}
                       for end, c, e in (("first", measured[0], near[0]), ("last", measured[-1], near[-1]))
                       if c.index in (0, len(clips) - 1)}
        names = sorted({k for c in measured for k in c.judges})
        per_judge = {n: [in_quadrant(c.target.valence, c.target.arousal, c.judges[n].valence, c.judges[n].arousal)
                         for c in measured if n in c.judges] for n in names}
        out["quadrant_agreement_per_judge"] = {n: round(float(np.mean(v)), 4) for n, v in per_judge.items() if v}
        both = [all(in_quadrant(c.target.valence, c.target.arousal, r.valence, r.arousal) for r in c.judges.values())
                for c in measured if len(c.judges) == len(names)]
        if len(names) > 1 and both:  # the figure the report heads with: every judge in the planned quadrant; the
            # quadrant of their mean reading (which can beat every judge: 100 % beside two judges' 50 %) kept apart
            out["quadrant_agreement_mean_reading"] = out["quadrant_agreement"]
            out["quadrant_agreement"] = round(float(np.mean(both)), 4)
    return out


#: a target this close to an axis has no side of it: a reading on either side is in its quadrant there
ON_AXIS = 0.05


def in_quadrant(target_v: float, target_a: float, v: float, a: float) -> bool:
    """Whether a reading (v, a) lies in the target's quadrant, an axis the target sits on (within `ON_AXIS`) taking
    either side. Why: a neutral hold (v = a = 0) counted as the pleasant, aroused quadrant, and its session read
    "quadrant agreement 0 %" beside a mean fidelity of 0.86."""
    return all(abs(t) < ON_AXIS or (t >= 0) == (r >= 0) for t, r in ((target_v, v), (target_a, a)))


def plot_session(plan, clips: list[ClipReport], path: str | Path, reach: tuple[float, float] | None = None) -> Path:
    """Planned vs measured path on the valence-arousal plane (PNG, matplotlib Agg). ``reach``: the box the
    judges' readings stay inside (`studio.studio.judges_reach`), drawn dashed when it is smaller than the plane,
    so a target outside it (calm, for the music judges) is seen to be one no reading can reach."""
    from matplotlib.figure import Figure  # (not pyplot: it would set the process's backend)

    path = Path(path)
    fig = Figure(figsize=(6.5, 6.5), dpi=110)
    ax = fig.subplots()
    ax.axhline(0, color="#bbb", lw=0.8)
    ax.axvline(0, color="#bbb", lw=0.8)
    pv = [c.target.valence for c in clips]
    pa = [c.target.arousal for c in clips]
    ax.plot(pv, pa, "-", color="#4477aa", lw=1.5, label="planned")
    sc = ax.scatter(pv, pa, c=range(len(pv)), cmap="viridis", s=28, zorder=3)
    measured = [c for c in clips if c.reading is not None]
    if measured:
        mv = [c.reading.valence for c in measured]
        ma = [c.reading.arousal for c in measured]
        for c in measured:
            ax.plot([c.target.valence, c.reading.valence], [c.target.arousal, c.reading.arousal], color="#cc6677",
                    lw=0.5, alpha=0.6)
        ax.plot(mv, ma, ":", color="#cc6677", lw=1)
        ax.scatter(mv, ma, c=[c.index for c in measured], cmap="viridis", marker="x", s=40, zorder=4,
                   vmin=0, vmax=max(1, len(clips) - 1), label="measured")
    if reach is not None and min(reach) < 1.0:
        from matplotlib.patches import Rectangle

        ax.add_patch(Rectangle((-reach[0], -reach[1]), 2 * reach[0], 2 * reach[1], fill=False, ls="--", lw=0.8,
                               ec="#999", label="what the judges can read"))
    bar = fig.colorbar(sc, ax=ax, label="clip index")
    from matplotlib.ticker import MaxNLocator

    bar.locator = MaxNLocator(integer=True)  # clips are counted whole (a 3-clip session's bar read 0.5, 1.5 ...)
    bar.update_ticks()
    lines = [(pv, pa)] + [([c.target.valence, c.reading.valence], [c.target.arousal, c.reading.arousal])
                          for c in measured] + ([([c.reading.valence for c in measured],
                                                  [c.reading.arousal for c in measured])] if measured else [])
    marks = [(xa + (xb - xa) * t / 8, ya + (yb - ya) * t / 8) for xs, ys in lines
             for xa, xb, ya, yb in zip(xs, xs[1:], ys, ys[1:]) for t in range(9)] + list(zip(pv, pa))
    for text, end in end_labels(target_label(plan.current), target_label(plan.target), (pv[0], pa[0]),
                                (pv[-1], pa[-1])):
        ax.annotate(text, (pv[end], pa[end]), **_label_place(text, pv[end], pa[end], marks), textcoords="data",
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85}, zorder=5)
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="valence", ylabel="arousal",
           title=f"Session: {len(clips)} clips, planned vs measured")
    ax.legend(loc="best")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def end_labels(start: str, goal: str, first: tuple[float, float], last: tuple[float, float]) -> list[tuple[str, int]]:
    """The plot's labels of the path's ends, each with the index of its point: one label where the two ends are in
    one place (a session from calm to calm had its start's label hidden under its target's: an audit)."""
    if abs(first[0] - last[0]) < 0.05 and abs(first[1] - last[1]) < 0.05:
        return [(f"start and target: {goal}" if start == goal else f"start: {start}, target: {goal}", -1)]
    return [(f"start: {start}", 0), (f"target: {goal}", -1)]


def _label_place(text: str, x: float, y: float, marks: list[tuple[float, float]]) -> dict:
    """Where a path end's label goes: of sixteen places around the point (eight directions, near and farther), the
    one whose box (its size estimated from the text, moved inside the plane where it would leave it) covers the
    fewest of ``marks`` (the planned and measured points and points along the lines between them), the nearest of
    those; an audit found "target: joy" on the last clips' readings and "start: sadness" on the path."""
    import math

    w, h = 0.038 * len(text), 0.075  # (data units of the 6.5-inch plot's 10-point text)
    best = None
    for gap in (0.04, 0.12):
        for k in range(8):
            ux, uy = math.cos(k * math.pi / 4), math.sin(k * math.pi / 4)
            x0 = x + gap * ux - (0 if ux > 0.3 else w if ux < -0.3 else w / 2)
            y0 = y + gap * uy - (0 if uy > 0.3 else h if uy < -0.3 else h / 2)
            x0, y0 = min(max(x0, -1.03), 1.03 - w), min(max(y0, -1.03), 1.03 - h)
            covered = sum(x0 - 0.03 <= mx <= x0 + w + 0.03 and y0 - 0.03 <= my <= y0 + h + 0.03 for mx, my in marks)
            if best is None or covered < best[0]:
                best = (covered, {"xytext": (x0, y0), "ha": "left", "va": "bottom"})
    return best[1]


# ------------------------------------------------------------------------------------------------ CLI


def summary_warnings(s: dict) -> list[str]:
    """A summary's warnings as the session recorded them (a clip length it changed among them), else as its figures
    give them (`movement_warnings`: a summary written before they were recorded)."""
    return s["warnings"] if isinstance(s.get("warnings"), list) else movement_warnings(s)


def summary_lines(s: dict) -> list[str]:
    """A session's summary in words, as the command prints it and the web page shows it: how well the clips were
    read, how far valence and arousal moved against the plan (and against what the judges can read), each
    judge's agreement, `movement_warnings`, and what the loop did."""
    if not s.get("measured"):
        return ([f"not measured: {s['critic_error']}"] if s.get("critic_error") else []) + summary_warnings(s)

    def moved(axis: str) -> str:  # "arousal moved -0.15 (planned -0.50; -0.24 as far as the judges can read)"
        planned, reach = s[f"planned_{axis}"], _readable_part(s, axis)
        beyond = "" if reach is None else f"; {reach:+.2f} as far as the judges can read"
        return f"{axis} moved {s[f'direction_{axis}']:+.2f} (planned {planned:+.2f}{beyond})"

    per = s.get("quadrant_agreement_per_judge", {})
    # with several judges the headline is the share every judge placed in the planned quadrant: the quadrant of
    # their mean reading (which can beat every judge: 100 % beside two judges' 50 %) is given beside it, named
    agree = (f"quadrant agreement {s['quadrant_agreement']:.0%} (every judge; their mean reading "
             f"{s['quadrant_agreement_mean_reading']:.0%})" if "quadrant_agreement_mean_reading" in s
             else f"quadrant agreement {s['quadrant_agreement']:.0%}")
    clips = f"{s['measured']} clip{'' if s['measured'] == 1 else 's'}"
    out = [f"measured {clips}: mean fidelity {s['mean_fidelity']:.2f}, {agree}, {moved('valence')}, "
           f"{moved('arousal')} (start -> end)"]
    if len(per) > 1:
        out.append("quadrant agreement per judge: " + ", ".join(f"{k} {v:.0%}" for k, v in per.items()))
    out += summary_warnings(s)
    if "kept_round" in s:
        tried = ", ".join("-" if f is None else f"{f:.2f}" for f in s["rounds_mean_fidelity"])
        out.append(f"loop: rounds' mean fidelity {tried}; kept round {s['kept_round']} whole (audio, MIDI, readings)")
    return out


def run_session_cli(args) -> int:
    """``emostudio session --from SPEC --to SPEC --minutes M --clip S --out DIR [--json]`` (DESIGN.md 8).

    Optional attributes read when present: seed, max_step, workers, loop, backend, critic, soundfont, clip_files,
    visuals, visual_style, loudness_range (None: the composer's whole range)."""
    if getattr(args, "visual_style", None) and not getattr(args, "visuals", False):
        from studio.errors import UserError

        raise UserError("--visual-style chooses the style of --visuals; add --visuals")
    cfg = SessionConfig(seed=int(getattr(args, "seed", 0) or 0), max_step=getattr(args, "max_step", None),
                        workers=int(getattr(args, "workers", 1) or 1), loop=int(getattr(args, "loop", 0) or 0),
                        backend=getattr(args, "backend", None) or "composer", critic=getattr(args, "critic", None),
                        soundfont=getattr(args, "soundfont", None), visuals=bool(getattr(args, "visuals", False)),
                        visual_style=getattr(args, "visual_style", None) or "horizon",
                        clip_files=bool(getattr(args, "clip_files", False)),
                        max_range_lu=getattr(args, "loudness_range", 10.0))
    from conditioning import Emotion, EmotionSpecError

    ends = []  # parsed here, once, so the message names the flag as the web names its box ("unknown emotion word
    for flag, spec in (("--from", args.from_), ("--to", args.to)):  # 'nott'" did not say which of the two)
        try:
            ends.append(Emotion.parse(spec))
        except EmotionSpecError as exc:
            raise EmotionSpecError(f"{flag}: {exc}") from None
    result = build_session(*ends, args.out, minutes=args.minutes, clip_s=args.clip, config=cfg)
    doc = result.to_json()
    if getattr(args, "json", False):
        for line in summary_warnings(result.summary):  # on stderr too, as `emotion --plan --json` says them (they
            # were in the JSON's summary alone)
            print(f"emostudio session: {line if line.startswith(('warning', 'note')) else 'note: ' + line}",
                  file=sys.stderr)
        print_json(doc)
        return 0
    s = result.summary
    from conditioning.trajectory import clip_lengths

    print(f"wrote {result.audio} ({clip_lengths(result.clips)}), {result.midi}, {result.plan}, {result.plot}")
    for line in summary_lines(s):
        print(f"  {line}")
    if s.get("clip_files"):
        folder = result.plan.parent / s["clip_files"]["folder"]
        print(f"  clip files: {s['clip_files']['count']} clips in {folder} (clip_000.wav, its "
              f".mid and .wav.json ...)")
    if s.get("visuals"):
        folder = result.plan.parent / s["visuals"]["folder"]
        print(f"  visuals: {len(result.clips)} pictures ({s['visuals']['style']}) in {folder}")
    print(f"  {result.timings['total_s']:.1f} s")
    return 0


__all__ = ["ClipReport", "SessionConfig", "SessionResult", "build_session", "plot_session",
           "render_chunked", "run_session_cli", "summary_lines", "summary_warnings", "write_visuals"]
