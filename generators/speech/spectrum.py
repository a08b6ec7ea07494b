"""The emotional take's long-term spectrum matched to the actors': the last step of every WORLD-rendered take.

Why: emotional speech changes the voice's spectral balance, not just its prosody. Shouting or tense, effortful
speech moves energy from below 500 Hz to 1-5 kHz; soft, lax speech does the opposite (vocal effort, Sundberg
& Nordenskjold; Banse & Scherer 1996 on the long-term average spectrum of acted emotions). The prosody controls
(`tilt`, `formant`) reach only a straight slope and a warp, and a synthetic voice does not tense its phonation
when its F0 is raised, so both speech judges heard the studio's angry and happy takes as fear (high pitch,
lax voice). Here the take is equalised so that its long-term spectral *shape* changes from the voice's neutral
take exactly as the RAVDESS actors' changes from theirs, for the requested emotion and intensity.

How: the shape is the mean log power in 40 mel bands (50 Hz - 8 kHz, analysed at 16 kHz) over the frames
within 30 dB of the loud frames, minus its mean over bands (the level is the `gain` control's business). The
actors' change per label and intensity is `_spectra.py`, computed from RAVDESS actors 01-16 by
``python -m studio.calibrate`` (strong and normal takes, each actor's emotional minus their neutral clips,
averaged over actors). Mixes blend the labels' targets with the mix weights, piecewise linear in intensity
through the normal-intensity target, as `prosody.colour` does; a term outside the table gets the target of
its valence-arousal-dominance point from a linear model fitted on the table's terms. The equaliser is a
zero-phase gain per STFT bin; the take's speech level is kept and the renderer's peak limiter follows (a probe
without it let boosted takes pass full scale, which no file can hold).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from conditioning import Emotion

from .prosody import blend_by_term, vad_model  # as the prosody colour blends intensities

RATE = 16000  #: analysis rate of the shape
N_FFT, HOP = 512, 160
BANDS, F_LO, F_HI = 40, 50.0, 8000.0
FLOOR_DB = 30.0  #: frames more than this below the loud frames (95th percentile) are left out
MAX_GAIN_DB = 24.0  #: the equaliser's limit either way


@lru_cache(maxsize=1)
def _mel() -> tuple[np.ndarray, np.ndarray]:
    import librosa

    fb = librosa.filters.mel(sr=RATE, n_fft=N_FFT, n_mels=BANDS, fmin=F_LO, fmax=F_HI)
    centres = librosa.mel_frequencies(n_mels=BANDS + 2, fmin=F_LO, fmax=F_HI)[1:-1]
    return fb, centres


def shape(samples: np.ndarray, rate: int) -> np.ndarray:
    """The long-term spectral shape of speech: 40 band levels in dB, their mean removed."""
    import librosa

    y = np.asarray(samples, np.float32)
    if y.ndim > 1:
        y = y.mean(axis=1)
    if rate != RATE:
        y = librosa.resample(y, orig_sr=rate, target_sr=RATE)
    fb, _ = _mel()
    power = fb @ (np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2)
    level = 10 * np.log10(power.sum(axis=0) + 1e-12)
    keep = level > np.percentile(level, 95) - FLOOR_DB
    s = 10 * np.log10(power[:, keep] + 1e-12).mean(axis=1)
    return (s - s.mean()).astype(np.float64)


def equalise(samples: np.ndarray, rate: int, gains_db: np.ndarray) -> np.ndarray:
    """Zero-phase equaliser with one gain per mel band (interpolated over frequency), same RMS, peaks limited."""
    import librosa

    from .world import limit

    y = np.asarray(samples, np.float32)
    _, centres = _mel()
    n_fft = 1 << int(np.ceil(np.log2(0.032 * rate)))
    hop = n_fft // 4
    freqs = np.linspace(0, rate / 2, n_fft // 2 + 1)
    g = 10 ** (np.interp(freqs, centres, np.clip(gains_db, -MAX_GAIN_DB, MAX_GAIN_DB)) / 20)
    z = librosa.istft(librosa.stft(y, n_fft=n_fft, hop_length=hop) * g[:, None], hop_length=hop, length=len(y))
    z *= np.sqrt(np.mean(y.astype(np.float64) ** 2) / (np.mean(z.astype(np.float64) ** 2) + 1e-20))
    return limit(z.astype(np.float32), rate)  # the renderer's peak limiter: boosted bands must not clip


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray | None]:
    """(strong, normal, B): the actors' shape changes per term, and the linear model from a term's
    (valence, arousal, dominance) to its strong target for terms outside the table. Empty without a table."""
    try:
        from ._spectra import NORMAL, STRONG
    except ImportError:  # not generated yet: nothing to match
        return {}, {}, None
    strong = {k: np.asarray(v, float) for k, v in STRONG.items()}
    normal = {k: np.asarray(v, float) for k, v in NORMAL.items()}
    return strong, normal, vad_model(strong)


def target(emotion: Emotion) -> np.ndarray:
    """The actors' change of spectral shape from neutral for ``emotion`` (40 dB values; zeros for neutral)."""
    goal = blend_by_term(emotion, *_tables())
    return np.zeros(BANDS) if goal is None else goal


def match(samples: np.ndarray, rate: int, neutral: np.ndarray, neutral_rate: int,
          emotions: Emotion | Sequence[Emotion]) -> np.ndarray:
    """Equalise a take so that its shape minus the neutral take's equals the actors' change for the emotion
    (the mean target over ``emotions`` when the emotion moves through the utterance). ``neutral``: the
    backend's neutral synthesis of the same text, before the prosody (its WORLD resynthesis differs from it
    by about 0.7 dB rms over the bands, measured on Piper and Festival takes)."""
    ems = [emotions] if isinstance(emotions, Emotion) else list(emotions)
    goal = np.mean([target(e) for e in ems], axis=0)
    if not np.any(goal):
        return np.asarray(samples, np.float32)
    gains = goal - (shape(samples, rate) - shape(neutral, neutral_rate))
    return equalise(samples, rate, gains)
