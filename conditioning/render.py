"""Render MIDI to audio with FluidSynth: the one renderer generators and critics share.

Why here: the symbolic music generator writes MIDI and the music critics listen to audio; both need
the same renderer and they may not import each other, so it lives in `conditioning`.

- Soundfonts (all General MIDI): FluidR3_GM (Debian `fluid-soundfont-gm`, MIT), TimGM6mb (Debian
  `timgm6mb-soundfont`, GPL-2; pretty_midi also ships a copy), MuseScore_General (Debian
  `musescore-general-soundfont`, MIT). Resolution order: explicit argument, `$EMOSTUDIO_SOUNDFONT`,
  FluidR3_GM, TimGM6mb, any other soundfont found in the usual folders.
- Synthesis: pyfluidsynth (the binding pretty_midi uses) driven directly, one synth per call with one
  MIDI channel per instrument, so a sustain pedal on one part never holds another part's notes and no
  state leaks between calls. If the binding cannot load, the `fluidsynth` command line renders a WAV.
- Loudness: ITU-R BS.1770-4 integrated loudness (K-weighting, 400 ms blocks, -70 LUFS absolute and
  -10 LU relative gates), normalised to -16 LUFS by default (the level AES TD1004 recommends for
  streamed audio), then a peak ceiling so nothing clips. Absolute level then carries no information, as
  with real-world recordings; dynamics within the piece are kept.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from conditioning.media import Audio, MediaError

__all__ = [
    "RenderError",
    "SoundfontNotFoundError",
    "DEBIAN_PACKAGES",
    "list_soundfonts",
    "find_soundfont",
    "render_midi",
    "integrated_loudness",
]

DEBIAN_PACKAGES = "fluidsynth fluid-soundfont-gm timgm6mb-soundfont"
SOUNDFONT_ENV = "EMOSTUDIO_SOUNDFONT"
SOUNDFONT_DIRS = (
    "/usr/share/sounds/sf2",
    "/usr/share/sounds/sf3",
    "/usr/share/soundfonts",
    "/usr/local/share/soundfonts",
    "/usr/share/sounds/sf2/fluid",
    "~/.local/share/soundfonts",
)
_PREFERRED = ("fluidr3_gm", "timgm6mb")  # in order: FluidR3 sounds best, TimGM6mb is small
_EXTENSIONS = (".sf2", ".sf3")
_DRUM_CHANNEL = 9


class RenderError(MediaError):
    """The MIDI cannot be rendered: unreadable, empty, or the synthesiser failed."""


class SoundfontNotFoundError(RenderError):
    """No usable soundfont: names the Debian packages that provide one."""


# ----------------------------------------------------------------------------------- soundfonts


def _pretty_midi_soundfont() -> Path | None:
    try:
        import pretty_midi
    except ImportError:  # pragma: no cover - pretty_midi is a core dependency
        return None
    path = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    return path if path.is_file() else None


def list_soundfonts() -> list[Path]:
    """Every soundfont file found in the usual Debian folders (and pretty_midi's own TimGM6mb).

    Symlinks (e.g. Debian's default-GM.sf2 alternative) are resolved and duplicates dropped; the
    preferred fonts come first.
    """
    found: dict[Path, None] = {}
    for folder in SOUNDFONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for path in sorted(root.iterdir()):
            if path.suffix.lower() in _EXTENSIONS and path.is_file():
                found.setdefault(path.resolve(), None)
    bundled = _pretty_midi_soundfont()
    if bundled is not None:
        found.setdefault(bundled.resolve(), None)

    def rank(path: Path) -> tuple[int, str]:
        stem = path.stem.lower()
        for i, name in enumerate(_PREFERRED):
            if stem == name:
                return i, str(path)
        return len(_PREFERRED), str(path)

    return sorted(found, key=rank)


def find_soundfont(name_or_path: str | os.PathLike | None = None) -> Path:
    """Resolve a soundfont: a file path, a name ("FluidR3_GM", "timgm6mb", "musescore"), or None.

    None means: `$EMOSTUDIO_SOUNDFONT`, else FluidR3_GM, else TimGM6mb, else any soundfont found.
    """
    if name_or_path is None:
        env = os.environ.get(SOUNDFONT_ENV)
        if env:
            try:
                return find_soundfont(env)
            except SoundfontNotFoundError as exc:  # (the name came from the environment, not from the command)
                raise SoundfontNotFoundError(f"${SOUNDFONT_ENV}: {exc}") from None
        fonts = list_soundfonts()
        if not fonts:
            raise SoundfontNotFoundError(
                "no General MIDI soundfont found in "
                f"{', '.join(SOUNDFONT_DIRS)}; install one with "
                f"`apt-get install {DEBIAN_PACKAGES}` or set ${SOUNDFONT_ENV} to a .sf2/.sf3 file"
            )
        return fonts[0]
    text = str(name_or_path)
    path = Path(text).expanduser()
    if path.is_file():
        with open(path, "rb") as f:  # FluidSynth meets another file with four lines of its own, one 'CRITICAL'
            head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
            raise SoundfontNotFoundError(f"{text!r} is not a soundfont (a .sf2/.sf3 file, RIFF 'sfbk'); give one, or "
                                         f"a name ({', '.join(dict.fromkeys(p.stem for p in list_soundfonts())) or 'none installed'})")
        return path
    if path.suffix.lower() in _EXTENSIONS or os.sep in text:
        what = "is a folder, not a soundfont file" if path.is_dir() else "does not exist"
        raise SoundfontNotFoundError(
            f"soundfont file {text!r} {what}; give an existing .sf2/.sf3 path or a name "
            f"({', '.join(dict.fromkeys(p.stem for p in list_soundfonts())) or 'none installed'}); "
            f"Debian packages: {DEBIAN_PACKAGES}"
        )
    key = text.lower().replace("-", "").replace("_", "").replace(" ", "")
    fonts = list_soundfonts()
    for font in fonts:
        stem = font.stem.lower().replace("-", "").replace("_", "")
        if stem == key or stem.startswith(key):
            return font
    raise SoundfontNotFoundError(
        f"no soundfont named {text!r}; installed: "
        f"{', '.join(dict.fromkeys(p.stem for p in fonts)) or 'none'}; Debian packages: {DEBIAN_PACKAGES}"
    )


# ----------------------------------------------------------------------------------- loudness


def _k_weighting(rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two BS.1770 K-weighting biquads at any rate (libebur128's analogue-prototype derivation)."""
    # Stage 1: high shelf (+4 dB above ~1.7 kHz), models the head's acoustic effect.
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf_b = np.array([vh + vb * k / q + k * k, 2.0 * (k * k - vh), vh - vb * k / q + k * k]) / a0
    shelf_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    # Stage 2: RLB high pass (~38 Hz).
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    hp_b = np.array([1.0, -2.0, 1.0])
    hp_a = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return [(shelf_b, shelf_a), (hp_b, hp_a)]


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """ITU-R BS.1770-4 gated integrated loudness in LUFS of a mono signal (-inf when silent)."""
    from scipy.signal import lfilter

    x = np.asarray(samples, dtype=np.float64)
    if x.ndim > 1:
        x = x.mean(axis=1)
    for b, a in _k_weighting(rate):
        x = lfilter(b, a, x)
    block, hop = int(0.4 * rate), int(0.1 * rate)
    if x.size < block:
        power = np.array([np.mean(x * x)]) if x.size else np.array([0.0])
    else:
        sq = np.concatenate([[0.0], np.cumsum(x * x)])
        starts = np.arange(0, x.size - block + 1, hop)
        power = (sq[starts + block] - sq[starts]) / block
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10.0 * np.log10(power)
    gated = power[lk > -70.0]
    if gated.size == 0:
        return float("-inf")
    relative = -0.691 + 10.0 * np.log10(gated.mean()) - 10.0
    gated = power[(lk > -70.0) & (lk > relative)]
    return float(-0.691 + 10.0 * np.log10(gated.mean()))


def level_free_loudness(samples: np.ndarray, rate: int) -> float:
    """`integrated_loudness`, also of a signal under BS.1770's absolute -70 LUFS gate: measured at a raised level
    (its RMS at 0.05) and the raise taken off again, since loudness moves with gain dB for dB. For readers that
    normalise level away (the music judge): a piano at -66 dBFS peak read -inf, was left as it was, and read Q4
    where at 0 and -40 dB it read Q1. -inf only for silence."""
    lufs = integrated_loudness(samples, rate)
    if np.isfinite(lufs):
        return lufs
    y = np.asarray(samples, dtype=np.float64)
    rms = float(np.sqrt(np.mean(np.square(y)))) if y.size else 0.0
    if not (rms > 0.0 and np.isfinite(rms)):
        return lufs
    return integrated_loudness(y * (0.05 / rms), rate) - 20.0 * np.log10(0.05 / rms)


def limit_peaks(y: np.ndarray, rate: int, ceiling: float, window_s: float = 0.01) -> np.ndarray:
    """A look-ahead peak limiter: the gain at each sample is the mean, over +-``window_s``, of the smallest gain
    any sample within +-``window_s`` of it needs to stay under ``ceiling``, so every sample ends under the ceiling
    (each mean is of values no larger than the sample's own need) and the gain moves over 20 ms, not at once.
    Why: a whole-file ceiling scales everything down for one piano attack; limiting the few loud attacks keeps the
    level (a session's sat 2-4 LU under its -16 LUFS target)."""
    from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

    w = max(1, int(window_s * rate))
    need = np.minimum(1.0, ceiling / np.maximum(maximum_filter1d(np.abs(y), 2 * w + 1), 1e-12))
    if need.min() >= 1.0:
        return y
    gain = uniform_filter1d(minimum_filter1d(need, 2 * w + 1), 2 * w + 1)
    return (y * np.minimum(gain, need)).astype(y.dtype)


def normalise_loudness(y: np.ndarray, rate: int, target_lufs: float, peak: float, limit: bool = False) -> np.ndarray:
    """Gain to ``target_lufs`` (BS.1770 integrated loudness), then a ceiling at ``peak``; silence is returned as is.
    With ``limit`` the few samples the gain takes over ``peak`` are limited (`limit_peaks`, up to three passes, each
    of which takes a little level) before the ceiling, which then rarely has anything left to scale down."""
    loudness = integrated_loudness(y, rate)
    if not np.isfinite(loudness):
        return y
    for _ in range(3 if limit else 0):
        if abs(loudness - target_lufs) < 0.2:
            break
        y = limit_peaks(y * 10.0 ** ((target_lufs - loudness) / 20.0), rate, peak)
        loudness = integrated_loudness(y, rate)
    y = y * 10.0 ** ((target_lufs - loudness) / 20.0)
    top = float(np.max(np.abs(y))) if y.size else 0.0
    if top > peak:  # a simple ceiling, not a limiter: keeps the waveform's shape
        y = y * (peak / top)
    return y


# ----------------------------------------------------------------------------------- MIDI


def _load_midi(midi):
    import pretty_midi

    if isinstance(midi, pretty_midi.PrettyMIDI):
        return midi, "<PrettyMIDI>"
    path = Path(midi)
    if path.is_dir():
        raise RenderError(f"{str(path)!r} is a folder, not a MIDI file")
    if not path.is_file():
        raise RenderError(f"MIDI file {str(path)!r} does not exist")
    try:
        return read_smf(path.read_bytes()), str(path)
    except SmfProblem as exc:
        raise RenderError(f"cannot read {str(path)!r} as one piece of music ({exc})") from None
    except Exception as exc:  # mido raises many types (OSError, EOFError, KeyError, ValueError)
        raise RenderError(f"cannot read {str(path)!r} as a Standard MIDI File "
                          f"({midi_read_error(exc, file_head(path))})") from exc


class SmfProblem(ValueError):
    """A Standard MIDI File whose header says it is not one piece the studio can read (`read_smf`)."""


def read_smf(data: bytes):
    """A `pretty_midi.PrettyMIDI` of a Standard MIDI File's bytes, its RIFF wrapper (RMID) taken off. Raises
    `SmfProblem` for what its header says cannot be read as one piece: a type-2 file holds independent sequences
    (songs or patterns), which pretty_midi laid over one another at the first one's tempo (a bright 150 bpm song
    and a dark 56 bpm one read as one 9-s Q1 piece); a file with no tracks; SMPTE timing, which pretty_midi
    cannot read (both said "damaged"). Other failures are pretty_midi's and mido's own exceptions."""
    import io

    import pretty_midi

    if data[:4] == b"RIFF" and data[8:12] == b"RMID":  # a MIDI file wrapped as RIFF: its "data" chunk is the SMF
        # (mido reads only a bare SMF: "MThd not found")
        start = data.find(b"MThd", 12)
        data = data[start:] if start >= 0 else data
    if data[:4] == b"MThd" and len(data) >= 14:
        kind, tracks, division = (int.from_bytes(data[i:i + 2], "big") for i in (8, 10, 12))
        if kind == 2 and tracks > 1:  # (one sequence is one piece, whatever the header calls it)
            raise SmfProblem("it is a type-2 MIDI file, whose tracks are independent sequences (songs or patterns), "
                             "not parts played together; save the one to judge as a type-0 or type-1 file")
        if tracks == 0:
            raise SmfProblem("it holds no tracks, so no notes")
        if division & 0x8000:
            raise SmfProblem("it is timed in SMPTE frames, which pretty_midi does not read; save it timed in ticks "
                             "per beat, a sequencer's usual setting")
    return pretty_midi.PrettyMIDI(io.BytesIO(data))


def file_head(path: Path) -> bytes | None:
    """A file's first 16 bytes (None when it cannot be read), for `midi_read_error`."""
    try:
        with open(path, "rb") as f:
            return f.read(16)
    except OSError:
        return None


#: What a file named like a MIDI file is instead, by its first bytes (an empty or a WAV file given as .mid was
#: "cut short or damaged", or "OSError: MThd not found")
NOT_MIDI = ((b"fLaC", "a FLAC recording"), (b"OggS", "an Ogg recording"),
            (b"ID3", "an MP3 recording"), (b"\xff\xfb", "an MP3 recording"), (b"FORM", "an AIFF recording"),
            (b"\x89PNG", "a PNG picture"), (b"\xff\xd8", "a JPEG picture"))


def midi_read_error(exc: Exception, head: bytes | None = None) -> str:
    """Why mido could not read a MIDI file, in words: a file cut short raises a bare ``EOFError`` with no message
    (the reason read "EOFError: " before), and other failures name their exception. ``head``: the file's first
    bytes, which say when it is no MIDI file at all (empty, a recording, a text)."""
    if head is not None and not head.startswith(b"MThd") and head[8:12] != b"RMID":  # (RIFF-wrapped MIDI is MIDI)
        if not head:
            return "the file is empty"
        what = "a WAV recording" if head[8:12] == b"WAVE" else next(
            (kind for magic, kind in NOT_MIDI if head.startswith(magic)), None)
        if what is None and all(32 <= b < 127 or b in b"\t\r\n" for b in head):
            what = "text"
        return (f"it is {what}, not MIDI" if what else "it is not MIDI: a MIDI file starts with 'MThd'") + \
            "; give a .mid file, or a recording with --modality music and the audio judge"
    if isinstance(exc, EOFError):
        return "it ends before its tracks do: cut short or damaged"
    if "exceeds maximum length" in str(exc):  # mido's "Message length 9223372036854775680 exceeds maximum ..."
        return "its tracks are damaged"
    if isinstance(exc, (ValueError, IndexError, KeyError)) and not isinstance(exc, OSError):
        # pretty_midi's own arithmetic on what mido made of a damaged header ("max() arg is an empty sequence")
        return "its header or tracks are damaged"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _revoice(pm, programs: int | Sequence[int] | None):
    """Copy of `pm` whose non-drum instruments play the given GM program(s) (cycled)."""
    if programs is None:
        return pm
    import copy

    progs = [int(programs)] if np.isscalar(programs) else [int(p) for p in programs]
    if not progs or any(not 0 <= p <= 127 for p in progs):
        raise RenderError(f"GM programs must be integers 0..127, got {programs!r}")
    pm = copy.deepcopy(pm)
    melodic = [inst for inst in pm.instruments if not inst.is_drum]
    for i, inst in enumerate(melodic):
        inst.program = progs[i % len(progs)]
    return pm


def _events(pm) -> tuple[list[tuple], list[tuple[int, int, int]]]:
    """Time-sorted synth events and the (channel, bank, program) set-up, one channel per part."""
    setup, events = [], []
    free = [c for c in range(16) if c != _DRUM_CHANNEL]
    melodic = 0  # counted apart from the drums: with a drum track among 15 melodic parts, counting every track put
    for inst in pm.instruments:  # two parts on one channel, the second's program replacing the first's
        if inst.is_drum:
            channel, bank = _DRUM_CHANNEL, 128
        else:  # more than 15 melodic parts share channels (rare in practice)
            channel, bank = free[melodic % len(free)], 0
            melodic += 1
        setup.append((channel, bank, inst.program))
        for n in inst.notes:
            events.append((n.start, 1, "on", channel, n.pitch, n.velocity))
            events.append((n.end, 0, "off", channel, n.pitch, 0))
        for c in inst.control_changes:
            events.append((c.time, 2, "cc", channel, c.number, c.value))
        for b in inst.pitch_bends:
            events.append((b.time, 2, "bend", channel, b.pitch, 0))
    events.sort(key=lambda e: (e[0], e[1]))  # note-offs before note-ons at the same instant
    return events, setup


_DITHER_FIXED = threading.Lock()  #: held while the first synth of the process is made (`_same_dither`)
_dither_done = False


def _same_dither() -> None:
    """Seed the C library's rand() as a fresh process has it (glibc's 1) before the process's first FluidSynth
    synth, once. Why: FluidSynth fills its 16-bit dither table from rand() when its first synth is made, so a
    process that had called rand() before (a Ray worker) rendered the same notes with other dither: a dataset's
    music items differed byte for byte between local workers and Ray (by 0.0004 at most), and between Ray runs."""
    global _dither_done
    with _DITHER_FIXED:
        if _dither_done:
            return
        _dither_done = True
        try:
            import ctypes
            import ctypes.util

            ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").srand(1)
        except (OSError, AttributeError, TypeError):  # no C library to reach: the dither is left as it is
            pass


def _render_binding(pm, rate: int, soundfont: Path, tail_s: float) -> np.ndarray:
    import fluidsynth  # pyfluidsynth; raises ImportError/OSError when libfluidsynth is missing

    _same_dither()
    synth = fluidsynth.Synth(gain=0.2, samplerate=float(rate))
    try:
        sfid = synth.sfload(str(soundfont))
        if sfid == -1:
            raise RenderError(f"FluidSynth could not load the soundfont {str(soundfont)!r}")
        events, setup = _events(pm)
        for channel, bank, program in setup:
            if synth.program_select(channel, sfid, bank, program) == -1:
                synth.program_select(channel, sfid, bank, 0)
        total = int(np.ceil((pm.get_end_time() + tail_s) * rate))
        out = np.zeros(total, dtype=np.float32)
        pos = 0
        for time, _, kind, channel, a, b in events:
            target = min(int(round(time * rate)), total)
            if target > pos:
                block = synth.get_samples(target - pos).astype(np.float32)  # interleaved L/R int16
                out[pos:target] = 0.5 * (block[0::2] + block[1::2]) / 32768.0
                pos = target
            if kind == "on":
                synth.noteon(channel, a, b)
            elif kind == "off":
                synth.noteoff(channel, a)
            elif kind == "cc":
                synth.cc(channel, a, b)
            else:
                synth.pitch_bend(channel, a)
        if total > pos:
            block = synth.get_samples(total - pos).astype(np.float32)
            out[pos:] = 0.5 * (block[0::2] + block[1::2]) / 32768.0
        return out
    finally:
        synth.delete()


def _render_cli(pm, rate: int, soundfont: Path, tail_s: float) -> np.ndarray:
    """Fallback: `fluidsynth -ni -F out.wav` (fast render) on a temporary copy of the MIDI."""
    import soundfile

    exe = shutil.which("fluidsynth")
    if exe is None:
        raise RenderError(
            "neither the pyfluidsynth binding nor the `fluidsynth` command works here; "
            f"install the Debian packages: {DEBIAN_PACKAGES}"
        )
    with tempfile.TemporaryDirectory(prefix="emostudio-render-") as tmp:
        mid, wav = Path(tmp) / "in.mid", Path(tmp) / "out.wav"
        pm.write(str(mid))
        cmd = [exe, "-ni", "-q", "-g", "0.2", "-r", str(rate), "-F", str(wav), str(soundfont), str(mid)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not wav.is_file():
            raise RenderError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip()[-400:]}")
        y, sr = soundfile.read(str(wav), dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    total = int(np.ceil((pm.get_end_time() + tail_s) * rate))
    return np.pad(y, (0, max(0, total - y.size)))[:total]


def render_midi(
    midi,
    rate: int = 22050,
    soundfont: str | os.PathLike | None = None,
    programs: int | Sequence[int] | None = None,
    gain_db: float | None = None,
    *,
    target_lufs: float = -16.0,
    peak: float = 0.99,
    tail_s: float = 1.0,
) -> Audio:
    """Render `midi` (a path or a pretty_midi.PrettyMIDI) to mono float32 audio.

    - `soundfont`: a path or a name (see `find_soundfont`); None picks the default.
    - `programs`: re-voice every non-drum part to this GM program (0 piano, 4 e-piano, 19 organ,
      24 nylon guitar, 48 strings, 73 flute, ...), or to a list of programs cycled over the parts;
      used for timbre augmentation when training critics.
    - `gain_db`: None normalises to `target_lufs` (BS.1770); a number applies that fixed gain to the
      synthesiser's own level instead (keeps absolute velocity loudness).
    - The result lasts `end of last note + tail_s` so release and reverb tails are kept.
    """
    if rate <= 0:
        raise RenderError(f"rate must be a positive sample rate in Hz, got {rate!r}")
    pm, label = _load_midi(midi)
    if not any(inst.notes for inst in pm.instruments):
        raise RenderError(f"MIDI {label} has no notes to render")
    pm = _revoice(pm, programs)
    font = find_soundfont(soundfont)
    try:
        y = _render_binding(pm, rate, font, tail_s)
    except (ImportError, OSError, AttributeError):
        y = _render_cli(pm, rate, font, tail_s)
    if not np.any(y):
        raise RenderError(f"FluidSynth rendered silence for {label} with {font.name}")
    if gain_db is None:
        y = normalise_loudness(y, rate, target_lufs, peak)
    else:
        y = y * 10.0 ** (gain_db / 20.0)
        y = np.clip(y, -1.0, 1.0)
    return Audio(samples=y.astype(np.float32), rate=int(rate))
