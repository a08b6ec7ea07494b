"""What a speech recording's channel did to it, for the notes `critique` and the web's Analyse tab give: whether
its band stops at a telephone's 4 kHz, whatever rate the file was saved at.

Why measured, not read from the file's rate: telephone audio saved at 16 or 44.1 kHz (as a phone app, a web
upload or a converter leaves it) was read without a word, though it moves both judges as much as the same audio
at 8 kHz (a speech-critique audit: speech/encoder 50 %, speech/embedded 41 % accuracy on 80 RAVDESS takes through
a 300-3400 Hz band, against 90 % and 69 % clean). Kept apart from `critics.speech.features`: nothing here feeds the
heads, so the shipped weights do not depend on it.
"""
from __future__ import annotations

import numpy as np

#: Energy of the 4.5-7.5 kHz band under that of 0.1-3.4 kHz, over the speech's frames, at which a recording counts
#: as band-limited (`python bench/speech_channel.py`): 320 corpus clips (every third RAVDESS clip, every other EmoDB
#: one) lie at -30.3 dB at the lowest (median -19.2), the studio's Piper and Festival takes of 8 emotions at -17.9
#: to -29.7, every fifth of those clips through a telephone band and saved at 16 or 44.1 kHz at -111 dB at the
#: highest
NARROW_BAND_DB = -50.0


#: Seconds of a recording `upper_band_db` reads: a channel's band shows in any minute of it, and the whole of a
#: 20-minute file took half a gigabyte of spectrum
MAX_SECONDS = 60.0


def upper_band_db(y: np.ndarray, rate: int = 16000) -> float:
    """The 4.5-7.5 kHz band's energy relative to 0.1-3.4 kHz (dB), over the frames within 30 dB of the loudest
    of its first `MAX_SECONDS` (``y``: prepared speech at 16 kHz, `critics.speech.features.prepare`)."""
    from scipy.signal import stft

    y = np.asarray(y[: int(MAX_SECONDS * rate)], dtype=np.float64)
    f, _, z = stft(y, fs=rate, nperseg=512, noverlap=512 - 160)
    power = np.abs(z) ** 2
    frame_db = 10 * np.log10(power.sum(axis=0) + 1e-20)
    spectrum = power[:, frame_db > frame_db.max() - 30].mean(axis=1)
    low = spectrum[(f >= 100) & (f < 3400)].sum()
    high = spectrum[(f >= 4500) & (f < 7500)].sum()
    return float(10 * np.log10(high / (low + 1e-30) + 1e-30))


def narrow_band(y: np.ndarray, rate: int = 16000) -> bool:
    """Whether ``y`` has a telephone's band (nothing above about 4 kHz), by `NARROW_BAND_DB`."""
    return upper_band_db(y, rate) < NARROW_BAND_DB
