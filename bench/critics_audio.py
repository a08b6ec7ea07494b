"""Throughput of the embedded audio critics as x real time on one core (issue target: >= 50x for both),
each against a reference measured in the same run on the same inputs; the second speech judge (speech/encoder)
on the same clips.

    python bench/critics_audio.py [--n 24]

Speech: real RAVDESS/EmoDB clips when ../shared/data is present (else a synthetic vowel train); the reference
is reading the file and resampling it to 16 kHz, the least any speech critic must do.
Music: EMOPIA MIDI rendered with the project's FluidSynth renderer (rendering is not timed as part of the
critic); the reference is the rendering itself, i.e. how fast the studio produces what the critic judges. Then
the same MIDI files given to the critic as MIDI (rendered through each of its `MIDI_FONTS` and read each time),
against the same with one soundfont.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))


def _xrt(fn, items, durations) -> float:
    fn(items[0])  # warm-up: model load, caches
    t0 = time.perf_counter()
    for it in items:
        fn(it)
    return sum(durations) / (time.perf_counter() - t0)


def bench_speech(n: int) -> dict:
    from conditioning.media import Audio, load_audio
    from critics.speech.embedded import EmbeddedSpeechCritic

    files = []
    for corpus in ("ravdess", "emodb"):
        labels = DATA / "speech" / corpus / "labels.csv"
        if labels.is_file():
            with open(labels, newline="") as f:
                files += [labels.parent / r["path"] for r in list(csv.DictReader(f))[: n // 2]]
    if files:
        audios = [load_audio(p) for p in files]
    else:  # synthetic voiced speech-like signal: glottal pulse train at a gliding F0 through two formants
        from scipy.signal import lfilter

        rate, audios = 16000, []
        for i in range(n):
            t = np.arange(int(2.5 * rate)) / rate
            f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t + i)
            pulses = (np.diff(np.floor(np.cumsum(f0) / rate), prepend=0) > 0).astype(float)
            y = lfilter([1], [1, -1.3, 0.8], pulses)
            audios.append(Audio((0.3 * y / np.abs(y).max()).astype(np.float32), rate))
    critic = EmbeddedSpeechCritic()
    durations = [a.duration_s for a in audios]
    xrt = _xrt(critic.score, audios, durations)
    ref = _xrt(lambda p: load_audio(p, rate=16000), files, durations) if files else float("nan")
    out = {"xrt": xrt, "reference_xrt": ref, "audio_s": sum(durations), "source": "RAVDESS+EmoDB" if files else "synthetic"}
    try:  # the second speech judge on the same clips (its card quoted a figure no kept script printed)
        from critics.speech.encoder import SpeechEncoderCritic

        out["encoder_xrt"] = _xrt(SpeechEncoderCritic().score, audios, durations)
    except Exception as exc:  # (its weights or onnxruntime missing: said, not fatal)
        out["encoder_error"] = str(exc)
    return out


def bench_music(n: int) -> dict:
    from conditioning.render import render_midi
    from critics.music.embedded import EmbeddedMusicCritic

    labels = DATA / "music" / "emopia" / "labels.csv"
    if labels.is_file():
        with open(labels, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["split"] == "val"][:n]
        midis = [labels.parent / r["path"] for r in rows]
    else:
        import pretty_midi

        midis = []
        for i in range(n):
            pm = pretty_midi.PrettyMIDI(initial_tempo=100)
            inst = pretty_midi.Instrument(0)
            for k in range(40):
                inst.notes.append(pretty_midi.Note(80, 60 + (k * 5 + i) % 12, k * 0.5, k * 0.5 + 0.45))
            pm.instruments.append(inst)
            midis.append(pm)
    t0 = time.perf_counter()
    audios = [render_midi(m) for m in midis]
    render_xrt = sum(a.duration_s for a in audios) / (time.perf_counter() - t0)
    critic = EmbeddedMusicCritic()
    durations = [a.duration_s for a in audios]
    return {"xrt": _xrt(critic.score, audios, durations), "reference_xrt": render_xrt, "audio_s": sum(durations),
            "source": "EMOPIA val" if labels.is_file() else "synthetic",
            # MIDI in: rendered through each of MIDI_FONTS and read each time, against one font's render and reading
            "midi_xrt": _xrt(critic.score, midis, durations),
            "midi_one_font_xrt": _xrt(EmbeddedMusicCritic(soundfont="FluidR3_GM").score, midis, durations)}


def main() -> None:
    from critics.music.embedded import MIDI_FONTS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24)
    args = ap.parse_args()
    for name, fn in (("speech", bench_speech), ("music", bench_music)):
        r = fn(args.n)
        verdict = "PASS" if r["xrt"] >= 50 else "FAIL"
        print(f"{name} critic (embedded): {r['xrt']:.0f}x real time on one core over {r['audio_s']:.0f} s of "
              f"{r['source']} audio (target >= 50x; reference {r['reference_xrt']:.0f}x) -> {verdict}")
        if "encoder_xrt" in r:
            print(f"{name} critic (encoder): {r['encoder_xrt']:.0f}x real time on one core over the same audio")
        elif "encoder_error" in r:
            print(f"{name} critic (encoder): not measured: {r['encoder_error']}")
        if "midi_xrt" in r:
            print(f"{name} critic (embedded) from MIDI, rendering included: {r['midi_xrt']:.0f}x real time through "
                  f"{' + '.join(MIDI_FONTS)} (reference: FluidR3_GM alone {r['midi_one_font_xrt']:.0f}x)")


if __name__ == "__main__":
    main()
