"""The speech section of `emostudio demo`: one sentence in several emotions, playable, with a picture of what
changed (spectrogram with the F0 track per take) and what the loop's two speech judges heard, scored the way the
loop scores (the neutral take of the same sentence as speaker reference).

`demo_speech(out_dir)` writes ``out_dir/speech/*.wav`` and ``out_dir/speech/speech.png`` and returns an HTML
fragment (relative links) for the lead's demo page. Works without the critics (the readings column is then
left out), without Festival (its rows are then left out, and the page says why) and without the `speech` extra
(Festival's voice speaks every row).
"""
from __future__ import annotations

import html
from pathlib import Path

SENTENCE = "I never expected to see you here tonight."
EMOTIONS = ("neutral", "joy", "sadness", "anger", "fear", "surprise")


def _plot(takes: list[tuple[str, object]], path: Path) -> None:
    from matplotlib.figure import Figure  # (not pyplot: it would set the process's backend)
    import numpy as np

    from conditioning.vocoder import track_f0

    fig = Figure(figsize=(9, 1.7 * len(takes)))
    axes = fig.subplots(len(takes), 1, sharex=True)
    for ax, (label, res) in zip(np.atleast_1d(axes), takes):
        a = res.media
        x = a.samples.astype(np.float64)
        ax.specgram(x + 1e-7 * np.sin(np.arange(x.size)), NFFT=512, Fs=a.rate, noverlap=384, cmap="magma", vmin=-110)
        t, f0 = track_f0(x, a.rate, frame_period=10.0)  # (Praat's where installed, else WORLD's: no extra needed)
        f0 = np.where(f0 > 0, f0, np.nan)
        ax2 = ax.twinx()
        ax2.plot(t, f0, color="cyan", lw=1.5)
        ax2.set_ylim(50, 400)
        ax2.set_ylabel("F0 Hz", fontsize=7)
        ax.set_ylim(0, 8000)
        ax.set_ylabel(label, fontsize=8)
        for w in res.extras.get("words", []):
            ax.axvline(w["start_s"], color="white", lw=0.4, alpha=0.5)
    np.atleast_1d(axes)[-1].set_xlabel("seconds (white lines: word onsets from the generator's timings)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


#: how each voice's rows are labelled, by the backend that speaks it
VOICE_LABELS = {"piper": "joe (Piper)", "festival": "slt (Festival HTS)"}


def demo_speech(out_dir: str | Path) -> str:
    """Generate the demo takes into ``out_dir/speech`` and return the HTML fragment. The voice is the one the
    studio speaks with by default (Piper where the `speech` extra is installed, else Festival: without the extra
    the section had said only that Piper was missing); beside Piper, three Festival rows where it runs."""
    from conditioning import Emotion, Trajectory
    from generators.base import GenerationRequest
    from studio.demo import save_demo_take

    out = Path(out_dir) / "speech"
    from studio.studio import Studio

    studio = Studio()
    gen = studio.generator("speech")  # (BackendUnavailable, with why, where no voice runs: the page says it)
    voice = VOICE_LABELS.get(gen.name, gen.name)
    out.mkdir(parents=True, exist_ok=True)
    judges = studio.judges("speech")  # the loop's judges, scoring the way the loop does (neutral take as reference)
    rows, takes = [], []

    def take(generator, request: GenerationRequest, label: str, name: str):
        """One take made and read as the loop reads it (each judge against the neutral take of the same voice and
        words): every row shows what its judges heard, the Festival voice's too (its rows used to be blank)."""
        judged = studio.run_loop(generator, judges, request)
        save_demo_take(out / name, judged, Path(out_dir))
        heard = "; ".join(f"{j.critic}: {max(j.reading.native, key=j.reading.native.get)} "
                          f"(v={j.reading.valence:+.2f}, a={j.reading.arousal:+.2f})" for j in judged.best.judgements)
        if request.emotion.top == "neutral" and request.trajectory is None:  # two voices read alike: not measured
            heard += " (a neutral take is its own reference, so the loop reads it as neutral by construction)"
        rows.append((label, name, heard))
        return judged.best.result

    for spec in EMOTIONS:
        takes.append((spec, take(gen, GenerationRequest(Emotion.parse(spec), text=SENTENCE, seed=0),
                                 f"{voice}, {spec}", f"{gen.name}_{spec}.wav")))
    traj = Trajectory.of([(0.0, "sadness"), (2.0, "joy")])  # read as a whole take, against the path's mean
    takes.append(("sad->joy", take(gen, GenerationRequest(Emotion.parse("neutral"), trajectory=traj, text=SENTENCE,
                                                          seed=0),
                                   f"{voice}, sadness -> joy word by word", f"{gen.name}_sad_to_joy.wav")))
    skipped = ""
    if gen.name == "piper":
        from conditioning.registry import BackendUnavailable
        from generators.speech.festival import FestivalSpeech

        fest = FestivalSpeech()
        try:
            for spec in ("neutral", "anger", "sadness"):
                take(fest, GenerationRequest(Emotion.parse(spec), text=SENTENCE, seed=0),
                     f"{VOICE_LABELS['festival']}, {spec}", f"festival_{spec}.wav")
        except BackendUnavailable as exc:  # Festival or its voice is not installed (said before any row)
            skipped = f"<p><small>The Festival voice's rows are left out: {html.escape(str(exc))}.</small></p>\n"
    _plot(takes, out / "speech.png")
    body = "\n".join(
        f"<tr><td>{html.escape(label)}</td><td><audio controls preload=\"none\" src=\"speech/{name}\" aria-label=\"{html.escape(label)}\"></audio></td>"
        + (f"<td>{html.escape(heard)}</td>" if judges else "") + "</tr>"
        for label, name, heard in rows)
    head = "<tr><th>voice, emotion</th><th>audio</th>" + ("<th>what the loop's judges heard (the neutral take as reference)</th>" if judges else "") + "</tr>"
    engine = "Piper" if gen.name == "piper" else "Festival" if gen.name == "festival" else gen.name
    return (f"<section id=\"speech\"><h2>Emotional speech</h2>\n<p>&ldquo;{html.escape(SENTENCE)}&rdquo; rendered by "
            f"{engine} with WORLD prosody driven by the emotion (rate, pauses, F0 level/range/contour, voice quality, "
            "energy; Scherer 2003, Schroeder 2004, Murray &amp; Arnott 1993).</p>\n"
            f"<table>{head}\n{body}</table>\n{skipped}"
            "<p><img src=\"speech/speech.png\" alt=\"spectrograms with F0 tracks of the takes\" width=\"720\"></p>"
            "</section>")
