"""WORLD analysis and resynthesis with the two voice changes every speech user needs: formant warping and
spectral tilt. Nothing here knows about emotions.

Why it lives in `conditioning/`: the speech generators render emotional prosody through it
(`generators.speech.world`), and the second speech judge's training uses it to make pseudo-speakers
(`critics.training.speech_encoder`: each training voice re-synthesised with another pitch, vocal-tract length
and tilt, so that vocoded speech is not out of distribution). Generators and critics may not import each other
(DESIGN.md section 1), so, like the media types in `conditioning/media.py`, the signal code both need sits in
the layer both import.

Why WORLD (Morise, Yokomori & Ozawa 2016): it splits speech into an F0 contour, a smooth spectral envelope and
a band aperiodicity, which are exactly the three things emotional prosody moves independently (pitch level,
range and contour; vocal effort, spectral tilt and formants; breathiness), and it resynthesises them without
the phasiness of a phase vocoder. F0 comes from Praat's autocorrelation (or DIO) refined by StoneMask, the
envelope from CheapTrick, the aperiodicity from D4C.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conditioning import native  # noqa: F401  (filters pyworld's import warning)


def _pyworld():
    import pyworld  # its import of pkg_resources warns (setuptools >= 80): filtered by `conditioning.native`

    return pyworld


@dataclass(frozen=True)
class WorldFeatures:
    """One utterance in WORLD parameters: ``f0`` (frames,) Hz with 0 = unvoiced, ``sp`` (frames, bins) power
    spectral envelope, ``ap`` (frames, bins) aperiodicity in [0, 1], at ``rate`` Hz, ``frame_period`` ms."""

    f0: np.ndarray
    sp: np.ndarray
    ap: np.ndarray
    rate: int
    frame_period: float

    @property
    def n_frames(self) -> int:
        return int(self.f0.shape[0])

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.n_frames) * (self.frame_period / 1000.0)

    @property
    def freqs(self) -> np.ndarray:
        return np.linspace(0.0, self.rate / 2.0, self.sp.shape[1])

    @property
    def voiced(self) -> np.ndarray:
        return self.f0 > 0


#: The bin steps `analyse` takes: those that divide the envelope's 2**n bins above the first (at 16 kHz, 5 and
#: more left too few bins for pyworld's synthesis)
BIN_STEPS = (1, 2, 4)


def analyse(x: np.ndarray, rate: int, *, frame_period: float = 5.0, f0_floor: float = 60.0,
            f0_ceil: float = 500.0, f0_method: str = "auto", speed: int = 1, ap_step: int = 1,
            bin_step: int = 1) -> WorldFeatures:
    """F0 (Praat autocorrelation or DIO, refined by StoneMask), CheapTrick envelope, D4C aperiodicity.

    Why Praat's F0 where it is installed ("auto"): on low male TTS voices (Piper's joe, about 90 Hz) DIO returns
    the second harmonic on half of the voiced frames (checked against the cepstrum), and resynthesising at that
    F0 lifts the voice an octave. Praat's autocorrelation (Boersma 1993) follows the cepstrum there, and costs
    less than DIO (RTF about 0.007 on one core). Praat comes with the GPL ``speech`` extra (praat-parselmouth),
    which the Festival voice does not otherwise need, so without it "auto" is DIO: on Festival's slt (about
    170 Hz) the two agree (median 168.7 against 169.8 Hz, 0.1 % of frames 25 % apart, none an octave).

    ``bin_step``: keep every ``bin_step``-th bin of the envelope and aperiodicity. CheapTrick needs a window of
    three F0 periods, hence 1024 points at 16 kHz for a 71 Hz floor; the envelope it returns is smooth at the
    F0 scale, so a 31 Hz grid (every 2nd bin) holds it, and every later step, WORLD's synthesis included
    (whose cost grows with the FFT size), then works on half the bins.

    ``ap_step``: estimate the aperiodicity on every ``ap_step``-th frame and interpolate (D4C is the largest
    analysis cost; aperiodicity moves slowly within voiced stretches and is not used in unvoiced frames).
    """
    if bin_step not in BIN_STEPS:  # 3 kept 171 of 513 bins, which is no FFT's half, and pyworld's synthesis
        raise ValueError(f"bin_step must be 1, 2 or 4, got {bin_step!r}")  # corrupted the heap and aborted Python
    pw = _pyworld()
    xd = np.ascontiguousarray(x, dtype=np.float64)
    t, f0 = track_f0(xd, rate, frame_period=frame_period, f0_floor=f0_floor, f0_ceil=f0_ceil, f0_method=f0_method,
                     speed=speed)
    n = t.size  # every later array follows the F0's frames: a sub-sampled aperiodicity one frame short broke the render
    fft_size = pw.get_cheaptrick_fft_size(rate, min(f0_floor, 71.0))
    sp = pw.cheaptrick(xd, f0, t, rate, fft_size=fft_size)
    if ap_step > 1 and n > 2 * ap_step:
        sub = np.arange(0, n, ap_step)
        if sub[-1] != n - 1:
            sub = np.append(sub, n - 1)
        ap_sub = pw.d4c(xd, np.ascontiguousarray(f0[sub]), np.ascontiguousarray(t[sub]), rate, fft_size=fft_size)
        pos = np.interp(np.arange(n), sub, np.arange(sub.size))
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, sub.size - 1)
        frac = (pos - lo)[:, None]
        ap = np.ascontiguousarray((1 - frac) * ap_sub[lo] + frac * ap_sub[hi])
    else:
        ap = pw.d4c(xd, f0, t, rate, fft_size=fft_size)
    if bin_step > 1:
        sp, ap = np.ascontiguousarray(sp[:, ::bin_step]), np.ascontiguousarray(ap[:, ::bin_step])
    return WorldFeatures(f0, sp, ap, rate, frame_period)


def track_f0(x: np.ndarray, rate: int, *, frame_period: float = 5.0, f0_floor: float = 60.0, f0_ceil: float = 500.0,
             f0_method: str = "auto", speed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(frame times in s, F0 in Hz, 0 where unvoiced): Praat's autocorrelation or WORLD's DIO (`analyse` says why
    Praat where it is installed), refined by StoneMask and cleared of voiced runs under 3 frames. The F0 step of
    `analyse`, and the F0 tracks the demo page draws."""
    pw = _pyworld()
    xd = np.ascontiguousarray(x, dtype=np.float64)
    f0_method = resolve_f0_method(f0_method)
    if f0_method == "praat" and not has_praat():
        from conditioning.registry import BackendUnavailable

        raise BackendUnavailable("Praat's pitch tracker needs the speech extra (praat-parselmouth, GPL-3): "
                                 "pip install -e '.[speech]', or render with f0_method='dio' (WORLD's own)")
    if f0_method == "praat":
        t = np.arange(int(xd.shape[0] / rate * 1000.0 / frame_period) + 1) * (frame_period / 1000.0)
        f0 = _praat_f0(xd, rate, t, f0_floor, f0_ceil)
    elif f0_method == "dio":  # (DIO rounds the frame count its own way: 204 frames where the grid gives 203)
        f0, t = pw.dio(xd, rate, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=frame_period, speed=speed)
    else:
        raise ValueError(f"unknown F0 method {f0_method!r}; known: auto, praat, dio")
    return t, _clean_f0(pw.stonemask(xd, f0, t, rate))


def resolve_f0_method(method: str) -> str:
    """The pitch tracker ``method`` names here: "auto" is "praat" where praat-parselmouth (the GPL ``speech`` extra)
    is installed, else "dio"; the others are themselves. One rule for `analyse` and for a take's provenance, which
    names the tracker it used."""
    return ("praat" if has_praat() else "dio") if method == "auto" else method


def has_praat() -> bool:
    try:
        import parselmouth  # noqa: F401
    except ImportError:
        return False
    return True


def _praat_f0(x: np.ndarray, rate: int, t: np.ndarray, floor: float, ceil: float) -> np.ndarray:
    import parselmouth

    pitch = parselmouth.Sound(x, rate).to_pitch_ac(time_step=0.01, pitch_floor=floor, pitch_ceiling=ceil)
    f = pitch.selected_array["frequency"]
    xs = pitch.xs()
    if f.size == 0:
        return np.zeros_like(t)
    nearest = np.clip(np.rint((t - xs[0]) / 0.01).astype(np.int64), 0, f.size - 1)
    voiced = (f[nearest] > 0) & (t >= xs[0] - 0.01) & (t <= xs[-1] + 0.01)
    logf = np.where(f > 0, np.log(np.maximum(f, 1.0)), np.nan)
    # interpolate log F0 over voiced Praat frames only, so voiced edges do not average with zeros
    vx = xs[f > 0]
    if vx.size == 0:
        return np.zeros_like(t)
    est = np.exp(np.interp(t, vx, logf[f > 0]))
    return np.where(voiced, est, 0.0)


def synthesise(feat: WorldFeatures, silence_db: float = 60.0, min_silence_frames: int = 6) -> np.ndarray:
    """WORLD synthesis, skipping silence: runs of at least ``min_silence_frames`` unvoiced frames more than
    ``silence_db`` below the loudest frame are left at zero instead of being synthesised. Why: WORLD excites
    unvoiced frames with noise pulses at 500 Hz, so silence costs three times as much as voiced speech of a
    100 Hz voice, and pauses are a fifth of a typical take."""
    pw = _pyworld()
    n = feat.n_frames
    fp = feat.frame_period / 1000.0
    total = int((n - 1) * fp * feat.rate) + 1
    e = frame_energy_db(feat.sp)
    silent = (e < e.max() - silence_db) & (feat.f0 <= 0)
    keep = ~silent
    # short silent runs are kept (synthesised) so chunks never cut inside a word
    edges = np.flatnonzero(np.diff(np.concatenate([[0], silent.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a < min_silence_frames:
            keep[a:b] = True
        else:  # a two-frame margin each side lets the chunk's edges decay naturally
            keep[a:min(a + 2, b)] = True
            keep[max(b - 2, a):b] = True
    out = np.zeros(total, dtype=np.float64)
    runs = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
    for a, b in zip(runs[::2], runs[1::2]):
        if b - a < 2:
            continue
        y = pw.synthesize(np.ascontiguousarray(feat.f0[a:b], dtype=np.float64), np.ascontiguousarray(feat.sp[a:b]),
                          np.ascontiguousarray(feat.ap[a:b]), feat.rate, feat.frame_period)
        start = int(round(a * fp * feat.rate))
        m = min(y.shape[0], total - start)
        out[start:start + m] += y[:m]
    return out.astype(np.float32)


def _clean_f0(f0: np.ndarray, min_run: int = 3) -> np.ndarray:
    """Drop voiced runs shorter than ``min_run`` frames: isolated DIO blips become clicks after a pitch shift."""
    f0 = f0.copy()
    voiced = f0 > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]])))
    for start, end in zip(edges[::2], edges[1::2]):
        if end - start < min_run:
            f0[start:end] = 0.0
    return f0


def frame_energy_db(sp: np.ndarray) -> np.ndarray:
    """Per-frame level (dB) of the envelope: a cheap loudness proxy without re-analysing the waveform."""
    return 10.0 * np.log10(np.maximum(sp.mean(axis=1), 1e-16))


def warp_formants(sp: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Scale formant frequencies by ``ratio`` per frame (> 1 raises them: shorter vocal tract, smiling;
    Tartter 1980). The envelope is read at f / ratio, interpolating in the log domain."""
    if np.allclose(ratio, 1.0):
        return sp
    n_bins = sp.shape[1]
    bins = np.arange(n_bins, dtype=np.float64)
    src = np.clip(bins[None, :] / ratio[:, None], 0, n_bins - 1)  # (frames, bins)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_bins - 1)
    frac = src - lo
    logsp = np.log(np.maximum(sp, 1e-16))
    out = (1 - frac) * np.take_along_axis(logsp, lo, axis=1) + frac * np.take_along_axis(logsp, hi, axis=1)
    return np.exp(out)


def tilt_gain(freqs: np.ndarray, tilt_db_oct: np.ndarray, pivot_hz: float = 1000.0) -> np.ndarray:
    """Power gain (frames, bins) of a spectral tilt of ``tilt_db_oct`` dB per octave above ``pivot_hz``: vocal
    effort flattens the spectrum above 1 kHz (Sundberg & Nordenberg 2006; Scherer 2003's high-frequency energy)."""
    octaves = np.log2(np.maximum(freqs, pivot_hz) / pivot_hz)  # 0 below the pivot
    return 10.0 ** (tilt_db_oct[:, None] * octaves[None, :] / 10.0)
