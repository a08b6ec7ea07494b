"""What a speech recording's channel did to it, for the notes `critique` and the web's Analyse tab give: whether
its band stops at a telephone's 4 kHz, whatever rate the file was saved at, or near 6 kHz (a low-bitrate MP3), and
how reverberant it sounds (to
tell a reference recorded in another room from its takes).

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


#: Energy of the 6.2-7.5 kHz band under that of 0.1-3.4 kHz at which a wideband recording counts as cut below
#: 7 kHz, the top of the band `speech/embedded`'s spectral features read: 39 corpus clips (every 25th RAVDESS clip,
#: every 12th EmoDB one) lie at -37.7 dB at the lowest, the studio's Festival and Piper takes near -35, the same clips
#: as 16 kHz MP3s at 32-64 kbit/s at -38.2 at the lowest, and at 24 kbit/s (ffmpeg's default there, which ends near
#: 5.5 kHz) at -100 dB at the highest (`python bench/speech_low_bitrate.py`)
LOW_BAND_DB = -60.0


#: The bands `upper_band_db` compares with 0.1-3.4 kHz: what a telephone cuts, and the top of what `speech/embedded`
#: reads (a low-bitrate MP3 cuts it)
TELEPHONE_BAND_HZ = (4500, 7500)
TOP_BAND_HZ = (6200, 7500)


def upper_band_db(y: np.ndarray, rate: int = 16000, band: tuple[float, float] = TELEPHONE_BAND_HZ) -> float:
    """The energy of ``band`` (Hz) relative to 0.1-3.4 kHz (dB), over the frames within 30 dB of the loudest of
    its first `MAX_SECONDS` (``y``: prepared speech at 16 kHz, `critics.speech.features.prepare`)."""
    return _band_levels(y, rate, (band,))[0]


def _band_levels(y: np.ndarray, rate: int, bands) -> list[float]:
    """`upper_band_db` of each of ``bands``, from one spectrum."""
    from scipy.signal import stft

    y = np.asarray(y[: int(MAX_SECONDS * rate)], dtype=np.float64)
    f, _, z = stft(y, fs=rate, nperseg=512, noverlap=512 - 160)
    power = np.abs(z) ** 2
    frame_db = 10 * np.log10(power.sum(axis=0) + 1e-20)
    spectrum = power[:, frame_db > frame_db.max() - 30].mean(axis=1)
    low = spectrum[(f >= 100) & (f < 3400)].sum()
    return [float(10 * np.log10(spectrum[(f >= lo) & (f < hi)].sum() / (low + 1e-30) + 1e-30)) for lo, hi in bands]


def band_limit(y: np.ndarray, rate: int = 16000) -> str | None:
    """How a recording's band is cut: "narrow" for a telephone's band (nothing above about 4 kHz, `NARROW_BAND_DB`), "low" for a wider band with
    nothing above about 6 kHz (a low-bitrate MP3, `LOW_BAND_DB`: `speech/embedded`'s spectral features read up to
    7 kHz, and 11 of 21 strong RAVDESS takes through 24 kbit/s MP3 changed its label, `speech/encoder`'s none),
    else None; one spectrum for both (every speech reading asks)."""
    telephone, top = _band_levels(y, rate, (TELEPHONE_BAND_HZ, TOP_BAND_HZ))
    return "narrow" if telephone < NARROW_BAND_DB else "low" if top < LOW_BAND_DB else None


def narrow_band(y: np.ndarray, rate: int = 16000) -> bool:
    """Whether ``y`` has a telephone's band (nothing above about 4 kHz), by `NARROW_BAND_DB`."""
    return band_limit(y, rate) == "narrow"


#: Centres of the octave bands whose energy falls `decay_s` times (Hz): where speech has its energy and a room
#: its longest reverberation, below the telephone band's edge so a narrow-band copy is timed too
DECAY_BANDS_HZ = (500, 1000, 2000, 4000)

#: The share of a recording's energy falls, fastest first, whose time `decay_s` gives: a room slows every fall, and
#: the fastest are speech's own offsets, which the room's tail bounds
DECAY_PERCENTILE = 20


def decay_s(y: np.ndarray, rate: int = 16000) -> float | None:
    """How reverberant a recording sounds: over four octave bands (`DECAY_BANDS_HZ`) of its first `MAX_SECONDS`,
    the time a 60 dB fall would take at the pace of each of its steady energy falls (a 5 ms envelope, smoothed
    over 20 ms, falling for 35 ms or more by 6 dB or more, from within 25 dB of the band's loudest frames), at
    the `DECAY_PERCENTILE` th percentile (seconds). None with fewer than 3 such falls.

    Not a room's RT60 (the falls stop where the next sound starts): an index for telling apart two recordings of
    one voice made in different rooms, which `critique --reference` reads as emotion. RAVDESS's studio takes of
    16 actors (neutral and five strong emotions) read 0.13-0.16 s; the same clips in synthetic rooms of RT60 0.3-1 s
    0.16-0.30 s (`python bench/speech_reference_room.py`). Gain does not change it (the falls are in dB)."""
    from scipy.signal import butter, sosfilt

    hop = rate // 200  # 5 ms
    y = np.asarray(y[: int(MAX_SECONDS * rate)], dtype=np.float64)
    n = len(y) // hop
    falls = []
    for centre in DECAY_BANDS_HZ:
        band = sosfilt(butter(4, [centre / 2 ** 0.5, min(centre * 2 ** 0.5, 0.45 * rate)], "bandpass", fs=rate,
                              output="sos"), y)
        power = np.convolve((band[: n * hop].reshape(n, hop) ** 2).mean(axis=1), np.ones(4) / 4, "same")
        db = 10 * np.log10(power + 1e-20)
        loud = np.percentile(db, 95) - 25 if n else 0.0
        # each run of frames each quieter than the one before: frames i..j where every step from i to j falls
        edges = np.flatnonzero(np.diff(np.r_[0, (np.diff(db) < 0).astype(np.int8), 0]))
        for i, j in zip(edges[::2], edges[1::2]):
            if j - i >= 6 and db[i] > loud and db[i] - db[j] >= 6:
                slope = np.polyfit(np.arange(j - i + 1) * hop / rate, db[i:j + 1], 1)[0]  # dB per second
                falls.append(-60.0 / slope)
    return float(np.percentile(falls, DECAY_PERCENTILE)) if len(falls) >= 3 else None


#: How far apart (|ln| of the ratio) the takes' median `decay_s` and the reference's may lie before `rooms_differ`
#: says they were recorded in different rooms: a ratio of 1.49. Chosen on RAVDESS (16 actors' neutral take against
#: their five strong takes, dry and in synthetic rooms) and on the studio's two voices (a neutral take against seven
#: emotions' takes of the same sentence), where no voice's set of takes is warned about and 2 of 42 single takes
#: are: at 0.25, 7 of 42, as emotion changes how fast speech's own sounds end. EmoDB checks it
#: (`python bench/speech_reference_room.py`)
ROOM_MISMATCH = 0.4


def rooms_differ(reference: float | None, takes: list[float | None]) -> bool:
    """Whether takes and their reference (`decay_s` of each) sound recorded in different rooms: the takes' median
    index against the reference's, by `ROOM_MISMATCH`. Takes too short to time are left out; none left: False."""
    timed = [t for t in takes if t is not None]
    if reference is None or not timed:
        return False
    return abs(float(np.log(np.median(timed) / reference))) > ROOM_MISMATCH
