"""The FluidSynth MIDI renderer (conditioning.render): duration, level, re-voicing, soundfonts, errors."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

pretty_midi = pytest.importorskip("pretty_midi")

from conditioning.media import Audio, MediaError  # noqa: E402
from conditioning import render  # noqa: E402
from conditioning.render import (  # noqa: E402
    RenderError,
    SoundfontNotFoundError,
    find_soundfont,
    integrated_loudness,
    list_soundfonts,
    render_midi,
)


pytestmark = pytest.mark.usefixtures("synth")


def tiny_midi(velocity: int = 90, program: int = 0) -> "pretty_midi.PrettyMIDI":
    """C major triad then a four-note melody; the last note ends at 2.0 s."""
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=program)
    for p in (60, 64, 67):
        inst.notes.append(pretty_midi.Note(velocity, p, 0.0, 1.0))
    for i, p in enumerate((72, 74, 76, 79)):
        inst.notes.append(pretty_midi.Note(velocity, p, 1.0 + 0.25 * i, 1.25 + 0.25 * i))
    pm.instruments.append(inst)
    return pm


def spectrum(audio: Audio) -> np.ndarray:
    y = audio.samples[: int(2.0 * audio.rate)]
    frames = np.lib.stride_tricks.sliding_window_view(y, 2048)[::512] * np.hanning(2048)
    mag = np.abs(np.fft.rfft(frames, axis=1)).mean(axis=0)
    return mag / mag.sum()


def test_renders_non_silent_audio_of_the_right_duration():
    audio = render_midi(tiny_midi(), rate=22050)
    assert isinstance(audio, Audio) and audio.rate == 22050 and audio.samples.ndim == 1
    assert audio.samples.dtype == np.float32
    assert audio.duration_s == pytest.approx(2.0 + 1.0, abs=0.01)  # last note end + 1 s release tail
    assert np.sqrt(np.mean(audio.samples[: audio.rate * 2] ** 2)) > 0.01
    assert np.max(np.abs(audio.samples)) <= 0.99 + 1e-6


def test_loudness_normalised_and_path_input(tmp_path):
    path = tmp_path / "tiny.mid"
    tiny_midi(velocity=30).write(str(path))
    soft = render_midi(path, rate=16000)
    loud = render_midi(tiny_midi(velocity=120), rate=16000)
    for a in (soft, loud):  # -16 LUFS, unless the peak ceiling (0.99) had to pull the level down
        lufs, peak = integrated_loudness(a.samples, a.rate), np.max(np.abs(a.samples))
        assert lufs == pytest.approx(-16.0, abs=0.1) or (peak == pytest.approx(0.99, abs=1e-3) and lufs < -16.0)
    # with a fixed gain instead, velocity still changes the level
    soft_raw = render_midi(path, rate=16000, gain_db=0.0)
    loud_raw = render_midi(tiny_midi(velocity=120), rate=16000, gain_db=0.0)
    assert integrated_loudness(loud_raw.samples, 16000) > integrated_loudness(soft_raw.samples, 16000) + 6


def test_program_override_changes_the_spectrum():
    pm = tiny_midi()
    piano = spectrum(render_midi(pm))
    strings = spectrum(render_midi(pm, programs=48))
    organ = spectrum(render_midi(pm, programs=[19]))
    assert np.abs(piano - strings).sum() > 0.2
    assert np.abs(piano - organ).sum() > 0.2
    assert pm.instruments[0].program == 0  # the caller's MIDI is not modified
    with pytest.raises(RenderError, match="0..127"):
        render_midi(pm, programs=200)


def test_same_input_same_output():
    a, b = render_midi(tiny_midi()), render_midi(tiny_midi())
    assert np.array_equal(a.samples, b.samples)


def test_unreadable_or_empty_midi_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"this is not a MIDI file")
    with pytest.raises(RenderError, match="cannot read .* as a Standard MIDI File") as info:
        render_midi(bad)
    assert isinstance(info.value, MediaError) and isinstance(info.value, ValueError)
    good = tmp_path / "good.mid"
    tiny_midi().write(str(good))
    bad.write_bytes(good.read_bytes()[:40])  # cut short: mido raises a bare EOFError, which said nothing
    with pytest.raises(RenderError, match=r"\(it ends before its tracks do: cut short or damaged\)"):
        render_midi(bad)
    with pytest.raises(RenderError, match="does not exist"):
        render_midi(tmp_path / "missing.mid")
    # not MIDI at all: said what it is (an empty file and a text were "cut short or damaged", a WAV "MThd not found")
    import soundfile as sf

    for data, said in ((b"", "the file is empty"), (b"this is not a MIDI file", "it is text, not MIDI"),
                       (None, "it is a WAV recording, not MIDI")):
        if data is None:
            sf.write(bad, np.zeros(800, np.float32), 8000, format="WAV")
        else:
            bad.write_bytes(data)
        with pytest.raises(RenderError, match=said):
            render_midi(bad)
    with pytest.raises(RenderError, match="no notes"):
        render_midi(pretty_midi.PrettyMIDI())


def test_soundfont_resolution(monkeypatch, tmp_path):
    fonts = list_soundfonts()
    assert fonts and all(f.suffix.lower() in (".sf2", ".sf3") for f in fonts)
    assert find_soundfont(str(fonts[0])) == fonts[0]
    assert find_soundfont(fonts[-1].stem.lower()).stem == fonts[-1].stem
    monkeypatch.setenv(render.SOUNDFONT_ENV, str(fonts[-1]))
    assert find_soundfont() == fonts[-1]
    monkeypatch.setenv(render.SOUNDFONT_ENV, "nope")  # said to come from the environment (an audit: the user
    with pytest.raises(SoundfontNotFoundError, match=r"^\$EMOSTUDIO_SOUNDFONT: no soundfont named 'nope'"):
        find_soundfont()  # had named none)
    monkeypatch.delenv(render.SOUNDFONT_ENV)
    with pytest.raises(SoundfontNotFoundError, match="is a folder, not a soundfont file"):  # ("does not exist")
        find_soundfont(tmp_path)
    with pytest.raises(SoundfontNotFoundError, match="fluid-soundfont-gm"):
        find_soundfont(tmp_path / "nope.sf2")
    with pytest.raises(SoundfontNotFoundError, match="installed"):
        find_soundfont("no-such-font")
    notes = tmp_path / "mine" / "notes.sf2"  # another file named like one: said before FluidSynth's own lines
    notes.parent.mkdir()
    notes.write_text("not a soundfont")
    with pytest.raises(SoundfontNotFoundError, match=r"'.*notes\.sf2' is not a soundfont \(a \.sf2/\.sf3 file"):
        find_soundfont(notes)
    monkeypatch.setattr(render, "SOUNDFONT_DIRS", (str(tmp_path),))
    monkeypatch.setattr(render, "_pretty_midi_soundfont", lambda: None)
    with pytest.raises(SoundfontNotFoundError, match="apt-get install fluidsynth fluid-soundfont-gm"):
        render_midi(tiny_midi())


@pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="the fluidsynth command is not installed")
def test_command_line_fallback(monkeypatch):
    def broken(*args, **kwargs):
        raise ImportError("pretend libfluidsynth cannot load")

    monkeypatch.setattr(render, "_render_binding", broken)
    audio = render_midi(tiny_midi(), soundfont="TimGM6mb" if any(
        f.stem.lower() == "timgm6mb" for f in list_soundfonts()) else None)
    assert audio.duration_s == pytest.approx(3.0, abs=0.01)
    assert np.sqrt(np.mean(audio.samples[: audio.rate * 2] ** 2)) > 0.01


def test_integrated_loudness_gives_bs1770s_known_answers():
    """Loudness was only checked against itself (normalise, then measure with the same function): a relative gate
    at -20 LU instead of -10 passed. A 0 dBFS 997 Hz sine reads -3.01 LUFS, and a copy 15 LU quieter after it lies
    under the relative gate, so it does not count."""
    from conditioning.render import integrated_loudness

    rate = 48000
    tone = np.sin(2 * np.pi * 997 * np.arange(10 * rate) / rate)
    assert integrated_loudness(tone, rate) == pytest.approx(-3.01, abs=0.05)
    assert integrated_loudness(np.concatenate([tone, tone * 10 ** (-15 / 20)]), rate) == pytest.approx(-3.01, abs=0.1)


def test_a_render_does_not_depend_on_what_the_process_did_before(tmp_path):
    """FluidSynth fills its 16-bit dither table from the C library's rand() when a process makes its first synth,
    so a process that had called rand() before (a Ray worker) rendered the same notes with other dither: a
    dataset's music items differed between local workers and Ray. Two fresh processes, one of which calls rand()
    first, now render the same bytes."""
    from conftest import run_python

    pytest.importorskip("fluidsynth")
    script = ("import ctypes, ctypes.util, hashlib, sys, numpy as np, pretty_midi\n"
              "if sys.argv[1] == 'rand':\n"
              "    [ctypes.CDLL(ctypes.util.find_library('c')).rand() for _ in range(7)]\n"
              "from conditioning.render import render_midi\n"
              "pm = pretty_midi.PrettyMIDI(initial_tempo=120)\n"
              "piano = pretty_midi.Instrument(0)\n"
              "piano.notes = [pretty_midi.Note(90, 60 + i, 0.25 * i, 0.25 * i + 0.5) for i in range(8)]\n"
              "pm.instruments.append(piano)\n"
              "y = render_midi(pm, rate=22050)\n"
              "print('sha', hashlib.sha256(np.asarray(getattr(y, 'samples', y)).tobytes()).hexdigest())\n")
    runs = [run_python(script, how) for how in ("plain", "rand")]
    shas = [next(line for line in r.stdout.splitlines() if line.startswith("sha")) for r in runs]
    assert shas[0] == shas[1], [r.stderr[-300:] for r in runs]


def test_fifteen_melodic_parts_and_drums_each_keep_a_channel_and_their_program():
    """A General MIDI file of 15 melodic parts with its drums not last put two parts on one channel, the second's
    program replacing the first's, so one part sounded as another instrument (an audit): the drums' track no
    longer counts among the melodic channels."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI()
    for k in range(16):
        inst = pretty_midi.Instrument(program=k * 8 if k != 5 else 0, is_drum=k == 5)
        inst.notes.append(pretty_midi.Note(velocity=80, pitch=60 + k, start=0.0, end=0.5))
        pm.instruments.append(inst)
    _, setup = render._events(pm)
    melodic = [(channel, program) for channel, bank, program in setup if bank == 0]
    assert len({channel for channel, _ in melodic}) == 15 and 9 not in {channel for channel, _ in melodic}
    assert [p for _, p in melodic] == [inst.program for inst in pm.instruments if not inst.is_drum]
