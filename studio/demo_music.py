"""The music section of ``emostudio demo``: four emotions composed and measured, and a short iso session.

`demo_music(out_dir)` writes its files under ``out_dir/music/`` and returns an HTML fragment whose links are
relative to ``out_dir`` (the demo page's folder). It runs offline on the embedded composer; readings appear
when a music critic is available, and the section says so when it is not.
"""
from __future__ import annotations

import html
from pathlib import Path

PIECES = (("joy", "Q1: positive, active"), ("anger", "Q2: negative, active"), ("sadness", "Q3: negative, calm"),
          ("calm", "Q4: positive, calm"))


def demo_music(out_dir: str | Path, *, duration_s: float = 15.0, session_minutes: float = 2.0,
               session_clip_s: float = 20.0, seed: int = 0, loop: int = 2) -> str:
    """Write the music demo files under ``out_dir/music`` and return the HTML fragment. ``loop``: closed-loop
    correction rounds per piece (the Studio keeps the best-measured take; 0 shows the first take)."""
    from studio.demo import save_demo_take
    from studio.session import build_session
    from studio.studio import Studio

    out = Path(out_dir)
    folder = out / "music"
    folder.mkdir(parents=True, exist_ok=True)
    st = Studio()
    gen = st.generator("music", "composer")
    judges = st.judges("music")
    critic_note = ("measured by " + " and ".join(f"music/{j.name}" for j in judges)) if judges else "not measured"

    rows = []
    for spec, quadrant in PIECES:
        res = st.run_loop(gen, judges, _request(spec, seed, duration_s), loop if judges else 0)
        take = res.best.result
        wav = save_demo_take(folder / f"{spec}.wav", res, out)  # (with its score, spec.mid, and its report)
        c = take.controls
        progs = ", ".join(sorted({_gm(p) for ps in c["programs"].values() for p in ps}))
        read = "<br>".join(f"{j.critic}: v {j.reading.valence:+.2f}, a {j.reading.arousal:+.2f} "
                           f"({max(j.reading.native, key=j.reading.native.get)})" for j in res.best.judgements) or "-"
        if res.best.judgements:
            read += f"<br><small>take {res.best.index + 1} of {len(res.rounds)}</small>"
        rows.append(
            f"<tr><td>{spec}<br><small>{quadrant}</small></td><td><audio controls src=\"music/{wav.name}\" aria-label=\"music, {spec}\"></audio>"
            f"<br><a href=\"music/{spec}.mid\">MIDI</a></td><td>{c['key']}, {c['tempo_bpm']:.0f} BPM, velocity "
            f"{c['velocity']:.0f}, {c['accompaniment']}</td><td>{html.escape(progs)}</td><td>{read}</td></tr>")
    sess = build_session("anxiety", "calm", folder / "session", minutes=session_minutes, clip_s=session_clip_s,
                         studio=st, seed=seed)
    s = sess.summary
    measured = (f"mean fidelity {s['mean_fidelity']:.2f}, quadrant agreement {s['quadrant_agreement']:.0%}"
                if s.get("measured") else "not measured")
    return f"""<section id="music"><h2>Music</h2>
<p>The embedded composer sets mode, tempo, register, dynamics, articulation, rhythmic density, harmonic rhythm,
dissonance and instrumentation from valence, arousal and dominance (cue weights after Eerola, Friberg &amp;
Bresin 2013), writes real phrases with cadences and voice-led chords, and renders the MIDI with FluidSynth.
{duration_s:g}-second pieces, seed {seed}, {critic_note}; the closed loop may re-take a piece up to {loop}
times, moving the controls against the measured error, and keeps the best take:</p>
<table><tr><th>target</th><th>audio</th><th>controls</th><th>instruments</th><th>reading</th></tr>{''.join(rows)}</table>
<h3>A short music-therapy session (iso principle)</h3>
<p>From anxiety to calm in {session_minutes:g} minutes of {session_clip_s:g}-second clips, one continuous piece
that follows the plan bar by bar; every clip measured ({measured}).
<a href="music/session/plan.json">plan.json</a>, <a href="music/session/session.mid">MIDI</a></p>
<p><audio controls src="music/session/{sess.audio.name}" aria-label="the session, anxiety to calm"></audio></p>
<p><img src="music/session/plot.png" alt="planned vs measured session path"></p>
</section>"""


def _request(spec: str, seed: int, duration_s: float):
    from conditioning import Emotion
    from generators.base import GenerationRequest

    return GenerationRequest(Emotion.parse(spec), seed=seed, duration_s=duration_s)


def _gm(program: int) -> str:
    from generators.music.theory import GM_NAMES

    return GM_NAMES.get(program, f"program {program}")


__all__ = ["demo_music"]
