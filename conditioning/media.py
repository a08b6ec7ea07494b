"""Media types shared by generators and critics, and reading/writing them.

They live in `conditioning` because generators and critics may not import each other, and both need them.
Audio is float32 in [-1, 1]; video frames are uint8 (T, H, W, 3) RGB; images are uint8 (H, W, 3) RGB.
Writers are atomic (write to a temporary file, then rename) so a failure never leaves a partial file.
"""
from __future__ import annotations

import errno
import functools
import os
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from conditioning import native  # noqa: F401  (filters the media libraries' warnings about themselves)
from conditioning.errors import EmotionStudioError


class MediaError(EmotionStudioError, ValueError):
    """A media file or array that cannot be used: the message says what is wrong and what is accepted."""


AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aiff", ".aif", ".wma", ".ac3")


def downmix(samples: np.ndarray, coherent: float = 0.25) -> np.ndarray:
    """(n, channels) samples as one channel: their mean, unless the mean keeps less than ``coherent`` of the
    channels' mean energy, and then the loudest channel alone.

    Why: channels that carry one sound out of phase cancel in the mean. A stereo file whose right channel is the
    left inverted (a miswired microphone) was read as silent, and a talking face made from it had a silent sound
    track; two spaced microphones (one a fraction of a millisecond later) comb-filter the mean, notching the
    spectrum the speech judges read (an angry take read as happy). The default 0.25 only catches cancellation:
    music's uncorrelated channels keep half their energy in the mean, and its mean is the mix a listener hears.
    The speech judges ask for 0.9: one voice in two channels should add up, so a mean that loses more is a
    mixing fault, and one channel of a voice is the voice."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1 or x.shape[1] == 1:
        return x.reshape(-1)
    if x.size == 0:  # no samples, or no channel: nothing to mix
        return np.zeros(x.shape[0], np.float32)
    mix = x.mean(axis=1)
    energy = np.mean(np.square(x, dtype=np.float64), axis=0)
    if energy.max() > 0 and np.mean(np.square(mix, dtype=np.float64)) < coherent * energy.mean():
        return np.ascontiguousarray(x[:, int(np.argmax(energy))])
    return mix


#: A DC offset (mean sample) above this is filtered out by `remove_dc`; smaller ones are left as they are, because
#: the judges were trained on them so: the speech judges' 1,495 training clips' offsets reach 0.62 % (89 above
#: 0.1 %; the music judges' renders have none), and filtering every clip moved the retrained speech/embedded's
#: grouped-CV figures either way (EmoDB UAR 0.706 -> 0.744, nested RAVDESS UAR 0.615 -> 0.605, speaker
#: condition): a change of judge, not of input handling, left for a retraining.
DC_LIMIT = 0.007


#: The music judges' limit: their training renders' offsets stay under 0.05 % (16 EMOPIA renders through each of
#: FluidR3, TimGM6mb and MuseScore General: at most 0.007 %, 0.022 %, 0.047 %), and an offset of 0.5 % under
#: `DC_LIMIT` turned a Q2 piece's reading to Q3 (arousal +0.17 -> -0.31)
MUSIC_DC_LIMIT = 0.001


def remove_dc(y: np.ndarray, rate: int, cutoff_hz: float = 10.0, limit: float = DC_LIMIT) -> np.ndarray:
    """``y`` without its DC offset and what drifts slower than ``cutoff_hz`` (a one-pole DC blocker, causal), where
    the offset passes ``limit`` (`DC_LIMIT`; the music judges `MUSIC_DC_LIMIT`); else ``y`` as it is. Call it
    before resampling: a resampler turns the offset into steps at both ends, which the blocker then reads as sound
    (a 5 % offset at 44.1 kHz changed 8 of 15 speech readings, and pure DC was read as neutral speech).

    Why: a recorder's offset is no sound, but it shifts every level and spectral measure (1 % of full scale turned
    an angry take fearful, as it raises the floor of the pauses; 10 % was refused as a pure tone at 0 Hz; 0.4 moved
    a Q2 piece to Q3). Why a filter, not the mean: the mean of a file that is mostly silence with one click moves
    the silence to a constant that reads as sound."""
    from scipy.signal import lfilter

    x = np.asarray(y, dtype=np.float32)
    if x.size == 0 or abs(float(x.mean())) <= limit:
        return x
    r = max(0.0, 1.0 - 2.0 * np.pi * cutoff_hz / float(rate))
    return lfilter([1.0, -1.0], [1.0, -r], x - x[0]).astype(np.float32)


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray = field(repr=False)  #: float32, (n,) mono or (n, channels)
    rate: int

    def __post_init__(self) -> None:
        """Samples as float32 in [-1, 1]: integer PCM (``scipy.io.wavfile``'s int16, say) is scaled by its full
        range, and a channels-first array (librosa's ``(channels, n)``) is turned round; it used to be cast as
        it was (int16 read 90 dB too loud) or read as n channels of 2 samples."""
        x = np.asarray(self.samples)
        if x.ndim not in (1, 2) or not (np.isfinite(self.rate) and self.rate > 0):
            raise MediaError(f"audio must be (n,) or (n, channels) samples at a positive rate, got {x.shape} @ {self.rate}")
        if x.dtype.kind in "iu":
            half = 2.0 ** (8 * x.dtype.itemsize - 1)
            x = (x.astype(np.float64) - (half if x.dtype.kind == "u" else 0.0)) / half
        elif x.dtype.kind not in "f":
            raise MediaError(f"audio samples must be numbers (float in [-1, 1] or integer PCM), got {x.dtype}")
        if x.ndim == 2 and x.shape[0] <= 8 < x.shape[1]:  # (channels, n): no recording has more channels than samples
            x = x.T
        if not np.isfinite(x).all():  # a critic's analysis fails on them deep inside (librosa's ParameterError)
            raise MediaError("audio has NaN or infinite samples; give finite samples (float in [-1, 1])")
        object.__setattr__(self, "samples", np.ascontiguousarray(x, dtype=np.float32))

    @property
    def duration_s(self) -> float:
        return self.samples.shape[0] / self.rate

    @property
    def channels(self) -> int:
        return 1 if self.samples.ndim == 1 else self.samples.shape[1]

    def mono(self, coherent: float = 0.25) -> "Audio":
        """One channel: the channels' mean, or the loudest channel where they cancel (`downmix`)."""
        return self if self.samples.ndim == 1 else Audio(downmix(self.samples, coherent), self.rate)

    def resample(self, rate: int) -> "Audio":
        """Band-limited resampling (soxr through librosa when present, else polyphase from scipy)."""
        if rate == self.rate:
            return self
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(rate, self.rate)
        y = resample_poly(self.samples, rate // g, self.rate // g, axis=0)
        return Audio(y.astype(np.float32), rate)


@dataclass(frozen=True)
class Image:
    pixels: np.ndarray = field(repr=False)  #: uint8 (H, W, 3) RGB; RGBA is laid over white
    #: (index, of): which frame of a video or an animation this still is (`load_still`); None for a picture
    frame_of: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        x = np.asarray(self.pixels)
        if x.ndim == 2:
            x = np.repeat(x[:, :, None], 3, axis=2)
        if x.ndim != 3 or x.shape[2] not in (3, 4) or 0 in x.shape:
            raise MediaError(f"an image must be (H, W, 3) RGB with at least one pixel, got shape {x.shape}")
        if x.dtype.kind == "f":  # floats in [0, 1] (or already 0-255)
            if not np.isfinite(x).all():
                raise MediaError("the image has NaN or infinite pixels; give finite values (floats in [0, 1] or uint8)")
            x = np.clip(np.round(x * 255 if x.max() <= 1.0 else x), 0, 255).astype(np.uint8)
        elif x.dtype.kind == "u" and x.dtype.itemsize > 1:  # 16-bit pictures: scale by the full range, not clip
            top, out = np.iinfo(x.dtype).max, np.empty(x.shape, np.uint8)
            for r in range(0, x.shape[0], 256):  # a band of rows at a time: whole, a 40 MP picture took 2.2 GB
                out[r:r + 256] = (x[r:r + 256].astype(np.float32) * (255.0 / top)).round()
            x = out
        elif x.dtype == bool:  # a mask: white where true
            x = x.astype(np.uint8) * 255
        elif x.dtype != np.uint8:  # other integers: 0-255 values as they are (an int64 image of 1s stays dark)
            x = np.clip(x.astype(np.int64), 0, 255).astype(np.uint8)
        if x.shape[2] == 4:  # RGBA: over white, as a viewer shows it (the colour under clear pixels is no picture)
            alpha = x[:, :, 3:4].astype(np.float32) / 255.0
            x = np.round(x[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
        object.__setattr__(self, "pixels", x[:, :, :3])

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]


@dataclass(frozen=True)
class Video:
    frames: np.ndarray = field(repr=False)  #: uint8 (T, H, W, 3) RGB
    fps: float
    audio: Audio | None = None
    #: 1: every frame of the source; k: every k-th, as `load_video` read a video too large to hold whole
    stride: int = 1

    def __post_init__(self) -> None:
        x = np.asarray(self.frames)
        if x.ndim != 4 or x.shape[3] != 3 or not (np.isfinite(self.fps) and self.fps > 0):
            raise MediaError(f"video must be (T, H, W, 3) frames at fps > 0, got {x.shape} @ {self.fps}")

    @property
    def duration_s(self) -> float:
        return self.frames.shape[0] / self.fps


def _umask() -> int:
    """The process's umask, read without setting it. Why: ``os.umask`` can only be read by setting it, and while
    it was 0 (between two calls), a file another thread of the web server created got mode 0666. Linux says it in
    /proc/self/status; elsewhere, the umask the process had when this module was imported."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _IMPORT_UMASK


_IMPORT_UMASK = os.umask(0o022)
os.umask(_IMPORT_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only if the block succeeds."""
    target = Path(path)
    try:  # errors name the file asked for, not the temporary one, and a file in the way as such
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (target.parent, *target.parent.parents) if p.exists() and not p.is_dir()), None)
        raise NotADirectoryError(errno.ENOTDIR, "a file is there, not a folder", str(blocker or target.parent)) from None
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    os.close(fd)
    umask = _umask()
    try:
        try:
            yield Path(tmp)
        except OSError as exc:  # a full disk while writing: name the file asked for ("[Errno 28]" named none)
            if exc.errno is None or (exc.filename and str(exc.filename) != tmp):
                raise
            raise type(exc)(exc.errno, exc.strerror, str(target)) from None
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        try:
            os.replace(tmp, target)
        except OSError as exc:  # a folder of that name, a file one may not replace: name the file asked for
            raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def content_key(array: np.ndarray) -> str:
    """A key for an array's whole content (shape, type and every byte), for the caches that remember work done
    on a picture or a sound. A key from a sample of the pixels (every 7th row and column) let two different
    portraits share the animator's fitted face: the second was rendered with the first one's pixels."""
    import hashlib

    a = np.ascontiguousarray(array)
    h = hashlib.sha1(f"{a.shape}{a.dtype}".encode())
    h.update(a.tobytes())
    return "sha1:" + h.hexdigest()


def missing(p: Path) -> str:
    """The readers' message for a path that is no file: a folder is said to be one ("no such file" misled)."""
    return f"{p}: a folder, not a file" if p.is_dir() else f"{p}: no such file"


def load_audio(path: str | os.PathLike, rate: int | None = None, mono: bool = True) -> Audio:
    """Read any file soundfile (WAV/FLAC/OGG/MP3) or, failing that, librosa/audioread can decode (M4A, a
    video's sound track through ffmpeg)."""
    p = Path(path)
    if not p.is_file():
        raise MediaError(missing(p))
    if p.stat().st_size == 0:
        raise MediaError(f"{p}: the file is empty")
    try:
        import soundfile as sf

        from conditioning.native import quiet_stderr

        # libmpg123's own lines: about a damaged MP3 ("Xing stream size off by more than 1%"), read all the same,
        # and about any file libsndfile tries as MPEG ("Illegal Audio-MPEG-Header ... Trying to resync", nine
        # lines before the one-line error for random bytes named .wav): they meant nothing to a user
        with quiet_stderr():
            try:
                data, sr = sf.read(str(p), dtype="float32", always_2d=False)
            except ValueError:  # numpy's "array too big": a header that gives no length (a FLAC written to a pipe)
                info = sf.info(str(p))
                if info.frames != UNSIZED_FRAMES:
                    raise
                data, sr = decode_unsized(p, info.channels), info.samplerate
                data = data[:, 0] if data.shape[1] == 1 else data
            except sf.LibsndfileError as exc:
                try:
                    sf.info(str(p))  # its header reads, its sound does not: damaged (another decoder read a
                except sf.LibsndfileError:  # cut-off FLAC's first part as if whole, and sad)
                    raise exc from None
                raise MediaError(f"{p}: damaged or cut off ({str(exc).removeprefix('Error : ').strip()}); give the "
                                 "whole file") from None
        _check_wav_length(p, data)
    except MediaError:
        raise
    except Exception:  # not a format libsndfile knows: try librosa's decoders (ffmpeg/audioread)
        try:
            import librosa

            from conditioning.native import quiet_stderr

            with quiet_stderr():  # (its decoders' own lines, as above)
                data, sr = librosa.load(str(p), sr=None, mono=False)  # its fallback's warnings: `native`'s filters
            data = data.T if data.ndim == 2 else data
            if data.size == 0:  # what libsndfile refused and ffmpeg found nothing in: random bytes named .flac had
                raise ValueError("nothing decoded")  # been "the audio has no samples" (a re-audit)
        except Exception:
            suffix = p.suffix.lower()
            if suffix in VIDEO_SUFFIXES:  # a video's sound track is read; this one has none (or an odd codec)
                raise MediaError(f"{p}: a video with no sound track that can be read; give the recording of the "
                                 f"voice or music ({', '.join(AUDIO_SUFFIXES)}, or a video with sound)") from None
            what = ("a picture, not audio" if suffix in READ_IMAGE_SUFFIXES else "its contents are not audio that "
                    "can be read (damaged, or another kind of file named like one)")  # (was "(EOFError)")
            raise MediaError(f"{p}: {what}; accepted: {', '.join(AUDIO_SUFFIXES)}, or a video's sound track "
                             f"({', '.join(VIDEO_SUFFIXES)})") from None
    if data.size == 0:
        raise MediaError(f"{p}: the audio has no samples")
    audio = Audio(np.asarray(data, dtype=np.float32), int(sr))
    if mono:
        audio = audio.mono()
    if rate is not None:
        audio = audio.resample(rate)
    return audio


#: libsndfile's frame count for a file whose header gives no length: a FLAC written to a pipe (``arecord | flac -``,
#: ``ffmpeg ... -f flac -``), whose sound it cannot read past its buffer (numpy was asked for 2**63 frames)
UNSIZED_FRAMES = 2**63 - 1


def decode_unsized(p: Path, channels: int, max_seconds: float | None = None) -> np.ndarray:
    """(frames, channels) float32 samples of an audio file whose header gives no length, decoded by the ffmpeg
    program (libsndfile cannot read it; a Debian package CI installs). ``max_seconds``: stop there, so that a caller
    bounding the length decodes no more than its bound (the web's upload check: a pipe's FLAC of hours of silence
    weighs kilobytes)."""
    import shutil
    import subprocess

    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MediaError(f"{p}: its header gives no length, and reading such a file needs the ffmpeg program "
                         "(Debian/Ubuntu: apt install ffmpeg); or save it again with a program that writes the length")
    limit = ["-t", f"{max_seconds:.3f}"] if max_seconds is not None else []
    run = subprocess.run([exe, "-v", "error", "-nostdin", "-i", str(p), *limit, "-map", "0:a:0", "-f", "f32le",
                          "-acodec", "pcm_f32le", "-"], capture_output=True, timeout=600)
    data = np.frombuffer(run.stdout, dtype="<f4")
    if run.returncode != 0 or data.size == 0:
        raise MediaError(f"{p}: damaged or cut off (ffmpeg: {run.stderr.decode(errors='replace').strip()[-200:]}); "
                         "give the whole file")
    return data[: data.size // channels * channels].reshape(-1, channels).copy()


def _check_wav_length(p: Path, data: np.ndarray) -> None:
    """A WAV file holding less sound than its header says was cut off (an interrupted copy or download):
    libsndfile reads what is there without a word, and the first third of an angry take read as sad. A header
    that gives no size is taken as it is: 0, or a placeholder a program writing to a pipe leaves (arecord
    0x80000000, sox 0x7FFFF000, ffmpeg 0xFFFFFFFF), hence any size from 0x7FFFF000 up."""
    with open(p, "rb") as f:
        head = f.read(4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    pos, block = 12, None
    while pos + 8 <= len(head):
        kind, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if kind == b"fmt " and pos + 22 <= len(head):  # bytes per frame, where a frame is one sample per channel
            tag = int.from_bytes(head[pos + 8:pos + 10], "little")  # (PCM, float, A-law, mu-law; not ADPCM's blocks)
            block = int.from_bytes(head[pos + 20:pos + 22], "little") if tag in (1, 3, 6, 7, 0xFFFE) else None
        elif kind == b"data":
            if block and 0 < size < 0x7FFFF000:
                promised, held = size // block, data.shape[0]
                if promised > held * 1.01 + 1:
                    raise MediaError(f"{p}: cut off: its header promises {promised} frames, the file holds {held} "
                                     f"({100 * held / promised:.0f} %); give the whole file")
            return
        pos += 8 + size + (size & 1)


def as_audio(media, what: str = "this critic") -> Audio:
    """`Audio`, an audio file path, or a (samples, rate) pair as `Audio` (channels kept)."""
    if isinstance(media, Audio):
        return media
    if isinstance(media, (str, os.PathLike)):
        return load_audio(media, mono=False)
    if isinstance(media, tuple) and len(media) == 2 and np.isscalar(media[1]):
        return Audio(np.asarray(media[0], dtype=np.float32), int(media[1]))
    raise MediaError(f"{what} takes Audio, an audio file path or (samples, rate), got {type(media).__name__}")


#: What `save_audio` writes, by suffix: libsndfile's format (soundfile's wheel bundles libsndfile 1.2 with LAME,
#: both LGPL, so MP3, what creators share, needs nothing more). MPEG audio holds these sample rates only.
WRITE_AUDIO = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


LOSSY_AUDIO = (".mp3", ".ogg")  #: what `save_audio` writes through a lossy coder (MP3, Ogg Vorbis)


def coded_copy(audio: Audio, suffix: str) -> Audio:
    """``audio`` as it reads back from a ``suffix`` file `save_audio` writes: through the same lossy coder for
    `LOSSY_AUDIO`. Why: a take stored as MP3 or Ogg is read with its coder's changes, and measured against a
    neutral take that went through the same coder, the changes largely cancel (`bench/speech_lossy_takes.py`)."""
    with tempfile.TemporaryDirectory(prefix="emostudio-coded-") as tmp:
        return load_audio(save_audio(Path(tmp) / f"copy{suffix}", audio))


def _unwritable(p: Path, kind: str, accepted: str) -> MediaError:
    """The writers' one error for a suffix they do not write (or none)."""
    return MediaError(f"{p}: cannot write {kind} {f'as {p.suffix!r}' if p.suffix else 'without a suffix'}; use {accepted}")


#: The true peak a lossy file is written at most (-1 dBTP, the ceiling EBU R128 and the streaming services give for
#: lossy encoding): a coder's reconstruction overshoots the samples it was given, and an anger take peaking at -0.26
#: dBFS decoded from Ogg Vorbis at +0.25 dBFS, 5 samples over full scale, which a 16-bit decoder clips. The true
#: peak (`true_peak`), not the samples': a square wave turned down to a -1 dBFS sample peak decoded at +1.97 dBFS.
#: The coder's low-pass still rings over a true peak of -1 dBTP on clipped audio (a 1 kHz square decoded from MP3 at
#: +0.14 dBFS), so a lossy file is read back and written again turned down, until its decoded peak is under it too.
LOSSY_PEAK = 10 ** (-1 / 20)
LOSSY_PASSES = 4  #: most writes of one lossy file (the second is nearly always the last)
#: Frames `save_audio` hands libsndfile at a time: given a whole take, its Ogg Vorbis coder (libsndfile 1.2.2, in
#: soundfile's wheel) crashed Python with a segmentation fault from about 60 s at 44.1 kHz (a re-audit: a 3-minute
#: `generate music ... --out m.ogg` exited 139, leaving its hidden temporary file)
WRITE_BLOCK = 1 << 15


def true_peak(samples: np.ndarray, chunk: int = 1 << 18) -> float:
    """The peak of the signal between the samples as well as at them: the largest magnitude of the samples
    upsampled four times (ITU-R BS.1770's true-peak meter), read in chunks so a long file needs no four-fold copy."""
    from scipy.signal import resample_poly

    x = np.asarray(samples, dtype=np.float32).reshape(len(samples), -1)
    peak, margin = float(np.max(np.abs(x))) if x.size else 0.0, 64
    for start in range(0, len(x), chunk):
        part = x[max(0, start - margin):start + chunk + margin]
        if len(part) > 1:
            peak = max(peak, float(np.max(np.abs(resample_poly(part, 4, 1, axis=0)))))
    return peak


def save_audio(path: str | os.PathLike, audio: Audio, subtype: str | None = None) -> Path:
    """Write WAV, FLAC, Ogg Vorbis or MP3 atomically (format from the suffix); clips to [-1, 1], and a take whose
    true peak, or whose decoded Ogg or MP3 file's peak, is louder than `LOSSY_PEAK` is turned down to it whole."""
    import soundfile as sf

    p = Path(path)
    fmt = WRITE_AUDIO.get(p.suffix.lower())
    if fmt is None:
        raise _unwritable(p, "audio", WRITES["audio"][1])
    if fmt == "MP3" and audio.rate not in MP3_RATES:
        raise MediaError(f"{p}: MP3 holds audio at {', '.join(f'{r / 1000:g}' for r in MP3_RATES)} kHz, and this is "
                         f"{audio.rate / 1000:g} kHz; write .wav or .flac")
    samples = np.clip(audio.samples, -1.0, 1.0)
    lossy = fmt in ("OGG", "MP3") and samples.size > 0
    if lossy and (peak := true_peak(samples)) > LOSSY_PEAK:
        samples = samples * np.float32(LOSSY_PEAK / peak)
    with atomic_path(p) as tmp:
        for _ in range(LOSSY_PASSES if lossy else 1):
            try:
                with sf.SoundFile(str(tmp), "w", audio.rate, samples.shape[1] if samples.ndim == 2 else 1,
                                  subtype or ("MPEG_LAYER_III" if fmt == "MP3" else None), format=fmt) as f:
                    for start in range(0, len(samples), WRITE_BLOCK):  # (in blocks: libsndfile 1.2.2's Vorbis
                        f.write(samples[start:start + WRITE_BLOCK])  # coder crashed Python on 60 s at 44.1 kHz)
            except sf.LibsndfileError as exc:  # libsndfile says "System error." for a full disk: an OSError naming
                raise _write_error(p, tmp, exc) from None  # the file, which the command line says in one line
            if not lossy or (decoded := float(np.max(np.abs(sf.read(str(tmp), dtype="float32")[0])))) <= LOSSY_PEAK:
                break
            samples = samples * np.float32(LOSSY_PEAK / decoded * 0.995)  # (a hair under: the coder's ringing moves)
    return p


def _write_error(p: Path, tmp: Path, exc: Exception) -> OSError:
    """The `OSError` for a file a library could not write (libsndfile's "System error."): "No space left on
    device" when the disk is full, else the library's words, naming the file asked for (not its temporary)."""
    try:
        disk = os.statvfs(tmp.parent)
        full = disk.f_bavail * disk.f_frsize < 1 << 20  # (under a MiB left)
    except OSError:
        full = False
    if full:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(p))
    return OSError(errno.EIO, str(exc).removeprefix("Error : ").strip() or "could not be written", str(p))


VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")


READ_VIDEO_BYTES = 1 << 30  #: the decoded frames `load_video` holds at most (1 GiB)
READ_VIDEO_SIDE = 1920  #: frames with a longer side are scaled down to it (a 4K phone video: no judge needs more)


def load_video(path: str | os.PathLike, max_bytes: int | None = None, max_side: int | None = None) -> Video:
    """Read a video's frames as RGB and upright (OpenCV's FFmpeg backend; comes with the face extra's opencv).

    A phone films with the sensor sideways and says in the stream's display matrix how to turn it; OpenCV
    ignores that unless asked, and the face judges then measured a sideways face. Decoded video is large (20 s
    of 1080p at 30 fps is 3.7 GB; reading it whole took 7.4 GB), so frames are scaled down to `max_side` and,
    when the kept frames would pass `max_bytes`, every other one is dropped and the stride doubled: the video
    comes back evenly thinned, its ``fps`` the rate of the frames kept and ``stride`` saying how many of the
    file's frames each stands for (None: `READ_VIDEO_BYTES`, `READ_VIDEO_SIDE`)."""
    max_bytes = READ_VIDEO_BYTES if max_bytes is None else max_bytes
    max_side = READ_VIDEO_SIDE if max_side is None else max_side
    p = Path(path)
    if not p.is_file():
        raise MediaError(missing(p))
    try:
        import cv2
    except ModuleNotFoundError:
        raise MediaError(f"{p}: reading video needs OpenCV (pip install opencv-python-headless)") from None
    from conditioning.native import quiet_stderr

    # FFmpeg's own lines about a damaged file ("moov atom not found", "Invalid NAL unit size"): the errors below
    # say what is wrong in one line
    with quiet_stderr():
        cap = cv2.VideoCapture(str(p))
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        has_picture = cap.get(cv2.CAP_PROP_FRAME_WIDTH) > 0  # a video stream, whether or not its frames decode
        kept: list[np.ndarray] = []
        stamps: list[float] = []  #: each kept frame's time in the stream (ms)
        stride, i = 1, 0
        while cap.grab():  # decodes; the colour conversion (`retrieve`) only for the frames kept
            if i % stride == 0:
                ok, frame = cap.retrieve()
                if not ok:
                    break
                if max(frame.shape[:2]) > max_side:
                    scale = max_side / max(frame.shape[:2])
                    frame = cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)),
                                       interpolation=cv2.INTER_AREA)
                kept.append(frame[:, :, ::-1])
                stamps.append(cap.get(cv2.CAP_PROP_POS_MSEC))
                if len(kept) > 1 and len(kept) * frame.nbytes > max_bytes:
                    kept, stamps, stride = kept[::2], stamps[::2], stride * 2  # the frames at the new stride
            i += 1
        cap.release()
    if not kept and has_picture:  # a cut-off download: the stream is there, no frame of it decodes
        raise MediaError(f"{p}: a video whose pictures cannot be decoded (damaged or cut off); give the whole file")
    if not kept:
        try:  # a phone's voice memo or an exported sound track is often an .mp4 with no picture
            import librosa

            with quiet_stderr():  # FFmpeg's complaints about a damaged file: said below
                librosa.get_duration(path=str(p))  # its sound track's header, not the decoded sound (an hour's memo)
        except Exception:
            raise MediaError(f"{p}: not readable as video, or no frames; accepted: {', '.join(VIDEO_SUFFIXES)}") from None
        raise MediaError(f"{p}: a sound track with no pictures, so there is no picture or face to read; it can be "
                         "read as speech or music audio")
    order, rate = _even_in_time(np.asarray(stamps, dtype=np.float64) / 1000.0)
    return Video(_stack(kept, order), float(fps) / stride if rate is None else rate, stride=stride)


def _stack(kept: list, order: np.ndarray) -> np.ndarray:
    """The frames ``kept[j]`` for each ``j`` of ``order`` as one array, copied one at a time and let go as soon as
    no later one needs them (``order`` never goes back), so the peak stays near the read budget, not twice it."""
    frames = np.empty((len(order), *kept[0].shape), np.uint8)
    done = 0
    for k, j in enumerate(order):
        frames[k] = kept[j]
        for gone in range(done, j):
            kept[gone] = None
        done = max(done, j)
    return frames


def _even_in_time(stamps: np.ndarray, end: float | None = None, fine: bool = False) -> tuple[np.ndarray, float | None]:
    """For frames shown at ``stamps`` (s): which frame is on screen at each of as many evenly spaced instants, and
    their rate; the frames as they are (rate None) when they are already evenly spaced.

    Why: phones film at a variable frame rate (a still scene slows the camera down), and `Video` has one rate.
    Read at the stream's average rate, 50 frames of a smile over 2 s and then 8 of a frown over 3.3 s put the
    change at 4.4 s and weighed the smile five times as much as the frown it lasted shorter than. ``end``: when
    the last frame stops (else it lasts as long as the one before it). ``fine``: as many instants as the shortest
    frame's time allows (up to four times the frames, or 100), not as many as there are frames: an animation of
    two frames held 0.1 s and 0.9 s is then ten instants, not two."""
    n = len(stamps)
    d = np.diff(stamps)
    if n < (2 if end is not None else 3) or not np.all(np.isfinite(stamps)) or np.any(d <= 0):
        return np.arange(n), None
    shown = np.diff(np.append(stamps, end)) if end is not None and end > stamps[-1] else d  # each frame's time
    step = float(np.median(shown))
    if np.all(np.abs(shown - step) <= 0.5 * step):
        return np.arange(n), None
    duration = (end if end is not None and end > stamps[-1] else stamps[-1] + float(d[-1])) - stamps[0]
    count = min(int(np.ceil(duration / float(shown.min()) - 1e-9)), max(4 * n, 100)) if fine else n
    rate = count / duration
    instants = stamps[0] + np.arange(count) / rate
    return np.clip(np.searchsorted(stamps, instants + 1e-6, side="right") - 1, 0, n - 1), rate


EXIF_ORIENTATION = 0x0112  #: the EXIF tag saying how a camera's stored pixels turn to stand upright (1: as stored)


def _rgb8(im) -> np.ndarray:
    """A Pillow image as an array `Image` reads right. Pillow's ``convert("RGB")`` clips high-bit-depth greyscale
    instead of scaling it (a 16-bit PNG came out solid white, a float TIFF solid black), so those modes keep
    their values and `Image` scales them: 16-bit by its full range, floats as 0-1 (or 0-255 when larger)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(im).astype(np.uint16)
    if im.mode == "I":  # 32-bit integers, often 16-bit data (PNG): 0-255 values stay as they are
        a = np.asarray(im)
        return np.clip(a, 0, 65535).astype(np.uint16) if a.max() > 255 else a
    if im.mode == "F":
        return np.nan_to_num(np.asarray(im, dtype=np.float64))
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
        # transparent pixels over white, as a viewer shows them: convert("RGB") dropped the alpha and showed what
        # lay under it, so two PNGs that look alike were read apart, and a clear one read as the face it hid
        return np.asarray(im.convert("RGBA"))  # `Image` composites it
    return np.asarray(im.convert("RGB"))


def load_image(path: str | os.PathLike, max_side: int | None = None) -> Image:
    """Read an image file as RGB uint8 (any format Pillow reads), upright: a phone stores a photo as its sensor
    saw it and says in the EXIF Orientation tag how to turn it, so a portrait read without the tag came out
    sideways (a sideways talking face, a geometric judge reading a tilted mesh). ``max_side``: a larger picture is
    read scaled down to it (a JPEG decoded at a half, quarter or eighth of its size where that is still larger),
    for readers that need no more (the image judges read at 256 px: an 8000x8000 photo had cost them 926 MB)."""
    p = Path(path)
    if not p.is_file():
        raise MediaError(missing(p))
    if _is_heif(p) and not _heif_opener():
        raise MediaError(f"{p}: a HEIC/HEIF picture (a phone's photo); reading it needs the heic extra: pip install "
                         f"'emotion-studio[heic]' (pi-heif; its libheif and libde265 are LGPL-3), or save it as JPEG")
    from PIL import Image as PILImage

    try:
        # Pillow warns past 89 megapixels and refuses past twice that; a 108 MP phone photo is read without the
        # warning (`conditioning.native` filters it), a larger picture is refused in one line (decoded, it would
        # pass 0.5 GB)
        with PILImage.open(p) as im:
            _scale_down(im, max_side)
            return Image(_rgb8(_upright(im)))
    except MediaError:
        raise
    except OSError as exc:
        if "truncated" not in str(exc) or (unmarked := _without_end_marker(p, max_side)) is None:
            raise _unreadable_picture(p) from None
        return unmarked
    except PILImage.DecompressionBombError:
        limit = 2 * PILImage.MAX_IMAGE_PIXELS / 1e6
        raise MediaError(f"{p}: the picture has more than {limit:.0f} megapixels, more than is read here; scale it "
                         f"down (the judges and the animator read at most a few thousand pixels a side)") from None
    except Exception:
        raise _unreadable_picture(p) from None


def _upright(im):
    """An opened Pillow picture turned as its EXIF Orientation tag says (itself where the tag says nothing)."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(im) if im.getexif().get(EXIF_ORIENTATION, 1) != 1 else im


def _scale_down(im, max_side: int | None) -> None:
    """An opened Pillow picture scaled down in place to at most ``max_side`` px a side (a JPEG decoded at a half,
    quarter or eighth of its size where that is still larger, so its whole size is never held)."""
    if max_side and max(im.size) > max_side:
        from PIL import Image as PILImage

        im.draft("RGB", (max_side, max_side))
        im.thumbnail((max_side, max_side), PILImage.Resampling.LANCZOS)


def _unreadable_picture(p: Path) -> MediaError:
    if p.suffix.lower() not in READ_IMAGE_SUFFIXES:  # a kind not read here (an SVG, a WAV, a text), not a damaged
        # picture (that is what it had been called)
        return MediaError(f"{p}: {p.suffix or 'a file without a suffix'} is not a picture this reads; accepted: "
                          f"{', '.join(READ_IMAGE_SUFFIXES)} pictures")
    return MediaError(f"{p}: its contents are not a picture that can be read (damaged, or another kind of file "
                      f"named like one); accepted: {', '.join(READ_IMAGE_SUFFIXES)} pictures")


def _without_end_marker(p: Path, max_side: int | None = None) -> "Image | None":
    """A JPEG whose data is whole but whose 2-byte end marker is missing (as some cameras and web tools write
    them; an audit's was refused as damaged, while viewers and OpenCV show it), read with the marker put back; None
    for a picture cut short, whose missing part Pillow fills with one grey (its bottom rows, or its last 16-px
    block, all one colour) or a progressive JPEG (whose every part decodes, blurred, however short it was cut),
    refused as damaged as before."""
    import io

    from PIL import Image as PILImage

    data = p.read_bytes()
    if not data.startswith(b"\xff\xd8") or data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return None
    try:
        with PILImage.open(io.BytesIO(data + b"\xff\xd9")) as im:
            if im.info.get("progressive") or im.info.get("progression"):  # cut short, it still decodes whole,
                return None  # only blurred (a re-audit): no way to tell
            _scale_down(im, max_side)  # (as `load_image` reads it)
            rgb = np.asarray(_upright(im).convert("RGB"))
    except Exception:
        return None
    if rgb.shape[0] < 16 or rgb.shape[1] < 16 or rgb[-8:].std() < 1 or rgb[-16:, -16:].std() < 1:
        return None
    return Image(rgb)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")  #: what the studio writes

#: What each writer writes, by suffix, and how its refusal lists them (`save_audio`, `save_image`, `save_video`)
WRITES = {"audio": (tuple(WRITE_AUDIO), ".wav, .flac, .ogg or .mp3"),
          "an image": (IMAGE_SUFFIXES, ", ".join(IMAGE_SUFFIXES)),
          "video": ((".mp4", ".m4v", ".mov"), ".mp4, .m4v or .mov (H.264 and AAC)")}


def check_writable(path: str | os.PathLike, kind: str) -> None:
    """Before minutes of work: whether ``path`` can take ``kind`` (a key of `WRITES`) by its suffix, and is not
    a folder. The writers check the same when they write, which for a music or face take came after the work."""
    p = Path(path)
    suffixes, accepted = WRITES[kind]
    if p.suffix.lower() not in suffixes:
        raise _unwritable(p, kind, accepted)
    if p.is_dir():
        raise MediaError(f"{p}: a folder is there; give a file name to write (e.g. {p / ('take' + suffixes[0])})")


HEIF_SUFFIXES = (".heic", ".heif")  #: phones' photos, read with the heic extra
#: what it reads (AVIF: Pillow 11.3 and later read it themselves)
READ_IMAGE_SUFFIXES = (*IMAGE_SUFFIXES, ".bmp", ".gif", ".tif", ".tiff", ".avif", *HEIF_SUFFIXES)
#: the ISO-BMFF major brands of HEVC stills (bytes 8-12, after 'ftyp'), so a HEIC named .jpg is told apart too;
#: not the generic 'mif1', which AVIF files (Pillow reads those itself) may carry as well
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}


def _is_heif(p: Path) -> bool:
    if p.suffix.lower() in HEIF_SUFFIXES:
        return True
    try:
        with open(p, "rb") as f:
            head = f.read(12)
    except OSError:  # unreadable: Pillow's open says so below
        return False
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


@functools.cache
def _heif_opener() -> bool:
    """Teach Pillow to decode HEIF with pi-heif, once per process (a format plugin registered as Pillow registers
    its own; decode only: pi-heif ships no HEVC encoder). False where the heic extra is not installed."""
    try:
        import pi_heif
    except ModuleNotFoundError:
        return False
    pi_heif.register_heif_opener()
    return True


def load_visual(path: str | os.PathLike, max_side: int | None = None) -> "Image | Video":
    """A picture or a video file, by its suffix: what the face and image judges read from a path (a picture at
    most ``max_side`` px a side: `load_image`)."""
    p = Path(path)
    if p.is_dir():
        raise MediaError(f"{p} is a folder; give the files in it (e.g. {p}/*.png)")
    if p.suffix.lower() in VIDEO_SUFFIXES:
        return load_video(p)
    animation = _load_animation(p)
    if animation is not None:
        return animation
    try:
        return load_image(p, max_side)
    except MediaError as exc:  # the judges also read videos: say so
        if "accepted:" in str(exc):
            raise MediaError(f"{exc}, or a video ({', '.join(VIDEO_SUFFIXES)})") from None
        raise


READ_STILL_SIDE = 2048  #: the longest side a still is read at for the image judges (they read at 256 px)


def load_still(path: str | os.PathLike) -> Image:
    """What the image judges read from a path: a picture, or the middle frame of a video or an animation, with
    which it is (`Image.frame_of`). A video's frame is sought, not reached by decoding all the frames before it:
    `load_visual` decoded a 30-s 720p clip whole (7.1 s) to keep one frame (0.03 s sought). A video whose frame
    count or seek fails is read whole (`load_video`, which also says what is wrong with a damaged file)."""
    p = Path(path)
    if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file():
        frame = _video_middle(p)
        if frame is not None:
            return frame
    elif p.is_file():
        frame = _animation_middle(p)
        if frame is not None:
            return frame
    media = load_visual(p, READ_STILL_SIDE)
    if isinstance(media, Video):
        n = len(media.frames)
        return Image(media.frames[n // 2], frame_of=(n // 2, n) if n > 1 else None)
    return media


def _video_middle(p: Path) -> "Image | None":
    """The middle frame of a video, sought by its frame count (OpenCV, upright, scaled to `READ_VIDEO_SIDE` as
    `load_video` scales every frame), or None where the count or the seek fails."""
    try:
        import cv2
    except ModuleNotFoundError:
        return None
    from conditioning.native import quiet_stderr

    with quiet_stderr():
        cap = cv2.VideoCapture(str(p))
        try:
            cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            if count < 1 or not cap.set(cv2.CAP_PROP_POS_FRAMES, count // 2):
                return None
            ok, frame = cap.read()
        finally:
            cap.release()
    if not ok or frame is None:
        return None
    if max(frame.shape[:2]) > READ_VIDEO_SIDE:
        scale = READ_VIDEO_SIDE / max(frame.shape[:2])
        frame = cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
    return Image(np.ascontiguousarray(frame[:, :, ::-1]), frame_of=(count // 2, count) if count > 1 else None)


def _animation_middle(p: Path) -> "Image | None":
    """The frame an animated GIF, WebP or PNG shows at half its running time, by the frames' own durations, with
    its index among the file's frames (`Image.frame_of`: the row had counted `_load_animation`'s evenly timed
    instants, "the middle frame of 100" for a file of 3); None for a still picture or one Pillow cannot open."""
    from PIL import Image as PILImage
    from PIL import ImageSequence

    try:
        with PILImage.open(p) as im:
            if not _animated(im):
                return None
            shown = [_shown_s(frame) for frame in ImageSequence.Iterator(im)]
            index = min(int(np.searchsorted(np.cumsum(shown), sum(shown) / 2, side="right")), len(shown) - 1)
            im.seek(index)
            return Image(_frame_pixels(im), frame_of=(index, len(shown)))
    except Exception:  # noqa: BLE001 - not an animation Pillow reads: the other readers say what it is
        return None


def _animated(im) -> bool:
    """Whether an open Pillow image is an animation of two frames or more (a phone's JPEG with a preview or gain
    map, a TIFF's pages: a still picture)."""
    return im.format in ANIMATED and getattr(im, "is_animated", False) and getattr(im, "n_frames", 1) >= 2


def _shown_s(frame) -> float:
    """How long an animation's frame is shown, in seconds: its own duration, loaded first (a WebP frame's duration
    is in its info only once loaded: every frame was taken as 100 ms), and 10 ms or less shown as 100 ms, as
    browsers do."""
    frame.load()
    ms = float(frame.info.get("duration") or 0)
    return (ms if ms > 10 else 100.0) / 1000.0


def _frame_pixels(frame) -> np.ndarray:
    """An animation's frame as RGB pixels, at most `READ_VIDEO_SIDE` long, clear pixels over white as a viewer shows
    them."""
    rgb = frame.convert("RGBA")
    if max(rgb.size) > READ_VIDEO_SIDE:
        rgb.thumbnail((READ_VIDEO_SIDE, READ_VIDEO_SIDE))
    return Image(np.asarray(rgb)).pixels


ANIMATED = ("GIF", "PNG", "WEBP")  #: Pillow's formats whose frames are an animation (MPO's and TIFF's are not)


def _load_animation(p: Path) -> "Video | None":
    """An animated GIF, WebP or PNG as the `Video` it is, its frames placed by their own durations
    (`_even_in_time`); None for a still picture (or one Pillow cannot open: `load_image` says why).

    Why: the judges read a path as a picture or a video, and an animation was read as its first frame alone, with
    no word (an animation opening on a blank frame: 'no face found')."""
    from PIL import Image as PILImage
    from PIL import ImageSequence

    try:
        with PILImage.open(p) as im:
            if not _animated(im):
                return None
            kept, stamps, t, stride = [], [], 0.0, 1
            for i, frame in enumerate(ImageSequence.Iterator(im)):
                if i % stride == 0:
                    kept.append(_frame_pixels(frame))
                    stamps.append(t)
                    if len(kept) > 1 and len(kept) * kept[-1].nbytes > READ_VIDEO_BYTES:
                        kept, stamps, stride = kept[::2], stamps[::2], stride * 2
                t += _shown_s(frame)
    except Exception:  # noqa: BLE001 - not an animation Pillow reads: the still reader says what it is
        return None
    order, rate = _even_in_time(np.asarray(stamps, dtype=np.float64), end=t, fine=True)
    if rate is None:  # evenly timed: at its own rate
        rate = 1.0 / max(stamps[1] - stamps[0], 1e-3)
    return Video(_stack(kept, order), rate, stride=stride)


#: EXIF tags a JPEG or WebP carries the metadata in: all of it as one JSON object in ImageDescription (EXIF text
#: is ASCII: the JSON escapes the rest), and the writing program in Software
EXIF_DESCRIPTION, EXIF_SOFTWARE = 0x010E, 0x0131


def metadata_json(metadata: dict) -> str:
    """A file's metadata as the one JSON object (ASCII) a JPEG's or WebP's EXIF and an MP4's comment tag carry."""
    import json

    return json.dumps({str(k): str(v) for k, v in metadata.items()})


def save_image(path: str | os.PathLike, image: Image, metadata: dict[str, str] | None = None) -> Path:
    """Write PNG/JPEG/WebP atomically with ``metadata`` (e.g. the emotion and the provenance) inside: PNG text
    chunks (iTXt, ``PIL.Image.open(path).text``), or for JPEG and WebP one JSON object in EXIF's ImageDescription
    (``json.loads(PIL.Image.open(path).getexif()[EXIF_DESCRIPTION])``). JPEG and WebP carried none, though the
    formats allow it (DESIGN 5)."""
    from PIL import Image as PILImage
    from PIL.PngImagePlugin import PngInfo

    p = Path(path)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".png": "PNG"}.get(p.suffix.lower())
    if fmt is None:
        raise _unwritable(p, "an image", WRITES["an image"][1])
    # a lossy picture at quality 95, not Pillow's 75 (JPEG) or 80 (WebP): the judges read the picture before it is
    # written, and at those defaults a take's file read up to 0.09 away in valence from its report
    kwargs = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    if metadata and fmt == "PNG":
        info = PngInfo()
        for k, v in metadata.items():
            info.add_itxt(str(k), str(v))
        kwargs["pnginfo"] = info
    elif metadata:
        exif = PILImage.Exif()
        exif[EXIF_DESCRIPTION] = metadata_json(metadata)
        if "Software" in metadata:
            exif[EXIF_SOFTWARE] = str(metadata["Software"]).encode("ascii", "backslashreplace").decode()
        kwargs["exif"] = exif
    with atomic_path(p) as tmp:
        PILImage.fromarray(image.pixels).save(tmp, format=fmt, **kwargs)
    return p


def _rate_fraction(fps: float):
    """A frame rate as ffmpeg's fraction: the NTSC rates (23.976, 29.97, 59.94...) as k*1000/1001, others as the
    nearest fraction of denominator up to 1000."""
    from fractions import Fraction

    ntsc = next((Fraction(k * 1000, 1001) for k in (24, 30, 48, 60, 120) if abs(fps - k * 1000 / 1001) < 0.005), None)
    return ntsc or Fraction(fps).limit_denominator(1000)


def save_video(path: str | os.PathLike, video: Video, crf: int = 20, metadata: dict[str, str] | None = None) -> Path:
    """Write an MP4 (H.264 in yuv420p + AAC, ``+faststart``) atomically with the ``ffmpeg`` program; ``metadata``
    as one JSON object in the container's ``comment`` tag (``ffprobe -show_entries format_tags``; MP4 keeps no
    other free tag).

    Why the ffmpeg program and not a Python binding: it is a Debian package (``ffmpeg``) that CI installs, its
    GPL-licensed x264 encoder stays a separate program the studio only runs, and PyAV wheels ship without
    x264. Frames go through a pipe a few at a time (a copy of all of them as one bytes object doubled the peak
    memory: 6.3 GB for a 46-s video at 1024 px); the audio, if any, through a temporary WAV beside the target. A
    frame rate is written as its fraction (29.97 as NTSC's 30000/1001). A failure leaves no file behind."""
    import shutil
    import subprocess

    p = Path(path)
    if p.suffix.lower() not in WRITES["video"][0]:
        raise _unwritable(p, "video", WRITES["video"][1])
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MediaError("writing MP4 needs the ffmpeg program (Debian/Ubuntu: apt install ffmpeg)")
    t, h, w, _ = video.frames.shape
    if h % 2 or w % 2:
        raise MediaError(f"H.264 (4:2:0) needs even frame sides, got {w}x{h}")
    with atomic_path(p) as tmp, tempfile.TemporaryDirectory(dir=p.parent) as work:
        cmd = [exe, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", str(_rate_fraction(video.fps)), "-i", "pipe:0"]
        if video.audio is not None:
            wav = Path(work) / "audio.wav"
            save_audio(wav, video.audio)
            cmd += ["-i", str(wav), "-c:a", "aac", "-b:a", "128k"]
        if metadata:
            cmd += ["-metadata", "comment=" + metadata_json(metadata)]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", "-f", "mp4", str(tmp)]
        frames = np.ascontiguousarray(video.frames, dtype=np.uint8)  # (no copy when they are already so)
        with open(Path(work) / "ffmpeg.log", "w+b") as log:  # (a file, not a pipe: a full pipe would stall it)
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
            try:
                for k in range(0, t, 16):
                    proc.stdin.write(memoryview(frames[k:k + 16]).cast("B"))
                proc.stdin.close()
            except BrokenPipeError:  # ffmpeg stopped: its log says why
                with suppress(OSError):
                    proc.stdin.close()
            except BaseException:  # Ctrl-C: no ffmpeg left behind
                proc.kill()
                proc.wait()
                raise
            code = proc.wait()
            if code != 0:
                log.seek(0)
                raise MediaError(f"{p}: ffmpeg could not write the video: "
                                 f"{log.read().decode(errors='replace').strip()[-300:]}")
    return p
